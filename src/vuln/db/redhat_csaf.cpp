// Red Hat CSAF VEX: one JSON document per CVE, as Red Hat Product Security publishes them under
// security.access.redhat.com/data/csaf/v2/vex/.
//
// A document names products in its product_tree (platforms with a CPE, components with a purl)
// and joins them in relationships: "BaseOS-8.10.0.Z.MAIN:util-linux-0:2.32.1-48.el8_10.x86_64" is
// that build as a component of the platform whose CPE is cpe:/o:redhat:enterprise_linux:8::baseos.
// Each vulnerability lists such product ids by status (fixed, known_affected, known_not_affected,
// under_investigation) and by remediation (vendor_fix, none_available, no_fix_planned, workaround).
// Here every rpm component of a Red Hat Enterprise Linux platform becomes an affected entry in
// "Red Hat:enterprise_linux:<major>" (EUS/AUS/E4S/TUS/ELS streams in "Red Hat:rhel_eus:8.6" and
// the like), keyed by the rpm name as the purl gives it (binary and source RPM names alike):
// fixed at [epoch:]version-release, or unfixed / will-not-fix / under investigation / not
// affected without a version. Packages of a module stream are kept under "<module>:<stream>/<name>"
// (the rpm database does not say which stream a package came from, so they are not matched).
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "core/purl.hpp"
#include "util/strings.hpp"
#include "vuln/db/json_fields.hpp"
#include "vuln/db/parsers.hpp"

namespace bulwark::vuln::db {
namespace {

namespace f = fields;
using nlohmann::json;

struct Helper {
  std::string cpe;
  std::string purl;
};

// Every product of the tree (branches, recursively, and full_product_names) by product_id.
void collect_products(const json& node, std::map<std::string, Helper>& out, int depth) {
  if (depth > 32 || !node.is_object()) return;
  auto add = [&](const json& product) {
    if (!product.is_object()) return;
    const auto id = f::text(product, "product_id");
    if (id.empty()) return;
    const auto& helper = f::object(product, "product_identification_helper");
    out[id] = Helper{f::text(helper, "cpe"), f::text(helper, "purl")};
  };
  if (const auto* p = f::find(node, "product")) add(*p);
  for (const auto& p : f::array(node, "full_product_names")) add(p);
  for (const auto& b : f::array(node, "branches")) collect_products(b, out, depth + 1);
}

// "pam-0:1.5.1-21.el9_5.x86_64" -> name, epoch, version-release (no purl to read them from).
bool split_nevra(std::string_view id, std::string& name, std::string& epoch, std::string& vr) {
  if (const auto mod = id.find("::"); mod != std::string_view::npos) id = id.substr(0, mod);
  const auto colon = id.find(':');
  if (colon == std::string_view::npos) return false;
  const auto dash = id.substr(0, colon).rfind('-');
  if (dash == std::string_view::npos || dash == 0) return false;
  name = std::string(id.substr(0, dash));
  epoch = std::string(id.substr(dash + 1, colon - dash - 1));
  std::string_view rest = id.substr(colon + 1);
  if (const auto dot = rest.rfind('.'); dot != std::string_view::npos) rest = rest.substr(0, dot);  // arch
  vr = std::string(rest);
  return !name.empty() && !vr.empty() &&
         std::all_of(epoch.begin(), epoch.end(), [](char c) { return c >= '0' && c <= '9'; });
}

struct Component {
  std::string package;  // rpm name, or "<module>:<stream>/<name>"
  std::string evr;      // "" for an unversioned component (the source package as a whole)
  bool modular = false;
};

// The rpm component a product id names, or nullopt (not an rpm: an OCI image, a jar, ...).
std::optional<Component> component_of(const std::string& id, const Helper* helper) {
  Component c;
  std::string module;
  if (helper != nullptr && !helper->purl.empty()) {
    auto p = core::parse_purl(helper->purl);
    if (!p || p->type != "rpm") return std::nullopt;
    c.package = p->name;
    std::string epoch;
    if (auto it = p->qualifiers.find("epoch"); it != p->qualifiers.end()) epoch = it->second;
    if (!p->version.empty()) c.evr = (epoch.empty() || epoch == "0" ? "" : epoch + ":") + p->version;
    if (auto it = p->qualifiers.find("rpmmod"); it != p->qualifiers.end()) {
      // "httpd:2.4:8100020240612075645:489197e6" -> "httpd:2.4"
      const auto parts = util::split(it->second, ':');
      module = parts.size() >= 2 ? fmt::format("{}:{}", parts[0], parts[1]) : it->second;
    }
  } else {
    std::string name, epoch, vr;
    if (split_nevra(id, name, epoch, vr)) {
      c.package = name;
      c.evr = (epoch.empty() || epoch == "0" ? "" : epoch + ":") + vr;
    } else if (id.find_first_of(":/ ") == std::string::npos && !id.empty()) {
      c.package = id;  // a bare component name ("pam")
    } else {
      return std::nullopt;
    }
    if (const auto mod = id.find("::"); mod != std::string::npos) module = id.substr(mod + 2);
  }
  if (c.package.empty()) return std::nullopt;
  if (!module.empty()) {
    c.package = module + "/" + c.package;
    c.modular = true;
  }
  return c;
}

// What one product id is in one vulnerability.
enum class Status { none, fixed, affected, will_not_fix, under_investigation, not_affected };

// Between two statements about one package in one ecosystem, the one that reports more wins
// (an affected product is not hidden by a not-affected sibling).
int weight(Status s) {
  switch (s) {
    case Status::fixed: return 5;
    case Status::affected: return 4;
    case Status::under_investigation: return 3;
    case Status::will_not_fix: return 2;
    case Status::not_affected: return 1;
    case Status::none: return 0;
  }
  return 0;
}

struct Entry {
  Status status = Status::none;
  std::set<std::string> fixed;  // EVRs
  std::string note;
};

std::string rhsa_of(std::string_view url) {
  const auto pos = url.rfind('/');
  auto id = url.substr(pos == std::string_view::npos ? 0 : pos + 1);
  return id.starts_with("RHSA-") || id.starts_with("RHBA-") || id.starts_with("RHEA-") ? std::string(id) : "";
}

int impact_rank(std::string_view word) {
  const auto w = util::to_lower(word);
  if (w == "critical") return 4;
  if (w == "important") return 3;
  if (w == "moderate") return 2;
  if (w == "low") return 1;
  return 0;
}

}  // namespace

std::string redhat_ecosystem(std::string_view cpe) {
  // cpe:/o:redhat:enterprise_linux:8::baseos -> Red Hat:enterprise_linux:8;
  // cpe:/a:redhat:rhel_eus:8.6::appstream -> Red Hat:rhel_eus:8.6.
  const auto parts = util::split(cpe, ':');
  if (parts.size() < 5 || parts[0] != "cpe" || (parts[1] != "/o" && parts[1] != "/a") || parts[2] != "redhat")
    return {};
  const std::string product(parts[3]);
  const std::string version(parts[4]);
  if (version.empty() || !std::isdigit(static_cast<unsigned char>(version.front()))) return {};
  if (product == "enterprise_linux") return "Red Hat:enterprise_linux:" + version.substr(0, version.find('.'));
  if (product.starts_with("rhel_")) return fmt::format("Red Hat:{}:{}", product, version);
  return {};
}

std::vector<Advisory> parse_redhat_csaf(const json& doc, ParseLog& log) {
  std::vector<Advisory> out;
  try {
    if (!doc.is_object()) {
      log.unreadable("not a CSAF document (not a JSON object)");
      return out;
    }
    const auto* document = f::find(doc, "document");
    if (document == nullptr || !document->is_object()) {
      log.unreadable("not a CSAF document: no \"document\" object");
      return out;
    }
    const auto category = f::text(*document, "category");
    if (category != "csaf_vex") {
      log.unreadable(fmt::format("CSAF category \"{}\", not \"csaf_vex\": only VEX documents (one per CVE) are read",
                                 util::printable(category)));
      return out;
    }
    const auto& publisher = f::object(*document, "publisher");
    const auto ns = f::text(publisher, "namespace");
    if (ns != "https://www.redhat.com") {
      log.unreadable(
          fmt::format("CSAF VEX from publisher namespace \"{}\": only Red Hat's (https://www.redhat.com) is read",
                      util::printable(ns)));
      return out;
    }
    const auto* tree = f::find(doc, "product_tree");
    if (tree == nullptr || !tree->is_object()) {
      log.unreadable("CSAF VEX without a \"product_tree\" object");
      return out;
    }
    const auto* vulns = f::find(doc, "vulnerabilities");
    if (vulns == nullptr || !vulns->is_array()) {
      log.unreadable("CSAF VEX without a \"vulnerabilities\" list");
      return out;
    }
    std::map<std::string, Helper> products;
    collect_products(*tree, products, 0);
    struct Relation {
      std::string component, platform;
    };
    std::map<std::string, Relation> relations;
    for (const auto& r : f::array(*tree, "relationships")) {
      const auto& full = f::object(r, "full_product_name");
      const auto id = f::text(full, "product_id");
      if (id.empty()) continue;
      relations[id] = Relation{f::text(r, "product_reference"), f::text(r, "relates_to_product_reference")};
    }
    const auto& tracking = f::object(*document, "tracking");
    const auto& aggregate = f::object(*document, "aggregate_severity");
    std::vector<Reference> doc_refs;
    for (const auto& r : f::array(*document, "references")) {
      const auto url = f::text(r, "url");
      if (!url.empty()) doc_refs.push_back({f::text(r, "category") == "self" ? "ADVISORY" : "WEB", url});
    }

    for (const auto& v : *vulns) {
      std::string cve;
      try {
        cve = f::text(v, "cve");
        if (cve.empty() && vulns->size() == 1) cve = f::text(tracking, "id");
        if (!cve.starts_with("CVE-")) {
          log.reject(cve.empty() ? "vulnerability" : cve, "a vulnerability without a CVE id (\"cve\")");
          continue;
        }
        Advisory a;
        a.source = "redhat-csaf";
        a.id = cve;
        a.summary = f::text(*document, "title");
        if (a.summary.empty()) a.summary = f::text(v, "title");
        a.published = f::text(v, "release_date");
        if (a.published.empty()) a.published = f::text(tracking, "initial_release_date");
        a.modified = f::text(tracking, "current_release_date");
        if (a.modified.empty()) a.modified = a.published;
        // The CVE's overall impact; per-product impacts (a module stream rated apart) are not kept.
        a.severity = f::text(aggregate, "text");
        if (a.severity.empty()) {
          for (const auto& t : f::array(v, "threats")) {
            const auto word = f::text(t, "details");
            if (f::text(t, "category") == "impact" && impact_rank(word) > impact_rank(a.severity)) a.severity = word;
          }
        }
        for (const auto& s : f::array(v, "scores")) {
          for (const char* key : {"cvss_v3", "cvss_v4", "cvss_v2"}) {
            const auto vec = f::text(f::object(s, key), "vectorString");
            if (!vec.empty() && std::find(a.cvss.begin(), a.cvss.end(), vec) == a.cvss.end()) a.cvss.push_back(vec);
          }
        }
        a.references = doc_refs;
        for (const auto& r : f::array(v, "references")) {
          const auto url = f::text(r, "url");
          if (!url.empty()) a.references.push_back({"WEB", url});
        }

        // Every product id's status, from product_status and the remediations.
        std::map<std::string, Status> status;
        std::map<std::string, std::string> notes;
        std::map<std::string, std::string> fixes;  // product id -> errata id
        // product_status first (the strongest statement per id), then the remediations: a vendor
        // fix decides, no_fix_planned makes it will-not-fix, none_available keeps it affected.
        auto mark = [&](const std::string& id, Status s, const std::string& note) {
          auto& cur = status[id];
          if (weight(s) > weight(cur)) cur = s;
          if (!note.empty()) notes[id] = note;
        };
        const auto& ps = f::object(v, "product_status");
        for (const auto& id : f::text_list(ps, "known_not_affected")) mark(id, Status::not_affected, "");
        for (const auto& id : f::text_list(ps, "under_investigation")) mark(id, Status::under_investigation, "");
        for (const auto& id : f::text_list(ps, "known_affected")) mark(id, Status::affected, "");
        for (const auto& id : f::text_list(ps, "fixed")) mark(id, Status::fixed, "");
        for (const auto& r : f::array(v, "remediations")) {
          const auto cat = f::text(r, "category");
          const auto details = f::text(r, "details");
          const auto ids = f::text_list(r, "product_ids");
          if (cat == "vendor_fix") {
            const auto errata = rhsa_of(f::text(r, "url"));
            if (!f::text(r, "url").empty() &&
                std::none_of(a.references.begin(), a.references.end(),
                             [&](const Reference& x) { return x.url == f::text(r, "url"); })) {
              a.references.push_back({"ADVISORY", f::text(r, "url")});
            }
            for (const auto& id : ids) {
              mark(id, Status::fixed, "");
              if (!errata.empty()) fixes[id] = errata;
            }
          } else if (cat == "no_fix_planned") {
            for (const auto& id : ids) {
              if (status[id] != Status::fixed) status[id] = Status::will_not_fix;
              if (!details.empty()) notes[id] = details;
            }
          } else if (cat == "none_available") {
            for (const auto& id : ids) {
              if (status[id] != Status::fixed && status[id] != Status::will_not_fix) status[id] = Status::affected;
              if (!details.empty()) notes[id] = details;
            }
          } else if (cat == "workaround" || cat == "mitigation") {
            for (const auto& id : ids) {
              if (!details.empty() && notes[id].empty()) notes[id] = cat + ": " + details;
            }
          }
        }

        // Per (ecosystem, package): the statement that wins and the fixed EVRs.
        std::map<std::pair<std::string, std::string>, Entry> entries;
        std::size_t unknown = 0, fixed_unversioned = 0, modular = 0;
        for (const auto& [id, st] : status) {
          if (st == Status::none) continue;
          const auto rel = relations.find(id);
          if (rel == relations.end()) {
            ++unknown;
            continue;
          }
          const auto platform = products.find(rel->second.platform);
          if (platform == products.end()) {
            ++unknown;
            continue;
          }
          const auto ecosystem = redhat_ecosystem(platform->second.cpe);
          if (ecosystem.empty()) {
            log.count("other-product");
            continue;
          }
          const auto comp_it = products.find(rel->second.component);
          auto comp = component_of(rel->second.component, comp_it == products.end() ? nullptr : &comp_it->second);
          if (!comp) {
            log.count("not-rpm");
            continue;
          }
          if (comp->modular) ++modular;
          auto& e = entries[{ecosystem, comp->package}];
          if (st == Status::fixed) {
            if (comp->evr.empty()) {
              ++fixed_unversioned;
              continue;
            }
            e.status = Status::fixed;
            e.fixed.insert(comp->evr);
            if (auto fx = fixes.find(id); fx != fixes.end()) e.note = fx->second;
            continue;
          }
          if (weight(st) > weight(e.status)) {
            e.status = st;
            e.note = notes[id];
          }
        }
        if (unknown > 0) {
          log.warn(cve, "unknown-product",
                   fmt::format("{} product id{} not found in the product tree's relationships; ignored", unknown,
                               unknown == 1 ? "" : "s"));
        }
        if (fixed_unversioned > 0) {
          log.warn(cve, "fixed-without-version",
                   fmt::format("{} fixed product{} without a version (no NEVRA, no purl version); not imported",
                               fixed_unversioned, fixed_unversioned == 1 ? "" : "s"));
        }
        if (modular > 0) log.count("modular", modular);
        for (const auto& [key, e] : entries) {
          if (e.status == Status::none) continue;
          Affected af;
          af.ecosystem = key.first;
          af.package = key.second;
          af.note = e.note;
          switch (e.status) {
            case Status::fixed: {
              Range r;
              r.events.push_back({EventKind::introduced, "0"});
              for (const auto& evr : e.fixed) r.events.push_back({EventKind::fixed, evr});
              af.ranges.push_back(std::move(r));
              af.state = VendorState::fixed;
              break;
            }
            case Status::affected: af.state = VendorState::unfixed; break;
            case Status::will_not_fix: af.state = VendorState::will_not_fix; break;
            case Status::under_investigation: af.state = VendorState::under_investigation; break;
            case Status::not_affected: af.state = VendorState::not_affected; break;
            case Status::none: break;
          }
          a.affected.push_back(std::move(af));
        }
        if (a.affected.empty()) {
          log.count("no-rhel-rpm");  // OpenShift-only, middleware-only, ...: nothing to match
          continue;
        }
        log.count("records");
        out.push_back(std::move(a));
      } catch (const f::RecordError& e) {
        log.reject(cve.empty() ? "vulnerability" : cve, e.what());
      }
    }
  } catch (const f::RecordError& e) {
    log.unreadable(fmt::format("CSAF VEX document: {}", e.what()));
  }
  return out;
}

}  // namespace bulwark::vuln::db
