// The HTTP server library (httpd): raw bytes sent to a running Server on a unix socket, as
// any client of `bulwark server`, the admission webhook or the AuthZ plugin could send them:
// request lines, headers (size limit, repeated headers, Expect: 100-continue), bodies with
// Content-Length (checked against the limit before reading) and chunked, pipelined requests
// on one connection, and truncated requests. The handler reads what handlers read: query
// parameters (percent and '+' decoding), headers by name, url_decode of every path segment.
//
// Each input is one connection: the client writes the input, shuts its side down and reads
// the answer to the end. A crash or sanitizer report in a server thread ends the fuzzer too.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "common.hpp"
#include "httpd/httpd.hpp"

namespace {

using namespace bulwark;

httpd::Response handle(const httpd::Request& req) {
  httpd::Response r;
  r.content_type = "text/plain";
  r.body = req.method + " " + req.path + "\n";
  std::string_view path = req.path;
  while (!path.empty()) {
    auto slash = path.find('/', 1);
    r.body += httpd::url_decode(path.substr(0, slash)) + "\n";
    if (slash == std::string_view::npos) break;
    path = path.substr(slash);
  }
  for (const char* name : {"limit", "q", "a b", ""}) {
    if (req.has_query_param(name)) r.body += req.query_param(name) + "\n";
  }
  for (const char* name : {"content-type", "Authorization", "cookie", "x-request-id"}) r.body += req.header(name);
  r.body += std::to_string(req.body.size());
  if (req.query_param("status") == "201") r.status = 201;
  r.headers.emplace_back("X-Echo", std::string(req.header("x-request-id")).substr(0, 64));
  return r;
}

struct Running {
  std::string socket_path;
  std::unique_ptr<httpd::Server> server;
};

Running& running() {
  static Running r = [] {
    Running out;
    out.socket_path = "/tmp/bulwark-fuzz-httpd-" + std::to_string(::getpid()) + ".sock";
    httpd::ServerOptions o;
    o.listen = "unix:" + out.socket_path;
    o.threads = 1;
    o.limits.max_body = 64 << 10;
    o.limits.max_header = 8 << 10;
    o.limits.max_connections = 8;
    o.limits.read_timeout = std::chrono::seconds(5);
    o.limits.idle_timeout = std::chrono::seconds(5);
    auto s = httpd::Server::start(o, handle);
    if (!s) {
      std::fprintf(stderr, "fuzz_httpd: cannot start the server: %s\n", s.error().describe().c_str());
      std::abort();
    }
    out.server = std::move(*s);
    return out;
  }();
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto& r = running();
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) std::abort();
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", r.socket_path.c_str());
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) std::abort();
  timeval tv{.tv_sec = 20, .tv_usec = 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  std::size_t sent = 0;
  while (sent < size) {
    ssize_t n = ::send(fd, data + sent, size - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server closed (a limit): read its answer
    sent += static_cast<std::size_t>(n);
  }
  ::shutdown(fd, SHUT_WR);
  char buf[16384];
  while (true) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        std::fprintf(stderr, "fuzz_httpd: the server neither answered nor closed within 20 s\n");
        std::abort();
      }
      break;  // reset by the server
    }
  }
  ::close(fd);
  return 0;
}
