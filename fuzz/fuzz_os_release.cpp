// os-release files (shell-style quoting and escapes) and the end-of-life table lookup.
#include "catalog/catalog.hpp"
#include "catalog/internal.hpp"
#include "common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bulwark;
  auto os = catalog::parse_os_release(fuzz::as_text(data, size));
  (void)catalog::eol_date(os);
  (void)catalog::eol_finding(os, "2026-12-06");
  return 0;
}
