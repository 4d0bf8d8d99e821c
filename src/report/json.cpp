// bulwark's one JSON shape ("schema": "bulwark/v1", docs/formats/json.md).
//
// Every command writes this document, so the rules here are the contract CI
// scripts and the server rely on: keys are stable, a field bulwark does not know
// is left out (never written as an empty string or a made-up value), and arrays
// that are part of the shape (targets, findings, packages when asked for) are
// always present, possibly empty.
#include <nlohmann/json.hpp>

#include "report/report.hpp"
#include "report/vulnerabilities.hpp"

namespace bulwark::report {

namespace {

using Json = nlohmann::ordered_json;

void put(Json& object, const char* key, const std::string& value) {
  if (!value.empty()) object[key] = value;
}

Json target_json(const core::Target& target) {
  Json out;
  out["kind"] = core::to_string(target.kind);
  out["name"] = target.name;
  put(out, "id", target.id);
  return out;
}

Json os_json(const core::OsInfo& os) {
  Json out;
  put(out, "id", os.id);
  put(out, "version_id", os.version_id);
  put(out, "pretty_name", os.pretty_name);
  put(out, "codename", os.codename);
  return out;
}

// What a vulnerability scan checked: "complete": false means some packages had no
// vulnerability data and the absence of findings for them is not an all-clear.
Json coverage_json(const core::VulnCoverage& c) {
  Json out;
  out["complete"] = c.complete();
  out["packages"] = c.packages;
  out["checked"] = c.checked;
  out["unchecked"] = c.unchecked();
  Json gaps = Json::array();
  for (const auto& g : c.gaps) {
    Json j;
    j["reason"] = g.reason;
    put(j, "ecosystem", g.ecosystem);
    j["packages"] = g.packages;
    j["os"] = g.os;
    j["counts"] = g.counts;
    gaps.push_back(std::move(j));
  }
  out["gaps"] = std::move(gaps);
  return out;
}

Json image_json(const core::ImageInfo& image) {
  Json out;
  put(out, "manifest_digest", image.manifest_digest);
  put(out, "config_digest", image.config_digest);
  put(out, "architecture", image.architecture);
  put(out, "os", image.os);
  out["repo_tags"] = image.repo_tags;
  if (!image.repo_digests.empty()) out["repo_digests"] = image.repo_digests;
  if (!image.base_name.empty() || !image.base_digest.empty()) {
    Json base;
    put(base, "name", image.base_name);
    put(base, "digest", image.base_digest);
    base["source"] = "annotations";
    out["base_image"] = std::move(base);
  }
  Json layers = Json::array();
  for (const auto& layer : image.layers) {
    Json l;
    put(l, "digest", layer.digest);
    put(l, "diff_id", layer.diff_id);
    put(l, "media_type", layer.media_type);
    l["size"] = layer.size;
    put(l, "created_by", layer.created_by);
    layers.push_back(std::move(l));
  }
  out["layers"] = std::move(layers);
  return out;
}

Json package_json(const core::Package& package) {
  Json out;
  out["name"] = package.name;
  put(out, "version", package.version);
  put(out, "source", package.source_name);
  put(out, "source_version", package.source_version);
  put(out, "architecture", package.architecture);
  if (package.ecosystem != core::Ecosystem::unknown) out["ecosystem"] = core::to_string(package.ecosystem);
  put(out, "purl", package.purl);
  put(out, "license", package.license);
  put(out, "layer", package.layer);
  put(out, "path", package.path);
  if (package.epoch) out["epoch"] = *package.epoch;
  return out;
}

Json location_json(const core::Location& location) {
  Json out = Json::object();
  put(out, "path", location.path);
  if (location.line > 0) out["line"] = location.line;
  if (location.column > 0) out["column"] = location.column;
  put(out, "layer", location.layer);
  return out;
}

Json vulnerability_json(const core::VulnerabilityRef& v) {
  Json out;
  out["id"] = v.id;
  if (!v.aliases.empty()) out["aliases"] = v.aliases;
  put(out, "fixed_version", v.fixed_version);
  put(out, "state", v.state);
  put(out, "severity_source", v.severity_source);
  if (!v.cvss.empty()) {
    Json cvss = Json::array();
    for (const auto& c : v.cvss) {
      Json entry;
      put(entry, "version", c.version);
      put(entry, "vector", c.vector);
      entry["score"] = c.score;
      cvss.push_back(std::move(entry));
    }
    out["cvss"] = std::move(cvss);
  }
  return out;
}

Json standard_json(const core::StandardRef& s) {
  Json out;
  out["name"] = s.name;
  put(out, "version", s.version);
  put(out, "id", s.id);
  put(out, "level", s.level);
  put(out, "control", s.control);
  return out;
}

Json finding_json(const core::Finding& f, const core::Target& scanned) {
  Json out;
  out["id"] = f.id;
  put(out, "title", f.title);
  out["severity"] = core::to_string(f.severity);
  out["status"] = core::to_string(f.status);
  out["practice"] = core::to_string(f.practice);
  // A scanner may leave the finding's target to the scan it belongs to.
  out["target"] = target_json(f.target.name.empty() ? scanned : f.target);
  if (Json location = location_json(f.location); !location.empty()) out["location"] = std::move(location);
  if (f.package) out["package"] = package_json(*f.package);
  if (f.vulnerability) out["vulnerability"] = vulnerability_json(*f.vulnerability);
  if (!f.standards.empty()) {
    Json standards = Json::array();
    for (const auto& s : f.standards) standards.push_back(standard_json(s));
    out["standards"] = std::move(standards);
  }
  put(out, "evidence", f.evidence);
  put(out, "remediation", f.remediation);
  if (!f.references.empty()) out["references"] = f.references;
  put(out, "fingerprint", f.fingerprint);
  if (f.suppression) {
    Json s;
    s["kind"] = f.suppression->kind;
    put(s, "reason", f.suppression->reason);
    put(s, "justification", f.suppression->justification);
    put(s, "source", f.suppression->source);
    out["suppression"] = std::move(s);
  }
  return out;
}

}  // namespace

namespace {

std::string json_document(const std::vector<core::ScanResult>& results, const JsonOptions& options,
                          const Coverages* coverage) {
  Json doc;
  doc["schema"] = "bulwark/v1";
  doc["tool"] = Json{{"name", "bulwark"},
                     {"version", options.tool_version.empty() ? std::string(BULWARK_VERSION) : options.tool_version}};
  Json targets = Json::array();
  Json findings = Json::array();
  for (std::size_t i = 0; i < results.size(); ++i) {
    const auto& result = results[i];
    Json target = target_json(result.target);
    if (result.os.known()) target["os"] = os_json(result.os);
    if (result.image) target["image"] = image_json(*result.image);
    if (coverage != nullptr && i < coverage->size() && (*coverage)[i]) {
      target["vulnerability_coverage"] = coverage_json(*(*coverage)[i]);
    }
    if (options.include_packages) {
      Json packages = Json::array();
      for (const auto& package : result.packages) packages.push_back(package_json(package));
      target["packages"] = std::move(packages);
    }
    targets.push_back(std::move(target));
    for (const auto& finding : result.findings) {
      if (finding.status == core::FindingStatus::pass && !options.include_passed) continue;
      findings.push_back(finding_json(finding, result.target));
    }
  }
  doc["targets"] = std::move(targets);
  doc["findings"] = std::move(findings);
  if (options.score) {
    const auto& s = *options.score;
    Json score;
    put(score, "benchmark", s.benchmark);
    score["passed"] = s.passed;
    score["failed"] = s.failed;
    score["warn"] = s.warned;
    score["manual"] = s.manual;
    score["skipped"] = s.skipped;
    score["info"] = s.info;
    score["percent"] = static_cast<double>(static_cast<long long>(s.percent * 10 + 0.5)) / 10;
    doc["score"] = std::move(score);
  }
  if (options.reachability) doc["reachability"] = *options.reachability;
  // Strings from scanned images may be invalid UTF-8; replace, never throw.
  return doc.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

}  // namespace

std::string write_json(const std::vector<core::ScanResult>& results, const JsonOptions& options) {
  return json_document(results, options, nullptr);
}

std::string write_json(const std::vector<core::ScanResult>& results, const JsonOptions& options,
                       const Coverages& coverage) {
  return json_document(results, options, &coverage);
}

}  // namespace bulwark::report
