// Placeholder: this area's checks are not written yet; it reports nothing.
#include "config/analyzers.hpp"

namespace bulwark::config::k8s {

std::vector<core::Finding> analyze_netpol(const std::vector<Object>& /*objects*/, const AnalyzeOptions& /*options*/,
                                          core::Diagnostics& /*diags*/) {
  return {};
}

}  // namespace bulwark::config::k8s
