// Rule-engine throughput: events/s through state + rules with Falco's stable
// rules (or any rule files) loaded, on a synthetic but realistic event mix
// (process spawns in and out of containers, file opens for read and write,
// connects, dups, closes, exits). Measures userspace only; the live monitor's
// end-to-end benchmark (probe + ring buffer) belongs to runtime/probe.
//
//   build:  cmake -B build-rel -G Ninja -DCMAKE_BUILD_TYPE=Release && ninja -C build-rel runtime_bench
//   run:    build-rel/src/runtime/runtime_bench [EVENTS] [RULES.yaml ...]
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "runtime/engine/default_rules.hpp"
#include "runtime/engine/engine.hpp"
#include "runtime/events/replay.hpp"

using namespace bulwark::runtime;
using namespace bulwark::runtime::engine;

namespace {

std::vector<Event> workload(std::size_t n) {
  std::vector<Event> out;
  out.reserve(n);
  const std::string cid(64, 'b');
  std::uint64_t ts = 1700000000000000000ULL;
  std::int64_t next_pid = 1000;
  const char* paths[] = {"/etc/ld.so.cache", "/usr/lib/x86_64-linux-gnu/libc.so.6",
                         "/etc/passwd",      "/tmp/work.dat",
                         "/var/log/app.log", "/proc/self/status",
                         "/etc/shadow",      "/srv/data/file.bin"};
  const char* progs[][2] = {{"/usr/bin/ls", "ls"},           {"/usr/bin/cat", "cat"},      {"/bin/sh", "sh"},
                            {"/usr/bin/python3", "python3"}, {"/usr/sbin/nginx", "nginx"}, {"/usr/bin/curl", "curl"}};
  std::size_t k = 0;
  while (out.size() < n) {
    bool in_container = (k % 3) != 0;
    std::int64_t parent = 1 + static_cast<std::int64_t>(k % 7);
    std::int64_t pid = next_pid++;
    auto base = [&](EventType t, std::int64_t p) {
      Event e;
      e.ts_ns = ts += 1000;
      e.type = t;
      e.pid = e.tid = p;
      e.ppid = parent;
      e.uid = static_cast<std::uint32_t>(k % 2 ? 0 : 1000);
      e.caps.effective = e.uid == 0 ? (1ULL << 41) - 1 : 0;
      if (in_container) e.cgroup = "/docker/" + cid;
      return e;
    };
    Event c = base(EventType::clone, parent);
    c.ret = pid;
    out.push_back(c);
    auto& prog = progs[k % 6];
    Event x = base(EventType::execve, pid);
    x.comm = prog[1];
    x.exec = ExecInfo{};
    x.exec->exe = prog[0];
    x.exec->argv = {prog[1], "-v", "--config", "/etc/app.conf"};
    x.exec->cwd = "/srv";
    out.push_back(x);
    for (int i = 0; i < 12; ++i) {
      Event o = base(EventType::openat, pid);
      o.comm = prog[1];
      o.args.path = paths[(k + static_cast<std::size_t>(i)) % 8];
      o.args.flags = (i % 4 == 3) ? (1 | 0100 | 01000) : 0;
      o.ret = 3 + i;
      out.push_back(o);
    }
    Event s = base(EventType::socket, pid);
    s.args.domain = kAfInet;
    s.args.sock_type = 1;
    s.ret = 20;
    out.push_back(s);
    Event cn = base(EventType::connect, pid);
    cn.args.fd = 20;
    cn.args.tuple.family = kAfInet;
    cn.args.tuple.client.addr = {172, 17, 0, 2};
    cn.args.tuple.client.port = 40000;
    cn.args.tuple.server.addr = {93, 184, 216, static_cast<std::uint8_t>(k % 250)};
    cn.args.tuple.server.port = static_cast<std::uint16_t>(k % 5 ? 443 : 2222);
    cn.args.tuple.l4proto = 6;
    out.push_back(cn);
    for (int i = 0; i < 12; ++i) {
      Event cl = base(EventType::close, pid);
      cl.args.fd = 3 + i;
      out.push_back(cl);
    }
    out.push_back(base(EventType::procexit, pid));
    ++k;
  }
  out.resize(n);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t n = argc > 1 ? std::stoul(argv[1]) : 2000000;
  std::vector<RulesFile> files;
  for (int i = 2; i < argc; ++i) {
    std::ifstream in(argv[i]);
    std::stringstream ss;
    ss << in.rdbuf();
    files.push_back({argv[i], ss.str()});
  }
  if (files.empty()) files.push_back({std::string(kDefaultRulesName), std::string(default_rules())});
  auto rules = load_rules(files);
  std::printf("rules: %zu loaded (%zu errors)\n", rules.rules().size(), rules.error_count());
  auto events = workload(n);
  StaticContainerResolver containers;
  ContainerInfo ci;
  ci.id = std::string(64, 'b');
  ci.image = "nginx:1.25";
  ci.image_repository = "nginx";
  containers.add(ci);
  ProcessTable state({}, &containers);
  EngineOptions eo;
  eo.hostname = "bench";
  Engine engine(rules, state, eo);
  std::uint64_t alerts = 0;
  auto t0 = std::chrono::steady_clock::now();
  std::clock_t c0 = std::clock();
  for (const auto& e : events) engine.process(e, [&](const Alert&) { ++alerts; });
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double cpu = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
  // CPU time is the fairer number on a shared machine: events per CPU-second of the one engine thread.
  std::printf(
      "events: %zu in %.3f s wall (%.0f events/s), %.3f s CPU (%.0f events per CPU-second); "
      "rule evaluations %llu; alerts %llu\n",
      n, secs, n / secs, cpu, n / cpu, static_cast<unsigned long long>(engine.stats().evaluations),
      static_cast<unsigned long long>(alerts));
  // Replay parsing cost, for comparison: JSON lines -> events.
  std::string line =
      R"({"ts":1,"type":"openat","pid":5,"ret":3,"cgroup":"/docker/bbbb","args":{"path":"/etc/passwd","flags":"O_RDONLY"}})";
  Event e;
  std::string err;
  std::size_t m = std::min<std::size_t>(n, 500000);
  t0 = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < m; ++i) (void)parse_event_json(line, e, err);
  secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("replay JSON parsing alone: %.0f lines/s\n", m / secs);
  return 0;
}
