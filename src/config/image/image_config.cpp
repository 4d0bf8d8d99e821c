#include "config/image/image_config.hpp"

#include "config/checks.hpp"
#include "config/dockerfile/rules.hpp"
#include "util/json_depth.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <set>

namespace bulwark::config::image {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

const nlohmann::json* field(const nlohmann::json& obj, std::initializer_list<const char*> names) {
  if (!obj.is_object()) return nullptr;
  for (const char* n : names) {
    auto it = obj.find(n);
    if (it != obj.end() && !it->is_null()) return &*it;
  }
  return nullptr;
}

std::string list_paths(const std::vector<std::string>& paths, std::size_t max) {
  std::string out;
  for (std::size_t i = 0; i < paths.size() && i < max; ++i) {
    if (i) out += ", ";
    out += paths[i];
  }
  if (paths.size() > max) out += fmt::format(" and {} more", paths.size() - max);
  return out;
}

bool known_secret_value(std::string_view v) {
  return (v.starts_with("AKIA") && v.size() == 20) || v.starts_with("ghp_") || v.starts_with("github_pat_") ||
         v.starts_with("glpat-") || v.starts_with("xoxb-") || v.starts_with("xoxp-") || v.starts_with("sk_live_") ||
         v.starts_with("-----BEGIN");
}

bool placeholder(std::string_view v) {
  return v.empty() || v.starts_with('$') || v.starts_with('/') || v == "changeme" || v == "none";
}

// `NAME=value` words of a history entry (RUN |2 A=b C=d /bin/sh -c …, ENV A=b, ARG A=b).
std::vector<std::pair<std::string, std::string>> assignments_in(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    const std::size_t start = i;
    while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    const std::string_view w = text.substr(start, i - start);
    const auto eq = w.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    const std::string_view name = w.substr(0, eq);
    if (!std::all_of(name.begin(), name.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'; })) {
      continue;
    }
    std::string value(w.substr(eq + 1));
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') && value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    }
    out.emplace_back(std::string(name), value);
  }
  return out;
}

}  // namespace

std::vector<core::Finding> check_image_config(const nlohmann::json& doc, const core::Target& target,
                                              const std::optional<FileFacts>& facts, const ImageCheckOptions& options) {
  std::vector<core::Finding> out;
  std::set<std::string> fired;
  const nlohmann::json empty = nlohmann::json::object();
  const nlohmann::json* cfg_ptr = field(doc, {"config", "Config"});
  const nlohmann::json& cfg = cfg_ptr && cfg_ptr->is_object() ? *cfg_ptr : empty;
  auto emit = [&](const char* id, std::string evidence, std::string location_path = {}) {
    fired.insert(id);
    out.push_back(make_finding(builtin_check(id), target, core::Location{std::move(location_path), 0, 0, {}},
                               std::move(evidence)));
  };
  auto str = [](const nlohmann::json* j) { return j && j->is_string() ? j->get<std::string>() : std::string(); };

  // BW-IMG-001: user
  const std::string user = str(field(cfg, {"User"}));
  const std::string uname = lower(user.substr(0, user.find(':')));
  if (uname.empty() || uname == "root" || uname == "0") {
    emit("BW-IMG-001", user.empty() ? "config.User is empty: the image runs as root" : "config.User is " + user);
  }

  // BW-IMG-004: healthcheck
  const nlohmann::json* hc = field(cfg, {"Healthcheck"});
  bool has_health = false;
  if (hc && hc->is_object()) {
    const nlohmann::json* test = field(*hc, {"Test"});
    has_health = test && test->is_array() && !test->empty() &&
                 !(test->size() == 1 && (*test)[0].is_string() && (*test)[0].get<std::string>() == "NONE");
    // HEALTHCHECK NONE is a stated choice: not a finding.
    if (test && test->is_array() && !test->empty() && (*test)[0] == "NONE") has_health = true;
  }
  if (!has_health) emit("BW-IMG-004", "config.Healthcheck is not set");

  // BW-IMG-005/013: exposed ports
  if (const nlohmann::json* ports = field(cfg, {"ExposedPorts"}); ports && ports->is_object()) {
    std::vector<std::string> privileged;
    for (const auto& [key, _] : ports->items()) {
      const std::string num = key.substr(0, key.find('/'));
      if (num.empty() || num.size() > 5 ||
          !std::all_of(num.begin(), num.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
        continue;
      }
      const int p = std::stoi(num);
      if (p == 22) emit("BW-IMG-013", "exposes " + key);
      if (p < 1024) privileged.push_back(key);
    }
    if (!privileged.empty()) emit("BW-IMG-005", "exposes privileged port(s) " + list_paths(privileged, 10));
  }

  // BW-IMG-006: secrets in Env
  if (const nlohmann::json* env = field(cfg, {"Env"}); env && env->is_array()) {
    for (const auto& e : *env) {
      if (!e.is_string()) continue;
      const std::string kv = e.get<std::string>();
      const auto eq = kv.find('=');
      const std::string name = kv.substr(0, eq);
      const std::string value = eq == std::string::npos ? "" : kv.substr(eq + 1);
      if ((dockerfile::is_secret_name(name) && !placeholder(value)) || known_secret_value(value)) {
        emit("BW-IMG-006", "config.Env " + name + "=<redacted>");
      }
    }
  }

  // BW-IMG-010: provenance labels
  {
    const nlohmann::json* labels = field(cfg, {"Labels"});
    std::vector<std::string> missing;
    for (const char* key :
         {"org.opencontainers.image.source", "org.opencontainers.image.revision", "org.opencontainers.image.created"}) {
      if (!(labels && labels->is_object() && labels->contains(key))) missing.push_back(key);
    }
    if (!missing.empty()) emit("BW-IMG-010", "missing labels: " + list_paths(missing, 10));
  }

  // History: secrets (BW-IMG-007) and ADD (BW-IMG-011)
  if (const nlohmann::json* history = field(doc, {"history", "History"}); history && history->is_array()) {
    int index = 0;
    for (const auto& h : *history) {
      const std::string created_by = str(field(h, {"created_by", "CreatedBy"}));
      const std::string where = fmt::format("history[{}]", index++);
      if (created_by.empty()) continue;
      for (const auto& [name, value] : assignments_in(created_by)) {
        if ((dockerfile::is_secret_name(name) && !placeholder(value)) || known_secret_value(value)) {
          emit("BW-IMG-007", fmt::format("{}: {}=<redacted>", where, name), where);
          break;
        }
      }
      std::string_view cb = created_by;
      const auto nop = cb.find("#(nop)");
      if (nop != std::string_view::npos) cb = cb.substr(nop + 6);
      while (!cb.empty() && cb.front() == ' ') cb.remove_prefix(1);
      if (cb.starts_with("ADD ")) emit("BW-IMG-011", fmt::format("{}: {}", where, created_by.substr(0, 160)), where);
    }
  }

  if (facts) {
    if (!facts->setuid.empty() || !facts->setgid.empty()) {
      std::vector<std::string> all = facts->setuid;
      all.insert(all.end(), facts->setgid.begin(), facts->setgid.end());
      emit("BW-IMG-002",
           fmt::format("{} setuid/setgid file(s): {}", all.size(), list_paths(all, options.max_paths_in_evidence)));
    }
    if (!facts->world_writable.empty()) {
      emit("BW-IMG-003", fmt::format("{} world-writable path(s): {}", facts->world_writable.size(),
                                     list_paths(facts->world_writable, options.max_paths_in_evidence)));
    }
    if (!facts->package_managers.empty()) {
      emit("BW-IMG-008", "package managers: " + list_paths(facts->package_managers, options.max_paths_in_evidence));
    }
    if (!facts->shells.empty())
      emit("BW-IMG-009", "shells: " + list_paths(facts->shells, options.max_paths_in_evidence));
  }

  if (options.include_passed) {
    for (const auto& def : CheckCatalog::builtin().all()) {
      if (!def.id.starts_with("BW-IMG-") || fired.contains(def.id)) continue;
      const bool needs_facts =
          def.id == "BW-IMG-002" || def.id == "BW-IMG-003" || def.id == "BW-IMG-008" || def.id == "BW-IMG-009";
      if (needs_facts && !facts) continue;
      core::Finding f = make_finding(def, target, core::Location{}, "");
      f.status = core::FindingStatus::pass;
      out.push_back(std::move(f));
    }
  }
  return out;
}

Result<std::vector<core::Finding>> check_image_config_text(std::string_view json, const core::Target& target,
                                                           const std::optional<FileFacts>& facts,
                                                           const ImageCheckOptions& options) {
  if (json.size() > (16u << 20)) return fail(ErrorCode::limit, "image config larger than 16 MiB", target.name);
  if (util::json_depth(json, 64) > 64) return fail(ErrorCode::limit, "image config nested deeper than 64", target.name);
  nlohmann::json doc = nlohmann::json::parse(json, nullptr, false);
  if (doc.is_discarded()) return fail(ErrorCode::parse, "image config is not valid JSON", target.name);
  // `docker image inspect` prints a list with one entry per image.
  if (doc.is_array() && !doc.empty()) doc = doc[0];
  if (!doc.is_object()) return fail(ErrorCode::parse, "image config is not a JSON object", target.name);
  return check_image_config(doc, target, facts, options);
}

}  // namespace bulwark::config::image
