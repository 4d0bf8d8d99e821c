// §2 daemon configuration, 5.1 swarm mode, §6 sprawl and §7 swarm.
#include <fmt/format.h>

#include "host/catalogue.hpp"
#include "host/checks.hpp"
#include "util/strings.hpp"

namespace bulwark::host {

using core::FindingStatus;

namespace {

std::string json_text(const nlohmann::json& v) {
  return redact(v.is_string() ? v.get<std::string>() : v.dump());
}

// "from /etc/docker/daemon.json" / "from dockerd --icc=false"
std::string from(const Setting& s) {
  return s.source.starts_with("dockerd") ? fmt::format("({})", s.source) : fmt::format("(in {})", s.source);
}

bool truthy(const nlohmann::json& v) {
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_string()) return v.get<std::string>() == "true";
  return false;
}

std::string info_string(const DaemonFacts& d, const char* key) {
  if (!d.has_info()) return {};
  auto it = d.info.find(key);
  return it != d.info.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::optional<bool> info_bool(const DaemonFacts& d, const char* key) {
  if (!d.has_info()) return std::nullopt;
  auto it = d.info.find(key);
  if (it == d.info.end() || !it->is_boolean()) return std::nullopt;
  return it->get<bool>();
}

std::string unknown_reason(const DaemonFacts& d) {
  if (d.config_error) return fmt::format("{} could not be read: {}", d.config_error->context, d.config_error->message);
  return "the daemon configuration is unknown";
}

bool swarm_active(const DaemonFacts& d) {
  if (!d.has_info()) return false;
  auto it = d.info.find("Swarm");
  if (it == d.info.end() || !it->is_object()) return false;
  return it->value("LocalNodeState", "") == "active";
}

}  // namespace

void check_daemon(const DaemonFacts& d, const core::Target& target, std::vector<core::Finding>& out) {
  Findings f(out);
  const bool known = d.has_info() || d.config_present || d.cmdline_known || d.installed;

  // A boolean setting: pass when it has the wanted value (or the default does).
  auto boolean = [&](const char* id, const char* key, bool want, bool default_value, std::string_view what) {
    auto s = d.lookup(key);
    if (s.state == Setting::State::unknown) {
      f.add(id, target, FindingStatus::skipped, unknown_reason(d));
      return;
    }
    bool value = s.is_set() ? truthy(s.value) : default_value;
    std::string evidence = s.is_set() ? fmt::format("{} is {} {}", what, value ? "on" : "off", from(s))
                                      : fmt::format("{} is {} (the default; not set)", what, value ? "on" : "off");
    f.add(id, target, value == want ? FindingStatus::pass : FindingStatus::fail, evidence);
  };

  if (!known) {
    for (const auto& c : catalogue()) {
      if (c.section == Section::daemon) {
        f.add(c.id, target, FindingStatus::skipped,
              "Docker is not installed here (no daemon.json, dockerd, docker.service or API)");
      }
    }
    return;
  }

  // 2.1 rootless.
  if (d.security_option("rootless")) {
    f.add("BLWK-CIS-2.1", target, FindingStatus::pass, "the daemon runs rootless");
  } else {
    f.add("BLWK-CIS-2.1", target, FindingStatus::manual,
          d.has_info() ? "the daemon runs as root; consider rootless mode"
                       : "could not ask the daemon whether it is rootless");
  }

  // 2.2 icc: the bridge network's option is what the daemon applied.
  if (d.bridge.is_object() && d.bridge.contains("Options") && d.bridge["Options"].is_object() &&
      d.bridge["Options"].contains("com.docker.network.bridge.enable_icc")) {
    auto v = json_text(d.bridge["Options"]["com.docker.network.bridge.enable_icc"]);
    f.add("BLWK-CIS-2.2", target, v == "false" ? FindingStatus::pass : FindingStatus::fail,
          fmt::format("the default bridge network has enable_icc={}", v));
  } else {
    boolean("BLWK-CIS-2.2", "icc", false, true, "inter-container communication");
  }

  // 2.3 log level.
  {
    auto s = d.lookup("log-level");
    auto debug = d.lookup("debug");
    if (s.state == Setting::State::unknown) {
      f.add("BLWK-CIS-2.3", target, FindingStatus::skipped, unknown_reason(d));
    } else if (debug.is_set() && truthy(debug.value)) {
      f.add("BLWK-CIS-2.3", target, FindingStatus::fail, fmt::format("debug logging is on {}", from(debug)));
    } else if (!s.is_set()) {
      f.add("BLWK-CIS-2.3", target, FindingStatus::pass, "log-level is not set (the default, info)");
    } else {
      auto level = json_text(s.value);
      f.add("BLWK-CIS-2.3", target, level == "info" ? FindingStatus::pass : FindingStatus::fail,
            fmt::format("log-level is {} {}", level, from(s)));
    }
  }

  boolean("BLWK-CIS-2.4", "iptables", true, true, "iptables management");

  // 2.5 insecure registries (127.0.0.0/8 is the engine's built-in default and not counted).
  {
    auto regs = d.lookup_all("insecure-registries");
    auto s = d.lookup("insecure-registries");
    std::vector<std::string> extra;
    if (d.has_info() && d.info.contains("RegistryConfig") && d.info["RegistryConfig"].is_object()) {
      const auto& rc = d.info["RegistryConfig"];
      if (rc.contains("InsecureRegistryCIDRs") && rc["InsecureRegistryCIDRs"].is_array()) {
        for (const auto& c : rc["InsecureRegistryCIDRs"]) {
          if (c.is_string() && c.get<std::string>() != "127.0.0.0/8") extra.push_back(c.get<std::string>());
        }
      }
      if (rc.contains("IndexConfigs") && rc["IndexConfigs"].is_object()) {
        for (const auto& [name, cfg] : rc["IndexConfigs"].items()) {
          if (cfg.is_object() && cfg.value("Secure", true) == false) extra.push_back(name);
        }
      }
    }
    for (const auto& r : regs) {
      if (std::find(extra.begin(), extra.end(), r) == extra.end()) extra.push_back(r);
    }
    for (auto& e : extra) e = redact(e);
    if (!extra.empty()) {
      f.add("BLWK-CIS-2.5", target, FindingStatus::fail, "insecure registries: " + util::join(extra, ", "));
    } else if (s.state == Setting::State::unknown && !d.has_info()) {
      f.add("BLWK-CIS-2.5", target, FindingStatus::skipped, unknown_reason(d));
    } else {
      f.add("BLWK-CIS-2.5", target, FindingStatus::pass, "no insecure registries besides the built-in 127.0.0.0/8");
    }
  }

  // 2.6 storage driver.
  {
    std::string driver = info_string(d, "Driver");
    std::string source = "/info";
    if (driver.empty()) {
      auto s = d.lookup("storage-driver");
      if (s.is_set()) {
        driver = json_text(s.value);
        source = s.source;
      }
    }
    if (driver.empty()) {
      f.add("BLWK-CIS-2.6", target, FindingStatus::pass, "storage-driver is not set (the engine picks overlay2)");
    } else {
      f.add("BLWK-CIS-2.6", target, driver == "aufs" ? FindingStatus::fail : FindingStatus::pass,
            fmt::format("storage driver {} ({})", driver, source));
    }
  }

  // 2.7 TLS on TCP sockets.
  {
    auto hosts = d.lookup_all("hosts");
    std::vector<std::string> tcp;
    for (const auto& h : hosts) {
      if (h.starts_with("tcp://")) tcp.push_back(redact(h));
    }
    if (d.docker_host.starts_with("tcp://") && std::find(tcp.begin(), tcp.end(), d.docker_host) == tcp.end()) {
      tcp.push_back(d.docker_host);
    }
    if (tcp.empty()) {
      if (d.lookup("hosts").state == Setting::State::unknown) {
        f.add("BLWK-CIS-2.7", target, FindingStatus::skipped, unknown_reason(d));
      } else {
        f.add("BLWK-CIS-2.7", target, FindingStatus::pass, "the daemon listens on no TCP socket");
      }
    } else {
      auto verify = d.lookup("tlsverify");
      bool ok = verify.is_set() && truthy(verify.value) && d.lookup("tlscacert").is_set() &&
                d.lookup("tlscert").is_set() && d.lookup("tlskey").is_set();
      f.add("BLWK-CIS-2.7", target, ok ? FindingStatus::pass : FindingStatus::fail,
            fmt::format("TCP sockets {}: tlsverify {}, tlscacert {}, tlscert {}, tlskey {}", util::join(tcp, ", "),
                        verify.is_set() && truthy(verify.value) ? "on" : "off",
                        d.lookup("tlscacert").is_set() ? "set" : "unset",
                        d.lookup("tlscert").is_set() ? "set" : "unset", d.lookup("tlskey").is_set() ? "set" : "unset"));
    }
  }

  // 2.8 default ulimits.
  {
    auto s = d.lookup("default-ulimits");
    if (s.is_set()) {
      f.add("BLWK-CIS-2.8", target, FindingStatus::pass,
            fmt::format("default-ulimits {} {}", json_text(s.value), from(s)));
    } else {
      f.add("BLWK-CIS-2.8", target, FindingStatus::manual,
            "default-ulimits is not set; confirm the inherited limits suit");
    }
  }

  // 2.9 user namespaces.
  if (d.security_option("userns")) {
    f.add("BLWK-CIS-2.9", target, FindingStatus::pass, "the daemon reports name=userns");
  } else {
    auto s = d.lookup("userns-remap");
    if (s.is_set() && !json_text(s.value).empty()) {
      f.add("BLWK-CIS-2.9", target, FindingStatus::pass,
            fmt::format("userns-remap {} {}", json_text(s.value), from(s)));
    } else if (s.state == Setting::State::unknown && !d.has_info()) {
      f.add("BLWK-CIS-2.9", target, FindingStatus::skipped, unknown_reason(d));
    } else {
      f.add("BLWK-CIS-2.9", target, FindingStatus::fail,
            "userns-remap is not set: root in a container is root on the host");
    }
  }

  // 2.10 cgroup parent.
  {
    auto s = d.lookup("cgroup-parent");
    if (s.state == Setting::State::unknown) {
      f.add("BLWK-CIS-2.10", target, FindingStatus::skipped, unknown_reason(d));
    } else if (s.is_set()) {
      f.add("BLWK-CIS-2.10", target, FindingStatus::warn,
            fmt::format("cgroup-parent is {} {}: confirm it is intended", json_text(s.value), from(s)));
    } else {
      f.add("BLWK-CIS-2.10", target, FindingStatus::pass, "cgroup-parent is not set (the default)");
    }
  }

  // 2.11 base device size.
  {
    auto opts = d.lookup_all("storage-opts");
    std::string found;
    for (const auto& o : opts) {
      if (o.find("dm.basesize") != std::string::npos) found = o;
    }
    if (!found.empty()) {
      f.add("BLWK-CIS-2.11", target, FindingStatus::fail, fmt::format("storage option {}", found));
    } else if (d.lookup("storage-opts").state == Setting::State::unknown) {
      f.add("BLWK-CIS-2.11", target, FindingStatus::skipped, unknown_reason(d));
    } else {
      f.add("BLWK-CIS-2.11", target, FindingStatus::pass, "dm.basesize is not set");
    }
  }

  // 2.12 authorization plugins.
  {
    auto plugins = d.lookup_all("authorization-plugins");
    if (d.has_info() && d.info.contains("Plugins") && d.info["Plugins"].is_object() &&
        d.info["Plugins"].contains("Authorization") && d.info["Plugins"]["Authorization"].is_array()) {
      for (const auto& p : d.info["Plugins"]["Authorization"]) {
        if (p.is_string() && std::find(plugins.begin(), plugins.end(), p.get<std::string>()) == plugins.end()) {
          plugins.push_back(p.get<std::string>());
        }
      }
    }
    if (!plugins.empty()) {
      f.add("BLWK-CIS-2.12", target, FindingStatus::pass, "authorization plugins: " + util::join(plugins, ", "));
    } else if (d.lookup("authorization-plugins").state == Setting::State::unknown && !d.has_info()) {
      f.add("BLWK-CIS-2.12", target, FindingStatus::skipped, unknown_reason(d));
    } else {
      f.add("BLWK-CIS-2.12", target, FindingStatus::fail, "no authorization plugin: every socket user may do anything");
    }
  }

  // 2.13 centralised logging.
  {
    std::string driver = info_string(d, "LoggingDriver");
    std::string source = "/info";
    if (driver.empty()) {
      auto s = d.lookup("log-driver");
      if (s.state == Setting::State::unknown) {
        f.add("BLWK-CIS-2.13", target, FindingStatus::skipped, unknown_reason(d));
        driver = "?";
      } else {
        driver = s.is_set() ? json_text(s.value) : "json-file";
        source = s.is_set() ? s.source : "the default";
      }
    }
    if (driver != "?") {
      bool local = driver == "json-file" || driver == "local" || driver == "none";
      f.add("BLWK-CIS-2.13", target, local ? FindingStatus::fail : FindingStatus::pass,
            fmt::format("log driver {} ({}){}", driver, source, local ? ": logs stay on this host" : ""));
    }
  }

  boolean("BLWK-CIS-2.14", "no-new-privileges", true, false, "no-new-privileges by default");

  // 2.15 live restore (not with swarm).
  if (swarm_active(d)) {
    f.add("BLWK-CIS-2.15", target, FindingStatus::skipped, "swarm mode is active; live restore does not apply");
  } else if (auto v = info_bool(d, "LiveRestoreEnabled")) {
    f.add("BLWK-CIS-2.15", target, *v ? FindingStatus::pass : FindingStatus::fail,
          fmt::format("live restore is {} (/info)", *v ? "on" : "off"));
  } else {
    boolean("BLWK-CIS-2.15", "live-restore", true, false, "live restore");
  }

  boolean("BLWK-CIS-2.16", "userland-proxy", false, true, "the userland proxy");

  // 2.17 seccomp profile.
  {
    auto opt = d.security_option("seccomp");
    auto s = d.lookup("seccomp-profile");
    std::string profile = s.is_set() ? json_text(s.value) : std::string();
    if (opt) {
      auto pos = opt->find("profile=");
      if (pos != std::string::npos) profile = opt->substr(pos + 8);
    }
    if (profile == "unconfined") {
      f.add("BLWK-CIS-2.17", target, FindingStatus::fail, "the daemon-wide seccomp profile is unconfined");
    } else if (d.has_info() && !opt) {
      f.add("BLWK-CIS-2.17", target, FindingStatus::fail, "the daemon reports no seccomp support");
    } else {
      f.add("BLWK-CIS-2.17", target, FindingStatus::manual,
            fmt::format("seccomp profile: {}", profile.empty() ? "default" : profile));
    }
  }

  // 2.18 experimental.
  if (auto v = info_bool(d, "ExperimentalBuild")) {
    f.add("BLWK-CIS-2.18", target, *v ? FindingStatus::fail : FindingStatus::pass,
          fmt::format("experimental features are {} (/info)", *v ? "on" : "off"));
  } else {
    boolean("BLWK-CIS-2.18", "experimental", false, false, "experimental features");
  }

  // 5.1 swarm mode.
  if (d.has_info()) {
    bool active = swarm_active(d);
    f.add("BLWK-CIS-5.1", target, active ? FindingStatus::warn : FindingStatus::pass,
          active ? "swarm mode is active: confirm this host needs it" : "swarm mode is inactive");
  }

  // §7 swarm, only on an active swarm.
  if (!swarm_active(d)) {
    if (d.has_info()) {
      for (const auto& c : catalogue()) {
        if (c.section == Section::swarm) f.add(c.id, target, FindingStatus::skipped, "swarm mode is not active");
      }
    }
    return;
  }
  const auto& sw = d.info["Swarm"];
  bool manager = sw.value("ControlAvailable", false);
  int managers = sw.value("Managers", 0);
  if (!manager) {
    for (const auto& c : catalogue()) {
      if (c.section == Section::swarm) {
        f.add(c.id, target, FindingStatus::skipped, "this node is a swarm worker; audit a manager");
      }
    }
    return;
  }
  bool odd_and_small = managers >= 1 && managers % 2 == 1 && managers <= 7;
  f.add("BLWK-CIS-7.1", target, odd_and_small ? FindingStatus::pass : FindingStatus::fail,
        fmt::format("{} manager node(s)", managers));
  f.add("BLWK-CIS-7.2", target, FindingStatus::manual,
        fmt::format("swarm node address {}", sw.value("NodeAddr", std::string("unknown"))));
  f.add("BLWK-CIS-7.3", target, FindingStatus::manual, "check that overlay networks are created with --opt encrypted");
  f.add("BLWK-CIS-7.4", target, FindingStatus::manual, "check that services take secrets from docker secret");
  bool autolock = false;
  std::string expiry;
  if (d.swarm.is_object() && d.swarm.contains("Spec") && d.swarm["Spec"].is_object()) {
    const auto& spec = d.swarm["Spec"];
    if (spec.contains("EncryptionConfig") && spec["EncryptionConfig"].is_object()) {
      autolock = spec["EncryptionConfig"].value("AutoLockManagers", false);
    }
    if (spec.contains("CAConfig") && spec["CAConfig"].is_object() && spec["CAConfig"].contains("NodeCertExpiry") &&
        spec["CAConfig"]["NodeCertExpiry"].is_number()) {
      auto ns = spec["CAConfig"]["NodeCertExpiry"].get<double>();
      expiry = fmt::format("{:.0f} hours", ns / 3.6e12);
    }
  }
  f.add("BLWK-CIS-7.5", target, autolock ? FindingStatus::pass : FindingStatus::fail,
        autolock ? "manager auto-lock is on" : "manager auto-lock is off");
  f.add("BLWK-CIS-7.6", target, FindingStatus::manual, "rotate the unlock key periodically");
  f.add("BLWK-CIS-7.7", target, expiry.empty() ? FindingStatus::manual : FindingStatus::pass,
        expiry.empty() ? "node certificate expiry unknown" : "node certificates expire after " + expiry);
  f.add("BLWK-CIS-7.8", target, FindingStatus::manual, "rotate the swarm CA periodically");
  f.add("BLWK-CIS-7.9", target, FindingStatus::manual, "check --data-path-addr separates the data plane");
}

void check_operations(const nlohmann::json& images, const nlohmann::json& all_containers, const core::Target& target,
                      std::vector<core::Finding>& out) {
  Findings f(out);
  if (!images.is_array() || !all_containers.is_array()) return;
  std::vector<std::string> used;
  std::size_t running = 0;
  for (const auto& c : all_containers) {
    if (!c.is_object()) continue;
    if (c.value("State", "") == "running") ++running;
    auto id = c.value("ImageID", std::string());
    if (!id.empty() && std::find(used.begin(), used.end(), id) == used.end()) used.push_back(id);
  }
  std::size_t unused = 0;
  for (const auto& i : images) {
    if (i.is_object() && std::find(used.begin(), used.end(), i.value("Id", std::string())) == used.end()) ++unused;
  }
  f.add("BLWK-CIS-6.1", target, FindingStatus::info,
        fmt::format("{} images, {} in use by a container, {} unused", images.size(), images.size() - unused, unused));
  f.add("BLWK-CIS-6.2", target, FindingStatus::info,
        fmt::format("{} containers, {} running, {} not running", all_containers.size(), running,
                    all_containers.size() - running));
}

}  // namespace bulwark::host
