// The loaded eBPF capture: opens the bpftool-generated skeleton of
// bpf/capture.bpf.c, sizes one ring buffer per CPU, fills the in-kernel syscall
// filter, attaches the tracepoints and hands raw records to a callback. Built only
// when the build found clang, bpftool, libbpf and kernel BTF (BULWARK_HAVE_BPF).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "util/error.hpp"

namespace bulwark::runtime::probe {

struct ProbeOptions {
  std::set<std::uint32_t> syscalls;          // syscall numbers to send; exec, fork and exit always flow
  std::size_t ring_buffer_bytes = 8u << 20;  // total over all CPUs
  bool drop_failed = false;
  // --learn: record, per cgroup, every syscall made (not only the filtered ones).
  bool learn = false;
  // Syscall hooks: auto, tracepoints (syscalls/sys_{enter,exit}_<name>, attached to
  // just the filtered syscalls) or raw (one tp_btf dispatcher for every syscall).
  // --learn always uses raw: it must see every syscall.
  std::string hooks = "auto";
  // Copy the open family's path and connect's address at syscall entry, before the
  // kernel reads them (else at exit, where another thread may have rewritten them).
  bool entry_args = true;
};

struct ProbeCounters {
  std::uint64_t events = 0;
  std::uint64_t drops = 0;
};

// Returns false to stop the current batch early (the record it was given is kept).
using RecordSink = std::function<bool(std::span<const std::uint8_t> record)>;

class Probe {
 public:
  // Loads and attaches. Errors: unsupported (built without BPF, no BTF), auth (not
  // root / missing CAP_BPF), internal with the verifier's last words on a load failure.
  [[nodiscard]] static Result<std::unique_ptr<Probe>> open(const ProbeOptions& options);
  ~Probe();
  Probe(const Probe&) = delete;
  Probe& operator=(const Probe&) = delete;

  // Waits up to `timeout` for data, then drains every CPU's ring in turn, giving
  // at most `max_records` records per CPU to `sink`. Returns how many it gave.
  [[nodiscard]] Result<std::size_t> poll(std::chrono::milliseconds timeout, const RecordSink& sink,
                                         std::size_t max_records);
  // Per-CPU counters from the kernel.
  [[nodiscard]] std::vector<ProbeCounters> counters() const;
  [[nodiscard]] std::size_t ring_bytes_per_cpu() const noexcept { return ring_bytes_per_cpu_; }
  // The hooks in use, e.g. "per-syscall tracepoints: 21 exit, 3 entry".
  [[nodiscard]] const std::string& hooks() const noexcept { return hooks_; }
  // --learn: the syscall numbers each cgroup (by id) made so far.
  struct Learned {
    std::vector<std::uint32_t> allowed;   // for the seccomp profile
    std::vector<std::uint32_t> workload;  // made by the workload (not the runtime's init)
  };
  [[nodiscard]] std::map<std::uint64_t, Learned> learned_syscalls() const;

  struct Impl;

 private:
  explicit Probe(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  std::size_t ring_bytes_per_cpu_ = 0;
  std::string hooks_;
};

}  // namespace bulwark::runtime::probe
