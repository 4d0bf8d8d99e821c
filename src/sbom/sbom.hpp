// SBOM writers: CycloneDX 1.5 JSON and SPDX 2.3 JSON from a ScanResult.
// Readers (for `bulwark sbom-scan`) come with the vulnerability issue.
#pragma once

#include <string>

#include "core/model.hpp"

namespace bulwark::sbom {

struct WriteOptions {
  std::string tool_version;
  std::string timestamp;  // RFC 3339; empty = now (tests pass a fixed one)
};

[[nodiscard]] std::string write_cyclonedx(const core::ScanResult& result, const WriteOptions& options);
[[nodiscard]] std::string write_spdx(const core::ScanResult& result, const WriteOptions& options);

}  // namespace bulwark::sbom
