// OSV records (https://ossf.github.io/osv-schema/) in JSON or YAML form.
#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "vuln/db/json_fields.hpp"
#include "vuln/db/parsers.hpp"

namespace bulwark::vuln::db {
namespace {

using nlohmann::json;
namespace f = fields;

// Long details are not stored; when a record has no summary its first line stands in.
std::string summary_of(const json& doc) {
  std::string s = f::text(doc, "summary");
  if (s.empty()) {
    const std::string details = f::text(doc, "details");
    s = details.substr(0, details.find('\n'));
  }
  if (s.size() > 300) s = s.substr(0, 297) + "...";
  return s;
}

std::optional<Range> read_range(const json& r, const std::string& id, ParseLog& log) {
  if (!r.is_object()) throw f::RecordError("a range is not an object");
  const std::string type_name = f::text(r, "type");
  const auto type = range_type_from(type_name);
  if (!type) {
    log.warn(id, "unknown-range-type",
             fmt::format("range type \"{}\" is not ECOSYSTEM, SEMVER or GIT; range dropped", type_name));
    return std::nullopt;
  }
  Range range;
  range.type = *type;
  range.repo = f::text(r, "repo");
  bool has_introduced = false;
  for (const auto& e : f::array(r, "events")) {
    if (!e.is_object() || e.size() != 1) throw f::RecordError("a range event must have exactly one key");
    const auto only = e.begin();  // (not items(): its proxies dangle once the temporaries go)
    const std::string& key = only.key();
    const nlohmann::json& value = only.value();
    const auto kind = event_kind_from(key);
    if (!kind) throw f::RecordError(fmt::format("unknown range event \"{}\"", key));
    has_introduced = has_introduced || *kind == EventKind::introduced;
    range.events.push_back({*kind, f::scalar(value, "a range event version")});
  }
  if (!has_introduced) {
    // The schema requires an "introduced" event; without one the range's start is unknown.
    log.warn(id, "range-without-introduced",
             fmt::format("{} range{} has no \"introduced\" event; range dropped", type_name,
                         range.repo.empty() ? "" : " of " + range.repo));
    return std::nullopt;
  }
  std::set<std::pair<EventKind, std::string>> seen;
  std::set<std::string> versions;
  bool nondistinct = false;
  for (const auto& e : range.events) {
    nondistinct = nondistinct || !seen.emplace(e.kind, e.version).second || !versions.insert(e.version).second;
  }
  if (nondistinct) {
    log.warn(id, "nondistinct-events",
             fmt::format("{} range{} names the same version in more than one event", type_name,
                         range.repo.empty() ? "" : " of " + range.repo));
  }
  return range;
}

Advisory read_record(const json& doc, ParseLog& log) {
  if (!doc.is_object()) throw f::RecordError("an OSV record must be an object");
  Advisory a;
  a.id = f::text(doc, "id");
  if (a.id.empty()) throw f::RecordError("no \"id\"");
  const auto dash = a.id.find('-');
  a.source = "osv:" + a.id.substr(0, dash == std::string::npos ? a.id.size() : dash);
  a.modified = f::text(doc, "modified");
  if (a.modified.empty()) log.warn(a.id, "missing-modified", "no \"modified\" timestamp (required by the schema)");
  a.published = f::text(doc, "published");
  a.withdrawn = f::text(doc, "withdrawn");
  a.summary = summary_of(doc);
  for (const auto& alias : f::text_list(doc, "aliases")) add_alias(a, alias);
  // Canonical's records: "UBUNTU-CVE-2021-3520" is CVE-2021-3520 as Ubuntu tracks it, and a
  // USN names the CVEs it fixes in "upstream" (as UBUNTU-CVE-… or CVE-…). Both become
  // aliases, so a USN, its UBUNTU-CVE records and other CVE-keyed records group as one finding.
  auto add_with_cve = [&](std::string_view id) {
    add_alias(a, id);
    if (id.starts_with("UBUNTU-CVE-")) add_alias(a, id.substr(7));
  };
  if (a.id.starts_with("UBUNTU-CVE-")) add_alias(a, std::string_view(a.id).substr(7));
  for (const auto& up : f::text_list(doc, "upstream")) add_with_cve(up);
  for (const auto& s : f::array(doc, "severity")) {
    const std::string type = f::text(s, "type");
    const std::string score = f::text(s, "score");
    if (type.starts_with("CVSS_") && !score.empty()) {
      a.cvss.push_back(score);
    } else if (!score.empty() && a.severity.empty()) {
      a.severity = score;  // e.g. type "Ubuntu": a word, not a vector
    }
  }
  // Ubuntu's priority sits on each affected entry: ecosystem_specific.ubuntu_priority.
  bool ubuntu = false;
  for (const auto& item : f::array(doc, "affected")) {
    if (!item.is_object()) continue;
    const auto* pkg = f::find(item, "package");
    if (pkg && pkg->is_object() && f::text(*pkg, "ecosystem").starts_with("Ubuntu")) ubuntu = true;
    if (!a.severity.empty()) continue;
    if (const auto* es = f::find(item, "ecosystem_specific"); es && es->is_object()) {
      if (const auto* pr = f::find(*es, "ubuntu_priority"); pr && pr->is_string()) a.severity = pr->get<std::string>();
    }
  }
  // Canonical's older exports use the bare CVE id ("CVE-2021-3520"): they are Ubuntu's
  // records all the same (source osv:UBUNTU), and their words are never lent to another distribution.
  if (ubuntu && a.id.starts_with("CVE-")) a.source = "osv:UBUNTU";
  if (const auto* ds = f::find(doc, "database_specific"); ds && a.severity.empty()) {
    if (const auto* sev = f::find(*ds, "severity"); sev && sev->is_string()) a.severity = sev->get<std::string>();
  }
  // Red Hat's errata and their rebuilds (ALSA, RLSA, ELSA, RHSA) carry the vendor's severity
  // only as the summary's first word: "Moderate: util-linux security update".
  if (a.severity.empty() && (a.id.starts_with("ALSA-") || a.id.starts_with("RLSA-") || a.id.starts_with("ELSA-") ||
                             a.id.starts_with("RHSA-"))) {
    const auto colon = a.summary.find(':');
    if (colon != std::string::npos) {
      const std::string word = a.summary.substr(0, colon);
      if (word == "Critical" || word == "Important" || word == "Moderate" || word == "Low") a.severity = word;
    }
  }
  for (const auto& r : f::array(doc, "references")) {
    a.references.push_back({f::text(r, "type"), f::text(r, "url")});
  }
  for (const auto& item : f::array(doc, "affected")) {
    if (!item.is_object()) throw f::RecordError("an affected entry is not an object");
    Affected af;
    const auto& pkg = f::object(item, "package");
    af.ecosystem = f::text(pkg, "ecosystem");
    af.package = f::text(pkg, "name");
    for (const auto& r : f::array(item, "ranges")) {
      if (auto range = read_range(r, a.id, log)) af.ranges.push_back(std::move(*range));
    }
    af.versions = f::text_list(item, "versions");
    if (af.ecosystem.empty() || af.package.empty()) {
      // Package-less entries describe a source repository (GIT ranges only): keep them
      // under the pseudo-ecosystem "GIT" keyed by the repository, for commit-level matching.
      const auto git = std::find_if(af.ranges.begin(), af.ranges.end(),
                                    [](const Range& r) { return r.type == RangeType::git && !r.repo.empty(); });
      if (git == af.ranges.end()) {
        log.warn(a.id, "affected-without-package", "an affected entry names no package and no repository; dropped");
        continue;
      }
      af.ecosystem = "GIT";
      af.package = git->repo;
    }
    if (af.ranges.empty() && af.versions.empty()) {
      log.warn(a.id, "affected-without-versions",
               fmt::format("{}/{}: no usable range and no versions list; dropped", af.ecosystem, af.package));
      continue;
    }
    const bool has_fix = std::any_of(af.ranges.begin(), af.ranges.end(), [](const Range& r) {
      return std::any_of(r.events.begin(), r.events.end(),
                         [](const RangeEvent& e) { return e.kind == EventKind::fixed; });
    });
    af.state = !a.withdrawn.empty() ? VendorState::withdrawn : has_fix ? VendorState::fixed : VendorState::unfixed;
    a.affected.push_back(std::move(af));
  }
  if (a.affected.empty()) {
    log.warn(a.id, "no-affected", "the record lists no affected package; kept for alias lookups only");
  }
  return a;
}

}  // namespace

std::vector<Advisory> parse_osv(const json& doc, ParseLog& log) {
  std::vector<Advisory> out;
  std::string id;
  try {
    if (doc.is_object()) id = doc.value("id", json()).is_string() ? doc["id"].get<std::string>() : std::string();
    out.push_back(read_record(doc, log));
    log.count("records");
  } catch (const std::exception& e) {
    log.reject(id, e.what());
  }
  return out;
}

}  // namespace bulwark::vuln::db
