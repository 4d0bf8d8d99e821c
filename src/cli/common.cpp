#include "cli/common.hpp"

#include <fmt/format.h>

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "util/files.hpp"
#include "util/strings.hpp"

namespace bulwark::cli {

std::string fix_hint(const Error& error) {
  const std::string text = error.describe();
  const bool engine = text.find("Docker engine") != std::string::npos || text.find("docker.sock") != std::string::npos;
  if (text.find("ermission denied") != std::string::npos) {
    if (engine)
      return "the Docker socket needs root or the docker group: sudo bulwark ..., or sudo usermod -aG docker $USER";
    return "this needs more rights than this user has: run it as root (sudo bulwark ...)";
  }
  if (engine && error.code == ErrorCode::network) {
    // curl says "Couldn't connect" for a socket this user may not open, too: tell the two apart.
    if (auto at = text.find("unix://"); at != std::string::npos) {
      auto end = text.find_first_of(" :)", at + 7);
      const std::string path = text.substr(at + 7, end == std::string::npos ? std::string::npos : end - at - 7);
      if (!path.empty() && ::access(path.c_str(), F_OK) == 0 && ::access(path.c_str(), R_OK | W_OK) != 0) {
        return fmt::format("{} exists but this user may not use it: sudo bulwark ..., or sudo usermod -aG docker $USER",
                           path);
      }
    }
    return "start the engine (systemctl start docker, or dockerd &), or point --docker-host / DOCKER_HOST at one";
  }
  return {};
}

int report_error(const Error& error) {
  std::fprintf(stderr, "bulwark: error: %s\n", util::printable(error.describe()).c_str());
  if (auto hint = fix_hint(error); !hint.empty()) std::fprintf(stderr, "bulwark: fix: %s\n", hint.c_str());
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

std::size_t terminal_columns() {
  if (const char* c = std::getenv("COLUMNS"); c != nullptr && *c != '\0') {
    const auto n = std::strtoul(c, nullptr, 10);
    if (n >= 20 && n <= 10000) return n;
  }
  struct winsize ws {};
  if (::isatty(STDOUT_FILENO) != 0 && ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20) return ws.ws_col;
  return 0;
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
