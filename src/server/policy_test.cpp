// Server-side policies and the per-token rate limit, over real HTTP on loopback: the API served
// by httpd::Server, called with libcurl and with the upload client `bulwark push` uses, on both
// store engines (SQLite always; PostgreSQL under tests/e2e/pg.sh, as server_test.cpp's suites).
#include <curl/curl.h>
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "server/api.hpp"
#include "server/client.hpp"
#include "server/policies.hpp"
#include "server/rate_limit.hpp"
#include "server/store.hpp"
#include "server/test_support.hpp"
#include "server/webhook.hpp"

namespace bulwark::server {
namespace {

using nlohmann::json;
using testing::Backing;

struct Answer {
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  json j() const { return json::parse(body, nullptr, false); }
};

std::size_t collect(char* data, std::size_t size, std::size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

std::size_t collect_header(char* data, std::size_t size, std::size_t n, void* out) {
  std::string line(data, size * n);
  auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.pop_back();
    (*static_cast<std::map<std::string, std::string>*>(out))[name] = value;
  }
  return size * n;
}

// One request over HTTP with libcurl (any method).
Answer http(const std::string& method, const std::string& url, const std::string& token, const std::string& body = {},
            const std::vector<std::string>& extra_headers = {}) {
  Answer a;
  CURL* c = curl_easy_init();
  curl_slist* headers = nullptr;
  if (!token.empty()) headers = curl_slist_append(headers, ("Authorization: Bearer " + token).c_str());
  headers = curl_slist_append(headers, "Content-Type: application/json");
  for (const auto& h : extra_headers) headers = curl_slist_append(headers, h.c_str());
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  if (!body.empty() || method == "POST" || method == "PUT") {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  }
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &a.body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, collect_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &a.headers);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
  if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &a.status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(c);
  return a;
}

// A scan of one image with the findings given as (id, severity, fixed version) on openssl.
json scan(const std::string& digest_hex, const std::vector<std::tuple<std::string, std::string, std::string>>& vulns,
          const std::string& tag = "shop/web:1") {
  json findings = json::array();
  for (const auto& [id, severity, fixed] : vulns) {
    json v = {{"id", id}, {"aliases", json::array()}};
    if (!fixed.empty()) v["fixed_version"] = fixed;
    findings.push_back({{"id", id},
                        {"severity", severity},
                        {"status", "fail"},
                        {"practice", "vulnerability-scan"},
                        {"target", {{"kind", "image"}, {"name", tag}}},
                        {"package",
                         {{"name", "openssl"},
                          {"version", "3.0.11-1"},
                          {"ecosystem", "deb"},
                          {"purl", "pkg:deb/debian/openssl@3.0.11-1?arch=amd64"}}},
                        {"vulnerability", v}});
  }
  return {{"schema", "bulwark/v1"},
          {"tool", {{"name", "bulwark"}, {"version", "0.1.0"}}},
          {"targets",
           {{{"kind", "image"},
             {"name", tag},
             {"id", "sha256:" + digest_hex},
             {"image", {{"config_digest", "sha256:" + digest_hex}, {"repo_tags", {tag}}}}}}},
          {"findings", findings}};
}

// The API on a real listener (a port of 18500-18529), over a store of either engine.
struct Served {
  std::unique_ptr<Api> api;
  std::unique_ptr<httpd::Server> server;
  std::string base;
  void start(Store& store, ApiOptions options) {
    api = std::make_unique<Api>(store, std::move(options));
    for (int p = 18500; p < 18530 && !server; ++p) {
      httpd::ServerOptions o;
      o.listen = "127.0.0.1:" + std::to_string(p);
      o.threads = 4;
      auto s = httpd::Server::start(o, [this](const httpd::Request& r) { return api->handle(r); });
      if (s) {
        server = std::move(*s);
        base = "http://127.0.0.1:" + std::to_string(p);
      }
    }
    ASSERT_TRUE(server) << "no free port in 18500-18529";
  }
  ~Served() {
    if (server) server->stop();
  }
};

struct ServerPolicies : ::testing::TestWithParam<std::string> {
  Backing dir{GetParam()};
  std::unique_ptr<Store> store;
  std::unique_ptr<Webhooks> hooks;
  Served http_api;
  std::string admin, reader, ci, ci2, agent;
  void SetUp() override {
    ASSERT_TRUE(dir.ready()) << "no PostgreSQL for this test (BULWARK_TEST_PG_URL)";
    auto s = dir.open();
    ASSERT_TRUE(s) << s.error().describe();
    store = std::move(*s);
    // A webhook that is never sent to (the worker does not run): the queued deliveries show the events.
    WebhookOptions wo;
    wo.urls = {"http://127.0.0.1:18549/hook"};
    wo.secret = "test-secret";
    auto h = Webhooks::create(*store, wo);
    ASSERT_TRUE(h) << h.error().describe();
    hooks = std::move(*h);
    ApiOptions o;
    o.webhooks = hooks.get();
    http_api.start(*store, o);
    admin = store->create_token(Role::admin, "", 0)->second;
    reader = store->create_token(Role::reader, "", 0)->second;
    ci = store->create_token(Role::ci, "", 0)->second;
    ci2 = store->create_token(Role::ci, "", 0)->second;
    agent = store->create_token(Role::agent, "node1", 0)->second;
  }
  std::string url(const std::string& path) const { return http_api.base + path; }
  Result<UploadResult> push(const json& doc, const std::string& policy, const std::string& token) {
    ClientOptions c;
    c.server = http_api.base;
    c.token = token;
    c.policy = policy;
    return upload(c, doc.dump());
  }
};

const std::string kHex1(64, '1'), kHex2(64, '2'), kHex3(64, '3'), kHex4(64, '4');

TEST_P(ServerPolicies, AdminManagesNamedPolicies) {
  const json gate = {{"description", "block high and critical with a fix"},
                     {"severity", "medium"},
                     {"fail_on", "high"},
                     {"ignore_unfixed", true},
                     {"exit_scanners", {"vuln"}},
                     {"ignore", "ignore:\n  - id: CVE-2024-0001\n    reason: not reachable\n"}};
  EXPECT_EQ(http("PUT", url("/api/v1/policies/gate"), ci, gate.dump()).status, 403);
  EXPECT_EQ(http("PUT", url("/api/v1/policies/gate"), reader, gate.dump()).status, 403);
  // Every mistake is refused, naming what is wrong, and nothing is stored.
  auto unknown = http("PUT", url("/api/v1/policies/gate"), admin, R"({"severty": "high"})");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_NE(unknown.body.find("severty"), std::string::npos) << unknown.body;
  auto bad_sev = http("PUT", url("/api/v1/policies/gate"), admin, R"({"fail_on": "hgh"})");
  EXPECT_EQ(bad_sev.status, 400);
  EXPECT_NE(bad_sev.body.find("hgh"), std::string::npos);
  auto bad_ignore = http("PUT", url("/api/v1/policies/gate"), admin,
                         json{{"ignore", "ignore:\n  - id: CVE-1\n    expires: tomorrow\n"}}.dump());
  EXPECT_EQ(bad_ignore.status, 400);
  EXPECT_NE(bad_ignore.body.find("policy:gate/ignore:3"), std::string::npos) << bad_ignore.body;
  auto bad_vex = http("PUT", url("/api/v1/policies/gate"), admin, json{{"vex", {{{"statements", 1}}}}}.dump());
  EXPECT_EQ(bad_vex.status, 400);
  EXPECT_NE(bad_vex.body.find("OpenVEX"), std::string::npos) << bad_vex.body;
  EXPECT_EQ(http("PUT", url("/api/v1/policies/..bad"), admin, gate.dump()).status, 400);
  EXPECT_EQ(http("PUT", url("/api/v1/policies/gate"), admin, "[1,2]").status, 400);
  EXPECT_EQ(http("GET", url("/api/v1/policies"), admin).j()["items"].size(), 0u);

  auto created = http("PUT", url("/api/v1/policies/gate"), admin, gate.dump());
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.j()["policy"], gate);
  EXPECT_EQ(http("PUT", url("/api/v1/policies/gate"), admin, gate.dump()).status, 200);  // replaced
  auto list = http("GET", url("/api/v1/policies"), ci);                                  // ci may read them
  ASSERT_EQ(list.status, 200);
  ASSERT_EQ(list.j()["items"].size(), 1u);
  EXPECT_EQ(list.j()["items"][0]["name"], "gate");
  EXPECT_EQ(http("GET", url("/api/v1/policies/gate"), reader).j()["policy"]["fail_on"], "high");
  EXPECT_EQ(http("GET", url("/api/v1/policies/gate"), agent).status, 403);
  EXPECT_EQ(http("GET", url("/api/v1/policies/nope"), reader).status, 404);
  EXPECT_EQ(http("DELETE", url("/api/v1/policies/gate"), ci).status, 403);
  EXPECT_EQ(http("DELETE", url("/api/v1/policies/gate"), admin).status, 200);
  EXPECT_EQ(http("DELETE", url("/api/v1/policies/gate"), admin).status, 404);
  // The audit log has the writes.
  auto audit = http("GET", url("/api/v1/audit?limit=50"), admin).j();
  bool created_audited = false;
  for (const auto& e : audit["items"]) created_audited |= e["message"] == "policy created gate";
  EXPECT_TRUE(created_audited);
}

TEST_P(ServerPolicies, UploadsGetTheVerdictStoredWithTheReport) {
  // fail on high and above; one CVE ignored by the ignore list, one by a VEX statement.
  json vex = {{"@context", "https://openvex.dev/ns/v0.2.0"},
              {"@id", "https://example.com/vex/1"},
              {"author", "security"},
              {"timestamp", "2026-11-01T00:00:00Z"},
              {"version", 1},
              {"statements",
               {{{"vulnerability", {{"name", "CVE-2024-0003"}}},
                 {"products", {{{"@id", "pkg:deb/debian/openssl"}}}},
                 {"status", "not_affected"},
                 {"justification", "vulnerable_code_not_in_execute_path"}}}}};
  json gate = {
      {"fail_on", "high"}, {"ignore", {{{"id", "CVE-2024-0002"}, {"reason", "accepted risk"}}}}, {"vex", {vex}}};
  ASSERT_EQ(http("PUT", url("/api/v1/policies/gate"), admin, gate.dump()).status, 201);
  ASSERT_EQ(http("PUT", url("/api/v1/policies/lenient"), admin, R"({"exit_scanners": ["config", "secret"]})").status,
            201);
  const auto reports_before = *store->count("reports");

  // A name that is no policy: refused, naming it, and nothing stored.
  json other = scan(kHex2, {{"CVE-2024-0001", "critical", "3.0.13-1"}});
  auto unknown = push(other, "no-such-policy", ci);
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("404"), std::string::npos) << unknown.error().message;
  EXPECT_NE(unknown.error().message.find("no-such-policy"), std::string::npos) << unknown.error().message;
  EXPECT_EQ(*store->count("reports"), reports_before);

  // A critical and a high finding with fixes, plus the ignored and the VEX'd ones: fail, 2 failing.
  json bad = scan(kHex1, {{"CVE-2024-0001", "critical", "3.0.13-1"},
                          {"CVE-2024-0004", "high", "3.0.13-1"},
                          {"CVE-2024-0005", "low", ""},
                          {"CVE-2024-0002", "critical", "3.0.13-1"},
                          {"CVE-2024-0003", "high", ""}});
  auto failed = push(bad, "gate", ci);
  ASSERT_TRUE(failed) << failed.error().describe();
  EXPECT_EQ(failed->status, 201);
  EXPECT_TRUE(failed->policy.evaluated);
  EXPECT_EQ(failed->policy.name, "gate");
  EXPECT_FALSE(failed->policy.pass);
  EXPECT_EQ(failed->policy.failing, 2);
  ASSERT_EQ(failed->policy.findings.size(), 2u);
  EXPECT_EQ(failed->policy.findings[0], "CVE-2024-0001 (critical) openssl 3.0.11-1, fixed in 3.0.13-1");
  EXPECT_EQ(failed->policy.findings[1], "CVE-2024-0004 (high) openssl 3.0.11-1, fixed in 3.0.13-1");
  json answer = json::parse(failed->body);
  EXPECT_EQ(answer["policy"]["suppressed"], 2);
  EXPECT_EQ(answer["policy"]["reported"], 3);
  ASSERT_EQ(answer["policy"]["reasons"].size(), 1u);
  EXPECT_EQ(answer["policy"]["reasons"][0], "2 findings at or above high fail the policy");

  // The same document again under the other policy (vulnerabilities do not fail it): a duplicate,
  // with a second verdict of its own.
  auto lenient = push(bad, "lenient", ci);
  ASSERT_TRUE(lenient) << lenient.error().describe();
  EXPECT_TRUE(lenient->duplicate);
  EXPECT_TRUE(lenient->policy.pass) << lenient->body;
  EXPECT_EQ(lenient->policy.failing, 0);

  // The verdicts are stored with the report: the uploading ci token reads them, by id or digest;
  // another ci token does not see them; readers do; agents read nothing.
  auto mine = http("GET", url("/api/v1/reports/" + failed->id + "/policy"), ci);
  ASSERT_EQ(mine.status, 200) << mine.body;
  ASSERT_EQ(mine.j()["items"].size(), 2u);
  std::map<std::string, json> by_name;
  const json verdicts = mine.j();
  for (const auto& v : verdicts["items"]) by_name[v["name"].get<std::string>()] = v;
  EXPECT_EQ(by_name["gate"]["pass"], false);
  EXPECT_EQ(by_name["gate"]["failing"], 2);
  EXPECT_EQ(by_name["gate"]["findings"][0]["id"], "CVE-2024-0001");
  EXPECT_EQ(by_name["lenient"]["pass"], true);
  EXPECT_EQ(http("GET", url("/api/v1/reports/" + failed->digest + "/policy"), ci).j()["report"], failed->id);
  EXPECT_EQ(http("GET", url("/api/v1/reports/" + failed->id + "/policy"), ci2).status, 404);
  EXPECT_EQ(http("GET", url("/api/v1/reports/" + failed->id + "/policy"), reader).status, 200);
  EXPECT_EQ(http("GET", url("/api/v1/reports/" + failed->id + "/policy"), agent).status, 403);
  EXPECT_EQ(http("GET", url("/api/v1/reports/r_nope/policy"), reader).status, 404);
  auto report = http("GET", url("/api/v1/reports/" + failed->id), reader).j();
  EXPECT_EQ(report["policy"].size(), 2u);

  // Suppressions the client applied do not count: the server's policy decides. The policy can be
  // named in a header too.
  json hidden = scan(kHex3, {{"CVE-2024-0009", "critical", "3.0.13-1"}});
  hidden["findings"][0]["suppression"] = {{"kind", "ignore-file"}, {"reason", "trust me"}};
  auto via_header = http("POST", url("/api/v1/reports"), ci, hidden.dump(), {"X-Bulwark-Policy: gate"});
  ASSERT_EQ(via_header.status, 201) << via_header.body;
  EXPECT_EQ(via_header.j()["policy"]["pass"], false);
  EXPECT_EQ(via_header.j()["policy"]["failing"], 1);
  EXPECT_EQ(via_header.j()["policy"]["client_suppressions_ignored"], 1);

  // A clean scan passes; without a policy the answer says it was not evaluated.
  auto clean = push(scan(kHex4, {{"CVE-2024-0005", "low", ""}}), "gate", ci);
  ASSERT_TRUE(clean);
  EXPECT_TRUE(clean->policy.pass);
  EXPECT_TRUE(clean->policy.reasons.empty());
  auto plain = push(scan(std::string(64, '5'), {}), "", ci);
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->policy.evaluated);
  EXPECT_EQ(json::parse(plain->body)["policy"], json({{"evaluated", false}}));

  // Each failing verdict of a new report queued one policy.failed webhook event, with the report.
  ListQuery q;
  q.filters["type"] = "policy.failed";
  auto deliveries = webhook_deliveries(*store, q);
  ASSERT_TRUE(deliveries) << deliveries.error().describe();
  EXPECT_EQ((*deliveries)["items"].size(), 2u) << deliveries->dump();

  // /metrics counts the verdicts.
  auto metrics = http("GET", url("/metrics"), reader).body;
  EXPECT_NE(metrics.find("bulwark_server_policy_verdicts_total{pass=\"false\"} 2"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("bulwark_server_policy_verdicts_total{pass=\"true\"} 2"), std::string::npos);

  // A deleted policy is unknown again.
  ASSERT_EQ(http("DELETE", url("/api/v1/policies/gate"), admin).status, 200);
  auto gone = http("POST", url("/api/v1/reports?policy=gate"), ci, scan(std::string(64, '6'), {}).dump());
  EXPECT_EQ(gone.status, 404);
  EXPECT_NE(gone.body.find("'gate'"), std::string::npos);
  // Inventories are not evaluated.
  json inventory = {
      {"schema", "bulwark/v1"}, {"report", "inventory"}, {"host", {{"name", "node1"}}}, {"containers", json::array()}};
  EXPECT_EQ(http("POST", url("/api/v1/reports?policy=lenient"), agent, inventory.dump()).status, 400);
}

TEST(RateLimiter, RefillsBurstsAndStaysBounded) {
  using namespace std::chrono_literals;
  RateLimiter off({0, 0, 10});
  EXPECT_TRUE(off.take("t").allowed);
  EXPECT_EQ(off.buckets(), 0u);

  RateLimiter lim({10, 20, 100});
  auto t0 = RateLimiter::Clock::time_point{} + 1000s;
  int allowed = 0;
  for (int i = 0; i < 50; ++i) allowed += lim.take("a", t0).allowed ? 1 : 0;
  EXPECT_EQ(allowed, 20);  // the burst, then nothing within the same instant
  auto refused = lim.take("a", t0);
  EXPECT_FALSE(refused.allowed);
  EXPECT_NEAR(refused.retry_after, 0.1, 1e-9);
  EXPECT_FALSE(refused.audit);                     // the first refusal of this second was audited already
  EXPECT_TRUE(lim.take("b", t0).allowed);          // another token has its own bucket
  EXPECT_TRUE(lim.take("a", t0 + 100ms).allowed);  // one request's worth refilled
  EXPECT_FALSE(lim.take("a", t0 + 100ms).allowed);
  auto next_second = lim.take("a", t0 + 1000ms + 1ms);
  EXPECT_TRUE(next_second.allowed);
  for (int i = 0; i < 20; ++i) (void)lim.take("a", t0 + 1001ms);
  auto again = lim.take("a", t0 + 1001ms);  // 8 of the 20 were allowed (the refill), 12 refused
  EXPECT_FALSE(again.allowed);
  EXPECT_FALSE(again.audit);
  EXPECT_EQ(lim.refused(), 30u + 1 + 1 + 12 + 1);

  // Bounded: 1,000 tokens never hold more than max_buckets buckets; full buckets go first.
  RateLimiter many({10, 20, 100});
  for (int i = 0; i < 1000; ++i) (void)many.take("tok" + std::to_string(i), t0 + std::chrono::milliseconds(i));
  EXPECT_LE(many.buckets(), 100u);
  // A key refused in a flood is audited at most once a second.
  RateLimiter flood({1, 1, 100});
  int audits = 0;
  for (int i = 0; i < 3000; ++i) {
    auto d = flood.take("f", t0 + std::chrono::milliseconds(i));
    if (!d.allowed && d.audit) ++audits;
  }
  EXPECT_LE(audits, 3);
  EXPECT_GE(audits, 2);
}

// The limit over real HTTP: a reader token past its burst gets 429 with Retry-After and a JSON
// error, counted in /metrics and audited at most once a second; other tokens and /healthz are
// not held back; after a pause the token is served again.
struct ServerRateLimit : ::testing::TestWithParam<std::string> {
  Backing dir{GetParam()};
  std::unique_ptr<Store> store;
  Served http_api;
  void SetUp() override {
    ASSERT_TRUE(dir.ready()) << "no PostgreSQL for this test (BULWARK_TEST_PG_URL)";
    auto s = dir.open();
    ASSERT_TRUE(s) << s.error().describe();
    store = std::move(*s);
    ApiOptions o;
    o.rate_limit = {5, 10, 1000};
    http_api.start(*store, o);
  }
};

TEST_P(ServerRateLimit, RefusesPastTheBurstWith429) {
  const std::string reader = store->create_token(Role::reader, "", 0)->second;
  const std::string admin = store->create_token(Role::admin, "", 0)->second;
  const auto start = std::chrono::steady_clock::now();
  int ok = 0, limited = 0;
  Answer last_refusal;
  for (int i = 0; i < 60; ++i) {
    auto a = http("GET", http_api.base + "/api/v1/summary", reader);
    if (a.status == 200) {
      ++ok;
    } else if (a.status == 429) {
      ++limited;
      last_refusal = a;
    } else {
      ADD_FAILURE() << a.status << " " << a.body;
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_GE(ok, 10);                                      // the burst
  EXPECT_LE(ok, 10 + static_cast<int>(seconds * 5) + 1);  // and the refill, no more
  EXPECT_GT(limited, 0);
  EXPECT_EQ(last_refusal.headers["retry-after"], "1");
  EXPECT_EQ(last_refusal.j()["error"]["code"], "rate_limited");
  // /healthz has no token and no limit; another token has its own bucket.
  for (int i = 0; i < 30; ++i) ASSERT_EQ(http("GET", http_api.base + "/healthz", "").status, 200);
  auto metrics = http("GET", http_api.base + "/metrics", admin);
  ASSERT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("bulwark_server_rate_limited_total " + std::to_string(limited)), std::string::npos)
      << metrics.body;
  // The audit log has one entry per token and second of refusals, not one per refusal.
  auto audit = http("GET", http_api.base + "/api/v1/audit?limit=500", admin).j();
  int rows = 0;
  for (const auto& e : audit["items"]) {
    if (e["status"] == 429) {
      ++rows;
      EXPECT_NE(e["message"].get<std::string>().find("rate limited"), std::string::npos);
    }
  }
  EXPECT_GE(rows, 1);
  EXPECT_LE(rows, static_cast<int>(seconds) + 2) << "refusals " << limited;
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  EXPECT_EQ(http("GET", http_api.base + "/api/v1/summary", reader).status, 200);
}

INSTANTIATE_TEST_SUITE_P(Engines, ServerPolicies, ::testing::ValuesIn(testing::engines()), testing::engine_name);
INSTANTIATE_TEST_SUITE_P(Engines, ServerRateLimit, ::testing::ValuesIn(testing::engines()), testing::engine_name);

}  // namespace
}  // namespace bulwark::server
