// Debian version ordering, as dpkg (lib/dpkg/version.c, deb-version(7)) defines it:
// [epoch:]upstream[-revision]; upstream and revision are compared by alternating non-digit
// runs (letters before other characters, '~' before everything, even the end) and digit runs
// (by value).
#include <string>

#include "vuln/version/schemes.hpp"

namespace bulwark::vuln::version::detail {
namespace {

struct DpkgVersion {
  std::string_view epoch;  // digits; empty means 0
  std::string_view upstream;
  std::string_view revision;
};

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

// Mirrors dpkg's parseversion(): the hard errors it reports are errors here; what it only warns
// about (a version not starting with a digit, odd characters) is compared anyway, as
// `dpkg --compare-versions` does.
Result<DpkgVersion> parse(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  if (s.empty()) return fail(ErrorCode::parse, "version string is empty");
  for (char c : s)
    if (is_space(c)) return fail(ErrorCode::parse, "version string has embedded spaces", std::string(s));
  DpkgVersion v;
  if (auto colon = s.find(':'); colon != std::string_view::npos) {
    v.epoch = s.substr(0, colon);
    if (v.epoch.empty()) return fail(ErrorCode::parse, "epoch in version is empty", std::string(s));
    if (!all_digits(v.epoch)) return fail(ErrorCode::parse, "epoch in version is not number", std::string(s));
    // dpkg keeps the epoch in an int.
    if (compare_digits(v.epoch, "2147483647") > 0)
      return fail(ErrorCode::parse, "epoch in version is too big", std::string(s));
    s.remove_prefix(colon + 1);
    if (s.empty()) return fail(ErrorCode::parse, "nothing after colon in version number", std::string(s));
  }
  if (auto dash = s.rfind('-'); dash != std::string_view::npos) {
    v.revision = s.substr(dash + 1);
    if (v.revision.empty()) return fail(ErrorCode::parse, "revision number is empty", std::string(s));
    s = s.substr(0, dash);
  }
  if (s.empty()) return fail(ErrorCode::parse, "version number is empty");
  v.upstream = s;
  return v;
}

// dpkg's character weight: '~' below the end of the string, letters by ASCII code, everything
// else after all letters. dpkg reads bytes as (signed) char, so bytes >= 0x80 land between the
// letters and the ASCII punctuation; we reproduce that.
int order(unsigned char c) {
  if (is_digit(static_cast<char>(c))) return 0;
  if (is_alpha(static_cast<char>(c))) return c;
  if (c == '~') return -1;
  if (c >= 0x80) return static_cast<signed char>(c) + 256;
  return c + 256;
}

int verrevcmp(std::string_view a, std::string_view b) {
  std::size_t i = 0;
  std::size_t j = 0;
  auto at = [](std::string_view s, std::size_t k) -> unsigned char {
    return k < s.size() ? static_cast<unsigned char>(s[k]) : 0;
  };
  while (i < a.size() || j < b.size()) {
    while ((i < a.size() && !is_digit(a[i])) || (j < b.size() && !is_digit(b[j]))) {
      int ac = i < a.size() ? order(at(a, i)) : 0;
      int bc = j < b.size() ? order(at(b, j)) : 0;
      if (ac != bc) return sign(ac - bc);
      ++i;
      ++j;
    }
    std::size_t a0 = i;
    while (i < a.size() && is_digit(a[i])) ++i;
    std::size_t b0 = j;
    while (j < b.size() && is_digit(b[j])) ++j;
    if (int c = compare_digits(a.substr(a0, i - a0), b.substr(b0, j - b0)); c != 0) return c;
  }
  return 0;
}

}  // namespace

Result<int> dpkg_compare(std::string_view a, std::string_view b) {
  auto va = parse(a);
  if (!va) return std::unexpected(va.error());
  auto vb = parse(b);
  if (!vb) return std::unexpected(vb.error());
  if (int c = compare_digits(va->epoch, vb->epoch); c != 0) return c;
  if (int c = verrevcmp(va->upstream, vb->upstream); c != 0) return c;
  return verrevcmp(va->revision, vb->revision);
}

bool dpkg_valid(std::string_view v) {
  return parse(v).has_value();
}

}  // namespace bulwark::vuln::version::detail
