// The Oracle Linux ELSA OVAL importer against Oracle's own OVAL in tests/data/oracle-oval
// (vuln-list-update's test data, see SOURCE.md). Expected values are read off the XML by hand: the
// ELSA references, the "Oracle Linux N is installed" and "<rpm> is earlier than <evr>" criteria.
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
using test_support::by_id;
using test_support::find;
using test_support::fixed_of;
using test_support::slurp;

const fs::path kData = fs::path(BULWARK_SOURCE_DIR) / "tests" / "data" / "oracle-oval";

using test_support::Parsed;

Parsed parse(std::string_view text) {
  return test_support::parse_with(parse_oracle_oval, text, "oval.xml");
}

TEST(OracleOval, OneDefinitionFile) {
  auto p = parse(slurp(kData / "ELSA-2007-0057.xml"));
  ASSERT_FALSE(p.failed);
  ASSERT_EQ(p.advisories.size(), 1u);
  const auto& a = p.advisories[0];
  EXPECT_EQ(a.source, "oracle-oval");
  EXPECT_EQ(a.id, "ELSA-2007-0057");
  EXPECT_EQ(a.aliases, (std::vector<std::string>{"CVE-2007-0493", "CVE-2007-0494"}));
  EXPECT_EQ(a.severity, "MODERATE");
  EXPECT_EQ(a.published, "2007-06-26");
  EXPECT_EQ(a.summary, "Moderate: bind security update  (MODERATE)");
  // Eight rpms, all in Oracle Linux 5, all fixed at epoch 30.
  ASSERT_EQ(a.affected.size(), 8u);
  for (const auto& af : a.affected) {
    EXPECT_EQ(af.ecosystem, "Oracle Linux:5");
    EXPECT_EQ(fixed_of(af), std::vector<std::string>{"30:9.3.3-8.el5"}) << af.package;
  }
  ASSERT_NE(find(a, "Oracle Linux:5", "caching-nameserver"), nullptr);
}

TEST(OracleOval, ManyDefinitionsAndReleases) {
  auto p = parse(slurp(kData / "com.oracle.elsa-excerpt.xml"));
  ASSERT_FALSE(p.failed);
  EXPECT_EQ(p.advisories.size(), 14u);
  // One definition for Oracle Linux 5 and 6: each release its own fixed EVR.
  const auto* ff = by_id(p.advisories, "ELSA-2011-1268");
  ASSERT_NE(ff, nullptr);
  EXPECT_EQ(ff->affected.size(), 6u);
  const auto* f5 = find(*ff, "Oracle Linux:5", "firefox");
  const auto* f6 = find(*ff, "Oracle Linux:6", "firefox");
  ASSERT_TRUE(f5 && f6);
  EXPECT_EQ(fixed_of(*f5), std::vector<std::string>{"3.6.22-1.0.1.el5_7"});  // "0:" dropped
  EXPECT_EQ(fixed_of(*f6), std::vector<std::string>{"3.6.22-1.0.1.el6_1"});
  EXPECT_TRUE(ff->aliases.empty());  // the definition names no CVE
  // An epoch other than 0 is kept.
  const auto* dbus = by_id(p.advisories, "ELSA-2012-1261");
  ASSERT_NE(dbus, nullptr);
  const auto* libs = find(*dbus, "Oracle Linux:6", "dbus-libs");
  ASSERT_NE(libs, nullptr);
  EXPECT_EQ(fixed_of(*libs), std::vector<std::string>{"1:1.2.24-7.0.1.el6_3"});
  EXPECT_EQ(dbus->severity, "MODERATE");
  const auto* uek = by_id(p.advisories, "ELSA-2019-4820");
  ASSERT_NE(uek, nullptr);
  EXPECT_EQ(uek->aliases.size(), 7u);
  ASSERT_NE(find(*uek, "Oracle Linux:7", "kernel-uek"), nullptr);
}

TEST(OracleOval, IdFromTheElsaReferenceNotTheTitle) {
  // Oracle wrote "ELSA-2007:0057" in these titles; the reference carries the id.
  auto p = parse(slurp(kData / "invalid-title-format.xml"));
  ASSERT_FALSE(p.advisories.empty());
  for (const auto& a : p.advisories) EXPECT_EQ(a.id, "ELSA-2007-0057");
}

TEST(OracleOval, BrokenDocumentFailsAsAWhole) {
  auto p = parse(slurp(kData / "malformed" / "broken-oval-data.xml"));
  EXPECT_TRUE(p.failed);
  EXPECT_TRUE(p.advisories.empty());
}

// Shapes of newer files (architecture criteria, ksplice flavours) in Oracle's wording, written here.
TEST(OracleOval, ArchitecturesFoldAndKspliceIsDropped) {
  auto p = parse(R"(<oval_definitions><definitions>
<definition id="oval:com.oracle.elsa:def:20219999" class="patch"><metadata>
<title>ELSA-2021-9999: glibc security update (IMPORTANT)</title>
<affected family="unix"><platform>Oracle Linux 8</platform></affected>
<reference source="elsa" ref_id="ELSA-2021-9999" ref_url="https://linux.oracle.com/errata/ELSA-2021-9999.html"/>
<reference source="CVE" ref_id="CVE-2021-0001" ref_url="https://linux.oracle.com/cve/CVE-2021-0001.html"/>
<advisory><severity>IMPORTANT</severity><issued date="2021-05-01"/></advisory></metadata>
<criteria operator="AND">
 <criterion test_ref="t1" comment="Oracle Linux 8 is installed"/>
 <criteria operator="OR">
  <criteria operator="AND"><criterion test_ref="t2" comment="Oracle Linux arch is aarch64"/>
   <criteria operator="OR"><criteria operator="AND">
    <criterion test_ref="t3" comment="glibc is earlier than 0:2.28-151.0.1.el8"/>
    <criterion test_ref="t4" comment="glibc is signed with the Oracle Linux 8 key"/></criteria></criteria></criteria>
  <criteria operator="AND"><criterion test_ref="t5" comment="Oracle Linux arch is x86_64"/>
   <criteria operator="OR">
    <criterion test_ref="t6" comment="glibc is earlier than 0:2.28-151.0.1.el8"/>
    <criterion test_ref="t7" comment="glibc is earlier than 2:2.28-151.0.1.ksplice1.el8"/></criteria></criteria>
 </criteria></criteria></definition>
<definition id="oval:x:def:1" class="patch"><metadata><title>RHSA-2021:1</title></metadata></definition>
</definitions></oval_definitions>)");
  ASSERT_EQ(p.advisories.size(), 1u);
  EXPECT_EQ(p.rejected, 1u);  // the definition without an ELSA id
  const auto& a = p.advisories[0];
  ASSERT_EQ(a.affected.size(), 1u);
  EXPECT_EQ(a.affected[0].ecosystem, "Oracle Linux:8");
  EXPECT_EQ(fixed_of(a.affected[0]), std::vector<std::string>{"2.28-151.0.1.el8"});
  EXPECT_EQ(p.counters["oracle-oval.ksplice-fixes-dropped"], 1u);
}

TEST(OracleOval, ImportedFromAFolder) {
  auto dir = util::make_temp_dir(fs::temp_directory_path(), "bulwark-oracle-oval");
  ASSERT_TRUE(dir);
  util::ScopedDir cleanup(*dir);
  auto store = Store::open(*dir / "db", OpenMode::read_write);
  ASSERT_TRUE(store);
  core::Diagnostics diags;
  auto report = import_paths({kData}, *store, diags);
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->documents_by_format["oracle-oval"], 5u);
  EXPECT_EQ(report->failed_documents, 1u);
  auto hits = store->lookup("Oracle Linux:7", "sudo");
  ASSERT_TRUE(hits.has_value());
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_EQ((*hits)[0].advisory.id, "ELSA-2019-4821");
}

}  // namespace
}  // namespace bulwark::vuln::db
