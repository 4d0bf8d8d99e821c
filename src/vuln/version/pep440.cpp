// Python package versions (PEP 440, as pypa/packaging reads them) and specifiers
// (">=1.0,<2.0", "~=1.4.2", "==1.*", "!=1.5", "===foo"). Parsing follows packaging's version
// pattern: case-insensitive, surrounding whitespace allowed, alternative spellings normalised
// (alpha -> a, preview/c -> rc, rev/r -> post, "1.0-1" -> 1.0.post1). Pre-releases are not
// excluded from specifiers here: advisories name the versions they mean.
#include <optional>
#include <string>
#include <vector>

#include "util/strings.hpp"
#include "vuln/version/schemes.hpp"

namespace bulwark::vuln::version::detail {
namespace {

struct Pep440 {
  std::string epoch = "0";
  std::vector<std::string> release;                // digit strings, leading zeros stripped
  std::optional<std::pair<int, std::string>> pre;  // 0=a 1=b 2=rc
  std::optional<std::string> post;
  std::optional<std::string> dev;
  std::vector<std::string> local;  // lower-case segments
};

bool sep(char c) {
  return c == '-' || c == '_' || c == '.';
}
bool ws(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

std::string strip_zeros(std::string_view d) {
  while (d.size() > 1 && d.front() == '0') d.remove_prefix(1);
  return std::string(d);
}

std::string_view take_digits(std::string_view& s) {
  std::size_t n = 0;
  while (n < s.size() && is_digit(s[n])) ++n;
  auto out = s.substr(0, n);
  s.remove_prefix(n);
  return out;
}

bool take_word(std::string_view& s, std::string_view word) {
  if (s.size() < word.size()) return false;
  for (std::size_t i = 0; i < word.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != word[i]) return false;
  }
  s.remove_prefix(word.size());
  return true;
}

// "[-_.]?LABEL[-_.]?N?" for one of the labels; returns the label index.
std::optional<std::pair<std::size_t, std::string>> take_labelled(std::string_view& s,
                                                                 std::initializer_list<std::string_view> labels) {
  std::string_view t = s;
  if (!t.empty() && sep(t[0])) t.remove_prefix(1);
  std::size_t index = 0;
  bool found = false;
  for (auto label : labels) {
    if (take_word(t, label)) {
      found = true;
      break;
    }
    ++index;
  }
  if (!found) return std::nullopt;
  std::string_view after_label = t;
  if (!t.empty() && sep(t[0])) t.remove_prefix(1);
  std::string_view n = take_digits(t);
  if (n.empty()) t = after_label;  // the separator belongs to what follows
  s = t;
  return std::pair{index, n.empty() ? std::string("0") : strip_zeros(n)};
}

std::optional<Pep440> parse(std::string_view s) {
  while (!s.empty() && ws(s.front())) s.remove_prefix(1);
  while (!s.empty() && ws(s.back())) s.remove_suffix(1);
  Pep440 v;
  if (!s.empty() && (s[0] == 'v' || s[0] == 'V')) s.remove_prefix(1);
  std::string_view first = take_digits(s);
  if (first.empty()) return std::nullopt;
  if (!s.empty() && s[0] == '!') {
    v.epoch = strip_zeros(first);
    s.remove_prefix(1);
    first = take_digits(s);
    if (first.empty()) return std::nullopt;
  }
  v.release.push_back(strip_zeros(first));
  while (s.size() > 1 && s[0] == '.' && is_digit(s[1])) {
    s.remove_prefix(1);
    v.release.push_back(strip_zeros(take_digits(s)));
  }
  // Longest spellings first, so "preview" is not read as "pre" + "view".
  if (auto pre = take_labelled(s, {"preview", "alpha", "beta", "pre", "rc", "a", "b", "c"})) {
    static constexpr int kind[] = {2, 0, 1, 2, 2, 0, 1, 2};
    v.pre = std::pair{kind[pre->first], pre->second};
  }
  if (s.size() > 1 && s[0] == '-' && is_digit(s[1])) {
    s.remove_prefix(1);
    v.post = strip_zeros(take_digits(s));
  } else if (auto post = take_labelled(s, {"post", "rev", "r"})) {
    v.post = post->second;
  }
  if (auto dev = take_labelled(s, {"dev"})) v.dev = dev->second;
  if (!s.empty() && s[0] == '+') {
    s.remove_prefix(1);
    std::size_t start = 0;
    std::size_t i = 0;
    while (true) {
      while (i < s.size() && is_alnum(s[i])) ++i;
      if (i == start) return std::nullopt;
      v.local.push_back(util::to_lower(s.substr(start, i - start)));
      if (i < s.size() && sep(s[i]) && i + 1 < s.size() && is_alnum(s[i + 1])) {
        start = ++i;
        continue;
      }
      break;
    }
    s.remove_prefix(i);
  }
  if (!s.empty()) return std::nullopt;
  return v;
}

int compare_release(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::size_t n = std::max(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    std::string_view x = i < a.size() ? std::string_view(a[i]) : "0";
    std::string_view y = i < b.size() ? std::string_view(b[i]) : "0";
    if (int c = compare_digits(x, y); c != 0) return c;
  }
  return 0;
}

// packaging's sort key, piece by piece.
int compare_public(const Pep440& a, const Pep440& b) {
  if (int c = compare_digits(a.epoch, b.epoch); c != 0) return c;
  if (int c = compare_release(a.release, b.release); c != 0) return c;
  // pre: a dev release without pre/post sorts before every pre-release; no pre sorts after.
  auto pre_rank = [](const Pep440& v) { return v.pre ? 1 : (!v.post && v.dev ? 0 : 2); };
  if (int c = pre_rank(a) - pre_rank(b); c != 0) return sign(c);
  if (a.pre && b.pre) {
    if (int c = a.pre->first - b.pre->first; c != 0) return sign(c);
    if (int c = compare_digits(a.pre->second, b.pre->second); c != 0) return c;
  }
  if (a.post.has_value() != b.post.has_value()) return a.post ? 1 : -1;
  if (a.post)
    if (int c = compare_digits(*a.post, *b.post); c != 0) return c;
  if (a.dev.has_value() != b.dev.has_value()) return a.dev ? -1 : 1;
  if (a.dev)
    if (int c = compare_digits(*a.dev, *b.dev); c != 0) return c;
  return 0;
}

int compare_local(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::size_t n = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    bool na = all_digits(a[i]);
    bool nb = all_digits(b[i]);
    int c = 0;
    if (na && nb) {
      c = compare_digits(a[i], b[i]);
    } else if (na != nb) {
      c = na ? 1 : -1;  // numeric segments sort after alphanumeric ones
    } else {
      c = sign(a[i].compare(b[i]));
    }
    if (c != 0) return c;
  }
  if (a.size() == b.size()) return 0;
  return a.size() < b.size() ? -1 : 1;
}

int compare_full(const Pep440& a, const Pep440& b) {
  if (int c = compare_public(a, b); c != 0) return c;
  return compare_local(a.local, b.local);
}

// packaging's str(Version): the normalised spelling.
std::string normalized(const Pep440& v, bool with_local = true) {
  std::string out;
  if (v.epoch != "0") out += v.epoch + "!";
  out += util::join(v.release, ".");
  if (v.pre) {
    static constexpr std::string_view names[] = {"a", "b", "rc"};
    out += names[v.pre->first];
    out += v.pre->second;
  }
  if (v.post) out += ".post" + *v.post;
  if (v.dev) out += ".dev" + *v.dev;
  if (with_local && !v.local.empty()) out += "+" + util::join(v.local, ".");
  return out;
}

Pep440 base_of(const Pep440& v) {
  Pep440 b;
  b.epoch = v.epoch;
  b.release = v.release;
  return b;
}

Pep440 public_of(Pep440 v) {
  v.local.clear();
  return v;
}

// packaging's _version_split: epoch first, then the dot-separated parts with "1a1"-style parts
// split into "1" and "a1".
std::vector<std::string> version_split(const Pep440& v) {
  std::string s = normalized(v, false);
  std::vector<std::string> out;
  std::string_view rest = s;
  if (auto bang = rest.find('!'); bang != std::string_view::npos) {
    out.emplace_back(rest.substr(0, bang));
    rest.remove_prefix(bang + 1);
  } else {
    out.emplace_back("0");
  }
  for (auto part : util::split(rest, '.')) {
    std::size_t n = 0;
    while (n < part.size() && is_digit(part[n])) ++n;
    std::string_view tail = part.substr(n);
    bool splits = n > 0 && !tail.empty() &&
                  (tail.starts_with("a") || tail.starts_with("b") || tail.starts_with("c") || tail.starts_with("rc"));
    if (splits) {
      out.emplace_back(part.substr(0, n));
      out.emplace_back(tail);
    } else {
      out.emplace_back(part);
    }
  }
  return out;
}

std::size_t leading_numeric(const std::vector<std::string>& parts, std::size_t from) {
  std::size_t n = from;
  while (n < parts.size() && all_digits(parts[n])) ++n;
  return n - from;
}

// "==X.*": the padded prospective version starts with X's parts.
bool prefix_match(const Pep440& version, const Pep440& prefix) {
  auto spec = version_split(prefix);
  auto pros = version_split(version);
  // Pad the release parts (after the epoch) with zeros to the spec's length.
  std::size_t spec_rel = leading_numeric(spec, 1);
  std::size_t pros_rel = leading_numeric(pros, 1);
  if (pros_rel < spec_rel)
    pros.insert(pros.begin() + static_cast<std::ptrdiff_t>(1 + pros_rel), spec_rel - pros_rel, "0");
  if (pros.size() < spec.size()) return false;
  for (std::size_t i = 0; i < spec.size(); ++i)
    if (pros[i] != spec[i]) return false;
  return true;
}

bool is_prerelease(const Pep440& v) {
  return v.pre || v.dev;
}

Result<bool> contains(std::string_view spec_text, const Pep440& v, std::string_view raw_version) {
  std::string_view s = util::trim(spec_text);
  static constexpr std::string_view ops[] = {"===", "~=", "==", "!=", "<=", ">=", "<", ">"};
  std::string_view op;
  for (auto o : ops) {
    if (s.starts_with(o)) {
      op = o;
      break;
    }
  }
  if (op.empty()) return fail(ErrorCode::parse, "specifier without an operator", std::string(spec_text));
  std::string_view target = util::trim(s.substr(op.size()));
  if (op == "===") return util::to_lower(util::trim(raw_version)) == util::to_lower(target);
  bool wildcard = target.ends_with(".*");
  if (wildcard && op != "==" && op != "!=")
    return fail(ErrorCode::parse, "'.*' is only allowed with == and !=", std::string(spec_text));
  auto sv = parse(wildcard ? target.substr(0, target.size() - 2) : target);
  if (!sv) return fail(ErrorCode::parse, "invalid version in specifier", std::string(spec_text));
  if (!sv->local.empty() && op != "==" && op != "!=")
    return fail(ErrorCode::parse, "local versions are only allowed with == and !=", std::string(spec_text));
  if (wildcard && !sv->local.empty())
    return fail(ErrorCode::parse, "a prefix match cannot have a local version", std::string(spec_text));
  auto equal = [&]() {
    if (wildcard) return prefix_match(public_of(v), *sv);
    return compare_full(sv->local.empty() ? public_of(v) : v, *sv) == 0;
  };
  if (op == "==") return equal();
  if (op == "!=") return !equal();
  if (op == "~=") {
    if (sv->release.size() < 2)
      return fail(ErrorCode::parse, "~= needs at least two release parts", std::string(spec_text));
    // ">= spec" and "== prefix.*", the prefix dropping the last release part and any suffix.
    if (compare_public(public_of(v), *sv) < 0) return false;
    Pep440 prefix = base_of(*sv);
    prefix.release.pop_back();
    return prefix_match(public_of(v), prefix);
  }
  Pep440 pub = public_of(v);
  int c = compare_public(pub, *sv);
  if (op == "<=") return c <= 0;
  if (op == ">=") return c >= 0;
  if (op == "<") {
    if (c >= 0) return false;
    // "<3.0" does not admit 3.0's own pre-releases.
    if (!is_prerelease(*sv) && is_prerelease(v) && compare_public(base_of(v), base_of(*sv)) == 0) return false;
    return true;
  }
  // ">"
  if (compare_full(v, *sv) <= 0 || c <= 0) return false;
  if (!sv->post && v.post && compare_public(base_of(v), base_of(*sv)) == 0) return false;
  return true;
}

// The sort key packaging (before 22.0) gave a LegacyVersion, the order pip used for versions
// PEP 440 cannot read and the one OSV's PyPI comparison keeps: runs of digits (zero-padded to 8),
// runs of letters, '-' and any other characters, with "pre"/"preview"/"rc" -> "c", "dev" -> "@",
// and trailing zero and "final-" parts trimmed before each letter part. Every legacy version sorts
// before every PEP 440 version.
std::vector<std::string> legacy_key(std::string_view raw) {
  std::string s = util::to_lower(raw);
  std::vector<std::string> pieces;
  std::size_t i = 0;
  std::size_t other_start = std::string::npos;
  auto flush_other = [&](std::size_t end) {
    if (other_start != std::string::npos) pieces.push_back(s.substr(other_start, end - other_start));
    other_start = std::string::npos;
  };
  while (i < s.size()) {
    char c = s[i];
    std::size_t j = i;
    if (is_digit(c)) {
      while (j < s.size() && is_digit(s[j])) ++j;
    } else if (c >= 'a' && c <= 'z') {
      while (j < s.size() && s[j] >= 'a' && s[j] <= 'z') ++j;
    } else if (c == '.' || c == '-') {
      j = i + 1;
    } else {
      if (other_start == std::string::npos) other_start = i;
      ++i;
      continue;
    }
    flush_other(i);
    pieces.push_back(s.substr(i, j - i));
    i = j;
  }
  flush_other(s.size());
  std::vector<std::string> parts;
  auto push = [&](std::string part) {
    if (part.starts_with('*')) {
      if (part < "*final")
        while (!parts.empty() && parts.back() == "*final-") parts.pop_back();
      while (!parts.empty() && parts.back() == "00000000") parts.pop_back();
    }
    parts.push_back(std::move(part));
  };
  for (auto& p : pieces) {
    if (p == "pre" || p == "preview" || p == "rc") p = "c";
    if (p == "-") p = "final-";
    if (p == "dev") p = "@";
    if (p.empty() || p == ".") continue;
    if (is_digit(p[0])) {
      push(p.size() < 8 ? std::string(8 - p.size(), '0') + p : p);
    } else {
      push("*" + p);
    }
  }
  push("*final");
  return parts;
}

int compare_keys(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::size_t n = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i)
    if (int c = sign(a[i].compare(b[i])); c != 0) return c;
  if (a.size() == b.size()) return 0;
  return a.size() < b.size() ? -1 : 1;
}

}  // namespace

Result<int> pep440_compare(std::string_view a, std::string_view b) {
  auto va = parse(a);
  auto vb = parse(b);
  if (va && vb) return compare_full(*va, *vb);
  // Advisories still name pre-PEP 440 releases; order them as pip's LegacyVersion did.
  if (va) return 1;
  if (vb) return -1;
  return compare_keys(legacy_key(a), legacy_key(b));
}

bool pep440_valid(std::string_view v) {
  return parse(v).has_value();
}

Result<bool> pep440_satisfies(std::string_view version, std::string_view specifiers) {
  auto v = parse(version);
  if (!v) return fail(ErrorCode::parse, "invalid PEP 440 version", std::string(version));
  bool all = true;
  for (auto spec : util::split(specifiers, ',')) {
    if (util::trim(spec).empty()) continue;
    auto r = contains(spec, *v, version);
    if (!r) return std::unexpected(r.error());
    if (!*r) all = false;
  }
  return all;
}

}  // namespace bulwark::vuln::version::detail
