// `bulwark monitor --learn CONTAINER --duration D`: runs the live probe in learn
// mode and writes, for one container, a seccomp profile, a capability list and a
// draft NetworkPolicy into an output folder. Called from cli/monitor.cpp.
#pragma once

#include <chrono>
#include <string>

namespace bulwark::cli {

struct LearnOptions {
  std::string container;                  // name or id; may start after the monitor
  std::chrono::milliseconds duration{0};  // 0: until SIGINT/SIGTERM
  std::string out_dir;                    // empty: ./bulwark-learn-<container>
  std::string docker_host;
  bool quiet = false;
};

// Returns the process exit code (cli/common.hpp).
int run_monitor_learn(const LearnOptions& options);

}  // namespace bulwark::cli
