// SBOM readers: CycloneDX JSON (1.2-1.6, nested components, metadata.component) and
// SPDX 2.x JSON (packages, externalRefs, primaryPackagePurpose), and purls in them.
#include "common.hpp"
#include "core/context.hpp"
#include "sbom/reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bulwark;
  core::Limits limits;
  limits.max_document_bytes = 4 << 20;
  core::Diagnostics diags;
  (void)sbom::parse_sbom(fuzz::as_text(data, size), "fuzz.sbom.json", limits, diags);
  return 0;
}
