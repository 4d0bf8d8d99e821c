// A small HTTP client (libcurl) for the places bulwark talks to a server:
// container registries (manifests, blobs, token endpoints), advisory feeds and
// the Docker engine over its unix socket. It keeps bodies in memory only up to
// a stated limit or streams them to a callback, verifies TLS against the
// system's CA store by default, follows only a few redirects and never carries
// an Authorization header to another host (registries redirect blob downloads
// to object storage, which must not see registry credentials). Failures are
// ErrorCode::network with the URL, stripped of credentials and query, as context.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/error.hpp"

namespace bulwark::util {

// Response headers in arrival order; names compare case-insensitively.
class HttpHeaders {
 public:
  void add(std::string name, std::string value) { entries_.emplace_back(std::move(name), std::move(value)); }
  void clear() noexcept { entries_.clear(); }
  // The first value of the header, if present.
  [[nodiscard]] std::optional<std::string> get(std::string_view name) const;
  // Every value of a header that may repeat (WWW-Authenticate).
  [[nodiscard]] std::vector<std::string> get_all(std::string_view name) const;
  [[nodiscard]] const std::vector<std::pair<std::string, std::string>>& entries() const noexcept { return entries_; }

 private:
  std::vector<std::pair<std::string, std::string>> entries_;
};

enum class HttpMethod { get, head, post, put };
// Whether a transfer that stays quiet past HttpOptions::stall_timeout is abandoned
// (downloads) or may idle (an event stream can be silent for hours).
enum class HttpIdle { stall_aborts, allowed };
enum class TlsCheck { verify, skip };

struct HttpOptions {
  TlsCheck tls = TlsCheck::verify;  // skip only for registries the user marked insecure
  std::string unix_socket;          // connect through this socket instead of TCP (the Docker engine)
  std::chrono::seconds connect_timeout{30};
  std::chrono::seconds total_timeout{0};  // 0: none (large layers take as long as they take)
  // A transfer slower than one byte per second for this long is abandoned.
  std::chrono::seconds stall_timeout{120};
  int max_redirects = 5;
  std::string user_agent;  // empty: "bulwark/<version>"
  // Mutual TLS (a Docker engine served with --tlsverify): PEM files; empty = unused.
  std::string ca_file;    // trust these CAs instead of the system store
  std::string cert_file;  // client certificate
  std::string key_file;   // client key
};

struct HttpRequest {
  HttpMethod method = HttpMethod::get;
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // sent with POST and PUT
  HttpIdle idle = HttpIdle::stall_aborts;
  // Polled about once a second while the transfer runs, also while no data flows;
  // returning true aborts it (ErrorCode::network, "transfer cancelled"). Long-lived
  // streams use it to stop promptly from another thread.
  std::function<bool()> cancel;
};

struct HttpResponse {
  long status = 0;
  HttpHeaders headers;
  std::string body;       // a 2xx body when kept in memory; otherwise the start of the error body
  std::string final_url;  // after redirects
};

// Receives a 2xx response body piece by piece; an error stops the transfer and
// becomes the result of fetch_to.
using BodySink = std::function<Status(std::string_view chunk)>;

class HttpClient {
 public:
  explicit HttpClient(HttpOptions options = {});
  ~HttpClient();
  HttpClient(HttpClient&&) noexcept;
  HttpClient& operator=(HttpClient&&) noexcept;
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Keeps a 2xx body in memory, failing with ErrorCode::limit past max_body_bytes; any
  // other status's body (redirect pages, error documents) is kept up to 64 KiB.
  [[nodiscard]] Result<HttpResponse> fetch(const HttpRequest& request, std::uint64_t max_body_bytes);
  // Streams a 2xx body to sink; any other status's body is kept (up to 64 KiB) for error messages.
  [[nodiscard]] Result<HttpResponse> fetch_to(const HttpRequest& request, const BodySink& sink);

  [[nodiscard]] const HttpOptions& options() const noexcept { return options_; }

 private:
  struct Handle;
  HttpOptions options_;
  std::unique_ptr<Handle> handle_;
};

// The URL fit for messages and logs: no user:password@, no query (pre-signed
// storage URLs carry their credentials there), no fragment.
[[nodiscard]] std::string redact_url(std::string_view url);

// Resolves a Location header against the URL it came from.
[[nodiscard]] Result<std::string> resolve_url(std::string_view base, std::string_view location);

// scheme://host:port of a URL (lower-case scheme and host; default ports made explicit).
[[nodiscard]] Result<std::string> url_origin(std::string_view url);

// Percent-encodes s for a URL query or path segment (RFC 3986 unreserved kept;
// characters in keep are left as they are).
[[nodiscard]] std::string url_encode(std::string_view s, std::string_view keep = {});

}  // namespace bulwark::util
