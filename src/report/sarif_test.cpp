#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "../../tests/schema/sample_scan.hpp"
#include "report/report.hpp"

using namespace bulwark;
using nlohmann::json;

namespace {

core::ScanResult scan() {
  auto r = fixtures::sample_scan_result();
  r.findings = {fixtures::vulnerability_finding(r.packages[0]), fixtures::check_finding(), fixtures::passed_finding()};
  return r;
}

json sarif(const std::vector<core::ScanResult>& results, report::SarifOptions options = {}) {
  if (options.tool_version.empty()) options.tool_version = "0.1.0";
  return json::parse(report::write_sarif(results, options));
}

const json* rule_named(const json& run, const std::string& id) {
  for (const auto& r : run["tool"]["driver"]["rules"]) {
    if (r["id"] == id) return &r;
  }
  return nullptr;
}

}  // namespace

TEST(Sarif, EnvelopeAndDriver) {
  auto doc = sarif({scan()});
  EXPECT_EQ(doc["version"], "2.1.0");
  ASSERT_EQ(doc["runs"].size(), 1u);
  const auto& driver = doc["runs"][0]["tool"]["driver"];
  EXPECT_EQ(driver["name"], "bulwark");
  EXPECT_EQ(driver["version"], "0.1.0");
  // Passed checks are left out by default: two findings, two rules.
  EXPECT_EQ(driver["rules"].size(), 2u);
  EXPECT_EQ(doc["runs"][0]["results"].size(), 2u);
  EXPECT_FALSE(doc["runs"][0].contains("automationDetails"));
}

TEST(Sarif, VulnerabilityResultAndRule) {
  auto doc = sarif({scan()});
  const auto& run = doc["runs"][0];
  const auto& r = run["results"][0];
  EXPECT_EQ(r["ruleId"], "CVE-2023-4911");
  EXPECT_EQ(r["ruleIndex"], 0);
  EXPECT_EQ(r["level"], "error");  // high
  EXPECT_EQ(r["kind"], "fail");
  std::string message = r["message"]["text"];
  EXPECT_NE(message.find("libc6 2.36-9+deb12u4"), std::string::npos) << message;
  EXPECT_NE(message.find("fixed in 2.36-9+deb12u3"), std::string::npos) << message;
  // No file location: the package database stands in, line 1; the package is the logical location.
  const auto& loc = r["locations"][0];
  EXPECT_EQ(loc["physicalLocation"]["artifactLocation"]["uri"], "var/lib/dpkg/status");
  EXPECT_EQ(loc["physicalLocation"]["region"]["startLine"], 1);
  EXPECT_FALSE(loc["physicalLocation"]["region"].contains("startColumn"));
  EXPECT_EQ(loc["logicalLocations"][0]["name"], "libc6");
  EXPECT_EQ(loc["logicalLocations"][0]["fullyQualifiedName"],
            "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12");
  EXPECT_EQ(r["properties"]["fixedVersion"], "2.36-9+deb12u3");

  const json* rule = rule_named(run, "CVE-2023-4911");
  ASSERT_NE(rule, nullptr);
  EXPECT_EQ((*rule)["shortDescription"]["text"], "glibc: buffer overflow in ld.so leading to privilege escalation");
  EXPECT_EQ((*rule)["help"]["text"], "Upgrade libc6 to 2.36-9+deb12u3 or later.");
  EXPECT_EQ((*rule)["helpUri"], "https://security-tracker.debian.org/tracker/CVE-2023-4911");
  // CVSS 7.8 agrees with "high", so GitHub gets the score itself.
  EXPECT_EQ((*rule)["properties"]["security-severity"], "7.8");
  auto tags = (*rule)["properties"]["tags"].get<std::vector<std::string>>();
  EXPECT_EQ(tags[0], "security");
  EXPECT_EQ(tags[1], "vulnerability-scan");
}

TEST(Sarif, CheckResultHasFileLineAndColumn) {
  auto doc = sarif({scan()});
  const auto& run = doc["runs"][0];
  const auto& r = run["results"][1];
  EXPECT_EQ(r["ruleId"], "BLWK-DF-001");
  EXPECT_EQ(r["ruleIndex"], 1);
  EXPECT_EQ(r["level"], "warning");  // medium
  EXPECT_EQ(r["message"]["text"], "Container runs as root: USER root");
  const auto& phys = r["locations"][0]["physicalLocation"];
  EXPECT_EQ(phys["artifactLocation"]["uri"], "Dockerfile");
  EXPECT_EQ(phys["region"]["startLine"], 12);
  EXPECT_EQ(phys["region"]["startColumn"], 1);
  EXPECT_FALSE(r["locations"][0].contains("logicalLocations"));
  const json* rule = rule_named(run, "BLWK-DF-001");
  ASSERT_NE(rule, nullptr);
  // No CVSS: the middle of GitHub's medium band.
  EXPECT_EQ((*rule)["properties"]["security-severity"], "5.5");
  auto tags = (*rule)["properties"]["tags"].get<std::vector<std::string>>();
  EXPECT_EQ(tags, (std::vector<std::string>{"security", "limit-privileges", "cis-docker", "hadolint"}));
}

TEST(Sarif, SeverityMapsToLevelAndScoreBands) {
  core::ScanResult r;
  r.target = {core::TargetKind::rootfs, "/srv/root", ""};
  const std::pair<core::Severity, std::pair<const char*, const char*>> cases[] = {
      {core::Severity::critical, {"error", "9.5"}}, {core::Severity::high, {"error", "8.0"}},
      {core::Severity::medium, {"warning", "5.5"}}, {core::Severity::low, {"note", "2.0"}},
      {core::Severity::info, {"note", "0.0"}},      {core::Severity::unknown, {"note", "0.0"}},
  };
  int n = 0;
  for (const auto& [severity, expected] : cases) {
    core::Finding f;
    f.id = "CHK-" + std::to_string(n++);
    f.severity = severity;
    r.findings.push_back(f);
  }
  // A CVSS score outside the severity's band is not used (vendor says low, NVD says 9.8).
  core::Finding disagree;
  disagree.id = "CVE-2000-0001";
  disagree.severity = core::Severity::low;
  disagree.vulnerability = core::VulnerabilityRef{"CVE-2000-0001", {}, "", "", {{"3.1", "", 9.8}}};
  r.findings.push_back(disagree);
  auto doc = sarif({r});
  const auto& run = doc["runs"][0];
  for (std::size_t i = 0; i < std::size(cases); ++i) {
    EXPECT_EQ(run["results"][i]["level"], cases[i].second.first) << i;
    EXPECT_EQ(run["tool"]["driver"]["rules"][i]["properties"]["security-severity"], cases[i].second.second) << i;
  }
  EXPECT_EQ(run["tool"]["driver"]["rules"][6]["properties"]["security-severity"], "2.0");
}

TEST(Sarif, OneRulePerIdGradedByTheMostSevereFinding) {
  core::ScanResult r;
  r.target = {core::TargetKind::image, "oci:layout:1", ""};
  for (auto [pkg, sev] : {std::pair{"a", core::Severity::low}, std::pair{"b", core::Severity::critical},
                          std::pair{"c", core::Severity::medium}}) {
    core::Finding f;
    f.id = "CVE-2024-1";
    f.severity = sev;
    core::Package p;
    p.name = pkg;
    p.version = "1";
    f.package = p;
    r.findings.push_back(f);
  }
  auto doc = sarif({r});
  const auto& run = doc["runs"][0];
  ASSERT_EQ(run["tool"]["driver"]["rules"].size(), 1u);
  EXPECT_EQ(run["tool"]["driver"]["rules"][0]["properties"]["security-severity"], "9.5");
  EXPECT_EQ(run["tool"]["driver"]["rules"][0]["defaultConfiguration"]["level"], "note");  // the first finding's
  ASSERT_EQ(run["results"].size(), 3u);
  std::set<std::string> prints;
  for (const auto& res : run["results"]) {
    EXPECT_EQ(res["ruleIndex"], 0);
    prints.insert(res["partialFingerprints"]["bulwarkFindingHash/v1"].get<std::string>());
  }
  EXPECT_EQ(prints.size(), 3u) << "three packages, three distinct fingerprints";
}

TEST(Sarif, FingerprintsAreStableAcrossVersionsAndWording) {
  auto a = scan();
  auto b = scan();
  // A new scan of the same image after a partial upgrade: versions and text change, the problem does not.
  b.findings[0].package->version = "2.36-9+deb12u5";
  b.findings[0].title = "reworded";
  b.findings[0].vulnerability->fixed_version = "2.36-9+deb12u6";
  auto da = sarif({a});
  auto db = sarif({b});
  EXPECT_EQ(da["runs"][0]["results"][0]["partialFingerprints"], db["runs"][0]["results"][0]["partialFingerprints"]);
  // Another line in the Dockerfile is another problem.
  b.findings[1].location.line = 13;
  auto dc = sarif({b});
  EXPECT_NE(da["runs"][0]["results"][1]["partialFingerprints"], dc["runs"][0]["results"][1]["partialFingerprints"]);
}

TEST(Sarif, UrisAreRelativeAndNeverReadAsASchemeOrAbsolute) {
  core::ScanResult r;
  r.target = {core::TargetKind::image, "docker-archive:/tmp/app image.tar", ""};
  core::Finding no_path;  // neither location nor package: the target names the artifact
  no_path.id = "BLWK-EOL";
  no_path.severity = core::Severity::high;
  r.findings.push_back(no_path);
  core::Finding host;  // a host file
  host.id = "BLWK-HOST-1";
  host.location.path = "/etc/docker/daemon.json";
  host.location.line = 3;
  r.findings.push_back(host);
  core::Finding repo;  // a file under the checkout given as source_root
  repo.id = "BLWK-K8S-1";
  repo.location.path = "/work/repo/deploy/app.yaml";
  repo.location.line = 7;
  repo.location.column = 5;
  r.findings.push_back(repo);
  report::SarifOptions options;
  options.source_root = "/work/repo/";
  options.category = "bulwark/image";
  auto doc = sarif({r}, options);
  const auto& results = doc["runs"][0]["results"];
  EXPECT_EQ(results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "docker-archive%3A/tmp/app%20image.tar");
  EXPECT_EQ(results[1]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "etc/docker/daemon.json");
  EXPECT_EQ(results[1]["locations"][0]["physicalLocation"]["region"]["startLine"], 3);
  EXPECT_EQ(results[2]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "deploy/app.yaml");
  EXPECT_EQ(results[2]["locations"][0]["physicalLocation"]["region"]["startColumn"], 5);
  EXPECT_EQ(doc["runs"][0]["automationDetails"]["id"], "bulwark/image");
  for (const auto& res : results) {
    std::string uri = res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"];
    EXPECT_NE(uri.front(), '/') << uri;
    EXPECT_EQ(uri.find(':'), std::string::npos) << uri;
    EXPECT_GE(res["locations"][0]["physicalLocation"]["region"]["startLine"].get<int>(), 1);
    // A finding without title or remediation still has non-empty texts.
    EXPECT_FALSE(res["message"]["text"].get<std::string>().empty());
  }
}

TEST(Sarif, SuppressedFindingsCarrySuppressions) {
  auto r = scan();
  r.findings[0].suppression =
      core::Suppression{"vex", "not_affected", "vulnerable_code_not_in_execute_path", "/work/app.openvex.json"};
  auto doc = sarif({r});
  const auto& res = doc["runs"][0]["results"][0];
  ASSERT_TRUE(res.contains("suppressions"));
  EXPECT_EQ(res["suppressions"][0]["kind"], "external");
  EXPECT_EQ(res["suppressions"][0]["status"], "accepted");
  EXPECT_EQ(res["suppressions"][0]["justification"], "not_affected (vulnerable_code_not_in_execute_path)");
  EXPECT_EQ(res["suppressions"][0]["properties"]["source"], "/work/app.openvex.json");
  EXPECT_FALSE(doc["runs"][0]["results"][1].contains("suppressions"));
}

TEST(Sarif, PassedChecksOnlyWhenAskedAndThenAsPass) {
  report::SarifOptions options;
  options.include_passed = true;
  auto doc = sarif({scan()}, options);
  const auto& results = doc["runs"][0]["results"];
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[2]["kind"], "pass");
  EXPECT_EQ(results[2]["level"], "none");
}

TEST(Sarif, EmptyScanIsAValidEmptyRun) {
  core::ScanResult r;
  r.target = {core::TargetKind::rootfs, "/", ""};
  auto doc = sarif({r});
  EXPECT_TRUE(doc["runs"][0]["results"].is_array());
  EXPECT_TRUE(doc["runs"][0]["results"].empty());
  EXPECT_TRUE(doc["runs"][0]["tool"]["driver"]["rules"].empty());
}

TEST(Sarif, HostileTextStaysValidJson) {
  core::ScanResult r;
  r.target = {core::TargetKind::rootfs, "/srv/\xff\xfe", ""};
  core::Finding f;
  f.id = "CVE-\x1b[31m";
  f.title = "bad \xc3";
  f.location.path = "a\nb";
  r.findings.push_back(f);
  std::string text = report::write_sarif({r}, {});
  EXPECT_TRUE(json::accept(text));
  auto doc = json::parse(text);
  EXPECT_EQ(doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "a%0Ab");
}
