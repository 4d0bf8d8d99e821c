// Package URLs: parsing (type, namespace, name, version, qualifiers, subpath, percent
// encoding), printing, and a purl read back as a package (sbom::package_from_purl).
// A parsed purl printed and parsed again must print the same.
#include <cstdio>
#include <cstdlib>

#include "common.hpp"
#include "core/purl.hpp"
#include "sbom/reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bulwark;
  auto text = fuzz::as_text(data, size);
  if (auto p = core::parse_purl(text)) {
    auto once = p->str();
    auto again = core::parse_purl(once);
    if (!again || again->str() != once) {
      std::fprintf(stderr, "purl does not round-trip: '%s'\n", once.c_str());
      std::abort();
    }
  }
  (void)sbom::package_from_purl(text);
  (void)core::purl_encode(text);
  return 0;
}
