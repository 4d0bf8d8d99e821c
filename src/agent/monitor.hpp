// `bulwark agent --monitor`: the runtime monitor (the eBPF probe and the
// Falco-compatible rule engine of src/runtime) running inside the agent; each
// alert becomes an item of an "alerts" document with the container and pod it
// happened in. Container metadata comes from the monitor's own Docker resolver
// and, for containers Docker does not know (containerd/CRI-O), from the agent's
// latest inventory (the CRI answer), so pods are named whichever runtime runs
// them. Alerts are batched (at most max_batch, at most batch_window apart) into
// documents the agent spools, so an outage loses none of them.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/inventory.hpp"
#include "util/error.hpp"

namespace bulwark::agent {

struct MonitorOptions {
  std::vector<std::string> rules_files;  // empty: the built-in rules
  std::string docker_host;
  std::size_t ring_buffer_bytes = 8u << 20;
  std::chrono::milliseconds batch_window{1000};
  std::size_t max_batch = 500;
  // Network connections per container (connect = out, accept = in), summarised by peer address and port
  // and sent as an activity document ("connections") every connections_window; at most max_connections
  // distinct (container, direction, peer, port) keys per window (the rest counted as dropped).
  std::chrono::milliseconds connections_window{std::chrono::seconds(60)};
  std::size_t max_connections = 5000;
};

struct ConnectionKey {
  std::string container_id, direction, peer;
  std::uint16_t port = 0;
  auto operator<=>(const ConnectionKey&) const = default;
};

// The activity document of a window's connections: containers [] and connections [{container_id,
// direction, peer, port, count}].
[[nodiscard]] nlohmann::json connections_document(const std::map<ConnectionKey, std::uint64_t>& counts,
                                                  const HostIdentity& host, std::uint64_t dropped);

// What the agent knows of each running container (from its latest inventory), by full id.
class ContainerDirectory {
 public:
  // Replaces the directory with the containers of an inventory document.
  void update(const nlohmann::json& inventory);
  // {"container":{"id","name","image"},"pod":{...}} for a full or 12-character id; null when unknown.
  [[nodiscard]] nlohmann::json lookup(const std::string& id) const;

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, nlohmann::json> by_id_;
};

// One alert item of the contract: time, rule, priority, output, source, container, pod (and the
// rule's output fields). monitor_alert is the runtime's alert_json; container_id as the probe saw it.
[[nodiscard]] nlohmann::json alert_item(const nlohmann::json& monitor_alert, const std::string& container_id,
                                        const nlohmann::json& container_meta, const ContainerDirectory& directory);

// {"schema","tool","report":"alerts","host","generated_at","alerts":[...]}
[[nodiscard]] nlohmann::json alerts_document(nlohmann::json items, const HostIdentity& host);

using AlertsSink = std::function<void(nlohmann::json alerts_document)>;
using MonitorLog = std::function<void(std::string_view line)>;

// Runs the live monitor until stop is true. Each batch of alerts becomes one document handed to sink.
// ErrorCode::unsupported when this build or kernel has no eBPF capture.
[[nodiscard]] Status run_monitor(const MonitorOptions& options, const HostIdentity& host,
                                 const ContainerDirectory& directory, const std::atomic<bool>& stop,
                                 const AlertsSink& sink, const MonitorLog& log);

}  // namespace bulwark::agent
