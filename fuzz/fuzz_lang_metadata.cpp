// Language package metadata: Python METADATA/PKG-INFO (RFC 822 headers), npm
// package.json, Ruby gemspecs (the Ruby subset installed specifications use).
//
// Input: a selector byte (0-2: python, npm, gemspec), then the file.
#include "catalog/lang.hpp"
#include "common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bulwark;
  auto [sel, text] = fuzz::select(fuzz::as_text(data, size));
  switch (sel % 3) {
    case 0:
      if (auto p = catalog::parse_python_metadata(text, "usr/lib/python3/site-packages/x.dist-info/METADATA")) {
        (void)catalog::normalize_python_name(p->name);
      }
      break;
    case 1: (void)catalog::parse_npm_package_json(text, "usr/lib/node_modules/x/package.json"); break;
    default: (void)catalog::parse_gemspec(text, "usr/lib/ruby/gems/3.1.0/specifications/x-1.0.gemspec"); break;
  }
  return 0;
}
