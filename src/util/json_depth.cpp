#include "util/json_depth.hpp"

namespace bulwark::util {

std::uint32_t json_depth(std::string_view text, std::uint32_t stop_after) noexcept {
  std::uint32_t depth = 0;
  std::uint32_t max = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max) max = depth;
      if (max > stop_after) return max;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return max;
}

}  // namespace bulwark::util
