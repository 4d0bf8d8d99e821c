// Conformance of the Pod Security Standards evaluator with Kubernetes' own
// pod-security admission fixtures: every pass pod must be allowed and every fail
// pod denied, at its level and policy version, by the check the fixture is about.
#include "config/k8s/pss.hpp"
#include "util/testing/fixtures.hpp"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace bulwark::config::k8s::pss {
namespace {

namespace fs = std::filesystem;

std::vector<std::vector<std::string>> read_tsv(const fs::path& file) {
  std::vector<std::vector<std::string>> rows;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line.starts_with('#')) continue;
    std::vector<std::string> cells;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, '\t')) cells.push_back(cell);
    if (line.ends_with('\t')) cells.emplace_back();
    rows.push_back(std::move(cells));
  }
  return rows;
}

// Unpacks the fixture archive once into the build tree.
fs::path psa_testdata() {
  return bulwark::testing::unpack_fixture(fs::path(BULWARK_SHARED_DIR) / "fixtures/pod-security/psa-testdata.tar.zst",
                                          fs::path(BULWARK_BINARY_DIR) / "fixtures" / "pod-security", "psa-testdata");
}

std::string strip_digits(std::string s) {
  while (!s.empty() && std::isdigit(static_cast<unsigned char>(s.back()))) s.pop_back();
  return s;
}

TEST(PssVersion, Parses) {
  EXPECT_EQ(parse_version("latest"), kLatest);
  EXPECT_EQ(parse_version("v1.33"), Version{33});
  EXPECT_EQ(parse_version("1.0"), Version{0});
  EXPECT_EQ(parse_version("v1.99"), kLatest);  // newer than known: evaluate as the newest
  EXPECT_FALSE(parse_version("v2.1"));
  EXPECT_FALSE(parse_version("v1.x"));
  EXPECT_FALSE(parse_version("1.33.2"));
  EXPECT_EQ(to_string(Version{25}), "v1.25");
  EXPECT_EQ(parse_level("baseline"), Level::baseline);
  EXPECT_FALSE(parse_level("privileged"));
}

TEST(PssChecks, VersionsDecideWhatIsInForce) {
  auto ids = [](Level level, Version version) {
    std::vector<std::string> out;
    for (const auto* c : checks_in_force(level, version)) out.emplace_back(c->id);
    return out;
  };
  auto has = [](const std::vector<std::string>& v, const char* id) {
    return std::find(v.begin(), v.end(), id) != v.end();
  };
  EXPECT_FALSE(has(ids(Level::restricted, {21}), "capabilities_restricted"));
  EXPECT_TRUE(has(ids(Level::restricted, {22}), "capabilities_restricted"));
  EXPECT_FALSE(has(ids(Level::baseline, {37}), "runAsNonRoot"));
  EXPECT_TRUE(has(ids(Level::restricted, {37}), "hostNamespaces"));
  EXPECT_FALSE(has(ids(Level::baseline, {33}), "hostProbesAndHostLifecycle"));
  EXPECT_TRUE(has(ids(Level::baseline, {34}), "hostProbesAndHostLifecycle"));
}

TEST(PssEvaluate, SysctlsChangeWithVersion) {
  YAML::Node spec = YAML::Load(R"(
securityContext:
  sysctls:
  - {name: net.ipv4.tcp_keepalive_time, value: "1"}
containers: [{name: a, image: x}]
)");
  EXPECT_EQ(evaluate({}, spec, Level::baseline, {28}).size(), 1U);
  EXPECT_TRUE(evaluate({}, spec, Level::baseline, {29}).empty());
}

TEST(PssEvaluate, ReportsTheOffendingNodeAndDoesNotModifyTheDocument) {
  YAML::Node root = YAML::Load("spec:\n  hostPID: true\n  containers:\n  - name: a\n    image: x\n");
  std::string before = YAML::Dump(root);
  auto v = evaluate(root["metadata"], root["spec"], Level::baseline, kLatest);
  ASSERT_EQ(v.size(), 1U);
  EXPECT_EQ(v[0].check->id, "hostNamespaces");
  EXPECT_EQ(v[0].detail, "hostPID=true");
  EXPECT_EQ(v[0].mark.line + 1, 2);
  EXPECT_EQ(v[0].mark.column + 1, 12);
  EXPECT_EQ(YAML::Dump(root), before);
}

TEST(PssEvaluate, WrongShapesAreNotErrors) {
  for (const char* text : {"containers: 3", "containers: [1, [2], {securityContext: 5}]", "hostNetwork: {a: 1}",
                           "securityContext: [1]\nvolumes: x", "[]", "x"}) {
    YAML::Node spec = YAML::Load(text);
    EXPECT_NO_THROW((void)evaluate(YAML::Node(), spec, Level::restricted, kLatest)) << text;
  }
}

// The upstream fixtures: 3,687 pods over every level and version.
TEST(PssConformance, AgreesWithKubernetesFixtures) {
  fs::path root = psa_testdata();
  ASSERT_FALSE(root.empty()) << "cannot unpack psa-testdata.tar.zst (tar with zstd needed)";
  // The reason substring each check's denial must contain, by fixture file prefix.
  std::map<std::string, std::pair<std::string, std::string>> by_prefix;  // prefix -> (check id, reason)
  for (const auto& row : read_tsv(fs::path(BULWARK_SHARED_DIR) / "fixtures/pod-security/psa-checks.tsv")) {
    ASSERT_GE(row.size(), 5U);
    by_prefix[row[3]] = {row[0], row[4]};
  }
  auto rows = read_tsv(root / "index.tsv");
  ASSERT_GT(rows.size(), 3000U);
  std::size_t agree = 0;
  std::vector<std::string> disagreements;
  for (const auto& row : rows) {
    ASSERT_EQ(row.size(), 5U);
    const auto& [level_text, version_text, expected, case_name, file] =
        std::tie(row[0], row[1], row[2], row[3], row[4]);
    auto level = parse_level(level_text);
    auto version = parse_version(version_text);
    ASSERT_TRUE(level && version) << level_text << " " << version_text;
    YAML::Node pod = YAML::LoadFile((root / file).string());
    auto violations = evaluate(pod["metadata"], pod["spec"], *level, *version);
    std::string problem;
    if (expected == "pass") {
      if (!violations.empty())
        problem = "denied by " + std::string(violations[0].check->id) + ": " + violations[0].detail;
    } else {
      auto it = by_prefix.find(strip_digits(case_name));
      if (it == by_prefix.end()) {
        problem = "no check for this case";
      } else {
        const auto& [check_id, reason] = it->second;
        auto hit = std::find_if(violations.begin(), violations.end(),
                                [&id = check_id](const Violation& v) { return v.check->id == id; });
        if (hit == violations.end())
          problem = "not denied by " + check_id;
        else if (hit->reason.find(reason) == std::string::npos)
          problem = "reason \"" + hit->reason + "\" lacks \"" + reason + "\"";
      }
    }
    if (problem.empty())
      ++agree;
    else
      disagreements.push_back(file + " (expected " + expected + "): " + problem);
  }
  std::cout << "PSS fixtures: " << agree << "/" << rows.size() << " agree\n";
  for (const auto& d : disagreements) std::cout << "  " << d << "\n";
  EXPECT_EQ(agree, rows.size());
}

}  // namespace
}  // namespace bulwark::config::k8s::pss
