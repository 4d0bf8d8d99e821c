// The registry transport against a REAL registry: the docker-registry that
// scripts/start-services.sh serves on 127.0.0.1:5000 with htpasswd auth. Images
// are made here (a `docker import`ed tar, and an OCI layout with a two-platform
// index assembled by hand), pushed with skopeo, and what open_registry returns
// is compared with what skopeo and docker print. Skips only when the registry,
// dockerd or skopeo is absent.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "image/registry.hpp"
#include "image/transports.hpp"
#include "util/files.hpp"
#include "util/sha256.hpp"
#include "util/stream.hpp"
#include "util/testing/shell.hpp"

using namespace bulwark;
using bulwark::testing::run;
using bulwark::testing::run_line;
using bulwark::testing::shell_quote;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr const char* kRegistry = "127.0.0.1:5000";

// Where scripts/start-services.sh keeps the registry's made-up credentials.
fs::path creds_file() {
  const char* state = std::getenv("BULWARK_E2E_STATE");
  return fs::path(state != nullptr && *state != '\0' ? state : "/tmp/bulwark-e2e-services") / "registry" / "creds";
}

// Records what a source reports, to see whether a blob was downloaded.
class RecordingProgress final : public core::Progress {
 public:
  void begin(std::string_view, std::uint64_t) override { ++begun; }
  void advance(std::uint64_t amount) override { bytes += amount; }
  void end() override {}
  void note(std::string_view) override {}
  int begun = 0;
  std::uint64_t bytes = 0;
};

std::string write_blob(const fs::path& layout, const std::string& data) {
  auto hex = util::sha256_hex(data);
  fs::create_directories(layout / "blobs" / "sha256");
  std::ofstream(layout / "blobs" / "sha256" / hex, std::ios::binary) << data;
  return "sha256:" + hex;
}

struct BuiltImage {
  std::string manifest_digest;
  std::size_t manifest_size = 0;
  std::string layer_digest;
  std::string diff_id;
};

// One single-layer OCI image whose only file is NAME, written into layout's blobs.
BuiltImage add_oci_image(const fs::path& work, const fs::path& layout, const std::string& file_name,
                         const std::string& arch, const std::string& variant) {
  auto root = work / ("root-" + arch);
  fs::create_directories(root);
  std::ofstream(root / file_name) << "built for " << arch << "\n";
  auto tar = work / ("layer-" + arch + ".tar");
  run("tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C " + shell_quote(root.string()) + " -cf " +
      shell_quote(tar.string()) + " . && gzip -n -k -f " + shell_quote(tar.string()));
  auto plain = util::read_file(tar, 1 << 20);
  auto gz = util::read_file(tar.string() + ".gz", 1 << 20);
  BuiltImage img;
  img.diff_id = "sha256:" + util::sha256_hex(*plain);
  img.layer_digest = write_blob(layout, *gz);
  json config = {{"architecture", arch},
                 {"os", "linux"},
                 {"config", json::object()},
                 {"rootfs", {{"type", "layers"}, {"diff_ids", {img.diff_id}}}},
                 {"history", {{{"created_by", "bulwark test layer for " + arch}}}}};
  if (!variant.empty()) config["variant"] = variant;
  auto config_text = config.dump();
  json manifest = {{"schemaVersion", 2},
                   {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                   {"config",
                    {{"mediaType", "application/vnd.oci.image.config.v1+json"},
                     {"digest", write_blob(layout, config_text)},
                     {"size", config_text.size()}}},
                   {"layers",
                    {{{"mediaType", "application/vnd.oci.image.layer.v1.tar+gzip"},
                      {"digest", img.layer_digest},
                      {"size", gz->size()}}}}};
  auto manifest_text = manifest.dump();
  img.manifest_digest = write_blob(layout, manifest_text);
  img.manifest_size = manifest_text.size();
  return img;
}

class Registry : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (run_line("curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:5000/v2/") != "401") {
      skip_reason_ = "no registry with auth on 127.0.0.1:5000 (run scripts/start-services.sh)";
      return;
    }
    if (run("command -v skopeo").exit_code != 0) {
      skip_reason_ = "skopeo is not installed";
      return;
    }
    if (!bulwark::testing::unix_socket_answers("/var/run/docker.sock")) {
      skip_reason_ = "no Docker engine on /var/run/docker.sock (run scripts/start-services.sh)";
      return;
    }
    auto creds = util::read_file(creds_file(), 4096);
    ASSERT_TRUE(creds) << "registry is up but its credentials file is missing: " << creds_file();
    creds_ = std::string(creds->substr(0, creds->find('\n')));
    user_ = creds_.substr(0, creds_.find(':'));
    password_ = creds_.substr(creds_.find(':') + 1);

    auto dir = util::make_temp_dir(fs::temp_directory_path(), "bulwark-registry-test");
    ASSERT_TRUE(dir);
    work_ = std::make_unique<util::ScopedDir>(*dir);
    const auto pid = std::to_string(::getpid());

    // A single-platform image: a docker-imported tar, pushed by skopeo (Docker schema 2 manifest).
    auto root = *dir / "single-root";
    fs::create_directories(root / "etc");
    std::ofstream(root / "hello.txt") << "hello registry\n";
    std::ofstream(root / "etc" / "os-release") << "ID=bulwarktest\n";
    auto tar = *dir / "single.tar";
    ASSERT_EQ(run("tar -C " + shell_quote(root.string()) + " -cf " + shell_quote(tar.string()) + " .").exit_code, 0);
    local_image_ = "bulwark-test/registry-src:" + pid;
    auto imp = run("docker import " + shell_quote(tar.string()) + " " + local_image_ + " 2>&1");
    ASSERT_EQ(imp.exit_code, 0) << imp.output;
    single_repo_ = "bulwark-test/single-" + pid;
    auto push = run("skopeo copy --quiet --dest-creds " + shell_quote(creds_) +
                    " --dest-tls-verify=false docker-daemon:" + local_image_ + " docker://" + std::string(kRegistry) +
                    "/" + single_repo_ + ":v1 2>&1");
    ASSERT_EQ(push.exit_code, 0) << push.output;

    // A two-platform OCI index assembled by hand, pushed as it is.
    auto layout = *dir / "layout";
    amd64_ = add_oci_image(*dir, layout, "amd64.txt", "amd64", "");
    arm64_ = add_oci_image(*dir, layout, "arm64.txt", "arm64", "v8");
    json index = {{"schemaVersion", 2},
                  {"mediaType", "application/vnd.oci.image.index.v1+json"},
                  {"manifests",
                   {{{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                     {"digest", amd64_.manifest_digest},
                     {"size", amd64_.manifest_size},
                     {"platform", {{"architecture", "amd64"}, {"os", "linux"}}}},
                    {{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                     {"digest", arm64_.manifest_digest},
                     {"size", arm64_.manifest_size},
                     {"platform", {{"architecture", "arm64"}, {"os", "linux"}, {"variant", "v8"}}}}}}};
    auto index_text = index.dump();
    index_digest_ = write_blob(layout, index_text);
    json top = {{"schemaVersion", 2},
                {"manifests",
                 {{{"mediaType", "application/vnd.oci.image.index.v1+json"},
                   {"digest", index_digest_},
                   {"size", index_text.size()},
                   {"annotations", {{"org.opencontainers.image.ref.name", "multi"}}}}}}};
    std::ofstream(layout / "index.json") << top.dump();
    std::ofstream(layout / "oci-layout") << R"({"imageLayoutVersion":"1.0.0"})";
    multi_repo_ = "bulwark-test/multi-" + pid;
    auto push_multi = run("skopeo copy --quiet --all --preserve-digests --dest-creds " + shell_quote(creds_) +
                          " --dest-tls-verify=false oci:" + shell_quote(layout.string()) + ":multi docker://" +
                          std::string(kRegistry) + "/" + multi_repo_ + ":v1 2>&1");
    ASSERT_EQ(push_multi.exit_code, 0) << push_multi.output;
    ready_ = true;
  }
  static void TearDownTestSuite() {
    if (!local_image_.empty()) (void)run("docker rmi -f " + local_image_ + " >/dev/null 2>&1");
    // Leave the shared registry as it was (its blobs go at its next garbage collection).
    for (const auto& repo : {single_repo_, multi_repo_}) {
      if (repo.empty() || creds_.empty()) continue;
      (void)run("skopeo delete --creds " + shell_quote(creds_) + " --tls-verify=false docker://" +
                std::string(kRegistry) + "/" + repo + ":v1 >/dev/null 2>&1");
    }
    work_.reset();
  }

  void SetUp() override {
    if (!skip_reason_.empty()) GTEST_SKIP() << skip_reason_;
    ASSERT_TRUE(ready_) << "suite setup failed";
    auto cache = util::make_temp_dir(work_->path(), "cache");
    ASSERT_TRUE(cache);
    ctx_.cache_dir = *cache;
    ctx_.progress = &progress_;
  }

  static image::Reference ref(const std::string& repo, const std::string& tag, const std::string& digest = "") {
    image::Reference r;
    r.transport = image::Transport::registry;
    r.registry = kRegistry;
    r.repository = repo;
    r.tag = tag;
    r.digest = digest;
    r.original = "docker://" + std::string(kRegistry) + "/" + repo + (tag.empty() ? "" : ":" + tag) +
                 (digest.empty() ? "" : "@" + digest);
    return r;
  }
  static image::SourceOptions with_creds(std::string platform = "") {
    image::SourceOptions o;
    o.username = user_;
    o.password = password_;
    o.tls_verify = image::TlsVerify::no;
    o.platform = std::move(platform);
    return o;
  }
  static std::string skopeo_raw(const std::string& repo_and_ref) {
    return run("skopeo inspect --raw --creds " + shell_quote(creds_) + " --tls-verify=false docker://" +
               std::string(kRegistry) + "/" + repo_and_ref)
        .output;
  }

  static inline std::string skip_reason_;
  static inline bool ready_ = false;
  static inline std::string creds_, user_, password_;
  static inline std::unique_ptr<util::ScopedDir> work_;
  static inline std::string local_image_, single_repo_, multi_repo_, index_digest_;
  static inline BuiltImage amd64_, arm64_;

  core::Context ctx_;
  RecordingProgress progress_;
};

std::string read_layer(image::ImageSource& src, std::size_t i) {
  auto stream = src.open_layer(i);
  EXPECT_TRUE(stream) << stream.error().describe();
  if (!stream) return {};
  auto data = util::read_all(**stream, 1 << 30, "layer");
  EXPECT_TRUE(data) << data.error().describe();
  return data ? *data : std::string();
}

}  // namespace

TEST_F(Registry, PullsWhatSkopeoPushed) {
  auto src = image::open_registry(ref(single_repo_, "v1"), with_creds(), ctx_);
  ASSERT_TRUE(src) << src.error().describe();
  const auto& info = (*src)->info();

  auto raw = skopeo_raw(single_repo_ + ":v1");
  ASSERT_FALSE(raw.empty());
  EXPECT_EQ(info.manifest_digest, "sha256:" + util::sha256_hex(raw));
  EXPECT_EQ(info.reference, "docker://127.0.0.1:5000/" + single_repo_ + ":v1");
  ASSERT_EQ(info.repo_tags.size(), 1u);
  EXPECT_EQ(info.repo_tags[0], "127.0.0.1:5000/" + single_repo_ + ":v1");
  ASSERT_EQ(info.repo_digests.size(), 1u);
  EXPECT_EQ(info.repo_digests[0], "127.0.0.1:5000/" + single_repo_ + "@" + info.manifest_digest);

  auto manifest = json::parse(raw);
  EXPECT_EQ(info.config_digest, manifest["config"]["digest"]);
  EXPECT_EQ("sha256:" + util::sha256_hex((*src)->config_json()), info.config_digest);
  ASSERT_EQ(info.layers.size(), manifest["layers"].size());
  ASSERT_EQ(info.layers.size(), 1u);
  EXPECT_EQ(info.layers[0].digest, manifest["layers"][0]["digest"]);
  EXPECT_EQ(info.layers[0].size, manifest["layers"][0]["size"]);
  EXPECT_EQ(info.layers[0].media_type, manifest["layers"][0]["mediaType"]);
  // The diffID is the uncompressed tar that docker imported.
  EXPECT_EQ(info.layers[0].diff_id,
            run_line("docker image inspect --format '{{index .RootFS.Layers 0}}' " + local_image_));
  EXPECT_EQ(info.os, "linux");
  EXPECT_EQ(info.architecture, run_line("docker image inspect --format '{{.Architecture}}' " + local_image_));
}

TEST_F(Registry, LayerBlobsLandVerifiedInTheCache) {
  auto src = image::open_registry(ref(single_repo_, "v1"), with_creds(), ctx_);
  ASSERT_TRUE(src) << src.error().describe();
  const auto& layer = (*src)->info().layers.at(0);
  auto hex = layer.digest.substr(7);
  auto cached = ctx_.cache_dir / "blobs" / "sha256" / hex;
  EXPECT_FALSE(fs::exists(cached));

  auto data = read_layer(**src, 0);
  EXPECT_EQ("sha256:" + util::sha256_hex(data), layer.digest);
  EXPECT_EQ(data.size(), layer.size);
  ASSERT_TRUE(fs::exists(cached));
  EXPECT_EQ(*util::sha256_file_hex(cached), hex);
  EXPECT_EQ(progress_.bytes, layer.size);
  // No partial downloads are left behind.
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(cached.parent_path())) ++files;
  EXPECT_EQ(files, 1u);
  // The uncompressed layer holds the imported file.
  auto gz = work_->path() / ("layer-" + std::to_string(::getpid()) + ".gz");
  std::ofstream(gz, std::ios::binary) << data;
  EXPECT_NE(run("gzip -dc " + shell_quote(gz.string()) + " | tar -t").output.find("hello.txt"), std::string::npos);

  // A verified cached blob is not downloaded again...
  progress_.bytes = 0;
  auto again = image::open_registry(ref(single_repo_, "v1"), with_creds(), ctx_);
  ASSERT_TRUE(again) << again.error().describe();
  EXPECT_EQ(read_layer(**again, 0), data);
  EXPECT_EQ(progress_.bytes, 0u);

  // ...but a damaged one is replaced.
  std::ofstream(cached, std::ios::binary | std::ios::trunc) << std::string(layer.size, 'x');
  EXPECT_EQ(read_layer(**again, 0), data);
  EXPECT_EQ(progress_.bytes, layer.size);
  EXPECT_EQ(*util::sha256_file_hex(cached), hex);

  auto out_of_range = (*again)->open_layer(1);
  ASSERT_FALSE(out_of_range);
  EXPECT_EQ(out_of_range.error().code, ErrorCode::invalid_argument);
}

TEST_F(Registry, PinnedDigestIsFetchedAndChecked) {
  auto digest = "sha256:" + util::sha256_hex(skopeo_raw(single_repo_ + ":v1"));
  auto src = image::open_registry(ref(single_repo_, "", digest), with_creds(), ctx_);
  ASSERT_TRUE(src) << src.error().describe();
  EXPECT_EQ((*src)->info().manifest_digest, digest);
  EXPECT_TRUE((*src)->info().repo_tags.empty());

  auto absent = image::open_registry(ref(single_repo_, "", "sha256:" + std::string(64, 'a')), with_creds(), ctx_);
  ASSERT_FALSE(absent);
  EXPECT_EQ(absent.error().code, ErrorCode::not_found);
}

TEST_F(Registry, WrongPasswordIsAnAuthErrorWithoutThePassword) {
  auto options = with_creds();
  options.password = "wrong-" + password_;
  auto src = image::open_registry(ref(single_repo_, "v1"), options, ctx_);
  ASSERT_FALSE(src);
  EXPECT_EQ(src.error().code, ErrorCode::auth);
  EXPECT_EQ(src.error().describe().find(*options.password), std::string::npos);
  EXPECT_EQ(src.error().describe().find(password_), std::string::npos);
  EXPECT_EQ(src.error().describe().find(user_), std::string::npos);
  EXPECT_NE(src.error().message.find("given credentials"), std::string::npos);
}

TEST_F(Registry, NoCredentialsIsAnAuthError) {
  auto options = with_creds();
  options.username.reset();
  options.password.reset();
  // An empty Docker config, so that this user's own logins play no part.
  auto cfg = util::make_temp_dir(work_->path(), "docker-config");
  ASSERT_TRUE(cfg);
  ASSERT_EQ(::setenv("DOCKER_CONFIG", cfg->c_str(), 1), 0);
  auto src = image::open_registry(ref(single_repo_, "v1"), options, ctx_);
  ::unsetenv("DOCKER_CONFIG");
  ASSERT_FALSE(src);
  EXPECT_EQ(src.error().code, ErrorCode::auth);
  EXPECT_NE(src.error().message.find("credentials"), std::string::npos);
}

TEST_F(Registry, CredentialsComeFromTheDockerConfig) {
  auto cfg = util::make_temp_dir(work_->path(), "docker-config");
  ASSERT_TRUE(cfg);
  auto b64 = run_line("printf %s " + shell_quote(creds_) + " | base64 -w0");
  std::ofstream(*cfg / "config.json") << json{{"auths", {{"http://127.0.0.1:5000/v1/", {{"auth", b64}}}}}}.dump();
  auto options = with_creds();
  options.username.reset();
  options.password.reset();
  ASSERT_EQ(::setenv("DOCKER_CONFIG", cfg->c_str(), 1), 0);
  auto resolved = image::resolve_credentials(kRegistry, options);
  auto src = image::open_registry(ref(single_repo_, "v1"), options, ctx_);
  ::unsetenv("DOCKER_CONFIG");
  ASSERT_TRUE(resolved) << resolved.error().describe();
  ASSERT_TRUE(resolved->has_value());
  EXPECT_EQ((*resolved)->username, user_);
  EXPECT_EQ((*resolved)->password, password_);
  EXPECT_EQ((*resolved)->origin, "credentials from " + (*cfg / "config.json").string());
  ASSERT_TRUE(src) << src.error().describe();
  EXPECT_EQ((*src)->info().layers.size(), 1u);
}

TEST_F(Registry, MissingTagIsNotFound) {
  auto src = image::open_registry(ref(single_repo_, "no-such-tag"), with_creds(), ctx_);
  ASSERT_FALSE(src);
  EXPECT_EQ(src.error().code, ErrorCode::not_found);
  EXPECT_NE(src.error().describe().find("no-such-tag"), std::string::npos);
  auto repo = image::open_registry(ref("bulwark-test/no-such-repo", "v1"), with_creds(), ctx_);
  ASSERT_FALSE(repo);
  EXPECT_EQ(repo.error().code, ErrorCode::not_found);
}

TEST_F(Registry, PlainHttpIsRefusedUnlessTlsVerifyIsOff) {
  auto options = with_creds();
  options.tls_verify = image::TlsVerify::yes;
  auto src = image::open_registry(ref(single_repo_, "v1"), options, ctx_);
  ASSERT_FALSE(src);
  EXPECT_EQ(src.error().code, ErrorCode::network);
  EXPECT_NE(src.error().message.find("tls-verify"), std::string::npos);
  EXPECT_NE(src.error().context.find("127.0.0.1:5000"), std::string::npos);
}

TEST_F(Registry, IndexIsResolvedForThePlatform) {
  auto raw_index = skopeo_raw(multi_repo_ + ":v1");
  ASSERT_EQ("sha256:" + util::sha256_hex(raw_index), index_digest_) << "skopeo changed the index on push";

  auto arm = image::open_registry(ref(multi_repo_, "v1"), with_creds("linux/arm64"), ctx_);
  ASSERT_TRUE(arm) << arm.error().describe();
  EXPECT_EQ((*arm)->info().architecture, "arm64");
  EXPECT_EQ((*arm)->info().manifest_digest, arm64_.manifest_digest);
  ASSERT_EQ((*arm)->info().layers.size(), 1u);
  EXPECT_EQ((*arm)->info().layers[0].digest, arm64_.layer_digest);
  EXPECT_EQ((*arm)->info().layers[0].diff_id, arm64_.diff_id);
  EXPECT_EQ((*arm)->info().layers[0].created_by, "bulwark test layer for arm64");
  EXPECT_EQ((*arm)->info().layers[0].media_type, "application/vnd.oci.image.layer.v1.tar+gzip");
  EXPECT_EQ((*arm)->info().repo_digests.at(0), "127.0.0.1:5000/" + multi_repo_ + "@" + index_digest_);
  EXPECT_EQ("sha256:" + util::sha256_hex(read_layer(**arm, 0)), arm64_.layer_digest);

  auto arm_v8 = image::open_registry(ref(multi_repo_, "v1"), with_creds("linux/arm64/v8"), ctx_);
  ASSERT_TRUE(arm_v8) << arm_v8.error().describe();
  EXPECT_EQ((*arm_v8)->info().manifest_digest, arm64_.manifest_digest);

  auto amd = image::open_registry(ref(multi_repo_, "v1"), with_creds("linux/amd64"), ctx_);
  ASSERT_TRUE(amd) << amd.error().describe();
  EXPECT_EQ((*amd)->info().manifest_digest, amd64_.manifest_digest);
  EXPECT_EQ((*amd)->info().layers.at(0).diff_id, amd64_.diff_id);

  auto none = image::open_registry(ref(multi_repo_, "v1"), with_creds("linux/s390x"), ctx_);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, ErrorCode::not_found);
  EXPECT_NE(none.error().message.find("linux/arm64/v8"), std::string::npos);

  auto bad = image::open_registry(ref(multi_repo_, "v1"), with_creds("amd64"), ctx_);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::invalid_argument);
}

TEST_F(Registry, DefaultPlatformIsTheHosts) {
  auto arch = run_line("docker version --format '{{.Server.Arch}}'");
  if (arch != "amd64" && arch != "arm64") GTEST_SKIP() << "the test index has no image for " << arch;
  auto src = image::open_registry(ref(multi_repo_, "v1"), with_creds(), ctx_);
  ASSERT_TRUE(src) << src.error().describe();
  EXPECT_EQ((*src)->info().architecture, arch);
}
