#include "docker/client.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cerrno>
#include <cstring>

#include "util/strings.hpp"

namespace bulwark::docker {

namespace {

constexpr std::string_view kDefaultHost = "unix:///var/run/docker.sock";
// The engine is local and trusted more than an image, but its answers still get a bound.
constexpr std::uint64_t kMaxJsonBytes = 64ULL << 20;

// Image names carry '/', ':' and '@' that the engine's router expects as they are.
std::string path_segment(std::string_view name) {
  return util::url_encode(name, "/:@");
}

class FileWriter {
 public:
  explicit FileWriter(int fd) : fd_(fd) {}
  ~FileWriter() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileWriter(const FileWriter&) = delete;
  FileWriter& operator=(const FileWriter&) = delete;
  [[nodiscard]] bool write_all(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::write(fd_, data.data(), data.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return false;
      }
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }
  [[nodiscard]] bool close() {
    int fd = fd_;
    fd_ = -1;
    return ::close(fd) == 0;
  }

 private:
  int fd_;
};

}  // namespace

Result<Client> Client::connect(std::string_view docker_host) {
  return connect(docker_host, TlsConfig{});
}

Result<Client> Client::connect(std::string_view docker_host, const TlsConfig& tls) {
  std::string host(docker_host.empty() ? kDefaultHost : docker_host);
  util::HttpOptions options;
  options.connect_timeout = std::chrono::seconds(10);
  std::string base;
  if (host.starts_with("unix://")) {
    options.unix_socket = host.substr(7);
    if (options.unix_socket.empty() || options.unix_socket.front() != '/') {
      return fail(ErrorCode::invalid_argument, "a unix socket needs an absolute path", host);
    }
    base = "http://localhost";  // the host name is not used over a unix socket
  } else if (host.starts_with("tcp://")) {
    auto hostport = host.substr(6);
    while (!hostport.empty() && hostport.back() == '/') hostport.pop_back();
    if (hostport.empty() || hostport.find('/') != std::string::npos) {
      return fail(ErrorCode::invalid_argument, "expected tcp://HOST:PORT", host);
    }
    if (tls.enabled) {
      options.tls = tls.verify ? util::TlsCheck::verify : util::TlsCheck::skip;
      options.ca_file = tls.ca_file;
      options.cert_file = tls.cert_file;
      options.key_file = tls.key_file;
      base = "https://" + hostport;
    } else {
      base = "http://" + hostport;
    }
  } else {
    return fail(ErrorCode::invalid_argument, "unsupported Docker host (use unix:///path or tcp://host:port)", host);
  }
  return Client(host, base, util::HttpClient(std::move(options)));
}

Error Client::unreachable(const Error& cause) const {
  if (cause.code != ErrorCode::network) return cause;
  return Error{
      ErrorCode::network,
      fmt::format("cannot reach the Docker engine at {} (is dockerd running?): {}", docker_host_, cause.message),
      docker_host_};
}

Error Client::engine_error(const util::HttpResponse& response, std::string_view what) const {
  // The engine explains failures as {"message": "..."}.
  std::string detail;
  auto doc = nlohmann::json::parse(response.body, nullptr, false);
  if (!doc.is_discarded() && doc.is_object() && doc.contains("message") && doc["message"].is_string()) {
    detail = doc["message"].get<std::string>();
  } else {
    detail = std::string(util::trim(response.body.substr(0, 200)));
  }
  ErrorCode code = response.status == 404   ? ErrorCode::not_found
                   : response.status == 401 ? ErrorCode::auth
                   : response.status == 403 ? ErrorCode::auth
                                            : ErrorCode::network;
  return Error{code, util::printable(fmt::format("the Docker engine answered {}: {}", response.status, detail)),
               fmt::format("{} ({})", what, docker_host_)};
}

Result<nlohmann::json> Client::get_json(const std::string& path, std::string_view what) {
  ++requests_;
  util::HttpRequest request{.url = base_url_ + path, .headers = {{"Accept", "application/json"}}};
  request.cancel = cancel_;
  auto res = http_.fetch(request, kMaxJsonBytes);
  if (!res) return std::unexpected(unreachable(res.error()));
  if (res->status != 200) return std::unexpected(engine_error(*res, what));
  auto doc = nlohmann::json::parse(res->body, nullptr, false);
  if (doc.is_discarded()) {
    return fail(ErrorCode::parse, "the Docker engine sent invalid JSON", fmt::format("{} ({})", what, docker_host_));
  }
  return doc;
}

Status Client::ping() {
  ++requests_;
  auto res = http_.fetch({.url = base_url_ + "/_ping"}, 4096);
  if (!res) return std::unexpected(unreachable(res.error()));
  if (res->status != 200) return std::unexpected(engine_error(*res, "ping"));
  return {};
}

Result<VersionInfo> Client::version() {
  auto doc = get_json("/version", "version");
  if (!doc) return std::unexpected(doc.error());
  if (!doc->is_object()) return fail(ErrorCode::parse, "unexpected /version answer", docker_host_);
  auto str = [&](const char* key) {
    auto it = doc->find(key);
    return it != doc->end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  return VersionInfo{str("Version"), str("ApiVersion"), str("Os"), str("Arch"), str("KernelVersion")};
}

Result<nlohmann::json> Client::inspect_image(std::string_view name) {
  if (name.empty()) return fail(ErrorCode::invalid_argument, "empty image name", docker_host_);
  return get_json("/images/" + path_segment(name) + "/json", fmt::format("image {}", name));
}

Result<nlohmann::json> Client::list_containers(ContainerSet which) {
  return get_json(which == ContainerSet::all ? "/containers/json?all=1" : "/containers/json", "containers");
}

Result<nlohmann::json> Client::inspect_container(std::string_view id) {
  if (id.empty()) return fail(ErrorCode::invalid_argument, "empty container id", docker_host_);
  return get_json("/containers/" + path_segment(id) + "/json", fmt::format("container {}", id));
}

Result<nlohmann::json> Client::info() {
  return get_json("/info", "info");
}

Result<nlohmann::json> Client::list_images() {
  return get_json("/images/json", "images");
}

Result<nlohmann::json> Client::image_history(std::string_view name) {
  if (name.empty()) return fail(ErrorCode::invalid_argument, "empty image name", docker_host_);
  return get_json("/images/" + path_segment(name) + "/history", fmt::format("image {} history", name));
}

Result<nlohmann::json> Client::container_top(std::string_view id) {
  if (id.empty()) return fail(ErrorCode::invalid_argument, "empty container id", docker_host_);
  return get_json("/containers/" + path_segment(id) + "/top", fmt::format("container {} processes", id));
}

Result<nlohmann::json> Client::inspect_network(std::string_view name) {
  if (name.empty()) return fail(ErrorCode::invalid_argument, "empty network name", docker_host_);
  return get_json("/networks/" + path_segment(name), fmt::format("network {}", name));
}

Result<nlohmann::json> Client::inspect_swarm() {
  return get_json("/swarm", "swarm");
}

Status Client::stream_events(const EventStreamOptions& options, const EventSink& sink) {
  std::string path = "/events";
  char sep = '?';
  if (!options.filters.empty()) {
    path += fmt::format("{}filters={}", sep, util::url_encode(options.filters));
    sep = '&';
  }
  if (!options.since.empty()) path += fmt::format("{}since={}", sep, util::url_encode(options.since));
  // The engine writes one JSON object per line (json.Encoder); chunked framing is curl's business.
  std::string pending;
  auto too_large = [&]() -> Status {
    return fail(ErrorCode::limit, fmt::format("a Docker event larger than {} bytes", kMaxEventBytes),
                fmt::format("events ({})", docker_host_));
  };
  auto on_chunk = [&](std::string_view chunk) -> Status {
    pending.append(chunk);
    std::size_t start = 0;
    for (auto nl = pending.find('\n', start); nl != std::string::npos; nl = pending.find('\n', start)) {
      auto line = util::trim(std::string_view(pending).substr(start, nl - start));
      start = nl + 1;
      if (line.empty()) continue;
      if (line.size() > kMaxEventBytes) return too_large();
      if (auto st = sink(line); !st) return st;
    }
    pending.erase(0, start);
    if (pending.size() > kMaxEventBytes) return too_large();
    return {};
  };
  ++requests_;
  util::HttpRequest request{.url = base_url_ + path, .headers = {{"Accept", "application/json"}}};
  request.idle = util::HttpIdle::allowed;
  request.cancel = options.cancel;
  auto res = http_.fetch_to(request, on_chunk);
  if (!res) return std::unexpected(unreachable(res.error()));
  if (res->status != 200) return std::unexpected(engine_error(*res, "events"));
  if (auto rest = util::trim(pending); !rest.empty()) return sink(rest);
  return {};
}

Status Client::export_image(std::string_view name, const std::filesystem::path& path, const ExportProgress& progress) {
  if (name.empty()) return fail(ErrorCode::invalid_argument, "empty image name", docker_host_);
  return export_to("/images/" + path_segment(name) + "/get", fmt::format("image {}", name), path, progress);
}

Status Client::export_images(const std::vector<std::string>& names, const std::filesystem::path& path,
                             const ExportProgress& progress) {
  if (names.empty()) return fail(ErrorCode::invalid_argument, "no image names", docker_host_);
  std::string query;
  for (const auto& n : names) {
    if (n.empty()) return fail(ErrorCode::invalid_argument, "empty image name", docker_host_);
    query += (query.empty() ? "?names=" : "&names=") + util::url_encode(n, "");
  }
  return export_to("/images/get" + query, fmt::format("images {}", fmt::join(names, ", ")), path, progress);
}

Status Client::export_to(const std::string& target, const std::string& what, const std::filesystem::path& path,
                         const ExportProgress& progress) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return fail(ErrorCode::io, std::strerror(errno), path.string());
  FileWriter out(fd);
  std::uint64_t received = 0;
  auto sink = [&](std::string_view chunk) -> Status {
    if (!out.write_all(chunk)) return fail(ErrorCode::io, std::strerror(errno), path.string());
    received += chunk.size();
    if (progress) progress(received);
    return {};
  };
  ++requests_;
  auto res = http_.fetch_to({.url = base_url_ + target}, sink);
  Status status;
  if (!res) {
    status = std::unexpected(unreachable(res.error()));
  } else if (res->status != 200) {
    status = std::unexpected(engine_error(*res, what));
  } else if (!out.close()) {
    status = fail(ErrorCode::io, std::strerror(errno), path.string());
  }
  if (!status) {
    std::error_code ec;
    std::filesystem::remove(path, ec);
  }
  return status;
}

}  // namespace bulwark::docker
