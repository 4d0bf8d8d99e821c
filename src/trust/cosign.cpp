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

#include "util/files.hpp"
#include "util/http.hpp"
#include "util/json_depth.hpp"
#include "util/sha256.hpp"

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
                 "application/vnd.oci.image.index.v1+json",
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
  Result<std::string> get(const std::string& path, const std::string& accept, std::size_t max) {
    util::HttpRequest req;
    req.url = std::string(t_.tls_verify ? "https://" : "http://") + t_.registry + "/v2/" + t_.repository + path;
    req.headers.emplace_back("Accept", accept);
    if (!t_.username.empty()) {
      req.headers.emplace_back("Authorization", "Basic " + encode_b64(t_.username + ":" + t_.password));
    }
    auto r = http_.fetch(req, max);
    if (!r) return std::unexpected(r.error());
    if (r->status == 404) return fail(ErrorCode::not_found, "not found", util::redact_url(req.url));
    if (r->status == 401 || r->status == 403)
      return fail(ErrorCode::auth, "registry refused the credentials", t_.registry);
    if (r->status / 100 != 2)
      return fail(ErrorCode::network, fmt::format("HTTP {}", r->status), util::redact_url(req.url));
    return r->body;
  }
  RegistryTarget t_;
  util::HttpClient http_;
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

}  // namespace

std::string referrers_tag(std::string_view digest) {
  std::string t(digest);
  if (auto c = t.find(':'); c != std::string::npos) t[c] = '-';
  if (t.size() > 128) t.resize(128);  // a tag is at most 128 characters
  return t;
}

Result<Referrers> oci_layout_referrers(const std::string& dir, const std::string& digest) {
  LayoutStore store(dir);
  auto r = store.referrers(digest);
  if (!r) return std::unexpected(r.error().within(dir));
  return r;
}

Result<Referrers> registry_referrers(const RegistryTarget& target, const std::string& digest) {
  try {
    RegistryStore store(target);
    auto r = store.referrers(digest);
    if (!r) return std::unexpected(r.error().within(target.registry + "/" + target.repository));
    return r;
  } catch (const std::exception& e) {
    return fail(ErrorCode::internal, e.what());
  }
}

Result<ImageSignatureVerdict> verify_oci_layout_image(const std::string& dir, const std::string& tag,
                                                      std::string_view public_key_pem, std::string_view repository) {
  LayoutStore store(dir);
  auto v = verify_in(store, tag, public_key_pem, repository);
  if (!v) return std::unexpected(v.error().within(dir));
  return v;
}

Result<ImageSignatureVerdict> verify_registry_image(const RegistryTarget& target, std::string_view public_key_pem,
                                                    std::string_view repository) {
  try {
    RegistryStore store(target);
    std::string ref = target.digest.empty() ? target.tag : target.digest;
    auto v = verify_in(store, ref, public_key_pem, repository);
    if (!v) return std::unexpected(v.error().within(target.registry + "/" + target.repository));
    return v;
  } catch (const std::exception& e) {
    return fail(ErrorCode::internal, e.what());
  }
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

namespace {

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

}  // namespace

Result<SignResult> sign_oci_layout_image(const std::string& dir, const std::string& tag,
                                         std::string_view private_key_pem, std::string_view docker_reference) {
  auto index = read_json(std::filesystem::path(dir) / "index.json", kMaxManifest);
  if (!index) return std::unexpected(index.error());
  json& manifests = (*index)["manifests"];
  if (!manifests.is_array() || manifests.size() > 4096) return fail(ErrorCode::limit, "index.json: manifests");
  json image_desc;
  for (const auto& m : manifests) {
    std::string name = string_member(member(m, "annotations"), "org.opencontainers.image.ref.name");
    if (name.ends_with(".sig") || name.ends_with(".att") || name.starts_with("sha256-")) continue;
    if (tag.empty() || name == tag) image_desc = m;
  }
  if (!image_desc.is_object() || string_member(image_desc, "digest").empty())
    return fail(ErrorCode::not_found, "no image tagged " + tag, dir);
  const std::string manifest_digest = string_member(image_desc, "digest");
  if (auto p = blob_path(dir, manifest_digest); !p) return std::unexpected(p.error().within(dir));
  json payload = {{"critical",
                   {{"identity", {{"docker-reference", std::string(docker_reference)}}},
                    {"image", {{"docker-manifest-digest", manifest_digest}}},
                    {"type", "cosign container image signature"}}},
                  {"optional", nullptr}};
  std::string payload_text = payload.dump();
  auto sig = sign(private_key_pem, payload_text);
  if (!sig) return std::unexpected(sig.error());
  std::string payload_digest, config_digest, empty_digest;
  if (auto st = write_blob(dir, payload_text, payload_digest); !st) return std::unexpected(st.error());
  json config = {{"architecture", ""},
                 {"os", ""},
                 {"config", json::object()},
                 {"rootfs", {{"type", "layers"}, {"diff_ids", json::array({payload_digest})}}}};
  std::string config_text = config.dump();
  if (auto st = write_blob(dir, config_text, config_digest); !st) return std::unexpected(st.error());
  const json layer = {{"mediaType", kSimpleSigning},
                      {"size", payload_text.size()},
                      {"digest", payload_digest},
                      {"annotations", {{"dev.cosignproject.cosign/signature", encode_b64(*sig)}}}};
  SignResult out;
  // cosign's tag scheme: sha256-<hex>.sig.
  json sm = {{"schemaVersion", 2},
             {"mediaType", kOciManifest},
             {"config",
              {{"mediaType", "application/vnd.oci.image.config.v1+json"},
               {"size", config_text.size()},
               {"digest", config_digest}}},
             {"layers", json::array({layer})}};
  std::string sm_text = sm.dump();
  if (auto st = write_blob(dir, sm_text, out.signature_manifest); !st) return std::unexpected(st.error());
  out.signature_tag = "sha256-" + manifest_digest.substr(7) + ".sig";
  retag(manifests, out.signature_tag,
        {{"mediaType", kOciManifest}, {"size", sm_text.size()}, {"digest", out.signature_manifest}});

  // The OCI 1.1 referrer: the same signature layer, the empty config, subject = the image.
  const std::string empty = "{}";
  if (auto st = write_blob(dir, empty, empty_digest); !st) return std::unexpected(st.error());
  json rm = {
      {"schemaVersion", 2},
      {"mediaType", kOciManifest},
      {"artifactType", kCosignSignatureArtifact},
      {"config", {{"mediaType", "application/vnd.oci.empty.v1+json"}, {"size", 2}, {"digest", empty_digest}}},
      {"layers", json::array({layer})},
      {"subject",
       {{"mediaType", (string_member(image_desc, "mediaType").empty() ? std::string(kOciManifest)
                                                                      : string_member(image_desc, "mediaType"))},
        {"size", (member(image_desc, "size").is_number_unsigned() ? member(image_desc, "size").get<std::uint64_t>()
                                                                  : std::uint64_t{0})},
        {"digest", manifest_digest}}}};
  std::string rm_text = rm.dump();
  if (auto st = write_blob(dir, rm_text, out.referrer_manifest); !st) return std::unexpected(st.error());
  // The referrers tag schema: the index tagged sha256-<hex>, keeping the referrers it lists.
  out.referrers_tag = referrers_tag(manifest_digest);
  json listed = json::array();
  LayoutStore store(dir);
  if (auto existing = store.referrers(manifest_digest); existing) {
    if (auto old = store.manifest(out.referrers_tag); old) {
      json oj = json::parse(old->second, nullptr, false);
      for (const auto& d : member(oj, "manifests")) {
        if (d.is_object() && string_member(d, "digest") != out.referrer_manifest) listed.push_back(d);
      }
    }
  } else {
    return std::unexpected(existing.error().within(dir));
  }
  listed.push_back({{"mediaType", kOciManifest},
                    {"artifactType", kCosignSignatureArtifact},
                    {"size", rm_text.size()},
                    {"digest", out.referrer_manifest}});
  json ri = {{"schemaVersion", 2}, {"mediaType", kOciIndex}, {"manifests", listed}};
  std::string ri_text = ri.dump();
  if (auto st = write_blob(dir, ri_text, out.referrers_index); !st) return std::unexpected(st.error());
  retag(manifests, out.referrers_tag,
        {{"mediaType", kOciIndex}, {"size", ri_text.size()}, {"digest", out.referrers_index}});
  if (auto st = util::write_file_atomic(std::filesystem::path(dir) / "index.json", index->dump()); !st) {
    return std::unexpected(st.error());
  }
  return out;
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
  auto att = store.manifest(v.attestation_tag);
  if (!att) {
    if (att.error().code == ErrorCode::not_found)
      return fail(ErrorCode::auth, fmt::format("the image has no attestation (no tag {})", v.attestation_tag));
    return std::unexpected(att.error());
  }
  if (util::json_depth(att->second, 33) > 32) return fail(ErrorCode::limit, "attestation manifest nested too deeply");
  json am = json::parse(att->second, nullptr, false);
  const json& layers = member(am, "layers");
  if (!am.is_object() || (!layers.is_null() && !layers.is_array()))
    return fail(ErrorCode::parse, "the attestation manifest is not a manifest", v.attestation_tag);
  if (layers.size() > kMaxAttestations) return fail(ErrorCode::limit, "too many attestation layers");
  std::vector<std::string> others, reasons;
  for (const auto& l : layers) {
    if (!l.is_object() || string_member(l, "mediaType") != kDsseEnvelopeMediaType) continue;
    const std::string where = fmt::format("tag {}, layer {}", v.attestation_tag, string_member(l, "digest"));
    auto envelope = store.blob(string_member(l, "digest"), kMaxEnvelope);
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
  if (v.checked == 0) {
    std::sort(others.begin(), others.end());
    others.erase(std::unique(others.begin(), others.end()), others.end());
    return fail(
        ErrorCode::auth,
        fmt::format("no attestation with predicateType {} (tag {} has {})", predicate_type, v.attestation_tag,
                    others.empty() ? std::string("no DSSE envelope") : fmt::format("{}", fmt::join(others, ", "))));
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
  LayoutStore store(dir);
  auto v = attestations_in(store, tag, predicate_type, public_key_pem);
  if (!v) return std::unexpected(v.error().within(dir));
  return v;
}

Result<AttestationVerdict> verify_registry_attestations(const RegistryTarget& target, std::string_view predicate_type,
                                                        std::string_view public_key_pem) {
  try {
    RegistryStore store(target);
    auto v = attestations_in(store, target.digest.empty() ? target.tag : target.digest, predicate_type, public_key_pem);
    if (!v) return std::unexpected(v.error().within(target.registry + "/" + target.repository));
    return v;
  } catch (const std::exception& e) {
    return fail(ErrorCode::internal, e.what());
  }
}

Result<std::string> attach_oci_layout_attestation(const std::string& dir, const std::string& tag,
                                                  std::string_view envelope_json, std::string_view predicate_type) {
  LayoutStore store(dir);
  auto image = store.manifest(tag);
  if (!image) return std::unexpected(image.error().within(dir));
  const std::string att_tag = "sha256-" + image->first.substr(7) + ".att";
  json layers = json::array();
  if (auto old = store.manifest(att_tag); old) {
    json om = json::parse(old->second, nullptr, false);
    if (member(om, "layers").is_array()) layers = member(om, "layers");
  } else if (old.error().code != ErrorCode::not_found) {
    return std::unexpected(old.error().within(dir));
  }
  std::string env_digest, config_digest, manifest_digest;
  const std::string env(envelope_json);
  if (auto st = write_blob(dir, env, env_digest); !st) return std::unexpected(st.error());
  layers.push_back({{"mediaType", kDsseEnvelopeMediaType},
                    {"size", env.size()},
                    {"digest", env_digest},
                    {"annotations", {{"predicateType", std::string(predicate_type)}}}});
  const std::string config = "{}";
  if (auto st = write_blob(dir, config, config_digest); !st) return std::unexpected(st.error());
  json m = {
      {"schemaVersion", 2},
      {"mediaType", kOciManifest},
      {"config", {{"mediaType", "application/vnd.oci.image.config.v1+json"}, {"size", 2}, {"digest", config_digest}}},
      {"layers", layers}};
  const std::string text = m.dump();
  if (auto st = write_blob(dir, text, manifest_digest); !st) return std::unexpected(st.error());
  auto index = read_json(std::filesystem::path(dir) / "index.json", kMaxManifest);
  if (!index) return std::unexpected(index.error());
  json& manifests = (*index)["manifests"];
  if (!manifests.is_array()) return fail(ErrorCode::parse, "index.json: manifests", dir);
  retag(manifests, att_tag, {{"mediaType", kOciManifest}, {"size", text.size()}, {"digest", manifest_digest}});
  if (auto st = util::write_file_atomic(std::filesystem::path(dir) / "index.json", index->dump()); !st)
    return std::unexpected(st.error());
  return manifest_digest;
}

}  // namespace bulwark::trust
