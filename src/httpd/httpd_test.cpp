// httpd over real loopback sockets: libcurl as the client, a test CA made with
// the openssl command line, raw sockets for slow and malformed clients.
#include "httpd/httpd.hpp"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include "util/files.hpp"

namespace fs = std::filesystem;
using namespace bulwark;
using namespace std::chrono_literals;

namespace {

struct Reply {
  CURLcode code = CURLE_OK;
  long status = 0;
  std::string body, headers;
  long connects = 0;
};

size_t collect(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

Reply perform(CURL* curl) {
  Reply r;
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, collect);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &r.headers);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 20L);
  r.code = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r.status);
  curl_easy_getinfo(curl, CURLINFO_NUM_CONNECTS, &r.connects);
  return r;
}

// A request header list that outlives the request and is freed after it (curl keeps the pointer).
struct Headers {
  curl_slist* list = nullptr;
  explicit Headers(const std::string& line) : list(curl_slist_append(nullptr, line.c_str())) {}
  Headers(const Headers&) = delete;
  Headers& operator=(const Headers&) = delete;
  ~Headers() { curl_slist_free_all(list); }
};

// One request on a fresh handle; configure sets extra options.
Reply fetch(const std::string& url, const std::function<void(CURL*)>& configure = {}) {
  CURL* curl = curl_easy_init();
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  if (configure) configure(curl);
  Reply r = perform(curl);
  curl_easy_cleanup(curl);
  return r;
}

std::unique_ptr<httpd::Server> must_start(httpd::ServerOptions options, httpd::Handler handler) {
  auto s = httpd::Server::start(std::move(options), std::move(handler));
  if (!s) ADD_FAILURE() << s.error().describe();
  return s ? std::move(*s) : nullptr;
}

httpd::Response text(std::string body, int status = 200) {
  httpd::Response r;
  r.status = status;
  r.content_type = "text/plain";
  r.body = std::move(body);
  return r;
}

// A raw TCP connection to 127.0.0.1:port.
int raw_connect(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

void raw_send(int fd, std::string_view data) {
  ASSERT_EQ(::send(fd, data.data(), data.size(), MSG_NOSIGNAL), static_cast<ssize_t>(data.size()));
}

// Reads until the peer closes or the deadline passes; closed tells which.
std::string raw_read_all(int fd, std::chrono::milliseconds deadline, bool* closed) {
  std::string out;
  auto end = std::chrono::steady_clock::now() + deadline;
  *closed = false;
  while (std::chrono::steady_clock::now() < end) {
    pollfd p{fd, POLLIN, 0};
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
    if (::poll(&p, 1, static_cast<int>(std::max<long>(1, left.count()))) <= 0) continue;
    char buf[4096];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      *closed = true;
      break;
    }
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

class HttpdTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { curl_global_init(CURL_GLOBAL_DEFAULT); }
};

// A throwaway CA with a server certificate (127.0.0.1, localhost) and a client certificate.
class Pki {
 public:
  Pki() {
    auto d = util::make_temp_dir(fs::temp_directory_path(), "bulwark-httpd-pki");
    if (!d) throw std::runtime_error(d.error().describe());
    dir_ = std::make_unique<util::ScopedDir>(*d);
    auto p = dir_->path();
    std::ofstream(p / "server.ext") << "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\n";
    std::ofstream(p / "client.ext") << "extendedKeyUsage=clientAuth\n";
    const std::string ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    std::string script = fmt::format(
        "set -e; cd '{0}';"
        "openssl req -x509 {1} -keyout ca.key -out ca.pem -days 2 -subj '/CN=bulwark test CA' 2>/dev/null;"
        "openssl req {1} -keyout server.key -out server.csr -subj '/CN=localhost' 2>/dev/null;"
        "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 "
        "-extfile server.ext 2>/dev/null;"
        "openssl req {1} -keyout client.key -out client.csr -subj '/O=bulwark/CN=agent-1' 2>/dev/null;"
        "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out client.pem -days 2 "
        "-extfile client.ext 2>/dev/null;"
        "openssl req -x509 {1} -keyout other.key -out other.pem -days 2 -subj '/CN=someone else' 2>/dev/null",
        p.string(), ec);
    if (std::system(script.c_str()) != 0) throw std::runtime_error("openssl failed");
  }
  [[nodiscard]] std::string file(const char* name) const { return (dir_->path() / name).string(); }

 private:
  std::unique_ptr<util::ScopedDir> dir_;
};

const Pki& pki() {
  static const Pki instance;
  return instance;
}

httpd::ServerOptions loopback() {
  httpd::ServerOptions o;
  o.listen = "127.0.0.1:0";
  return o;
}

std::string base(const httpd::Server& s) {
  return fmt::format("http://127.0.0.1:{}", s.port());
}

}  // namespace

TEST_F(HttpdTest, ParsesRequestAndSendsResponse) {
  auto server = must_start(loopback(), [](const httpd::Request& r) {
    httpd::Response res;
    res.status = r.method == "POST" ? 201 : 200;
    res.headers.emplace_back("X-Echo", std::string(r.header("X-Test")));
    res.body = fmt::format("{}|{}|{}|{}|{}|{}|{}", r.method, r.path, r.query_param("name"),
                           r.has_query_param("flag") ? "flag" : "-", r.body, r.peer.starts_with("127.0.0.1:"),
                           r.headers.count("x-test"));
    return res;
  });
  ASSERT_TRUE(server);
  ASSERT_NE(server->port(), 0);
  const Headers h("X-Test: hello");
  auto get = fetch(base(*server) + "/api/v1/x%2Fy?name=a%20b+c&flag",
                   [&](CURL* c) { curl_easy_setopt(c, CURLOPT_HTTPHEADER, h.list); });
  ASSERT_EQ(get.code, CURLE_OK);
  EXPECT_EQ(get.status, 200);
  EXPECT_EQ(get.body, "GET|/api/v1/x%2Fy|a b c|flag||true|1");
  EXPECT_NE(get.headers.find("X-Echo: hello"), std::string::npos) << get.headers;
  EXPECT_NE(get.headers.find("Content-Type: application/json"), std::string::npos) << get.headers;

  auto post = fetch(base(*server) + "/p", [](CURL* c) { curl_easy_setopt(c, CURLOPT_POSTFIELDS, "payload"); });
  ASSERT_EQ(post.code, CURLE_OK);
  EXPECT_EQ(post.status, 201);
  EXPECT_EQ(post.body, "POST|/p||-|payload|true|0");
}

TEST_F(HttpdTest, KeepAliveReusesTheConnection) {
  auto server = must_start(loopback(), [](const httpd::Request& r) { return text(r.peer); });
  ASSERT_TRUE(server);
  CURL* curl = curl_easy_init();
  curl_easy_setopt(curl, CURLOPT_URL, (base(*server) + "/").c_str());
  auto first = perform(curl);
  auto second = perform(curl);
  curl_easy_cleanup(curl);
  ASSERT_EQ(first.code, CURLE_OK);
  ASSERT_EQ(second.code, CURLE_OK);
  EXPECT_EQ(first.connects, 1);
  EXPECT_EQ(second.connects, 0);
  EXPECT_EQ(first.body, second.body);  // same client port: same connection
}

TEST_F(HttpdTest, ListensOnIpv6Loopback) {
  httpd::ServerOptions o;
  o.listen = "[::1]:0";
  auto server = httpd::Server::start(o, [](const httpd::Request& r) { return text(r.peer); });
  if (!server) GTEST_SKIP() << "no IPv6 loopback: " << server.error().describe();
  auto r = fetch(fmt::format("http://[::1]:{}/", (*server)->port()));
  ASSERT_EQ(r.code, CURLE_OK);
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.body.starts_with("[::1]:")) << r.body;
}

TEST_F(HttpdTest, ListensOnUnixSocketAndRemovesItOnStop) {
  auto dir = util::make_temp_dir(fs::temp_directory_path(), "bulwark-httpd-unix");
  ASSERT_TRUE(dir);
  util::ScopedDir scoped(*dir);
  const auto sock = (*dir / "api.sock").string();
  httpd::ServerOptions o;
  o.listen = "unix:" + sock;
  auto server = must_start(o, [](const httpd::Request& r) { return text(r.peer + " " + r.path); });
  ASSERT_TRUE(server);
  EXPECT_EQ(server->port(), 0);
  auto r = fetch("http://localhost/Plugin.Activate",
                 [&](CURL* c) { curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, sock.c_str()); });
  ASSERT_EQ(r.code, CURLE_OK);
  EXPECT_EQ(r.body, "unix /Plugin.Activate");
  // A second server on the same live socket is refused.
  auto again = httpd::Server::start(o, [](const httpd::Request&) { return text(""); });
  EXPECT_FALSE(again);
  server->stop();
  EXPECT_FALSE(fs::exists(sock));
}

TEST_F(HttpdTest, OversizeBodyIs413AndNeverReachesTheHandler) {
  std::atomic<int> calls{0};
  auto o = loopback();
  o.limits.max_body = 1024;
  auto server = must_start(o, [&](const httpd::Request& r) {
    ++calls;
    return text(std::to_string(r.body.size()));
  });
  ASSERT_TRUE(server);
  const std::string big(4096, 'x');
  const std::string ok(1024, 'y');
  // With and without "Expect: 100-continue".
  for (const char* expect : {"Expect: 100-continue", "Expect:"}) {
    const Headers h(expect);
    auto r = fetch(base(*server) + "/", [&](CURL* c) {
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, big.c_str());
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(big.size()));
      curl_easy_setopt(c, CURLOPT_HTTPHEADER, h.list);
    });
    ASSERT_EQ(r.code, CURLE_OK) << expect << ": " << curl_easy_strerror(r.code);
    EXPECT_EQ(r.status, 413) << expect;
    EXPECT_NE(r.body.find("body_too_large"), std::string::npos) << r.body;
  }
  // A chunked body (no Content-Length) over the limit: cut off while reading.
  int fd = raw_connect(server->port());
  ASSERT_GE(fd, 0);
  raw_send(fd, "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
  for (int i = 0; i < 4; ++i) raw_send(fd, "200\r\n" + std::string(512, 'z') + "\r\n");
  bool closed = false;
  auto raw = raw_read_all(fd, 5s, &closed);
  ::close(fd);
  EXPECT_TRUE(raw.starts_with("HTTP/1.1 413")) << raw;
  EXPECT_TRUE(closed);
  EXPECT_EQ(calls.load(), 0);
  // At the limit it passes.
  auto r = fetch(base(*server) + "/", [&](CURL* c) { curl_easy_setopt(c, CURLOPT_POSTFIELDS, ok.c_str()); });
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "1024");
  EXPECT_EQ(calls.load(), 1);
}

TEST_F(HttpdTest, OversizeHeaderIs431) {
  auto o = loopback();
  o.limits.max_header = 2048;
  auto server = must_start(o, [](const httpd::Request&) { return text("ok"); });
  ASSERT_TRUE(server);
  const std::string header = "X-Big: " + std::string(4096, 'h');
  const Headers h(header);
  auto r = fetch(base(*server) + "/", [&](CURL* c) { curl_easy_setopt(c, CURLOPT_HTTPHEADER, h.list); });
  ASSERT_EQ(r.code, CURLE_OK);
  EXPECT_EQ(r.status, 431);
}

TEST_F(HttpdTest, MalformedRequestIs400) {
  auto server = must_start(loopback(), [](const httpd::Request&) { return text("ok"); });
  ASSERT_TRUE(server);
  int fd = raw_connect(server->port());
  ASSERT_GE(fd, 0);
  raw_send(fd, "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n");
  bool closed = false;
  auto raw = raw_read_all(fd, 5s, &closed);
  ::close(fd);
  EXPECT_TRUE(raw.starts_with("HTTP/1.1 400")) << raw;
  EXPECT_TRUE(closed);
}

TEST_F(HttpdTest, SlowClientIsCutOffAtTheReadTimeout) {
  std::atomic<int> calls{0};
  auto o = loopback();
  o.limits.read_timeout = 1s;
  o.limits.idle_timeout = 1s;
  auto server = must_start(o, [&](const httpd::Request&) {
    ++calls;
    return text("ok");
  });
  ASSERT_TRUE(server);
  int fd = raw_connect(server->port());
  ASSERT_GE(fd, 0);
  auto start = std::chrono::steady_clock::now();
  raw_send(fd, "GET / HTTP/1.1\r\nHost: x\r\n");  // never finishes the header
  bool closed = false;
  auto raw = raw_read_all(fd, 6s, &closed);
  auto took = std::chrono::steady_clock::now() - start;
  ::close(fd);
  EXPECT_TRUE(closed);
  EXPECT_EQ(raw, "");
  EXPECT_GE(took, 900ms);
  EXPECT_LT(took, 4s);
  EXPECT_EQ(calls.load(), 0);

  // An idle keep-alive connection is closed after the idle timeout.
  fd = raw_connect(server->port());
  ASSERT_GE(fd, 0);
  raw_send(fd, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  start = std::chrono::steady_clock::now();
  raw = raw_read_all(fd, 6s, &closed);
  took = std::chrono::steady_clock::now() - start;
  ::close(fd);
  EXPECT_TRUE(raw.starts_with("HTTP/1.1 200")) << raw;
  EXPECT_TRUE(closed);
  EXPECT_GE(took, 900ms);
  EXPECT_LT(took, 4s);
}

TEST_F(HttpdTest, ConnectionsBeyondTheLimitAreClosed) {
  auto o = loopback();
  o.limits.max_connections = 2;
  auto server = must_start(o, [](const httpd::Request&) { return text("ok"); });
  ASSERT_TRUE(server);
  int a = raw_connect(server->port());
  int b = raw_connect(server->port());
  ASSERT_GE(a, 0);
  ASSERT_GE(b, 0);
  std::this_thread::sleep_for(200ms);  // both accepted
  int c = raw_connect(server->port());
  ASSERT_GE(c, 0);
  bool closed = false;
  raw_send(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  auto raw = raw_read_all(c, 3s, &closed);
  ::close(c);
  EXPECT_TRUE(closed);
  EXPECT_EQ(raw, "");
  ::close(a);
  std::this_thread::sleep_for(200ms);
  auto r = fetch(base(*server) + "/");
  EXPECT_EQ(r.status, 200);
  ::close(b);
}

TEST_F(HttpdTest, TlsServesVerifiedClientsOnTls12AndUp) {
  auto o = loopback();
  o.tls = httpd::TlsOptions{pki().file("server.pem"), pki().file("server.key"), ""};
  auto server = must_start(o, [](const httpd::Request& r) { return text("subject=" + r.client_cert_subject); });
  ASSERT_TRUE(server);
  const auto url = fmt::format("https://127.0.0.1:{}/", server->port());
  auto ok = fetch(url, [](CURL* c) { curl_easy_setopt(c, CURLOPT_CAINFO, pki().file("ca.pem").c_str()); });
  ASSERT_EQ(ok.code, CURLE_OK) << curl_easy_strerror(ok.code);
  EXPECT_EQ(ok.body, "subject=");
  auto tls12 = fetch(url, [](CURL* c) {
    curl_easy_setopt(c, CURLOPT_CAINFO, pki().file("ca.pem").c_str());
    curl_easy_setopt(c, CURLOPT_SSLVERSION,
                     static_cast<long>(CURL_SSLVERSION_TLSv1_2) | static_cast<long>(CURL_SSLVERSION_MAX_TLSv1_2));
  });
  EXPECT_EQ(tls12.code, CURLE_OK) << curl_easy_strerror(tls12.code);
  // Not trusted without the CA.
  auto untrusted = fetch(url, [](CURL* c) { curl_easy_setopt(c, CURLOPT_CAINFO, pki().file("other.pem").c_str()); });
  EXPECT_EQ(untrusted.code, CURLE_PEER_FAILED_VERIFICATION);
  // TLS 1.1 and older are refused.
  auto old = fetch(url, [](CURL* c) {
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(c, CURLOPT_SSLVERSION,
                     static_cast<long>(CURL_SSLVERSION_TLSv1_0) | static_cast<long>(CURL_SSLVERSION_MAX_TLSv1_1));
  });
  EXPECT_NE(old.code, CURLE_OK);
  // Plain HTTP to the TLS port gets no answer from a handler.
  auto plain = fetch(fmt::format("http://127.0.0.1:{}/", server->port()));
  EXPECT_NE(plain.status, 200);
}

TEST_F(HttpdTest, MutualTlsRequiresAClientCertificateAndExposesItsSubject) {
  std::atomic<int> calls{0};
  auto o = loopback();
  o.tls = httpd::TlsOptions{pki().file("server.pem"), pki().file("server.key"), pki().file("ca.pem")};
  auto server = must_start(o, [&](const httpd::Request& r) {
    ++calls;
    return text(r.client_cert_subject);
  });
  ASSERT_TRUE(server);
  const auto url = fmt::format("https://127.0.0.1:{}/", server->port());
  auto with = fetch(url, [](CURL* c) {
    curl_easy_setopt(c, CURLOPT_CAINFO, pki().file("ca.pem").c_str());
    curl_easy_setopt(c, CURLOPT_SSLCERT, pki().file("client.pem").c_str());
    curl_easy_setopt(c, CURLOPT_SSLKEY, pki().file("client.key").c_str());
  });
  ASSERT_EQ(with.code, CURLE_OK) << curl_easy_strerror(with.code);
  EXPECT_EQ(with.body, "CN=agent-1,O=bulwark");
  auto without = fetch(url, [](CURL* c) { curl_easy_setopt(c, CURLOPT_CAINFO, pki().file("ca.pem").c_str()); });
  EXPECT_NE(without.code, CURLE_OK);
  auto foreign = fetch(url, [](CURL* c) {
    curl_easy_setopt(c, CURLOPT_CAINFO, pki().file("ca.pem").c_str());
    curl_easy_setopt(c, CURLOPT_SSLCERT, pki().file("other.pem").c_str());
    curl_easy_setopt(c, CURLOPT_SSLKEY, pki().file("other.key").c_str());
  });
  EXPECT_NE(foreign.code, CURLE_OK);
  EXPECT_EQ(calls.load(), 1);
}

TEST_F(HttpdTest, BadTlsFilesAndAddressesAreErrors) {
  auto o = loopback();
  o.tls = httpd::TlsOptions{pki().file("server.pem"), pki().file("client.key"), ""};
  auto mismatch = httpd::Server::start(o, [](const httpd::Request&) { return text(""); });
  ASSERT_FALSE(mismatch);
  EXPECT_EQ(mismatch.error().code, ErrorCode::parse);
  o.tls = httpd::TlsOptions{"/nonexistent.pem", pki().file("server.key"), ""};
  EXPECT_FALSE(httpd::Server::start(o, [](const httpd::Request&) { return text(""); }));
  for (const char* bad : {"127.0.0.1", "127.0.0.1:99999", "[::1:80", "example.com:80", "unix:"}) {
    httpd::ServerOptions b;
    b.listen = bad;
    auto s = httpd::Server::start(b, [](const httpd::Request&) { return text(""); });
    ASSERT_FALSE(s) << bad;
    EXPECT_EQ(s.error().code, ErrorCode::invalid_argument) << bad;
  }
  auto first = must_start(loopback(), [](const httpd::Request&) { return text(""); });
  ASSERT_TRUE(first);
  httpd::ServerOptions same;
  same.listen = fmt::format("127.0.0.1:{}", first->port());
  auto taken = httpd::Server::start(same, [](const httpd::Request&) { return text(""); });
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().code, ErrorCode::io);
}

TEST_F(HttpdTest, StreamsServerSentEventsOverTls) {
  auto o = loopback();
  o.tls = httpd::TlsOptions{pki().file("server.pem"), pki().file("server.key"), ""};
  auto server = must_start(o, [](const httpd::Request&) {
    httpd::Response r;
    r.content_type = "text/event-stream";
    r.body = ": hello\n\n";
    auto n = std::make_shared<int>(0);
    r.stream = [n](std::string& chunk) {
      std::this_thread::sleep_for(20ms);
      ++*n;
      if (*n % 2 == 0) chunk = fmt::format("data: {}\n\n", *n);  // odd calls: nothing to send
      return *n < 6;
    };
    return r;
  });
  ASSERT_TRUE(server);
  auto r = fetch(fmt::format("https://127.0.0.1:{}/events", server->port()),
                 [](CURL* c) { curl_easy_setopt(c, CURLOPT_CAINFO, pki().file("ca.pem").c_str()); });
  ASSERT_EQ(r.code, CURLE_OK) << curl_easy_strerror(r.code);
  EXPECT_EQ(r.body, ": hello\n\ndata: 2\n\ndata: 4\n\ndata: 6\n\n");
  EXPECT_NE(r.headers.find("Transfer-Encoding: chunked"), std::string::npos) << r.headers;
  EXPECT_NE(r.headers.find("text/event-stream"), std::string::npos) << r.headers;
}

TEST_F(HttpdTest, HandlerExceptionIs500) {
  auto server = must_start(loopback(), [](const httpd::Request& r) -> httpd::Response {
    if (r.path == "/boom") throw std::runtime_error("secret detail");
    return text("fine");
  });
  ASSERT_TRUE(server);
  auto r = fetch(base(*server) + "/boom");
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body.find("secret detail"), std::string::npos);
  EXPECT_EQ(fetch(base(*server) + "/ok").body, "fine");
}

TEST_F(HttpdTest, ManyConcurrentClients) {
  std::atomic<int> calls{0};
  auto o = loopback();
  o.threads = 4;
  auto server = must_start(o, [&](const httpd::Request& r) {
    ++calls;
    return text(r.query_param("i"));
  });
  ASSERT_TRUE(server);
  std::atomic<int> good{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 16; ++t) {
    clients.emplace_back([&, t] {
      CURL* curl = curl_easy_init();
      for (int i = 0; i < 20; ++i) {
        auto id = std::to_string(t * 100 + i);
        curl_easy_setopt(curl, CURLOPT_URL, (base(*server) + "/?i=" + id).c_str());
        auto r = perform(curl);
        if (r.code == CURLE_OK && r.status == 200 && r.body == id) ++good;
      }
      curl_easy_cleanup(curl);
    });
  }
  for (auto& c : clients) c.join();
  EXPECT_EQ(good.load(), 320);
  EXPECT_EQ(calls.load(), 320);
}

TEST_F(HttpdTest, StopFinishesRequestsInProgressAndEndsStreams) {
  auto server = must_start(loopback(), [](const httpd::Request& r) {
    if (r.path == "/stream") {
      httpd::Response res;
      res.content_type = "text/event-stream";
      res.stream = [](std::string& chunk) {
        std::this_thread::sleep_for(50ms);
        chunk = ": ping\n\n";
        return true;  // never ends by itself
      };
      return res;
    }
    std::this_thread::sleep_for(500ms);
    return text("done");
  });
  ASSERT_TRUE(server);
  const auto port = server->port();
  Reply slow, stream;
  std::thread a([&] { slow = fetch(base(*server) + "/slow"); });
  std::thread b([&] { stream = fetch(base(*server) + "/stream"); });
  std::this_thread::sleep_for(200ms);
  auto start = std::chrono::steady_clock::now();
  server->stop();
  auto took = std::chrono::steady_clock::now() - start;
  a.join();
  b.join();
  EXPECT_EQ(slow.code, CURLE_OK);
  EXPECT_EQ(slow.body, "done");
  EXPECT_EQ(stream.code, CURLE_OK) << curl_easy_strerror(stream.code);  // ended with the last chunk
  EXPECT_TRUE(stream.body.starts_with(": ping\n\n"));
  EXPECT_LT(took, 5s);
  EXPECT_EQ(raw_connect(port), -1);  // no longer listening
}
