// The vulnerability table `bulwark image|rootfs|sbom-scan` print by default.
#pragma once

#include <string>

#include "core/model.hpp"

namespace bulwark::report {

// A first line naming the target, OS, package and vulnerability counts (by severity),
// then one row per vulnerability finding: PACKAGE INSTALLED FIXED STATE SEVERITY ID
// LAYER, in the order of result.findings. Other findings are not listed.
[[nodiscard]] std::string vulnerability_table(const core::ScanResult& result, bool color);

}  // namespace bulwark::report
