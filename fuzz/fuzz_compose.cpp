// Compose files: services, their runtime settings (privileged, capabilities, mounts,
// namespaces, security options in every accepted spelling) and the Compose checks.
#include "common.hpp"
#include "fuzz_config_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  bulwark::fuzz::analyze_one(bulwark::fuzz::as_text(data, size), bulwark::config::DocumentKind::compose,
                             "compose.yaml");
  return 0;
}
