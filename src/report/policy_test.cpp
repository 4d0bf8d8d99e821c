#include "report/policy.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "../../tests/schema/sample_scan.hpp"
#include "report/report.hpp"

using namespace bulwark;
namespace fs = std::filesystem;

namespace {

const std::string kToday = "2026-06-15";

class Policy : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        fs::path(BULWARK_BINARY_DIR) / "policy-test" / ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  std::string file(const std::string& name, const std::string& text) {
    auto path = dir_ / name;
    std::ofstream(path) << text;
    return path.string();
  }
  fs::path dir_;
};

core::Finding vuln(std::string id, core::Severity severity, const core::Package& package, std::string fixed,
                   std::vector<std::string> aliases = {}) {
  core::Finding f;
  f.id = id;
  f.title = "title of " + id;
  f.severity = severity;
  f.package = package;
  f.vulnerability = core::VulnerabilityRef{id, std::move(aliases), std::move(fixed), "", {}};
  return f;
}

core::Package deb(std::string name, std::string version) {
  return fixtures::deb_package(std::move(name), std::move(version), "", "", "");
}

// The sample image (config digest sha256:5b8e...) with five findings.
core::ScanResult image_scan() {
  auto r = fixtures::sample_scan_result();
  auto libc = r.packages[0];
  auto ssl = deb("libssl3", "3.0.11-1~deb12u2");
  auto zlib = deb("zlib1g", "1:1.2.13.dfsg-1");
  r.findings = {
      vuln("CVE-2023-4911", core::Severity::high, libc, "2.36-9+deb12u3", {"DSA-5514-1"}),
      vuln("CVE-2024-0727", core::Severity::medium, ssl, "3.0.13-1~deb12u1"),
      vuln("CVE-2023-5678", core::Severity::low, ssl, ""),
      vuln("CVE-2022-0001", core::Severity::critical, zlib, ""),
      fixtures::check_finding(),  // BLWK-DF-001, medium, warn
  };
  return r;
}

const core::Finding* find(const std::vector<core::ScanResult>& results, const std::string& id) {
  for (const auto& r : results) {
    for (const auto& f : r.findings) {
      if (f.id == id) return &f;
    }
  }
  return nullptr;
}

}  // namespace

TEST_F(Policy, NoPolicyKeepsEverythingAndEveryFindingFails) {
  std::vector<core::ScanResult> results{image_scan()};
  auto outcome = report::apply_policy(results, {}, kToday);
  ASSERT_TRUE(outcome) << outcome.error().describe();
  EXPECT_EQ(results[0].findings.size(), 5u);
  EXPECT_EQ(outcome->reported, 5u);
  EXPECT_EQ(outcome->failing, 5u);
  EXPECT_EQ(outcome->dropped, 0u);
  EXPECT_EQ(outcome->suppressed, 0u);
}

TEST_F(Policy, SeverityMinimumDropsFindingsBelowIt) {
  std::vector<core::ScanResult> results{image_scan()};
  report::PolicyOptions options;
  options.min_severity = core::Severity::high;
  auto outcome = report::apply_policy(results, options, kToday);
  ASSERT_TRUE(outcome);
  ASSERT_EQ(results[0].findings.size(), 2u);
  EXPECT_EQ(results[0].findings[0].id, "CVE-2023-4911");
  EXPECT_EQ(results[0].findings[1].id, "CVE-2022-0001");
  EXPECT_EQ(outcome->dropped, 3u);
  EXPECT_EQ(outcome->failing, 2u);
}

TEST_F(Policy, SeverityListKeepsExactlyTheNamedOnes) {
  std::vector<core::ScanResult> results{image_scan()};
  report::PolicyOptions options;
  options.severities = {core::Severity::critical, core::Severity::low};
  auto outcome = report::apply_policy(results, options, kToday);
  ASSERT_TRUE(outcome);
  ASSERT_EQ(results[0].findings.size(), 2u);
  EXPECT_EQ(results[0].findings[0].id, "CVE-2023-5678");
  EXPECT_EQ(results[0].findings[1].id, "CVE-2022-0001");
}

TEST_F(Policy, IgnoreUnfixedDropsOnlyVulnerabilitiesWithoutAFix) {
  std::vector<core::ScanResult> results{image_scan()};
  report::PolicyOptions options;
  options.ignore_unfixed = true;
  auto outcome = report::apply_policy(results, options, kToday);
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->dropped, 2u);
  EXPECT_EQ(find(results, "CVE-2023-5678"), nullptr);
  EXPECT_EQ(find(results, "CVE-2022-0001"), nullptr);
  EXPECT_NE(find(results, "BLWK-DF-001"), nullptr) << "checks have no fixed version and are kept";
}

TEST_F(Policy, FailOnCountsOnlyFailingStatusesAtOrAboveTheThreshold) {
  auto scan = image_scan();
  scan.findings.push_back(fixtures::passed_finding());
  auto manual = fixtures::check_finding();
  manual.id = "BLWK-DF-009";
  manual.severity = core::Severity::critical;
  manual.status = core::FindingStatus::manual;
  scan.findings.push_back(manual);
  std::vector<core::ScanResult> results{scan};
  report::PolicyOptions options;
  options.fail_on = core::Severity::medium;
  auto outcome = report::apply_policy(results, options, kToday);
  ASSERT_TRUE(outcome);
  // high, medium, critical vulnerabilities and the medium warn check; not the low one,
  // not the passed check, not the manual one.
  EXPECT_EQ(outcome->failing, 4u);
  EXPECT_EQ(outcome->reported, 6u);
}

TEST_F(Policy, IgnoreFileByIdAliasPackageNameAndPurl) {
  auto path = file("ignore.yaml", R"(ignore:
  - id: DSA-5514-1              # an alias of CVE-2023-4911
    reason: not setuid here
  - id: CVE-2024-0727
    purl: pkg:deb/debian/libssl3   # any version
    reason: no PKCS12
    expires: 2026-06-15          # still valid today
  - id: CVE-2023-5678
    purl: pkg:deb/debian/libssl3@9.9.9   # another version: does not match
  - id: CVE-2022-0001
    package: libc6               # another package: does not match
  - id: BLWK-DF-001
    reason: build stage only
)");
  std::vector<core::ScanResult> results{image_scan()};
  report::PolicyOptions options;
  options.ignore_files = {path};
  options.exit_code = 1;
  auto outcome = report::apply_policy(results, options, kToday);
  ASSERT_TRUE(outcome) << outcome.error().describe();
  EXPECT_EQ(outcome->suppressed, 3u);
  EXPECT_EQ(outcome->reported, 2u);
  EXPECT_EQ(outcome->failing, 2u);
  EXPECT_TRUE(outcome->warnings.empty());
  const auto* glibc = find(results, "CVE-2023-4911");
  ASSERT_TRUE(glibc->suppression);
  EXPECT_EQ(glibc->suppression->kind, "ignore-file");
  EXPECT_EQ(glibc->suppression->reason, "not setuid here");
  EXPECT_EQ(glibc->suppression->source, path);
  EXPECT_EQ(find(results, "CVE-2024-0727")->suppression->reason, "no PKCS12 (until 2026-06-15)");
  EXPECT_FALSE(find(results, "CVE-2023-5678")->suppression);
  EXPECT_FALSE(find(results, "CVE-2022-0001")->suppression);
  EXPECT_TRUE(find(results, "BLWK-DF-001")->suppression);
}

TEST_F(Policy, ExpiredIgnoreEntryNoLongerSuppressesAndWarns) {
  auto path = file("ignore.yaml", "- id: CVE-2023-4911\n  reason: old\n  expires: 2026-06-14\n");
  std::vector<core::ScanResult> results{image_scan()};
  report::PolicyOptions options;
  options.ignore_files = {path};
  auto outcome = report::apply_policy(results, options, kToday);
  ASSERT_TRUE(outcome) << outcome.error().describe();
  EXPECT_FALSE(find(results, "CVE-2023-4911")->suppression);
  ASSERT_EQ(outcome->warnings.size(), 1u);
  EXPECT_EQ(outcome->warnings[0],
            path + ":1: the ignore entry for CVE-2023-4911 expired on 2026-06-14; it no longer suppresses");
}

TEST_F(Policy, MalformedIgnoreFilesFailNamingFileAndLineAndChangeNothing) {
  const std::pair<std::string, std::string> cases[] = {
      {"ignore:\n  - id: CVE-1\n    expire: 2026-01-01\n", ":3: unknown key \"expire\""},
      {"ignore:\n  - id: CVE-1\n    expires: 31.12.2026\n", ":3: expires \"31.12.2026\" is not a date"},
      {"ignore:\n  - reason: no id\n", ":2: an ignore entry needs an \"id\""},
      {"ignores:\n  - id: CVE-1\n", ":1: unknown key \"ignores\""},
      {"ignore: [id: CVE-1\n", "ignore file"},
      {"ignore: CVE-1\n", "must be a list"},
  };
  int n = 0;
  for (const auto& [text, expected] : cases) {
    auto path = file("bad" + std::to_string(n++) + ".yaml", text);
    std::vector<core::ScanResult> results{image_scan()};
    report::PolicyOptions options;
    options.ignore_files = {path};
    options.min_severity = core::Severity::critical;
    auto outcome = report::apply_policy(results, options, kToday);
    ASSERT_FALSE(outcome) << text;
    EXPECT_EQ(outcome.error().code, ErrorCode::parse) << text;
    EXPECT_NE(outcome.error().describe().find(path), std::string::npos) << outcome.error().describe();
    EXPECT_NE(outcome.error().describe().find(expected), std::string::npos) << outcome.error().describe();
    EXPECT_EQ(results[0].findings.size(), 5u) << "a bad file changes nothing";
  }
  report::PolicyOptions missing;
  missing.ignore_files = {(dir_ / "absent.yaml").string()};
  std::vector<core::ScanResult> results{image_scan()};
  auto outcome = report::apply_policy(results, missing, kToday);
  ASSERT_FALSE(outcome);
  EXPECT_NE(outcome.error().describe().find("absent.yaml"), std::string::npos);
}

TEST_F(Policy, EmptyIgnoreFileIgnoresNothing) {
  auto path = file("empty.yaml", "# nothing yet\n");
  std::vector<core::ScanResult> results{image_scan()};
  report::PolicyOptions options;
  options.ignore_files = {path};
  auto outcome = report::apply_policy(results, options, kToday);
  ASSERT_TRUE(outcome) << outcome.error().describe();
  EXPECT_EQ(outcome->suppressed, 0u);
}

// ---------------------------------------------------------------- .trivyignore

TEST(TrivyIgnore, IdsCommentsExpiryBlankLines) {
  auto entries = report::parse_trivyignore(
      "# Accepted risks\n"
      "\n"
      "CVE-2023-4911\n"
      "   GHSA-xxxx-yyyy-zzzz   # not reachable: we do not use the parser\n"
      "CVE-2024-0727 exp:2026-12-31\n"
      "\tAVD-KSV-0001\texp:2025-01-31  # until the chart is fixed\n"
      "KSV012\n"
      "aws-access-key-id\n"
      "   # an indented comment\n",
      ".trivyignore");
  ASSERT_TRUE(entries) << entries.error().describe();
  ASSERT_EQ(entries->size(), 6u);
  const auto& e = *entries;
  EXPECT_EQ(e[0].id, "CVE-2023-4911");
  EXPECT_EQ(e[0].line, 3);
  EXPECT_EQ(e[0].expires, "");
  EXPECT_EQ(e[0].file, ".trivyignore");
  EXPECT_EQ(e[0].format, report::IgnoreFormat::trivyignore);
  EXPECT_EQ(e[1].id, "GHSA-xxxx-yyyy-zzzz");
  EXPECT_EQ(e[1].reason, "not reachable: we do not use the parser");
  EXPECT_EQ(e[2].id, "CVE-2024-0727");
  EXPECT_EQ(e[2].expires, "2026-12-31");
  EXPECT_EQ(e[2].line, 5);
  EXPECT_EQ(e[3].id, "AVD-KSV-0001");
  EXPECT_EQ(e[3].expires, "2025-01-31");
  EXPECT_EQ(e[3].reason, "until the chart is fixed");
  EXPECT_EQ(e[4].id, "KSV012");
  EXPECT_EQ(e[5].id, "aws-access-key-id");
  EXPECT_EQ(e[5].line, 8);
}

TEST(TrivyIgnore, CrlfBomAndNoFinalNewline) {
  auto entries = report::parse_trivyignore("\xEF\xBB\xBF# windows\r\nCVE-1 exp:2026-01-02\r\n\r\nCVE-2", "x");
  ASSERT_TRUE(entries) << entries.error().describe();
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].id, "CVE-1");
  EXPECT_EQ((*entries)[0].expires, "2026-01-02");
  EXPECT_EQ((*entries)[0].line, 2);
  EXPECT_EQ((*entries)[1].id, "CVE-2");
  EXPECT_EQ((*entries)[1].line, 4);
  auto empty = report::parse_trivyignore("", "x");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
}

TEST(TrivyIgnore, MalformedLinesFailNamingFileAndLine) {
  const std::pair<std::string, std::string> cases[] = {
      {"CVE-1\nCVE-2 exp:2024-13-01\n", "dir/.trivyignore:2: expiry \"exp:2024-13-01\" is not a date"},
      {"CVE-1 exp:31.12.2024\n", ":1: expiry \"exp:31.12.2024\""},
      {"CVE-1 exp:\n", ":1: expiry \"exp:\""},
      {"# c\n\nCVE-1 exp 2024-12-31\n", ":3: unexpected \"exp\" after the id CVE-1"},
      {"CVE-1 false positive\n", ":1: unexpected \"false\""},
      {"exp:2024-12-31\n", ":1: \"exp:2024-12-31\" comes before an id"},
      {"CVE-1 exp:2024-12-31 exp:2025-01-01\n", ":1: more than one exp: date"},
  };
  for (const auto& [text, expected] : cases) {
    auto entries = report::parse_trivyignore(text, "dir/.trivyignore");
    ASSERT_FALSE(entries) << text;
    EXPECT_EQ(entries.error().code, ErrorCode::parse);
    EXPECT_NE(entries.error().describe().find(expected), std::string::npos) << entries.error().describe();
  }
}

TEST(TrivyIgnore, FormatByNameThenContent) {
  using report::IgnoreFormat;
  EXPECT_EQ(report::detect_ignore_format("a/.trivyignore", "ignore:\n"), IgnoreFormat::trivyignore);
  EXPECT_EQ(report::detect_ignore_format("ignore.yaml", "# x\nignore:\n  - id: CVE-1\n"), IgnoreFormat::yaml);
  EXPECT_EQ(report::detect_ignore_format("ignore.yaml", "- id: CVE-1\n"), IgnoreFormat::yaml);
  EXPECT_EQ(report::detect_ignore_format("x", "---\nignore: []\n"), IgnoreFormat::yaml);
  EXPECT_EQ(report::detect_ignore_format("x", "\xEF\xBB\xBFignore: []\r\n"), IgnoreFormat::yaml);
  EXPECT_EQ(report::detect_ignore_format("ignores.txt", "# accepted\nCVE-1 exp:2026-01-01\n"),
            IgnoreFormat::trivyignore);
  EXPECT_EQ(report::detect_ignore_format("x", "\r\n  CVE-1\r\n"), IgnoreFormat::trivyignore);
}

TEST_F(Policy, TrivyIgnoreSuppressesByIdAndAliasUntilItExpires) {
  auto path = file("accepted.txt",
                   "# plain lines, told apart from YAML by content\n"
                   "DSA-5514-1                      # an alias of CVE-2023-4911\n"
                   "CVE-2024-0727 exp:2026-06-15    # still valid today\n"
                   "CVE-2023-5678 exp:2026-06-14\n"
                   "AVD-DS-0001\n");
  std::vector<core::ScanResult> results{image_scan()};
  results[0].findings.back().standards.push_back({"trivy", "AVD-DS-0001", "", "", ""});
  report::PolicyOptions options;
  options.ignore_files = {path};
  auto outcome = report::apply_policy(results, options, kToday);
  ASSERT_TRUE(outcome) << outcome.error().describe();
  EXPECT_EQ(outcome->suppressed, 3u);
  const auto* glibc = find(results, "CVE-2023-4911");
  ASSERT_TRUE(glibc->suppression);
  EXPECT_EQ(glibc->suppression->kind, "ignore-file");
  EXPECT_EQ(glibc->suppression->reason, "an alias of CVE-2023-4911 (ignored by " + path + ":2)");
  EXPECT_EQ(glibc->suppression->source, path);
  EXPECT_EQ(find(results, "CVE-2024-0727")->suppression->reason,
            "still valid today (ignored by " + path + ":3) (until 2026-06-15)");
  EXPECT_FALSE(find(results, "CVE-2023-5678")->suppression) << "expired yesterday";
  ASSERT_EQ(outcome->warnings.size(), 1u);
  EXPECT_EQ(outcome->warnings[0],
            path + ":4: the ignore entry for CVE-2023-5678 expired on 2026-06-14; it no longer suppresses");
  // A Trivy check id, in the AVD form or the short one, names a check through its trivy standard.
  EXPECT_TRUE(find(results, "BLWK-DF-001")->suppression);
  std::vector<core::ScanResult> again{image_scan()};
  again[0].findings.back().standards.push_back({"trivy", "AVD-DS-0001", "", "", ""});
  options.ignore_files = {file(".trivyignore", "DS001\n")};
  auto short_form = report::apply_policy(again, options, kToday);
  ASSERT_TRUE(short_form) << short_form.error().describe();
  EXPECT_EQ(short_form->suppressed, 1u);
  EXPECT_EQ(find(again, "BLWK-DF-001")->suppression->reason, "ignored by " + options.ignore_files[0] + ":1");
}

TEST_F(Policy, MalformedTrivyIgnoreFailsAndChangesNothing) {
  auto path = file(".trivyignore", "CVE-2023-4911\nCVE-2024-0727 exp:2026-02-30x\n");
  std::vector<core::ScanResult> results{image_scan()};
  report::PolicyOptions options;
  options.ignore_files = {path};
  auto outcome = report::apply_policy(results, options, kToday);
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().code, ErrorCode::parse);
  EXPECT_NE(outcome.error().describe().find(path + ":2"), std::string::npos) << outcome.error().describe();
  EXPECT_FALSE(find(results, "CVE-2023-4911")->suppression);
}

TEST_F(Policy, TrivyYamlIgnoreFileSectionsPurlsAndPaths) {
  auto path = file(".trivyignore.yaml", R"(vulnerabilities:
  - id: CVE-2023-4911
    statement: not setuid here
    purls:
      - pkg:deb/debian/libssl3        # not glibc's package: does not match
      - pkg:deb/debian/libc6
  - id: CVE-2024-0727
    expired_at: 2026-06-01            # expired
  - id: CVE-2023-5678
    paths:
      - "usr/lib/**"                  # this finding names no file: no match
misconfigurations:
  - id: AVD-DS-0002
    paths:
      - "/Docker*"
secrets:
licenses:
)");
  std::vector<core::ScanResult> results{image_scan()};
  results[0].findings.back().standards.push_back({"trivy", "AVD-DS-0002", "", "", ""});
  report::PolicyOptions options;
  options.ignore_files = {path};
  auto outcome = report::apply_policy(results, options, kToday);
  ASSERT_TRUE(outcome) << outcome.error().describe();
  EXPECT_EQ(outcome->suppressed, 2u);
  ASSERT_TRUE(find(results, "CVE-2023-4911")->suppression);
  EXPECT_EQ(find(results, "CVE-2023-4911")->suppression->reason, "not setuid here");
  EXPECT_FALSE(find(results, "CVE-2024-0727")->suppression);
  EXPECT_EQ(outcome->warnings.size(), 1u);
  EXPECT_FALSE(find(results, "CVE-2023-5678")->suppression);
  EXPECT_TRUE(find(results, "BLWK-DF-001")->suppression) << "Dockerfile matches /Docker*";

  auto bad = file("bad.yaml", "vulnerabilities:\n  - id: CVE-1\n    purls: pkg:deb/debian/x\n");
  std::vector<core::ScanResult> again{image_scan()};
  options.ignore_files = {bad};
  auto error = report::apply_policy(again, options, kToday);
  ASSERT_FALSE(error);
  EXPECT_NE(error.error().describe().find(bad + ":3"), std::string::npos) << error.error().describe();
  EXPECT_NE(error.error().describe().find("\"purls\" must be a list"), std::string::npos);
}

TEST_F(Policy, VexNotAffectedAndFixedSuppressAffectedAndInvestigationKeep) {
  auto path = file("app.openvex.json", R"({
  "@context": "https://openvex.dev/ns/v0.2.0",
  "@id": "https://example.com/vex/1",
  "author": "test",
  "timestamp": "2024-01-01T00:00:00Z",
  "version": 1,
  "statements": [
    {"vulnerability": {"name": "CVE-2024-0727"},
     "products": [{"@id": "pkg:oci/app@sha256%3A5b8e3c1f2a7d9e0b4c6a8f1d3e5b7c9a0f2d4e6b8c1a3f5d7e9b0c2a4f6d8e1b",
                   "subcomponents": [{"@id": "pkg:deb/debian/libssl3"}]}],
     "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path",
     "impact_statement": "no PKCS12"},
    {"vulnerability": {"name": "CVE-2023-5678"},
     "products": [{"@id": "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64"}],
     "status": "fixed"},
    {"vulnerability": {"name": "CVE-2023-4911"},
     "products": [{"@id": "pkg:deb/debian/libc6"}],
     "status": "affected", "action_statement": "upgrade"},
    {"vulnerability": {"name": "CVE-2022-0001"},
     "products": [{"@id": "pkg:oci/app@sha256%3A0000000000000000000000000000000000000000000000000000000000000000"}],
     "status": "not_affected", "justification": "component_not_present"}
  ]
})");
  std::vector<core::ScanResult> results{image_scan()};
  report::PolicyOptions options;
  options.vex_files = {path};
  auto outcome = report::apply_policy(results, options, kToday);
  ASSERT_TRUE(outcome) << outcome.error().describe();
  EXPECT_EQ(outcome->suppressed, 2u);
  const auto* ssl = find(results, "CVE-2024-0727");
  ASSERT_TRUE(ssl->suppression);
  EXPECT_EQ(ssl->suppression->kind, "vex");
  EXPECT_EQ(ssl->suppression->reason, "not_affected: no PKCS12");
  EXPECT_EQ(ssl->suppression->justification, "vulnerable_code_not_in_execute_path");
  EXPECT_EQ(ssl->suppression->source, path);
  EXPECT_EQ(find(results, "CVE-2023-5678")->suppression->reason, "fixed");
  EXPECT_FALSE(find(results, "CVE-2023-4911")->suppression) << "affected keeps the finding";
  EXPECT_FALSE(find(results, "CVE-2022-0001")->suppression) << "another image's digest";
}

TEST_F(Policy, VexMatchesImageByTagOrDigestAndVulnerabilityByAlias) {
  auto path = file("tags.openvex.json", R"({
  "@context": "https://openvex.dev/ns/v0.2.0", "@id": "x", "author": "t", "timestamp": "2024-01-01T00:00:00Z",
  "version": 1,
  "statements": [
    {"vulnerability": {"name": "GHSA-xxxx", "aliases": ["DSA-5514-1"]},
     "products": [{"@id": "registry.example:5000/team/app:1.0.3"}],
     "status": "not_affected", "justification": "inline_mitigations_already_exist"},
    {"vulnerability": {"name": "CVE-2022-0001"},
     "products": [{"@id": "sha256:5b8e3c1f2a7d9e0b4c6a8f1d3e5b7c9a0f2d4e6b8c1a3f5d7e9b0c2a4f6d8e1b",
                   "subcomponents": [{"@id": "pkg:deb/debian/zlib1g"}]}],
     "status": "not_affected", "impact_statement": "compression is not used"}
  ]
})");
  std::vector<core::ScanResult> results{image_scan()};
  report::PolicyOptions options;
  options.vex_files = {path};
  auto outcome = report::apply_policy(results, options, kToday);
  ASSERT_TRUE(outcome) << outcome.error().describe();
  EXPECT_TRUE(find(results, "CVE-2023-4911")->suppression);
  EXPECT_TRUE(find(results, "CVE-2022-0001")->suppression);
  EXPECT_FALSE(find(results, "CVE-2024-0727")->suppression);
}

TEST_F(Policy, LaterVexStatementSupersedesEarlierAcrossDocuments) {
  auto first = file("first.json", R"({"@context": "https://openvex.dev/ns/v0.2.0", "@id": "a", "version": 1,
  "timestamp": "2024-01-01T00:00:00Z",
  "statements": [{"vulnerability": {"name": "CVE-2023-4911"}, "products": [{"@id": "pkg:deb/debian/libc6"}],
                  "status": "not_affected", "justification": "vulnerable_code_not_present"}]})");
  auto second = file("second.json", R"({"@context": "https://openvex.dev/ns/v0.2.0", "@id": "b", "version": 1,
  "timestamp": "2024-03-01T00:00:00Z",
  "statements": [{"vulnerability": {"name": "CVE-2023-4911"}, "products": [{"@id": "pkg:deb/debian/libc6"}],
                  "status": "affected"}]})");
  for (auto order : {std::vector<std::string>{first, second}, std::vector<std::string>{second, first}}) {
    std::vector<core::ScanResult> results{image_scan()};
    report::PolicyOptions options;
    options.vex_files = order;
    auto outcome = report::apply_policy(results, options, kToday);
    ASSERT_TRUE(outcome) << outcome.error().describe();
    EXPECT_FALSE(find(results, "CVE-2023-4911")->suppression) << "the March 'affected' wins, whatever the order";
  }
}

TEST_F(Policy, VexOlderStringFormsAreRead) {
  auto path =
      file("old.json", R"({"@context": "https://openvex.dev/ns", "@id": "a", "timestamp": "2023-01-01T00:00:00Z",
  "statements": [{"vulnerability": "CVE-2023-4911", "products": ["pkg:deb/debian/libc6@2.36-9%2Bdeb12u4"],
                  "status": "not_affected", "justification": "vulnerable_code_cannot_be_controlled_by_adversary"}]})");
  std::vector<core::ScanResult> results{image_scan()};
  report::PolicyOptions options;
  options.vex_files = {path};
  auto outcome = report::apply_policy(results, options, kToday);
  ASSERT_TRUE(outcome) << outcome.error().describe();
  EXPECT_TRUE(find(results, "CVE-2023-4911")->suppression);
}

TEST_F(Policy, VexNotAffectedWithoutJustificationIsNotApplied) {
  auto path = file("bare.json", R"({"@context": "https://openvex.dev/ns/v0.2.0", "@id": "a", "version": 1,
  "statements": [{"vulnerability": {"name": "CVE-2023-4911"}, "products": [{"@id": "pkg:deb/debian/libc6"}],
                  "status": "not_affected"}]})");
  std::vector<core::ScanResult> results{image_scan()};
  report::PolicyOptions options;
  options.vex_files = {path};
  auto outcome = report::apply_policy(results, options, kToday);
  ASSERT_TRUE(outcome) << outcome.error().describe();
  EXPECT_FALSE(find(results, "CVE-2023-4911")->suppression);
  ASSERT_EQ(outcome->warnings.size(), 1u);
  EXPECT_NE(outcome->warnings[0].find("not_affected without justification"), std::string::npos);
  EXPECT_NE(outcome->warnings[0].find(path), std::string::npos);
}

TEST_F(Policy, MalformedVexDocumentsFailNamingTheFile) {
  const std::pair<std::string, std::string> cases[] = {
      {"{not json", "not valid JSON"},
      {R"({"statements": []})", "not an OpenVEX document"},
      {R"({"@context": "https://openvex.dev/ns/v0.2.0", "statements": {}})", "\"statements\" must be an array"},
      {R"({"@context": "https://openvex.dev/ns/v0.2.0", "statements": [{"vulnerability": {"name": "CVE-1"},
          "products": [], "status": "maybe"}]})",
       "statements[0]: status \"maybe\""},
      {R"({"@context": "https://openvex.dev/ns/v0.2.0", "statements": [{"products": [], "status": "fixed"}]})",
       "no \"vulnerability\""},
      {std::string(200, '[') + std::string(200, ']'), "nested deeper"},
  };
  int n = 0;
  for (const auto& [text, expected] : cases) {
    auto path = file("bad" + std::to_string(n++) + ".json", text);
    std::vector<core::ScanResult> results{image_scan()};
    report::PolicyOptions options;
    options.vex_files = {path};
    auto outcome = report::apply_policy(results, options, kToday);
    ASSERT_FALSE(outcome) << text;
    EXPECT_NE(outcome.error().describe().find(path), std::string::npos) << outcome.error().describe();
    EXPECT_NE(outcome.error().describe().find(expected), std::string::npos) << outcome.error().describe();
  }
}

TEST_F(Policy, CheckedInExamplesFromTheDocs) {
  std::string dir = std::string(BULWARK_SOURCE_DIR) + "/tests/policy/";
  std::vector<core::ScanResult> results{image_scan()};
  report::PolicyOptions options;
  options.ignore_files = {dir + "example.ignore.yaml"};
  options.vex_files = {dir + "example.openvex.json"};
  auto outcome = report::apply_policy(results, options, kToday);
  ASSERT_TRUE(outcome) << outcome.error().describe();
  EXPECT_EQ(find(results, "CVE-2023-4911")->suppression->kind, "ignore-file");  // listed, expires 2099
  EXPECT_EQ(find(results, "CVE-2024-0727")->suppression->kind, "vex");          // not_affected via image + subcomponent
  EXPECT_EQ(find(results, "CVE-2023-5678")->suppression->reason, "fixed");      // purl with version and qualifiers
  EXPECT_FALSE(find(results, "CVE-2022-0001")->suppression);                    // its entry expired in 2020
  ASSERT_EQ(outcome->warnings.size(), 1u);
  EXPECT_NE(outcome->warnings[0].find("CVE-2022-0001 expired on 2020-01-31"), std::string::npos);
  EXPECT_EQ(outcome->reported, 2u);
}

TEST_F(Policy, SuppressedFindingsStayInJsonAndLeaveTheTable) {
  auto path = file("ignore.yaml", "ignore:\n  - id: CVE-2023-4911\n    reason: accepted risk\n");
  std::vector<core::ScanResult> results{image_scan()};
  report::PolicyOptions options;
  options.ignore_files = {path};
  ASSERT_TRUE(report::apply_policy(results, options, kToday));
  auto doc = nlohmann::json::parse(report::write_json(results, {"0.1.0", false, false}));
  ASSERT_EQ(doc["findings"].size(), 5u);
  EXPECT_EQ(doc["findings"][0]["suppression"],
            (nlohmann::json{{"kind", "ignore-file"}, {"reason", "accepted risk"}, {"source", path}}));
  EXPECT_FALSE(doc["findings"][1].contains("suppression"));
  auto table = report::findings_table(results[0].findings, false);
  EXPECT_EQ(table.find("CVE-2023-4911"), std::string::npos) << table;
  EXPECT_NE(table.find("CVE-2024-0727"), std::string::npos) << table;
  EXPECT_NE(table.find("1 finding suppressed by policy"), std::string::npos) << table;
}

// The server's way: the policy's ignore list and VEX held in memory, applied to a bulwark/v1
// document read back from JSON, decide exactly what the files decide on the scan itself.
TEST_F(Policy, InMemoryDocumentsOnJsonReadBackDecideAsFilesDo) {
  const std::string ignore =
      "ignore:\n  - id: CVE-2024-0727\n    purl: pkg:deb/debian/libssl3\n    reason: no PKCS12\n";
  const std::string vex = R"({
  "@context": "https://openvex.dev/ns/v0.2.0", "@id": "x", "author": "t", "timestamp": "2024-01-01T00:00:00Z",
  "version": 1,
  "statements": [
    {"vulnerability": {"name": "GHSA-xxxx", "aliases": ["DSA-5514-1"]},
     "products": [{"@id": "registry.example:5000/team/app:1.0.3"}],
     "status": "not_affected", "justification": "inline_mitigations_already_exist"},
    {"vulnerability": {"name": "CVE-2022-0001"},
     "products": [{"@id": "sha256:5b8e3c1f2a7d9e0b4c6a8f1d3e5b7c9a0f2d4e6b8c1a3f5d7e9b0c2a4f6d8e1b",
                   "subcomponents": [{"@id": "pkg:deb/debian/zlib1g"}]}],
     "status": "not_affected", "impact_statement": "compression is not used"}
  ]
})";
  std::vector<core::ScanResult> direct{image_scan()};
  report::PolicyOptions files;
  files.ignore_files = {file("ignore.yaml", ignore)};
  files.vex_files = {file("doc.openvex.json", vex)};
  files.fail_on = core::Severity::medium;
  auto expected = report::apply_policy(direct, files, kToday);
  ASSERT_TRUE(expected) << expected.error().describe();
  EXPECT_EQ(expected->suppressed, 3u);

  auto read = report::read_json(report::write_json({image_scan()}, {}));
  ASSERT_TRUE(read) << read.error().describe();
  ASSERT_EQ(read->results.size(), 1u);
  EXPECT_EQ(read->results[0].findings.size(), 5u);
  report::PolicyOptions memory;
  memory.ignore_documents = {{"policy:x/ignore", ignore}};
  memory.vex_documents = {{"policy:x/vex[0]", vex}};
  memory.fail_on = core::Severity::medium;
  auto got = report::apply_policy(read->results, memory, kToday);
  ASSERT_TRUE(got) << got.error().describe();
  EXPECT_EQ(got->suppressed, expected->suppressed);
  EXPECT_EQ(got->reported, expected->reported);
  EXPECT_EQ(got->failing, expected->failing);
  for (const auto& f : direct[0].findings) {
    const auto* same = find(read->results, f.id);
    ASSERT_NE(same, nullptr) << f.id;
    EXPECT_EQ(static_cast<bool>(same->suppression), static_cast<bool>(f.suppression)) << f.id;
    EXPECT_EQ(report::fails_policy(*same, memory), report::fails_policy(f, files)) << f.id;
  }
  EXPECT_EQ(find(read->results, "CVE-2024-0727")->suppression->source, "policy:x/ignore");

  // A malformed in-memory document fails naming it, as a file would be named.
  report::PolicyOptions broken;
  broken.ignore_documents = {{"policy:x/ignore", "ignore:\n  - id: A\n    expires: soon\n"}};
  auto bad = report::apply_policy(read->results, broken, kToday);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().describe().find("policy:x/ignore:3"), std::string::npos) << bad.error().describe();
  EXPECT_FALSE(report::read_json("{\"schema\": \"other\"}"));
  EXPECT_FALSE(report::read_json("[1]"));
}
