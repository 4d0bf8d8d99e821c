// RubyGems' Gem::Version: "1.2.3", "1.2.3.pre1", "1.0-rc1" ("-" reads as ".pre."). The version is
// cut into numbers and letter runs; trailing zeros of the release part and of the pre-release
// part are dropped; a letter run sorts before any number (so it marks a pre-release).
// Gem::Requirement: "~> 1.2", ">= 1.0, < 2", "= 1.0", "!= 1.1" (a bare version means "=").
#include <optional>
#include <string>
#include <vector>

#include "util/strings.hpp"
#include "vuln/version/schemes.hpp"

namespace bulwark::vuln::version::detail {
namespace {

struct Segment {
  bool numeric = false;
  std::string text;  // digits without leading zeros, or letters
};

bool ws(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' || c == '\0';
}

// Gem::Version::ANCHORED_VERSION_PATTERN: [0-9]+(\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?
// surrounded by optional whitespace; an empty string means "0".
bool valid(std::string_view s) {
  while (!s.empty() && ws(s.front())) s.remove_prefix(1);
  while (!s.empty() && ws(s.back())) s.remove_suffix(1);
  if (s.empty()) return true;
  std::size_t i = 0;
  while (i < s.size() && is_digit(s[i])) ++i;
  if (i == 0) return false;
  while (i < s.size() && s[i] == '.') {
    std::size_t j = i + 1;
    while (j < s.size() && is_alnum(s[j])) ++j;
    if (j == i + 1) return false;
    i = j;
  }
  if (i < s.size() && s[i] == '-') {
    while (i < s.size() && (s[i] == '-' || s[i] == '.')) {
      std::size_t j = i + 1;
      while (j < s.size() && (is_alnum(s[j]) || s[j] == '-')) ++j;
      if (j == i + 1) return false;
      i = j;
    }
  }
  return i == s.size();
}

std::vector<Segment> canonical_segments(std::string_view s) {
  std::vector<Segment> segs;
  std::size_t i = 0;
  while (i < s.size()) {
    if (is_digit(s[i])) {
      std::size_t j = i;
      while (j < s.size() && is_digit(s[j])) ++j;
      std::string_view d = s.substr(i, j - i);
      while (d.size() > 1 && d.front() == '0') d.remove_prefix(1);
      segs.push_back({true, std::string(d)});
      i = j;
    } else if (is_alpha(s[i])) {
      std::size_t j = i;
      while (j < s.size() && is_alpha(s[j])) ++j;
      segs.push_back({false, std::string(s.substr(i, j - i))});
      i = j;
    } else if (s[i] == '-') {
      segs.push_back({false, "pre"});  // "-" is ".pre."
      ++i;
    } else {
      ++i;
    }
  }
  // Drop trailing zeros from the numeric release part and from the rest, separately.
  std::size_t first_string = segs.size();
  for (std::size_t k = 0; k < segs.size(); ++k) {
    if (!segs[k].numeric) {
      first_string = k;
      break;
    }
  }
  auto trim_zeros = [&](std::size_t begin, std::size_t end) {
    std::size_t e = end;
    while (e > begin && segs[e - 1].numeric && segs[e - 1].text == "0") --e;
    return e;
  };
  std::vector<Segment> out;
  std::size_t release_end = trim_zeros(0, first_string);
  out.insert(out.end(), segs.begin(), segs.begin() + static_cast<std::ptrdiff_t>(release_end));
  std::size_t rest_end = trim_zeros(first_string, segs.size());
  out.insert(out.end(), segs.begin() + static_cast<std::ptrdiff_t>(first_string),
             segs.begin() + static_cast<std::ptrdiff_t>(rest_end));
  return out;
}

int compare_segments(const std::vector<Segment>& a, const std::vector<Segment>& b) {
  static const Segment zero{true, "0"};
  std::size_t n = std::max(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    const Segment& x = i < a.size() ? a[i] : zero;
    const Segment& y = i < b.size() ? b[i] : zero;
    if (x.numeric && y.numeric) {
      if (int c = compare_digits(x.text, y.text); c != 0) return c;
    } else if (x.numeric != y.numeric) {
      return x.numeric ? 1 : -1;
    } else if (int c = sign(x.text.compare(y.text)); c != 0) {
      return c;
    }
  }
  return 0;
}

std::string_view strip(std::string_view s) {
  while (!s.empty() && ws(s.front())) s.remove_prefix(1);
  while (!s.empty() && ws(s.back())) s.remove_suffix(1);
  return s;
}

// Gem::Version#release then #bump for "~>": the release segments minus the last one, with the
// new last one incremented ("1.2.3" -> "1.3", "1" -> "2").
std::string bump(std::string_view s) {
  std::vector<std::string> parts;
  for (auto p : util::split(s, '.')) parts.emplace_back(p);
  // Drop everything from the first letter segment on.
  std::vector<std::string> numeric;
  for (auto& p : parts) {
    if (!all_digits(p)) break;
    numeric.push_back(p);
  }
  if (numeric.size() > 1) numeric.pop_back();
  if (numeric.empty()) numeric.emplace_back("0");
  numeric.back() = increment_digits(numeric.back());
  return util::join(numeric, ".");
}

}  // namespace

bool rubygems_valid(std::string_view v) {
  return valid(v);
}

// Gem::Version refuses strings such as "1beta", but OSV's RubyGems ordering (and the vectors)
// still compares them by the same segment rules; only text no segment rule can read (other
// characters) is an error.
bool comparable(std::string_view s) {
  for (char c : strip(s))
    if (!is_alnum(c) && c != '.' && c != '-') return false;
  return true;
}

Result<int> rubygems_compare(std::string_view a, std::string_view b) {
  if (!comparable(a)) return fail(ErrorCode::parse, "malformed RubyGems version", std::string(a));
  if (!comparable(b)) return fail(ErrorCode::parse, "malformed RubyGems version", std::string(b));
  return compare_segments(canonical_segments(strip(a)), canonical_segments(strip(b)));
}

Result<bool> rubygems_satisfies(std::string_view version, std::string_view requirement) {
  if (!valid(version)) return fail(ErrorCode::parse, "malformed RubyGems version", std::string(version));
  for (auto part : util::split(requirement, ',')) {
    std::string_view s = util::trim(part);
    if (s.empty()) continue;
    std::string op = "=";
    for (std::string_view o : {"~>", ">=", "<=", "!=", "=", ">", "<"}) {
      if (s.starts_with(o)) {
        op = std::string(o);
        s.remove_prefix(o.size());
        break;
      }
    }
    s = util::trim(s);
    auto c = rubygems_compare(version, s);
    if (!c) return std::unexpected(c.error());
    bool ok = false;
    if (op == "~>") {
      auto upper = rubygems_compare(version, bump(s));
      ok = *c >= 0 && upper && *upper < 0;
    } else if (op == "=") {
      ok = *c == 0;
    } else if (op == "!=") {
      ok = *c != 0;
    } else if (op == ">=") {
      ok = *c >= 0;
    } else if (op == "<=") {
      ok = *c <= 0;
    } else if (op == ">") {
      ok = *c > 0;
    } else {
      ok = *c < 0;
    }
    if (!ok) return false;
  }
  return true;
}

}  // namespace bulwark::vuln::version::detail
