// Container metadata: the id found in a cgroup path, and the name and image that
// a ContainerResolver (the Docker Engine API in the live monitor; a fake in tests)
// supplies for it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.hpp"

namespace bulwark::runtime {

struct ContainerInfo {
  std::string id;     // 64-hex full id when known (the short id is its first 12 chars)
  std::string name;   // without the leading "/"
  std::string image;  // as the user named it ("nginx:1.25", "registry:5000/app@sha256:...")
  std::string image_repository;
  std::string image_tag;
  std::string image_digest;  // "sha256:..."
  std::string image_id;
  std::string type = "docker";  // docker, containerd, cri-o, podman
  bool privileged = false;
  std::vector<std::string> mounts;  // "source:dest:mode" (mode = rw|ro)
  std::uint64_t start_ns = 0;
  // Container labels; Kubernetes fields come from the CRI ones (io.kubernetes.pod.name, ...namespace, ...uid).
  std::vector<std::pair<std::string, std::string>> labels;
};

// Looks up a container by id (full or 12-char). Implementations may block on
// I/O; the state caches answers, and asks again about an unknown id at most once a second.
class ContainerResolver {
 public:
  virtual ~ContainerResolver() = default;
  // ErrorCode::not_found when the runtime does not know the id.
  [[nodiscard]] virtual Result<ContainerInfo> resolve(std::string_view container_id) = 0;
  // Grows whenever an answer given earlier may have changed (a container was renamed).
  // Callers that cache answers re-ask when it moves. Safe to call from any thread.
  [[nodiscard]] virtual std::uint64_t generation() const noexcept { return 0; }
};

// The container id in a cgroup path, cgroup v1 or v2:
//   /docker/<64hex>, /system.slice/docker-<64hex>.scope, .../cri-containerd-<64hex>.scope,
//   .../crio-<64hex>(.scope), .../libpod-<64hex>(.scope), /kubepods/.../pod<uid>/<64hex>,
//   /actions_job/<64hex>, ".../<64hex>" generally.
// Returns the full id, or an empty string for the host (no container).
[[nodiscard]] std::string container_id_from_cgroup(std::string_view cgroup_path);

// The container runtime a cgroup path belongs to ("docker", "containerd", "cri-o",
// "podman"); empty when unknown.
[[nodiscard]] std::string container_type_from_cgroup(std::string_view cgroup_path);

}  // namespace bulwark::runtime
