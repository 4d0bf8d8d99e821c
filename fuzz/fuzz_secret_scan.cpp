// The secret scanner over file content: the built-in catalogue's Vectorscan prefilter,
// RE2 confirmation, keyword, entropy and allowlist checks, multi-line rules across
// chunk boundaries, masking, and zip/jar members.
//
// Input: a selector byte (chunk size for streaming; odd and >= 0x80: read as a zip),
// then the file.
#include <memory>

#include "common.hpp"
#include "core/diagnostics.hpp"
#include "secret/rules.hpp"
#include "secret/scanner.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bulwark;
  static const std::unique_ptr<secret::Engine> engine = [] {
    core::Diagnostics diags;
    auto e = secret::Engine::build(secret::builtin_catalogue(diags), secret::Options{}, diags);
    if (!e) std::abort();
    return std::move(*e);
  }();
  auto [sel, text] = fuzz::select(fuzz::as_text(data, size));
  if ((sel & 0x81) == 0x81) {
    (void)engine->scan_zip(text, "app.jar");
    return 0;
  }
  auto scan = engine->open("app/.env");
  std::size_t chunk = static_cast<std::size_t>(sel & 0x7f) * 7 + 1;
  for (std::size_t off = 0; off < text.size() && !scan->done(); off += chunk) scan->feed(text.substr(off, chunk));
  for (const auto& m : scan->finish()) (void)secret::mask(m.secret);
  (void)secret::looks_binary(text);
  return 0;
}
