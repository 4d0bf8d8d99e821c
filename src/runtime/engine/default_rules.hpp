// The default rules (rules/bulwark_rules.yaml), embedded at build time.
#pragma once

#include <string_view>

namespace bulwark::runtime::engine {

inline constexpr std::string_view kDefaultRulesName = "bulwark_rules.yaml (built in)";
[[nodiscard]] std::string_view default_rules() noexcept;

}  // namespace bulwark::runtime::engine
