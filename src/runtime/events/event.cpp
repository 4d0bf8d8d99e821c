#include "runtime/events/event.hpp"

namespace bulwark::runtime {

namespace {

// Indexed by EventType value; must follow the enum's order.
constexpr std::array<std::string_view, kEventTypeCount> kNames = {
    "unknown",      "execve",   "execveat",  "clone",     "clone3",   "fork",     "vfork",        "procexit",
    "open",         "openat",   "openat2",   "creat",     "close",    "connect",  "accept",       "accept4",
    "bind",         "listen",   "socket",    "sendto",    "sendmsg",  "ptrace",   "setuid",       "setgid",
    "setreuid",     "setregid", "setresuid", "setresgid", "setfsuid", "setfsgid", "capset",       "prctl",
    "setsid",       "setpgid",  "mount",     "umount2",   "unlink",   "unlinkat", "rename",       "renameat",
    "renameat2",    "symlink",  "symlinkat", "link",      "linkat",   "chmod",    "fchmod",       "fchmodat",
    "mkdir",        "mkdirat",  "rmdir",     "chdir",     "fchdir",   "chroot",   "memfd_create", "init_module",
    "finit_module", "dup",      "dup2",      "dup3",      "fcntl",    "setns",    "unshare",      "procinfo",
    "userfaultfd",  "kill",     "recvfrom",  "recvmsg",
};

}  // namespace

std::string_view to_string(EventType type) noexcept {
  auto i = static_cast<std::size_t>(type);
  return i < kNames.size() ? kNames[i] : std::string_view("unknown");
}

std::optional<EventType> event_type_from_name(std::string_view name) noexcept {
  for (std::size_t i = 1; i < kNames.size(); ++i) {
    if (kNames[i] == name) return static_cast<EventType>(i);
  }
  return std::nullopt;
}

void Event::clear() {
  ts_ns = 0;
  type = EventType::unknown;
  dir = Direction::exit;
  ret = 0;
  cpu = 0;
  pid = tid = ppid = 0;
  uid = gid = 0;
  loginuid = UINT32_MAX;
  caps = {};
  cgroup_id = 0;
  cgroup.clear();
  mnt_ns = pid_ns = 0;
  comm.clear();
  exec.reset();
  args = Args{};
}

}  // namespace bulwark::runtime
