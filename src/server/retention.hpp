// Retention: which stored images the server keeps, and deleting the rest (docs/server.md,
// "Retention"). Two keep rules, each off at 0:
//   keep_digests N  the N most recently uploaded images (digests) of each repository an image is
//                   known under ("registry/app" of "registry/app:1.2" and "registry/app@sha256:…")
//   running_days D  every image a host's inventory showed running in the last D days
// With at least one rule on, an image kept by no rule is deleted; an image that runs now (in a
// host's latest inventory) is never deleted. With both off (the default) nothing is deleted.
//
// Deleting goes in batches, one transaction each (Store::delete_images): the image and everything
// kept of it. Then the space is given back (Store::reclaim_space). A run is a job ("retention",
// server/jobs.hpp): scheduled by every replica, deduplicated, run by one; or run on request (POST
// /api/v1/retention/run, `bulwark server retention`).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/store.hpp"
#include "util/error.hpp"

namespace bulwark::server {

class JobRunner;

struct RetentionOptions {
  std::int64_t keep_digests = 0;  // newest N images per repository; 0: rule off
  std::int64_t running_days = 0;  // images seen running in the last D days; 0: rule off
  [[nodiscard]] bool enabled() const noexcept { return keep_digests > 0 || running_days > 0; }
  [[nodiscard]] nlohmann::json to_json() const;
  // From a job payload or request: {"keep_digests": N, "running_days": D}.
  [[nodiscard]] static Result<RetentionOptions> from_json(const nlohmann::json& j);
};

enum class RetentionMode { dry_run, apply };

// The repository a name of an image belongs to ("registry:5000/team/app" of
// "registry:5000/team/app:1" or "...@sha256:…"); nullopt for scan names that are no registry
// reference (docker-archive:/path, oci:dir, /abs/path).
[[nodiscard]] std::optional<std::string> image_repository(std::string_view name);

// The images the rules let go, oldest first, at time `now` (unix seconds).
[[nodiscard]] std::vector<RetainedImage> retention_victims(const std::vector<RetainedImage>& images,
                                                           const RetentionOptions& options, std::int64_t now);

// Chooses (and, in apply mode, deletes) what the rules let go, then gives the space back.
// progress(done, total) is called after each batch. The answer: the options, how many images
// were examined, kept and deleted (with up to 1000 of them listed), rows deleted, the store's size
// before and after, and what reclaiming the space did.
[[nodiscard]] Result<nlohmann::json> run_retention(
    Store& store, const RetentionOptions& options, RetentionMode mode,
    const std::function<void(std::int64_t, std::int64_t)>& progress = {});

// Registers the "retention" job handler (its payload: RetentionOptions as JSON) on a runner.
void add_retention_job(JobRunner& runner, Store& store);

}  // namespace bulwark::server
