#include "core/model.hpp"

#include <array>
#include <utility>

namespace bulwark::core {

std::string_view to_string(Severity s) noexcept {
  switch (s) {
    case Severity::unknown: return "unknown";
    case Severity::info: return "info";
    case Severity::low: return "low";
    case Severity::medium: return "medium";
    case Severity::high: return "high";
    case Severity::critical: return "critical";
  }
  return "unknown";
}

std::optional<Severity> parse_severity(std::string_view s) noexcept {
  static constexpr std::array<std::pair<std::string_view, Severity>, 9> table{{
      {"unknown", Severity::unknown},
      {"info", Severity::info},
      {"negligible", Severity::info},
      {"low", Severity::low},
      {"medium", Severity::medium},
      {"moderate", Severity::medium},
      {"high", Severity::high},
      {"important", Severity::high},
      {"critical", Severity::critical},
  }};
  for (auto& [name, sev] : table) {
    if (s.size() != name.size()) continue;
    bool eq = true;
    for (std::size_t i = 0; i < s.size(); ++i) {
      char c = s[i];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      if (c != name[i]) {
        eq = false;
        break;
      }
    }
    if (eq) return sev;
  }
  return std::nullopt;
}

namespace {
constexpr std::array<std::pair<Practice, std::string_view>, 10> kPractices{{
    {Practice::trusted_base_image, "trusted-base-image"},
    {Practice::up_to_date, "up-to-date"},
    {Practice::access_control, "access-control"},
    {Practice::limit_privileges, "limit-privileges"},
    {Practice::isolation, "isolation"},
    {Practice::network_policy, "network-policy"},
    {Practice::monitoring, "monitoring"},
    {Practice::vulnerability_scan, "vulnerability-scan"},
    {Practice::least_privilege, "least-privilege"},
    {Practice::host_hardening, "host-hardening"},
}};
}  // namespace

std::string_view to_string(Practice p) noexcept {
  for (auto& [k, v] : kPractices) {
    if (k == p) return v;
  }
  return "unknown";
}

std::optional<Practice> parse_practice(std::string_view s) noexcept {
  for (auto& [k, v] : kPractices) {
    if (v == s) return k;
  }
  return std::nullopt;
}

std::string_view to_string(FindingStatus s) noexcept {
  switch (s) {
    case FindingStatus::fail: return "fail";
    case FindingStatus::warn: return "warn";
    case FindingStatus::pass: return "pass";
    case FindingStatus::manual: return "manual";
    case FindingStatus::skipped: return "skipped";
    case FindingStatus::info: return "info";
  }
  return "fail";
}

std::string_view to_string(TargetKind k) noexcept {
  switch (k) {
    case TargetKind::image: return "image";
    case TargetKind::rootfs: return "rootfs";
    case TargetKind::sbom: return "sbom";
    case TargetKind::file: return "file";
    case TargetKind::host: return "host";
    case TargetKind::daemon: return "daemon";
    case TargetKind::container: return "container";
    case TargetKind::cluster: return "cluster";
  }
  return "image";
}

std::string_view to_string(Ecosystem e) noexcept {
  switch (e) {
    case Ecosystem::unknown: return "unknown";
    case Ecosystem::deb: return "deb";
    case Ecosystem::apk: return "apk";
    case Ecosystem::rpm: return "rpm";
    case Ecosystem::pypi: return "pypi";
    case Ecosystem::npm: return "npm";
    case Ecosystem::golang: return "golang";
    case Ecosystem::maven: return "maven";
    case Ecosystem::cargo: return "cargo";
    case Ecosystem::gem: return "gem";
  }
  return "unknown";
}

}  // namespace bulwark::core
