#include "runtime/probe/live_source.hpp"

#include <time.h>

#include <algorithm>

#include "runtime/events/live.hpp"
#include "runtime/probe/docker_resolver.hpp"
#include "runtime/probe/syscalls.hpp"

namespace bulwark::runtime::probe {
namespace {

std::int64_t boot_to_wall_ns() {
  timespec wall{};
  timespec boot{};
  ::clock_gettime(CLOCK_REALTIME, &wall);
  ::clock_gettime(CLOCK_BOOTTIME, &boot);
  auto ns = [](const timespec& t) { return static_cast<std::int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec; };
  return ns(wall) - ns(boot);
}

}  // namespace

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
  auto probe = Probe::open(popts);
  if (!probe) return std::unexpected(probe.error());
  return std::unique_ptr<LiveSource>(new LiveSource(std::move(*probe), DecodeContext{boot_to_wall_ns()}));
}

Result<NextStatus> LiveSource::next(Event& out, std::chrono::milliseconds timeout) {
  if (pending_.empty()) {
    DecodeExtra extra;
    auto sink = [&](std::span<const std::uint8_t> record) {
      Event& ev = pending_.emplace_back();
      if (auto st = decode_record(record, context_, ev, &extra); !st) {
        ++parse_errors_;
        pending_.pop_back();
        return true;
      }
      if (!extra.cgroup_leaf.empty()) cgroups_.remember_leaf(ev.cgroup_id, extra.cgroup_leaf);
      ev.cgroup = cgroups_.lookup(ev.cgroup_id, extra.cgroup_leaf);
      return true;
    };
    auto n = probe_->poll(timeout, sink, kMaxBatch);
    if (!n) return std::unexpected(n.error());
    if (pending_.empty()) return NextStatus::timeout;
    // Each CPU's ring is in order, the CPUs are not: a process that execs on one CPU
    // and connects on another must reach the state in that order.
    std::stable_sort(pending_.begin(), pending_.end(),
                     [](const Event& a, const Event& b) { return a.ts_ns < b.ts_ns; });
  }
  out = std::move(pending_.front());
  pending_.pop_front();
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
