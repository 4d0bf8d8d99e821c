// Re-matching stored SBOMs at fleet size (bench/server-rematch.sh runs it; not a test).
//   bench_server_rematch DATA_DIR N_SBOMS ADVISORY_DIR POOL.json...
// POOL.json: bulwark/v1 scans (real SBOMs); SBOM i is pool i % pools with its own image id
// and name; Alpine pools cycle through Alpine releases (os version_id) so every release's
// secdb is exercised. Prints one JSON object with the figures.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "server/ingest.hpp"
#include "server/rematch.hpp"
#include "server/store.hpp"

using nlohmann::json;
using namespace bulwark;
namespace fs = std::filesystem;

namespace {

double since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// User + system CPU seconds of this process so far: on a machine shared with other work the wall
// time of a phase is inflated, its CPU time is not.
double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

long max_rss_kib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int die(const std::string& what) {
  std::fprintf(stderr, "bench_server_rematch: %s\n", what.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) return die("usage: bench_server_rematch DATA_DIR N_SBOMS ADVISORY_DIR POOL.json...");
  const fs::path data = argv[1];
  const int n = std::stoi(argv[2]);
  const fs::path advisories = argv[3];
  std::vector<json> pools;
  for (int i = 4; i < argc; ++i) pools.push_back(json::parse(slurp(argv[i])));
  fs::remove_all(data);
  fs::create_directories(data);
  json out = {{"sboms", n}};

  auto store = server::Store::open_sqlite(data / "bulwark.db");
  if (!store) return die(store.error().describe());
  auto rm = server::DbRematcher::open(**store, data / "advisories.db");
  if (!rm) return die(rm.error().describe());

  // 1. The shared advisory data, into the server's database (nothing stored yet to re-match).
  auto t = std::chrono::steady_clock::now();
  double c = cpu_seconds();
  auto imported = (*rm)->import_paths({advisories});
  if (!imported) return die(imported.error().describe());
  out["advisory_import_seconds"] = since(t);
  out["advisory_import_cpu_seconds"] = cpu_seconds() - c;
  out["advisories"] = (*rm)->status()["advisories"];

  // 2. N SBOMs from the pools, stored (the store's ingest, without matching).
  const std::vector<std::string> alpine = {"3.12.0", "3.13.0", "3.14.0", "3.15.0", "3.16.0",
                                           "3.17.0", "3.18.0", "3.19.0", "3.20.0"};
  std::vector<std::string> keys;
  std::size_t rows = 0;
  std::set<std::string> distinct;
  t = std::chrono::steady_clock::now();
  c = cpu_seconds();
  server::Principal who;
  who.role = server::Role::admin;
  for (int i = 0; i < n; ++i) {
    json doc = pools[static_cast<std::size_t>(i) % pools.size()];
    auto& target = doc["targets"][0];
    char hex[65];
    std::snprintf(hex, sizeof hex, "%064x", i + 1);
    target["kind"] = "image";
    target["id"] = std::string("sha256:") + hex;
    target["name"] = "bench/img-" + std::to_string(i) + ":1";
    if (target["os"].value("id", "") == "alpine") target["os"]["version_id"] = alpine[(i / pools.size()) % 9];
    doc["findings"] = json::array();
    auto parsed = server::parse_document(doc.dump());
    if (!parsed) return die(parsed.error().describe());
    rows += parsed->targets[0].packages.size();
    for (const auto& p : parsed->targets[0].packages) {
      distinct.insert(target["os"].value("id", "") + target["os"].value("version_id", "") + p.name + p.version);
    }
    auto st = (*store)->ingest(*parsed, 0, who, "");
    if (!st) return die(st.error().describe());
    keys.push_back(parsed->targets[0].key());
  }
  out["package_rows"] = rows;
  out["distinct_release_packages"] = distinct.size();
  out["ingest_seconds"] = since(t);
  out["ingest_cpu_seconds"] = cpu_seconds() - c;
  out["rss_kib_after_ingest"] = max_rss_kib();

  // 3. The first full match of every stored SBOM (builds the index too), then a full re-match.
  t = std::chrono::steady_clock::now();
  c = cpu_seconds();
  auto first = (*rm)->match_targets(keys, "full");
  if (!first) return die(first.error().describe());
  out["first_full_match"] = first->to_json();
  out["first_full_match_wall_seconds"] = since(t);
  out["first_full_match_cpu_seconds"] = cpu_seconds() - c;
  t = std::chrono::steady_clock::now();
  c = cpu_seconds();
  auto again = (*rm)->rematch_all();
  if (!again) return die(again.error().describe());
  out["full_rematch"] = again->to_json();
  out["full_rematch_wall_seconds"] = since(t);
  out["full_rematch_cpu_seconds"] = cpu_seconds() - c;
  out["rss_kib_after_full_rematch"] = max_rss_kib();

  // 4. An import changing 100 advisories: 100 OSV records for 100 distinct (release, package)
  // pairs of the stored SBOMs, first without a fix, then with one.
  std::vector<std::tuple<std::string, std::string, std::string>> picks;  // ecosystem, package, version
  std::set<std::string> seen;
  for (std::size_t p = 0; p < pools.size() && picks.size() < 100; ++p) {
    const auto& target = pools[p]["targets"][0];
    std::string os = target["os"].value("id", ""), ver = target["os"].value("version_id", "");
    std::string eco = os == "debian" ? "Debian:" + ver.substr(0, ver.find('.')) : "Alpine:v3.12";
    for (const auto& pk : target["packages"]) {
      if (picks.size() >= 100) break;
      std::string name = pk.value("source", "");
      if (name.empty()) name = pk.value("name", "");
      std::string v = os == "debian" ? pk.value("source_version", pk.value("version", "")) : pk.value("version", "");
      if (v.empty()) v = pk.value("version", "");
      if (seen.insert(eco + name).second) picks.emplace_back(eco, name, v);
    }
  }
  // The same size of change on one Alpine release (v3.20): every distinct package of the Alpine
  // pools (about one stored SBOM in 21 holds them) and, for the rest, packages no stored SBOM
  // holds; nearer a feed's usual day than the Debian case, where every changed package is in most
  // of the fleet.
  std::vector<std::tuple<std::string, std::string, std::string>> release_picks;
  for (std::size_t p = 0; p < pools.size() && release_picks.size() < 100; ++p) {
    const auto& target = pools[p]["targets"][0];
    if (target["os"].value("id", "") != "alpine") continue;
    for (const auto& pk : target["packages"]) {
      if (release_picks.size() >= 100) break;
      std::string name = pk.value("source", "");
      if (name.empty()) name = pk.value("name", "");
      if (seen.insert("Alpine:v3.20" + name).second) release_picks.emplace_back("Alpine:v3.20", name, "0");
    }
  }
  // The rest of the hundred name packages no stored SBOM holds, as most of a feed's changes do.
  for (int i = 0; release_picks.size() < 100; ++i) {
    release_picks.emplace_back("Alpine:v3.20", "bench-absent-" + std::to_string(i), "0");
  }
  auto change = [&](bool fixed, const std::string& modified,
                    const std::vector<std::tuple<std::string, std::string, std::string>>& which,
                    const std::string& prefix) -> json {
    auto dir = data / ("change-" + prefix + (fixed ? "-fixed" : "-new"));
    fs::create_directories(dir);
    int k = 0;
    const int alias_base = prefix == "BENCH" ? 10000 : 20000;
    for (const auto& [eco, name, v] : which) {
      json events = json::array({{{"introduced", "0"}}});
      if (fixed) events.push_back({{"fixed", v == "0" ? std::string("999") : v + "+fix1"}});
      json a = {{"schema_version", "1.6.0"},
                {"id", prefix + "-" + std::to_string(++k)},
                {"aliases", {"CVE-2099-" + std::to_string(alias_base + k)}},
                {"modified", modified},
                {"affected",
                 {{{"package", {{"ecosystem", eco}, {"name", name}}},
                   {"ranges", {{{"type", "ECOSYSTEM"}, {"events", events}}}}}}}};
      std::ofstream(dir / (prefix + "-" + std::to_string(k) + ".json")) << a.dump();
    }
    auto t0 = std::chrono::steady_clock::now();
    const double c0 = cpu_seconds();
    auto r = (*rm)->import_paths({dir});
    if (!r) return {{"error", r.error().describe()}};
    (*r)["wall_seconds"] = since(t0);
    (*r)["cpu_seconds"] = cpu_seconds() - c0;
    return *r;
  };
  out["change_100_new"] = change(false, "2026-12-01T00:00:00Z", picks, "BENCH");
  out["change_100_fixed"] = change(true, "2026-12-02T00:00:00Z", picks, "BENCH");
  out["changed_pairs"] = picks.size();
  out["change_release_new"] = change(false, "2026-12-03T00:00:00Z", release_picks, "BENCHA");
  out["change_release_fixed"] = change(true, "2026-12-04T00:00:00Z", release_picks, "BENCHA");
  out["changed_release_pairs"] = release_picks.size();
  out["rss_kib_max"] = max_rss_kib();
  for (const char* k : {"change_100_new", "change_100_fixed", "change_release_new", "change_release_fixed"})
    out[k]["import"].erase("problems");
  out["store_bytes"] = fs::file_size(data / "bulwark.db");
  std::printf("%s\n", out.dump(2).c_str());
  return 0;
}
