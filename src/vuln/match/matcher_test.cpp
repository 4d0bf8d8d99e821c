// The matcher against a database imported in the test from the real advisory files in
// BULWARK_SHARED_DIR. Every expected id below was read from the advisory text (DSA.list,
// the Alpine v3.18 secdb, the OSV/RustSec/security-wg records), not from bulwark's output.
#include "vuln/match/matcher.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include <unistd.h>

#include "vuln/db/import.hpp"

namespace bulwark::vuln::match {
namespace {

namespace fs = std::filesystem;
const fs::path kAdvisories = fs::path(BULWARK_SHARED_DIR) / "data" / "advisories";

class MatcherTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    path_ = fs::temp_directory_path() / ("bulwark-matcher-test-" + std::to_string(::getpid()) + ".db");
    fs::remove(path_);
    auto store = db::Store::open(path_, db::OpenMode::read_write);
    ASSERT_TRUE(store) << store.error().describe();
    core::Diagnostics diags;
    const auto tracker = kAdvisories / "debian-security-tracker";
    auto report =
        db::import_paths({tracker / "DSA.list", tracker / "CVE.list.sample", kAdvisories / "alpine-secdb-json.tar.zst",
                          kAdvisories / "go-vulndb-osv.tar.zst", kAdvisories / "pypa-advisory-db.tar.zst",
                          kAdvisories / "rustsec-osv.tar.zst", kAdvisories / "rustsec-advisory-db.tar.zst",
                          kAdvisories / "nodejs-security-wg.tar.zst"},
                         *store, diags);
    ASSERT_TRUE(report) << report.error().describe();
    ASSERT_GT(report->inserted, 10000u);
  }
  static void TearDownTestSuite() { fs::remove(path_); }

  void SetUp() override {
    auto store = db::Store::open(path_, db::OpenMode::read_only);
    ASSERT_TRUE(store) << store.error().describe();
    store_.emplace(std::move(*store));
  }

  std::vector<core::Finding> match(const core::Package& p, const core::OsInfo& os) {
    Matcher m(*store_);
    core::Diagnostics diags;
    auto f = m.match(p, os, core::Target{core::TargetKind::sbom, "test", ""}, diags);
    EXPECT_TRUE(f) << f.error().describe();
    return f ? *f : std::vector<core::Finding>{};
  }

  static std::set<std::string> ids(const std::vector<core::Finding>& findings) {
    std::set<std::string> out;
    for (const auto& f : findings) out.insert(f.id);
    return out;
  }

  static const core::Finding* find(const std::vector<core::Finding>& findings, std::string_view id) {
    for (const auto& f : findings) {
      if (f.id == id) return &f;
    }
    return nullptr;
  }

  static inline fs::path path_;
  std::optional<db::Store> store_;
};

core::Package deb(std::string name, std::string version, std::string source, std::string source_version = {}) {
  core::Package p;
  p.ecosystem = core::Ecosystem::deb;
  p.name = std::move(name);
  p.version = std::move(version);
  p.source_name = std::move(source);
  p.source_version = source_version.empty() ? p.version : std::move(source_version);
  return p;
}

core::Package lang(core::Ecosystem e, std::string name, std::string version) {
  core::Package p;
  p.ecosystem = e;
  p.name = std::move(name);
  p.version = std::move(version);
  return p;
}

const core::OsInfo kBullseye{"debian", "11", "Debian GNU/Linux 11 (bullseye)", "bullseye"};
const core::OsInfo kAlpine318{"alpine", "3.18.4", "Alpine Linux v3.18", ""};

TEST_F(MatcherTest, DebianBySourcePackageOneFindingPerDsa) {
  // DSA-5343-1 openssl: [bullseye] fixed in 1.1.1n-0+deb11u4, five CVEs. DSA-5169-1 fixed u3 (installed).
  auto f = match(deb("libssl1.1", "1.1.1n-0+deb11u3", "openssl"), kBullseye);
  EXPECT_EQ(ids(f), (std::set<std::string>{"DSA-5343-1"}));
  const auto* dsa = find(f, "DSA-5343-1");
  ASSERT_NE(dsa, nullptr);
  ASSERT_TRUE(dsa->vulnerability);
  EXPECT_EQ(dsa->vulnerability->fixed_version, "1.1.1n-0+deb11u4");
  EXPECT_EQ(dsa->vulnerability->state, "fixed");
  for (const char* cve : {"CVE-2022-2097", "CVE-2022-4304", "CVE-2022-4450", "CVE-2023-0215", "CVE-2023-0286"}) {
    const auto& a = dsa->vulnerability->aliases;
    EXPECT_NE(std::find(a.begin(), a.end(), cve), a.end()) << cve;
  }
  EXPECT_EQ(dsa->practice, core::Practice::vulnerability_scan);
  EXPECT_NE(dsa->remediation.find("1.1.1n-0+deb11u4"), std::string::npos);
  // Fixed version installed: nothing.
  EXPECT_TRUE(match(deb("libssl1.1", "1.1.1n-0+deb11u4", "openssl"), kBullseye).empty());
}

TEST_F(MatcherTest, DebianUsesTheSourceVersion) {
  // curl DSAs for bullseye: 5197-1 (u2), 5330-1 (u5, two CVEs), 5365-1 (u7, CVE-2023-23916).
  // The binary says u7 but was built from source u3: the source version decides.
  auto f = match(deb("libcurl4", "7.74.0-1.3+deb11u7", "curl", "7.74.0-1.3+deb11u3"), kBullseye);
  EXPECT_EQ(ids(f), (std::set<std::string>{"DSA-5330-1", "CVE-2023-23916"}));
  // A single-CVE DSA is reported under its CVE with the DSA as alias.
  const auto* one = find(f, "CVE-2023-23916");
  ASSERT_NE(one, nullptr);
  EXPECT_EQ(one->vulnerability->aliases, (std::vector<std::string>{"DSA-5365-1"}));
}

TEST_F(MatcherTest, DebianEpochs) {
  // xorg-server bullseye fixes: u1 5027, u2 5199, u3 5278, u4 5304, u5 5342 (CVE-2023-0494), u6 5380 (CVE-2023-1393).
  auto with_epoch = match(deb("xserver-common", "2:1.20.11-1+deb11u4", "xorg-server"), kBullseye);
  EXPECT_EQ(ids(with_epoch), (std::set<std::string>{"CVE-2023-0494", "CVE-2023-1393"}));
  // Without the epoch the version is older than every fix (epoch 0 < 2): all six.
  auto without = match(deb("xserver-common", "1.20.11-1+deb11u4", "xorg-server"), kBullseye);
  EXPECT_EQ(without.size(), 6u);
}

TEST_F(MatcherTest, DebianVendorStatesAreKept) {
  // CVE.list.sample: CVE-2021-36367 putty, [bullseye] <no-dsa> (Minor issue); urgency "low".
  auto f = match(deb("putty", "0.74-1", "putty"), kBullseye);
  const auto* v = find(f, "CVE-2021-36367");
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->vulnerability->state, "no-dsa");
  EXPECT_EQ(v->vulnerability->fixed_version, "");
  EXPECT_EQ(v->severity, core::Severity::low);
  EXPECT_NE(v->remediation.find("Minor issue"), std::string::npos);
  // Another suite's advisories never apply: the same putty on Debian 12 has no bookworm line.
  EXPECT_TRUE(match(deb("putty", "0.74-1", "putty"), core::OsInfo{"debian", "12", "", "bookworm"}).empty());
}

TEST_F(MatcherTest, AlpineByOrigin) {
  // v3.18 main.json openssl secfixes above 3.1.0-r4 (the installed version, itself a fix for CVE-2023-1255).
  const std::set<std::string> openssl{"CVE-2023-2650", "CVE-2023-2975", "CVE-2023-3446", "CVE-2023-3817",
                                      "CVE-2023-5363", "CVE-2023-5678", "CVE-2023-6129", "CVE-2023-6237",
                                      "CVE-2024-0727", "CVE-2024-2511", "CVE-2024-4603", "CVE-2024-5535",
                                      "CVE-2024-4741", "CVE-2024-6119", "CVE-2024-9143"};
  core::Package p;
  p.ecosystem = core::Ecosystem::apk;
  p.name = "libcrypto3";
  p.version = "3.1.0-r4";
  p.source_name = "openssl";
  EXPECT_EQ(ids(match(p, kAlpine318)), openssl);
  // busybox origin: 1.36.1-r1, 1.36.1-r6, 1.36.1-r7 (three CVEs) are above 1.36.0-r9.
  p.name = "ssl_client";
  p.version = "1.36.0-r9";
  p.source_name = "busybox";
  EXPECT_EQ(ids(match(p, kAlpine318)), (std::set<std::string>{"CVE-2022-48174", "CVE-2023-42366", "CVE-2023-42363",
                                                              "CVE-2023-42364", "CVE-2023-42365"}));
}

TEST_F(MatcherTest, OsvLastAffectedIsInclusive) {
  // PYSEC-2022-42969 (CVE-2022-42969): introduced 0, last_affected 1.11.0. PYSEC-2020-92 fixed 1.10.0.
  auto f = match(lang(core::Ecosystem::pypi, "py", "1.11.0"), {});
  EXPECT_EQ(ids(f), (std::set<std::string>{"CVE-2022-42969"}));
  EXPECT_EQ(f.at(0).vulnerability->state, "unfixed");
  EXPECT_TRUE(match(lang(core::Ecosystem::pypi, "py", "1.11.1"), {}).empty());
  EXPECT_EQ(ids(match(lang(core::Ecosystem::pypi, "Py", "1.9.0"), {})),
            (std::set<std::string>{"CVE-2020-29651", "CVE-2022-42969"}));
}

TEST_F(MatcherTest, OsvWithdrawnNeverMatches) {
  // GO-2024-2730 (withdrawn 2024-04-17) is the only advisory for gorilla/sessions; it covers all versions.
  EXPECT_TRUE(match(lang(core::Ecosystem::golang, "github.com/gorilla/sessions", "v1.2.1"), {}).empty());
}

TEST_F(MatcherTest, OsvSeveralIntervals) {
  // pterodactyl/wings: GO-2023-1542 [0,1.7.3)+[1.11.0,1.11.3), GO-2023-1555 [0,1.7.4)+[1.11.0,1.11.4),
  // GO-2023-1768 [0,1.7.5)+[1.11.0,1.11.6); v1.11.2 lies in the second interval of each, v1.8.0 in neither.
  auto in_second = ids(match(lang(core::Ecosystem::golang, "github.com/pterodactyl/wings", "v1.11.2"), {}));
  auto in_gap = ids(match(lang(core::Ecosystem::golang, "github.com/pterodactyl/wings", "v1.8.0"), {}));
  for (const char* id : {"CVE-2023-25152", "CVE-2023-25168", "CVE-2023-32080"}) {
    EXPECT_TRUE(in_second.contains(id)) << id;
    EXPECT_FALSE(in_gap.contains(id)) << id;
  }
  // Fourteen advisories cover v1.11.2 and eleven v1.8.0 (the rest are single [0,fix) or [1.7.0,1.12.0) ranges).
  EXPECT_EQ(in_second.size(), 14u);
  EXPECT_EQ(in_gap.size(), 11u);
  EXPECT_TRUE(in_second.contains("GO-2026-4497"));  // no CVE alias: the Go id stays
}

TEST_F(MatcherTest, CargoRequirementsMergedAcrossSources) {
  // smallvec 0.6.9: RUSTSEC-2018-0018 (patched >= 0.6.13), -2019-0009 and -2019-0012 (>= 0.6.10);
  // RUSTSEC-2018-0003 is patched (>= 0.6.3). Each is in the native and the OSV export: one finding each.
  auto f = match(lang(core::Ecosystem::cargo, "smallvec", "0.6.9"), {});
  EXPECT_EQ(ids(f), (std::set<std::string>{"CVE-2018-25023", "CVE-2019-15551", "CVE-2019-15554"}));
  const auto* v = find(f, "CVE-2018-25023");
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->vulnerability->fixed_version, "0.6.13");
  const auto& a = v->vulnerability->aliases;
  EXPECT_NE(std::find(a.begin(), a.end(), "RUSTSEC-2018-0018"), a.end());
}

TEST_F(MatcherTest, NpmRangesAndCvssSeverity) {
  // security-wg npm 516: lodash ">=4.17.15 <4.17.19", CVSS:3.0/AV:N/AC:L/PR:L/UI:N/S:U/C:L/I:L/A:L (6.3).
  auto f = match(lang(core::Ecosystem::npm, "lodash", "4.17.15"), {});
  ASSERT_EQ(ids(f), (std::set<std::string>{"NSWG-ECO-516"}));
  EXPECT_EQ(f[0].severity, core::Severity::medium);
  ASSERT_EQ(f[0].vulnerability->cvss.size(), 1u);
  EXPECT_DOUBLE_EQ(f[0].vulnerability->cvss[0].score, 6.3);
  EXPECT_EQ(f[0].vulnerability->fixed_version, "4.17.19");
  // 4.17.14 is below 516's range; 493 (<4.17.11) does not reach it either.
  EXPECT_TRUE(match(lang(core::Ecosystem::npm, "lodash", "4.17.14"), {}).empty());
}

TEST_F(MatcherTest, CoverageGapsAreCounted) {
  core::ScanResult r;
  r.os = {"ubuntu", "22.04", "", "jammy"};
  r.packages = {deb("libssl3", "3.0.2-0ubuntu1", "openssl")};
  core::Package rpm;
  rpm.ecosystem = core::Ecosystem::rpm;
  rpm.name = "openssl";
  rpm.version = "1:3.0.7-1.el9";
  r.packages.push_back(rpm);
  Matcher m(*store_);
  core::Diagnostics diags;
  auto stats = m.match_all(r, diags);
  ASSERT_TRUE(stats) << stats.error().describe();
  EXPECT_EQ(stats->packages, 2u);
  EXPECT_EQ(stats->findings, 0u);
  EXPECT_EQ(stats->uncovered.size(), 2u);
  EXPECT_EQ(diags.warning_count(), 2u);
}

TEST(MatcherQuery, EcosystemsForOsPackages) {
  auto q = query_for(deb("libssl1.1", "1.1.1n-0+deb11u3", "openssl"), kBullseye);
  ASSERT_TRUE(q.query);
  EXPECT_EQ(q.query->ecosystem, "Debian:11");
  EXPECT_EQ(q.query->package, "openssl");
  core::Package apk;
  apk.ecosystem = core::Ecosystem::apk;
  apk.name = "libssl3";
  apk.version = "3.1.0-r4";
  apk.source_name = "openssl";
  auto a = query_for(apk, kAlpine318);
  ASSERT_TRUE(a.query);
  EXPECT_EQ(a.query->ecosystem, "Alpine:v3.18");
  EXPECT_EQ(a.query->package, "openssl");
  EXPECT_EQ(query_for(apk, {"alpine", "3.21_alpha20240923", "", ""}).query->ecosystem, "Alpine:edge");
  EXPECT_EQ(query_for(apk, {"wolfi", "20230201", "", ""}).query->ecosystem, "Wolfi");
  EXPECT_EQ(query_for(deb("x", "1", "x"), {"debian", "", "", "bookworm"}).query->ecosystem, "Debian:12");
  EXPECT_FALSE(query_for(lang(core::Ecosystem::rpm, "openssl", "1"), {"debian", "12", "", ""}).query);
  EXPECT_FALSE(query_for(deb("x", "1", "x"), {"almalinux", "8.10", "", ""}).query);
  EXPECT_EQ(query_for(lang(core::Ecosystem::golang, "m", "1.2.3"), {}).query->version, "v1.2.3");
  EXPECT_EQ(query_for(lang(core::Ecosystem::golang, "stdlib", "go1.21.3"), {}).query->version, "v1.21.3");
  EXPECT_EQ(severity_from_word("MODERATE"), core::Severity::medium);
  EXPECT_EQ(severity_from_word("unimportant"), core::Severity::low);
  EXPECT_FALSE(severity_from_word("unsound"));
}

// os-release (ID, VERSION_ID) to the OSV ecosystem names of docs/vulnerability-scanning.md.
TEST(MatcherQuery, DistroEcosystemNames) {
  auto eco = [](std::string id, std::string version, std::string codename = {}) {
    return distro_ecosystem(core::OsInfo{std::move(id), std::move(version), "", std::move(codename)});
  };
  EXPECT_EQ(eco("debian", "12"), "Debian:12");
  EXPECT_EQ(eco("ubuntu", "22.04"), "Ubuntu:22.04:LTS");
  EXPECT_EQ(eco("ubuntu", "24.04"), "Ubuntu:24.04:LTS");
  EXPECT_EQ(eco("ubuntu", "23.10"), "Ubuntu:23.10");
  EXPECT_EQ(eco("ubuntu", "21.04"), "Ubuntu:21.04");
  EXPECT_EQ(eco("alpine", "3.20.3"), "Alpine:v3.20");
  EXPECT_EQ(eco("almalinux", "8.10"), "AlmaLinux:8");
  EXPECT_EQ(eco("rocky", "9.3"), "Rocky Linux:9");
  EXPECT_EQ(eco("rhel", "8.9"), "Red Hat:enterprise_linux:8");
  EXPECT_EQ(eco("ol", "9.4"), "Oracle Linux:9");
  EXPECT_EQ(eco("amzn", "2023"), "Amazon Linux:2023");
  EXPECT_EQ(eco("amzn", "2"), "Amazon Linux:2");
  EXPECT_EQ(eco("photon", "5.0"), "Photon OS:5.0");
  EXPECT_EQ(eco("azurelinux", "3.0"), "Azure Linux:3");
  EXPECT_EQ(eco("mariner", "2.0"), "CBL-Mariner:2");
  EXPECT_EQ(eco("sles", "15.5"), "SUSE:Linux Enterprise Server 15 SP5");
  EXPECT_EQ(eco("sles", "15"), "SUSE:Linux Enterprise Server 15");
  EXPECT_EQ(eco("opensuse-leap", "15.5"), "openSUSE:Leap 15.5");
  EXPECT_EQ(eco("opensuse-tumbleweed", "20240101"), "openSUSE:Tumbleweed");
  EXPECT_EQ(eco("wolfi", "20230201"), "Wolfi");
  EXPECT_EQ(eco("chainguard", ""), "Chainguard");
  EXPECT_EQ(eco("fedora", "40"), "");
  EXPECT_EQ(eco("almalinux", ""), "");
}

// rpm: the binary name with its EVR, and the source RPM with its EVR as the second name.
TEST(MatcherQuery, RpmByBinaryAndSourceRpm) {
  core::Package p;
  p.ecosystem = core::Ecosystem::rpm;
  p.name = "openssl-libs";
  p.version = "1:1.1.1k-7.el8_6";
  p.source_name = "openssl";
  p.source_version = "1:1.1.1k-7.el8_6";
  auto c = query_for(p, {"almalinux", "8.6", "", ""});
  ASSERT_TRUE(c.query);
  EXPECT_EQ(c.query->ecosystem, "AlmaLinux:8");
  EXPECT_EQ(c.query->scheme, version::Scheme::rpm);
  EXPECT_EQ(c.query->package, "openssl-libs");
  EXPECT_EQ(c.query->version, "1:1.1.1k-7.el8_6");
  EXPECT_EQ(c.query->alt_package, "openssl");
  EXPECT_EQ(c.query->alt_version, "1:1.1.1k-7.el8_6");
}

// SLES and SLED are matched in the SUSE modules of their release too (SUSE's data names the module
// that ships a package: glibc is in Basesystem); SLE 12 modules carry no service pack.
TEST(MatcherQuery, SuseModules) {
  core::Package p;
  p.ecosystem = core::Ecosystem::rpm;
  p.name = "glibc";
  p.version = "2.31-9.3.2";
  auto has = [](const std::vector<std::string>& v, std::string_view e) {
    return std::find(v.begin(), v.end(), e) != v.end();
  };
  auto c15 = query_for(p, {"sles", "15.3", "", ""});
  ASSERT_TRUE(c15.query);
  EXPECT_EQ(c15.query->ecosystem, "SUSE:Linux Enterprise Server 15 SP3");
  EXPECT_TRUE(has(c15.query->extra_ecosystems, "SUSE:Linux Enterprise Module for Basesystem 15 SP3"));
  EXPECT_TRUE(has(c15.query->extra_ecosystems, "SUSE:Linux Enterprise Module for Server Applications 15 SP3"));
  EXPECT_FALSE(has(c15.query->extra_ecosystems, "SUSE:Linux Enterprise Module for Basesystem 15 SP4"));
  auto c12 = query_for(p, {"sles", "12.4", "", ""});
  ASSERT_TRUE(c12.query);
  EXPECT_TRUE(has(c12.query->extra_ecosystems, "SUSE:Linux Enterprise Module for Legacy Software 12"));
  auto leap = query_for(p, {"opensuse-leap", "15.0", "", ""});
  ASSERT_TRUE(leap.query);
  EXPECT_EQ(leap.query->ecosystem, "openSUSE:Leap 15.0");
  EXPECT_TRUE(leap.query->extra_ecosystems.empty());
}

// Severity borrowed from aliased records: a tiny database written here, by hand.
class AliasSeverityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = fs::temp_directory_path() / ("bulwark-alias-severity-" + std::to_string(::getpid()) + ".db");
    fs::remove(path_);
    auto store = db::Store::open(path_, db::OpenMode::read_write);
    ASSERT_TRUE(store) << store.error().describe();
    store_.emplace(std::move(*store));
  }
  void TearDown() override {
    store_.reset();
    fs::remove(path_);
  }

  void put(db::Advisory a) {
    auto r = store_->upsert(a);
    ASSERT_TRUE(r) << r.error().describe();
  }

  static db::Affected fixed_in(std::string ecosystem, std::string package, std::string fixed) {
    db::Affected af;
    af.ecosystem = std::move(ecosystem);
    af.package = std::move(package);
    af.state = db::VendorState::fixed;
    af.ranges.push_back(
        {db::RangeType::ecosystem, {}, {{db::EventKind::introduced, "0"}, {db::EventKind::fixed, fixed}}});
    return af;
  }

  std::vector<core::Finding> match(const core::Package& p, const core::OsInfo& os) {
    Matcher m(*store_);
    core::Diagnostics diags;
    auto f = m.match(p, os, core::Target{core::TargetKind::rootfs, "test", ""}, diags);
    EXPECT_TRUE(f) << f.error().describe();
    return f ? *f : std::vector<core::Finding>{};
  }

  fs::path path_;
  std::optional<db::Store> store_;
};

// CVSS 3.1 base 9.8 (critical) and 5.3 (medium).
constexpr const char* kCritical = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
constexpr const char* kMedium = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N";

// An advisory record as an importer stores it; `affected` is added by the test when it matters.
db::Advisory record(std::string source, std::string id, std::vector<std::string> aliases = {},
                    std::vector<std::string> cvss = {}, std::string severity = {}) {
  db::Advisory a;
  a.source = std::move(source);
  a.id = std::move(id);
  a.aliases = std::move(aliases);
  a.cvss = std::move(cvss);
  a.severity = std::move(severity);
  return a;
}

core::Package apk(std::string name, std::string version) {
  core::Package p;
  p.ecosystem = core::Ecosystem::apk;
  p.name = std::move(name);
  p.version = std::move(version);
  return p;
}

TEST_F(AliasSeverityTest, AlpineFindingTakesTheCvssOfAnAliasedOsvRecord) {
  auto alpine = record("alpine:v3.18/main", "CVE-2099-0001");  // as the secdb importer writes it: no severity, no CVSS
  alpine.affected.push_back(fixed_in("Alpine:v3.18", "libfoo", "1.2.4-r0"));
  put(alpine);
  // another ecosystem's record for the same CVE
  auto ghsa = record("osv:GHSA", "GHSA-aaaa-bbbb-cccc", {"CVE-2099-0001"}, {kCritical}, "MODERATE");
  ghsa.affected.push_back(fixed_in("PyPI", "foo", "2.0"));
  put(ghsa);
  // a lower score elsewhere does not win over the higher one
  put(record("osv:PYSEC", "PYSEC-2099-1", {"CVE-2099-0001"}, {kMedium}));

  auto findings = match(apk("libfoo", "1.2.3-r0"), kAlpine318);
  ASSERT_EQ(findings.size(), 1u);
  const auto& f = findings.front();
  EXPECT_EQ(f.id, "CVE-2099-0001");
  EXPECT_EQ(f.severity, core::Severity::critical);
  ASSERT_TRUE(f.vulnerability);
  EXPECT_EQ(f.vulnerability->severity_source, "CVSS:3.1 from GHSA-aaaa-bbbb-cccc (osv:GHSA; alias CVE-2099-0001)");
  ASSERT_EQ(f.vulnerability->cvss.size(), 1u);
  EXPECT_EQ(f.vulnerability->cvss.front().vector, kCritical);
  EXPECT_DOUBLE_EQ(f.vulnerability->cvss.front().score, 9.8);
  // The finding is still the Alpine one: the borrowed record adds no alias or fix.
  EXPECT_TRUE(f.vulnerability->aliases.empty());
  EXPECT_EQ(f.vulnerability->fixed_version, "1.2.4-r0");
}

TEST_F(AliasSeverityTest, DebianVendorSeverityWins) {
  // the tracker's own urgency for this package
  auto tracker = record("debian-cve", "CVE-2099-0002", {}, {}, "low");
  tracker.affected.push_back(fixed_in("Debian:11", "libbar", "1.0-2"));
  put(tracker);
  put(record("osv:RUSTSEC", "RUSTSEC-2099-0001", {"CVE-2099-0002"}, {kCritical}));

  auto findings = match(deb("libbar1", "1.0-1", "libbar"), kBullseye);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings.front().severity, core::Severity::low);
  EXPECT_EQ(findings.front().vulnerability->severity_source, "vendor \"low\" from CVE-2099-0002 (debian-cve)");
  EXPECT_TRUE(findings.front().vulnerability->cvss.empty());
}

TEST_F(AliasSeverityTest, DebianDsaTakesCvssThroughItsCveAlias) {
  auto dsa = record("debian-dsa", "DSA-9999-1", {"CVE-2099-0003"});
  dsa.affected.push_back(fixed_in("Debian:11", "libbaz", "2.0-1+deb11u1"));
  put(dsa);
  put(record("osv:RUSTSEC", "RUSTSEC-2099-0003", {"CVE-2099-0003"}, {kMedium}));
  auto findings = match(deb("libbaz", "2.0-1", "libbaz"), kBullseye);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings.front().id, "CVE-2099-0003");
  EXPECT_EQ(findings.front().severity, core::Severity::medium);
  EXPECT_EQ(findings.front().vulnerability->severity_source,
            "CVSS:3.1 from RUSTSEC-2099-0003 (osv:RUSTSEC; alias CVE-2099-0003)");
}

TEST_F(AliasSeverityTest, AnotherDistributionsWordIsNotBorrowed) {
  auto alpine = record("alpine:v3.18/main", "CVE-2099-0004");
  alpine.affected.push_back(fixed_in("Alpine:v3.18", "libqux", "1.1-r0"));
  put(alpine);
  // "unimportant" is Debian's call for Debian's package
  auto debian = record("debian-cve", "CVE-2099-0004", {}, {}, "unimportant");
  debian.affected.push_back(fixed_in("Debian:11", "libqux", "1.1-1"));
  put(debian);
  auto findings = match(apk("libqux", "1.0-r0"), kAlpine318);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings.front().severity, core::Severity::unknown);
  EXPECT_EQ(findings.front().vulnerability->severity_source, "");
}

TEST_F(AliasSeverityTest, AWordFromAnAggregatorWhenNoRecordHasCvss) {
  auto alpine = record("alpine:v3.18/main", "CVE-2099-0005");
  alpine.affected.push_back(fixed_in("Alpine:v3.18", "libquux", "1.1-r0"));
  put(alpine);
  put(record("osv:GHSA", "GHSA-dddd-eeee-ffff", {"CVE-2099-0005"}, {}, "HIGH"));
  auto findings = match(apk("libquux", "1.0-r0"), kAlpine318);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings.front().severity, core::Severity::high);
  EXPECT_EQ(findings.front().vulnerability->severity_source,
            "\"HIGH\" from GHSA-dddd-eeee-ffff (osv:GHSA; alias CVE-2099-0005)");
}

}  // namespace
}  // namespace bulwark::vuln::match
