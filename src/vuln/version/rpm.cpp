// RPM version ordering: rpmvercmp() over alphanumeric segments (ASCII letters and digits; every
// other byte, non-ASCII included, only separates), '~' sorting before anything and '^' after the
// end but before any further segment; and the [epoch:]version[-release] split of rpm's EVR parser.
#include <string>

#include "vuln/version/schemes.hpp"

namespace bulwark::vuln::version::detail {
namespace {

struct Evr {
  std::string_view epoch;  // empty: none (0)
  std::string_view version;
  std::string_view release;
  bool has_release = false;
};

// rpm's parseEVR: an epoch is the run of digits before a ':' (only digits may precede it, so
// "a2:1" has no epoch), the release follows the last '-'.
Evr split_evr(std::string_view s) {
  Evr e;
  std::size_t i = 0;
  while (i < s.size() && is_digit(s[i])) ++i;
  if (i < s.size() && s[i] == ':') {
    e.epoch = s.substr(0, i);
    if (e.epoch.empty()) e.epoch = "0";
    s.remove_prefix(i + 1);
  }
  if (auto dash = s.rfind('-'); dash != std::string_view::npos) {
    e.release = s.substr(dash + 1);
    e.has_release = true;
    s = s.substr(0, dash);
  }
  e.version = s;
  return e;
}

int vercmp(std::string_view a, std::string_view b) {
  if (a == b) return 0;
  std::size_t i = 0;
  std::size_t j = 0;
  auto sep = [](char c) { return !is_alnum(c) && c != '~' && c != '^'; };
  while (i < a.size() || j < b.size()) {
    while (i < a.size() && sep(a[i])) ++i;
    while (j < b.size() && sep(b[j])) ++j;
    bool a_end = i >= a.size();
    bool b_end = j >= b.size();
    char ca = a_end ? '\0' : a[i];
    char cb = b_end ? '\0' : b[j];
    if (ca == '~' || cb == '~') {
      if (ca != '~') return 1;
      if (cb != '~') return -1;
      ++i;
      ++j;
      continue;
    }
    if (ca == '^' || cb == '^') {
      if (a_end) return -1;
      if (b_end) return 1;
      if (ca != '^') return 1;
      if (cb != '^') return -1;
      ++i;
      ++j;
      continue;
    }
    if (a_end || b_end) break;
    std::size_t a0 = i;
    std::size_t b0 = j;
    bool numeric = is_digit(a[i]);
    if (numeric) {
      while (i < a.size() && is_digit(a[i])) ++i;
      while (j < b.size() && is_digit(b[j])) ++j;
    } else {
      while (i < a.size() && is_alpha(a[i])) ++i;
      while (j < b.size() && is_alpha(b[j])) ++j;
    }
    // Segments of different kinds: a number is newer than letters.
    if (j == b0) return numeric ? 1 : -1;
    std::string_view sa = a.substr(a0, i - a0);
    std::string_view sb = b.substr(b0, j - b0);
    int c = numeric ? compare_digits(sa, sb) : sign(sa.compare(sb));
    if (c != 0) return c;
  }
  bool a_end = i >= a.size();
  bool b_end = j >= b.size();
  if (a_end && b_end) return 0;
  return a_end ? -1 : 1;
}

}  // namespace

Result<int> rpm_vercmp(std::string_view a, std::string_view b) {
  return vercmp(a, b);
}

Result<int> rpm_compare(std::string_view a, std::string_view b) {
  Evr ea = split_evr(a);
  Evr eb = split_evr(b);
  if (int c = vercmp(ea.epoch.empty() ? "0" : ea.epoch, eb.epoch.empty() ? "0" : eb.epoch); c != 0) return c;
  if (int c = vercmp(ea.version, eb.version); c != 0) return c;
  // OSV's Red Hat ordering: a version without a release sorts before the same version with
  // one (even an empty one: "1" < "1-" == "1-").
  if (ea.has_release != eb.has_release) return ea.has_release ? 1 : -1;
  return vercmp(ea.release, eb.release);
}

}  // namespace bulwark::vuln::version::detail
