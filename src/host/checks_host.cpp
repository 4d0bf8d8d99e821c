// §1 host configuration, bulwark's kernel checks, and §3 daemon files.
#include <algorithm>
#include <array>
#include <cctype>

#include <fmt/format.h>

#include "host/catalogue.hpp"
#include "host/checks.hpp"
#include "util/strings.hpp"

namespace bulwark::host {

using core::FindingStatus;

void Findings::add(std::string_view id, const core::Target& target, FindingStatus status, std::string evidence) {
  const CheckDef* def = find_check(id);
  if (!def) return;
  out_.push_back(make_finding(*def, target, status, std::move(evidence)));
}

namespace {

// mountinfo escapes spaces and the like as \040.
std::string unescape_octal(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 1]))) {
      int v = (s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0');
      out.push_back(static_cast<char>(v));
      i += 3;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::string strip_slash(std::string p) {
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

std::string owner_text(const HostFs& fs, const FileInfo& f) {
  return fmt::format("{}:{}", fs.user_name(f.uid), fs.group_name(f.gid));
}

std::string docker_root(const DaemonFacts& d) {
  if (d.has_info()) {
    if (auto it = d.info.find("DockerRootDir"); it != d.info.end() && it->is_string()) return it->get<std::string>();
  }
  auto s = d.lookup("data-root");
  if (s.is_set() && s.value.is_string()) return s.value.get<std::string>();
  auto g = d.lookup("graph");
  if (g.is_set() && g.value.is_string()) return g.value.get<std::string>();
  return "/var/lib/docker";
}

// The first of the candidate unit paths that exists.
std::optional<FileInfo> find_unit(const HostFs& fs, std::string_view name) {
  for (auto dir : {"/etc/systemd/system", "/run/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system"}) {
    if (auto f = fs.stat(fmt::format("{}/{}", dir, name))) return f;
  }
  return std::nullopt;
}

std::optional<std::string> sysctl(const HostFacts& h, std::string_view name) {
  for (auto it = h.sysctls.rbegin(); it != h.sysctls.rend(); ++it) {
    if (it->first == name) return it->second;
  }
  return std::nullopt;
}

}  // namespace

std::vector<Mount> parse_mountinfo(std::string_view text) {
  std::vector<Mount> out;
  for (auto line : util::split(text, '\n')) {
    auto f = util::split_ws(line);
    // id parent major:minor root mount-point options [optional...] - fstype source super-options
    if (f.size() < 7) continue;
    auto dash = std::find(f.begin() + 6, f.end(), std::string_view("-"));
    Mount m;
    m.device = std::string(f[2]);
    m.root = unescape_octal(f[3]);
    m.mount_point = unescape_octal(f[4]);
    if (dash != f.end() && dash + 1 != f.end()) m.fstype = std::string(*(dash + 1));
    out.push_back(std::move(m));
  }
  return out;
}

std::vector<Mount> parse_fstab(std::string_view text) {
  std::vector<Mount> out;
  for (auto line : util::split(text, '\n')) {
    auto t = util::trim(line);
    if (t.empty() || t.front() == '#') continue;
    auto f = util::split_ws(t);
    if (f.size() < 3) continue;
    Mount m;
    m.device = std::string(f[0]);
    m.mount_point = strip_slash(unescape_octal(f[1]));
    m.fstype = std::string(f[2]);
    m.root = "/";
    out.push_back(std::move(m));
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> read_sysctl_files(const HostFs& fs) {
  std::vector<std::pair<std::string, std::string>> out;
  auto read_one = [&](const std::string& path) {
    auto text = fs.read(path, 1 << 20);
    if (!text) return;
    for (auto line : util::split(*text, '\n')) {
      auto t = util::trim(line);
      if (t.empty() || t.front() == '#' || t.front() == ';') continue;
      if (t.front() == '-') t.remove_prefix(1);
      auto eq = t.find('=');
      if (eq == std::string_view::npos) continue;
      std::string key(util::trim(t.substr(0, eq)));
      std::replace(key.begin(), key.end(), '/', '.');
      out.emplace_back(std::move(key), std::string(util::trim(t.substr(eq + 1))));
    }
  };
  // systemd-sysctl order: files sorted by name across the directories, /etc overriding
  // same-named files; /etc/sysctl.conf last.
  std::vector<std::pair<std::string, std::string>> files;  // name -> path
  for (auto dir : {"/usr/lib/sysctl.d", "/lib/sysctl.d", "/run/sysctl.d", "/etc/sysctl.d"}) {
    for (const auto& name : fs.list(dir)) {
      if (!name.ends_with(".conf")) continue;
      auto it = std::find_if(files.begin(), files.end(), [&](const auto& p) { return p.first == name; });
      std::string path = fmt::format("{}/{}", dir, name);
      if (it != files.end()) {
        it->second = path;
      } else {
        files.emplace_back(name, path);
      }
    }
  }
  std::sort(files.begin(), files.end());
  for (const auto& [name, path] : files) read_one(path);
  read_one("/etc/sysctl.conf");
  return out;
}

void check_host(const HostFs& fs, const HostFacts& host, const DaemonFacts& daemon, const core::Target& target,
                std::vector<core::Finding>& out) {
  Findings f(out);

  // 1.1.1 the Docker root on its own partition.
  {
    std::string root = strip_slash(docker_root(daemon));
    const Mount* own = nullptr;
    const Mount* slash = nullptr;
    for (const auto& m : host.mounts) {
      if (m.mount_point == root) own = &m;
      if (m.mount_point == "/") slash = &m;
    }
    if (host.mounts.empty()) {
      f.add("BLWK-CIS-1.1.1", target, FindingStatus::skipped,
            host.mounts_from_fstab ? "no /etc/fstab in the root" : "the mount table could not be read");
    } else if (!own) {
      f.add("BLWK-CIS-1.1.1", target, FindingStatus::fail,
            fmt::format("{} is not a mount point{}", root, host.mounts_from_fstab ? " in /etc/fstab" : ""));
    } else if (!host.mounts_from_fstab && slash && own->device == slash->device) {
      f.add("BLWK-CIS-1.1.1", target, FindingStatus::fail,
            fmt::format("{} is mounted from the same device as / ({}, a bind mount of {})", root, own->device,
                        own->root));
    } else {
      f.add("BLWK-CIS-1.1.1", target, FindingStatus::pass,
            fmt::format("{} is its own mount ({} {})", root, own->fstype, own->device));
    }
  }

  // 1.1.2 docker group members.
  {
    auto members = fs.group_members("docker");
    if (!fs.group_id("docker")) {
      f.add("BLWK-CIS-1.1.2", target, FindingStatus::pass, "there is no docker group");
    } else if (members.empty()) {
      f.add("BLWK-CIS-1.1.2", target, FindingStatus::pass, "the docker group has no members");
    } else {
      f.add("BLWK-CIS-1.1.2", target, FindingStatus::warn,
            fmt::format("docker group members (each is root-equivalent): {}", util::join(members, ", ")));
    }
  }

  // 1.1.3-1.1.18 audit rules.
  {
    std::string dockerd = "/usr/bin/dockerd";
    if (!fs.stat(dockerd) && fs.stat("/usr/sbin/dockerd")) dockerd = "/usr/sbin/dockerd";
    if (!daemon.exe.empty() && fs.is_live()) dockerd = daemon.exe;
    std::string service = "/lib/systemd/system/docker.service";
    std::string socket = "/lib/systemd/system/docker.socket";
    if (auto u = find_unit(fs, "docker.service")) service = u->path;
    if (auto u = find_unit(fs, "docker.socket")) socket = u->path;
    struct Target_ {
      const char* id;
      std::string path;
    };
    const std::array targets = {
        Target_{"BLWK-CIS-1.1.3", dockerd},
        Target_{"BLWK-CIS-1.1.4", "/run/containerd"},
        Target_{"BLWK-CIS-1.1.5", docker_root(daemon)},
        Target_{"BLWK-CIS-1.1.6", "/etc/docker"},
        Target_{"BLWK-CIS-1.1.7", service},
        Target_{"BLWK-CIS-1.1.8", "/run/containerd/containerd.sock"},
        Target_{"BLWK-CIS-1.1.9", socket},
        Target_{"BLWK-CIS-1.1.10", "/etc/default/docker"},
        Target_{"BLWK-CIS-1.1.11", daemon.config_path},
        Target_{"BLWK-CIS-1.1.12", "/etc/containerd/config.toml"},
        Target_{"BLWK-CIS-1.1.13", "/etc/sysconfig/docker"},
        Target_{"BLWK-CIS-1.1.14", "/usr/bin/containerd"},
        Target_{"BLWK-CIS-1.1.15", "/usr/bin/containerd-shim"},
        Target_{"BLWK-CIS-1.1.16", "/usr/bin/containerd-shim-runc-v1"},
        Target_{"BLWK-CIS-1.1.17", "/usr/bin/containerd-shim-runc-v2"},
        Target_{"BLWK-CIS-1.1.18", "/usr/bin/runc"},
    };
    std::string sources = host.kernel_rules_read ? "the rules files and the kernel's loaded rules"
                                                 : "the rules files (/etc/audit/audit.rules, rules.d)";
    if (host.kernel_rules_error)
      sources += fmt::format("; the kernel's rules could not be read: {}", *host.kernel_rules_error);
    for (const auto& t : targets) {
      if (!fs.stat(t.path)) {
        f.add(t.id, target, FindingStatus::skipped, fmt::format("{} does not exist", t.path));
        continue;
      }
      if (const AuditRule* r = find_audit_rule(host.audit_rules, t.path)) {
        f.add(t.id, target, FindingStatus::pass, fmt::format("{} is watched ({}: {})", t.path, r->origin, r->path));
      } else {
        f.add(t.id, target, FindingStatus::fail,
              fmt::format("no audit rule watches {} (looked in {})", t.path, sources));
      }
    }
  }

  f.add("BLWK-CIS-1.2.1", target, FindingStatus::manual, "review the host's hardening (e.g. with a host benchmark)");
  if (!daemon.version.empty()) {
    f.add("BLWK-CIS-1.2.2", target, FindingStatus::manual,
          fmt::format("Docker {} (API {}): compare with the supported releases", daemon.version, daemon.api_version));
  } else {
    f.add("BLWK-CIS-1.2.2", target, FindingStatus::manual, "the Docker version is unknown (no daemon asked)");
  }

  // 4.5 content trust is a property of the client environment.
  if (!fs.is_live()) {
    f.add("BLWK-CIS-4.5", target, FindingStatus::skipped,
          "a client environment setting; not visible in an offline root");
  } else if (host.content_trust && *host.content_trust == "1") {
    f.add("BLWK-CIS-4.5", target, FindingStatus::pass, "DOCKER_CONTENT_TRUST=1 in this environment");
  } else {
    f.add("BLWK-CIS-4.5", target, FindingStatus::fail,
          host.content_trust ? fmt::format("DOCKER_CONTENT_TRUST={} in this environment", *host.content_trust)
                             : "DOCKER_CONTENT_TRUST is not set in this environment");
  }

  // Kernel settings.
  const char* origin = host.sysctls_configured_only ? "configured" : "running";
  if (!host.kernel_release.empty()) {
    f.add("BLWK-HOST-K01", target, FindingStatus::info, fmt::format("kernel {}", host.kernel_release));
  }
  struct Want {
    const char* id;
    const char* name;
    std::vector<std::string> good;
  };
  const std::array wants = {
      Want{"BLWK-HOST-K02", "kernel.unprivileged_bpf_disabled", {"1", "2"}},
      Want{"BLWK-HOST-K03", "kernel.kptr_restrict", {"1", "2"}},
      Want{"BLWK-HOST-K04", "kernel.dmesg_restrict", {"1"}},
      Want{"BLWK-HOST-K06", "fs.suid_dumpable", {"0"}},
      Want{"BLWK-HOST-K07", "net.bridge.bridge-nf-call-iptables", {"1"}},
      Want{"BLWK-HOST-K09", "net.ipv4.conf.all.route_localnet", {"0"}},
  };
  for (const auto& w : wants) {
    auto v = sysctl(host, w.name);
    if (!v) {
      f.add(w.id, target, FindingStatus::skipped,
            host.sysctls_configured_only
                ? fmt::format("{} is not set in the sysctl files (the kernel default applies)", w.name)
                : fmt::format("{} is not available on this kernel", w.name));
      continue;
    }
    bool ok = std::find(w.good.begin(), w.good.end(), *v) != w.good.end();
    f.add(w.id, target, ok ? FindingStatus::pass : FindingStatus::fail, fmt::format("{} {} = {}", origin, w.name, *v));
  }
  {
    auto sym = sysctl(host, "fs.protected_symlinks");
    auto hard = sysctl(host, "fs.protected_hardlinks");
    if (!sym && !hard) {
      f.add("BLWK-HOST-K05", target, FindingStatus::skipped, "fs.protected_symlinks/hardlinks are not set");
    } else {
      bool ok = sym.value_or("") == "1" && hard.value_or("") == "1";
      f.add("BLWK-HOST-K05", target, ok ? FindingStatus::pass : FindingStatus::fail,
            fmt::format("{} fs.protected_symlinks = {}, fs.protected_hardlinks = {}", origin, sym.value_or("unset"),
                        hard.value_or("unset")));
    }
  }
  if (auto fwd = sysctl(host, "net.ipv4.ip_forward")) {
    f.add("BLWK-HOST-K08", target, FindingStatus::info,
          fmt::format("{} net.ipv4.ip_forward = {} (bridged containers need 1; not a finding)", origin, *fwd));
  }
}

void check_files(const HostFs& fs, const DaemonFacts& daemon, const core::Target& target,
                 std::vector<core::Finding>& out) {
  Findings f(out);
  // One owner check and one mode check for a file that may be missing.
  // `what` names the file; a text with a space is already the reason it is missing.
  auto missing = [](std::string_view what) {
    return what.find(' ') != std::string_view::npos ? std::string(what) : fmt::format("{} does not exist", what);
  };
  auto owner = [&](const char* id, const std::optional<FileInfo>& file, std::string_view what, std::uint32_t uid,
                   std::uint32_t gid, std::string_view want) {
    if (!file) {
      f.add(id, target, FindingStatus::skipped, missing(what));
      return;
    }
    bool ok = file->uid == uid && file->gid == gid;
    f.add(id, target, ok ? FindingStatus::pass : FindingStatus::fail,
          fmt::format("{} is owned by {} (want {})", file->path, owner_text(fs, *file), want));
  };
  auto mode = [&](const char* id, const std::optional<FileInfo>& file, std::string_view what, std::uint32_t allowed) {
    if (!file) {
      f.add(id, target, FindingStatus::skipped, missing(what));
      return;
    }
    bool ok = mode_within(file->mode, allowed);
    f.add(id, target, ok ? FindingStatus::pass : FindingStatus::fail,
          fmt::format("{} has mode {} (allowed: {})", file->path, describe_mode(file->mode), describe_mode(allowed)));
  };

  auto service = find_unit(fs, "docker.service");
  owner("BLWK-CIS-3.1", service, "docker.service", 0, 0, "root:root");
  mode("BLWK-CIS-3.2", service, "docker.service", 0644);
  auto socket_unit = find_unit(fs, "docker.socket");
  owner("BLWK-CIS-3.3", socket_unit, "docker.socket", 0, 0, "root:root");
  mode("BLWK-CIS-3.4", socket_unit, "docker.socket", 0644);
  auto etc = fs.stat("/etc/docker");
  owner("BLWK-CIS-3.5", etc, "/etc/docker", 0, 0, "root:root");
  mode("BLWK-CIS-3.6", etc, "/etc/docker", 0755);

  // 3.7/3.8 every file in /etc/docker/certs.d/<registry>/.
  {
    std::vector<FileInfo> certs;
    for (const auto& reg : fs.list("/etc/docker/certs.d")) {
      std::string dir = "/etc/docker/certs.d/" + reg;
      for (const auto& name : fs.list(dir)) {
        if (auto st = fs.stat(dir + "/" + name); st && st->kind == FileKind::regular) certs.push_back(*st);
      }
    }
    if (certs.empty()) {
      f.add("BLWK-CIS-3.7", target, FindingStatus::skipped, "no registry certificates in /etc/docker/certs.d");
      f.add("BLWK-CIS-3.8", target, FindingStatus::skipped, "no registry certificates in /etc/docker/certs.d");
    } else {
      std::vector<std::string> bad_owner;
      std::vector<std::string> bad_mode;
      for (const auto& c : certs) {
        if (c.uid != 0 || c.gid != 0) bad_owner.push_back(fmt::format("{} ({})", c.path, owner_text(fs, c)));
        if (!mode_within(c.mode, 0444)) bad_mode.push_back(fmt::format("{} ({})", c.path, describe_mode(c.mode)));
      }
      f.add("BLWK-CIS-3.7", target, bad_owner.empty() ? FindingStatus::pass : FindingStatus::fail,
            bad_owner.empty() ? fmt::format("{} certificate files, all root:root", certs.size())
                              : "not owned by root:root: " + util::join(bad_owner, ", "));
      f.add("BLWK-CIS-3.8", target, bad_mode.empty() ? FindingStatus::pass : FindingStatus::fail,
            bad_mode.empty() ? fmt::format("{} certificate files, all 0444 or stricter", certs.size())
                             : "more permissive than 0444: " + util::join(bad_mode, ", "));
    }
  }

  // 3.9-3.14 the TLS files named by the daemon's configuration.
  auto tls_file = [&](std::string_view key) -> std::pair<std::optional<FileInfo>, std::string> {
    auto s = daemon.lookup(key);
    if (!s.is_set() || !s.value.is_string() || s.value.get<std::string>().empty()) {
      return {std::nullopt, fmt::format("{} is not configured (no TLS)", key)};
    }
    auto path = s.value.get<std::string>();
    return {fs.stat(path), path};
  };
  {
    auto [ca, ca_what] = tls_file("tlscacert");
    owner("BLWK-CIS-3.9", ca, ca_what, 0, 0, "root:root");
    mode("BLWK-CIS-3.10", ca, ca_what, 0444);
    auto [cert, cert_what] = tls_file("tlscert");
    owner("BLWK-CIS-3.11", cert, cert_what, 0, 0, "root:root");
    mode("BLWK-CIS-3.12", cert, cert_what, 0444);
    auto [key, key_what] = tls_file("tlskey");
    owner("BLWK-CIS-3.13", key, key_what, 0, 0, "root:root");
    mode("BLWK-CIS-3.14", key, key_what, 0400);
  }

  // 3.15/3.16 the Docker socket.
  {
    std::string sock_path = "/var/run/docker.sock";
    for (const auto& h : daemon.lookup_all("hosts")) {
      if (h.starts_with("unix://") && h.size() > 7) sock_path = h.substr(7);
    }
    auto sock = fs.stat(sock_path);
    auto docker_gid = fs.group_id("docker");
    if (!sock) {
      f.add("BLWK-CIS-3.15", target, FindingStatus::skipped, fmt::format("{} does not exist", sock_path));
    } else {
      bool ok = sock->uid == 0 && docker_gid && sock->gid == *docker_gid;
      f.add("BLWK-CIS-3.15", target, ok ? FindingStatus::pass : FindingStatus::fail,
            fmt::format("{} is owned by {} (want root:docker)", sock_path, owner_text(fs, *sock)));
    }
    mode("BLWK-CIS-3.16", sock, sock_path, 0660);
  }

  auto dj = fs.stat(daemon.config_path);
  owner("BLWK-CIS-3.17", dj, daemon.config_path, 0, 0, "root:root");
  mode("BLWK-CIS-3.18", dj, daemon.config_path, 0644);
  auto def = fs.stat("/etc/default/docker");
  owner("BLWK-CIS-3.19", def, "/etc/default/docker", 0, 0, "root:root");
  mode("BLWK-CIS-3.20", def, "/etc/default/docker", 0644);
  auto sys = fs.stat("/etc/sysconfig/docker");
  owner("BLWK-CIS-3.21", sys, "/etc/sysconfig/docker", 0, 0, "root:root");
  mode("BLWK-CIS-3.22", sys, "/etc/sysconfig/docker", 0644);
  // dockerd without a system containerd runs its own under /run/docker.
  auto ctr = fs.stat("/run/containerd/containerd.sock");
  if (!ctr) ctr = fs.stat("/run/docker/containerd/containerd.sock");
  owner("BLWK-CIS-3.23", ctr, "/run/containerd/containerd.sock", 0, 0, "root:root");
  mode("BLWK-CIS-3.24", ctr, "/run/containerd/containerd.sock", 0660);
}

}  // namespace bulwark::host
