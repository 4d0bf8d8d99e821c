// Host inventory through the Docker Engine API: the images present and the
// running containers (with Kubernetes pod metadata where the container carries
// the kubelet's labels), as the "inventory" document of the server API.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "docker/client.hpp"
#include "util/error.hpp"

namespace bulwark::agent {

struct HostIdentity {
  std::string name;
  std::string engine = "docker";
};

// The machine's host name (gethostname), or "unknown".
[[nodiscard]] std::string local_host_name();

// Builds the inventory from the engine's list answers and one inspect per running
// container (for the start time); at most max_containers containers.
[[nodiscard]] Result<nlohmann::json> docker_inventory(docker::Client& client, const HostIdentity& host,
                                                      std::size_t max_containers = 10000);

// The image ids (config digests) an inventory lists.
[[nodiscard]] std::vector<std::string> inventory_image_ids(const nlohmann::json& inventory);

// {"schema":"bulwark/v1","tool":{...}} plus report and host: the envelope of agent documents.
[[nodiscard]] nlohmann::json agent_envelope(std::string_view report, const HostIdentity& host);

}  // namespace bulwark::agent
