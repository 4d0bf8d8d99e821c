// SUSE CVRF: one <cvrfdoc> per SUSE or openSUSE patch (SUSE-SU-2019:1608-1,
// openSUSE-SU-2018:1633-1), as SUSE publishes them under ftp.suse.com/pub/projects/security/cvrf/.
// The document is one advisory (source "suse-cvrf", id the patch id): its <Vulnerability> CVEs become
// aliases, the highest <Threat Type="Impact"> word the vendor's severity. Every product id of a
// <ProductStatuses> list is "<product>:<name>-<version>-<release>" (a <Relationship> of the product
// tree); the product becomes the ecosystem ("SUSE Linux Enterprise Module for Basesystem 15 SP1" ->
// "SUSE:Linux Enterprise Module for Basesystem 15 SP1", "openSUSE Leap 15.0" -> "openSUSE:Leap
// 15.0", OSV's names) and the binary rpm is fixed at version-release. CVRF carries no epochs.
#include <fmt/format.h>

#include <map>
#include <set>
#include <string>

#include "vuln/db/parsers.hpp"
#include "vuln/db/xml_nodes.hpp"

namespace bulwark::vuln::db {
namespace {

using xml::attr;
using xml::child;
using xml::named;
using xml::text;

int impact_rank(std::string_view word) {
  const auto w = util::to_lower(word);
  if (w == "critical") return 4;
  if (w == "important") return 3;
  if (w == "moderate") return 2;
  if (w == "low") return 1;
  return 0;
}

struct Nvr {
  std::string name;
  std::string version;  // version-release
};

// "glibc-devel-32bit-2.26-lp150.11.3.2" -> {"glibc-devel-32bit", "2.26-lp150.11.3.2"}.
std::optional<Nvr> split_nvr(std::string_view nvr) {
  const auto r = nvr.rfind('-');
  if (r == std::string_view::npos || r == 0 || r + 1 == nvr.size()) return std::nullopt;
  const auto v = nvr.rfind('-', r - 1);
  if (v == std::string_view::npos || v == 0 || v + 1 == r) return std::nullopt;
  return Nvr{std::string(nvr.substr(0, v)), std::string(nvr.substr(v + 1))};
}

struct Component {
  std::string product;  // the platform product, e.g. "openSUSE Leap 15.0"
  std::string package;  // "glibc-2.26-lp150.11.3.2"
};

void collect_relationships(xmlNode* node, std::map<std::string, Component>& out) {
  for (xmlNode* c = node->children; c != nullptr; c = c->next) {
    if (named(c, "Relationship")) {
      xmlNode* full = child(c, "FullProductName");
      const auto id = full ? attr(full, "ProductID") : std::string();
      if (!id.empty()) out[id] = {attr(c, "RelatesToProductReference"), attr(c, "ProductReference")};
    } else if (named(c, "Branch")) {
      collect_relationships(c, out);
    }
  }
}

}  // namespace

std::string suse_ecosystem(std::string_view product) {
  if (product == "openSUSE Tumbleweed") return "openSUSE:Tumbleweed";
  if (product.starts_with("openSUSE ")) return "openSUSE:" + std::string(product.substr(9));
  if (product.starts_with("SUSE ")) return "SUSE:" + std::string(product.substr(5));
  return {};
}

std::vector<Advisory> parse_suse_cvrf(std::string_view content, ParseLog& log) {
  std::vector<Advisory> out;
  auto doc = xml::read(content, log);
  if (!doc) return out;
  xmlNode* root = xmlDocGetRootElement(doc.get());
  if (root == nullptr || !named(root, "cvrfdoc")) {
    log.unreadable("not a CVRF document (no <cvrfdoc> root)");
    return out;
  }
  Advisory a;
  a.source = "suse-cvrf";
  if (xmlNode* t = child(root, "DocumentTitle")) a.summary = text(t);
  if (xmlNode* tr = child(root, "DocumentTracking")) {
    if (xmlNode* id = child(child(tr, "Identification"), "ID")) a.id = text(id);
    if (xmlNode* d = child(tr, "InitialReleaseDate")) a.published = text(d);
    if (xmlNode* d = child(tr, "CurrentReleaseDate")) a.modified = text(d);
  }
  if (a.id.empty()) {
    log.reject("cvrfdoc", "no DocumentTracking/Identification/ID");
    return out;
  }
  if (!a.id.starts_with("SUSE-") && !a.id.starts_with("openSUSE-")) {
    log.reject(a.id, "not a SUSE or openSUSE patch (the id is neither SUSE-… nor openSUSE-…)");
    return out;
  }
  if (a.modified.empty()) a.modified = a.published;
  if (xmlNode* refs = child(root, "DocumentReferences")) {
    for (xmlNode* r = refs->children; r != nullptr; r = r->next) {
      if (!named(r, "Reference")) continue;
      if (xmlNode* u = child(r, "URL"); u && attr(r, "Type") == "Self") a.references.push_back({"ADVISORY", text(u)});
    }
  }
  std::map<std::string, Component> components;
  if (xmlNode* tree = child(root, "ProductTree")) collect_relationships(tree, components);

  // (ecosystem, package) -> (state, fixed version); the first status a product gets wins.
  std::map<std::pair<std::string, std::string>, std::pair<VendorState, std::string>> affected;
  std::set<std::string> unknown_products;
  int best_impact = 0;
  std::size_t vulnerabilities = 0;
  std::vector<std::string> cvss;
  for (xmlNode* v = root->children; v != nullptr; v = v->next) {
    if (!named(v, "Vulnerability")) continue;
    ++vulnerabilities;
    if (xmlNode* cve = child(v, "CVE")) add_alias(a, text(cve));
    if (xmlNode* threats = child(v, "Threats")) {
      for (xmlNode* t = threats->children; t != nullptr; t = t->next) {
        if (!named(t, "Threat") || attr(t, "Type") != "Impact") continue;
        const auto word = text(child(t, "Description"));
        if (const int r = impact_rank(word); r > best_impact) {
          best_impact = r;
          a.severity = util::to_lower(word);
        }
      }
    }
    if (xmlNode* sets = child(v, "CVSSScoreSets")) {
      for (xmlNode* s = sets->children; s != nullptr; s = s->next) {
        for (xmlNode* f = s->type == XML_ELEMENT_NODE ? s->children : nullptr; f != nullptr; f = f->next) {
          if (f->type != XML_ELEMENT_NODE) continue;
          const std::string_view field(reinterpret_cast<const char*>(f->name));
          if (!field.starts_with("Vector")) continue;
          if (auto vec = text(f); vec.starts_with("CVSS:3") || vec.starts_with("CVSS:4")) cvss.push_back(vec);
        }
      }
    }
    if (xmlNode* refs = child(v, "References")) {
      for (xmlNode* r = refs->children; r != nullptr; r = r->next) {
        if (xmlNode* u = child(r, "URL"); named(r, "Reference") && u) a.references.push_back({"WEB", text(u)});
      }
    }
    xmlNode* statuses = child(v, "ProductStatuses");
    for (xmlNode* s = statuses ? statuses->children : nullptr; s != nullptr; s = s->next) {
      if (!named(s, "Status")) continue;
      const auto type = attr(s, "Type");
      VendorState state = VendorState::fixed;
      if (type == "Fixed") {
        state = VendorState::fixed;
      } else if (type == "Known Affected") {
        state = VendorState::unfixed;
      } else if (type == "Known Not Affected") {
        state = VendorState::not_affected;
      } else {
        log.count("suse-cvrf.other-status");
        continue;
      }
      for (xmlNode* p = s->children; p != nullptr; p = p->next) {
        if (!named(p, "ProductID")) continue;
        const auto id = text(p);
        Component comp;
        if (auto it = components.find(id); it != components.end()) {
          comp = it->second;
        } else if (const auto colon = id.rfind(':'); colon != std::string::npos) {
          comp = {id.substr(0, colon), id.substr(colon + 1)};  // no relationship: the id's own shape
        } else {
          log.warn(a.id, "product-without-platform", fmt::format("product {} names no platform; dropped", id));
          continue;
        }
        const auto ecosystem = suse_ecosystem(comp.product);
        if (ecosystem.empty()) {
          unknown_products.insert(comp.product);
          continue;
        }
        const auto nvr = split_nvr(comp.package);
        if (!nvr) {
          log.warn(a.id, "package-without-version",
                   fmt::format("{} is not name-version-release; dropped", comp.package));
          continue;
        }
        affected.try_emplace({ecosystem, nvr->name}, state, nvr->version);
      }
    }
  }
  for (const auto& p : unknown_products) {
    log.warn(a.id, "other-product", fmt::format("product \"{}\" is neither SUSE's nor openSUSE's; dropped", p));
  }
  // A patch fixing several CVEs has one vector per CVE: the document keeps them only when it is about one.
  if (vulnerabilities == 1) a.cvss = std::move(cvss);
  for (const auto& [key, value] : affected) {
    Affected af;
    af.ecosystem = key.first;
    af.package = key.second;
    af.state = value.first;
    if (value.first == VendorState::fixed) {
      Range r;
      r.events.push_back({EventKind::introduced, "0"});
      r.events.push_back({EventKind::fixed, value.second});
      af.ranges.push_back(std::move(r));
    }  // "Known Affected": every version (SUSE names no fix yet)
    a.affected.push_back(std::move(af));
  }
  if (a.affected.empty()) log.warn(a.id, "no-affected", "the patch lists no package; kept for alias lookups only");
  log.count("records");
  out.push_back(std::move(a));
  return out;
}

}  // namespace bulwark::vuln::db
