// Alpine secdb (JSON or YAML: distroversion, packages[].pkg.secfixes) and Wolfi
// advisories YAML.
//
// Input: a selector byte (0: secdb JSON, 1: secdb YAML, 2: Wolfi YAML, 3: Wolfi JSON).
#include "common.hpp"
#include "fuzz_advisory_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bulwark;
  auto [sel, text] = fuzz::select(fuzz::as_text(data, size));
  core::Diagnostics diags;
  vuln::db::ParseLog log(diags, "v3.19/main.json");
  auto limits = fuzz::advisory_limits();
  bool yaml = sel % 4 == 1 || sel % 4 == 2;
  auto doc = yaml ? vuln::db::parse_yaml_document(text, limits, log) : vuln::db::parse_json_document(text, limits, log);
  if (doc.is_discarded()) return 0;
  if (sel % 4 < 2) {
    (void)vuln::db::parse_alpine_secdb(doc, "alpine", log);
  } else {
    (void)vuln::db::parse_wolfi(doc, log);
  }
  return 0;
}
