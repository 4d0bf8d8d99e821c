// End-of-life table and finding. Dates are the vendors' published ends of security support:
//  - Debian: wiki.debian.org/DebianReleases and wiki.debian.org/LTS (the LTS end is used, as
//    security updates continue until then).
//  - Ubuntu: ubuntu.com/about/release-cycle (end of standard support; ESM needs a subscription).
//  - Alpine: alpinelinux.org/releases (end of support of each 3.x branch).
//  - RHEL and rebuilds: access.redhat.com/support/policy/updates/errata (end of maintenance),
//    wiki.centos.org, wiki.rockylinux.org, wiki.almalinux.org; UBI follows RHEL.
//  - Amazon Linux: aws.amazon.com/amazon-linux-2/faqs and docs.aws.amazon.com/linux/al2023.
//  - Wolfi is rolling (never EOL); distroless follows the Debian release it is built from.
#include <fmt/format.h>

#include <array>
#include <string>

#include "catalog/catalog.hpp"

namespace bulwark::catalog {

namespace {

struct EolEntry {
  std::string_view family;   // normalised os id
  std::string_view version;  // normalised version key
  std::string_view eol;      // YYYY-MM-DD: end of security support
  std::string_view successor;
};

constexpr std::array kEol = {
    EolEntry{"debian", "9", "2022-06-30", "Debian 12"},
    EolEntry{"debian", "10", "2024-06-30", "Debian 12"},
    EolEntry{"debian", "11", "2026-08-31", "Debian 13"},
    EolEntry{"debian", "12", "2028-06-30", "Debian 13"},
    EolEntry{"debian", "13", "2030-06-30", "Debian 14"},
    EolEntry{"ubuntu", "16.04", "2021-04-30", "Ubuntu 24.04 LTS"},
    EolEntry{"ubuntu", "16.10", "2017-07-20", "Ubuntu 24.04 LTS"},
    EolEntry{"ubuntu", "17.04", "2018-01-13", "Ubuntu 24.04 LTS"},
    EolEntry{"ubuntu", "17.10", "2018-07-19", "Ubuntu 24.04 LTS"},
    EolEntry{"ubuntu", "18.04", "2023-05-31", "Ubuntu 24.04 LTS"},
    EolEntry{"ubuntu", "18.10", "2019-07-18", "Ubuntu 24.04 LTS"},
    EolEntry{"ubuntu", "19.04", "2020-01-23", "Ubuntu 24.04 LTS"},
    EolEntry{"ubuntu", "19.10", "2020-07-17", "Ubuntu 24.04 LTS"},
    EolEntry{"ubuntu", "20.04", "2025-05-31", "Ubuntu 24.04 LTS"},
    EolEntry{"ubuntu", "20.10", "2021-07-22", "Ubuntu 24.04 LTS"},
    EolEntry{"ubuntu", "21.04", "2022-01-20", "Ubuntu 24.04 LTS"},
    EolEntry{"ubuntu", "21.10", "2022-07-14", "Ubuntu 24.04 LTS"},
    EolEntry{"ubuntu", "22.04", "2027-06-01", "Ubuntu 24.04 LTS"},
    EolEntry{"ubuntu", "22.10", "2023-07-20", "Ubuntu 24.04 LTS"},
    EolEntry{"ubuntu", "23.04", "2024-01-25", "Ubuntu 24.04 LTS"},
    EolEntry{"ubuntu", "23.10", "2024-07-11", "Ubuntu 24.04 LTS"},
    EolEntry{"ubuntu", "24.04", "2029-05-31", "Ubuntu 26.04 LTS"},
    EolEntry{"ubuntu", "24.10", "2025-07-10", "Ubuntu 24.04 LTS"},
    EolEntry{"ubuntu", "25.04", "2026-01-15", "Ubuntu 24.04 LTS"},
    EolEntry{"alpine", "3.0", "2016-05-01", "Alpine 3.22"},
    EolEntry{"alpine", "3.1", "2016-11-01", "Alpine 3.22"},
    EolEntry{"alpine", "3.2", "2017-05-01", "Alpine 3.22"},
    EolEntry{"alpine", "3.3", "2017-11-01", "Alpine 3.22"},
    EolEntry{"alpine", "3.4", "2018-05-01", "Alpine 3.22"},
    EolEntry{"alpine", "3.5", "2018-11-01", "Alpine 3.22"},
    EolEntry{"alpine", "3.6", "2019-05-01", "Alpine 3.22"},
    EolEntry{"alpine", "3.7", "2019-11-01", "Alpine 3.22"},
    EolEntry{"alpine", "3.8", "2020-05-01", "Alpine 3.22"},
    EolEntry{"alpine", "3.9", "2020-11-01", "Alpine 3.22"},
    EolEntry{"alpine", "3.10", "2021-05-01", "Alpine 3.22"},
    EolEntry{"alpine", "3.11", "2021-11-01", "Alpine 3.22"},
    EolEntry{"alpine", "3.12", "2022-05-01", "Alpine 3.22"},
    EolEntry{"alpine", "3.13", "2022-11-01", "Alpine 3.22"},
    EolEntry{"alpine", "3.14", "2023-05-01", "Alpine 3.22"},
    EolEntry{"alpine", "3.15", "2023-11-01", "Alpine 3.22"},
    EolEntry{"alpine", "3.16", "2024-05-23", "Alpine 3.22"},
    EolEntry{"alpine", "3.17", "2024-11-22", "Alpine 3.22"},
    EolEntry{"alpine", "3.18", "2025-05-09", "Alpine 3.22"},
    EolEntry{"alpine", "3.19", "2025-11-01", "Alpine 3.22"},
    EolEntry{"alpine", "3.20", "2026-04-01", "Alpine 3.22"},
    EolEntry{"alpine", "3.21", "2026-11-01", "Alpine 3.22"},
    EolEntry{"alpine", "3.22", "2027-05-01", "Alpine 3.23"},
    EolEntry{"rhel", "7", "2024-06-30", "RHEL 9 (UBI 9)"},
    EolEntry{"rhel", "8", "2029-05-31", "RHEL 9 (UBI 9)"},
    EolEntry{"rhel", "9", "2032-05-31", "RHEL 10 (UBI 10)"},
    EolEntry{"centos", "7", "2024-06-30", "a RHEL 9 rebuild (Rocky Linux 9, AlmaLinux 9) or CentOS Stream 9"},
    EolEntry{"centos", "8", "2021-12-31", "a RHEL 9 rebuild (Rocky Linux 9, AlmaLinux 9) or CentOS Stream 9"},
    // os-release cannot tell CentOS Stream 9 from a CentOS 9 that never existed: Stream's end.
    EolEntry{"centos", "9", "2027-05-31", "a RHEL 9 rebuild (Rocky Linux 9, AlmaLinux 9) or CentOS Stream 10"},
    EolEntry{"rocky", "8", "2029-05-31", "Rocky Linux 9"},
    EolEntry{"rocky", "9", "2032-05-31", "Rocky Linux 10"},
    EolEntry{"almalinux", "8", "2029-05-31", "AlmaLinux 9"},
    EolEntry{"almalinux", "9", "2032-05-31", "AlmaLinux 10"},
    EolEntry{"amzn", "2", "2026-06-30", "Amazon Linux 2023"},
    EolEntry{"amzn", "2023", "2029-06-30", "the next Amazon Linux release"},
};

// Maps os-release id/version to the table's keys: major only for Debian and the RHEL family,
// major.minor for Alpine and Ubuntu.
std::pair<std::string, std::string> eol_key(const core::OsInfo& os) {
  std::string id = os.id;
  if (id == "redhat") id = "rhel";
  if (id == "distroless") id = "debian";  // distroless images carry Debian's version
  std::string v = os.version_id;
  auto cut_after = [&](int dots) {
    std::size_t pos = 0;
    for (int i = 0; i <= dots; ++i) {
      pos = v.find('.', i == 0 ? 0 : pos + 1);
      if (pos == std::string::npos) return;
    }
    v.resize(pos);
  };
  if (id == "alpine" || id == "ubuntu") {
    cut_after(1);
  } else if (id == "debian" || id == "rhel" || id == "centos" || id == "rocky" || id == "almalinux") {
    cut_after(0);
  }
  return {id, v};
}

}  // namespace

std::optional<std::string_view> eol_date(const core::OsInfo& os) {
  auto [id, version] = eol_key(os);
  for (const auto& e : kEol) {
    if (e.family == id && e.version == version) return e.eol;
  }
  return std::nullopt;
}

std::optional<core::Finding> eol_finding(const core::OsInfo& os, std::string_view today) {
  auto [id, version] = eol_key(os);
  for (const auto& e : kEol) {
    if (e.family != id || e.version != version) continue;
    // ISO dates compare correctly as strings; the support ends at the end of the EOL day.
    if (today <= e.eol) return std::nullopt;
    core::Finding f;
    f.id = fmt::format("BULWARK-EOL-{}-{}", id, version);
    auto name = os.pretty_name.empty() ? fmt::format("{} {}", id, version) : os.pretty_name;
    f.title = fmt::format("{} is past its end of life", name);
    f.severity = core::Severity::high;
    f.status = core::FindingStatus::fail;
    f.practice = core::Practice::up_to_date;
    f.evidence = fmt::format("{} {} reached end of security support on {}; no more security updates are published", id,
                             version, e.eol);
    f.remediation = fmt::format("Rebuild the image on {}, a release that still gets security updates.", e.successor);
    return f;
  }
  return std::nullopt;
}

}  // namespace bulwark::catalog
