// `bulwark agent`: report this host's inventory (images, running containers),
// the SBOM of each new image and the CIS host audit to a bulwark server,
// through a durable on-disk spool. The logic lives in src/agent.
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include <fmt/format.h>

#include "agent/agent.hpp"
#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "util/files.hpp"
#include "util/http.hpp"
#include "util/strings.hpp"

namespace bulwark::cli {

namespace {

inline constexpr int kExitAuth = 5;

struct AgentCliOptions {
  std::string server;
  std::string token;
  std::string token_file;
  std::string interval = "15m";
  std::string spool = "/var/lib/bulwark/spool";
  std::string state = "/var/lib/bulwark/state";
  std::string host_name;
  std::string ca;
  std::string client_cert;
  std::string client_key;
  std::string docker_host;
  std::string engine = "auto";
  std::string cri_socket = "/run/containerd/containerd.sock";
  std::string containerd_root = "/var/lib/containerd";
  std::uint64_t spool_max_mib = 256;
  std::uint64_t spool_max_entries = 100000;
  bool once = false;
  bool monitor = false;
  std::vector<std::string> rules;
  std::string metrics_listen;
  bool no_host_audit = false;
  bool no_sboms = false;
  ScanOptions scan;
};

std::atomic<bool> g_stop{false};
extern "C" void agent_on_signal(int) {
  g_stop = true;
}

Result<std::chrono::seconds> parse_interval(const std::string& s) {
  if (s.empty()) return fail(ErrorCode::invalid_argument, "empty --interval");
  std::uint64_t n = 0;
  std::size_t i = 0;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) n = n * 10 + static_cast<std::uint64_t>(s[i] - '0');
  std::string unit = s.substr(i);
  std::uint64_t mult = unit == "s" || unit.empty() ? 1 : unit == "m" ? 60 : unit == "h" ? 3600 : 0;
  if (i == 0 || mult == 0 || n == 0 || n > 7 * 24 * 3600) {
    return fail(ErrorCode::invalid_argument, "--interval takes a duration like 30s, 15m or 1h", s);
  }
  return std::chrono::seconds(n * mult);
}

int run_agent_cli(AgentCliOptions& o) {
  if (o.token.empty() && !o.token_file.empty()) {
    auto t = util::read_file(o.token_file, 1 << 16);
    if (!t) return report_error(t.error());
    o.token = std::string(util::trim(*t));
  }
  if (o.token.empty())
    o.token = std::string(util::trim(std::getenv("BULWARK_TOKEN") ? std::getenv("BULWARK_TOKEN") : ""));
  if (o.server.empty() || o.token.empty()) {
    return report_error(
        Error{ErrorCode::invalid_argument, "--server and a token (--token, --token-file or BULWARK_TOKEN) are needed"});
  }
  auto interval = parse_interval(o.interval);
  if (!interval) return report_error(interval.error());
  if (o.client_cert.empty() != o.client_key.empty()) {
    return report_error(Error{ErrorCode::invalid_argument, "--client-cert and --client-key go together"});
  }

  agent::AgentOptions ao;
  ao.delivery.server = o.server;
  ao.delivery.token = o.token;
  ao.delivery.ca_file = o.ca;
  ao.delivery.cert_file = o.client_cert;
  ao.delivery.key_file = o.client_key;
  ao.host.name = o.host_name.empty() ? agent::local_host_name() : o.host_name;
  ao.spool_dir = o.spool;
  ao.state_dir = o.state;
  ao.spool_limits.max_bytes = o.spool_max_mib << 20;
  ao.spool_limits.max_entries = o.spool_max_entries;
  ao.interval = *interval;
  ao.docker_host = o.docker_host;
  ao.engine = o.engine;
  ao.cri_socket = o.cri_socket;
  ao.containerd_root = o.containerd_root;
  ao.once = o.once;
  ao.monitor = o.monitor;
  ao.monitor_options.rules_files = o.rules;
  ao.monitor_options.docker_host = o.docker_host;
  ao.metrics_listen = o.metrics_listen;
  ao.host_audit = !o.no_host_audit;
  ao.sboms = !o.no_sboms;

  o.scan.quiet = true;
  auto session = make_session(o.scan);
  std::signal(SIGTERM, agent_on_signal);
  std::signal(SIGINT, agent_on_signal);
  std::fprintf(stderr, "bulwark agent: reporting as host %s to %s\n", util::printable(ao.host.name).c_str(),
               util::redact_url(o.server).c_str());
  auto log = [](std::string_view line) { std::fprintf(stderr, "%s\n", util::printable(line).c_str()); };
  auto r = agent::run_agent(ao, session.context, g_stop, log);
  if (!r) {
    int code = report_error(r.error());
    return r.error().code == ErrorCode::auth ? kExitAuth : code;
  }
  std::fprintf(stderr, "bulwark agent: %llu documents spooled, %llu delivered, %llu left in the spool\n",
               static_cast<unsigned long long>(r->spooled), static_cast<unsigned long long>(r->delivered),
               static_cast<unsigned long long>(r->left_in_spool));
  return kExitOk;
}

}  // namespace

void register_agent(CLI::App& app, int& exit_code) {
  auto opts = std::make_shared<AgentCliOptions>();
  auto* cmd = app.add_subcommand("agent", "Report this host's images, containers, SBOMs and host audit to a server");
  cmd->footer(
      "Runs on a host and reports to a bulwark server: the inventory (images, running containers) on start,\n"
      "on every engine event and on the interval; the SBOM of every image not sent before; the CIS host\n"
      "audit on start and on the interval. Everything goes through a durable, bounded on-disk spool and is\n"
      "delivered in order with retries; a refused token (401/403) stops delivery and keeps the spool.\n"
      "\n"
      "Examples:\n"
      "  bulwark agent --server https://bulwark.example:8443 --token-file /etc/bulwark/agent.token --ca ca.pem\n"
      "  bulwark agent --server http://127.0.0.1:18400 --token T --spool ./spool --state ./state --once\n"
      "\n"
      "Exit codes: 0 stopped (SIGTERM) or --once done; 4 the server or engine could not be reached (--once);\n"
      "5 the server refused the token.");
  cmd->add_option("--server", opts->server, "The server's base URL")->required();
  cmd->add_option("--token", opts->token, "The agent token (prefer --token-file or BULWARK_TOKEN)");
  cmd->add_option("--token-file", opts->token_file, "Read the agent token from this file");
  cmd->add_option("--interval", opts->interval, "Full inventory and host audit every (30s, 15m, 1h)");
  cmd->add_option("--spool", opts->spool, "Spool folder (durable queue of documents to send)");
  cmd->add_option("--state", opts->state, "State folder (which image SBOMs were sent)");
  cmd->add_option("--spool-max-mib", opts->spool_max_mib, "Spool size bound in MiB (oldest dropped past it)");
  cmd->add_option("--spool-max-entries", opts->spool_max_entries, "Spool entry bound");
  cmd->add_option("--host-name", opts->host_name, "Report as this host (default: the machine's host name)");
  cmd->add_option("--ca", opts->ca, "Verify the server's TLS certificate against this CA file");
  cmd->add_option("--client-cert", opts->client_cert, "Client certificate (PEM) for mutual TLS");
  cmd->add_option("--client-key", opts->client_key, "Client key (PEM) for mutual TLS");
  cmd->add_option("--docker-host", opts->docker_host, "Docker engine (default: the local socket)");
  cmd->add_option("--engine", opts->engine, "Inventory from docker, cri (containerd, CRI-O) or auto")
      ->check(CLI::IsMember({"auto", "docker", "cri"}));
  cmd->add_option("--cri-socket", opts->cri_socket,
                  "CRI runtime socket (containerd: /run/containerd/containerd.sock, CRI-O: /var/run/crio/crio.sock)");
  cmd->add_option("--containerd-root", opts->containerd_root,
                  "containerd's root folder: SBOMs of CRI images are read from its content store, read-only")
      ->default_str("/var/lib/containerd");
  cmd->add_flag("--monitor", opts->monitor,
                "Run the eBPF runtime monitor and send its alerts (with container and pod) to the server");
  cmd->add_option("-r,--rules", opts->rules, "Monitor rules files (Falco format; default: the built-in rules)");
  cmd->add_option("--metrics-listen", opts->metrics_listen,
                  "Serve Prometheus text on GET /metrics at this address (127.0.0.1:9464)");
  cmd->add_flag("--once", opts->once, "Collect once, deliver what the spool holds, and exit");
  cmd->add_flag("--no-host-audit", opts->no_host_audit, "Do not run the CIS host audit");
  cmd->add_flag("--no-sboms", opts->no_sboms, "Do not send image SBOMs");
  cmd->add_option("--cache-dir", opts->scan.cache_dir, "Cache folder");
  cmd->callback([opts, &exit_code] { exit_code = run_agent_cli(*opts); });
}

BULWARK_COMMAND(agent, 70, register_agent);

}  // namespace bulwark::cli
