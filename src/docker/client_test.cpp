// The Engine API client against the real dockerd on this machine. Each test
// compares what the client returns with what the docker CLI prints for the same
// image or container. Skips only when /var/run/docker.sock does not answer.
#include "docker/client.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <thread>

#include "util/files.hpp"
#include "util/sha256.hpp"
#include "util/testing/loopback_http_server.hpp"
#include "util/testing/shell.hpp"

using namespace bulwark;
using bulwark::testing::run;
using bulwark::testing::run_line;
using bulwark::testing::shell_quote;

namespace {

constexpr const char* kSocket = "/var/run/docker.sock";

class DockerEngine : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!bulwark::testing::unix_socket_answers(kSocket)) return;
    available_ = true;
    auto dir = util::make_temp_dir(std::filesystem::temp_directory_path(), "bulwark-docker-test");
    ASSERT_TRUE(dir);
    dir_ = std::make_unique<util::ScopedDir>(*dir);
    auto rootfs = *dir / "rootfs";
    std::filesystem::create_directories(rootfs / "etc");
    std::ofstream(rootfs / "hello.txt") << "hello from bulwark\n";
    std::ofstream(rootfs / "etc" / "os-release") << "ID=bulwarktest\n";
    image_ = "bulwark-test/docker-client:" + std::to_string(::getpid());
    auto tar = *dir / "rootfs.tar";
    ASSERT_EQ(run("tar -C " + shell_quote(rootfs.string()) + " -cf " + shell_quote(tar.string()) + " .").exit_code, 0);
    auto imp = run("docker import " + shell_quote(tar.string()) + " " + image_ + " 2>&1");
    ASSERT_EQ(imp.exit_code, 0) << imp.output;
  }
  static void TearDownTestSuite() {
    if (!available_) return;
    (void)run("docker rm -f bulwark-test-ctr-" + std::to_string(::getpid()) + " >/dev/null 2>&1");
    (void)run("docker rmi -f " + image_ + " >/dev/null 2>&1");
    dir_.reset();
  }
  void SetUp() override {
    if (!available_) GTEST_SKIP() << "no Docker engine answers on " << kSocket << " (run scripts/start-services.sh)";
  }

  static inline bool available_ = false;
  static inline std::unique_ptr<util::ScopedDir> dir_;
  static inline std::string image_;
};

}  // namespace

TEST_F(DockerEngine, PingAndVersionMatchTheCli) {
  auto client = docker::Client::connect();
  ASSERT_TRUE(client) << client.error().describe();
  EXPECT_EQ(client->docker_host(), "unix:///var/run/docker.sock");
  ASSERT_TRUE(client->ping());
  auto v = client->version();
  ASSERT_TRUE(v) << v.error().describe();
  EXPECT_EQ(v->version, run_line("docker version --format '{{.Server.Version}}'"));
  EXPECT_EQ(v->api_version, run_line("docker version --format '{{.Server.APIVersion}}'"));
  EXPECT_EQ(v->os, "linux");
}

TEST_F(DockerEngine, InspectImageByNameAndId) {
  auto client = docker::Client::connect("unix:///var/run/docker.sock");
  ASSERT_TRUE(client);
  auto by_name = client->inspect_image(image_);
  ASSERT_TRUE(by_name) << by_name.error().describe();
  auto id = run_line("docker image inspect --format '{{.Id}}' " + image_);
  ASSERT_TRUE(id.starts_with("sha256:"));
  EXPECT_EQ((*by_name)["Id"], id);
  EXPECT_EQ((*by_name)["RootFS"]["Layers"][0],
            run_line("docker image inspect --format '{{index .RootFS.Layers 0}}' " + image_));
  EXPECT_EQ((*by_name)["RepoTags"][0], image_);

  auto by_id = client->inspect_image(id);
  ASSERT_TRUE(by_id) << by_id.error().describe();
  EXPECT_EQ((*by_id)["Id"], id);
}

TEST_F(DockerEngine, MissingImageIsNotFound) {
  auto client = docker::Client::connect();
  ASSERT_TRUE(client);
  auto res = client->inspect_image("bulwark-test/does-not-exist:never");
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error().code, ErrorCode::not_found);
  EXPECT_NE(res.error().describe().find("bulwark-test/does-not-exist:never"), std::string::npos);

  auto dir = util::make_temp_dir(std::filesystem::temp_directory_path(), "bulwark-export");
  ASSERT_TRUE(dir);
  util::ScopedDir cleanup(*dir);
  auto st = client->export_image("bulwark-test/does-not-exist:never", *dir / "x.tar");
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::not_found);
  EXPECT_FALSE(std::filesystem::exists(*dir / "x.tar"));
}

TEST_F(DockerEngine, ExportIsTheImageAsDockerSaveWritesIt) {
  auto client = docker::Client::connect();
  ASSERT_TRUE(client);
  auto dir = util::make_temp_dir(std::filesystem::temp_directory_path(), "bulwark-export");
  ASSERT_TRUE(dir);
  util::ScopedDir cleanup(*dir);
  auto tar = *dir / "image.tar";
  std::uint64_t last = 0;
  auto st = client->export_image(image_, tar, [&](std::uint64_t n) { last = n; });
  ASSERT_TRUE(st) << st.error().describe();
  EXPECT_EQ(last, std::filesystem::file_size(tar));

  auto manifest = nlohmann::json::parse(run("tar -xOf " + shell_quote(tar.string()) + " manifest.json").output);
  ASSERT_TRUE(manifest.is_array());
  ASSERT_EQ(manifest.size(), 1u);
  auto id = run_line("docker image inspect --format '{{.Id}}' " + image_);
  EXPECT_NE(manifest[0]["Config"].get<std::string>().find(id.substr(7)), std::string::npos);
  EXPECT_EQ(manifest[0]["RepoTags"][0], image_);
  // The one layer is the tar we imported: its digest is the image's diffID and it holds our file.
  auto layer = manifest[0]["Layers"][0].get<std::string>();
  auto diff_id = run_line("docker image inspect --format '{{index .RootFS.Layers 0}}' " + image_);
  EXPECT_EQ("sha256:" + run_line("tar -xOf " + shell_quote(tar.string()) + " " + shell_quote(layer) +
                                 " | sha256sum | cut -d' ' -f1"),
            diff_id);
  auto listing = run("tar -xOf " + shell_quote(tar.string()) + " " + shell_quote(layer) + " | tar -t").output;
  EXPECT_NE(listing.find("hello.txt"), std::string::npos);
}

TEST_F(DockerEngine, ListsAndInspectsContainers) {
  auto name = "bulwark-test-ctr-" + std::to_string(::getpid());
  auto created = run("docker create --name " + name + " " + image_ + " /hello.txt 2>&1");
  ASSERT_EQ(created.exit_code, 0) << created.output;
  auto id = run_line("docker inspect --format '{{.Id}}' " + name);
  auto client = docker::Client::connect();
  ASSERT_TRUE(client);

  auto all = client->list_containers(docker::ContainerSet::all);
  ASSERT_TRUE(all) << all.error().describe();
  bool listed = false;
  for (const auto& c : *all) listed = listed || c["Id"] == id;
  EXPECT_TRUE(listed);
  auto running = client->list_containers();
  ASSERT_TRUE(running) << running.error().describe();
  for (const auto& c : *running) EXPECT_NE(c["Id"], id) << "a created container is not running";

  auto by_name = client->inspect_container(name);
  ASSERT_TRUE(by_name) << by_name.error().describe();
  EXPECT_EQ((*by_name)["Id"], id);
  EXPECT_EQ((*by_name)["Config"]["Image"], image_);
  EXPECT_EQ((*by_name)["State"]["Status"], run_line("docker inspect --format '{{.State.Status}}' " + name));
  auto missing = client->inspect_container("bulwark-test-no-such-container");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::not_found);
}

TEST(DockerClient, AbsentEngineNamesTheSocket) {
  auto client = docker::Client::connect("unix:///tmp/bulwark-no-such-docker.sock");
  ASSERT_TRUE(client);
  auto st = client->ping();
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::network);
  EXPECT_NE(st.error().message.find("unix:///tmp/bulwark-no-such-docker.sock"), std::string::npos);
  EXPECT_NE(st.error().message.find("dockerd"), std::string::npos);
}

TEST(DockerClient, RejectsUnsupportedHosts) {
  EXPECT_EQ(docker::Client::connect("ssh://host").error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(docker::Client::connect("unix://relative.sock").error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(docker::Client::connect("tcp://").error().code, ErrorCode::invalid_argument);
  EXPECT_TRUE(docker::Client::connect("tcp://127.0.0.1:2375"));
}

TEST_F(DockerEngine, EventStreamFollowsContainersAndStopsWhenCancelled) {
  auto client = docker::Client::connect();
  ASSERT_TRUE(client);
  std::mutex mu;
  std::vector<nlohmann::json> seen;
  std::atomic<bool> cancel{false};
  Status result;
  std::thread reader([&] {
    docker::EventStreamOptions o;
    o.filters = R"({"type":["container"]})";
    o.cancel = [&] { return cancel.load(); };
    result = client->stream_events(o, [&](std::string_view json) -> Status {
      std::lock_guard lock(mu);
      seen.push_back(nlohmann::json::parse(json));
      return {};
    });
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the request is on its way
  auto name = "bulwark-test-events-" + std::to_string(::getpid());
  auto created = run("docker create --name " + name + " " + image_ + " /hello.txt 2>&1");
  ASSERT_EQ(created.exit_code, 0) << created.output;
  auto id = run_line("docker inspect --format '{{.Id}}' " + name);
  ASSERT_EQ(run("docker rename " + name + " " + name + "-b && docker rm " + name + "-b >/dev/null").exit_code, 0);
  auto has = [&](const std::string& action) {
    std::lock_guard lock(mu);
    for (const auto& e : seen)
      if (e.value("Action", "") == action && e["Actor"].value("ID", "") == id) return true;
    return false;
  };
  for (int i = 0; i < 100 && !has("destroy"); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_TRUE(has("create"));
  EXPECT_TRUE(has("rename"));
  EXPECT_TRUE(has("destroy"));
  {
    std::lock_guard lock(mu);
    for (const auto& e : seen) EXPECT_EQ(e.value("Type", ""), "container") << e.dump();
  }
  // The stream is idle now; cancelling must end it within about a second.
  auto t0 = std::chrono::steady_clock::now();
  cancel = true;
  reader.join();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(3));
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("cancelled"), std::string::npos) << result.error().describe();
}

TEST(DockerClient, EventStreamSplitsObjectsAndBoundsTheirSize) {
  const std::string ev1 = R"({"Type":"container","Action":"create","Actor":{"ID":"a"}})";
  const std::string ev2 = R"({"Type":"container","Action":"start","Actor":{"ID":"b"}})";
  const std::string ev3 = R"({"Type":"container","Action":"destroy","Actor":{"ID":"c"}})";
  std::string target;
  std::string body = ev1 + "\n\n" + ev2 + "\r\n" + ev3;  // a blank line, CRLF, no final newline
  bulwark::testing::LoopbackHttpServer server([&](const bulwark::testing::TestRequest& req) {
    target = req.target;
    return bulwark::testing::TestResponse{200, {{"Content-Type", "application/json"}}, body};
  });
  auto client = docker::Client::connect("tcp://" + server.host());
  ASSERT_TRUE(client);
  std::vector<std::string> got;
  docker::EventStreamOptions o;
  o.filters = R"({"type":["container"]})";
  o.since = "1700000000.5";
  auto st = client->stream_events(o, [&](std::string_view json) -> Status {
    got.emplace_back(json);
    return {};
  });
  ASSERT_TRUE(st) << st.error().describe();
  EXPECT_EQ(got, (std::vector<std::string>{ev1, ev2, ev3}));
  EXPECT_EQ(target, "/events?filters=%7B%22type%22%3A%5B%22container%22%5D%7D&since=1700000000.5");

  // One object past the bound: the ones before it arrive, then a clear limit error.
  body = ev1 + "\n" + std::string(docker::Client::kMaxEventBytes + 10, 'x') + "\n" + ev2 + "\n";
  got.clear();
  st = client->stream_events(o, [&](std::string_view json) -> Status {
    got.emplace_back(json);
    return {};
  });
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::limit);
  EXPECT_NE(st.error().message.find("larger than 1048576 bytes"), std::string::npos) << st.error().describe();
  EXPECT_EQ(got, std::vector<std::string>{ev1});
}

TEST(DockerClient, EventStreamErrorsCarryTheEngineMessage) {
  bulwark::testing::LoopbackHttpServer server([](const bulwark::testing::TestRequest&) {
    return bulwark::testing::TestResponse{400, {}, R"({"message":"invalid filter 'typo'"})"};
  });
  auto client = docker::Client::connect("tcp://" + server.host());
  ASSERT_TRUE(client);
  auto st = client->stream_events({}, [](std::string_view) -> Status { return {}; });
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("invalid filter 'typo'"), std::string::npos) << st.error().describe();
}

TEST(DockerClient, CancelEndsAPendingRequest) {
  bulwark::testing::LoopbackHttpServer server([](const bulwark::testing::TestRequest&) {
    std::this_thread::sleep_for(std::chrono::seconds(3));  // an engine that does not answer
    return bulwark::testing::TestResponse{200, {}, R"({"Id":"x"})"};
  });
  auto client = docker::Client::connect("tcp://" + server.host());
  ASSERT_TRUE(client);
  auto t0 = std::chrono::steady_clock::now();
  client->set_cancel([&] { return std::chrono::steady_clock::now() - t0 > std::chrono::milliseconds(300); });
  auto res = client->inspect_container("x");
  ASSERT_FALSE(res);
  EXPECT_NE(res.error().message.find("cancelled"), std::string::npos) << res.error().describe();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(2500));
}
