// Reports: bulwark's own JSON shape (docs/formats/json.md), readable tables, and
// SARIF 2.1.0 for code-scanning services. All of them take any scanner's findings.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/model.hpp"
#include "util/error.hpp"

namespace bulwark::report {

// A benchmark score (`bulwark host`): counts of findings by status, and
// percent = passed / (passed + failed) of automated checks.
struct ScoreSummary {
  std::string benchmark;  // "cis-docker-1.6.0"
  std::uint64_t passed = 0;
  std::uint64_t failed = 0;
  std::uint64_t warned = 0;
  std::uint64_t manual = 0;
  std::uint64_t skipped = 0;
  std::uint64_t info = 0;
  double percent = 0;
};

struct JsonOptions {
  std::string tool_version;
  bool include_packages = false;  // `sbom --format json` lists packages too
  bool include_passed = false;
  std::optional<ScoreSummary> score;  // written as "score" when set
  // NetworkPolicy reachability (`bulwark config`), written as "reachability" when set.
  std::optional<nlohmann::json> reachability;
};

[[nodiscard]] std::string write_json(const std::vector<core::ScanResult>& results, const JsonOptions& options);

// A bulwark/v1 document read back into results (the server evaluates uploads against a named
// policy with apply_policy): each target with its image identity (tags, digests: what VEX
// products name) and the findings that name it (else the first target), with what the policy
// reads of them: id, severity, status, package (name, version, ecosystem, purl, source),
// vulnerability (id, aliases, fixed version, state), location path, standards, fingerprint and
// any suppression. Members of the wrong type are read as absent; unknown severities as unknown.
struct ReadResults {
  std::vector<core::ScanResult> results;
  // Per result: targets[].vulnerability_coverage.complete was false (packages left unchecked).
  std::vector<bool> coverage_incomplete;
};
// Fails (ErrorCode::parse / limit) when the text is not JSON, nested deeper than max_depth, or not
// a bulwark/v1 document with a "targets" array.
[[nodiscard]] Result<ReadResults> read_json(std::string_view document, std::uint32_t max_depth = 64);

struct SarifOptions {
  std::string tool_version;
  bool include_passed = false;  // passed checks become results of kind "pass"
  // Absolute finding paths under this folder are written relative to it (code
  // scanning wants paths relative to the repository root). Other absolute paths
  // lose their leading '/': they name a file in the scanned image or host.
  std::string source_root;
  // runs[0].automationDetails.id, the "category" GitHub keeps separate analyses by
  // ("bulwark/image/app"); left out when empty.
  std::string category;
};

// One SARIF 2.1.0 run for all results: tool.driver.rules holds one rule per distinct
// finding id (shortDescription, help = remediation, tags = "security" + practice,
// properties."security-severity" as GitHub grades it); each finding is a result
// with ruleId/ruleIndex, level (critical/high: error, medium: warning, others:
// note), a message, one physical location (a file and line where the finding has
// one; else the package's database or manifest path, else the target) plus a
// logical location naming the package, and partialFingerprints for de-duplication
// across runs. Suppressed findings (policy: ignore file, VEX) carry "suppressions".
[[nodiscard]] std::string write_sarif(const std::vector<core::ScanResult>& results, const SarifOptions& options);

// A package table: NAME VERSION SOURCE ARCH TYPE LAYER, with a first line naming
// target, OS and package count. Strings from the scanned target are passed
// through util::printable; colour (bold headers) only when `color` is true.
[[nodiscard]] std::string package_table(const core::ScanResult& result, bool color);

// The same fitted to a terminal: OS packages first, then language packages, local modules whose
// version is "(devel)" last; a LOCATION column (the file a package was found in) for the packages
// whose name appears more than once, where it tells them apart; and, when width > 0, the widest
// columns shortened in the middle ("github.com/o...pkg/v2") until each line fits in width columns.
struct TableOptions {
  bool color = false;
  std::size_t width = 0;  // 0: no limit
};
[[nodiscard]] std::string package_table(const core::ScanResult& result, const TableOptions& options);

// A findings table: ID SEVERITY PACKAGE/LOCATION TITLE, most severe first.
// Severities are coloured only when `color` is true. Findings suppressed by policy
// are left out, with one closing line counting them.
[[nodiscard]] std::string findings_table(const std::vector<core::Finding>& findings, bool color);

// Any table in the same style (bold headers when `color`); cells pass through util::printable.
[[nodiscard]] std::string plain_table(const std::vector<std::string>& header,
                                      const std::vector<std::vector<std::string>>& rows, bool color);

}  // namespace bulwark::report
