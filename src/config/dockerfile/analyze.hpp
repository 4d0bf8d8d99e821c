// Helpers of the Dockerfile analyzer that tests and the image-config checks share.
#pragma once

#include "config/dockerfile/rules.hpp"
#include "core/diagnostics.hpp"
#include "util/error.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace bulwark::config::dockerfile {

// The trusted-registries policy file (`bulwark config --trusted-registries FILE`):
// YAML `{registries: [docker.io, ghcr.io, "*.example.com"], require_digest: true}`, a YAML
// list, or plain text with one registry per line (# comments). With a policy, FROM
// images must come from a listed registry (BW-DF-005) and, when require_digest is true
// (the default), be pinned by digest (BW-DF-004).
struct TrustPolicy {
  std::vector<std::string> registries;
  bool require_digest = true;
};
[[nodiscard]] Result<TrustPolicy> load_trust_policy(const std::string& path);

// Parses and checks one Dockerfile; parse errors become diagnostics naming path:line.
[[nodiscard]] std::vector<RuleHit> check_text(std::string_view path, std::string_view text, const RuleOptions& options,
                                              core::Diagnostics& diags);

}  // namespace bulwark::config::dockerfile
