// SUSE CVRF documents (XML, libxml2): the product tree's relationships, product statuses,
// name-version-release splitting, Threat impact words, CVSS score sets, the Latin-1 fallback.
//
// Input: the document.
#include "common.hpp"
#include "fuzz_advisory_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bulwark;
  if (size > fuzz::advisory_limits().max_document_bytes) return 0;
  core::Diagnostics diags;
  vuln::db::ParseLog log(diags, "cvrf/cvrf-suse-su-fuzz.xml");
  (void)vuln::db::parse_suse_cvrf(fuzz::as_text(data, size), log);
  return 0;
}
