// Accuracy on third-party examples (Nosey Parker's rule examples, gitleaks' true and false
// positives; tests/data/secrets/SOURCE.md): for every third-party rule in a category bulwark
// covers (coverage.yaml), every true positive is found and no negative example is reported
// by the bulwark rules that answer for it, except the examples skipped with a reason.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "secret/rules.hpp"
#include "secret/scanner.hpp"

namespace bulwark::secret {
namespace {

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct ThirdParty {
  std::string id;
  std::vector<std::string> positives, negatives;
};

std::vector<ThirdParty> load_examples() {
  const std::string dir = std::string(BULWARK_SOURCE_DIR) + "/tests/data/secrets/";
  std::vector<ThirdParty> out;
  auto np = nlohmann::json::parse(read(dir + "noseyparker-examples.json"));
  for (const auto& r : np["rules"]) {
    out.push_back({r["id"], r["examples"].get<std::vector<std::string>>(),
                   r["negative_examples"].get<std::vector<std::string>>()});
  }
  auto gl = nlohmann::json::parse(read(dir + "gitleaks-examples.json"));
  for (const auto& r : gl["rules"]) {
    out.push_back({"gl." + r["id"].get<std::string>(), r["true_positives"].get<std::vector<std::string>>(),
                   r["false_positives"].get<std::vector<std::string>>()});
  }
  return out;
}

TEST(ThirdPartyExamples, CoveredCategoriesFoundWithoutFalsePositives) {
  core::Diagnostics diags;
  auto engine = Engine::build(builtin_catalogue(diags), Options{}, diags);
  ASSERT_TRUE(engine);
  const auto coverage = YAML::LoadFile(std::string(BULWARK_SOURCE_DIR) + "/tests/data/secrets/coverage.yaml");
  std::map<std::string, std::set<std::string>> covered;
  for (const auto& kv : coverage["covered"]) {
    for (const auto& id : kv.second) covered[kv.first.as<std::string>()].insert(id.as<std::string>());
  }
  std::set<std::string> skip;
  for (const auto& kv : coverage["skip"]) skip.insert(kv.first.as<std::string>());

  std::set<std::string> seen_rules;
  std::size_t positives = 0, negatives = 0, skipped_used = 0;
  for (const auto& tp : load_examples()) {
    auto it = covered.find(tp.id);
    if (it == covered.end()) continue;
    seen_rules.insert(tp.id);
    for (const auto& rule : it->second) {
      bool known = false;
      for (const auto& r : (*engine)->catalogue().rules) known = known || r.id == rule;
      EXPECT_TRUE(known) << tp.id << " maps to unknown rule " << rule;
    }
    for (std::size_t i = 0; i < tp.positives.size(); ++i) {
      const auto key = tp.id + "/tp" + std::to_string(i);
      if (skip.contains(key)) {
        ++skipped_used;
        continue;
      }
      ++positives;
      EXPECT_FALSE((*engine)->scan(tp.positives[i], "example.txt").empty()) << key << ": " << tp.positives[i];
    }
    for (std::size_t i = 0; i < tp.negatives.size(); ++i) {
      const auto key = tp.id + "/fp" + std::to_string(i);
      if (skip.contains(key)) {
        ++skipped_used;
        continue;
      }
      ++negatives;
      for (const auto& m : (*engine)->scan(tp.negatives[i], "example.txt")) {
        EXPECT_FALSE(it->second.contains(m.rule->id))
            << key << " reported by " << m.rule->id << ": " << tp.negatives[i];
      }
    }
  }
  EXPECT_EQ(seen_rules.size(), covered.size()) << "coverage.yaml names a third-party rule that is not in the data";
  EXPECT_EQ(skipped_used, skip.size()) << "coverage.yaml skips an example that does not exist";
  EXPECT_GE(positives, 140U);
  EXPECT_GE(negatives, 50U);
  std::printf("third-party: %zu rules covered, %zu true positives found, %zu negatives clean, %zu skipped\n",
              covered.size(), positives, negatives, skip.size());
}

}  // namespace
}  // namespace bulwark::secret
