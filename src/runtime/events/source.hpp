// Where events come from: an abstract EventSource. The live eBPF source
// (runtime/probe) and the JSON-lines replay source (events/replay.hpp) implement
// it; the monitor loop pulls with next() and reports stats() on exit.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "runtime/events/event.hpp"
#include "util/error.hpp"

namespace bulwark::runtime {

struct CpuStats {
  std::uint64_t events = 0;  // events delivered from this CPU
  std::uint64_t drops = 0;   // events lost on this CPU (ring buffer full, ...)
};

struct SourceStats {
  std::uint64_t events = 0;       // total delivered
  std::uint64_t drops = 0;        // total lost
  std::vector<CpuStats> per_cpu;  // empty when the source has no notion of CPUs
  // Free-form counters a source wants to report ("drops_execve", "parse_errors", ...).
  std::vector<std::pair<std::string, std::uint64_t>> extra;
};

enum class NextStatus {
  event,    // `out` holds a new event
  timeout,  // nothing arrived within the timeout; call again
  end,      // the source is exhausted (replay finished, probe detached)
};

class EventSource {
 public:
  virtual ~EventSource() = default;
  // Waits at most `timeout` for the next event. An Error means the source cannot
  // continue (the caller stops); a recoverable problem is counted in stats().
  [[nodiscard]] virtual Result<NextStatus> next(Event& out, std::chrono::milliseconds timeout) = 0;
  [[nodiscard]] virtual SourceStats stats() const = 0;
  // A short name for messages ("replay:FILE", "ebpf").
  [[nodiscard]] virtual std::string name() const = 0;
  // How the source gets its events, for the startup line (e.g. which kernel hooks).
  [[nodiscard]] virtual std::string detail() const { return {}; }
};

// Options for the live source (runtime/probe implements make_live_source in
// events/live.hpp). Fields are added, never renamed.
struct LiveSourceOptions {
  // The event types the loaded rules need, plus those the state engine needs.
  // Empty = everything the probe supports.
  std::set<EventType> event_types;
  std::size_t ring_buffer_bytes = 8u << 20;
  bool drop_failed = false;  // drop failed syscalls in the kernel (open* failures are still useful)
  std::string docker_host;   // for the ContainerResolver; empty = default socket
  // Syscall hooks: "auto" (per-syscall tracepoints when tracefs offers them, else the
  // raw sys_enter/sys_exit dispatchers), "tracepoints" or "raw".
  std::string hooks = "auto";
  bool entry_args = true;  // read the open family's path and connect's address at syscall entry
};

}  // namespace bulwark::runtime
