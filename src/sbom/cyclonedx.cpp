// CycloneDX 1.5 JSON (https://cyclonedx.org/docs/1.5/json/).
//
// Layout of the document: metadata.component is the scanned target, the
// operating system is a component of type "operating-system", and every
// catalogued package is a "library" component. bulwark-specific facts that
// CycloneDX has no field for (source package, layer, database path) go into
// properties under the "bulwark:" namespace.
#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "sbom/document_ids.hpp"
#include "sbom/license.hpp"
#include "sbom/sbom.hpp"

namespace bulwark::sbom {

namespace {

using Json = nlohmann::ordered_json;

std::string_view component_type(core::TargetKind kind) {
  switch (kind) {
    case core::TargetKind::image:
    case core::TargetKind::container: return "container";
    case core::TargetKind::host:
    case core::TargetKind::daemon:
    case core::TargetKind::cluster: return "platform";
    case core::TargetKind::rootfs:
    case core::TargetKind::sbom:
    case core::TargetKind::file: return "file";
  }
  return "file";
}

void add_property(Json& properties, std::string_view name, std::string_view value) {
  if (value.empty()) return;
  properties.push_back(Json{{"name", name}, {"value", value}});
}

// The version CycloneDX shows for the target: an image's identity is its config
// digest (the image id); other targets have no version unless they carry an id.
std::string target_version(const core::ScanResult& result) {
  if (result.image && !result.image->config_digest.empty()) return result.image->config_digest;
  return result.target.id;
}

Json target_component(const core::ScanResult& result, const std::string& bom_ref) {
  Json component;
  component["type"] = component_type(result.target.kind);
  component["bom-ref"] = bom_ref;
  component["name"] = result.target.name;
  if (auto version = target_version(result); !version.empty()) component["version"] = version;
  Json properties = Json::array();
  if (result.image) {
    const auto& image = *result.image;
    add_property(properties, "bulwark:image:manifest_digest", image.manifest_digest);
    add_property(properties, "bulwark:image:base_name", image.base_name);
    add_property(properties, "bulwark:image:base_digest", image.base_digest);
    add_property(properties, "bulwark:image:architecture", image.architecture);
    add_property(properties, "bulwark:image:os", image.os);
    for (const auto& tag : image.repo_tags) add_property(properties, "bulwark:image:repo_tag", tag);
    for (const auto& digest : image.repo_digests) add_property(properties, "bulwark:image:repo_digest", digest);
  }
  if (!properties.empty()) component["properties"] = std::move(properties);
  return component;
}

// CycloneDX accepts either a list of licences (each an SPDX id or a free name)
// or a single SPDX expression; the schema enumerates valid ids, so only texts we
// recognise become ids.
Json licenses_for(const std::string& text) {
  if (auto id = spdx_license_id(text)) return Json::array({Json{{"license", Json{{"id", *id}}}}});
  if (auto expression = spdx_license_expression(text)) return Json::array({Json{{"expression", *expression}}});
  return Json::array({Json{{"license", Json{{"name", text}}}}});
}

Json package_component(const core::Package& package, const std::string& bom_ref, const std::string& purl) {
  Json component;
  component["type"] = "library";
  component["bom-ref"] = bom_ref;
  component["name"] = package.name;
  if (!package.version.empty()) component["version"] = package.version;
  if (!package.license.empty()) component["licenses"] = licenses_for(package.license);
  if (!purl.empty()) component["purl"] = purl;
  Json properties = Json::array();
  if (package.ecosystem != core::Ecosystem::unknown) {
    add_property(properties, "bulwark:package:type", core::to_string(package.ecosystem));
  }
  add_property(properties, "bulwark:package:source_name", package.source_name);
  add_property(properties, "bulwark:package:source_version", package.source_version);
  add_property(properties, "bulwark:package:architecture", package.architecture);
  add_property(properties, "bulwark:layer:diff_id", package.layer);
  add_property(properties, "bulwark:package:path", package.path);
  if (!properties.empty()) component["properties"] = std::move(properties);
  return component;
}

std::string package_key(const core::Package& p) {
  return fmt::format("{}\x1f{}\x1f{}\x1f{}\x1f{}", p.purl, p.name, p.version, p.layer, p.path);
}

std::string_view rating_method(std::string_view cvss_version) {
  if (cvss_version == "4.0") return "CVSSv4";
  if (cvss_version == "3.1") return "CVSSv31";
  if (cvss_version == "3.0") return "CVSSv3";
  if (cvss_version == "2.0") return "CVSSv2";
  return "other";
}

std::string_view cdx_severity(core::Severity s) {
  return s == core::Severity::unknown ? "unknown" : core::to_string(s);
}

// A finding suppressed by policy keeps its reason as CycloneDX analysis; OpenVEX
// not_affected / fixed and their justifications map onto CycloneDX's own words.
Json analysis_of(const core::Suppression& s) {
  Json a;
  if (s.kind == "vex") {
    if (s.reason.starts_with("not_affected")) a["state"] = "not_affected";
    if (s.reason.starts_with("fixed")) a["state"] = "resolved";
    static const std::map<std::string, std::string> justifications{
        {"component_not_present", "requires_dependency"},
        {"vulnerable_code_not_present", "code_not_present"},
        {"vulnerable_code_not_in_execute_path", "code_not_reachable"},
        {"vulnerable_code_cannot_be_controlled_by_adversary", "protected_by_mitigating_control"},
        {"inline_mitigations_already_exist", "protected_by_mitigating_control"},
    };
    if (auto it = justifications.find(s.justification); it != justifications.end()) a["justification"] = it->second;
  }
  a["detail"] = fmt::format("suppressed by {} {}: {}", s.kind, s.source, s.reason);
  return a;
}

// CycloneDX 1.5 "vulnerabilities": one entry per vulnerability finding, affecting the
// component of its package. The vendor state and fixed version, which CycloneDX has no
// field for, are properties; the remediation is the recommendation.
Json vulnerabilities_of(const core::ScanResult& result, const std::map<std::string, std::string>& ref_of_package) {
  Json out = Json::array();
  std::set<std::string> used;
  for (const auto& f : result.findings) {
    if (!f.vulnerability || !f.package) continue;
    const auto& v = *f.vulnerability;
    Json entry;
    std::string bom_ref = fmt::format("vuln:{}:{}", v.id, f.package->name);
    for (int count = 2; used.contains(bom_ref); ++count)
      bom_ref = fmt::format("vuln:{}:{}|{}", v.id, f.package->name, count);
    used.insert(bom_ref);
    entry["bom-ref"] = bom_ref;
    entry["id"] = v.id;
    if (!v.aliases.empty()) {
      Json refs = Json::array();
      for (const auto& a : v.aliases) refs.push_back(Json{{"id", a}, {"source", Json{{"name", "bulwark"}}}});
      entry["references"] = std::move(refs);
    }
    Json ratings = Json::array();
    for (const auto& c : v.cvss) {
      ratings.push_back(Json{{"score", c.score},
                             {"severity", cdx_severity(f.severity)},
                             {"method", rating_method(c.version)},
                             {"vector", c.vector}});
    }
    if (ratings.empty()) ratings.push_back(Json{{"severity", cdx_severity(f.severity)}, {"method", "other"}});
    entry["ratings"] = std::move(ratings);
    if (!f.title.empty()) entry["description"] = f.title;
    if (!f.remediation.empty()) entry["recommendation"] = f.remediation;
    if (!f.references.empty()) {
      Json advisories = Json::array();
      for (const auto& url : f.references) advisories.push_back(Json{{"url", url}});
      entry["advisories"] = std::move(advisories);
    }
    Json affects = Json::array();
    if (auto it = ref_of_package.find(package_key(*f.package)); it != ref_of_package.end()) {
      Json version{{"status", "affected"}};
      if (!f.package->version.empty()) version["version"] = f.package->version;
      affects.push_back(Json{{"ref", it->second}, {"versions", Json::array({version})}});
    }
    if (!affects.empty()) entry["affects"] = std::move(affects);
    if (f.suppression) entry["analysis"] = analysis_of(*f.suppression);
    Json properties = Json::array();
    add_property(properties, "bulwark:vulnerability:state", v.state);
    add_property(properties, "bulwark:vulnerability:fixed_version", v.fixed_version);
    add_property(properties, "bulwark:layer:diff_id", f.location.layer);
    if (!properties.empty()) entry["properties"] = std::move(properties);
    out.push_back(std::move(entry));
  }
  return out;
}

}  // namespace

std::string write_cyclonedx(const core::ScanResult& result, const WriteOptions& options) {
  Json bom;
  bom["bomFormat"] = "CycloneDX";
  bom["specVersion"] = "1.5";
  bom["serialNumber"] = "urn:uuid:" + random_uuid_v4();
  bom["version"] = 1;

  const std::string target_ref = result.target.id.empty() ? "target:" + result.target.name : result.target.id;
  std::set<std::string> used_refs{target_ref};
  Json metadata;
  metadata["timestamp"] = options.timestamp.empty() ? utc_now_rfc3339() : options.timestamp;
  Json tool{{"type", "application"},
            {"name", "bulwark"},
            {"version", options.tool_version.empty() ? std::string(BULWARK_VERSION) : options.tool_version}};
  metadata["tools"] = Json{{"components", Json::array({tool})}};
  metadata["component"] = target_component(result, target_ref);
  bom["metadata"] = std::move(metadata);

  Json components = Json::array();
  Json target_depends = Json::array();
  if (result.os.known()) {
    std::string os_ref = fmt::format("os:{}@{}", result.os.id, result.os.version_id);
    Json os;
    os["type"] = "operating-system";
    os["bom-ref"] = os_ref;
    os["name"] = result.os.id;
    if (!result.os.version_id.empty()) os["version"] = result.os.version_id;
    if (!result.os.pretty_name.empty()) os["description"] = result.os.pretty_name;
    if (!result.os.codename.empty()) {
      os["properties"] = Json::array({Json{{"name", "bulwark:os:codename"}, {"value", result.os.codename}}});
    }
    components.push_back(std::move(os));
    target_depends.push_back(os_ref);
    used_refs.insert(os_ref);
  }

  // bom-refs must be unique within the document, but one image can hold the
  // same package twice (two layers each adding a dpkg status entry, a vendored
  // copy of an npm package). The first keeps the plain purl; later ones get a
  // counter after '|', a character purls never contain unencoded.
  std::map<std::string, std::string> ref_of_package;  // package_key -> its bom-ref, for vulnerabilities
  for (const auto& package : result.packages) {
    std::string purl = canonical_purl(package.purl);
    std::string base = purl.empty() ? fmt::format("package:{}@{}", package.name, package.version) : purl;
    std::string bom_ref = base;
    for (int count = 2; used_refs.contains(bom_ref); ++count) bom_ref = fmt::format("{}|{}", base, count);
    used_refs.insert(bom_ref);
    ref_of_package.emplace(package_key(package), bom_ref);
    components.push_back(package_component(package, bom_ref, purl));
    target_depends.push_back(bom_ref);
  }
  bom["components"] = std::move(components);

  // Only the target's edges are known: it holds the OS and every package. The
  // packages' own dependencies are not catalogued, so they get no entries
  // (an entry with an empty dependsOn would claim they have none).
  Json dependencies = Json::array();
  dependencies.push_back(Json{{"ref", target_ref}, {"dependsOn", std::move(target_depends)}});
  bom["dependencies"] = std::move(dependencies);

  Json vulnerabilities = vulnerabilities_of(result, ref_of_package);
  if (!vulnerabilities.empty()) bom["vulnerabilities"] = std::move(vulnerabilities);

  return bom.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

}  // namespace bulwark::sbom
