// The processes that already run when the monitor starts: the eBPF probe only
// sees processes as they exec or fork, so without this an alert about a
// long-running process (a container's entrypoint, a daemon) would lack its
// command line, executable, parent chain and cwd. The snapshot walks a proc
// tree once (the root is a parameter so tests can build a fake one) and seeds
// the process table. It reads only procfs files and readlink()s the exe/cwd
// magic links; it never opens anything through them (a container's filesystem
// is untrusted), every read is bounded, vanished pids and malformed files are
// counted and skipped, and entries that events already created are kept.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "runtime/state/process_table.hpp"
#include "util/error.hpp"

namespace bulwark::runtime {

struct ProcSnapshotOptions {
  std::filesystem::path proc_root = "/proc";
  // Wall clock minus CLOCK_BOOTTIME, to turn a start time since boot into the
  // table's wall-clock start_ns (as the probe's decoder does). 0 = measure now.
  std::int64_t boot_to_wall_ns = 0;
  // Clock ticks per second of /proc/PID/stat's starttime. 0 = sysconf(_SC_CLK_TCK).
  long clock_ticks = 0;
};

struct ProcSnapshotStats {
  std::uint64_t seeded = 0;          // added to the table
  std::uint64_t already_known = 0;   // events had created the pid first (kept as is)
  std::uint64_t vanished = 0;        // exited during the walk
  std::uint64_t malformed = 0;       // unreadable stat/status (skipped)
  std::uint64_t kernel_threads = 0;  // skipped: no user space, never in a rule's parent chain
  bool table_full = false;           // the walk stopped at the table's capacity
  std::string last_problem;          // the last malformed entry, for a message
};

// Reads one /proc/PID directory (dirfd open on it) into a Process. ErrorCode::not_found
// when the process vanished, ErrorCode::parse for a malformed stat or status file,
// ErrorCode::unsupported for a kernel thread.
[[nodiscard]] Result<Process> read_proc_process(int pid_dirfd, std::int64_t pid, std::int64_t boot_to_wall_ns,
                                                long clock_ticks);

// Walks options.proc_root and seeds `table`. Fails only when the root cannot be read.
// CLOCK_REALTIME minus CLOCK_BOOTTIME now: what turns the kernel's boot-time stamps into wall time.
[[nodiscard]] std::int64_t boot_to_wall_ns_now();

[[nodiscard]] Result<ProcSnapshotStats> snapshot_processes(ProcessTable& table, const ProcSnapshotOptions& options);

// /proc/PID/stat's tty_nr (new_encode_dev) in the probe's form: major << 20 | minor.
[[nodiscard]] std::uint32_t tty_from_proc_stat(std::uint64_t tty_nr) noexcept;

// The cgroup path a container id is taken from, from /proc/PID/cgroup text: the
// v2 line ("0::/path"), else a v1 line of cpu, memory or pids (as the probe picks).
[[nodiscard]] std::string cgroup_from_proc(std::string_view text);

}  // namespace bulwark::runtime
