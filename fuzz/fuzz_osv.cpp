// OSV records, JSON or YAML (GHSA, Go, PyPI, npm, Debian, Alpine, ... ecosystems):
// affected ranges and events, versions lists, severities and CVSS vectors, aliases.
//
// Input: a selector byte (even: JSON, odd: YAML), then the document.
#include "common.hpp"
#include "fuzz_advisory_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bulwark;
  auto [sel, text] = fuzz::select(fuzz::as_text(data, size));
  core::Diagnostics diags;
  vuln::db::ParseLog log(diags, "osv/GHSA-fuzz.json");
  auto limits = fuzz::advisory_limits();
  auto doc =
      (sel & 1) ? vuln::db::parse_yaml_document(text, limits, log) : vuln::db::parse_json_document(text, limits, log);
  if (doc.is_discarded()) return 0;
  (void)vuln::db::parse_osv(doc, log);
  return 0;
}
