// Amazon Linux security advisories (ALAS): the yum repository's updateinfo.xml, as Amazon
// publishes it for Amazon Linux 1 (ALAS-), 2 (ALAS2-, and ALAS2<EXTRA>- for the extras
// repositories), 2022 (ALAS2022-) and 2023 (ALAS2023-). Each <update type="security"> is one
// advisory: its CVE references become aliases, <severity> the vendor's word, and every binary
// package of its <pkglist> is fixed at [epoch:]version-release (architectures folded). Parsed with
// libxml2 without network access and without entity expansion.
#include <fmt/format.h>

#include <map>
#include <set>
#include <string>

#include "vuln/db/parsers.hpp"
#include "vuln/db/xml_nodes.hpp"

namespace bulwark::vuln::db {
using xml::attr;
using xml::named;
using xml::text;

std::string alas_ecosystem(std::string_view id) {
  // ALAS2023-2023-001 -> Amazon Linux:2023; ALAS2-2018-942 and ALAS2KERNEL-5.10-2022-001 -> 2;
  // ALAS-2018-1000 -> 1.
  if (id.starts_with("ALAS2023-")) return "Amazon Linux:2023";
  if (id.starts_with("ALAS2022-")) return "Amazon Linux:2022";
  if (id.starts_with("ALAS2")) return "Amazon Linux:2";
  if (id.starts_with("ALAS-")) return "Amazon Linux:1";
  return {};
}

std::vector<Advisory> parse_alas_updateinfo(std::string_view content, ParseLog& log) {
  std::vector<Advisory> out;
  auto doc = xml::read(content, log);
  if (!doc) return out;
  xmlNode* root = xmlDocGetRootElement(doc.get());
  if (root == nullptr || !named(root, "updates")) {
    log.unreadable("not an updateinfo document (no <updates> root)");
    return out;
  }
  for (xmlNode* u = root->children; u != nullptr; u = u->next) {
    if (!named(u, "update")) continue;
    Advisory a;
    a.source = "alas";
    std::map<std::string, std::string> fixed;  // package -> EVR
    for (xmlNode* c = u->children; c != nullptr; c = c->next) {
      if (named(c, "id")) {
        a.id = text(c);
      } else if (named(c, "title")) {
        a.summary = text(c);
      } else if (named(c, "severity")) {
        a.severity = text(c);
      } else if (named(c, "issued")) {
        a.published = attr(c, "date");
      } else if (named(c, "updated")) {
        a.modified = attr(c, "date");
      } else if (named(c, "references")) {
        for (xmlNode* r = c->children; r != nullptr; r = r->next) {
          if (!named(r, "reference")) continue;
          const auto href = attr(r, "href");
          if (attr(r, "type") == "cve") add_alias(a, attr(r, "id"));
          if (!href.empty()) a.references.push_back({"ADVISORY", href});
        }
      } else if (named(c, "pkglist")) {
        for (xmlNode* col = c->children; col != nullptr; col = col->next) {
          if (!named(col, "collection")) continue;
          for (xmlNode* p = col->children; p != nullptr; p = p->next) {
            if (!named(p, "package")) continue;
            const auto name = attr(p, "name");
            const auto version = attr(p, "version");
            const auto release = attr(p, "release");
            const auto epoch = attr(p, "epoch");
            if (name.empty() || version.empty()) {
              log.warn(a.id.empty() ? "update" : a.id, "package-without-version",
                       "a <package> without name or version; dropped");
              continue;
            }
            std::string evr = version + (release.empty() ? "" : "-" + release);
            if (!epoch.empty() && epoch != "0") evr = epoch + ":" + evr;
            fixed.emplace(name, std::move(evr));  // the same EVR for every architecture
          }
        }
      }
    }
    if (a.id.empty()) {
      log.reject("update", "an <update> without <id>");
      continue;
    }
    const auto ecosystem = alas_ecosystem(a.id);
    if (ecosystem.empty()) {
      log.reject(a.id, "not an Amazon Linux advisory id (ALAS-, ALAS2-, ALAS2022-, ALAS2023-)");
      continue;
    }
    if (attr(u, "type") != "security") {
      log.count("not-security");
      continue;
    }
    if (a.modified.empty()) a.modified = a.published;
    for (const auto& [name, evr] : fixed) {
      Affected af;
      af.ecosystem = ecosystem;
      af.package = name;
      Range r;
      r.type = RangeType::ecosystem;
      r.events.push_back({EventKind::introduced, "0"});
      r.events.push_back({EventKind::fixed, evr});
      af.ranges.push_back(std::move(r));
      af.state = VendorState::fixed;
      a.affected.push_back(std::move(af));
    }
    if (a.affected.empty()) log.warn(a.id, "no-affected", "the update lists no package; kept for alias lookups only");
    log.count("records");
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace bulwark::vuln::db
