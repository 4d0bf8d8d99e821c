// `bulwark db update`: download the advisory feeds and rebuild the database safely.
//
// Feeds: OSV's per-ecosystem exports (<osv>/<Ecosystem>/all.zip), Alpine secdb
// (<alpine>/<release>/<repo>.json) and the Debian security tracker lists
// (<debian>/DSA/list, DLA/list). Each request is conditional (If-None-Match /
// If-Modified-Since from the ETag / Last-Modified stored for that URL); a 304 leaves
// the feed as it is. TLS is verified unless the caller says otherwise.
//
// Safety: the update works on a copy of the database in a temporary file beside it
// and renames it over the old one only when every feed succeeded (downloaded in
// full, Content-Length matched, size within limits, zip archives intact to the last
// CRC, documents recognised as advisory data, imported). Any failure removes the
// copy and leaves the old database untouched. When nothing changed (every feed 304)
// the old file is not rewritten at all. A lock file beside the database keeps two
// updates from racing.
//
// Pruning: Alpine and Debian feeds are whole sources, so advisories they no longer
// list are deleted. OSV sources are keyed by id prefix (GHSA records come in several
// ecosystems' exports), so OSV imports only add and update; OSV marks retracted
// records "withdrawn" rather than deleting them.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/context.hpp"
#include "core/diagnostics.hpp"
#include "util/error.hpp"
#include "vuln/db/import.hpp"

namespace bulwark::vuln::db {

enum class FeedKind { osv_zip, alpine_secdb, debian_list };

struct Feed {
  std::string name;  // "osv:PyPI", "alpine:v3.20/main", "debian:DSA"
  std::string url;
  std::string file;  // where it is saved under the download folder (the importer reads the name)
  FeedKind kind = FeedKind::osv_zip;
};

struct UpdateOptions {
  std::string osv_base = "https://osv-vulnerabilities.storage.googleapis.com";
  std::string alpine_base = "https://secdb.alpinelinux.org";
  std::string debian_base = "https://salsa.debian.org/security-tracker-team/security-tracker/-/raw/master/data";
  std::vector<std::string> osv_ecosystems = {"PyPI", "npm", "Go", "Maven", "crates.io", "RubyGems"};
  std::vector<std::string> alpine_releases = {"v3.18", "v3.19", "v3.20", "v3.21", "edge"};
  std::vector<std::string> alpine_repos = {"main", "community"};
  std::vector<std::string> debian_lists = {"DSA", "DLA"};
  bool tls_verify = true;
  std::uint64_t max_feed_bytes = 2ULL << 30;  // one download
  std::uint64_t max_zip_entries = 2'000'000;
  std::uint64_t max_unpacked_bytes = 16ULL << 30;  // all members of one zip
  ImportLimits limits;
};

// Points every base at one mirror: <mirror>/osv, <mirror>/alpine, <mirror>/debian.
void use_mirror(UpdateOptions& options, std::string mirror);

// Keeps only the named feeds: OSV ecosystem names (case-insensitive), "alpine",
// "debian". Fails on a name that is none of them.
[[nodiscard]] Status select_ecosystems(UpdateOptions& options, const std::vector<std::string>& names);

[[nodiscard]] std::vector<Feed> plan_feeds(const UpdateOptions& options);

enum class FeedOutcome { downloaded, not_modified };

struct FeedReport {
  Feed feed;
  FeedOutcome outcome = FeedOutcome::not_modified;
  std::uint64_t bytes = 0;
  ImportReport import;  // empty when not_modified
};

struct UpdateReport {
  std::vector<FeedReport> feeds;
  bool replaced = false;  // the database file was rewritten
  std::filesystem::path path;
};

// Updates the database at db_path (created when absent). On failure the old file is
// unchanged; the error names the feed, its URL and what went wrong.
[[nodiscard]] Result<UpdateReport> update_database(const std::filesystem::path& db_path, const UpdateOptions& options,
                                                   core::Progress& progress, core::Diagnostics& diags);

// Checks that a zip archive is complete and intact: every member read to its end
// (CRC checked), at most max_entries members and max_bytes unpacked.
[[nodiscard]] Status verify_zip(const std::filesystem::path& path, std::uint64_t max_entries, std::uint64_t max_bytes);

}  // namespace bulwark::vuln::db
