// cosign keyed signatures in an OCI layout: bulwark signs, bulwark verifies; a wrong key, a
// tampered payload and a signature moved to another image are refused.
#include <gtest/gtest.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "trust/cosign.hpp"
#include "trust/test_keys.hpp"
#include "util/files.hpp"
#include "util/http.hpp"
#include "util/sha256.hpp"
#include "util/testing/loopback_http_server.hpp"

namespace fs = std::filesystem;
using namespace bulwark;

namespace {

using trust::testing::make_key;
using trust::testing::write;

// A minimal but valid OCI layout with two images tagged "1" and "2".
fs::path make_layout() {
  fs::path dir = fs::temp_directory_path() / ("bulwark-trust-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  std::string index = R"({"schemaVersion":2,"manifests":[)";
  for (int i = 1; i <= 2; ++i) {
    std::string config = R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"n":)" +
                         std::to_string(i) + "}";
    std::string cd = util::sha256_hex(config);
    write(dir / "blobs/sha256" / cd, config);
    std::string manifest =
        R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":)" +
        std::to_string(config.size()) + R"(,"digest":"sha256:)" + cd + R"("},"layers":[]})";
    std::string md = util::sha256_hex(manifest);
    write(dir / "blobs/sha256" / md, manifest);
    index += std::string(i > 1 ? "," : "") + R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","size":)" +
             std::to_string(manifest.size()) + R"(,"digest":"sha256:)" + md +
             R"(","annotations":{"org.opencontainers.image.ref.name":")" + std::to_string(i) + R"("}})";
  }
  write(dir / "index.json", index + "]}");
  write(dir / "oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  return dir;
}

}  // namespace

TEST(Cosign, SignThenVerifyInOciLayout) {
  for (const char* alg : {"EC", "ED25519"}) {
    auto dir = make_layout();
    auto key = make_key(alg);
    auto other = make_key(alg);
    EXPECT_FALSE(trust::verify_oci_layout_image(dir, "1", key.pub, "")) << "unsigned image verified";
    auto signed_ = trust::sign_oci_layout_image(dir, "1", key.priv, "127.0.0.1:5000/bulwark-e2e/trust/app");
    ASSERT_TRUE(signed_) << signed_.error().describe();
    auto v = trust::verify_oci_layout_image(dir, "1", key.pub, "127.0.0.1:5000/bulwark-e2e/trust/app:1");
    ASSERT_TRUE(v) << v.error().describe();
    EXPECT_EQ(v->signatures_verified, 1U);
    EXPECT_FALSE(trust::verify_oci_layout_image(dir, "1", other.pub, "")) << "wrong key accepted";
    EXPECT_FALSE(trust::verify_oci_layout_image(dir, "1", key.pub, "127.0.0.1:5000/other/app")) << "wrong reference";
    EXPECT_FALSE(trust::verify_oci_layout_image(dir, "2", key.pub, "")) << "other image accepted";
    fs::remove_all(dir);
  }
}

TEST(Cosign, SimpleSigningPayloadMustNameTheDigest) {
  auto key = make_key("EC");
  std::string payload =
      R"({"critical":{"identity":{"docker-reference":"r/a"},"image":{"docker-manifest-digest":"sha256:aa"},"type":"cosign container image signature"},"optional":null})";
  // Signing here with OpenSSL directly, as an independent signer.
  BIO* b = BIO_new_mem_buf(key.priv.data(), static_cast<int>(key.priv.size()));
  EVP_PKEY* k = PEM_read_bio_PrivateKey(b, nullptr, nullptr, nullptr);
  BIO_free(b);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::size_t len = 0;
  EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, k);
  EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(payload.data()), payload.size());
  std::string sig(len, '\0');
  EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                 reinterpret_cast<const unsigned char*>(payload.data()), payload.size());
  sig.resize(len);
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(k);
  std::string sig_b64(4 * ((sig.size() + 2) / 3) + 1, '\0');
  sig_b64.resize(static_cast<std::size_t>(EVP_EncodeBlock(reinterpret_cast<unsigned char*>(sig_b64.data()),
                                                          reinterpret_cast<const unsigned char*>(sig.data()),
                                                          static_cast<int>(sig.size()))));
  EXPECT_TRUE(trust::verify_simple_signing(payload, sig_b64, key.pub, "sha256:aa", "r/a"));
  EXPECT_FALSE(trust::verify_simple_signing(payload, sig_b64, key.pub, "sha256:bb", "r/a"));
  std::string tampered = payload;
  tampered[tampered.find("r/a")] = 'x';
  EXPECT_FALSE(trust::verify_simple_signing(tampered, sig_b64, key.pub, "sha256:aa", ""));
}

// Signature artifacts are attacker-written: a signature manifest whose layers are not objects
// or whose members have other types ({"layers": [1]} ended the process with json::type_error
// 306, found while writing fuzz_cosign; the layout in fuzz form is
// tests/data/fuzz-regressions/fuzz_cosign/signature-layer-not-an-object), and index.json
// descriptors with a number for a digest or a tag. Each is refused with an error, never thrown.
TEST(Cosign, MistypedSignatureManifestsAndDescriptorsAreRefusedNotThrown) {
  auto key = make_key("EC");
  for (const char* layers : {R"([1])", R"(["x", null, [], {"mediaType": 5}])",
                             R"([{"mediaType": "application/vnd.dev.cosign.simplesigning.v1+json",
                                  "annotations": "x", "digest": 7}])",
                             R"([{"mediaType": "application/vnd.dev.cosign.simplesigning.v1+json",
                                  "annotations": {"dev.cosignproject.cosign/signature": 1}, "digest": []}])"}) {
    auto dir = make_layout();
    ASSERT_TRUE(trust::sign_oci_layout_image(dir, "1", key.priv, "r/a"));
    // Replace the signature manifest (the index entry tagged sha256-<hex>.sig) by a mistyped one,
    // and drop the referrers index (its valid signature would verify the image).
    auto index = nlohmann::json::parse(*util::read_file(dir / "index.json", 1 << 20));
    std::string sm = std::string(R"({"schemaVersion": 2, "layers": )") + layers + "}";
    std::string smd = util::sha256_hex(sm);
    write(dir / "blobs/sha256" / smd, sm);
    nlohmann::json kept = nlohmann::json::array();
    bool replaced = false;
    for (auto m : index["manifests"]) {
      std::string name = m["annotations"].value("org.opencontainers.image.ref.name", "");
      if (name.starts_with("sha256-") && !name.ends_with(".sig")) continue;
      if (name.ends_with(".sig")) {
        m["digest"] = "sha256:" + smd;
        m["size"] = sm.size();
        replaced = true;
      }
      kept.push_back(m);
    }
    ASSERT_TRUE(replaced);
    index["manifests"] = kept;
    write(dir / "index.json", index.dump());
    Result<trust::ImageSignatureVerdict> v = std::unexpected(Error{});
    ASSERT_NO_THROW(v = trust::verify_oci_layout_image(dir, "1", key.pub, "")) << layers;
    EXPECT_FALSE(v) << layers;
    fs::remove_all(dir);
  }
  for (const char* index :
       {R"({"manifests": [{"digest": 5, "annotations": {"org.opencontainers.image.ref.name": 1}}]})",
        R"({"manifests": [{"digest": "x", "annotations": []}]})", R"({"manifests": [1, "a"]})"}) {
    auto dir = make_layout();
    write(dir / "index.json", index);
    ASSERT_NO_THROW((void)trust::verify_oci_layout_image(dir, "", key.pub, "")) << index;
    EXPECT_FALSE(trust::verify_oci_layout_image(dir, "", key.pub, "")) << index;
    EXPECT_FALSE(trust::read_oci_layout_manifest(dir, "")) << index;
    ASSERT_NO_THROW((void)trust::sign_oci_layout_image(dir, "", key.priv, "r/a")) << index;
    EXPECT_FALSE(trust::sign_oci_layout_image(dir, "", key.priv, "r/a")) << index;
    fs::remove_all(dir);
  }
}

namespace {

nlohmann::json read_index(const fs::path& dir) {
  return nlohmann::json::parse(*util::read_file(dir / "index.json", 1 << 20));
}

std::string tagged(const fs::path& dir, const std::string& tag) {
  const auto index = read_index(dir);
  for (const auto& m : index["manifests"]) {
    if (m.value("annotations", nlohmann::json::object()).value("org.opencontainers.image.ref.name", "") == tag)
      return m.value("digest", "");
  }
  return {};
}

// Drops the descriptors tagged `tag` from index.json (the blobs stay).
void untag(const fs::path& dir, const std::string& tag) {
  auto index = read_index(dir);
  nlohmann::json kept = nlohmann::json::array();
  for (const auto& m : index["manifests"]) {
    if (m.value("annotations", nlohmann::json::object()).value("org.opencontainers.image.ref.name", "") != tag)
      kept.push_back(m);
  }
  index["manifests"] = kept;
  write(dir / "index.json", index.dump());
}

}  // namespace

// Signing writes an OCI 1.1 referrer (subject: the image) listed in the referrers tag schema's
// index sha256-<hex>; a second signature is added to that index, not put in place of the first;
// verification finds the signature through the referrer alone.
TEST(Cosign, SignWritesAReferrerFoundThroughTheReferrersTag) {
  auto dir = make_layout();
  auto key = make_key("EC");
  auto other = make_key("EC");
  auto first = trust::sign_oci_layout_image(dir, "1", key.priv, "r.example/app");
  ASSERT_TRUE(first) << first.error().describe();
  const std::string image = tagged(dir, "1");
  EXPECT_EQ(first->referrers_tag, "sha256-" + image.substr(7));
  EXPECT_EQ(tagged(dir, first->referrers_tag), first->referrers_index);
  auto second = trust::sign_oci_layout_image(dir, "1", other.priv, "r.example/app");
  ASSERT_TRUE(second) << second.error().describe();
  auto refs = trust::oci_layout_referrers(dir, image);
  ASSERT_TRUE(refs) << refs.error().describe();
  EXPECT_EQ(refs->via, "referrers tag " + first->referrers_tag);
  ASSERT_EQ(refs->items.size(), 2U);
  for (const auto& r : refs->items) EXPECT_EQ(r.artifact_type, trust::kCosignSignatureArtifact);
  auto rm = nlohmann::json::parse(*util::read_file(dir / "blobs/sha256" / first->referrer_manifest.substr(7), 1 << 20));
  EXPECT_EQ(rm["subject"]["digest"], image);
  EXPECT_EQ(rm["artifactType"], trust::kCosignSignatureArtifact);

  // Only the referrers remain: both keys still verify, through the referrer.
  untag(dir, first->signature_tag);
  for (const auto* k : {&key, &other}) {
    auto v = trust::verify_oci_layout_image(dir, "1", k->pub, "r.example/app");
    ASSERT_TRUE(v) << v.error().describe();
    ASSERT_EQ(v->found_in.size(), 1U);
    EXPECT_TRUE(v->found_in[0].starts_with("referrer sha256:")) << v->found_in[0];
    EXPECT_NE(v->found_in[0].find("referrers tag sha256-"), std::string::npos) << v->found_in[0];
  }
  EXPECT_FALSE(trust::verify_oci_layout_image(dir, "1", make_key("EC").pub, "")) << "a third key accepted";
  // The other image has no referrers.
  auto none = trust::oci_layout_referrers(dir, tagged(dir, "2"));
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->items.empty());
  EXPECT_TRUE(none->via.empty());
  // Without the referrers index, the image is unsigned, and the error says where it looked.
  untag(dir, first->referrers_tag);
  auto unsigned_ = trust::verify_oci_layout_image(dir, "1", key.pub, "");
  ASSERT_FALSE(unsigned_);
  EXPECT_NE(unsigned_.error().message.find("image is not signed"), std::string::npos) << unsigned_.error().message;
  fs::remove_all(dir);
}

// The registry side, against a loopback server serving a signed layout for repository proto/app
// (the local docker-registry has no referrers API, so the API branch is shown here): with a
// referrers API, its list is used and the fallback tag is not read; where the API answers 404,
// the fallback tag is read.
TEST(Cosign, RegistryReferrersApiFirstThenTheFallbackTag) {
  auto dir = make_layout();
  auto key = make_key("EC");
  auto s = trust::sign_oci_layout_image(dir, "1", key.priv, "proto/app");
  ASSERT_TRUE(s) << s.error().describe();
  const std::string image = tagged(dir, "1");
  for (bool api : {true, false}) {
    SCOPED_TRACE(api ? "referrers API" : "fallback tag");
    bulwark::testing::LoopbackHttpServer server([&](const bulwark::testing::TestRequest& req) {
      const std::string prefix = "/v2/proto/app/";
      bulwark::testing::TestResponse notfound{404, {}, "404 page not found"};
      if (!req.target.starts_with(prefix)) return notfound;
      std::string rest = req.target.substr(prefix.size());
      auto blob = [&](const std::string& digest) -> bulwark::testing::TestResponse {
        auto b = util::read_file(dir / "blobs/sha256" / digest.substr(7), 1 << 20);
        if (!b) return {404, {}, ""};
        return {200, {{"Content-Type", "application/octet-stream"}}, *b};
      };
      if (rest.starts_with("referrers/")) {
        if (!api) return notfound;
        return blob(s->referrers_index);  // the same list a registry would build
      }
      if (rest.starts_with("blobs/")) return blob(rest.substr(6));
      if (rest.starts_with("manifests/")) {
        std::string ref = rest.substr(10);
        if (ref == s->signature_tag) return notfound;  // only the referrer is there
        if (ref.starts_with("sha256:")) return blob(ref);
        std::string d = tagged(dir, ref);
        return d.empty() ? notfound : blob(d);
      }
      return notfound;
    });
    trust::RegistryTarget t{server.host(), "proto/app", "1", "", "", "", false, std::chrono::seconds(5)};
    auto refs = trust::registry_referrers(t, image);
    ASSERT_TRUE(refs) << refs.error().describe();
    EXPECT_EQ(refs->via, api ? "referrers API" : "referrers tag " + s->referrers_tag);
    ASSERT_EQ(refs->items.size(), 1U);
    EXPECT_EQ(refs->items[0].digest, s->referrer_manifest);
    auto v = trust::verify_registry_image(t, key.pub, "proto/app");
    ASSERT_TRUE(v) << v.error().describe();
    ASSERT_EQ(v->found_in.size(), 1U);
    EXPECT_NE(v->found_in[0].find(api ? "(referrers API)" : "(referrers tag "), std::string::npos) << v->found_in[0];
    bool read_fallback = false;
    for (const auto& r : server.requests()) read_fallback |= r.target.ends_with("/manifests/" + s->referrers_tag);
    EXPECT_EQ(read_fallback, !api);
    EXPECT_FALSE(trust::verify_registry_image(t, make_key("EC").pub, "")) << "another key accepted";
  }
  fs::remove_all(dir);
}

// ---- attestations: building, attaching, finding by tag and by referrer ----------------------

TEST(Attest, StatementV1NamesTheManifestDigestAndCarriesThePredicate) {
  const std::string digest = "sha256:" + std::string(64, 'c');
  auto st = trust::make_in_toto_statement("127.0.0.1:5000/app", digest, trust::kCycloneDxPredicateType,
                                          R"({"bomFormat":"CycloneDX","specVersion":"1.5","components":[]})");
  ASSERT_TRUE(st) << st.error().describe();
  auto j = nlohmann::json::parse(*st);
  EXPECT_EQ(j["_type"], "https://in-toto.io/Statement/v1");
  ASSERT_EQ(j["subject"].size(), 1U);
  EXPECT_EQ(j["subject"][0]["name"], "127.0.0.1:5000/app");
  EXPECT_EQ(j["subject"][0]["digest"]["sha256"], std::string(64, 'c'));
  EXPECT_EQ(j["predicateType"], "https://cyclonedx.org/bom");
  EXPECT_EQ(j["predicate"]["bomFormat"], "CycloneDX");
  EXPECT_FALSE(trust::make_in_toto_statement("a", "sha256:abc", "https://x/y", "{}")) << "short digest";
  EXPECT_FALSE(trust::make_in_toto_statement("a", digest, "cyclonedx", "{}")) << "type not a URI";
  EXPECT_FALSE(trust::make_in_toto_statement("a", digest, "https://x/y", "[1]")) << "predicate not an object";
  EXPECT_FALSE(trust::make_in_toto_statement("a", digest, "https://x/y", "{")) << "predicate not JSON";
}

TEST(Attest, InALayoutFoundByTheAttTagAndByTheReferrer) {
  auto dir = make_layout();
  auto key = make_key("EC");
  const std::string type(trust::kCycloneDxPredicateType);
  auto a = trust::attest_oci_layout_image(dir, "1", "r.example/app", type, R"({"bomFormat":"CycloneDX"})", key.priv);
  ASSERT_TRUE(a) << a.error().describe();
  const std::string image = tagged(dir, "1");
  EXPECT_EQ(a->manifest_digest, image);
  EXPECT_EQ(a->attestation_tag, "sha256-" + image.substr(7) + ".att");
  EXPECT_EQ(tagged(dir, a->attestation_tag), a->attestation_manifest);
  // cosign's layout of the .att manifest: one DSSE layer with the predicateType annotation.
  auto am = nlohmann::json::parse(*util::read_file(dir / "blobs/sha256" / a->attestation_manifest.substr(7), 1 << 20));
  ASSERT_EQ(am["layers"].size(), 1U);
  EXPECT_EQ(am["layers"][0]["mediaType"], trust::kDsseEnvelopeMediaType);
  EXPECT_EQ(am["layers"][0]["annotations"]["predicateType"], type);
  EXPECT_EQ(am["layers"][0]["digest"], a->envelope);
  // The referrer: in-toto artifact type, subject the image, listed in the referrers index.
  auto rm = nlohmann::json::parse(*util::read_file(dir / "blobs/sha256" / a->referrer_manifest.substr(7), 1 << 20));
  EXPECT_EQ(rm["artifactType"], trust::kAttestationArtifact);
  EXPECT_EQ(rm["subject"]["digest"], image);
  EXPECT_EQ(rm["annotations"][std::string(trust::kReferrerPredicateTypeAnnotation)], type);
  EXPECT_EQ(tagged(dir, a->referrers_tag), a->referrers_index);

  auto v = trust::verify_oci_layout_attestations(dir, "1", type, key.pub);
  ASSERT_TRUE(v) << v.error().describe();
  EXPECT_EQ(v->checked, 1U) << "the same envelope under the tag and the referrer counts once";
  auto statement = nlohmann::json::parse(v->verified[0].statement_json);
  EXPECT_EQ(statement["predicate"]["bomFormat"], "CycloneDX");
  EXPECT_FALSE(trust::verify_oci_layout_attestations(dir, "1", type, make_key("EC").pub)) << "another key";
  EXPECT_FALSE(trust::verify_oci_layout_attestations(dir, "2", type, key.pub)) << "another image";
  EXPECT_FALSE(trust::verify_oci_layout_attestations(dir, "1", "https://slsa.dev/provenance/v1", key.pub));

  // A second attestation is added to the .att manifest, as cosign does.
  auto other = make_key("EC");
  auto b =
      trust::attest_oci_layout_image(dir, "1", "r.example/app", std::string(trust::kOpenVexPredicateType),
                                     R"({"@context":"https://openvex.dev/ns/v0.2.0","statements":[]})", other.priv);
  ASSERT_TRUE(b) << b.error().describe();
  am = nlohmann::json::parse(*util::read_file(dir / "blobs/sha256" / b->attestation_manifest.substr(7), 1 << 20));
  EXPECT_EQ(am["layers"].size(), 2U);
  auto refs = trust::oci_layout_referrers(dir, image);
  ASSERT_TRUE(refs);
  EXPECT_EQ(refs->items.size(), 2U);

  // Without the .att tag, the referrer alone is enough.
  untag(dir, a->attestation_tag);
  v = trust::verify_oci_layout_attestations(dir, "1", type, key.pub);
  ASSERT_TRUE(v) << v.error().describe();
  EXPECT_TRUE(v->verified[0].where.starts_with("referrer sha256:")) << v->verified[0].where;
  EXPECT_TRUE(trust::verify_oci_layout_attestations(dir, "1", std::string(trust::kOpenVexPredicateType), other.pub));

  // A tampered envelope (its blob rewritten under its name) is refused.
  const fs::path env = dir / "blobs/sha256" / a->envelope.substr(7);
  auto text = *util::read_file(env, 1 << 20);
  text[text.find("\"sig\":\"") + 8] ^= 1;
  write(env, text);
  EXPECT_FALSE(trust::verify_oci_layout_attestations(dir, "1", type, key.pub)) << "tampered envelope accepted";
  fs::remove_all(dir);
}

namespace {

// A small in-memory registry for repository proto/app: blob uploads (POST, then PUT with
// ?digest=), manifests by tag and digest, and, when `api`, a referrers API that answers
// manifest PUTs having a subject with OCI-Subject. Basic credentials u:p are required, or, when
// `bearer`, a token from /token (asked for with u:p) whose scope has push for writes.
class MemoryRegistry {
 public:
  MemoryRegistry(bool api, bool bearer, std::uint16_t port)
      : api_(api),
        bearer_(bearer),
        server_([this](const bulwark::testing::TestRequest& r) { return handle(r); }, port) {}
  std::string host() const { return server_.host(); }
  void put_blob(const std::string& b) {
    std::lock_guard lock(mu_);
    blobs_["sha256:" + util::sha256_hex(b)] = b;
  }
  void put_manifest(const std::string& tag, const std::string& m) {
    std::lock_guard lock(mu_);
    const std::string d = "sha256:" + util::sha256_hex(m);
    manifests_[d] = m;
    tags_[tag] = d;
  }
  std::string tag(const std::string& t) {
    std::lock_guard lock(mu_);
    return tags_.contains(t) ? tags_[t] : "";
  }
  std::string manifest(const std::string& d) {
    std::lock_guard lock(mu_);
    return manifests_.contains(d) ? manifests_[d] : "";
  }
  std::vector<bulwark::testing::TestRequest> requests() const { return server_.requests(); }

 private:
  bulwark::testing::TestResponse handle(const bulwark::testing::TestRequest& r) {
    std::lock_guard lock(mu_);
    const bulwark::testing::TestResponse notfound{404, {}, R"({"errors":[{"code":"NOT_FOUND"}]})"};
    const std::string auth = r.headers.count("authorization") ? r.headers.at("authorization") : "";
    if (bearer_ && r.target.starts_with("/token?")) {
      if (auth != "Basic dTpw") return {401, {}, ""};
      const bool push =
          r.target.find("pull%2Cpush") != std::string::npos || r.target.find("pull,push") != std::string::npos;
      return {200, {}, push ? R"({"token":"tok-push"})" : R"({"token":"tok-pull"})"};
    }
    const bool write = r.method == "POST" || r.method == "PUT";
    if (bearer_ ? !(auth == "Bearer tok-push" || (!write && auth == "Bearer tok-pull")) : auth != "Basic dTpw") {
      const std::string host = r.headers.count("host") ? r.headers.at("host") : "";
      return {401,
              {{"WWW-Authenticate",
                bearer_ ? "Bearer realm=\"http://" + host + "/token\",service=\"test\"" : "Basic realm=\"test\""}},
              ""};
    }
    const std::string prefix = "/v2/proto/app/";
    if (!r.target.starts_with(prefix)) return notfound;
    std::string rest = r.target.substr(prefix.size());
    if (rest == "blobs/uploads/" && r.method == "POST")
      return {202, {{"Location", "/v2/proto/app/blobs/uploads/u" + std::to_string(++uploads_) + "?state=x"}}, ""};
    if (rest.starts_with("blobs/uploads/") && r.method == "PUT") {
      const std::string d = rest.substr(rest.find("digest=") + 7);
      const std::string got = "sha256:" + util::sha256_hex(r.body);
      if (util::url_encode(got) != d && got != d) return {400, {}, R"({"errors":[{"code":"DIGEST_INVALID"}]})"};
      blobs_[got] = r.body;
      return {201, {{"Docker-Content-Digest", got}}, ""};
    }
    if (rest.starts_with("blobs/")) {
      auto it = blobs_.find(rest.substr(6));
      if (it == blobs_.end()) return notfound;
      return {200, {{"Content-Length", std::to_string(it->second.size())}}, r.method == "HEAD" ? "" : it->second};
    }
    if (rest.starts_with("manifests/")) {
      const std::string ref = rest.substr(10);
      if (r.method == "PUT") {
        const std::string d = "sha256:" + util::sha256_hex(r.body);
        manifests_[d] = r.body;
        if (!ref.starts_with("sha256:")) tags_[ref] = d;
        std::vector<std::pair<std::string, std::string>> h{{"Docker-Content-Digest", d}};
        auto j = nlohmann::json::parse(r.body, nullptr, false);
        if (api_ && j.is_object() && j.contains("subject")) h.emplace_back("OCI-Subject", j["subject"]["digest"]);
        return {201, h, ""};
      }
      const std::string d = ref.starts_with("sha256:") ? ref : (tags_.contains(ref) ? tags_[ref] : "");
      if (!manifests_.contains(d)) return notfound;
      return {200, {{"Content-Type", "application/vnd.oci.image.manifest.v1+json"}}, manifests_[d]};
    }
    if (rest.starts_with("referrers/")) {
      if (!api_) return notfound;
      nlohmann::json ms = nlohmann::json::array();
      for (const auto& [d, m] : manifests_) {
        auto j = nlohmann::json::parse(m, nullptr, false);
        if (!j.is_object() || !j.contains("subject") || j["subject"]["digest"] != rest.substr(10)) continue;
        ms.push_back({{"mediaType", j["mediaType"]},
                      {"artifactType", j.value("artifactType", "")},
                      {"digest", d},
                      {"size", m.size()}});
      }
      return {200,
              {{"Content-Type", "application/vnd.oci.image.index.v1+json"}},
              nlohmann::json{
                  {"schemaVersion", 2}, {"mediaType", "application/vnd.oci.image.index.v1+json"}, {"manifests", ms}}
                  .dump()};
    }
    return notfound;
  }

  bool api_, bearer_;
  std::mutex mu_;
  std::map<std::string, std::string> blobs_, manifests_, tags_;
  int uploads_ = 0;
  bulwark::testing::LoopbackHttpServer server_;  // last: stops before the maps go
};

}  // namespace

// bulwark sign and attest straight into a registry: blobs uploaded (POST + PUT), the .sig and
// .att manifests pushed under cosign's tags, referrers listed by the registry's referrers API
// when it answers OCI-Subject, else in the referrers tag index; then verified from there. Basic
// credentials, or a token service (Bearer challenge, a push-scoped token for the writes).
TEST(Cosign, SignAndAttestIntoARegistryWithAndWithoutAReferrersApi) {
  auto dir = make_layout();
  const std::string image = tagged(dir, "1");
  auto key = make_key("EC");
  std::uint16_t port = 5150;
  for (auto [api, bearer] : {std::pair{true, false}, std::pair{false, false}, std::pair{false, true}}) {
    SCOPED_TRACE(std::string(api ? "referrers API" : "referrers tag") + (bearer ? ", token auth" : ", basic auth"));
    MemoryRegistry reg(api, bearer, port++);
    const std::string manifest = *util::read_file(dir / "blobs/sha256" / image.substr(7), 1 << 20);
    auto mj = nlohmann::json::parse(manifest);
    reg.put_blob(*util::read_file(dir / "blobs/sha256" / mj["config"]["digest"].get<std::string>().substr(7), 1 << 20));
    reg.put_manifest("1", manifest);
    trust::RegistryTarget t{reg.host(), "proto/app", "1", "", "u", "p", false, std::chrono::seconds(5)};

    auto s = trust::sign_registry_image(t, key.priv, reg.host() + "/proto/app");
    ASSERT_TRUE(s) << s.error().describe();
    EXPECT_EQ(s->manifest_digest, image);
    EXPECT_EQ(reg.tag(s->signature_tag), s->signature_manifest);
    EXPECT_EQ(s->referrers_via, api ? "referrers API" : "referrers tag sha256-" + image.substr(7));
    EXPECT_EQ(reg.tag("sha256-" + image.substr(7)).empty(), api) << "the fallback index only without an API";
    // A second signature is appended to the .sig manifest.
    auto other = make_key("EC");
    ASSERT_TRUE(trust::sign_registry_image(t, other.priv, reg.host() + "/proto/app"));
    EXPECT_EQ(nlohmann::json::parse(reg.manifest(reg.tag(s->signature_tag)))["layers"].size(), 2U);
    auto v = trust::verify_registry_image(t, key.pub, reg.host() + "/proto/app");
    ASSERT_TRUE(v) << v.error().describe();
    EXPECT_EQ(v->found_in.size(), 2U) << "found under the tag and as a referrer";

    const std::string type(trust::kCycloneDxPredicateType);
    auto a = trust::attest_registry_image(t, "proto/app", type, R"({"bomFormat":"CycloneDX"})", key.priv);
    ASSERT_TRUE(a) << a.error().describe();
    EXPECT_EQ(reg.tag(a->attestation_tag), a->attestation_manifest);
    auto av = trust::verify_registry_attestations(t, type, key.pub);
    ASSERT_TRUE(av) << av.error().describe();
    EXPECT_FALSE(trust::verify_registry_attestations(t, type, make_key("EC").pub)) << "another key";
    // Only POST/PUT/HEAD/GET; with a token service, a push token was asked for with the credentials.
    bool push_token = false;
    for (const auto& r : reg.requests()) {
      EXPECT_TRUE(r.method == "GET" || r.method == "HEAD" || r.method == "POST" || r.method == "PUT") << r.method;
      push_token |= r.target.starts_with("/token?") && r.target.find("proto%2Fapp%3Apull%2Cpush") != std::string::npos;
      push_token |= r.target.starts_with("/token?") && r.target.find("proto/app:pull,push") != std::string::npos;
    }
    EXPECT_EQ(push_token, bearer);
    trust::RegistryTarget wrong = t;
    wrong.password = "nope";
    auto refused = trust::sign_registry_image(wrong, key.priv, "x");
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().describe().find("nope"), std::string::npos);
  }
  fs::remove_all(dir);
}

// What is already tagged sha256-<hex>.sig is kept: a second signature is a second layer, and
// something there that is not an image manifest is refused, not overwritten.
TEST(Cosign, SignAppendsToTheSigManifestAndRefusesToOverwriteSomethingElse) {
  auto dir = make_layout();
  auto key = make_key("EC");
  auto first = trust::sign_oci_layout_image(dir, "1", key.priv, "r/a");
  ASSERT_TRUE(first) << first.error().describe();
  auto again = trust::sign_oci_layout_image(dir, "1", make_key("ED25519").priv, "r/a");
  ASSERT_TRUE(again) << again.error().describe();
  auto sm =
      nlohmann::json::parse(*util::read_file(dir / "blobs/sha256" / again->signature_manifest.substr(7), 1 << 20));
  ASSERT_EQ(sm["layers"].size(), 2U);
  EXPECT_EQ(sm["layers"][0], nlohmann::json::parse(*util::read_file(
                                 dir / "blobs/sha256" / first->signature_manifest.substr(7), 1 << 20))["layers"][0]);
  EXPECT_EQ(sm["config"]["mediaType"], "application/vnd.oci.image.config.v1+json");
  // An index under the .sig tag.
  const std::string index =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]})";
  const std::string d = util::sha256_hex(index);
  write(dir / "blobs/sha256" / d, index);
  auto ij = read_index(dir);
  for (auto& m : ij["manifests"]) {
    if (m["annotations"]["org.opencontainers.image.ref.name"] == first->signature_tag) m["digest"] = "sha256:" + d;
  }
  write(dir / "index.json", ij.dump());
  auto refused = trust::sign_oci_layout_image(dir, "1", key.priv, "r/a");
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("is not an image manifest"), std::string::npos) << refused.error().message;
  EXPECT_EQ(tagged(dir, first->signature_tag), "sha256:" + d) << "left as it was";
  fs::remove_all(dir);
}
