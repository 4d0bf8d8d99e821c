// Go module versions, as golang.org/x/mod/semver reads them: "v" MAJOR[.MINOR[.PATCH]]
// [-prerelease][+build], where the shorthands "v1" and "v1.2" (no pre-release or build) mean
// v1.0.0 and v1.2.0. Build metadata is ignored; every invalid version compares equal to every
// other invalid version and below every valid one.
#include <optional>
#include <string>

#include "vuln/version/schemes.hpp"

namespace bulwark::vuln::version::detail {
namespace {

struct GoVersion {
  std::string_view major, minor, patch;  // minor/patch empty for the shorthands
  std::string_view prerelease;           // with the leading '-'
};

bool take_number(std::string_view& s, std::string_view& out) {
  std::size_t n = 0;
  while (n < s.size() && is_digit(s[n])) ++n;
  if (n == 0) return false;
  if (n > 1 && s[0] == '0') return false;  // no leading zeros
  out = s.substr(0, n);
  s.remove_prefix(n);
  return true;
}

bool ident_char(char c) {
  return is_alnum(c) || c == '-';
}

// Dot-separated identifiers after a '-' or '+'; numeric pre-release identifiers have no leading
// zeros.
bool valid_identifiers(std::string_view s, bool prerelease) {
  if (s.empty()) return false;
  std::size_t start = 0;
  while (true) {
    std::size_t dot = s.find('.', start);
    std::string_view id = s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (id.empty()) return false;
    for (char c : id)
      if (!ident_char(c)) return false;
    if (prerelease && all_digits(id) && id.size() > 1 && id[0] == '0') return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

std::optional<GoVersion> parse(std::string_view s) {
  if (s.empty() || s[0] != 'v') return std::nullopt;
  s.remove_prefix(1);
  GoVersion v;
  if (!take_number(s, v.major)) return std::nullopt;
  if (s.empty()) return v;
  if (s[0] != '.') return std::nullopt;
  s.remove_prefix(1);
  if (!take_number(s, v.minor)) return std::nullopt;
  if (s.empty()) return v;
  if (s[0] != '.') return std::nullopt;
  s.remove_prefix(1);
  if (!take_number(s, v.patch)) return std::nullopt;
  if (!s.empty() && s[0] == '-') {
    std::size_t plus = s.find('+');
    std::string_view pre = s.substr(0, plus);
    if (!valid_identifiers(pre.substr(1), true)) return std::nullopt;
    v.prerelease = pre;
    s.remove_prefix(pre.size());
  }
  if (!s.empty() && s[0] == '+') {
    if (!valid_identifiers(s.substr(1), false)) return std::nullopt;
    s = {};
  }
  if (!s.empty()) return std::nullopt;
  return v;
}

std::string_view or_zero(std::string_view s) {
  return s.empty() ? std::string_view("0") : s;
}

}  // namespace

// SemVer 2.0 pre-release precedence: identifiers left to right, numeric ones by value and below
// alphanumeric ones; a longer list wins when all shared identifiers are equal.
int compare_prerelease_ids(std::string_view a, std::string_view b) {
  if (a == b) return 0;
  if (a.empty()) return 1;
  if (b.empty()) return -1;
  while (true) {
    std::size_t da = a.find('.');
    std::size_t db = b.find('.');
    std::string_view ia = a.substr(0, da);
    std::string_view ib = b.substr(0, db);
    bool na = all_digits(ia);
    bool nb = all_digits(ib);
    int c = 0;
    if (na && nb) {
      c = compare_digits(ia, ib);
    } else if (na) {
      c = -1;
    } else if (nb) {
      c = 1;
    } else {
      c = sign(ia.compare(ib));
    }
    if (c != 0) return c;
    if (da == std::string_view::npos || db == std::string_view::npos) {
      if (da == db) return 0;
      return da == std::string_view::npos ? -1 : 1;
    }
    a.remove_prefix(da + 1);
    b.remove_prefix(db + 1);
  }
}

Result<int> go_compare(std::string_view a, std::string_view b) {
  auto va = parse(a);
  auto vb = parse(b);
  if (!va || !vb) {
    if (va) return 1;
    if (vb) return -1;
    return 0;
  }
  if (int c = compare_digits(va->major, vb->major); c != 0) return c;
  if (int c = compare_digits(or_zero(va->minor), or_zero(vb->minor)); c != 0) return c;
  if (int c = compare_digits(or_zero(va->patch), or_zero(vb->patch)); c != 0) return c;
  std::string_view pa = va->prerelease.empty() ? va->prerelease : va->prerelease.substr(1);
  std::string_view pb = vb->prerelease.empty() ? vb->prerelease : vb->prerelease.substr(1);
  return compare_prerelease_ids(pa, pb);
}

bool go_valid(std::string_view v) {
  return parse(v).has_value();
}

std::string go_canonical_impl(std::string_view s) {
  auto v = parse(s);
  if (!v) return {};
  std::string out = "v";
  out += v->major;
  out += '.';
  out += or_zero(v->minor);
  out += '.';
  out += or_zero(v->patch);
  out += v->prerelease;
  return out;
}

}  // namespace bulwark::vuln::version::detail
