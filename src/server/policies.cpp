// Server-side policies; see policies.hpp.
#include "server/policies.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "report/report.hpp"

namespace bulwark::server {

using nlohmann::json;

namespace {

constexpr std::size_t kMaxVexDocuments = 64;

Status bad(std::string_view key, std::string_view what) {
  return fail(ErrorCode::invalid_argument, fmt::format("{}: {}", key, what));
}

Result<core::Severity> severity_of(std::string_view key, const json& v) {
  if (!v.is_string()) return std::unexpected(bad(key, "must be a severity name").error());
  auto s = core::parse_severity(v.get<std::string>());
  if (!s) {
    return std::unexpected(bad(key, fmt::format("unknown severity \"{}\" (critical, high, medium, low, info, unknown)",
                                                v.get<std::string>()))
                               .error());
  }
  return *s;
}

}  // namespace

bool valid_policy_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > 64 || name.front() == '.' || name.front() == '-') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-';
  });
}

Result<report::PolicyOptions> parse_policy(std::string_view name, const json& body) {
  if (!body.is_object()) return fail(ErrorCode::invalid_argument, "a policy must be a JSON object");
  report::PolicyOptions p;
  for (const auto& [key, v] : body.items()) {
    if (key == "description") {
      if (!v.is_string()) return std::unexpected(bad(key, "must be a string").error());
    } else if (key == "severity") {
      // As --severity: one name is a minimum, a comma list (or a JSON list) the exact set.
      std::vector<std::string> names;
      if (v.is_string()) {
        std::string text = v.get<std::string>();
        std::size_t start = 0;
        while (start <= text.size()) {
          auto comma = text.find(',', start);
          if (comma == std::string::npos) comma = text.size();
          std::string part = text.substr(start, comma - start);
          part.erase(0, part.find_first_not_of(' '));
          part.erase(part.find_last_not_of(' ') + 1);
          if (!part.empty()) names.push_back(part);
          start = comma + 1;
        }
        if (names.size() == 1 && text.find(',') == std::string::npos) {
          auto s = severity_of(key, json(names.front()));
          if (!s) return std::unexpected(s.error());
          p.min_severity = *s;
          continue;
        }
      } else if (v.is_array()) {
        for (const auto& n : v) {
          if (!n.is_string()) return std::unexpected(bad(key, "must list severity names").error());
          names.push_back(n.get<std::string>());
        }
      } else {
        return std::unexpected(bad(key, "must be a severity, a comma list or a list of severities").error());
      }
      if (names.empty()) return std::unexpected(bad(key, "names no severity").error());
      for (const auto& n : names) {
        auto s = severity_of(key, json(n));
        if (!s) return std::unexpected(s.error());
        p.severities.push_back(*s);
      }
    } else if (key == "fail_on") {
      auto s = severity_of(key, v);
      if (!s) return std::unexpected(s.error());
      p.fail_on = *s;
    } else if (key == "ignore_unfixed") {
      if (!v.is_boolean()) return std::unexpected(bad(key, "must be true or false").error());
      p.ignore_unfixed = v.get<bool>();
    } else if (key == "exit_scanners") {
      if (!v.is_array()) return std::unexpected(bad(key, "must be a list of vuln, config, secret").error());
      for (const auto& s : v) {
        if (!s.is_string() || (s != "vuln" && s != "config" && s != "secret"))
          return std::unexpected(bad(key, "must be a list of vuln, config, secret").error());
        p.exit_scanners.push_back(s.get<std::string>());
      }
    } else if (key == "ignore") {
      // The text of an ignore file (bulwark YAML, Trivy's .trivyignore.yaml or .trivyignore), or
      // the YAML format's entries as a JSON list (JSON is YAML: read as {"ignore": [...]}).
      std::string text;
      if (v.is_string()) {
        text = v.get<std::string>();
      } else if (v.is_array()) {
        text = json{{"ignore", v}}.dump();
      } else {
        return std::unexpected(bad(key, "must be an ignore file's text or a list of entries").error());
      }
      p.ignore_documents.push_back({fmt::format("policy:{}/ignore", name), std::move(text)});
    } else if (key == "vex") {
      if (!v.is_array() || v.size() > kMaxVexDocuments) {
        return std::unexpected(
            bad(key, fmt::format("must be a list of at most {} OpenVEX documents", kMaxVexDocuments)).error());
      }
      for (std::size_t i = 0; i < v.size(); ++i) {
        std::string text = v[i].is_string() ? v[i].get<std::string>() : v[i].dump();
        p.vex_documents.push_back({fmt::format("policy:{}/vex[{}]", name, i), std::move(text)});
      }
    } else {
      return fail(ErrorCode::invalid_argument,
                  fmt::format("unknown key \"{}\" (known: description, severity, fail_on, ignore_unfixed, "
                              "exit_scanners, ignore, vex)",
                              key));
    }
  }
  // Read the ignore list and the VEX documents now, as apply_policy will (nothing to apply them to).
  std::vector<core::ScanResult> none;
  if (auto checked = report::apply_policy(none, p, report::today_utc()); !checked) {
    return std::unexpected(checked.error());
  }
  return p;
}

Result<PolicyVerdict> evaluate_policy(std::string_view name, const report::PolicyOptions& policy,
                                      std::string_view document, const std::string& today,
                                      const EvaluateOptions& options) {
  auto read = report::read_json(document);
  if (!read) return std::unexpected(read.error());
  auto& results = read->results;
  std::size_t client_suppressed = 0;
  for (auto& r : results) {
    for (auto& f : r.findings) {
      if (f.suppression) {
        ++client_suppressed;
        f.suppression.reset();
      }
    }
  }
  auto outcome = report::apply_policy(results, policy, today);
  if (!outcome) return std::unexpected(outcome.error().within(fmt::format("policy {}", name)));
  std::vector<std::string> unchecked;
  if (report::exit_scanner(policy, "vuln")) {
    for (std::size_t i = 0; i < results.size(); ++i) {
      if (read->coverage_incomplete[i]) unchecked.push_back(results[i].target.name);
    }
  }
  PolicyVerdict v;
  v.policy = std::string(name);
  v.failing = static_cast<std::int64_t>(outcome->failing);
  v.pass = outcome->failing == 0 && unchecked.empty();
  json reasons = json::array();
  if (outcome->failing > 0) {
    reasons.push_back(fmt::format(
        "{} finding{}{} fail{} the policy", outcome->failing, outcome->failing == 1 ? "" : "s",
        policy.fail_on == core::Severity::unknown ? std::string()
                                                  : " at or above " + std::string(core::to_string(policy.fail_on)),
        outcome->failing == 1 ? "s" : ""));
  }
  for (const auto& t : unchecked) {
    reasons.push_back(fmt::format("the vulnerability scan of {} left packages unchecked (no data for them)", t));
  }
  // The failing findings, most severe first.
  std::vector<const core::Finding*> failing;
  for (const auto& r : results) {
    for (const auto& f : r.findings) {
      if (report::fails_policy(f, policy)) failing.push_back(&f);
    }
  }
  std::stable_sort(failing.begin(), failing.end(),
                   [](const core::Finding* a, const core::Finding* b) { return a->severity > b->severity; });
  json listed = json::array();
  for (std::size_t i = 0; i < failing.size() && i < options.max_listed; ++i) {
    const auto& f = *failing[i];
    json j = {{"id", f.id}, {"severity", core::to_string(f.severity)}, {"scanner", report::scanner_of(f)}};
    if (!f.title.empty()) j["title"] = f.title;
    if (!f.target.name.empty()) j["target"] = f.target.name;
    if (f.package) {
      j["package"] = f.package->name;
      if (!f.package->version.empty()) j["version"] = f.package->version;
    }
    if (f.vulnerability && !f.vulnerability->fixed_version.empty()) j["fixed_version"] = f.vulnerability->fixed_version;
    listed.push_back(std::move(j));
  }
  v.detail = {{"evaluated", true},
              {"name", v.policy},
              {"pass", v.pass},
              {"failing", v.failing},
              {"reported", outcome->reported},
              {"suppressed", outcome->suppressed},
              {"dropped", outcome->dropped},
              {"client_suppressions_ignored", client_suppressed},
              {"unchecked_targets", unchecked},
              {"reasons", std::move(reasons)},
              {"findings", std::move(listed)},
              {"warnings", outcome->warnings}};
  return v;
}

}  // namespace bulwark::server
