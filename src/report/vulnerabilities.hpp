// The vulnerability table `bulwark image|rootfs|sbom-scan` print by default.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/coverage.hpp"
#include "core/model.hpp"
#include "report/report.hpp"

namespace bulwark::report {

// A first line naming the target, OS, package and vulnerability counts (by severity),
// then one row per vulnerability finding: PACKAGE INSTALLED FIXED STATE SEVERITY ID
// LAYER, in the order of result.findings. Other findings are not listed.
// When the coverage is incomplete, the vulnerability table says so in place of (or after)
// its findings: "No known vulnerabilities." is printed only when every package was checked.
[[nodiscard]] std::string vulnerability_table(const core::ScanResult& result, bool color,
                                              const core::VulnCoverage* coverage = nullptr);

// "Base image: NAME@DIGEST (from the manifest annotations)\n" when the image states its base
// (ImageInfo::base_name/base_digest); empty otherwise. The table's second line.
[[nodiscard]] std::string base_image_line(const core::ScanResult& result);

// The sentence the reports use for an incomplete vulnerability coverage: "102 of 102 packages
// were NOT checked for vulnerabilities (no vulnerability data): 102 rpm packages: the database
// has no advisories for ecosystem Amazon Linux:2023". Empty when the coverage is complete.
[[nodiscard]] std::string coverage_gap_text(const core::VulnCoverage& coverage);

// write_json and write_sarif with each result's vulnerability coverage (coverage[i] for
// results[i]; nullopt where no vulnerability scan ran): JSON adds targets[i].vulnerability_coverage,
// SARIF a tool execution notification for each incomplete one.
using Coverages = std::vector<std::optional<core::VulnCoverage>>;
[[nodiscard]] std::string write_json(const std::vector<core::ScanResult>& results, const JsonOptions& options,
                                     const Coverages& coverage);
[[nodiscard]] std::string write_sarif(const std::vector<core::ScanResult>& results, const SarifOptions& options,
                                      const Coverages& coverage);

}  // namespace bulwark::report
