// The Red Hat CSAF VEX importer against the excerpts in tests/data/redhat-csaf (trivy-db's test
// data, see SOURCE.md). Expected values are read off the documents by hand: the vendor_fix
// product ids and their purls, the remediation categories, the aggregate severity.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "util/files.hpp"
#include "vuln/db/import.hpp"
#include "vuln/db/importer_test_support.hpp"
#include "vuln/db/parsers.hpp"

namespace bulwark::vuln::db {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using test_support::find;
using test_support::fixed_of;

const fs::path kData = fs::path(BULWARK_SOURCE_DIR) / "tests" / "data" / "redhat-csaf";

json load(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return json::parse(ss.str());
}

std::string messages(const core::Diagnostics& d) {
  std::string out;
  for (const auto& x : d.items()) out += x.describe() + "\n";
  return out;
}

using test_support::Parsed;

Parsed parse(const json& doc, std::string name = "doc.json") {
  return test_support::parse_with(parse_redhat_csaf, doc, std::move(name));
}

TEST(RedhatCsaf, EcosystemFromCpe) {
  EXPECT_EQ(redhat_ecosystem("cpe:/o:redhat:enterprise_linux:8::baseos"), "Red Hat:enterprise_linux:8");
  EXPECT_EQ(redhat_ecosystem("cpe:/a:redhat:enterprise_linux:8::appstream"), "Red Hat:enterprise_linux:8");
  EXPECT_EQ(redhat_ecosystem("cpe:/o:redhat:enterprise_linux:9"), "Red Hat:enterprise_linux:9");
  EXPECT_EQ(redhat_ecosystem("cpe:/a:redhat:rhel_eus:8.6::appstream"), "Red Hat:rhel_eus:8.6");
  EXPECT_EQ(redhat_ecosystem("cpe:/a:redhat:openshift:4.13::el8"), "");
  EXPECT_EQ(redhat_ecosystem("cpe:/o:redhat:enterprise_linux"), "");
  EXPECT_EQ(redhat_ecosystem("cpe:/o:debian:debian_linux:12"), "");
}

TEST(RedhatCsaf, FixedPamFromARealDocument) {
  auto p = parse(load(kData / "cve-2024-10041.json"), "cve-2024-10041.json");
  ASSERT_FALSE(p.failed) << messages(p.diags);
  ASSERT_EQ(p.advisories.size(), 1u);
  const auto& a = p.advisories[0];
  EXPECT_EQ(a.source, "redhat-csaf");
  EXPECT_EQ(a.id, "CVE-2024-10041");
  EXPECT_EQ(a.severity, "Moderate");
  EXPECT_EQ(a.summary, "pam: libpam: Libpam vulnerable to read hashed password");
  EXPECT_EQ(a.modified, "2024-12-18T09:14:23Z");
  EXPECT_EQ(a.published, "2024-10-18T00:00:00Z");
  EXPECT_EQ(a.cvss, std::vector<std::string>{"CVSS:3.1/AV:L/AC:H/PR:L/UI:N/S:U/C:H/I:N/A:N"});
  EXPECT_TRUE(a.aliases.empty());  // an RHSA covers several CVEs: as an alias it would merge them
  bool errata = false;
  for (const auto& r : a.references) errata |= r.url == "https://access.redhat.com/errata/RHSA-2024:9941";
  EXPECT_TRUE(errata);
  // x86_64 and aarch64 builds fold into one entry; BaseOS (v. 9) maps to the major release.
  ASSERT_EQ(a.affected.size(), 1u);
  const auto* pam = find(a, "Red Hat:enterprise_linux:9", "pam");
  ASSERT_NE(pam, nullptr);
  EXPECT_EQ(pam->state, VendorState::fixed);
  EXPECT_EQ(fixed_of(*pam), std::vector<std::string>{"1.5.1-21.el9_5"});
  EXPECT_EQ(pam->note, "RHSA-2024:9941");
  // The excerpt dropped RHEL 7's relationship but kept its product id in no_fix_planned.
  bool warned = false;
  for (const auto& d : p.diags.items()) warned |= d.code == "unknown-product" && d.item == "CVE-2024-10041";
  EXPECT_TRUE(warned) << messages(p.diags);
}

TEST(RedhatCsaf, RemediationStatesEpochsAndModules) {
  auto p = parse(load(kData / "cve-2024-11111.json"));
  ASSERT_FALSE(p.failed) << messages(p.diags);
  ASSERT_EQ(p.advisories.size(), 1u);
  const auto& a = p.advisories[0];
  EXPECT_EQ(a.severity, "Important");
  const std::string eco = "Red Hat:enterprise_linux:9";
  // vendor_fix: purl pkg:rpm/redhat/test-package@1.0.0-1.el9?arch=x86_64&epoch=1
  const auto* tp = find(a, eco, "test-package");
  ASSERT_NE(tp, nullptr);
  EXPECT_EQ(tp->state, VendorState::fixed);
  EXPECT_EQ(fixed_of(*tp), std::vector<std::string>{"1:1.0.0-1.el9"});
  // none_available "Affected": unfixed, for the source package and the unversioned binary alike.
  for (const char* name : {"affected-package", "affected-package-bin"}) {
    const auto* af = find(a, eco, name);
    ASSERT_NE(af, nullptr) << name;
    EXPECT_EQ(af->state, VendorState::unfixed) << name;
    EXPECT_TRUE(af->ranges.empty()) << name;
    EXPECT_EQ(af->note, "Affected") << name;
  }
  // A module stream's build is kept apart under <module>:<stream>/<name>, its release as written.
  const auto* mod = find(a, eco, "module:2.4/modular-package");
  ASSERT_NE(mod, nullptr);
  EXPECT_EQ(fixed_of(*mod), std::vector<std::string>{"2.4.37-65.module+el8.10.0+21982+14717793"});
  EXPECT_EQ(find(a, eco, "modular-package"), nullptr);
  // The OCI image (no_fix_planned) is not an rpm; "foobar" (workaround) names no product.
  EXPECT_EQ(a.affected.size(), 4u);
  for (const auto& af : a.affected) EXPECT_NE(af.package, "oci-image");
}

// The trivy-db excerpts carry remediations only; Red Hat's full documents also list every
// product id by product_status. These cases add such lists to the real pam document.
json pam_with_rhel8(const json& product_status, const json& remediations = json::array()) {
  json doc = load(kData / "cve-2024-10041.json");
  auto& vendor = doc["product_tree"]["branches"][0]["branches"];
  vendor.push_back({{"category", "product_name"},
                    {"name", "Red Hat Enterprise Linux 8"},
                    {"product",
                     {{"name", "Red Hat Enterprise Linux 8"},
                      {"product_id", "red_hat_enterprise_linux_8"},
                      {"product_identification_helper", {{"cpe", "cpe:/o:redhat:enterprise_linux:8"}}}}}});
  doc["product_tree"]["relationships"].push_back({{"category", "default_component_of"},
                                                  {"full_product_name",
                                                   {{"name", "pam as a component of Red Hat Enterprise Linux 8"},
                                                    {"product_id", "red_hat_enterprise_linux_8:pam"}}},
                                                  {"product_reference", "pam"},
                                                  {"relates_to_product_reference", "red_hat_enterprise_linux_8"}});
  auto& v = doc["vulnerabilities"][0];
  v["product_status"] = product_status;
  for (const auto& r : remediations) v["remediations"].push_back(r);
  return doc;
}

TEST(RedhatCsaf, ProductStatusStates) {
  struct Case {
    json status;
    json remediations;
    VendorState want;
    std::string note;
  };
  const std::vector<Case> cases{
      {{{"known_not_affected", {"red_hat_enterprise_linux_8:pam"}}}, json::array(), VendorState::not_affected, ""},
      {{{"under_investigation", {"red_hat_enterprise_linux_8:pam"}}},
       json::array(),
       VendorState::under_investigation,
       ""},
      {{{"known_affected", {"red_hat_enterprise_linux_8:pam"}}}, json::array(), VendorState::unfixed, ""},
      {{{"known_affected", {"red_hat_enterprise_linux_8:pam"}}},
       json::array({{{"category", "none_available"},
                     {"details", "Fix deferred"},
                     {"product_ids", {"red_hat_enterprise_linux_8:pam"}}}}),
       VendorState::unfixed,
       "Fix deferred"},
      {{{"known_affected", {"red_hat_enterprise_linux_8:pam"}}},
       json::array({{{"category", "no_fix_planned"},
                     {"details", "Will not fix"},
                     {"product_ids", {"red_hat_enterprise_linux_8:pam"}}}}),
       VendorState::will_not_fix,
       "Will not fix"},
  };
  for (const auto& c : cases) {
    auto p = parse(pam_with_rhel8(c.status, c.remediations));
    ASSERT_FALSE(p.failed) << messages(p.diags);
    ASSERT_EQ(p.advisories.size(), 1u);
    const auto* af = find(p.advisories[0], "Red Hat:enterprise_linux:8", "pam");
    ASSERT_NE(af, nullptr) << c.status.dump();
    EXPECT_EQ(af->state, c.want) << c.status.dump();
    EXPECT_EQ(af->note, c.note) << c.status.dump();
    EXPECT_TRUE(af->ranges.empty());
    // RHEL 9's fix is untouched by what RHEL 8 says.
    const auto* el9 = find(p.advisories[0], "Red Hat:enterprise_linux:9", "pam");
    ASSERT_NE(el9, nullptr);
    EXPECT_EQ(el9->state, VendorState::fixed);
  }
}

TEST(RedhatCsaf, MalformedDocumentsAreRefusedWithTheReason) {
  const json good = load(kData / "cve-2024-10041.json");
  struct Case {
    std::string what;
    json doc;
    std::string reason;
  };
  std::vector<Case> cases;
  cases.push_back({"trivy-db empty-cve.json", load(kData / "malformed" / "empty-cve.json"), "no \"document\" object"});
  json advisory = good;
  advisory["document"]["category"] = "csaf_security_advisory";
  cases.push_back({"an RHSA", advisory, "only VEX documents"});
  json other = good;
  other["document"]["publisher"]["namespace"] = "https://www.suse.com";
  cases.push_back({"another publisher", other, "only Red Hat's"});
  json no_tree = good;
  no_tree.erase("product_tree");
  cases.push_back({"no product tree", no_tree, "without a \"product_tree\""});
  json bad_vulns = good;
  bad_vulns["vulnerabilities"] = "CVE-2024-10041";
  cases.push_back({"vulnerabilities not a list", bad_vulns, "without a \"vulnerabilities\" list"});
  json bad_branches = good;
  bad_branches["product_tree"]["branches"] = 7;
  cases.push_back({"branches not a list", bad_branches, "\"branches\" is not a list"});
  for (const auto& c : cases) {
    auto p = parse(c.doc, "bad.json");
    EXPECT_TRUE(p.failed) << c.what;
    EXPECT_TRUE(p.advisories.empty()) << c.what;
    EXPECT_NE(messages(p.diags).find(c.reason), std::string::npos) << c.what << ": " << messages(p.diags);
    EXPECT_NE(messages(p.diags).find("bad.json"), std::string::npos) << c.what;
  }
  // A bad vulnerability is rejected by itself; the document's other vulnerability still imports.
  json two = good;
  json broken = two["vulnerabilities"][0];
  broken["cve"] = "CVE-2024-0002";
  broken["product_status"] = "fixed";
  json nocve = two["vulnerabilities"][0];
  nocve.erase("cve");
  two["vulnerabilities"].push_back(broken);
  two["vulnerabilities"].push_back(nocve);
  auto p = parse(two, "two.json");
  EXPECT_FALSE(p.failed);
  EXPECT_EQ(p.rejected, 2u) << messages(p.diags);
  ASSERT_EQ(p.advisories.size(), 1u);
  EXPECT_EQ(p.advisories[0].id, "CVE-2024-10041");
  EXPECT_NE(messages(p.diags).find("\"product_status\" is not an object"), std::string::npos) << messages(p.diags);
  EXPECT_NE(messages(p.diags).find("without a CVE id"), std::string::npos) << messages(p.diags);
}

TEST(RedhatCsaf, ImportDetectsTheFormat) {
  auto dir = util::make_temp_dir(fs::temp_directory_path(), "bulwark-rhcsaf");
  ASSERT_TRUE(dir);
  util::ScopedDir guard(*dir);
  auto store = Store::open(*dir / "db", OpenMode::read_write);
  ASSERT_TRUE(store) << store.error().describe();
  core::Diagnostics diags;
  auto report = import_paths({kData}, *store, diags);
  ASSERT_TRUE(report) << report.error().describe();
  // Four documents are CSAF VEX; the two under malformed/ have no "document" and are not advisory data.
  EXPECT_EQ(report->documents_by_format["redhat-csaf"], 4u);
  // cve-2025-33333 names only a Flatpak module build without a version: nothing to match, not stored.
  EXPECT_EQ(report->records_by_source["redhat-csaf"], 3u);
  auto got = store->get("redhat-csaf", "CVE-2024-22222");
  ASSERT_TRUE(got && got->has_value());
  EXPECT_EQ((*got)->severity, "Critical");
  auto hits = store->lookup("Red Hat:enterprise_linux:9", "test-package");
  ASSERT_TRUE(hits);
  EXPECT_EQ(hits->size(), 2u);  // CVE-2024-11111 and CVE-2024-22222
  auto again = import_paths({kData}, *store, diags);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->unchanged, 3u);
}

}  // namespace
}  // namespace bulwark::vuln::db
