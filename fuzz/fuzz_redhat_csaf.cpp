// Red Hat CSAF VEX documents (one CVE each): document category and publisher checks, the
// product tree (branches, full product names, identification helpers: CPEs and purls),
// relationships (rpm in a platform, module streams), and every vulnerability's product
// status lists, remediations (vendor fixes, no-fix-planned, none-available) and threats.
#include "common.hpp"
#include "fuzz_advisory_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bulwark;
  core::Diagnostics diags;
  vuln::db::ParseLog log(diags, "2024/cve-2024-0001.json");
  auto doc = vuln::db::parse_json_document(fuzz::as_text(data, size), fuzz::advisory_limits(), log);
  if (doc.is_discarded()) return 0;
  for (const auto& a : vuln::db::parse_redhat_csaf(doc, log)) {
    for (const auto& af : a.affected) (void)af.ecosystem.size();
  }
  return 0;
}
