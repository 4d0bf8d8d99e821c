// Parsers behind the catalogers, on raw bytes, so tests and fuzz targets can drive them
// without building a FileTree. Every function here takes hostile input: it returns an
// Error or a partial result, never crashes or reads out of bounds.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/diagnostics.hpp"
#include "core/filetree.hpp"
#include "core/model.hpp"
#include "util/error.hpp"

namespace bulwark::catalog {

// A regular file with kept content: the entry itself, else (when it is a link or sits below a
// linked folder) what resolve() finds inside the tree. Layers often omit parent folder entries,
// so the direct lookup comes first.
[[nodiscard]] const core::FileEntry* find_regular(const core::FileTree& tree, std::string_view path);

[[nodiscard]] core::OsInfo parse_os_release(std::string_view text);
// The end of security support (YYYY-MM-DD) of a known release.
[[nodiscard]] std::optional<std::string_view> eol_date(const core::OsInfo& os);

// Whether a stanza without a Status field counts as installed: distroless status.d files
// often have none, the main status file always has one.
enum class MissingStatus { not_installed, installed };

// Parses dpkg status text (RFC 822 stanzas). Only installed packages are returned.
[[nodiscard]] std::vector<core::Package> parse_dpkg_status(std::string_view text, std::string_view path,
                                                           MissingStatus missing, core::Diagnostics& diags);
// The License: fields of a DEP-5 copyright file, joined with " AND " (empty when none).
[[nodiscard]] std::string parse_dep5_licenses(std::string_view text);

// Parses lib/apk/db/installed.
[[nodiscard]] std::vector<core::Package> parse_apk_installed(std::string_view text, std::string_view path,
                                                             core::Diagnostics& diags);

struct RpmInfo {
  std::string name, version, release, arch, source_rpm, license, vendor;
  std::optional<std::int32_t> epoch;
  std::optional<std::uint32_t> size;
};
// Parses one rpm header blob as stored in the rpmdb (no lead, no magic: il, dl, index, data).
[[nodiscard]] Result<RpmInfo> parse_rpm_header(std::string_view blob);

// The three rpmdb formats; each returns the header blobs it holds.
[[nodiscard]] Result<std::vector<std::string>> read_rpm_bdb(std::string_view file);
[[nodiscard]] Result<std::vector<std::string>> read_rpm_ndb(std::string_view file);
[[nodiscard]] Result<std::vector<std::string>> read_rpm_sqlite(std::string_view file);

// Turns parsed rpm headers into packages (gpg-pubkey skipped); bad blobs go to diags.
[[nodiscard]] std::vector<core::Package> rpm_packages(const std::vector<std::string>& blobs, std::string_view path,
                                                      core::Diagnostics& diags);

// Fills Package::purl from ecosystem, name, version, arch and the OS.
void fill_purl(core::Package& pkg, const core::OsInfo& os);

}  // namespace bulwark::catalog
