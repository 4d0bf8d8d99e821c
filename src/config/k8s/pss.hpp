// Pod Security Standards (baseline and restricted) evaluated over a PodSpec as
// parsed by yaml-cpp, versioned like Kubernetes' pod-security admission: each
// check applies from the Kubernetes version that introduced it, and some checks
// change their allowed values at later versions (sysctls, procMount, seLinux,
// Windows exemptions, user-namespace relaxations). Kubernetes' own pass/fail
// fixtures for every version are the conformance target (pss_test.cpp).
//
// The evaluator never throws and accepts any YAML shape: a field of the wrong type
// counts as absent, as the API server would have rejected it before admission.
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace bulwark::config::k8s::pss {

enum class Level { baseline, restricted };
[[nodiscard]] std::string_view to_string(Level level) noexcept;
[[nodiscard]] std::optional<Level> parse_level(std::string_view text) noexcept;

// A policy version, "v1.N". Only 1.x exists.
struct Version {
  int minor = 0;
  friend auto operator<=>(const Version&, const Version&) = default;
};
// The newest version whose rules this evaluator knows; later versions evaluate like it.
inline constexpr Version kLatest{37};
// "latest", "v1.33", "1.33"; nullopt for anything else.
[[nodiscard]] std::optional<Version> parse_version(std::string_view text) noexcept;
[[nodiscard]] std::string to_string(Version version);

// One PSS check, as upstream names it (the pod-security admission check id).
struct CheckInfo {
  std::string_view id;       // "hostNamespaces", "capabilities_restricted", ...
  Level level;               // the level that introduces it; restricted includes baseline
  Version since;             // first policy version it applies to
  std::string_view control;  // the control's name on the PSS page: "Host Namespaces"
};
[[nodiscard]] std::span<const CheckInfo> checks() noexcept;
[[nodiscard]] const CheckInfo* find_check(std::string_view id) noexcept;

struct Violation {
  const CheckInfo* check = nullptr;
  std::string reason;  // short, as upstream's forbidden reason: "host namespaces"
  std::string detail;  // what was found: `hostNetwork=true`, `container "app" ...`
  YAML::Mark mark;     // where the first offending node (or its nearest parent) is; null when unknown
};

// The checks in force for `level` at `version` (restricted: baseline's too).
[[nodiscard]] std::vector<const CheckInfo*> checks_in_force(Level level, Version version);

// Every violated check in force for `level` at `version`, one Violation per check.
// `metadata` is the pod's metadata (for the legacy seccomp and AppArmor
// annotations); `spec` the PodSpec.
[[nodiscard]] std::vector<Violation> evaluate(const YAML::Node& metadata, const YAML::Node& spec, Level level,
                                              Version version);

}  // namespace bulwark::config::k8s::pss
