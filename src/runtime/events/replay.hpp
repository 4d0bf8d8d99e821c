// A synthetic event source: JSON lines, one event per line, replayed in order.
// It drives the engine and state without BPF (tests, `bulwark monitor --replay`).
//
//   {"ts": 1700000000000000000, "type": "execve", "ret": 0, "pid": 200, "ppid": 100, "uid": 0,
//    "comm": "bash", "cgroup": "/docker/<64 hex>", "caps": {"effective": ["CAP_SYS_ADMIN"]},
//    "exec": {"exe": "/bin/bash", "argv": ["bash", "-i"], "cwd": "/", "tty": 34816, "flags": ["upper_layer"]},
//    "args": {"path": "/etc/shadow", "flags": "O_RDONLY", "fd": 3, "domain": "AF_PACKET",
//             "request": "PTRACE_ATTACH", "tuple": {"client": "10.0.0.2:40000", "server": "10.96.0.1:443"}}}
//
// Two more record kinds feed the side tables a live source learns elsewhere:
//   {"container": {"id": "<64 hex>", "name": "web", "image": "nginx:1.25", "privileged": true}}
//   {"dns": {"10.96.0.1": ["kubernetes.default.svc.cluster.local"]}}
// docs/runtime-rules.md lists every key. A malformed line is counted and skipped
// (stats().extra "parse_errors"); lines longer than 1 MiB are rejected.
#pragma once

#include <cstdio>
#include <functional>
#include <istream>
#include <memory>
#include <string>
#include <unordered_map>

#include "runtime/events/source.hpp"
#include "runtime/state/container.hpp"

namespace bulwark::runtime {

// A resolver answering from a fixed table (replay files, tests).
class StaticContainerResolver : public ContainerResolver {
 public:
  void add(ContainerInfo info);
  [[nodiscard]] Result<ContainerInfo> resolve(std::string_view container_id) override;

 private:
  std::unordered_map<std::string, ContainerInfo> by_id_;
};

struct ReplayHooks {
  std::function<void(const ContainerInfo&)> on_container;
  std::function<void(const std::string& ip, const std::string& name)> on_dns;
};

class ReplaySource : public EventSource {
 public:
  ReplaySource(std::unique_ptr<std::istream> in, std::string name, ReplayHooks hooks = {});
  static Result<std::unique_ptr<ReplaySource>> open(const std::string& path, ReplayHooks hooks = {});

  [[nodiscard]] Result<NextStatus> next(Event& out, std::chrono::milliseconds timeout) override;
  [[nodiscard]] SourceStats stats() const override;
  [[nodiscard]] std::string name() const override { return "replay:" + name_; }
  // The last parse error, "file:line: message" (empty when none).
  [[nodiscard]] const std::string& last_error() const noexcept { return last_error_; }

 private:
  std::unique_ptr<std::istream> in_;
  std::string name_;
  ReplayHooks hooks_;
  std::uint64_t line_no_ = 0;
  std::uint64_t events_ = 0;
  std::uint64_t parse_errors_ = 0;
  std::uint64_t last_ts_ = 0;
  std::string last_error_;
  std::string line_;
};

// Parses one JSON event line into `out`; false with `error` set when malformed.
// Exposed for tests and for building events in code.
[[nodiscard]] bool parse_event_json(std::string_view line, Event& out, std::string& error);

}  // namespace bulwark::runtime
