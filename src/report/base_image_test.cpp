#include "report/base_image.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "../../tests/schema/sample_scan.hpp"
#include "report/report.hpp"
#include "report/vulnerabilities.hpp"

using namespace bulwark;
using nlohmann::json;

namespace {

// The sample image (libc6 in the base layer, curl on top) with a vulnerability in each.
core::ScanResult based_result() {
  auto r = fixtures::sample_scan_result();
  r.findings = {fixtures::vulnerability_finding(r.packages[0]), fixtures::vulnerability_finding(r.packages[4]),
                fixtures::check_finding()};
  r.findings[1].id = "CVE-2023-38545";
  r.findings[1].severity = core::Severity::critical;
  r.base = fixtures::sample_base_image(r);
  return r;
}

TEST(BaseImageReport, FindingsAreFromTheBaseOrFromTheLayersOnTop) {
  auto r = based_result();
  ASSERT_EQ(r.findings[0].location.layer, r.image->layers[0].diff_id);
  EXPECT_EQ(report::from_base(*r.base, r.findings[0]), true);
  EXPECT_EQ(report::from_base(*r.base, r.findings[1]), false);
  core::Finding no_layer;
  EXPECT_FALSE(report::from_base(*r.base, no_layer).has_value());
  const auto a = report::attribute(r);
  EXPECT_EQ(a.base.total(), 1u);
  EXPECT_EQ(a.top.total(), 1u);
  EXPECT_EQ(a.top.of(core::Severity::critical), 1u);
  EXPECT_EQ(a.unattributed.total(), 0u) << "the config check is not a vulnerability";

  r.findings[1].suppression = core::Suppression{"vex", "not_affected", "", "x.openvex.json"};
  EXPECT_EQ(report::attribute(r).top.total(), 0u) << "suppressed findings are not counted";
}

TEST(BaseImageReport, RecommendationTextAsDockerScoutWritesIt) {
  core::BaseCandidate c;
  c.tag = "12.8";
  for (int i = 0; i < 3; ++i) c.fixed.add(core::Severity::critical);
  for (int i = 0; i < 20; ++i) c.fixed.add(core::Severity::high);
  EXPECT_EQ(report::describe_recommendation("debian:12.5", c),
            "FROM debian:12.5 -> 12.8 fixes 23 (3 critical, 20 high)");
  c.added.add(core::Severity::low);
  EXPECT_EQ(report::describe_recommendation("debian:12.5", c),
            "FROM debian:12.5 -> 12.8 fixes 23 (3 critical, 20 high), adds 1 (1 low)");
  EXPECT_EQ(report::severity_summary({}), "");
}

TEST(BaseImageReport, JsonAndTable) {
  const auto r = based_result();
  const auto doc = json::parse(report::write_json({r}, report::JsonOptions{"0.1.0"}));
  const auto& b = doc["targets"][0]["base_image"];
  EXPECT_EQ(b["source"], "layers");
  EXPECT_EQ(b["layers"], 1);
  EXPECT_EQ(b["vulnerabilities"]["top"]["critical"], 1);
  EXPECT_EQ(b["advice"]["update"]["tag"], "12.8");
  EXPECT_EQ(b["advice"]["update"]["text"],
            "FROM registry.example:5000/library/debian:12.5 -> 12.8 fixes 1 (1 critical)");
  EXPECT_TRUE(b["advice"]["major"].is_null());
  EXPECT_EQ(b["advice"]["candidates"][1]["error"], "registry.example:5000/library/debian manifest 13.1: not found");
  EXPECT_FALSE(b["advice"]["candidates"][1].contains("fixed"));
  EXPECT_EQ(doc["findings"][0]["origin"], "base");
  EXPECT_EQ(doc["findings"][1]["origin"], "top");
  EXPECT_FALSE(doc["findings"][2].contains("origin")) << "the config check has no layer";

  const auto table = report::base_image_table(r, false);
  EXPECT_NE(table.find("Base image: registry.example:5000/library/debian:12.5 @3c4d5e6f7081 (found by layers: "),
            std::string::npos)
      << table;
  EXPECT_NE(
      table.find("Vulnerabilities: 1 (1 high) from the base image's 1 layer, 1 (1 critical) from the 1 layer on top"),
      std::string::npos)
      << table;
  EXPECT_NE(table.find("Update:        FROM registry.example:5000/library/debian:12.5 -> 12.8 fixes 1 (1 critical)"),
            std::string::npos)
      << table;
  EXPECT_EQ(table.find("Major version:"), std::string::npos);
  EXPECT_NE(table.find("not scanned: registry.example"), std::string::npos) << table;
  EXPECT_NE(report::vulnerability_table(r, false).find(" top"), std::string::npos);

  auto none = r;
  none.base.reset();
  EXPECT_EQ(report::base_image_table(none, false), "");
  EXPECT_FALSE(
      json::parse(report::write_json({none}, report::JsonOptions{"0.1.0"}))["targets"][0].contains("base_image"));
}

}  // namespace
