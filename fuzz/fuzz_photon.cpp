// Photon OS cve_data_photon<release>.json: the JSON array of CVE entries, scores, fix states.
//
// Input: the document.
#include "common.hpp"
#include "fuzz_advisory_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bulwark;
  core::Diagnostics diags;
  vuln::db::ParseLog log(diags, "cve_data_photon5.0.json");
  auto doc = vuln::db::parse_json_document(fuzz::as_text(data, size), fuzz::advisory_limits(), log);
  if (doc.is_discarded()) return 0;
  (void)vuln::db::parse_photon(doc, "5.0", log);
  return 0;
}
