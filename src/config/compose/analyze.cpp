// `bulwark config` on a Compose file: services -> RuntimeSettings -> runtime checks.
#include "config/analyzers.hpp"
#include "config/checks.hpp"
#include "config/compose/settings.hpp"

#include <set>

namespace bulwark::config::compose {

std::vector<core::Finding> analyze(const Document& doc, const std::vector<YamlDocument>& yaml,
                                   const AnalyzeOptions& options, core::Diagnostics& diags) {
  std::vector<core::Finding> out;
  const core::Target target{core::TargetKind::file, doc.path, {}};
  std::set<std::string> fired;
  for (const auto& y : yaml) {
    for (const auto& service : services_from_compose(y.root, doc.path, diags)) {
      for (auto& h : check_runtime(service)) {
        fired.insert(h.check_id);
        out.push_back(make_finding(builtin_check(h.check_id), target, std::move(h.location), std::move(h.evidence)));
      }
    }
  }
  if (options.include_passed) {
    for (const auto& def : CheckCatalog::builtin().all()) {
      if (!def.id.starts_with("BW-COMPOSE-") || fired.contains(def.id)) continue;
      core::Finding f = make_finding(def, target, core::Location{doc.path, 0, 0, {}}, "");
      f.status = core::FindingStatus::pass;
      out.push_back(std::move(f));
    }
  }
  return out;
}

}  // namespace bulwark::config::compose
