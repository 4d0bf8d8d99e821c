// `bulwark version compare|satisfies`: the version comparators of vuln/version as a filter, so
// people and scripts can ask "is 1:2.3-4 older than 1:2.3-10 for dpkg?" exactly as bulwark's
// matcher answers it. One question per input line, one answer per output line.
#include <fmt/format.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "util/strings.hpp"
#include "vuln/version/version.hpp"

namespace bulwark::cli {
namespace {

namespace ver = vuln::version;

struct VersionOptions {
  std::string ecosystem;
  bool loose = false;
  bool include_prerelease = false;
};

enum class Question { compare, satisfies };

// A line longer than this is answered with an error rather than buffered further.
constexpr std::size_t kMaxLine = 64 * 1024;

// Reads one line (without the newline) from stdin, keeping at most kMaxLine bytes of it so that
// a hostile input without newlines cannot grow memory; `too_long` reports the cut.
bool read_line(std::string& line, bool& too_long) {
  line.clear();
  too_long = false;
  auto* buf = std::cin.rdbuf();
  bool any = false;
  for (int c = buf->sbumpc(); c != std::char_traits<char>::eof(); c = buf->sbumpc()) {
    any = true;
    if (c == '\n') return true;
    if (line.size() < kMaxLine) {
      line += static_cast<char>(c);
    } else {
      too_long = true;
    }
  }
  return any;
}

int run(Question question, const VersionOptions& opts) {
  auto scheme = ver::parse_scheme(opts.ecosystem);
  if (!scheme) return report_error(scheme.error());
  ver::Options options;
  options.loose = opts.loose ? ver::Loose::yes : ver::Loose::no;
  options.include_prerelease = opts.include_prerelease ? ver::IncludePrerelease::yes : ver::IncludePrerelease::no;

  bool any_error = false;
  std::string line;
  std::string out;
  bool too_long = false;
  while (read_line(line, too_long)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto answer_error = [&](std::string_view why) {
      out += fmt::format("error: {}\n", util::printable(why));
      any_error = true;
    };
    auto tab = line.find('\t');
    if (too_long) {
      answer_error("line too long");
    } else if (tab == std::string::npos) {
      answer_error(question == Question::compare ? "expected VERSION<TAB>VERSION" : "expected VERSION<TAB>RANGE");
    } else {
      std::string_view left = std::string_view(line).substr(0, tab);
      std::string_view right = std::string_view(line).substr(tab + 1);
      if (question == Question::compare) {
        auto r = ver::compare(*scheme, left, right, options);
        if (r) {
          out += fmt::format("{}\n", *r);
        } else {
          answer_error(r.error().describe());
        }
      } else {
        auto r = ver::satisfies(*scheme, left, right, options);
        if (r) {
          out += *r ? "true\n" : "false\n";
        } else {
          answer_error(r.error().describe());
        }
      }
    }
    // Answer as we go, so a pipe sees results before the input ends.
    if (out.size() > 4096) {
      std::fwrite(out.data(), 1, out.size(), stdout);
      out.clear();
    }
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  return any_error ? kExitInput : kExitOk;
}

void add_common(CLI::App& cmd, VersionOptions& opts) {
  cmd.add_option("-e,--ecosystem", opts.ecosystem,
                 "Ecosystem or scheme: Debian, Ubuntu, Alpine, Wolfi, Red Hat, Rocky Linux, SUSE, Amazon Linux, "
                 "PyPI, npm, Go, Maven, RubyGems, crates.io, or dpkg, apk, rpm, pep440, semver")
      ->required();
  cmd.add_flag("--loose", opts.loose, "npm only: node-semver's loose parsing (\"v 1.2\", \"1.2.3beta\")");
  cmd.add_flag("--include-prerelease", opts.include_prerelease,
               "npm only: let ranges match pre-releases (node-semver's includePrerelease)");
}

}  // namespace

void register_version(CLI::App& app, int& exit_code) {
  auto opts = std::make_shared<VersionOptions>();
  auto* version = app.add_subcommand("version", "Compare versions and test ranges as each ecosystem's own tool does");
  version->require_subcommand(1);

  auto* compare = version->add_subcommand(
      "compare",
      "Read VERSION<TAB>VERSION lines on stdin; print -1, 0 or 1 for each (or \"error: <reason>\").\n"
      "Exit code 0 when every line was answered, 3 when any line was an error, 2 for a bad --ecosystem.\n"
      "\n"
      "Examples:\n"
      "  printf '1:2.0-1\\t2.0-1\\n' | bulwark version compare --ecosystem Debian      prints 1\n"
      "  printf '1.0_rc1\\t1.0\\n' | bulwark version compare -e Alpine                 prints -1\n"
      "  printf '1.0.0-beta\\t1.0.0\\n' | bulwark version compare -e npm               prints -1\n");
  add_common(*compare, *opts);
  compare->callback([opts, &exit_code]() { exit_code = run(Question::compare, *opts); });

  auto* satisfies = version->add_subcommand(
      "satisfies",
      "Read VERSION<TAB>RANGE lines on stdin; print true or false for each (or \"error: <reason>\").\n"
      "Ranges use the ecosystem's syntax: npm \"^1.2 || >=3\", PyPI \">=1.0,<2.0\", crates.io \"~1.2\",\n"
      "Maven \"[1.0,2.0)\", RubyGems \"~> 1.2\", Alpine \">=1.2-r0\", others \">= 1.0, < 2.0\".\n"
      "\n"
      "Examples:\n"
      "  printf '1.4.2\\t^1.2\\n' | bulwark version satisfies --ecosystem npm          prints true\n"
      "  printf '1.5\\t>=1.0,<2.0\\n' | bulwark version satisfies -e PyPI             prints true\n"
      "  printf '1:2.3-4\\t<< 1:2.3-5\\n' | bulwark version satisfies -e Debian        prints true\n");
  add_common(*satisfies, *opts);
  satisfies->callback([opts, &exit_code]() { exit_code = run(Question::satisfies, *opts); });
}

BULWARK_COMMAND(version, 90, register_version);

}  // namespace bulwark::cli
