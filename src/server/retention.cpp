// Retention; see retention.hpp.
#include "server/retention.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>

#include "server/jobs.hpp"

namespace bulwark::server {

using nlohmann::json;

json RetentionOptions::to_json() const {
  return {{"keep_digests", keep_digests}, {"running_days", running_days}};
}

Result<RetentionOptions> RetentionOptions::from_json(const json& j) {
  if (!j.is_object()) return fail(ErrorCode::invalid_argument, "retention options: not a JSON object");
  RetentionOptions o;
  for (auto [name, field] : {std::pair{"keep_digests", &o.keep_digests}, std::pair{"running_days", &o.running_days}}) {
    if (!j.contains(name)) continue;
    const auto& v = j[name];
    if (!v.is_number_integer() || v.get<std::int64_t>() < 0 || v.get<std::int64_t>() > 1000000) {
      return fail(ErrorCode::invalid_argument, fmt::format("{}: an integer from 0 to 1000000", name));
    }
    *field = v.get<std::int64_t>();
  }
  return o;
}

std::optional<std::string> image_repository(std::string_view name) {
  // Scan transports: those followed by an image reference name a repository; those followed by
  // a path do not.
  static constexpr std::string_view kByReference[] = {"registry:", "docker:", "podman:", "containerd:"};
  static constexpr std::string_view kByPath[] = {
      "docker-archive:", "oci-archive:", "oci:", "dir:", "rootfs:", "sbom:", "file:"};
  for (auto t : kByPath) {
    if (name.starts_with(t)) return std::nullopt;
  }
  for (auto t : kByReference) {
    if (name.starts_with(t)) name.remove_prefix(t.size());
  }
  if (name.empty() || name.starts_with('/') || name.starts_with('.')) return std::nullopt;
  if (auto at = name.find('@'); at != std::string_view::npos) name = name.substr(0, at);
  // A tag is a ':' after the last '/' (a ':' before it is a registry's port).
  auto slash = name.rfind('/');
  auto colon = name.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    name = name.substr(0, colon);
  }
  if (name.empty()) return std::nullopt;
  return std::string(name);
}

std::vector<RetainedImage> retention_victims(const std::vector<RetainedImage>& images, const RetentionOptions& options,
                                             std::int64_t now) {
  if (!options.enabled()) return {};
  std::vector<bool> keep(images.size(), false);
  if (options.keep_digests > 0) {
    // Per repository, the images newest first (last upload, then first upload, then key).
    std::map<std::string, std::vector<std::size_t>> by_repo;
    for (std::size_t i = 0; i < images.size(); ++i) {
      std::set<std::string> repos;
      for (const auto& n : images[i].names) {
        if (auto r = image_repository(n)) repos.insert(*r);
      }
      if (auto r = image_repository(images[i].name)) repos.insert(*r);
      // Known by no registry name: its own repository (one image, so kept by any N).
      if (repos.empty()) repos.insert("\x01" + images[i].key);
      for (const auto& r : repos) by_repo[r].push_back(i);
    }
    for (auto& [repo, list] : by_repo) {
      std::ranges::sort(list, [&](std::size_t a, std::size_t b) {
        const auto &x = images[a], &y = images[b];
        if (x.last_seen != y.last_seen) return x.last_seen > y.last_seen;
        if (x.first_seen != y.first_seen) return x.first_seen > y.first_seen;
        return x.key > y.key;
      });
      for (std::size_t k = 0; k < list.size() && static_cast<std::int64_t>(k) < options.keep_digests; ++k) {
        keep[list[k]] = true;
      }
    }
  }
  const std::int64_t since = options.running_days > 0 ? now - options.running_days * 86400 : INT64_MAX;
  std::vector<RetainedImage> out;
  for (std::size_t i = 0; i < images.size(); ++i) {
    const auto& im = images[i];
    if (keep[i] || im.running_now > 0) continue;
    if (options.running_days > 0 && im.last_running > 0 && im.last_running >= since) continue;
    out.push_back(im);
  }
  std::ranges::sort(out, [](const RetainedImage& a, const RetainedImage& b) {
    return a.last_seen != b.last_seen ? a.last_seen < b.last_seen : a.key < b.key;
  });
  return out;
}

Result<json> run_retention(Store& store, const RetentionOptions& options, RetentionMode mode,
                           const std::function<void(std::int64_t, std::int64_t)>& progress) {
  const auto started = std::chrono::steady_clock::now();
  auto images = store.retention_images();
  if (!images) return std::unexpected(images.error());
  auto victims = retention_victims(*images, options, store.now());
  auto before = store.store_size();
  if (!before) return std::unexpected(before.error());
  json listed = json::array();
  for (const auto& v : victims) {
    if (listed.size() == 1000) break;
    json repos = json::array();
    std::set<std::string> seen;
    for (const auto& n : v.names) {
      if (auto r = image_repository(n); r && seen.insert(*r).second) repos.push_back(*r);
    }
    json item = {{"id", v.id.empty() ? v.key : v.id},
                 {"name", v.name},
                 {"repositories", repos},
                 {"last_seen", format_rfc3339(v.last_seen)}};
    if (v.last_running > 0) item["last_running"] = format_rfc3339(v.last_running);
    listed.push_back(std::move(item));
  }
  json out = {{"dry_run", mode == RetentionMode::dry_run},
              {"options", options.to_json()},
              {"examined", images->size()},
              {"kept", images->size() - victims.size()},
              {"deleted", 0},
              {"images", listed},
              {"bytes_before", (*before)["bytes"]}};
  if (!options.enabled()) out["note"] = "retention is off (keep_digests and running_days are 0): nothing deleted";
  if (mode == RetentionMode::dry_run) {
    out["deleted"] = victims.size();
    out["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return out;
  }
  // Batches of 50 images, one transaction each: a long run never holds the store's writer for
  // long, and what a run deleted stays deleted if it stops half way.
  constexpr std::size_t kBatch = 50;
  const auto total = static_cast<std::int64_t>(victims.size());
  DeletedImages sum;
  if (progress) progress(0, total);
  for (std::size_t at = 0; at < victims.size(); at += kBatch) {
    std::vector<std::string> keys;
    std::vector<std::int64_t> seen;
    for (std::size_t i = at; i < std::min(victims.size(), at + kBatch); ++i) {
      keys.push_back(victims[i].key);
      seen.push_back(victims[i].last_seen);
    }
    auto d = store.delete_images(keys, seen);
    if (!d)
      return std::unexpected(d.error().within(
          fmt::format("retention: deleting images {}..{} of {}", at + 1, at + keys.size(), victims.size())));
    sum.images += d->images;
    sum.packages += d->packages;
    sum.findings += d->findings;
    sum.reports += d->reports;
    sum.skipped += d->skipped;
    if (progress) progress(static_cast<std::int64_t>(at + keys.size()), total);
  }
  out["deleted"] = sum.images;
  out["kept"] = static_cast<std::int64_t>(images->size()) - sum.images;
  out["skipped"] = sum.skipped;
  out["rows"] = {{"packages", sum.packages}, {"findings", sum.findings}, {"reports", sum.reports}};
  if (sum.images > 0) {
    auto reclaimed = store.reclaim_space();
    // The deletes are committed either way; a failed vacuum (a full disk: VACUUM needs room for
    // a copy) is reported, and the next run tries again.
    out["reclaim"] = reclaimed ? *reclaimed : json{{"error", reclaimed.error().describe()}};
  }
  if (auto after = store.store_size()) out["bytes_after"] = (*after)["bytes"];
  out["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return out;
}

void add_retention_job(JobRunner& runner, Store& store) {
  runner.on("retention", [&runner, &store](const Job& job) -> Result<std::string> {
    auto payload = json::parse(job.payload.empty() ? std::string("{}") : job.payload, nullptr, false);
    auto options = RetentionOptions::from_json(payload);
    if (!options) return std::unexpected(options.error());
    auto out = run_retention(store, *options, RetentionMode::apply,
                             [&](std::int64_t done, std::int64_t total) { runner.progress(job, done, total); });
    if (!out) return std::unexpected(out.error());
    if (out->dump().size() > 4000) out->erase("images");  // the job's result is kept to 4 KiB
    return out->dump();
  });
}

}  // namespace bulwark::server
