// SARIF 2.1.0 (OASIS) for code-scanning services, GitHub's in particular.
//
// GitHub reads a subset of SARIF and has rules of its own that the schema does not
// state: every result needs at least one location with a relative artifact URI and a
// region whose startLine is at least 1; rules carry "security-severity" (a number
// 0.0-10.0 as a string: over 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9
// low) and tags; partialFingerprints keep one alert per problem across runs, so the
// fingerprint here is built from what names the problem (rule, target, package or
// file and line) and never from versions or wording that change between runs.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <string_view>

#include "report/report.hpp"
#include "report/vulnerabilities.hpp"
#include "util/sha256.hpp"

namespace bulwark::report {

namespace {

using Json = nlohmann::ordered_json;

std::string_view level_for(const core::Finding& f) {
  if (f.status == core::FindingStatus::pass || f.status == core::FindingStatus::skipped ||
      f.status == core::FindingStatus::manual || f.status == core::FindingStatus::info) {
    return "none";
  }
  switch (f.severity) {
    case core::Severity::critical:
    case core::Severity::high: return "error";
    case core::Severity::medium: return "warning";
    default: return "note";
  }
}

std::string_view kind_for(core::FindingStatus s) {
  switch (s) {
    case core::FindingStatus::pass: return "pass";
    case core::FindingStatus::manual: return "review";
    case core::FindingStatus::skipped: return "notApplicable";
    case core::FindingStatus::info: return "informational";
    default: return "fail";
  }
}

// GitHub's bands: critical > 9.0, high 7.0-8.9, medium 4.0-6.9, low 0.1-3.9.
struct Band {
  double low;
  double high;
  double mid;
};
Band band_for(core::Severity s) {
  switch (s) {
    case core::Severity::critical: return {9.0, 10.0, 9.5};
    case core::Severity::high: return {7.0, 8.9, 8.0};
    case core::Severity::medium: return {4.0, 6.9, 5.5};
    case core::Severity::low: return {0.1, 3.9, 2.0};
    default: return {0.0, 0.0, 0.0};
  }
}

// The finding's CVSS score when it agrees with bulwark's severity (so GitHub shows
// the same grade the table does), else the middle of the severity's band.
double security_severity(const core::Finding& f) {
  Band band = band_for(f.severity);
  if (f.vulnerability) {
    double best = -1;
    for (const auto& c : f.vulnerability->cvss) best = std::max(best, c.score);
    if (best >= band.low && best <= band.high + 0.09 && best > 0) return best;
  }
  return band.mid;
}

std::string score_text(double score) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.1f", score);
  return buf;
}

// Percent-encodes everything but RFC 3986 unreserved characters and '/', so a
// relative reference never reads as having a scheme ("docker-archive:x.tar").
std::string uri_encode_path(std::string_view path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : path) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
        c == '_' || c == '~' || c == '/') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// A relative path for the artifact URI: under source_root it becomes relative to
// it; any other absolute path names a file in the scanned image or host and loses
// its leading slashes; "./" prefixes are dropped.
std::string relative_path(std::string path, const std::string& source_root) {
  if (!source_root.empty() && !path.empty() && path.front() == '/') {
    std::string root = source_root;
    while (root.size() > 1 && root.back() == '/') root.pop_back();
    if (path.size() > root.size() && path.compare(0, root.size(), root) == 0 && path[root.size()] == '/') {
      path.erase(0, root.size() + 1);
    }
  }
  while (!path.empty() && path.front() == '/') path.erase(0, 1);
  while (path.size() >= 2 && path.compare(0, 2, "./") == 0) path.erase(0, 2);
  return path;
}

const core::Target& target_of(const core::Finding& f, const core::Target& scanned) {
  return f.target.name.empty() ? scanned : f.target;
}

std::string artifact_path(const core::Finding& f, const core::Target& target, const SarifOptions& options) {
  std::string path;
  if (!f.location.path.empty()) {
    path = f.location.path;
  } else if (f.package && !f.package->path.empty()) {
    path = f.package->path;
  } else {
    path = target.name;
  }
  path = relative_path(std::move(path), options.source_root);
  if (path.empty()) path = std::string(core::to_string(target.kind));
  return uri_encode_path(path);
}

std::string message_for(const core::Finding& f) {
  std::string text;
  if (f.package) {
    text = f.id + ": " + f.package->name;
    if (!f.package->version.empty()) text += " " + f.package->version;
    if (f.vulnerability && !f.vulnerability->fixed_version.empty()) {
      text += " (fixed in " + f.vulnerability->fixed_version + ")";
    } else if (f.vulnerability && !f.vulnerability->state.empty()) {
      text += " (" + f.vulnerability->state + ")";
    }
    if (!f.title.empty()) text += " - " + f.title;
  } else {
    text = f.title.empty() ? f.id : f.title;
    if (!f.evidence.empty()) text += ": " + f.evidence;
  }
  return text;
}

std::string fingerprint(const core::Finding& f, const core::Target& target) {
  std::string key = f.id;
  key += '\n';
  key += core::to_string(target.kind);
  key += '\n';
  key += target.name;
  key += '\n';
  if (f.package) {
    key += std::string(core::to_string(f.package->ecosystem)) + "/" + f.package->name + "/" + f.package->path;
  }
  key += '\n';
  key += f.location.path + ":" + std::to_string(f.location.line) + ":" + std::to_string(f.location.column);
  return util::sha256_hex(key);
}

struct RuleInfo {
  const core::Finding* first = nullptr;
  core::Severity severity = core::Severity::unknown;
  double score = 0;
  std::size_t index = 0;
};

Json rule_json(const std::string& id, const RuleInfo& info) {
  const core::Finding& f = *info.first;
  Json rule;
  rule["id"] = id;
  rule["name"] = id;
  rule["shortDescription"] = Json{{"text", f.title.empty() ? id : f.title}};
  rule["defaultConfiguration"] = Json{{"level", level_for(f) == "none" ? "note" : level_for(f)}};
  for (const auto& ref : f.references) {
    if (ref.starts_with("https://") || ref.starts_with("http://")) {
      rule["helpUri"] = ref;
      break;
    }
  }
  std::string help = f.remediation.empty() ? (f.title.empty() ? id : f.title) : f.remediation;
  std::string markdown = "**" + (f.title.empty() ? id : f.title) + "**\n\n" + help;
  if (!f.references.empty()) {
    markdown += "\n\nReferences:\n";
    for (const auto& ref : f.references) markdown += "- " + ref + "\n";
  }
  rule["help"] = Json{{"text", help}, {"markdown", markdown}};
  Json tags = Json::array({"security", std::string(core::to_string(f.practice))});
  if (f.vulnerability) tags.push_back("vulnerability");
  for (const auto& s : f.standards) {
    if (tags.size() >= 20) break;  // GitHub keeps at most 20 tags
    if (std::find(tags.begin(), tags.end(), s.name) == tags.end()) tags.push_back(s.name);
  }
  Json props;
  props["tags"] = std::move(tags);
  props["precision"] = "very-high";
  props["security-severity"] = score_text(info.score);
  props["bulwark-severity"] = std::string(core::to_string(info.severity));
  rule["properties"] = std::move(props);
  return rule;
}

}  // namespace

namespace {

std::string sarif_document(const std::vector<core::ScanResult>& results, const SarifOptions& options,
                           const Coverages* coverage) {
  auto shown = [&](const core::Finding& f) { return f.status != core::FindingStatus::pass || options.include_passed; };

  // Rules in order of first appearance; one rule per id, graded by its most severe finding.
  std::map<std::string, RuleInfo> rules;
  std::vector<std::string> rule_order;
  for (const auto& result : results) {
    for (const auto& f : result.findings) {
      if (!shown(f)) continue;
      auto [it, added] = rules.try_emplace(f.id);
      RuleInfo& info = it->second;
      if (added) {
        info.first = &f;
        info.index = rule_order.size();
        rule_order.push_back(f.id);
      }
      if (added || f.severity > info.severity) {
        info.severity = f.severity;
        info.score = security_severity(f);
      } else if (f.severity == info.severity) {
        info.score = std::max(info.score, security_severity(f));
      }
    }
  }

  Json driver;
  driver["name"] = "bulwark";
  std::string version = options.tool_version.empty() ? std::string(BULWARK_VERSION) : options.tool_version;
  driver["version"] = version;
  driver["semanticVersion"] = version;
  Json rules_json = Json::array();
  for (const auto& id : rule_order) rules_json.push_back(rule_json(id, rules.at(id)));
  driver["rules"] = std::move(rules_json);

  Json results_json = Json::array();
  for (const auto& result : results) {
    for (const auto& f : result.findings) {
      if (!shown(f)) continue;
      const core::Target& target = target_of(f, result.target);
      Json r;
      r["ruleId"] = f.id;
      r["ruleIndex"] = rules.at(f.id).index;
      r["kind"] = kind_for(f.status);
      r["level"] = level_for(f);
      r["message"] = Json{{"text", message_for(f)}};

      Json region;
      region["startLine"] = f.location.line > 0 ? f.location.line : 1;
      if (f.location.line > 0 && f.location.column > 0) region["startColumn"] = f.location.column;
      Json location;
      location["physicalLocation"] =
          Json{{"artifactLocation", Json{{"uri", artifact_path(f, target, options)}}}, {"region", std::move(region)}};
      if (f.package) {
        Json logical;
        logical["name"] = f.package->name;
        logical["fullyQualifiedName"] =
            f.package->purl.empty() ? f.package->name + "@" + f.package->version : f.package->purl;
        logical["kind"] = "module";
        location["logicalLocations"] = Json::array({std::move(logical)});
      }
      if (!f.location.layer.empty() || (f.package && !f.package->layer.empty())) {
        location["message"] =
            Json{{"text", "in layer " + (f.location.layer.empty() ? f.package->layer : f.location.layer)}};
      }
      r["locations"] = Json::array({std::move(location)});
      r["partialFingerprints"] = Json{{"bulwarkFindingHash/v1", fingerprint(f, target)}};

      if (f.suppression) {
        Json s;
        s["kind"] = "external";
        s["status"] = "accepted";
        std::string justification = f.suppression->reason;
        if (!f.suppression->justification.empty()) {
          justification +=
              (justification.empty() ? "" : " (") + f.suppression->justification + (justification.empty() ? "" : ")");
        }
        if (!justification.empty()) s["justification"] = justification;
        Json sp;
        sp["bulwark-kind"] = f.suppression->kind;
        if (!f.suppression->source.empty()) sp["source"] = f.suppression->source;
        s["properties"] = std::move(sp);
        r["suppressions"] = Json::array({std::move(s)});
      }

      Json props;
      props["severity"] = std::string(core::to_string(f.severity));
      props["target"] = target.name;
      if (f.package) {
        props["package"] = f.package->name;
        if (!f.package->version.empty()) props["installedVersion"] = f.package->version;
      }
      if (f.vulnerability) {
        if (!f.vulnerability->fixed_version.empty()) props["fixedVersion"] = f.vulnerability->fixed_version;
        if (!f.vulnerability->aliases.empty()) props["aliases"] = f.vulnerability->aliases;
      }
      r["properties"] = std::move(props);
      results_json.push_back(std::move(r));
    }
  }

  Json run;
  run["tool"] = Json{{"driver", std::move(driver)}};
  if (!options.category.empty()) run["automationDetails"] = Json{{"id", options.category}};
  run["columnKind"] = "unicodeCodePoints";
  run["results"] = std::move(results_json);
  // A vulnerability scan that could not check every package says so as a tool notification
  // (GitHub shows them with the analysis), so an empty result list is never an all-clear.
  Json notifications = Json::array();
  for (std::size_t i = 0; coverage != nullptr && i < results.size() && i < coverage->size(); ++i) {
    const auto& result = results[i];
    const auto& cov = (*coverage)[i];
    if (!cov || cov->complete()) continue;
    Json n;
    n["descriptor"] = Json{{"id", "bulwark/no-vulnerability-data"}};
    n["level"] = "error";
    n["message"] = Json{{"text", result.target.name + ": " + coverage_gap_text(*cov) +
                                     ". This is not an all-clear for those packages: import advisories for them."}};
    Json props;
    props["target"] = result.target.name;
    props["packages"] = cov->packages;
    props["unchecked"] = cov->unchecked();
    Json ecosystems = Json::array();
    for (const auto& g : cov->gaps) {
      if (g.counts && !g.ecosystem.empty()) ecosystems.push_back(g.ecosystem);
    }
    if (!ecosystems.empty()) props["ecosystems"] = std::move(ecosystems);
    n["properties"] = std::move(props);
    notifications.push_back(std::move(n));
  }
  if (!notifications.empty()) {
    run["invocations"] =
        Json::array({Json{{"executionSuccessful", true}, {"toolExecutionNotifications", std::move(notifications)}}});
  }

  Json doc;
  doc["$schema"] = "https://json.schemastore.org/sarif-2.1.0.json";
  doc["version"] = "2.1.0";
  doc["runs"] = Json::array({std::move(run)});
  return doc.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

}  // namespace

std::string write_sarif(const std::vector<core::ScanResult>& results, const SarifOptions& options) {
  return sarif_document(results, options, nullptr);
}

std::string write_sarif(const std::vector<core::ScanResult>& results, const SarifOptions& options,
                        const Coverages& coverage) {
  return sarif_document(results, options, &coverage);
}

}  // namespace bulwark::report
