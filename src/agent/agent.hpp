// `bulwark agent`: the loop that ties the parts together. On start, on every
// engine event (debounced) and on the interval it writes the inventory to the
// spool; each image id it has not sent before gets its SBOM (state file in the
// state folder, updated only after the SBOM is in the spool); on start and on
// the interval the CIS host audit. A delivery thread sends the spool.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "agent/delivery.hpp"
#include "agent/inventory.hpp"
#include "agent/monitor.hpp"
#include "agent/spool.hpp"
#include "core/context.hpp"

namespace bulwark::agent {

struct AgentOptions {
  DeliveryOptions delivery;
  HostIdentity host;
  std::filesystem::path spool_dir;
  std::filesystem::path state_dir;
  SpoolLimits spool_limits;
  std::chrono::seconds interval{15 * 60};
  std::chrono::seconds activity_interval{60};  // cgroup counters of running containers
  std::filesystem::path cgroup_root = "/sys/fs/cgroup";
  std::string docker_host;  // empty: the default socket
  // Which engine the inventory comes from: "docker" (Engine API), "cri" (Kubernetes CRI over gRPC on
  // cri_socket: containerd, CRI-O) or "auto" (Docker when its socket answers, else CRI).
  std::string engine = "auto";
  std::string cri_socket = "/run/containerd/containerd.sock";
  std::chrono::milliseconds cri_poll{2000};  // CRI v1 (containerd 1.6) has no event stream: poll for changes
  // containerd's root folder: SBOMs of the images a CRI runtime holds are read from its content
  // store in place (read-only; containerd itself is not asked).
  std::filesystem::path containerd_root = "/var/lib/containerd";
  bool monitor = false;  // stream the runtime monitor's alerts (eBPF; root)
  MonitorOptions monitor_options;
  std::string metrics_listen;  // "127.0.0.1:9464": Prometheus text on GET /metrics (empty: off)
  // The host audit runs again soon after one of these files changes (daemon configuration).
  std::vector<std::filesystem::path> watched_config_files = {"/etc/docker/daemon.json", "/etc/containerd/config.toml",
                                                             "/etc/crio/crio.conf", "/etc/default/docker"};
  std::chrono::milliseconds config_poll{5000};
  bool once = false;  // one collection, one delivery attempt, then return
  bool host_audit = true;
  bool sboms = true;
};

struct AgentResult {
  bool unauthorized = false;
  std::uint64_t spooled = 0;
  std::uint64_t delivered = 0;
  std::uint64_t left_in_spool = 0;
  std::uint64_t alert_documents = 0;
};

using LogFn = std::function<void(std::string_view line)>;

// Runs until stop becomes true (or, with once, after one round). The error is the
// first one that stops the agent: a spool it cannot open, a refused token.
[[nodiscard]] Result<AgentResult> run_agent(const AgentOptions& options, const core::Context& ctx,
                                            const std::atomic<bool>& stop, const LogFn& log);

}  // namespace bulwark::agent
