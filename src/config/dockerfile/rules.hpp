// The Dockerfile checks (checks/dockerfile.yaml holds their ids, titles, severities,
// standards and examples; this file holds the logic that decides where they fire).
//
// Each hit names its check id, the instruction's line and column, evidence, and, when
// one bulwark check covers several controls of another tool (e.g. yum, dnf and zypper
// in one check), the subset of `standards` ids that apply to this hit.
#pragma once

#include "config/dockerfile/model.hpp"

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace bulwark::config::dockerfile {

struct RuleHit {
  std::string check_id;
  int line = 0;
  int column = 0;
  std::string evidence;
  std::vector<std::string> only_standards;  // empty: all of the check's standards apply
};

struct RuleOptions {
  // Registries (host names, "docker.io" for Docker Hub) base images may come from; empty: no policy.
  std::vector<std::string> trusted_registries;
  bool honour_pragmas = true;  // `# hadolint ignore=…` and `# bulwark ignore=…`
  // The ids of the other tools' controls a check stands for (for `# hadolint ignore=DL3008`).
  std::function<std::vector<std::string>(std::string_view check_id)> standard_ids;
};

[[nodiscard]] std::vector<RuleHit> run_rules(const Dockerfile& df, const RuleOptions& options);

// Image reference parts, as Docker normalises them: registry "docker.io" for Hub names.
struct ImageRef {
  std::string registry;
  std::string repository;
  std::string tag;
  std::string digest;
};
[[nodiscard]] ImageRef parse_image_ref(std::string_view ref);

// BuildKit's SecretsUsedInArgOrEnv name test (also used for image configs).
[[nodiscard]] bool is_secret_name(std::string_view name);

}  // namespace bulwark::config::dockerfile
