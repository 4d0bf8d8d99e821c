// `bulwark monitor`: runtime detection with Falco-compatible rules. Validates
// rule files (--validate), replays recorded events (--replay FILE.jsonl), or
// watches the host live through the eBPF probe (runtime/probe provides
// runtime::make_live_source; without it the command says so and exits 2).
#include <signal.h>
#include <unistd.h>

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/monitor_learn.hpp"
#include "runtime/engine/default_rules.hpp"
#include "runtime/engine/engine.hpp"
#include "runtime/engine/ruleset.hpp"
#include "runtime/events/live.hpp"
#include "runtime/events/replay.hpp"
#include "runtime/outputs/outputs.hpp"
#include "runtime/probe/dns_names.hpp"
#include "runtime/probe/docker_resolver.hpp"
#include "runtime/state/proc_snapshot.hpp"
#include "util/files.hpp"
#include "util/strings.hpp"

namespace bulwark::cli {

namespace {

namespace rt = runtime;
namespace eng = runtime::engine;

struct MonitorOptions {
  std::vector<std::string> rules;
  std::vector<std::string> validate;
  std::string replay;
  std::string format = "text";
  std::string output;
  std::string dedup_window = "0s";
  bool syslog = false;
  std::string webhook;
  double stats_interval = 0;
  std::string docker_host;
  bool list_fields = false;
  bool quiet = false;
  bool strict = false;         // --validate: an unknown field fails validation, as in Falco
  std::string duration;        // live: stop after this long (empty = until SIGINT/SIGTERM)
  std::string learn;           // live: learn this container's least privilege instead of alerting
  std::string learn_out;       // --learn output folder
  std::size_t buffer_mib = 8;  // live: ring buffer memory over all CPUs
  std::string hooks = "auto";  // live: syscall hooks (auto, tracepoints, raw)
  std::string entry_args = "on";
};

std::atomic<bool> g_stop{false};

extern "C" void on_signal(int) {
  g_stop.store(true);
}

constexpr std::uint64_t kMaxRulesFileBytes = 16u << 20;

// "10s", "500ms", "2m", "0" -> ns
Result<std::uint64_t> parse_duration(const std::string& s) {
  std::size_t i = 0;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
  if (i == 0) return fail(ErrorCode::invalid_argument, "--dedup-window must look like 10s, 500ms or 2m", s);
  double v = 0;
  try {
    v = std::stod(s.substr(0, i));
  } catch (...) {
    return fail(ErrorCode::invalid_argument, "--dedup-window must look like 10s, 500ms or 2m", s);
  }
  std::string unit = s.substr(i);
  double mult = 1e9;
  if (unit == "ms")
    mult = 1e6;
  else if (unit == "s" || unit.empty())
    mult = 1e9;
  else if (unit == "m")
    mult = 60e9;
  else if (unit == "h")
    mult = 3600e9;
  else
    return fail(ErrorCode::invalid_argument, "unknown unit in --dedup-window (use ms, s, m or h)", s);
  return static_cast<std::uint64_t>(v * mult);
}

Result<std::vector<eng::RulesFile>> read_rules(const std::vector<std::string>& paths) {
  std::vector<eng::RulesFile> files;
  if (paths.empty()) {
    files.push_back({std::string(eng::kDefaultRulesName), std::string(eng::default_rules())});
    return files;
  }
  for (const auto& p : paths) {
    auto text = util::read_file(p, kMaxRulesFileBytes);
    if (!text) return std::unexpected(text.error().within("reading rules"));
    files.push_back({p, std::move(*text)});
  }
  return files;
}

void print_diagnostics(const eng::Ruleset& rs) {
  for (const auto& d : rs.diagnostics()) std::fprintf(stderr, "%s\n", util::printable(d.describe()).c_str());
}

std::string summary(const eng::Ruleset& rs) {
  std::string skipped;
  if (!rs.skipped_unknown_fields().empty())
    skipped = fmt::format(", {} skipped by skip-if-unknown-filter", rs.skipped_unknown_fields().size());
  return fmt::format("{} rules loaded, {} not loaded ({} errors, {} warnings{})", rs.rules().size(),
                     rs.defined_rules() - rs.rules().size(), rs.error_count(), rs.warning_count(), skipped);
}

int run_validate(const MonitorOptions& o) {
  auto files = read_rules(o.validate);
  if (!files) return report_error(files.error());
  auto rs = eng::load_rules(*files);
  if (o.format == "json") {
    nlohmann::json j;
    j["files"] = o.validate;
    j["rules_loaded"] = rs.rules().size();
    j["rules_not_loaded"] = rs.defined_rules() - rs.rules().size();
    j["rules_skipped_unknown_filter"] = rs.skipped_unknown_fields();
    j["errors"] = rs.error_count();
    j["warnings"] = rs.warning_count();
    j["diagnostics"] = nlohmann::json::array();
    for (const auto& d : rs.diagnostics()) {
      j["diagnostics"].push_back({{"level", d.level == core::DiagnosticLevel::error ? "error" : "warning"},
                                  {"code", d.code},
                                  {"file", d.file},
                                  {"line", d.line},
                                  {"column", d.column},
                                  {"item_type", d.item_type},
                                  {"item_name", d.item_name},
                                  {"message", d.message}});
    }
    ScanOptions so;
    so.output = o.output;
    if (auto st = write_output(so, j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"); !st)
      return report_error(st.error());
  } else {
    std::string text;
    for (const auto& d : rs.diagnostics()) text += util::printable(d.describe()) + "\n";
    text += summary(rs) + "\n";
    ScanOptions so;
    so.output = o.output;
    if (auto st = write_output(so, text); !st) return report_error(st.error());
  }
  // A rule with an unknown field is a warning (it is not loaded, the others are), so it passes unless
  // --strict asks for Falco's behaviour, where it fails validation.
  if (rs.error_count() || (o.strict && rs.unknown_field_rules())) return kExitInput;
  return kExitOk;
}

int run_list_fields() {
  for (const auto& f : eng::all_fields()) {
    std::string name(f.name);
    if (f.arg == eng::FieldArg::index) name += "[N]";
    if (f.arg == eng::FieldArg::key) name += name == "evt.arg" ? ".NAME" : "[NAME]";
    std::printf("%-44s %s\n", name.c_str(), std::string(f.desc).c_str());
  }
  return kExitOk;
}

void print_stats(const eng::Engine& engine, const rt::EventSource& src, const eng::Ruleset& rs,
                 const rt::outputs::Dispatcher& outs, const rt::ContainerResolver* resolver,
                 std::chrono::steady_clock::time_point start) {
  auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto& s = engine.stats();
  auto ss = src.stats();
  std::fprintf(stderr,
               "bulwark: stats: %s: %llu events (%.0f/s), %llu dropped, %llu alerts, %llu suppressed by dedup\n",
               src.name().c_str(), static_cast<unsigned long long>(ss.events), secs > 0 ? s.events / secs : 0.0,
               static_cast<unsigned long long>(ss.drops), static_cast<unsigned long long>(s.alerts),
               static_cast<unsigned long long>(s.suppressed));
  for (std::size_t cpu = 0; cpu < ss.per_cpu.size(); ++cpu) {
    if (ss.per_cpu[cpu].drops)
      std::fprintf(stderr, "bulwark: stats:   cpu %zu: %llu events, %llu dropped\n", cpu,
                   static_cast<unsigned long long>(ss.per_cpu[cpu].events),
                   static_cast<unsigned long long>(ss.per_cpu[cpu].drops));
  }
  for (const auto& [k, v] : ss.extra)
    std::fprintf(stderr, "bulwark: stats:   %s: %llu\n", k.c_str(), static_cast<unsigned long long>(v));
  for (std::size_t i = 0; i < s.per_rule.size(); ++i) {
    if (s.per_rule[i])
      std::fprintf(stderr, "bulwark: stats:   rule \"%s\": %llu\n", rs.rules()[i].name.c_str(),
                   static_cast<unsigned long long>(s.per_rule[i]));
  }
  const auto& st = const_cast<eng::Engine&>(engine).state().stats();
  std::fprintf(stderr, "bulwark: stats:   processes tracked: %zu (created %llu, evicted %llu), fds dropped %llu\n",
               const_cast<eng::Engine&>(engine).state().size(), static_cast<unsigned long long>(st.processes_created),
               static_cast<unsigned long long>(st.processes_evicted), static_cast<unsigned long long>(st.fds_dropped));
  if (st.processes_seeded) {
    std::fprintf(stderr, "bulwark: stats:   processes from /proc snapshot: %llu\n",
                 static_cast<unsigned long long>(st.processes_seeded));
  }
  if (const auto* docker = dynamic_cast<const rt::probe::DockerContainerResolver*>(resolver)) {
    auto ds = docker->stats();
    std::fprintf(
        stderr,
        "bulwark: stats:   docker events: %llu (pre-resolved %llu, lookups answered by them %llu, renamed %llu, "
        "evicted %llu), stream restarts %llu\n",
        static_cast<unsigned long long>(ds.events), static_cast<unsigned long long>(ds.pre_resolved),
        static_cast<unsigned long long>(ds.answered_from_events), static_cast<unsigned long long>(ds.renamed),
        static_cast<unsigned long long>(ds.evicted), static_cast<unsigned long long>(ds.stream_restarts));
    if (ds.stream_restarts && !ds.last_stream_error.empty()) {
      std::fprintf(stderr, "bulwark: stats:   docker event stream, last problem: %s\n",
                   util::printable(ds.last_stream_error).c_str());
    }
  }
  for (const auto& os : outs.stats()) {
    if (os.failed || os.dropped)
      std::fprintf(stderr, "bulwark: stats:   output %s: %llu sent, %llu failed, %llu dropped\n", os.name.c_str(),
                   static_cast<unsigned long long>(os.sent), static_cast<unsigned long long>(os.failed),
                   static_cast<unsigned long long>(os.dropped));
  }
}

int run_monitor(const MonitorOptions& o) {
  auto window = parse_duration(o.dedup_window);
  if (!window) return report_error(window.error());
  std::uint64_t run_for_ns = 0;
  if (!o.duration.empty()) {
    auto d = parse_duration(o.duration);
    if (!d) return report_error(d.error().within("--duration"));
    run_for_ns = *d;
  }
  auto files = read_rules(o.rules);
  if (!files) return report_error(files.error());
  auto rs = eng::load_rules(*files);
  print_diagnostics(rs);
  if (rs.enabled_rules() == 0) {
    std::fprintf(stderr, "bulwark: error: no rule could be loaded (%s)\n", summary(rs).c_str());
    return kExitInput;
  }
  if (!o.quiet) std::fprintf(stderr, "bulwark: %s\n", summary(rs).c_str());

  auto format = o.format == "json" ? rt::outputs::Format::json : rt::outputs::Format::text;
  rt::outputs::Dispatcher outs;
  auto stream = rt::outputs::make_stream_output(o.output, format);
  if (!stream) return report_error(stream.error());
  outs.add(std::move(*stream));
  if (o.syslog) outs.add(rt::outputs::make_syslog_output(format));
  if (!o.webhook.empty()) {
    if (!o.webhook.starts_with("http://") && !o.webhook.starts_with("https://")) {
      return report_error(Error{ErrorCode::invalid_argument, "--webhook needs an http:// or https:// URL", o.webhook});
    }
    outs.add(rt::outputs::make_webhook_output(o.webhook));
  }

  // The event source, and the container metadata that goes with it.
  std::unique_ptr<rt::ContainerResolver> resolver;
  std::unique_ptr<rt::EventSource> source;
  rt::StateLimits limits;
  std::unique_ptr<rt::ProcessTable> state;
  if (!o.replay.empty()) {
    auto fixed = std::make_unique<rt::StaticContainerResolver>();
    auto* fixed_ptr = fixed.get();
    resolver = std::move(fixed);
    state = std::make_unique<rt::ProcessTable>(limits, resolver.get());
    auto* state_ptr = state.get();
    rt::ReplayHooks hooks;
    hooks.on_container = [fixed_ptr](const rt::ContainerInfo& c) { fixed_ptr->add(c); };
    hooks.on_dns = [state_ptr](const std::string& ip, const std::string& name) { state_ptr->add_dns_name(ip, name); };
    auto src = rt::ReplaySource::open(o.replay, std::move(hooks));
    if (!src) return report_error(src.error());
    source = std::move(*src);
  } else {
    rt::LiveSourceOptions lo;
    auto needed = rs.needed_event_types();
    for (std::size_t t = 1; t < rt::kEventTypeCount; ++t)
      if (needed.test(t)) lo.event_types.insert(static_cast<rt::EventType>(t));
    lo.docker_host = o.docker_host;
    lo.ring_buffer_bytes = o.buffer_mib << 20;
    lo.hooks = o.hooks;
    lo.entry_args = o.entry_args == "on";
    auto src = rt::make_live_source(lo);
    if (!src) {
      std::fprintf(stderr, "bulwark: error: %s\n", util::printable(src.error().describe()).c_str());
      return src.error().code == ErrorCode::unsupported ? kExitUsage : kExitInput;
    }
    source = std::move(*src);
    resolver = rt::make_live_container_resolver(lo);
    state = std::make_unique<rt::ProcessTable>(limits, resolver.get());
    // fd.sip.name: resolve the host names the rules compare it with, as Falco does.
    std::vector<std::string> sip_names;
    for (const auto& f : *files) {
      for (auto& n : rt::probe::sip_names_in_rules(f.content)) sip_names.push_back(std::move(n));
    }
    for (const auto& [ip, name] : rt::probe::resolve_names(sip_names)) state->add_dns_name(ip, name);
    // Processes that run already are known from /proc. The probe is attached first, so nothing
    // that starts during the walk is missed; what events then say about a pid wins over the walk.
    auto snap = rt::snapshot_processes(*state, {});
    if (!snap) {
      std::fprintf(stderr, "bulwark: warning: no /proc snapshot, processes started before now are unknown: %s\n",
                   util::printable(snap.error().describe()).c_str());
    } else {
      if (!o.quiet) {
        std::fprintf(stderr,
                     "bulwark: processes from /proc snapshot: %llu (%llu exited during the walk, %llu kernel threads "
                     "skipped, %llu malformed)%s\n",
                     static_cast<unsigned long long>(snap->seeded), static_cast<unsigned long long>(snap->vanished),
                     static_cast<unsigned long long>(snap->kernel_threads),
                     static_cast<unsigned long long>(snap->malformed),
                     snap->table_full ? "; the process table is full, the walk stopped" : "");
      }
      if (snap->malformed && !o.quiet) {
        std::fprintf(stderr, "bulwark: warning: skipped malformed /proc entries; the last: %s\n",
                     util::printable(snap->last_problem).c_str());
      }
    }
    if (!o.quiet) {
      std::fprintf(stderr, "bulwark: capture ready (%s, %zu event types in the kernel filter; %s)\n",
                   source->name().c_str(), lo.event_types.size(), source->detail().c_str());
    }
  }

  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  eng::EngineOptions eo;
  eo.dedup_window_ns = *window;
  eo.hostname = host;
  eng::Engine engine(rs, *state, eo);

  g_stop.store(false);
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  struct sigaction old_int {
  }, old_term{};
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);

  auto start = std::chrono::steady_clock::now();
  auto last_stats = start;
  rt::Event ev;
  int rc = kExitOk;
  auto sink = [&](const eng::Alert& a) { outs.write(a); };
  while (!g_stop.load()) {
    if (run_for_ns > 0 && std::chrono::steady_clock::now() - start >= std::chrono::nanoseconds(run_for_ns)) break;
    auto r = source->next(ev, std::chrono::milliseconds(200));
    if (!r) {
      std::fprintf(stderr, "bulwark: error: %s\n", util::printable(r.error().describe()).c_str());
      rc = kExitInput;
      break;
    }
    if (*r == rt::NextStatus::end) break;
    if (*r == rt::NextStatus::event) engine.process(ev, sink);
    if (o.stats_interval > 0) {
      auto now = std::chrono::steady_clock::now();
      if (std::chrono::duration<double>(now - last_stats).count() >= o.stats_interval) {
        print_stats(engine, *source, rs, outs, resolver.get(), start);
        last_stats = now;
      }
    }
  }
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  // The event-stream follower ends within about a second of being told.
  if (auto* docker = dynamic_cast<rt::probe::DockerContainerResolver*>(resolver.get())) docker->stop();
  outs.close();
  if (auto* replay = dynamic_cast<rt::ReplaySource*>(source.get()); replay && !replay->last_error().empty()) {
    std::fprintf(stderr, "bulwark: warning: skipped malformed events; the last: %s\n",
                 util::printable(replay->last_error()).c_str());
  }
  if (!o.quiet) print_stats(engine, *source, rs, outs, resolver.get(), start);
  return rc;
}

}  // namespace

void register_monitor(CLI::App& app, int& exit_code) {
  auto opts = std::make_shared<MonitorOptions>();
  auto* cmd = app.add_subcommand("monitor", "Watch process, file and network activity with Falco-compatible rules");
  cmd->footer(
      "Rules use Falco's syntax (lists, macros, rules, exceptions, overrides). Without --rules the built-in\n"
      "rules (rules/bulwark_rules.yaml) are used. Every matching rule fires. Alerts go to stdout (or -o) as\n"
      "text or JSON lines with Falco's field names; --syslog and --webhook add more outputs. SIGINT or\n"
      "SIGTERM stops monitoring and prints statistics on stderr.\n"
      "\n"
      "Examples:\n"
      "  bulwark monitor --validate falco_rules.yaml my_overrides.yaml\n"
      "  bulwark monitor --replay events.jsonl --rules falco_rules.yaml --format json\n"
      "  bulwark monitor --rules falco_rules.yaml --webhook https://hooks.example/alerts --dedup-window 30s\n"
      "  bulwark monitor --list-fields\n"
      "  sudo bulwark monitor --rules falco_rules.yaml --format json -o alerts.jsonl --duration 10m\n"
      "  sudo bulwark monitor --learn web --duration 2m --learn-out web-profile/   (then: docker run\n"
      "       --security-opt seccomp=web-profile/seccomp.json --cap-drop ALL --cap-add ... web-image)\n"
      "\n"
      "Live capture (no --replay) loads eBPF programs and needs root and a kernel with BTF\n"
      "(/sys/kernel/btf/vmlinux); docs/runtime-monitor.md describes it and --learn.\n"
      "\n"
      "A rule using a field bulwark does not have (a typo, a plugin's field) is not loaded and gets a\n"
      "warning (LOAD_UNKNOWN_FILTER, file:line:col); the other rules load and run. Falco makes that an\n"
      "error; --validate --strict does too. With skip-if-unknown-filter: true the rule is skipped quietly.\n"
      "\n"
      "Exit codes: 0 ok, also with warnings; 2 usage (or live capture unavailable); 3 rule errors\n"
      "(--validate; with --strict also unknown fields), unreadable files, or no rule loaded.\n"
      "docs/runtime-rules.md describes the rule syntax, fields and the replay format.");
  cmd->add_option("--rules", opts->rules, "Rule files to load, in order (later files override earlier ones)")
      ->expected(1, -1);
  cmd->add_option("--validate", opts->validate, "Check rule files, print diagnostics and exit")->expected(1, -1);
  cmd->add_flag("--strict", opts->strict,
                "--validate: exit 3 when a rule is not loaded because of an unknown field (Falco's -V behaviour)");
  cmd->add_option("--replay", opts->replay, "Read events from a JSON-lines file ('-' = stdin) instead of the kernel");
  cmd->add_option("-f,--format", opts->format, "Alert format: text or json (JSON lines)")
      ->check(CLI::IsMember({"text", "json"}));
  cmd->add_option("-o,--output", opts->output, "Append alerts to this file instead of stdout");
  cmd->add_option("--dedup-window", opts->dedup_window,
                  "Suppress an identical alert (same rule and output) repeated within this time, e.g. 10s (0 = off)")
      ->default_str("0s");
  cmd->add_flag("--syslog", opts->syslog, "Also send alerts to syslog");
  cmd->add_option("--webhook", opts->webhook, "Also POST each alert as JSON to this http(s) URL");
  cmd->add_option("--stats-interval", opts->stats_interval,
                  "Print statistics to stderr every N seconds (0 = only at exit)");
  cmd->add_option("--docker-host", opts->docker_host, "Docker engine socket for container names and images (live)");
  cmd->add_flag("--list-fields", opts->list_fields, "List the fields rules and outputs can use, and exit");
  cmd->add_flag("-q,--quiet", opts->quiet, "No summary or statistics on stderr");
  cmd->add_option("--duration", opts->duration, "Live: stop after this long, e.g. 30s or 10m (default: until SIGINT)");
  cmd->add_option("--learn", opts->learn,
                  "Live: record the syscalls, capabilities and connections of this container (name or id) and "
                  "write a seccomp profile, a capability list and a draft NetworkPolicy");
  cmd->add_option("--hooks", opts->hooks,
                  "Live syscall hooks: auto (per-syscall tracepoints when tracefs is mounted, else raw), "
                  "tracepoints, or raw (one BPF dispatcher on every syscall)")
      ->check(CLI::IsMember({"auto", "tracepoints", "raw"}));
  cmd->add_option("--entry-args", opts->entry_args,
                  "Live: on (default) copies the path of open/openat/openat2/creat and connect's address at syscall "
                  "entry, before the kernel reads them; off reads them at exit (cheaper, but a second thread can "
                  "rewrite the buffer in between)")
      ->check(CLI::IsMember({"on", "off"}));
  cmd->add_option("--buffer-size", opts->buffer_mib,
                  "Live: MiB of ring buffer shared by all CPUs (each CPU gets a power of two, at least 256 KiB); "
                  "a bigger buffer absorbs bursts, a smaller one bounds memory")
      ->default_str("8")
      ->check(CLI::Range(1, 4096));
  cmd->add_option("--learn-out", opts->learn_out, "Folder for --learn's files (default ./bulwark-learn-CONTAINER)");
  cmd->callback([opts, &exit_code] {
    if (opts->list_fields) {
      exit_code = run_list_fields();
    } else if (!opts->validate.empty()) {
      exit_code = run_validate(*opts);
    } else if (!opts->learn.empty()) {
      LearnOptions lo;
      lo.container = opts->learn;
      lo.out_dir = opts->learn_out;
      lo.docker_host = opts->docker_host;
      lo.quiet = opts->quiet;
      if (!opts->duration.empty()) {
        auto d = parse_duration(opts->duration);
        if (!d) {
          exit_code = report_error(d.error().within("--duration"));
          return;
        }
        lo.duration = std::chrono::milliseconds(*d / 1'000'000);
      }
      exit_code = run_monitor_learn(lo);
    } else {
      exit_code = run_monitor(*opts);
    }
  });
}

BULWARK_COMMAND(monitor, 60, register_monitor);

}  // namespace bulwark::cli
