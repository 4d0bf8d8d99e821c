// PROTOCOL TESTS of the registry transport against a loopback HTTP server in
// this process (src/util/testing), for the steps the real docker-registry on
// this machine cannot show: the Bearer token flow (Debian's registry has no
// token server), blob redirects to another host, and a registry that lies
// (digests that do not match, oversized documents). The server speaks the OCI
// distribution API for one repository, proto/app; the image it serves is data
// made here, not a real image. Real-registry tests are in registry_test.cpp.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "image/registry.hpp"
#include "image/transports.hpp"
#include "util/files.hpp"
#include "util/sha256.hpp"
#include "util/stream.hpp"
#include "util/testing/loopback_http_server.hpp"

using namespace bulwark;
using bulwark::testing::LoopbackHttpServer;
using bulwark::testing::TestRequest;
using bulwark::testing::TestResponse;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr const char* kUser = "alice";
constexpr const char* kPassword = "pw-9f3k2-secret";
constexpr const char* kToken = "tok-7c1d0e";

std::string b64(const std::string& s) {
  std::string out(4 * ((s.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(s.data()), static_cast<int>(s.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string digest_of(const std::string& s) {
  return "sha256:" + util::sha256_hex(s);
}

class TokenRegistry : public ::testing::Test {
 protected:
  void SetUp() override {
    layer_ = std::string(3000, 'L') + "layer bytes as stored";
    config_ =
        json{{"architecture", "amd64"},
             {"os", "linux"},
             {"rootfs", {{"type", "layers"}, {"diff_ids", {digest_of("uncompressed")}}}},
             {"history", {{{"created_by", "an empty step"}, {"empty_layer", true}}, {{"created_by", "COPY app /app"}}}}}
            .dump();
    manifest_ = json{{"schemaVersion", 2},
                     {"mediaType", "application/vnd.docker.distribution.manifest.v2+json"},
                     {"config",
                      {{"mediaType", "application/vnd.docker.container.image.v1+json"},
                       {"digest", digest_of(config_)},
                       {"size", config_.size()}}},
                     {"layers",
                      {{{"mediaType", "application/vnd.docker.image.rootfs.diff.tar.gzip"},
                        {"digest", digest_of(layer_)},
                        {"size", layer_.size()}}}}}
                    .dump();

    storage_ = std::make_unique<LoopbackHttpServer>([this](const TestRequest& req) {
      if (req.headers.count("authorization")) return TestResponse{400, {}, "credentials sent to storage"};
      if (req.target.starts_with("/storage/layer")) return TestResponse{200, {}, served_layer_};
      return TestResponse{404, {}, ""};
    });
    registry_ = std::make_unique<LoopbackHttpServer>([this](const TestRequest& req) { return serve(req); });
    port_ = registry_->port();
    served_layer_ = layer_;

    auto dir = util::make_temp_dir(fs::temp_directory_path(), "bulwark-proto-test");
    ASSERT_TRUE(dir);
    work_ = std::make_unique<util::ScopedDir>(*dir);
    ctx_.cache_dir = *dir / "cache";
  }

  TestResponse serve(const TestRequest& req) {
    const std::string realm = "http://127.0.0.1:" + std::to_string(port_.load()) + "/token";
    if (req.target.starts_with("/token")) {
      auto auth = req.headers.count("authorization") ? req.headers.at("authorization") : "";
      if (auth != "Basic " + b64(std::string(kUser) + ":" + kPassword)) return TestResponse{401, {}, "{}"};
      return TestResponse{200, {{"Content-Type", "application/json"}}, json{{"access_token", kToken}}.dump()};
    }
    auto auth = req.headers.count("authorization") ? req.headers.at("authorization") : "";
    if (auth != std::string("Bearer ") + kToken) {
      std::string challenge = "Bearer realm=\"" + realm + "\",service=\"proto-registry\"";
      if (req.target != "/v2/") challenge += ",scope=\"repository:proto/app:pull\"";
      return TestResponse{401, {{"WWW-Authenticate", challenge}}, R"({"errors":[{"code":"UNAUTHORIZED"}]})"};
    }
    if (req.target == "/v2/") return TestResponse{200, {}, "{}"};
    const std::string manifests = "/v2/proto/app/manifests/";
    const std::string blobs = "/v2/proto/app/blobs/";
    const std::string type = "application/vnd.docker.distribution.manifest.v2+json";
    if (req.target == manifests + "v1" || req.target == manifests + digest_of(manifest_)) {
      return TestResponse{200, {{"Content-Type", type}, {"Docker-Content-Digest", digest_of(manifest_)}}, manifest_};
    }
    if (req.target == manifests + "artifact") {
      auto artifact = json::parse(manifest_);
      artifact["mediaType"] = "application/vnd.oci.image.manifest.v1+json";
      artifact["config"]["mediaType"] = "application/vnd.cncf.helm.config.v1+json";
      return TestResponse{200, {{"Content-Type", "application/vnd.oci.image.manifest.v1+json"}}, artifact.dump()};
    }
    if (req.target == manifests + "deep") {
      std::string deep =
          "{\"mediaType\":\"" + type + "\",\"x\":" + std::string(5000, '[') + std::string(5000, ']') + "}";
      return TestResponse{200, {{"Content-Type", type}}, deep};
    }
    if (req.target == manifests + "lying-header") {
      return TestResponse{
          200, {{"Content-Type", type}, {"Docker-Content-Digest", digest_of("something else")}}, manifest_};
    }
    if (req.target.starts_with(manifests + "sha256:")) {
      // Whatever digest is asked for, this registry sends the v1 manifest.
      return TestResponse{200, {{"Content-Type", type}}, manifest_};
    }
    if (req.target == blobs + digest_of(config_)) return TestResponse{200, {}, config_};
    if (req.target == blobs + digest_of(layer_)) {
      // Like registries backed by object storage: the blob is elsewhere, on another host.
      return TestResponse{
          307, {{"Location", "http://localhost:" + std::to_string(storage_->port()) + "/storage/layer?sig=abc"}}, ""};
    }
    return TestResponse{404, {}, R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]})"};
  }

  image::Reference ref(const std::string& tag, const std::string& digest = "") const {
    image::Reference r;
    r.transport = image::Transport::registry;
    r.registry = registry_->host();
    r.repository = "proto/app";
    r.tag = tag;
    r.digest = digest;
    return r;
  }
  static image::SourceOptions options(const std::string& password = kPassword) {
    image::SourceOptions o;
    o.username = kUser;
    o.password = password;
    o.tls_verify = image::TlsVerify::no;  // the loopback server speaks plain HTTP
    o.platform = "linux/amd64";
    return o;
  }

  std::string layer_, config_, manifest_, served_layer_;
  std::atomic<int> port_{0};
  std::unique_ptr<LoopbackHttpServer> storage_;
  std::unique_ptr<LoopbackHttpServer> registry_;
  std::unique_ptr<util::ScopedDir> work_;
  core::Context ctx_;
};

}  // namespace

TEST_F(TokenRegistry, BearerTokenFlowAndRedirectedBlob) {
  auto src = image::open_registry(ref("v1"), options(), ctx_);
  ASSERT_TRUE(src) << src.error().describe();
  const auto& info = (*src)->info();
  EXPECT_EQ(info.manifest_digest, digest_of(manifest_));
  EXPECT_EQ(info.config_digest, digest_of(config_));
  ASSERT_EQ(info.layers.size(), 1u);
  EXPECT_EQ(info.layers[0].diff_id, digest_of("uncompressed"));
  EXPECT_EQ(info.layers[0].created_by, "COPY app /app");  // the empty_layer step is skipped
  EXPECT_EQ((*src)->config_json(), config_);

  auto stream = (*src)->open_layer(0);
  ASSERT_TRUE(stream) << stream.error().describe();
  auto data = util::read_all(**stream, 1 << 20, "layer");
  ASSERT_TRUE(data) << data.error().describe();
  EXPECT_EQ(*data, layer_);
  EXPECT_TRUE(fs::exists(ctx_.cache_dir / "blobs" / "sha256" / util::sha256_hex(layer_)));

  // The token was asked for with the challenge's service and scope and Basic credentials.
  bool token_asked = false;
  for (const auto& r : registry_->requests()) {
    if (!r.target.starts_with("/token")) continue;
    token_asked = true;
    EXPECT_NE(r.target.find("service=proto-registry"), std::string::npos) << r.target;
    EXPECT_NE(r.target.find("scope=repository:proto/app:pull"), std::string::npos) << r.target;
  }
  EXPECT_TRUE(token_asked);
  ASSERT_EQ(storage_->requests().size(), 1u);
  EXPECT_EQ(storage_->requests()[0].headers.count("authorization"), 0u);
}

TEST_F(TokenRegistry, RejectedCredentialsAtTheTokenServiceAreAnAuthError) {
  auto src = image::open_registry(ref("v1"), options("not-the-password"), ctx_);
  ASSERT_FALSE(src);
  EXPECT_EQ(src.error().code, ErrorCode::auth);
  EXPECT_EQ(src.error().describe().find("not-the-password"), std::string::npos);
  EXPECT_EQ(src.error().describe().find(kUser), std::string::npos);
  EXPECT_EQ(src.error().describe().find(kPassword), std::string::npos);
}

TEST_F(TokenRegistry, ManifestNotMatchingThePinnedDigestIsRefused) {
  auto wanted = digest_of("another manifest");
  auto src = image::open_registry(ref("", wanted), options(), ctx_);
  ASSERT_FALSE(src);
  EXPECT_EQ(src.error().code, ErrorCode::digest_mismatch);
  EXPECT_NE(src.error().describe().find(wanted), std::string::npos);

  auto pinned = image::open_registry(ref("", digest_of(manifest_)), options(), ctx_);
  ASSERT_TRUE(pinned) << pinned.error().describe();
}

TEST_F(TokenRegistry, LyingDockerContentDigestIsRefused) {
  auto src = image::open_registry(ref("lying-header"), options(), ctx_);
  ASSERT_FALSE(src);
  EXPECT_EQ(src.error().code, ErrorCode::digest_mismatch);
}

TEST_F(TokenRegistry, ArtifactsAreNotImages) {
  auto src = image::open_registry(ref("artifact"), options(), ctx_);
  ASSERT_FALSE(src);
  EXPECT_EQ(src.error().code, ErrorCode::unsupported);
  EXPECT_NE(src.error().message.find("application/vnd.cncf.helm.config.v1+json"), std::string::npos);
}

TEST_F(TokenRegistry, CorruptBlobIsNotCached) {
  served_layer_ = layer_;
  served_layer_[10] = 'X';  // same size, other bytes
  auto src = image::open_registry(ref("v1"), options(), ctx_);
  ASSERT_TRUE(src) << src.error().describe();
  auto stream = (*src)->open_layer(0);
  ASSERT_FALSE(stream);
  EXPECT_EQ(stream.error().code, ErrorCode::digest_mismatch);
  auto dir = ctx_.cache_dir / "blobs" / "sha256";
  ASSERT_TRUE(fs::exists(dir));
  EXPECT_TRUE(fs::is_empty(dir)) << "neither the blob nor a partial file may stay";

  served_layer_ = layer_ + "trailing";  // longer than the manifest says
  auto longer = (*src)->open_layer(0);
  ASSERT_FALSE(longer);
  EXPECT_EQ(longer.error().code, ErrorCode::digest_mismatch);
  EXPECT_TRUE(fs::is_empty(dir));
}

TEST_F(TokenRegistry, DeeplyNestedManifestIsRefused) {
  auto src = image::open_registry(ref("deep"), options(), ctx_);
  ASSERT_FALSE(src);
  EXPECT_EQ(src.error().code, ErrorCode::limit);
  EXPECT_NE(src.error().message.find("nested"), std::string::npos);
}

TEST_F(TokenRegistry, ManifestOverTheDocumentLimitIsRefused) {
  ctx_.limits.max_document_bytes = 100;
  auto src = image::open_registry(ref("v1"), options(), ctx_);
  ASSERT_FALSE(src);
  EXPECT_EQ(src.error().code, ErrorCode::limit);
}

TEST(AuthChallenges, ParsesSeveralSchemesAndQuotedParams) {
  auto c = image::parse_auth_challenges(
      {R"(Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push")",
       R"(Basic realm="x y")"});
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].scheme, "bearer");
  EXPECT_EQ(c[0].params["realm"], "https://auth.example/token");
  EXPECT_EQ(c[0].params["service"], "registry.example");
  EXPECT_EQ(c[0].params["scope"], "repository:a/b:pull,push");
  EXPECT_EQ(c[1].scheme, "basic");
  EXPECT_EQ(c[1].params["realm"], "x y");

  auto two = image::parse_auth_challenges({R"(Basic realm="r1", Bearer realm="r2",service=s)"});
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[0].params["realm"], "r1");
  EXPECT_EQ(two[1].scheme, "bearer");
  EXPECT_EQ(two[1].params["service"], "s");
}

TEST(DockerConfig, ReadsAuthInEveryKeyForm) {
  auto dir = util::make_temp_dir(fs::temp_directory_path(), "bulwark-docker-config");
  ASSERT_TRUE(dir);
  util::ScopedDir cleanup(*dir);
  auto path = *dir / "config.json";
  ASSERT_TRUE(util::write_file_atomic(path, json{{"auths",
                                                  {{"https://index.docker.io/v1/", {{"auth", b64("hubuser:hubpass")}}},
                                                   {"reg.example:5000", {{"username", "u2"}, {"password", "p2"}}},
                                                   {"broken.example", {{"auth", "!!not base64!!"}}}}}}
                                                .dump()));
  auto hub = image::read_docker_config_credentials(path, "docker.io");
  ASSERT_TRUE(hub && hub->has_value());
  EXPECT_EQ((*hub)->username, "hubuser");
  EXPECT_EQ((*hub)->password, "hubpass");
  auto other = image::read_docker_config_credentials(path, "reg.example:5000");
  ASSERT_TRUE(other && other->has_value());
  EXPECT_EQ((*other)->username, "u2");
  auto none = image::read_docker_config_credentials(path, "nowhere.example");
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());
  auto broken = image::read_docker_config_credentials(path, "broken.example");
  ASSERT_FALSE(broken);
  EXPECT_EQ(broken.error().code, ErrorCode::parse);
  EXPECT_EQ(broken.error().describe().find("!!not base64!!"), std::string::npos);
  auto missing = image::read_docker_config_credentials(*dir / "absent.json", "docker.io");
  ASSERT_TRUE(missing);
  EXPECT_FALSE(missing->has_value());

  EXPECT_EQ(image::registry_api_host("docker.io"), "registry-1.docker.io");
  EXPECT_EQ(image::registry_api_host("127.0.0.1:5000"), "127.0.0.1:5000");
}
