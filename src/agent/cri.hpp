// Host inventory through the Kubernetes Container Runtime Interface (CRI v1) over
// gRPC on the runtime's unix socket (containerd: /run/containerd/containerd.sock,
// CRI-O: /var/run/crio/crio.sock): the images the runtime holds and its running
// containers with their pod (name, namespace, uid, labels), as the same
// "inventory" document as the Docker one (runtime "cri"). Read-only calls only:
// Version, ListPodSandbox, ListContainers, ContainerStatus, ListImages. Every
// call has a deadline and answers are bounded in size and count.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "agent/inventory.hpp"
#include "util/error.hpp"

namespace bulwark::agent {

struct CriOptions {
  std::string socket = "/run/containerd/containerd.sock";
  std::chrono::milliseconds deadline{10000};
  int max_message_bytes = 32 << 20;
  std::size_t max_containers = 10000;
  std::size_t max_images = 10000;
};

struct CriVersion {
  std::string runtime_name, runtime_version, runtime_api_version;
};

class CriClient {
 public:
  // Connects and asks the runtime's Version (ErrorCode::network when nothing answers).
  [[nodiscard]] static Result<std::unique_ptr<CriClient>> connect(const CriOptions& options);
  ~CriClient();
  CriClient(const CriClient&) = delete;
  CriClient& operator=(const CriClient&) = delete;

  [[nodiscard]] const CriVersion& version() const noexcept { return version_; }
  // The inventory document (host.engine "containerd" or the runtime's own name).
  [[nodiscard]] Result<nlohmann::json> inventory(const HostIdentity& host);
  // A cheap fingerprint of the running containers and images (ids and states), to notice changes
  // between polls (CRI v1 of Debian 12's containerd has no event stream).
  [[nodiscard]] Result<std::string> fingerprint();

 private:
  struct Impl;
  explicit CriClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  CriVersion version_;
};

// "unix:///run/x.sock" or "/run/x.sock" -> the gRPC target "unix:/run/x.sock".
[[nodiscard]] std::string cri_target(std::string_view socket);

// Nanoseconds since the epoch -> RFC 3339 UTC ("" for 0).
[[nodiscard]] std::string rfc3339_from_nanos(std::int64_t nanos);

}  // namespace bulwark::agent
