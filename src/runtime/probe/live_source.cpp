#include "runtime/probe/live_source.hpp"

#include <time.h>

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

namespace {

std::int64_t boottime_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_BOOTTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace

Result<NextStatus> LiveSource::next(Event& out, std::chrono::milliseconds timeout) {
  if (ready_ == 0) {
    // Slots of the events already handed out are free again; the held ones stay.
    for (std::size_t i = 0; i < next_; ++i) free_.push_back(order_[i].second);
    order_.erase(order_.begin(), order_.begin() + static_cast<std::ptrdiff_t>(next_));
    next_ = 0;
    // Each CPU's ring is in time order, the CPUs are not, and the rings are read one
    // after another: an event that reaches an already-read ring during this poll is
    // older than some read later from another ring. So only events older than the
    // moment the reads began (less a margin for records still being written) are
    // handed out; newer ones wait for the next poll. A ring cut short by the batch
    // limit lowers that mark to its last event. The wait is at most one poll (20 ms).
    constexpr std::int64_t kSlackNs = 5'000'000;
    std::uint64_t mark = static_cast<std::uint64_t>(boottime_ns() + context_.boot_to_wall_ns - kSlackNs);
    per_cpu_.assign(per_cpu_.size(), {0, 0});
    DecodeExtra extra;
    auto sink = [&](std::span<const std::uint8_t> record) {
      if (free_.empty()) {
        free_.push_back(static_cast<std::uint32_t>(batch_.size()));
        batch_.emplace_back();
      }
      std::uint32_t slot = free_.back();
      Event& ev = batch_[slot];
      if (auto st = decode_record(record, context_, ev, &extra); !st) {
        ++parse_errors_;
        return true;
      }
      free_.pop_back();
      if (!extra.cgroup_leaf.empty()) cgroups_.remember_leaf(ev.cgroup_id, extra.cgroup_leaf);
      ev.cgroup = cgroups_.lookup(ev.cgroup_id, extra.cgroup_leaf);
      order_.emplace_back(ev.ts_ns, slot);
      if (ev.cpu >= per_cpu_.size()) per_cpu_.resize(ev.cpu + 1, {0, 0});
      auto& [count, last] = per_cpu_[ev.cpu];
      ++count;
      last = std::max(last, ev.ts_ns);
      return true;
    };
    auto n = probe_->poll(timeout, sink, kMaxBatch);
    if (!n) return std::unexpected(n.error());
    for (const auto& [count, last] : per_cpu_) {
      if (count >= kMaxBatch) mark = std::min(mark, last);
    }
    // Bounded memory: a backlog this deep is handed out whatever the mark says.
    if (order_.size() > 64 * kMaxBatch) mark = UINT64_MAX;
    // (ts, slot) pairs sort stably, and only the small pairs move.
    if (!std::is_sorted(order_.begin(), order_.end())) std::sort(order_.begin(), order_.end());
    ready_ = static_cast<std::size_t>(
        std::lower_bound(order_.begin(), order_.end(), std::make_pair(mark, std::uint32_t{0})) - order_.begin());
    if (ready_ == 0) return NextStatus::timeout;
  }
  // A swap, not a copy: the caller's old event becomes this slot's buffers for the next batch.
  std::swap(out, batch_[order_[next_++].second]);
  --ready_;
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
