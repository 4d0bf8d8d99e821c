// Internal: one comparator per ecosystem, and the helpers they share. version.cpp dispatches
// to these; nothing outside src/vuln/version includes this header.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "util/error.hpp"
#include "vuln/version/version.hpp"

namespace bulwark::vuln::version::detail {

// Compares two runs of ASCII digits by value without converting them (leading zeros ignored).
[[nodiscard]] int compare_digits(std::string_view a, std::string_view b) noexcept;
[[nodiscard]] inline bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}
[[nodiscard]] inline bool is_alpha(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
[[nodiscard]] inline bool is_alnum(char c) noexcept {
  return is_digit(c) || is_alpha(c);
}
[[nodiscard]] inline int sign(int v) noexcept {
  return (v > 0) - (v < 0);
}
[[nodiscard]] bool all_digits(std::string_view s) noexcept;
// SemVer 2.0 precedence of two dot-separated pre-release strings (without the '-'); empty = release.
[[nodiscard]] int compare_prerelease_ids(std::string_view a, std::string_view b);
// Adds one to a run of ASCII digits ("199" -> "200"), leading zeros dropped.
[[nodiscard]] std::string increment_digits(std::string_view digits);

// A relational operator of the generic comparator-list syntax.
enum class Op { lt, le, eq, ne, ge, gt };
[[nodiscard]] bool op_holds(Op op, int cmp) noexcept;

// Generic "op version[, op version...] [|| ...]" ranges for schemes without their own syntax.
using CompareFn = Result<int> (*)(std::string_view, std::string_view);
[[nodiscard]] Result<bool> satisfies_comparator_list(std::string_view version, std::string_view range, CompareFn cmp);

[[nodiscard]] Result<int> dpkg_compare(std::string_view a, std::string_view b);
[[nodiscard]] bool dpkg_valid(std::string_view v);

[[nodiscard]] Result<int> rpm_vercmp(std::string_view a, std::string_view b);   // plain rpmvercmp
[[nodiscard]] Result<int> rpm_compare(std::string_view a, std::string_view b);  // [e:]v[-r]

[[nodiscard]] Result<int> apk_compare(std::string_view a, std::string_view b);
[[nodiscard]] bool apk_valid(std::string_view v);
[[nodiscard]] Result<bool> apk_satisfies(std::string_view version, std::string_view constraint);

[[nodiscard]] Result<int> go_compare(std::string_view a, std::string_view b);
[[nodiscard]] bool go_valid(std::string_view v);
[[nodiscard]] std::string go_canonical_impl(std::string_view v);

[[nodiscard]] Result<int> npm_compare(std::string_view a, std::string_view b, Options options);
[[nodiscard]] bool npm_valid(std::string_view v, Options options);
[[nodiscard]] Result<bool> npm_satisfies(std::string_view version, std::string_view range, Options options);

[[nodiscard]] Result<int> cargo_compare(std::string_view a, std::string_view b);
[[nodiscard]] bool cargo_valid(std::string_view v);
[[nodiscard]] Result<bool> cargo_satisfies(std::string_view version, std::string_view req);

[[nodiscard]] Result<int> pep440_compare(std::string_view a, std::string_view b);
[[nodiscard]] bool pep440_valid(std::string_view v);
[[nodiscard]] Result<bool> pep440_satisfies(std::string_view version, std::string_view specifiers);

[[nodiscard]] Result<int> maven_compare(std::string_view a, std::string_view b);
[[nodiscard]] Result<bool> maven_satisfies(std::string_view version, std::string_view range);

[[nodiscard]] Result<int> rubygems_compare(std::string_view a, std::string_view b);
[[nodiscard]] bool rubygems_valid(std::string_view v);
[[nodiscard]] Result<bool> rubygems_satisfies(std::string_view version, std::string_view requirement);

}  // namespace bulwark::vuln::version::detail
