// Ignore files: bulwark's YAML (ignore: entries with id, package, reason, expires),
// Trivy's .trivyignore.yaml sections, and the plain .trivyignore lines (exp: dates),
// told apart by name and content, then applied to findings.
//
// Input: a selector byte (even: a file named .bulwarkignore.yaml, odd: .trivyignore).
#include "common.hpp"
#include "fuzz_policy_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bulwark;
  auto [sel, text] = fuzz::select(fuzz::as_text(data, size));
  fuzz::TempFile file(text, (sel & 1) ? ".trivyignore" : ".bulwarkignore.yaml");
  auto results = fuzz::policy_results();
  report::PolicyOptions options;
  options.ignore_files = {file.path()};
  (void)report::apply_policy(results, options, "2026-12-06");
  (void)report::parse_trivyignore(text, ".trivyignore");
  return 0;
}
