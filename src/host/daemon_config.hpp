// What the audit knows about the Docker daemon's configuration, merged from
// three places: /etc/docker/daemon.json (or the --config-file dockerd was
// started with), the dockerd command line (from /proc on the live host) and the
// Engine API's /info (what the daemon actually runs with). Flags win over
// daemon.json (dockerd refuses to start when both set the same key, so this
// only matters for repeated list flags); /info wins where it reports a value.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "host/hostfs.hpp"
#include "util/error.hpp"

namespace bulwark::host {

struct DaemonFlag {
  std::string name;   // without dashes, the long name: "icc", "host", "insecure-registry"
  std::string value;  // "true" for a bare boolean flag
};

// Parses a dockerd argv (argv[0] included) into flags. Boolean flags take no separate value.
[[nodiscard]] std::vector<DaemonFlag> parse_dockerd_args(const std::vector<std::string>& argv);

struct Setting {
  enum class State { set, unset, unknown };
  State state = State::unset;
  nlohmann::json value;  // the value, as daemon.json would hold it (flag values are strings or bools)
  std::string source;    // "daemon.json", "dockerd --icc=false", "/info"
  [[nodiscard]] bool is_set() const noexcept { return state == State::set; }
};

struct DaemonFacts {
  std::string config_path = "/etc/docker/daemon.json";
  bool config_present = false;
  std::optional<Error> config_error;  // unreadable or malformed daemon.json
  nlohmann::json config = nlohmann::json::object();

  bool installed = false;      // dockerd or docker.service exists (then unset settings mean the defaults)
  bool cmdline_known = false;  // dockerd was found in /proc
  int pid = 0;
  std::string exe;  // /proc/PID/exe target
  std::vector<DaemonFlag> flags;

  nlohmann::json info;    // GET /info; null when the daemon was not reachable or not asked
  nlohmann::json bridge;  // GET /networks/bridge; null when unknown
  nlohmann::json swarm;   // GET /swarm when swarm is active
  std::string docker_host;
  std::string version;
  std::string api_version;

  // A daemon.json key or its flag (flags first). unknown when daemon.json could not be read
  // and no flag decides it.
  [[nodiscard]] Setting lookup(std::string_view key) const;
  // Every value of a list setting: the daemon.json array plus every repeated flag.
  [[nodiscard]] std::vector<std::string> lookup_all(std::string_view key) const;
  [[nodiscard]] bool has_info() const noexcept { return info.is_object(); }
  // An /info security option such as "userns", "rootless", "apparmor", "selinux", "seccomp".
  [[nodiscard]] std::optional<std::string> security_option(std::string_view name) const;
};

// Reads daemon.json (the path from --config-file when given) below fs. A missing
// file is no error; a malformed one is recorded in config_error.
void load_daemon_json(const HostFs& fs, DaemonFacts& facts);

// Finds a running dockerd in /proc and records its command line. Live host only.
void load_dockerd_cmdline(DaemonFacts& facts);

// Credentials have no place in a report: URL user:password@ parts and the values
// of keys that look like secrets are replaced by "***".
[[nodiscard]] std::string redact(std::string_view text);

}  // namespace bulwark::host
