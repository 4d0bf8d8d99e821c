// Server-side policies (docs/policy.md, "Server-side policies"): a named policy is the settings
// the CLI's policy flags take (severity, fail_on, ignore_unfixed, exit_scanners, an ignore list,
// OpenVEX documents) as one JSON object, kept in the store. An upload that names one
// (POST /api/v1/reports?policy=NAME) is evaluated with report::apply_policy, the CLI's own
// policy layer, and answered with the verdict, which is stored with the report.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "report/policy.hpp"
#include "server/store.hpp"
#include "util/error.hpp"

namespace bulwark::server {

// Policy names: 1-64 of [A-Za-z0-9._-], not starting with '.' or '-'.
[[nodiscard]] bool valid_policy_name(std::string_view name) noexcept;

// A policy body: {"description", "severity": "high" | "critical,low", "fail_on", "ignore_unfixed",
// "exit_scanners": [...], "ignore": ignore-file text or a list of entries, "vex": [OpenVEX
// documents]}. Unknown keys and wrong types fail (ErrorCode::invalid_argument, naming the key);
// the ignore list and VEX documents are read as apply_policy reads them, so a malformed one fails
// here (ErrorCode::parse) rather than at the next upload.
[[nodiscard]] Result<report::PolicyOptions> parse_policy(std::string_view name, const nlohmann::json& body);

struct EvaluateOptions {
  std::size_t max_listed = 20;  // failing findings listed in the verdict
};

// Evaluates an uploaded bulwark/v1 document under a policy. Suppressions the client applied are
// set aside: the server's policy decides. The verdict fails when a finding fails the policy
// (report::fails_policy), or when a target's vulnerability scan left packages unchecked and
// "vuln" is among the exit scanners (as the CLI's --exit-code).
[[nodiscard]] Result<PolicyVerdict> evaluate_policy(std::string_view name, const report::PolicyOptions& policy,
                                                    std::string_view document, const std::string& today,
                                                    const EvaluateOptions& options = {});

}  // namespace bulwark::server
