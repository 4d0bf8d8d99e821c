// Continuous re-matching: the server's advisory database, and the work that re-matches stored
// SBOMs when it changes. The API talks to it through the Rematcher interface; DbRematcher is the
// implementation on a vuln::db store (the file `bulwark db` uses, at DATA/advisories.db).
//
// Matching goes through vuln::match::Matcher, the matcher every scan uses: a stored package is
// turned back into a core::Package with its target's os-release and matched exactly as `bulwark
// sbom` would match it. Findings the server makes are stored with origin "server" beside the ones
// an upload reported (origin "report"); each keeps first_seen (when the server first matched it)
// and last_seen (the last re-match that still found it).
//
// Incremental: every stored package is indexed (table match_keys) by the (advisory ecosystem,
// package) it is looked up under (query_for: "Debian:12"/source package, "Alpine:v3.19"/origin,
// "PyPI"/name ...). An import records which (ecosystem, package) keys its changed advisories
// named before and after the change (vuln::db::Store::track_changes); only the stored packages
// under those keys are matched again. What changed is recorded as events:
//   new       a finding the server had not made before for that package
//   fixed-upstream  the finding stays, and a fix version appeared
//   withdrawn the finding is gone because its advisory was withdrawn or removed
//   resolved  the finding is gone because the advisory no longer covers the installed version
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/ingest.hpp"
#include "server/store.hpp"
#include "util/error.hpp"
#include "vuln/db/store.hpp"
#include "vuln/db/update.hpp"

namespace bulwark::server {

class JobRunner;

class Rematcher {
 public:
  virtual ~Rematcher() = default;
  // Documents were stored: match their SBOMs against the server's database (one run for all).
  virtual void on_ingest(const std::vector<const Document*>& docs) = 0;
  // POST /api/v1/db/import: the body is one advisory document or archive. name: the file name
  // the importer recognises the format by (`?name=DSA.list`); empty: guessed from the content.
  [[nodiscard]] virtual Result<nlohmann::json> import_body(std::string_view body, std::string_view content_type,
                                                           std::string_view name) = 0;
  // The database's state and the re-match progress, for GET /api/v1/db and the summary.
  [[nodiscard]] virtual nlohmann::json status() = 0;
  [[nodiscard]] virtual std::string metrics_text() = 0;
};

// What one re-match did.
struct RematchReport {
  std::string trigger;       // "ingest", "import", "update", "full"
  std::size_t keys = 0;      // (ecosystem, package) keys the change named
  std::size_t targets = 0;   // targets whose packages were matched again
  std::size_t packages = 0;  // package rows matched again
  std::size_t new_findings = 0, fixed = 0, withdrawn = 0, resolved = 0, unchanged = 0;
  double seconds = 0;
  [[nodiscard]] nlohmann::json to_json() const;
};

class DbRematcher final : public Rematcher {
 public:
  // Opens (creating) the advisory database at path; store is the server's store.
  [[nodiscard]] static Result<std::unique_ptr<DbRematcher>> open(Store& store, const std::filesystem::path& path);
  ~DbRematcher() override;

  void on_ingest(const std::vector<const Document*>& docs) override;
  [[nodiscard]] Result<nlohmann::json> import_body(std::string_view body, std::string_view content_type,
                                                   std::string_view name) override;
  [[nodiscard]] nlohmann::json status() override;
  [[nodiscard]] std::string metrics_text() override;

  // Imports files, folders or archives (what `bulwark db import` reads), then re-matches the
  // packages the changed advisories name. The answer: the import's counts and the re-match's.
  [[nodiscard]] Result<nlohmann::json> import_paths(const std::vector<std::filesystem::path>& paths);
  // Runs `db update` (the configured feeds) on the server's database, then re-matches every
  // stored package (the update rewrites the file, so the change set is not known).
  [[nodiscard]] Result<nlohmann::json> update(const vuln::db::UpdateOptions& options);
  // Matches the stored targets' packages (ingest: one document's targets) and records events.
  [[nodiscard]] Result<RematchReport> match_targets(const std::vector<std::string>& target_keys,
                                                    std::string_view trigger);
  // Re-matches every stored package (after an update, or on request).
  [[nodiscard]] Result<RematchReport> rematch_all();
  // Re-matches only the stored packages indexed under these (ecosystem, package) keys.
  [[nodiscard]] Result<RematchReport> rematch_keys(const std::set<std::pair<std::string, std::string>>& keys,
                                                   std::string_view trigger);

  // Replicas sharing a PostgreSQL store (docs/server-postgresql.md): an import over HTTP is kept
  // in the store (table advisory_imports) and every replica applies the imports it has not yet
  // applied to its own advisory database (in id order) before it matches anything; the re-match
  // of the targets the import changed is queued as "rematch" jobs of kRematchChunk targets each,
  // which the importing request and every replica's job worker claim (SKIP LOCKED), so each chunk
  // is matched once, by one replica. The import answers when every chunk is done, with their sums
  // and who did them. On SQLite (one process) the import re-matches at once, as before.
  static constexpr std::size_t kRematchChunk = 8;
  // Registers the "rematch" job handler on the process's runner (before it starts).
  void add_jobs(JobRunner& runner);
  // Applies the store's imports this replica has not applied yet (PostgreSQL only).
  [[nodiscard]] Status catch_up();

  // Counters (also in metrics_text): packages matched in total, re-match runs, events by kind.
  struct Counters {
    std::atomic<std::uint64_t> runs{0}, packages_matched{0}, targets_matched{0}, new_findings{0}, fixed{0},
        withdrawn{0}, resolved{0}, imports{0}, import_errors{0}, updates{0}, update_errors{0};
  };
  [[nodiscard]] const Counters& counters() const noexcept { return counters_; }

 private:
  struct Work;
  struct Memo;
  DbRematcher(Store& store, std::filesystem::path path, vuln::db::Store db);
  [[nodiscard]] Result<RematchReport> run(Work work, std::string_view trigger);
  [[nodiscard]] Result<nlohmann::json> import_locked(const std::vector<std::filesystem::path>& paths);
  // The import alone (no re-match): its report, and the (ecosystem, package) keys it changed.
  [[nodiscard]] Result<std::pair<nlohmann::json, std::set<std::pair<std::string, std::string>>>> import_only_locked(
      const std::vector<std::filesystem::path>& paths);
  [[nodiscard]] Status catch_up_locked(std::int64_t up_to = INT64_MAX);
  [[nodiscard]] Result<nlohmann::json> import_shared(const std::filesystem::path& file, std::string_view name,
                                                     std::string_view body);
  [[nodiscard]] Result<RematchReport> run_chunk(const Job& job);
  [[nodiscard]] bool shared() const noexcept { return store_.dialect() == Dialect::postgresql; }
  std::string worker_;               // claimed_by of the chunks this process's import requests run
  std::int64_t applied_import_ = 0;  // the last store import applied to db_ (its meta "store_import")

  Store& store_;
  std::filesystem::path path_;
  std::unique_ptr<vuln::db::Store> db_;
  std::recursive_mutex mutex_;  // one import, update or re-match at a time (the vuln::db store is single-threaded)
  Counters counters_;
  // Findings per distinct (release, package) matched, kept between runs while the advisory
  // database is unchanged: uploads of images that share packages match each one once.
  std::unique_ptr<Memo> memo_;
  // Progress of the running (or last) re-match, for status() and /metrics.
  std::mutex progress_mutex_;
  bool running_ = false;
  std::string running_trigger_;
  std::size_t progress_done_ = 0, progress_total_ = 0;
  std::int64_t running_since_ = 0;
  nlohmann::json last_run_;
  nlohmann::json last_import_;
};

}  // namespace bulwark::server
