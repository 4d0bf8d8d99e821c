// Secret rule catalogue files (YAML: rules with patterns, prefilters, keywords, groups,
// entropy, allowlists, examples; a global allowlist; disable lists).
#include "common.hpp"
#include "core/diagnostics.hpp"
#include "secret/rules.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bulwark;
  secret::Catalogue cat;
  core::Diagnostics diags;
  secret::load_rules(fuzz::as_text(data, size), "rules.yaml", cat, diags);
  (void)secret::markdown(cat);
  return 0;
}
