// Catalogers find packages in a FileTree. Each says which files it needs
// (wants), so that image reading keeps only those; then catalog() parses them.
// OS detection (os-release and the per-distro release files) lives here too.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "core/diagnostics.hpp"
#include "core/filetree.hpp"
#include "core/model.hpp"

namespace bulwark::catalog {

class Cataloger {
 public:
  virtual ~Cataloger() = default;
  [[nodiscard]] virtual std::string_view name() const = 0;
  [[nodiscard]] virtual bool wants(std::string_view path) const = 0;
  // Problems with single records go to diags; an unreadable database is an Error.
  [[nodiscard]] virtual Result<std::vector<core::Package>> catalog(const core::FileTree& tree, const core::OsInfo& os,
                                                                   core::Diagnostics& diags) const = 0;
};

// The OS package catalogers (dpkg, apk, rpm).
[[nodiscard]] std::vector<std::unique_ptr<Cataloger>> os_catalogers();

// The files OS detection reads.
[[nodiscard]] bool os_release_wanted(std::string_view path);
[[nodiscard]] core::OsInfo detect_os(const core::FileTree& tree);

// End-of-life: a finding (practice up-to-date) when the OS is past its end of life on `today` (YYYY-MM-DD).
[[nodiscard]] std::optional<core::Finding> eol_finding(const core::OsInfo& os, std::string_view today);

// Runs every cataloger and fills purls; packages are sorted by (name, version, architecture).
[[nodiscard]] Result<std::vector<core::Package>> catalog_all(const core::FileTree& tree, const core::OsInfo& os,
                                                             core::Diagnostics& diags);

}  // namespace bulwark::catalog
