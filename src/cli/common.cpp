#include "cli/common.hpp"

#include <fmt/format.h>

#include <cstdio>

#include "util/files.hpp"
#include "util/strings.hpp"

namespace bulwark::cli {

int report_error(const Error& error) {
  std::fprintf(stderr, "bulwark: error: %s\n", util::printable(error.describe()).c_str());
  switch (error.code) {
    case ErrorCode::invalid_argument: return kExitUsage;
    case ErrorCode::network:
    case ErrorCode::auth: return kExitNetwork;
    default: return kExitInput;
  }
}

void add_scan_options(CLI::App& cmd, ScanOptions& opts) {
  cmd.add_flag("-q,--quiet", opts.quiet, "No progress output");
  cmd.add_option("--cache-dir", opts.cache_dir, "The tool's cache folder (default ~/.cache/bulwark)");
  cmd.add_option("-o,--output", opts.output, "Write the report to this file instead of stdout");
  cmd.add_option("--max-total-size", opts.max_total_mib, "Limit: uncompressed MiB over all layers (default 65536)");
  cmd.add_option("--max-file-size", opts.max_file_mib, "Limit: MiB of one file in an image (default 8192)");
  cmd.add_option("--max-files", opts.max_files, "Limit: entries over all layers (default 5000000)");
}

ScanSession make_session(const ScanOptions& opts) {
  ScanSession s;
  s.progress = core::make_terminal_progress(opts.quiet);
  s.context.progress = s.progress.get();
  s.context.cache_dir = opts.cache_dir.empty() ? util::default_cache_dir() : std::filesystem::path(opts.cache_dir);
  if (opts.max_total_mib) s.context.limits.max_total_bytes = opts.max_total_mib << 20;
  if (opts.max_file_mib) s.context.limits.max_file_bytes = opts.max_file_mib << 20;
  if (opts.max_files) s.context.limits.max_file_count = opts.max_files;
  return s;
}

Status write_output(const ScanOptions& opts, std::string_view text) {
  if (opts.output.empty() || opts.output == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
    return {};
  }
  return util::write_file_atomic(opts.output, text);
}

}  // namespace bulwark::cli
