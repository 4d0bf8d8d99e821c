// Least privilege learned from behaviour (`bulwark monitor --learn`): the
// syscalls, capabilities and connections one container used, written as a
// Docker seccomp profile, a capability list and a draft Kubernetes NetworkPolicy.
//
// Syscalls come from the probe's per-cgroup bitmap (every syscall, not only the
// rules' ones). Capabilities are inferred from syscalls and their arguments:
// tracepoints do not see the kernel's capability checks, so capabilities that
// guard plain file access (DAC_OVERRIDE, FOWNER, FSETID) cannot be learned.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/events/event.hpp"

namespace bulwark::runtime::probe {

// "read", "openat", ...; empty for numbers the x86_64 table does not name.
[[nodiscard]] std::string_view syscall_name(std::uint32_t nr) noexcept;

struct LearnedPeer {
  bool egress = true;  // connect/sendto: egress; accept/listen: ingress
  std::uint32_t family = 0;
  std::string address;  // "10.0.0.5"; empty for ingress listeners
  std::uint16_t port = 0;
  std::uint32_t l4proto = 0;
  auto operator<=>(const LearnedPeer&) const = default;
};

class Learner {
 public:
  // An event made by the learned container.
  void observe(const Event& ev);
  // `allowed`: every syscall the profile must allow; `workload`: the ones the
  // workload made itself (capabilities are inferred from these only).
  void add_syscalls(const std::vector<std::uint32_t>& allowed, const std::vector<std::uint32_t>& workload);

  // Syscall names observed, plus those a process needs to end and handle signals
  // (exit and exit_group never return, so a syscall-exit hook never sees them).
  [[nodiscard]] std::set<std::string> syscalls() const;
  // CAP_* names (without the prefix) inferred from the behaviour.
  [[nodiscard]] std::set<std::string> capabilities() const;
  [[nodiscard]] const std::set<LearnedPeer>& peers() const noexcept { return peers_; }
  [[nodiscard]] std::size_t events() const noexcept { return events_; }

  // A profile for `docker run --security-opt seccomp=FILE`: deny by default with EPERM.
  [[nodiscard]] nlohmann::json seccomp_profile() const;
  // "--cap-drop ALL --cap-add X ..." plus one capability per line, with why.
  [[nodiscard]] std::string capabilities_text() const;
  // A draft NetworkPolicy for a pod labelled app=<name>.
  [[nodiscard]] std::string network_policy_yaml(std::string_view name) const;

 private:
  std::set<std::uint32_t> syscall_numbers_;
  std::set<std::pair<std::string, std::string>> cap_reasons_;  // (capability, why)
  std::set<LearnedPeer> peers_;
  std::size_t events_ = 0;
};

}  // namespace bulwark::runtime::probe
