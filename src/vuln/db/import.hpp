// Importing advisory data into the store: the entry point for `bulwark db import`
// and `bulwark db update`.
//
// import_paths() takes files, folders and archives (.zip, .tar, .tar.gz, .tar.zst,
// ...), recognises each document's format from its name and content, parses it
// with the matching parser and upserts the advisories, all in one transaction.
// Bad records and unreadable documents end up in Diagnostics with the file and the
// reason; they never stop the rest. Only a store that cannot be written, or a path
// that cannot be read at all, makes the call fail.
#pragma once

#include <cstddef>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/diagnostics.hpp"
#include "util/error.hpp"
#include "vuln/db/parsers.hpp"
#include "vuln/db/store.hpp"

namespace bulwark::vuln::db {

enum class Format {
  osv,                   // OSV JSON or YAML (Go vulndb, PyPA, RustSec OSV export, GHSA, ...)
  alpine_secdb,          // Alpine secdb JSON or the 2020 YAML
  wolfi,                 // wolfi-dev/advisories <package>.advisories.yaml
  debian_advisory_list,  // security-tracker data/{DSA,DLA,DTSA}/list
  debian_cve_list,       // security-tracker data/CVE/list
  rustsec,               // RustSec Markdown with TOML front matter
  nodejs_wg,             // Node security-wg vuln/{npm,core}/<n>.json
  alas_updateinfo,       // Amazon Linux updateinfo.xml (ALAS), plain or .gz
  redhat_csaf,           // Red Hat CSAF VEX, one JSON document per CVE (csaf/v2/vex/<year>/cve-*.json)
  suse_cvrf,             // SUSE CVRF, one XML document per patch (cvrf-suse-su-*.xml, cvrf-opensuse-su-*.xml)
  oracle_oval,           // Oracle Linux ELSA OVAL (com.oracle.elsa-*.xml, ELSA-*.xml)
  photon,                // Photon OS cve_data_photon<release>.json
  azure_oval,            // Azure Linux / CBL-Mariner OVAL (azurelinux-3.0-oval.xml, cbl-mariner-2.0-oval.xml)
  not_advisory,          // licences, READMEs, schemas, aggregate indexes: skipped
};

[[nodiscard]] std::string_view to_string(Format f) noexcept;

// keep: an import only adds and updates. remove_unseen: for every source the import
// touched, advisories it did not contain are deleted (`db update` with a full feed).
enum class PruneMode { keep, remove_unseen };

struct ImportOptions {
  ImportLimits limits;
  PruneMode prune = PruneMode::keep;
  SourceMeta meta;  // recorded on every source this import touches (etag/last-modified of a download)
};

struct ImportReport {
  std::size_t documents = 0;         // files and archive members looked at
  std::size_t skipped = 0;           // documents that are not advisory data
  std::size_t failed_documents = 0;  // advisory documents that could not be read at all
  std::size_t records = 0;           // advisories parsed
  std::size_t rejected = 0;          // records that failed to parse (each one is a diagnostic)
  std::size_t duplicates = 0;        // (source, id) seen again in this import: reported; the newer one is kept
  std::size_t stale = 0;             // older than the stored copy (by "modified"): not written
  std::size_t inserted = 0;
  std::size_t updated = 0;
  std::size_t unchanged = 0;
  std::size_t removed = 0;  // PruneMode::remove_unseen only
  std::map<std::string, std::size_t> records_by_source;
  std::map<std::string, std::size_t> documents_by_format;
  std::map<std::string, std::size_t> counters;  // format-specific tallies, e.g. "alpine.package-entries"

  // Adds another import's tallies (several paths or bodies imported one after another).
  ImportReport& operator+=(const ImportReport& r) {
    documents += r.documents;
    skipped += r.skipped;
    failed_documents += r.failed_documents;
    records += r.records;
    rejected += r.rejected;
    duplicates += r.duplicates;
    stale += r.stale;
    inserted += r.inserted;
    updated += r.updated;
    unchanged += r.unchanged;
    removed += r.removed;
    for (const auto& [k, v] : r.records_by_source) records_by_source[k] += v;
    for (const auto& [k, v] : r.documents_by_format) documents_by_format[k] += v;
    for (const auto& [k, v] : r.counters) counters[k] += v;
    return *this;
  }
};

// Imports every path (file, folder or archive) into store. Fails only when the store
// fails or a named path does not exist; everything else is reported in diags.
[[nodiscard]] Result<ImportReport> import_paths(const std::vector<std::filesystem::path>& paths, Store& store,
                                                core::Diagnostics& diags, const ImportOptions& options = {});

}  // namespace bulwark::vuln::db
