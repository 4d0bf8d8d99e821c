// The webhook output against a loopback HTTP server, and the file output.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <mutex>

#include "runtime/outputs/outputs.hpp"
#include "util/testing/loopback_http_server.hpp"

namespace bulwark::runtime::outputs {
namespace {

engine::CompiledRule make_rule() {
  engine::CompiledRule r;
  r.name = "Test rule";
  r.priority = engine::Priority::critical;
  r.tags = {"a", "b"};
  return r;
}

engine::Alert make_alert(const engine::CompiledRule& r) {
  engine::Alert a;
  a.rule = &r;
  a.ts_ns = 1700000000123456789ULL;
  a.output = "something happened (pid=42)";
  a.hostname = "h1";
  a.fields.push_back({"proc.pid", std::string("42"), true});
  a.fields.push_back({"fd.name", std::nullopt, false});
  return a;
}

TEST(Outputs, WebhookPostsFalcoJson) {
  std::mutex mu;
  std::vector<bulwark::testing::TestRequest> got;
  bulwark::testing::LoopbackHttpServer server([&](const bulwark::testing::TestRequest& req) {
    std::lock_guard lock(mu);
    got.push_back(req);
    return bulwark::testing::TestResponse{};
  });
  auto rule = make_rule();
  auto out = make_webhook_output("http://127.0.0.1:" + std::to_string(server.port()) + "/alerts");
  out->write(make_alert(rule));
  out->write(make_alert(rule));
  out->close();  // drains the queue
  auto s = out->stats();
  EXPECT_EQ(s.sent, 2u);
  EXPECT_EQ(s.failed, 0u);
  std::lock_guard lock(mu);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].method, "POST");
  EXPECT_EQ(got[0].target, "/alerts");
  auto j = nlohmann::json::parse(got[0].body);
  EXPECT_EQ(j["rule"], "Test rule");
  EXPECT_EQ(j["priority"], "Critical");
  EXPECT_EQ(j["time"], "2023-11-14T22:13:20.123456789Z");
  EXPECT_EQ(j["output_fields"]["proc.pid"], 42);
  EXPECT_TRUE(j["output_fields"]["fd.name"].is_null());
  EXPECT_EQ(j["tags"], nlohmann::json::array({"a", "b"}));
  EXPECT_EQ(j["hostname"], "h1");
}

TEST(Outputs, WebhookFailuresAreCountedNotFatal) {
  auto rule = make_rule();
  auto out = make_webhook_output("http://127.0.0.1:1/nothing-listens");
  out->write(make_alert(rule));
  out->close();
  EXPECT_EQ(out->stats().failed, 1u);
}

TEST(Outputs, FileOutputAppendsLines) {
  auto path = std::filesystem::temp_directory_path() / ("bulwark-alerts-" + std::to_string(::getpid()) + ".txt");
  std::filesystem::remove(path);
  auto rule = make_rule();
  {
    auto out = make_stream_output(path.string(), Format::text);
    ASSERT_TRUE(out);
    (*out)->write(make_alert(rule));
    (*out)->close();
  }
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "2023-11-14T22:13:20.123456789Z: Critical something happened (pid=42) (rule: Test rule)");
  std::filesystem::remove(path);
  EXPECT_FALSE(make_stream_output("/nonexistent-dir/x/alerts", Format::json));
}

}  // namespace
}  // namespace bulwark::runtime::outputs
