#include "cli/monitor_learn.hpp"

#include <fmt/format.h>

#include <atomic>
#include <csignal>
#include <filesystem>
#include <map>
#include <set>

#include "cli/common.hpp"
#include "docker/client.hpp"
#include "runtime/probe/learn.hpp"
#include "runtime/probe/live_source.hpp"
#include "runtime/state/container.hpp"
#include "util/files.hpp"

namespace bulwark::cli {
namespace {

std::atomic<bool> g_stop{false};
void on_signal(int) {
  g_stop.store(true);
}

// Rule files land atomically; a symlink is followed, a device written through (util::write_file_atomic).
Status write_file(const std::filesystem::path& path, std::string_view text) {
  return util::write_file_atomic(path, text);
}

}  // namespace

int run_monitor_learn(const LearnOptions& options) {
  using namespace std::chrono;
  runtime::LiveSourceOptions lopts;
  // Network and socket events for the connections and capabilities; exec, fork and
  // exit always flow; every syscall is counted in the kernel per cgroup.
  lopts.event_types = {runtime::EventType::connect, runtime::EventType::sendto, runtime::EventType::accept,
                       runtime::EventType::accept4, runtime::EventType::bind,   runtime::EventType::listen,
                       runtime::EventType::socket};
  lopts.docker_host = options.docker_host;
  auto source = runtime::probe::LiveSource::open(lopts, true);
  if (!source) return report_error(source.error().within("learn mode"));
  auto client = docker::Client::connect(options.docker_host);
  if (!client) return report_error(client.error());

  g_stop.store(false);
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  if (!options.quiet) {
    fmt::print(stderr, "bulwark: capture ready, learning container {} ({}); start or exercise it now\n",
               options.container,
               options.duration.count() > 0 ? fmt::format("for {}s", duration_cast<seconds>(options.duration).count())
                                            : std::string("until Ctrl-C"));
  }

  // Every container's events are kept apart by container id until the target's id
  // is known: it may start (and exit) after learning began.
  constexpr std::size_t kMaxContainers = 256;
  std::map<std::string, runtime::probe::Learner> learners;
  std::map<std::uint64_t, std::string> cgroup_container;  // cgroup id -> container id
  std::string target_id;
  auto start = steady_clock::now();
  auto last_inspect = start - seconds(1);
  runtime::Event ev;
  while (!g_stop.load()) {
    auto now = steady_clock::now();
    if (options.duration.count() > 0 && now - start >= options.duration) break;
    if (target_id.empty() && now - last_inspect >= milliseconds(250)) {
      last_inspect = now;
      if (auto doc = client->inspect_container(options.container); doc && doc->contains("Id")) {
        target_id = (*doc)["Id"].get<std::string>();
      }
    }
    auto st = (*source)->next(ev, milliseconds(100));
    if (!st) return report_error(st.error());
    if (*st != runtime::NextStatus::event) continue;
    std::string id = runtime::container_id_from_cgroup(ev.cgroup);
    if (id.empty()) continue;
    if (cgroup_container.size() < 65536) cgroup_container.emplace(ev.cgroup_id, id);
    if (!learners.contains(id) && learners.size() >= kMaxContainers) continue;
    learners[id].observe(ev);
  }
  if (target_id.empty()) {
    if (auto doc = client->inspect_container(options.container); doc && doc->contains("Id")) {
      target_id = (*doc)["Id"].get<std::string>();
    }
  }
  if (target_id.empty()) {
    return report_error(Error{ErrorCode::not_found,
                              "the container never appeared (docker knows no container of that name or id)",
                              options.container});
  }
  runtime::probe::Learner& learner = learners[target_id];
  std::size_t cgroups = 0;
  for (const auto& [cg, learned] : (*source)->probe().learned_syscalls()) {
    auto it = cgroup_container.find(cg);
    if (it == cgroup_container.end() || it->second != target_id) continue;
    learner.add_syscalls(learned.allowed, learned.workload);
    ++cgroups;
  }
  if (cgroups == 0) {
    return report_error(Error{ErrorCode::not_found,
                              "saw no activity of the container while learning (start it after the monitor, or "
                              "exercise it during --duration)",
                              options.container});
  }

  std::filesystem::path dir = options.out_dir.empty() ? "bulwark-learn-" + options.container : options.out_dir;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return report_error(Error{ErrorCode::io, ec.message(), dir.string()});
  std::string name = options.container;
  for (auto& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') c = '-';
  }
  for (auto [file, text] : {std::pair{"seccomp.json", learner.seccomp_profile().dump(2) + "\n"},
                            std::pair{"capabilities.txt", learner.capabilities_text()},
                            std::pair{"networkpolicy.yaml", learner.network_policy_yaml(name)}}) {
    if (auto s = write_file(dir / file, text); !s) return report_error(s.error());
  }
  auto stats = (*source)->stats();
  if (!options.quiet) {
    fmt::print(stderr, "bulwark: learned {} syscalls, {} capabilities, {} connections of {} ({} events, {} drops)\n",
               learner.syscalls().size(), learner.capabilities().size(), learner.peers().size(),
               target_id.substr(0, 12), stats.events, stats.drops);
    fmt::print(stderr, "bulwark: wrote {}/seccomp.json, capabilities.txt, networkpolicy.yaml\n", dir.string());
    fmt::print(stderr, "bulwark: try: docker run --security-opt seccomp={}/seccomp.json ...\n", dir.string());
  }
  return kExitOk;
}

}  // namespace bulwark::cli
