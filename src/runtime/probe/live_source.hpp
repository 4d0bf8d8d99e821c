// The live EventSource: the eBPF probe's records decoded into Events, with the
// cgroup path filled from the cgroup id, merged across CPUs in time order per
// batch. Memory is bounded by the ring buffers (fixed at load) and a batch of at
// most kMaxBatch decoded events per CPU.
#pragma once

#include <deque>
#include <memory>
#include <vector>

#include "runtime/events/source.hpp"
#include "runtime/probe/cgroup_paths.hpp"
#include "runtime/probe/decode.hpp"
#include "runtime/probe/probe.hpp"

namespace bulwark::runtime::probe {

class LiveSource final : public EventSource {
 public:
  static constexpr std::size_t kMaxBatch = 1024;

  [[nodiscard]] static Result<std::unique_ptr<LiveSource>> open(const LiveSourceOptions& options);
  // With capture options beyond the shared LiveSourceOptions (--learn).
  [[nodiscard]] static Result<std::unique_ptr<LiveSource>> open(const LiveSourceOptions& options, bool learn);

  [[nodiscard]] Result<NextStatus> next(Event& out, std::chrono::milliseconds timeout) override;
  [[nodiscard]] SourceStats stats() const override;
  [[nodiscard]] std::string name() const override { return "ebpf"; }
  [[nodiscard]] std::string detail() const override { return probe_->hooks(); }

  [[nodiscard]] std::size_t ring_bytes_per_cpu() const noexcept { return probe_->ring_bytes_per_cpu(); }
  [[nodiscard]] const Probe& probe() const noexcept { return *probe_; }

 private:
  LiveSource(std::unique_ptr<Probe> probe, DecodeContext context);

  std::unique_ptr<Probe> probe_;
  DecodeContext context_;
  CgroupPaths cgroups_;
  // Decoded events in reusable slots (their strings keep their buffers), handed out
  // in time order through `order_` once no ring can still hold an older one.
  std::vector<Event> batch_;
  std::vector<std::uint32_t> free_;                             // slots not holding an event
  std::vector<std::pair<std::uint64_t, std::uint32_t>> order_;  // (ts, slot): handed out [0, next_), then held
  std::size_t next_ = 0;
  std::size_t ready_ = 0;                                         // events after next_ that may be handed out now
  std::vector<std::pair<std::uint64_t, std::uint64_t>> per_cpu_;  // this poll: (records, last ts) per CPU
  std::uint64_t parse_errors_ = 0;
  std::uint64_t delivered_ = 0;
};

}  // namespace bulwark::runtime::probe
