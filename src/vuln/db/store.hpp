// The advisory store: one embedded SQLite file that importers fill and scans read.
//
// Scans ask one question many times: "which advisories name this package in this
// ecosystem?", so the affected table is indexed on (ecosystem, package) and keeps
// ranges, versions and requirements as compact JSON beside the key; everything a
// report needs about the advisory itself (summary, severity, CVSS, aliases,
// references) is one primary-key read away. Details (long Markdown texts) are not
// stored: they are large and a report links to the advisory instead.
//
// Imports are idempotent: an advisory is keyed by (source, id) and carries a digest
// of its normalised content, so re-importing the same data writes nothing. The file
// uses a rollback journal (no WAL side files) so it can be shipped and opened
// read-only by many scanners at once. A Store object is used from one thread.
//
// Sources: "osv:<id prefix>" (osv:GO, osv:PYSEC, osv:RUSTSEC, osv:GHSA, ...), "rustsec",
// "wolfi", "nodejs-security-wg", "debian-dsa", "debian-dla", "debian-dtsa", "debian-cve",
// and one per Alpine secdb file ("alpine:v3.19/main"; "alpine-yaml:v3.3/main" for the
// 2020 YAML feed), because every Alpine release repeats the same CVE ids as advisory ids.
// The same vulnerability can come from several sources (RustSec native and its OSV
// export, a DSA and the CVE list): lookup returns all of them; de-duplicating by id and
// alias is the matcher's job.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.hpp"
#include "vuln/db/advisory.hpp"

namespace bulwark::vuln::db {

enum class OpenMode { read_only, read_write };

// stale: the stored record has a later "modified" time than the one offered, which is
// therefore not written (an older copy of a feed never overwrites a newer one).
enum class UpsertOutcome { inserted, updated, unchanged, stale };

struct SourceStats {
  std::string name;
  std::string imported_at;  // UTC, RFC 3339; when this source's data last changed
  std::int64_t advisory_count = 0;
  std::int64_t affected_count = 0;
  std::string etag;           // for `db update` over HTTP; empty for local imports
  std::string last_modified;  // ditto
};

// Where a source's data came from, recorded with its counts after an import.
struct SourceMeta {
  std::string etag;
  std::string last_modified;
};

// One affected entry with the advisory it belongs to (its own affected list is left empty).
// Where the advisory database lives unless --db says otherwise: $BULWARK_DB when set,
// else <cache dir>/db/bulwark.db (cache dir: --cache-dir, else util::default_cache_dir()).
[[nodiscard]] std::filesystem::path default_db_path(const std::filesystem::path& cache_dir = {});

struct LookupHit {
  Advisory advisory;
  Affected affected;
};

struct Totals {
  std::int64_t advisories = 0;
  std::int64_t aliases = 0;
  std::int64_t affected = 0;
};

class Store {
 public:
  // Opens (read_write: creating if needed) the database at path.
  [[nodiscard]] static Result<Store> open(const std::filesystem::path& path, OpenMode mode);

  Store(Store&&) noexcept;
  Store& operator=(Store&&) noexcept;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;
  ~Store();

  // Groups many writes in one transaction (an import is far faster that way).
  [[nodiscard]] Status begin();
  [[nodiscard]] Status commit();
  void rollback() noexcept;

  // Inserts or replaces the advisory keyed by (advisory.source, advisory.id), unless the
  // stored copy is newer (both have "modified" times and the stored one is later).
  [[nodiscard]] Result<UpsertOutcome> upsert(const Advisory& advisory);

  // Deletes the source's advisories whose id is not in keep (a feed dropped them).
  // Returns how many were deleted.
  [[nodiscard]] Result<std::size_t> remove_others(std::string_view source, const std::set<std::string>& keep);

  // Recomputes the source's counts; writes its row only when something differs, so
  // re-importing the same data leaves the file untouched.
  [[nodiscard]] Status record_source(std::string_view name, const SourceMeta& meta, bool data_changed);

  // Every affected entry for (ecosystem, package), with its advisory. PyPI names are
  // normalised (PEP 503) on both sides.
  [[nodiscard]] Result<std::vector<LookupHit>> lookup(std::string_view ecosystem, std::string_view package) const;

  // The whole advisory, or nullopt.
  [[nodiscard]] Result<std::optional<Advisory>> get(std::string_view source, std::string_view id) const;

  // (source, id) of every advisory that has this id or alias.
  [[nodiscard]] Result<std::vector<std::pair<std::string, std::string>>> find_alias(std::string_view alias) const;

  // Whether any affected entry names this ecosystem (the matcher says which packages no
  // imported source covers, e.g. Ubuntu or rpm distributions).
  [[nodiscard]] Result<bool> has_ecosystem(std::string_view ecosystem) const;

  [[nodiscard]] Result<std::vector<SourceStats>> stats() const;
  [[nodiscard]] Result<Totals> totals() const;

  // Change tracking (the server re-matches only what an import changed): while enabled,
  // every upsert that writes and every removal records the (ecosystem, normalised package)
  // keys of the affected entries before and after, and the (source, id) of the advisory.
  // take_changes() hands them over and clears them. Off by default (no cost for `db import`).
  struct Changes {
    std::set<std::pair<std::string, std::string>> packages;    // (ecosystem, package)
    std::set<std::pair<std::string, std::string>> advisories;  // (source, id)
  };
  void track_changes(bool on);
  [[nodiscard]] Changes take_changes();

  // Rows written through this connection since it was opened (for idempotency checks).
  [[nodiscard]] std::int64_t total_changes() const noexcept;

  // Rebuilds the file without free pages (after large updates).
  [[nodiscard]] Status compact();

  // Small key/value facts about the database itself, kept in its meta table: `db update`
  // keeps each feed's ETag/Last-Modified there ("feed:<url>") and when data last changed ("last_update").
  [[nodiscard]] Result<std::optional<std::string>> get_meta(std::string_view key) const;
  [[nodiscard]] Status set_meta(std::string_view key, std::string_view value);

  // SQLite's quick_check: a damaged file fails here with the reason, before any use.
  [[nodiscard]] Status check_integrity() const;

 private:
  struct Impl;
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace bulwark::vuln::db
