// The base-image part of the reports (docs/base-images.md): which findings come from the
// base's layers and which from the layers on top, and the bump advice, as table text and as
// the bulwark/v1 `targets[].base_image` object (docs/formats/json.md).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/model.hpp"

namespace bulwark::report {

// Whether a finding comes from the base's layers (true) or a layer on top (false); nullopt
// when the base's layers or the finding's layer are not known.
[[nodiscard]] std::optional<bool> from_base(const core::BaseImage& base, const core::Finding& f);

// The vulnerability findings (not suppressed) counted by where they come from.
struct Attribution {
  core::SeverityCounts base, top, unattributed;
};
[[nodiscard]] Attribution attribute(const core::ScanResult& result);

// "3 critical, 20 high" (non-zero severities, worst first); "" when all are zero.
[[nodiscard]] std::string severity_summary(const core::SeverityCounts& counts);

// "FROM debian:12.5 -> 12.8 fixes 23 (3 critical, 20 high)"; `from` is the base as named.
[[nodiscard]] std::string describe_recommendation(std::string_view from, const core::BaseCandidate& c);

// The table's base-image section: what the base is and how it was found, the findings by
// origin, the recommendations and every scanned candidate. Empty when result.base is unset.
[[nodiscard]] std::string base_image_table(const core::ScanResult& result, bool color);

}  // namespace bulwark::report
