// cosign simple-signing verification (OpenSSL 3 for the signature) and discovery of
// signatures in an OCI layout by cosign's tag scheme.
#include "trust/cosign.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>

#include <fmt/format.h>

#include "image/registry.hpp"
#include "util/files.hpp"
#include "util/http.hpp"
#include "util/json_depth.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"

namespace bulwark::trust {

namespace {

using json = nlohmann::json;

constexpr std::size_t kMaxPayload = 1 << 20;
constexpr std::size_t kMaxManifest = 4 << 20;
constexpr std::size_t kMaxLayers = 64;

// A member of an object; null when `j` is not an object or has no such member. (json::value()
// throws on a non-object and on a member of another type, and signature artifacts are
// untrusted documents.)
const json& member(const json& j, const char* key) {
  static const json null_value;
  if (!j.is_object()) return null_value;
  auto it = j.find(key);
  return it == j.end() ? null_value : *it;
}

// A string member; "" when absent or not a string.
std::string string_member(const json& j, const char* key) {
  const json& v = member(j, key);
  return v.is_string() ? v.get<std::string>() : std::string();
}

Result<std::string> decode_b64(std::string_view in, std::size_t max = 64 << 10) {
  if (in.empty() || in.size() % 4 != 0 || in.size() > max) return fail(ErrorCode::parse, "signature is not base64");
  std::string out(in.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  if (n < 0) return fail(ErrorCode::parse, "signature is not base64");
  std::size_t pad = (in.back() == '=') + (in.size() > 1 && in[in.size() - 2] == '=');
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

bool verify(std::string_view pem, std::string_view msg, std::string_view sig) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr),
                                                          EVP_PKEY_free);
  if (!key) return false;
  const EVP_MD* md = EVP_sha256();
  if (EVP_PKEY_is_a(key.get(), "ED25519")) md = nullptr;
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, key.get()) != 1) return false;
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                          reinterpret_cast<const unsigned char*>(msg.data()), msg.size()) == 1;
}

std::string strip_tag_or_digest(std::string ref) {
  if (auto at = ref.find('@'); at != std::string::npos) ref.resize(at);
  auto slash = ref.rfind('/');
  auto colon = ref.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) ref.resize(colon);
  return ref;
}

Result<json> read_json(const std::filesystem::path& p, std::size_t max) {
  auto text = util::read_file(p, max);
  if (!text) return std::unexpected(text.error());
  if (util::json_depth(*text, 33) > 32) return fail(ErrorCode::limit, "JSON nested too deeply", p.string());
  json j = json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail(ErrorCode::parse, "not a JSON object", p.string());
  return j;
}

Result<std::filesystem::path> blob_path(const std::string& dir, const std::string& digest) {
  if (!digest.starts_with("sha256:") || digest.size() != 71 ||
      digest.find_first_not_of("0123456789abcdef", 7) != std::string::npos) {
    return fail(ErrorCode::hostile, "bad blob digest " + digest);
  }
  return std::filesystem::path(dir) / "blobs" / "sha256" / digest.substr(7);
}

Result<std::string> read_blob(const std::string& dir, const std::string& digest, std::size_t max) {
  auto p = blob_path(dir, digest);
  if (!p) return std::unexpected(p.error());
  auto data = util::read_file(*p, max);
  if (!data) return std::unexpected(data.error());
  if ("sha256:" + util::sha256_hex(*data) != digest)
    return fail(ErrorCode::digest_mismatch, "blob digest mismatch", digest);
  return data;
}

std::string encode_b64(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

Result<std::string> sign(std::string_view pem, std::string_view msg) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr),
                                                          EVP_PKEY_free);
  if (!key) return fail(ErrorCode::parse, "unreadable PEM private key (encrypted cosign keys are not supported yet)");
  const EVP_MD* md = EVP_PKEY_is_a(key.get(), "ED25519") ? nullptr : EVP_sha256();
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  std::size_t len = 0;
  if (EVP_DigestSignInit(ctx.get(), nullptr, md, nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(msg.data()), msg.size()) != 1) {
    return fail(ErrorCode::internal, "signing failed");
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(msg.data()), msg.size()) != 1) {
    return fail(ErrorCode::internal, "signing failed");
  }
  sig.resize(len);
  return sig;
}

// index.json without the descriptors tagged `tag`, plus `desc` tagged `tag`.
void retag(json& manifests, const std::string& tag, json desc) {
  json kept = json::array();
  for (const auto& m : manifests) {
    if (string_member(member(m, "annotations"), "org.opencontainers.image.ref.name") != tag) kept.push_back(m);
  }
  desc["annotations"] = {{"org.opencontainers.image.ref.name", tag}};
  kept.push_back(std::move(desc));
  manifests = std::move(kept);
}

Status write_blob(const std::string& dir, const std::string& data, std::string& digest_out) {
  digest_out = "sha256:" + util::sha256_hex(data);
  auto p = blob_path(dir, digest_out);
  if (!p) return std::unexpected(p.error());
  return util::write_file_atomic(*p, data);
}

}  // namespace

Result<SimpleSigning> verify_simple_signing(std::string_view payload, std::string_view signature_b64,
                                            std::string_view public_key_pem, std::string_view manifest_digest,
                                            std::string_view repository) {
  if (payload.size() > kMaxPayload) return fail(ErrorCode::limit, "simple-signing payload too large");
  auto sig = decode_b64(signature_b64);
  if (!sig) return std::unexpected(sig.error());
  if (!verify(public_key_pem, payload, *sig)) return fail(ErrorCode::auth, "signature does not verify with the key");
  if (util::json_depth(payload, 17) > 16) return fail(ErrorCode::limit, "payload nested too deeply");
  json j = json::parse(payload, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail(ErrorCode::parse, "simple-signing payload is not JSON");
  SimpleSigning s;
  try {
    const json& c = j.at("critical");
    s.type = c.value("type", "");
    s.docker_reference = c.at("identity").value("docker-reference", "");
    s.manifest_digest = c.at("image").value("docker-manifest-digest", "");
  } catch (const json::exception&) {
    return fail(ErrorCode::parse, "simple-signing payload lacks critical.identity/image");
  }
  if (s.type != "cosign container image signature") return fail(ErrorCode::auth, "payload type is " + s.type);
  if (s.manifest_digest != manifest_digest) {
    return fail(ErrorCode::digest_mismatch,
                "signature is for " + s.manifest_digest + ", not " + std::string(manifest_digest));
  }
  if (!repository.empty() && strip_tag_or_digest(s.docker_reference) != strip_tag_or_digest(std::string(repository))) {
    return fail(ErrorCode::auth,
                "signature's docker-reference " + s.docker_reference + " is not " + std::string(repository));
  }
  return s;
}

namespace {

// Where signature artifacts are read from: an OCI layout or a registry.
class Store {
 public:
  virtual ~Store() = default;
  // The manifest named by a tag (or digest), its bytes checked against its digest.
  virtual Result<std::pair<std::string, std::string>> manifest(const std::string& tag) = 0;  // digest, body
  virtual Result<std::string> blob(const std::string& digest, std::size_t max) = 0;
  // The OCI 1.1 referrers of a manifest.
  virtual Result<Referrers> referrers(const std::string& digest) = 0;

  // Writing (bulwark sign / attest). A blob by its content; returns its digest.
  virtual Result<std::string> put_blob(const std::string& data) = 0;
  struct PutManifest {
    std::string digest;
    // The registry answered OCI-Subject: it indexes the manifest's subject itself (a
    // referrers API), so the referrers tag schema's index need not be written.
    bool subject_indexed = false;
  };
  // A manifest (or index) of `media_type`, tagged `tag` (empty: stored by digest only).
  virtual Result<PutManifest> put_manifest(const std::string& body, const std::string& media_type,
                                           const std::string& tag) = 0;
  // Where this store is, for messages.
  [[nodiscard]] virtual std::string where() const = 0;
};

constexpr const char* kOciIndex = "application/vnd.oci.image.index.v1+json";
constexpr const char* kOciManifest = "application/vnd.oci.image.manifest.v1+json";
constexpr const char* kSimpleSigning = "application/vnd.dev.cosign.simplesigning.v1+json";
constexpr std::size_t kMaxReferrers = 4096;

// A referrers list (an image index, from the API or the fallback tag) into descriptors.
Result<Referrers> parse_referrers(std::string_view body, std::string via) {
  if (util::json_depth(body, 33) > 32) return fail(ErrorCode::limit, "referrers index nested too deeply");
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail(ErrorCode::parse, "the referrers list is not a JSON object");
  if ((member(j, "mediaType").is_null() ? std::string(kOciIndex) : string_member(j, "mediaType")) != kOciIndex)
    return fail(ErrorCode::parse,
                "the referrers list is not an OCI image index (mediaType " + string_member(j, "mediaType") + ")");
  const json& ms = member(j, "manifests");
  if (!ms.is_null() && !ms.is_array()) return fail(ErrorCode::parse, "the referrers index's manifests is not a list");
  if (ms.size() > kMaxReferrers) return fail(ErrorCode::limit, fmt::format("more than {} referrers", kMaxReferrers));
  Referrers out;
  out.via = std::move(via);
  for (const auto& m : ms) {
    if (!m.is_object()) return fail(ErrorCode::parse, "a referrer descriptor is not an object");
    Referrer r;
    r.digest = string_member(m, "digest");
    r.media_type = string_member(m, "mediaType");
    r.artifact_type = string_member(m, "artifactType");
    if (!r.digest.starts_with("sha256:") || r.digest.size() != 71 ||
        r.digest.find_first_not_of("0123456789abcdef", 7) != std::string::npos) {
      return fail(ErrorCode::hostile, "a referrer descriptor has a bad digest");
    }
    if (const auto a = m.find("annotations"); a != m.end() && a->is_object()) {
      for (const auto& [k, v] : a->items()) {
        if (v.is_string()) r.annotations[k] = v.get<std::string>();
      }
    }
    out.items.push_back(std::move(r));
  }
  return out;
}

class LayoutStore final : public Store {
 public:
  explicit LayoutStore(std::string dir) : dir_(std::move(dir)) {}
  Result<std::pair<std::string, std::string>> manifest(const std::string& tag) override {
    auto index = read_json(std::filesystem::path(dir_) / "index.json", kMaxManifest);
    if (!index) return std::unexpected(index.error());
    const json& manifests = index->value("manifests", json::array());
    if (!manifests.is_array() || manifests.size() > 4096) return fail(ErrorCode::limit, "index.json: manifests");
    std::string digest;
    int images = 0;
    for (const auto& m : manifests) {
      if (!m.is_object()) return fail(ErrorCode::parse, "index.json: a manifest descriptor is not an object", dir_);
      json ann = member(m, "annotations");
      if (!ann.is_object()) ann = json::object();
      std::string name = string_member(ann, "org.opencontainers.image.ref.name");
      if (tag.empty() ? !(name.ends_with(".sig") || name.ends_with(".att") || name.starts_with("sha256-"))
                      : name == tag) {
        digest = string_member(m, "digest");
        descriptor_annotations = ann;
        ++images;
      }
    }
    if (tag.empty() && images > 1) return fail(ErrorCode::invalid_argument, "layout holds several images: name a tag");
    if (tag.starts_with("sha256:")) digest = tag;
    if (digest.empty()) return fail(ErrorCode::not_found, "no manifest tagged " + tag, dir_);
    auto body = read_blob(dir_, digest, kMaxManifest);
    if (!body) return std::unexpected(body.error());
    return std::pair{digest, *body};
  }
  Result<std::string> blob(const std::string& digest, std::size_t max) override { return read_blob(dir_, digest, max); }
  Result<Referrers> referrers(const std::string& digest) override {
    const std::string t = referrers_tag(digest);
    auto found = manifest(t);
    if (!found) {
      if (found.error().code == ErrorCode::not_found) return Referrers{};
      return std::unexpected(found.error());
    }
    return parse_referrers(found->second, "referrers tag " + t);
  }
  Result<std::string> put_blob(const std::string& data) override {
    std::string digest;
    if (auto st = write_blob(dir_, data, digest); !st) return std::unexpected(st.error());
    return digest;
  }
  Result<PutManifest> put_manifest(const std::string& body, const std::string& media_type,
                                   const std::string& tag) override {
    PutManifest out;
    if (auto st = write_blob(dir_, body, out.digest); !st) return std::unexpected(st.error());
    if (tag.empty()) return out;  // a layout lists only what index.json names: the blob is enough
    const auto index_path = std::filesystem::path(dir_) / "index.json";
    auto index = read_json(index_path, kMaxManifest);
    if (!index) return std::unexpected(index.error());
    json& manifests = (*index)["manifests"];
    if (!manifests.is_array() || manifests.size() > 4096)
      return fail(ErrorCode::parse, "index.json: manifests is not a list", dir_);
    retag(manifests, tag, {{"mediaType", media_type}, {"size", body.size()}, {"digest", out.digest}});
    if (auto st = util::write_file_atomic(index_path, index->dump()); !st) return std::unexpected(st.error());
    return out;
  }
  [[nodiscard]] std::string where() const override { return dir_; }
  json descriptor_annotations = json::object();  // of the last manifest() found

 private:
  std::string dir_;
};

class RegistryStore final : public Store {
 public:
  RegistryStore(const RegistryTarget& t) : t_(t), http_(options(t)) {}
  Result<std::pair<std::string, std::string>> manifest(const std::string& ref) override {
    auto r = get("/manifests/" + ref,
                 "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json, "
                 "application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json",
                 kMaxManifest);
    if (!r) return std::unexpected(r.error());
    std::string digest = "sha256:" + util::sha256_hex(*r);
    if (ref.starts_with("sha256:") && ref != digest)
      return fail(ErrorCode::digest_mismatch, "manifest digest mismatch", ref);
    return std::pair{digest, *r};
  }
  Result<std::string> blob(const std::string& digest, std::size_t max) override {
    if (!digest.starts_with("sha256:") || digest.size() != 71) return fail(ErrorCode::hostile, "bad blob digest");
    auto r = get("/blobs/" + digest, "*/*", max);
    if (!r) return std::unexpected(r.error());
    if ("sha256:" + util::sha256_hex(*r) != digest)
      return fail(ErrorCode::digest_mismatch, "blob digest mismatch", digest);
    return r;
  }
  // The referrers API first; a 404 means the registry has none (OCI distribution 1.1,
  // "Unavailable Referrers API"), and the client reads the fallback tag instead.
  Result<Referrers> referrers(const std::string& digest) override {
    auto api = get("/referrers/" + digest, kOciIndex, kMaxManifest);
    if (api) return parse_referrers(*api, "referrers API");
    if (api.error().code != ErrorCode::not_found) return std::unexpected(api.error());
    const std::string t = referrers_tag(digest);
    auto index = get("/manifests/" + t, kOciIndex, kMaxManifest);
    if (!index) {
      if (index.error().code == ErrorCode::not_found) return Referrers{};
      return std::unexpected(index.error());
    }
    return parse_referrers(*index, "referrers tag " + t);
  }

  Result<std::string> put_blob(const std::string& data) override {
    const std::string digest = "sha256:" + util::sha256_hex(data);
    // Already there (the empty config, a layer pushed before): nothing to upload.
    auto head = request(util::HttpMethod::head, url("/blobs/" + digest), {}, "", 0);
    if (!head) return std::unexpected(head.error());
    if (head->status == 200) return digest;
    // POST then PUT: the monolithic upload of the distribution spec.
    auto start = request(util::HttpMethod::post, url("/blobs/uploads/"), {}, "", 64 << 10);
    if (!start) return std::unexpected(start.error());
    if (start->status != 202) return std::unexpected(status_error(*start, "blob upload " + digest));
    auto location = start->headers.get("Location");
    if (!location || location->empty())
      return fail(ErrorCode::network, "the registry started an upload without a Location", where());
    auto upload = util::resolve_url(url("/blobs/uploads/"), *location);
    if (!upload) return std::unexpected(upload.error());
    std::string put_url =
        *upload + (upload->find('?') == std::string::npos ? "?" : "&") + "digest=" + util::url_encode(digest);
    auto done = request(util::HttpMethod::put, put_url, {{"Content-Type", "application/octet-stream"}}, data, 64 << 10);
    if (!done) return std::unexpected(done.error());
    if (done->status != 201 && done->status != 204)
      return std::unexpected(status_error(*done, "blob upload " + digest));
    return digest;
  }
  Result<PutManifest> put_manifest(const std::string& body, const std::string& media_type,
                                   const std::string& tag) override {
    PutManifest out;
    out.digest = "sha256:" + util::sha256_hex(body);
    const std::string ref = tag.empty() ? out.digest : tag;
    auto r = request(util::HttpMethod::put, url("/manifests/" + ref), {{"Content-Type", media_type}}, body, 64 << 10);
    if (!r) return std::unexpected(r.error());
    if (r->status != 201 && r->status != 200 && r->status != 204)
      return std::unexpected(status_error(*r, "manifest " + ref));
    if (auto d = r->headers.get("Docker-Content-Digest"); d && !d->empty() && *d != out.digest)
      return fail(ErrorCode::digest_mismatch, "the registry stored the manifest as " + util::printable(*d), where());
    out.subject_indexed = r->headers.get("OCI-Subject").has_value();
    return out;
  }
  [[nodiscard]] std::string where() const override { return t_.registry + "/" + t_.repository; }

 private:
  static util::HttpOptions options(const RegistryTarget& t) {
    util::HttpOptions o{.tls = t.tls_verify ? util::TlsCheck::verify : util::TlsCheck::skip};
    if (t.timeout.count() > 0) {
      o.connect_timeout = std::min(o.connect_timeout, t.timeout);
      o.total_timeout = t.timeout;
      o.stall_timeout = std::min(o.stall_timeout, t.timeout);
    }
    return o;
  }
  std::string url(const std::string& path) const {
    return std::string(t_.tls_verify ? "https://" : "http://") + image::registry_api_host(t_.registry) + "/v2/" +
           t_.repository + path;
  }
  // One request; the credentials go only to the registry's own origin (an upload Location
  // may name another host).
  Result<util::HttpResponse> request(util::HttpMethod method, const std::string& to,
                                     std::vector<std::pair<std::string, std::string>> headers, std::string body,
                                     std::size_t max) {
    util::HttpRequest req;
    req.method = method;
    req.url = to;
    req.body = std::move(body);
    auto mine = util::url_origin(url("/"));
    auto theirs = util::url_origin(to);
    const bool own_origin = mine && theirs && *mine == *theirs;
    for (int attempt = 0;; ++attempt) {
      req.headers = headers;
      if (own_origin && !bearer_.empty()) {
        req.headers.emplace_back("Authorization", "Bearer " + bearer_);
      } else if (own_origin && !t_.username.empty()) {
        req.headers.emplace_back("Authorization", "Basic " + encode_b64(t_.username + ":" + t_.password));
      }
      auto r = http_.fetch(req, max);
      if (!r) return std::unexpected(r.error());
      if (r->status == 401 && attempt == 0 && own_origin) {
        // A token service (Docker Hub, GHCR, Harbor): a token for this repository, with push
        // for writes, then the request once more.
        const bool write = method == util::HttpMethod::post || method == util::HttpMethod::put;
        auto st = bearer_token(*r, write);
        if (!st) return std::unexpected(st.error());
        if (*st) continue;
      }
      if (r->status == 401 || r->status == 403)
        return fail(ErrorCode::auth,
                    t_.username.empty() ? "the registry requires credentials (give --creds or BULWARK_USERNAME)"
                                        : "registry refused the credentials",
                    t_.registry);
      return r;
    }
  }
  // Reads a Bearer challenge and fetches a token from its realm (with the Basic credentials,
  // when given). false: the answer had no Bearer challenge (Basic registries).
  Result<bool> bearer_token(const util::HttpResponse& challenge_response, bool write) {
    const image::AuthChallenge* bearer = nullptr;
    const auto challenges = image::parse_auth_challenges(challenge_response.headers.get_all("WWW-Authenticate"));
    for (const auto& c : challenges) {
      if (c.scheme == "bearer") bearer = &c;
    }
    if (bearer == nullptr) return false;
    const auto realm = bearer->params.find("realm");
    if (realm == bearer->params.end() || realm->second.empty())
      return fail(ErrorCode::auth, "Bearer challenge without a realm", t_.registry);
    if (!realm->second.starts_with("https://") && !(realm->second.starts_with("http://") && !t_.tls_verify))
      return fail(ErrorCode::auth, "refusing a token realm that is not https: " + util::redact_url(realm->second),
                  t_.registry);
    std::string scope = "repository:" + t_.repository + (write ? ":pull,push" : ":pull");
    if (auto sc = bearer->params.find("scope"); sc != bearer->params.end() && !sc->second.empty()) scope = sc->second;
    std::string token_url = realm->second + (realm->second.find('?') == std::string::npos ? "?" : "&");
    if (auto sv = bearer->params.find("service"); sv != bearer->params.end())
      token_url += "service=" + util::url_encode(sv->second) + "&";
    token_url += "scope=" + util::url_encode(scope, ":/,");
    util::HttpRequest req{.url = token_url};
    if (!t_.username.empty())
      req.headers.emplace_back("Authorization", "Basic " + encode_b64(t_.username + ":" + t_.password));
    auto r = http_.fetch(req, 1 << 20);
    if (!r) return std::unexpected(r.error());
    if (r->status == 401 || r->status == 403)
      return fail(ErrorCode::auth, "the token service refused the credentials", util::redact_url(realm->second));
    if (r->status != 200)
      return fail(ErrorCode::auth, fmt::format("the token service answered {}", r->status),
                  util::redact_url(realm->second));
    const json doc = json::parse(r->body, nullptr, false);
    std::string token = string_member(doc, "token");
    if (token.empty()) token = string_member(doc, "access_token");
    if (token.empty()) return fail(ErrorCode::auth, "the token service sent no token", util::redact_url(realm->second));
    if (token == bearer_) return false;  // the same token again: refused, not retried
    bearer_ = std::move(token);
    return true;
  }
  Error status_error(const util::HttpResponse& r, const std::string& what) const {
    std::string detail;
    json j = json::parse(r.body, nullptr, false);
    const json& errors = member(j, "errors");
    if (errors.is_array() && !errors.empty()) {
      detail = string_member(errors[0], "code");
      const std::string m = string_member(errors[0], "message");
      if (!m.empty()) detail += (detail.empty() ? "" : ": ") + m;
    }
    return Error{r.status == 404 ? ErrorCode::not_found : ErrorCode::network,
                 fmt::format("the registry answered {}{}", r.status,
                             detail.empty() ? "" : " (" + util::printable(detail.substr(0, 300)) + ")"),
                 where() + " " + what};
  }
  Result<std::string> get(const std::string& path, const std::string& accept, std::size_t max) {
    const std::string to = url(path);
    auto r = request(util::HttpMethod::get, to, {{"Accept", accept}}, "", max);
    if (!r) return std::unexpected(r.error());
    if (r->status == 404) return fail(ErrorCode::not_found, "not found", util::redact_url(to));
    if (r->status / 100 != 2) return fail(ErrorCode::network, fmt::format("HTTP {}", r->status), util::redact_url(to));
    return r->body;
  }
  RegistryTarget t_;
  util::HttpClient http_;
  std::string bearer_;  // a registry token in use; never shown
};

// The simple-signing layers of one signature manifest, verified; `where` names it in reports.
Status check_signature_manifest(Store& store, const std::string& body, const std::string& where,
                                std::string_view public_key_pem, std::string_view repository, ImageSignatureVerdict& v,
                                std::string& last_error, std::map<std::string, bool>& seen) {
  json sm = json::parse(body, nullptr, false);
  if (sm.is_discarded() || !sm.is_object()) return fail(ErrorCode::parse, "signature manifest is not JSON", where);
  const json& layers = member(sm, "layers");
  if (!layers.is_null() && !layers.is_array())
    return fail(ErrorCode::parse, "signature manifest: layers is not a list", where);
  if (layers.size() > kMaxLayers) return fail(ErrorCode::limit, "too many signature layers");
  bool any = false;
  for (const auto& l : layers) {
    if (!l.is_object() || string_member(l, "mediaType") != kSimpleSigning) continue;
    json ann = member(l, "annotations");
    std::string sig = ann.is_object() ? string_member(ann, "dev.cosignproject.cosign/signature") : "";
    // The same signature under the tag and as a referrer (bulwark sign writes both) is one signature.
    const std::string key = string_member(l, "digest") + " " + sig;
    if (auto it = seen.find(key); it != seen.end()) {
      any = any || it->second;
      continue;
    }
    seen[key] = false;
    ++v.signatures_checked;
    auto payload = store.blob(string_member(l, "digest"), kMaxPayload);
    if (!payload) return std::unexpected(payload.error().within(where));
    auto s = verify_simple_signing(*payload, sig, public_key_pem, v.manifest_digest, repository);
    if (!s) {
      last_error = s.error().message + " (" + where + ")";
      continue;
    }
    ++v.signatures_verified;
    v.verified.push_back(*s);
    seen[key] = true;
    any = true;
  }
  if (any) v.found_in.push_back(where);
  return {};
}

Result<ImageSignatureVerdict> verify_in(Store& store, const std::string& tag, std::string_view public_key_pem,
                                        std::string_view repository) {
  ImageSignatureVerdict v;
  auto image = store.manifest(tag);
  if (!image) return std::unexpected(image.error());
  v.manifest_digest = image->first;
  v.signature_tag = "sha256-" + v.manifest_digest.substr(7) + ".sig";
  std::string last_error;
  std::map<std::string, bool> seen;  // simple-signing layer digest + signature: verified
  std::size_t manifests = 0;
  // cosign's tag scheme.
  auto sigm = store.manifest(v.signature_tag);
  if (sigm) {
    ++manifests;
    if (auto st = check_signature_manifest(store, sigm->second, "tag " + v.signature_tag, public_key_pem, repository, v,
                                           last_error, seen);
        !st) {
      return std::unexpected(st.error());
    }
  } else if (sigm.error().code != ErrorCode::not_found) {
    return std::unexpected(sigm.error());
  }
  // OCI 1.1 referrers: cosign signature artifacts whose subject is this manifest.
  auto refs = store.referrers(v.manifest_digest);
  if (!refs) return std::unexpected(refs.error().within("referrers of " + v.manifest_digest));
  std::size_t untyped = 0;
  for (const auto& r : refs->items) {
    // A descriptor without artifactType (tools that rewrite the index, such as skopeo 1.9,
    // drop it) is judged by the manifest's own artifactType.
    if (!r.artifact_type.empty() && r.artifact_type != kCosignSignatureArtifact) continue;
    if (r.artifact_type.empty() && ++untyped > kMaxLayers) continue;
    const std::string where = fmt::format("referrer {} ({})", r.digest, refs->via);
    auto m = store.manifest(r.digest);
    if (!m) return std::unexpected(m.error().within(where));
    json mj = json::parse(m->second, nullptr, false);
    if (!mj.is_object() || string_member(mj, "artifactType") != kCosignSignatureArtifact) continue;
    const json subject = mj.is_object() ? member(mj, "subject") : json::object();
    if (!subject.is_object() || string_member(subject, "digest") != v.manifest_digest) {
      last_error = "the referrer's subject is not this image (" + where + ")";
      continue;
    }
    ++manifests;
    if (auto st = check_signature_manifest(store, m->second, where, public_key_pem, repository, v, last_error, seen);
        !st) {
      return std::unexpected(st.error());
    }
  }
  if (manifests == 0 && !last_error.empty()) return fail(ErrorCode::auth, "image is not signed: " + last_error);
  if (manifests == 0) {
    return fail(ErrorCode::auth,
                fmt::format("image is not signed (no {} and no cosign signature referrer{})", v.signature_tag,
                            refs->via.empty() ? ": no referrers API and no tag " + referrers_tag(v.manifest_digest)
                                              : " via the " + refs->via));
  }
  if (v.signatures_verified == 0) return fail(ErrorCode::auth, last_error.empty() ? "no signature layer" : last_error);
  return v;
}

// Runs f on the layout's or the registry's store; its errors name the layout or the repository.
template <class F>
auto in_layout(const std::string& dir, F&& f) -> decltype(f(std::declval<Store&>())) {
  LayoutStore store(dir);
  auto r = f(store);
  if (!r) return std::unexpected(r.error().within(dir));
  return r;
}

template <class F>
auto in_registry(const RegistryTarget& target, F&& f) -> decltype(f(std::declval<Store&>())) {
  try {
    RegistryStore store(target);
    auto r = f(store);
    if (!r) return std::unexpected(r.error().within(target.registry + "/" + target.repository));
    return r;
  } catch (const std::exception& e) {
    return fail(ErrorCode::internal, e.what());
  }
}

// The reference a registry target names: its digest when given, else its tag.
std::string registry_ref(const RegistryTarget& t) {
  return t.digest.empty() ? t.tag : t.digest;
}

}  // namespace

std::string referrers_tag(std::string_view digest) {
  std::string t(digest);
  if (auto c = t.find(':'); c != std::string::npos) t[c] = '-';
  if (t.size() > 128) t.resize(128);  // a tag is at most 128 characters
  return t;
}

Result<Referrers> oci_layout_referrers(const std::string& dir, const std::string& digest) {
  return in_layout(dir, [&](Store& s) { return s.referrers(digest); });
}

Result<Referrers> registry_referrers(const RegistryTarget& target, const std::string& digest) {
  return in_registry(target, [&](Store& s) { return s.referrers(digest); });
}

Result<ImageSignatureVerdict> verify_oci_layout_image(const std::string& dir, const std::string& tag,
                                                      std::string_view public_key_pem, std::string_view repository) {
  return in_layout(dir, [&](Store& s) { return verify_in(s, tag, public_key_pem, repository); });
}

Result<ImageSignatureVerdict> verify_registry_image(const RegistryTarget& target, std::string_view public_key_pem,
                                                    std::string_view repository) {
  return in_registry(target, [&](Store& s) { return verify_in(s, registry_ref(target), public_key_pem, repository); });
}

namespace {

Result<ManifestFacts> facts_of(std::pair<std::string, std::string> m, const json& descriptor_annotations) {
  ManifestFacts f;
  f.digest = std::move(m.first);
  f.body = std::move(m.second);
  if (util::json_depth(f.body, 33) > 32) return fail(ErrorCode::limit, "manifest nested too deeply");
  json j = json::parse(f.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail(ErrorCode::parse, "manifest is not a JSON object");
  const json own = member(j, "annotations");
  for (const json* a : {&descriptor_annotations, &own}) {
    if (!a->is_object()) continue;
    for (const auto& [k, v] : a->items()) {
      if (v.is_string()) f.annotations[k] = v.get<std::string>();
    }
  }
  return f;
}

}  // namespace

Result<ManifestFacts> read_oci_layout_manifest(const std::string& dir, const std::string& tag) {
  LayoutStore store(dir);
  auto m = store.manifest(tag);
  if (!m) return std::unexpected(m.error().within(dir));
  auto f = facts_of(std::move(*m), store.descriptor_annotations);
  if (!f) return std::unexpected(f.error().within(dir));
  return f;
}

Result<ManifestFacts> read_registry_manifest(const RegistryTarget& target) {
  try {
    RegistryStore store(target);
    auto m = store.manifest(target.digest.empty() ? target.tag : target.digest);
    if (!m) return std::unexpected(m.error().within(target.registry + "/" + target.repository));
    return facts_of(std::move(*m), json::object());
  } catch (const std::exception& e) {
    return fail(ErrorCode::internal, e.what());
  }
}

Result<std::string> read_oci_layout_blob(const std::string& dir, const std::string& digest, std::size_t max) {
  auto b = read_blob(dir, digest, max);
  if (!b) return std::unexpected(b.error().within(dir));
  return b;
}

Result<std::string> read_registry_blob(const RegistryTarget& target, const std::string& digest, std::size_t max) {
  try {
    RegistryStore store(target);
    auto b = store.blob(digest, max);
    if (!b) return std::unexpected(b.error().within(target.registry + "/" + target.repository));
    return b;
  } catch (const std::exception& e) {
    return fail(ErrorCode::internal, e.what());
  }
}

// ---- DSSE attestations ---------------------------------------------------------------------

namespace {

constexpr std::size_t kMaxEnvelope = 16 << 20;
constexpr std::size_t kMaxAttestations = 64;

std::string dsse_pae(std::string_view type, std::string_view payload) {
  return fmt::format("DSSEv1 {} {} {} ", type.size(), type, payload.size()) + std::string(payload);
}

struct Envelope {
  std::string payload_type, payload;
  std::vector<std::string> signatures;  // base64, as written
};

Result<Envelope> parse_envelope(std::string_view text) {
  if (text.size() > kMaxEnvelope) return fail(ErrorCode::limit, "DSSE envelope larger than 16 MiB");
  if (util::json_depth(text, 17) > 16) return fail(ErrorCode::limit, "DSSE envelope nested too deeply");
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail(ErrorCode::parse, "the DSSE envelope is not a JSON object");
  Envelope e;
  e.payload_type = string_member(j, "payloadType");
  auto payload = decode_b64(string_member(j, "payload"), kMaxEnvelope);
  if (!payload) return fail(ErrorCode::parse, "the DSSE envelope's payload is not base64");
  e.payload = std::move(*payload);
  const json& sigs = member(j, "signatures");
  if (!sigs.is_null() && !sigs.is_array())
    return fail(ErrorCode::parse, "the DSSE envelope's signatures is not a list");
  if (sigs.size() > kMaxLayers) return fail(ErrorCode::limit, "too many DSSE signatures");
  for (const auto& s : sigs) {
    std::string sig = string_member(s, "sig");
    if (!sig.empty()) e.signatures.push_back(std::move(sig));
  }
  return e;
}

// The predicateType an envelope claims, read without verifying anything (to tell the
// attestations asked for from others); "" when it does not parse.
std::string claimed_predicate_type(std::string_view envelope) {
  auto e = parse_envelope(envelope);
  if (!e || util::json_depth(e->payload, 33) > 32) return "";
  json st = json::parse(e->payload, nullptr, false);
  return string_member(st, "predicateType");
}

Result<AttestationVerdict> attestations_in(Store& store, const std::string& tag, std::string_view predicate_type,
                                           std::string_view public_key_pem) {
  AttestationVerdict v;
  auto image = store.manifest(tag);
  if (!image) return std::unexpected(image.error());
  v.manifest_digest = image->first;
  v.attestation_tag = "sha256-" + v.manifest_digest.substr(7) + ".att";
  // Where envelopes are: the .att tag, then the attestation referrers; (where, layers).
  std::vector<std::pair<std::string, json>> sources;
  auto att = store.manifest(v.attestation_tag);
  if (att) {
    if (util::json_depth(att->second, 33) > 32) return fail(ErrorCode::limit, "attestation manifest nested too deeply");
    json am = json::parse(att->second, nullptr, false);
    const json& layers = member(am, "layers");
    if (!am.is_object() || (!layers.is_null() && !layers.is_array()))
      return fail(ErrorCode::parse, "the attestation manifest is not a manifest", v.attestation_tag);
    sources.emplace_back("tag " + v.attestation_tag, layers);
  } else if (att.error().code != ErrorCode::not_found) {
    return std::unexpected(att.error());
  }
  auto refs = store.referrers(v.manifest_digest);
  if (!refs) return std::unexpected(refs.error().within("referrers of " + v.manifest_digest));
  std::vector<std::string> reasons;
  std::size_t untyped = 0;
  for (const auto& r : refs->items) {
    const auto is_attestation = [](const std::string& t) {
      return t == kAttestationArtifact || t == kDsseEnvelopeMediaType;
    };
    if (!r.artifact_type.empty() && !is_attestation(r.artifact_type)) continue;
    if (r.artifact_type.empty() && ++untyped > kMaxLayers) continue;
    if (sources.size() > kMaxAttestations) return fail(ErrorCode::limit, "too many attestation referrers");
    const std::string where = fmt::format("referrer {} ({})", r.digest, refs->via);
    auto m = store.manifest(r.digest);
    if (!m) return std::unexpected(m.error().within(where));
    if (util::json_depth(m->second, 33) > 32) return fail(ErrorCode::limit, "referrer manifest nested too deeply");
    json mj = json::parse(m->second, nullptr, false);
    if (!mj.is_object() || !is_attestation(string_member(mj, "artifactType"))) continue;
    if (string_member(member(mj, "subject"), "digest") != v.manifest_digest) {
      reasons.push_back("the referrer's subject is not this image (" + where + ")");
      continue;
    }
    const json& layers = member(mj, "layers");
    if (!layers.is_array()) return fail(ErrorCode::parse, "the referrer's layers is not a list", where);
    sources.emplace_back(where, layers);
  }
  if (sources.empty()) {
    return fail(
        ErrorCode::auth,
        fmt::format("the image has no attestation (no tag {}) and no attestation referrer{}{}", v.attestation_tag,
                    refs->via.empty() ? ": no referrers API and no tag " + referrers_tag(v.manifest_digest)
                                      : " via the " + refs->via,
                    reasons.empty() ? "" : fmt::format(": {}", fmt::join(reasons, "; "))));
  }
  std::vector<std::string> others;
  std::map<std::string, bool> seen;  // envelope digests already judged: the same under the tag and as a referrer
  for (const auto& [source, layers] : sources) {
    if (layers.size() > kMaxAttestations) return fail(ErrorCode::limit, "too many attestation layers", source);
    for (const auto& l : layers) {
      if (!l.is_object() || string_member(l, "mediaType") != kDsseEnvelopeMediaType) continue;
      const std::string digest = string_member(l, "digest");
      const std::string where = fmt::format("{}, layer {}", source, digest);
      if (seen.contains(digest)) continue;
      seen[digest] = true;
      auto envelope = store.blob(digest, kMaxEnvelope);
      if (!envelope) return std::unexpected(envelope.error().within(where));
      std::string claimed = claimed_predicate_type(*envelope);
      if (claimed.empty()) claimed = string_member(member(l, "annotations"), "predicateType");
      if (claimed != predicate_type) {
        others.push_back(claimed.empty() ? "(none)" : claimed);
        continue;
      }
      ++v.checked;
      auto a = verify_dsse_attestation(*envelope, public_key_pem, v.manifest_digest);
      if (a && a->predicate_type != predicate_type)
        a = fail(ErrorCode::auth, "its predicateType is " + a->predicate_type);
      if (!a) {
        reasons.push_back(a.error().message + " (" + where + ")");
        continue;
      }
      a->where = where;
      v.verified.push_back(std::move(*a));
    }
  }
  if (v.checked == 0) {
    std::sort(others.begin(), others.end());
    others.erase(std::unique(others.begin(), others.end()), others.end());
    const std::size_t referrers = sources.size() - (att ? 1 : 0);
    const std::string read = att ? fmt::format("tag {}{}", v.attestation_tag,
                                               referrers ? fmt::format(" with {} referrer(s)", referrers) : "")
                                 : fmt::format("{} referrer(s) via the {}", referrers, refs->via);
    return fail(ErrorCode::auth, fmt::format("no attestation with predicateType {} ({} {})", predicate_type, read,
                                             others.empty() ? std::string("holds no DSSE envelope")
                                                            : fmt::format("has {}", fmt::join(others, ", "))));
  }
  if (v.verified.empty()) return fail(ErrorCode::auth, fmt::format("{}", fmt::join(reasons, "; ")));
  return v;
}

}  // namespace

Result<std::string> sign_dsse_envelope(std::string_view payload, std::string_view payload_type,
                                       std::string_view private_key_pem) {
  auto sig = sign(private_key_pem, dsse_pae(payload_type, payload));
  if (!sig) return std::unexpected(sig.error());
  json e = {{"payloadType", std::string(payload_type)},
            {"payload", encode_b64(payload)},
            {"signatures", json::array({{{"keyid", ""}, {"sig", encode_b64(*sig)}}})}};
  return e.dump();
}

Result<ImageAttestation> verify_dsse_attestation(std::string_view envelope_json, std::string_view public_key_pem,
                                                 std::string_view manifest_digest) {
  auto e = parse_envelope(envelope_json);
  if (!e) return std::unexpected(e.error());
  if (e->payload_type != kInTotoPayloadType)
    return fail(ErrorCode::unsupported, "the DSSE payload type is " + e->payload_type + ", not in-toto");
  if (e->signatures.empty()) return fail(ErrorCode::auth, "the attestation is not signed (no DSSE signature)");
  const std::string signed_pae = dsse_pae(e->payload_type, e->payload);
  bool ok = false;
  for (const auto& s : e->signatures) {
    auto sig = decode_b64(s);
    if (sig && verify(public_key_pem, signed_pae, *sig)) {
      ok = true;
      break;
    }
  }
  if (!ok) return fail(ErrorCode::auth, "the attestation's DSSE signature does not verify with the key");
  if (util::json_depth(e->payload, 33) > 32) return fail(ErrorCode::limit, "in-toto statement nested too deeply");
  json st = json::parse(e->payload, nullptr, false);
  const std::string type = string_member(st, "_type");
  if (type != "https://in-toto.io/Statement/v0.1" && type != "https://in-toto.io/Statement/v1")
    return fail(ErrorCode::parse, "the DSSE payload is not an in-toto Statement (_type " + type + ")");
  ImageAttestation a;
  a.predicate_type = string_member(st, "predicateType");
  a.statement_json = e->payload;
  const json& subjects = member(st, "subject");
  if (!subjects.is_array() || subjects.empty()) return fail(ErrorCode::parse, "the in-toto Statement has no subject");
  std::vector<std::string> named;
  const std::string_view want = manifest_digest.starts_with("sha256:") ? manifest_digest.substr(7) : manifest_digest;
  for (const auto& s : subjects) {
    const std::string d = string_member(member(s, "digest"), "sha256");
    if (!d.empty() && d == want) return a;
    if (named.size() < 4) named.push_back(d.empty() ? "(no sha256)" : "sha256:" + d);
  }
  return fail(ErrorCode::digest_mismatch, fmt::format("the attestation's subject is {}, not this image ({})",
                                                      fmt::join(named, ", "), manifest_digest));
}

Result<AttestationVerdict> verify_oci_layout_attestations(const std::string& dir, const std::string& tag,
                                                          std::string_view predicate_type,
                                                          std::string_view public_key_pem) {
  return in_layout(dir, [&](Store& s) { return attestations_in(s, tag, predicate_type, public_key_pem); });
}

Result<AttestationVerdict> verify_registry_attestations(const RegistryTarget& target, std::string_view predicate_type,
                                                        std::string_view public_key_pem) {
  return in_registry(
      target, [&](Store& s) { return attestations_in(s, registry_ref(target), predicate_type, public_key_pem); });
}

// ---- writing: signatures and attestations, cosign's way and as OCI 1.1 referrers ---------

namespace {

constexpr const char* kEmptyConfig = "application/vnd.oci.empty.v1+json";
constexpr const char* kImageConfig = "application/vnd.oci.image.config.v1+json";

// The manifest a signature or attestation is about: what a referrer's subject names.
struct Subject {
  std::string digest, media_type;
  std::size_t size = 0;
};

Result<Subject> subject_of(Store& store, const std::string& tag) {
  auto m = store.manifest(tag);
  if (!m) return std::unexpected(m.error());
  Subject s{m->first, kOciManifest, m->second.size()};
  if (util::json_depth(m->second, 33) > 32) return fail(ErrorCode::limit, "the image's manifest is nested too deeply");
  const json j = json::parse(m->second, nullptr, false);
  if (!j.is_object()) return fail(ErrorCode::parse, "the image's manifest is not a JSON object", m->first);
  if (const std::string mt = string_member(j, "mediaType"); !mt.empty()) s.media_type = mt;
  return s;
}

// Adds `layer` to the manifest tagged `tag` (cosign's sha256-<hex>.sig or .att), keeping the
// layers already there, as cosign does; the same layer again is not added twice. The config
// lists the layers as its diff_ids (they are stored uncompressed). Returns the new digest.
Result<std::string> append_to_tagged(Store& store, const std::string& tag, const json& layer) {
  json layers = json::array();
  if (auto old = store.manifest(tag); old) {
    if (util::json_depth(old->second, 33) > 32) return fail(ErrorCode::limit, "manifest nested too deeply", tag);
    const json om = json::parse(old->second, nullptr, false);
    const json& ol = member(om, "layers");
    if (!om.is_object() || !(ol.is_array() || ol.is_null()) || om.contains("manifests") ||
        string_member(om, "mediaType") == kOciIndex)
      return fail(ErrorCode::parse, "the manifest already tagged " + tag + " is not an image manifest", store.where());
    if (ol.size() >= kMaxLayers)
      return fail(ErrorCode::limit, fmt::format("the manifest tagged {} already has {} layers", tag, ol.size()));
    for (const auto& l : ol) {
      if (!l.is_object() || string_member(l, "digest").empty())
        return fail(ErrorCode::parse, "the manifest already tagged " + tag + " has a layer that is not a descriptor",
                    store.where());
      if (string_member(l, "digest") == string_member(layer, "digest") &&
          member(l, "annotations") == member(layer, "annotations"))
        continue;
      layers.push_back(l);
    }
  } else if (old.error().code != ErrorCode::not_found) {
    return std::unexpected(old.error());
  }
  layers.push_back(layer);
  json diff_ids = json::array();
  for (const auto& l : layers) diff_ids.push_back(string_member(l, "digest"));
  const std::string config = json{{"architecture", ""},
                                  {"os", ""},
                                  {"config", json::object()},
                                  {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}}}
                                 .dump();
  auto config_digest = store.put_blob(config);
  if (!config_digest) return std::unexpected(config_digest.error());
  const json m = {{"schemaVersion", 2},
                  {"mediaType", kOciManifest},
                  {"config", {{"mediaType", kImageConfig}, {"size", config.size()}, {"digest", *config_digest}}},
                  {"layers", layers}};
  auto put = store.put_manifest(m.dump(), kOciManifest, tag);
  if (!put) return std::unexpected(put.error());
  return put->digest;
}

struct ReferrerWritten {
  std::string manifest, index, tag, via;
};

// An OCI 1.1 referrer of `subject`: a manifest with `artifactType`, the empty config, the
// layers and the subject. Stored by digest; when the store does not index subjects itself (no
// OCI-Subject answer: an OCI layout, a registry without a referrers API), it is also listed
// in the referrers tag schema's index tagged sha256-<hex>, keeping the entries already there.
Result<ReferrerWritten> put_referrer(Store& store, const Subject& subject, std::string_view artifact_type,
                                     const json& layers, const json& annotations) {
  ReferrerWritten out;
  const std::string empty = "{}";
  auto empty_digest = store.put_blob(empty);
  if (!empty_digest) return std::unexpected(empty_digest.error());
  json rm = {{"schemaVersion", 2},
             {"mediaType", kOciManifest},
             {"artifactType", std::string(artifact_type)},
             {"config", {{"mediaType", kEmptyConfig}, {"size", empty.size()}, {"digest", *empty_digest}}},
             {"layers", layers},
             {"subject", {{"mediaType", subject.media_type}, {"size", subject.size}, {"digest", subject.digest}}}};
  if (annotations.is_object() && !annotations.empty()) rm["annotations"] = annotations;
  const std::string text = rm.dump();
  auto put = store.put_manifest(text, kOciManifest, "");
  if (!put) return std::unexpected(put.error());
  out.manifest = put->digest;
  if (put->subject_indexed) {
    out.via = "referrers API";
    return out;
  }
  out.tag = referrers_tag(subject.digest);
  json listed = json::array();
  if (auto old = store.manifest(out.tag); old) {
    if (util::json_depth(old->second, 33) > 32) return fail(ErrorCode::limit, "referrers index nested too deeply");
    const json oi = json::parse(old->second, nullptr, false);
    const json& ms = member(oi, "manifests");
    if (!oi.is_object() || !(ms.is_array() || ms.is_null()))
      return fail(ErrorCode::parse, "the index already tagged " + out.tag + " is not an image index", store.where());
    if (ms.size() >= kMaxReferrers) return fail(ErrorCode::limit, fmt::format("more than {} referrers", kMaxReferrers));
    for (const auto& d : ms) {
      if (d.is_object() && string_member(d, "digest") != out.manifest) listed.push_back(d);
    }
  } else if (old.error().code != ErrorCode::not_found) {
    return std::unexpected(old.error());
  }
  json desc = {{"mediaType", kOciManifest},
               {"artifactType", std::string(artifact_type)},
               {"size", text.size()},
               {"digest", out.manifest}};
  if (annotations.is_object() && !annotations.empty()) desc["annotations"] = annotations;
  listed.push_back(std::move(desc));
  const json ri = {{"schemaVersion", 2}, {"mediaType", kOciIndex}, {"manifests", listed}};
  auto index = store.put_manifest(ri.dump(), kOciIndex, out.tag);
  if (!index) return std::unexpected(index.error());
  out.index = index->digest;
  out.via = "referrers tag " + out.tag;
  return out;
}

Result<SignResult> sign_in(Store& store, const std::string& tag, std::string_view private_key_pem,
                           std::string_view docker_reference) {
  auto subject = subject_of(store, tag);
  if (!subject) return std::unexpected(subject.error());
  const json payload = {{"critical",
                         {{"identity", {{"docker-reference", std::string(docker_reference)}}},
                          {"image", {{"docker-manifest-digest", subject->digest}}},
                          {"type", "cosign container image signature"}}},
                        {"optional", nullptr}};
  const std::string payload_text = payload.dump();
  auto sig = sign(private_key_pem, payload_text);
  if (!sig) return std::unexpected(sig.error());
  auto payload_digest = store.put_blob(payload_text);
  if (!payload_digest) return std::unexpected(payload_digest.error());
  const json layer = {{"mediaType", kSimpleSigning},
                      {"size", payload_text.size()},
                      {"digest", *payload_digest},
                      {"annotations", {{"dev.cosignproject.cosign/signature", encode_b64(*sig)}}}};
  SignResult out;
  out.manifest_digest = subject->digest;
  out.signature_tag = "sha256-" + subject->digest.substr(7) + ".sig";
  auto sm = append_to_tagged(store, out.signature_tag, layer);
  if (!sm) return std::unexpected(sm.error());
  out.signature_manifest = *sm;
  auto r = put_referrer(store, *subject, kCosignSignatureArtifact, json::array({layer}), json::object());
  if (!r) return std::unexpected(r.error());
  out.referrer_manifest = r->manifest;
  out.referrers_index = r->index;
  out.referrers_tag = r->tag;
  out.referrers_via = r->via;
  return out;
}

Result<AttestResult> attach_in(Store& store, const std::string& tag, std::string_view envelope_json,
                               std::string_view predicate_type) {
  auto subject = subject_of(store, tag);
  if (!subject) return std::unexpected(subject.error());
  AttestResult out;
  out.manifest_digest = subject->digest;
  auto env_digest = store.put_blob(std::string(envelope_json));
  if (!env_digest) return std::unexpected(env_digest.error());
  out.envelope = *env_digest;
  const json layer = {{"mediaType", kDsseEnvelopeMediaType},
                      {"size", envelope_json.size()},
                      {"digest", *env_digest},
                      {"annotations", {{"predicateType", std::string(predicate_type)}}}};
  out.attestation_tag = "sha256-" + subject->digest.substr(7) + ".att";
  auto am = append_to_tagged(store, out.attestation_tag, layer);
  if (!am) return std::unexpected(am.error());
  out.attestation_manifest = *am;
  auto r = put_referrer(store, *subject, kAttestationArtifact, json::array({layer}),
                        json{{std::string(kReferrerPredicateTypeAnnotation), std::string(predicate_type)}});
  if (!r) return std::unexpected(r.error());
  out.referrer_manifest = r->manifest;
  out.referrers_index = r->index;
  out.referrers_tag = r->tag;
  out.referrers_via = r->via;
  return out;
}

Result<AttestResult> attest_in(Store& store, const std::string& tag, std::string_view subject_name,
                               std::string_view predicate_type, std::string_view predicate_json,
                               std::string_view private_key_pem) {
  auto subject = subject_of(store, tag);
  if (!subject) return std::unexpected(subject.error());
  auto statement = make_in_toto_statement(subject_name, subject->digest, predicate_type, predicate_json);
  if (!statement) return std::unexpected(statement.error());
  auto envelope = sign_dsse_envelope(*statement, kInTotoPayloadType, private_key_pem);
  if (!envelope) return std::unexpected(envelope.error());
  return attach_in(store, tag, *envelope, predicate_type);
}

}  // namespace

Result<std::string> make_in_toto_statement(std::string_view subject_name, std::string_view manifest_digest,
                                           std::string_view predicate_type, std::string_view predicate_json) {
  if (!manifest_digest.starts_with("sha256:") || manifest_digest.size() != 71 ||
      manifest_digest.find_first_not_of("0123456789abcdef", 7) != std::string_view::npos)
    return fail(ErrorCode::invalid_argument, "the subject is not a sha256 digest: " + std::string(manifest_digest));
  if (predicate_type.empty() || predicate_type.find("://") == std::string_view::npos ||
      predicate_type.find_first_of(" \t\r\n\"") != std::string_view::npos)
    return fail(ErrorCode::invalid_argument,
                "the predicate type must be a URI (https://...), not '" + util::printable(predicate_type) + "'");
  if (predicate_json.size() > kMaxEnvelope / 2) return fail(ErrorCode::limit, "the predicate is larger than 8 MiB");
  if (util::json_depth(predicate_json, 129) > 128) return fail(ErrorCode::limit, "the predicate is nested too deeply");
  json predicate = json::parse(predicate_json, nullptr, false);
  if (predicate.is_discarded() || !predicate.is_object())
    return fail(ErrorCode::parse, "the predicate is not a JSON object");
  const json st = {{"_type", "https://in-toto.io/Statement/v1"},
                   {"subject", json::array({{{"name", std::string(subject_name)},
                                             {"digest", {{"sha256", std::string(manifest_digest.substr(7))}}}}})},
                   {"predicateType", std::string(predicate_type)},
                   {"predicate", std::move(predicate)}};
  return st.dump();
}

Result<SignResult> sign_oci_layout_image(const std::string& dir, const std::string& tag,
                                         std::string_view private_key_pem, std::string_view docker_reference) {
  return in_layout(dir, [&](Store& s) { return sign_in(s, tag, private_key_pem, docker_reference); });
}

Result<SignResult> sign_registry_image(const RegistryTarget& target, std::string_view private_key_pem,
                                       std::string_view docker_reference) {
  return in_registry(target,
                     [&](Store& s) { return sign_in(s, registry_ref(target), private_key_pem, docker_reference); });
}

Result<std::string> attach_oci_layout_attestation(const std::string& dir, const std::string& tag,
                                                  std::string_view envelope_json, std::string_view predicate_type) {
  auto r = in_layout(dir, [&](Store& s) { return attach_in(s, tag, envelope_json, predicate_type); });
  if (!r) return std::unexpected(r.error());
  return r->attestation_manifest;
}

Result<AttestResult> attest_oci_layout_image(const std::string& dir, const std::string& tag,
                                             std::string_view subject_name, std::string_view predicate_type,
                                             std::string_view predicate_json, std::string_view private_key_pem) {
  return in_layout(
      dir, [&](Store& s) { return attest_in(s, tag, subject_name, predicate_type, predicate_json, private_key_pem); });
}

Result<AttestResult> attest_registry_image(const RegistryTarget& target, std::string_view subject_name,
                                           std::string_view predicate_type, std::string_view predicate_json,
                                           std::string_view private_key_pem) {
  return in_registry(target, [&](Store& s) {
    return attest_in(s, registry_ref(target), subject_name, predicate_type, predicate_json, private_key_pem);
  });
}

}  // namespace bulwark::trust
