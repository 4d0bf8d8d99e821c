// The registry transport: an image pulled through the OCI distribution API.
// Manifests and the config are small and read into memory (within
// Limits::max_document_bytes); layer blobs are downloaded into the cache,
// verified by size and sha256, and read from there. Every document from the
// registry is untrusted: digests are checked, sizes and counts are bounded.
#include "image/registry.hpp"
#include "util/json_depth.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>

#include "image/internal.hpp"
#include "image/transports.hpp"
#include "util/files.hpp"
#include "util/http.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"

namespace bulwark::image {

namespace {

using nlohmann::json;

constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";
constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
constexpr std::string_view kDockerList = "application/vnd.docker.distribution.manifest.list.v2+json";
constexpr std::string_view kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
constexpr std::string_view kOciConfig = "application/vnd.oci.image.config.v1+json";
constexpr std::string_view kDockerConfig = "application/vnd.docker.container.image.v1+json";
constexpr std::size_t kMaxLayers = 1024;        // Docker itself stops at 127
constexpr std::size_t kMaxIndexEntries = 4096;  // platforms and attestations in one index
constexpr std::uint64_t kMaxTokenBytes = 1 << 20;
constexpr std::uint64_t kMaxProbeBytes = 1 << 20;

// ---------------------------------------------------------------- small helpers

std::string base64_encode(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  return out;
}

std::optional<std::string> base64_decode(std::string_view in) {
  std::string clean;
  for (char c : in) {
    if (c != '\n' && c != '\r' && c != ' ') clean.push_back(c);
  }
  if (clean.size() % 4 != 0) return std::nullopt;
  std::string out(clean.size() / 4 * 3 + 1, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(clean.data()), static_cast<int>(clean.size()));
  if (n < 0) return std::nullopt;
  std::size_t len = static_cast<std::size_t>(n);
  // EVP_DecodeBlock counts the padding as zero bytes.
  for (auto it = clean.rbegin(); it != clean.rend() && *it == '='; ++it) --len;
  out.resize(len);
  return out;
}

Result<json> parse_document(std::string_view text, const core::Limits& limits, std::string_view what) {
  if (util::json_depth(text, limits.max_json_depth) > limits.max_json_depth) {
    return fail(ErrorCode::limit, fmt::format("JSON nested deeper than {} levels", limits.max_json_depth),
                std::string(what));
  }
  auto doc = json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return fail(ErrorCode::parse, "not a JSON object", std::string(what));
  return doc;
}

// org.opencontainers.image.base.name / .base.digest from a manifest's or index's annotations;
// a present value replaces what `info` holds.
void read_base_annotations(const json& doc, core::ImageInfo& info) {
  if (!doc.is_object()) return;
  const auto a = doc.find("annotations");
  if (a == doc.end() || !a->is_object()) return;
  for (auto [key, field] : {std::pair{"org.opencontainers.image.base.name", &info.base_name},
                            std::pair{"org.opencontainers.image.base.digest", &info.base_digest}}) {
    if (auto v = a->find(key);
        v != a->end() && v->is_string() && !v->get<std::string>().empty() && v->get<std::string>().size() <= 1024) {
      *field = v->get<std::string>();
    }
  }
}

std::string string_field(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string strip_media_params(std::string_view content_type) {
  return std::string(util::trim(content_type.substr(0, content_type.find(';'))));
}

// ---------------------------------------------------------------- a registry session

struct Descriptor {
  std::string media_type;
  std::string digest;
  std::uint64_t size = 0;
};

Result<Descriptor> parse_descriptor(const json& d, std::string_view what) {
  if (!d.is_object()) return fail(ErrorCode::parse, "a descriptor is not an object", std::string(what));
  Descriptor out;
  out.media_type = string_field(d, "mediaType");
  auto digest = util::parse_digest(string_field(d, "digest"));
  if (!digest) return fail(ErrorCode::parse, "descriptor with an invalid digest", std::string(what));
  out.digest = digest->str();
  auto size = d.find("size");
  if (size == d.end() || !size->is_number_unsigned()) {
    return fail(ErrorCode::parse, "descriptor without a valid size", std::string(what));
  }
  out.size = size->get<std::uint64_t>();
  return out;
}

struct Manifest {
  std::string body;
  std::string digest;  // sha256 of body
  std::string media_type;
  json doc;
};

class Session {
 public:
  Session(std::string api_host, std::string repository, std::optional<Credentials> creds, TlsVerify tls,
          core::Limits limits)
      : host_(std::move(api_host)),
        repository_(std::move(repository)),
        creds_(std::move(creds)),
        tls_(tls),
        limits_(limits) {}

  // GET /v2/ over https (and, when TLS checks are off, plain http if https fails)
  // and the authentication the registry asks for.
  Status probe() {
    std::vector<std::string> schemes = {"https"};
    if (tls_ == TlsVerify::no) schemes.push_back("http");
    std::optional<Error> last;
    for (const auto& scheme : schemes) {
      util::HttpOptions opts;
      opts.tls = tls_ == TlsVerify::yes ? util::TlsCheck::verify : util::TlsCheck::skip;
      opts.connect_timeout = std::chrono::seconds(30);
      http_ = std::make_unique<util::HttpClient>(opts);
      base_ = scheme + "://" + host_;
      auto res = http_->fetch({.url = base_ + "/v2/"}, kMaxProbeBytes);
      if (!res) {
        last = res.error();
        continue;
      }
      if (res->status == 200) return {};
      if (res->status == 401) return authenticate(*res);
      return std::unexpected(api_error(*res, "registry API probe"));
    }
    Error e = *last;
    if (tls_ == TlsVerify::yes) {
      e.message += " (a registry without TLS needs --tls-verify=false)";
    }
    return std::unexpected(e);
  }

  Result<util::HttpResponse> get(const std::string& path, const std::string& accept, std::uint64_t max_bytes,
                                 std::string_view what) {
    return send(path, accept, what, [&](const util::HttpRequest& req) { return http_->fetch(req, max_bytes); });
  }

  Result<util::HttpResponse> get_to(const std::string& path, const util::BodySink& sink, std::string_view what) {
    return send(path, "", what, [&](const util::HttpRequest& req) { return http_->fetch_to(req, sink); });
  }

  [[nodiscard]] const std::string& repository() const noexcept { return repository_; }
  [[nodiscard]] std::string where() const { return host_ + "/" + repository_; }

  // An error from a registry answer: {"errors":[{"code","message"}]} when it sent one.
  Error api_error(const util::HttpResponse& res, std::string_view what) const {
    std::string detail;
    auto doc = json::parse(res.body, nullptr, false);
    if (!doc.is_discarded() && doc.is_object() && doc.contains("errors") && doc["errors"].is_array() &&
        !doc["errors"].empty() && doc["errors"][0].is_object()) {
      const auto& e = doc["errors"][0];
      detail = string_field(e, "code");
      auto message = string_field(e, "message");
      if (!message.empty()) detail += (detail.empty() ? "" : ": ") + message;
    }
    ErrorCode code = ErrorCode::network;
    std::string text;
    switch (res.status) {
      case 404:
        code = ErrorCode::not_found;
        text = "not found";
        break;
      case 401:
      case 403:
        code = ErrorCode::auth;
        text = "access denied";
        break;
      case 429: text = "rate limited by the registry (429 Too Many Requests)"; break;
      default: text = fmt::format("the registry answered {}", res.status); break;
    }
    if (!detail.empty()) text += " (" + util::printable(detail.substr(0, 300)) + ")";
    return Error{code, text, fmt::format("{} {}", where(), what)};
  }

 private:
  template <class Perform>
  Result<util::HttpResponse> send(const std::string& path, const std::string& accept, std::string_view what,
                                  Perform perform) {
    for (int attempt = 0;; ++attempt) {
      util::HttpRequest req{.url = base_ + path};
      if (!accept.empty()) req.headers.emplace_back("Accept", accept);
      if (!authorization_.empty()) req.headers.emplace_back("Authorization", authorization_);
      auto res = perform(req);
      if (!res) return std::unexpected(res.error().within(fmt::format("{} {}", where(), what)));
      if (res->status != 401 || attempt > 0) return res;
      // A token for the probe's scope may not cover this request; ask once more.
      auto st = authenticate(*res);
      if (!st) return std::unexpected(st.error());
    }
  }

  Status authenticate(const util::HttpResponse& res) {
    auto challenges = parse_auth_challenges(res.headers.get_all("WWW-Authenticate"));
    const AuthChallenge* bearer = nullptr;
    const AuthChallenge* basic = nullptr;
    for (const auto& c : challenges) {
      if (c.scheme == "bearer" && bearer == nullptr) bearer = &c;
      if (c.scheme == "basic" && basic == nullptr) basic = &c;
    }
    if (bearer != nullptr) return bearer_token(*bearer);
    if (basic != nullptr) {
      if (!creds_) return std::unexpected(missing_credentials());
      std::string header = "Basic " + base64_encode(creds_->username + ":" + creds_->password);
      if (authorization_ == header) return std::unexpected(rejected_credentials());
      authorization_ = std::move(header);
      return {};
    }
    return fail(ErrorCode::auth, "the registry asks for an authentication scheme bulwark does not support", where());
  }

  Status bearer_token(const AuthChallenge& challenge) {
    auto realm_it = challenge.params.find("realm");
    if (realm_it == challenge.params.end() || realm_it->second.empty()) {
      return fail(ErrorCode::auth, "Bearer challenge without a realm", where());
    }
    const std::string& realm = realm_it->second;
    if (!realm.starts_with("https://") && !(realm.starts_with("http://") && tls_ == TlsVerify::no)) {
      return fail(ErrorCode::auth, "refusing a token realm that is not https: " + util::redact_url(realm), where());
    }
    std::string scope = "repository:" + repository_ + ":pull";
    if (auto s = challenge.params.find("scope"); s != challenge.params.end() && !s->second.empty()) scope = s->second;
    std::string url = realm + (realm.find('?') == std::string::npos ? "?" : "&");
    if (auto s = challenge.params.find("service"); s != challenge.params.end()) {
      url += "service=" + util::url_encode(s->second) + "&";
    }
    url += "scope=" + util::url_encode(scope, ":/");
    util::HttpRequest req{.url = url};
    if (creds_) {
      req.headers.emplace_back("Authorization", "Basic " + base64_encode(creds_->username + ":" + creds_->password));
    }
    const bool had_token = authorization_.starts_with("Bearer ");
    auto res = http_->fetch(req, kMaxTokenBytes);
    if (!res) return std::unexpected(res.error().within(where() + " token"));
    if (res->status == 401 || res->status == 403) {
      return std::unexpected(creds_ ? rejected_credentials() : missing_credentials());
    }
    if (res->status != 200) {
      return fail(ErrorCode::auth, fmt::format("the token service answered {}", res->status), util::redact_url(realm));
    }
    auto doc = json::parse(res->body, nullptr, false);
    std::string token;
    if (!doc.is_discarded() && doc.is_object()) {
      token = string_field(doc, "token");
      if (token.empty()) token = string_field(doc, "access_token");
    }
    if (token.empty()) return fail(ErrorCode::auth, "the token service sent no token", util::redact_url(realm));
    std::string header = "Bearer " + token;
    if (had_token && header == authorization_) {
      // The same token again after a 401: the registry will not let us in.
      return std::unexpected(creds_ ? rejected_credentials() : missing_credentials());
    }
    authorization_ = std::move(header);
    return {};
  }

  Error missing_credentials() const {
    return Error{ErrorCode::auth,
                 "the registry requires credentials (give --creds, BULWARK_USERNAME/BULWARK_PASSWORD, or docker login)",
                 where()};
  }
  Error rejected_credentials() const {
    return Error{ErrorCode::auth,
                 fmt::format("the registry rejected the {} or denied them access to {}", creds_->origin, repository_),
                 where()};
  }

  std::string host_;
  std::string repository_;
  std::optional<Credentials> creds_;
  TlsVerify tls_;
  core::Limits limits_;
  std::unique_ptr<util::HttpClient> http_;
  std::string base_;
  std::string authorization_;  // the Authorization header value in use; never shown
};

std::string accept_manifests() {
  return fmt::format("{}, {}, {}, {}", kOciIndex, kOciManifest, kDockerList, kDockerManifest);
}

Result<Manifest> fetch_manifest(Session& session, const std::string& reference, const std::string& expected_digest,
                                const core::Limits& limits) {
  auto what = fmt::format("manifest {}", reference);
  auto res = session.get("/v2/" + session.repository() + "/manifests/" + reference, accept_manifests(),
                         limits.max_document_bytes, what);
  if (!res) return std::unexpected(res.error());
  if (res->status != 200) return std::unexpected(session.api_error(*res, what));
  Manifest m;
  m.body = std::move(res->body);
  m.digest = "sha256:" + util::sha256_hex(m.body);
  auto context = fmt::format("{} {}", session.where(), what);
  if (!expected_digest.empty() && m.digest != expected_digest) {
    return fail(ErrorCode::digest_mismatch, fmt::format("the registry sent a manifest with digest {}", m.digest),
                context);
  }
  if (auto claimed = res->headers.get("Docker-Content-Digest")) {
    auto parsed = util::parse_digest(*claimed);
    if (parsed && parsed->str() != m.digest) {
      return fail(ErrorCode::digest_mismatch,
                  fmt::format("Docker-Content-Digest says {} but the manifest hashes to {}", parsed->str(), m.digest),
                  context);
    }
  }
  auto doc = parse_document(m.body, limits, context);
  if (!doc) return std::unexpected(doc.error());
  m.doc = std::move(*doc);
  m.media_type = string_field(m.doc, "mediaType");
  if (m.media_type.empty()) m.media_type = strip_media_params(res->headers.get("Content-Type").value_or(""));
  return m;
}

// ---------------------------------------------------------------- the source

// Not safe to use from several threads at once (one HTTP connection, one session).
class RegistrySource final : public ImageSource {
 public:
  RegistrySource(std::unique_ptr<Session> session, core::Context ctx, core::ImageInfo info, std::string config)
      : session_(std::move(session)), ctx_(std::move(ctx)), info_(std::move(info)), config_(std::move(config)) {}

  const core::ImageInfo& info() const override { return info_; }
  const std::string& config_json() const override { return config_; }

  Result<std::unique_ptr<util::ByteStream>> open_layer(std::size_t index) override {
    if (index >= info_.layers.size()) {
      return fail(ErrorCode::invalid_argument, fmt::format("no layer {}", index), info_.reference);
    }
    const core::Layer& layer = info_.layers[index];
    auto path = blob_path(layer.digest);
    if (std::filesystem::exists(path)) {
      if (verified(path, layer)) return util::open_file_stream(path);
      std::error_code ec;
      std::filesystem::remove(path, ec);  // damaged or foreign: fetch again
    }
    auto st = download(layer, path);
    if (!st) return std::unexpected(st.error());
    return util::open_file_stream(path);
  }

 private:
  std::filesystem::path blob_path(const std::string& digest) const {
    auto hex = digest.substr(digest.find(':') + 1);
    return ctx_.cache_dir / "blobs" / "sha256" / hex;
  }

  static bool verified(const std::filesystem::path& path, const core::Layer& layer) {
    std::error_code ec;
    auto size = std::filesystem::file_size(path, ec);
    if (ec || size != layer.size) return false;
    auto hex = util::sha256_file_hex(path);
    return hex && "sha256:" + *hex == layer.digest;
  }

  Status download(const core::Layer& layer, const std::filesystem::path& path) {
    auto context = fmt::format("{} blob {}", session_->where(), layer.digest);
    if (layer.size > ctx_.limits.max_total_bytes) {
      return fail(ErrorCode::limit,
                  fmt::format("layer of {} bytes is over the limit (--max-total-size MiB raises it)", layer.size),
                  context);
    }
    std::error_code ec;
    std::filesystem::create_directories(path.parent_path(), ec);
    if (ec) return fail(ErrorCode::io, ec.message(), path.parent_path().string());
    std::string tmpl = path.string() + ".partial-XXXXXX";
    int fd = ::mkstemp(tmpl.data());
    if (fd < 0) return fail(ErrorCode::io, std::strerror(errno), path.parent_path().string());
    std::filesystem::path tmp(tmpl);

    util::Sha256 hash;
    std::uint64_t received = 0;
    auto& progress = ctx_.progress_sink();
    progress.begin(fmt::format("pulling {}", layer.digest.substr(7, 12)), layer.size);
    auto sink = [&](std::string_view chunk) -> Status {
      const std::size_t chunk_size = chunk.size();
      received += chunk_size;
      if (received > layer.size) {
        return fail(ErrorCode::digest_mismatch,
                    fmt::format("the registry sends more than the {} bytes the manifest declares", layer.size),
                    context);
      }
      hash.update(chunk);
      while (!chunk.empty()) {
        ssize_t n = ::write(fd, chunk.data(), chunk.size());
        if (n < 0) {
          if (errno == EINTR) continue;
          return fail(ErrorCode::io, std::strerror(errno), tmp.string());
        }
        chunk.remove_prefix(static_cast<std::size_t>(n));
      }
      progress.advance(chunk_size);
      return {};
    };
    auto res = session_->get_to("/v2/" + session_->repository() + "/blobs/" + layer.digest, sink,
                                fmt::format("blob {}", layer.digest));
    progress.end();
    Status status;
    if (!res) {
      status = std::unexpected(res.error());
    } else if (res->status != 200) {
      status = std::unexpected(session_->api_error(*res, fmt::format("blob {}", layer.digest)));
    } else if (received != layer.size) {
      status = fail(ErrorCode::digest_mismatch,
                    fmt::format("the registry sent {} bytes; the manifest declares {}", received, layer.size), context);
    } else if (auto got = "sha256:" + hash.hex_digest(); got != layer.digest) {
      status = fail(ErrorCode::digest_mismatch, fmt::format("the downloaded blob hashes to {}", got), context);
    }
    if (::close(fd) != 0 && status) status = fail(ErrorCode::io, std::strerror(errno), tmp.string());
    if (status) {
      std::filesystem::rename(tmp, path, ec);
      if (ec) status = fail(ErrorCode::io, ec.message(), path.string());
    }
    if (!status) std::filesystem::remove(tmp, ec);
    return status;
  }

  std::unique_ptr<Session> session_;
  core::Context ctx_;
  core::ImageInfo info_;
  std::string config_;
};

Result<std::string> fetch_config(Session& session, const Descriptor& config, const core::Limits& limits) {
  auto what = fmt::format("config {}", config.digest);
  if (config.size > limits.max_document_bytes) {
    return fail(ErrorCode::limit, fmt::format("config of {} bytes is over the document limit", config.size),
                fmt::format("{} {}", session.where(), what));
  }
  auto res = session.get("/v2/" + session.repository() + "/blobs/" + config.digest, "", config.size, what);
  if (!res) return std::unexpected(res.error());
  if (res->status != 200) return std::unexpected(session.api_error(*res, what));
  auto got = "sha256:" + util::sha256_hex(res->body);
  if (res->body.size() != config.size || got != config.digest) {
    return fail(ErrorCode::digest_mismatch,
                fmt::format("the registry sent {} bytes hashing to {}", res->body.size(), got),
                fmt::format("{} {}", session.where(), what));
  }
  return std::move(res->body);
}

std::string display_reference(const Reference& ref, const std::string& host) {
  if (!ref.original.empty()) return ref.original;
  std::string s = "docker://" + host + "/" + ref.repository;
  if (!ref.tag.empty()) s += ":" + ref.tag;
  if (!ref.digest.empty()) s += "@" + ref.digest;
  return s;
}

}  // namespace

// ---------------------------------------------------------------- public helpers

std::string registry_api_host(std::string_view registry) {
  if (registry.empty() || registry == "docker.io" || registry == "index.docker.io") return "registry-1.docker.io";
  return std::string(registry);
}

std::filesystem::path docker_config_path() {
  if (const char* dir = std::getenv("DOCKER_CONFIG"); dir != nullptr && *dir != '\0') {
    return std::filesystem::path(dir) / "config.json";
  }
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home != nullptr ? home : "/") / ".docker" / "config.json";
}

namespace {

// "https://index.docker.io/v1/" -> "index.docker.io"; "registry-1.docker.io" -> "index.docker.io".
std::string auth_key_host(std::string_view key) {
  if (auto p = key.find("://"); p != std::string_view::npos) key.remove_prefix(p + 3);
  key = key.substr(0, key.find('/'));
  std::string host = util::to_lower(key);
  if (host == "docker.io" || host == "registry-1.docker.io") host = "index.docker.io";
  return host;
}

}  // namespace

Result<std::optional<Credentials>> read_docker_config_credentials(const std::filesystem::path& config,
                                                                  std::string_view registry) {
  std::error_code ec;
  if (!std::filesystem::exists(config, ec)) return std::optional<Credentials>{};
  auto text = util::read_file(config, 16 << 20);
  if (!text) return std::unexpected(text.error());
  auto doc = json::parse(*text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return fail(ErrorCode::parse, "not a valid Docker config (JSON)", config.string());
  }
  auto auths = doc.find("auths");
  if (auths == doc.end() || !auths->is_object()) return std::optional<Credentials>{};
  const std::string want = auth_key_host(registry);
  for (const auto& [key, entry] : auths->items()) {
    if (auth_key_host(key) != want || !entry.is_object()) continue;
    auto encoded = string_field(entry, "auth");
    if (!encoded.empty()) {
      auto decoded = base64_decode(encoded);
      auto colon = decoded ? decoded->find(':') : std::string::npos;
      if (!decoded || colon == std::string::npos) {
        // Never echo the value: it is the password.
        return fail(ErrorCode::parse, fmt::format("auths[\"{}\"].auth is not base64 of user:password", key),
                    config.string());
      }
      return std::optional<Credentials>(
          Credentials{decoded->substr(0, colon), decoded->substr(colon + 1), "credentials from " + config.string()});
    }
    auto user = string_field(entry, "username");
    if (!user.empty()) {
      return std::optional<Credentials>(
          Credentials{user, string_field(entry, "password"), "credentials from " + config.string()});
    }
  }
  return std::optional<Credentials>{};
}

Result<std::optional<Credentials>> resolve_credentials(std::string_view registry, const SourceOptions& options) {
  if (options.username && !options.username->empty()) {
    return std::optional<Credentials>(Credentials{*options.username, options.password.value_or(""),
                                                  "given credentials (--creds or BULWARK_USERNAME)"});
  }
  return read_docker_config_credentials(docker_config_path(), registry);
}

std::vector<AuthChallenge> parse_auth_challenges(const std::vector<std::string>& headers) {
  std::vector<AuthChallenge> out;
  for (const auto& header : headers) {
    std::string_view s = header;
    std::size_t i = 0;
    auto skip_ws = [&] {
      while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == ',')) ++i;
    };
    auto token = [&] {
      std::size_t start = i;
      while (i < s.size() && s[i] != ' ' && s[i] != '\t' && s[i] != '=' && s[i] != ',') ++i;
      return std::string(s.substr(start, i - start));
    };
    while (true) {
      skip_ws();
      if (i >= s.size()) break;
      AuthChallenge c;
      c.scheme = util::to_lower(token());
      // auth-params until the next scheme (a token not followed by '=').
      while (true) {
        skip_ws();
        std::size_t mark = i;
        std::string name = token();
        while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
        if (name.empty() || i >= s.size() || s[i] != '=') {
          i = mark;
          break;
        }
        ++i;  // '='
        while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
        std::string value;
        if (i < s.size() && s[i] == '"') {
          ++i;
          while (i < s.size() && s[i] != '"') {
            if (s[i] == '\\' && i + 1 < s.size()) ++i;
            value.push_back(s[i++]);
          }
          if (i < s.size()) ++i;
        } else {
          while (i < s.size() && s[i] != ',') value.push_back(s[i++]);
          value = std::string(util::trim(value));
        }
        c.params[util::to_lower(name)] = value;
      }
      out.push_back(std::move(c));
      if (i < s.size() && out.back().scheme.empty()) break;  // no progress: malformed
    }
  }
  return out;
}

// ---------------------------------------------------------------- open_registry

Result<std::unique_ptr<ImageSource>> open_registry(const Reference& ref, const SourceOptions& options,
                                                   const core::Context& ctx) {
  const std::string host = registry_api_host(ref.registry);
  const std::string shown = display_reference(ref, host);
  if (ref.repository.empty()) return fail(ErrorCode::invalid_argument, "no repository in the reference", shown);
  if (!ref.digest.empty() && !util::parse_digest(ref.digest)) {
    return fail(ErrorCode::invalid_argument, "the reference's digest is not a valid sha256 digest", shown);
  }
  auto creds = resolve_credentials(ref.registry.empty() ? host : ref.registry, options);
  if (!creds) return std::unexpected(creds.error());
  auto platform = detail::parse_platform(options.platform.empty() ? host_platform() : options.platform);
  if (!platform) return std::unexpected(platform.error());

  core::Context context = ctx;
  if (context.cache_dir.empty()) context.cache_dir = util::default_cache_dir();
  const core::Limits& limits = context.limits;
  auto& progress = context.progress_sink();

  auto session = std::make_unique<Session>(host, ref.repository, std::move(*creds), options.tls_verify, limits);
  progress.note(fmt::format("contacting {}", host));
  if (auto st = session->probe(); !st) return std::unexpected(st.error());

  progress.note(fmt::format("pulling manifest of {}", shown));
  const std::string top_ref = !ref.digest.empty() ? ref.digest : (ref.tag.empty() ? "latest" : ref.tag);
  auto top = fetch_manifest(*session, top_ref, ref.digest, limits);
  if (!top) return std::unexpected(top.error());

  Manifest manifest = std::move(*top);
  const std::string top_digest = manifest.digest;
  core::ImageInfo base;  // base-image annotations: the index's, then the manifest's own (which win)
  read_base_annotations(manifest.doc, base);
  if (manifest.media_type == kOciIndex || manifest.media_type == kDockerList) {
    const auto& entries = manifest.doc["manifests"];
    if (!entries.is_array()) return fail(ErrorCode::parse, "an index without manifests", shown);
    if (entries.size() > kMaxIndexEntries) {
      return fail(ErrorCode::limit, fmt::format("an index with {} entries", entries.size()), shown);
    }
    std::optional<Descriptor> chosen;
    std::vector<std::string> offered;
    for (const auto& entry : entries) {
      auto d = parse_descriptor(entry, shown);
      if (!d) return std::unexpected(d.error());
      if (!entry.contains("platform") || !entry["platform"].is_object()) continue;
      const auto& p = entry["platform"];
      detail::Platform have{string_field(p, "os"), string_field(p, "architecture"), string_field(p, "variant")};
      if (have.os == "unknown") continue;  // attestation manifests, not images
      offered.push_back(have.str());
      if (!chosen && detail::platform_matches(*platform, have)) chosen = std::move(*d);
    }
    if (!chosen) {
      return fail(ErrorCode::not_found,
                  fmt::format("no image for platform {} (the index offers: {})", platform->str(),
                              offered.empty() ? std::string("none") : util::join(offered, ", ")),
                  shown);
    }
    if (chosen->size > limits.max_document_bytes) {
      return fail(ErrorCode::limit, "the platform's manifest is over the document limit", shown);
    }
    auto child = fetch_manifest(*session, chosen->digest, chosen->digest, limits);
    if (!child) return std::unexpected(child.error());
    if (child->body.size() != chosen->size) {
      return fail(ErrorCode::digest_mismatch, "the platform's manifest size differs from its descriptor", shown);
    }
    manifest = std::move(*child);
  }
  if (manifest.media_type != kOciManifest && manifest.media_type != kDockerManifest) {
    if (manifest.media_type == kOciIndex || manifest.media_type == kDockerList) {
      return fail(ErrorCode::unsupported, "an index that points to another index", shown);
    }
    return fail(ErrorCode::unsupported,
                fmt::format("manifest type '{}' (schema 1 and other types are not supported)",
                            util::printable(manifest.media_type)),
                shown);
  }

  auto config_desc = parse_descriptor(manifest.doc.value("config", json()), shown);
  if (!config_desc) return std::unexpected(config_desc.error());
  // Registries also hold artifacts (signatures, SBOMs, charts) in image manifests;
  // their config type says they are not container images.
  if (!config_desc->media_type.empty() && config_desc->media_type != kOciConfig &&
      config_desc->media_type != kDockerConfig) {
    return fail(ErrorCode::unsupported,
                fmt::format("not a container image (config type '{}')", util::printable(config_desc->media_type)),
                shown);
  }
  const auto& layer_docs = manifest.doc["layers"];
  if (!layer_docs.is_array()) return fail(ErrorCode::parse, "a manifest without layers", shown);
  if (layer_docs.size() > kMaxLayers) {
    return fail(ErrorCode::limit, fmt::format("a manifest with {} layers", layer_docs.size()), shown);
  }

  progress.note(fmt::format("pulling config of {}", shown));
  auto config = fetch_config(*session, *config_desc, limits);
  if (!config) return std::unexpected(config.error());
  auto config_doc = parse_document(*config, limits, shown + " config");
  if (!config_doc) return std::unexpected(config_doc.error());

  core::ImageInfo info;
  info.reference = shown;
  // manifest_digest is the image manifest the layers belong to (for a
  // multi-platform image, the chosen platform's); repo_digests carries the
  // digest the reference resolved to, which is what `pull NAME@DIGEST` takes.
  info.manifest_digest = manifest.digest;
  info.config_digest = config_desc->digest;
  info.os = string_field(*config_doc, "os");
  info.architecture = string_field(*config_doc, "architecture");
  info.base_name = std::move(base.base_name);
  info.base_digest = std::move(base.base_digest);
  read_base_annotations(manifest.doc, info);
  const std::string name = host + "/" + ref.repository;
  if (!ref.tag.empty()) info.repo_tags.push_back(name + ":" + ref.tag);
  info.repo_digests.push_back(name + "@" + top_digest);

  std::vector<std::string> diff_ids;
  if (auto rootfs = config_doc->find("rootfs"); rootfs != config_doc->end() && rootfs->is_object()) {
    if (auto ids = rootfs->find("diff_ids"); ids != rootfs->end() && ids->is_array()) {
      for (const auto& id : *ids) {
        auto d = util::parse_digest(id.is_string() ? id.get<std::string>() : std::string());
        if (!d) return fail(ErrorCode::parse, "config rootfs.diff_ids holds an invalid digest", shown);
        diff_ids.push_back(d->str());
      }
    }
  }
  if (diff_ids.size() != layer_docs.size()) {
    return fail(ErrorCode::parse,
                fmt::format("the config lists {} diff_ids for {} layers", diff_ids.size(), layer_docs.size()), shown);
  }
  std::vector<std::string> created_by;
  if (auto history = config_doc->find("history"); history != config_doc->end() && history->is_array()) {
    for (const auto& h : *history) {
      if (!h.is_object()) continue;
      if (h.value("empty_layer", false)) continue;
      created_by.push_back(string_field(h, "created_by"));
    }
  }
  for (std::size_t i = 0; i < layer_docs.size(); ++i) {
    auto d = parse_descriptor(layer_docs[i], shown);
    if (!d) return std::unexpected(d.error());
    core::Layer layer;
    layer.digest = d->digest;
    layer.diff_id = diff_ids[i];
    layer.media_type = d->media_type;
    layer.size = d->size;
    // History entries line up with layers only when their counts agree.
    if (created_by.size() == layer_docs.size()) layer.created_by = created_by[i];
    info.layers.push_back(std::move(layer));
  }
  progress.end();
  return std::unique_ptr<ImageSource>(
      std::make_unique<RegistrySource>(std::move(session), std::move(context), std::move(info), std::move(*config)));
}

}  // namespace bulwark::image
