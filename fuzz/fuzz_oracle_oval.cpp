// Oracle Linux ELSA OVAL (XML, libxml2): definitions, ELSA and CVE references, the criteria tree
// with its release, architecture and "<rpm> is earlier than <evr>" criteria, ksplice fixes.
//
// Input: the document.
#include "common.hpp"
#include "fuzz_advisory_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bulwark;
  if (size > fuzz::advisory_limits().max_document_bytes) return 0;
  core::Diagnostics diags;
  vuln::db::ParseLog log(diags, "oval/com.oracle.elsa-fuzz.xml");
  (void)vuln::db::parse_oracle_oval(fuzz::as_text(data, size), log);
  return 0;
}
