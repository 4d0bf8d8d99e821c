// RustSec advisories: Markdown with TOML front matter (```toml ... ```), crate and
// toolchain component forms; and the Node security working group JSON.
//
// Input: a selector byte (0: crate, 1: toolchain, 2: nodejs npm JSON, 3: nodejs core JSON).
#include "common.hpp"
#include "fuzz_advisory_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bulwark;
  auto [sel, text] = fuzz::select(fuzz::as_text(data, size));
  core::Diagnostics diags;
  vuln::db::ParseLog log(diags, "crates/x/RUSTSEC-2024-0001.md");
  switch (sel % 4) {
    case 0: (void)vuln::db::parse_rustsec_markdown(text, false, log); break;
    case 1: (void)vuln::db::parse_rustsec_markdown(text, true, log); break;
    default: {
      auto doc = vuln::db::parse_json_document(text, fuzz::advisory_limits(), log);
      if (doc.is_discarded()) return 0;
      (void)vuln::db::parse_nodejs_wg(doc, sel % 4 == 2 ? vuln::db::NodeWgKind::npm : vuln::db::NodeWgKind::core, "123",
                                      log);
    }
  }
  return 0;
}
