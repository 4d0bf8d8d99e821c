// `bulwark host`: the CIS Docker Benchmark audit of this machine (files, /proc
// and the Docker Engine API) or of an offline root filesystem, as a table
// grouped by benchmark section, bulwark's JSON, with a score.
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/policy_options.hpp"
#include "cli/upload.hpp"
#include "host/audit.hpp"
#include "host/catalogue.hpp"
#include "report/html.hpp"
#include "report/report.hpp"
#include "util/strings.hpp"

namespace bulwark::cli {

namespace {

struct HostOptions {
  std::string root;
  std::string docker_host;
  bool tls = false;
  bool tlsverify = false;
  std::string tlscacert;
  std::string tlscert;
  std::string tlskey;
  std::string format = "table";
  bool include_passed = false;
  int level = 2;
  PolicyOptions policy;
  bool image_files = false;
  bool stats = false;
  UploadFlags upload;
  ScanOptions scan;
};

const char* status_label(core::FindingStatus s) {
  switch (s) {
    case core::FindingStatus::fail: return "FAIL";
    case core::FindingStatus::warn: return "WARN";
    case core::FindingStatus::pass: return "PASS";
    case core::FindingStatus::manual: return "MANUAL";
    case core::FindingStatus::skipped: return "SKIP";
    case core::FindingStatus::info: return "INFO";
  }
  return "?";
}

const char* status_color(core::FindingStatus s) {
  switch (s) {
    case core::FindingStatus::fail: return "\033[31m";
    case core::FindingStatus::warn: return "\033[33m";
    case core::FindingStatus::pass: return "\033[32m";
    default: return "\033[2m";
  }
}

std::string target_label(const core::Target& t) {
  switch (t.kind) {
    case core::TargetKind::container:
      return fmt::format("container {} {}", util::printable(t.name), t.id.substr(0, 12));
    case core::TargetKind::image: return fmt::format("image {}", util::printable(t.name));
    default: return fmt::format("{} {}", core::to_string(t.kind), util::printable(t.name));
  }
}

std::string render_table(const host::AuditReport& report, const std::vector<core::ScanResult>& results,
                         const host::Score& score, bool include_passed, bool color) {
  struct Row {
    const host::CheckDef* def;
    const core::Finding* finding;
    std::size_t order;
  };
  std::map<int, std::vector<Row>> sections;
  std::size_t order = 0;
  for (const auto& r : results) {
    for (const auto& f : r.findings) {
      const auto* def = host::find_check(f.id);
      if (!def) continue;
      sections[static_cast<int>(def->section)].push_back({def, &f, order++});
    }
  }
  // Catalogue order within a section, then target order.
  auto cat_index = [](const host::CheckDef* d) { return d - host::catalogue().data(); };
  std::string out;
  if (report.offline) {
    out += fmt::format("bulwark host audit of the offline root {} (files only)\n",
                       util::printable(results[0].target.name));
  } else {
    out += fmt::format("bulwark host audit of {} - Docker {} at {}: {} running containers, {} images\n",
                       util::printable(results[0].target.name),
                       report.docker_version.empty() ? "(unreachable)" : report.docker_version,
                       util::printable(report.docker_host), report.containers, report.images);
  }
  const char* bold = color ? "\033[1m" : "";
  const char* reset = color ? "\033[0m" : "";
  std::size_t hidden = 0;
  std::size_t width = 10;
  for (const auto& r : results) width = std::max(width, std::min<std::size_t>(target_label(r.target).size(), 64));
  for (auto& [section, rows] : sections) {
    std::stable_sort(rows.begin(), rows.end(), [&](const Row& a, const Row& b) {
      return cat_index(a.def) != cat_index(b.def) ? cat_index(a.def) < cat_index(b.def) : a.order < b.order;
    });
    std::string body;
    for (const auto& row : rows) {
      const auto& f = *row.finding;
      // Passed, manual and skipped results repeat per container; the table shows them on request.
      bool quiet_status = f.status == core::FindingStatus::pass || f.status == core::FindingStatus::manual ||
                          f.status == core::FindingStatus::skipped;
      if (quiet_status && !include_passed) {
        ++hidden;
        continue;
      }
      std::string id = row.def->cis.empty() ? std::string(row.def->id) : std::string(row.def->cis);
      if (!row.def->cis_1_8.empty()) id += fmt::format(" ({})", row.def->cis_1_8);
      body += fmt::format("  {}{:<6}{} {:<13} L{} {:<{}} {}\n", color ? status_color(f.status) : "",
                          status_label(f.status), color ? reset : "", id, row.def->level,
                          target_label(f.target).substr(0, width), width, row.def->title);
      if (!f.evidence.empty()) body += fmt::format("  {:<6} {}\n", "", util::printable(f.evidence));
    }
    if (body.empty()) continue;
    out += fmt::format("\n{}{}{}\n", bold, host::section_title(static_cast<host::Section>(section)), reset);
    out += body;
  }
  out += fmt::format(
      "\n{}Score: {:.1f}%{} ({} passed, {} failed of automated checks; {} warn, {} manual, {} skipped, {} info)\n",
      bold, score.percent(), reset, score.passed, score.failed, score.warned, score.manual, score.skipped, score.info);
  if (hidden > 0 && !include_passed)
    out += fmt::format("{} passed, manual and skipped results not shown (--include-passed shows them)\n", hidden);
  if (!report.offline) {
    out += fmt::format("Engine API requests: {}\n", report.api_requests);
  }
  out += "IDs are CIS Docker Benchmark 1.6.0/1.7.0 numbers; (n) is the 1.8.0 number where it differs.\n";
  return out;
}

int run_host(const HostOptions& o) {
  auto t0 = std::chrono::steady_clock::now();
  host::AuditOptions ao;
  if (!o.root.empty()) {
    std::error_code ec;
    if (!std::filesystem::is_directory(o.root, ec)) {
      return report_error(Error{ErrorCode::not_found, "not a directory", o.root});
    }
    if (!o.docker_host.empty()) {
      return report_error(Error{ErrorCode::invalid_argument, "--root audits files only; drop --docker-host", o.root});
    }
    ao.root = o.root;
  }
  ao.docker_host = o.docker_host;
  ao.tls.enabled = o.tls || o.tlsverify || !o.tlscert.empty();
  ao.tls.verify = o.tlsverify || !o.tlscacert.empty();
  ao.tls.ca_file = o.tlscacert;
  ao.tls.cert_file = o.tlscert;
  ao.tls.key_file = o.tlskey;
  ao.image_files = o.image_files;

  auto session = make_session(o.scan);
  auto report = host::run_audit(ao, session.context);
  session.progress->end();

  // --level 1 keeps only level-1 checks.
  if (o.level == 1) {
    for (auto& r : report.results) {
      std::erase_if(r.findings, [](const core::Finding& f) {
        const auto* def = host::find_check(f.id);
        return def && def->level > 1;
      });
    }
  }
  // The score is the host's, over every check, before the policy narrows what is shown.
  auto score = host::score(report.results);
  auto outcome = apply_policy_and_warn(report.results, o.policy);
  if (!outcome) return report_error(outcome.error());

  for (const auto& p : report.problems) {
    std::fprintf(stderr, "bulwark: %s: %s\n", p.kind == host::ProblemKind::daemon ? "warning" : "error",
                 util::printable(p.error.describe()).c_str());
  }
  for (const auto& p : report.problems) {
    if (auto hint = fix_hint(p.error); !hint.empty()) {
      std::fprintf(stderr, "bulwark: fix: %s\n", hint.c_str());
      break;
    }
  }
  if (std::any_of(report.problems.begin(), report.problems.end(),
                  [](const auto& p) { return p.kind == host::ProblemKind::daemon; })) {
    std::fprintf(stderr, "bulwark: the checks that need the Docker daemon were skipped; the others ran\n");
  }

  std::string text;
  if (o.format == "json" || o.format == "html") {
    report::JsonOptions jo;
    jo.tool_version = BULWARK_VERSION;
    jo.include_passed = o.include_passed;
    jo.score = report::ScoreSummary{"cis-docker-1.6.0", score.passed,  score.failed, score.warned,
                                    score.manual,       score.skipped, score.info,   score.percent()};
    text = o.format == "html" ? report::write_html(report.results, jo) : report::write_json(report.results, jo);
  } else if (o.format == "sarif") {
    report::SarifOptions so;
    so.tool_version = BULWARK_VERSION;
    so.include_passed = o.include_passed;
    so.category = "bulwark/host";
    // info findings state facts (kernel version, sprawl counts); SARIF has no result kind
    // for them that code scanning shows usefully, so they stay in the table and JSON only.
    auto results = report.results;
    for (auto& r : results) {
      std::erase_if(r.findings, [](const core::Finding& f) { return f.status == core::FindingStatus::info; });
    }
    text = report::write_sarif(results, so);
  } else {
    text =
        render_table(report, report.results, score, o.include_passed, ::isatty(STDOUT_FILENO) && o.scan.output.empty());
  }
  if (auto st = write_output(o.scan, text); !st) return report_error(st.error());
  if (auto upload = o.upload; upload_asked(upload)) {
    report::JsonOptions jo;
    jo.tool_version = BULWARK_VERSION;
    jo.include_passed = o.include_passed;
    jo.score = report::ScoreSummary{"cis-docker-1.6.0", score.passed,  score.failed, score.warned,
                                    score.manual,       score.skipped, score.info,   score.percent()};
    const int urc = upload_document(upload, "host audit", report::write_json(report.results, jo), true);
    if (urc != kExitOk) return urc;
  }
  if (o.stats) {
    auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    std::fprintf(stderr, "bulwark: host audit took %.1f ms, %llu Engine API requests\n", ms,
                 static_cast<unsigned long long>(report.api_requests));
  }

  for (const auto& p : report.problems) {
    if (p.kind == host::ProblemKind::input) return kExitInput;
  }
  for (const auto& p : report.problems) {
    if (p.kind == host::ProblemKind::daemon) return kExitNetwork;
  }
  return outcome->failing > 0 ? o.policy.exit_code : kExitOk;
}

}  // namespace

void register_host(CLI::App& app, int& exit_code) {
  auto opts = std::make_shared<HostOptions>();
  auto* cmd =
      app.add_subcommand("host", "Audit this Docker host, its daemon, images and containers (CIS Docker Benchmark)");
  cmd->footer(
      "Audits the machine bulwark runs on: host files and kernel settings, the daemon's configuration\n"
      "(daemon.json, the dockerd command line, the Engine API), daemon file permissions, every image and\n"
      "every running container (Engine API inspect, and /proc for any runtime). With --root, audits an\n"
      "offline root filesystem (files only; no daemon, no /proc).\n"
      "\n"
      "Examples:\n"
      "  bulwark host\n"
      "  bulwark host --format json --include-passed -o host.json\n"
      "  bulwark host --format sarif -o host.sarif\n"
      "  bulwark host --level 1 --exit-code 1\n"
      "  bulwark host --root /mnt/image-of-a-host\n"
      "  bulwark host --docker-host tcp://10.0.0.5:2376 --tlsverify --tlscacert ca.pem --tlscert cert.pem "
      "--tlskey key.pem\n"
      "\n"
      "Exit codes: 0 done (and no failure, or no --exit-code); N from --exit-code when a check failed or\n"
      "warned (at or above --fail-on);\n"
      "3 a configuration file is malformed (the report is still written); 4 the daemon could not be\n"
      "reached (the checks that need it are skipped, the others run).");
  cmd->add_option("--root", opts->root, "Audit an offline root filesystem instead of this host (files only)");
  cmd->add_option("--docker-host", opts->docker_host,
                  "Docker engine: unix:///path or tcp://host:port (default $DOCKER_HOST, else the local socket)");
  cmd->add_flag("--tls", opts->tls, "Use TLS to a tcp:// engine");
  cmd->add_flag("--tlsverify", opts->tlsverify, "Use TLS and verify the engine's certificate");
  cmd->add_option("--tlscacert", opts->tlscacert, "CA certificate (PEM) to verify the engine with");
  cmd->add_option("--tlscert", opts->tlscert, "Client certificate (PEM)");
  cmd->add_option("--tlskey", opts->tlskey, "Client key (PEM)");
  cmd->add_option("-f,--format", opts->format, "Output: table, json, sarif, html")
      ->check(CLI::IsMember({"table", "json", "sarif", "html"}));
  cmd->add_flag("--include-passed", opts->include_passed,
                "Show passed checks too (and, in the table, manual and skipped results)");
  cmd->add_option("--level", opts->level, "CIS profile level: 1 (level-1 checks only) or 2 (all; default)")
      ->check(CLI::IsMember({1, 2}));
  add_policy_options(*cmd, opts->policy, PolicyFindings::checks_only);
  add_upload_options(*cmd, opts->upload);
  cmd->add_flag("--image-files", opts->image_files,
                "Read every image's files for setuid/setgid binaries (CIS 4.8; exports each image: slower)");
  cmd->add_flag("--stats", opts->stats, "Print the audit's wall time and Engine API request count on stderr");
  add_scan_options(*cmd, opts->scan);
  cmd->callback([opts, &exit_code] { exit_code = run_host(*opts); });
}

BULWARK_COMMAND(host, 30, register_host);

}  // namespace bulwark::cli
