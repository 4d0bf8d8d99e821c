// Userspace state built from the event stream: the process table (exe, args,
// parent chain, tty, uid, cwd, start time, container) and each process's fd
// table (files and sockets). Capacities are fixed: when full, the least recently
// seen process is evicted (and counted), so memory stays bounded whatever the
// workload does.
#pragma once

#include <chrono>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "runtime/events/event.hpp"
#include "runtime/state/container.hpp"

namespace bulwark::runtime {

// Falco's fd.typechar values.
enum class FdKind : char {
  file = 'f',
  directory = 'd',
  ipv4 = '4',
  ipv6 = '6',
  unix_sock = 'u',
  pipe = 'p',
  event = 'e',
  signalfd = 's',
  eventpoll = 'l',
  inotify = 'i',
  memfd = 'm',
  netlink = 'n',
  packet = 'k',
  other = 'o',
};

struct FdEntry {
  FdKind kind = FdKind::file;
  std::string name;     // resolved path, or "cip:cport->sip:sport" for sockets
  std::string nameraw;  // the path as the process passed it
  std::uint64_t open_flags = 0;
  SocketTuple tuple;
  bool server_side = false;  // the local end is the server (accept, bind)
  bool connected = false;
  bool name_changed = false;
};

struct Process {
  std::int64_t pid = 0;
  std::int64_t ppid = 0;
  std::int64_t vpid = 0;
  std::int64_t sid = 0;
  std::int64_t pgid = 0;
  std::string comm;               // proc.name
  std::string exe;                // argv[0] as run (proc.exe)
  std::string exepath;            // resolved executable path (proc.exepath)
  std::vector<std::string> args;  // argv[1..]
  std::vector<std::string> env;
  std::string cwd;
  std::uint32_t tty = 0;
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::uint32_t loginuid = UINT32_MAX;
  Capabilities caps;
  std::uint32_t exe_flags = 0;
  std::uint64_t exe_ino = 0;
  std::uint64_t start_ns = 0;
  std::string container_id;  // full id; empty = host
  std::string cgroup;
  std::uint64_t mnt_ns = 0;
  bool exited = false;
  std::map<std::int64_t, FdEntry> fds;
};

struct StateLimits {
  std::size_t max_processes = 32768;
  std::size_t max_fds_per_process = 1024;
  std::size_t max_containers = 4096;
  std::size_t max_args = 256;     // argv entries kept per process
  std::size_t max_string = 4096;  // bytes kept per path / argument
};

struct StateStats {
  std::uint64_t processes_created = 0;
  std::uint64_t processes_evicted = 0;
  std::uint64_t fds_dropped = 0;  // fd table full
  std::uint64_t container_lookups = 0;
  std::uint64_t container_lookup_failures = 0;
  std::uint64_t processes_seeded = 0;     // from the /proc snapshot at start (seed())
  std::uint64_t container_refreshes = 0;  // cached metadata dropped because the resolver's answers changed
};

class ProcessTable {
 public:
  explicit ProcessTable(StateLimits limits = {}, ContainerResolver* resolver = nullptr);

  // Folds an event into the state before rules see it (exec, fork, open, connect ...).
  void apply(const Event& e);
  // Completes an event after rules saw it (removes exited processes, closed fds).
  void finish(const Event& e);
  // Adds a process known from elsewhere (the /proc snapshot at start). Never
  // replaces an entry events already made (they are fresher) and never evicts:
  // false when the pid is known or the table is full.
  [[nodiscard]] bool seed(Process p);

  [[nodiscard]] const Process* find(std::int64_t pid) const;
  // The nth ancestor of a process (1 = parent); null when the chain ends or is unknown.
  [[nodiscard]] const Process* ancestor(const Process& p, int n) const;
  // The fd that an event's fd.* fields describe (the returned fd of open/socket/accept/dup, else args.fd).
  [[nodiscard]] const FdEntry* event_fd(const Event& e, const Process* p) const;
  [[nodiscard]] static std::int64_t event_fd_num(const Event& e);
  // Metadata for a container id (cached resolver answer), null for the host or unknown ids.
  [[nodiscard]] const ContainerInfo* container(const std::string& id);
  // Reverse DNS names learned for an IP ("10.96.0.1" -> kubernetes.default...).
  void add_dns_name(const std::string& ip, const std::string& name);
  [[nodiscard]] const std::vector<std::string>* dns_names(const std::string& ip) const;

  [[nodiscard]] std::size_t size() const noexcept { return procs_.size(); }
  [[nodiscard]] const StateStats& stats() const noexcept { return stats_; }
  [[nodiscard]] const StateLimits& limits() const noexcept { return limits_; }

 private:
  struct Slot {
    Process proc;
    std::list<std::int64_t>::iterator lru;
  };
  Process& get_or_create(const Event& e);
  Process& create(std::int64_t pid);
  void touch(Slot& s);
  void put_fd(Process& p, std::int64_t fd, FdEntry entry);
  std::string clip(std::string_view s) const;
  std::string resolve_path(const Process& p, std::int64_t dirfd, std::string_view path) const;

  StateLimits limits_;
  ContainerResolver* resolver_ = nullptr;
  std::unordered_map<std::int64_t, Slot> procs_;
  std::list<std::int64_t> lru_;  // front = most recent
  std::unordered_map<std::string, std::optional<ContainerInfo>> containers_;
  // When each unknown id was last asked about: a container's first processes can run
  // before its runtime answers for it, so an unknown id is asked again after a second.
  std::unordered_map<std::string, std::chrono::steady_clock::time_point> unknown_since_;
  std::uint64_t resolver_generation_ = 0;
  std::unordered_map<std::string, std::vector<std::string>> dns_;
  StateStats stats_;
};

// Normalises an absolute path lexically ("/a/./b/../c" -> "/a/c").
[[nodiscard]] std::string normalize_path(std::string_view path);
// "1.2.3.4" or an IPv6 text form for an endpoint of the given family.
[[nodiscard]] std::string format_ip(std::uint32_t family, const Endpoint& ep);

}  // namespace bulwark::runtime
