// Stable Falco rules that the event-generator suite has no scenario for (research note §5:
// Terminal shell in container, Contact K8S API Server, Kernel Module Injection; plus the ptrace
// and memfd rules), each driven by a hand-written replay and checked for the exact rule and a
// near miss that must not fire.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "runtime/engine/engine.hpp"
#include "runtime/events/replay.hpp"

namespace bulwark::runtime::engine {
namespace {

const std::string kCid(64, 'd');

struct Run {
  std::vector<std::string> fired;
};

Run replay(const Ruleset& rules, const std::string& jsonl) {
  StaticContainerResolver containers;
  ProcessTable state({}, &containers);
  ReplayHooks hooks;
  hooks.on_container = [&](const ContainerInfo& c) { containers.add(c); };
  hooks.on_dns = [&](const std::string& ip, const std::string& name) { state.add_dns_name(ip, name); };
  ReplaySource src(std::make_unique<std::istringstream>(jsonl), "scenario", hooks);
  Engine engine(rules, state);
  Run r;
  Event e;
  while (*src.next(e, std::chrono::milliseconds(0)) == NextStatus::event)
    engine.process(e, [&](const Alert& a) { r.fired.push_back(a.rule->name); });
  EXPECT_TRUE(src.last_error().empty()) << src.last_error();
  return r;
}

const Ruleset& stable() {
  static Ruleset rs = [] {
    std::ifstream in(std::string(BULWARK_SHARED_DIR) + "/fixtures/falco/falcosecurity-rules/rules/falco_rules.yaml");
    std::stringstream ss;
    ss << in.rdbuf();
    return load_rules({{"falco_rules.yaml", ss.str()}});
  }();
  return rs;
}

// containerd-shim on the host starts `comm` in the container; extra JSON fields go into its execve.
std::string spawn_in_container(const std::string& comm, const std::string& exec_extra,
                               const std::string& root_extra = "") {
  return R"({"container":{"id":")" + kCid +
         R"(","name":"app","image":"registry.local/app:1"}})"
         "\n"
         R"({"type":"procinfo","pid":90,"comm":"containerd-shim","exec":{"exe":"/usr/bin/containerd-shim"}})"
         "\n"
         R"({"type":"clone","pid":90,"ret":91})"
         "\n"
         R"({"type":"execve","pid":91,"ppid":90,"comm":")" +
         comm + R"(","cgroup":"/docker/)" + kCid + R"(")" + root_extra + R"(,"exec":{"exe":"/bin/)" + comm +
         R"(","argv":[")" + comm + R"("])" + exec_extra + "}}\n";
}

TEST(StableScenarios, TerminalShellInContainer) {
  auto hit = replay(stable(), spawn_in_container("bash", R"(,"tty":34816)"));
  EXPECT_NE(std::find(hit.fired.begin(), hit.fired.end(), "Terminal shell in container"), hit.fired.end());
  auto miss = replay(stable(), spawn_in_container("bash", ""));  // no terminal
  EXPECT_EQ(std::find(miss.fired.begin(), miss.fired.end(), "Terminal shell in container"), miss.fired.end());
}

TEST(StableScenarios, ContactK8sApiServerFromContainer) {
  std::string base = spawn_in_container("curl", "") +
                     R"({"dns":{"10.96.0.1":["kubernetes.default.svc.cluster.local"]}})"
                     "\n"
                     R"({"type":"socket","pid":91,"ret":3,"cgroup":"/docker/)" +
                     kCid +
                     R"(","args":{"domain":"AF_INET","type":"SOCK_STREAM"}})"
                     "\n";
  auto connect = [&](const std::string& ip) {
    return base + R"({"type":"connect","pid":91,"cgroup":"/docker/)" + kCid +
           R"(","args":{"fd":3,"tuple":{"client":"172.17.0.5:41000","server":")" + ip + R"(:443"}}})" + "\n";
  };
  auto hit = replay(stable(), connect("10.96.0.1"));
  EXPECT_NE(std::find(hit.fired.begin(), hit.fired.end(), "Contact K8S API Server From Container"), hit.fired.end());
  auto miss = replay(stable(), connect("10.96.0.2"));
  EXPECT_TRUE(miss.fired.empty());
}

TEST(StableScenarios, KernelModuleInjectionFromContainer) {
  std::string s = spawn_in_container("insmod", "", R"(,"caps":{"effective":["CAP_SYS_MODULE"]})") +
                  R"({"type":"finit_module","pid":91,"ret":0,"cgroup":"/docker/)" + kCid +
                  R"(","caps":{"effective":["CAP_SYS_MODULE"]},"args":{"fd":3}})" + "\n";
  auto hit = replay(stable(), s);
  EXPECT_NE(std::find(hit.fired.begin(), hit.fired.end(), "Linux Kernel Module Injection Detected"), hit.fired.end());
  std::string nocap = spawn_in_container("insmod", "") +
                      R"({"type":"finit_module","pid":91,"ret":-1,"cgroup":"/docker/)" + kCid +
                      R"(","args":{"fd":3}})" + "\n";
  auto miss = replay(stable(), nocap);
  EXPECT_TRUE(miss.fired.empty());
}

TEST(StableScenarios, PtraceAttachAndAntiDebug) {
  std::string s = R"({"type":"procinfo","pid":500,"comm":"evil","exec":{"exe":"/tmp/evil","argv":["evil"]}})"
                  "\n"
                  R"({"type":"ptrace","pid":500,"ret":0,"args":{"request":"PTRACE_ATTACH","target_pid":1}})"
                  "\n"
                  R"({"type":"ptrace","pid":500,"ret":0,"args":{"request":"PTRACE_TRACEME"}})"
                  "\n"
                  R"({"type":"ptrace","pid":500,"ret":0,"args":{"request":"PTRACE_PEEKDATA","target_pid":1}})";
  auto r = replay(stable(), s);
  EXPECT_EQ(r.fired, (std::vector<std::string>{"PTRACE attached to process", "PTRACE anti-debug attempt"}));
}

TEST(StableScenarios, FilelessExecutionViaMemfd) {
  std::string s =
      R"({"type":"procinfo","pid":600,"comm":"loader","exec":{"exe":"/usr/bin/loader"}})"
      "\n"
      R"({"type":"memfd_create","pid":600,"ret":3,"args":{"path":"payload"}})"
      "\n"
      R"({"type":"execve","pid":600,"comm":"3","exec":{"exe":"memfd:payload","argv":["/proc/self/fd/3"],"flags":["memfd"]}})";
  auto r = replay(stable(), s);
  EXPECT_NE(std::find(r.fired.begin(), r.fired.end(), "Fileless execution via memfd_create"), r.fired.end());
}

}  // namespace
}  // namespace bulwark::runtime::engine
