// VMware Photon OS advisories: the per-release cve_data_photon<release>.json files of
// packages.vmware.com/photon/photon_cve_metadata/ (a JSON array of {cve_id, pkg, cve_score, aff_ver,
// res_ver[, status]}). One advisory per CVE and release (source "photon:<release>", as every release
// repeats the same CVE ids), one affected entry per package in "Photon OS:<release>": fixed at
// res_ver, unfixed when no fix is named, not affected when the status says so. The CVSS base score
// (no vector is given) becomes the severity word by CVSS's qualitative scale.
#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "util/strings.hpp"
#include "vuln/db/parsers.hpp"

namespace bulwark::vuln::db {
namespace {

std::string score_word(double score) {
  if (score >= 9.0) return "critical";
  if (score >= 7.0) return "high";
  if (score >= 4.0) return "medium";
  if (score > 0.0) return "low";
  return {};
}

std::string field(const nlohmann::json& o, const char* name) {
  const auto it = o.find(name);
  return it != o.end() && it->is_string() ? std::string(util::trim(it->get<std::string>())) : std::string();
}

}  // namespace

std::string photon_release(std::string_view file_name) {
  // "cve_data_photon3.0.json" -> "3.0".
  constexpr std::string_view kPrefix = "cve_data_photon";
  if (!file_name.starts_with(kPrefix) || !file_name.ends_with(".json")) return {};
  auto rel = file_name.substr(kPrefix.size(), file_name.size() - kPrefix.size() - 5);
  if (rel.empty() || rel.find_first_not_of("0123456789.") != std::string_view::npos) return {};
  return std::string(rel);
}

std::vector<Advisory> parse_photon(const nlohmann::json& doc, std::string_view release, ParseLog& log) {
  std::vector<Advisory> out;
  if (!doc.is_array()) {
    log.unreadable("not a Photon CVE list (the document is not a JSON array)");
    return out;
  }
  const std::string ecosystem = "Photon OS:" + std::string(release);
  std::map<std::string, std::size_t> index;  // CVE -> position in out
  for (const auto& e : doc) {
    if (!e.is_object()) {
      log.reject("entry", "not a JSON object");
      continue;
    }
    const auto cve = field(e, "cve_id");
    const auto pkg = field(e, "pkg");
    if (cve.empty() || pkg.empty()) {
      log.reject(cve.empty() ? "entry" : cve, "an entry without cve_id or pkg");
      continue;
    }
    auto [it, first] = index.try_emplace(cve, out.size());
    if (first) {
      Advisory a;
      a.source = "photon:" + std::string(release);
      a.id = cve;
      a.references.push_back({"ADVISORY", "https://github.com/vmware/photon/wiki/Security-Advisories"});
      out.push_back(std::move(a));
    }
    Advisory& a = out[it->second];
    // The highest score among the entries of this CVE.
    if (const auto s = e.find("cve_score"); s != e.end() && s->is_number()) {
      static const std::map<std::string, int> rank{{"", 0}, {"low", 1}, {"medium", 2}, {"high", 3}, {"critical", 4}};
      auto word = score_word(s->get<double>());
      if (rank.at(word) > rank.at(a.severity)) a.severity = word;
    }
    Affected af;
    af.ecosystem = ecosystem;
    af.package = pkg;
    const auto status = util::to_lower(field(e, "status"));
    const auto fixed = field(e, "res_ver");
    if (status == "not affected") {
      af.state = VendorState::not_affected;
    } else if (!fixed.empty() && fixed != "NA") {
      af.state = VendorState::fixed;
      Range r;
      r.events.push_back({EventKind::introduced, "0"});
      r.events.push_back({EventKind::fixed, fixed});
      af.ranges.push_back(std::move(r));
    } else {
      af.state = VendorState::unfixed;
      af.note = field(e, "aff_ver");
    }
    a.affected.push_back(std::move(af));
  }
  log.count("records", out.size());
  return out;
}

}  // namespace bulwark::vuln::db
