// RBAC analyses shared by the checks (rbac.cpp) and `bulwark rbac`: which service-account
// tokens a container can use, and whether a subject is risky (KubiScan's notion: it holds a
// right whose check is high or critical, or it is cluster-admin equivalent).
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "config/k8s/objects.hpp"
#include "config/k8s/rbac_model.hpp"

namespace bulwark::config::k8s::rbac {

struct ContainerToken {
  std::string container;
  core::Location location;
  std::vector<std::pair<Subject, std::string>> tokens;  // service account, how the token gets there
};

// Per container of a workload: the automounted token of the pod's service account (unless
// automount is off or another volume shadows its path), service-account-token Secrets mounted
// as volumes, and projected serviceAccountToken volumes.
[[nodiscard]] std::vector<ContainerToken> container_tokens(const Model& m, const Object& workload);

[[nodiscard]] bool risky_subject(const Model& m, const Subject& s, const std::map<Subject, Escalation>& esc,
                                 std::vector<std::string>* why = nullptr);

}  // namespace bulwark::config::k8s::rbac
