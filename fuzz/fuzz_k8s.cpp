// Kubernetes manifests: object collection (lists, every workload kind, pod templates),
// the workload checks and Pod Security Standards, the RBAC model and its escalation
// analysis, and the NetworkPolicy engine (selectors, CIDRs, ports).
#include "common.hpp"
#include "fuzz_config_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  bulwark::fuzz::analyze_one(bulwark::fuzz::as_text(data, size), bulwark::config::DocumentKind::kubernetes,
                             "manifest.yaml");
  return 0;
}
