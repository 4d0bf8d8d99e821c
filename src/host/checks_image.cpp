// §4 container images, from the Engine API's image inspect and history.
#include <regex>

#include <fmt/format.h>

#include "host/catalogue.hpp"
#include "host/checks.hpp"
#include "host/daemon_config.hpp"
#include "util/strings.hpp"

namespace bulwark::host {

using core::FindingStatus;

namespace {

const std::regex& secret_name() {
  static const std::regex re(
      R"((^|_)(PASSWORD|PASSWD|PASS|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIALS?|AUTH)($|_))",
      std::regex::icase);
  return re;
}

// NAME=value pairs at the start of a history entry ("|2 A=b C=d /bin/sh -c ...") and in ENV lines.
std::vector<std::string> secret_assignments(std::string_view text) {
  std::vector<std::string> names;
  static const std::regex assign(R"(([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|'[^']*'|[^\s]*))");
  std::string s(text);
  for (auto it = std::sregex_iterator(s.begin(), s.end(), assign); it != std::sregex_iterator(); ++it) {
    std::string name = (*it)[1].str();
    std::string value = (*it)[2].str();
    if (value.empty() || value == "\"\"" || value == "''") continue;
    if (std::regex_search(name, secret_name()) && std::find(names.begin(), names.end(), name) == names.end()) {
      names.push_back(name);
    }
  }
  return names;
}

std::string short_id(std::string_view id) {
  if (id.starts_with("sha256:")) id.remove_prefix(7);
  return std::string(id.substr(0, 12));
}

}  // namespace

core::Target image_target(const nlohmann::json& inspect) {
  core::Target t;
  t.kind = core::TargetKind::image;
  t.id = inspect.value("Id", std::string());
  if (inspect.contains("RepoTags") && inspect["RepoTags"].is_array() && !inspect["RepoTags"].empty() &&
      inspect["RepoTags"][0].is_string()) {
    t.name = inspect["RepoTags"][0].get<std::string>();
  } else {
    t.name = short_id(t.id);
  }
  return t;
}

void check_image(const nlohmann::json& inspect, const nlohmann::json& history, const ImageFiles& files,
                 const core::Target& target, std::vector<core::Finding>& out) {
  Findings f(out);
  const nlohmann::json empty = nlohmann::json::object();
  const auto& config = inspect.contains("Config") && inspect["Config"].is_object() ? inspect["Config"] : empty;

  // 4.1 user.
  {
    std::string user = config.value("User", std::string());
    std::string name = user.substr(0, user.find(':'));
    bool root = name.empty() || name == "root" || name == "0";
    f.add("BLWK-CIS-4.1", target, root ? FindingStatus::fail : FindingStatus::pass,
          user.empty() ? "no USER: the image runs as root" : fmt::format("USER {}", user));
  }

  f.add("BLWK-CIS-4.2", target, FindingStatus::manual, "confirm the base image comes from a trusted source");
  f.add("BLWK-CIS-4.3", target, FindingStatus::manual, "review the installed packages (bulwark sbom)");
  f.add("BLWK-CIS-4.4", target, FindingStatus::manual, "scan the image and rebuild it on fixes");

  // 4.6 healthcheck.
  {
    bool has = false;
    std::string test;
    if (config.contains("Healthcheck") && config["Healthcheck"].is_object()) {
      const auto& hc = config["Healthcheck"];
      if (hc.contains("Test") && hc["Test"].is_array() && !hc["Test"].empty()) {
        std::vector<std::string> parts;
        for (const auto& p : hc["Test"]) {
          if (p.is_string()) parts.push_back(p.get<std::string>());
        }
        has = !parts.empty() && parts[0] != "NONE";
        test = util::join(parts, " ");
      }
    }
    f.add("BLWK-CIS-4.6", target, has ? FindingStatus::pass : FindingStatus::fail,
          has ? fmt::format("HEALTHCHECK {}", util::printable(test)) : "no HEALTHCHECK");
  }

  // 4.7, 4.9, 4.10 from history (newest first; the last entry is the base).
  std::vector<std::string> lone_updates;
  std::vector<std::string> adds;
  std::vector<std::string> history_secrets;
  if (history.is_array()) {
    for (std::size_t i = 0; i < history.size(); ++i) {
      const auto& h = history[i];
      if (!h.is_object()) continue;
      std::string created = h.value("CreatedBy", std::string());
      std::string lower = util::to_lower(created);
      bool update = lower.find("apt-get update") != std::string::npos ||
                    lower.find("apt update") != std::string::npos || lower.find("apk update") != std::string::npos ||
                    lower.find("yum makecache") != std::string::npos;
      bool install = lower.find("install") != std::string::npos || lower.find("upgrade") != std::string::npos ||
                     lower.find("apk add") != std::string::npos;
      if (update && !install) lone_updates.push_back(util::printable(redact(created.substr(0, 120))));
      // The base image's root filesystem: the oldest entry, or "ADD file:<hash> in / ".
      auto trimmed = util::trim(lower);
      bool is_base =
          i + 1 == history.size() || (lower.find(" add file:") != std::string::npos && trimmed.ends_with(" in /"));
      auto add_pos = created.find("#(nop) ADD ");
      bool buildkit_add = created.starts_with("ADD ");
      if ((add_pos != std::string::npos || buildkit_add) && !is_base) {
        adds.push_back(util::printable(redact(created.substr(0, 120))));
      }
      for (auto& name : secret_assignments(created)) {
        if (std::find(history_secrets.begin(), history_secrets.end(), name) == history_secrets.end()) {
          history_secrets.push_back(name);
        }
      }
    }
    f.add("BLWK-CIS-4.7", target, lone_updates.empty() ? FindingStatus::pass : FindingStatus::fail,
          lone_updates.empty() ? "no update instruction without an install"
                               : "update without install: " + util::join(lone_updates, " | "));
    f.add("BLWK-CIS-4.9", target, adds.empty() ? FindingStatus::pass : FindingStatus::fail,
          adds.empty() ? "no ADD instruction (beyond the base image's root filesystem)"
                       : "ADD used: " + util::join(adds, " | "));
  } else {
    f.add("BLWK-CIS-4.7", target, FindingStatus::skipped, "the image history could not be read");
    f.add("BLWK-CIS-4.9", target, FindingStatus::skipped, "the image history could not be read");
  }

  // 4.8 setuid/setgid files (only when the image's files were read).
  if (files.examined) {
    if (files.setuid.empty()) {
      f.add("BLWK-CIS-4.8", target, FindingStatus::pass, "no setuid or setgid files");
    } else {
      std::vector<std::string> shown(
          files.setuid.begin(),
          files.setuid.begin() + static_cast<long>(std::min<std::size_t>(files.setuid.size(), 10)));
      f.add("BLWK-CIS-4.8", target, FindingStatus::warn,
            fmt::format("{} setuid/setgid files: {}{}", files.setuid.size(), util::join(shown, ", "),
                        files.setuid.size() > shown.size() ? ", ..." : ""));
    }
  } else {
    f.add("BLWK-CIS-4.8", target, FindingStatus::manual,
          files.error.empty() ? "image files not read (use --image-files)" : "image files not read: " + files.error);
  }

  // 4.10 secrets in ENV (names only: values are never reported).
  {
    std::vector<std::string> names;
    if (config.contains("Env") && config["Env"].is_array()) {
      for (const auto& e : config["Env"]) {
        if (!e.is_string()) continue;
        auto s = e.get<std::string>();
        auto eq = s.find('=');
        if (eq == std::string::npos || eq + 1 == s.size()) continue;
        std::string name = s.substr(0, eq);
        if (std::regex_search(name, secret_name())) names.push_back("ENV " + name);
      }
    }
    for (const auto& n : history_secrets) {
      std::string entry = "history " + n;
      if (std::find(names.begin(), names.end(), "ENV " + n) == names.end()) names.push_back(entry);
    }
    f.add("BLWK-CIS-4.10", target, names.empty() ? FindingStatus::pass : FindingStatus::fail,
          names.empty() ? "no secret-like names in ENV or the build history"
                        : "secret-like values (not shown): " + util::join(names, ", "));
  }
  f.add("BLWK-CIS-4.11", target, FindingStatus::manual, "check that package installs verify signatures");
  f.add("BLWK-CIS-4.12", target, FindingStatus::manual, "check that image signatures are verified before use");
}

}  // namespace bulwark::host
