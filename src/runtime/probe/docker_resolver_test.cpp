#include "runtime/probe/docker_resolver.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <mutex>
#include <thread>

#include "runtime/state/process_table.hpp"

namespace bulwark::runtime::probe {
namespace {

const std::string kId = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

// A thread-safe stand-in for the engine: answers inspects from a table and counts them.
struct FakeEngine {
  std::mutex mu;
  std::map<std::string, std::string> names;  // id -> name
  int inspects = 0;

  DockerContainerResolver::Inspect inspector() {
    return [this](std::string_view id) -> Result<nlohmann::json> {
      std::lock_guard lock(mu);
      ++inspects;
      auto it = names.find(std::string(id));
      if (it == names.end()) return fail(ErrorCode::not_found, "No such container", std::string(id));
      return nlohmann::json{{"Id", it->first},
                            {"Name", "/" + it->second},
                            {"Image", "sha256:feed"},
                            {"Config", {{"Image", "bulwark-e2e/runtime:1"}}}};
    };
  }
};

TEST(DockerEvents, ParsesContainerActions) {
  auto create = parse_docker_event(
      R"({"status":"create","id":")" + kId +
      R"(","from":"debian:12","Type":"container","Action":"create","Actor":{"ID":")" + kId +
      R"(","Attributes":{"image":"debian:12","name":"web"}},"scope":"local","time":1700000000,"timeNano":1700000000012345678})");
  EXPECT_EQ(create.action, DockerEventAction::resolve);
  EXPECT_EQ(create.id, kId);
  EXPECT_EQ(create.time, "1700000000.012345678");

  auto start = parse_docker_event(R"({"Type":"container","Action":"start","Actor":{"ID":")" + kId + R"("}})");
  EXPECT_EQ(start.action, DockerEventAction::resolve);
  EXPECT_EQ(start.time, "");

  auto rename = parse_docker_event(R"({"Type":"container","Action":"rename","Actor":{"ID":")" + kId +
                                   R"(","Attributes":{"name":"/web-2","oldName":"/web"}},"time":1700000001})");
  EXPECT_EQ(rename.action, DockerEventAction::rename);
  EXPECT_EQ(rename.new_name, "web-2");
  EXPECT_EQ(rename.time, "1700000001");

  auto destroy = parse_docker_event(R"({"Type":"container","Action":"destroy","Actor":{"ID":")" + kId + R"("}})");
  EXPECT_EQ(destroy.action, DockerEventAction::evict);
  EXPECT_EQ(destroy.id, kId);

  // The id from the old top-level field when Actor has none.
  auto old = parse_docker_event(R"({"Type":"container","Action":"create","id":")" + kId + R"("})");
  EXPECT_EQ(old.action, DockerEventAction::resolve);
  EXPECT_EQ(old.id, kId);
}

TEST(DockerEvents, IgnoresEverythingElse) {
  auto ignored = [](std::string_view json) { return parse_docker_event(json).action == DockerEventAction::ignore; };
  EXPECT_TRUE(ignored(R"({"Type":"container","Action":"exec_start: sh -c true","Actor":{"ID":"abc"}})"));
  EXPECT_TRUE(ignored(R"({"Type":"container","Action":"health_status: healthy","Actor":{"ID":"abc"}})"));
  EXPECT_TRUE(ignored(R"({"Type":"container","Action":"die","Actor":{"ID":"abc"}})"));
  EXPECT_TRUE(ignored(R"({"Type":"image","Action":"delete","Actor":{"ID":"sha256:abc"}})"));
  EXPECT_TRUE(ignored(R"({"Type":"network","Action":"create","Actor":{"ID":"n1"}})"));
  EXPECT_TRUE(ignored(R"({"Type":"container","Action":"create"})"));                 // no id
  EXPECT_TRUE(ignored(R"({"Type":"container","Action":"create","Actor":"x"})"));     // wrong shape
  EXPECT_TRUE(ignored(R"({"Type":"container","Action":42,"Actor":{"ID":"abc"}})"));  // wrong type
  EXPECT_TRUE(ignored("[1,2]"));
  EXPECT_TRUE(ignored("{\"Type\":"));
  EXPECT_TRUE(ignored(""));
}

TEST(DockerResolver, CreatePreResolvesRenameRefreshesDestroyEvicts) {
  FakeEngine engine;
  engine.names[kId] = "web";
  DockerContainerResolver r("unix:///nonexistent.sock", engine.inspector());
  EXPECT_EQ(r.generation(), 0U);

  r.apply({DockerEventAction::resolve, kId, "", ""});
  EXPECT_EQ(engine.inspects, 1);
  r.apply({DockerEventAction::resolve, kId, "", ""});  // start after create: cached, no second inspect
  EXPECT_EQ(engine.inspects, 1);
  auto info = r.resolve(kId);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->name, "web");
  EXPECT_EQ(info->image_repository, "bulwark-e2e/runtime");
  EXPECT_EQ(engine.inspects, 1) << "the lookup was answered by the pre-resolved entry";
  auto by_short = r.resolve(kId.substr(0, 12));
  ASSERT_TRUE(by_short);
  EXPECT_EQ(by_short->id, kId);
  EXPECT_EQ(engine.inspects, 1);

  engine.names[kId] = "web-2";
  r.apply({DockerEventAction::rename, kId, "web-2", ""});
  EXPECT_EQ(r.generation(), 1U);
  EXPECT_EQ(r.resolve(kId)->name, "web-2");

  r.apply({DockerEventAction::evict, kId, "", ""});
  engine.names.erase(kId);
  auto gone = r.resolve(kId);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, ErrorCode::not_found);

  auto s = r.stats();
  EXPECT_EQ(s.events, 4U);
  EXPECT_EQ(s.pre_resolved, 1U);
  EXPECT_EQ(s.answered_from_events, 1U);
  EXPECT_EQ(s.renamed, 1U);
  EXPECT_EQ(s.evicted, 1U);
}

TEST(DockerResolver, RenameUsesTheEventsNameWhenInspectFails) {
  FakeEngine engine;
  engine.names[kId] = "old";
  DockerContainerResolver r("unix:///nonexistent.sock", engine.inspector());
  ASSERT_TRUE(r.resolve(kId));
  engine.names.clear();  // the engine no longer answers
  r.apply({DockerEventAction::rename, kId, "new", ""});
  EXPECT_EQ(r.resolve(kId)->name, "new");
  EXPECT_EQ(r.generation(), 1U);
}

// The state caches container metadata per id; a rename must still reach later alerts.
TEST(DockerResolver, TheProcessTableSeesARename) {
  FakeEngine engine;
  engine.names[kId] = "before";
  DockerContainerResolver r("unix:///nonexistent.sock", engine.inspector());
  ProcessTable table({}, &r);
  Event e;
  e.type = EventType::openat;
  e.pid = 42;
  e.tid = 42;
  e.cgroup = "/system.slice/docker-" + kId + ".scope";
  table.apply(e);
  ASSERT_NE(table.find(42), nullptr);
  ASSERT_EQ(table.find(42)->container_id, kId);
  ASSERT_NE(table.container(kId), nullptr);
  EXPECT_EQ(table.container(kId)->name, "before");

  engine.names[kId] = "after";
  r.apply({DockerEventAction::rename, kId, "after", ""});
  EXPECT_EQ(table.container(kId)->name, "before") << "no refresh in the middle of an event";
  table.apply(e);  // the next event
  ASSERT_NE(table.container(kId), nullptr);
  EXPECT_EQ(table.container(kId)->name, "after");
  EXPECT_EQ(table.stats().container_refreshes, 1U);
}

TEST(DockerResolver, FollowerStopsPromptlyWithoutAnEngine) {
  DockerContainerResolver r("unix:///tmp/bulwark-no-such-docker.sock");
  r.follow_events();
  for (int i = 0; i < 50 && r.stats().stream_restarts == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  auto t0 = std::chrono::steady_clock::now();
  r.stop();  // in the middle of a 1 s backoff
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(500));
  auto s = r.stats();
  EXPECT_GE(s.stream_restarts, 1U);
  EXPECT_NE(s.last_stream_error.find("bulwark-no-such-docker.sock"), std::string::npos) << s.last_stream_error;
  r.stop();  // idempotent
}

}  // namespace
}  // namespace bulwark::runtime::probe
