// Falco's shipped rule files and the falcosecurity/testing validate-only cases.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include "runtime/engine/ruleset.hpp"

namespace bulwark::runtime::engine {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const fs::path kRules = fs::path(BULWARK_SHARED_DIR) / "fixtures/falco/falcosecurity-rules/rules";

TEST(FalcoStableRules, AllTwentyFiveLoad) {
  auto rs = load_rules({{"falco_rules.yaml", slurp(kRules / "falco_rules.yaml")}});
  std::string errs;
  for (const auto& d : rs.diagnostics())
    if (d.level == core::DiagnosticLevel::error) errs += "\n" + d.describe();
  EXPECT_EQ(rs.error_count(), 0u) << errs;
  EXPECT_EQ(rs.defined_rules(), 25u);
  EXPECT_EQ(rs.rules().size(), 25u);
  EXPECT_EQ(rs.enabled_rules(), 25u);
  // Every stable rule is narrowed to a few event types (no catch-all rule).
  for (const auto& r : rs.rules()) {
    EXPECT_GT(r.event_types.count(), 0u) << r.name;
    EXPECT_LT(r.event_types.count(), 12u) << r.name;
  }
  const auto* shell = rs.find("Terminal shell in container");
  ASSERT_NE(shell, nullptr);
  EXPECT_TRUE(shell->event_types.test(static_cast<std::size_t>(EventType::execve)));
  EXPECT_EQ(shell->priority, Priority::notice);
}

TEST(FalcoStableRules, IncubatingAndSandboxLoadWithoutCrashing) {
  // These use plugin fields (k8s.*, etc.) bulwark does not have: those rules are reported, the rest load.
  for (const char* f : {"falco-incubating_rules.yaml", "falco-sandbox_rules.yaml"}) {
    auto rs = load_rules({{"falco_rules.yaml", slurp(kRules / "falco_rules.yaml")}, {f, slurp(kRules / f)}});
    std::size_t loaded = rs.rules().size();
    std::printf("%s: %zu of %zu rules loaded, %zu errors, %zu warnings\n", f, loaded, rs.defined_rules(),
                rs.error_count(), rs.warning_count());
    for (const auto& d : rs.diagnostics())
      if (d.level == core::DiagnosticLevel::error) std::printf("  %s\n", d.describe().c_str());
    EXPECT_GT(loaded, 25u);
  }
}

// falcosecurity/testing: the 27 cases that validate rules without a capture.
TEST(FalcoTestingCases, ValidateOnly) {
  fs::path dir = fs::temp_directory_path() / ("bulwark-falco-testing-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::string cmd = "tar --zstd -xf '" + std::string(BULWARK_SHARED_DIR) +
                    "/fixtures/falco/falco-testing.tar.zst' -C '" + dir.string() + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  fs::path root = dir / "falco-testing";
  json all = json::parse(slurp(root / "cases.json"));
  int agree = 0, agree_falco = 0, total = 0;
  std::string report;
  // Known disagreements, with the reason.
  const std::map<std::string, std::string> known = {};
  // Deliberate differences: bulwark makes a rule with an unknown field unloadable with a LOAD_UNKNOWN_FILTER
  // warning where Falco reports a LOAD_ERR_COMPILE_CONDITION (or _OUTPUT) error and fails validation, and it skips a
  // rule with `skip-if-unknown-filter: true` quietly, as Falco's documentation says, where Falco's code warns. These
  // cases are checked against the expectation rewritten for that; they do not count as agreeing with Falco.
  auto unknown_field_is_a_warning = [](json e) {
    json errors = json::array();
    for (auto spec : e.value("errors", json::array())) {
      std::string msg = spec.value("OfMessage", "");
      if (msg.starts_with("filter_check called with nonexistent field") ||
          msg.starts_with("invalid formatting token")) {
        spec["OfCode"] = "LOAD_UNKNOWN_FILTER";
        e["warnings"].push_back(spec);
      } else {
        errors.push_back(spec);
      }
    }
    e["errors"] = errors;
    e["error"] = !errors.empty();
    if (e.contains("num_errors")) e["num_errors"] = errors.size();
    return e;
  };
  const std::map<std::string, std::function<json(json)>> deliberate = {
      // Rules: unknown field (error in Falco), unknown event type, unknown output field (both errors in Falco, not
      // counted there because Falco stops at the first error): bulwark warns about all three, no error.
      {"TestFalco_Legacy_SkipUnknownError", unknown_field_is_a_warning},
      {"TestFalco_Legacy_SkipUnknownUnspecError", unknown_field_is_a_warning},
      // Output "%not_a_real_field": an unknown field in the output, the same warning.
      {"TestFalco_Legacy_InvalidRuleOutput", unknown_field_is_a_warning},
      // Three rules with skip-if-unknown-filter: true. Falco warns about each (LOAD_UNKNOWN_FILTER); bulwark
      // skips the two with unknown fields quietly and still warns about the unknown event type.
      {"TestFalco_Legacy_ValidateSkipUnknownNoevt",
       [](json e) {
         e["num_warnings"] = 1;
         e["warnings"] = json::array({{{"OfCode", "LOAD_UNKNOWN_EVTTYPE"}, {"present", true}}});
         return e;
       }},
  };
  for (const auto& c : all["cases"]) {
    if (c["needs_capture"].get<bool>()) continue;
    ++total;
    std::vector<RulesFile> files;
    for (const auto& name : c["options"]["rules_validation_only"]) {
      std::string n = name.get<std::string>() + ".yaml";
      files.push_back({n, slurp(root / "rules" / n)});
    }
    // Falco validates each file on its own, in order (a file sees the ones before it).
    Ruleset last;
    std::vector<Ruleset> per;
    for (std::size_t i = 0; i < files.size(); ++i) {
      std::vector<RulesFile> upto(files.begin(), files.begin() + static_cast<long>(i) + 1);
      per.push_back(load_rules(upto));
    }
    const Ruleset& rs = per.back();
    std::string name = c["test"].get<std::string>();
    auto check = [&](const json& e) {
      std::vector<std::string> bad;
      bool error = rs.error_count() > 0;
      if (e.contains("error") && e["error"].get<bool>() != error) bad.push_back("error=" + std::to_string(error));
      if (e.contains("num_errors") && e["num_errors"].get<std::size_t>() != rs.error_count())
        bad.push_back("num_errors=" + std::to_string(rs.error_count()));
      if (e.contains("num_warnings") && e["num_warnings"].get<std::size_t>() != rs.warning_count())
        bad.push_back("num_warnings=" + std::to_string(rs.warning_count()));
      if (e.contains("validation_successful")) {
        for (const auto& [idx, want] : e["validation_successful"].items()) {
          bool ok = per[std::stoul(idx)].error_count() == 0;
          if (ok != want.get<bool>()) bad.push_back("validation_successful[" + idx + "]");
        }
      }
      auto match = [&](const json& spec, core::DiagnosticLevel lvl) {
        for (const auto& d : rs.diagnostics()) {
          if (d.level != lvl) continue;
          if (spec.contains("OfCode") && spec["OfCode"] != d.code) continue;
          if (spec.contains("OfItemType") && spec["OfItemType"] != d.item_type) continue;
          if (spec.contains("OfItemName") && spec["OfItemName"] != d.item_name) continue;
          if (spec.contains("OfMessage") && d.message.find(spec["OfMessage"].get<std::string>()) == std::string::npos)
            continue;
          return true;
        }
        return false;
      };
      for (const auto& spec : e.value("errors", json::array()))
        if (match(spec, core::DiagnosticLevel::error) != spec.value("present", true))
          bad.push_back("error " + spec.dump());
      for (const auto& spec : e.value("warnings", json::array()))
        if (match(spec, core::DiagnosticLevel::warning) != spec.value("present", true))
          bad.push_back("warning " + spec.dump());
      return bad;
    };
    if (check(c["expect"]).empty()) ++agree_falco;
    auto rewrite = deliberate.find(name);
    auto bad = check(rewrite == deliberate.end() ? c["expect"] : rewrite->second(c["expect"]));
    if (rewrite != deliberate.end()) {
      EXPECT_FALSE(check(c["expect"]).empty()) << name << " agrees with Falco now";
    }
    if (bad.empty()) {
      ++agree;
      EXPECT_FALSE(known.contains(name)) << name << " agrees now";
    } else {
      std::string why;
      for (const auto& b : bad) why += "\n  " + b;
      for (const auto& d : rs.diagnostics()) why += "\n    " + d.describe();
      report += "\n" + name + ":" + why;
      EXPECT_TRUE(known.contains(name)) << name << why;
    }
  }
  fs::remove_all(dir);
  EXPECT_EQ(total, 27);
  std::printf(
      "falco-testing validate-only cases: %d/%d agree with Falco; %d/%d with bulwark's %zu deliberate "
      "differences applied%s\n",
      agree_falco, total, agree, total, deliberate.size(), report.c_str());
}

}  // namespace
}  // namespace bulwark::runtime::engine
