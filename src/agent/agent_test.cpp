// The agent against the real dockerd: a container started by the test appears in
// the inventory sent to a loopback HTTP server (the real server is exercised by
// tests/e2e/test_agent.sh); each image's SBOM is sent once, not again on the next run.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include "agent/activity.hpp"
#include "agent/agent.hpp"
#include "agent/delivery.hpp"
#include "core/diagnostics.hpp"
#include "docker/client.hpp"
#include "image/reference.hpp"
#include "report/report.hpp"
#include "scan/pipeline.hpp"
#include "util/files.hpp"
#include "util/testing/loopback_http_server.hpp"
#include "util/testing/shell.hpp"

namespace bulwark::agent {
namespace {

namespace fs = std::filesystem;

// What the Docker agent tests share: a loopback server that keeps every document the agent
// sends, the options of an agent run against it (spool and state under tmp), and a context with
// silent progress and its cache under tmp.
struct AgentRig {
  AgentRig(const fs::path& tmp, std::string host_name) {
    options.delivery.server = "http://" + server.host();
    options.delivery.token = "t";
    options.host.name = std::move(host_name);
    options.spool_dir = tmp / "spool";
    options.state_dir = tmp / "state";
    ctx.progress = progress.get();
    ctx.cache_dir = tmp / "cache";
  }
  std::mutex m;
  std::vector<nlohmann::json> docs;
  bulwark::testing::LoopbackHttpServer server{[this](const bulwark::testing::TestRequest& r) {
    std::lock_guard lock(m);
    docs.push_back(nlohmann::json::parse(r.body, nullptr, false));
    return bulwark::testing::TestResponse{201, {}, R"({"id":"1","duplicate":false})"};
  }};
  AgentOptions options;
  std::unique_ptr<core::Progress> progress = core::make_silent_progress();
  core::Context ctx;
};

TEST(AgentDocker, InventoryShowsRunningContainerAndSbomsAreSentOnce) {
  if (!bulwark::testing::unix_socket_answers("/var/run/docker.sock")) GTEST_SKIP() << "no dockerd";
  auto tmp = util::make_temp_dir(fs::temp_directory_path(), "bulwark-agent-test");
  ASSERT_TRUE(tmp);
  util::ScopedDir cleanup(*tmp);
  std::string name = "bulwark-agent-test-" + std::to_string(::getpid());
  auto started = bulwark::testing::run(
      "docker run -d --rm --name " + name +
      " --label team=agent bulwark-e2e/debian:12 sh -c 'head -c 30000000 /dev/zero > /dev/shm/x; sleep 120'");
  ASSERT_EQ(started.exit_code, 0) << started.output;
  struct Stop {
    std::string n;
    ~Stop() { (void)bulwark::testing::run("docker rm -f " + n + " >/dev/null 2>&1"); }
  } stop_container{name};

  AgentRig rig(*tmp, "agent-test-host");
  auto& m = rig.m;
  auto& docs = rig.docs;
  auto& o = rig.options;
  auto& ctx = rig.ctx;
  o.once = true;
  o.host_audit = false;
  std::atomic<bool> stop{false};
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the container has written its file
  std::vector<std::string> logs;
  auto log = [&](std::string_view l) { logs.emplace_back(l); };
  auto r = run_agent(o, ctx, stop, log);
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(r->left_in_spool, 0u);

  std::string image_id = bulwark::testing::run_line("docker image inspect -f '{{.Id}}' bulwark-e2e/debian:12");
  std::lock_guard lock(m);
  ASSERT_FALSE(docs.empty());
  const auto& inv = docs[0];
  ASSERT_EQ(inv["report"], "inventory");
  EXPECT_EQ(inv["host"]["name"], "agent-test-host");
  EXPECT_EQ(inv["host"]["engine"], "docker");
  bool found_image = false;
  for (const auto& im : inv["images"]) {
    if (im["id"] == image_id) {
      found_image = true;
      EXPECT_NE(im["repo_tags"].dump().find("bulwark-e2e/debian:12"), std::string::npos);
    }
  }
  EXPECT_TRUE(found_image);
  bool found_container = false;
  for (const auto& c : inv["containers"]) {
    if (c["name"] == name) {
      found_container = true;
      EXPECT_EQ(c["image_id"], image_id);
      EXPECT_EQ(c["state"], "running");
      EXPECT_EQ(c["labels"]["team"], "agent");
      EXPECT_EQ(c["runtime"], "docker");
      EXPECT_FALSE(c["started_at"].get<std::string>().empty());
    }
  }
  EXPECT_TRUE(found_container);
  // Activity of the running container, from its cgroup.
  bool found_activity = false;
  std::string cid = bulwark::testing::run_line("docker inspect -f '{{.Id}}' " + name);
  for (const auto& d : docs) {
    if (d.value("report", "") != "activity") continue;
    for (const auto& c : d["containers"]) {
      if (c["id"] != cid) continue;
      found_activity = true;
      EXPECT_GT(c["cpu_usage_usec"].get<std::uint64_t>(), 0u);
      EXPECT_GT(c["memory_bytes"].get<std::uint64_t>(), 1u << 20);
      EXPECT_GE(c["pids"].get<std::uint64_t>(), 1u);
    }
  }
  EXPECT_TRUE(found_activity);
  std::erase_if(docs, [](const nlohmann::json& d) { return d.value("report", "") == "activity"; });
  // One SBOM per image, with packages, the config digest as the target id, and the host.
  std::set<std::string> sbom_ids;
  bool debian_has_packages = false;
  for (std::size_t i = 1; i < docs.size(); ++i) {
    ASSERT_TRUE(docs[i].contains("targets"));
    EXPECT_EQ(docs[i]["host"]["name"], "agent-test-host");
    std::string id = docs[i]["targets"][0]["id"];
    EXPECT_TRUE(sbom_ids.insert(id).second) << "SBOM of " << id << " sent twice";
    if (id == image_id)
      debian_has_packages = docs[i]["targets"][0].value("packages", nlohmann::json::array()).size() > 50;
  }
  EXPECT_TRUE(sbom_ids.count(image_id));
  EXPECT_TRUE(debian_has_packages);

  // Second run: the inventory again, no SBOM of an image already sent.
  docs.clear();
  m.unlock();
  auto r2 = run_agent(o, ctx, stop, log);
  m.lock();
  ASSERT_TRUE(r2) << r2.error().describe();
  ASSERT_GE(docs.size(), 1u);
  EXPECT_EQ(docs[0]["report"], "inventory");
  // Other suites may build images meanwhile: those get their SBOM now, an image already sent never.
  for (std::size_t i = 1; i < docs.size(); ++i) {
    if (docs[i].value("report", "") == "activity") continue;
    const std::string id = docs[i]["targets"][0]["id"];
    EXPECT_FALSE(sbom_ids.count(id)) << "SBOM of " << id << " sent again";
  }
}

// The first round exports images several at a time (one tar, shared layers once): each SBOM must be the
// one the docker-daemon transport gives for that image alone, and the SBOMs follow the inventory's order.
TEST(AgentDocker, BatchExportedSbomsEqualThoseOfOneImageAtATime) {
  if (!bulwark::testing::unix_socket_answers("/var/run/docker.sock")) GTEST_SKIP() << "no dockerd";
  auto tmp = util::make_temp_dir(fs::temp_directory_path(), "bulwark-agent-batch");
  ASSERT_TRUE(tmp);
  util::ScopedDir cleanup(*tmp);
  AgentRig rig(*tmp, "batch-host");
  auto& m = rig.m;
  auto& docs = rig.docs;
  auto& o = rig.options;
  auto& ctx = rig.ctx;
  o.once = true;
  o.host_audit = false;
  std::atomic<bool> stop{false};
  std::vector<std::string> logs;
  auto r = run_agent(o, ctx, stop, [&](std::string_view l) { logs.emplace_back(l); });
  ASSERT_TRUE(r) << r.error().describe();
  for (const auto& l : logs) EXPECT_EQ(l.find("one at a time"), std::string::npos) << l;

  std::lock_guard lock(m);
  ASSERT_FALSE(docs.empty());
  ASSERT_EQ(docs[0]["report"], "inventory");
  std::vector<std::string> inventory_order;
  for (const auto& im : docs[0]["images"]) inventory_order.push_back(im["id"]);
  std::vector<nlohmann::json> sboms;
  for (const auto& d : docs)
    if (d.contains("targets")) sboms.push_back(d);
  // The fixture images (bulwark-e2e/debian:12 and the others) make a batch of several.
  ASSERT_GE(sboms.size(), 2u);
  // Order: the SBOMs' images are a subsequence of the inventory's (another suite may delete one meanwhile).
  std::size_t pos = 0;
  for (const auto& sb : sboms) {
    const std::string id = sb["targets"][0]["id"];
    while (pos < inventory_order.size() && inventory_order[pos] != id) ++pos;
    EXPECT_LT(pos, inventory_order.size()) << "SBOM of " << id << " out of inventory order";
  }
  // Each against the image exported alone, for the fixture images.
  std::set<std::string> fixtures;
  for (const char* name : {"bulwark-e2e/debian:12", "bulwark-e2e/app:1"}) {
    auto id = bulwark::testing::run_line(fmt::format("docker image inspect -f '{{{{.Id}}}}' {}", name));
    if (!id.empty()) fixtures.insert(id);
  }
  ASSERT_FALSE(fixtures.empty());
  std::size_t compared = 0;
  for (const auto& sb : sboms) {
    const std::string id = sb["targets"][0]["id"];
    if (!fixtures.count(id)) continue;
    auto ref = image::parse_reference("docker-daemon:" + id);
    ASSERT_TRUE(ref);
    core::Diagnostics diags;
    auto alone = scan::inventory(*ref, image::SourceOptions{}, ctx, diags);
    ASSERT_TRUE(alone) << alone.error().describe();
    report::JsonOptions jo;
    jo.include_packages = true;
    auto expected = nlohmann::json::parse(report::write_json({*alone}, jo));
    auto got = sb["targets"][0];
    auto want = expected["targets"][0];
    want["id"] = id;
    EXPECT_GT(got.value("packages", nlohmann::json::array()).size(), 0u);
    EXPECT_EQ(got, want) << "SBOM of " << id << " differs from the image exported alone";
    ++compared;
  }
  EXPECT_EQ(compared, fixtures.size());
}

TEST(AgentDocker, ExportOfSeveralImagesFailsWholeOnAnUnknownName) {
  if (!bulwark::testing::unix_socket_answers("/var/run/docker.sock")) GTEST_SKIP() << "no dockerd";
  auto tmp = util::make_temp_dir(fs::temp_directory_path(), "bulwark-agent-export");
  ASSERT_TRUE(tmp);
  util::ScopedDir cleanup(*tmp);
  auto client = docker::Client::connect();
  ASSERT_TRUE(client) << client.error().describe();
  auto st = client->export_images({"bulwark-e2e/debian:12", "bulwark-no-such/image:0"}, *tmp / "x.tar");
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().describe().find("bulwark-no-such/image:0"), std::string::npos) << st.error().describe();
  EXPECT_FALSE(fs::exists(*tmp / "x.tar"));
  EXPECT_FALSE(client->export_images({}, *tmp / "y.tar"));
}

}  // namespace
}  // namespace bulwark::agent

namespace bulwark::agent {
namespace {

TEST(Activity, ParsesCgroupFiles) {
  EXPECT_EQ(parse_cpu_stat_usage("usage_usec 1234\nuser_usec 1000\nsystem_usec 234\n"), 1234u);
  std::uint64_t r = 0, w = 0;
  parse_io_stat("8:0 rbytes=100 wbytes=20 rios=1 wios=1\n8:16 rbytes=5 wbytes=7 rios=0 wios=0\n", r, w);
  EXPECT_EQ(r, 105u);
  EXPECT_EQ(w, 27u);
  r = w = 0;
  parse_blkio_service_bytes("8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 0\n8:0 Total 12288\nTotal 12288\n", r, w);
  EXPECT_EQ(r, 4096u);
  EXPECT_EQ(w, 8192u);
  EXPECT_FALSE(read_container_activity("/sys/fs/cgroup", "../../etc"));
}

TEST(Activity, DocumentsAreBatchedAndPrometheusTextIsWellFormed) {
  std::vector<ContainerActivity> acts(450);
  for (std::size_t i = 0; i < acts.size(); ++i) acts[i].id = fmt::format("{:064x}", i);
  auto docs = activity_documents(acts, HostIdentity{"h1", "docker"}, 200);
  ASSERT_EQ(docs.size(), 3u);
  EXPECT_EQ(docs[0]["containers"].size(), 200u);
  EXPECT_EQ(docs[2]["containers"].size(), 50u);
  EXPECT_EQ(docs[0]["report"], "activity");
  acts.resize(1);
  acts[0].memory_bytes = 42;
  auto text = prometheus_text(acts);
  EXPECT_NE(text.find("# TYPE bulwark_container_memory_bytes gauge\nbulwark_container_memory_bytes{container_id=\"" +
                      acts[0].id + "\"} 42\n"),
            std::string::npos);
}

}  // namespace
}  // namespace bulwark::agent

namespace bulwark::agent {
namespace {

TEST(AgentDocker, HostAuditRunsAgainAfterTheDaemonConfigurationChanges) {
  if (!bulwark::testing::unix_socket_answers("/var/run/docker.sock")) GTEST_SKIP() << "no dockerd";
  auto tmp = util::make_temp_dir(fs::temp_directory_path(), "bulwark-agent-audit");
  ASSERT_TRUE(tmp);
  util::ScopedDir cleanup(*tmp);
  AgentRig rig(*tmp, "audit-host");
  auto& m = rig.m;
  auto& docs = rig.docs;
  auto& o = rig.options;
  auto& ctx = rig.ctx;
  o.sboms = false;
  o.watched_config_files = {*tmp / "daemon.json"};
  o.config_poll = std::chrono::milliseconds(200);
  std::atomic<bool> stop{false};
  auto audits = [&] {
    std::lock_guard lock(m);
    return std::count_if(docs.begin(), docs.end(), [](const nlohmann::json& d) {
      return !d.contains("report") && d.dump().find("cis-docker-1.6.0") != std::string::npos;
    });
  };
  std::thread agent([&] { (void)run_agent(o, ctx, stop, [](std::string_view) {}); });
  struct Join {
    std::atomic<bool>& stop;
    std::thread& t;
    ~Join() {
      stop = true;
      if (t.joinable()) t.join();
    }
  } join{stop, agent};
  for (int i = 0; i < 600 && audits() < 1; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_EQ(audits(), 1) << "no first audit";
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  EXPECT_EQ(audits(), 1) << "audited again without a change";
  ASSERT_TRUE(util::write_file_atomic(*tmp / "daemon.json", R"({"icc": false})"));
  for (int i = 0; i < 600 && audits() < 2; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(audits(), 2) << "the configuration change did not trigger an audit";
}

}  // namespace
}  // namespace bulwark::agent

// The server's answer is read whatever its shape: {"duplicate": "yes"} or an error whose code is
// a number made nlohmann's value() throw json::type_error 302 out of Sender::post, which promises
// never to throw (found while writing fuzz_api_answers; inputs in
// tests/data/fuzz-regressions/fuzz_api_answers/). Members of another type are read as absent.
TEST(Delivery, ServerAnswersOfAnyShapeAreReadNotThrown) {
  using bulwark::agent::read_answer;
  using bulwark::agent::SendOutcome;
  EXPECT_EQ(read_answer(201, R"({"id":"r1","duplicate":true})").outcome, SendOutcome::duplicate);
  EXPECT_EQ(read_answer(200, R"({"duplicate":false})").outcome, SendOutcome::delivered);
  EXPECT_EQ(read_answer(201, "not json").outcome, SendOutcome::delivered);
  for (const char* body : {R"({"duplicate":"yes"})", R"({"duplicate":1})", R"({"duplicate":null})", "[1]", "7"}) {
    bulwark::agent::SendResult r;
    ASSERT_NO_THROW(r = read_answer(201, body)) << body;
    EXPECT_EQ(r.outcome, SendOutcome::delivered) << body;
  }
  auto rejected = read_answer(400, R"({"error":{"code":"bad_request","message":"schema"}})");
  EXPECT_EQ(rejected.outcome, SendOutcome::rejected);
  EXPECT_EQ(rejected.message, "bad_request: schema");
  for (const char* body : {R"({"error":{"code":400,"message":["x"]}})", R"({"error":{"code":null,"message":"m"}})"}) {
    bulwark::agent::SendResult r;
    ASSERT_NO_THROW(r = read_answer(400, body)) << body;
    EXPECT_EQ(r.outcome, SendOutcome::rejected) << body;
  }
  EXPECT_EQ(read_answer(400, R"({"error":{"code":400,"message":"m"}})").message, "m");
  EXPECT_EQ(read_answer(401, "").outcome, SendOutcome::unauthorized);
  EXPECT_EQ(read_answer(503, "").outcome, SendOutcome::retry);
  EXPECT_EQ(read_answer(302, "").outcome, SendOutcome::retry);
}
