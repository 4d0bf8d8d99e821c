// The audit's summary: scores per practice, the ranked actions and the worst findings, from
// findings built the way the host audit, the image-config checks and the matcher build them.
#include "scan/audit.hpp"

#include <gtest/gtest.h>

#include "host/catalogue.hpp"

namespace bulwark::scan {
namespace {

core::Finding host_check(std::string_view id, const core::Target& target, core::FindingStatus status) {
  const auto* def = host::find_check(id);
  EXPECT_NE(def, nullptr) << id;
  return host::make_finding(*def, target, status, "");
}

core::Finding vuln(std::string id, core::Severity severity, std::string fixed, const core::Target& target) {
  core::Finding f;
  f.id = std::move(id);
  f.title = f.id;
  f.severity = severity;
  f.practice = core::Practice::vulnerability_scan;
  f.target = target;
  f.package = core::Package{};
  f.package->name = "openssl";
  f.package->version = "1.1.1n-0+deb11u3";
  f.vulnerability = core::VulnerabilityRef{};
  f.vulnerability->id = f.id;
  f.vulnerability->fixed_version = std::move(fixed);
  return f;
}

// The image-config check that cites CIS 4.1, as config/image writes it.
core::Finding runs_as_root(const core::Target& image) {
  core::Finding f;
  f.id = "BW-IMG-001";
  f.title = "Image runs as root";
  f.severity = core::Severity::high;
  f.practice = core::Practice::limit_privileges;
  f.target = image;
  f.standards.push_back({"cis-docker", "4.1", "1.6.0", "", ""});
  return f;
}

struct Fixture : ::testing::Test {
  core::Target host{core::TargetKind::host, "vm", ""};
  core::Target app{core::TargetKind::image, "shop/app:1", "sha256:" + std::string(64, 'a')};
  core::Target base{core::TargetKind::image, "shop/base:1", "sha256:" + std::string(64, 'b')};
  core::Target container{core::TargetKind::container, "web", std::string(64, 'c')};
  AuditRun run;

  void SetUp() override {
    core::ScanResult h;
    h.target = host;
    h.findings.push_back(host_check("BLWK-CIS-1.1.1", host, core::FindingStatus::fail));
    h.findings.push_back(host_check("BLWK-CIS-1.1.3", host, core::FindingStatus::pass));
    core::ScanResult a;
    a.target = app;
    a.findings.push_back(host_check("BLWK-CIS-4.1", app, core::FindingStatus::fail));
    a.findings.push_back(runs_as_root(app));
    a.findings.push_back(vuln("DSA-5343-1", core::Severity::high, "1.1.1n-0+deb11u4", app));
    a.findings.push_back(vuln("CVE-2022-37434", core::Severity::critical, "1:1.2.11.dfsg-2+deb11u2", app));
    a.findings.push_back(vuln("CVE-2099-0001", core::Severity::critical, "", app));  // no fix yet
    core::ScanResult b;
    b.target = base;
    b.findings.push_back(host_check("BLWK-CIS-4.1", base, core::FindingStatus::fail));
    b.findings.push_back(runs_as_root(base));
    core::ScanResult c;
    c.target = container;
    c.findings.push_back(host_check("BLWK-CIS-5.4", container, core::FindingStatus::fail));
    c.findings.push_back(host_check("BLWK-CIS-5.16", container, core::FindingStatus::pass));
    run.results = {h, a, b, c};
    run.vuln_targets = {app, base};
  }
};

TEST_F(Fixture, EveryPracticeIsListedAndScoresAreWeightedPasses) {
  auto scores = practice_scores(run);
  ASSERT_EQ(scores.size(), 10U);
  EXPECT_EQ(scores.front().practice, core::Practice::trusted_base_image);
  EXPECT_EQ(scores.back().practice, core::Practice::host_hardening);
  for (const auto& s : scores) {
    if (s.practice == core::Practice::vulnerability_scan) {
      // base has no fixable vulnerability, app has two: one of two targets is clean.
      ASSERT_TRUE(s.score);
      EXPECT_EQ(*s.score, 50);
      EXPECT_EQ(s.passed, 1U);
      EXPECT_EQ(s.failed, 3U);
      EXPECT_EQ(s.critical, 2U);
    }
    if (s.practice == core::Practice::network_policy) {
      EXPECT_FALSE(s.score) << "nothing assessed it";
    }
    if (s.practice == core::Practice::limit_privileges) {
      ASSERT_TRUE(s.score);
      EXPECT_LT(*s.score, 100);
      EXPECT_GT(s.failed, 0U);
    }
  }
}

TEST_F(Fixture, ActionsGroupOneRecommendationAndRankByRiskRemoved) {
  auto actions = top_actions(run, 5);
  ASSERT_GE(actions.size(), 3U);
  // Rebuilding app removes a critical and a high (10 + 5); the unfixed critical is not counted.
  EXPECT_EQ(actions[0].title, "Rebuild shop/app:1 on updated packages: 2 fixable vulnerabilities (1 critical, 1 high)");
  EXPECT_EQ(actions[0].command, "bulwark image docker-daemon:shop/app:1 --ignore-unfixed");
  EXPECT_EQ(actions[0].risk, 15U);
  // CIS 4.1 from the host audit and BW-IMG-001 are one action over both images, counted once per image.
  EXPECT_EQ(actions[1].title, "CIS 4.1: Image runs as root (2 images)");
  EXPECT_EQ(actions[1].risk, 10U);
  EXPECT_EQ(actions[1].command, "bulwark image docker-daemon:shop/app:1 --scanners config");
  bool container_action = false;
  for (const auto& a : actions) {
    if (a.title.find("(container web)") != std::string::npos) {
      container_action = true;
      EXPECT_EQ(a.command, "bulwark host");
    }
    EXPECT_EQ(a.title.find("CVE-2099-0001"), std::string::npos);
  }
  EXPECT_TRUE(container_action);
  EXPECT_EQ(top_actions(run, 1).size(), 1U);
}

TEST_F(Fixture, WorstFindingsComeFirstFixableBeforeUnfixedOnePerRecommendation) {
  auto worst = worst_findings(run, 10);
  ASSERT_GE(worst.size(), 4U);
  EXPECT_EQ(worst[0]->id, "CVE-2022-37434");  // critical with a fix before the critical without
  EXPECT_EQ(worst[1]->id, "CVE-2099-0001");
  std::size_t cis41 = 0;
  for (const auto* f : worst) {
    for (const auto& s : f->standards) cis41 += s.name == "cis-docker" && s.id == "4.1" ? 1 : 0;
    EXPECT_NE(f->status, core::FindingStatus::pass);
  }
  EXPECT_EQ(cis41, 1U) << "CIS 4.1 is one line, not four";
}

TEST_F(Fixture, SummaryJsonCarriesStepsPracticesAndActions) {
  run.steps.push_back({"database", StepState::skipped, "no advisory database", "bulwark db update", 0});
  auto j = summary_json(run);
  ASSERT_EQ(j["practices"].size(), 10U);
  EXPECT_TRUE(j["practices"][5]["score"].is_null());  // network-policy
  EXPECT_EQ(j["steps"][0]["fix"], "bulwark db update");
  EXPECT_EQ(j["steps"][0]["state"], "skipped");
  EXPECT_EQ(j["actions"][0]["command"], "bulwark image docker-daemon:shop/app:1 --ignore-unfixed");
}

TEST(ImageReference, NamesTheImageForTheDetailsCommand) {
  EXPECT_EQ(image_reference({core::TargetKind::image, "debian:12", "sha256:" + std::string(64, 'd')}),
            "docker-daemon:debian:12");
  EXPECT_EQ(image_reference({core::TargetKind::image, "<none>:<none>", "sha256:0123456789ab" + std::string(52, 'e')}),
            "docker-daemon:0123456789ab");
  EXPECT_EQ(image_reference({core::TargetKind::image, "docker-daemon:x:1", ""}), "docker-daemon:x:1");
}

}  // namespace
}  // namespace bulwark::scan
