// The HTTP server library: Boost.Beast/Asio underneath, none of it in this header.
//
// One Server listens on one address (TCP over IPv4 or IPv6, or a unix socket),
// optionally with TLS 1.2+ (OpenSSL; with a client CA for mutual TLS). A pool of
// I/O threads parses requests (Beast's parser: no hand-written HTTP), and the
// Handler runs on a separate pool of the same size, so a slow handler never
// stalls another connection's I/O. GET and HEAD requests have a pool of their
// own (half the size, at least 2), so reads never queue behind writes that wait
// (e.g. uploads waiting for the store). Streaming responses (server-sent events) run
// their producer on a thread of their own.
//
// Limits: body size (413, checked from Content-Length before the body is read,
// and again while reading chunked bodies), header size (431), connection count
// (connections beyond it are closed at once), read timeout (a request must
// arrive completely within it), idle timeout (a keep-alive connection without
// a new request is closed). stop() stops accepting, lets requests in progress
// finish (up to 10 s), closes idle connections and joins every thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/error.hpp"

namespace bulwark::httpd {

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // as sent: "/api/v1/images?limit=10"
  std::string path;    // the target up to '?', NOT percent-decoded (decode per segment: url_decode)
  std::string query;   // after '?', raw
  std::map<std::string, std::string> headers;  // keys lower-case; repeated headers joined with ", "
  std::string body;
  std::string peer;                 // "127.0.0.1:53422", "[::1]:53422" or "unix"
  std::string client_cert_subject;  // RFC 2253 subject of a verified client certificate, else empty

  // The header's value, empty when absent (name in any case).
  [[nodiscard]] std::string_view header(std::string_view name) const;
  // The first query parameter of that name, percent- and '+'-decoded; empty when absent.
  [[nodiscard]] std::string query_param(std::string_view name) const;
  // Whether the query has that parameter at all (even empty).
  [[nodiscard]] bool has_query_param(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // For streaming (server-sent events): called until it returns false; each call
  // may block briefly (it should return within a second or so, with an empty
  // chunk when there is nothing to send, so that stop() is not held up). When set,
  // `body` is sent first and the response is chunked; the connection closes after.
  std::function<bool(std::string& chunk)> stream;
};

using Handler = std::function<Response(const Request&)>;

struct Limits {
  std::size_t max_body = 64 << 20, max_header = 16 << 10;
  unsigned max_connections = 256;
  std::chrono::seconds read_timeout{30}, idle_timeout{60};
};

struct TlsOptions {
  std::string cert_file, key_file, client_ca_file;  // PEM; client_ca_file set: client certificates required
};

struct ServerOptions {
  std::string listen;  // "127.0.0.1:8443", "[::1]:8443", "0.0.0.0:0" (any free port), "unix:/run/x.sock"
  std::optional<TlsOptions> tls;
  Limits limits;
  unsigned threads = 2;
};

class Server {
 public:
  // Binds, listens and starts the threads; errors: io (bind/listen), invalid_argument
  // (listen address), parse (TLS files).
  static Result<std::unique_ptr<Server>> start(ServerOptions options, Handler handler);
  // The bound TCP port (useful with port 0); 0 for a unix socket.
  [[nodiscard]] std::uint16_t port() const;
  // Stops gracefully (idempotent); the destructor calls it.
  void stop();
  ~Server();

  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  struct Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// "%2F" -> "/", and '+' -> ' ' when plus_is_space; malformed escapes are kept as they are.
[[nodiscard]] std::string url_decode(std::string_view text, bool plus_is_space = false);

// The standard reason phrase ("Not Found"), "Unknown" for others.
[[nodiscard]] std::string_view reason(int status);

}  // namespace bulwark::httpd
