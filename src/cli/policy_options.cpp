#include "cli/policy_options.hpp"

#include <cstdio>
#include <filesystem>

#include "util/strings.hpp"

namespace bulwark::cli {

std::string parse_severity_option(const std::string& text, PolicyOptions& opts) {
  std::vector<core::Severity> list;
  for (auto part : util::split(text, ',')) {
    auto name = util::to_lower(util::trim(part));
    if (name.empty()) continue;
    auto severity = core::parse_severity(name);
    if (!severity) {
      return "unknown severity \"" + name + "\" (expected critical, high, medium, low, info or unknown)";
    }
    list.push_back(*severity);
  }
  if (list.empty()) return "--severity needs a severity or a comma-separated list";
  if (list.size() == 1 && text.find(',') == std::string::npos) {
    opts.min_severity = list.front();
    opts.severities.clear();
  } else {
    opts.severities = std::move(list);
  }
  return {};
}

void add_policy_options(CLI::App& cmd, PolicyOptions& opts, PolicyFindings findings) {
  cmd.add_option_function<std::string>(
         "--severity",
         [&opts](const std::string& text) {
           if (auto message = parse_severity_option(text, opts); !message.empty()) {
             throw CLI::ValidationError("--severity", message);
           }
         },
         "Report only these severities: one name is a minimum (high = high and critical), a comma list is the "
         "exact set (critical,low)")
      ->type_name("LIST|MIN");
  cmd.add_option_function<std::string>(
         "--fail-on",
         [&opts](const std::string& text) {
           auto severity = core::parse_severity(util::to_lower(text));
           if (!severity) throw CLI::ValidationError("--fail-on", "unknown severity \"" + text + "\"");
           opts.fail_on = *severity;
         },
         "Only findings at or above this severity trigger --exit-code (default: every reported finding)")
      ->type_name("SEVERITY");
  cmd.add_option("--exit-code", opts.exit_code,
                 "Exit with this code when reported findings remain after the policy, or when a vulnerability "
                 "scan could not check every package (no vulnerability data for its ecosystem) (default 0)")
      ->check(CLI::Range(0, 125));
  if (findings == PolicyFindings::vulnerabilities) {
    cmd.add_option("--exit-code-scanners", opts.exit_scanners,
                   "Only these scanners' findings trigger --exit-code: vuln (and packages left unchecked), config, "
                   "secret; comma-separated (default: all)")
        ->delimiter(',')
        ->check(CLI::IsMember({"vuln", "config", "secret"}))
        ->type_name("LIST");
  }
  if (findings == PolicyFindings::vulnerabilities) {
    cmd.add_flag("--ignore-unfixed", opts.ignore_unfixed, "Leave out vulnerabilities that have no fixed version yet");
  }
  cmd.add_option("--ignorefile", opts.ignore_files,
                 "Ignore file: YAML (entries: id, package, reason, expires; or Trivy's .trivyignore.yaml) or "
                 "Trivy's .trivyignore (one id a line, optional exp:YYYY-MM-DD); repeatable. "
                 "Default: ./.trivyignore when it exists")
      ->type_name("PATH")
      ->allow_extra_args(false);
  if (findings == PolicyFindings::vulnerabilities) {
    cmd.add_option("--vex", opts.vex_files, "OpenVEX document: not_affected and fixed statements suppress; repeatable")
        ->type_name("PATH")
        ->allow_extra_args(false);
  }
}

std::vector<std::string> effective_ignore_files(const PolicyOptions& opts, const std::filesystem::path& cwd) {
  if (!opts.ignore_files.empty()) {
    // --ignorefile "" turns the default off without naming a file.
    std::vector<std::string> named;
    for (const auto& f : opts.ignore_files) {
      if (!f.empty()) named.push_back(f);
    }
    return named;
  }
  std::error_code ec;
  if (std::filesystem::is_regular_file(cwd / kDefaultIgnoreFile, ec)) {
    std::fprintf(stderr, "bulwark: note: using %s from the working directory (give --ignorefile to choose another)\n",
                 kDefaultIgnoreFile);
    return {kDefaultIgnoreFile};
  }
  return {};
}

Result<report::PolicyOutcome> apply_policy_and_warn(std::vector<core::ScanResult>& results, const PolicyOptions& opts) {
  PolicyOptions effective = opts;
  std::error_code ec;
  effective.ignore_files = effective_ignore_files(opts, std::filesystem::current_path(ec));
  auto outcome = report::apply_policy(results, effective, report::today_utc());
  if (!outcome) return outcome;
  for (const auto& w : outcome->warnings) {
    std::fprintf(stderr, "bulwark: warning: %s\n", util::printable(w).c_str());
  }
  return outcome;
}

}  // namespace bulwark::cli
