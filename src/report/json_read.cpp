// Reading bulwark's JSON shape back into results (report.hpp: read_json).
#include <nlohmann/json.hpp>

#include "report/report.hpp"
#include "util/json_depth.hpp"

namespace bulwark::report {

namespace {

using Json = nlohmann::json;

std::string text(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::vector<std::string> texts(const Json& j, const char* key) {
  std::vector<std::string> out;
  auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return out;
  for (const auto& v : *it) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

const Json* object(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_object() ? &*it : nullptr;
}

core::TargetKind target_kind(std::string_view s) {
  for (auto k :
       {core::TargetKind::image, core::TargetKind::rootfs, core::TargetKind::sbom, core::TargetKind::file,
        core::TargetKind::host, core::TargetKind::daemon, core::TargetKind::container, core::TargetKind::cluster}) {
    if (core::to_string(k) == s) return k;
  }
  return core::TargetKind::file;
}

core::FindingStatus finding_status(std::string_view s) {
  for (auto st : {core::FindingStatus::fail, core::FindingStatus::warn, core::FindingStatus::pass,
                  core::FindingStatus::manual, core::FindingStatus::skipped, core::FindingStatus::info}) {
    if (core::to_string(st) == s) return st;
  }
  return core::FindingStatus::fail;  // vulnerabilities are "fail"; an absent status too
}

core::Ecosystem ecosystem(std::string_view s) {
  for (auto e :
       {core::Ecosystem::deb, core::Ecosystem::apk, core::Ecosystem::rpm, core::Ecosystem::pypi, core::Ecosystem::npm,
        core::Ecosystem::golang, core::Ecosystem::maven, core::Ecosystem::cargo, core::Ecosystem::gem}) {
    if (core::to_string(e) == s) return e;
  }
  return core::Ecosystem::unknown;
}

core::Target read_target(const Json& t) {
  return core::Target{target_kind(text(t, "kind")), text(t, "name"), text(t, "id")};
}

core::Finding read_finding(const Json& f) {
  core::Finding out;
  out.id = text(f, "id");
  out.title = text(f, "title");
  out.severity = core::parse_severity(text(f, "severity")).value_or(core::Severity::unknown);
  out.status = finding_status(text(f, "status"));
  if (auto p = core::parse_practice(text(f, "practice"))) out.practice = *p;
  if (const Json* t = object(f, "target")) out.target = read_target(*t);
  if (const Json* l = object(f, "location")) {
    out.location.path = text(*l, "path");
    out.location.layer = text(*l, "layer");
    if (auto it = l->find("line"); it != l->end() && it->is_number_integer()) out.location.line = it->get<int>();
  }
  if (const Json* p = object(f, "package")) {
    core::Package pkg;
    pkg.name = text(*p, "name");
    pkg.version = text(*p, "version");
    pkg.source_name = text(*p, "source");
    pkg.source_version = text(*p, "source_version");
    pkg.ecosystem = ecosystem(text(*p, "ecosystem"));
    pkg.purl = text(*p, "purl");
    pkg.path = text(*p, "path");
    out.package = std::move(pkg);
  }
  if (const Json* v = object(f, "vulnerability")) {
    core::VulnerabilityRef ref;
    ref.id = text(*v, "id");
    ref.aliases = texts(*v, "aliases");
    ref.fixed_version = text(*v, "fixed_version");
    ref.state = text(*v, "state");
    out.vulnerability = std::move(ref);
  }
  if (auto it = f.find("standards"); it != f.end() && it->is_array()) {
    for (const auto& s : *it) {
      if (!s.is_object()) continue;
      out.standards.push_back(
          core::StandardRef{text(s, "name"), text(s, "id"), text(s, "version"), text(s, "level"), text(s, "control")});
    }
  }
  out.evidence = text(f, "evidence");
  out.remediation = text(f, "remediation");
  out.fingerprint = text(f, "fingerprint");
  if (const Json* s = object(f, "suppression")) {
    out.suppression =
        core::Suppression{text(*s, "kind"), text(*s, "reason"), text(*s, "justification"), text(*s, "source")};
  }
  return out;
}

}  // namespace

Result<ReadResults> read_json(std::string_view document, std::uint32_t max_depth) {
  if (util::json_depth(document, max_depth + 1) > max_depth) {
    return fail(ErrorCode::limit, "the document is nested deeper than " + std::to_string(max_depth) + " levels");
  }
  Json doc = Json::parse(document, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return fail(ErrorCode::parse, "not a JSON object");
  if (text(doc, "schema") != "bulwark/v1") return fail(ErrorCode::parse, "not a bulwark/v1 document");
  auto targets = doc.find("targets");
  if (targets == doc.end() || !targets->is_array()) return fail(ErrorCode::parse, "\"targets\" must be an array");
  ReadResults out;
  for (const auto& t : *targets) {
    if (!t.is_object()) continue;
    core::ScanResult r;
    r.target = read_target(t);
    if (const Json* os = object(t, "os")) {
      r.os.id = text(*os, "id");
      r.os.version_id = text(*os, "version_id");
      r.os.pretty_name = text(*os, "pretty_name");
      r.os.codename = text(*os, "codename");
    }
    if (const Json* im = object(t, "image")) {
      core::ImageInfo info;
      info.reference = r.target.name;
      info.manifest_digest = text(*im, "manifest_digest");
      info.config_digest = text(*im, "config_digest");
      if (info.config_digest.empty() && r.target.kind == core::TargetKind::image) info.config_digest = r.target.id;
      info.repo_tags = texts(*im, "repo_tags");
      info.repo_digests = texts(*im, "repo_digests");
      r.image = std::move(info);
    }
    bool incomplete = false;
    if (const Json* c = object(t, "vulnerability_coverage")) {
      auto it = c->find("complete");
      incomplete = it != c->end() && it->is_boolean() && !it->get<bool>();
    }
    out.results.push_back(std::move(r));
    out.coverage_incomplete.push_back(incomplete);
  }
  if (out.results.empty()) return fail(ErrorCode::parse, "\"targets\" is empty");
  if (auto findings = doc.find("findings"); findings != doc.end() && findings->is_array()) {
    for (const auto& f : *findings) {
      if (!f.is_object()) continue;
      core::Finding finding = read_finding(f);
      std::size_t owner = 0;
      for (std::size_t i = 0; i < out.results.size(); ++i) {
        const auto& t = out.results[i].target;
        if (t.kind == finding.target.kind && t.name == finding.target.name) {
          owner = i;
          break;
        }
      }
      out.results[owner].findings.push_back(std::move(finding));
    }
  }
  return out;
}

}  // namespace bulwark::report
