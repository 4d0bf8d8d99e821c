// What every subcommand shares: exit codes, error printing, output files and
// the options that shape a scan (limits, cache, quiet).
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <string>

#include "core/context.hpp"
#include "util/error.hpp"

namespace bulwark::cli {

// Exit codes, documented in README.md:
//   0 success (and no findings at or above the --exit-code threshold)
//   1 findings were reported and --exit-code asked for 1 (the default exit code for findings is 0)
//   2 the command line is wrong
//   3 an input could not be read or is invalid (the message names it)
//   4 a network, registry or daemon operation failed
inline constexpr int kExitOk = 0;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitInput = 3;
inline constexpr int kExitNetwork = 4;

// The command that fixes the commonest failures (an engine that does not answer, a socket or file
// this user may not open), so nobody has to guess it; empty when there is none to name.
[[nodiscard]] std::string fix_hint(const Error& error);

// Prints "bulwark: error: <context>: <message>" on stderr (and "bulwark: fix: <command>" where
// fix_hint knows one) and returns the exit code for it.
int report_error(const Error& error);

// Options every scanning command takes.
struct ScanOptions {
  bool quiet = false;
  std::string cache_dir;
  std::string output;  // -o PATH; empty = stdout
  std::uint64_t max_total_mib = 0;
  std::uint64_t max_file_mib = 0;
  std::uint64_t max_files = 0;
};

void add_scan_options(CLI::App& cmd, ScanOptions& opts);

// Builds the Context (and keeps the progress sink alive) from the options.
struct ScanSession {
  std::unique_ptr<core::Progress> progress;
  core::Context context;
};
[[nodiscard]] ScanSession make_session(const ScanOptions& opts);

// The columns a table may use on stdout: $COLUMNS, else the terminal's width when stdout is one,
// else 0 (a pipe or file: no limit).
[[nodiscard]] std::size_t terminal_columns();

// Writes text to -o PATH (atomically) or stdout.
[[nodiscard]] Status write_output(const ScanOptions& opts, std::string_view text);

}  // namespace bulwark::cli
