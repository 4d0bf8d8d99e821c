// A cheap pre-check of JSON nesting. nlohmann's parser recurses, so hostile
// documents (images, registries, advisories) are measured before parsing.
#pragma once

#include <cstdint>
#include <string_view>

namespace bulwark::util {

// The deepest nesting of arrays and objects outside strings; the scan stops as
// soon as it passes `stop_after` (so the result is then stop_after + 1).
[[nodiscard]] std::uint32_t json_depth(std::string_view text, std::uint32_t stop_after = UINT32_MAX - 1) noexcept;

}  // namespace bulwark::util
