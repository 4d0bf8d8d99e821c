// The host audit's evaluators: each takes facts already gathered (files below
// a HostFs, daemon settings, Engine API documents, /proc readings) and appends
// one finding per check and target, built from the catalogue. They do no I/O
// of their own beyond the HostFs they are given, so tests feed them recorded
// documents and built roots.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/model.hpp"
#include "host/audit_rules.hpp"
#include "host/daemon_config.hpp"
#include "host/hostfs.hpp"

namespace bulwark::host {

// Appends catalogue-built findings.
class Findings {
 public:
  explicit Findings(std::vector<core::Finding>& out) : out_(out) {}
  // id is a catalogue id ("BLWK-CIS-5.10"); an unknown id is a programming error and is dropped.
  void add(std::string_view id, const core::Target& target, core::FindingStatus status, std::string evidence);

 private:
  std::vector<core::Finding>& out_;
};

struct Mount {
  std::string mount_point;
  std::string device;  // "254:0" from mountinfo; the fstab source offline
  std::string fstype;
  std::string root;  // the path inside the mounted filesystem ("/" unless a bind mount)
};
// /proc/self/mountinfo lines.
[[nodiscard]] std::vector<Mount> parse_mountinfo(std::string_view text);
// /etc/fstab lines (offline roots).
[[nodiscard]] std::vector<Mount> parse_fstab(std::string_view text);

struct HostFacts {
  std::string hostname;
  std::string kernel_release;  // empty offline
  std::vector<Mount> mounts;
  bool mounts_from_fstab = false;
  std::vector<AuditRule> audit_rules;  // files and, live, the kernel's
  std::optional<std::string> kernel_rules_error;
  bool kernel_rules_read = false;
  std::vector<std::pair<std::string, std::string>> sysctls;  // name -> value (live: /proc/sys; offline: sysctl files)
  bool sysctls_configured_only = false;                      // offline: from configuration files
  std::optional<std::string> content_trust;                  // DOCKER_CONTENT_TRUST of this environment
};

// Values from sysctl configuration files below fs (offline roots), later files winning.
[[nodiscard]] std::vector<std::pair<std::string, std::string>> read_sysctl_files(const HostFs& fs);

// §1 and bulwark's kernel checks; 4.5 (content trust is a client setting).
void check_host(const HostFs& fs, const HostFacts& host, const DaemonFacts& daemon, const core::Target& target,
                std::vector<core::Finding>& out);
// §2, 5.1, §6 (given the image and container lists) and §7.
void check_daemon(const DaemonFacts& daemon, const core::Target& target, std::vector<core::Finding>& out);
void check_operations(const nlohmann::json& images, const nlohmann::json& all_containers, const core::Target& target,
                      std::vector<core::Finding>& out);
// §3.
void check_files(const HostFs& fs, const DaemonFacts& daemon, const core::Target& target,
                 std::vector<core::Finding>& out);

struct ImageFiles {
  bool examined = false;
  std::vector<std::string> setuid;  // paths with setuid or setgid bits
  std::string error;                // why they could not be read
};
// §4 for one image: /images/{id}/json and /images/{id}/history.
void check_image(const nlohmann::json& inspect, const nlohmann::json& history, const ImageFiles& files,
                 const core::Target& target, std::vector<core::Finding>& out);
[[nodiscard]] core::Target image_target(const nlohmann::json& inspect);

struct ContainerEnv {
  bool apparmor_enabled = false;  // the daemon reports AppArmor
  bool selinux_enabled = false;   // the daemon reports SELinux
  bool daemon_no_new_privileges = false;
  bool userns_remap = false;
  std::vector<std::string> docker_sockets = {"/var/run/docker.sock", "/run/docker.sock"};
  std::optional<std::vector<std::string>> processes;  // command names running in the container; nullopt = unknown
};
// §5 for one container: /containers/{id}/json.
void check_container(const nlohmann::json& inspect, const ContainerEnv& env, const core::Target& target,
                     std::vector<core::Finding>& out);
[[nodiscard]] core::Target container_target(const nlohmann::json& inspect);

// The posture of one containerised process, read from /proc.
struct ProcessPosture {
  int pid = 0;
  std::string comm;
  std::string container_id;  // from the cgroup path
  std::uint64_t cap_effective = 0;
  int no_new_privs = -1;  // -1 unknown
  int seccomp = -1;       // 0 disabled, 1 strict, 2 filter
  std::uint32_t euid = 0;
  std::vector<std::string> shared_namespaces;  // with the host: "net", "pid", ...
  bool uid_map_identity = false;               // uid 0 inside is uid 0 outside
};

// The container id (64 hex digits) in a /proc/PID/cgroup text: docker, containerd, CRI-O, podman paths.
[[nodiscard]] std::string container_id_from_cgroup(std::string_view cgroup_text);
// Every process in a container, from proc_root ("/proc"); the host's namespaces are
// those of this process.
[[nodiscard]] std::vector<ProcessPosture> scan_container_processes(const std::string& proc_root = "/proc");
// Names of effective capabilities: "CAP_SYS_ADMIN", ...
[[nodiscard]] std::vector<std::string> capability_names(std::uint64_t caps);
// BLWK-PROC-001..005 for the processes of one container.
void check_processes(const std::vector<const ProcessPosture*>& processes, const core::Target& target,
                     std::vector<core::Finding>& out);

}  // namespace bulwark::host
