#include "runtime/probe/learn.hpp"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <map>

#include <fmt/format.h>

namespace bulwark::runtime::probe {
namespace {

struct NamedSyscall {
  std::uint32_t nr;
  const char* name;
};

constexpr NamedSyscall kSyscalls[] = {
#include "syscall_names.inc"
};

// Syscalls that need a capability whatever their arguments.
const std::map<std::string_view, std::string_view>& capability_syscalls() {
  static const std::map<std::string_view, std::string_view> table = {
      {"chown", "CHOWN"},
      {"fchown", "CHOWN"},
      {"lchown", "CHOWN"},
      {"fchownat", "CHOWN"},
      {"setuid", "SETUID"},
      {"setreuid", "SETUID"},
      {"setresuid", "SETUID"},
      {"setfsuid", "SETUID"},
      {"setgid", "SETGID"},
      {"setregid", "SETGID"},
      {"setresgid", "SETGID"},
      {"setfsgid", "SETGID"},
      {"setgroups", "SETGID"},
      {"chroot", "SYS_CHROOT"},
      {"mknod", "MKNOD"},
      {"mknodat", "MKNOD"},
      {"mount", "SYS_ADMIN"},
      {"umount2", "SYS_ADMIN"},
      {"pivot_root", "SYS_ADMIN"},
      {"sethostname", "SYS_ADMIN"},
      {"setdomainname", "SYS_ADMIN"},
      {"init_module", "SYS_MODULE"},
      {"finit_module", "SYS_MODULE"},
      {"delete_module", "SYS_MODULE"},
      {"ptrace", "SYS_PTRACE"},
      {"process_vm_readv", "SYS_PTRACE"},
      {"process_vm_writev", "SYS_PTRACE"},
      {"capset", "SETPCAP"},
      {"settimeofday", "SYS_TIME"},
      {"clock_settime", "SYS_TIME"},
      {"adjtimex", "SYS_TIME"},
      {"reboot", "SYS_BOOT"},
      {"acct", "SYS_PACCT"},
      {"swapon", "SYS_ADMIN"},
      {"swapoff", "SYS_ADMIN"},
      {"iopl", "SYS_RAWIO"},
      {"ioperm", "SYS_RAWIO"},
  };
  return table;
}

std::string address_string(std::uint32_t family, const Endpoint& e) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (family == kAfInet) {
    ::inet_ntop(AF_INET, e.addr.data(), buf, sizeof(buf));
  } else if (family == kAfInet6) {
    ::inet_ntop(AF_INET6, e.addr.data(), buf, sizeof(buf));
  }
  return buf;
}

}  // namespace

std::string_view syscall_name(std::uint32_t nr) noexcept {
  for (const auto& s : kSyscalls) {
    if (s.nr == nr) return s.name;
  }
  return {};
}

void Learner::add_syscalls(const std::vector<std::uint32_t>& allowed, const std::vector<std::uint32_t>& workload) {
  syscall_numbers_.insert(allowed.begin(), allowed.end());
  for (auto nr : workload) {
    syscall_numbers_.insert(nr);
    auto name = syscall_name(nr);
    if (auto it = capability_syscalls().find(name); it != capability_syscalls().end()) {
      cap_reasons_.emplace(std::string(it->second), fmt::format("{}()", name));
    }
  }
}

void Learner::observe(const Event& ev) {
  ++events_;
  const Args& a = ev.args;
  switch (ev.type) {
    case EventType::socket:
      if (ev.ret < 0) break;
      if (a.domain == kAfPacket) cap_reasons_.emplace("NET_RAW", "socket(AF_PACKET)");
      // Raw netlink sockets (getaddrinfo, ip) need no capability; raw IP sockets do.
      if (a.sock_type == SOCK_RAW && (a.domain == kAfInet || a.domain == kAfInet6)) {
        cap_reasons_.emplace("NET_RAW", "socket(SOCK_RAW)");
      }
      break;
    case EventType::bind:
      if (ev.ret == 0 && (a.tuple.family == kAfInet || a.tuple.family == kAfInet6) && a.tuple.server.port != 0 &&
          a.tuple.server.port < 1024) {
        cap_reasons_.emplace("NET_BIND_SERVICE", fmt::format("bind(port {})", a.tuple.server.port));
      }
      break;
    case EventType::connect:
    case EventType::sendto:
      if ((ev.ret == 0 || ev.ret == -115 /* EINPROGRESS */) &&
          (a.tuple.family == kAfInet || a.tuple.family == kAfInet6) && a.tuple.server.port != 0) {
        LearnedPeer p{true, a.tuple.family, address_string(a.tuple.family, a.tuple.server), a.tuple.server.port,
                      a.tuple.l4proto};
        if (p.address != "127.0.0.1" && p.address != "::1") peers_.insert(std::move(p));
      }
      break;
    case EventType::listen:
      if (ev.ret == 0 && (a.tuple.family == kAfInet || a.tuple.family == kAfInet6)) {
        peers_.insert(LearnedPeer{false, a.tuple.family, {}, a.tuple.server.port, a.tuple.l4proto});
      }
      break;
    case EventType::accept:
    case EventType::accept4:
      if (ev.ret >= 0 && (a.tuple.family == kAfInet || a.tuple.family == kAfInet6)) {
        peers_.insert(LearnedPeer{false, a.tuple.family, {}, a.tuple.server.port, a.tuple.l4proto});
      }
      break;
    default: break;
  }
}

std::set<std::string> Learner::syscalls() const {
  std::set<std::string> names = {"exit", "exit_group", "rt_sigreturn", "restart_syscall"};
  for (auto nr : syscall_numbers_) {
    auto n = syscall_name(nr);
    if (!n.empty()) names.emplace(n);
  }
  return names;
}

std::set<std::string> Learner::capabilities() const {
  std::set<std::string> caps;
  for (const auto& [cap, why] : cap_reasons_) caps.insert(cap);
  return caps;
}

nlohmann::json Learner::seccomp_profile() const {
  nlohmann::json names = nlohmann::json::array();
  for (const auto& n : syscalls()) names.push_back(n);
  return {
      {"defaultAction", "SCMP_ACT_ERRNO"},
      {"defaultErrnoRet", 1},
      {"architectures", {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}},
      {"syscalls", nlohmann::json::array({{{"names", names}, {"action", "SCMP_ACT_ALLOW"}}})},
  };
}

std::string Learner::capabilities_text() const {
  std::string flags = "--cap-drop ALL";
  for (const auto& c : capabilities()) flags += " --cap-add " + c;
  std::string out = "# Capabilities inferred from the syscalls and arguments observed (bulwark monitor --learn).\n";
  out += "# Capabilities checked on plain file access (DAC_OVERRIDE, FOWNER, FSETID) are not observable\n";
  out += "# from tracepoints: add them if the workload fails with EACCES or EPERM on files.\n";
  out += "# docker run " + flags + " ...\n";
  std::map<std::string, std::vector<std::string>> by_cap;
  for (const auto& [cap, why] : cap_reasons_) by_cap[cap].push_back(why);
  for (const auto& [cap, whys] : by_cap) {
    std::string reasons;
    for (const auto& w : whys) reasons += (reasons.empty() ? "" : ", ") + w;
    out += fmt::format("CAP_{}\t# {}\n", cap, reasons);
  }
  return out;
}

std::string Learner::network_policy_yaml(std::string_view name) const {
  std::string out;
  out += "# Draft NetworkPolicy from the connections observed (bulwark monitor --learn); review before use.\n";
  out += "# DNS lookups through the node's resolver show up as port 53 egress.\n";
  out += "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n";
  out += fmt::format("  name: {}-learned\nspec:\n  podSelector:\n    matchLabels:\n      app: {}\n", name, name);
  out += "  policyTypes: [Ingress, Egress]\n";
  auto proto = [](std::uint32_t p) { return p == 17 ? "UDP" : "TCP"; };
  out += "  ingress:\n";
  bool any_in = false;
  for (const auto& p : peers_) {
    if (p.egress) continue;
    any_in = true;
    out += fmt::format("    - ports:\n        - protocol: {}\n          port: {}\n", proto(p.l4proto), p.port);
  }
  if (!any_in) out.replace(out.size() - std::string_view("  ingress:\n").size(), std::string::npos, "  ingress: []\n");
  out += "  egress:\n";
  bool any_out = false;
  for (const auto& p : peers_) {
    if (!p.egress) continue;
    any_out = true;
    std::string cidr = p.address + (p.family == kAfInet6 ? "/128" : "/32");
    out += fmt::format(
        "    - to:\n        - ipBlock:\n            cidr: {}\n      ports:\n        - protocol: {}\n"
        "          port: {}\n",
        cidr, proto(p.l4proto), p.port);
  }
  if (!any_out) out.replace(out.size() - std::string_view("  egress:\n").size(), std::string::npos, "  egress: []\n");
  return out;
}

}  // namespace bulwark::runtime::probe
