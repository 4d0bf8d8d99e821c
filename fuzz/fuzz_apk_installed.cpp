// apk's installed database (lib/apk/db/installed): P/V/A/o/L/... records.
#include "catalog/internal.hpp"
#include "common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bulwark;
  core::Diagnostics diags;
  auto pkgs = catalog::parse_apk_installed(fuzz::as_text(data, size), "lib/apk/db/installed", diags);
  core::OsInfo os{"alpine", "3.19.1", "Alpine Linux v3.19", ""};
  for (auto& p : pkgs) catalog::fill_purl(p, os);
  return 0;
}
