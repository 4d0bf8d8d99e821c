// SBOM readers: CycloneDX JSON (1.2 - 1.6) and SPDX 2.x JSON, for `bulwark sbom-scan`.
//
// An SBOM names packages by purl; that is all matching needs. Each component or
// SPDX package with a purl becomes a core::Package (ecosystem, name and version as
// the advisory databases spell them: "group:artifact" for Maven, the module path for
// Go, "@scope/name" for npm; deb purls' upstream=SRC[@VER] qualifier gives the source
// package). The OS comes from a CycloneDX "operating-system" component or an SPDX
// package whose purpose is OPERATING-SYSTEM, else from the first OS purl's distro
// qualifier ("debian-11", "alpine-3.19.1"). SBOMs are untrusted input: size, nesting
// depth and component count are bounded, and every problem names the file.
#pragma once

#include <filesystem>
#include <string_view>

#include "core/context.hpp"
#include "core/diagnostics.hpp"
#include "core/model.hpp"
#include "util/error.hpp"

namespace bulwark::sbom {

inline constexpr std::size_t kMaxSbomComponents = 2'000'000;

// Reads the file (bounded by limits.max_document_bytes) and parses it. Components
// without a purl, or with one that cannot be parsed, are skipped with a warning in diags.
[[nodiscard]] Result<core::ScanResult> read_sbom(const std::filesystem::path& path, const core::Limits& limits,
                                                 core::Diagnostics& diags);

// The same on text already in memory; `name` is used in messages and as the target name.
[[nodiscard]] Result<core::ScanResult> parse_sbom(std::string_view text, std::string_view name,
                                                  const core::Limits& limits, core::Diagnostics& diags);

// A package from a purl: ecosystem, name, version (and source package, arch, epoch where
// the purl says). Fails on malformed purls.
[[nodiscard]] Result<core::Package> package_from_purl(std::string_view purl);

}  // namespace bulwark::sbom
