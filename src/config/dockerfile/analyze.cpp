// `bulwark config` on a Dockerfile: parse (BuildKit's grammar), build the stage model,
// run the rules, and turn hits into findings from checks/dockerfile.yaml.
#include "config/dockerfile/analyze.hpp"

#include "config/analyzers.hpp"
#include "config/checks.hpp"
#include "config/dockerfile/model.hpp"
#include "config/dockerfile/parser.hpp"
#include "config/dockerfile/rules.hpp"

#include <yaml-cpp/yaml.h>

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

namespace bulwark::config::dockerfile {

namespace {

std::vector<std::string> standard_ids_of(std::string_view check_id) {
  std::vector<std::string> out;
  if (const auto* c = CheckCatalog::builtin().find(check_id)) {
    for (const auto& s : c->standards) out.push_back(s.id);
  }
  return out;
}

}  // namespace

Result<TrustPolicy> load_trust_policy(const std::string& path) {
  TrustPolicy policy;
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(ErrorCode::io, "cannot read the trusted-registries file", path);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  if (text.size() > (1u << 20)) return fail(ErrorCode::limit, "trusted-registries file is larger than 1 MiB", path);
  try {
    const YAML::Node root = YAML::Load(text);
    auto add_list = [&](const YAML::Node& list) {
      for (const auto& item : list) {
        if (item.IsScalar()) policy.registries.push_back(item.as<std::string>());
      }
    };
    if (root.IsMap()) {
      if (root["registries"]) add_list(root["registries"]);
      if (root["require_digest"]) policy.require_digest = root["require_digest"].as<bool>();
      return policy;
    }
    if (root.IsSequence()) {
      add_list(root);
      return policy;
    }
  } catch (const std::exception&) {
    // Not YAML: fall back to one registry per line.
  }
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    const auto hash = line.find('#');
    if (hash != std::string::npos) line.resize(hash);
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.front()))) line.erase(0, 1);
    if (!line.empty()) policy.registries.push_back(line);
  }
  return policy;
}

std::vector<RuleHit> check_text(std::string_view path, std::string_view text, const RuleOptions& options,
                                core::Diagnostics& diags) {
  auto parsed = parse(text);
  if (!parsed) {
    core::Diagnostic d;
    d.level = core::DiagnosticLevel::error;
    d.code = "dockerfile-parse";
    d.file = std::string(path);
    d.line = parsed.error().line;
    d.message = parsed.error().message;
    diags.add(std::move(d));
    return {};
  }
  const Dockerfile df = build(*parsed);
  for (const auto& e : df.errors) {
    core::Diagnostic d;
    d.level = core::DiagnosticLevel::warning;
    d.code = "dockerfile-build";
    d.file = std::string(path);
    d.line = e.line;
    d.message = e.message + " (docker build would fail here)";
    diags.add(std::move(d));
  }
  for (const auto& w : df.warnings) {
    core::Diagnostic d;
    d.level = core::DiagnosticLevel::warning;
    d.code = "dockerfile-syntax";
    d.file = std::string(path);
    d.line = w.line;
    d.message = w.message;
    diags.add(std::move(d));
  }
  RuleOptions opt = options;
  if (!opt.standard_ids) opt.standard_ids = standard_ids_of;
  return run_rules(df, opt);
}

std::vector<core::Finding> analyze(const Document& doc, const AnalyzeOptions& options, core::Diagnostics& diags) {
  RuleOptions ro;
  bool require_digest = false;
  if (!options.trusted_registries_file.empty()) {
    auto policy = load_trust_policy(options.trusted_registries_file);
    if (!policy) {
      diags.error("trusted-registries", options.trusted_registries_file, policy.error().describe());
    } else {
      ro.trusted_registries = policy->registries;
      require_digest = policy->require_digest;
    }
  }
  const auto hits = check_text(doc.path, doc.text, ro, diags);
  const core::Target target{core::TargetKind::file, doc.path, {}};
  std::vector<core::Finding> out;
  std::set<std::string> fired;
  for (const auto& h : hits) {
    if (h.check_id == "BW-DF-004" && !require_digest) continue;  // digest pinning: only under a trust policy
    const CheckDef& def = builtin_check(h.check_id);
    core::Finding f = make_finding(def, target, core::Location{doc.path, h.line, h.column, {}}, h.evidence);
    if (!h.only_standards.empty()) {
      std::erase_if(f.standards, [&](const core::StandardRef& s) {
        return std::find(h.only_standards.begin(), h.only_standards.end(), s.id) == h.only_standards.end();
      });
    }
    fired.insert(h.check_id);
    out.push_back(std::move(f));
  }
  if (options.include_passed) {
    for (const auto& def : CheckCatalog::builtin().all()) {
      if (!def.id.starts_with("BW-DF-") || fired.contains(def.id)) continue;
      if (def.id == "BW-DF-004" && !require_digest) continue;
      if (def.id == "BW-DF-005" && ro.trusted_registries.empty()) continue;
      core::Finding f = make_finding(def, target, core::Location{doc.path, 0, 0, {}}, "");
      f.status = core::FindingStatus::pass;
      out.push_back(std::move(f));
    }
  }
  return out;
}

}  // namespace bulwark::config::dockerfile
