// CVSS base scores from vector strings (v2.0, v3.0, v3.1 and v4.0).
//
// Advisories often carry only a vector ("CVSS:3.1/AV:N/AC:L/..."), not a score;
// the severity of a finding falls back to the score computed here when the vendor
// gives no severity word. The formulas follow FIRST's specification documents:
// v3.x section 7 (with v3.1's Roundup and v3.0's simple ceiling), v2 section 3.2.1,
// and v4.0 section 8 (MacroVectors, the published lookup table, and interpolation
// by severity distance). Only base metrics count: threat, environmental and
// supplemental metrics are validated and then ignored, as a base score requires.
#pragma once

#include <string>
#include <string_view>

#include "core/model.hpp"
#include "util/error.hpp"

namespace bulwark::vuln::cvss {

struct BaseScore {
  std::string version;  // "2.0", "3.0", "3.1", "4.0"
  double score = 0;     // 0.0 - 10.0, one decimal
};

// Parses the vector (a v2 vector has no "CVSS:" prefix; "(AV:N/...)" is accepted) and
// computes its base score. Fails on unknown prefixes, unknown or repeated metrics,
// invalid values and missing base metrics, naming the problem.
[[nodiscard]] Result<BaseScore> base_score(std::string_view vector);

// The qualitative rating of a score: v3/v4 (none 0.0 -> info, low, medium, high,
// critical 9.0+); v2 has no critical (high is 7.0-10.0).
[[nodiscard]] core::Severity severity_of(const BaseScore& score) noexcept;

}  // namespace bulwark::vuln::cvss
