// The Photon OS importer against VMware's cve_data_photon<release>.json files in tests/data/photon
// (vuln-list-update's test data, see SOURCE.md). Expected values are read off the JSON by hand.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "util/files.hpp"
#include "vuln/db/importer_test_support.hpp"
#include "vuln/db/parsers.hpp"

namespace bulwark::vuln::db {
namespace {

namespace fs = std::filesystem;
using test_support::by_id;

const fs::path kData = fs::path(BULWARK_SOURCE_DIR) / "tests" / "data" / "photon";

nlohmann::json load(const fs::path& p) {
  auto c = util::read_file(p, 1 << 20);
  EXPECT_TRUE(c.has_value()) << p;
  return nlohmann::json::parse(c ? *c : std::string("null"));
}

TEST(Photon, ReleaseFromFileName) {
  EXPECT_EQ(photon_release("cve_data_photon3.0.json"), "3.0");
  EXPECT_EQ(photon_release("cve_data_photon5.0.json"), "5.0");
  EXPECT_EQ(photon_release("cve_data_photon.json"), "");
  EXPECT_EQ(photon_release("photon3.0.json"), "");
  EXPECT_EQ(photon_release("cve_data_photonx.json"), "");
}

TEST(Photon, FixedUnfixedAndNotAffected) {
  core::Diagnostics diags;
  ParseLog log(diags, "cve_data_photon3.0.json");
  auto out = parse_photon(load(kData / "cve_data_photon3.0.json"), "3.0", log);
  EXPECT_EQ(out.size(), 6u);
  const auto* tomcat = by_id(out, "CVE-2019-0199");
  ASSERT_NE(tomcat, nullptr);
  EXPECT_EQ(tomcat->source, "photon:3.0");
  EXPECT_EQ(tomcat->severity, "high");  // cve_score 7.5
  ASSERT_EQ(tomcat->affected.size(), 1u);
  const auto& af = tomcat->affected[0];
  EXPECT_EQ(af.ecosystem, "Photon OS:3.0");
  EXPECT_EQ(af.package, "apache-tomcat");
  EXPECT_EQ(af.state, VendorState::fixed);
  ASSERT_EQ(af.ranges.size(), 1u);
  EXPECT_EQ(af.ranges[0].events.back().version, "8.5.40-1.ph3");
  const auto* ansible = by_id(out, "CVE-2019-3828");
  ASSERT_NE(ansible, nullptr);
  EXPECT_EQ(ansible->severity, "critical");  // cve_score 10
  const auto* curl = by_id(out, "CVE-2025-0725");
  ASSERT_NE(curl, nullptr);
  EXPECT_EQ(curl->affected[0].state, VendorState::not_affected);
  EXPECT_EQ(log.rejected(), 0u);
}

TEST(Photon, BadEntriesAreRejected) {
  core::Diagnostics diags;
  ParseLog log(diags, "cve_data_photon4.0.json");
  auto out = parse_photon(nlohmann::json::parse(R"([1, {"cve_id": "CVE-1"}, {"cve_id": "CVE-2", "pkg": "x",
    "cve_score": 3.1, "aff_ver": "all versions are vulnerable", "res_ver": "NA"}])"),
                          "4.0", log);
  EXPECT_EQ(log.rejected(), 2u);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].severity, "low");
  EXPECT_EQ(out[0].affected[0].state, VendorState::unfixed);
  EXPECT_EQ(out[0].affected[0].note, "all versions are vulnerable");
  core::Diagnostics d2;
  ParseLog log2(d2, "cve_data_photon4.0.json");
  EXPECT_TRUE(parse_photon(nlohmann::json::object(), "4.0", log2).empty());
  EXPECT_TRUE(log2.document_failed());
}

}  // namespace
}  // namespace bulwark::vuln::db
