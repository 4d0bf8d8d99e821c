#include "util/http.hpp"

#include <curl/curl.h>

#include <fmt/format.h>

#include <mutex>

#include "util/strings.hpp"

#ifndef BULWARK_VERSION
#define BULWARK_VERSION "dev"
#endif

namespace bulwark::util {

namespace {

constexpr std::uint64_t kErrorBodyCap = 64 * 1024;

void global_init() {
  // curl_global_init is not thread-safe and must run once before any handle.
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct UrlDeleter {
  void operator()(CURLU* u) const noexcept { curl_url_cleanup(u); }
};
using UrlPtr = std::unique_ptr<CURLU, UrlDeleter>;

struct SlistDeleter {
  void operator()(curl_slist* l) const noexcept { curl_slist_free_all(l); }
};
using SlistPtr = std::unique_ptr<curl_slist, SlistDeleter>;

std::optional<std::string> url_part(CURLU* u, CURLUPart part, unsigned flags = 0) {
  char* out = nullptr;
  if (curl_url_get(u, part, &out, flags) != CURLUE_OK || out == nullptr) return std::nullopt;
  std::string s(out);
  curl_free(out);
  return s;
}

// Fallback when curl cannot parse the text at all: still never show userinfo or query.
std::string crude_redact(std::string_view url) {
  std::string s(url.substr(0, url.find_first_of("?#")));
  auto scheme_end = s.find("://");
  auto host_start = scheme_end == std::string::npos ? 0 : scheme_end + 3;
  auto at = s.find('@', host_start);
  auto slash = s.find('/', host_start);
  if (at != std::string::npos && (slash == std::string::npos || at < slash)) s.erase(host_start, at + 1 - host_start);
  return printable(s);
}

bool is_redirect(long status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

struct Transfer {
  CURL* curl = nullptr;
  HttpResponse* response = nullptr;
  std::uint64_t max_body = 0;
  const BodySink* sink = nullptr;
  const std::function<bool()>* cancel = nullptr;
  std::string url_for_errors;
  std::optional<Error> error;
  bool decided = false;
  bool success = false;
};

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t len = size * count;
  std::string_view line(data, len);
  // A new status line (after 100 Continue or a proxy's answer) starts a new header set.
  if (line.starts_with("HTTP/")) {
    t->response->headers.clear();
    return len;
  }
  auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    t->response->headers.add(std::string(trim(line.substr(0, colon))), std::string(trim(line.substr(colon + 1))));
  }
  return len;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  if (t->cancel != nullptr && *t->cancel && (*t->cancel)()) {
    t->error = Error{ErrorCode::network, "transfer cancelled", t->url_for_errors};
    return 1;  // CURLE_ABORTED_BY_CALLBACK
  }
  return 0;
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t len = size * count;
  if (!t->decided) {
    long code = 0;
    curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &code);
    t->success = code >= 200 && code < 300;
    t->decided = true;
  }
  std::string& body = t->response->body;
  if (!t->success) {
    // A redirect's or an error's body is only for messages: keep its start, drop the rest.
    // (The limit is for the wanted body: a tiny config blob may sit behind a long redirect page.)
    if (body.size() < kErrorBodyCap) body.append(data, std::min<size_t>(len, kErrorBodyCap - body.size()));
    return len;
  }
  if (t->sink != nullptr) {
    auto st = (*t->sink)(std::string_view(data, len));
    if (!st) {
      t->error = st.error();
      return 0;  // makes curl stop with CURLE_WRITE_ERROR
    }
    return len;
  }
  if (body.size() + len > t->max_body) {
    t->error = Error{ErrorCode::limit, fmt::format("response body larger than the limit of {} bytes", t->max_body),
                     t->url_for_errors};
    return 0;
  }
  body.append(data, len);
  return len;
}

}  // namespace

struct HttpClient::Handle {
  CURL* curl = nullptr;
  Handle() : curl(curl_easy_init()) {}
  ~Handle() {
    if (curl != nullptr) curl_easy_cleanup(curl);
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
};

std::optional<std::string> HttpHeaders::get(std::string_view name) const {
  for (const auto& [k, v] : entries_) {
    if (iequals(k, name)) return v;
  }
  return std::nullopt;
}

std::vector<std::string> HttpHeaders::get_all(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : entries_) {
    if (iequals(k, name)) out.push_back(v);
  }
  return out;
}

HttpClient::HttpClient(HttpOptions options) : options_(std::move(options)) {
  global_init();
  handle_ = std::make_unique<Handle>();
  if (options_.user_agent.empty()) options_.user_agent = std::string("bulwark/") + BULWARK_VERSION;
}

HttpClient::~HttpClient() = default;
HttpClient::HttpClient(HttpClient&&) noexcept = default;
HttpClient& HttpClient::operator=(HttpClient&&) noexcept = default;

namespace {

Result<HttpResponse> perform_once(CURL* curl, const HttpOptions& options, HttpMethod method, const std::string& url,
                                  const std::vector<std::pair<std::string, std::string>>& headers,
                                  const std::string& body, std::uint64_t max_body, const BodySink* sink, HttpIdle idle,
                                  const std::function<bool()>* cancel) {
  const std::string shown = redact_url(url);
  if (curl == nullptr) return fail(ErrorCode::internal, "curl_easy_init failed", shown);
  curl_easy_reset(curl);

  HttpResponse response;
  Transfer t;
  t.curl = curl;
  t.response = &response;
  t.max_body = max_body;
  t.sink = sink;
  t.cancel = cancel;
  t.url_for_errors = shown;

  curl_slist* raw_list = nullptr;
  for (const auto& [k, v] : headers) {
    // Values can come from servers (a token); a line break would smuggle in another header.
    if ((k + v).find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos || k.empty() ||
        k.find(':') != std::string::npos) {
      curl_slist_free_all(raw_list);
      return fail(ErrorCode::invalid_argument, "refusing a request header with a line break or bad name", shown);
    }
    std::string line = k + ": " + v;
    curl_slist* next = curl_slist_append(raw_list, line.c_str());
    if (next == nullptr) {
      curl_slist_free_all(raw_list);
      return fail(ErrorCode::internal, "out of memory building request headers", shown);
    }
    raw_list = next;
  }
  if (method == HttpMethod::post || method == HttpMethod::put) {
    // No "Expect: 100-continue" round trip for small bodies.
    curl_slist* next = curl_slist_append(raw_list, "Expect:");
    if (next != nullptr) raw_list = next;
  }
  SlistPtr list(raw_list);

  char errbuf[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);  // redirects are ours: see HttpClient::fetch
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  const long verify = options.tls == TlsCheck::verify ? 1L : 0L;
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, verify);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, verify == 1L ? 2L : 0L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, static_cast<long>(options.connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, static_cast<long>(options.total_timeout.count()));
  if (idle == HttpIdle::stall_aborts) {
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, static_cast<long>(options.stall_timeout.count()));
  }
  if (cancel != nullptr && *cancel) {
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, &on_progress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &t);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  }
  curl_easy_setopt(curl, CURLOPT_USERAGENT, options.user_agent.c_str());
  if (!options.unix_socket.empty()) curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, options.unix_socket.c_str());
  if (!options.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, options.ca_file.c_str());
  if (!options.cert_file.empty()) curl_easy_setopt(curl, CURLOPT_SSLCERT, options.cert_file.c_str());
  if (!options.key_file.empty()) curl_easy_setopt(curl, CURLOPT_SSLKEY, options.key_file.c_str());
  if (list) curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list.get());
  switch (method) {
    case HttpMethod::get: curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L); break;
    case HttpMethod::head: curl_easy_setopt(curl, CURLOPT_NOBODY, 1L); break;
    case HttpMethod::post:
      curl_easy_setopt(curl, CURLOPT_POST, 1L);
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
      break;
    case HttpMethod::put:
      // The body from memory, as with POST, under the PUT verb (registry uploads and manifests).
      curl_easy_setopt(curl, CURLOPT_POST, 1L);
      curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, "PUT");
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
      break;
  }
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);

  CURLcode rc = curl_easy_perform(curl);
  // Keep no pointers to this frame's buffers in the handle.
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
  if (t.error) return std::unexpected(*t.error);
  if (rc != CURLE_OK) {
    std::string what = errbuf[0] != '\0' ? std::string(errbuf) : std::string(curl_easy_strerror(rc));
    while (!what.empty() && (what.back() == '\n' || what.back() == '\r')) what.pop_back();
    if (!options.unix_socket.empty()) what += fmt::format(" (via unix socket {})", options.unix_socket);
    return fail(ErrorCode::network, printable(what), shown);
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  response.final_url = url;
  return response;
}

}  // namespace

namespace {

Result<HttpResponse> run(CURL* curl, const HttpOptions& options, const HttpRequest& request, std::uint64_t max_body,
                         const BodySink* sink) {
  std::string url = request.url;
  HttpMethod method = request.method;
  auto headers = request.headers;
  std::string body = request.body;
  auto origin = url_origin(url);
  if (!origin) return std::unexpected(origin.error());
  for (int hop = 0;; ++hop) {
    auto response = perform_once(curl, options, method, url, headers, body, max_body, sink, request.idle,
                                 request.cancel ? &request.cancel : nullptr);
    if (!response) return response;
    auto location = response->headers.get("Location");
    if (!is_redirect(response->status) || !location) return response;
    if (hop >= options.max_redirects) {
      return fail(ErrorCode::network, fmt::format("more than {} redirects", options.max_redirects),
                  redact_url(request.url));
    }
    auto next = resolve_url(url, *location);
    if (!next) return std::unexpected(next.error());
    if (options.tls == TlsCheck::verify && url.starts_with("https:") && !next->starts_with("https:")) {
      return fail(ErrorCode::network, "refusing a redirect from https to " + redact_url(*next),
                  redact_url(request.url));
    }
    auto next_origin = url_origin(*next);
    if (!next_origin) return std::unexpected(next_origin.error());
    if (*next_origin != *origin) {
      // Another host (object storage behind a registry) must not see our credentials.
      std::erase_if(headers, [](const auto& h) { return iequals(h.first, "Authorization"); });
    }
    if (response->status == 303 || (method == HttpMethod::post && response->status <= 302)) {
      method = HttpMethod::get;
      body.clear();
    }
    url = std::move(*next);
    origin = std::move(next_origin);
  }
}

}  // namespace

Result<HttpResponse> HttpClient::fetch(const HttpRequest& request, std::uint64_t max_body_bytes) {
  return run(handle_->curl, options_, request, max_body_bytes, nullptr);
}

Result<HttpResponse> HttpClient::fetch_to(const HttpRequest& request, const BodySink& sink) {
  return run(handle_->curl, options_, request, 0, &sink);
}

std::string redact_url(std::string_view url) {
  global_init();
  UrlPtr u(curl_url());
  std::string text(url);
  if (!u || curl_url_set(u.get(), CURLUPART_URL, text.c_str(), CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK) {
    return crude_redact(url);
  }
  curl_url_set(u.get(), CURLUPART_USER, nullptr, 0);
  curl_url_set(u.get(), CURLUPART_PASSWORD, nullptr, 0);
  curl_url_set(u.get(), CURLUPART_OPTIONS, nullptr, 0);
  curl_url_set(u.get(), CURLUPART_QUERY, nullptr, 0);
  curl_url_set(u.get(), CURLUPART_FRAGMENT, nullptr, 0);
  auto out = url_part(u.get(), CURLUPART_URL);
  return out ? printable(*out) : crude_redact(url);
}

Result<std::string> resolve_url(std::string_view base, std::string_view location) {
  global_init();
  UrlPtr u(curl_url());
  std::string b(base);
  std::string l(location);
  if (!u || curl_url_set(u.get(), CURLUPART_URL, b.c_str(), 0) != CURLUE_OK ||
      curl_url_set(u.get(), CURLUPART_URL, l.c_str(), 0) != CURLUE_OK) {
    return fail(ErrorCode::network, "invalid redirect target " + crude_redact(location), redact_url(base));
  }
  auto out = url_part(u.get(), CURLUPART_URL);
  if (!out) return fail(ErrorCode::network, "invalid redirect target " + crude_redact(location), redact_url(base));
  return *out;
}

Result<std::string> url_origin(std::string_view url) {
  global_init();
  UrlPtr u(curl_url());
  std::string text(url);
  if (!u || curl_url_set(u.get(), CURLUPART_URL, text.c_str(), 0) != CURLUE_OK) {
    return fail(ErrorCode::invalid_argument, "not a valid URL", crude_redact(url));
  }
  auto scheme = url_part(u.get(), CURLUPART_SCHEME);
  auto host = url_part(u.get(), CURLUPART_HOST);
  auto port = url_part(u.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT);
  if (!scheme || !host) return fail(ErrorCode::invalid_argument, "URL without a host", crude_redact(url));
  return to_lower(*scheme) + "://" + to_lower(*host) + ":" + port.value_or("");
}

std::string url_encode(std::string_view s, std::string_view keep) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    bool unreserved = (u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') || c == '-' ||
                      c == '.' || c == '_' || c == '~';
    if (unreserved || keep.find(c) != std::string_view::npos) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0x0f]);
    }
  }
  return out;
}

}  // namespace bulwark::util
