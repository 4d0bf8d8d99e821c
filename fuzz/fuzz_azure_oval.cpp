// Azure Linux / CBL-Mariner OVAL (XML, libxml2): definitions, CVE references, patchable and
// severity, criteria trees, rpminfo tests / objects / states and their EVR operations, the release
// from the EVR's dist tag or the file name.
//
// Input: the document. The file name gives no release, so a state without a dist tag is dropped.
#include "common.hpp"
#include "fuzz_advisory_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bulwark;
  if (size > fuzz::advisory_limits().max_document_bytes) return 0;
  core::Diagnostics diags;
  vuln::db::ParseLog log(diags, "oval/azure-fuzz.xml");
  (void)vuln::db::parse_azure_oval(fuzz::as_text(data, size), log);
  return 0;
}
