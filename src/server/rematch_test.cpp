// Continuous re-matching on a real SQLite store and a real advisory database, through the API's
// handler: real SBOMs (tests/data/server-rematch: a scan of the e2e image bulwark-e2e/app:1 and
// of an Alpine root filesystem) against real advisory data (the shared Alpine secdb, Go vulndb,
// and records built from the Debian tracker's DSA-5365-1).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "server/api.hpp"
#include "server/ingest.hpp"
#include "server/rematch.hpp"
#include "server/store.hpp"
#include "server/test_support.hpp"

namespace bulwark::server {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

const fs::path kData = fs::path(BULWARK_SOURCE_DIR) / "tests/data/server-rematch";
// The shared data folder: $BULWARK_SHARED_DIR when set (as CTest's e2e suites have it), else the
// one the build was configured with.
const fs::path kShared =
    fs::path(std::getenv("BULWARK_SHARED_DIR") ? std::getenv("BULWARK_SHARED_DIR") : BULWARK_SHARED_DIR) /
    "data/advisories";

using testing::TempDir;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Unpacks one shared archive (zstd tar) into dir with the system's tar.
bool unpack(const fs::path& archive, const fs::path& dir) {
  fs::create_directories(dir);
  std::string cmd = "zstd -dc '" + archive.string() + "' | tar -x -C '" + dir.string() + "'";
  return std::system(cmd.c_str()) == 0;
}

// The DSA's id and CVE ids, read from the real tracker list.
std::pair<std::string, std::vector<std::string>> dsa_entry(const std::string& id) {
  std::ifstream in(kShared / "debian-security-tracker/DSA.list");
  std::string line;
  while (std::getline(in, line)) {
    if (line.find(" " + id + " ") == std::string::npos) continue;
    std::getline(in, line);
    std::vector<std::string> cves;
    auto open = line.find('{'), close = line.find('}');
    std::istringstream ids(line.substr(open + 1, close - open - 1));
    for (std::string c; ids >> c;) cves.push_back(c);
    return {id, cves};
  }
  return {};
}

struct Rematching : ::testing::Test {
  TempDir dir;
  std::int64_t clock = 1'800'000'000;
  std::unique_ptr<Store> store;
  std::unique_ptr<DbRematcher> rematcher;
  std::unique_ptr<Api> api;
  std::string admin, reader, agent;

  void SetUp() override {
    if (!fs::exists(kData / "app-1.scan.json")) GTEST_SKIP() << "fixtures missing";
    auto s = Store::open_sqlite(dir.path / "bulwark.db", [this] { return clock; });
    ASSERT_TRUE(s) << s.error().describe();
    store = std::move(*s);
    auto r = DbRematcher::open(*store, dir.path / "advisories.db");
    ASSERT_TRUE(r) << r.error().describe();
    rematcher = std::move(*r);
    api = std::make_unique<Api>(*store, ApiOptions{}, rematcher.get());
    admin = store->create_token(Role::admin, "", 0)->second;
    reader = store->create_token(Role::reader, "", 0)->second;
    agent = store->create_token(Role::agent, "node1", 0)->second;
  }
  httpd::Response call(const std::string& method, const std::string& target, const std::string& token,
                       const std::string& body = {}) {
    auto r = testing::make_request(method, target, token, body);
    return api->handle(r);
  }
  json get(const std::string& target) {
    auto r = call("GET", target, reader);
    EXPECT_EQ(r.status, 200) << target << ": " << r.body;
    return json::parse(r.body);
  }
  json import(const std::string& name, const std::string& body) {
    auto r = call("POST", "/api/v1/db/import?name=" + name, admin, body);
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body);
  }
  std::vector<json> events(const std::string& kind) {
    auto items = get("/api/v1/events?limit=500&kind=" + kind)["items"];
    return {items.begin(), items.end()};
  }
};

// An OSV record for Debian 12's curl, carrying DSA-5365-1's ids; events as given.
std::string curl_osv(const std::pair<std::string, std::vector<std::string>>& dsa, const std::string& modified,
                     const json& events, const std::string& withdrawn = {}) {
  json j = {{"schema_version", "1.6.0"},
            {"id", dsa.first},
            {"aliases", dsa.second},
            {"modified", modified},
            {"published", "2023-02-27T00:00:00Z"},
            {"summary", "curl - security update"},
            {"affected",
             {{{"package", {{"ecosystem", "Debian:12"}, {"name", "curl"}}},
               {"ranges", {{{"type", "ECOSYSTEM"}, {"events", events}}}}}}}};
  if (!withdrawn.empty()) j["withdrawn"] = withdrawn;
  return j.dump();
}

TEST_F(Rematching, NewFixedUpstreamWithdrawnOnTheStoredImage) {
  auto dsa = dsa_entry("DSA-5365-1");
  ASSERT_EQ(dsa.second, std::vector<std::string>{"CVE-2023-23916"}) << "shared DSA.list not found or changed";
  const std::string scan_text = slurp(kData / "app-1.scan.json");
  const json scan = json::parse(scan_text);
  const json& target = scan["targets"][0];
  const std::string image_id = target["id"];
  std::size_t total = target["packages"].size(), curl_rows = 0;
  std::string curl_version;
  for (const auto& p : target["packages"]) {
    if (p.value("source", p["name"].get<std::string>()) == "curl") {
      ++curl_rows;
      curl_version = p.value("source_version", p.value("version", ""));
    }
  }
  ASSERT_GE(curl_rows, 2u) << "curl and libcurl4 are in the app image";
  ASSERT_GT(total, 50u);

  // 1. A scan uploaded while the server's database is empty: stored, no findings.
  auto up = call("POST", "/api/v1/reports", admin, scan_text);
  ASSERT_EQ(up.status, 201) << up.body;
  auto img = get("/api/v1/images/" + image_id);
  EXPECT_EQ(img["vulnerabilities"], 0);
  EXPECT_EQ(img["packages"], total);
  EXPECT_TRUE(img["findings"].empty());
  json inv = {{"schema", "bulwark/v1"},
              {"report", "inventory"},
              {"host", {{"name", "node1"}, {"engine", "docker"}}},
              {"images", {{{"id", image_id}, {"repo_tags", {"bulwark-e2e/app:1"}}}}},
              {"containers",
               {{{"id", "c0ffee"},
                 {"name", "web"},
                 {"image", "bulwark-e2e/app:1"},
                 {"image_id", image_id},
                 {"state", "running"}}}}};
  ASSERT_EQ(call("POST", "/api/v1/reports", agent, inv.dump()).status, 201);
  EXPECT_TRUE(get("/api/v1/vulnerabilities/CVE-2023-23916/affected")["images"].empty());

  // 2. The advisory arrives, no fix yet: only curl's rows are matched again; "new" for each.
  const std::int64_t t0 = clock;
  auto r1 = import("DSA-5365-1.json", curl_osv(dsa, "2023-02-27T00:00:00Z", json::array({{{"introduced", "0"}}})));
  EXPECT_EQ(r1["import"]["inserted"], 1);
  EXPECT_EQ(r1["rematch"]["packages"], curl_rows) << r1.dump();
  EXPECT_EQ(r1["rematch"]["new"], curl_rows);
  EXPECT_EQ(rematcher->counters().packages_matched.load(), curl_rows + total) << "the ingest matched every row once";
  auto news = events("new");
  ASSERT_EQ(news.size(), curl_rows);
  EXPECT_EQ(news[0]["vulnerability"], "CVE-2023-23916");
  EXPECT_EQ(news[0]["target"]["id"], image_id);
  for (const std::string id : {"CVE-2023-23916", "DSA-5365-1"}) {
    auto a = get("/api/v1/vulnerabilities/" + id + "/affected");
    ASSERT_EQ(a["images"].size(), 1u) << id << a.dump();
    EXPECT_EQ(a["images"][0]["id"], image_id);
    EXPECT_EQ(a["images"][0]["packages"].size(), curl_rows);
    EXPECT_EQ(a["hosts"], json::array({"node1"}));
    ASSERT_EQ(a["containers"].size(), 1u);
    EXPECT_EQ(a["containers"][0]["id"], "c0ffee");
  }
  img = get("/api/v1/images/" + image_id);
  EXPECT_EQ(img["vulnerabilities"], curl_rows);
  EXPECT_EQ(img["fixable"], 0);
  std::size_t summed = 0;
  const json by_severity = get("/api/v1/summary")["vulnerabilities"];
  for (const auto& [sev, n] : by_severity.items()) summed += n.get<std::size_t>();
  EXPECT_EQ(summed, curl_rows) << "the summary's kept counts follow the re-match";
  // The server's findings sit in the layer that installed curl (the real scan's apt-get layer).
  auto layers = get("/api/v1/images/" + image_id + "/layers");
  ASSERT_EQ(layers["layers"].size(), target["image"]["layers"].size());
  std::size_t in_layers = 0, pkgs = 0;
  for (const auto& l : layers["layers"]) {
    pkgs += l["packages"].size();
    if (l["vulnerabilities"].get<std::size_t>() == 0) continue;
    in_layers += l["vulnerabilities"].get<std::size_t>();
    EXPECT_NE(l.value("created_by", "").find("apt-get install"), std::string::npos) << l.dump().substr(0, 300);
    for (const auto& f : l["findings"]) EXPECT_EQ(f["id"], "CVE-2023-23916");
  }
  EXPECT_EQ(in_layers, curl_rows);
  EXPECT_EQ(pkgs + layers["unattributed"]["packages"].size(), total);
  for (const auto& f : img["findings"]) {
    EXPECT_EQ(f["origin"], "server");
    EXPECT_EQ(f["first_seen"], format_rfc3339(t0));
    EXPECT_EQ(f["last_seen"], format_rfc3339(t0));
  }

  // 3. An unrelated advisory (real Go vulndb data): nothing stored is matched again.
  clock += 3600;
  auto go = dir.path / "go";
  ASSERT_TRUE(unpack(kShared / "go-vulndb-osv.tar.zst", go));
  fs::path one;
  for (const auto& e : fs::recursive_directory_iterator(go)) {
    if (e.path().extension() == ".json" && e.path().filename().string().starts_with("GO-")) {
      one = e.path();
      break;
    }
  }
  ASSERT_FALSE(one.empty());
  auto r2 = import(one.filename().string(), slurp(one));
  EXPECT_EQ(r2["import"]["inserted"], 1);
  EXPECT_EQ(r2["rematch"]["packages"], 0) << r2.dump();
  EXPECT_EQ(rematcher->counters().packages_matched.load(), curl_rows + total);

  // 4. A fix version appears upstream (after the installed version): "fixed" for each row.
  clock += 3600;
  const std::int64_t t1 = clock;
  auto r3 = import(
      "DSA-5365-1.json",
      curl_osv(dsa, "2023-03-01T00:00:00Z", json::array({{{"introduced", "0"}}, {{"fixed", curl_version + "+fix1"}}})));
  EXPECT_EQ(r3["import"]["updated"], 1);
  EXPECT_EQ(r3["rematch"]["fixed"], curl_rows) << r3.dump();
  EXPECT_EQ(r3["rematch"]["new"], 0);
  auto fixed = events("fixed-upstream");
  ASSERT_EQ(fixed.size(), curl_rows);
  EXPECT_NE(fixed[0]["detail"].get<std::string>().find("fixed upstream"), std::string::npos);
  img = get("/api/v1/images/" + image_id);
  EXPECT_EQ(img["fixable"], curl_rows);
  for (const auto& f : img["findings"]) {
    EXPECT_EQ(f["fixed_version"], curl_version + "+fix1");
    EXPECT_EQ(f["first_seen"], format_rfc3339(t0)) << "first_seen is kept";
    EXPECT_EQ(f["last_seen"], format_rfc3339(t1));
  }

  // 5. The advisory is withdrawn: "withdrawn", and nothing is affected any more.
  clock += 3600;
  auto r4 =
      import("DSA-5365-1.json", curl_osv(dsa, "2023-03-02T00:00:00Z",
                                         json::array({{{"introduced", "0"}}, {{"fixed", curl_version + "+fix1"}}}),
                                         "2023-03-02T00:00:00Z"));
  EXPECT_EQ(r4["rematch"]["withdrawn"], curl_rows) << r4.dump();
  EXPECT_EQ(events("withdrawn").size(), curl_rows);
  EXPECT_TRUE(get("/api/v1/vulnerabilities/CVE-2023-23916/affected")["images"].empty());
  EXPECT_EQ(get("/api/v1/images/" + image_id)["vulnerabilities"], 0);
  EXPECT_EQ(rematcher->counters().packages_matched.load(), 3 * curl_rows + total);

  // Progress and counters.
  auto st = get("/api/v1/db");
  EXPECT_EQ(st["advisories"], 2);
  EXPECT_EQ(st["rematch"]["running"], false);
  EXPECT_EQ(st["rematch"]["last"]["trigger"], "import");
  auto m = call("GET", "/metrics", reader);
  ASSERT_EQ(m.status, 200);
  EXPECT_NE(m.body.find("bulwark_rematch_packages_total " + std::to_string(3 * curl_rows + total)), std::string::npos)
      << m.body;
  EXPECT_NE(m.body.find("bulwark_rematch_events_total{kind=\"withdrawn\"} " + std::to_string(curl_rows)),
            std::string::npos);
}

// Real Alpine secdb data against the SBOM of an Alpine 3.16 root filesystem (syft's apk fixture):
// findings on import; a later upload is matched on ingest; importing the same file again changes
// nothing and matches nothing.
TEST_F(Rematching, RealAlpineSecdbOnImportAndOnIngest) {
  auto alp = dir.path / "alpine";
  ASSERT_TRUE(unpack(kShared / "alpine-secdb-json.tar.zst", alp));
  auto main316 = alp / "alpine-secdb-json/alpine/v3.16/main.json";
  ASSERT_TRUE(fs::exists(main316));
  const std::string scan_text = slurp(kData / "alpine-3.16.scan.json");
  auto up = call("POST", "/api/v1/reports", admin, scan_text);
  ASSERT_EQ(up.status, 201) << up.body;
  const std::string key = json::parse(scan_text)["targets"][0]["name"];

  auto r = rematcher->import_paths({main316});
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_GT((*r)["import"]["inserted"].get<int>(), 100);
  const auto first_new = (*r)["rematch"]["new"].get<std::size_t>();
  EXPECT_GT(first_new, 0u) << r->dump();
  auto stored = store->image("rootfs:" + key);
  ASSERT_TRUE(stored && *stored);
  json img = **stored;
  EXPECT_EQ(img["vulnerabilities"], first_new);
  bool libcrypto = false;
  std::size_t server_findings = 0;
  for (const auto& f : img["findings"]) {
    if (f.value("origin", "") != "server") continue;  // the upload's own (end of life) finding stays
    ++server_findings;
    if (f.contains("package") && f["package"].value("name", "") == "libcrypto1.1") libcrypto = true;
    EXPECT_TRUE(f.value("id", "").starts_with("CVE-")) << f.dump();
  }
  EXPECT_EQ(server_findings, first_new);
  EXPECT_TRUE(libcrypto) << "openssl 1.1.1q has later fixes in the v3.16 secdb";
  // The same file again: nothing changed, nothing re-matched.
  auto before = rematcher->counters().packages_matched.load();
  auto again = rematcher->import_paths({main316});
  ASSERT_TRUE(again);
  EXPECT_EQ((*again)["import"]["unchanged"], (*r)["import"]["inserted"]);
  EXPECT_EQ((*again)["rematch"]["packages"], 0);
  EXPECT_EQ(rematcher->counters().packages_matched.load(), before);
  // A new upload is matched on ingest, against the data already there.
  json second = json::parse(scan_text);
  second["targets"][0]["name"] = "/srv/alpine-copy";
  ASSERT_EQ(call("POST", "/api/v1/reports", admin, second.dump()).status, 201);
  auto copy = store->image("rootfs:/srv/alpine-copy");
  ASSERT_TRUE(copy && *copy);
  EXPECT_EQ((**copy)["vulnerabilities"], first_new);
}

TEST_F(Rematching, ImportRefusesBadInputAndStoresNothing) {
  const std::string osv = R"({"id":"GO-1","modified":"2023-01-01T00:00:00Z","affected":[]})";
  EXPECT_EQ(call("POST", "/api/v1/db/import", reader, osv).status, 403);
  EXPECT_EQ(call("POST", "/api/v1/db/import", agent, osv).status, 403);
  EXPECT_EQ(call("POST", "/api/v1/db/import", admin, "").status, 400);
  auto r = call("POST", "/api/v1/db/import", admin, "this is not advisory data");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("not an advisory format"), std::string::npos) << r.body;
  EXPECT_EQ(call("POST", "/api/v1/db/import?name=..%2Fx.json", admin, osv).status, 400);
  EXPECT_EQ(call("POST", "/api/v1/db/import", admin, "[27 Feb 2023] DSA-1-1 x - y\n").status, 400);
  r = call("POST", "/api/v1/db/import?name=bad.json", admin, "{\"id\": 3}");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(get("/api/v1/db")["advisories"], 0);
  EXPECT_FALSE(fs::exists(dir.path / "import-tmp") && !fs::is_empty(dir.path / "import-tmp"));
}

}  // namespace
}  // namespace bulwark::server
