#include "web/assets.hpp"

namespace bulwark::web {

const Asset* find_asset(std::string_view path) noexcept {
  if (path.empty() || path == "/") path = "/index.html";
  for (const auto& a : dashboard_assets()) {
    if (a.path == path) return &a;
  }
  return nullptr;
}

std::string_view recommended_csp() noexcept {
  return "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
         "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
}

}  // namespace bulwark::web
