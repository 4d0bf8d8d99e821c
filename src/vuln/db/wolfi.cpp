// Wolfi advisories (wolfi-dev/advisories <package>.advisories.yaml, schema 2.0.x).
// The current state of an advisory is its latest event.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "vuln/db/json_fields.hpp"
#include "vuln/db/parsers.hpp"

namespace bulwark::vuln::db {

namespace f = fields;
using nlohmann::json;

namespace {

struct EventMeaning {
  VendorState state;
  bool known;
};

EventMeaning meaning_of(std::string_view type) {
  if (type == "fixed") return {VendorState::fixed, true};
  if (type == "false-positive-determination") return {VendorState::not_affected, true};
  if (type == "pending-upstream-fix") return {VendorState::unfixed, true};
  if (type == "fix-not-planned") return {VendorState::will_not_fix, true};
  // Detected or confirmed, not yet resolved: affected.
  if (type == "detection" || type == "true-positive-determination" || type == "analysis-not-planned")
    return {VendorState::unfixed, true};
  return {VendorState::unfixed, false};
}

}  // namespace

std::vector<Advisory> parse_wolfi(const json& doc, ParseLog& log) {
  std::vector<Advisory> out;
  std::string package;
  try {
    package = f::text(f::object(doc, "package"), "name");
  } catch (const std::exception& e) {
    log.unreadable(e.what());
    return out;
  }
  if (package.empty()) {
    log.unreadable("Wolfi advisories file without package.name");
    return out;
  }
  log.count("wolfi.package-files");
  const json* advisories = f::find(doc, "advisories");
  if (!advisories) return out;  // a package with no advisories yet
  if (!advisories->is_array()) {
    log.unreadable("\"advisories\" is not a list");
    return out;
  }
  for (const auto& item : *advisories) {
    std::string id;
    try {
      id = f::text(item, "id");
      if (id.empty()) throw f::RecordError("advisory without an id");
      Advisory a;
      a.source = "wolfi";
      a.id = id;
      for (const auto& alias : f::text_list(item, "aliases")) add_alias(a, alias);
      Affected af;
      af.ecosystem = "Wolfi";
      af.package = package;
      const json* latest = nullptr;
      std::string latest_time;
      for (const auto& ev : f::array(item, "events")) {
        const std::string ts = f::text(ev, "timestamp");
        if (a.published.empty() || ts < a.published) a.published = ts;
        // Later in the list wins a tie: the list is append-only.
        if (!latest || ts >= latest_time) {
          latest = &ev;
          latest_time = ts;
        }
      }
      if (!latest) throw f::RecordError("advisory without events");
      a.modified = latest_time;
      const std::string type = f::text(*latest, "type");
      const auto meaning = meaning_of(type);
      if (!meaning.known)
        log.warn(id, "unknown-event", fmt::format("unknown event type \"{}\"; taken as affected", type));
      af.state = meaning.state;
      const auto& data = f::object(*latest, "data");
      if (af.state == VendorState::fixed) {
        const std::string fixed = f::text(data, "fixed-version");
        if (fixed.empty()) throw f::RecordError("\"fixed\" event without data.fixed-version");
        af.ranges.push_back({RangeType::ecosystem, {}, {{EventKind::introduced, "0"}, {EventKind::fixed, fixed}}});
      } else {
        const std::string kind = f::text(data, "type");
        const std::string note = f::text(data, "note");
        af.note = kind.empty() ? note : note.empty() ? kind : kind + ": " + note;
        if (af.note.size() > 500) af.note = af.note.substr(0, 497) + "...";
      }
      a.affected.push_back(std::move(af));
      out.push_back(std::move(a));
      log.count("records");
    } catch (const std::exception& e) {
      log.reject(id, e.what());
    }
  }
  return out;
}

}  // namespace bulwark::vuln::db
