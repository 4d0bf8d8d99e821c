#include "report/base_image.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace bulwark::report {

std::optional<bool> from_base(const core::BaseImage& base, const core::Finding& f) {
  if (base.diff_ids.empty() || f.location.layer.empty()) return std::nullopt;
  return std::find(base.diff_ids.begin(), base.diff_ids.end(), f.location.layer) != base.diff_ids.end();
}

Attribution attribute(const core::ScanResult& result) {
  Attribution a;
  if (!result.base) return a;
  for (const auto& f : result.findings) {
    if (!f.vulnerability || f.suppression) continue;
    const auto b = from_base(*result.base, f);
    (b ? (*b ? a.base : a.top) : a.unattributed).add(f.severity);
  }
  return a;
}

std::string severity_summary(const core::SeverityCounts& counts) {
  std::string out;
  for (auto s : {core::Severity::critical, core::Severity::high, core::Severity::medium, core::Severity::low,
                 core::Severity::info, core::Severity::unknown}) {
    if (const auto n = counts.of(s); n > 0) {
      out += fmt::format("{}{} {}", out.empty() ? "" : ", ", n, core::to_string(s));
    }
  }
  return out;
}

std::string describe_recommendation(std::string_view from, const core::BaseCandidate& c) {
  const auto sev = severity_summary(c.fixed);
  std::string out = fmt::format("FROM {} -> {} fixes {}", from, c.tag, c.fixed.total());
  if (!sev.empty()) out += " (" + sev + ")";
  if (c.added.total() > 0) out += fmt::format(", adds {} ({})", c.added.total(), severity_summary(c.added));
  return out;
}

}  // namespace bulwark::report
