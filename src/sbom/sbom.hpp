// SBOM writers: CycloneDX 1.5 JSON and SPDX 2.3 JSON from a ScanResult.
// Readers (for `bulwark sbom-scan`) come with the vulnerability issue.
//
// Writing cannot fail: every ScanResult has a valid document (text that is not
// valid UTF-8 is replaced by U+FFFD), so the writers return the text directly.
// Each call draws a fresh serial number / document namespace. The documents are
// validated against the official schemas by the schema test (tests/schema), and
// the choices made (bom-refs, SPDX ids, licences) are described in
// docs/formats/json.md, section "SBOM formats".
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
