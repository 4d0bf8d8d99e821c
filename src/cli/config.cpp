// `bulwark config PATH…`: checks Dockerfiles, Compose files and Kubernetes manifests
// (workloads and Pod Security, RBAC, NetworkPolicy) and lists the check catalogue.
#include <unistd.h>

#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/policy_options.hpp"
#include "cli/secret_options.hpp"
#include "cli/upload.hpp"
#include "config/analyze.hpp"
#include "config/checks.hpp"
#include "config/k8s/pss.hpp"
#include "report/html.hpp"
#include "report/report.hpp"
#include "secret/walk.hpp"
#include "util/strings.hpp"

namespace bulwark::cli {
namespace {

struct ConfigOptions {
  std::vector<std::string> paths;
  std::string format = "table";
  bool list_checks = false;
  bool include_passed = false;
  PolicyOptions policy;
  std::string pss_version = "latest";
  std::string pss_level = "restricted";
  std::string trusted_registries;
  std::string output;
  bool quiet = false;
  SecretOptions secrets;
  bool no_secrets = false;
  UploadFlags upload;
};

std::string checks_table(const config::CheckCatalog& catalog) {
  std::string out = fmt::format("{:<16} {:<9} {:<19} {}\n", "ID", "SEVERITY", "PRACTICE", "TITLE");
  for (const auto& c : catalog.all()) {
    out += fmt::format("{:<16} {:<9} {:<19} {}\n", c.id, core::to_string(c.severity), core::to_string(c.practice),
                       c.title);
  }
  out += fmt::format("{} checks\n", catalog.all().size());
  return out;
}

int run_config(const ConfigOptions& o) {
  ScanOptions out_opts;
  out_opts.output = o.output;
  if (o.list_checks) {
    const auto& catalog = config::CheckCatalog::builtin();
    std::string text;
    if (o.format == "markdown") {
      text = config::checks_markdown(catalog);
    } else if (o.format == "table") {
      text = checks_table(catalog);
    } else {
      return report_error(Error{ErrorCode::invalid_argument, "--list-checks prints table or markdown", "--format"});
    }
    if (auto st = write_output(out_opts, text); !st) return report_error(st.error());
    return kExitOk;
  }
  if (o.paths.empty()) {
    return report_error(Error{ErrorCode::invalid_argument, "name at least one file or folder (or - for stdin)", {}});
  }
  if (o.format == "markdown") {
    return report_error(Error{ErrorCode::invalid_argument, "markdown is only for --list-checks", "--format"});
  }
  core::Diagnostics diags;
  auto docs = config::load_documents(o.paths, diags);
  if (!docs) return report_error(docs.error());
  config::AnalyzeOptions options;
  options.pss_version = o.pss_version;
  options.pss_level = o.pss_level;
  options.trusted_registries_file = o.trusted_registries;
  options.include_passed = o.include_passed;
  config::AnalyzeOutputs outputs;
  outputs.want_reachability = o.format == "json";
  auto findings = config::analyze(*docs, options, diags, outputs);
  // Secrets in the same files: Dockerfile ARG/ENV defaults and RUN lines, Compose environment
  // and build args, Kubernetes env values, ConfigMaps and Secrets (their base64 data decoded).
  if (!o.no_secrets) {
    auto engine = make_secret_engine(o.secrets, o.format == "sarif", diags);
    if (!engine) return report_error(engine.error());
    core::Target file_target;
    file_target.kind = core::TargetKind::file;
    for (const auto& doc : *docs) {
      file_target.name = doc.path;
      for (auto& f : secret::scan_document(**engine, doc.path, doc.text, file_target)) findings.push_back(std::move(f));
    }
  }
  for (const auto& d : diags.items()) {
    std::fprintf(stderr, "bulwark: %s\n", util::printable(d.describe()).c_str());
  }

  core::ScanResult result;
  result.target.kind = core::TargetKind::file;
  result.target.name = o.paths.size() == 1 ? o.paths[0] : fmt::format("{} paths", o.paths.size());
  for (auto& f : findings) {
    if (f.status != core::FindingStatus::pass || o.include_passed) result.findings.push_back(std::move(f));
  }
  std::vector<core::ScanResult> results{std::move(result)};
  auto outcome = apply_policy_and_warn(results, o.policy);
  if (!outcome) return report_error(outcome.error());
  const auto failing = outcome->failing;

  std::string text;
  if (o.format == "json" || o.format == "html") {
    report::JsonOptions jo;
    jo.tool_version = BULWARK_VERSION;
    jo.include_passed = o.include_passed;
    if (outputs.reachability && o.format == "json")
      jo.reachability = config::k8s::netpol::to_json(*outputs.reachability);
    text = o.format == "html" ? report::write_html(results, jo) : report::write_json(results, jo);
  } else if (o.format == "sarif") {
    report::SarifOptions so;
    so.tool_version = BULWARK_VERSION;
    so.include_passed = o.include_passed;
    std::error_code ec;
    so.source_root = std::filesystem::current_path(ec).string();
    text = report::write_sarif(results, so);
  } else {
    text = report::findings_table(results[0].findings, ::isatty(STDOUT_FILENO) && o.output.empty());
    if (!o.quiet) {
      std::fprintf(stderr, "bulwark: %zu files checked, %zu failing findings, %zu diagnostics\n", docs->size(), failing,
                   diags.items().size());
    }
  }
  if (auto st = write_output(out_opts, text); !st) return report_error(st.error());
  // A file that could not be read or parsed fails the run (exit 3) even though the
  // others were checked and reported.
  if (auto upload = o.upload; upload_asked(upload)) {
    report::JsonOptions jo;
    jo.tool_version = BULWARK_VERSION;
    jo.include_passed = o.include_passed;
    const int urc = upload_document(upload, results[0].target.name, report::write_json(results, jo), true);
    if (urc != kExitOk) return urc;
  }
  if (diags.error_count() > 0) return kExitInput;
  return failing > 0 ? o.policy.exit_code : kExitOk;
}

}  // namespace

void register_config(CLI::App& app, int& exit_code) {
  auto opts = std::make_shared<ConfigOptions>();
  auto* cmd = app.add_subcommand("config", "Check Dockerfiles, Compose files and Kubernetes manifests");
  cmd->footer(
      "Each file's kind is detected from its content (then its name); folders are read recursively.\n"
      "\n"
      "Examples:\n"
      "  bulwark config Dockerfile\n"
      "  bulwark config k8s/ --format json -o findings.json\n"
      "  helm template ./chart | bulwark config - --pss-level baseline\n"
      "  bulwark config deploy/ --exit-code 1 --fail-on high   fail CI on high or critical findings\n"
      "  bulwark config . --format sarif -o bulwark.sarif       for GitHub code scanning\n"
      "  bulwark config --list-checks                  every check, its severity and practice\n");
  cmd->add_option("PATH", opts->paths, "Files or folders; - reads stdin");
  cmd->add_option("-f,--format", opts->format, "Output: table, json, sarif, html (markdown with --list-checks)")
      ->check(CLI::IsMember({"table", "json", "sarif", "html", "markdown"}));
  cmd->add_option("-o,--output", opts->output, "Write the report to this file (atomically)");
  cmd->add_flag("--list-checks", opts->list_checks, "List the check catalogue and exit");
  cmd->add_flag("--include-passed", opts->include_passed, "Also report checks that passed");
  add_policy_options(*cmd, opts->policy, PolicyFindings::checks_only);
  add_upload_options(*cmd, opts->upload);
  cmd->add_option("--pss-version", opts->pss_version, "Pod Security Standards version, e.g. v1.30 (default latest)")
      ->check(CLI::Validator(
          [](std::string& v) {
            return config::k8s::pss::parse_version(v) ? std::string() : "want latest or v1.N (for example v1.30)";
          },
          "VERSION"));
  cmd->add_option("--pss-level", opts->pss_level, "Pod Security level: baseline or restricted")
      ->check(CLI::IsMember({"baseline", "restricted"}));
  cmd->add_option("--trusted-registries", opts->trusted_registries,
                  "YAML file listing the registries FROM images may come from");
  cmd->add_flag("-q,--quiet", opts->quiet, "No summary on stderr");
  add_secret_options(*cmd, opts->secrets);
  cmd->add_flag("--no-secrets", opts->no_secrets, "Do not look for secrets in the files");
  cmd->callback([opts, &exit_code] { exit_code = run_config(*opts); });
}

BULWARK_COMMAND(config, 30, register_config);

}  // namespace bulwark::cli
