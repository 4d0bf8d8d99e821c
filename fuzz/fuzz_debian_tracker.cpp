// Debian security tracker text: data/CVE/list and data/{DSA,DLA,DTSA}/list (indented
// package lines, suites in brackets, <not-affected>, NOTE lines, bug numbers).
//
// Input: a selector byte (even: CVE list, odd: DSA list), then the text.
#include "common.hpp"
#include "fuzz_advisory_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bulwark;
  auto [sel, text] = fuzz::select(fuzz::as_text(data, size));
  core::Diagnostics diags;
  vuln::db::ParseLog log(diags, "data/CVE/list");
  if (sel & 1) {
    (void)vuln::db::parse_debian_advisory_list(text, "debian-dsa", log);
  } else {
    (void)vuln::db::parse_debian_cve_list(text, log);
  }
  return 0;
}
