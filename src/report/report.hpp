// Reports in bulwark's own formats: the one JSON shape (docs/formats/json.md)
// and readable tables. SARIF comes with the scanners that produce findings.
#pragma once

#include <string>
#include <vector>

#include "core/model.hpp"

namespace bulwark::report {

struct JsonOptions {
  std::string tool_version;
  bool include_packages = false;  // `sbom --format json` lists packages too
  bool include_passed = false;
};

[[nodiscard]] std::string write_json(const std::vector<core::ScanResult>& results, const JsonOptions& options);

// A package table: NAME VERSION SOURCE ARCH TYPE LAYER, with a header line naming target and OS.
[[nodiscard]] std::string package_table(const core::ScanResult& result, bool color);

}  // namespace bulwark::report
