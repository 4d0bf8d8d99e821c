// Dockerfiles: BuildKit's parser (directives, continuations, heredocs, JSON and shell
// forms) and every Dockerfile check (stages, ARG/ENV expansion, RUN shell parsing).
#include "common.hpp"
#include "config/dockerfile/parser.hpp"
#include "fuzz_config_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bulwark;
  auto text = fuzz::as_text(data, size);
  config::dockerfile::ParseLimits limits;
  limits.max_instructions = 5000;
  (void)config::dockerfile::parse(text, limits);
  fuzz::analyze_one(text, config::DocumentKind::dockerfile, "Dockerfile");
  return 0;
}
