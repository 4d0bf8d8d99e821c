// Alpine secdb ({"distroversion", "reponame", "packages": [{"pkg": {"name", "secfixes"}}]}),
// in its JSON form (secdb.alpinelinux.org) and the 2020 YAML form (alpine-secdb repo).
#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>

#include "util/strings.hpp"
#include "vuln/db/json_fields.hpp"
#include "vuln/db/parsers.hpp"

namespace bulwark::vuln::db {

namespace f = fields;
using nlohmann::json;

std::vector<Advisory> parse_alpine_secdb(const json& doc, std::string_view source_prefix, ParseLog& log) {
  std::vector<Advisory> out;
  std::string release;
  std::string repo;
  try {
    release = f::text(doc, "distroversion");
    repo = f::text(doc, "reponame");
  } catch (const std::exception& e) {
    log.unreadable(e.what());
    return out;
  }
  if (release.empty()) {
    log.unreadable("Alpine secdb without \"distroversion\"");
    return out;
  }
  // Each file is its own source: the same CVE appears in every release and repository,
  // and keying by file keeps one release's import from replacing another's entries.
  const std::string source = fmt::format("{}:{}/{}", source_prefix, release, repo.empty() ? "main" : repo);
  const std::string ecosystem = "Alpine:" + release;
  std::map<std::string, Advisory> by_id;  // ordered: stable output, hence stable digests
  const json* packages = f::find(doc, "packages");
  if (!packages) return out;  // "packages:" with nothing under it: a release without fixes
  if (!packages->is_array()) {
    log.unreadable("Alpine secdb without a \"packages\" list");
    return out;
  }
  for (const auto& entry : *packages) {
    std::string name;
    try {
      const auto& pkg = f::object(entry, "pkg");
      name = f::text(pkg, "name");
      if (name.empty()) throw f::RecordError("package entry without a name");
      log.count("alpine.package-entries");
      const auto& secfixes = f::object(pkg, "secfixes");
      for (const auto& [version, ids] : secfixes.items()) {
        log.count("alpine.fixed-version-entries");
        if (!ids.is_array()) {
          if (ids.is_null()) continue;  // "1.2-r0:" with nothing under it
          throw f::RecordError(fmt::format("secfixes \"{}\" is not a list", version));
        }
        for (const auto& item : ids) {
          // Items are usually one id, sometimes "CVE-a CVE-b" or "CVE-a (comment)".
          const std::string ids_text = f::scalar(item, "a secfixes id");  // outlives the views below
          for (auto token : util::split_ws(ids_text)) {
            if (token.empty() || token.front() == '(') break;
            auto& adv = by_id[std::string(token)];
            if (adv.id.empty()) {
              adv.id = std::string(token);
              adv.source = source;
            }
            Affected af;
            af.ecosystem = ecosystem;
            af.package = name;
            if (version == "0") {
              // secdb's way of saying the package was never affected.
              af.state = VendorState::not_affected;
            } else {
              af.state = VendorState::fixed;
              af.ranges.push_back(
                  {RangeType::ecosystem, {}, {{EventKind::introduced, "0"}, {EventKind::fixed, version}}});
            }
            adv.affected.push_back(std::move(af));
          }
        }
      }
    } catch (const std::exception& e) {
      log.reject(name, e.what());
    }
  }
  out.reserve(by_id.size());
  for (auto& [id, adv] : by_id) out.push_back(std::move(adv));
  log.count("records", out.size());
  return out;
}

}  // namespace bulwark::vuln::db
