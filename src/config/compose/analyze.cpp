// Placeholder: this area's checks are not written yet; it reports nothing.
#include "config/analyzers.hpp"

namespace bulwark::config::compose {

std::vector<core::Finding> analyze(const Document& /*doc*/, const std::vector<YamlDocument>& /*yaml*/,
                                   const AnalyzeOptions& /*options*/, core::Diagnostics& /*diags*/) {
  return {};
}

}  // namespace bulwark::config::compose
