// Cargo's semver crate: strict MAJOR.MINOR.PATCH[-pre][+build] (no 'v', no leading zeros, u64
// components) and VersionReq ("^1.2", "~1", "=1.2.3", ">=1, <2", "1.*", bare "1.2" = "^1.2").
// Unlike SemVer 2.0 precedence, the crate's Ord also orders build metadata (1.0.0+1 < 1.0.0+2).
#include <optional>
#include <string>
#include <vector>

#include "util/strings.hpp"
#include "vuln/version/schemes.hpp"

namespace bulwark::vuln::version::detail {
namespace {

struct CargoVersion {
  std::string_view major, minor, patch, pre, build;
};

constexpr std::string_view kU64Max = "18446744073709551615";

bool take_u64(std::string_view& s, std::string_view& out) {
  std::size_t n = 0;
  while (n < s.size() && is_digit(s[n])) ++n;
  if (n == 0 || (n > 1 && s[0] == '0')) return false;
  out = s.substr(0, n);
  if (compare_digits(out, kU64Max) > 0) return false;
  s.remove_prefix(n);
  return true;
}

bool ident_char(char c) {
  return is_alnum(c) || c == '-';
}

// Dot-separated non-empty identifiers; pre-release numeric identifiers without leading zeros.
bool take_idents(std::string_view& s, bool prerelease, std::string_view& out) {
  std::size_t n = 0;
  while (true) {
    std::size_t k = 0;
    while (n + k < s.size() && ident_char(s[n + k])) ++k;
    if (k == 0) return false;
    std::string_view id = s.substr(n, k);
    if (prerelease && all_digits(id) && id.size() > 1 && id[0] == '0') return false;
    n += k;
    if (n < s.size() && s[n] == '.') {
      ++n;
      continue;
    }
    break;
  }
  out = s.substr(0, n);
  s.remove_prefix(n);
  return true;
}

std::optional<CargoVersion> parse(std::string_view s) {
  CargoVersion v;
  if (!take_u64(s, v.major) || s.empty() || s[0] != '.') return std::nullopt;
  s.remove_prefix(1);
  if (!take_u64(s, v.minor) || s.empty() || s[0] != '.') return std::nullopt;
  s.remove_prefix(1);
  if (!take_u64(s, v.patch)) return std::nullopt;
  if (!s.empty() && s[0] == '-') {
    s.remove_prefix(1);
    if (!take_idents(s, true, v.pre)) return std::nullopt;
  }
  if (!s.empty() && s[0] == '+') {
    s.remove_prefix(1);
    if (!take_idents(s, false, v.build)) return std::nullopt;
  }
  if (!s.empty()) return std::nullopt;
  return v;
}

// The crate's BuildMetadata order: identifiers left to right; numeric ones by value (then the one
// with fewer leading zeros first) and before alphanumeric ones; a shorter list first.
int compare_build(std::string_view a, std::string_view b) {
  if (a == b) return 0;
  if (a.empty()) return -1;
  if (b.empty()) return 1;
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
      if (c == 0 && ia.size() != ib.size()) c = ia.size() < ib.size() ? -1 : 1;
    } else if (na != nb) {
      c = na ? -1 : 1;
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

enum class ReqOp { exact, greater, greater_eq, less, less_eq, tilde, caret, wildcard };

struct ReqComparator {
  ReqOp op = ReqOp::caret;
  std::string_view major;
  std::optional<std::string_view> minor, patch;
  std::string_view pre;
};

bool is_wild(char c) {
  return c == '*' || c == 'x' || c == 'X';
}

Result<ReqComparator> parse_comparator(std::string_view s, std::string_view whole) {
  auto bad = [&](std::string_view why) { return fail(ErrorCode::parse, std::string(why), std::string(whole)); };
  ReqComparator c;
  s = util::trim(s);
  struct Spelling {
    std::string_view text;
    ReqOp op;
  };
  static constexpr Spelling ops[] = {{">=", ReqOp::greater_eq}, {"<=", ReqOp::less_eq}, {">", ReqOp::greater},
                                     {"<", ReqOp::less},        {"=", ReqOp::exact},    {"~", ReqOp::tilde},
                                     {"^", ReqOp::caret}};
  bool explicit_op = false;
  for (const auto& o : ops) {
    if (s.starts_with(o.text)) {
      c.op = o.op;
      s.remove_prefix(o.text.size());
      explicit_op = true;
      break;
    }
  }
  s = util::trim(s);
  if (s.empty()) return bad("comparator without a version");
  if (is_wild(s[0])) {
    // "*" alone, or after an op only where the crate accepts it.
    s.remove_prefix(1);
    while (s.size() >= 2 && s[0] == '.' && is_wild(s[1])) s.remove_prefix(2);
    if (!s.empty()) return bad("unexpected characters after wildcard");
    c.op = ReqOp::wildcard;
    c.major = {};
    return c;
  }
  if (!take_u64(s, c.major)) return bad("invalid major version");
  bool wild = false;
  if (!s.empty() && s[0] == '.') {
    s.remove_prefix(1);
    if (!s.empty() && is_wild(s[0])) {
      s.remove_prefix(1);
      wild = true;
    } else {
      std::string_view m;
      if (!take_u64(s, m)) return bad("invalid minor version");
      c.minor = m;
    }
  }
  if (!s.empty() && s[0] == '.') {
    s.remove_prefix(1);
    if (!s.empty() && is_wild(s[0])) {
      s.remove_prefix(1);
      wild = true;
    } else {
      if (wild) return bad("unexpected number after wildcard");
      std::string_view p;
      if (!take_u64(s, p)) return bad("invalid patch version");
      c.patch = p;
    }
  }
  if (!s.empty() && s[0] == '-') {
    if (!c.patch) return bad("pre-release needs a full version");
    s.remove_prefix(1);
    if (!take_idents(s, true, c.pre)) return bad("invalid pre-release");
  }
  if (!s.empty() && s[0] == '+') {
    s.remove_prefix(1);
    std::string_view build;
    if (!take_idents(s, false, build)) return bad("invalid build metadata");
  }
  if (!s.empty()) return bad("unexpected characters in requirement");
  if (wild) {
    if (explicit_op && c.op != ReqOp::exact) return bad("wildcard after an operator");
    c.op = ReqOp::wildcard;
  }
  return c;
}

int num(std::string_view a, std::string_view b) {
  return compare_digits(a, b);
}

bool matches_exact(const ReqComparator& c, const CargoVersion& v) {
  if (num(v.major, c.major) != 0) return false;
  if (c.minor && num(v.minor, *c.minor) != 0) return false;
  if (c.patch && num(v.patch, *c.patch) != 0) return false;
  return v.pre == c.pre;
}

bool matches_greater(const ReqComparator& c, const CargoVersion& v) {
  if (int r = num(v.major, c.major); r != 0) return r > 0;
  if (!c.minor) return false;
  if (int r = num(v.minor, *c.minor); r != 0) return r > 0;
  if (!c.patch) return false;
  if (int r = num(v.patch, *c.patch); r != 0) return r > 0;
  return compare_prerelease_ids(v.pre, c.pre) > 0;
}

bool matches_less(const ReqComparator& c, const CargoVersion& v) {
  if (int r = num(v.major, c.major); r != 0) return r < 0;
  if (!c.minor) return false;
  if (int r = num(v.minor, *c.minor); r != 0) return r < 0;
  if (!c.patch) return false;
  if (int r = num(v.patch, *c.patch); r != 0) return r < 0;
  return compare_prerelease_ids(v.pre, c.pre) < 0;
}

bool matches_tilde(const ReqComparator& c, const CargoVersion& v) {
  if (num(v.major, c.major) != 0) return false;
  if (c.minor && num(v.minor, *c.minor) != 0) return false;
  if (c.patch) {
    if (int r = num(v.patch, *c.patch); r != 0) return r > 0;
  }
  return compare_prerelease_ids(v.pre, c.pre) >= 0;
}

bool matches_caret(const ReqComparator& c, const CargoVersion& v) {
  if (num(v.major, c.major) != 0) return false;
  if (!c.minor) return true;
  const bool major_zero = num(c.major, "0") == 0;
  if (!c.patch) return major_zero ? num(v.minor, *c.minor) == 0 : num(v.minor, *c.minor) >= 0;
  if (!major_zero) {
    if (int r = num(v.minor, *c.minor); r != 0) return r > 0;
    if (int r = num(v.patch, *c.patch); r != 0) return r > 0;
  } else if (num(*c.minor, "0") > 0) {
    if (num(v.minor, *c.minor) != 0) return false;
    if (int r = num(v.patch, *c.patch); r != 0) return r > 0;
  } else if (num(v.minor, *c.minor) != 0 || num(v.patch, *c.patch) != 0) {
    return false;
  }
  return compare_prerelease_ids(v.pre, c.pre) >= 0;
}

bool matches(const ReqComparator& c, const CargoVersion& v) {
  switch (c.op) {
    case ReqOp::exact: return matches_exact(c, v);
    case ReqOp::greater: return matches_greater(c, v);
    case ReqOp::greater_eq: return matches_exact(c, v) || matches_greater(c, v);
    case ReqOp::less: return matches_less(c, v);
    case ReqOp::less_eq: return matches_exact(c, v) || matches_less(c, v);
    case ReqOp::tilde: return matches_tilde(c, v);
    case ReqOp::caret: return matches_caret(c, v);
    case ReqOp::wildcard:
      if (c.major.empty()) return true;
      if (num(v.major, c.major) != 0) return false;
      return !c.minor || num(v.minor, *c.minor) == 0;
  }
  return false;
}

}  // namespace

Result<int> cargo_compare(std::string_view a, std::string_view b) {
  auto va = parse(a);
  if (!va) return fail(ErrorCode::parse, "invalid Cargo semver version", std::string(a));
  auto vb = parse(b);
  if (!vb) return fail(ErrorCode::parse, "invalid Cargo semver version", std::string(b));
  if (int c = compare_digits(va->major, vb->major); c != 0) return c;
  if (int c = compare_digits(va->minor, vb->minor); c != 0) return c;
  if (int c = compare_digits(va->patch, vb->patch); c != 0) return c;
  if (int c = compare_prerelease_ids(va->pre, vb->pre); c != 0) return c;
  return compare_build(va->build, vb->build);
}

bool cargo_valid(std::string_view v) {
  return parse(v).has_value();
}

Result<bool> cargo_satisfies(std::string_view version, std::string_view req) {
  auto v = parse(version);
  if (!v) return fail(ErrorCode::parse, "invalid Cargo semver version", std::string(version));
  std::vector<ReqComparator> comps;
  std::string_view trimmed = util::trim(req);
  if (trimmed.empty()) return fail(ErrorCode::parse, "empty version requirement", std::string(req));
  for (auto part : util::split(trimmed, ',')) {
    auto c = parse_comparator(part, req);
    if (!c) return std::unexpected(c.error());
    comps.push_back(*c);
  }
  for (const auto& c : comps)
    if (!matches(c, *v)) return false;
  if (v->pre.empty()) return true;
  // A pre-release only matches a comparator naming a pre-release of the same major.minor.patch.
  for (const auto& c : comps) {
    if (c.minor && c.patch && !c.pre.empty() && num(c.major, v->major) == 0 && num(*c.minor, v->minor) == 0 &&
        num(*c.patch, v->patch) == 0)
      return true;
  }
  return false;
}

}  // namespace bulwark::vuln::version::detail
