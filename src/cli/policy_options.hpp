// The policy flags every command that reports findings takes (report/policy.hpp):
//   --severity LIST|MIN   --fail-on SEVERITY   --exit-code N   --ignore-unfixed
//   --ignorefile PATH (repeatable; YAML or .trivyignore)   --vex PATH (repeatable)
// Like Trivy, ./.trivyignore is read when no --ignorefile is given (with a note on
// stderr, so it is never silent); --ignorefile "" turns that off.
// A command adds them with add_policy_options, runs apply_policy_and_warn on its
// results before writing the report, and sets
//   exit_code = outcome.failing > 0 ? opts.exit_code : 0;
#pragma once

#include <CLI/CLI.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "core/model.hpp"
#include "report/policy.hpp"

namespace bulwark::cli {

using PolicyOptions = report::PolicyOptions;

// What a command reports decides which flags act on it: --ignore-unfixed and --vex act on
// vulnerabilities only, so commands that report checks alone do not offer them.
enum class PolicyFindings { vulnerabilities, checks_only };

void add_policy_options(CLI::App& cmd, PolicyOptions& opts, PolicyFindings findings = PolicyFindings::vulnerabilities);

// Parses "--severity": one name is a minimum ("high": high and critical); a comma
// list is the exact set ("critical,low"). Names are case-insensitive.
// Returns an error message, or empty when the text was valid.
[[nodiscard]] std::string parse_severity_option(const std::string& text, PolicyOptions& opts);

inline constexpr const char* kDefaultIgnoreFile = ".trivyignore";

// The ignore files to read: those --ignorefile named (empty names dropped), else
// .trivyignore when cwd holds one (printing a note on stderr), else none.
[[nodiscard]] std::vector<std::string> effective_ignore_files(const PolicyOptions& opts,
                                                              const std::filesystem::path& cwd);

// Applies the policy (with effective_ignore_files) and prints its warnings (expired ignore entries, unusable VEX
// statements) on stderr as "bulwark: warning: ...".
[[nodiscard]] Result<report::PolicyOutcome> apply_policy_and_warn(std::vector<core::ScanResult>& results,
                                                                  const PolicyOptions& opts);

}  // namespace bulwark::cli
