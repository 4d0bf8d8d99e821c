#include "config/k8s/pss.hpp"

#include "config/k8s/workload_yaml.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <functional>
#include <set>

namespace bulwark::config::k8s::pss {
namespace {

using yq::boolean;
using yq::child;
using yq::integer;
using yq::is_true;
using yq::path;
using yq::present;
using yq::str;

std::string quote(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

std::string join_quoted(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ", ";
    out += quote(item);
  }
  return out;
}

std::string containers_phrase(const std::vector<std::string>& names) {
  return std::string(names.size() == 1 ? "container " : "containers ") + join_quoted(names);
}

// ---- the pod as the checks see it ---------------------------------------------

struct Container {
  YAML::Node node;
  std::string name;
  YAML::Node security_context;
};

struct Pod {
  YAML::Node metadata;
  YAML::Node spec;
  YAML::Node security_context;        // spec.securityContext
  std::vector<Container> containers;  // containers, initContainers and ephemeralContainers

  [[nodiscard]] bool windows() const { return str(path(spec, {"os", "name"})) == "windows"; }
  // hostUsers: false (a user-namespaced pod) relaxes some checks from v1.35.
  [[nodiscard]] bool user_namespaced() const { return boolean(child(spec, "hostUsers")) == false; }
};

Pod make_pod(const YAML::Node& metadata, const YAML::Node& spec) {
  Pod pod{metadata, spec, child(spec, "securityContext"), {}};
  for (auto list : {"containers", "initContainers", "ephemeralContainers"}) {
    YAML::Node seq = child(spec, list);
    if (!seq || !seq.IsSequence()) continue;
    for (const auto& item : seq) {
      if (!item.IsMap()) continue;
      pod.containers.push_back({item, str(child(item, "name")), child(item, "securityContext")});
    }
  }
  return pod;
}

// Collects the offenders of one check: the first offending node gives the location.
struct Offences {
  std::vector<std::string> parts;
  YAML::Node first;
  void add(std::string part, const YAML::Node& where) {
    if (parts.empty()) first.reset(where);
    parts.push_back(std::move(part));
  }
  [[nodiscard]] bool any() const { return !parts.empty(); }
  [[nodiscard]] std::string joined(std::string_view separator = "; ") const {
    std::string out;
    for (const auto& p : parts) {
      if (!out.empty()) out += separator;
      out += p;
    }
    return out;
  }
};

using CheckFn = std::function<std::optional<Violation>(const Pod&, Version)>;

Violation violation(std::string reason, std::string detail, const YAML::Node& node) {
  return Violation{nullptr, std::move(reason), std::move(detail), node ? node.Mark() : YAML::Mark::null_mark()};
}

// ---- the checks ----------------------------------------------------------------

std::optional<Violation> host_namespaces(const Pod& pod, Version) {
  Offences o;
  for (auto field : {"hostNetwork", "hostPID", "hostIPC"}) {
    YAML::Node value = child(pod.spec, field);
    if (is_true(value)) o.add(std::string(field) + "=true", value);
  }
  if (!o.any()) return std::nullopt;
  return violation("host namespaces", o.joined(", "), o.first);
}

std::optional<Violation> privileged(const Pod& pod, Version) {
  std::vector<std::string> bad;
  YAML::Node first;
  for (const auto& c : pod.containers) {
    YAML::Node value = child(c.security_context, "privileged");
    if (!is_true(value)) continue;
    if (bad.empty()) first.reset(value);
    bad.push_back(c.name);
  }
  if (bad.empty()) return std::nullopt;
  return violation("privileged", containers_phrase(bad) + " must not set securityContext.privileged=true", first);
}

constexpr std::array kBaselineCapabilities{"AUDIT_WRITE", "CHOWN",  "DAC_OVERRIDE",     "FOWNER",  "FSETID",
                                           "KILL",        "MKNOD",  "NET_BIND_SERVICE", "SETFCAP", "SETGID",
                                           "SETPCAP",     "SETUID", "SYS_CHROOT"};

std::optional<Violation> capabilities_baseline(const Pod& pod, Version) {
  std::vector<std::string> bad_containers;
  std::set<std::string> bad_caps;
  Offences where;
  for (const auto& c : pod.containers) {
    YAML::Node add = path(c.security_context, {"capabilities", "add"});
    if (!add.IsSequence()) continue;
    bool bad = false;
    for (const auto& cap : add) {
      std::string name = str(cap);
      if (std::find(kBaselineCapabilities.begin(), kBaselineCapabilities.end(), name) != kBaselineCapabilities.end())
        continue;
      where.add(name, cap);
      bad_caps.insert(name);
      bad = true;
    }
    if (bad) bad_containers.push_back(c.name);
  }
  if (bad_containers.empty()) return std::nullopt;
  return violation("non-default capabilities",
                   containers_phrase(bad_containers) + " must not include " +
                       join_quoted({bad_caps.begin(), bad_caps.end()}) + " in securityContext.capabilities.add",
                   where.first);
}

std::optional<Violation> host_path_volumes(const Pod& pod, Version) {
  YAML::Node volumes = child(pod.spec, "volumes");
  if (!volumes.IsSequence()) return std::nullopt;
  Offences o;
  for (const auto& v : volumes) {
    YAML::Node host_path = child(v, "hostPath");
    if (!present(host_path)) continue;
    o.add(quote(str(child(v, "name"))) + " (" + str(child(host_path, "path")) + ")", host_path);
  }
  if (!o.any()) return std::nullopt;
  return violation("hostPath volumes", "volumes " + o.joined(", "), o.first);
}

std::optional<Violation> host_ports(const Pod& pod, Version) {
  Offences o;
  for (const auto& c : pod.containers) {
    YAML::Node ports = child(c.node, "ports");
    if (!ports.IsSequence()) continue;
    for (const auto& p : ports) {
      YAML::Node host_port = child(p, "hostPort");
      auto value = integer(host_port);
      if (!value || *value == 0) continue;
      o.add(quote(c.name) + " uses hostPort " + std::to_string(*value), host_port);
    }
  }
  if (!o.any()) return std::nullopt;
  return violation("hostPort", "container " + o.joined(", "), o.first);
}

std::optional<Violation> app_armor_profile(const Pod& pod, Version) {
  Offences o;
  constexpr std::string_view kPrefix = "container.apparmor.security.beta.kubernetes.io/";
  YAML::Node annotations = child(pod.metadata, "annotations");
  if (annotations.IsMap()) {
    for (auto it = annotations.begin(); it != annotations.end(); ++it) {
      std::string key = str(it->first);
      if (!key.starts_with(kPrefix)) continue;
      std::string value = str(it->second);
      if (value == "runtime/default" || value.starts_with("localhost/")) continue;
      o.add("annotation " + key + "=" + quote(value), it->second);
    }
  }
  auto check_field = [&](const YAML::Node& security_context, const std::string& who) {
    YAML::Node profile = child(security_context, "appArmorProfile");
    if (!present(profile)) return;
    YAML::Node type = child(profile, "type");
    std::string value = str(type);
    if (value == "RuntimeDefault" || value == "Localhost") return;
    o.add(who + " appArmorProfile.type=" + quote(value), present(type) ? type : profile);
  };
  check_field(pod.security_context, "pod");
  for (const auto& c : pod.containers) check_field(c.security_context, "container " + quote(c.name));
  if (!o.any()) return std::nullopt;
  return violation("forbidden AppArmor profile", o.joined(), o.first);
}

std::optional<Violation> se_linux_options(const Pod& pod, Version version) {
  Offences o;
  auto check = [&](const YAML::Node& security_context, const std::string& who) {
    YAML::Node options = child(security_context, "seLinuxOptions");
    if (!present(options)) return;
    std::vector<std::string> problems;
    std::string type = str(child(options, "type"));
    bool type_ok = type.empty() || type == "container_t" || type == "container_init_t" || type == "container_kvm_t" ||
                   (version >= Version{31} && type == "container_engine_t");
    if (!type_ok) problems.push_back("type " + quote(type));
    if (!str(child(options, "user")).empty()) problems.push_back("user may not be set");
    if (!str(child(options, "role")).empty()) problems.push_back("role may not be set");
    if (problems.empty()) return;
    std::string joined;
    for (const auto& p : problems) joined += (joined.empty() ? "" : ", ") + p;
    o.add(who + ": " + joined, options);
  };
  check(pod.security_context, "pod");
  for (const auto& c : pod.containers) check(c.security_context, "container " + quote(c.name));
  if (!o.any()) return std::nullopt;
  return violation("seLinuxOptions", "forbidden securityContext.seLinuxOptions: " + o.joined(), o.first);
}

std::optional<Violation> proc_mount_any(const Pod& pod) {
  Offences o;
  for (const auto& c : pod.containers) {
    YAML::Node value = child(c.security_context, "procMount");
    if (!present(value) || str(value) == "Default") continue;
    o.add(quote(c.name) + " sets procMount=" + quote(str(value)), value);
  }
  if (!o.any()) return std::nullopt;
  return violation("procMount", "container " + o.joined(", "), o.first);
}

std::optional<Violation> proc_mount(const Pod& pod, Version version) {
  if (version >= Version{35} && pod.user_namespaced()) return std::nullopt;
  return proc_mount_any(pod);
}

std::optional<Violation> proc_mount_restricted(const Pod& pod, Version) {
  return proc_mount_any(pod);
}

std::optional<Violation> seccomp_profile_baseline(const Pod& pod, Version version) {
  Offences o;
  if (version < Version{19}) {
    // Before 1.19 seccomp was set by annotations only.
    YAML::Node annotations = child(pod.metadata, "annotations");
    if (annotations.IsMap()) {
      for (auto it = annotations.begin(); it != annotations.end(); ++it) {
        std::string key = str(it->first);
        if (key != "seccomp.security.alpha.kubernetes.io/pod" &&
            !key.starts_with("container.seccomp.security.alpha.kubernetes.io/"))
          continue;
        if (str(it->second) == "unconfined") o.add("annotation " + key + "=unconfined", it->second);
      }
    }
  } else {
    auto check = [&](const YAML::Node& security_context, const std::string& who) {
      YAML::Node type = path(security_context, {"seccompProfile", "type"});
      if (str(type) == "Unconfined") o.add(who + " seccompProfile.type=Unconfined", type);
    };
    check(pod.security_context, "pod");
    for (const auto& c : pod.containers) check(c.security_context, "container " + quote(c.name));
  }
  if (!o.any()) return std::nullopt;
  return violation("seccompProfile", o.joined(), o.first);
}

bool sysctl_allowed(std::string_view name, Version version) {
  static constexpr std::array<std::pair<std::string_view, int>, 14> kAllowed{{
      {"kernel.shm_rmid_forced", 0},
      {"net.ipv4.ip_local_port_range", 0},
      {"net.ipv4.tcp_syncookies", 0},
      {"net.ipv4.ping_group_range", 0},
      {"net.ipv4.ip_unprivileged_port_start", 0},
      {"net.ipv4.ip_local_reserved_ports", 27},
      {"net.ipv4.tcp_keepalive_time", 29},
      {"net.ipv4.tcp_fin_timeout", 29},
      {"net.ipv4.tcp_keepalive_intvl", 29},
      {"net.ipv4.tcp_keepalive_probes", 29},
      {"net.ipv4.tcp_rmem", 32},
      {"net.ipv4.tcp_wmem", 32},
      {"net.ipv4.tcp_slow_start_after_idle", 37},
      {"net.ipv4.tcp_notsent_lowat", 37},
  }};
  for (const auto& [allowed, since] : kAllowed) {
    if (allowed == name) return version.minor >= since;
  }
  return false;
}

std::optional<Violation> sysctls(const Pod& pod, Version version) {
  YAML::Node list = child(pod.security_context, "sysctls");
  if (!list.IsSequence()) return std::nullopt;
  Offences o;
  for (const auto& s : list) {
    YAML::Node name = child(s, "name");
    if (sysctl_allowed(str(name), version)) continue;
    o.add(str(name), present(name) ? name : YAML::Node(s));
  }
  if (!o.any()) return std::nullopt;
  return violation("forbidden sysctls", o.joined(", "), o.first);
}

std::optional<Violation> windows_host_process(const Pod& pod, Version) {
  Offences o;
  YAML::Node pod_value = path(pod.security_context, {"windowsOptions", "hostProcess"});
  if (is_true(pod_value)) o.add("pod", pod_value);
  for (const auto& c : pod.containers) {
    YAML::Node value = path(c.security_context, {"windowsOptions", "hostProcess"});
    if (is_true(value)) o.add("container " + quote(c.name), value);
  }
  if (!o.any()) return std::nullopt;
  return violation("hostProcess", o.joined(" and ") + " must not set securityContext.windowsOptions.hostProcess=true",
                   o.first);
}

std::optional<Violation> host_probes_and_lifecycle(const Pod& pod, Version) {
  Offences o;
  auto check_handler = [&](const YAML::Node& handler, const Container& c, const char* what) {
    for (auto kind : {"httpGet", "tcpSocket"}) {
      YAML::Node host = path(handler, {kind, "host"});
      if (str(host).empty()) continue;
      o.add(quote(c.name) + " " + what + "." + kind + ".host=" + quote(str(host)), host);
    }
  };
  for (const auto& c : pod.containers) {
    for (auto probe : {"livenessProbe", "readinessProbe", "startupProbe"})
      check_handler(child(c.node, probe), c, probe);
    YAML::Node lifecycle = child(c.node, "lifecycle");
    check_handler(child(lifecycle, "postStart"), c, "lifecycle.postStart");
    check_handler(child(lifecycle, "preStop"), c, "lifecycle.preStop");
  }
  if (!o.any()) return std::nullopt;
  return violation("probe or lifecycle host", "container " + o.joined(", "), o.first);
}

// Volume sources that restricted forbids. A volume with no source, or with an
// allowed one (configMap csi downwardAPI emptyDir ephemeral persistentVolumeClaim
// projected secret, and image from v1.33), passes, as upstream's fixtures show.
constexpr std::array kRestrictedVolumeSources{"hostPath",
                                              "gcePersistentDisk",
                                              "awsElasticBlockStore",
                                              "gitRepo",
                                              "nfs",
                                              "iscsi",
                                              "glusterfs",
                                              "rbd",
                                              "flexVolume",
                                              "cinder",
                                              "cephfs",
                                              "flocker",
                                              "fc",
                                              "azureFile",
                                              "vsphereVolume",
                                              "quobyte",
                                              "azureDisk",
                                              "photonPersistentDisk",
                                              "portworxVolume",
                                              "scaleIO",
                                              "storageos"};

std::optional<Violation> restricted_volumes(const Pod& pod, Version version) {
  YAML::Node volumes = child(pod.spec, "volumes");
  if (!volumes.IsSequence()) return std::nullopt;
  Offences o;
  for (const auto& v : volumes) {
    for (auto source : kRestrictedVolumeSources) {
      YAML::Node value = child(v, source);
      if (!present(value)) continue;
      o.add(quote(str(child(v, "name"))) + " (" + source + ")", value);
      break;
    }
    if (version < Version{33} && present(child(v, "image"))) o.add(quote(str(child(v, "name"))) + " (image)", v);
  }
  if (!o.any()) return std::nullopt;
  return violation("restricted volume types", "volumes " + o.joined(", "), o.first);
}

std::optional<Violation> allow_privilege_escalation(const Pod& pod, Version version) {
  if (version >= Version{25} && pod.windows()) return std::nullopt;
  std::vector<std::string> bad;
  YAML::Node first;
  for (const auto& c : pod.containers) {
    YAML::Node value = child(c.security_context, "allowPrivilegeEscalation");
    if (boolean(value) == false) continue;
    if (bad.empty()) first.reset(present(value) ? value : c.node);
    bad.push_back(c.name);
  }
  if (bad.empty()) return std::nullopt;
  return violation("allowPrivilegeEscalation != false",
                   containers_phrase(bad) + " must set securityContext.allowPrivilegeEscalation=false", first);
}

std::optional<Violation> run_as_non_root(const Pod& pod, Version version) {
  if (version >= Version{35} && pod.user_namespaced()) return std::nullopt;
  Offences explicit_bad;
  bool pod_non_root = false;
  YAML::Node pod_value = child(pod.security_context, "runAsNonRoot");
  if (auto v = boolean(pod_value)) {
    if (*v)
      pod_non_root = true;
    else
      explicit_bad.add("pod", pod_value);
  }
  std::vector<std::string> implicit_bad;
  YAML::Node first_implicit;
  for (const auto& c : pod.containers) {
    YAML::Node value = child(c.security_context, "runAsNonRoot");
    if (auto v = boolean(value)) {
      if (!*v) explicit_bad.add("container " + quote(c.name), value);
    } else if (!pod_non_root) {
      if (implicit_bad.empty()) first_implicit.reset(c.node);
      implicit_bad.push_back(c.name);
    }
  }
  if (explicit_bad.any())
    return violation("runAsNonRoot != true",
                     explicit_bad.joined(" and ") + " must not set securityContext.runAsNonRoot=false",
                     explicit_bad.first);
  if (!implicit_bad.empty())
    return violation("runAsNonRoot != true",
                     "pod or " + containers_phrase(implicit_bad) + " must set securityContext.runAsNonRoot=true",
                     first_implicit);
  return std::nullopt;
}

std::optional<Violation> run_as_user(const Pod& pod, Version version) {
  if (version >= Version{35} && pod.user_namespaced()) return std::nullopt;
  Offences o;
  YAML::Node pod_value = child(pod.security_context, "runAsUser");
  if (integer(pod_value) == 0) o.add("pod", pod_value);
  for (const auto& c : pod.containers) {
    YAML::Node value = child(c.security_context, "runAsUser");
    if (integer(value) == 0) o.add("container " + quote(c.name), value);
  }
  if (!o.any()) return std::nullopt;
  return violation("runAsUser=0", o.joined(" and ") + " must not set runAsUser=0", o.first);
}

bool seccomp_confined(const std::string& type) {
  return type == "RuntimeDefault" || type == "Localhost";
}

std::optional<Violation> seccomp_profile_restricted(const Pod& pod, Version version) {
  if (version >= Version{25} && pod.windows()) return std::nullopt;
  Offences explicit_bad;
  bool pod_ok = false;
  YAML::Node pod_profile = child(pod.security_context, "seccompProfile");
  if (present(pod_profile)) {
    YAML::Node type = child(pod_profile, "type");
    if (seccomp_confined(str(type)))
      pod_ok = true;
    else
      explicit_bad.add("pod seccompProfile.type=" + quote(str(type)), present(type) ? type : pod_profile);
  }
  std::vector<std::string> implicit_bad;
  YAML::Node first_implicit;
  for (const auto& c : pod.containers) {
    YAML::Node profile = child(c.security_context, "seccompProfile");
    if (present(profile)) {
      YAML::Node type = child(profile, "type");
      if (!seccomp_confined(str(type)))
        explicit_bad.add("container " + quote(c.name) + " seccompProfile.type=" + quote(str(type)),
                         present(type) ? type : profile);
    } else if (!pod_ok) {
      if (implicit_bad.empty()) first_implicit.reset(c.node);
      implicit_bad.push_back(c.name);
    }
  }
  if (explicit_bad.any()) return violation("seccompProfile", explicit_bad.joined(), explicit_bad.first);
  if (!implicit_bad.empty())
    return violation("seccompProfile",
                     "pod or " + containers_phrase(implicit_bad) +
                         " must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\"",
                     first_implicit);
  return std::nullopt;
}

std::optional<Violation> capabilities_restricted(const Pod& pod, Version version) {
  if (version >= Version{25} && pod.windows()) return std::nullopt;
  std::vector<std::string> not_dropping;
  std::vector<std::string> adding;
  std::set<std::string> added;
  Offences where;
  for (const auto& c : pod.containers) {
    YAML::Node caps = child(c.security_context, "capabilities");
    bool drops_all = false;
    YAML::Node drop = child(caps, "drop");
    if (drop.IsSequence()) {
      for (const auto& d : drop) drops_all = drops_all || str(d) == "ALL";
    }
    if (!drops_all) {
      where.add(c.name, present(drop) ? drop : c.node);
      not_dropping.push_back(c.name);
    }
    YAML::Node add = child(caps, "add");
    if (add.IsSequence()) {
      bool bad = false;
      for (const auto& a : add) {
        if (str(a) == "NET_BIND_SERVICE") continue;
        where.add(c.name, a);
        added.insert(str(a));
        bad = true;
      }
      if (bad) adding.push_back(c.name);
    }
  }
  if (not_dropping.empty() && adding.empty()) return std::nullopt;
  std::string detail;
  if (!not_dropping.empty())
    detail = containers_phrase(not_dropping) + " must set securityContext.capabilities.drop=[\"ALL\"]";
  if (!adding.empty()) {
    if (!detail.empty()) detail += "; ";
    detail += containers_phrase(adding) + " must not include " + join_quoted({added.begin(), added.end()}) +
              " in securityContext.capabilities.add";
  }
  return violation("unrestricted capabilities", detail, where.first);
}

struct CheckImpl {
  CheckInfo info;
  CheckFn fn;
};

const std::vector<CheckImpl>& registry() {
  static const std::vector<CheckImpl> kChecks{
      {{"hostNamespaces", Level::baseline, {0}, "Host Namespaces"}, host_namespaces},
      {{"privileged", Level::baseline, {0}, "Privileged Containers"}, privileged},
      {{"capabilities_baseline", Level::baseline, {0}, "Capabilities"}, capabilities_baseline},
      {{"hostPathVolumes", Level::baseline, {0}, "HostPath Volumes"}, host_path_volumes},
      {{"hostPorts", Level::baseline, {0}, "Host Ports"}, host_ports},
      {{"appArmorProfile", Level::baseline, {0}, "AppArmor"}, app_armor_profile},
      {{"seLinuxOptions", Level::baseline, {0}, "SELinux"}, se_linux_options},
      {{"procMount", Level::baseline, {0}, "/proc Mount Type"}, proc_mount},
      {{"seccompProfile_baseline", Level::baseline, {0}, "Seccomp"}, seccomp_profile_baseline},
      {{"sysctls", Level::baseline, {0}, "Sysctls"}, sysctls},
      {{"windowsHostProcess", Level::baseline, {0}, "HostProcess"}, windows_host_process},
      {{"hostProbesAndHostLifecycle", Level::baseline, {34}, "Host Probes / Lifecycle Hooks"},
       host_probes_and_lifecycle},
      {{"restrictedVolumes", Level::restricted, {0}, "Volume Types"}, restricted_volumes},
      {{"allowPrivilegeEscalation", Level::restricted, {8}, "Privilege Escalation"}, allow_privilege_escalation},
      {{"runAsNonRoot", Level::restricted, {0}, "Running as Non-root"}, run_as_non_root},
      {{"runAsUser", Level::restricted, {23}, "Running as Non-root user"}, run_as_user},
      {{"seccompProfile_restricted", Level::restricted, {19}, "Seccomp"}, seccomp_profile_restricted},
      {{"capabilities_restricted", Level::restricted, {22}, "Capabilities"}, capabilities_restricted},
      {{"procMount_restricted", Level::restricted, {35}, "/proc Mount Type"}, proc_mount_restricted},
  };
  return kChecks;
}

const std::vector<CheckInfo>& infos() {
  static const std::vector<CheckInfo> kInfos = [] {
    std::vector<CheckInfo> out;
    for (const auto& c : registry()) out.push_back(c.info);
    return out;
  }();
  return kInfos;
}

bool in_force(const CheckInfo& info, Level level, Version version) {
  if (level == Level::baseline && info.level == Level::restricted) return false;
  return version >= info.since;
}

}  // namespace

std::string_view to_string(Level level) noexcept {
  return level == Level::baseline ? "baseline" : "restricted";
}

std::optional<Level> parse_level(std::string_view text) noexcept {
  if (text == "baseline") return Level::baseline;
  if (text == "restricted") return Level::restricted;
  return std::nullopt;
}

std::optional<Version> parse_version(std::string_view text) noexcept {
  if (text == "latest" || text.empty()) return kLatest;
  if (text.starts_with('v')) text.remove_prefix(1);
  if (!text.starts_with("1.")) return std::nullopt;
  text.remove_prefix(2);
  int minor = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), minor);
  if (ec != std::errc() || end != text.data() + text.size() || minor < 0 || minor > 999) return std::nullopt;
  return Version{std::min(minor, kLatest.minor)};
}

std::string to_string(Version version) {
  return "v1." + std::to_string(version.minor);
}

std::span<const CheckInfo> checks() noexcept {
  return infos();
}

const CheckInfo* find_check(std::string_view id) noexcept {
  for (const auto& info : infos()) {
    if (info.id == id) return &info;
  }
  return nullptr;
}

std::vector<const CheckInfo*> checks_in_force(Level level, Version version) {
  std::vector<const CheckInfo*> out;
  for (const auto& info : infos()) {
    if (in_force(info, level, version)) out.push_back(&info);
  }
  return out;
}

std::vector<Violation> evaluate(const YAML::Node& metadata, const YAML::Node& spec, Level level, Version version) {
  std::vector<Violation> out;
  Pod pod = make_pod(metadata, spec);
  const auto& impls = registry();
  const auto& info_list = infos();
  for (std::size_t i = 0; i < impls.size(); ++i) {
    if (!in_force(impls[i].info, level, version)) continue;
    if (auto v = impls[i].fn(pod, version)) {
      v->check = &info_list[i];
      out.push_back(std::move(*v));
    }
  }
  return out;
}

}  // namespace bulwark::config::k8s::pss
