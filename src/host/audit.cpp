#include "host/audit.hpp"

#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <map>

#include <fmt/format.h>

#include "core/filetree.hpp"
#include "host/catalogue.hpp"
#include "host/checks.hpp"
#include "image/reference.hpp"
#include "image/rootfs.hpp"
#include "image/source.hpp"
#include "util/files.hpp"
#include "util/strings.hpp"

namespace bulwark::host {

namespace {

std::string hostname_of(const HostFs& fs) {
  if (fs.is_live()) {
    char buf[256] = {};
    if (::gethostname(buf, sizeof buf - 1) == 0 && buf[0]) return buf;
  }
  if (auto h = fs.read("/etc/hostname", 4096)) {
    auto t = util::trim(*h);
    if (!t.empty()) return util::printable(t);
  }
  return fs.is_live() ? "localhost" : fs.root().string();
}

HostFacts gather_host(const HostFs& fs) {
  HostFacts h;
  h.hostname = hostname_of(fs);
  h.audit_rules = read_audit_rule_files(fs);
  if (fs.is_live()) {
    utsname u{};
    if (::uname(&u) == 0) h.kernel_release = u.release;
    if (auto mi = util::read_file("/proc/self/mountinfo", 16 << 20)) h.mounts = parse_mountinfo(*mi);
    auto loaded = read_loaded_audit_rules();
    if (loaded) {
      h.kernel_rules_read = true;
      h.audit_rules.insert(h.audit_rules.end(), loaded->begin(), loaded->end());
    } else {
      h.kernel_rules_error = loaded.error().message;
    }
    for (const char* name :
         {"kernel.unprivileged_bpf_disabled", "kernel.kptr_restrict", "kernel.dmesg_restrict", "fs.suid_dumpable",
          "net.bridge.bridge-nf-call-iptables", "net.ipv4.conf.all.route_localnet", "fs.protected_symlinks",
          "fs.protected_hardlinks", "net.ipv4.ip_forward"}) {
      std::string path = "/proc/sys/" + std::string(name);
      std::replace(path.begin() + 10, path.end(), '.', '/');
      if (auto v = util::read_file(path, 4096)) h.sysctls.emplace_back(name, std::string(util::trim(*v)));
    }
    if (const char* ct = std::getenv("DOCKER_CONTENT_TRUST")) h.content_trust = ct;
  } else {
    h.mounts_from_fstab = true;
    if (auto fstab = fs.read("/etc/fstab", 1 << 20)) h.mounts = parse_fstab(*fstab);
    h.sysctls = read_sysctl_files(fs);
    h.sysctls_configured_only = true;
  }
  return h;
}

// A unix socket that cannot be opened: say why (missing, or permission denied) rather than
// leaving the user with libcurl's "Couldn't connect".
Error explain_socket(const std::string& docker_host, Error error) {
  if (!docker_host.starts_with("unix://")) return error;
  std::string path = docker_host.substr(7);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    error.message = fmt::format("cannot reach the Docker engine: {} does not exist (is dockerd running?)", path);
  } else if (::access(path.c_str(), R_OK | W_OK) != 0 && errno == EACCES) {
    error.message = fmt::format(
        "cannot reach the Docker engine: permission denied on {} (mode {:04o}, uid {}, gid {}): run as root or as a "
        "member of the socket's group",
        path, st.st_mode & 07777U, st.st_uid, st.st_gid);
  }
  return error;
}

ImageFiles read_image_files(const std::string& id, const std::string& docker_host, const core::Context& ctx) {
  ImageFiles files;
  auto ref = image::parse_reference("docker-daemon:" + id);
  if (!ref) {
    files.error = ref.error().message;
    return files;
  }
  image::SourceOptions so;
  so.docker_host = docker_host;
  auto source = image::open_source(*ref, so, ctx);
  if (!source) {
    files.error = source.error().message;
    return files;
  }
  core::FileTree tree;
  auto st = image::read_layers(
      **source, [](std::string_view) { return false; }, ctx, tree);
  if (!st) {
    files.error = st.error().message;
    return files;
  }
  files.examined = true;
  tree.for_each([&](const core::FileEntry& e) {
    if (e.type == core::FileType::regular && (e.mode & 06000U)) files.setuid.push_back("/" + e.path);
  });
  return files;
}

}  // namespace

AuditReport run_audit(const AuditOptions& options, const core::Context& ctx) {
  AuditReport report;
  report.offline = !options.root.empty();
  HostFs fs(report.offline ? options.root : std::filesystem::path("/"));

  core::ScanResult host_result;
  HostFacts host = gather_host(fs);
  host_result.target = {core::TargetKind::host, host.hostname, {}};

  DaemonFacts daemon;
  if (!report.offline) load_dockerd_cmdline(daemon);
  load_daemon_json(fs, daemon);
  for (const char* p :
       {"/usr/bin/dockerd", "/usr/sbin/dockerd", "/usr/local/bin/dockerd", "/lib/systemd/system/docker.service",
        "/usr/lib/systemd/system/docker.service", "/etc/systemd/system/docker.service"}) {
    if (fs.stat(p)) daemon.installed = true;
  }
  if (daemon.config_error) report.problems.push_back({ProblemKind::input, *daemon.config_error});

  // The Engine API (live only).
  nlohmann::json containers_all;
  nlohmann::json images;
  std::vector<nlohmann::json> inspected;
  std::optional<docker::Client> client;
  if (!report.offline) {
    std::string host_url = options.docker_host;
    if (host_url.empty()) {
      const char* env = std::getenv("DOCKER_HOST");
      host_url = env && *env ? env : "unix:///var/run/docker.sock";
    }
    daemon.docker_host = host_url;
    report.docker_host = host_url;
    auto c = docker::Client::connect(host_url, options.tls);
    if (!c) {
      report.problems.push_back({ProblemKind::daemon, c.error()});
    } else {
      client = std::move(*c);
      auto version = client->version();
      if (!version) {
        report.problems.push_back({ProblemKind::daemon, explain_socket(host_url, version.error())});
        client.reset();
      } else {
        daemon.version = version->version;
        daemon.api_version = version->api_version;
        report.docker_version = version->version;
      }
    }
    if (client) {
      if (auto info = client->info()) daemon.info = std::move(*info);
      if (auto bridge = client->inspect_network("bridge")) daemon.bridge = std::move(*bridge);
      if (daemon.info.is_object() && daemon.info.contains("Swarm") && daemon.info["Swarm"].is_object() &&
          daemon.info["Swarm"].value("ControlAvailable", false)) {
        if (auto sw = client->inspect_swarm()) daemon.swarm = std::move(*sw);
      }
    }
  }

  core::ScanResult daemon_result;
  daemon_result.target = {
      core::TargetKind::daemon, report.offline ? fs.root().string() + daemon.config_path : daemon.docker_host, {}};
  if (daemon.info.is_object()) daemon_result.target.id = daemon.info.value("ID", std::string());

  check_host(fs, host, daemon, host_result.target, host_result.findings);
  check_files(fs, daemon, host_result.target, host_result.findings);
  check_daemon(daemon, daemon_result.target, daemon_result.findings);

  std::vector<core::ScanResult> image_results;
  std::vector<core::ScanResult> container_results;
  // Every containerised process on this machine, whatever runtime started it (and whether or
  // not the Docker daemon answers). With a remote daemon, /proc here says nothing about its containers.
  std::vector<ProcessPosture> procs;
  const bool remote = daemon.docker_host.starts_with("tcp://");
  if (!report.offline && !remote) procs = scan_container_processes();
  std::map<std::string, std::vector<const ProcessPosture*>> by_container;
  for (const auto& p : procs) by_container[p.container_id].push_back(&p);
  if (client) {
    // Containers: the running ones, each inspected.
    auto all = client->list_containers(docker::ContainerSet::all);
    if (!all) {
      report.problems.push_back({ProblemKind::daemon, all.error()});
    } else {
      containers_all = std::move(*all);
    }
    auto imgs = client->list_images();
    if (!imgs) {
      report.problems.push_back({ProblemKind::daemon, imgs.error()});
    } else {
      images = std::move(*imgs);
    }
    if (containers_all.is_array() && images.is_array())
      check_operations(images, containers_all, daemon_result.target, daemon_result.findings);

    const bool local = daemon.docker_host.starts_with("unix://");

    ContainerEnv env;
    env.apparmor_enabled = daemon.security_option("apparmor").has_value();
    env.selinux_enabled = daemon.security_option("selinux").has_value();
    env.userns_remap = daemon.security_option("userns").has_value();
    auto nnp = daemon.lookup("no-new-privileges");
    env.daemon_no_new_privileges = nnp.is_set() && (nnp.value == true || nnp.value == "true");
    if (local) {
      std::string sock = daemon.docker_host.substr(7);
      if (std::find(env.docker_sockets.begin(), env.docker_sockets.end(), sock) == env.docker_sockets.end()) {
        env.docker_sockets.push_back(sock);
      }
    }

    if (containers_all.is_array()) {
      for (const auto& c : containers_all) {
        if (!c.is_object() || c.value("State", "") != "running") continue;
        auto id = c.value("Id", std::string());
        auto doc = client->inspect_container(id);
        // Removed between the listing and the inspect (a busy host): not a daemon problem.
        if (!doc && doc.error().code == ErrorCode::not_found) continue;
        if (!doc) {
          report.problems.push_back({ProblemKind::daemon, doc.error()});
          continue;
        }
        core::ScanResult r;
        r.target = container_target(*doc);
        ContainerEnv cenv = env;
        if (auto it = by_container.find(id); it != by_container.end()) {
          std::vector<std::string> names;
          for (const auto* p : it->second) names.push_back(p->comm);
          cenv.processes = std::move(names);
        } else if (!local) {
          if (auto top = client->container_top(id); top && top->contains("Processes")) {
            std::vector<std::string> names;
            std::size_t cmd_col = 0;
            if (top->contains("Titles") && (*top)["Titles"].is_array()) {
              for (std::size_t i = 0; i < (*top)["Titles"].size(); ++i) {
                if ((*top)["Titles"][i] == "CMD" || (*top)["Titles"][i] == "COMMAND") cmd_col = i;
              }
            }
            for (const auto& row : (*top)["Processes"]) {
              if (row.is_array() && row.size() > cmd_col && row[cmd_col].is_string()) {
                auto cmd = row[cmd_col].get<std::string>();
                names.push_back(cmd.substr(0, cmd.find(' ')));
              }
            }
            cenv.processes = std::move(names);
          }
        }
        check_container(*doc, cenv, r.target, r.findings);
        if (auto it = by_container.find(id); it != by_container.end())
          check_processes(it->second, r.target, r.findings);
        inspected.push_back(std::move(*doc));
        container_results.push_back(std::move(r));
      }
    }

    // Images: every top-level image.
    if (images.is_array()) {
      for (const auto& i : images) {
        auto id = i.is_object() ? i.value("Id", std::string()) : std::string();
        if (id.empty()) continue;
        auto doc = client->inspect_image(id);
        if (!doc && doc.error().code == ErrorCode::not_found) continue;  // removed since the listing
        if (!doc) {
          report.problems.push_back({ProblemKind::daemon, doc.error()});
          continue;
        }
        auto history = client->image_history(id);
        core::ScanResult r;
        r.target = image_target(*doc);
        ImageFiles files;
        if (options.image_files) files = read_image_files(id, daemon.docker_host, ctx);
        check_image(*doc, history ? *history : nlohmann::json(), files, r.target, r.findings);
        image_results.push_back(std::move(r));
      }
    }
    report.api_requests = client->requests();
    report.containers = inspected.size();
    report.images = image_results.size();
  } else if (!report.offline) {
    // The daemon could not be asked: say so in the report for the checks that need it.
    core::Finding note = make_finding(*find_check("BLWK-CIS-5.1"), daemon_result.target, core::FindingStatus::skipped,
                                      "the Docker daemon could not be reached");
    daemon_result.findings.push_back(std::move(note));
  } else {
    // Offline: §4-§7 need a daemon.
    for (const auto& c : catalogue()) {
      if (c.section == Section::containers && c.cis == "5.1") {
        daemon_result.findings.push_back(make_finding(c, daemon_result.target, core::FindingStatus::skipped,
                                                      "offline root: containers and images need a running daemon"));
      }
    }
  }

  // Containers of other runtimes (containerd, CRI-O, podman), or of an unreachable daemon, seen only in /proc.
  for (const auto& [id_binding, list] : by_container) {
    const auto& id = id_binding;  // captured below (clang 14 cannot capture a binding)
    bool known = std::any_of(inspected.begin(), inspected.end(),
                             [&](const nlohmann::json& d) { return d.value("Id", std::string()) == id; });
    if (known) continue;
    core::ScanResult r;
    r.target = {core::TargetKind::container, id.substr(0, 12), id};
    check_processes(list, r.target, r.findings);
    container_results.push_back(std::move(r));
  }

  report.results.push_back(std::move(host_result));
  report.results.push_back(std::move(daemon_result));
  for (auto& r : image_results) report.results.push_back(std::move(r));
  for (auto& r : container_results) report.results.push_back(std::move(r));
  return report;
}

Score score(const std::vector<core::ScanResult>& results) {
  Score s;
  for (const auto& r : results) {
    for (const auto& f : r.findings) {
      const CheckDef* def = find_check(f.id);
      bool automated = def && def->assessment == Assessment::automated;
      switch (f.status) {
        case core::FindingStatus::pass:
          if (automated) ++s.passed;
          break;
        case core::FindingStatus::fail:
          if (automated) ++s.failed;
          break;
        case core::FindingStatus::warn: ++s.warned; break;
        case core::FindingStatus::manual: ++s.manual; break;
        case core::FindingStatus::skipped: ++s.skipped; break;
        case core::FindingStatus::info: ++s.info; break;
      }
    }
  }
  return s;
}

}  // namespace bulwark::host
