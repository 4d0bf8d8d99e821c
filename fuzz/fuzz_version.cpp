// Version comparison and ranges for every ecosystem (dpkg, apk, rpm, PEP 440, npm,
// Go, Maven, RubyGems, Cargo). Beyond "no crash": comparison must be reflexive and
// antisymmetric, which the target checks (a failed check aborts, so it is reported).
//
// Input: a selector byte (scheme, loose, include-prerelease), then "A\nB": two
// versions, B also used as a range.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "common.hpp"
#include "vuln/version/version.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bulwark::vuln::version;
  auto [sel, text] = bulwark::fuzz::select(bulwark::fuzz::as_text(data, size));
  static constexpr Scheme kSchemes[] = {Scheme::dpkg, Scheme::apk,   Scheme::rpm,      Scheme::pep440, Scheme::npm,
                                        Scheme::go,   Scheme::maven, Scheme::rubygems, Scheme::cargo};
  Scheme scheme = kSchemes[sel % 9];
  Options options;
  options.loose = (sel & 0x10) ? Loose::yes : Loose::no;
  options.include_prerelease = (sel & 0x20) ? IncludePrerelease::yes : IncludePrerelease::no;
  auto nl = text.find('\n');
  std::string_view a = text.substr(0, nl);
  std::string_view b = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);

  (void)is_valid(scheme, a, options);
  (void)is_valid(scheme, b, options);
  (void)satisfies(scheme, a, b, options);
  if (scheme == Scheme::go) (void)go_canonical(a);
  auto ab = compare(scheme, a, b, options);
  auto ba = compare(scheme, b, a, options);
  if (ab && ba && *ab != -*ba) {
    std::fprintf(stderr, "%s: compare(a, b) = %d but compare(b, a) = %d\n", std::string(to_string(scheme)).c_str(), *ab,
                 *ba);
    std::abort();
  }
  if (auto aa = compare(scheme, a, a, options); aa && *aa != 0) {
    std::fprintf(stderr, "%s: compare(a, a) = %d\n", std::string(to_string(scheme)).c_str(), *aa);
    std::abort();
  }
  return 0;
}
