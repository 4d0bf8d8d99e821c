// The dashboard's static assets (web/ at the repo root: index.html, app.css, js/*.js),
// embedded at build time (cmake/EmbedAssets.cmake). `bulwark server` serves them at `/`:
// index.html for `/` and for unknown non-API paths. Plain ES modules, no bundler and no
// third-party code: the page runs from the binary alone, offline. index.html carries its
// own Content-Security-Policy (scripts, styles and requests only from the server itself);
// find_asset and recommended_csp help the server send the same policy as a header.
#pragma once

#include <span>
#include <string_view>

namespace bulwark::web {

struct Asset {
  std::string_view path, content_type, body;
};

std::span<const Asset> dashboard_assets();

// The asset for a request path ("/" and "/index.html" are the page); nullptr when none.
[[nodiscard]] const Asset* find_asset(std::string_view path) noexcept;

// The policy index.html declares, for a Content-Security-Policy response header.
[[nodiscard]] std::string_view recommended_csp() noexcept;

}  // namespace bulwark::web
