// Oracle Linux ELSA OVAL (linux.oracle.com/security/oval/: com.oracle.elsa-all.xml and the one-
// definition ELSA-*.xml files). Every <definition> is one advisory (source "oracle-oval", id the
// ELSA id): its CVE references become aliases, <advisory><severity> the vendor's word. The criteria
// tree is read as Oracle writes it, one criterion per fact with the fact in its comment:
//   "Oracle Linux 8 is installed"           -> the ecosystem "Oracle Linux:8" for what it encloses
//   "Oracle Linux arch is aarch64"          -> the architecture (folded: one entry per package)
//   "glibc is earlier than 0:2.28-151.0.1.el8" -> glibc fixed at that [epoch:]version-release
// (the "is signed with the Oracle Linux N key" criteria add nothing to match on). Fixes of the
// ksplice flavour ("…ksplice1…": user-space packages for Ksplice subscribers) are not matched
// against ordinary packages: they are counted and dropped.
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

struct Context {
  std::string ecosystem;
};

struct Walk {
  ParseLog& log;
  const std::string& id;
  std::string fallback_ecosystem;  // from <affected><platform> when no criterion names the release
  std::map<std::pair<std::string, std::string>, std::set<std::string>> fixed;  // (ecosystem, package) -> EVRs
  std::size_t ksplice = 0;

  void criteria(xmlNode* node, Context ctx, int depth) {
    if (depth > 32) {
      log.warn(id, "criteria-too-deep", "criteria nested deeper than 32 levels; the rest is not read");
      return;
    }
    // The facts of this level first: they hold for the nested criteria too, in any order.
    for (xmlNode* c = node->children; c != nullptr; c = c->next) {
      if (!named(c, "criterion")) continue;
      const auto comment = attr(c, "comment");
      if (comment.starts_with("Oracle Linux ") && comment.ends_with(" is installed")) {
        const auto release = comment.substr(13, comment.size() - 13 - 13);
        if (!release.empty() && release.find(' ') == std::string::npos) ctx.ecosystem = "Oracle Linux:" + release;
      }
    }
    for (xmlNode* c = node->children; c != nullptr; c = c->next) {
      if (named(c, "criteria")) {
        criteria(c, ctx, depth + 1);
        continue;
      }
      if (!named(c, "criterion")) continue;
      const auto comment = attr(c, "comment");
      constexpr std::string_view kEarlier = " is earlier than ";
      const auto at = comment.find(kEarlier);
      if (at == std::string::npos) continue;
      const auto package = comment.substr(0, at);
      auto evr = comment.substr(at + kEarlier.size());
      if (package.empty() || evr.empty() || package.find(' ') != std::string::npos) {
        log.warn(id, "bad-criterion",
                 fmt::format("criterion \"{}\" is not \"<package> is earlier than <evr>\"", comment));
        continue;
      }
      if (evr.find("ksplice") != std::string::npos) {
        ++ksplice;
        continue;
      }
      if (evr.starts_with("0:")) evr.erase(0, 2);  // epoch 0 is the rpm default
      const auto& ecosystem = ctx.ecosystem.empty() ? fallback_ecosystem : ctx.ecosystem;
      if (ecosystem.empty()) {
        log.warn(id, "no-platform", fmt::format("{} is fixed for no named Oracle Linux release; dropped", package));
        continue;
      }
      fixed[{ecosystem, package}].insert(std::move(evr));
    }
  }
};

}  // namespace

std::vector<Advisory> parse_oracle_oval(std::string_view content, ParseLog& log) {
  std::vector<Advisory> out;
  auto doc = xml::read(content, log);
  if (!doc) return out;
  xmlNode* root = xmlDocGetRootElement(doc.get());
  if (root == nullptr || !named(root, "oval_definitions")) {
    log.unreadable("not an OVAL document (no <oval_definitions> root)");
    return out;
  }
  xmlNode* defs = child(root, "definitions");
  for (xmlNode* d = defs ? defs->children : nullptr; d != nullptr; d = d->next) {
    if (!named(d, "definition")) continue;
    Advisory a;
    a.source = "oracle-oval";
    xmlNode* meta = child(d, "metadata");
    std::string platform;
    for (xmlNode* m = meta ? meta->children : nullptr; m != nullptr; m = m->next) {
      if (named(m, "title")) {
        a.summary = text(m);
      } else if (named(m, "reference")) {
        const auto source = attr(m, "source");
        const auto ref = attr(m, "ref_id");
        if (source == "elsa" && a.id.empty()) a.id = ref;
        if (source == "CVE") add_alias(a, ref);
        if (const auto url = attr(m, "ref_url"); !url.empty()) {
          a.references.push_back({source == "elsa" ? "ADVISORY" : "WEB", url});
        }
      } else if (named(m, "affected")) {
        if (xmlNode* p = child(m, "platform")) platform = text(p);
      } else if (named(m, "advisory")) {
        if (xmlNode* s = child(m, "severity")) a.severity = text(s);
        if (xmlNode* i = child(m, "issued")) a.published = attr(i, "date");
      }
    }
    if (a.id.empty()) {
      // Older files carry the id only in the title ("ELSA-2007-0057:  Moderate: bind ...").
      if (a.summary.starts_with("ELSA-")) a.id = a.summary.substr(0, a.summary.find(':'));
    }
    if (a.id.empty() || !a.id.starts_with("ELSA-")) {
      log.reject(a.id.empty() ? attr(d, "id") : a.id, "not an Oracle Linux ELSA definition (no ELSA reference)");
      continue;
    }
    if (const auto colon = a.summary.find(':'); a.summary.starts_with(a.id) && colon != std::string::npos) {
      a.summary = std::string(util::trim(a.summary.substr(colon + 1)));
    }
    a.modified = a.published;
    Walk walk{log, a.id, {}, {}, 0};
    if (platform.starts_with("Oracle Linux ")) walk.fallback_ecosystem = "Oracle Linux:" + platform.substr(13);
    if (xmlNode* c = child(d, "criteria")) walk.criteria(c, {}, 0);
    if (walk.ksplice > 0) log.count("oracle-oval.ksplice-fixes-dropped", walk.ksplice);
    for (auto& [key, evrs] : walk.fixed) {
      Affected af;
      af.ecosystem = key.first;
      af.package = key.second;
      af.state = VendorState::fixed;
      Range r;
      r.events.push_back({EventKind::introduced, "0"});
      // Architectures with different builds fold into one entry: every fixed EVR is listed.
      for (const auto& evr : evrs) r.events.push_back({EventKind::fixed, evr});
      af.ranges.push_back(std::move(r));
      a.affected.push_back(std::move(af));
    }
    if (a.affected.empty())
      log.warn(a.id, "no-affected", "the definition fixes no package; kept for alias lookups only");
    log.count("records");
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace bulwark::vuln::db
