// Amazon Linux updateinfo.xml (ALAS): libxml2 without network or entity expansion, the
// <updates> root, each <update>'s id (and the ecosystem it names), title, severity, dates,
// CVE references and the <pkglist> collections of packages (name, epoch, version, release).
#include "common.hpp"
#include "fuzz_advisory_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bulwark;
  core::Diagnostics diags;
  vuln::db::ParseLog log(diags, "amazonlinux/2023/updateinfo.xml");
  for (const auto& a : vuln::db::parse_alas_updateinfo(fuzz::as_text(data, size), log)) {
    (void)vuln::db::alas_ecosystem(a.id);
  }
  return 0;
}
