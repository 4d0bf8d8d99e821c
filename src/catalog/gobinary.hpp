// Go binaries: the module versions the Go toolchain (1.18 and later) writes into every
// executable it builds (the section that `go version -m` reads). The build information
// is found while the file streams past (a ContentProbe), so executables are never kept
// in memory. Reported: the Go standard library as package "stdlib" at the toolchain's
// version, the main module (unless it is "(devel)"), and every dependency, with `=>`
// replacements applied, as golang packages.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/catalog.hpp"
#include "core/filetree.hpp"

namespace bulwark::catalog {

// The probe that finds Go build information in executables (ELF files with an execute bit).
[[nodiscard]] const core::ContentProbe& go_binary_probe();

struct GoBuildInfo {
  std::string go_version;  // "go1.19.8"
  std::string main_path;   // "path" line
  std::string mod_info;    // the raw module lines
};

// Parses what the probe captured (the bytes from the "\xff Go buildinf:" magic on).
// nullopt for the pre-1.18 pointer format or malformed data.
[[nodiscard]] std::optional<GoBuildInfo> parse_go_buildinfo(std::string_view captured);

// Packages of one binary's build information.
[[nodiscard]] std::vector<core::Package> go_packages(const GoBuildInfo& info, std::string_view path);

// "go1.21.3" -> "v1.21.3", "go1.21" -> "v1.21.0", "go1.22rc1" -> "v1.22.0-rc.1".
[[nodiscard]] std::string go_toolchain_semver(std::string_view go_version);

[[nodiscard]] std::unique_ptr<Cataloger> go_binary_cataloger();

}  // namespace bulwark::catalog
