// ContainerResolver over the Docker Engine API: GET /containers/{id}/json turned
// into ContainerInfo. The runtime state caches answers; this keeps its own small
// cache too so a burst of events from a new container costs one request.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "docker/client.hpp"
#include "runtime/state/container.hpp"

namespace bulwark::runtime::probe {

// The container fields bulwark uses, from an inspect document.
[[nodiscard]] ContainerInfo container_info_from_inspect(const nlohmann::json& inspect);

class DockerContainerResolver final : public ContainerResolver {
 public:
  explicit DockerContainerResolver(std::string docker_host) : docker_host_(std::move(docker_host)) {}
  [[nodiscard]] Result<ContainerInfo> resolve(std::string_view container_id) override;

 private:
  std::string docker_host_;
  std::unique_ptr<docker::Client> client_;
  std::map<std::string, ContainerInfo, std::less<>> cache_;
  std::mutex mutex_;
};

}  // namespace bulwark::runtime::probe
