// rpm databases: Berkeley DB (Packages, both byte orders), NDB (Packages.db), SQLite
// (rpmdb.sqlite), and the header blobs they hold (index entries, tags, types).
//
// Input: a selector byte (0-3: bdb, ndb, sqlite, one header blob), then the bytes.
#include <string>
#include <vector>

#include "catalog/internal.hpp"
#include "common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bulwark;
  auto [sel, bytes] = fuzz::select(fuzz::as_text(data, size));
  Result<std::vector<std::string>> blobs = std::vector<std::string>{};
  switch (sel % 4) {
    case 0: blobs = catalog::read_rpm_bdb(bytes); break;
    case 1: blobs = catalog::read_rpm_ndb(bytes); break;
    case 2: blobs = catalog::read_rpm_sqlite(bytes); break;
    default: blobs = std::vector<std::string>{std::string(bytes)}; break;
  }
  if (!blobs) return 0;
  core::Diagnostics diags;
  auto pkgs = catalog::rpm_packages(*blobs, "var/lib/rpm/Packages", diags);
  core::OsInfo os{"rhel", "9.3", "Red Hat Enterprise Linux 9.3", ""};
  for (auto& p : pkgs) catalog::fill_purl(p, os);
  return 0;
}
