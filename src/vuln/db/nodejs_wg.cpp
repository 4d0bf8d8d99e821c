// Node.js security-wg legacy advisories (the Node Security Project format):
// vuln/npm/<n>.json for npm modules, vuln/core/<n>.json for Node.js itself.
// Ranges are node-semver expressions and are stored verbatim as requirements.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "vuln/db/json_fields.hpp"
#include "vuln/db/parsers.hpp"

namespace bulwark::vuln::db {

namespace f = fields;
using nlohmann::json;

std::vector<Advisory> parse_nodejs_wg(const json& doc, NodeWgKind kind, std::string_view id_hint, ParseLog& log) {
  std::vector<Advisory> out;
  std::string id;
  try {
    if (!doc.is_object()) throw f::RecordError("an advisory must be an object");
    Advisory a;
    a.source = "nodejs-security-wg";
    Affected af;
    af.requirements.syntax = RequirementSyntax::node_semver;
    std::string vulnerable;
    std::string patched;
    if (kind == NodeWgKind::npm) {
      const std::string number = f::text(doc, "id");
      id = "NSWG-ECO-" + (number.empty() ? std::string(id_hint) : number);
      af.ecosystem = "npm";
      af.package = f::text(doc, "module_name");
      vulnerable = f::text(doc, "vulnerable_versions");
      patched = f::text(doc, "patched_versions");
      a.summary = f::text(doc, "title");
      a.published = f::text(doc, "publish_date");
      a.modified = f::text(doc, "updated_at");
      for (const auto& cve : f::text_list(doc, "cves")) add_alias(a, cve);
      if (auto v = f::text(doc, "cvss_vector"); !v.empty()) a.cvss.push_back(v);
      if (const auto* refs = f::find(doc, "references"); refs && refs->is_array()) {
        for (const auto& r : *refs) a.references.push_back({"WEB", f::scalar(r, "a reference")});
      }
    } else {
      id = "NSWG-CORE-" + std::string(id_hint);
      af.ecosystem = "Node.js";
      af.package = "node";
      vulnerable = f::text(doc, "vulnerable");
      patched = f::text(doc, "patched");
      a.summary = f::text(doc, "description");
      if (a.summary.empty()) a.summary = f::text(doc, "overview").substr(0, 300);
      a.published = f::text(doc, "publish_date");
      a.severity = f::text(doc, "severity");
      for (const auto& cve : f::text_list(doc, "cve")) add_alias(a, cve);
      if (auto v = f::text(doc, "cvss"); !v.empty()) a.cvss.push_back(v);
      if (auto r = f::text(doc, "ref"); !r.empty()) a.references.push_back({"ADVISORY", r});
    }
    a.id = id;
    if (af.package.empty()) throw f::RecordError("no module name");
    if (vulnerable.empty()) throw f::RecordError("no vulnerable version range");
    af.requirements.vulnerable.push_back(vulnerable);
    if (!patched.empty()) af.requirements.patched.push_back(patched);
    af.state = patched.empty() ? VendorState::unfixed : VendorState::fixed;
    a.affected.push_back(std::move(af));
    out.push_back(std::move(a));
    log.count("records");
  } catch (const std::exception& e) {
    log.reject(id.empty() ? std::string(id_hint) : id, e.what());
  }
  return out;
}

}  // namespace bulwark::vuln::db
