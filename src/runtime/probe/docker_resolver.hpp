// ContainerResolver over the Docker Engine API: GET /containers/{id}/json turned
// into ContainerInfo. The runtime state caches answers; this keeps its own cache
// too so a burst of events from a new container costs one request. A background
// follower of the engine's event stream (GET /events, container events) keeps
// that cache fresh: a created or started container is inspected before its first
// exec reaches the rules, a rename refreshes the name (and bumps generation() so
// the state drops its copy), a destroyed container leaves the cache. The stream
// is reconnected with a bounded backoff and stopped promptly by stop().
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include <nlohmann/json.hpp>

#include "docker/client.hpp"
#include "runtime/state/container.hpp"

namespace bulwark::runtime::probe {

// The container fields bulwark uses, from an inspect document.
[[nodiscard]] ContainerInfo container_info_from_inspect(const nlohmann::json& inspect);

// What one Docker event means for the cache.
enum class DockerEventAction {
  ignore,   // not a container event, or an action that changes nothing bulwark shows
  resolve,  // create, start: inspect now unless cached
  rename,   // inspect again (the name changed)
  evict,    // destroy: forget the container
};

struct DockerEvent {
  DockerEventAction action = DockerEventAction::ignore;
  std::string id;        // the container's full id
  std::string new_name;  // rename: Actor.Attributes.name, without a leading '/'
  std::string time;      // "seconds.nanoseconds" of the event, for since= on reconnect; empty if absent
};

// Parses one object of the /events stream. Malformed or foreign objects are `ignore`.
[[nodiscard]] DockerEvent parse_docker_event(std::string_view json);

struct DockerResolverStats {
  std::uint64_t events = 0;        // container events read from the stream
  std::uint64_t pre_resolved = 0;  // containers inspected because of a create/start event
  std::uint64_t renamed = 0;
  std::uint64_t evicted = 0;
  std::uint64_t answered_from_events = 0;  // lookups answered by a pre-resolved entry (once per container)
  std::uint64_t stream_restarts = 0;       // the stream ended or failed and was reopened
  std::string last_stream_error;
};

class DockerContainerResolver final : public ContainerResolver {
 public:
  // Inspects a container: GET /containers/{id}/json. Tests pass their own; it must be thread-safe.
  using Inspect = std::function<Result<nlohmann::json>(std::string_view id)>;

  explicit DockerContainerResolver(std::string docker_host, Inspect inspect = {});
  ~DockerContainerResolver() override;
  DockerContainerResolver(const DockerContainerResolver&) = delete;
  DockerContainerResolver& operator=(const DockerContainerResolver&) = delete;

  [[nodiscard]] Result<ContainerInfo> resolve(std::string_view container_id) override;
  [[nodiscard]] std::uint64_t generation() const noexcept override { return generation_.load(); }

  // Starts the background follower of the engine's container events (once).
  void follow_events();
  // Stops the follower and waits for it (at most about a second). Idempotent.
  void stop();

  // Applies one event to the cache (the follower calls it; tests too).
  void apply(const DockerEvent& event);

  [[nodiscard]] DockerResolverStats stats() const;

 private:
  struct Entry {
    ContainerInfo info;
    bool from_events = false;  // inspected because of a create/start event
    bool asked = false;        // resolve() has returned it at least once
  };
  enum class Caller { events, lookup };
  [[nodiscard]] Result<ContainerInfo> inspect(std::string_view id, Caller caller);
  void store(const std::string& id, Entry entry);
  void follow_loop();

  std::string docker_host_;
  Inspect inspect_;
  std::unique_ptr<docker::Client> client_;         // resolve()'s, under mutex_
  std::unique_ptr<docker::Client> events_client_;  // the follower's inspects (follower thread only)
  std::map<std::string, Entry, std::less<>> cache_;
  mutable std::mutex mutex_;
  std::atomic<std::uint64_t> generation_{0};
  DockerResolverStats stats_;  // under mutex_

  std::thread follower_;
  std::atomic<bool> stopping_{false};
  std::mutex wait_mutex_;
  std::condition_variable wake_;
};

}  // namespace bulwark::runtime::probe
