// One model of how a container is run, whatever described it: a Compose service, a
// Kubernetes container (with its pod), or, later, a live container from `docker inspect`.
// CIS Docker §5, Compose keys and Kubernetes securityContext name the same knobs; each
// input maps into RuntimeSettings once, and the runtime checks read only this model.
//
// Every field is optional in the sense of "not stated": std::nullopt means the input did
// not say, so the runtime's default applies (Docker: not privileged, own namespaces,
// default capabilities, the image's USER, writable root, default seccomp/AppArmor).
// `where` remembers the position of each stated field so a finding points at it.
#pragma once

#include "core/model.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace bulwark::config {

struct RuntimeMount {
  std::string source;      // host path (bind/hostPath) or volume name
  std::string target;      // path inside the container
  bool host_path = false;  // a path of the host (bind mount, hostPath), not a named volume
  bool read_only = false;
  std::string propagation;  // shared, rshared, slave, … ("" = private default)
  core::Location location;
};

struct PublishedPort {
  std::string host_ip;         // "" = all interfaces (0.0.0.0 and ::)
  std::string host_port;       // "" = ephemeral; may be a range "8000-8010"
  std::string container_port;  // may be a range
  std::string protocol = "tcp";
  core::Location location;
};

struct ResourceLimits {
  std::optional<std::string> memory;  // as written: "512m", "1Gi"
  std::optional<std::string> cpus;    // "0.5", "500m"
  std::optional<long long> pids;
};

struct RuntimeSettings {
  std::string kind;  // "compose-service", "kubernetes-container", "container"
  std::string name;  // service / container name
  std::string image;
  core::Location location;  // where the container is defined

  std::optional<bool> privileged;
  std::optional<bool> host_network;
  std::optional<bool> host_pid;
  std::optional<bool> host_ipc;
  std::optional<bool> host_uts;
  std::optional<bool> host_userns;        // user namespace of the host (userns_mode: host / hostUsers: true)
  std::vector<std::string> caps_added;    // upper case, without CAP_ prefix; "ALL" stays "ALL"
  std::vector<std::string> caps_dropped;  // likewise
  std::optional<std::string> user;        // "1000", "app", "0:0"
  std::optional<bool> run_as_non_root;    // Kubernetes runAsNonRoot
  std::optional<bool> read_only_rootfs;
  std::optional<std::string> seccomp_profile;   // "unconfined", "runtime/default", "localhost/<path>", a file
  std::optional<std::string> apparmor_profile;  // "unconfined", "runtime/default", "localhost/<name>"
  std::optional<bool> selinux_disabled;         // label:disable / label=disable
  std::optional<bool> no_new_privileges;        // Kubernetes: allowPrivilegeEscalation == false
  std::vector<RuntimeMount> mounts;
  std::vector<PublishedPort> ports;
  std::vector<std::string> devices;  // host devices passed in
  ResourceLimits limits;
  std::vector<std::pair<std::string, std::string>> environment;  // name, value (as written)

  // Position of each stated field, keyed by the field's name above ("privileged", "caps_added", …).
  std::map<std::string, core::Location> where;

  [[nodiscard]] core::Location location_of(const std::string& field) const {
    auto it = where.find(field);
    return it == where.end() ? location : it->second;
  }
};

// Docker's default capability set (moby/oci/caps/defaults.go); adding anything else widens privilege.
inline const std::vector<std::string>& docker_default_capabilities() {
  static const std::vector<std::string> caps{
      "CHOWN",  "DAC_OVERRIDE", "FSETID",  "FOWNER",           "MKNOD",      "NET_RAW", "SETGID",
      "SETUID", "SETFCAP",      "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL",    "AUDIT_WRITE"};
  return caps;
}

}  // namespace bulwark::config
