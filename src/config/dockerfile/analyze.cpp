// Placeholder: this area's checks are not written yet; it reports nothing.
#include "config/analyzers.hpp"

namespace bulwark::config::dockerfile {

std::vector<core::Finding> analyze(const Document& /*doc*/, const AnalyzeOptions& /*options*/,
                                   core::Diagnostics& /*diags*/) {
  return {};
}

}  // namespace bulwark::config::dockerfile
