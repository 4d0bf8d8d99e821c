// `bulwark audit`: how secure is this machine and what runs on it, with no arguments. The work is
// scan::run_audit (scan/audit.hpp); this file parses the flags and prints the one-screen summary, or
// the whole report as bulwark's JSON (with an "audit" summary member) or SARIF.
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <memory>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/policy_options.hpp"
#include "report/html.hpp"
#include "report/report.hpp"
#include "scan/audit.hpp"
#include "util/strings.hpp"

namespace bulwark::cli {

namespace {

struct AuditCliOptions {
  std::string format = "table";
  std::string docker_host;
  std::string db;
  std::size_t max_images = 20;
  bool no_cache = false;
  PolicyOptions policy;
  ScanOptions scan;
};

struct Style {
  bool color = false;
  [[nodiscard]] std::string wrap(std::string_view code, std::string_view text) const {
    return color ? fmt::format("\033[{}m{}\033[0m", code, text) : std::string(text);
  }
};

std::string severity_cell(const Style& st, core::Severity s) {
  std::string name(core::to_string(s));
  for (auto& c : name) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
  const char* code = s == core::Severity::critical ? "1;31"
                     : s == core::Severity::high   ? "31"
                     : s == core::Severity::medium ? "33"
                                                   : "2";
  return st.wrap(code, fmt::format("{:<8}", name));
}

std::string bar(int score) {
  const int filled = (score + 5) / 10;
  return std::string(static_cast<std::size_t>(filled), '#') + std::string(static_cast<std::size_t>(10 - filled), '.');
}

std::string cut(std::string_view s, std::size_t width) {
  if (s.size() <= width) return std::string(s);
  if (width < 4) return std::string(s.substr(0, width));
  return std::string(s.substr(0, width - 3)) + "...";
}

std::string finding_line(const core::Finding& f) {
  // The host audit's checks (CIS, host) are titled by the state they want ("... is restricted"):
  // a failed one is named as not met, so the line reads as the problem, not as the goal. Other
  // checks are titled by the problem already ("Image runs as root").
  const bool goal_title = f.id.starts_with("BLWK-CIS-") || f.id.starts_with("BLWK-HOST-");
  std::string what =
      f.status == core::FindingStatus::fail && goal_title ? fmt::format("{} not met: {}", f.id, f.title) : f.title;
  if (f.package) what = fmt::format("{} {} {}", f.id, f.package->name, f.package->version);
  if (f.vulnerability && !f.vulnerability->fixed_version.empty())
    what += fmt::format(" (fixed in {})", f.vulnerability->fixed_version);
  else if (f.vulnerability)
    what += " (no fix yet)";
  const std::string where =
      f.target.kind == core::TargetKind::rootfs && f.target.name == "/" ? "this machine" : f.target.name;
  return fmt::format("{} - {}", what, where);
}

std::string render_table(const scan::AuditRun& run, const Style& st, std::size_t width) {
  std::string out;
  std::string host_name;
  std::string os;
  for (const auto& r : run.results) {
    if (r.target.kind == core::TargetKind::host && host_name.empty()) host_name = r.target.name;
    if (r.target.kind == core::TargetKind::rootfs && r.target.name == "/") os = r.os.pretty_name;
  }
  out +=
      st.wrap("1", fmt::format("bulwark audit of {}{}", util::printable(host_name), os.empty() ? "" : " (" + os + ")"));
  out += fmt::format(" - {} - {:.2f} s\n", run.engine.empty() ? "no container engine" : util::printable(run.engine),
                     run.seconds);

  out += "\n" + st.wrap("1", "What was checked") + "\n";
  for (const auto& s : run.steps) {
    const char* mark = s.state == scan::StepState::done      ? "ok  "
                       : s.state == scan::StepState::partial ? "part"
                                                             : "SKIP";
    const char* code = s.state == scan::StepState::done ? "32" : s.state == scan::StepState::partial ? "33" : "31";
    out += fmt::format("  {} {:<14} {}\n", st.wrap(code, mark), s.name,
                       cut(util::printable(s.summary), width > 22 ? width - 22 : 60));
    if (!s.fix.empty()) out += fmt::format("       {:<14} fix: {}\n", "", util::printable(s.fix));
  }

  out += "\n" + st.wrap("1", "Score per practice") + " (severity-weighted share of checks passed)\n";
  for (const auto& p : scan::practice_scores(run)) {
    const auto name = core::to_string(p.practice);
    if (!p.score) {
      out += fmt::format("  {:<20} {:>4}  {}  not assessed by this audit\n", name, "-", std::string(10, ' '));
      continue;
    }
    const char* code = *p.score >= 80 ? "32" : *p.score >= 50 ? "33" : "31";
    std::string detail = fmt::format("{} passed, {} failed", p.passed, p.failed);
    if (p.practice == core::Practice::vulnerability_scan)
      detail = fmt::format("{} of {} targets without fixable vulnerabilities; {} vulnerabilities", p.passed,
                           run.vuln_targets.size(), p.failed);
    if (p.critical + p.high > 0) detail += fmt::format(" ({} critical, {} high)", p.critical, p.high);
    out += fmt::format("  {:<20} {:>4}  {}  {}\n", name, st.wrap(code, fmt::format("{:>3}", *p.score)), bar(*p.score),
                       detail);
  }

  auto worst = scan::worst_findings(run, 6);
  if (!worst.empty()) {
    out += "\n" + st.wrap("1", "Worst findings") + "\n";
    for (const auto* f : worst) {
      out += fmt::format("  {} {}\n", severity_cell(st, f->severity),
                         cut(util::printable(finding_line(*f)), width > 12 ? width - 12 : 60));
    }
  }

  auto actions = scan::top_actions(run, 5);
  out += "\n" + st.wrap("1", "Do these first") + " (most risk removed first; the command shows the details)\n";
  if (actions.empty()) out += "  nothing failing was found\n";
  for (std::size_t i = 0; i < actions.size(); ++i) {
    const auto& a = actions[i];
    out += fmt::format("  {}. {}\n", i + 1, cut(util::printable(a.title), width > 6 ? width - 6 : 60));
    out += fmt::format("     {}\n", st.wrap("36", util::printable(a.command)));
  }
  out += "\nFull report: bulwark audit --format html -o audit.html (or json, sarif)\n";
  return out;
}

int run_audit_command(const AuditCliOptions& o) {
  auto session = make_session(o.scan);
  scan::AuditOptions ao;
  ao.docker_host = o.docker_host;
  ao.db_path = o.db;
  ao.max_images = o.max_images;
  ao.use_cache = !o.no_cache;
  auto run = scan::run_audit(ao, session.context);
  session.progress->end();

  auto outcome = apply_policy_and_warn(run.results, o.policy);
  if (!outcome) return report_error(outcome.error());

  // What did not run goes to stderr too, so a JSON or SARIF run still says it.
  if (o.format != "table") {
    for (const auto& s : run.steps) {
      if (s.state == scan::StepState::done) continue;
      std::fprintf(stderr, "bulwark: %s %s: %s%s%s\n", s.name.c_str(), std::string(scan::to_string(s.state)).c_str(),
                   util::printable(s.summary).c_str(), s.fix.empty() ? "" : "; fix: ", util::printable(s.fix).c_str());
    }
  }

  std::string text;
  if (o.format == "json" || o.format == "html") {
    report::JsonOptions jo;
    jo.tool_version = BULWARK_VERSION;
    // The page counts passes per CIS section and lists packages: its document includes both.
    jo.include_packages = jo.include_passed = o.format == "html";
    auto doc = nlohmann::json::parse(report::write_json(run.results, jo), nullptr, false);
    if (doc.is_object()) {
      doc["audit"] = scan::summary_json(run);
      text = doc.dump(2) + "\n";
    } else {
      text = report::write_json(run.results, jo);
    }
    if (o.format == "html") {
      auto page = report::html_from_json(text);
      if (!page) return report_error(page.error());
      text = std::move(*page);
    }
  } else if (o.format == "sarif") {
    report::SarifOptions so;
    so.tool_version = BULWARK_VERSION;
    so.category = "bulwark/audit";
    auto results = run.results;
    for (auto& r : results) {
      std::erase_if(r.findings, [](const core::Finding& f) { return f.status == core::FindingStatus::info; });
    }
    text = report::write_sarif(results, so);
  } else {
    Style st{::isatty(STDOUT_FILENO) != 0 && o.scan.output.empty()};
    const auto columns = terminal_columns();
    text = render_table(run, st, columns == 0 ? 200 : columns);
  }
  if (auto s = write_output(o.scan, text); !s) return report_error(s.error());
  return outcome->failing > 0 ? o.policy.exit_code : kExitOk;
}

}  // namespace

void register_audit(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<AuditCliOptions>();
  auto* cmd = app.add_subcommand(
      "audit", "How secure is this machine and what runs on it: host, engine, images, containers, packages");
  cmd->footer(
      "Runs, with no arguments: the CIS Docker Benchmark audit of this host and its daemon, the running\n"
      "containers' settings (privileges, mounts, namespaces, capabilities, seccomp/AppArmor), a package\n"
      "inventory and vulnerability scan of every local image (Docker, or Podman's socket), and this\n"
      "machine's own OS packages; then a score per practice, the worst findings and the five actions that\n"
      "remove the most risk. What cannot run (no daemon, no database, not root) is said, with the fix.\n"
      "Image inventories are cached by image id in the cache dir, so a second run takes a fraction.\n"
      "\n"
      "Examples:\n"
      "  bulwark audit\n"
      "  bulwark audit --format json -o audit.json\n"
      "  bulwark audit --format html -o audit.html\n"
      "  bulwark audit --docker-host unix:///run/podman/podman.sock --max-images 50");
  cmd->add_option("-f,--format", o->format,
                  "Output: table (a one-screen summary), json, sarif, html (one self-contained page)")
      ->check(CLI::IsMember({"table", "json", "sarif", "html"}));
  cmd->add_option("--docker-host", o->docker_host,
                  "Engine: unix:///path or tcp://host:port (default $DOCKER_HOST, the Docker socket, else Podman's)");
  cmd->add_option("--db", o->db, "Advisory database (default $BULWARK_DB, else <cache dir>/db/bulwark.db)");
  cmd->add_option("--max-images", o->max_images, "Scan at most this many images, newest first (default 20)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{100000}));
  cmd->add_flag("--no-cache", o->no_cache, "Read every image again instead of reusing inventories by image id");
  add_policy_options(*cmd, o->policy);
  add_scan_options(*cmd, o->scan);
  cmd->callback([o, &exit_code] { exit_code = run_audit_command(*o); });
}

BULWARK_COMMAND(audit, 1, register_audit);

}  // namespace bulwark::cli
