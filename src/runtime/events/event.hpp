// The runtime event schema: one `Event` per observed syscall or scheduler hook.
//
// Producers (the eBPF probe in runtime/probe, the JSON-lines replay source) fill an
// Event; the process/fd state (runtime/state) and the rule engine (runtime/engine)
// read it. The struct is flat on purpose: one reusable value per event, no
// virtual dispatch, and fields that a type does not use keep their defaults.
// Which `Args` fields each event type uses is documented beside the field.
//
// Stability: runtime-capture builds against this header. Add fields; never rename
// or reorder enumerators (replay files name types by string, the probe by value).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bulwark::runtime {

// Event types, named as Falco names them (`evt.type`). The value is the wire id
// used by the probe; `unknown` is 0. Keep appending at the end.
enum class EventType : std::uint16_t {
  unknown = 0,
  // process lifecycle
  execve,
  execveat,
  clone,
  clone3,
  fork,
  vfork,
  procexit,  // the process (thread group leader) or thread exited
  // files
  open,
  openat,
  openat2,
  creat,
  close,
  // network
  connect,
  accept,
  accept4,
  bind,
  listen,
  socket,
  sendto,
  sendmsg,
  // process control and privilege
  ptrace,
  setuid,
  setgid,
  setreuid,
  setregid,
  setresuid,
  setresgid,
  setfsuid,
  setfsgid,
  capset,
  prctl,
  setsid,
  setpgid,
  // filesystem namespace and tree
  mount,
  umount2,
  unlink,
  unlinkat,
  rename,
  renameat,
  renameat2,
  symlink,
  symlinkat,
  link,
  linkat,
  chmod,
  fchmod,
  fchmodat,
  mkdir,
  mkdirat,
  rmdir,
  chdir,
  fchdir,
  chroot,
  // memory and modules
  memfd_create,
  init_module,
  finit_module,
  // descriptors
  dup,
  dup2,
  dup3,
  fcntl,
  // namespaces
  setns,
  unshare,
  // A synthetic event describing a process that existed before capture began
  // (from a task iterator or /proc). Carries `exec` and seeds the process table;
  // never matched by rules.
  procinfo,
  userfaultfd,
  kill,
  recvfrom,
  recvmsg,
  // new types go here
  count_  // number of types; keep last
};

inline constexpr std::size_t kEventTypeCount = static_cast<std::size_t>(EventType::count_);

// "execve", "openat", ... ("unknown" for out-of-range values).
[[nodiscard]] std::string_view to_string(EventType type) noexcept;
// The inverse of to_string; nullopt for names bulwark does not know.
[[nodiscard]] std::optional<EventType> event_type_from_name(std::string_view name) noexcept;

// Falco evaluates exit events only (enter events are used by the probe for
// TOCTOU-safe argument capture, then folded into the exit event).
enum class Direction : std::uint8_t { exit = 0, enter = 1 };

// Linux capability sets as 64-bit masks (bit n = capability n, CAP_CHOWN = 0).
struct Capabilities {
  std::uint64_t effective = 0;
  std::uint64_t permitted = 0;
  std::uint64_t inheritable = 0;
};

// Flags about the executable of an exec event.
enum ExeFlag : std::uint32_t {
  kExeUpperLayer = 1u << 0,  // the file lives in an overlayfs upper layer (written after the image)
  kExeFromMemfd = 1u << 1,   // the file is a memfd (fileless execution)
  kExeWritable = 1u << 2,    // the executing user can write the file
  kExeLowerLayer = 1u << 3,  // the file lives in an overlayfs lower layer (part of the image)
};

// What an exec (or procinfo) event says about the new program.
struct ExecInfo {
  std::string exe;                // the resolved executable path (/usr/bin/bash); "memfd:name" for memfd
  std::string exe_arg0;           // argv[0] as given (may differ from exe, e.g. "-bash")
  std::vector<std::string> argv;  // full argv including argv[0]
  std::string cwd;
  std::vector<std::string> env;  // optional ("KEY=VALUE"); may be empty when not captured
  std::uint32_t tty = 0;         // controlling tty device number; 0 = none
  std::uint32_t exe_flags = 0;   // ExeFlag bits
  std::uint64_t exe_ino = 0;
  std::uint64_t start_ns = 0;  // process start time (for procinfo; exec uses the event ts)
  std::int64_t sid = 0;        // session id
  std::int64_t pgid = 0;       // process group id
  std::int64_t vpid = 0;       // pid inside its pid namespace
};

// IPv4 addresses are stored in the first four bytes (network order), IPv6 in all
// sixteen. `unix_path` is used for AF_UNIX.
struct Endpoint {
  std::array<std::uint8_t, 16> addr{};
  std::uint16_t port = 0;  // host order
  std::string unix_path;
};

// Address families (Linux values).
inline constexpr std::uint32_t kAfUnix = 1;
inline constexpr std::uint32_t kAfInet = 2;
inline constexpr std::uint32_t kAfInet6 = 10;
inline constexpr std::uint32_t kAfNetlink = 16;
inline constexpr std::uint32_t kAfPacket = 17;

// A socket tuple in Falco's orientation: client -> server. For connect the
// local end is the client; for accept the local end is the server; for bind and
// listen only `server` is set.
struct SocketTuple {
  std::uint32_t family = 0;  // AF_*; 0 = not a socket event
  Endpoint client;
  Endpoint server;
  std::uint32_t l4proto = 0;  // IPPROTO_TCP (6), IPPROTO_UDP (17), 0 = unknown
};

// Syscall arguments. Each field says which event types fill it.
struct Args {
  // fd the syscall operates on: close, connect, accept (listening fd), bind,
  // listen, sendto, sendmsg, fchmod, fchdir, finit_module, dup* (old fd), fcntl,
  // setns, recvfrom, recvmsg.
  std::int64_t fd = -1;
  // second fd: dup2/dup3 (new fd requested); fcntl dup result; accept gives the new fd in `ret`.
  std::int64_t fd2 = -1;
  // dirfd for *at calls (openat, openat2, unlinkat, renameat*, symlinkat (newdirfd),
  // linkat (olddirfd), fchmodat, mkdirat); AT_FDCWD = -100.
  std::int64_t dirfd = -100;
  std::int64_t dirfd2 = -100;  // renameat*/linkat: newdirfd
  // open*/creat flags (O_*), clone flags, memfd_create flags, mount flags, unlinkat flags,
  // renameat2 flags, linkat flags, dup3 flags, finit_module flags, socket type flags.
  std::uint64_t flags = 0;
  // open*/creat/chmod/fchmod/fchmodat/mkdir* mode.
  std::uint32_t mode = 0;
  // open*: the path as passed; unlink*, rmdir, mkdir*, chmod, fchmodat, chdir, chroot: the path;
  // rename*: old path; link*: old path (existing file); symlink*: target (what the link points to);
  // mount: source (device); umount2: target; memfd_create: name; execve*: filename as passed;
  // init_module: "" (image in memory).
  std::string path;
  // rename*: new path; link*: new path (the new link); symlink*: link path (the new link);
  // mount: target (mount point).
  std::string path2;
  // open*: the resolved absolute path of the opened file (fd name) when the probe knows it.
  std::string resolved_path;
  // mount: filesystem type; init/finit_module: module parameters (uargs).
  std::string fstype;
  // socket: domain, type (without SOCK_NONBLOCK/SOCK_CLOEXEC), protocol.
  std::uint32_t domain = 0;
  std::uint32_t sock_type = 0;
  std::uint32_t protocol = 0;
  // connect/accept*/bind/listen/sendto/sendmsg/recvfrom/recvmsg: the tuple.
  SocketTuple tuple;
  // ptrace: request (PTRACE_*) and target pid; kill: signal and target pid.
  std::int64_t request = 0;
  std::int64_t target_pid = 0;
  // setuid/setreuid/setresuid/setfsuid: uid (and real/saved for the multi-id calls);
  // setgid family: the same for gids. -1 (as uint32 max) = unchanged.
  std::uint32_t new_uid = UINT32_MAX;
  std::uint32_t new_ruid = UINT32_MAX;
  std::uint32_t new_suid = UINT32_MAX;
  std::uint32_t new_gid = UINT32_MAX;
  std::uint32_t new_rgid = UINT32_MAX;
  std::uint32_t new_sgid = UINT32_MAX;
  // capset: the new capability sets.
  Capabilities new_caps;
  // prctl: option and arguments; arg2_str for PR_SET_NAME.
  std::int64_t option = 0;
  std::uint64_t arg2 = 0;
  std::string arg2_str;
  // clone/clone3/fork/vfork: the child's pid and tid (also the `ret` in the parent).
  std::int64_t child_pid = 0;
  std::int64_t child_tid = 0;
  // setns: nstype; unshare: flags (in `flags`).
  std::uint64_t nstype = 0;
  // procexit: exit status and terminating signal.
  std::int64_t exit_status = 0;
  std::int64_t signal = 0;
};

struct Event {
  std::uint64_t ts_ns = 0;  // wall clock, ns since the epoch
  EventType type = EventType::unknown;
  Direction dir = Direction::exit;
  // Syscall return value: >= 0 success (fd, pid, bytes), < 0 is -errno.
  std::int64_t ret = 0;
  std::uint32_t cpu = 0;

  // The thread that made the call.
  std::int64_t pid = 0;                 // thread group id (process id)
  std::int64_t tid = 0;                 // thread id
  std::int64_t ppid = 0;                // parent's pid
  std::uint32_t uid = 0;                // effective uid
  std::uint32_t gid = 0;                // effective gid
  std::uint32_t loginuid = UINT32_MAX;  // audit login uid; UINT32_MAX = unset
  Capabilities caps;
  std::uint64_t cgroup_id = 0;  // cgroup v2 id (kernfs inode)
  // The cgroup path used to find the container id: the v2 path, or on cgroup v1
  // a representative subsystem path (cpu, memory or pids). Empty when unknown;
  // the state then falls back to the pid's last known cgroup.
  std::string cgroup;
  std::uint64_t mnt_ns = 0;  // mount namespace inode
  std::uint64_t pid_ns = 0;  // pid namespace inode (0 = unknown)
  std::string comm;          // task comm (max 15 chars)

  // execve/execveat (exit, successful) and procinfo.
  std::optional<ExecInfo> exec;
  Args args;

  // Resets to defaults while keeping allocated capacity where possible.
  void clear();
  [[nodiscard]] bool failed() const noexcept { return ret < 0; }
};

}  // namespace bulwark::runtime
