// `bulwark audit`: one answer to "how secure is this machine and what runs on it". It runs, on the
// embedded defaults, the CIS host audit (host/: host files, daemon, images, running containers'
// privileges, mounts, namespaces, capabilities, seccomp/AppArmor), an inventory and vulnerability scan
// of every local image through the engine it finds (Docker, or Podman's Docker-compatible socket), the
// machine's own OS packages against the advisory database when there is one, and secrets in every
// layer's files of the images (src/secret, in the same pass). Every step that cannot run is recorded
// with why and the exact command that fixes it, never silently dropped.
//
// Then it condenses: a score per practice (the ten of DESIGN.md), the worst findings, and the actions
// that remove the most risk, each with the command that shows its details.
//
// Image inventories are cached by image id (the config digest) under <cache dir>/audit/, so a second
// run matches the cached packages against the current database without reading layers again.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/context.hpp"
#include "core/model.hpp"
#include "host/audit.hpp"

namespace bulwark::scan {

struct AuditOptions {
  std::string docker_host;        // empty: $DOCKER_HOST, else the Docker socket, else Podman's
  std::filesystem::path db_path;  // empty: $BULWARK_DB, else <cache dir>/db/bulwark.db
  std::size_t max_images = 20;    // images scanned for packages (most recently created first)
  bool use_cache = true;          // reuse image inventories cached by image id
};

enum class StepState { done, partial, skipped };
[[nodiscard]] std::string_view to_string(StepState s) noexcept;

// One part of the audit: what it covered, or why it did not run and what fixes that.
struct AuditStep {
  std::string name;  // "host", "images", "containers", "host-packages", "secrets", "engine"
  StepState state = StepState::done;
  std::string summary;  // "2 images, 1 from cache"
  std::string fix;      // the exact command that makes a skipped step run; empty when none is needed
  double seconds = 0;
};

struct AuditRun {
  std::vector<core::ScanResult> results;  // host, daemon, images (with packages), containers, this machine's packages
  std::vector<AuditStep> steps;
  std::string engine;    // "docker 20.10.24 at unix:///var/run/docker.sock"; empty when none answered
  std::string database;  // the advisory database used; empty when none
  std::size_t images_total = 0;
  std::size_t images_scanned = 0;
  std::size_t images_cached = 0;
  std::size_t containers = 0;
  host::Score cis;
  // Targets whose packages were matched against the database (the vulnerability-scan practice's base).
  std::vector<core::Target> vuln_targets;
  // The rule ids of secret findings (their details command is `bulwark image REF --scanners secret`).
  std::set<std::string> secret_ids;
  double seconds = 0;
};

[[nodiscard]] AuditRun run_audit(const AuditOptions& options, const core::Context& ctx);

struct PracticeScore {
  core::Practice practice = core::Practice::host_hardening;
  std::optional<int> score;  // 0-100; empty when nothing was assessed for this practice
  std::uint64_t passed = 0;
  std::uint64_t failed = 0;  // fail and warn findings
  std::uint64_t critical = 0;
  std::uint64_t high = 0;
};
// All ten practices, in DESIGN.md's order. Checks score as severity-weighted passes over passes and
// failures; vulnerability-scan as the share of scanned targets without a vulnerability that has a fix.
[[nodiscard]] std::vector<PracticeScore> practice_scores(const AuditRun& run);

struct Action {
  std::string title;
  std::string command;  // shows the details
  core::Practice practice = core::Practice::host_hardening;
  core::Severity worst = core::Severity::unknown;
  std::uint64_t risk = 0;  // severity-weighted findings this action removes
  std::size_t findings = 0;
};
// The actions that remove the most risk, largest first.
[[nodiscard]] std::vector<Action> top_actions(const AuditRun& run, std::size_t count);

// The failing findings, worst first (severity, then fixable before unfixed), at most count.
[[nodiscard]] std::vector<const core::Finding*> worst_findings(const AuditRun& run, std::size_t count);

// The summary as JSON (the "audit" member of the report document; docs/formats/json.md), with the
// ranked actions (at least 20 where there are so many; the table shows the first five).
[[nodiscard]] nlohmann::json summary_json(const AuditRun& run, std::size_t actions = 20);

// The command that shows details about an image in bulwark's syntax: "docker-daemon:NAME".
[[nodiscard]] std::string image_reference(const core::Target& image);

}  // namespace bulwark::scan
