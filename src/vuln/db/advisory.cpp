#include "vuln/db/advisory.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace bulwark::vuln::db {
namespace {

template <class E, std::size_t N>
std::optional<E> lookup_name(const std::array<std::pair<E, std::string_view>, N>& table, std::string_view s) {
  for (const auto& [value, name] : table) {
    if (name == s) return value;
  }
  return std::nullopt;
}

template <class E, std::size_t N>
std::string_view name_of(const std::array<std::pair<E, std::string_view>, N>& table, E v) {
  for (const auto& [value, name] : table) {
    if (value == v) return name;
  }
  return "?";
}

constexpr std::array<std::pair<RangeType, std::string_view>, 3> kRangeTypes{{
    {RangeType::ecosystem, "ECOSYSTEM"},
    {RangeType::semver, "SEMVER"},
    {RangeType::git, "GIT"},
}};
constexpr std::array<std::pair<EventKind, std::string_view>, 4> kEventKinds{{
    {EventKind::introduced, "introduced"},
    {EventKind::fixed, "fixed"},
    {EventKind::last_affected, "last_affected"},
    {EventKind::limit, "limit"},
}};
constexpr std::array<std::pair<RequirementSyntax, std::string_view>, 3> kSyntaxes{{
    {RequirementSyntax::none, "none"},
    {RequirementSyntax::cargo, "cargo"},
    {RequirementSyntax::node_semver, "node-semver"},
}};
constexpr std::array<std::pair<VendorState, std::string_view>, 11> kStates{{
    {VendorState::fixed, "fixed"},
    {VendorState::unfixed, "unfixed"},
    {VendorState::no_dsa, "no-dsa"},
    {VendorState::postponed, "postponed"},
    {VendorState::ignored, "ignored"},
    {VendorState::will_not_fix, "will-not-fix"},
    {VendorState::under_investigation, "under-investigation"},
    {VendorState::end_of_life, "end-of-life"},
    {VendorState::not_affected, "not-affected"},
    {VendorState::removed, "removed"},
    {VendorState::withdrawn, "withdrawn"},
}};

}  // namespace

std::string_view to_string(RangeType t) noexcept {
  return name_of(kRangeTypes, t);
}
std::string_view to_string(EventKind k) noexcept {
  return name_of(kEventKinds, k);
}
std::string_view to_string(RequirementSyntax s) noexcept {
  return name_of(kSyntaxes, s);
}
std::string_view to_string(VendorState s) noexcept {
  return name_of(kStates, s);
}
std::optional<RangeType> range_type_from(std::string_view s) noexcept {
  return lookup_name(kRangeTypes, s);
}
std::optional<EventKind> event_kind_from(std::string_view s) noexcept {
  return lookup_name(kEventKinds, s);
}
std::optional<RequirementSyntax> requirement_syntax_from(std::string_view s) noexcept {
  return lookup_name(kSyntaxes, s);
}
std::optional<VendorState> vendor_state_from(std::string_view s) noexcept {
  return lookup_name(kStates, s);
}

std::string normalise_package(std::string_view ecosystem, std::string_view name) {
  if (ecosystem != "PyPI") return std::string(name);
  // PEP 503: lower-case, and every run of "-", "_" and "." becomes one "-".
  std::string out;
  out.reserve(name.size());
  bool in_separator = false;
  for (char c : name) {
    if (c == '-' || c == '_' || c == '.') {
      if (!in_separator) out.push_back('-');
      in_separator = true;
      continue;
    }
    in_separator = false;
    out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  }
  return out;
}

void add_alias(Advisory& advisory, std::string_view alias) {
  if (alias.empty() || alias == advisory.id) return;
  if (std::find(advisory.aliases.begin(), advisory.aliases.end(), alias) != advisory.aliases.end()) return;
  advisory.aliases.emplace_back(alias);
}

}  // namespace bulwark::vuln::db
