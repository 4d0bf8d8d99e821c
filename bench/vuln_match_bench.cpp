// Per-package advisory lookup and matching, and opening the advisory database.
//   BULWARK_BENCH_DB=/path/to/bulwark.db build/bench_vuln_match
// The database should hold the whole shared advisory set (bench/vuln-vs-trivy.sh builds it).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <optional>
#include <string>

#include "vuln/db/store.hpp"
#include "vuln/match/matcher.hpp"

namespace {

using namespace bulwark;

std::string db_path() {
  const char* p = std::getenv("BULWARK_BENCH_DB");
  return p ? p : "";
}

core::Package make(core::Ecosystem e, std::string name, std::string version, std::string source = {}) {
  core::Package p;
  p.ecosystem = e;
  p.name = std::move(name);
  p.version = std::move(version);
  p.source_name = std::move(source);
  return p;
}

void BM_OpenDatabase(benchmark::State& state) {
  const auto path = db_path();
  for (auto _ : state) {
    auto store = vuln::db::Store::open(path, vuln::db::OpenMode::read_only);
    if (!store) {
      state.SkipWithError("cannot open $BULWARK_BENCH_DB");
      return;
    }
    auto probe = store->has_ecosystem("PyPI");  // what the scan commands do after opening
    benchmark::DoNotOptimize(probe);
  }
}
BENCHMARK(BM_OpenDatabase)->Unit(benchmark::kMillisecond);

struct Case {
  const char* label;
  core::Package package;
  core::OsInfo os;
};

const Case kCases[] = {
    {"deb openssl (Debian 11)",
     make(core::Ecosystem::deb, "libssl1.1", "1.1.1n-0+deb11u3", "openssl"),
     {"debian", "11", "", "bullseye"}},
    {"deb base-files (no advisory)",
     make(core::Ecosystem::deb, "base-files", "11.1+deb11u6", "base-files"),
     {"debian", "11", "", "bullseye"}},
    {"apk openssl (Alpine 3.18)",
     make(core::Ecosystem::apk, "libcrypto3", "3.1.0-r4", "openssl"),
     {"alpine", "3.18.4", "", ""}},
    {"pypi django 2.2", make(core::Ecosystem::pypi, "Django", "2.2"), {}},
    {"go wings v1.11.2", make(core::Ecosystem::golang, "github.com/pterodactyl/wings", "v1.11.2"), {}},
    {"cargo smallvec 0.6.9", make(core::Ecosystem::cargo, "smallvec", "0.6.9"), {}},
};

void BM_Lookup(benchmark::State& state) {
  auto store = vuln::db::Store::open(db_path(), vuln::db::OpenMode::read_only);
  if (!store) {
    state.SkipWithError("cannot open $BULWARK_BENCH_DB");
    return;
  }
  const auto& c = kCases[state.range(0)];
  const auto q = vuln::match::query_for(c.package, c.os);
  state.SetLabel(c.label);
  std::size_t rows = 0;
  for (auto _ : state) {
    auto hits = store->lookup(q.query->ecosystem, q.query->package);
    rows = hits ? hits->size() : 0;
    benchmark::DoNotOptimize(hits);
  }
  state.counters["rows"] = static_cast<double>(rows);
}
BENCHMARK(BM_Lookup)->DenseRange(0, std::size(kCases) - 1)->Unit(benchmark::kMicrosecond);

void BM_Match(benchmark::State& state) {
  auto store = vuln::db::Store::open(db_path(), vuln::db::OpenMode::read_only);
  if (!store) {
    state.SkipWithError("cannot open $BULWARK_BENCH_DB");
    return;
  }
  const auto& c = kCases[state.range(0)];
  state.SetLabel(c.label);
  vuln::match::Matcher matcher(*store);
  std::size_t findings = 0;
  for (auto _ : state) {
    core::Diagnostics diags;
    auto f = matcher.match(c.package, c.os, core::Target{}, diags);
    findings = f ? f->size() : 0;
    benchmark::DoNotOptimize(f);
  }
  state.counters["findings"] = static_cast<double>(findings);
}
BENCHMARK(BM_Match)->DenseRange(0, std::size(kCases) - 1)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
