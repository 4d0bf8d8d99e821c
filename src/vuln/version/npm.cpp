// npm's node-semver: SemVer 2.0 versions (strict, or "loose" as node-semver's loose option reads
// them: "v 1.2.3", "=1.2.3", "1.2.3beta", leading zeros), compare() ignoring build metadata, and
// ranges: "||" alternatives of space-separated comparators, hyphen ranges, x-ranges, '~', '^',
// with the pre-release rule (a pre-release only matches a set naming a pre-release of the same
// major.minor.patch, unless includePrerelease). The range is rewritten into plain comparators the
// way node-semver does, step by step, so edge cases ("^0.0.x", ">1.x", "<=1.2") agree.
//
// Deliberate difference: node-semver rejects numeric components above 2^53-1; here they compare
// by value (advisories carry such versions and OSV compares them).
#include <optional>
#include <string>
#include <vector>

#include "util/strings.hpp"
#include "vuln/version/schemes.hpp"

namespace bulwark::vuln::version::detail {
namespace {

bool loose_of(Options o) {
  return o.loose == Loose::yes;
}
bool space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

struct SemVer {
  std::string major, minor, patch;
  std::string pre;  // dot-separated, without '-'
};

// Reads a numeric identifier: strict "0|[1-9][0-9]*", loose any digit run.
bool take_num(std::string_view& s, bool loose, std::string_view& out) {
  std::size_t n = 0;
  if (!loose && !s.empty() && s[0] == '0') {
    n = 1;
  } else {
    while (n < s.size() && is_digit(s[n])) ++n;
  }
  if (n == 0) return false;
  out = s.substr(0, n);
  s.remove_prefix(n);
  return true;
}

bool id_char(char c) {
  return is_alnum(c) || c == '-';
}

// One pre-release identifier: strict numeric ids have no leading zeros.
bool take_pre_id(std::string_view& s, bool loose) {
  std::size_t n = 0;
  while (n < s.size() && id_char(s[n])) ++n;
  if (n == 0) return false;
  std::string_view id = s.substr(0, n);
  if (!loose && all_digits(id) && id.size() > 1 && id[0] == '0') {
    // The regex would take just "0" and then fail on what follows.
    return false;
  }
  s.remove_prefix(n);
  return true;
}

// PRERELEASE (or its loose form, where the '-' is optional) and BUILD; `pre` gets the ids.
bool take_pre_build(std::string_view& s, bool loose, std::string_view& pre) {
  if (!s.empty() && (s[0] == '-' || (loose && id_char(s[0])))) {
    if (s[0] == '-') {
      std::string_view after = s.substr(1);
      if (after.empty() || !id_char(after[0])) {
        if (!loose) return false;
      }
      s.remove_prefix(1);
    }
    std::string_view ids_start = s;
    if (!take_pre_id(s, loose)) return false;
    while (s.size() > 1 && s[0] == '.' && id_char(s[1])) {
      s.remove_prefix(1);
      if (!take_pre_id(s, loose)) return false;
    }
    pre = ids_start.substr(0, ids_start.size() - s.size());
  }
  if (!s.empty() && s[0] == '+') {
    s.remove_prefix(1);
    std::size_t n = 0;
    while (true) {
      std::size_t k = 0;
      while (n + k < s.size() && id_char(s[n + k])) ++k;
      if (k == 0) return false;
      n += k;
      if (n < s.size() && s[n] == '.') {
        ++n;
        continue;
      }
      break;
    }
    s.remove_prefix(n);
  }
  return true;
}

std::string strip_zeros(std::string_view d) {
  while (d.size() > 1 && d.front() == '0') d.remove_prefix(1);
  return std::string(d);
}

// FULLPLAIN (strict: optional 'v') or LOOSEPLAIN ("[v=\s]*"), the whole of `s`.
std::optional<SemVer> parse_plain(std::string_view s, bool loose) {
  if (loose) {
    while (!s.empty() && (s[0] == 'v' || s[0] == '=' || space(s[0]))) s.remove_prefix(1);
  } else if (!s.empty() && s[0] == 'v') {
    s.remove_prefix(1);
  }
  std::string_view M, m, p, pre;
  if (!take_num(s, loose, M) || s.empty() || s[0] != '.') return std::nullopt;
  s.remove_prefix(1);
  if (!take_num(s, loose, m) || s.empty() || s[0] != '.') return std::nullopt;
  s.remove_prefix(1);
  if (!take_num(s, loose, p)) return std::nullopt;
  if (!take_pre_build(s, loose, pre) || !s.empty()) return std::nullopt;
  return SemVer{strip_zeros(M), strip_zeros(m), strip_zeros(p), std::string(pre)};
}

constexpr std::size_t kMaxLength = 256;  // node-semver's MAX_LENGTH

// Marks a comparator node-semver throws on; it makes the whole range invalid, even in loose mode.
constexpr std::string_view kInvalidRange = "\x01invalid";

std::optional<SemVer> parse_version(std::string_view s, bool loose) {
  if (s.size() > kMaxLength) return std::nullopt;
  return parse_plain(util::trim(s), loose);
}

int compare_semver(const SemVer& a, const SemVer& b) {
  if (int c = compare_digits(a.major, b.major); c != 0) return c;
  if (int c = compare_digits(a.minor, b.minor); c != 0) return c;
  if (int c = compare_digits(a.patch, b.patch); c != 0) return c;
  return compare_prerelease_ids(a.pre, b.pre);
}

// ---- ranges ----

bool is_x(std::string_view id) {
  return id.empty() || id == "x" || id == "X" || id == "*";
}

struct XRange {
  std::string gtlt;
  std::string M, m, p, pr;  // raw text; empty when absent
};

// Reads "((?:<|>)?=?)" at the front.
std::string take_gtlt(std::string_view& s) {
  std::string out;
  if (!s.empty() && (s[0] == '<' || s[0] == '>')) {
    out += s[0];
    s.remove_prefix(1);
  }
  if (!s.empty() && s[0] == '=') {
    out += '=';
    s.remove_prefix(1);
  }
  return out;
}

bool take_xid(std::string_view& s, bool loose, std::string& out) {
  if (!s.empty() && (s[0] == 'x' || s[0] == 'X' || s[0] == '*')) {
    out = std::string(1, s[0]);
    s.remove_prefix(1);
    return true;
  }
  std::string_view n;
  if (!take_num(s, loose, n)) return false;
  out = std::string(n);
  return true;
}

// XRANGEPLAIN: "[v=\s]*" M ["." m ["." p [pre] [build]]], the whole of `s`.
std::optional<XRange> parse_xrange_plain(std::string_view s, bool loose) {
  while (!s.empty() && (s[0] == 'v' || s[0] == '=' || space(s[0]))) s.remove_prefix(1);
  XRange x;
  if (!take_xid(s, loose, x.M)) return std::nullopt;
  if (!s.empty() && s[0] == '.') {
    s.remove_prefix(1);
    if (!take_xid(s, loose, x.m)) return std::nullopt;
    if (!s.empty() && s[0] == '.') {
      s.remove_prefix(1);
      if (!take_xid(s, loose, x.p)) return std::nullopt;
      std::string_view pre;
      if (!take_pre_build(s, loose, pre)) return std::nullopt;
      x.pr = std::string(pre);
    }
  }
  if (!s.empty()) return std::nullopt;
  return x;
}

std::string inc(std::string_view d) {
  return increment_digits(d);
}

// node-semver's replaceCaret for one comparator.
std::string replace_caret(const std::string& comp, Options o) {
  std::string_view s = comp;
  if (!s.starts_with('^')) return comp;
  s.remove_prefix(1);
  auto x = parse_xrange_plain(s, loose_of(o));
  if (!x) return comp;
  const std::string z = o.include_prerelease == IncludePrerelease::yes ? "-0" : "";
  const std::string& M = x->M;
  const std::string& m = x->m;
  const std::string& p = x->p;
  const std::string& pr = x->pr;
  if (is_x(M)) return "";
  if (is_x(m)) return ">=" + M + ".0.0" + z + " <" + inc(M) + ".0.0-0";
  if (is_x(p)) {
    if (M == "0") return ">=" + M + "." + m + ".0" + z + " <" + M + "." + inc(m) + ".0-0";
    return ">=" + M + "." + m + ".0" + z + " <" + inc(M) + ".0.0-0";
  }
  if (!pr.empty()) {
    std::string lo = ">=" + M + "." + m + "." + p + "-" + pr;
    if (M == "0") {
      if (m == "0") return lo + " <" + M + "." + m + "." + inc(p) + "-0";
      return lo + " <" + M + "." + inc(m) + ".0-0";
    }
    return lo + " <" + inc(M) + ".0.0-0";
  }
  // A full version keeps its own lower bound even with includePrerelease: "^0.0.3" does not
  // admit 0.0.3-alpha.
  if (M == "0") {
    if (m == "0") return ">=" + M + "." + m + "." + p + " <" + M + "." + m + "." + inc(p) + "-0";
    return ">=" + M + "." + m + "." + p + " <" + M + "." + inc(m) + ".0-0";
  }
  return ">=" + M + "." + m + "." + p + " <" + inc(M) + ".0.0-0";
}

// node-semver's replaceTilde ("~" or "~>").
std::string replace_tilde(const std::string& comp, Options o) {
  std::string_view s = comp;
  if (!s.starts_with('~')) return comp;
  s.remove_prefix(1);
  if (s.starts_with('>')) s.remove_prefix(1);
  auto x = parse_xrange_plain(s, loose_of(o));
  if (!x) return comp;
  // With includePrerelease the lower bound of "~1.2" is 1.2.0-0, as for the x-range "1.2.x".
  const std::string z = o.include_prerelease == IncludePrerelease::yes ? "-0" : "";
  const std::string& M = x->M;
  const std::string& m = x->m;
  const std::string& p = x->p;
  const std::string& pr = x->pr;
  if (is_x(M)) return "";
  if (is_x(m)) return ">=" + M + ".0.0" + z + " <" + inc(M) + ".0.0-0";
  if (is_x(p)) return ">=" + M + "." + m + ".0" + z + " <" + M + "." + inc(m) + ".0-0";
  if (!pr.empty()) return ">=" + M + "." + m + "." + p + "-" + pr + " <" + M + "." + inc(m) + ".0-0";
  return ">=" + M + "." + m + "." + p + " <" + M + "." + inc(m) + ".0-0";
}

// node-semver's replaceXRange ("1.x", ">=1.2", "<1", "*").
std::string replace_xrange(const std::string& comp, Options o) {
  std::string_view s = util::trim(comp);
  std::string gtlt = take_gtlt(s);
  while (!s.empty() && space(s[0])) s.remove_prefix(1);
  auto x = parse_xrange_plain(s, loose_of(o));
  if (!x) return comp;
  // node-semver's x-range step refuses a number after a wildcard ("1.x.2", ">=*.1"): the whole
  // range is invalid. (Its caret, tilde and hyphen steps accept them.)
  if ((is_x(x->M) && !x->m.empty() && !is_x(x->m)) || (is_x(x->m) && !x->p.empty() && !is_x(x->p)))
    return std::string(kInvalidRange);
  std::string M = x->M;
  std::string m = x->m;
  std::string p = x->p;
  const bool xM = is_x(M);
  const bool xm = xM || is_x(m);
  const bool xp = xm || is_x(p);
  if (gtlt == "=" && xp) gtlt.clear();
  std::string pr = o.include_prerelease == IncludePrerelease::yes ? "-0" : "";
  if (xM) return (gtlt == ">" || gtlt == "<") ? "<0.0.0-0" : "*";
  if (!gtlt.empty() && xp) {
    if (xm) m = "0";
    p = "0";
    if (gtlt == ">") {
      gtlt = ">=";
      if (xm) {
        M = inc(M);
        m = "0";
      } else {
        m = inc(m);
      }
      p = "0";
    } else if (gtlt == "<=") {
      gtlt = "<";
      if (xm) {
        M = inc(M);
      } else {
        m = inc(m);
      }
    }
    if (gtlt == "<") pr = "-0";
    return gtlt + M + "." + m + "." + p + pr;
  }
  if (xm) return ">=" + M + ".0.0" + pr + " <" + inc(M) + ".0.0-0";
  if (xp) return ">=" + M + "." + m + ".0" + pr + " <" + M + "." + inc(m) + ".0-0";
  return comp;
}

// node-semver's replaceStars: "*", ">=*", "<*"... become "" (any).
std::string replace_stars(const std::string& comp) {
  std::string_view s = util::trim(comp);
  std::string out;
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t j = i;
    if (j < s.size() && (s[j] == '<' || s[j] == '>')) ++j;
    if (j < s.size() && s[j] == '=') ++j;
    while (j < s.size() && space(s[j])) ++j;
    if (j < s.size() && s[j] == '*') {
      i = j + 1;
      continue;
    }
    out += s[i];
    ++i;
  }
  return out;
}

std::vector<std::string> words_of(std::string_view s) {
  std::vector<std::string> out;
  for (auto w : util::split_ws(s)) out.emplace_back(w);
  return out;
}

using Mapper = std::string (*)(const std::string&, Options);

// Applies one replace step to every whitespace-separated comparator and re-splits.
std::vector<std::string> map_step(const std::vector<std::string>& comps, Mapper f, Options o) {
  std::string joined;
  for (const auto& c : comps) {
    joined += f(c, o);
    joined += ' ';
  }
  return words_of(joined);
}

enum class CmpOp { any, lt, le, eq, ge, gt };

struct Comparator {
  CmpOp op = CmpOp::any;
  SemVer v;
  std::string text;
};

std::optional<Comparator> parse_comparator(std::string_view s, bool loose) {
  Comparator c;
  c.text = std::string(s);
  if (s.empty()) return c;
  std::string gtlt = take_gtlt(s);
  while (!s.empty() && space(s[0])) s.remove_prefix(1);
  auto v = parse_plain(s, loose);
  if (!v) return std::nullopt;
  c.v = *v;
  if (gtlt.empty() || gtlt == "=") {
    c.op = CmpOp::eq;
  } else if (gtlt == "<") {
    c.op = CmpOp::lt;
  } else if (gtlt == "<=") {
    c.op = CmpOp::le;
  } else if (gtlt == ">") {
    c.op = CmpOp::gt;
  } else {
    c.op = CmpOp::ge;
  }
  return c;
}

bool comparator_test(const Comparator& c, const SemVer& v) {
  if (c.op == CmpOp::any) return true;
  int r = compare_semver(v, c.v);
  switch (c.op) {
    case CmpOp::lt: return r < 0;
    case CmpOp::le: return r <= 0;
    case CmpOp::eq: return r == 0;
    case CmpOp::ge: return r >= 0;
    case CmpOp::gt: return r > 0;
    case CmpOp::any: return true;
  }
  return false;
}

bool is_null_set(const Comparator& c) {
  return c.op == CmpOp::lt && c.v.major == "0" && c.v.minor == "0" && c.v.patch == "0" && c.v.pre == "0";
}

bool is_operator_word(std::string_view w) {
  if (w == "~" || w == "~>" || w == "^") return true;
  if (w.empty() || w.size() > 2) return false;
  std::string_view s = w;
  return !take_gtlt(s).empty() && s.empty();
}

// The hyphen range "A - B" of node-semver's hyphenReplace.
std::optional<std::string> hyphen(const std::vector<std::string>& words, Options o) {
  if (words.size() != 3 || words[1] != "-") return std::nullopt;
  const bool loose = loose_of(o);
  auto f = parse_xrange_plain(words[0], loose);
  auto t = parse_xrange_plain(words[2], loose);
  if (!f || !t) return std::nullopt;
  const bool incpr = o.include_prerelease == IncludePrerelease::yes;
  std::string from;
  if (is_x(f->M)) {
    from = "";
  } else if (is_x(f->m)) {
    from = ">=" + f->M + ".0.0" + (incpr ? "-0" : "");
  } else if (is_x(f->p)) {
    from = ">=" + f->M + "." + f->m + ".0" + (incpr ? "-0" : "");
  } else if (!f->pr.empty()) {
    from = ">=" + words[0];
  } else {
    from = ">=" + words[0] + (incpr ? "-0" : "");
  }
  std::string to;
  if (is_x(t->M)) {
    to = "";
  } else if (is_x(t->m)) {
    to = "<" + inc(t->M) + ".0.0-0";
  } else if (is_x(t->p)) {
    to = "<" + t->M + "." + inc(t->m) + ".0-0";
  } else if (!t->pr.empty()) {
    to = "<=" + t->M + "." + t->m + "." + t->p + "-" + t->pr;
  } else if (incpr) {
    to = "<" + t->M + "." + t->m + "." + inc(t->p) + "-0";
  } else {
    to = "<=" + words[2];
  }
  return std::string(util::trim(from + " " + to));
}

// One "||" alternative; nullopt when node-semver would throw (an invalid comparator), an empty
// vector when loose mode dropped every comparator.
std::optional<std::vector<Comparator>> parse_set(std::string_view raw, Options o) {
  const bool loose = loose_of(o);
  std::vector<std::string> words = words_of(raw);
  std::vector<std::string> comps;
  if (auto h = hyphen(words, o)) {
    comps = words_of(*h);
  } else {
    // An operator written apart from its version ("> 1.2", "~ 1.0", "^ 1") belongs to it.
    for (std::size_t i = 0; i < words.size(); ++i) {
      std::string w = words[i];
      while (is_operator_word(w) && i + 1 < words.size()) {
        std::string_view next = words[i + 1];
        if (w.starts_with('~') && next.starts_with('>') && w.size() == 1 && next.size() == 1) break;
        w = (w == "~>" ? std::string("~") : w) + words[++i];
      }
      comps.push_back(std::move(w));
    }
  }
  comps = map_step(comps, replace_caret, o);
  comps = map_step(comps, replace_tilde, o);
  comps = map_step(comps, replace_xrange, o);
  comps = map_step(
      comps, [](const std::string& c, Options) { return replace_stars(c); }, o);
  std::vector<std::string> cleaned;
  for (auto& c : comps) {
    std::string_view s = util::trim(c);
    // replaceGTE0: ">=0.0.0" (">=0.0.0-0" with includePrerelease) means any.
    std::string_view probe = s;
    std::string gtlt = take_gtlt(probe);
    probe = util::trim(probe);
    if (gtlt == ">=" && probe == (o.include_prerelease == IncludePrerelease::yes ? "0.0.0-0" : "0.0.0")) s = {};
    cleaned.emplace_back(s);
  }
  if (cleaned.empty()) cleaned.emplace_back();
  std::vector<Comparator> set;
  for (const auto& c : cleaned) {
    if (c == kInvalidRange) return std::nullopt;
    auto comp = parse_comparator(c, loose);
    if (!comp) {
      if (loose) continue;  // node-semver drops what COMPARATORLOOSE does not match
      return std::nullopt;
    }
    if (is_null_set(*comp)) return std::vector<Comparator>{*comp};
    bool dup = false;
    for (const auto& e : set)
      if (e.text == comp->text) dup = true;
    if (!dup) set.push_back(std::move(*comp));
  }
  if (set.size() > 1) std::erase_if(set, [](const Comparator& c) { return c.op == CmpOp::any; });
  return set;
}

bool test_set(const std::vector<Comparator>& set, const SemVer& v, Options o) {
  for (const auto& c : set)
    if (!comparator_test(c, v)) return false;
  if (!v.pre.empty() && o.include_prerelease == IncludePrerelease::no) {
    for (const auto& c : set) {
      if (c.op == CmpOp::any || c.v.pre.empty()) continue;
      if (c.v.major == v.major && c.v.minor == v.minor && c.v.patch == v.patch) return true;
    }
    return false;
  }
  return true;
}

}  // namespace

Result<int> npm_compare(std::string_view a, std::string_view b, Options options) {
  auto va = parse_version(a, loose_of(options));
  if (!va) return fail(ErrorCode::parse, "invalid semver version", std::string(a));
  auto vb = parse_version(b, loose_of(options));
  if (!vb) return fail(ErrorCode::parse, "invalid semver version", std::string(b));
  return compare_semver(*va, *vb);
}

bool npm_valid(std::string_view v, Options options) {
  return parse_version(v, loose_of(options)).has_value();
}

// Like node-semver's satisfies(): an unparsable version or range is simply not satisfied.
Result<bool> npm_satisfies(std::string_view version, std::string_view range, Options options) {
  auto v = parse_version(version, loose_of(options));
  if (!v) return false;
  std::vector<std::vector<Comparator>> sets;
  std::string_view rest = range;
  while (true) {
    auto bar = rest.find("||");
    auto set = parse_set(util::trim(rest.substr(0, bar)), options);
    if (!set) return false;  // invalid range
    if (!set->empty()) sets.push_back(std::move(*set));
    if (bar == std::string_view::npos) break;
    rest.remove_prefix(bar + 2);
  }
  if (sets.empty()) return false;
  for (const auto& set : sets)
    if (test_set(set, *v, options)) return true;
  return false;
}

}  // namespace bulwark::vuln::version::detail
