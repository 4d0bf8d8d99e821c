// `bulwark host`: the CIS Docker Benchmark audit of the machine bulwark runs on
// (files, /proc, the Docker Engine API) or of an offline root filesystem (files
// only). It gathers facts once, runs every evaluator in checks.hpp, and returns
// one ScanResult per target: the host, the daemon, each image and each running
// container. Problems that stop part of the audit (daemon unreachable, a
// malformed daemon.json) are reported next to the results, never instead of them.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/context.hpp"
#include "core/model.hpp"
#include "docker/client.hpp"
#include "util/error.hpp"

namespace bulwark::host {

struct AuditOptions {
  std::filesystem::path root;  // empty: the live host; else an offline root (files only, no daemon)
  std::string docker_host;     // empty: $DOCKER_HOST, else unix:///var/run/docker.sock
  docker::TlsConfig tls;
  bool image_files = false;  // read every image's files for setuid/setgid (CIS 4.8): slower
};

enum class ProblemKind { daemon, input };

struct Problem {
  ProblemKind kind = ProblemKind::input;
  Error error;
};

struct AuditReport {
  std::vector<core::ScanResult> results;  // host, daemon, images..., containers...
  std::vector<Problem> problems;
  std::uint64_t api_requests = 0;
  std::size_t containers = 0;
  std::size_t images = 0;
  std::string docker_version;
  std::string docker_host;
  bool offline = false;
};

[[nodiscard]] AuditReport run_audit(const AuditOptions& options, const core::Context& ctx);

struct Score {
  std::uint64_t passed = 0;
  std::uint64_t failed = 0;
  std::uint64_t warned = 0;
  std::uint64_t manual = 0;
  std::uint64_t skipped = 0;
  std::uint64_t info = 0;
  // passed / (passed + failed) of automated checks, in percent; 100 when nothing was scored.
  [[nodiscard]] double percent() const noexcept {
    return passed + failed == 0 ? 100.0 : 100.0 * static_cast<double>(passed) / static_cast<double>(passed + failed);
  }
};
// Counts every finding by status; only automated checks count as passed or failed.
[[nodiscard]] Score score(const std::vector<core::ScanResult>& results);

}  // namespace bulwark::host
