#include "cli/policy_options.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

using namespace bulwark;

namespace {

// Parses args (after the program name) into fresh options; returns the CLI11 error text or "".
std::string parse(std::vector<std::string> args, cli::PolicyOptions& opts) {
  CLI::App app{"test"};
  cli::add_policy_options(app, opts);
  std::reverse(args.begin(), args.end());  // CLI11 takes a reversed vector
  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    return e.what();
  }
  return {};
}

}  // namespace

TEST(PolicyOptions, Defaults) {
  cli::PolicyOptions opts;
  EXPECT_EQ(parse({}, opts), "");
  EXPECT_EQ(opts.min_severity, core::Severity::unknown);
  EXPECT_TRUE(opts.severities.empty());
  EXPECT_EQ(opts.exit_code, 0);
  EXPECT_EQ(opts.fail_on, core::Severity::unknown);
  EXPECT_FALSE(opts.ignore_unfixed);
}

TEST(PolicyOptions, OneSeverityIsAMinimumAListIsASet) {
  cli::PolicyOptions min;
  EXPECT_EQ(parse({"--severity", "HIGH"}, min), "");
  EXPECT_EQ(min.min_severity, core::Severity::high);
  EXPECT_TRUE(min.severities.empty());
  cli::PolicyOptions list;
  EXPECT_EQ(parse({"--severity", "critical,Low"}, list), "");
  EXPECT_EQ(list.severities, (std::vector<core::Severity>{core::Severity::critical, core::Severity::low}));
  cli::PolicyOptions bad;
  auto error = parse({"--severity", "high,severe"}, bad);
  EXPECT_NE(error.find("unknown severity \"severe\""), std::string::npos) << error;
}

TEST(PolicyOptions, EveryFlag) {
  cli::PolicyOptions opts;
  EXPECT_EQ(parse({"--exit-code", "7", "--fail-on", "medium", "--ignore-unfixed", "--ignorefile", "a.yaml",
                   "--ignorefile", "b.yaml", "--vex", "x.json", "--vex", "y.json"},
                  opts),
            "");
  EXPECT_EQ(opts.exit_code, 7);
  EXPECT_EQ(opts.fail_on, core::Severity::medium);
  EXPECT_TRUE(opts.ignore_unfixed);
  EXPECT_EQ(opts.ignore_files, (std::vector<std::string>{"a.yaml", "b.yaml"}));
  EXPECT_EQ(opts.vex_files, (std::vector<std::string>{"x.json", "y.json"}));
  cli::PolicyOptions bad;
  EXPECT_NE(parse({"--exit-code", "300"}, bad), "");
  EXPECT_NE(parse({"--fail-on", "urgent"}, bad), "");
}

TEST(PolicyOptions, TrivyIgnoreInTheWorkingDirectoryIsTheDefault) {
  namespace fs = std::filesystem;
  const auto dir = fs::temp_directory_path() / ("bulwark-policy-cwd-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  cli::PolicyOptions none;
  EXPECT_TRUE(cli::effective_ignore_files(none, dir).empty()) << "no file, nothing to read";
  std::ofstream(dir / ".trivyignore") << "CVE-2023-1234\n";
  EXPECT_EQ(cli::effective_ignore_files(none, dir), (std::vector<std::string>{".trivyignore"}));
  cli::PolicyOptions named;
  named.ignore_files = {"team.yaml"};
  EXPECT_EQ(cli::effective_ignore_files(named, dir), (std::vector<std::string>{"team.yaml"}));
  cli::PolicyOptions off;
  off.ignore_files = {""};
  EXPECT_TRUE(cli::effective_ignore_files(off, dir).empty()) << "--ignorefile \"\" turns the default off";
  fs::remove_all(dir);
}
