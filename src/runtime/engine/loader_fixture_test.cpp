// Falco's own rule-loader expectations (falco-engine-rule-loader-cases.json, 82
// cases extracted from Falco's unit tests) run against bulwark's loader. Every
// case is checked; agreement is reported as N/M and each disagreement is listed
// here with its reason.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <set>

#include "runtime/engine/ruleset.hpp"

namespace bulwark::runtime::engine {
namespace {

using nlohmann::json;

// Cases where bulwark deliberately or knowingly differs from Falco, with the reason.
const std::map<std::string, std::string> kKnownDisagreements = {};

json load_cases() {
  std::ifstream in(std::string(BULWARK_SHARED_DIR) + "/fixtures/falco/falco-engine-rule-loader-cases.json");
  EXPECT_TRUE(in.good()) << "fixture missing";
  json j;
  in >> j;
  return j;
}

bool any_contains(const Ruleset& rs, core::DiagnosticLevel lvl, const std::string& needle) {
  for (const auto& d : rs.diagnostics())
    if (d.level == lvl && d.message.find(needle) != std::string::npos) return true;
  return false;
}

// Checks one step; returns the mismatches (empty = agreement).
std::vector<std::string> check_step(const json& step, const std::vector<RulesFile>& files) {
  std::vector<std::string> bad;
  Ruleset rs = load_rules(files);
  auto dump = [&] {
    std::string s;
    for (const auto& d : rs.diagnostics()) s += "\n    " + d.describe();
    return s;
  };
  if (step.contains("expect_load_success")) {
    bool ok = rs.error_count() == 0;
    if (ok != step["expect_load_success"].get<bool>()) bad.push_back("load success " + std::to_string(ok) + dump());
  }
  if (step.contains("schema_validation") && step["schema_validation"] != "none") {
    bool want = step["schema_validation"] == "ok";
    if (rs.schema_valid() != want) bad.push_back("schema_valid=" + std::to_string(rs.schema_valid()));
  }
  for (const auto& e : step.value("errors_contain", json::array()))
    if (!any_contains(rs, core::DiagnosticLevel::error, e))
      bad.push_back("missing error: " + e.get<std::string>() + dump());
  for (const auto& w : step.value("warnings_contain", json::array()))
    if (!any_contains(rs, core::DiagnosticLevel::warning, w))
      bad.push_back("missing warning: " + w.get<std::string>() + dump());
  for (const auto& w : step.value("warnings_not_contain", json::array()))
    if (any_contains(rs, core::DiagnosticLevel::warning, w))
      bad.push_back("unexpected warning: " + w.get<std::string>());
  if (step.contains("has_warnings")) {
    bool has = rs.warning_count() > 0;
    if (has != step["has_warnings"].get<bool>()) bad.push_back("has_warnings=" + std::to_string(has) + dump());
  }
  if (step.contains("compiled_condition")) {
    for (const auto& [rule, want] : step["compiled_condition"].items()) {
      const CompiledRule* r = rs.find(rule);
      if (!r) {
        bad.push_back("rule not loaded: " + rule + dump());
        continue;
      }
      if (want.is_object()) {
        if (r->compiled_condition == want["not"].get<std::string>())
          bad.push_back("condition equals " + r->compiled_condition);
      } else if (r->compiled_condition != want.get<std::string>()) {
        bad.push_back("condition: got `" + r->compiled_condition + "` want `" + want.get<std::string>() + "`");
      }
    }
  }
  for (const auto& n : step.value("num_rules_for_ruleset", json::array())) {
    auto got = rs.enabled_rules();
    if (got != n["equals"].get<std::size_t>()) bad.push_back("enabled rules " + std::to_string(got));
  }
  for (const auto& d : step.value("describe_rule", json::array())) {
    std::vector<std::string> path;
    for (const auto& p : d["path"]) path.push_back(p.get<std::string>());
    json got;
    if (path.size() == 1) {
      got = path[0] == "rules" ? rs.rules().size() : path[0] == "macros" ? rs.macros().size() : rs.lists().size();
    } else if (path[0] == "rules" && path.size() == 4) {
      const CompiledRule* r = d["rule"].is_string() ? rs.find(d["rule"].get<std::string>()) : nullptr;
      if (!r) {
        bad.push_back("describe: rule missing");
        continue;
      }
      const auto& k = path[3];
      if (k == "condition")
        got = r->condition;
      else if (k == "output")
        got = r->output;
      else if (k == "description")
        got = r->desc;
      else if (k == "priority")
        got = std::string(to_string(r->priority));
      else if (k == "capture")
        got = r->capture;
      else if (k == "capture_duration")
        got = r->capture_duration;
    } else if (path[0] == "lists" && path.size() >= 4 && !rs.lists().empty()) {
      const auto& l = rs.lists()[std::stoul(path[1])];
      if (path[3] == "lists") {
        std::size_t nested = 0;
        for (const auto& item : l.items)
          for (const auto& other : rs.lists()) nested += other.name == item;
        got = nested;
      } else if (path[3] == "items_compiled") {
        got = path.size() == 4 ? json(l.items_compiled.size()) : json(l.items_compiled[std::stoul(path[4])]);
      }
    }
    if (got != d["equals"]) bad.push_back("describe " + d["path"].dump() + " got " + got.dump());
  }
  return bad;
}

TEST(FalcoLoaderFixture, Agreement) {
  json cases = load_cases();
  ASSERT_EQ(cases.size(), 82u);
  int agree = 0, total = 0;
  std::string report;
  for (const auto& c : cases) {
    ++total;
    std::vector<RulesFile> files;
    std::vector<std::string> bad;
    for (const auto& step : c["steps"]) {
      files.push_back({step.value("filename", "rules.yaml"), step["rules_yaml"].get<std::string>()});
      auto b = check_step(step, files);
      bad.insert(bad.end(), b.begin(), b.end());
    }
    std::string name = c["test"].get<std::string>();
    bool known = kKnownDisagreements.contains(name);
    if (bad.empty()) {
      ++agree;
      EXPECT_FALSE(known) << name << " now agrees; remove it from kKnownDisagreements";
    } else {
      std::string why;
      for (const auto& b : bad) why += "\n  " + b;
      report += "\n" + name + ":" + why;
      EXPECT_TRUE(known) << name << why;
    }
  }
  std::printf("falco-engine-rule-loader-cases: %d/%d agree%s\n", agree, total, report.c_str());
  RecordProperty("agreement", std::to_string(agree) + "/" + std::to_string(total));
}

}  // namespace
}  // namespace bulwark::runtime::engine
