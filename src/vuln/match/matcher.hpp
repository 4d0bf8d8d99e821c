// Matching packages against the advisory store: which advisories affect which
// installed package, merged into one finding per vulnerability per package.
//
// OS packages match only their vendor's advisories: Debian by source package and
// source version in the tracker's suite ("Debian:11"), Alpine by origin in the
// release's secdb ("Alpine:v3.19"), Wolfi by origin. Language packages match the
// OSV-style ecosystems (PyPI, npm, Go, crates.io, Maven, RubyGems). Vendor states
// (unfixed, no-dsa, will-not-fix, end-of-life, ...) are kept on the finding; not-affected
// and withdrawn advisories never produce one. Advisories that share an id or alias
// (a DSA and its CVEs, a GO- record and its GHSA) become one finding whose id is the
// single CVE when there is exactly one, else the vendor's own id. Severity comes from
// the vendor's word where it gives one, else from the highest CVSS base score of the
// matched advisories, else (Debian and Alpine carry no CVSS) from other records in the
// database that share the finding's id or an alias (a CVE's GHSA, RustSec or PyPA
// record): their best CVSS vector, else a non-distribution severity word. Another
// distribution's word is never borrowed. The finding records where its severity
// came from (VulnerabilityRef::severity_source).
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/coverage.hpp"
#include "core/diagnostics.hpp"
#include "core/model.hpp"
#include "util/error.hpp"
#include "vuln/db/store.hpp"
#include "vuln/version/version.hpp"

namespace bulwark::vuln::match {

// One question to the store: the advisory ecosystem, the package name advisories use
// there and the version they compare against.
struct Query {
  std::string ecosystem;  // "Debian:11", "Alpine:v3.19", "Wolfi", "PyPI", "Go", ...
  std::string package;    // Debian: source package; Alpine/Wolfi: origin
  std::string version;    // Debian: source version
  version::Scheme scheme = version::Scheme::dpkg;
  // rpm: vendors key advisories by binary package (Red Hat, Alma, Rocky, SUSE, Amazon) or by
  // source RPM (OSV exports of some); the other name and its EVR are looked up too.
  std::string alt_package;
  std::string alt_version;
  // Further ecosystems the same name and version are looked up in: an Ubuntu LTS release's
  // "Ubuntu:Pro:22.04:LTS" (Canonical lists a release's CVEs there once its standard support ends).
  std::vector<std::string> extra_ecosystems;
};

// The query for a package, or nullopt with the reason no advisory ecosystem applies
// (e.g. an rpm package: no vendor data is imported for rpm distributions).
struct Coverage {
  std::optional<Query> query;
  std::string gap;  // why there is no query
};
[[nodiscard]] Coverage query_for(const core::Package& package, const core::OsInfo& os);

// The OSV ecosystem name of the distribution an os-release describes ("Debian:12",
// "Ubuntu:22.04:LTS", "Alpine:v3.20", "AlmaLinux:8", "Rocky Linux:9", "Red Hat:enterprise_linux:8",
// "SUSE:Linux Enterprise Server 15 SP5", "openSUSE:Leap 15.5", "Photon OS:5.0", "Azure Linux:3",
// "Amazon Linux:2023", "Oracle Linux:9", "Wolfi", "Chainguard"), or "" when it names none.
// The table is in docs/vulnerability-scanning.md.
[[nodiscard]] std::string distro_ecosystem(const core::OsInfo& os);

// Vendor words ("HIGH", "moderate", "important", "unimportant", "negligible") to a severity.
[[nodiscard]] std::optional<core::Severity> severity_from_word(std::string_view word);

struct MatchStats {
  std::size_t packages = 0;
  std::size_t matched_packages = 0;  // packages with at least one finding
  std::size_t findings = 0;
  std::map<std::string, std::size_t> uncovered;  // reason -> packages
  core::VulnCoverage coverage;                   // the same, for the reports and --exit-code
};

class Matcher {
 public:
  explicit Matcher(const db::Store& store) : store_(store) {}

  // Findings for one package: one per vulnerability, sorted by id. Versions the
  // ecosystem's comparator rejects are reported in diags, never guessed.
  [[nodiscard]] Result<std::vector<core::Finding>> match(const core::Package& package, const core::OsInfo& os,
                                                         const core::Target& target, core::Diagnostics& diags);

  // Matches every package of the scan and appends the findings to result.findings.
  // Packages no imported advisory source covers are counted in the stats, named in one
  // warning per reason and recorded in MatchStats::coverage (which the reports show and
  // --exit-code fails on: never a silent all-clear).
  [[nodiscard]] Result<MatchStats> match_all(core::ScanResult& result, core::Diagnostics& diags);

 private:
  // Fills an unknown severity from records sharing the finding's id or aliases; own:
  // the (source, id) of the advisories the finding was made from.
  [[nodiscard]] Status severity_from_aliases(core::Finding& f,
                                             const std::set<std::pair<std::string, std::string>>& own);

  const db::Store& store_;
  std::map<std::string, std::vector<db::Advisory>, std::less<>> alias_records_;  // per id or alias, with a severity
  std::map<std::string, bool, std::less<>> ecosystem_known_;
};

}  // namespace bulwark::vuln::match
