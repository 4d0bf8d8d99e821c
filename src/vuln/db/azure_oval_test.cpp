// The Azure Linux / CBL-Mariner OVAL importer against Microsoft's own OVAL in
// tests/data/azurelinux-oval (excerpts of microsoft/AzureLinuxVulnerabilityData, see SOURCE.md).
// Expected values are read off the XML by hand: each definition's CVE reference, <patchable>,
// <severity> and the rpminfo state its criterion's test names.
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

const fs::path kData = fs::path(BULWARK_SOURCE_DIR) / "tests" / "data" / "azurelinux-oval";

using test_support::Parsed;

Parsed parse(std::string_view text, std::string file = "oval.xml") {
  return test_support::parse_with(parse_azure_oval, text, std::move(file));
}

std::vector<std::string> last_affected_of(const Affected& af) {
  std::vector<std::string> out;
  for (const auto& r : af.ranges) {
    for (const auto& e : r.events) {
      if (e.kind == EventKind::last_affected) out.push_back(e.version);
    }
  }
  return out;
}

bool has_message(const core::Diagnostics& d, std::string_view code, std::string_view text) {
  const auto& all = d.items();
  return std::any_of(all.begin(), all.end(), [&](const core::Diagnostic& x) {
    return x.code == code && x.message.find(text) != std::string::npos;
  });
}

TEST(AzureOval, AzureLinux3) {
  auto p = parse(slurp(kData / "azurelinux-3.0-oval.xml"));
  ASSERT_FALSE(p.failed);
  EXPECT_EQ(p.rejected, 0u);
  // 25 definitions of 12 CVEs.
  ASSERT_EQ(p.advisories.size(), 12u);
  const auto* oath = by_id(p.advisories, "CVE-2024-47191");
  ASSERT_NE(oath, nullptr);
  EXPECT_EQ(oath->source, "azurelinux:3");
  EXPECT_EQ(oath->severity, "High");
  EXPECT_EQ(oath->published, "2024-07-23T22:05:39Z");
  EXPECT_EQ(oath->summary, "CVE-2024-47191 affecting package oath-toolkit for versions less than 2.6.7-3");
  ASSERT_EQ(oath->references.size(), 1u);
  EXPECT_EQ(oath->references[0].url, "https://nvd.nist.gov/vuln/detail/CVE-2024-47191");
  ASSERT_EQ(oath->affected.size(), 1u);
  EXPECT_EQ(oath->affected[0].ecosystem, "Azure Linux:3");
  EXPECT_EQ(oath->affected[0].package, "oath-toolkit");
  EXPECT_EQ(oath->affected[0].state, VendorState::fixed);
  // The state's EVR with its dist tag, epoch 0 dropped (the criterion's comment says "2.6.7-3").
  EXPECT_EQ(fixed_of(oath->affected[0]), std::vector<std::string>{"2.6.7-3.azl3"});

  // One CVE, two packages (cmake and curl): one advisory.
  const auto* c6874 = by_id(p.advisories, "CVE-2024-6874");
  ASSERT_NE(c6874, nullptr);
  ASSERT_EQ(c6874->affected.size(), 2u);
  ASSERT_NE(find(*c6874, "Azure Linux:3", "cmake"), nullptr);
  EXPECT_EQ(fixed_of(*find(*c6874, "Azure Linux:3", "curl")), std::vector<std::string>{"8.8.0-1.azl3"});
  EXPECT_EQ(c6874->summary, "CVE-2024-6874 affecting packages cmake, curl");
  EXPECT_EQ(c6874->severity, "Medium");

  // Two definitions of CVE-2023-1393 for xorg-x11-server (below -4 and below -6): OR, so below -6.
  const auto* xorg = by_id(p.advisories, "CVE-2023-1393");
  ASSERT_NE(xorg, nullptr);
  ASSERT_EQ(xorg->affected.size(), 1u);
  EXPECT_EQ(fixed_of(xorg->affected[0]), std::vector<std::string>{"1.20.10-6.azl3"});
  EXPECT_EQ(xorg->published, "2024-04-17T22:02:46Z");
  EXPECT_EQ(xorg->modified, "2024-07-22T19:47:17Z");

  // CVE-2023-45853: seven packages, cloud-hypervisor "Not Applicable", the others fixed; Critical.
  const auto* zlib = by_id(p.advisories, "CVE-2023-45853");
  ASSERT_NE(zlib, nullptr);
  EXPECT_EQ(zlib->severity, "Critical");
  EXPECT_EQ(zlib->affected.size(), 7u);
  const auto* ch = find(*zlib, "Azure Linux:3", "cloud-hypervisor");
  ASSERT_NE(ch, nullptr);
  EXPECT_EQ(ch->state, VendorState::not_affected);
  EXPECT_TRUE(ch->ranges.empty());
  EXPECT_EQ(fixed_of(*find(*zlib, "Azure Linux:3", "zlib")), std::vector<std::string>{"1.3.1-1.azl3"});
  EXPECT_EQ(p.counters["azure-oval.not-applicable"], 1u);

  // Microsoft's "0: 1.20.10-1.azl3", a blank after the epoch: read as 1.20.10-1.azl3.
  const auto* go = by_id(p.advisories, "CVE-2023-39323");
  ASSERT_NE(go, nullptr);
  EXPECT_EQ(fixed_of(*find(*go, "Azure Linux:3", "golang")), std::vector<std::string>{"1.20.10-1.azl3"});
  EXPECT_EQ(p.counters["azure-oval.blank-after-epoch"], 1u);

  const auto* low = by_id(p.advisories, "CVE-2021-20286");
  ASSERT_NE(low, nullptr);
  EXPECT_EQ(low->severity, "Low");
  EXPECT_EQ(fixed_of(low->affected[0]), std::vector<std::string>{"1.18.3-1.azl3"});
}

TEST(AzureOval, CblMariner2UnfixedAndNotApplicable) {
  auto p = parse(slurp(kData / "cbl-mariner-2.0-oval.xml"));
  ASSERT_FALSE(p.failed);
  ASSERT_EQ(p.advisories.size(), 7u);
  EXPECT_EQ(p.rejected, 0u);
  const auto* go = by_id(p.advisories, "CVE-2023-39323");
  ASSERT_NE(go, nullptr);
  EXPECT_EQ(fixed_of(*find(*go, "CBL-Mariner:2", "golang")), std::vector<std::string>{"1.20.10-1.cm2"});
  const auto* gevent = by_id(p.advisories, "CVE-2022-4904");
  ASSERT_NE(gevent, nullptr);
  EXPECT_EQ(gevent->source, "cbl-mariner:2");
  EXPECT_EQ(gevent->affected.size(), 5u);
  // patchable false, "less than or equal": unfixed up to that EVR.
  const auto* grpc = find(*gevent, "CBL-Mariner:2", "grpc");
  ASSERT_NE(grpc, nullptr);
  EXPECT_EQ(grpc->state, VendorState::unfixed);
  EXPECT_TRUE(fixed_of(*grpc).empty());
  EXPECT_EQ(last_affected_of(*grpc), std::vector<std::string>{"1.42.0-7.cm2"});
  const auto* cares = find(*gevent, "CBL-Mariner:2", "c-ares");
  ASSERT_NE(cares, nullptr);
  EXPECT_EQ(cares->state, VendorState::fixed);
  EXPECT_EQ(fixed_of(*cares), std::vector<std::string>{"1.19.0-1.cm2"});
  EXPECT_EQ(gevent->severity, "High");

  // fish: two "Not Applicable" definitions fold into one not-affected entry.
  const auto* fish = by_id(p.advisories, "CVE-2007-1397");
  ASSERT_NE(fish, nullptr);
  ASSERT_EQ(fish->affected.size(), 1u);
  EXPECT_EQ(fish->affected[0].state, VendorState::not_affected);
  EXPECT_EQ(p.counters["azure-oval.not-applicable"], 2u);

  const auto* kernel = by_id(p.advisories, "CVE-2023-3863");
  ASSERT_NE(kernel, nullptr);
  EXPECT_EQ(fixed_of(*find(*kernel, "CBL-Mariner:2", "kernel")), std::vector<std::string>{"5.15.122.1-2.cm2"});
  EXPECT_EQ(kernel->severity, "Medium");
}

TEST(AzureOval, CblMariner1) {
  auto p = parse(slurp(kData / "cbl-mariner-1.0-oval.xml"));
  ASSERT_FALSE(p.failed);
  ASSERT_EQ(p.advisories.size(), 5u);
  const auto* snd = by_id(p.advisories, "CVE-2017-12562");
  ASSERT_NE(snd, nullptr);
  EXPECT_EQ(snd->source, "cbl-mariner:1");
  ASSERT_EQ(snd->affected.size(), 1u);  // two identical definitions
  EXPECT_EQ(snd->affected[0].ecosystem, "CBL-Mariner:1");
  EXPECT_EQ(fixed_of(snd->affected[0]), std::vector<std::string>{"1.0.28-14.cm1"});
  EXPECT_EQ(snd->severity, "Critical");
  const auto* sys = by_id(p.advisories, "CVE-2022-3857");
  ASSERT_NE(sys, nullptr);
  EXPECT_EQ(last_affected_of(sys->affected[0]), std::vector<std::string>{"6.04-9.cm1"});
}

TEST(AzureOval, ReleaseFromTheFileNameWithoutADistTag) {
  EXPECT_EQ(azure_oval_ecosystem("azurelinux-3.0-oval.xml"), "Azure Linux:3");
  EXPECT_EQ(azure_oval_ecosystem("/data/cbl-mariner-2.0-oval.xml"), "CBL-Mariner:2");
  EXPECT_EQ(azure_oval_ecosystem("feed.tar!cbl-mariner-1.0-oval.xml"), "CBL-Mariner:1");
  EXPECT_EQ(azure_oval_ecosystem("cbl-mariner-oval.xml"), "");
  EXPECT_EQ(azure_oval_ecosystem("com.oracle.elsa-all.xml"), "");
  const std::string doc = R"(<oval_definitions><definitions>
<definition class="vulnerability" id="oval:com.microsoft.cbl-mariner:def:1" version="1"><metadata>
<title>CVE-2099-0001 affecting package foo 1.0-1</title>
<reference ref_id="CVE-2099-0001" ref_url="https://nvd.nist.gov/vuln/detail/CVE-2099-0001" source="CVE"/>
<patchable>true</patchable><severity>High</severity></metadata>
<criteria operator="AND"><criterion comment="Package foo is earlier than 1.0-2" test_ref="t1"/></criteria>
</definition></definitions>
<tests><linux-def:rpminfo_test xmlns:linux-def="x" id="t1"><linux-def:object object_ref="o1"/><linux-def:state state_ref="s1"/></linux-def:rpminfo_test></tests>
<objects><linux-def:rpminfo_object xmlns:linux-def="x" id="o1"><linux-def:name>foo</linux-def:name></linux-def:rpminfo_object></objects>
<states><linux-def:rpminfo_state xmlns:linux-def="x" id="s1"><linux-def:evr datatype="evr_string" operation="less than">0:1.0-2</linux-def:evr></linux-def:rpminfo_state></states>
</oval_definitions>)";
  auto named = parse(doc, "mirror/cbl-mariner-2.0-oval.xml");
  ASSERT_EQ(named.advisories.size(), 1u);
  EXPECT_EQ(named.advisories[0].affected[0].ecosystem, "CBL-Mariner:2");
  EXPECT_EQ(fixed_of(named.advisories[0].affected[0]), std::vector<std::string>{"1.0-2"});
  // Neither a tag nor a file name: the package is dropped with the reason, the definition rejected.
  auto unnamed = parse(doc, "feed.xml");
  EXPECT_TRUE(unnamed.advisories.empty());
  EXPECT_EQ(unnamed.rejected, 1u);
  EXPECT_TRUE(has_message(unnamed.diags, "no-release", "foo 0:1.0-2: the EVR has no .azl<N>/.cm<N> tag"));
}

// Hostile and broken shapes, each reported with the file and the reason.
TEST(AzureOval, BrokenInput) {
  auto truncated = parse(slurp(kData / "malformed" / "azurelinux-3.0-oval-truncated.xml"));
  EXPECT_TRUE(truncated.failed);
  EXPECT_TRUE(truncated.advisories.empty());
  EXPECT_TRUE(has_message(truncated.diags, "bad-document", "not well-formed XML"));

  auto not_oval = parse("<updates/>");
  EXPECT_TRUE(not_oval.failed);

  const std::string doc = R"(<oval_definitions><definitions>
<definition id="d1"><metadata><title>no CVE here</title></metadata></definition>
<definition id="d2"><metadata><reference source="CVE" ref_id="CVE-2099-1"/></metadata>
 <criteria><criterion test_ref="missing"/></criteria></definition>
<definition id="d3"><metadata><reference source="CVE" ref_id="CVE-2099-2"/></metadata>
 <criteria><criterion test_ref="t1"/><criterion test_ref="t2"/><criterion test_ref="t3"/></criteria></definition>
</definitions>
<tests><rpminfo_test id="t1"><object object_ref="o1"/><state state_ref="s1"/></rpminfo_test>
<rpminfo_test id="t2"><object object_ref="o2"/><state state_ref="s2"/></rpminfo_test>
<rpminfo_test id="t3"><object object_ref="o1"/><state state_ref="s3"/></rpminfo_test></tests>
<objects><rpminfo_object id="o1"><name>bar</name></rpminfo_object><rpminfo_object id="o2"><name>two words</name></rpminfo_object></objects>
<states><rpminfo_state id="s1"><evr operation="greater than">0:1-1.azl3</evr></rpminfo_state>
<rpminfo_state id="s2"><evr operation="less than">0:1-1.azl3</evr></rpminfo_state>
<rpminfo_state id="s3"><evr operation="less than">0:2-1.azl3</evr></rpminfo_state></states>
</oval_definitions>)";
  auto p = parse(doc, "azurelinux-3.0-oval.xml");
  EXPECT_FALSE(p.failed);
  EXPECT_EQ(p.rejected, 2u);  // d1 (no CVE), d2 (its only criterion names no test)
  EXPECT_TRUE(has_message(p.diags, "bad-record", "a definition without a CVE reference"));
  EXPECT_TRUE(has_message(p.diags, "unknown-test", "criterion names test \"missing\""));
  EXPECT_TRUE(has_message(p.diags, "bad-operation", "\"greater than\""));
  EXPECT_TRUE(has_message(p.diags, "bad-criterion", "package \"two words\""));
  ASSERT_EQ(p.advisories.size(), 1u);  // d3, from its one good criterion
  EXPECT_EQ(fixed_of(p.advisories[0].affected.at(0)), std::vector<std::string>{"2-1.azl3"});
  for (const auto& d : p.diags.items()) EXPECT_EQ(d.file, "azurelinux-3.0-oval.xml");

  // Criteria nested past the limit stop with a warning, not a stack overflow.
  std::string deep =
      "<oval_definitions><definitions><definition id=\"d\"><metadata><reference source=\"CVE\" "
      "ref_id=\"CVE-2099-3\"/></metadata>";
  for (int i = 0; i < 200; ++i) deep += "<criteria>";
  for (int i = 0; i < 200; ++i) deep += "</criteria>";
  deep += "</definition></definitions></oval_definitions>";
  auto d = parse(deep);
  EXPECT_FALSE(d.failed);
  EXPECT_TRUE(has_message(d.diags, "criteria-too-deep", "deeper than 32"));
}

TEST(AzureOval, ImportedFromAFolderAndMatchable) {
  auto dir = util::make_temp_dir(fs::temp_directory_path(), "bulwark-azure-oval");
  ASSERT_TRUE(dir);
  util::ScopedDir cleanup(*dir);
  auto store = Store::open(*dir / "db", OpenMode::read_write);
  ASSERT_TRUE(store);
  core::Diagnostics diags;
  auto report = import_paths({kData}, *store, diags);
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->documents_by_format["azure-linux-oval"], 4u);  // the truncated one among them
  EXPECT_EQ(report->failed_documents, 1u);
  EXPECT_EQ(report->records_by_source["azurelinux:3"], 12u);
  EXPECT_EQ(report->records_by_source["cbl-mariner:2"], 7u);
  EXPECT_EQ(report->records_by_source["cbl-mariner:1"], 5u);
  auto hits = store->lookup("CBL-Mariner:2", "zlib");
  ASSERT_TRUE(hits.has_value());
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_EQ((*hits)[0].advisory.id, "CVE-2018-25032");
  // The same CVE in another release is another advisory.
  auto k1 = store->lookup("CBL-Mariner:1", "kernel");
  ASSERT_TRUE(k1.has_value());
  ASSERT_EQ(k1->size(), 1u);
  EXPECT_EQ((*k1)[0].advisory.source, "cbl-mariner:1");
  // Importing again changes nothing.
  core::Diagnostics again_diags;
  auto again = import_paths({kData}, *store, again_diags);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->inserted + again->updated, 0u);
}

}  // namespace
}  // namespace bulwark::vuln::db
