// Webhooks and live alerts: deliveries to a real receiver (httpd on a loopback port in 18530-18549)
// through the API's ingest, the signature recomputed here, retries and the delivery log; the
// alert hub's filters and the stream producer.
#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "httpd/httpd.hpp"
#include "server/api.hpp"
#include "server/live.hpp"
#include "server/store.hpp"
#include "server/test_support.hpp"
#include "server/webhook.hpp"

namespace bulwark::server {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

using testing::TempDir;

std::string file_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// HMAC-SHA256 computed here with EVP_MAC, not with webhook_signature's HMAC().
std::string hmac_hex(const std::string& key, const std::string& data) {
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest, 0), OSSL_PARAM_construct_end()};
  EVP_MAC_init(ctx, reinterpret_cast<const unsigned char*>(key.data()), key.size(), params);
  EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  unsigned char out[64];
  size_t n = 0;
  EVP_MAC_final(ctx, out, &n, sizeof out);
  EVP_MAC_CTX_free(ctx);
  EVP_MAC_free(mac);
  std::string hex;
  for (size_t i = 0; i < n; ++i) hex += fmt::format("{:02x}", out[i]);
  return hex;
}

TEST(Webhook, SignatureIsRfc4231HmacSha256) {
  // RFC 4231, test case 2.
  EXPECT_EQ(webhook_signature("Jefe", "what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(webhook_signature("k", "{}"), "sha256=" + hmac_hex("k", "{}"));
}

TEST(Webhook, SecretFile) {
  TempDir d;
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(d.path / name, std::ios::binary) << text;
    return d.path / name;
  };
  auto ok = read_webhook_secret(write("k", "0123456789abcdef0123\n"));
  ASSERT_TRUE(ok) << ok.error().describe();
  EXPECT_EQ(*ok, "0123456789abcdef0123");
  EXPECT_EQ(*read_webhook_secret(write("crlf", "0123456789abcdef0123\r\n")), "0123456789abcdef0123");
  auto empty = read_webhook_secret(write("e", "\n"));
  ASSERT_FALSE(empty);
  EXPECT_NE(empty.error().describe().find("empty"), std::string::npos);
  auto shortk = read_webhook_secret(write("s", "tooshort-secret"));
  ASSERT_FALSE(shortk);
  EXPECT_EQ(shortk.error().describe().find("tooshort-secret"), std::string::npos);  // never the content
  auto missing = read_webhook_secret(d.path / "nope");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().describe().find("nope"), std::string::npos);
  EXPECT_FALSE(read_webhook_secret(write("big", std::string(5000, 'x'))));
}

TEST(Webhook, DisplayUrlHidesCredentialsAndLongPathTokens) {
  EXPECT_EQ(display_webhook_url("http://127.0.0.1:18500/hook-a"), "http://127.0.0.1:18500/hook-a");
  EXPECT_EQ(display_webhook_url("https://u:p@hooks.example/services/T000/XXXXXXXXXXXXXXXXXXXXXXXX?k=v"),
            "https://hooks.example/services/T000/XXXX…");
}

TEST(Webhook, OptionsAreChecked) {
  TempDir d;
  auto store = Store::open_sqlite(d.path / "b.db");
  ASSERT_TRUE(store);
  WebhookOptions o;
  o.urls = {"http://127.0.0.1:18530/x"};
  auto nosecret = Webhooks::create(**store, o);
  ASSERT_FALSE(nosecret);
  EXPECT_NE(nosecret.error().message.find("--webhook-secret-file"), std::string::npos);
  o.secret = "0123456789abcdef";
  o.min_priority = "loud";
  EXPECT_FALSE(Webhooks::create(**store, o));
  o.min_priority = "Error";
  EXPECT_TRUE(Webhooks::create(**store, o));
  o.urls = {"file:///etc/passwd"};
  EXPECT_FALSE(Webhooks::create(**store, o));
  o.urls = {"http://127.0.0.1:18530/x", "http://127.0.0.1:18530/x"};
  EXPECT_FALSE(Webhooks::create(**store, o));
}

// A webhook receiver: answers from a script of statuses (then 200), keeps what it got.
struct Receiver {
  struct Got {
    std::string body, signature, event, attempt;
    std::chrono::steady_clock::time_point at;
  };
  std::mutex mu;
  std::vector<Got> got;
  std::vector<int> script;
  std::unique_ptr<httpd::Server> server;
  std::uint16_t port = 0;

  void start() {
    for (std::uint16_t p = 18530; p < 18550 && !server; ++p) {
      httpd::ServerOptions o;
      o.listen = "127.0.0.1:" + std::to_string(p);
      auto s = httpd::Server::start(o, [this](const httpd::Request& r) {
        std::lock_guard lock(mu);
        got.push_back({r.body, std::string(r.header("x-bulwark-signature")), std::string(r.header("x-bulwark-event")),
                       std::string(r.header("x-bulwark-attempt")), std::chrono::steady_clock::now()});
        httpd::Response res;
        std::size_t i = got.size() - 1;
        res.status = i < script.size() ? script[i] : 200;
        res.body = "{}";
        return res;
      });
      if (s) {
        server = std::move(*s);
        port = p;
      }
    }
    ASSERT_TRUE(server) << "no free port in 18530-18549";
  }
  std::size_t count() {
    std::lock_guard lock(mu);
    return got.size();
  }
};

json scan_doc(const std::string& cve_high, const std::string& cve_low) {
  auto finding = [](const std::string& id, const std::string& sev, const std::string& pkg) {
    return json{{"id", id},
                {"severity", sev},
                {"status", "fail"},
                {"practice", "vulnerability-scan"},
                {"target", {{"kind", "image"}, {"name", "shop/web:1"}}},
                {"package", {{"name", pkg}, {"version", "1.0"}, {"ecosystem", "deb"}}},
                {"vulnerability", {{"id", id}, {"aliases", json::array()}, {"fixed_version", "1.1"}}}};
  };
  return {{"schema", "bulwark/v1"},
          {"tool", {{"name", "bulwark"}, {"version", "0.1.0"}}},
          {"targets",
           {{{"kind", "image"},
             {"name", "shop/web:1"},
             {"id", "sha256:" + std::string(64, 'c')},
             {"image", {{"repo_tags", {"shop/web:1"}}, {"layers", json::array()}}},
             {"packages",
              {{{"name", "openssl"}, {"version", "1.0"}, {"ecosystem", "deb"}},
               {{"name", "bash"}, {"version", "1.0"}, {"ecosystem", "deb"}}}}}}},
          {"findings", {finding(cve_high, "high", "openssl"), finding(cve_low, "low", "bash")}}};
}

json alerts_doc(const std::string& host) {
  auto alert = [](const std::string& rule, const std::string& prio, const std::string& cname) {
    return json{{"time", "2026-12-06T20:00:00Z"},
                {"rule", rule},
                {"priority", prio},
                {"output", rule + " happened"},
                {"source", "syscall"},
                {"container", {{"id", cname + "-id"}, {"name", cname}}}};
  };
  return {{"schema", "bulwark/v1"},
          {"report", "alerts"},
          {"host", {{"name", host}}},
          {"alerts",
           {alert("Terminal shell in container", "Critical", "web"), alert("Write below etc", "Error", "db"),
            alert("Unexpected outbound", "Warning", "web")}}};
}

struct WebhookDelivery : ::testing::Test {
  TempDir dir;
  std::unique_ptr<Store> store;
  std::unique_ptr<Webhooks> hooks;
  std::unique_ptr<Api> api;
  Receiver rx;
  std::string admin, agent, ci;
  const std::string secret = "s3cr3t-key-material-0123456789abcdef";

  void SetUp() override {
    auto s = Store::open_sqlite(dir.path / "bulwark.db");
    ASSERT_TRUE(s) << s.error().describe();
    store = std::move(*s);
    admin = store->create_token(Role::admin, "", 0)->second;
    agent = store->create_token(Role::agent, "node1", 0)->second;
    ci = store->create_token(Role::ci, "", 0)->second;
    rx.start();
  }
  void TearDown() override {
    if (hooks) hooks->stop();
  }
  void make(WebhookOptions o) {
    o.secret = secret;
    if (o.urls.empty()) o.urls = {"http://127.0.0.1:" + std::to_string(rx.port) + "/hook"};
    auto h = Webhooks::create(*store, o);
    ASSERT_TRUE(h) << h.error().describe();
    hooks = std::move(*h);
    ApiOptions ao;
    ao.webhooks = hooks.get();
    api = std::make_unique<Api>(*store, ao);
  }
  httpd::Response call(const std::string& method, const std::string& target, const std::string& token,
                       const std::string& body = {}) {
    auto r = testing::make_request(method, target, token, body);
    return api->handle(r);
  }
  json deliveries(const std::string& query = "") {
    auto r = call("GET", "/api/v1/webhooks/deliveries" + query, admin);
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body);
  }
  bool wait_until(const std::function<bool()>& f, std::chrono::milliseconds limit = 10s) {
    auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      if (f()) return true;
      std::this_thread::sleep_for(20ms);
    }
    return f();
  }
};

TEST_F(WebhookDelivery, RetriesWithBackoffUntilTheReceiverAnswers200) {
  rx.script = {500, 500};
  WebhookOptions o;
  o.backoff = 150ms;
  o.max_attempts = 5;
  make(o);
  hooks->start();
  auto up = call("POST", "/api/v1/reports", ci, scan_doc("CVE-2026-1000", "CVE-2026-1001").dump());
  ASSERT_EQ(up.status, 201) << up.body;
  ASSERT_TRUE(wait_until([&] { return rx.count() >= 3; }));
  std::this_thread::sleep_for(300ms);
  ASSERT_EQ(rx.count(), 3u);  // delivered: no fourth
  std::lock_guard lock(rx.mu);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(rx.got[i].body, rx.got[0].body) << "the same body every attempt";
    EXPECT_EQ(rx.got[i].signature, "sha256=" + hmac_hex(secret, rx.got[i].body));
    EXPECT_EQ(rx.got[i].event, "finding.new");
    EXPECT_EQ(rx.got[i].attempt, std::to_string(i + 1));
  }
  auto gap1 = rx.got[1].at - rx.got[0].at, gap2 = rx.got[2].at - rx.got[1].at;
  EXPECT_GE(gap1, 150ms);
  EXPECT_GE(gap2, 300ms) << "the wait doubles";
  json body = json::parse(rx.got[0].body);
  EXPECT_EQ(body["type"], "finding.new");
  ASSERT_EQ(body["data"]["findings"].size(), 1u) << "the high finding, not the low one";
  EXPECT_EQ(body["data"]["findings"][0]["vulnerability"], "CVE-2026-1000");
  EXPECT_EQ(body["data"]["report"]["id"], json::parse(up.body)["id"]);

  json log = deliveries();
  ASSERT_EQ(log["items"].size(), 1u);
  const json& d = log["items"][0];
  EXPECT_EQ(d["state"], "delivered");
  EXPECT_EQ(d["attempts"], 3);
  EXPECT_EQ(d["status"], 200);
  EXPECT_EQ(d["event"]["id"], body["id"]);
  ASSERT_EQ(d["history"].size(), 3u);
  EXPECT_EQ(d["history"][0]["status"], 500);
  EXPECT_EQ(d["history"][1]["status"], 500);
  EXPECT_EQ(d["history"][2]["status"], 200);
  EXPECT_EQ(log.dump().find(secret), std::string::npos);
  // The same upload again is a duplicate: no new event.
  EXPECT_EQ(call("POST", "/api/v1/reports", ci, scan_doc("CVE-2026-1000", "CVE-2026-1001").dump()).status, 200);
  EXPECT_EQ(deliveries()["items"].size(), 1u);
}

TEST_F(WebhookDelivery, A4xxIsNotRetriedAndAttemptsAreBounded) {
  rx.script = {404, 503, 503, 503, 503};
  WebhookOptions o;
  o.backoff = 50ms;
  o.max_attempts = 3;
  make(o);
  hooks->start();
  ASSERT_EQ(call("POST", "/api/v1/reports", ci, scan_doc("CVE-2026-2000", "CVE-2026-2001").dump()).status, 201);
  ASSERT_TRUE(wait_until([&] { return deliveries("?state=failed")["items"].size() == 1; }));
  ASSERT_EQ(call("POST", "/api/v1/reports", ci, scan_doc("CVE-2026-2002", "CVE-2026-2003").dump()).status, 201);
  ASSERT_TRUE(wait_until([&] { return deliveries("?state=failed")["items"].size() == 2; }));
  json log = deliveries();
  ASSERT_EQ(log["items"].size(), 2u);
  EXPECT_EQ(log["items"][1]["attempts"], 1) << "404: given up at once";
  EXPECT_EQ(log["items"][1]["status"], 404);
  EXPECT_EQ(log["items"][0]["attempts"], 3) << "503: retried up to --webhook-max-attempts";
  EXPECT_EQ(rx.count(), 4u);
  // Pagination: newest first, a cursor to the older one.
  json p1 = deliveries("?limit=1");
  ASSERT_EQ(p1["items"].size(), 1u);
  ASSERT_TRUE(p1.contains("next_cursor"));
  json p2 = deliveries("?limit=1&cursor=" + p1["next_cursor"].get<std::string>());
  ASSERT_EQ(p2["items"].size(), 1u);
  EXPECT_LT(p2["items"][0]["id"].get<int>(), p1["items"][0]["id"].get<int>());
  EXPECT_FALSE(p2.contains("next_cursor"));
  EXPECT_EQ(call("GET", "/api/v1/webhooks/deliveries?cursor=x", admin).status, 400);
  EXPECT_EQ(call("GET", "/api/v1/webhooks/deliveries", agent).status, 403);
}

TEST_F(WebhookDelivery, AlertsAtOrAboveThePriorityAndTheQueueSurvivesARestart) {
  WebhookOptions o;
  o.min_priority = "error";
  o.backoff = 50ms;
  make(o);
  // No worker yet: the event waits in the store.
  ASSERT_EQ(call("POST", "/api/v1/reports", agent, alerts_doc("node1").dump()).status, 201);
  EXPECT_EQ(deliveries("?state=pending")["items"].size(), 1u);
  api.reset();
  hooks.reset();
  store.reset();
  auto s = Store::open_sqlite(dir.path / "bulwark.db");
  ASSERT_TRUE(s);
  store = std::move(*s);
  make(o);
  hooks->start();
  ASSERT_TRUE(wait_until([&] { return deliveries("?state=delivered")["items"].size() == 1; }));
  std::lock_guard lock(rx.mu);
  ASSERT_EQ(rx.got.size(), 1u);
  EXPECT_EQ(rx.got[0].signature, "sha256=" + hmac_hex(secret, rx.got[0].body));
  json body = json::parse(rx.got[0].body);
  EXPECT_EQ(body["type"], "alert");
  ASSERT_EQ(body["data"]["alerts"].size(), 2u);
  EXPECT_EQ(body["data"]["alerts"][0]["priority"], "Critical");
  EXPECT_EQ(body["data"]["alerts"][1]["priority"], "Error");
  EXPECT_EQ(body["data"]["host"], "node1");
  EXPECT_GT(body["data"]["alerts"][0]["seq"].get<int>(), 0);
  // The key is nowhere in the store.
  std::string bytes = file_bytes(dir.path / "bulwark.db") + file_bytes(dir.path / "bulwark.db-wal");
  EXPECT_NE(bytes.find("Terminal shell"), std::string::npos);
  EXPECT_EQ(bytes.find(secret), std::string::npos);
}

TEST_F(WebhookDelivery, DeliveriesForARemovedWebhookAreAbandoned) {
  WebhookOptions o;
  make(o);
  ASSERT_EQ(call("POST", "/api/v1/reports", ci, scan_doc("CVE-2026-3000", "CVE-2026-3001").dump()).status, 201);
  api.reset();
  hooks.reset();
  o.urls = {"http://127.0.0.1:" + std::to_string(rx.port) + "/other"};
  make(o);
  json log = deliveries();
  ASSERT_EQ(log["items"].size(), 1u);
  EXPECT_EQ(log["items"][0]["state"], "abandoned");
  EXPECT_EQ(hooks->run_due(), 0u);
  EXPECT_EQ(rx.count(), 0u);
  // What another part of the server queues (a re-match event) goes out like the rest.
  ASSERT_TRUE(enqueue_webhook_event(hooks.get(), "finding.fixed", {{"vulnerability", "CVE-2026-3000"}}));
  EXPECT_EQ(hooks->run_due(), 1u);
  ASSERT_EQ(rx.count(), 1u);
  EXPECT_EQ(json::parse(rx.got[0].body)["data"]["vulnerability"], "CVE-2026-3000");
  EXPECT_TRUE(enqueue_webhook_event(nullptr, "finding.fixed", json::object()));
}

TEST(AlertHub, FiltersAndBounds) {
  AlertHub hub(2, 3);
  AlertFilter web;
  web.container = "web";
  AlertFilter high;
  high.min_priority = priority_rank("error");
  auto a = hub.subscribe(web);
  auto b = hub.subscribe(high);
  ASSERT_TRUE(a && b);
  EXPECT_FALSE(hub.subscribe({})) << "two streams at most";
  auto mk = [](int seq, const std::string& prio, const std::string& cname) {
    AlertRec r;
    r.rule = "r";
    r.priority = prio;
    r.container_name = cname;
    return alert_json(seq, "h", r);
  };
  hub.publish({mk(1, "Warning", "web"), mk(2, "Critical", "db"), mk(3, "Error", "web")});
  std::vector<json> got;
  EXPECT_TRUE(a->wait(got, 10ms));
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0]["seq"], 1);
  EXPECT_EQ(got[1]["seq"], 3);
  got.clear();
  EXPECT_TRUE(b->wait(got, 10ms));
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0]["seq"], 2);
  // A subscriber that does not read is dropped once its queue is full.
  hub.publish({mk(4, "Error", "web"), mk(5, "Error", "web"), mk(6, "Error", "web"), mk(7, "Error", "web")});
  got.clear();
  EXPECT_FALSE(a->wait(got, 10ms));
  a.reset();
  EXPECT_EQ(hub.streams(), 1u);
  EXPECT_TRUE(hub.subscribe({}));
  EXPECT_EQ(priority_rank("INFO"), priority_rank("informational"));
  EXPECT_EQ(priority_rank("nope"), -1);
}

TEST(AlertStream, SendsMatchingAlertsHeartbeatsAndEndsWhenRevoked) {
  TempDir d;
  auto store = Store::open_sqlite(d.path / "b.db");
  ASSERT_TRUE(store);
  AlertHub hub;
  httpd::Request req;
  req.method = "GET";
  req.path = "/api/v1/alerts/stream";
  req.query = "host=h1&min_priority=error";
  bool allowed = true;
  StreamOptions so;
  so.heartbeat = 100ms;
  auto r = alert_stream(req, hub, **store, so, [&] { return allowed; });
  ASSERT_EQ(r.status, 200);
  ASSERT_TRUE(r.stream);
  EXPECT_EQ(r.content_type.rfind("text/event-stream", 0), 0u);
  EXPECT_EQ(hub.streams(), 1u);
  AlertRec a;
  a.rule = "Shell";
  a.priority = "Critical";
  AlertRec low = a;
  low.priority = "Notice";
  hub.publish({alert_json(7, "h1", a), alert_json(8, "h2", a), alert_json(9, "h1", low)});
  std::string all;
  for (int i = 0; i < 4; ++i) {
    std::string chunk;
    ASSERT_TRUE(r.stream(chunk));
    all += chunk;
  }
  EXPECT_NE(all.find("event: alert\nid: 7\ndata: {"), std::string::npos);
  EXPECT_EQ(all.find("id: 8"), std::string::npos);
  EXPECT_EQ(all.find("id: 9"), std::string::npos);
  EXPECT_NE(all.find(": heartbeat\n\n"), std::string::npos);
  allowed = false;
  std::string chunk;
  bool more = true;
  for (int i = 0; i < 10 && more; ++i) more = r.stream(chunk);
  EXPECT_FALSE(more);
  EXPECT_NE(chunk.find("event: end"), std::string::npos);
  r.stream = nullptr;
  EXPECT_EQ(hub.streams(), 0u);
  req.query = "min_priority=loud";
  EXPECT_EQ(alert_stream(req, hub, **store, so, {}).status, 400);
}

}  // namespace
}  // namespace bulwark::server
