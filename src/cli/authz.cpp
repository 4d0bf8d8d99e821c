// `bulwark authz`: the Docker authorization plugin on a unix socket (src/enforce/authz.hpp;
// docs/enforce.md). This file parses flags, starts the listener and logs decisions.
#include <signal.h>
#include <sys/stat.h>

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "enforce/authz.hpp"
#include "httpd/httpd.hpp"

namespace bulwark::cli {

namespace {

struct AuthzFlags {
  std::string socket = "/run/docker/plugins/bulwark.sock";
  std::string policy;
  std::string break_glass_file;
  unsigned threads = 2;
};

int run_authz(const AuthzFlags& f) {
  enforce::Policy policy;
  if (!f.policy.empty()) {
    auto p = enforce::load_policy(f.policy);
    if (!p) return report_error(p.error());
    policy = std::move(*p);
  }
  if (!f.break_glass_file.empty()) {
    if (!std::filesystem::path(f.break_glass_file).is_absolute()) {
      return report_error(
          Error{ErrorCode::invalid_argument, "--break-glass-file must be an absolute path", f.break_glass_file});
    }
    policy.break_glass_file = f.break_glass_file;
  }
  std::error_code ec;
  auto parent = std::filesystem::path(f.socket).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (ec) return report_error(Error{ErrorCode::io, "cannot create the socket's folder: " + ec.message(), parent});

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  auto log_mutex = std::make_shared<std::mutex>();
  auto plugin = std::make_shared<enforce::AuthzPlugin>(policy, [log_mutex](const std::string& line) {
    std::lock_guard lock(*log_mutex);
    fmt::print(stderr, "bulwark authz: {}\n", line);
    std::fflush(stderr);
  });
  httpd::ServerOptions options;
  options.listen = "unix:" + f.socket;
  options.threads = f.threads;
  options.limits.max_body = 8 << 20;
  options.limits.read_timeout = std::chrono::seconds(10);
  auto server = httpd::Server::start(options, [plugin](const httpd::Request& r) { return plugin->handle(r); });
  if (!server) return report_error(server.error());
  // Only root (dockerd) talks to the plugin.
  ::chmod(f.socket.c_str(), 0600);
  std::string glass;
  (void)enforce::break_glass_active(policy, &glass);
  fmt::print(stderr, "bulwark authz: listening on {} (policy {}{}){}\n", f.socket,
             policy.source.empty() ? "built-in defaults" : policy.source,
             policy.break_glass_file.empty() ? "" : ", break-glass file " + policy.break_glass_file,
             glass.empty() ? "" : "; " + glass);
  std::fflush(stderr);
  int sig = 0;
  sigwait(&set, &sig);
  (*server)->stop();
  fmt::print(stderr, "bulwark authz: stopped ({} allowed, {} denied)\n", plugin->allowed(), plugin->denied());
  return kExitOk;
}

}  // namespace

void register_authz(CLI::App& app, int& exit_code) {
  auto f = std::make_shared<AuthzFlags>();
  auto* cmd = app.add_subcommand("authz", "Run the Docker authorization plugin (refuse containers that fail policy)");
  cmd->footer(
      "Examples:\n"
      "  bulwark authz --socket /run/docker/plugins/bulwark.sock --policy /etc/bulwark/enforce.yaml\n"
      "  bulwark authz --socket /run/docker/plugins/bulwark.sock --break-glass-file /run/bulwark/break-glass\n"
      "  dockerd --authorization-plugin=bulwark   (or \"authorization-plugins\": [\"bulwark\"] in daemon.json)\n"
      "Break-glass: while the break-glass file exists (root-owned, not group/world-writable), every\n"
      "request is allowed and logged. See docs/enforce.md.");
  cmd->add_option("--socket", f->socket, "Unix socket to listen on (dockerd looks in /run/docker/plugins/NAME.sock)")
      ->default_str("/run/docker/plugins/bulwark.sock");
  cmd->add_option("--policy", f->policy, "Enforcement policy (YAML, docs/enforce.md); default: built-in rules");
  cmd->add_option("--break-glass-file", f->break_glass_file,
                  "Allow everything while this file exists (overrides the policy's break_glass_file)");
  cmd->add_option("--threads", f->threads, "Handler threads")->check(CLI::Range(1u, 16u));
  cmd->callback([f, &exit_code] { exit_code = run_authz(*f); });
}

BULWARK_COMMAND(authz, 63, register_authz);

}  // namespace bulwark::cli
