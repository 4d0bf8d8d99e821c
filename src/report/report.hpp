// Reports in bulwark's own formats: the one JSON shape (docs/formats/json.md)
// and readable tables. SARIF comes with the scanners that produce findings.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/model.hpp"

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
};

[[nodiscard]] std::string write_json(const std::vector<core::ScanResult>& results, const JsonOptions& options);

// A package table: NAME VERSION SOURCE ARCH TYPE LAYER, with a first line naming
// target, OS and package count. Strings from the scanned target are passed
// through util::printable; colour (bold headers) only when `color` is true.
[[nodiscard]] std::string package_table(const core::ScanResult& result, bool color);

// A findings table: ID SEVERITY PACKAGE/LOCATION TITLE, most severe first.
// Severities are coloured only when `color` is true.
[[nodiscard]] std::string findings_table(const std::vector<core::Finding>& findings, bool color);

}  // namespace bulwark::report
