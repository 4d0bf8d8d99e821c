#include "config/compose/settings.hpp"

#include "config/dockerfile/rules.hpp"
#include "config/yaml.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace bulwark::config::compose {

namespace {

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}
std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::optional<std::string> scalar(const YAML::Node& n) {
  if (!n || !n.IsScalar()) return std::nullopt;
  return n.Scalar();
}

std::optional<bool> boolean(const YAML::Node& n) {
  auto s = scalar(n);
  if (!s) return std::nullopt;
  const std::string l = lower(*s);
  if (l == "true" || l == "yes" || l == "on" || l == "1") return true;
  if (l == "false" || l == "no" || l == "off" || l == "0") return false;
  return std::nullopt;
}

YAML::Node child(const YAML::Node& n, const char* key) {
  if (!n || !n.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  for (const auto& kv : n) {
    if (kv.first.IsScalar() && kv.first.Scalar() == key) return kv.second;
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

std::vector<std::string> string_list(const YAML::Node& n) {
  std::vector<std::string> out;
  if (!n) return out;
  if (n.IsScalar()) {
    out.push_back(n.Scalar());
  } else if (n.IsSequence()) {
    for (const auto& item : n) {
      if (item.IsScalar()) out.push_back(item.Scalar());
    }
  }
  return out;
}

std::string normalize_cap(std::string c) {
  c = upper(c);
  if (c.starts_with("CAP_")) c = c.substr(4);
  return c;
}

bool is_host_source(std::string_view src) {
  return src.starts_with('/') || src.starts_with("./") || src.starts_with("../") || src.starts_with('~') ||
         src == "." || src == ".." ||
         (src.size() > 2 && std::isalpha(static_cast<unsigned char>(src[0])) && src[1] == ':');
}

void map_volume(const YAML::Node& v, std::string_view path, RuntimeSettings& s) {
  RuntimeMount m;
  m.location = location_of(v, path);
  if (v.IsScalar()) {
    // short syntax: [SOURCE:]TARGET[:MODE]
    std::vector<std::string> parts;
    std::string cur;
    const std::string text = v.Scalar();
    for (std::size_t i = 0; i < text.size(); ++i) {
      // a Windows drive letter "C:\..." is not a separator
      if (text[i] == ':' && !(i == 1 && std::isalpha(static_cast<unsigned char>(text[0])) && i + 1 < text.size() &&
                              (text[i + 1] == '\\' || text[i + 1] == '/'))) {
        parts.push_back(cur);
        cur.clear();
      } else {
        cur.push_back(text[i]);
      }
    }
    parts.push_back(cur);
    if (parts.size() == 1) {
      m.target = parts[0];  // anonymous volume
    } else {
      m.source = parts[0];
      m.target = parts[1];
      if (parts.size() >= 3) {
        for (const auto& opt : std::vector<std::string>{parts.begin() + 2, parts.end()}) {
          std::size_t start = 0;
          while (start <= opt.size()) {
            auto comma = opt.find(',', start);
            if (comma == std::string::npos) comma = opt.size();
            const std::string o = lower(opt.substr(start, comma - start));
            if (o == "ro" || o == "readonly") m.read_only = true;
            if (o == "shared" || o == "rshared" || o == "slave" || o == "rslave") m.propagation = o;
            start = comma + 1;
          }
        }
      }
      m.host_path = is_host_source(m.source);
    }
  } else if (v.IsMap()) {
    const std::string type = lower(scalar(child(v, "type")).value_or("volume"));
    m.source = scalar(child(v, "source")).value_or("");
    m.target = scalar(child(v, "target")).value_or("");
    m.read_only = boolean(child(v, "read_only")).value_or(false);
    m.host_path = type == "bind" || (type != "volume" && is_host_source(m.source));
    if (auto bind = child(v, "bind"); bind) m.propagation = lower(scalar(child(bind, "propagation")).value_or(""));
    if (type == "tmpfs" || type == "npipe") m.host_path = type == "npipe";
  } else {
    return;
  }
  s.mounts.push_back(std::move(m));
}

void map_port(const YAML::Node& p, std::string_view path, RuntimeSettings& s, core::Diagnostics& diags) {
  PublishedPort port;
  port.location = location_of(p, path);
  if (p.IsScalar()) {
    std::string text = p.Scalar();
    const auto slash = text.find('/');
    if (slash != std::string::npos) {
      port.protocol = lower(text.substr(slash + 1));
      text = text.substr(0, slash);
    }
    // [HOST_IP:][HOST:]CONTAINER; an IPv6 host ip is in brackets
    std::string host_ip;
    if (text.starts_with('[')) {
      const auto close = text.find(']');
      if (close == std::string::npos) {
        diags.add({core::DiagnosticLevel::warning, "compose-port", std::string(path), port.location.line,
                   port.location.column, s.name, fmt::format("cannot read port \"{}\"", p.Scalar())});
        return;
      }
      host_ip = text.substr(1, close - 1);
      text = text.substr(close + 1);
      if (text.starts_with(':')) text.erase(0, 1);
    }
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (true) {
      const auto colon = text.find(':', start);
      parts.push_back(text.substr(start, colon == std::string::npos ? std::string::npos : colon - start));
      if (colon == std::string::npos) break;
      start = colon + 1;
    }
    if (parts.size() == 1) {
      // only a container port: not published on a fixed host port, but still on all interfaces
      port.container_port = parts[0];
    } else if (parts.size() == 2) {
      port.host_port = parts[0];
      port.container_port = parts[1];
    } else {
      host_ip = parts[0];
      port.host_port = parts[1];
      port.container_port = parts[2];
    }
    port.host_ip = host_ip;
  } else if (p.IsMap()) {
    port.container_port = scalar(child(p, "target")).value_or("");
    port.host_port = scalar(child(p, "published")).value_or("");
    port.host_ip = scalar(child(p, "host_ip")).value_or("");
    port.protocol = lower(scalar(child(p, "protocol")).value_or("tcp"));
  } else {
    return;
  }
  s.ports.push_back(std::move(port));
}

void map_security_opt(const std::string& opt, const core::Location& loc, RuntimeSettings& s) {
  // "seccomp:unconfined", "seccomp=unconfined", "apparmor=unconfined", "no-new-privileges[:true]", "label:disable"
  std::string key = opt;
  std::string value;
  const auto sep = opt.find_first_of(":=");
  if (sep != std::string::npos) {
    key = opt.substr(0, sep);
    value = opt.substr(sep + 1);
  }
  key = lower(key);
  if (key == "seccomp") {
    s.seccomp_profile = value;
    s.where["seccomp_profile"] = loc;
  } else if (key == "apparmor") {
    s.apparmor_profile = value;
    s.where["apparmor_profile"] = loc;
  } else if (key == "no-new-privileges") {
    s.no_new_privileges = value.empty() || lower(value) == "true";
    s.where["no_new_privileges"] = loc;
  } else if (key == "label" && lower(value) == "disable") {
    s.selinux_disabled = true;
    s.where["selinux_disabled"] = loc;
  }
}

}  // namespace

std::vector<RuntimeSettings> services_from_compose(const YAML::Node& root, std::string_view path,
                                                   core::Diagnostics& diags) {
  std::vector<RuntimeSettings> out;
  const YAML::Node services = child(root, "services");
  if (!services) return out;
  if (!services.IsMap()) {
    const auto loc = location_of(services, path);
    diags.add({core::DiagnosticLevel::error, "compose-services", std::string(path), loc.line, loc.column, "",
               "services must be a mapping of service names to definitions"});
    return out;
  }
  for (const auto& kv : services) {
    RuntimeSettings s;
    s.kind = "compose-service";
    s.name = kv.first.IsScalar() ? kv.first.Scalar() : "";
    s.location = location_of(kv.first, path);
    const YAML::Node& svc = kv.second;
    if (svc.IsNull()) {
      out.push_back(std::move(s));
      continue;
    }
    if (!svc.IsMap()) {
      diags.add({core::DiagnosticLevel::error, "compose-service", std::string(path), s.location.line, s.location.column,
                 s.name, "a service must be a mapping"});
      continue;
    }
    auto at = [&](const char* field, const YAML::Node& n) { s.where[field] = location_of(n, path); };
    s.image = scalar(child(svc, "image")).value_or("");
    if (auto n = child(svc, "image"); n) at("image", n);
    if (auto n = child(svc, "privileged"); n) {
      s.privileged = boolean(n);
      at("privileged", n);
    }
    if (auto n = child(svc, "network_mode"); n) {
      s.host_network = lower(scalar(n).value_or("")) == "host";
      at("host_network", n);
    }
    if (auto n = child(svc, "pid"); n) {
      s.host_pid = lower(scalar(n).value_or("")) == "host";
      at("host_pid", n);
    }
    if (auto n = child(svc, "ipc"); n) {
      s.host_ipc = lower(scalar(n).value_or("")) == "host";
      at("host_ipc", n);
    }
    if (auto n = child(svc, "uts"); n) {
      s.host_uts = lower(scalar(n).value_or("")) == "host";
      at("host_uts", n);
    }
    if (auto n = child(svc, "userns_mode"); n) {
      s.host_userns = lower(scalar(n).value_or("")) == "host";
      at("host_userns", n);
    }
    if (auto n = child(svc, "cap_add"); n) {
      for (const auto& c : string_list(n)) s.caps_added.push_back(normalize_cap(c));
      at("caps_added", n);
    }
    if (auto n = child(svc, "cap_drop"); n) {
      for (const auto& c : string_list(n)) s.caps_dropped.push_back(normalize_cap(c));
      at("caps_dropped", n);
    }
    if (auto n = child(svc, "user"); n) {
      s.user = scalar(n);
      at("user", n);
    }
    if (auto n = child(svc, "read_only"); n) {
      s.read_only_rootfs = boolean(n);
      at("read_only_rootfs", n);
    }
    if (auto n = child(svc, "security_opt"); n && n.IsSequence()) {
      for (const auto& o : n) {
        if (o.IsScalar()) map_security_opt(o.Scalar(), location_of(o, path), s);
      }
    }
    if (auto n = child(svc, "volumes"); n && n.IsSequence()) {
      for (const auto& v : n) map_volume(v, path, s);
    }
    if (auto n = child(svc, "ports"); n && n.IsSequence()) {
      for (const auto& p : n) map_port(p, path, s, diags);
    }
    // A sequence only: iterating a mapping yields key/value pairs, whose node half throws
    // YAML::InvalidNode on use (found by fuzz_compose: `devices: {a: b}` ended the process).
    if (auto n = child(svc, "devices"); n && n.IsSequence()) {
      for (const auto& d : n) {
        if (d.IsScalar()) s.devices.push_back(d.Scalar());
        if (d.IsMap()) s.devices.push_back(scalar(child(d, "source")).value_or("?"));
      }
      at("devices", n);
    }
    if (auto n = child(svc, "mem_limit"); n) s.limits.memory = scalar(n);
    if (auto n = child(svc, "cpus"); n) s.limits.cpus = scalar(n);
    if (auto n = child(svc, "pids_limit"); n) {
      if (auto v = scalar(n)) {
        try {
          s.limits.pids = std::stoll(*v);
        } catch (const std::exception&) {
        }
      }
    }
    if (auto limits = child(child(child(svc, "deploy"), "resources"), "limits"); limits) {
      if (auto n = child(limits, "memory"); n) s.limits.memory = scalar(n);
      if (auto n = child(limits, "cpus"); n) s.limits.cpus = scalar(n);
      if (auto n = child(limits, "pids"); n) {
        if (auto v = scalar(n)) {
          try {
            s.limits.pids = std::stoll(*v);
          } catch (const std::exception&) {
          }
        }
      }
    }
    if (auto n = child(svc, "environment"); n) {
      at("environment", n);
      if (n.IsMap()) {
        for (const auto& e : n) {
          if (e.first.IsScalar()) s.environment.emplace_back(e.first.Scalar(), scalar(e.second).value_or(""));
        }
      } else if (n.IsSequence()) {
        for (const auto& e : n) {
          if (!e.IsScalar()) continue;
          const std::string t = e.Scalar();
          const auto eq = t.find('=');
          s.environment.emplace_back(t.substr(0, eq), eq == std::string::npos ? "" : t.substr(eq + 1));
        }
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<RuntimeHit> check_runtime(const RuntimeSettings& s) {
  std::vector<RuntimeHit> out;
  auto hit = [&](const char* id, const std::string& field, std::string evidence) {
    out.push_back({id, s.location_of(field), std::move(evidence)});
  };
  const std::string who = s.name.empty() ? "container" : "service " + s.name;
  if (s.privileged.value_or(false)) hit("BW-COMPOSE-001", "privileged", who + ": privileged: true");
  if (s.host_network.value_or(false)) hit("BW-COMPOSE-002", "host_network", who + ": network_mode: host");
  if (s.host_pid.value_or(false)) hit("BW-COMPOSE-003", "host_pid", who + ": pid: host");
  if (s.host_ipc.value_or(false)) hit("BW-COMPOSE-004", "host_ipc", who + ": ipc: host");
  if (s.host_uts.value_or(false)) hit("BW-COMPOSE-005", "host_uts", who + ": uts: host");
  if (s.host_userns.value_or(false)) hit("BW-COMPOSE-005", "host_userns", who + ": userns_mode: host");
  static const std::vector<std::string> kSensitive{"/",        "/boot", "/dev", "/etc", "/lib",
                                                   "/lib64",   "/proc", "/sys", "/usr", "/var/lib/docker",
                                                   "/var/run", "/run",  "/root"};
  for (const auto& m : s.mounts) {
    if (!m.host_path) continue;
    std::string src = m.source;
    while (src.size() > 1 && src.back() == '/') src.pop_back();
    const bool sock = src.ends_with("/docker.sock") || src.ends_with("/containerd.sock") ||
                      src.ends_with("/crio.sock") || src.ends_with("/podman.sock") ||
                      src.ends_with("/containerd/containerd.sock");
    if (sock) {
      out.push_back({"BW-COMPOSE-006", m.location, fmt::format("{}: {} mounted at {}", who, m.source, m.target)});
      continue;
    }
    const bool sensitive = std::find(kSensitive.begin(), kSensitive.end(), src) != kSensitive.end() ||
                           src.starts_with("/proc/") || src.starts_with("/sys/") ||
                           src.starts_with("/var/lib/docker/") || src.starts_with("/etc/") ||
                           src.starts_with("/boot/") || src.starts_with("/dev/");
    if (sensitive && (!m.read_only || src == "/")) {
      out.push_back({"BW-COMPOSE-007", m.location,
                     fmt::format("{}: host {} mounted at {}{}", who, m.source, m.target,
                                 m.read_only ? " (read-only)" : " (writable)")});
    }
    if (m.propagation == "shared" || m.propagation == "rshared") {
      out.push_back(
          {"BW-COMPOSE-024", m.location, fmt::format("{}: {} with {} propagation", who, m.source, m.propagation)});
    }
  }
  {
    const auto& defaults = docker_default_capabilities();
    std::vector<std::string> extra;
    for (const auto& c : s.caps_added) {
      if (std::find(defaults.begin(), defaults.end(), c) == defaults.end()) extra.push_back(c);
    }
    if (!extra.empty()) hit("BW-COMPOSE-008", "caps_added", fmt::format("{}: cap_add {}", who, fmt::join(extra, ", ")));
    const bool drops_all = std::find(s.caps_dropped.begin(), s.caps_dropped.end(), "ALL") != s.caps_dropped.end();
    if (!drops_all && !s.privileged.value_or(false)) {
      hit("BW-COMPOSE-009", "caps_dropped", who + ": capabilities are not dropped (cap_drop: [ALL])");
    }
  }
  if (s.user) {
    const std::string u = lower(s.user->substr(0, s.user->find(':')));
    if (u == "root" || u == "0") hit("BW-COMPOSE-010", "user", fmt::format("{}: user: {}", who, *s.user));
  }
  if (!s.read_only_rootfs.value_or(false))
    hit("BW-COMPOSE-011", "read_only_rootfs", who + ": root filesystem is writable");
  if (s.seccomp_profile && lower(*s.seccomp_profile) == "unconfined") {
    hit("BW-COMPOSE-012", "seccomp_profile", who + ": seccomp:unconfined");
  }
  if (s.apparmor_profile && lower(*s.apparmor_profile) == "unconfined") {
    hit("BW-COMPOSE-013", "apparmor_profile", who + ": apparmor:unconfined");
  }
  if (!s.no_new_privileges.value_or(false)) {
    hit("BW-COMPOSE-014", "no_new_privileges", who + ": no-new-privileges is not set");
  }
  for (const auto& p : s.ports) {
    const bool all = p.host_ip.empty() || p.host_ip == "0.0.0.0" || p.host_ip == "::" || p.host_ip == "*";
    if (all && !p.host_port.empty()) {
      out.push_back({"BW-COMPOSE-015", p.location,
                     fmt::format("{}: port {}:{} published on all interfaces", who, p.host_port, p.container_port)});
    }
    const std::string first = p.host_port.substr(0, p.host_port.find('-'));
    if (!first.empty() &&
        std::all_of(first.begin(), first.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }) &&
        first.size() < 6 && std::stoi(first) < 1024) {
      out.push_back({"BW-COMPOSE-016", p.location, fmt::format("{}: host port {} is privileged", who, p.host_port)});
    }
  }
  if (!s.limits.memory) hit("BW-COMPOSE-017", "", who + ": no memory limit");
  if (!s.limits.cpus) hit("BW-COMPOSE-018", "", who + ": no CPU limit");
  if (!s.limits.pids || *s.limits.pids <= 0) hit("BW-COMPOSE-019", "", who + ": no pids limit");
  if (!s.devices.empty())
    hit("BW-COMPOSE-020", "devices", fmt::format("{}: devices {}", who, fmt::join(s.devices, ", ")));
  if (s.selinux_disabled.value_or(false)) hit("BW-COMPOSE-021", "selinux_disabled", who + ": label:disable");
  for (const auto& [k, v] : s.environment) {
    if (!v.empty() && !v.starts_with('$') && (dockerfile::is_secret_name(k))) {
      hit("BW-COMPOSE-022", "environment", fmt::format("{}: environment {}=<redacted>", who, k));
    }
  }
  if (!s.image.empty() && s.image.find('$') == std::string::npos) {
    const auto ref = dockerfile::parse_image_ref(s.image);
    if (ref.digest.empty() && (ref.tag.empty() || ref.tag == "latest")) {
      hit("BW-COMPOSE-023", "image", fmt::format("{}: image {}", who, s.image));
    }
  }
  return out;
}

}  // namespace bulwark::config::compose
