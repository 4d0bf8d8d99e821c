// A client for the Docker Engine API: the image source reads images out of the
// local engine with it, and host auditing inspects the daemon and its running
// containers. It speaks HTTP over the engine's unix socket (default
// unix:///var/run/docker.sock) or, for remote engines, plain tcp://host:port.
// Answers the engine gives as JSON are returned as nlohmann::json for callers
// that need many fields; small structs cover what most callers need.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "util/error.hpp"
#include "util/http.hpp"

namespace bulwark::docker {

struct VersionInfo {
  std::string version;      // "20.10.24+dfsg1"
  std::string api_version;  // "1.41"
  std::string os;
  std::string arch;
  std::string kernel_version;
};

enum class ContainerSet { running, all };

// TLS for a tcp:// engine (dockerd --tlsverify): PEM paths; the engine is then reached over https.
struct TlsConfig {
  bool enabled = false;
  bool verify = true;  // verify the engine's certificate against ca_file (or the system store)
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
};

// Called with the bytes received so far while an image is exported.
using ExportProgress = std::function<void(std::uint64_t bytes)>;

// GET /events: what to ask for and how to stop.
struct EventStreamOptions {
  std::string filters;  // the engine's filter JSON, e.g. {"type":["container"]} (URL-encoded here)
  std::string since;    // unix seconds ("1700000000" or "1700000000.123456789"); empty = from now
  // Polled about once a second, also while the stream is quiet; true ends the stream.
  std::function<bool()> cancel;
};

// Receives one event object (a JSON text without the newline) as it arrives.
using EventSink = std::function<Status(std::string_view json)>;

class Client {
 public:
  // The largest event object stream_events accepts (a bound, not a protocol limit).
  static constexpr std::size_t kMaxEventBytes = 1U << 20;

  // docker_host: "unix:///path/to/docker.sock" or "tcp://host:port"; empty = the default socket.
  [[nodiscard]] static Result<Client> connect(std::string_view docker_host = {});
  // As above; for tcp:// hosts with tls.enabled, speaks https with the given client certificate.
  [[nodiscard]] static Result<Client> connect(std::string_view docker_host, const TlsConfig& tls);

  [[nodiscard]] const std::string& docker_host() const noexcept { return docker_host_; }

  // GET /_ping: ok when the engine answers.
  [[nodiscard]] Status ping();
  [[nodiscard]] Result<VersionInfo> version();
  // GET /images/{name}/json; name is a reference ("debian:12") or an image id.
  [[nodiscard]] Result<nlohmann::json> inspect_image(std::string_view name);
  // GET /images/{name}/get streamed into path (a `docker save` tar).
  [[nodiscard]] Status export_image(std::string_view name, const std::filesystem::path& path,
                                    const ExportProgress& progress = {});
  // GET /images/get?names=..&names=..: several images in one `docker save` tar (manifest.json has one
  // entry per image; a layer the images share is in the tar once). Fails whole if one name is unknown.
  [[nodiscard]] Status export_images(const std::vector<std::string>& names, const std::filesystem::path& path,
                                     const ExportProgress& progress = {});
  // GET /containers/json (the list form: one object per container).
  [[nodiscard]] Result<nlohmann::json> list_containers(ContainerSet which = ContainerSet::running);
  // GET /containers/{id}/json.
  [[nodiscard]] Result<nlohmann::json> inspect_container(std::string_view id);
  // GET /info: the daemon's configuration as it runs (drivers, security options, swarm...).
  [[nodiscard]] Result<nlohmann::json> info();
  // GET /images/json (top-level images, one object each).
  [[nodiscard]] Result<nlohmann::json> list_images();
  // GET /images/{name}/history (newest layer first).
  [[nodiscard]] Result<nlohmann::json> image_history(std::string_view name);
  // GET /containers/{id}/top: {"Titles": [...], "Processes": [[...], ...]}.
  [[nodiscard]] Result<nlohmann::json> container_top(std::string_view id);
  // GET /networks/{name}.
  [[nodiscard]] Result<nlohmann::json> inspect_network(std::string_view name);
  // GET /swarm (only on a swarm manager).
  [[nodiscard]] Result<nlohmann::json> inspect_swarm();

  // GET /events, streamed: calls sink once per event object as it arrives, until the engine
  // ends the stream (ok), the sink fails, options.cancel says so (ErrorCode::network,
  // "transfer cancelled") or the connection fails. An object over kMaxEventBytes is
  // ErrorCode::limit. Blocks the calling thread for as long as the stream lasts.
  [[nodiscard]] Status stream_events(const EventStreamOptions& options, const EventSink& sink);

  // Polled during every later request (about once a second, also while the engine is silent);
  // true aborts it. For a client whose thread must stop promptly.
  void set_cancel(std::function<bool()> cancel) { cancel_ = std::move(cancel); }

  // How many requests this client has sent to the engine (for benchmarks and reports).
  [[nodiscard]] std::uint64_t requests() const noexcept { return requests_; }

 private:
  Client(std::string docker_host, std::string base_url, util::HttpClient http)
      : docker_host_(std::move(docker_host)), base_url_(std::move(base_url)), http_(std::move(http)) {}
  [[nodiscard]] Result<nlohmann::json> get_json(const std::string& path, std::string_view what);
  [[nodiscard]] Status export_to(const std::string& target, const std::string& what, const std::filesystem::path& path,
                                 const ExportProgress& progress);
  [[nodiscard]] Error engine_error(const util::HttpResponse& response, std::string_view what) const;
  [[nodiscard]] Error unreachable(const Error& cause) const;

  std::string docker_host_;
  std::string base_url_;
  util::HttpClient http_;
  std::function<bool()> cancel_;
  std::uint64_t requests_ = 0;
};

}  // namespace bulwark::docker
