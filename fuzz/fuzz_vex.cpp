// OpenVEX documents (v0.2.0 and the older string forms): statements, products by purl
// or image reference/digest, subcomponents, statuses, timestamps, applied to findings.
#include "common.hpp"
#include "fuzz_policy_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bulwark;
  fuzz::TempFile file(fuzz::as_text(data, size), ".vex.json");
  auto results = fuzz::policy_results();
  report::PolicyOptions options;
  options.vex_files = {file.path()};
  (void)report::apply_policy(results, options, "2026-12-06");
  return 0;
}
