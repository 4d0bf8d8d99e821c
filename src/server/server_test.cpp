// Store and API tests, calling the API's handler with real requests, on both store engines: a
// real SQLite file always, and a real PostgreSQL when BULWARK_TEST_PG_URL is set (CTest's
// server.postgresql test starts a throwaway cluster with tests/e2e/pg.sh and runs this binary
// with it). Each PostgreSQL test gets its own schema, dropped after.
#include <gtest/gtest.h>

#include <yaml-cpp/yaml.h>
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "server/api.hpp"
#include "server/client.hpp"
#include "server/ingest.hpp"
#include "server/ingest_queue.hpp"
#include "server/jobs.hpp"
#include "server/rematch.hpp"
#include "server/retention.hpp"
#include "server/store.hpp"
#include "server/test_support.hpp"

namespace bulwark::server {
namespace {

using nlohmann::json;

using testing::Backing;
using testing::engine_name;
using testing::engines;
using testing::TempDir;

json image_doc(const std::string& digest_hex, const std::string& tag, const std::string& cve,
               const std::string& fixed = "1.1") {
  return {{"schema", "bulwark/v1"},
          {"tool", {{"name", "bulwark"}, {"version", "0.1.0"}}},
          {"targets",
           {{{"kind", "image"},
             {"name", "docker-archive:/x/" + tag + ".tar"},
             {"id", "sha256:" + digest_hex},
             {"os", {{"id", "debian"}, {"version_id", "12"}}},
             {"image", {{"repo_tags", {tag}}, {"layers", json::array()}}},
             {"packages", {{{"name", "openssl"}, {"version", "1.0"}, {"ecosystem", "deb"}}}}}}},
          {"findings",
           {{{"id", cve},
             {"severity", "high"},
             {"status", "fail"},
             {"practice", "vulnerability-scan"},
             {"target", {{"kind", "image"}, {"name", "docker-archive:/x/" + tag + ".tar"}}},
             {"package", {{"name", "openssl"}, {"version", "1.0"}, {"ecosystem", "deb"}}},
             {"vulnerability", {{"id", cve}, {"aliases", {"GHSA-" + cve}}, {"fixed_version", fixed}}}}}}};
}

struct ServerApi : ::testing::TestWithParam<std::string> {
  Backing dir{GetParam()};
  std::unique_ptr<Store> store;
  std::unique_ptr<Api> api;
  std::string admin, reader, agent, ci;
  void SetUp() override {
    ASSERT_TRUE(dir.ready()) << "no PostgreSQL for this test (BULWARK_TEST_PG_URL)";
    auto s = dir.open();
    ASSERT_TRUE(s) << s.error().describe();
    store = std::move(*s);
    api = std::make_unique<Api>(*store, ApiOptions{});
    admin = store->create_token(Role::admin, "", 0)->second;
    reader = store->create_token(Role::reader, "", 0)->second;
    agent = store->create_token(Role::agent, "node1", 0)->second;
    ci = store->create_token(Role::ci, "", 0)->second;
  }
  httpd::Response call(const std::string& method, const std::string& target, const std::string& token,
                       const std::string& body = {}, std::map<std::string, std::string> headers = {}) {
    auto r = testing::make_request(method, target, token, body, headers);
    return api->handle(r);
  }
  json body(const httpd::Response& r) { return json::parse(r.body); }
};

const std::string kHexA(64, 'a');
const std::string kHexB(64, 'b');

struct ServerStore : ::testing::TestWithParam<std::string> {};

TEST_P(ServerStore, MigratesAndRefusesNewerSchema) {
  Backing dir(GetParam());
  ASSERT_TRUE(dir.ready());
  {
    auto s = dir.open();
    ASSERT_TRUE(s) << s.error().describe();
    EXPECT_EQ(*(*s)->schema_version(), kSchemaVersion);
    EXPECT_EQ((*s)->dialect(), GetParam() == "sqlite" ? Dialect::sqlite : Dialect::postgresql);
  }
  {
    // Opening again finds every migration applied and applies nothing twice.
    auto s = dir.open();
    ASSERT_TRUE(s) << s.error().describe();
    auto raw = dir.raw();
    ASSERT_TRUE(raw);
    auto rows = (*raw)->query("SELECT COUNT(*) FROM schema_version");
    ASSERT_TRUE(rows);
    EXPECT_EQ(as_int((*rows)[0][0]), kSchemaVersion);
    ASSERT_TRUE((*s)->transaction(
        [](Sql& sql) { return sql.exec("INSERT INTO schema_version(version, applied_at) VALUES (999, 0)"); }));
  }
  auto again = dir.open();
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::unsupported);
  EXPECT_NE(again.error().message.find("999"), std::string::npos);
}

// Schema 6 on a store written by schema 5: the migration fills the kept counts from the findings
// already there, and the store answers as before (layers start empty until the next upload).
TEST_P(ServerStore, MigrationSixCountsTheFindingsAlreadyStored) {
  Backing dir(GetParam());
  ASSERT_TRUE(dir.ready());
  {
    auto s = dir.open();
    ASSERT_TRUE(s) << s.error().describe();
    Principal ci{"t", Role::ci, "", ""};
    for (const auto& [hex, cve] : {std::pair{kHexA, "CVE-2024-0001"}, std::pair{kHexB, "CVE-2024-0002"}}) {
      auto doc = parse_document(image_doc(hex, std::string("app:") + cve, cve).dump());
      ASSERT_TRUE(doc) << doc.error().describe();
      ASSERT_TRUE((*s)->ingest(*doc, 100, ci, ""));
    }
  }
  {
    // Back to schema 5's shape: no layer columns or tables, no kept counts (and nothing of the
    // later migrations, which run again after 6).
    auto raw = dir.raw();
    ASSERT_TRUE(raw);
    // (and of what later migrations add: they run again after 6)
    for (const char* stmt :
         {"DROP TABLE image_runs", "DROP INDEX events_target", "DROP TABLE advisory_imports",
          "ALTER TABLE jobs DROP COLUMN progress_done", "ALTER TABLE jobs DROP COLUMN progress_total",
          "DROP TABLE reachability", "DROP TABLE policies", "DROP TABLE report_verdicts", "DROP TABLE finding_counts",
          "DROP TABLE layers", "ALTER TABLE packages DROP COLUMN layer", "ALTER TABLE findings DROP COLUMN layer",
          "DELETE FROM schema_version WHERE version >= 6"}) {
      ASSERT_TRUE((*raw)->exec(stmt)) << stmt;
    }
  }
  auto s = dir.open();
  ASSERT_TRUE(s) << s.error().describe();
  EXPECT_EQ(*(*s)->schema_version(), kSchemaVersion);
  auto summary = (*s)->summary();
  ASSERT_TRUE(summary);
  EXPECT_EQ((*summary)["vulnerabilities"]["high"], 2);
  EXPECT_EQ((*summary)["fixable"], 2);
  EXPECT_EQ((*summary)["trend"][13]["high"], 2);
  auto one = (*s)->image("sha256:" + kHexA);
  ASSERT_TRUE(one && *one);
  EXPECT_EQ((**one)["counts"]["high"], 1);
  auto layers = (*s)->image_layers("sha256:" + kHexA);
  ASSERT_TRUE(layers && *layers);
  EXPECT_TRUE((**layers)["layers"].empty());
  EXPECT_EQ((**layers)["unattributed"]["packages"].size(), 1u);
}

struct StoreJobs : ::testing::TestWithParam<std::string> {};

// ---- retention ---------------------------------------------------------------------------------

TEST(ServerRetention, RepositoriesOfImageNames) {
  EXPECT_EQ(image_repository("reg.example:5000/team/app:1.2"), "reg.example:5000/team/app");
  EXPECT_EQ(image_repository("reg.example:5000/team/app"), "reg.example:5000/team/app");
  EXPECT_EQ(image_repository("registry:reg.example/app:1"), "reg.example/app");
  EXPECT_EQ(image_repository("docker:app:2"), "app");
  EXPECT_EQ(image_repository("app@sha256:" + std::string(64, 'a')), "app");
  EXPECT_EQ(image_repository("localhost:5000/app@sha256:" + std::string(64, 'a')), "localhost:5000/app");
  EXPECT_EQ(image_repository("debian:12"), "debian");
  EXPECT_FALSE(image_repository("docker-archive:/x/app:1.tar"));
  EXPECT_FALSE(image_repository("oci:/srv/layout"));
  EXPECT_FALSE(image_repository("/srv/rootfs"));
  EXPECT_FALSE(image_repository(""));
}

// A repository's image: 200 packages, one finding each (so deleting it frees pages), tagged
// reg.example/app:TAG, with a layer.
json retention_doc(const std::string& hex, const std::string& repo_tag) {
  json doc = image_doc(hex, repo_tag, "CVE-2026-0001");
  json packages = json::array(), findings = json::array();
  for (int i = 0; i < 200; ++i) {
    std::string name = "pkg-" + std::to_string(i) + "-" + std::string(40, 'x');
    packages.push_back({{"name", name}, {"version", "1.0"}, {"ecosystem", "deb"}});
    json f = doc["findings"][0];
    f["id"] = "CVE-2026-" + std::to_string(1000 + i);
    f["package"] = {{"name", name}, {"version", "1.0"}, {"ecosystem", "deb"}};
    f["vulnerability"] = {{"id", f["id"]}, {"fixed_version", "1.1"}};
    findings.push_back(f);
  }
  doc["targets"][0]["packages"] = packages;
  doc["targets"][0]["image"]["layers"] = {{{"digest", "sha256:" + hex}, {"diff_id", "sha256:" + hex}, {"size", 1}}};
  doc["findings"] = findings;
  return doc;
}

json inventory_doc(const std::vector<std::string>& running_image_ids, int serial) {
  json containers = json::array();
  for (std::size_t i = 0; i < running_image_ids.size(); ++i) {
    containers.push_back({{"id", "c" + std::to_string(i)},
                          {"name", "web" + std::to_string(i)},
                          {"image_id", running_image_ids[i]},
                          {"state", "running"}});
  }
  return {{"schema", "bulwark/v1"},
          {"report", "inventory"},
          {"host", {{"name", "node1"}, {"engine", "docker"}}},
          {"tool", {{"name", "bulwark"}, {"version", std::to_string(serial)}}},
          {"containers", containers}};
}

// Retention end to end on each engine: six images of one repository and one of another; the
// rules keep the newest two of each repository, the one seen running three days ago and the one
// running now; the other two go, with everything kept of them, and the kept counts stay right.
// A dry run first (nothing deleted), then the job (its progress in GET /api/v1/jobs), then the
// store's size, the space given back, and a re-upload of a deleted image stored anew.
TEST_P(ServerStore, RetentionKeepsTheNewestAndTheRunningAndDeletesTheRest) {
  Backing dir(GetParam());
  ASSERT_TRUE(dir.ready());
  std::int64_t now = 1'764'979'200;
  auto opened = dir.open([&] { return now; });
  ASSERT_TRUE(opened) << opened.error().describe();
  Store& store = **opened;
  ApiOptions options;
  options.retention = {2, 7};
  Api api(store, options);
  auto admin = store.create_token(Role::admin, "", 0)->second;
  auto ci = store.create_token(Role::ci, "", 0)->second;
  auto agent = store.create_token(Role::agent, "node1", 0)->second;
  auto reader = store.create_token(Role::reader, "", 0)->second;
  auto call = [&](const std::string& method, const std::string& target, const std::string& token,
                  const std::string& body = {}) {
    return api.handle(testing::make_request(method, target, token, body, {}));
  };
  auto hex = [](int i) { return std::string(63, 'e') + static_cast<char>('0' + i); };
  auto id = [&](int i) { return "sha256:" + hex(i); };
  for (int i = 1; i <= 6; ++i) {
    auto r = call("POST", "/api/v1/reports", ci, retention_doc(hex(i), "reg.example/app:" + std::to_string(i)).dump());
    ASSERT_EQ(r.status, 201) << r.body;
    now += 3600;
  }
  ASSERT_EQ(call("POST", "/api/v1/reports", ci, retention_doc(hex(7), "reg.example/other:1").dump()).status, 201);
  // app:2 ran on node1 early on; twelve days later app:1 ran (then stopped); app:3 runs now.
  ASSERT_EQ(call("POST", "/api/v1/reports", agent, inventory_doc({id(2)}, 1).dump()).status, 201);
  now += 10 * 86400;
  ASSERT_EQ(call("POST", "/api/v1/reports", agent, inventory_doc({id(1)}, 2).dump()).status, 201);
  now += 2 * 86400;
  ASSERT_EQ(call("POST", "/api/v1/reports", agent, inventory_doc({id(3)}, 3).dump()).status, 201);
  auto raw = dir.raw();
  ASSERT_TRUE(raw);
  auto rows_of = [&](const std::string& table, const std::string& key) {
    auto r = (*raw)->query("SELECT COUNT(*) FROM " + table + " WHERE target_key = $1", {key});
    return r ? as_int((*r)[0][0]) : -1;
  };
  ASSERT_GT(rows_of("match_keys", "image:" + id(2)) + rows_of("events", "image:" + id(2)), 0);
  const auto reports_before = *store.count("reports");
  const auto targets_before = *store.count("targets");

  // Refused: a reader; a bad number; rules off.
  EXPECT_EQ(call("POST", "/api/v1/retention/run", reader).status, 403);
  EXPECT_EQ(call("POST", "/api/v1/retention/run?keep_digests=-1", admin).status, 400);
  EXPECT_EQ(call("POST", "/api/v1/retention/run?keep_digests=0&running_days=0", admin).status, 400);

  auto dry = call("POST", "/api/v1/retention/run?dry_run=true", admin);
  ASSERT_EQ(dry.status, 200) << dry.body;
  auto plan = json::parse(dry.body);
  EXPECT_EQ(plan["examined"], 7);
  EXPECT_EQ(plan["deleted"], 2);
  ASSERT_EQ(plan["images"].size(), 2u) << plan.dump();
  EXPECT_EQ(plan["images"][0]["id"], id(2));  // oldest first
  EXPECT_EQ(plan["images"][1]["id"], id(4));
  EXPECT_EQ(plan["images"][0]["repositories"], json::array({"reg.example/app"}));
  EXPECT_EQ(*store.count("targets"), targets_before);  // a dry run deletes nothing

  auto queued = call("POST", "/api/v1/retention/run", admin);
  ASSERT_EQ(queued.status, 202) << queued.body;
  const auto job_id = json::parse(queued.body)["job"]["id"].get<std::int64_t>();
  JobRunner runner(store, "worker-1", JobRunnerOptions{std::chrono::milliseconds(50), 60, false});
  add_retention_job(runner, store);
  auto ran = runner.run_pending();
  ASSERT_TRUE(ran) << ran.error().describe();
  EXPECT_EQ(*ran, 1u);
  auto jobs = json::parse(call("GET", "/api/v1/jobs?kind=retention", reader).body);
  ASSERT_EQ(jobs["items"].size(), 1u) << jobs.dump();
  const auto& job = jobs["items"][0];
  EXPECT_EQ(job["id"], job_id);
  EXPECT_EQ(job["state"], "done");
  EXPECT_EQ(job["claimed_by"], "worker-1");
  EXPECT_EQ(job["progress"], json({{"done", 2}, {"total", 2}}));
  auto result = json::parse(job["result"].get<std::string>());
  EXPECT_EQ(result["deleted"], 2);
  EXPECT_EQ(result["rows"]["packages"], 400);
  EXPECT_EQ(result["rows"]["findings"], 400);
  EXPECT_EQ(result["rows"]["reports"], 2);
  EXPECT_EQ(*store.count("reports"), reports_before - 2);

  for (int i : {2, 4}) {
    EXPECT_EQ(call("GET", "/api/v1/images/" + id(i), reader).status, 404) << i;
    const std::string key = "image:" + id(i);
    for (const char* table :
         {"packages", "findings", "finding_ids", "finding_counts", "match_keys", "layers", "events"}) {
      EXPECT_EQ(rows_of(table, key), 0) << table << " of " << key;
    }
  }
  for (int i : {1, 3, 5, 6, 7}) EXPECT_EQ(call("GET", "/api/v1/images/" + id(i), reader).status, 200) << i;
  // The kept counts agree with the findings left, and the summary counts five images' findings.
  auto kept =
      (*raw)->query("SELECT target_key, origin, severity, day, n, fixable FROM finding_counts ORDER BY 1,2,3,4");
  auto counted = (*raw)->query(
      "SELECT target_key, origin, severity, first_seen / 86400, COUNT(*), SUM(CASE WHEN fixed_version <> '' THEN 1 "
      "ELSE 0 END) FROM findings WHERE package <> '' AND (status = 'fail' OR status = '') GROUP BY target_key, "
      "origin, severity, first_seen / 86400 ORDER BY 1,2,3,4");
  ASSERT_TRUE(kept && counted);
  EXPECT_EQ(*kept, *counted);
  auto summary = json::parse(call("GET", "/api/v1/summary", reader).body);
  EXPECT_EQ(summary["images"], 5);
  EXPECT_EQ(summary["vulnerabilities"]["high"], 5 * 200);

  // The space: SQLite gave the freed pages back; both report their size.
  if (GetParam() == "sqlite") {
    EXPECT_EQ(result["reclaim"]["method"], "incremental_vacuum") << result.dump();
    EXPECT_GT(result["reclaim"]["bytes_freed"].get<std::int64_t>(), 0);
    EXPECT_EQ(result["reclaim"]["free_pages_after"], 0);
    EXPECT_LT(result["bytes_after"].get<std::int64_t>(), result["bytes_before"].get<std::int64_t>());
  } else {
    EXPECT_EQ(result["reclaim"]["method"], "autovacuum") << result.dump();
  }
  auto st = call("GET", "/api/v1/store", reader);
  ASSERT_EQ(st.status, 200) << st.body;
  auto size = json::parse(st.body);
  EXPECT_EQ(size["engine"], GetParam());
  EXPECT_GT(size["bytes"].get<std::int64_t>(), 0);
  EXPECT_EQ(size["rows"]["packages"], 5 * 200);
  EXPECT_EQ(size["retention"]["keep_digests"], 2);
  EXPECT_EQ(size["retention"]["last_run"]["id"], job_id);
  auto metrics = call("GET", "/metrics", reader).body;
  EXPECT_NE(metrics.find("bulwark_server_store_bytes " + std::to_string(size["bytes"].get<std::int64_t>())),
            std::string::npos);

  // Run again: nothing more goes. A deleted image uploaded again is stored anew (not a duplicate).
  auto again = run_retention(store, options.retention, RetentionMode::apply);
  ASSERT_TRUE(again) << again.error().describe();
  EXPECT_EQ((*again)["deleted"], 0);
  auto back = call("POST", "/api/v1/reports", ci, retention_doc(hex(2), "reg.example/app:2").dump());
  EXPECT_EQ(back.status, 201) << back.body;
}

// An upload of an image between the choice and the delete keeps it (the guard on last_seen).
TEST_P(ServerStore, RetentionSkipsAnImageUploadedAgainSinceItWasChosen) {
  Backing dir(GetParam());
  ASSERT_TRUE(dir.ready());
  std::int64_t now = 1'764'979'200;
  auto opened = dir.open([&] { return now; });
  ASSERT_TRUE(opened) << opened.error().describe();
  Store& store = **opened;
  Principal ci{"t", Role::ci, "", ""};
  for (int i = 0; i < 2; ++i) {
    auto doc =
        parse_document(image_doc(std::string(63, 'f') + static_cast<char>('0' + i), "reg/app:1", "CVE-1").dump());
    ASSERT_TRUE(doc && store.ingest(*doc, 1, ci, ""));
    now += 60;
  }
  auto images = store.retention_images();
  ASSERT_TRUE(images);
  auto victims = retention_victims(*images, {1, 0}, now);
  ASSERT_EQ(victims.size(), 1u);
  json doc = image_doc(std::string(63, 'f') + '0', "reg/app:1", "CVE-1");
  doc["tool"]["version"] = "again";
  auto parsed = parse_document(doc.dump());
  ASSERT_TRUE(parsed && store.ingest(*parsed, 1, ci, ""));
  auto d = store.delete_images({victims[0].key}, {victims[0].last_seen});
  ASSERT_TRUE(d) << d.error().describe();
  EXPECT_EQ(d->images, 0);
  EXPECT_EQ(d->skipped, 1);
  EXPECT_EQ(*store.count("targets"), 2);
}

// SQLite: a store made before incremental auto-vacuum was the default is VACUUMed once, which
// switches it over.
TEST(ServerRetention, OldSqliteStoreIsVacuumedOnceThenIncremental) {
  TempDir dir;
  {
    auto raw = server::open_sqlite(dir.path / "bulwark.db");
    ASSERT_TRUE(raw);
    ASSERT_TRUE((*raw)->script("PRAGMA journal_mode=DELETE; PRAGMA auto_vacuum=NONE; VACUUM;"));
  }
  auto s = Store::open_sqlite(dir.path / "bulwark.db");
  ASSERT_TRUE(s) << s.error().describe();
  EXPECT_EQ((*(*s)->store_size())["sqlite"]["auto_vacuum"], "none");
  Principal ci{"t", Role::ci, "", ""};
  for (int i = 0; i < 3; ++i) {
    auto doc = parse_document(retention_doc(std::string(63, 'c') + static_cast<char>('0' + i), "reg/app:1").dump());
    ASSERT_TRUE(doc && (*s)->ingest(*doc, 1, ci, ""));
  }
  auto out = run_retention(**s, {1, 0}, RetentionMode::apply);
  ASSERT_TRUE(out) << out.error().describe();
  EXPECT_EQ((*out)["deleted"], 2);
  EXPECT_EQ((*out)["reclaim"]["method"], "vacuum") << out->dump();
  EXPECT_EQ((*(*s)->store_size())["sqlite"]["auto_vacuum"], "incremental");
  EXPECT_EQ((*(*s)->store_size())["sqlite"]["free_pages"], 0);
}

// Periodic jobs are deduplicated by their period: two runners (two replicas) scheduling the same
// retention make one job, run once.
TEST_P(StoreJobs, PeriodicJobsAreScheduledOncePerPeriodByAllReplicas) {
  Backing dir(GetParam());
  ASSERT_TRUE(dir.ready());
  auto a = dir.open();
  auto b = dir.open();
  ASSERT_TRUE(a && b);
  JobRunnerOptions o{std::chrono::milliseconds(20), 60, false};
  JobRunner ra(**a, "replica-a", o), rb(**b, "replica-b", o);
  for (JobRunner* r : {&ra, &rb}) {
    add_retention_job(*r, r == &ra ? **a : **b);
    r->every("retention", 3600, RetentionOptions{3, 0}.to_json().dump());
    r->start();
  }
  for (int i = 0; i < 200 && ra.ran() + rb.ran() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ra.stop();
  rb.stop();
  EXPECT_EQ(ra.ran() + rb.ran(), 1u);
  auto jobs = (*a)->jobs(ListQuery{});
  ASSERT_TRUE(jobs);
  ASSERT_EQ((*jobs)["items"].size(), 1u) << jobs->dump();
  EXPECT_EQ((*jobs)["items"][0]["kind"], "retention");
  EXPECT_EQ((*jobs)["items"][0]["state"], "done");
  EXPECT_EQ((*jobs)["items"][0]["payload"]["keep_digests"], 3);
}

TEST(ServerStoreText, Durations) {
  EXPECT_EQ(parse_duration("30d"), 30 * 86400);
  EXPECT_EQ(parse_duration("12h"), 12 * 3600);
  EXPECT_EQ(parse_duration("90"), 90);
  EXPECT_FALSE(parse_duration("-1d"));
  EXPECT_FALSE(parse_duration("d"));
  EXPECT_EQ(parse_rfc3339("1970-01-01T00:01:00Z"), 60);
  EXPECT_EQ(parse_rfc3339("1970-01-01T01:01:00.5+01:00"), 60);
  EXPECT_FALSE(parse_rfc3339("yesterday"));
}

TEST_P(ServerApi, TokensHashedExpireAndRevoke) {
  auto list = store->list_tokens();
  ASSERT_TRUE(list);
  EXPECT_EQ(list->size(), 4u);
  // Only the hash is stored: the token's secret is in no column of the tokens table and, on
  // SQLite, nowhere in the database files.
  auto raw = dir.raw();
  ASSERT_TRUE(raw);
  auto rows = (*raw)->query("SELECT id, hash, role, host FROM tokens");
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 4u);
  for (const auto& r : *rows) {
    for (const auto& c : r) EXPECT_EQ(as_text(c).find(admin.substr(21)), std::string::npos);
  }
  if (GetParam() == "sqlite") {
    std::ifstream in(dir.dir.path / "bulwark.db", std::ios::binary);
    std::string file((std::istreambuf_iterator<char>(in)), {});
    std::ifstream wal(dir.dir.path / "bulwark.db-wal", std::ios::binary);
    file += std::string((std::istreambuf_iterator<char>(wal)), {});
    EXPECT_EQ(file.find(admin.substr(21)), std::string::npos);
  }
  EXPECT_EQ(admin.size(), 85u);  // bwk_ + 16 + _ + 64 hex (256 bits)

  EXPECT_EQ(call("GET", "/api/v1/images", reader).status, 200);
  std::string wrong = reader;
  wrong.back() = wrong.back() == '0' ? '1' : '0';
  EXPECT_EQ(call("GET", "/api/v1/images", wrong).status, 401);
  EXPECT_EQ(call("GET", "/api/v1/images", "").status, 401);
  std::string id = reader.substr(4, 16);
  EXPECT_EQ(call("DELETE", "/api/v1/tokens/" + id, admin).status, 200);
  EXPECT_EQ(call("GET", "/api/v1/images", reader).status, 401);

  std::int64_t now = 1000;
  Backing d2(GetParam());
  auto s = d2.open([&] { return now; });
  ASSERT_TRUE(s);
  auto t = (*s)->create_token(Role::reader, "", 60);
  ASSERT_TRUE(t);
  EXPECT_TRUE(*(*s)->authenticate(t->second));
  now += 61;
  EXPECT_FALSE(*(*s)->authenticate(t->second));
  EXPECT_FALSE((*s)->create_token(Role::agent, "", 0));  // an agent needs a host
}

TEST_P(ServerApi, IngestIsIdempotentAndQueryable) {
  std::string doc = image_doc(kHexA, "app:1", "CVE-2024-0001").dump();
  auto first = call("POST", "/api/v1/reports", ci, doc);
  ASSERT_EQ(first.status, 201) << first.body;
  auto again = call("POST", "/api/v1/reports", ci, doc);
  EXPECT_EQ(again.status, 200);
  EXPECT_TRUE(body(again)["duplicate"].get<bool>());
  EXPECT_EQ(body(first)["id"], body(again)["id"]);
  EXPECT_EQ(*store->count("reports"), 1);

  auto images = body(call("GET", "/api/v1/images", reader));
  ASSERT_EQ(images["items"].size(), 1u);
  EXPECT_EQ(images["items"][0]["id"], "sha256:" + kHexA);
  EXPECT_EQ(images["items"][0]["counts"]["high"], 1);
  EXPECT_EQ(images["items"][0]["fixable"], 1);
  auto one = call("GET", "/api/v1/images/sha256%3A" + kHexA, reader);
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(body(one)["package_list"][0]["name"], "openssl");
  EXPECT_EQ(body(one)["findings"][0]["id"], "CVE-2024-0001");

  // Affected by the id or an alias; the running container comes from an agent's inventory.
  json inv = {{"schema", "bulwark/v1"},
              {"report", "inventory"},
              {"host", {{"name", "node1"}, {"engine", "docker"}}},
              {"images", {{{"id", "sha256:" + kHexA}, {"repo_tags", {"app:1"}}}}},
              {"containers",
               {{{"id", "c1"},
                 {"name", "web"},
                 {"image", "app:1"},
                 {"image_id", "sha256:" + kHexA},
                 {"state", "running"},
                 {"pod", {{"name", "web-0"}, {"namespace", "shop"}}}}}}};
  ASSERT_EQ(call("POST", "/api/v1/reports", agent, inv.dump()).status, 201);
  for (const char* id : {"CVE-2024-0001", "GHSA-CVE-2024-0001"}) {
    auto a = body(call("GET", std::string("/api/v1/vulnerabilities/") + id + "/affected", reader));
    ASSERT_EQ(a["images"].size(), 1u) << id;
    EXPECT_EQ(a["hosts"], json::array({"node1"}));
    ASSERT_EQ(a["containers"].size(), 1u);
    EXPECT_EQ(a["containers"][0]["pod"]["namespace"], "shop");
  }
  EXPECT_TRUE(body(call("GET", "/api/v1/vulnerabilities/CVE-1999-0001/affected", reader))["images"].empty());
  auto host = body(call("GET", "/api/v1/hosts/node1", reader));
  EXPECT_EQ(host["containers_running"], 1);
  auto events = body(call("GET", "/api/v1/events", reader));
  EXPECT_EQ(events["items"][0]["kind"], "new");
  auto summary = body(call("GET", "/api/v1/summary", reader));
  EXPECT_EQ(summary["images"], 1);
  EXPECT_EQ(summary["trend"].size(), 14u);
}

TEST_P(ServerApi, PaginationWalksEveryImageOnce) {
  for (int i = 0; i < 7; ++i) {
    std::string hex(64, 'c');
    hex[0] = static_cast<char>('0' + i);
    ASSERT_EQ(call("POST", "/api/v1/reports", ci, image_doc(hex, "app:" + std::to_string(i), "CVE-1").dump()).status,
              201);
  }
  std::set<std::string> seen;
  std::string cursor;
  for (int page = 0; page < 10; ++page) {
    auto r = body(call("GET", "/api/v1/images?limit=3" + (cursor.empty() ? "" : "&cursor=" + cursor), reader));
    for (const auto& it : r["items"]) EXPECT_TRUE(seen.insert(it["id"].get<std::string>()).second);
    if (!r.contains("next_cursor")) break;
    cursor = r["next_cursor"];
  }
  EXPECT_EQ(seen.size(), 7u);
  EXPECT_EQ(body(call("GET", "/api/v1/images?name=app:3", reader))["items"].size(), 1u);
  EXPECT_EQ(call("GET", "/api/v1/images?limit=0", reader).status, 400);
  EXPECT_EQ(call("GET", "/api/v1/images?cursor=zz", reader).status, 400);
}

// An image with `critical` and `high` vulnerabilities (every other one fixable), named `tag`.
json counted_image_doc(const std::string& digest_hex, const std::string& tag, int critical, int high) {
  json doc = image_doc(digest_hex, tag, "CVE-0");
  json findings = json::array();
  for (int i = 0; i < critical + high; ++i) {
    json f = doc["findings"][0];
    std::string id = "CVE-2026-" + std::to_string(1000 + i);
    f["id"] = id;
    f["severity"] = i < critical ? "critical" : "high";
    f["vulnerability"] = {{"id", id}, {"fixed_version", i % 2 == 0 ? "1.1" : ""}};
    findings.push_back(f);
  }
  doc["findings"] = findings;
  return doc;
}

// The images list in every sort: each walked in pages of 2 gives the order its items' own fields
// say (ties by id), the same as one page; the overview's trend counts open critical/high per day.
TEST_P(ServerApi, ImagesSortedByEveryKeyAndTrendPerDay) {
  std::int64_t now = 1'764'979'200 - 5 * 86400 + 3600;  // 5 days before 2025-12-06, 01:00 UTC
  auto clocked = dir.open([&] { return now; });
  ASSERT_TRUE(clocked) << clocked.error().describe();
  Api api2(**clocked, ApiOptions{});
  auto get = [&](const std::string& target) {
    return api2.handle(testing::make_request("GET", target, reader, {}, {}));
  };
  // Keys (digests) in one order, names in another, counts with ties; one upload a day.
  const char* names[] = {"delta:1", "alpha:1", "echo:1", "charlie:1", "bravo:1", "golf:1"};
  const int crit[] = {2, 0, 2, 1, 0, 3}, high[] = {1, 4, 0, 1, 2, 1};
  for (int i = 0; i < 6; ++i) {
    std::string hex(64, 'd');
    hex[0] = static_cast<char>('0' + i);
    auto r = api2.handle(testing::make_request("POST", "/api/v1/reports", ci,
                                               counted_image_doc(hex, names[i], crit[i], high[i]).dump(), {}));
    ASSERT_EQ(r.status, 201) << r.body;
    now += 86400;
  }
  now -= 86400;  // "today" is the day of the last upload
  auto value = [](const json& it, const std::string& key) -> json {
    if (key == "name") return it["names"][0];  // the repo tag (names: the tags, then the scan name)
    if (key == "last_seen") return it["last_seen"];
    if (key == "fixable") return it["fixable"];
    return it["counts"][key];
  };
  for (std::string key : {"name", "critical", "high", "fixable", "last_seen"}) {
    for (std::string sort : {key, "-" + key}) {
      auto full = get("/api/v1/images?limit=50&sort=" + sort);
      ASSERT_EQ(full.status, 200) << full.body;
      json all = body(full)["items"];
      ASSERT_EQ(all.size(), 6u);
      EXPECT_EQ(body(full)["sort"], sort);
      for (std::size_t i = 1; i < all.size(); ++i) {
        json a = value(all[i - 1], key), b = value(all[i], key);
        bool ordered = sort[0] == '-' ? a > b : a < b;
        EXPECT_TRUE(ordered || (a == b && all[i - 1]["id"] < all[i]["id"]))
            << sort << ": " << all[i - 1]["id"] << " " << a << " before " << all[i]["id"] << " " << b;
      }
      std::vector<std::string> walked;
      std::string cursor;
      for (int page = 0; page < 10; ++page) {
        auto r = body(get("/api/v1/images?limit=2&sort=" + sort + (cursor.empty() ? "" : "&cursor=" + cursor)));
        for (const auto& it : r["items"]) walked.push_back(it["id"]);
        if (!r.contains("next_cursor")) break;
        cursor = r["next_cursor"];
      }
      std::vector<std::string> ids;
      for (const auto& it : all) ids.push_back(it["id"]);
      EXPECT_EQ(walked, ids) << sort;
    }
  }
  EXPECT_EQ(body(get("/api/v1/images?sort=name"))["items"][0]["names"][0], "alpha:1");
  EXPECT_EQ(body(get("/api/v1/images?sort=-critical"))["items"][0]["counts"]["critical"], 3);
  // A filter and a sort together: only images with a critical finding, most high first.
  json crit_only = body(get("/api/v1/images?severity=critical&sort=-high"))["items"];
  ASSERT_EQ(crit_only.size(), 4u);
  EXPECT_EQ(crit_only[0]["counts"]["high"], 1);
  EXPECT_EQ(crit_only[3]["counts"]["high"], 0);
  // Bad input: an unknown key names it; a cursor of another sort is refused.
  auto bad = get("/api/v1/images?sort=severity");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("'severity'"), std::string::npos) << bad.body;
  std::string c = body(get("/api/v1/images?limit=2&sort=name"))["next_cursor"];
  auto other = get("/api/v1/images?limit=2&sort=-name&cursor=" + c);
  EXPECT_EQ(other.status, 400);
  EXPECT_NE(other.body.find("issued for sort 'name'"), std::string::npos) << other.body;
  EXPECT_EQ(get("/api/v1/images?limit=2&sort=name&cursor=78").status, 400);

  // The trend: image i was first seen on day i of the last six (today is the 14th entry).
  json s = body(get("/api/v1/summary"));
  ASSERT_EQ(s["trend"].size(), 14u);
  int open_critical = 0, open_high = 0;
  for (int d = 0; d < 14; ++d) {
    int upload = d - 8;  // entries 8..13 are the six upload days
    if (upload >= 0) {
      open_critical += crit[upload];
      open_high += high[upload];
    }
    EXPECT_EQ(s["trend"][d]["critical"], open_critical) << "day " << d << " " << s["trend"][d]["date"];
    EXPECT_EQ(s["trend"][d]["high"], open_high) << "day " << d;
  }
  EXPECT_EQ(s["trend"][13]["critical"], s["vulnerabilities"]["critical"]);
  EXPECT_EQ(s["trend"][13]["high"], s["vulnerabilities"]["high"]);
  EXPECT_EQ(s["trend"][13]["date"], "2025-12-06");
}

// An image of three layers: openssl in the base layer, curl in the second, a package the SBOM
// gives no layer; a secret found in the third layer's files.
json layered_image_doc(const std::string& digest_hex) {
  const std::string l1 = "sha256:" + std::string(64, '1'), l2 = "sha256:" + std::string(64, '2'),
                    l3 = "sha256:" + std::string(64, '3');
  json doc = image_doc(digest_hex, "layered:1", "CVE-2024-0001");
  auto& t = doc["targets"][0];
  t["image"]["layers"] = {{{"digest", "sha256:" + std::string(64, 'e')},
                           {"diff_id", l1},
                           {"size", 29150000},
                           {"created_by", "/bin/sh -c #(nop) ADD file:1a2b in / "}},
                          {{"digest", "sha256:" + std::string(64, 'f')},
                           {"diff_id", l2},
                           {"size", 4200},
                           {"created_by", "RUN apt-get install -y curl"}},
                          {{"diff_id", l3}, {"size", 512}, {"created_by", "COPY app /app"}}};
  t["packages"] = {{{"name", "openssl"}, {"version", "1.0"}, {"ecosystem", "deb"}, {"layer", l1}},
                   {{"name", "curl"}, {"version", "7.88"}, {"ecosystem", "deb"}, {"layer", l2}},
                   {{"name", "mystery"}, {"version", "2"}, {"ecosystem", "deb"}}};
  json curl = doc["findings"][0];
  curl["id"] = "CVE-2024-0002";
  curl["severity"] = "critical";
  curl["package"] = {{"name", "curl"}, {"version", "7.88"}, {"ecosystem", "deb"}};
  curl["vulnerability"] = {{"id", "CVE-2024-0002"}};
  json curl_low = curl;
  curl_low["id"] = "CVE-2024-0003";
  curl_low["severity"] = "low";
  curl_low["vulnerability"] = {{"id", "CVE-2024-0003"}, {"fixed_version", "7.89"}};
  json mystery = curl;
  mystery["id"] = "CVE-2024-0004";
  mystery["severity"] = "medium";
  mystery["package"] = {{"name", "mystery"}, {"version", "2"}};
  mystery["vulnerability"] = {{"id", "CVE-2024-0004"}};
  json secret = {{"id", "BLWK-SECRET-AWS"},   {"severity", "high"},
                 {"status", "fail"},          {"practice", "least-privilege"},
                 {"title", "AWS access key"}, {"location", {{"path", "app/config"}, {"layer", l3}}}};
  doc["findings"].push_back(curl);
  doc["findings"].push_back(curl_low);
  doc["findings"].push_back(mystery);
  doc["findings"].push_back(secret);
  return doc;
}

// Layers: each layer's created_by and size as uploaded, the packages it added and their findings;
// the layers' counts add up to the image's; a new upload replaces them; bad layers are refused.
TEST_P(ServerApi, ImageLayersWithTheirPackagesAndFindings) {
  ASSERT_EQ(call("POST", "/api/v1/reports", ci, layered_image_doc(kHexA).dump()).status, 201);
  auto r = call("GET", "/api/v1/images/sha256:" + kHexA + "/layers", reader);
  ASSERT_EQ(r.status, 200) << r.body;
  json v = body(r);
  EXPECT_EQ(v["id"], "sha256:" + kHexA);
  ASSERT_EQ(v["layers"].size(), 3u);
  const auto& base = v["layers"][0];
  EXPECT_EQ(base["index"], 0);
  EXPECT_EQ(base["size"], 29150000);
  EXPECT_EQ(base["created_by"], "/bin/sh -c #(nop) ADD file:1a2b in / ");
  EXPECT_EQ(base["digest"], "sha256:" + std::string(64, 'e'));
  ASSERT_EQ(base["packages"].size(), 1u);
  EXPECT_EQ(base["packages"][0]["name"], "openssl");
  ASSERT_EQ(base["findings"].size(), 1u);
  EXPECT_EQ(base["findings"][0]["id"], "CVE-2024-0001");
  EXPECT_EQ(base["counts"]["high"], 1);
  EXPECT_EQ(base["fixable"], 1);
  const auto& apt = v["layers"][1];
  EXPECT_EQ(apt["created_by"], "RUN apt-get install -y curl");
  ASSERT_EQ(apt["packages"].size(), 1u);
  EXPECT_EQ(apt["packages"][0]["name"], "curl");
  EXPECT_EQ(apt["counts"]["critical"], 1);
  EXPECT_EQ(apt["counts"]["low"], 1);
  EXPECT_EQ(apt["vulnerabilities"], 2);
  EXPECT_EQ(apt["fixable"], 1);
  const auto& copy = v["layers"][2];
  EXPECT_FALSE(copy.contains("digest"));
  EXPECT_TRUE(copy["packages"].empty());
  ASSERT_EQ(copy["findings"].size(), 1u) << "the secret found in the layer's files";
  EXPECT_EQ(copy["findings"][0]["id"], "BLWK-SECRET-AWS");
  EXPECT_EQ(copy["vulnerabilities"], 0) << "a secret is not a vulnerability";
  ASSERT_EQ(v["unattributed"]["packages"].size(), 1u);
  EXPECT_EQ(v["unattributed"]["packages"][0]["name"], "mystery");
  EXPECT_EQ(v["unattributed"]["counts"]["medium"], 1);
  // The layers' counts add up to the image's.
  json img = body(call("GET", "/api/v1/images/sha256:" + kHexA, reader));
  for (const char* sev : {"critical", "high", "medium", "low", "info", "unknown"}) {
    std::int64_t sum = v["unattributed"]["counts"][sev].get<std::int64_t>();
    for (const auto& l : v["layers"]) sum += l["counts"][sev].get<std::int64_t>();
    EXPECT_EQ(sum, img["counts"][sev].get<std::int64_t>()) << sev;
  }
  EXPECT_EQ(img["vulnerabilities"], 4);
  // The image's own lists carry the layer too.
  for (const auto& p : img["package_list"]) {
    if (p["name"] == "curl") {
      EXPECT_EQ(p["layer"], "sha256:" + std::string(64, '2'));
    }
    if (p["name"] == "mystery") {
      EXPECT_FALSE(p.contains("layer"));
    }
  }
  bool secret_located = false;
  for (const auto& f : img["findings"]) {
    if (f["id"] == "BLWK-SECRET-AWS") secret_located = f["location"]["layer"] == "sha256:" + std::string(64, '3');
  }
  EXPECT_TRUE(secret_located) << img["findings"].dump();

  // A rebuilt image under the same id (same config) lists only its new layers.
  json rebuilt = layered_image_doc(kHexA);
  rebuilt["targets"][0]["image"]["layers"].erase(2);
  rebuilt["tool"]["version"] = "0.1.1";  // another document (digest)
  ASSERT_EQ(call("POST", "/api/v1/reports", ci, rebuilt.dump()).status, 201);
  v = body(call("GET", "/api/v1/images/sha256:" + kHexA + "/layers", reader));
  EXPECT_EQ(v["layers"].size(), 2u);
  // The secret's layer is gone: it counts as unattributed.
  bool moved = false;
  for (const auto& f : v["unattributed"]["findings"]) moved = moved || f["id"] == "BLWK-SECRET-AWS";
  EXPECT_TRUE(moved) << v.dump();

  // Unknown image; agents cannot read; a layer whose diff_id is no digest is refused, naming it.
  EXPECT_EQ(call("GET", "/api/v1/images/sha256:" + kHexB + "/layers", reader).status, 404);
  EXPECT_EQ(call("GET", "/api/v1/images/sha256:" + kHexA + "/layers", agent).status, 403);
  json bad = layered_image_doc(kHexB);
  bad["targets"][0]["image"]["layers"][1]["diff_id"] = "<script>alert(1)</script>";
  auto refused = call("POST", "/api/v1/reports", ci, bad.dump());
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_NE(refused.body.find("$.targets[0].image.layers[1].diff_id"), std::string::npos) << refused.body;
  bad = layered_image_doc(kHexB);
  bad["targets"][0]["image"]["layers"][0]["size"] = -1;
  refused = call("POST", "/api/v1/reports", ci, bad.dump());
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_NE(refused.body.find("layers[0].size"), std::string::npos) << refused.body;
  EXPECT_EQ(call("GET", "/api/v1/images/sha256:" + kHexB, reader).status, 404) << "nothing of it stored";
}

// The counts kept per target (finding_counts) are what counting the findings gives, after every
// kind of change an upload makes; the list, its count sorts and filters, and the summary read them.
TEST_P(ServerApi, KeptCountsFollowEveryUpload) {
  auto raw = dir.raw();
  ASSERT_TRUE(raw);
  auto recount_matches = [&](const std::string& when) {
    auto kept = (*raw)->query(
        "SELECT target_key, origin, severity, day, n, fixable FROM finding_counts ORDER BY target_key, origin, "
        "severity, day");
    auto counted = (*raw)->query(
        "SELECT target_key, origin, severity, first_seen / 86400, COUNT(*), SUM(CASE WHEN fixed_version <> '' THEN "
        "1 ELSE 0 END) FROM findings WHERE package <> '' AND (status = 'fail' OR status = '') GROUP BY target_key, "
        "origin, severity, first_seen / 86400 ORDER BY target_key, origin, severity, first_seen / 86400");
    ASSERT_TRUE(kept && counted);
    EXPECT_EQ(*kept, *counted) << when;
  };
  ASSERT_EQ(call("POST", "/api/v1/reports", ci, counted_image_doc(kHexA, "a:1", 3, 2).dump()).status, 201);
  ASSERT_EQ(call("POST", "/api/v1/reports", ci, layered_image_doc(kHexB).dump()).status, 201);
  recount_matches("after two uploads");
  // Fewer findings, another severity mix; then an SBOM-only upload (no findings: the old stay).
  ASSERT_EQ(call("POST", "/api/v1/reports", ci, counted_image_doc(kHexA, "a:1", 1, 0).dump()).status, 201);
  recount_matches("after a smaller upload");
  json sbom_only = counted_image_doc(kHexA, "a:1", 0, 0);
  sbom_only["tool"]["version"] = "sbom";
  ASSERT_EQ(call("POST", "/api/v1/reports", ci, sbom_only.dump()).status, 201);
  recount_matches("after an SBOM without findings");
  auto a = body(call("GET", "/api/v1/images/sha256:" + kHexA, reader));
  EXPECT_EQ(a["counts"]["critical"], 1);
  EXPECT_EQ(a["counts"]["high"], 0);
  EXPECT_EQ(a["vulnerabilities"], 1);
  auto s = body(call("GET", "/api/v1/summary", reader));
  EXPECT_EQ(s["vulnerabilities"]["critical"], 2);  // 1 + layered's curl
  EXPECT_EQ(s["vulnerabilities"]["high"], 1);
  EXPECT_EQ(s["vulnerabilities"]["medium"], 1);
  EXPECT_EQ(s["vulnerabilities"]["low"], 1);
  EXPECT_EQ(s["fixable"], 3);  // a's first (fixable), openssl's, curl's low
  auto crit = body(call("GET", "/api/v1/images?severity=critical&sort=-critical", reader))["items"];
  ASSERT_EQ(crit.size(), 2u);
  auto low_only = body(call("GET", "/api/v1/images?severity=low&fixable=false", reader))["items"];
  EXPECT_TRUE(low_only.empty()) << low_only.dump();
  auto fix = body(call("GET", "/api/v1/images?sort=-fixable", reader))["items"];
  ASSERT_EQ(fix.size(), 2u);
  EXPECT_EQ(fix[0]["id"], "sha256:" + kHexB);
  EXPECT_EQ(fix[0]["fixable"], 2);
}

// A `bulwark config` scan with its NetworkPolicy reachability (docs/formats/json.md): one with
// the document's shape, `tag` in its target's name.
json config_doc(const std::string& tag) {
  return {
      {"schema", "bulwark/v1"},
      {"tool", {{"name", "bulwark"}, {"version", "0.1.0"}}},
      {"targets", {{{"kind", "file"}, {"name", "k8s-" + tag + "/"}}}},
      {"findings",
       {{{"id", "BW-NETPOL-002"},
         {"severity", "medium"},
         {"status", "fail"},
         {"practice", "network-policy"},
         {"target", {{"kind", "file"}, {"name", "k8s-" + tag + "/"}}}}}},
      {"reachability",
       {{"namespaces",
         {{{"name", "shop"}, {"default_deny_ingress", true}, {"default_deny_egress", true}, {"workloads", 2}},
          {{"name", "<b>open</b>"},
           {"default_deny_ingress", false},
           {"default_deny_egress", false},
           {"workloads", 0}}}},
        {"nodes",
         {{{"id", "shop/web[Deployment]"},
           {"type", "workload"},
           {"namespace", "shop"},
           {"name", "web"},
           {"kind", "Deployment"},
           {"ingress_isolated", true},
           {"egress_isolated", true},
           {"exposed", true},
           {"exposed_connections", "TCP 8080"},
           {"exposed_ports", {{{"protocol", "TCP"}, {"ports", "8080"}}}},
           {"location", {{"path", "k8s/web.yaml"}, {"line", 3}}},
           {"secret_extra", "not kept"}},
          {{"id", "shop/db[Deployment]"},
           {"type", "workload"},
           {"namespace", "shop"},
           {"name", "db"},
           {"kind", "Deployment"},
           {"ingress_isolated", true},
           {"egress_isolated", true},
           {"exposed", false}},
          {{"id", "0.0.0.0-255.255.255.255[External]"}, {"type", "external"}, {"name", "0.0.0.0-255.255.255.255"}}}},
        {"edges",
         {{{"src", "0.0.0.0-255.255.255.255[External]"},
           {"dst", "shop/web[Deployment]"},
           {"connections", "TCP 8080"},
           {"all", false},
           {"ports", {{{"protocol", "TCP"}, {"ports", "8080"}}}}},
          {{"src", "shop/web[Deployment]"},
           {"dst", "shop/db[Deployment]"},
           {"connections", "TCP 5432"},
           {"all", false},
           {"ports", {{{"protocol", "TCP"}, {"ports", "5432"}}}}}}}}}};
}

// Reachability graphs: stored with the upload, listed newest first in pages, served whole by
// report id to readers (not agents), and a graph that is not one (an edge to no node, a bad
// port list, a workload in no listed namespace) refuses the whole upload.
TEST_P(ServerApi, NetpolGraphsStoredListedAndServed) {
  std::vector<std::string> ids;
  for (const char* tag : {"a", "b", "c"}) {
    auto r = call("POST", "/api/v1/reports", ci, config_doc(tag).dump());
    ASSERT_EQ(r.status, 201) << r.body;
    ids.push_back(body(r)["id"]);
  }
  auto list = call("GET", "/api/v1/netpol", reader);
  ASSERT_EQ(list.status, 200) << list.body;
  auto items = body(list)["items"];
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0]["id"], ids[2]);  // newest first
  EXPECT_EQ(items[0]["target"]["name"], "k8s-c/");
  EXPECT_EQ(
      items[0]["counts"],
      json(
          {{"namespaces", 2}, {"workloads", 2}, {"edges", 2}, {"namespaces_without_default_deny", 1}, {"exposed", 1}}));
  // Pages of two walk all three once.
  auto p1 = body(call("GET", "/api/v1/netpol?limit=2", reader));
  ASSERT_EQ(p1["items"].size(), 2u);
  ASSERT_TRUE(p1.contains("next_cursor"));
  auto p2 = body(call("GET", "/api/v1/netpol?limit=2&cursor=" + p1["next_cursor"].get<std::string>(), reader));
  ASSERT_EQ(p2["items"].size(), 1u);
  EXPECT_EQ(p2["items"][0]["id"], ids[0]);
  EXPECT_FALSE(p2.contains("next_cursor"));
  EXPECT_EQ(body(call("GET", "/api/v1/netpol?name=k8s-b/", reader))["items"].size(), 1u);
  EXPECT_EQ(call("GET", "/api/v1/netpol?cursor=zz", reader).status, 400);

  auto one = call("GET", "/api/v1/netpol/" + ids[1], reader);
  ASSERT_EQ(one.status, 200) << one.body;
  auto g = body(one);
  auto sent = config_doc("b")["reachability"];
  EXPECT_EQ(g["edges"], sent["edges"]);
  EXPECT_EQ(g["namespaces"], sent["namespaces"]);
  ASSERT_EQ(g["nodes"].size(), 3u);
  EXPECT_FALSE(g["nodes"][0].contains("secret_extra"));  // only the documented fields are kept
  EXPECT_EQ(g["nodes"][0]["exposed_connections"], "TCP 8080");
  EXPECT_EQ(g["nodes"][0]["location"], json({{"path", "k8s/web.yaml"}, {"line", 3}}));
  EXPECT_EQ(g["nodes"][2]["type"], "external");

  EXPECT_EQ(call("GET", "/api/v1/netpol/r_nosuch", reader).status, 404);
  EXPECT_EQ(call("GET", "/api/v1/netpol", agent).status, 403);
  EXPECT_EQ(call("GET", "/api/v1/netpol", "").status, 401);
  EXPECT_EQ(call("POST", "/api/v1/netpol", admin).status, 405);

  auto refused = [&](const std::function<void(json&)>& spoil) {
    json doc = config_doc("bad");
    spoil(doc["reachability"]);
    return call("POST", "/api/v1/reports", ci, doc.dump());
  };
  auto r1 = refused([](json& bad) { bad["edges"][0]["dst"] = "shop/nosuch[Deployment]"; });
  EXPECT_EQ(r1.status, 400);
  EXPECT_NE(r1.body.find("reachability.edges[0].dst"), std::string::npos) << r1.body;
  EXPECT_EQ(refused([](json& bad) { bad["edges"][1]["ports"][0]["ports"] = "80;rm -rf"; }).status, 400);
  EXPECT_EQ(refused([](json& bad) { bad["nodes"][1]["namespace"] = "elsewhere"; }).status, 400);
  EXPECT_EQ(refused([](json& bad) { bad["nodes"][1]["type"] = "<script>"; }).status, 400);
  EXPECT_EQ(refused([](json& bad) { bad["nodes"] = "many"; }).status, 400);
  EXPECT_EQ(refused([](json& bad) { bad["nodes"][0]["exposed"] = "yes"; }).status, 400);
  EXPECT_EQ(*store->count("reports"), 3);
  EXPECT_EQ(body(call("GET", "/api/v1/netpol", reader))["items"].size(), 3u);
}

TEST_P(ServerApi, HostileInputIsRefusedAndNothingStored) {
  struct Case {
    std::string body;
    int status;
    std::string needle;
  };
  json wrong_type = image_doc(kHexA, "x:1", "CVE-2");
  wrong_type["targets"][0]["packages"][0]["name"] = 5;
  json bad_kind = image_doc(kHexA, "x:1", "CVE-2");
  bad_kind["report"] = "exploit";
  json bad_id = image_doc(kHexA, "x:1", "CVE-2");
  bad_id["targets"][0]["id"] = "../../etc/passwd";
  std::string deep(100, '[');
  std::vector<Case> cases = {
      {"{not json", 400, "malformed JSON"},
      {"[1,2]", 400, "JSON object"},
      {R"({"schema":"bulwark/v2","targets":[],"findings":[]})", 400, "$.schema"},
      {wrong_type.dump(), 400, "packages[0].name"},
      {bad_kind.dump(), 400, "unknown report kind"},
      {bad_id.dump(), 400, "sha256 digest"},
      {deep, 413, "deeper"},
  };
  for (const auto& c : cases) {
    auto r = call("POST", "/api/v1/reports", admin, c.body);
    EXPECT_EQ(r.status, c.status) << c.body.substr(0, 80);
    EXPECT_NE(r.body.find(c.needle), std::string::npos) << r.body;
  }
  // Roles: agent for another host, reader writing, ci uploading an inventory, agent reading.
  json inv = {
      {"schema", "bulwark/v1"}, {"report", "inventory"}, {"host", {{"name", "node2"}}}, {"containers", json::array()}};
  EXPECT_EQ(call("POST", "/api/v1/reports", agent, inv.dump()).status, 403);
  EXPECT_EQ(call("POST", "/api/v1/reports", reader, image_doc(kHexA, "x:1", "CVE-2").dump()).status, 403);
  EXPECT_EQ(call("POST", "/api/v1/reports", ci, inv.dump()).status, 403);
  EXPECT_EQ(call("GET", "/api/v1/images", agent).status, 403);
  EXPECT_EQ(call("GET", "/api/v1/tokens", reader).status, 403);
  EXPECT_EQ(call("GET", "/api/v1/images/..%2F..%2Fetc", reader).status, 400);
  EXPECT_EQ(call("GET", "/api/v1/hosts/a%00b", reader).status, 400);
  EXPECT_EQ(*store->count("reports"), 0);
  EXPECT_EQ(*store->count("targets"), 0);
  EXPECT_GE(*store->count("audit"), 14);
}

TEST_P(ServerApi, SessionCookieNeedsCsrfForWrites) {
  auto r = call("POST", "/api/v1/session", "", json{{"token", admin}}.dump());
  ASSERT_EQ(r.status, 201) << r.body;
  std::string cookie;
  for (const auto& [k, v] : r.headers) {
    if (k == "Set-Cookie") cookie = v;
  }
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(cookie.find("Secure"), std::string::npos);
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos);
  std::string value = cookie.substr(16, 64);
  std::string csrf = body(r)["csrf"];
  std::map<std::string, std::string> h{{"cookie", "bulwark_session=" + value}};
  EXPECT_EQ(call("GET", "/api/v1/summary", "", "", h).status, 200);
  std::string doc = image_doc(kHexB, "y:1", "CVE-3").dump();
  EXPECT_EQ(call("POST", "/api/v1/reports", "", doc, h).status, 403);
  h["x-csrf-token"] = csrf;
  EXPECT_EQ(call("POST", "/api/v1/reports", "", doc, h).status, 201);
  EXPECT_EQ(call("DELETE", "/api/v1/session", "", "", h).status, 200);
  EXPECT_EQ(call("GET", "/api/v1/summary", "", "", h).status, 401);
  EXPECT_EQ(call("POST", "/api/v1/session", "", json{{"token", agent}}.dump()).status, 403);
}

TEST_P(ServerApi, HealthAndDashboard) {
  EXPECT_EQ(call("GET", "/healthz", "").status, 200);
  auto page = call("GET", "/", "");
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.content_type.find("text/html"), std::string::npos);
  EXPECT_EQ(call("GET", "/some/dashboard/route", "").status, 200);
  EXPECT_EQ(call("GET", "/api/v1/nothing", reader).status, 404);
  EXPECT_EQ(call("GET", "/metrics", "").status, 401);
  auto m = call("GET", "/metrics", reader);
  EXPECT_EQ(m.status, 200);
  EXPECT_NE(m.body.find("bulwark_server_requests_total"), std::string::npos);
}

// Two replicas upload the same document at the same moment: both succeed, one is the duplicate,
// the store keeps it once.
TEST_P(ServerApi, TwoConnectionsIngestTheSameDocumentOnce) {
  auto other = dir.open();
  ASSERT_TRUE(other) << other.error().describe();
  auto doc = parse_document(image_doc(kHexB, "race:1", "CVE-2024-0009").dump());
  ASSERT_TRUE(doc);
  Principal who{"t", Role::ci, "", ""};
  for (int round = 0; round < 5; ++round) {
    auto d = *doc;
    d.digest = "sha256:" + std::string(63, 'e') + static_cast<char>('0' + round);
    Result<IngestOutcome> a = fail(ErrorCode::internal, "unset"), b = a;
    std::thread t1([&] { a = store->ingest(d, 10, who, ""); });
    std::thread t2([&] { b = (*other)->ingest(d, 10, who, ""); });
    t1.join();
    t2.join();
    ASSERT_TRUE(a) << a.error().describe();
    ASSERT_TRUE(b) << b.error().describe();
    EXPECT_EQ(a->id, b->id);
    EXPECT_NE(a->duplicate, b->duplicate);
  }
  EXPECT_EQ(*store->count("reports"), 5);
  EXPECT_EQ(*store->count("targets"), 1);
  EXPECT_EQ(*store->count("packages"), 1);
}

// Group commit: uploads that arrive while the store is busy are stored in one transaction,
// each still all or nothing on its own. The store is held by another transaction while seven
// uploads queue: the first caller stores its own upload, the next leader the six queued ones.
// One of them fails inside its savepoint (the hook refuses it) and leaves nothing; a document
// sent twice in the batch is stored once; every other upload is stored with its package.
TEST_P(ServerApi, ConcurrentUploadsShareATransactionAndFailAlone) {
  IngestQueue queue(*store, nullptr);
  std::vector<Document> docs;
  for (int i = 0; i < 6; ++i) {
    auto d = parse_document(
        image_doc(std::string(63, 'c') + static_cast<char>('0' + i), "batch:" + std::to_string(i), "CVE-2024-0100")
            .dump());
    ASSERT_TRUE(d) << d.error().describe();
    docs.push_back(std::move(*d));
  }
  docs.push_back(docs[2]);  // the same document again
  IngestHook refuse_four = [](Sql&, const Document& d, const IngestOutcome&) -> Status {
    if (d.targets.front().name.find("batch:4") != std::string::npos) {
      return fail(ErrorCode::invalid_argument, "refused by the test's hook");
    }
    return {};
  };
  std::mutex m;
  std::condition_variable cv;
  bool release = false, holding = false;
  std::thread holder([&] {
    ASSERT_TRUE(store->transaction([&](Sql&) -> Status {
      std::unique_lock lock(m);
      holding = true;
      cv.notify_all();
      cv.wait(lock, [&] { return release; });
      return {};
    }));
  });
  {
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return holding; });
  }
  Principal who{"t", Role::ci, "", ""};
  std::vector<Result<IngestOutcome>> results(docs.size(), fail(ErrorCode::internal, "unset"));
  std::vector<std::thread> uploaders;
  for (std::size_t i = 0; i < docs.size(); ++i) {
    uploaders.emplace_back([&, i] { results[i] = queue.submit(docs[i], 100, who, "", refuse_four); });
    std::this_thread::sleep_for(std::chrono::milliseconds(i == 0 ? 100 : 20));  // the first one leads
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  {
    std::lock_guard lock(m);
    release = true;
  }
  cv.notify_all();
  holder.join();
  for (auto& t : uploaders) t.join();

  EXPECT_EQ(queue.uploads(), docs.size());
  EXPECT_LT(queue.batches(), docs.size());
  EXPECT_GE(queue.largest_batch(), 2u);
  for (std::size_t i = 0; i < 6; ++i) {
    if (i == 4) {
      ASSERT_FALSE(results[i]);
      EXPECT_NE(results[i].error().message.find("refused by the test's hook"), std::string::npos);
      continue;
    }
    ASSERT_TRUE(results[i]) << i << ": " << results[i].error().describe();
    EXPECT_FALSE(results[i]->duplicate) << i;
  }
  ASSERT_TRUE(results[6]) << results[6].error().describe();
  // Uploads 2 and 6 are the same document: which of them came first is the queue's order.
  EXPECT_NE(results[2]->duplicate, results[6]->duplicate);
  EXPECT_EQ(results[2]->id, results[6]->id);
  EXPECT_EQ(*store->count("reports"), 5);
  EXPECT_EQ(*store->count("targets"), 5);
  EXPECT_EQ(*store->count("packages"), 5);
  auto refused = store->image("sha256:" + std::string(63, 'c') + "4");
  ASSERT_TRUE(refused);
  EXPECT_FALSE(*refused);  // nothing of the refused upload is stored
  auto kept = store->image("sha256:" + std::string(63, 'c') + "5");
  ASSERT_TRUE(kept);
  ASSERT_TRUE(*kept);
  EXPECT_EQ((**kept)["packages"], 1);
}

// The job-claim facility: two connections (as two server processes would have) claiming from
// one queue at once never get the same job, every job is claimed, and both get work.
TEST_P(StoreJobs, TwoConnectionsNeverClaimTheSameJob) {
  Backing dir(GetParam());
  ASSERT_TRUE(dir.ready());
  auto a = dir.open();
  ASSERT_TRUE(a) << a.error().describe();
  auto b = dir.open();
  ASSERT_TRUE(b) << b.error().describe();
  constexpr int kJobs = 400;
  std::set<std::int64_t> made;
  for (int i = 0; i < kJobs; ++i) {
    auto id = (*a)->enqueue_job("test", std::to_string(i));
    ASSERT_TRUE(id) << id.error().describe();
    made.insert(*id);
  }
  std::vector<std::int64_t> got_a, got_b;
  std::atomic<int> errors{0};
  auto worker = [&](Store& s, const std::string& name, std::vector<std::int64_t>& got) {
    for (;;) {
      auto j = s.claim_job({"test"}, name, 60);
      if (!j) {
        if (++errors > 100) break;
        continue;
      }
      if (!*j) break;
      got.push_back((*j)->id);
      EXPECT_EQ((*j)->attempts, 1);
      auto done = s.finish_job((*j)->id, name, true, name);
      EXPECT_TRUE(done && *done);
    }
  };
  std::thread t1([&] { worker(**a, "worker-a", got_a); });
  std::thread t2([&] { worker(**b, "worker-b", got_b); });
  t1.join();
  t2.join();
  EXPECT_EQ(errors.load(), 0);
  std::set<std::int64_t> sa(got_a.begin(), got_a.end()), sb(got_b.begin(), got_b.end());
  EXPECT_EQ(sa.size(), got_a.size());  // no worker got a job twice
  EXPECT_EQ(sb.size(), got_b.size());
  std::vector<std::int64_t> both;
  std::set_intersection(sa.begin(), sa.end(), sb.begin(), sb.end(), std::back_inserter(both));
  EXPECT_TRUE(both.empty()) << both.size() << " jobs claimed by both";
  std::set<std::int64_t> all = sa;
  all.insert(sb.begin(), sb.end());
  EXPECT_EQ(all, made);
  // How the jobs split between the two depends on scheduling (on a loaded machine one worker can
  // take them all); what must hold is above: none twice, none missed.
  EXPECT_GT(got_a.size() + got_b.size(), 0u);
  // The store's record agrees: every job done once, by the worker that claimed it.
  auto raw = dir.raw();
  ASSERT_TRUE(raw);
  auto rows = (*raw)->query("SELECT COUNT(*), MAX(attempts), MIN(attempts) FROM jobs WHERE state = 'done'");
  ASSERT_TRUE(rows);
  EXPECT_EQ(as_int((*rows)[0][0]), kJobs);
  EXPECT_EQ(as_int((*rows)[0][1]), 1);
  EXPECT_EQ(as_int((*rows)[0][2]), 1);
  rows = (*raw)->query("SELECT COUNT(*) FROM jobs WHERE claimed_by = 'worker-a'");
  ASSERT_TRUE(rows);
  EXPECT_EQ(as_int((*rows)[0][0]), static_cast<std::int64_t>(got_a.size()));
}

// Leases, dedup keys and the runner: a job whose worker died is claimed again after its lease;
// the dead worker can no longer finish it; a dedup key makes one job however often it is queued.
TEST_P(StoreJobs, LeasesDedupAndRunner) {
  Backing dir(GetParam());
  ASSERT_TRUE(dir.ready());
  std::int64_t now = 100000;
  auto s = dir.open([&] { return now; });
  ASSERT_TRUE(s) << s.error().describe();
  Store& store = **s;
  auto first = store.enqueue_job("sweep", "", "sweep:1");
  auto second = store.enqueue_job("sweep", "", "sweep:1");
  ASSERT_TRUE(first && second);
  EXPECT_EQ(*first, *second);
  auto c1 = store.claim_job({"sweep"}, "w1", 30);
  ASSERT_TRUE(c1 && *c1);
  EXPECT_FALSE(*store.claim_job({"sweep"}, "w2", 30));  // leased to w1
  now += 31;                                            // w1 died
  auto c2 = store.claim_job({"sweep"}, "w2", 30);
  ASSERT_TRUE(c2 && *c2);
  EXPECT_EQ((*c2)->id, (*c1)->id);
  EXPECT_EQ((*c2)->attempts, 2);
  EXPECT_FALSE(*store.finish_job((*c1)->id, "w1", true, "late"));
  EXPECT_TRUE(*store.extend_job((*c2)->id, "w2", 30));
  EXPECT_TRUE(*store.finish_job((*c2)->id, "w2", true, "ok"));
  EXPECT_FALSE(*store.claim_job({"sweep"}, "w3", 30));
  // A job not yet due waits; the runner's built-in sweep deletes expired sessions.
  ASSERT_TRUE(store.enqueue_job("sweep", "", "", now + 100));
  Principal who{"x", Role::reader, "", ""};
  ASSERT_TRUE(store.create_session(who, 10));
  ASSERT_TRUE(store.create_session(who, 1000));
  JobRunner runner(store, "runner", JobRunnerOptions{std::chrono::milliseconds(50), 60, false});
  EXPECT_EQ(*runner.run_pending(), 0u);
  now += 101;
  EXPECT_EQ(*runner.run_pending(), 1u);
  auto raw = dir.raw();
  ASSERT_TRUE(raw);
  auto rows = (*raw)->query("SELECT COUNT(*) FROM sessions");
  ASSERT_TRUE(rows);
  EXPECT_EQ(as_int((*rows)[0][0]), 1);
  rows = (*raw)->query("SELECT result FROM jobs WHERE claimed_by = 'runner'");
  ASSERT_TRUE(rows && rows->size() == 1);
  EXPECT_EQ(as_text((*rows)[0][0]), "1 expired sessions deleted");
  auto counts = store.job_counts();
  ASSERT_TRUE(counts);
  EXPECT_EQ((*counts)["done"], 2);
  EXPECT_EQ((*counts)["queued"], 0);
}

// PostgreSQL only: the store's connection is killed (as a PostgreSQL restart does); the call
// that finds it dead fails as a network error (the API answers 503), the next one reconnects.
struct ServerApiPostgres : ServerApi {};

TEST_P(ServerApiPostgres, ReconnectsAfterTheConnectionIsKilled) {
  std::string pid;
  ASSERT_TRUE(store->transaction([&](Sql& s) -> Status {
    auto r = s.query("SELECT pg_backend_pid()");
    if (!r) return std::unexpected(r.error());
    pid = as_text((*r)[0][0]);
    return {};
  }));
  auto killer = open_postgresql(std::getenv("BULWARK_TEST_PG_URL"));
  ASSERT_TRUE(killer);
  // The store's role may end its own backends (same role, PostgreSQL 15).
  ASSERT_TRUE((*killer)->exec("SELECT pg_terminate_backend($1)", {std::int64_t{std::stoll(pid)}}));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the backend exits
  auto health = call("GET", "/healthz", "");
  EXPECT_EQ(health.status, 503) << health.body;
  EXPECT_EQ(body(health)["status"], "degraded");
  EXPECT_EQ(health.body.find("postgresql://"), std::string::npos);  // no detail for the unauthenticated
  auto images = call("GET", "/api/v1/images", reader);
  EXPECT_EQ(images.status, 200) << images.body;  // reconnected
  auto again = call("GET", "/healthz", "");
  EXPECT_EQ(again.status, 200) << again.body;
}

TEST(ServerStoreUrl, PasswordsAreRedacted) {
  EXPECT_EQ(redact_store_url("postgresql://bw:s3cret@db:5432/bw"), "postgresql://bw:***@db:5432/bw");
  EXPECT_EQ(redact_store_url("postgresql://bw@db/bw?password=s3cret&sslmode=require"),
            "postgresql://bw@db/bw?password=***&sslmode=require");
  EXPECT_EQ(redact_store_url("postgres://db/bw"), "postgres://db/bw");
  EXPECT_TRUE(is_postgresql_url("postgres://x/y"));
  EXPECT_FALSE(is_postgresql_url("mysql://x/y"));
  // A refused connection names the server without the password.
  auto bad = open_postgresql("postgresql://bw:s3cret@127.0.0.1:1/bw?connect_timeout=2");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::network);
  EXPECT_EQ(bad.error().describe().find("s3cret"), std::string::npos) << bad.error().describe();
  EXPECT_NE(bad.error().describe().find("127.0.0.1"), std::string::npos) << bad.error().describe();
}

INSTANTIATE_TEST_SUITE_P(Engines, ServerStore, ::testing::ValuesIn(engines()), engine_name);
INSTANTIATE_TEST_SUITE_P(Engines, ServerApi, ::testing::ValuesIn(engines()), engine_name);
INSTANTIATE_TEST_SUITE_P(Engines, StoreJobs, ::testing::ValuesIn(engines()), engine_name);
std::vector<std::string> postgres_only() {
  auto e = engines();
  e.erase(e.begin());
  return e;
}
INSTANTIATE_TEST_SUITE_P(Engines, ServerApiPostgres, ::testing::ValuesIn(postgres_only()), engine_name);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(ServerApiPostgres);

// PostgreSQL only: two "replicas" (two connections to one store, each with its own advisory
// database file): an import on A is kept in the store and re-matched in chunks that A's request
// and B's job worker claim; every target is matched once, and B's database gets the import.
struct SharedRematch : ::testing::TestWithParam<std::string> {};

TEST_P(SharedRematch, AnImportIsReMatchedInChunksByEveryReplicaOnce) {
  Backing dir(GetParam());
  ASSERT_TRUE(dir.ready());
  auto a = dir.open();
  auto b = dir.open();
  ASSERT_TRUE(a && b);
  TempDir files;
  auto ra = DbRematcher::open(**a, files.path / "a-advisories.db");
  auto rb = DbRematcher::open(**b, files.path / "b-advisories.db");
  ASSERT_TRUE(ra && rb) << (ra ? rb.error().describe() : ra.error().describe());
  Api api(**a, ApiOptions{}, ra->get());
  auto admin = (*a)->create_token(Role::admin, "", 0)->second;
  auto ci = (*a)->create_token(Role::ci, "", 0)->second;
  json doc = {{"schema", "bulwark/v1"},
              {"tool", {{"name", "bulwark"}, {"version", "t"}}},
              {"targets", json::array()},
              {"findings", json::array()}};
  constexpr int kTargets = 40;
  for (int i = 0; i < kTargets; ++i) {
    doc["targets"].push_back(
        {{"kind", "sbom"},
         {"name", "shared-" + std::to_string(i)},
         {"os", {{"id", "debian"}, {"version_id", "12"}}},
         {"packages", {{{"name", "curl"}, {"version", "7.88.1-10"}, {"source", "curl"}, {"ecosystem", "deb"}}}}});
  }
  auto up = api.handle(testing::make_request("POST", "/api/v1/reports", ci, doc.dump(), {}));
  ASSERT_EQ(up.status, 201) << up.body;
  JobRunner runner(**b, "replica-b", JobRunnerOptions{std::chrono::milliseconds(5), 60, false});
  (*rb)->add_jobs(runner);
  runner.start();
  json osv = {{"schema_version", "1.6.0"},
              {"id", "DSA-9999-1"},
              {"aliases", {"CVE-2099-0001"}},
              {"modified", "2026-12-01T00:00:00Z"},
              {"affected",
               {{{"package", {{"ecosystem", "Debian:12"}, {"name", "curl"}}},
                 {"ranges", {{{"type", "ECOSYSTEM"}, {"events", {{{"introduced", "0"}}}}}}}}}}};
  auto imp = api.handle(testing::make_request("POST", "/api/v1/db/import?name=DSA-9999-1.json", admin, osv.dump(), {}));
  runner.stop();
  ASSERT_EQ(imp.status, 200) << imp.body;
  auto out = json::parse(imp.body);
  EXPECT_EQ(out["rematch"]["targets"], kTargets) << out.dump();
  EXPECT_EQ(out["rematch"]["new"], kTargets);
  EXPECT_EQ(out["rematch"]["chunks"], kTargets / DbRematcher::kRematchChunk);
  EXPECT_EQ(out["rematch"]["failed_chunks"], 0);
  std::int64_t by_workers = 0;
  for (const auto& [w, n] : out["rematch"]["workers"].items()) by_workers += n.get<std::int64_t>();
  EXPECT_EQ(by_workers, kTargets / static_cast<int>(DbRematcher::kRematchChunk));
  auto raw = dir.raw();
  ASSERT_TRUE(raw);
  auto ev = (*raw)->query("SELECT COUNT(*), COUNT(DISTINCT target_key) FROM events WHERE kind = 'new'");
  ASSERT_TRUE(ev);
  EXPECT_EQ(as_int((*ev)[0][0]), kTargets);
  EXPECT_EQ(as_int((*ev)[0][1]), kTargets);
  auto attempts = (*raw)->query("SELECT MAX(attempts), COUNT(*) FROM jobs WHERE kind = 'rematch'");
  ASSERT_TRUE(attempts);
  EXPECT_EQ(as_int((*attempts)[0][0]), 1);
  // B applies the stored import (if its worker ran no chunk, on its next catch-up).
  ASSERT_TRUE((*rb)->catch_up());
  EXPECT_EQ((*rb)->status()["advisories"], 1);
  // A re-import of the same record changes nothing: no chunk, no event.
  auto again =
      api.handle(testing::make_request("POST", "/api/v1/db/import?name=DSA-9999-1.json", admin, osv.dump(), {}));
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(json::parse(again.body)["rematch"]["chunks"], 0);
}
INSTANTIATE_TEST_SUITE_P(Engines, SharedRematch, ::testing::ValuesIn(postgres_only()), engine_name);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(SharedRematch);

}  // namespace
}  // namespace bulwark::server

namespace bulwark::server {
namespace {

// The admission webhook answers the API server without a bearer token, echoes the uid, denies a
// privileged pod under the default policy (restricted), and refuses what is not an AdmissionReview.
TEST_P(ServerApi, AdmissionWebhook) {
  json review = {
      {"apiVersion", "admission.k8s.io/v1"},
      {"kind", "AdmissionReview"},
      {"request",
       {{"uid", "705ab4f5-6393-11e8-b7cc-42010a800002"},
        {"kind", {{"group", ""}, {"version", "v1"}, {"kind", "Pod"}}},
        {"operation", "CREATE"},
        {"namespace", "default"},
        {"object",
         {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata", {{"name", "p"}}},
          {"spec",
           {{"containers", {{{"name", "c"}, {"image", "nginx"}, {"securityContext", {{"privileged", true}}}}}}}}}}}}};
  auto r = call("POST", "/api/v1/admission/validate", "", review.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  json a = body(r);
  EXPECT_EQ(a["response"]["uid"], "705ab4f5-6393-11e8-b7cc-42010a800002");
  EXPECT_EQ(a["response"]["allowed"], false);
  EXPECT_NE(a["response"]["status"]["message"].get<std::string>().find("restricted:latest"), std::string::npos);
  EXPECT_EQ(call("POST", "/api/v1/admission/validate", "", "{").status, 400);
  EXPECT_EQ(call("GET", "/api/v1/admission/validate", "").status, 405);
  // The decision is in the audit log.
  auto audit = call("GET", "/api/v1/audit", admin);
  EXPECT_NE(audit.body.find("admission denied 705ab4f5"), std::string::npos) << audit.body.substr(0, 500);
}

// Every route the server answers is in docs/api/openapi.yaml, and every path and method there
// is a route the server answers.
TEST(ServerOpenApi, SpecAndRoutesAgree) {
  YAML::Node spec = YAML::LoadFile(std::string(BULWARK_SOURCE_DIR) + "/docs/api/openapi.yaml");
  ASSERT_EQ(spec["openapi"].as<std::string>(), "3.1.0");
  std::set<std::string> documented;
  for (const auto& path : spec["paths"]) {
    for (const auto& op : path.second) {
      std::string method = op.first.as<std::string>();
      for (auto& c : method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      documented.insert(method + " " + path.first.as<std::string>());
    }
  }
  auto routes = Api::routes();
  std::set<std::string> served(routes.begin(), routes.end());
  for (const auto& r : served) EXPECT_TRUE(documented.contains(r)) << "not in openapi.yaml: " << r;
  for (const auto& d : documented) EXPECT_TRUE(served.contains(d)) << "documented but not served: " << d;
}

}  // namespace
}  // namespace bulwark::server

namespace bulwark {

// `bulwark push` reads the server's answer whatever its shape: {"id": 5} or {"duplicate": "yes"}
// made nlohmann's value() throw json::type_error 302 and end the command (found while writing
// fuzz_api_answers; inputs in tests/data/fuzz-regressions/fuzz_api_answers/). Members of
// another type are read as absent; an error answer still names the server's message.
TEST(ServerClient, UploadAnswersOfAnyShapeAreReadNotThrown) {
  const std::string url = "http://127.0.0.1:8443/api/v1/reports";
  auto ok = server::read_upload_answer(201, R"({"id":"r1","digest":"sha256:00","duplicate":true})", url);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->id, "r1");
  EXPECT_TRUE(ok->duplicate);
  for (const char* body : {R"({"id":5,"digest":[],"duplicate":"yes"})", R"({"duplicate":1})", "[]", "not json"}) {
    Result<server::UploadResult> r = std::unexpected(Error{});
    ASSERT_NO_THROW(r = server::read_upload_answer(201, body, url)) << body;
    ASSERT_TRUE(r) << body;
    EXPECT_EQ(r->id, "") << body;
    EXPECT_FALSE(r->duplicate) << body;
  }
  auto bad = server::read_upload_answer(400, R"({"error":{"code":"bad_request","message":"schema"}})", url);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("schema"), std::string::npos);
  Result<server::UploadResult> odd = std::unexpected(Error{});
  ASSERT_NO_THROW(odd = server::read_upload_answer(500, R"({"error":{"message":42}})", url));
  ASSERT_FALSE(odd);
  EXPECT_EQ(odd.error().code, ErrorCode::network);
}

}  // namespace bulwark
