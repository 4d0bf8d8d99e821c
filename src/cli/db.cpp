// `bulwark db import|update|status`: fill, refresh and inspect the advisory database
// (src/vuln/db; docs/database.md).
#include <unistd.h>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <memory>
#include <optional>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "report/report.hpp"
#include "util/files.hpp"
#include "util/strings.hpp"
#include "vuln/db/import.hpp"
#include "vuln/db/store.hpp"
#include "vuln/db/update.hpp"

namespace bulwark::cli {

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

constexpr int kExitStale = 1;

struct DbOptions {
  std::string db;
  std::string cache_dir;
  std::string format = "table";
  std::string output;
  bool quiet = false;
};

fs::path db_path(const DbOptions& o) {
  if (!o.db.empty()) return o.db;
  return vuln::db::default_db_path(o.cache_dir);
}

void add_db_options(CLI::App& cmd, DbOptions& o, bool with_format) {
  cmd.add_option("--db", o.db, "The advisory database (default $BULWARK_DB, else <cache dir>/db/bulwark.db)")
      ->type_name("PATH");
  cmd.add_option("--cache-dir", o.cache_dir, "The tool's cache folder (default ~/.cache/bulwark)");
  cmd.add_flag("-q,--quiet", o.quiet, "No progress output");
  if (with_format) {
    cmd.add_option("-f,--format", o.format, "Output: table or json")->check(CLI::IsMember({"table", "json"}));
    cmd.add_option("-o,--output", o.output, "Write the report to this file instead of stdout");
  }
}

int write_text(const DbOptions& o, const std::string& text) {
  ScanOptions so;
  so.output = o.output;
  if (auto st = write_output(so, text); !st) return report_error(st.error());
  return kExitOk;
}

bool color_out(const DbOptions& o) {
  return o.output.empty() && ::isatty(STDOUT_FILENO);
}

// Opens an existing database for reading and checks it, with messages a user can act on.
Result<vuln::db::Store> open_existing(const fs::path& path, vuln::db::OpenMode mode, double* open_ms = nullptr) {
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    return fail(ErrorCode::not_found,
                "no advisory database here; create it with `bulwark db update` or `bulwark db import PATH`",
                path.string());
  }
  const auto t0 = std::chrono::steady_clock::now();
  auto store = vuln::db::Store::open(path, mode);
  if (open_ms) *open_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  if (!store) {
    return fail(store.error().code,
                fmt::format("cannot use this advisory database: {}; remove it and run `bulwark db update`",
                            store.error().message),
                path.string());
  }
  if (auto st = store->check_integrity(); !st) {
    return fail(st.error().code, st.error().message + "; remove it and run `bulwark db update`", path.string());
  }
  return store;
}

void print_diagnostics(const core::Diagnostics& diags, std::size_t max_shown) {
  std::size_t shown = 0;
  for (const auto& d : diags.items()) {
    if (shown++ == max_shown) {
      std::fprintf(stderr, "bulwark: ... %zu more (all of them with --format json)\n",
                   diags.items().size() - max_shown);
      break;
    }
    std::fprintf(stderr, "bulwark: %s\n", util::printable(d.describe()).c_str());
  }
}

Json diagnostics_json(const core::Diagnostics& diags) {
  Json out = Json::array();
  for (const auto& d : diags.items()) {
    Json j;
    j["level"] = d.level == core::DiagnosticLevel::error ? "error" : "warning";
    j["code"] = d.code;
    j["file"] = d.file;
    if (d.line > 0) j["line"] = d.line;
    if (!d.item.empty()) j["record"] = d.item;
    j["message"] = d.message;
    out.push_back(std::move(j));
  }
  return out;
}

Json import_json(const vuln::db::ImportReport& r) {
  Json j;
  j["documents"] = r.documents;
  j["skipped"] = r.skipped;
  j["failed_documents"] = r.failed_documents;
  j["records"] = r.records;
  j["rejected"] = r.rejected;
  j["duplicates"] = r.duplicates;
  j["stale"] = r.stale;
  j["inserted"] = r.inserted;
  j["updated"] = r.updated;
  j["unchanged"] = r.unchanged;
  j["removed"] = r.removed;
  j["records_by_source"] = r.records_by_source;
  return j;
}

// ---------------------------------------------------------------- import

struct ImportCmd {
  DbOptions db;
  std::vector<std::string> paths;
};

int run_import(const ImportCmd& c) {
  const fs::path path = db_path(c.db);
  std::error_code ec;
  if (!path.parent_path().empty()) fs::create_directories(path.parent_path(), ec);
  if (ec) return report_error(Error{ErrorCode::io, ec.message(), path.parent_path().string()});
  for (const auto& p : c.paths) {
    if (!fs::exists(p, ec)) return report_error(Error{ErrorCode::not_found, "no such file or folder", p});
  }
  std::optional<vuln::db::Store> store;
  if (fs::exists(path, ec)) {
    auto opened = open_existing(path, vuln::db::OpenMode::read_write);
    if (!opened) return report_error(opened.error());
    store.emplace(std::move(*opened));
  } else {
    auto created = vuln::db::Store::open(path, vuln::db::OpenMode::read_write);
    if (!created) return report_error(created.error());
    store.emplace(std::move(*created));
  }

  auto progress = core::make_terminal_progress(c.db.quiet);
  core::Diagnostics diags;
  vuln::db::ImportReport total;
  const auto start = std::chrono::steady_clock::now();
  std::size_t n = 0;
  for (const auto& p : c.paths) {
    progress->note(fmt::format("importing {} ({}/{})", util::printable(p), ++n, c.paths.size()));
    auto r = vuln::db::import_paths({p}, *store, diags, {});
    if (!r) {
      progress->end();
      return report_error(r.error());
    }
    total += *r;
  }
  const bool changed = total.inserted + total.updated + total.removed > 0;
  if (auto st = !changed ? Status{}
                         : store->set_meta("last_update",
                                           [] {
                                             std::time_t now = std::time(nullptr);
                                             std::tm tm{};
                                             gmtime_r(&now, &tm);
                                             char buf[32];
                                             std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
                                             return std::string(buf);
                                           }());
      !st) {
    progress->end();
    return report_error(st.error());
  }
  progress->end();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  if (c.db.format == "json") {
    Json doc;
    doc["database"] = path.string();
    doc["paths"] = c.paths;
    doc["seconds"] = seconds;
    doc["import"] = import_json(total);
    doc["diagnostics"] = diagnostics_json(diags);
    return write_text(c.db, doc.dump(2, ' ', false, Json::error_handler_t::replace) + "\n");
  }
  print_diagnostics(diags, 20);
  std::vector<std::vector<std::string>> rows;
  for (const auto& [source, count] : total.records_by_source) rows.push_back({source, std::to_string(count)});
  std::string text = report::plain_table({"SOURCE", "RECORDS"}, rows, color_out(c.db));
  text += fmt::format(
      "{} records from {} documents in {:.1f} s ({:.0f} records/s): {} new, {} updated, {} unchanged, {} older than "
      "stored\n",
      total.records, total.documents, seconds, seconds > 0 ? static_cast<double>(total.records) / seconds : 0.0,
      total.inserted, total.updated, total.unchanged, total.stale);
  if (total.rejected || total.failed_documents || total.duplicates) {
    text += fmt::format("{} records rejected, {} documents unreadable, {} duplicates (details on stderr)\n",
                        total.rejected, total.failed_documents, total.duplicates);
  }
  if (total.skipped) text += fmt::format("{} files skipped (not advisory data)\n", total.skipped);
  text += fmt::format("database: {}\n", path.string());
  return write_text(c.db, text);
}

// ---------------------------------------------------------------- update

struct UpdateCmd {
  DbOptions db;
  std::string mirror;
  std::vector<std::string> ecosystems;
  std::vector<std::string> alpine_releases;
  std::uint64_t max_download_mib = 0;
};

int run_update(const UpdateCmd& c) {
  vuln::db::UpdateOptions options;
  if (!c.mirror.empty()) vuln::db::use_mirror(options, c.mirror);
  if (!c.ecosystems.empty()) {
    if (auto st = vuln::db::select_ecosystems(options, c.ecosystems); !st) return report_error(st.error());
  }
  if (!c.alpine_releases.empty() && !options.alpine_releases.empty()) {
    options.alpine_releases.clear();
    for (const auto& r : c.alpine_releases) {
      for (auto part : util::split(r, ',')) {
        if (!util::trim(part).empty()) options.alpine_releases.emplace_back(util::trim(part));
      }
    }
  }
  if (c.max_download_mib) options.max_feed_bytes = c.max_download_mib << 20;
  const fs::path path = db_path(c.db);
  auto progress = core::make_terminal_progress(c.db.quiet);
  core::Diagnostics diags;
  const auto start = std::chrono::steady_clock::now();
  auto report = vuln::db::update_database(path, options, *progress, diags);
  progress->end();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!report) {
    print_diagnostics(diags, 20);
    std::fprintf(stderr, "bulwark: the database was not changed: %s\n", path.string().c_str());
    return report_error(report.error());
  }
  if (c.db.format == "json") {
    Json doc;
    doc["database"] = path.string();
    doc["replaced"] = report->replaced;
    doc["seconds"] = seconds;
    Json feeds = Json::array();
    for (const auto& f : report->feeds) {
      Json j;
      j["name"] = f.feed.name;
      j["url"] = f.feed.url;
      j["outcome"] = f.outcome == vuln::db::FeedOutcome::downloaded ? "downloaded" : "not-modified";
      j["bytes"] = f.bytes;
      if (f.outcome == vuln::db::FeedOutcome::downloaded) j["import"] = import_json(f.import);
      feeds.push_back(std::move(j));
    }
    doc["feeds"] = std::move(feeds);
    doc["diagnostics"] = diagnostics_json(diags);
    return write_text(c.db, doc.dump(2, ' ', false, Json::error_handler_t::replace) + "\n");
  }
  print_diagnostics(diags, 20);
  std::vector<std::vector<std::string>> rows;
  for (const auto& f : report->feeds) {
    bool got = f.outcome == vuln::db::FeedOutcome::downloaded;
    rows.push_back({f.feed.name, got ? "downloaded" : "up to date", got ? util::human_bytes(f.bytes) : "-",
                    got ? std::to_string(f.import.records) : "-",
                    got ? std::to_string(f.import.inserted + f.import.updated + f.import.removed) : "-"});
  }
  std::string text = report::plain_table({"FEED", "STATUS", "SIZE", "RECORDS", "CHANGED"}, rows, color_out(c.db));
  text += report->replaced ? fmt::format("database updated in {:.1f} s: {}\n", seconds, path.string())
                           : fmt::format("database unchanged (every feed up to date): {}\n", path.string());
  return write_text(c.db, text);
}

// ---------------------------------------------------------------- status

struct StatusCmd {
  DbOptions db;
  int warn_days = 7;
  int max_age_days = -1;  // -1: no exit code for age
};

std::optional<std::time_t> parse_utc(const std::string& s) {
  std::tm tm{};
  if (s.size() < 19 || !strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm)) return std::nullopt;
  return timegm(&tm);
}

int run_status(const StatusCmd& c) {
  const fs::path path = db_path(c.db);
  const auto t0 = std::chrono::steady_clock::now();
  double open_ms = 0;
  auto store = open_existing(path, vuln::db::OpenMode::read_only, &open_ms);
  if (!store) return report_error(store.error());
  // Opening and checking the file are what every scan pays first; shown for benchmarks.
  const double open_check_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  auto stats = store->stats();
  if (!stats) return report_error(stats.error());
  auto totals = store->totals();
  if (!totals) return report_error(totals.error());
  auto last = store->get_meta("last_update");
  if (!last) return report_error(last.error());
  std::string updated = last->value_or("");
  if (updated.empty()) {  // imported by an older bulwark: the newest source change
    for (const auto& s : *stats) updated = std::max(updated, s.imported_at);
  }
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  std::optional<double> age_days;
  if (auto t = parse_utc(updated)) age_days = std::difftime(std::time(nullptr), *t) / 86400.0;
  const int limit = c.max_age_days >= 0 ? c.max_age_days : c.warn_days;
  const bool stale = !age_days || *age_days > limit;

  if (c.db.format == "json") {
    Json doc;
    doc["database"] = path.string();
    doc["size_bytes"] = ec ? 0 : size;
    if (!updated.empty()) doc["updated_at"] = updated;
    if (age_days) doc["age_days"] = static_cast<double>(static_cast<long>(*age_days * 10)) / 10.0;
    doc["stale"] = stale;
    doc["open_ms"] = static_cast<double>(static_cast<long>(open_ms * 100)) / 100.0;
    doc["open_and_check_ms"] = static_cast<double>(static_cast<long>(open_check_ms * 10)) / 10.0;
    doc["advisories"] = totals->advisories;
    doc["aliases"] = totals->aliases;
    doc["affected"] = totals->affected;
    Json sources = Json::array();
    for (const auto& s : *stats) {
      Json j;
      j["name"] = s.name;
      j["advisories"] = s.advisory_count;
      j["affected"] = s.affected_count;
      if (!s.imported_at.empty()) j["imported_at"] = s.imported_at;
      sources.push_back(std::move(j));
    }
    doc["sources"] = std::move(sources);
    if (int rc = write_text(c.db, doc.dump(2) + "\n"); rc != kExitOk) return rc;
  } else {
    std::vector<std::vector<std::string>> rows;
    for (const auto& s : *stats) {
      rows.push_back({s.name, std::to_string(s.advisory_count), std::to_string(s.affected_count), s.imported_at});
    }
    std::string text = report::plain_table({"SOURCE", "ADVISORIES", "AFFECTED", "CHANGED"}, rows, color_out(c.db));
    text +=
        fmt::format("{} advisories, {} aliases, {} affected entries from {} sources; {} on disk\n", totals->advisories,
                    totals->aliases, totals->affected, stats->size(), util::human_bytes(ec ? 0 : size));
    text += fmt::format("last updated: {}{}\ndatabase: {}\n", updated.empty() ? "never" : updated,
                        age_days ? fmt::format(" ({:.1f} days ago)", *age_days) : std::string(), path.string());
    if (int rc = write_text(c.db, text); rc != kExitOk) return rc;
  }
  if (stale) {
    std::fprintf(stderr, "bulwark: warning: the advisory database is %s; run `bulwark db update`\n",
                 age_days ? fmt::format("{:.1f} days old (more than {})", *age_days, limit).c_str() : "of unknown age");
    if (c.max_age_days >= 0) return kExitStale;
  }
  return kExitOk;
}

}  // namespace

void register_db(CLI::App& app, int& exit_code) {
  auto* db = app.add_subcommand("db", "Manage the vulnerability advisory database (import, update, status)");
  db->require_subcommand(1);
  db->footer(
      "Examples:\n"
      "  bulwark db update\n"
      "  bulwark db update --ecosystems PyPI,npm,alpine --mirror https://mirror.example/bulwark\n"
      "  bulwark db import ./advisories/ go-vulndb.zip alpine-v3.20-main.json DSA/list\n"
      "  bulwark db status --max-age 3\n"
      "\n"
      "The database is $BULWARK_DB, else <cache dir>/db/bulwark.db (see docs/database.md).");

  auto imp = std::make_shared<ImportCmd>();
  auto* icmd = db->add_subcommand("import", "Import advisory files, folders or archives into the database");
  icmd->footer(
      "Formats are recognised by name and content: OSV JSON/YAML (Go vulndb, PyPA, GHSA, RustSec export),\n"
      "Alpine secdb, Wolfi advisories, Debian DSA/DLA/DTSA and CVE lists, RustSec Markdown, Node security-wg;\n"
      "folders are walked, and .zip / .tar(.gz|.zst) archives read in place. Importing the same data again\n"
      "changes nothing. Records that fail to parse are counted and listed with file and reason.\n"
      "\n"
      "Examples:\n"
      "  bulwark db import osv-PyPI-all.zip\n"
      "  bulwark db import ../shared/data/advisories/ --db /tmp/test.db --format json");
  icmd->add_option("PATH", imp->paths, "Files, folders or archives")->required();
  add_db_options(*icmd, imp->db, true);
  icmd->callback([imp, &exit_code] { exit_code = run_import(*imp); });

  auto upd = std::make_shared<UpdateCmd>();
  auto* ucmd = db->add_subcommand("update", "Download the advisory feeds (OSV, Alpine secdb, Debian tracker)");
  ucmd->footer(
      "Feeds: OSV all.zip per ecosystem, Alpine secdb per release and repository, Debian DSA and DLA lists.\n"
      "Requests are conditional (ETag / Last-Modified), so an up-to-date feed costs one request.\n"
      "The new database is built beside the old one and swapped in only when every feed succeeded:\n"
      "a failed update leaves the old database as it was. TLS is always verified.\n"
      "--mirror URL serves URL/osv/<Ecosystem>/all.zip, URL/alpine/<release>/<repo>.json, URL/debian/DSA/list.\n"
      "\n"
      "Examples:\n"
      "  bulwark db update\n"
      "  bulwark db update --ecosystems PyPI,npm,debian\n"
      "  bulwark db update --ecosystems alpine --alpine-releases v3.19,v3.20 --format json");
  ucmd->add_option("--mirror", upd->mirror, "Base URL of a mirror of the feeds")->type_name("URL");
  ucmd->add_option("--ecosystems", upd->ecosystems,
                   "Feeds to fetch: OSV ecosystems (PyPI, npm, Go, Maven, crates.io, RubyGems, ...), alpine, debian "
                   "(default: PyPI,npm,Go,Maven,crates.io,RubyGems,alpine,debian)")
      ->type_name("LIST");
  ucmd->add_option("--alpine-releases", upd->alpine_releases, "Alpine releases (default v3.18,v3.19,v3.20,v3.21,edge)")
      ->type_name("LIST");
  ucmd->add_option("--max-download-size", upd->max_download_mib, "Limit: MiB of one feed download (default 2048)");
  add_db_options(*ucmd, upd->db, true);
  ucmd->callback([upd, &exit_code] { exit_code = run_update(*upd); });

  auto st = std::make_shared<StatusCmd>();
  auto* scmd = db->add_subcommand("status", "Show the database's sources, counts, size and age");
  scmd->footer(
      "Warns when the database is older than --warn-age days (default 7). With --max-age DAYS it also\n"
      "exits 1 when older than that, for CI jobs that must not scan with stale data.\n"
      "\n"
      "Examples:\n"
      "  bulwark db status\n"
      "  bulwark db status --format json --max-age 2");
  scmd->add_option("--warn-age", st->warn_days, "Warn when older than this many days (default 7)")
      ->check(CLI::NonNegativeNumber);
  scmd->add_option("--max-age", st->max_age_days, "Exit 1 when older than this many days")
      ->check(CLI::NonNegativeNumber);
  add_db_options(*scmd, st->db, true);
  scmd->callback([st, &exit_code] { exit_code = run_status(*st); });
}

BULWARK_COMMAND(db, 50, register_db);

}  // namespace bulwark::cli
