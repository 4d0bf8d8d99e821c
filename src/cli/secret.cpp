// `bulwark secret PATH…`: secrets in folders and files (a repository, a build context,
// an unpacked root filesystem), with gitignore-style --skip excludes; and the rule list.
#include <unistd.h>

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/policy_options.hpp"
#include "cli/secret_options.hpp"
#include "report/report.hpp"
#include "secret/rules.hpp"
#include "secret/walk.hpp"
#include "util/strings.hpp"

namespace bulwark::cli {

void add_secret_options(CLI::App& cmd, SecretOptions& opts) {
  cmd.add_option("--secret-rules", opts.rule_files,
                 "Extra secret rule files (YAML, as checks/secrets/*.yaml; `disable: [ids]` turns rules off)");
  cmd.add_option("--disable-secret-rule", opts.disabled, "Turn a secret rule off by id (repeatable)");
  cmd.add_flag("--show-secrets", opts.show_secrets, "Show secrets in full in table and JSON output (never in SARIF)");
}

Result<std::shared_ptr<const secret::Engine>> make_secret_engine(const SecretOptions& opts, bool sarif,
                                                                 core::Diagnostics& diags,
                                                                 const std::string& cache_dir) {
  auto cat = secret::builtin_catalogue(diags, cache_dir);
  for (const auto& file : opts.rule_files) {
    std::ifstream in(file);
    if (!in) return fail(ErrorCode::not_found, "cannot read the secret rule file", file);
    std::stringstream text;
    text << in.rdbuf();
    secret::load_rules(text.str(), file, cat, diags);
  }
  for (const auto& id : opts.disabled) cat.disabled.push_back(id);
  secret::Options o;
  o.show_secrets = opts.show_secrets && !sarif;
  o.cache_dir = cache_dir;
  auto built = secret::Engine::build(std::move(cat), o, diags);
  if (!built) return std::unexpected(built.error());
  return std::shared_ptr<const secret::Engine>(std::move(*built));
}

namespace {

struct SecretCommandOptions {
  std::vector<std::string> paths;
  std::vector<std::string> skip;
  std::string format = "table";
  bool list_rules = false;
  SecretOptions secrets;
  PolicyOptions policy;
  ScanOptions scan;
};

int run_secret(const SecretCommandOptions& o) {
  core::Diagnostics diags;
  auto session = make_session(o.scan);
  auto engine = make_secret_engine(o.secrets, o.format == "sarif", diags, session.context.cache_dir.string());
  for (const auto& d : diags.items()) std::fprintf(stderr, "bulwark: %s\n", util::printable(d.describe()).c_str());
  if (!engine) return report_error(engine.error());
  if (diags.error_count() > 0) return kExitInput;
  if (o.list_rules) {
    std::string text;
    if (o.format == "markdown") {
      text = secret::markdown((*engine)->catalogue());
    } else {
      text = fmt::format("{:<36} {:<9} {:<16} {}\n", "ID", "SEVERITY", "CATEGORY", "TITLE");
      for (const auto& r : (*engine)->catalogue().rules) {
        text += fmt::format("{:<36} {:<9} {:<16} {}\n", r.id, core::to_string(r.severity), r.category, r.title);
      }
      text += fmt::format("{} rules\n", (*engine)->catalogue().rules.size());
    }
    if (auto st = write_output(o.scan, text); !st) return report_error(st.error());
    return kExitOk;
  }
  if (o.paths.empty()) return report_error(Error{ErrorCode::invalid_argument, "name at least one file or folder", {}});
  auto skip = secret::SkipList::compile(o.skip);
  if (!skip) return report_error(skip.error());

  std::vector<core::ScanResult> results;
  secret::WalkStats stats;
  const auto started = std::chrono::steady_clock::now();
  for (const auto& path : o.paths) {
    core::ScanResult result;
    result.target.kind = std::filesystem::is_directory(path) ? core::TargetKind::rootfs : core::TargetKind::file;
    result.target.name = path;
    core::Diagnostics walk_diags;
    auto found = secret::scan_path(**engine, path, *skip, walk_diags, &stats);
    if (!found) return report_error(found.error());
    for (const auto& d : walk_diags.items()) {
      std::fprintf(stderr, "bulwark: %s\n", util::printable(d.describe()).c_str());
    }
    for (const auto& f : *found) {
      result.findings.push_back(secret::to_finding(f.match, f.path, result.target));
    }
    results.push_back(std::move(result));
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  auto outcome = apply_policy_and_warn(results, o.policy);
  if (!outcome) return report_error(outcome.error());
  std::string text;
  if (o.format == "json") {
    report::JsonOptions jo;
    jo.tool_version = BULWARK_VERSION;
    text = report::write_json(results, jo);
  } else if (o.format == "sarif") {
    report::SarifOptions so;
    so.tool_version = BULWARK_VERSION;
    std::error_code ec;
    so.source_root = std::filesystem::current_path(ec).string();
    text = report::write_sarif(results, so);
  } else {
    std::vector<core::Finding> all;
    for (const auto& r : results) {
      for (const auto& f : r.findings) {
        if (!f.suppression) all.push_back(f);
      }
    }
    text = report::findings_table(all, ::isatty(STDOUT_FILENO) && o.scan.output.empty());
  }
  if (!o.scan.quiet) {
    std::fprintf(stderr, "bulwark: %llu files, %.1f MB scanned in %.2f s (%llu skipped), %zu secrets\n",
                 static_cast<unsigned long long>(stats.files), static_cast<double>(stats.bytes) / 1e6, seconds,
                 static_cast<unsigned long long>(stats.skipped), outcome->failing);
  }
  if (auto st = write_output(o.scan, text); !st) return report_error(st.error());
  return outcome->failing > 0 ? o.policy.exit_code : kExitOk;
}

}  // namespace

void register_secret(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<SecretCommandOptions>();
  auto* cmd = app.add_subcommand("secret", "Find secrets (keys, tokens, passwords) in folders and files");
  cmd->footer(
      "Every regular file is read once (symbolic links are not followed; .git folders are skipped);\n"
      "binary files are skipped by content. The rules are listed by --list-rules and in docs/secrets.md.\n"
      "\n"
      "Examples:\n"
      "  bulwark secret .\n"
      "  bulwark secret ./build-context --skip 'node_modules/' --skip '*.min.js'\n"
      "  bulwark secret src/ --format sarif -o secrets.sarif\n"
      "  bulwark secret . --exit-code 1                 fail CI when a secret is found\n"
      "  bulwark secret --list-rules\n");
  cmd->add_option("PATH", o->paths, "Files or folders");
  cmd->add_option("--skip", o->skip, "gitignore-style pattern of paths to leave out (repeatable)");
  cmd->add_option("-f,--format", o->format, "Output: table, json, sarif (markdown with --list-rules)")
      ->check(CLI::IsMember({"table", "json", "sarif", "markdown"}));
  cmd->add_flag("--list-rules", o->list_rules, "List the secret rules and exit");
  add_secret_options(*cmd, o->secrets);
  add_scan_options(*cmd, o->scan);
  add_policy_options(*cmd, o->policy);
  cmd->callback([o, &exit_code] { exit_code = run_secret(*o); });
}

BULWARK_COMMAND(secret, 31, register_secret);

}  // namespace bulwark::cli
