// Per-container resource use from the kernel's cgroups: CPU time, memory, block
// I/O and pids. cgroup v2 (cpu.stat usage_usec, memory.current, io.stat,
// pids.current) is read where the container's cgroup lives on the unified
// hierarchy; on a cgroup v1 host (Docker's cgroupfs driver) the v1 files with
// the same meaning are read instead (cpuacct.usage, memory.usage_in_bytes,
// blkio.throttle.io_service_bytes, pids.current). Sent as "activity" documents
// in bounded batches.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/inventory.hpp"

namespace bulwark::agent {

struct ContainerActivity {
  std::string id;
  std::uint64_t cpu_usage_usec = 0;
  std::uint64_t memory_bytes = 0;
  std::uint64_t io_read_bytes = 0;
  std::uint64_t io_write_bytes = 0;
  std::uint64_t pids = 0;
};

// "usage_usec 123\nuser_usec ..." -> 123.
[[nodiscard]] std::optional<std::uint64_t> parse_cpu_stat_usage(std::string_view text);
// Sums rbytes= and wbytes= over every device line of a v2 io.stat.
void parse_io_stat(std::string_view text, std::uint64_t& read, std::uint64_t& write);
// Sums "MAJ:MIN Read N" and "MAJ:MIN Write N" of a v1 blkio.throttle.io_service_bytes.
void parse_blkio_service_bytes(std::string_view text, std::uint64_t& read, std::uint64_t& write);

// Reads one container's counters below cgroup_root (normally /sys/fs/cgroup); nullopt
// when no cgroup of that container is found.
[[nodiscard]] std::optional<ContainerActivity> read_container_activity(const std::filesystem::path& cgroup_root,
                                                                       std::string_view container_id);

// Activity documents for the containers, at most batch containers each.
[[nodiscard]] std::vector<nlohmann::json> activity_documents(const std::vector<ContainerActivity>& activity,
                                                             const HostIdentity& host, std::size_t batch = 200);

struct AgentCounters {
  std::uint64_t spooled = 0, delivered = 0, duplicates = 0, retries = 0, rejected = 0;
  std::uint64_t spool_entries = 0, spool_bytes = 0, spool_dropped = 0, alert_documents = 0, inventories = 0;
};
// The agent's own counters as Prometheus text (bulwark_agent_*).
[[nodiscard]] std::string agent_metrics_text(const AgentCounters& c);

// Prometheus text exposition of the counters.
[[nodiscard]] std::string prometheus_text(const std::vector<ContainerActivity>& activity);

}  // namespace bulwark::agent
