// Catalogers find packages in a FileTree. Each says which files it needs
// (wants), so that image reading keeps only those; then catalog() parses them.
// OS detection (os-release and the per-distro release files) and the end-of-life
// table live here too.
//
// Purls follow the purl spec's deb/apk/rpm types:
//  - deb: pkg:deb/<debian|ubuntu>/<name>@<version>?arch=..&distro=<id>-<version_id>, plus
//    upstream=<source> when the source package name differs and upstream=<source>@<version>
//    when its version differs too (as syft writes it), so matchers keyed on source packages
//    (Debian's tracker) can use the purl alone.
//  - apk: pkg:apk/<alpine|wolfi|chainguard>/<name>@<version>?arch=..&distro=..
//  - rpm: pkg:rpm/<redhat|amazon|suse|centos|rocky|almalinux|fedora|oracle>/<name>@<version-release>
//    ?arch=..&epoch=..&distro=..; the epoch is a qualifier (purl spec), while Package::version
//    keeps rpm's own "[epoch:]version-release".
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
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
// The OS catalogers and the language catalogers (lang.hpp: Python, Node.js, Ruby, Java).
[[nodiscard]] std::vector<std::unique_ptr<Cataloger>> all_catalogers();

enum class CatalogScope { all, os_only };

// The files OS detection reads.
[[nodiscard]] bool os_release_wanted(std::string_view path);
[[nodiscard]] core::OsInfo detect_os(const core::FileTree& tree);

// End-of-life: a finding (practice up-to-date) when the OS is past its end of life on `today` (YYYY-MM-DD).
[[nodiscard]] std::optional<core::Finding> eol_finding(const core::OsInfo& os, std::string_view today);

// Runs every cataloger and fills purls; packages are sorted by (name, version, architecture, path).
// An unreadable database is reported in diags (code "<cataloger>-database") and the other
// catalogers still run. Package::layer is set from the database file's FileEntry::layer index
// through layer_diff_ids (the image's diffIDs in layer order) when given; for a squashed tree
// that is the layer that last wrote the database file.
[[nodiscard]] Result<std::vector<core::Package>> catalog_all(const core::FileTree& tree, const core::OsInfo& os,
                                                             core::Diagnostics& diags,
                                                             std::span<const std::string> layer_diff_ids = {},
                                                             CatalogScope scope = CatalogScope::all);

}  // namespace bulwark::catalog
