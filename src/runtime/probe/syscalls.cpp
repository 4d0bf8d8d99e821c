#include "runtime/probe/syscalls.hpp"

#include <sys/syscall.h>

namespace bulwark::runtime::probe {

const std::vector<std::pair<std::uint32_t, EventType>>& decoded_syscalls() noexcept {
  static const std::vector<std::pair<std::uint32_t, EventType>> table = {
      {SYS_open, EventType::open},
      {SYS_openat, EventType::openat},
      {SYS_openat2, EventType::openat2},
      {SYS_creat, EventType::creat},
      {SYS_close, EventType::close},
      {SYS_connect, EventType::connect},
      {SYS_accept, EventType::accept},
      {SYS_accept4, EventType::accept4},
      {SYS_bind, EventType::bind},
      {SYS_listen, EventType::listen},
      {SYS_socket, EventType::socket},
      {SYS_sendto, EventType::sendto},
      {SYS_sendmsg, EventType::sendmsg},
      {SYS_ptrace, EventType::ptrace},
      {SYS_setuid, EventType::setuid},
      {SYS_setgid, EventType::setgid},
      {SYS_setreuid, EventType::setreuid},
      {SYS_setregid, EventType::setregid},
      {SYS_setresuid, EventType::setresuid},
      {SYS_setresgid, EventType::setresgid},
      {SYS_setfsuid, EventType::setfsuid},
      {SYS_setfsgid, EventType::setfsgid},
      {SYS_capset, EventType::capset},
      {SYS_prctl, EventType::prctl},
      {SYS_setsid, EventType::setsid},
      {SYS_setpgid, EventType::setpgid},
      {SYS_mount, EventType::mount},
      {SYS_umount2, EventType::umount2},
      {SYS_unlink, EventType::unlink},
      {SYS_unlinkat, EventType::unlinkat},
      {SYS_rename, EventType::rename},
      {SYS_renameat, EventType::renameat},
      {SYS_renameat2, EventType::renameat2},
      {SYS_symlink, EventType::symlink},
      {SYS_symlinkat, EventType::symlinkat},
      {SYS_link, EventType::link},
      {SYS_linkat, EventType::linkat},
      {SYS_chmod, EventType::chmod},
      {SYS_fchmod, EventType::fchmod},
      {SYS_fchmodat, EventType::fchmodat},
      {SYS_mkdir, EventType::mkdir},
      {SYS_mkdirat, EventType::mkdirat},
      {SYS_rmdir, EventType::rmdir},
      {SYS_chdir, EventType::chdir},
      {SYS_fchdir, EventType::fchdir},
      {SYS_chroot, EventType::chroot},
      {SYS_memfd_create, EventType::memfd_create},
      {SYS_init_module, EventType::init_module},
      {SYS_finit_module, EventType::finit_module},
      {SYS_dup, EventType::dup},
      {SYS_dup2, EventType::dup2},
      {SYS_dup3, EventType::dup3},
      {SYS_fcntl, EventType::fcntl},
      {SYS_setns, EventType::setns},
      {SYS_unshare, EventType::unshare},
      {SYS_userfaultfd, EventType::userfaultfd},
      {SYS_kill, EventType::kill},
      {SYS_recvfrom, EventType::recvfrom},
      {SYS_recvmsg, EventType::recvmsg},
  };
  return table;
}

std::optional<EventType> event_type_for_syscall(std::uint32_t nr) noexcept {
  for (const auto& [n, type] : decoded_syscalls()) {
    if (n == nr) return type;
  }
  return std::nullopt;
}

std::vector<std::uint32_t> syscalls_for(EventType type) {
  std::vector<std::uint32_t> out;
  for (const auto& [n, t] : decoded_syscalls()) {
    if (t == type) out.push_back(n);
  }
  return out;
}

std::set<std::uint32_t> syscall_filter(const std::set<EventType>& types) {
  std::set<std::uint32_t> out;
  for (const auto& [n, t] : decoded_syscalls()) {
    if (types.empty() || types.contains(t)) out.insert(n);
  }
  return out;
}

}  // namespace bulwark::runtime::probe
