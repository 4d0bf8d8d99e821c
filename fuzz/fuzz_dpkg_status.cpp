// dpkg status files (var/lib/dpkg/status and status.d/*): RFC 822 stanzas,
// continuation lines, Status words, Source with a version; and DEP-5 copyright files.
#include "catalog/internal.hpp"
#include "common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bulwark;
  auto text = fuzz::as_text(data, size);
  core::Diagnostics diags;
  (void)catalog::parse_dpkg_status(text, "var/lib/dpkg/status", catalog::MissingStatus::not_installed, diags);
  (void)catalog::parse_dpkg_status(text, "var/lib/dpkg/status.d/x", catalog::MissingStatus::installed, diags);
  (void)catalog::parse_dep5_licenses(text);
  return 0;
}
