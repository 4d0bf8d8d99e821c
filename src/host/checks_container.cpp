// §5 container runtime, from the Engine API's container inspect.
#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "host/catalogue.hpp"
#include "host/checks.hpp"
#include "util/strings.hpp"

namespace bulwark::host {

using core::FindingStatus;

namespace {

// Docker's default capability set (moby oci/caps/defaults.go); adding these is no escalation.
constexpr std::array kDefaultCaps = {
    "CHOWN",  "DAC_OVERRIDE", "FSETID",  "FOWNER",           "MKNOD",      "NET_RAW", "SETGID",
    "SETUID", "SETFCAP",      "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL",    "AUDIT_WRITE"};

constexpr std::array kSensitiveDirs = {"/", "/boot", "/dev", "/etc", "/lib", "/proc", "/sys", "/usr"};

std::string cap_name(std::string c) {
  c = util::to_lower(c);
  std::transform(c.begin(), c.end(), c.begin(), [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
  if (c.starts_with("CAP_")) c = c.substr(4);
  return c;
}

std::vector<std::string> strings(const nlohmann::json& j) {
  std::vector<std::string> out;
  if (!j.is_array()) return out;
  for (const auto& v : j) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

const nlohmann::json& field(const nlohmann::json& j, const char* key) {
  static const nlohmann::json null;
  if (!j.is_object()) return null;
  auto it = j.find(key);
  return it == j.end() ? null : *it;
}

std::string str(const nlohmann::json& j, const char* key) {
  const auto& v = field(j, key);
  return v.is_string() ? v.get<std::string>() : std::string();
}

std::int64_t num(const nlohmann::json& j, const char* key) {
  const auto& v = field(j, key);
  return v.is_number() ? v.get<std::int64_t>() : 0;
}

bool flag(const nlohmann::json& j, const char* key) {
  const auto& v = field(j, key);
  return v.is_boolean() && v.get<bool>();
}

bool has_opt(const std::vector<std::string>& opts, std::string_view key, std::string_view value) {
  for (const auto& o : opts) {
    // "seccomp=unconfined", "seccomp:unconfined" (old), "no-new-privileges", "no-new-privileges:true"
    if (value.empty()) {
      if (o == key || o.starts_with(std::string(key) + "=true") || o.starts_with(std::string(key) + ":true"))
        return true;
    } else if (o == fmt::format("{}={}", key, value) || o == fmt::format("{}:{}", key, value)) {
      return true;
    }
  }
  return false;
}

bool starts_with_opt(const std::vector<std::string>& opts, std::string_view prefix) {
  return std::any_of(opts.begin(), opts.end(), [&](const std::string& o) { return o.starts_with(prefix); });
}

}  // namespace

core::Target container_target(const nlohmann::json& inspect) {
  core::Target t;
  t.kind = core::TargetKind::container;
  t.id = str(inspect, "Id");
  t.name = str(inspect, "Name");
  if (t.name.starts_with('/')) t.name.erase(0, 1);
  if (t.name.empty()) t.name = t.id.substr(0, 12);
  return t;
}

void check_container(const nlohmann::json& inspect, const ContainerEnv& env, const core::Target& target,
                     std::vector<core::Finding>& out) {
  Findings f(out);
  const auto& hc = field(inspect, "HostConfig");
  const auto& cfg = field(inspect, "Config");
  const auto& net = field(inspect, "NetworkSettings");
  auto secopts = strings(field(hc, "SecurityOpt"));
  bool privileged = flag(hc, "Privileged");

  // 5.2 AppArmor.
  {
    std::string profile = str(inspect, "AppArmorProfile");
    if (!env.apparmor_enabled) {
      f.add("BLWK-CIS-5.2", target, FindingStatus::skipped, "AppArmor is not enabled on this host");
    } else if (profile.empty() || profile == "unconfined") {
      f.add("BLWK-CIS-5.2", target, FindingStatus::fail,
            fmt::format("AppArmor profile: {}", profile.empty() ? "none" : profile));
    } else {
      f.add("BLWK-CIS-5.2", target, FindingStatus::pass, fmt::format("AppArmor profile {}", profile));
    }
  }

  // 5.3 SELinux.
  if (!env.selinux_enabled) {
    f.add("BLWK-CIS-5.3", target, FindingStatus::skipped, "SELinux is not enabled in the daemon");
  } else if (has_opt(secopts, "label", "disable")) {
    f.add("BLWK-CIS-5.3", target, FindingStatus::fail, "SELinux labelling is disabled (label=disable)");
  } else {
    f.add(
        "BLWK-CIS-5.3", target, FindingStatus::pass,
        starts_with_opt(secopts, "label") ? "SELinux label options set" : "the daemon's default SELinux labels apply");
  }

  // 5.4 capabilities.
  {
    std::vector<std::string> added;
    std::vector<std::string> beyond;
    for (const auto& c : strings(field(hc, "CapAdd"))) {
      auto name = cap_name(c);
      added.push_back(name);
      bool is_default = std::find(kDefaultCaps.begin(), kDefaultCaps.end(), name) != kDefaultCaps.end();
      if (!is_default) beyond.push_back(name);
    }
    std::vector<std::string> dropped;
    for (const auto& c : strings(field(hc, "CapDrop"))) dropped.push_back(cap_name(c));
    std::string evidence = fmt::format("CapAdd: {}; CapDrop: {}", added.empty() ? "none" : util::join(added, ", "),
                                       dropped.empty() ? "none" : util::join(dropped, ", "));
    if (privileged) {
      f.add("BLWK-CIS-5.4", target, FindingStatus::fail, "privileged: every capability; " + evidence);
    } else if (!beyond.empty()) {
      f.add("BLWK-CIS-5.4", target, FindingStatus::fail,
            fmt::format("capabilities beyond Docker's defaults added: {}; {}", util::join(beyond, ", "), evidence));
    } else if (dropped.empty()) {
      f.add("BLWK-CIS-5.4", target, FindingStatus::warn,
            "Docker's default capabilities kept, none dropped; " + evidence);
    } else {
      f.add("BLWK-CIS-5.4", target, FindingStatus::pass, evidence);
    }
  }

  f.add("BLWK-CIS-5.5", target, privileged ? FindingStatus::fail : FindingStatus::pass,
        privileged ? "the container is privileged" : "not privileged");

  // 5.6 sensitive mounts, 5.20 propagation, 5.32 the Docker socket.
  {
    std::vector<std::string> rw;
    std::vector<std::string> ro;
    std::vector<std::string> shared;
    std::vector<std::string> sockets;
    const auto& mounts = field(inspect, "Mounts");
    if (mounts.is_array()) {
      for (const auto& m : mounts) {
        std::string source = str(m, "Source");
        std::string dest = str(m, "Destination");
        bool writable = flag(m, "RW");
        std::string prop = str(m, "Propagation");
        if (prop == "shared" || prop == "rshared") shared.push_back(fmt::format("{} ({})", dest, prop));
        if (str(m, "Type") != "bind") continue;
        for (const auto& sock : env.docker_sockets) {
          if (source == sock) sockets.push_back(fmt::format("{} -> {}", source, dest));
        }
        for (auto dir : kSensitiveDirs) {
          std::string d(dir);
          bool exact = source == d;
          bool below = d != "/" && source.starts_with(d + "/");
          if (!exact && !below) continue;
          auto text = fmt::format("{} -> {} ({})", source, dest, writable ? "rw" : "ro");
          if (writable) {
            rw.push_back(text);
          } else if (exact) {
            ro.push_back(text);
          }
          break;
        }
      }
    }
    if (!rw.empty()) {
      f.add("BLWK-CIS-5.6", target, FindingStatus::fail,
            "sensitive host paths mounted read-write: " + util::join(rw, ", "));
    } else if (!ro.empty()) {
      f.add("BLWK-CIS-5.6", target, FindingStatus::warn,
            "sensitive host directories mounted read-only: " + util::join(ro, ", "));
    } else {
      f.add("BLWK-CIS-5.6", target, FindingStatus::pass, "no sensitive host directory mounted");
    }
    f.add("BLWK-CIS-5.20", target, shared.empty() ? FindingStatus::pass : FindingStatus::fail,
          shared.empty() ? "no shared mount propagation" : "shared propagation: " + util::join(shared, ", "));
    f.add("BLWK-CIS-5.32", target, sockets.empty() ? FindingStatus::pass : FindingStatus::fail,
          sockets.empty() ? "the Docker socket is not mounted" : "Docker socket mounted: " + util::join(sockets, ", "));
  }

  // 5.7 sshd.
  if (!env.processes) {
    f.add("BLWK-CIS-5.7", target, FindingStatus::skipped, "the container's processes could not be listed");
  } else {
    bool sshd = std::any_of(env.processes->begin(), env.processes->end(), [](const std::string& p) {
      return p == "sshd" || p.ends_with("/sshd") || p.starts_with("sshd:") || p.starts_with("/usr/sbin/sshd");
    });
    f.add("BLWK-CIS-5.7", target, sshd ? FindingStatus::fail : FindingStatus::pass,
          sshd ? "sshd runs in the container" : fmt::format("no sshd among {} process(es)", env.processes->size()));
  }

  // 5.8, 5.9, 5.14 published ports.
  {
    std::vector<std::string> privileged_ports;
    std::vector<std::string> wildcard;
    std::vector<std::string> all;
    const auto& ports = field(net, "Ports");
    if (ports.is_object()) {
      for (const auto& [container_port, bindings] : ports.items()) {
        if (!bindings.is_array()) continue;
        for (const auto& b : bindings) {
          std::string ip = str(b, "HostIp");
          std::string hp = str(b, "HostPort");
          auto port = util::parse_u64(hp);
          std::string text = fmt::format("{}:{}->{}", ip.empty() ? "0.0.0.0" : ip, hp, container_port);
          if (std::find(all.begin(), all.end(), text) != all.end()) continue;
          all.push_back(text);
          if (port && *port < 1024) privileged_ports.push_back(text);
          if (ip.empty() || ip == "0.0.0.0" || ip == "::") wildcard.push_back(text);
        }
      }
    }
    f.add("BLWK-CIS-5.8", target, privileged_ports.empty() ? FindingStatus::pass : FindingStatus::fail,
          privileged_ports.empty() ? "no host port below 1024"
                                   : "privileged host ports: " + util::join(privileged_ports, ", "));
    f.add("BLWK-CIS-5.9", target, FindingStatus::manual,
          all.empty() ? "no published ports" : "published: " + util::join(all, ", "));
    f.add("BLWK-CIS-5.14", target, wildcard.empty() ? FindingStatus::pass : FindingStatus::fail,
          wildcard.empty() ? (all.empty() ? "no published ports" : "every published port is bound to an address")
                           : "bound to every interface: " + util::join(wildcard, ", "));
  }

  // Namespaces.
  auto ns = [&](const char* id, const char* key, const char* what) {
    std::string mode = str(hc, key);
    bool host = mode == "host";
    f.add(id, target, host ? FindingStatus::fail : FindingStatus::pass,
          host ? fmt::format("{} namespace shared with the host ({}=host)", what, key)
               : fmt::format("{}: {}", key, mode.empty() ? "private (default)" : mode));
  };
  ns("BLWK-CIS-5.10", "NetworkMode", "network");
  ns("BLWK-CIS-5.16", "PidMode", "process");
  ns("BLWK-CIS-5.17", "IpcMode", "IPC");
  ns("BLWK-CIS-5.21", "UTSMode", "UTS");
  if (env.userns_remap) {
    ns("BLWK-CIS-5.31", "UsernsMode", "user");
  } else {
    f.add("BLWK-CIS-5.31", target, str(hc, "UsernsMode") == "host" ? FindingStatus::fail : FindingStatus::pass,
          "user namespaces are not remapped by the daemon; UsernsMode: " +
              (str(hc, "UsernsMode").empty() ? std::string("default") : str(hc, "UsernsMode")));
  }

  // Resources.
  {
    auto memory = num(hc, "Memory");
    f.add("BLWK-CIS-5.11", target, memory > 0 ? FindingStatus::pass : FindingStatus::fail,
          memory > 0 ? fmt::format("memory limit {}", util::human_bytes(static_cast<std::uint64_t>(memory)))
                     : "no memory limit");
    auto shares = num(hc, "CpuShares");
    auto nano = num(hc, "NanoCpus");
    auto quota = num(hc, "CpuQuota");
    bool set = (shares > 0 && shares != 1024) || nano > 0 || quota > 0;
    f.add("BLWK-CIS-5.12", target, set ? FindingStatus::pass : FindingStatus::fail,
          set ? fmt::format("CpuShares {}, NanoCpus {}, CpuQuota {}", shares, nano, quota) : "no CPU shares or limit");
    const auto& pids = field(hc, "PidsLimit");
    std::int64_t limit = pids.is_number() ? pids.get<std::int64_t>() : 0;
    f.add("BLWK-CIS-5.29", target, limit > 0 ? FindingStatus::pass : FindingStatus::fail,
          limit > 0 ? fmt::format("pids limit {}", limit) : "no pids limit");
  }

  f.add("BLWK-CIS-5.13", target, flag(hc, "ReadonlyRootfs") ? FindingStatus::pass : FindingStatus::fail,
        flag(hc, "ReadonlyRootfs") ? "the root filesystem is read-only" : "the root filesystem is writable");

  // 5.15 restart policy.
  {
    const auto& rp = field(hc, "RestartPolicy");
    std::string name = str(rp, "Name");
    auto retries = num(rp, "MaximumRetryCount");
    FindingStatus st = FindingStatus::pass;
    std::string ev;
    if (name.empty() || name == "no") {
      ev = "restart policy: no";
    } else if (name == "on-failure") {
      st = retries > 0 && retries <= 5 ? FindingStatus::pass : FindingStatus::fail;
      ev = fmt::format("restart policy on-failure:{}",
                       retries == 0 ? std::string("unlimited") : std::to_string(retries));
    } else {
      st = FindingStatus::fail;
      ev = fmt::format("restart policy {} (restarts without bound)", name);
    }
    f.add("BLWK-CIS-5.15", target, st, ev);
  }

  // 5.18 devices.
  {
    std::vector<std::string> devices;
    const auto& devs = field(hc, "Devices");
    if (devs.is_array()) {
      for (const auto& d : devs) {
        devices.push_back(
            fmt::format("{}:{}:{}", str(d, "PathOnHost"), str(d, "PathInContainer"), str(d, "CgroupPermissions")));
      }
    }
    if (privileged) {
      f.add("BLWK-CIS-5.18", target, FindingStatus::fail, "privileged: every host device is exposed");
    } else {
      f.add("BLWK-CIS-5.18", target, devices.empty() ? FindingStatus::pass : FindingStatus::fail,
            devices.empty() ? "no host devices" : "host devices: " + util::join(devices, ", "));
    }
  }

  {
    const auto& ul = field(hc, "Ulimits");
    std::vector<std::string> limits;
    if (ul.is_array()) {
      for (const auto& u : ul)
        limits.push_back(fmt::format("{}={}:{}", str(u, "Name"), num(u, "Soft"), num(u, "Hard")));
    }
    f.add("BLWK-CIS-5.19", target, FindingStatus::manual,
          limits.empty() ? "no ulimits set: the daemon's defaults apply" : "ulimits: " + util::join(limits, ", "));
  }

  // 5.22 seccomp.
  {
    bool unconfined = has_opt(secopts, "seccomp", "unconfined");
    if (privileged) {
      f.add("BLWK-CIS-5.22", target, FindingStatus::fail, "privileged: seccomp is disabled");
    } else {
      f.add("BLWK-CIS-5.22", target, unconfined ? FindingStatus::fail : FindingStatus::pass,
            unconfined
                ? "seccomp=unconfined"
                : (starts_with_opt(secopts, "seccomp") ? "a custom seccomp profile" : "the default seccomp profile"));
    }
  }

  {
    auto execs = field(inspect, "ExecIDs");
    std::size_t n = execs.is_array() ? execs.size() : 0;
    std::string ev = n == 0 ? "no exec sessions recorded" : fmt::format("{} exec session(s) recorded: review them", n);
    f.add("BLWK-CIS-5.23", target, FindingStatus::manual, ev);
    f.add("BLWK-CIS-5.24", target, FindingStatus::manual, ev);
  }

  {
    std::string parent = str(hc, "CgroupParent");
    f.add("BLWK-CIS-5.25", target, parent.empty() ? FindingStatus::pass : FindingStatus::warn,
          parent.empty() ? "the default cgroup parent" : fmt::format("cgroup parent {}: confirm it", parent));
  }

  {
    bool nnp = has_opt(secopts, "no-new-privileges", "");
    bool off = has_opt(secopts, "no-new-privileges", "false");
    bool effective = (nnp || env.daemon_no_new_privileges) && !off;
    f.add("BLWK-CIS-5.26", target, effective ? FindingStatus::pass : FindingStatus::fail,
          nnp ? "no-new-privileges set"
              : (effective ? "no-new-privileges from the daemon default" : "no-new-privileges not set"));
  }

  {
    const auto& health = field(field(inspect, "State"), "Health");
    const auto& hcfg = field(cfg, "Healthcheck");
    auto test = strings(field(hcfg, "Test"));
    bool has = health.is_object() || (!test.empty() && test[0] != "NONE");
    f.add(
        "BLWK-CIS-5.27", target, has ? FindingStatus::pass : FindingStatus::fail,
        has ? fmt::format("health: {}", health.is_object() ? str(health, "Status") : "configured") : "no health check");
  }

  f.add("BLWK-CIS-5.28", target, FindingStatus::manual, fmt::format("image {}", util::printable(str(cfg, "Image"))));

  {
    const auto& networks = field(net, "Networks");
    bool bridge = networks.is_object() && networks.contains("bridge");
    f.add("BLWK-CIS-5.30", target, bridge ? FindingStatus::fail : FindingStatus::pass,
          bridge ? "attached to the default bridge (docker0)" : "not on the default bridge");
  }
}

}  // namespace bulwark::host
