// `bulwark agent --monitor --metrics-listen`: the live eBPF monitor inside the agent
// against the real dockerd. A container the test starts reads /etc/shadow; an
// alerts document with the contract's item shape (time, rule, priority, output,
// source, container with the container's name and image, pod) reaches a loopback
// HTTP server through the spool, and GET /metrics serves Prometheus text.
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <unistd.h>

#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "agent/agent.hpp"
#include "agent/monitor.hpp"
#include "util/files.hpp"
#include "util/http.hpp"
#include "util/testing/loopback_http_server.hpp"
#include "util/testing/shell.hpp"

namespace bulwark::agent {
namespace {

namespace fs = std::filesystem;

TEST(AgentMonitor, AlertItemsCarryContainerAndPodFromTheInventory) {
  ContainerDirectory dir;
  std::string id(64, 'a');
  dir.update(nlohmann::json::parse(fmt::format(
      R"({{"containers":[{{"id":"{}","name":"app","image":"debian:12",
      "pod":{{"name":"web-0","namespace":"shop","uid":"u1","labels":{{"app":"web"}}}}}}]}})",
      id)));
  nlohmann::json a = {{"time", "2026-12-06T10:00:00.000000000Z"},
                      {"rule", "Credential file read by an unexpected program"},
                      {"priority", "WARNING"},
                      {"output", "Credential file read"},
                      {"source", "syscall"},
                      {"output_fields", {{"fd.name", "/etc/shadow"}}}};
  auto item = alert_item(a, id.substr(0, 12), nullptr, dir);
  EXPECT_EQ(item["container"]["id"], id);
  EXPECT_EQ(item["container"]["name"], "app");
  EXPECT_EQ(item["pod"]["namespace"], "shop");
  EXPECT_EQ(item["pod"]["labels"]["app"], "web");
  EXPECT_EQ(item["fields"]["fd.name"], "/etc/shadow");
  // Unknown to the inventory: what the monitor's own resolver said.
  auto other = alert_item(a, "bbbb", nlohmann::json{{"id", "bbbb"}, {"name", "x"}, {"image", "i"}}, dir);
  EXPECT_EQ(other["container"]["name"], "x");
  EXPECT_EQ(other["pod"]["name"], "");
  auto doc = alerts_document(nlohmann::json::array({item}), HostIdentity{"h1", "docker"});
  EXPECT_EQ(doc["report"], "alerts");
  EXPECT_EQ(doc["host"]["name"], "h1");
  EXPECT_EQ(doc["alerts"].size(), 1u);
}

std::string http_get(const std::string& url) {
  util::HttpClient c(util::HttpOptions{});
  util::HttpRequest r;
  r.url = url;
  auto resp = c.fetch(r, 1 << 20);
  return resp && resp->status == 200 ? resp->body : std::string{};
}

TEST(AgentMonitor, LiveAlertsFromADockerContainerReachTheServerAndMetricsAreServed) {
  if (::geteuid() != 0) GTEST_SKIP() << "the eBPF monitor needs root";
  if (!bulwark::testing::unix_socket_answers("/var/run/docker.sock")) GTEST_SKIP() << "no dockerd";
  auto tmp = util::make_temp_dir(fs::temp_directory_path(), "bulwark-agent-monitor");
  ASSERT_TRUE(tmp);
  util::ScopedDir cleanup(*tmp);

  std::mutex m;
  std::vector<nlohmann::json> docs;
  bulwark::testing::LoopbackHttpServer server([&](const bulwark::testing::TestRequest& r) {
    std::lock_guard lock(m);
    docs.push_back(nlohmann::json::parse(r.body, nullptr, false));
    return bulwark::testing::TestResponse{201, {}, R"({"id":"1","duplicate":false})"};
  });
  AgentOptions o;
  o.delivery.server = "http://" + server.host();
  o.delivery.token = "t";
  o.delivery.backoff_initial = std::chrono::milliseconds(100);
  o.host.name = "monitor-host";
  o.spool_dir = *tmp / "spool";
  o.state_dir = *tmp / "state";
  o.host_audit = false;
  o.sboms = false;
  o.monitor = true;
  o.activity_interval = std::chrono::seconds(2);
  o.metrics_listen = "127.0.0.1:18531";
  o.monitor_options.connections_window = std::chrono::seconds(2);
  core::Context ctx;
  auto progress = core::make_silent_progress();
  ctx.progress = progress.get();
  ctx.cache_dir = *tmp / "cache";
  std::atomic<bool> stop{false};
  std::mutex lm;
  std::vector<std::string> logs;
  Result<AgentResult> result = AgentResult{};
  std::thread agent([&] {
    result = run_agent(o, ctx, stop, [&](std::string_view l) {
      std::lock_guard lock(lm);
      logs.emplace_back(l);
    });
  });
  struct Join {
    std::atomic<bool>& stop;
    std::thread& t;
    ~Join() {
      stop = true;
      if (t.joinable()) t.join();
    }
  } join{stop, agent};
  // Wait for the monitor to be attached.
  bool ready = false;
  for (int i = 0; i < 300 && !ready; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::lock_guard lock(lm);
    for (const auto& l : logs) ready = ready || l.find("monitor running") != std::string::npos;
    for (const auto& l : logs) ASSERT_EQ(l.find("monitor stopped"), std::string::npos) << l;
  }
  ASSERT_TRUE(ready);

  std::string name = "bulwark-agent-monitor-" + std::to_string(::getpid());
  std::string sink_port = server.host().substr(server.host().rfind(':') + 1);
  auto ran = bulwark::testing::run("docker run -d --rm --network host --name " + name +
                                   " bulwark-e2e/debian:12 bash -c 'sleep 2; cat /etc/shadow >/dev/null;"
                                   " (exec 3<>/dev/tcp/127.0.0.1/" +
                                   sink_port + ") 2>/dev/null; sleep 60'");
  ASSERT_EQ(ran.exit_code, 0) << ran.output;
  struct Stop {
    std::string n;
    ~Stop() { (void)bulwark::testing::run("docker rm -f " + n + " >/dev/null 2>&1"); }
  } stop_container{name};
  std::string cid = bulwark::testing::run_line("docker inspect -f '{{.Id}}' " + name);

  nlohmann::json found;
  for (int i = 0; i < 300 && found.is_null(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::lock_guard lock(m);
    for (const auto& d : docs) {
      if (d.value("report", "") != "alerts") continue;
      for (const auto& a : d["alerts"])
        if (a["container"]["id"] == cid && a["rule"] == "Credential file read by an unexpected program") found = a;
    }
  }
  ASSERT_FALSE(found.is_null()) << "no alert for the container";
  EXPECT_EQ(found["container"]["name"], name);
  EXPECT_EQ(found["container"]["image"], "bulwark-e2e/debian:12");
  EXPECT_EQ(found["priority"], "Warning");  // Falco's spelling, as `bulwark monitor -f json`
  EXPECT_EQ(found["source"], "syscall");
  EXPECT_TRUE(found.contains("pod"));
  EXPECT_FALSE(found["time"].get<std::string>().empty());
  EXPECT_NE(found["output"].get<std::string>().find("/etc/shadow"), std::string::npos);

  // The connection summary: the container (host network) connected to the sink's port on 127.0.0.1 -- and
  // none of the host's own connections (the agent's deliveries to that same port) are counted.
  bool host_conn = false;
  std::uint64_t seen = 0;
  for (int i = 0; i < 100 && seen == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::lock_guard lock(m);
    for (const auto& d : docs) {
      if (d.value("report", "") != "activity" || !d.contains("connections")) continue;
      for (const auto& c : d["connections"]) {
        host_conn = host_conn || c.value("container_id", "").empty();
        if (c["container_id"] == cid && c["direction"] == "out" && c["peer"] == "127.0.0.1" &&
            std::to_string(c["port"].get<int>()) == sink_port)
          seen += c["count"].get<std::uint64_t>();
      }
    }
  }
  EXPECT_GE(seen, 1u) << "the container's connection was not summarised";
  EXPECT_FALSE(host_conn);

  // Prometheus text: the agent's counters and the container's activity.
  std::string text;
  for (int i = 0; i < 100; ++i) {
    text = http_get("http://127.0.0.1:18531/metrics");
    if (text.find(cid) != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_NE(text.find("# TYPE bulwark_agent_documents_delivered_total counter"), std::string::npos) << text;
  EXPECT_NE(text.find("bulwark_agent_alert_documents_total "), std::string::npos);
  EXPECT_NE(text.find("bulwark_container_memory_bytes{container_id=\"" + cid + "\"}"), std::string::npos) << text;
  stop = true;
  agent.join();
  ASSERT_TRUE(result) << result.error().describe();
  EXPECT_GE(result->alert_documents, 1u);
}

}  // namespace
}  // namespace bulwark::agent
