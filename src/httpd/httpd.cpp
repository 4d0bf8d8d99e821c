// The HTTP server on Boost.Beast/Asio. Every connection is a Session on its own
// strand; Beast parses (header first, so that limits and "Expect: 100-continue"
// are answered before the body is read); the Handler runs on a thread pool; a
// streaming response's producer runs on a thread of its own and hands each
// chunk to the strand to write.
#include "httpd/httpd.hpp"
#include "util/strings.hpp"

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <future>
#include <list>
#include <mutex>
#include <thread>
#include <unordered_map>

namespace bulwark::httpd {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using unix_proto = net::local::stream_protocol;
using unix_stream = beast::basic_stream<unix_proto>;

namespace {

std::string_view sv(beast::string_view s) {
  return {s.data(), s.size()};
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); });
  return out;
}

Response error_response(int status, std::string_view code, std::string_view message) {
  Response r;
  r.status = status;
  r.body = fmt::format(R"({{"error":{{"code":"{}","message":"{}"}}}})", code, util::json_escape(message));
  return r;
}

// Calls fn(name, value) for each "name=value" pair of a query string (raw).
template <class Fn>
void for_each_param(std::string_view query, Fn fn) {
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    std::string_view name = pair.substr(0, eq);
    std::string_view value = eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
    if (fn(name, value)) return;
  }
}

std::string tls_subject(SSL* ssl) {
  std::string out;
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (cert == nullptr) return out;
  if (SSL_get_verify_result(ssl) == X509_V_OK) {
    BIO* bio = BIO_new(BIO_s_mem());
    if (bio != nullptr) {
      if (X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) >= 0) {
        char* data = nullptr;
        long n = BIO_get_mem_data(bio, &data);
        if (n > 0 && data != nullptr) out.assign(data, static_cast<std::size_t>(n));
      }
      BIO_free(bio);
    }
  }
  X509_free(cert);
  return out;
}

template <class T>
struct is_ssl : std::false_type {};
template <class S>
struct is_ssl<beast::ssl_stream<S>> : std::true_type {};

constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

}  // namespace

class SessionBase {
 public:
  virtual ~SessionBase() = default;
  virtual void server_stopping() = 0;
};

struct Server::Impl {
  ServerOptions options;
  Handler handler;
  std::unique_ptr<net::io_context> ioc = std::make_unique<net::io_context>();
  // Keeps run() going while no operation is outstanding (handlers in the pool, stream producers).
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work{ioc->get_executor()};
  std::unique_ptr<net::ssl::context> ssl_ctx;
  std::optional<tcp::acceptor> tcp_acceptor;
  std::optional<unix_proto::acceptor> unix_acceptor;
  std::optional<net::steady_timer> retry_timer;
  std::string unix_path;
  std::uint16_t bound_port = 0;
  std::vector<std::thread> io_threads;
  std::unique_ptr<net::thread_pool> pool;
  std::unique_ptr<net::thread_pool> read_pool;  // GET and HEAD: never queued behind slow writes

  std::mutex mu;
  std::condition_variable cv;
  std::unordered_map<SessionBase*, std::weak_ptr<SessionBase>> sessions;
  std::unordered_map<std::thread::id, std::thread> streams;
  std::vector<std::thread::id> finished_streams;
  std::atomic<bool> stopping{false}, io_stopped{false}, stopped{false};

  void add_session(SessionBase* key, std::weak_ptr<SessionBase> s) {
    std::lock_guard lock(mu);
    sessions.emplace(key, std::move(s));
  }
  void remove_session(SessionBase* key) {
    std::lock_guard lock(mu);
    sessions.erase(key);
    cv.notify_all();
  }
  std::size_t session_count() {
    std::lock_guard lock(mu);
    return sessions.size();
  }

  void spawn_stream(std::function<void()> body) {
    std::vector<std::thread> done;
    {
      std::lock_guard lock(mu);
      for (auto id : finished_streams) {
        if (auto it = streams.find(id); it != streams.end()) {
          done.push_back(std::move(it->second));
          streams.erase(it);
        }
      }
      finished_streams.clear();
      std::thread t([this, body = std::move(body)] {
        body();
        std::lock_guard inner(mu);
        finished_streams.push_back(std::this_thread::get_id());
      });
      auto id = t.get_id();
      streams.emplace(id, std::move(t));
    }
    for (auto& t : done) t.join();
  }

  template <class Acceptor>
  void accept(Acceptor& acceptor);
  template <class Socket>
  void on_accept(Socket socket, std::string peer);
  void stop();
};

template <class Stream>
class Session : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
 public:
  template <class... Args>
  Session(Server::Impl& srv, std::string peer, Args&&... args)
      : srv_(srv), stream_(std::forward<Args>(args)...), peer_(std::move(peer)) {}
  ~Session() override { srv_.remove_session(this); }

  void start() {
    net::dispatch(stream_.get_executor(), [self = this->shared_from_this()] { self->on_start(); });
  }

  void server_stopping() override {
    net::post(stream_.get_executor(), [self = this->shared_from_this()] {
      if (self->waiting_) self->close();
    });
  }

 private:
  auto& lowest() { return beast::get_lowest_layer(stream_); }
  const Limits& limits() const { return srv_.options.limits; }

  void on_start() {
    if constexpr (is_ssl<Stream>::value) {
      lowest().expires_after(limits().read_timeout);
      stream_.async_handshake(net::ssl::stream_base::server, [self = this->shared_from_this()](beast::error_code ec) {
        if (ec) return self->close();
        if (!self->srv_.options.tls->client_ca_file.empty()) {
          self->subject_ = tls_subject(self->stream_.native_handle());
        }
        self->read_request();
      });
    } else {
      read_request();
    }
  }

  void read_request() {
    if (srv_.stopping) return close();
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(limits().max_header, UINT32_MAX)));
    parser_->body_limit(limits().max_body);
    lowest().expires_after(first_ ? limits().read_timeout : limits().idle_timeout);
    waiting_ = buffer_.size() == 0;
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                              self->waiting_ = false;
                              self->on_header(ec);
                            });
  }

  // True when the error has been answered or the connection closed.
  bool failed(beast::error_code ec) {
    if (!ec) return false;
    if (ec == http::error::body_limit) {
      send_error(413, "body_too_large", fmt::format("the request body exceeds {} bytes", limits().max_body));
    } else if (ec == http::error::header_limit) {
      send_error(431, "header_too_large", fmt::format("the request header exceeds {} bytes", limits().max_header));
    } else if (ec.category() == beast::error_code(http::error::end_of_stream).category() &&
               ec != http::error::end_of_stream && ec != http::error::partial_message) {
      send_error(400, "bad_request", fmt::format("malformed HTTP request: {}", ec.message()));
    } else {
      close();
    }
    return true;
  }

  void on_header(beast::error_code ec) {
    if (failed(ec)) return;
    if (auto len = parser_->content_length(); len && *len > limits().max_body) {
      return (void)failed(http::error::body_limit);
    }
    if (parser_->is_done()) return on_request();
    lowest().expires_after(limits().read_timeout);
    auto expect = parser_->get()[http::field::expect];
    if (beast::iequals(expect, "100-continue")) {
      net::async_write(stream_, net::buffer(kContinue.data(), kContinue.size()),
                       [self = this->shared_from_this()](beast::error_code wec, std::size_t) {
                         if (wec) return self->close();
                         self->read_body();
                       });
    } else {
      read_body();
    }
  }

  void read_body() {
    http::async_read(stream_, buffer_, *parser_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
      if (self->failed(ec)) return;
      self->on_request();
    });
  }

  void on_request() {
    auto& msg = parser_->get();
    Request req;
    req.method = std::string(sv(msg.method_string()));
    req.target = std::string(sv(msg.target()));
    auto q = req.target.find('?');
    req.path = req.target.substr(0, q);
    if (q != std::string::npos) req.query = req.target.substr(q + 1);
    for (const auto& field : msg) {
      auto key = lower(sv(field.name_string()));
      auto [it, inserted] = req.headers.emplace(key, std::string(sv(field.value())));
      if (!inserted) {
        it->second += ", ";
        it->second += sv(field.value());
      }
    }
    req.body = std::move(msg.body());
    req.peer = peer_;
    req.client_cert_subject = subject_;
    keep_alive_ = msg.keep_alive();
    parser_.reset();
    lowest().expires_never();
    const bool reads = req.method == "GET" || req.method == "HEAD";
    net::post(reads ? *srv_.read_pool : *srv_.pool, [self = this->shared_from_this(), req = std::move(req)]() mutable {
      Response res;
      try {
        res = self->srv_.handler(req);
      } catch (const std::exception& e) {
        res = error_response(500, "internal", "the request handler failed");
      } catch (...) {
        res = error_response(500, "internal", "the request handler failed");
      }
      net::post(self->stream_.get_executor(), [self, res = std::move(res)]() mutable { self->send(std::move(res)); });
    });
  }

  void send_error(int status, std::string_view code, std::string_view message) {
    keep_alive_ = false;
    drain_ = true;
    send(error_response(status, code, message));
  }

  void send(Response r) {
    if (r.stream) return start_stream(std::move(r));
    res_ = std::make_shared<http::response<http::string_body>>();
    res_->version(11);
    res_->result(static_cast<unsigned>(r.status));
    res_->set(http::field::server, "bulwark");
    res_->set(http::field::content_type, r.content_type);
    for (auto& [k, v] : r.headers) res_->insert(k, v);
    res_->body() = std::move(r.body);
    res_->keep_alive(keep_alive_ && !srv_.stopping);
    res_->prepare_payload();
    lowest().expires_after(limits().read_timeout);
    http::async_write(stream_, *res_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->close();
      bool keep = self->res_->keep_alive();
      self->res_.reset();
      if (!keep) return self->finish();
      self->first_ = false;
      self->read_request();
    });
  }

  // A chunk written from the stream thread: posted to the strand, waited for.
  bool write_from_thread(std::function<void(std::function<void(beast::error_code)>)> op) {
    auto done = std::make_shared<std::promise<bool>>();
    auto fut = done->get_future();
    net::post(stream_.get_executor(), [self = this->shared_from_this(), op = std::move(op), done] {
      self->lowest().expires_after(self->limits().read_timeout);
      op([done](beast::error_code ec) { done->set_value(!ec); });
    });
    while (fut.wait_for(std::chrono::milliseconds(200)) != std::future_status::ready) {
      if (srv_.io_stopped) return false;
    }
    return fut.get();
  }

  void start_stream(Response r) {
    auto header = std::make_shared<http::response<http::empty_body>>();
    header->version(11);
    header->result(static_cast<unsigned>(r.status));
    header->set(http::field::server, "bulwark");
    header->set(http::field::content_type, r.content_type);
    for (auto& [k, v] : r.headers) header->insert(k, v);
    header->keep_alive(false);
    header->chunked(true);
    srv_.spawn_stream([self = this->shared_from_this(), header, fn = std::move(r.stream), first = std::move(r.body)] {
      auto serializer = std::make_shared<http::response_serializer<http::empty_body>>(*header);
      bool ok = self->write_from_thread([self, serializer](auto cb) {
        http::async_write_header(self->stream_, *serializer,
                                 [cb, serializer](beast::error_code ec, std::size_t) { cb(ec); });
      });
      auto chunk_write = [&](std::string data) {
        auto shared = std::make_shared<std::string>(std::move(data));
        return self->write_from_thread([self, shared](auto cb) {
          net::async_write(self->stream_, http::make_chunk(net::buffer(*shared)),
                           [cb, shared](beast::error_code ec, std::size_t) { cb(ec); });
        });
      };
      if (ok && !first.empty()) ok = chunk_write(first);
      while (ok && !self->srv_.stopping) {
        std::string chunk;
        bool more = false;
        try {
          more = fn(chunk);
        } catch (...) {
          more = false;
        }
        if (!chunk.empty()) ok = chunk_write(std::move(chunk));
        if (!more) break;
      }
      if (ok) {
        ok = self->write_from_thread([self](auto cb) {
          net::async_write(self->stream_, http::make_chunk_last(), [cb](beast::error_code ec, std::size_t) { cb(ec); });
        });
      }
      net::post(self->stream_.get_executor(), [self, ok] {
        if (ok) {
          self->finish();
        } else {
          self->close();
        }
      });
    });
  }

  // Ends the connection politely: TLS close_notify, or a half-close and a short
  // drain of what the client still sends (so that a 413 is not lost to a reset).
  void finish() {
    if constexpr (is_ssl<Stream>::value) {
      lowest().expires_after(std::chrono::seconds(2));
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) { self->close(); });
    } else {
      beast::error_code ec;
      lowest().socket().shutdown(net::socket_base::shutdown_send, ec);
      if (ec || !drain_) return close();
      drained_ = 0;
      drain();
    }
  }

  void drain() {
    lowest().expires_after(std::chrono::seconds(2));
    lowest().async_read_some(net::buffer(drain_buf_),
                             [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
                               self->drained_ += n;
                               if (ec || self->drained_ > (8u << 20)) return self->close();
                               self->drain();
                             });
  }

  void close() {
    beast::error_code ec;
    lowest().socket().shutdown(net::socket_base::shutdown_both, ec);
    lowest().close();
  }

  Server::Impl& srv_;
  Stream stream_;
  std::string peer_, subject_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<http::response<http::string_body>> res_;
  bool first_ = true, keep_alive_ = false, waiting_ = false, drain_ = false;
  std::size_t drained_ = 0;
  std::array<char, 16384> drain_buf_{};
};

template <class Socket>
void Server::Impl::on_accept(Socket socket, std::string peer) {
  if (session_count() >= options.limits.max_connections) {
    beast::error_code ec;
    socket.shutdown(net::socket_base::shutdown_both, ec);
    socket.close(ec);
    return;
  }
  using Proto = typename Socket::protocol_type;
  using Plain = beast::basic_stream<Proto>;
  auto launch = [&](auto session) {
    add_session(session.get(), session);
    session->start();
  };
  if (ssl_ctx) {
    launch(std::make_shared<Session<beast::ssl_stream<Plain>>>(*this, std::move(peer), std::move(socket), *ssl_ctx));
  } else {
    launch(std::make_shared<Session<Plain>>(*this, std::move(peer), std::move(socket)));
  }
}

template <class Acceptor>
void Server::Impl::accept(Acceptor& acceptor) {
  using Socket = typename Acceptor::protocol_type::socket;
  acceptor.async_accept(net::make_strand(*ioc), [this, &acceptor](beast::error_code ec, Socket socket) {
    if (stopping) return;
    if (ec) {
      if (ec == net::error::operation_aborted) return;
      // Out of file descriptors or similar: try again shortly rather than spin.
      retry_timer->expires_after(std::chrono::milliseconds(100));
      retry_timer->async_wait([this, &acceptor](beast::error_code tec) {
        if (!tec && !stopping) accept(acceptor);
      });
      return;
    }
    std::string peer = "unix";
    if constexpr (std::is_same_v<typename Acceptor::protocol_type, tcp>) {
      beast::error_code pec;
      auto ep = socket.remote_endpoint(pec);
      if (!pec) {
        peer = ep.address().is_v6() ? fmt::format("[{}]:{}", ep.address().to_string(), ep.port())
                                    : fmt::format("{}:{}", ep.address().to_string(), ep.port());
      }
    }
    on_accept(std::move(socket), std::move(peer));
    accept(acceptor);
  });
}

void Server::Impl::stop() {
  if (stopped.exchange(true)) return;
  stopping = true;
  {
    std::promise<void> closed;
    auto fut = closed.get_future();
    auto close_acceptors = [this, &closed] {
      beast::error_code ec;
      if (tcp_acceptor) tcp_acceptor->close(ec);
      if (unix_acceptor) unix_acceptor->close(ec);
      if (retry_timer) retry_timer->cancel();
      closed.set_value();
    };
    if (tcp_acceptor) {
      net::post(tcp_acceptor->get_executor(), close_acceptors);
    } else {
      net::post(unix_acceptor->get_executor(), close_acceptors);
    }
    fut.wait();
  }
  std::vector<std::shared_ptr<SessionBase>> live;
  {
    std::lock_guard lock(mu);
    for (auto& [key, weak] : sessions) {
      if (auto s = weak.lock()) live.push_back(std::move(s));
    }
  }
  for (auto& s : live) s->server_stopping();
  live.clear();
  {
    std::unique_lock lock(mu);
    cv.wait_for(lock, std::chrono::seconds(10), [this] { return sessions.empty(); });
  }
  io_stopped = true;
  work.reset();
  ioc->stop();
  for (auto& t : io_threads) t.join();
  io_threads.clear();
  pool->join();
  read_pool->join();
  std::unordered_map<std::thread::id, std::thread> left;
  {
    std::lock_guard lock(mu);
    left.swap(streams);
    finished_streams.clear();
  }
  for (auto& [id, t] : left) t.join();
  tcp_acceptor.reset();
  unix_acceptor.reset();
  retry_timer.reset();
  ioc.reset();
  if (!unix_path.empty()) ::unlink(unix_path.c_str());
}

namespace {

struct Address {
  std::string unix_path;
  tcp::endpoint endpoint;
};

Result<Address> parse_listen(std::string_view listen) {
  Address out;
  if (listen.starts_with("unix:")) {
    out.unix_path = std::string(listen.substr(5));
    if (out.unix_path.empty() || out.unix_path.size() >= 108) {
      return fail(ErrorCode::invalid_argument, "a unix socket path must have 1 to 107 characters", std::string(listen));
    }
    return out;
  }
  std::string_view host, port;
  if (listen.starts_with('[')) {
    auto close = listen.find("]:");
    if (close == std::string_view::npos) {
      return fail(ErrorCode::invalid_argument, "expected [IPv6]:PORT", std::string(listen));
    }
    host = listen.substr(1, close - 1);
    port = listen.substr(close + 2);
  } else {
    auto colon = listen.rfind(':');
    if (colon == std::string_view::npos) {
      return fail(ErrorCode::invalid_argument, "expected HOST:PORT, [IPv6]:PORT or unix:PATH", std::string(listen));
    }
    host = listen.substr(0, colon);
    port = listen.substr(colon + 1);
  }
  unsigned p = 0;
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (ec != std::errc{} || ptr != port.data() + port.size() || p > 65535 || port.empty()) {
    return fail(ErrorCode::invalid_argument, "the port must be a number from 0 to 65535", std::string(listen));
  }
  if (host.empty()) host = "0.0.0.0";
  if (host == "localhost") host = "127.0.0.1";
  beast::error_code aec;
  auto addr = net::ip::make_address(std::string(host), aec);
  if (aec) return fail(ErrorCode::invalid_argument, "not an IP address: " + std::string(host), std::string(listen));
  out.endpoint = tcp::endpoint(addr, static_cast<std::uint16_t>(p));
  return out;
}

Status setup_tls(net::ssl::context& ctx, const TlsOptions& tls) {
  beast::error_code ec;
  ctx.set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 | net::ssl::context::no_sslv3 |
                      net::ssl::context::no_tlsv1 | net::ssl::context::no_tlsv1_1 | net::ssl::context::single_dh_use,
                  ec);
  SSL_CTX* native = ctx.native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  ctx.use_certificate_chain_file(tls.cert_file, ec);
  if (ec) return fail(ErrorCode::parse, "cannot load the TLS certificate: " + ec.message(), tls.cert_file);
  ctx.use_private_key_file(tls.key_file, net::ssl::context::pem, ec);
  if (ec) return fail(ErrorCode::parse, "cannot load the TLS key: " + ec.message(), tls.key_file);
  if (SSL_CTX_check_private_key(native) != 1) {
    return fail(ErrorCode::parse, "the TLS key does not match the certificate", tls.key_file);
  }
  static const unsigned char kSessionContext[] = "bulwark-httpd";
  SSL_CTX_set_session_id_context(native, kSessionContext, sizeof kSessionContext - 1);
  if (!tls.client_ca_file.empty()) {
    ctx.load_verify_file(tls.client_ca_file, ec);
    if (ec) return fail(ErrorCode::parse, "cannot load the client CA: " + ec.message(), tls.client_ca_file);
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(tls.client_ca_file.c_str());
    if (names != nullptr) SSL_CTX_set_client_CA_list(native, names);
    ctx.set_verify_mode(net::ssl::verify_peer | net::ssl::verify_fail_if_no_peer_cert, ec);
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<Server>> Server::start(ServerOptions options, Handler handler) {
  if (!handler) return fail(ErrorCode::invalid_argument, "no request handler");
  auto address = parse_listen(options.listen);
  if (!address) return std::unexpected(address.error());
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->handler = std::move(handler);
  const unsigned threads = std::max(1u, impl->options.threads);
  if (impl->options.limits.max_connections == 0) impl->options.limits.max_connections = 1;
  if (impl->options.tls) {
    impl->ssl_ctx = std::make_unique<net::ssl::context>(net::ssl::context::tls_server);
    if (auto st = setup_tls(*impl->ssl_ctx, *impl->options.tls); !st) return std::unexpected(st.error());
  }
  impl->retry_timer.emplace(net::make_strand(*impl->ioc));
  beast::error_code ec;
  const std::string& where = impl->options.listen;
  if (!address->unix_path.empty()) {
    const std::string& path = address->unix_path;
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0) {
      if (!S_ISSOCK(st.st_mode)) return fail(ErrorCode::io, "exists and is not a socket", path);
      // A live server answers a connect; a stale socket file is removed.
      unix_proto::socket probe(*impl->ioc);
      probe.connect(unix_proto::endpoint(path), ec);
      if (!ec) return fail(ErrorCode::io, "another server is listening on this socket", path);
      ::unlink(path.c_str());
      ec.clear();
    }
    auto& acc = impl->unix_acceptor.emplace(net::make_strand(*impl->ioc));
    acc.open(unix_proto(), ec);
    if (!ec) acc.bind(unix_proto::endpoint(path), ec);
    if (!ec) acc.listen(net::socket_base::max_listen_connections, ec);
    if (ec) return fail(ErrorCode::io, "cannot listen: " + ec.message(), where);
    impl->unix_path = path;
    impl->accept(acc);
  } else {
    auto& acc = impl->tcp_acceptor.emplace(net::make_strand(*impl->ioc));
    acc.open(address->endpoint.protocol(), ec);
    if (!ec) acc.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec && address->endpoint.address().is_v6()) acc.set_option(net::ip::v6_only(true), ec);
    if (!ec) acc.bind(address->endpoint, ec);
    if (!ec) acc.listen(net::socket_base::max_listen_connections, ec);
    if (ec) return fail(ErrorCode::io, "cannot listen: " + ec.message(), where);
    impl->bound_port = acc.local_endpoint(ec).port();
    impl->accept(acc);
  }
  impl->pool = std::make_unique<net::thread_pool>(threads);
  impl->read_pool = std::make_unique<net::thread_pool>(std::max(2u, threads / 2));
  for (unsigned i = 0; i < threads; ++i) {
    impl->io_threads.emplace_back([ioc = impl->ioc.get()] {
      for (;;) {
        try {
          ioc->run();
          return;
        } catch (...) {
          // A handler threw (a bug); keep serving the other connections.
        }
      }
    });
  }
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() {
  stop();
}
std::uint16_t Server::port() const {
  return impl_->bound_port;
}
void Server::stop() {
  if (impl_) impl_->stop();
}

std::string_view Request::header(std::string_view name) const {
  auto it = headers.find(lower(name));
  return it == headers.end() ? std::string_view{} : std::string_view(it->second);
}

std::string Request::query_param(std::string_view name) const {
  std::string out;
  for_each_param(query, [&](std::string_view n, std::string_view v) {
    if (url_decode(n, true) != name) return false;
    out = url_decode(v, true);
    return true;
  });
  return out;
}

bool Request::has_query_param(std::string_view name) const {
  bool found = false;
  for_each_param(query, [&](std::string_view n, std::string_view) {
    found = url_decode(n, true) == name;
    return found;
  });
  return found;
}

std::string url_decode(std::string_view text, bool plus_is_space) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%' && i + 2 < text.size() && hex(text[i + 1]) >= 0 && hex(text[i + 2]) >= 0) {
      out += static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2]));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::string_view reason(int status) {
  auto r = http::obsolete_reason(static_cast<http::status>(status));
  return r.empty() ? std::string_view("Unknown") : std::string_view(r.data(), r.size());
}

}  // namespace bulwark::httpd
