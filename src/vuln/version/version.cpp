// Dispatch from a scheme (or an ecosystem name) to its comparator.
#include "vuln/version/version.hpp"

#include <string>

#include "util/strings.hpp"
#include "vuln/version/schemes.hpp"

namespace bulwark::vuln::version {

Result<Scheme> parse_scheme(std::string_view name) {
  std::string n = util::to_lower(util::trim(name));
  // OSV writes release-qualified ecosystems such as "Debian:12" or "Alpine:v3.20".
  if (auto colon = n.find(':'); colon != std::string::npos) n.resize(colon);
  n = std::string(util::trim(n));
  struct Alias {
    std::string_view name;
    Scheme scheme;
  };
  static constexpr Alias aliases[] = {
      {"dpkg", Scheme::dpkg},       {"deb", Scheme::dpkg},
      {"debian", Scheme::dpkg},     {"ubuntu", Scheme::dpkg},
      {"apk", Scheme::apk},         {"alpine", Scheme::apk},
      {"alpaquita", Scheme::apk},   {"wolfi", Scheme::apk},
      {"chainguard", Scheme::apk},  {"rpm", Scheme::rpm},
      {"red hat", Scheme::rpm},     {"redhat", Scheme::rpm},
      {"rhel", Scheme::rpm},        {"centos", Scheme::rpm},
      {"fedora", Scheme::rpm},      {"rocky linux", Scheme::rpm},
      {"rocky", Scheme::rpm},       {"almalinux", Scheme::rpm},
      {"alma", Scheme::rpm},        {"oracle linux", Scheme::rpm},
      {"suse", Scheme::rpm},        {"sles", Scheme::rpm},
      {"opensuse", Scheme::rpm},    {"amazon linux", Scheme::rpm},
      {"amazon", Scheme::rpm},      {"mariner", Scheme::rpm},
      {"azure linux", Scheme::rpm}, {"photon os", Scheme::rpm},
      {"openeuler", Scheme::rpm},   {"pep440", Scheme::pep440},
      {"pypi", Scheme::pep440},     {"python", Scheme::pep440},
      {"pip", Scheme::pep440},      {"npm", Scheme::npm},
      {"semver", Scheme::npm},      {"node-semver", Scheme::npm},
      {"go", Scheme::go},           {"golang", Scheme::go},
      {"maven", Scheme::maven},     {"rubygems", Scheme::rubygems},
      {"gem", Scheme::rubygems},    {"crates.io", Scheme::cargo},
      {"cargo", Scheme::cargo},     {"rust", Scheme::cargo},
  };
  for (const auto& a : aliases)
    if (n == a.name) return a.scheme;
  // Distribution names with a suffix: "SUSE Linux Enterprise Server", "openSUSE Leap", "Red Hat Enterprise Linux".
  for (std::string_view prefix :
       {"suse", "opensuse", "red hat", "amazon linux", "rocky", "almalinux", "oracle", "cbl-mariner"})
    if (n.starts_with(prefix)) return Scheme::rpm;
  return fail(ErrorCode::invalid_argument, "unknown ecosystem", std::string(name));
}

std::string_view to_string(Scheme scheme) noexcept {
  switch (scheme) {
    case Scheme::dpkg: return "dpkg";
    case Scheme::apk: return "apk";
    case Scheme::rpm: return "rpm";
    case Scheme::pep440: return "pep440";
    case Scheme::npm: return "semver";
    case Scheme::go: return "go";
    case Scheme::maven: return "maven";
    case Scheme::rubygems: return "rubygems";
    case Scheme::cargo: return "cargo";
  }
  return "unknown";
}

Result<int> compare(Scheme scheme, std::string_view a, std::string_view b, Options options) {
  switch (scheme) {
    case Scheme::dpkg: return detail::dpkg_compare(a, b);
    case Scheme::apk: return detail::apk_compare(a, b);
    case Scheme::rpm: return detail::rpm_compare(a, b);
    case Scheme::pep440: return detail::pep440_compare(a, b);
    case Scheme::npm: return detail::npm_compare(a, b, options);
    case Scheme::go: return detail::go_compare(a, b);
    case Scheme::maven: return detail::maven_compare(a, b);
    case Scheme::rubygems: return detail::rubygems_compare(a, b);
    case Scheme::cargo: return detail::cargo_compare(a, b);
  }
  return fail(ErrorCode::internal, "unknown version scheme");
}

bool is_valid(Scheme scheme, std::string_view version, Options options) {
  switch (scheme) {
    case Scheme::dpkg: return detail::dpkg_valid(version);
    case Scheme::apk: return detail::apk_valid(version);
    case Scheme::rpm: return !version.empty();
    case Scheme::pep440: return detail::pep440_valid(version);
    case Scheme::npm: return detail::npm_valid(version, options);
    case Scheme::go: return detail::go_valid(version);
    case Scheme::maven: return detail::maven_compare(version, version).has_value();
    case Scheme::rubygems: return detail::rubygems_valid(version);
    case Scheme::cargo: return detail::cargo_valid(version);
  }
  return false;
}

Result<bool> satisfies(Scheme scheme, std::string_view version, std::string_view range, Options options) {
  switch (scheme) {
    case Scheme::npm: return detail::npm_satisfies(version, range, options);
    case Scheme::cargo: return detail::cargo_satisfies(version, range);
    case Scheme::pep440: return detail::pep440_satisfies(version, range);
    case Scheme::apk: return detail::apk_satisfies(version, range);
    case Scheme::maven: return detail::maven_satisfies(version, range);
    case Scheme::rubygems: return detail::rubygems_satisfies(version, range);
    case Scheme::dpkg: return detail::satisfies_comparator_list(version, range, detail::dpkg_compare);
    case Scheme::rpm: return detail::satisfies_comparator_list(version, range, detail::rpm_compare);
    case Scheme::go: return detail::satisfies_comparator_list(version, range, detail::go_compare);
  }
  return fail(ErrorCode::internal, "unknown version scheme");
}

std::string go_canonical(std::string_view version) {
  return detail::go_canonical_impl(version);
}

}  // namespace bulwark::vuln::version
