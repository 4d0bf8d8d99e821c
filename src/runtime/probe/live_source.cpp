#include "runtime/probe/live_source.hpp"

#include <algorithm>

#include "runtime/events/live.hpp"
#include "runtime/probe/docker_resolver.hpp"
#include "runtime/probe/syscalls.hpp"
#include "runtime/state/proc_snapshot.hpp"

namespace bulwark::runtime::probe {

LiveSource::LiveSource(std::unique_ptr<Probe> probe, DecodeContext context)
    : probe_(std::move(probe)), context_(context), cgroups_(CgroupPaths::host_roots()) {}

Result<std::unique_ptr<LiveSource>> LiveSource::open(const LiveSourceOptions& options) {
  return open(options, false);
}

Result<std::unique_ptr<LiveSource>> LiveSource::open(const LiveSourceOptions& options, bool learn) {
  ProbeOptions popts;
  popts.learn = learn;
  popts.syscalls = syscall_filter(options.event_types);
  popts.ring_buffer_bytes = options.ring_buffer_bytes;
  popts.drop_failed = options.drop_failed;
  popts.hooks = options.hooks;
  popts.entry_args = options.entry_args;
  auto probe = Probe::open(popts);
  if (!probe) return std::unexpected(probe.error());
  return std::unique_ptr<LiveSource>(new LiveSource(std::move(*probe), DecodeContext{boot_to_wall_ns_now()}));
}

Result<NextStatus> LiveSource::next(Event& out, std::chrono::milliseconds timeout) {
  if (next_ >= order_.size()) {
    DecodeExtra extra;
    batch_size_ = 0;
    order_.clear();
    next_ = 0;
    auto sink = [&](std::span<const std::uint8_t> record) {
      if (batch_size_ == batch_.size()) batch_.emplace_back();
      Event& ev = batch_[batch_size_];
      if (auto st = decode_record(record, context_, ev, &extra); !st) {
        ++parse_errors_;
        return true;
      }
      if (!extra.cgroup_leaf.empty()) cgroups_.remember_leaf(ev.cgroup_id, extra.cgroup_leaf);
      ev.cgroup = cgroups_.lookup(ev.cgroup_id, extra.cgroup_leaf);
      order_.emplace_back(ev.ts_ns, static_cast<std::uint32_t>(batch_size_));
      ++batch_size_;
      return true;
    };
    auto n = probe_->poll(timeout, sink, kMaxBatch);
    if (!n) return std::unexpected(n.error());
    if (order_.empty()) return NextStatus::timeout;
    // Each CPU's ring is in order, the CPUs are not: a process that execs on one CPU
    // and connects on another must reach the state in that order. (ts, slot) pairs
    // sort stably, and only the small pairs move.
    if (!std::is_sorted(order_.begin(), order_.end())) std::sort(order_.begin(), order_.end());
  }
  // A swap, not a copy: the caller's old event becomes this slot's buffers for the next batch.
  std::swap(out, batch_[order_[next_++].second]);
  ++delivered_;
  return NextStatus::event;
}

SourceStats LiveSource::stats() const {
  SourceStats s;
  for (const auto& c : probe_->counters()) {
    s.per_cpu.push_back({c.events, c.drops});
    s.events += c.events;
    s.drops += c.drops;
  }
  s.extra.emplace_back("delivered", delivered_);
  s.extra.emplace_back("parse_errors", parse_errors_);
  s.extra.emplace_back("ring_bytes_per_cpu", probe_->ring_bytes_per_cpu());
  return s;
}

}  // namespace bulwark::runtime::probe

namespace bulwark::runtime {

Result<std::unique_ptr<EventSource>> make_live_source(const LiveSourceOptions& options) {
  auto src = probe::LiveSource::open(options);
  if (!src) return std::unexpected(src.error());
  return std::unique_ptr<EventSource>(std::move(*src));
}

std::unique_ptr<ContainerResolver> make_live_container_resolver(const LiveSourceOptions& options) {
  auto resolver = std::make_unique<probe::DockerContainerResolver>(options.docker_host);
  // Metadata ready before a new container's first exec, renames seen, destroyed ones forgotten.
  resolver->follow_events();
  return resolver;
}

}  // namespace bulwark::runtime
