// The SUSE CVRF importer against real SUSE documents in tests/data/suse-cvrf (vuln-list-update's
// test data, see SOURCE.md). Expected values are read off the XML by hand: the patch ids, CVEs,
// Threat impact words and the product ids of the Fixed status lists.
#include <gtest/gtest.h>

#include <algorithm>

#include "util/files.hpp"
#include "vuln/db/import.hpp"
#include "vuln/db/importer_test_support.hpp"
#include "vuln/db/parsers.hpp"
#include "vuln/db/store.hpp"

namespace bulwark::vuln::db {
namespace {

namespace fs = std::filesystem;
using test_support::find;
using test_support::slurp;

const fs::path kData = fs::path(BULWARK_SOURCE_DIR) / "tests" / "data" / "suse-cvrf";

std::string fixed_of(const Affected& af) {
  for (const auto& r : af.ranges) {
    for (const auto& e : r.events) {
      if (e.kind == EventKind::fixed) return e.version;
    }
  }
  return {};
}

using test_support::Parsed;

Parsed parse(std::string_view text, std::string name = "cvrf.xml") {
  return test_support::parse_with(parse_suse_cvrf, text, std::move(name));
}

bool warned(const core::Diagnostics& d, std::string_view code) {
  return std::any_of(d.items().begin(), d.items().end(), [&](const auto& x) { return x.code == code; });
}

TEST(SuseCvrf, EcosystemFromProduct) {
  EXPECT_EQ(suse_ecosystem("SUSE Linux Enterprise Server 15 SP1"), "SUSE:Linux Enterprise Server 15 SP1");
  EXPECT_EQ(suse_ecosystem("SUSE Linux Enterprise Module for Basesystem 15 SP3"),
            "SUSE:Linux Enterprise Module for Basesystem 15 SP3");
  EXPECT_EQ(suse_ecosystem("openSUSE Leap 15.0"), "openSUSE:Leap 15.0");
  EXPECT_EQ(suse_ecosystem("openSUSE Tumbleweed"), "openSUSE:Tumbleweed");
  EXPECT_EQ(suse_ecosystem("openSUSE 13.2"), "openSUSE:13.2");
  EXPECT_EQ(suse_ecosystem("Red Hat Enterprise Linux 8"), "");
}

TEST(SuseCvrf, OpenSuseLeapGlibc) {
  auto p = parse(slurp(kData / "cvrf-opensuse-su-2018-1633-1.xml"));
  ASSERT_FALSE(p.failed);
  ASSERT_EQ(p.advisories.size(), 1u);
  const auto& a = p.advisories[0];
  EXPECT_EQ(a.source, "suse-cvrf");
  EXPECT_EQ(a.id, "openSUSE-SU-2018:1633-1");
  EXPECT_EQ(a.aliases, std::vector<std::string>{"CVE-2018-11237"});
  EXPECT_EQ(a.summary, "Security update for glibc");
  EXPECT_EQ(a.severity, "moderate");
  EXPECT_EQ(a.published, "2018-06-09T08:29:23Z");
  EXPECT_EQ(a.modified, "2018-06-09T08:29:23Z");
  EXPECT_TRUE(a.cvss.empty());
  // 19 binary rpms of glibc, all in openSUSE Leap 15.0, fixed at 2.26-lp150.11.3.2.
  ASSERT_EQ(a.affected.size(), 19u);
  for (const auto& af : a.affected) {
    EXPECT_EQ(af.ecosystem, "openSUSE:Leap 15.0");
    EXPECT_EQ(af.state, VendorState::fixed);
    EXPECT_EQ(fixed_of(af), "2.26-lp150.11.3.2") << af.package;
  }
  ASSERT_NE(find(a, "openSUSE:Leap 15.0", "glibc-devel-static-32bit"), nullptr);
  ASSERT_NE(find(a, "openSUSE:Leap 15.0", "nscd"), nullptr);
  bool self = false;
  for (const auto& r : a.references) {
    self |=
        r.type == "ADVISORY" && r.url == "http://lists.opensuse.org/opensuse-security-announce/2018-06/msg00022.html";
  }
  EXPECT_TRUE(self);
}

TEST(SuseCvrf, EnterpriseProductsAndModules) {
  auto p = parse(slurp(kData / "cvrf-suse-su-2019-1608-1.xml"));
  ASSERT_EQ(p.advisories.size(), 1u);
  const auto& a = p.advisories[0];
  EXPECT_EQ(a.id, "SUSE-SU-2019:1608-1");
  EXPECT_EQ(a.aliases, std::vector<std::string>{"CVE-2019-1559"});
  // 7 products: 2 rpms each, the Legacy module a third (the 32-bit library).
  EXPECT_EQ(a.affected.size(), 15u);
  const auto* legacy = find(a, "SUSE:Linux Enterprise Module for Legacy Software 12", "libopenssl0_9_8-32bit");
  ASSERT_NE(legacy, nullptr);
  EXPECT_EQ(fixed_of(*legacy), "0.9.8j-106.12.1");
  ASSERT_NE(find(a, "SUSE:Linux Enterprise Server for SAP Applications 12 SP4", "compat-openssl098"), nullptr);
  EXPECT_EQ(find(a, "SUSE:Linux Enterprise Server for SAP Applications 12 SP4", "libopenssl0_9_8-32bit"), nullptr);
}

TEST(SuseCvrf, SeveralCvesTakeTheHighestImpact) {
  auto p = parse(slurp(kData / "cvrf-suse-su-2019-14018-1.xml"));
  ASSERT_EQ(p.advisories.size(), 1u);
  const auto& a = p.advisories[0];
  EXPECT_EQ(a.id, "SUSE-SU-2019:14018-1");
  EXPECT_EQ(a.aliases, (std::vector<std::string>{"CVE-2019-9636", "CVE-2019-9948"}));
  EXPECT_EQ(a.severity, "important");  // CVE-2019-9636 important, CVE-2019-9948 low
  const auto* py = find(a, "SUSE:Linux Enterprise Server 11 SP4-LTSS", "python");
  ASSERT_NE(py, nullptr);
  EXPECT_EQ(py->state, VendorState::fixed);
  EXPECT_FALSE(fixed_of(*py).empty());
}

TEST(SuseCvrf, ThreeCvesOneFixList) {
  auto p = parse(slurp(kData / "cvrf-opensuse-su-2015-0798-1.xml"));
  ASSERT_EQ(p.advisories.size(), 1u);
  const auto& a = p.advisories[0];
  EXPECT_EQ(a.aliases.size(), 3u);
  EXPECT_EQ(a.affected.size(), 5u);  // each CVE lists the same five rpms: folded
  const auto* pillow = find(a, "openSUSE:13.2", "python-Pillow");
  ASSERT_NE(pillow, nullptr);
  EXPECT_EQ(fixed_of(*pillow), "2.8.1-3.3.1");
}

TEST(SuseCvrf, PatchWithoutProductsIsKeptForAliases) {
  auto p = parse(slurp(kData / "cvrf-opensuse-su-2016-0874-1.xml"));
  ASSERT_EQ(p.advisories.size(), 1u);
  EXPECT_EQ(p.advisories[0].id, "openSUSE-SU-2016:0874-1");
  EXPECT_TRUE(p.advisories[0].affected.empty());
  EXPECT_TRUE(warned(p.diags, "no-affected"));
  // Its notes hold a Latin-1 byte under an UTF-8 declaration: read again as ISO-8859-1.
  EXPECT_TRUE(warned(p.diags, "not-utf8"));
}

TEST(SuseCvrf, TruncatedDocumentFailsAsAWhole) {
  auto p = parse(slurp(kData / "malformed" / "cvrf-suse-su-2018-1784-1.xml"), "broken.xml");
  EXPECT_TRUE(p.failed);
  EXPECT_TRUE(p.advisories.empty());
  ASSERT_FALSE(p.diags.items().empty());
  EXPECT_NE(p.diags.items()[0].describe().find("not well-formed XML"), std::string::npos);
}

TEST(SuseCvrf, OtherDocumentsAreRefused) {
  auto other = parse(
      "<cvrfdoc><DocumentTracking><Identification><ID>RHSA-2019:1</ID></Identification>"
      "</DocumentTracking></cvrfdoc>");
  EXPECT_TRUE(other.advisories.empty());
  EXPECT_EQ(other.rejected, 1u);
  auto not_cvrf = parse("<updates/>");
  EXPECT_TRUE(not_cvrf.failed);
  // A product id whose package part is not name-version-release is dropped with a warning.
  auto bad = parse(
      "<cvrfdoc><DocumentTracking><Identification><ID>SUSE-SU-2099:1-1</ID></Identification></DocumentTracking>"
      "<Vulnerability><CVE>CVE-2099-1</CVE><ProductStatuses><Status Type=\"Fixed\">"
      "<ProductID>SUSE Linux Enterprise Server 15:glibc</ProductID>"
      "<ProductID>Fedora 40:glibc-2.39-1.fc40</ProductID>"
      "<ProductID>SUSE Linux Enterprise Server 15:bash-4.4-9.1</ProductID>"
      "</Status></ProductStatuses></Vulnerability></cvrfdoc>");
  ASSERT_EQ(bad.advisories.size(), 1u);
  ASSERT_EQ(bad.advisories[0].affected.size(), 1u);
  EXPECT_EQ(bad.advisories[0].affected[0].package, "bash");
  EXPECT_TRUE(warned(bad.diags, "package-without-version"));
  EXPECT_TRUE(warned(bad.diags, "other-product"));
}

TEST(SuseCvrf, ImportedFromAFolder) {
  auto dir = util::make_temp_dir(fs::temp_directory_path(), "bulwark-suse-cvrf");
  ASSERT_TRUE(dir);
  util::ScopedDir cleanup(*dir);
  auto store = Store::open(*dir / "db", OpenMode::read_write);
  ASSERT_TRUE(store);
  core::Diagnostics diags;
  auto report = import_paths({kData}, *store, diags);
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->records_by_source["suse-cvrf"], 5u);
  EXPECT_EQ(report->documents_by_format["suse-cvrf"], 6u);
  EXPECT_EQ(report->failed_documents, 1u);  // the truncated one
  auto hits = store->lookup("SUSE:Linux Enterprise Module for Legacy Software 12", "compat-openssl098");
  ASSERT_TRUE(hits.has_value());
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_EQ((*hits)[0].advisory.id, "SUSE-SU-2019:1608-1");
}

}  // namespace
}  // namespace bulwark::vuln::db
