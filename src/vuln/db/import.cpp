#include "vuln/db/import.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "util/files.hpp"
#include "util/strings.hpp"

namespace bulwark::vuln::db {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

bool ends_with_any(std::string_view name, std::initializer_list<std::string_view> suffixes) {
  const std::string lower = util::to_lower(name);
  return std::any_of(suffixes.begin(), suffixes.end(), [&](std::string_view s) { return lower.ends_with(s); });
}

bool is_archive_name(std::string_view name) {
  return ends_with_any(name, {".zip", ".tar", ".tar.gz", ".tgz", ".tar.zst", ".tzst", ".tar.xz", ".tar.bz2"});
}

std::string_view base_name(std::string_view path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string_view parent_name(std::string_view path) {
  const auto slash = path.find_last_of('/');
  if (slash == std::string_view::npos) return {};
  return base_name(path.substr(0, slash));
}

std::string_view stem(std::string_view name) {
  const auto dot = name.find('.');
  return dot == std::string_view::npos ? name : name.substr(0, dot);
}

std::string_view first_line(std::string_view text) {
  const auto start = text.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos) return {};
  text.remove_prefix(start);
  return text.substr(0, text.find('\n'));
}

// Node security-wg index.json files map "1", "2", ... to the records that also exist
// one per file; importing them would count every advisory twice.
bool is_numbered_index(const json& doc) {
  if (!doc.is_object() || doc.empty()) return false;
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    const std::string& key = it.key();
    const bool digits =
        !key.empty() && std::all_of(key.begin(), key.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits || !it.value().is_object()) return false;
  }
  return true;
}

class Importer {
 public:
  Importer(Store& store, core::Diagnostics& diags, const ImportOptions& options)
      : store_(store), diags_(diags), options_(options) {}

  Status path(const fs::path& p, std::uint32_t depth) {
    std::error_code ec;
    const auto st = fs::symlink_status(p, ec);
    if (ec) return fail(ErrorCode::not_found, ec.message(), p.string());
    if (fs::is_directory(st)) return folder(p, depth);
    if (fs::is_symlink(st) && depth > 0) return {};  // inside a folder: never followed
    const std::string name = p.string();
    if (is_archive_name(name)) return archive(p);
    if (is_candidate(name)) {
      auto content = util::read_file(p, options_.limits.max_document_bytes);
      if (!content) {
        ++report_.documents;
        ++report_.failed_documents;
        diags_.error("bad-document", name, content.error().message);
        return {};
      }
      if (name.ends_with(".xml.gz")) {
        auto plain = gunzip(*content, options_.limits.max_document_bytes);
        if (!plain) {
          ++report_.documents;
          ++report_.failed_documents;
          diags_.error("bad-document", name, plain.error().message);
          return {};
        }
        return document(name.substr(0, name.size() - 3), *plain);
      }
      return document(name, *content);
    }
    ++report_.documents;
    ++report_.skipped;
    return {};
  }

  // A gzip member (updateinfo.xml.gz), inflated up to max bytes.
  static Result<std::string> gunzip(std::string_view in, std::uint64_t max) {
    z_stream zs{};
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return fail(ErrorCode::io, "zlib: inflateInit2 failed");
    std::string out;
    char buf[64 * 1024];
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs.avail_in = static_cast<uInt>(in.size());
    int rc = Z_OK;
    while (rc != Z_STREAM_END) {
      zs.next_out = reinterpret_cast<Bytef*>(buf);
      zs.avail_out = sizeof buf;
      rc = inflate(&zs, Z_NO_FLUSH);
      if (rc != Z_OK && rc != Z_STREAM_END) {
        inflateEnd(&zs);
        return fail(ErrorCode::parse, "not a readable gzip stream");
      }
      out.append(buf, sizeof buf - zs.avail_out);
      if (out.size() > max) {
        inflateEnd(&zs);
        return fail(ErrorCode::limit, "expands beyond the document size limit");
      }
      if (rc != Z_STREAM_END && zs.avail_in == 0 && zs.avail_out != 0) {
        inflateEnd(&zs);
        return fail(ErrorCode::parse, "truncated gzip stream");
      }
    }
    inflateEnd(&zs);
    return out;
  }

  Status finish() {
    if (options_.prune == PruneMode::remove_unseen) {
      std::map<std::string, std::set<std::string>> ids;
      for (const auto& [key, modified] : seen_) ids[key.first].insert(key.second);
      for (auto& [source, keep] : ids) {
        auto removed = store_.remove_others(source, keep);
        if (!removed) return std::unexpected(removed.error());
        report_.removed += *removed;
        if (*removed > 0) touched_[source] = true;
      }
    }
    for (const auto& [source, changed] : touched_) {
      if (auto s = store_.record_source(source, options_.meta, changed); !s) return s;
    }
    return {};
  }

  ImportReport& report() { return report_; }

 private:
  Store& store_;
  core::Diagnostics& diags_;
  const ImportOptions& options_;
  ImportReport report_;
  std::map<std::pair<std::string, std::string>, std::string> seen_;  // (source, id) -> modified of the kept one
  std::map<std::string, bool> touched_;                              // source -> did any row change

  static bool is_candidate(std::string_view name) {
    const auto base = base_name(name);
    return ends_with_any(name, {".json", ".yaml", ".yml", ".md", ".xml", ".xml.gz"}) || base == "list" ||
           base.ends_with(".list") || base.starts_with("CVE.list");
  }

  Status folder(const fs::path& root, std::uint32_t depth) {
    if (depth >= options_.limits.max_folder_depth) {
      diags_.warning("limit", root.string(), "folder nesting deeper than the limit; not entered");
      return {};
    }
    std::vector<fs::path> children;
    std::error_code ec;
    for (fs::directory_iterator it(root, fs::directory_options::skip_permission_denied, ec), end; !ec && it != end;
         it.increment(ec)) {
      children.push_back(it->path());
    }
    if (ec) return fail(ErrorCode::io, ec.message(), root.string());
    // Sorted, so that which of two duplicates wins does not depend on the file system.
    std::sort(children.begin(), children.end());
    for (const auto& child : children) {
      if (auto s = path(child, depth + 1); !s) return s;
    }
    return {};
  }

  Status archive(const fs::path& p) {
    using ArchivePtr = std::unique_ptr<struct archive, decltype(&archive_read_free)>;
    ArchivePtr a(archive_read_new(), &archive_read_free);
    archive_read_support_filter_all(a.get());
    archive_read_support_format_tar(a.get());
    archive_read_support_format_zip(a.get());
    if (archive_read_open_filename(a.get(), p.c_str(), 64 * 1024) != ARCHIVE_OK) {
      ++report_.failed_documents;
      diags_.error("bad-archive", p.string(), archive_error_string(a.get()) ? archive_error_string(a.get()) : "?");
      return {};
    }
    std::uint64_t entries = 0;
    std::uint64_t total = 0;
    archive_entry* entry = nullptr;
    int rc = ARCHIVE_OK;
    while ((rc = archive_read_next_header(a.get(), &entry)) == ARCHIVE_OK) {
      if (++entries > options_.limits.max_archive_entries) {
        diags_.error("limit", p.string(), "more archive entries than the limit; the rest is not imported");
        return {};
      }
      if (archive_entry_filetype(entry) != AE_IFREG) continue;
      const char* raw_name = archive_entry_pathname(entry);
      const std::string member = raw_name ? raw_name : "";
      const std::string name = fmt::format("{}!{}", p.string(), member);
      if (!is_candidate(member)) {
        ++report_.documents;
        ++report_.skipped;
        continue;
      }
      const auto size = archive_entry_size(entry);
      if (size < 0 || static_cast<std::uint64_t>(size) > options_.limits.max_document_bytes) {
        ++report_.documents;
        ++report_.failed_documents;
        diags_.error("limit", name, "member larger than the document size limit; skipped");
        continue;
      }
      total += static_cast<std::uint64_t>(size);
      if (total > options_.limits.max_archive_bytes) {
        diags_.error("limit", p.string(), "archive expands beyond the size limit; the rest is not imported");
        return {};
      }
      std::string content(static_cast<std::size_t>(size), '\0');
      std::size_t got = 0;
      while (got < content.size()) {
        const auto n = archive_read_data(a.get(), content.data() + got, content.size() - got);
        if (n <= 0) break;
        got += static_cast<std::size_t>(n);
      }
      if (got != content.size()) {
        ++report_.documents;
        ++report_.failed_documents;
        diags_.error("bad-archive", name, "truncated member");
        continue;
      }
      if (auto s = document(name, content); !s) return s;
    }
    if (rc != ARCHIVE_EOF) {
      diags_.error("bad-archive", p.string(),
                   archive_error_string(a.get()) ? archive_error_string(a.get()) : "unreadable archive");
    }
    return {};
  }

  Status document(const std::string& name, std::string_view content) {
    ++report_.documents;
    ParseLog log(diags_, name);
    const auto base = base_name(name);
    std::vector<Advisory> advisories;
    Format format = Format::not_advisory;
    if (ends_with_any(name, {".md"})) {
      if (first_line(content).starts_with("```toml")) {
        format = Format::rustsec;
        advisories =
            parse_rustsec_markdown(content, parent_name(name.substr(0, name.size() - base.size() - 1)) == "rust", log);
      }
    } else if (ends_with_any(name, {".json"})) {
      const json doc = parse_json_document(content, options_.limits, log);
      if (doc.is_discarded()) {
        ++report_.failed_documents;
        return {};
      }
      if (const auto release = photon_release(base); !release.empty() && doc.is_array()) {
        format = Format::photon;
        advisories = parse_photon(doc, release, log);
      } else {
        format = classify_tree(doc, false);
        advisories = parse_tree(doc, format, base, "alpine", log);
      }
    } else if (ends_with_any(name, {".xml"})) {
      if (content.find("<cvrfdoc") != std::string_view::npos) {
        format = Format::suse_cvrf;
        advisories = parse_suse_cvrf(content, log);
      } else if (content.find("<oval_definitions") != std::string_view::npos &&
                 content.find("com.oracle.elsa") != std::string_view::npos) {
        format = Format::oracle_oval;
        advisories = parse_oracle_oval(content, log);
      } else if (content.find("<oval_definitions") != std::string_view::npos &&
                 (content.find("oval:com.microsoft.azurelinux:") != std::string_view::npos ||
                  content.find("oval:com.microsoft.cbl-mariner:") != std::string_view::npos)) {
        format = Format::azure_oval;
        advisories = parse_azure_oval(content, log);
      } else if (content.find("<updates") != std::string_view::npos) {
        format = Format::alas_updateinfo;
        advisories = parse_alas_updateinfo(content, log);
      }
    } else if (ends_with_any(name, {".yaml", ".yml"})) {
      const json doc = parse_yaml_document(content, options_.limits, log);
      if (doc.is_discarded()) {
        ++report_.failed_documents;
        return {};
      }
      format = classify_tree(doc, true);
      // The 2020 YAML secdb is an older snapshot of the same feed: kept apart so that
      // importing both does not make one replace the other's entries.
      advisories = parse_tree(doc, format, base, "alpine-yaml", log);
    } else {
      const auto line = first_line(content);
      const auto parent = parent_name(name);
      if (line.starts_with("CVE-") || line.starts_with("TEMP-")) {
        format = Format::debian_cve_list;
        advisories = parse_debian_cve_list(content, log);
      } else if (line.starts_with("[")) {
        format = Format::debian_advisory_list;
        std::string kind(base == "list" ? parent : stem(base));
        advisories = parse_debian_advisory_list(content, "debian-" + util::to_lower(kind), log);
      }
    }
    if (format == Format::not_advisory) {
      ++report_.skipped;
      return {};
    }
    if (advisories.size() > options_.limits.max_records_per_document) {
      diags_.error("limit", name,
                   fmt::format("{} records, more than the limit of {}; the rest is not imported", advisories.size(),
                               options_.limits.max_records_per_document));
      advisories.resize(options_.limits.max_records_per_document);
    }
    ++report_.documents_by_format[std::string(to_string(format))];
    if (log.document_failed()) ++report_.failed_documents;
    report_.rejected += log.rejected();
    for (const auto& [k, v] : log.counters()) {
      if (k != "records") report_.counters[k] += v;
    }
    return store_all(advisories, log);
  }

  static Format classify_tree(const json& doc, bool yaml) {
    if (!doc.is_object() || is_numbered_index(doc)) return Format::not_advisory;
    if (doc.contains("distroversion") && doc.contains("packages")) return Format::alpine_secdb;
    if (yaml && doc.contains("schema-version") && doc.contains("package")) return Format::wolfi;
    if (doc.contains("module_name") && doc.contains("vulnerable_versions")) return Format::nodejs_wg;
    if (doc.contains("vulnerable") && doc.contains("patched")) return Format::nodejs_wg;
    // CSAF: a "document" object with a csaf_* category. The parser refuses what it cannot read
    // (RHSA advisories, other publishers) with the reason, rather than skipping it unseen.
    if (const auto d = doc.find("document"); d != doc.end() && d->is_object() && d->contains("category") &&
                                             (*d)["category"].is_string() &&
                                             (*d)["category"].get<std::string>().starts_with("csaf_"))
      return Format::redhat_csaf;
    if (doc.contains("ghsa_id")) return Format::not_advisory;  // GitHub REST shape; its .osv.json twin is imported
    if (doc.contains("id") && doc["id"].is_string() &&
        (doc.contains("modified") || doc.contains("affected") || doc.contains("schema_version")))
      return Format::osv;
    return Format::not_advisory;
  }

  static std::vector<Advisory> parse_tree(const json& doc, Format format, std::string_view base,
                                          std::string_view alpine_prefix, ParseLog& log) {
    switch (format) {
      case Format::osv: return parse_osv(doc, log);
      case Format::alpine_secdb: return parse_alpine_secdb(doc, alpine_prefix, log);
      case Format::wolfi: return parse_wolfi(doc, log);
      case Format::redhat_csaf: return parse_redhat_csaf(doc, log);
      case Format::nodejs_wg:
        return parse_nodejs_wg(doc, doc.contains("module_name") ? NodeWgKind::npm : NodeWgKind::core, stem(base), log);
      default: return {};
    }
  }

  Status store_all(const std::vector<Advisory>& advisories, ParseLog& log) {
    for (const auto& a : advisories) {
      ++report_.records;
      ++report_.records_by_source[a.source];
      auto [it, first] = seen_.try_emplace({a.source, a.id}, a.modified);
      if (!first) {
        // The newer twin wins; between equally new twins the first does. "Last one wins"
        // would make two different twins rewrite each other on every re-import.
        ++report_.duplicates;
        const bool newer = !a.modified.empty() && a.modified > it->second;
        log.warn(a.id, "duplicate-id",
                 fmt::format("{} {} also comes from another document in this import; {}", a.source, a.id,
                             newer ? "this newer copy replaces it" : "this copy is skipped"));
        if (!newer) continue;
        it->second = a.modified;
      }
      auto outcome = store_.upsert(a);
      if (!outcome) return std::unexpected(outcome.error().within(log.file()));
      bool& changed = touched_[a.source];
      switch (*outcome) {
        case UpsertOutcome::inserted:
          ++report_.inserted;
          changed = true;
          break;
        case UpsertOutcome::updated:
          ++report_.updated;
          changed = true;
          break;
        case UpsertOutcome::unchanged: ++report_.unchanged; break;
        case UpsertOutcome::stale: ++report_.stale; break;
      }
    }
    return {};
  }
};

}  // namespace

std::string_view to_string(Format f) noexcept {
  switch (f) {
    case Format::osv: return "osv";
    case Format::alpine_secdb: return "alpine-secdb";
    case Format::wolfi: return "wolfi";
    case Format::debian_advisory_list: return "debian-advisory-list";
    case Format::debian_cve_list: return "debian-cve-list";
    case Format::alas_updateinfo: return "alas-updateinfo";
    case Format::redhat_csaf: return "redhat-csaf";
    case Format::suse_cvrf: return "suse-cvrf";
    case Format::oracle_oval: return "oracle-oval";
    case Format::photon: return "photon";
    case Format::azure_oval: return "azure-linux-oval";
    case Format::rustsec: return "rustsec";
    case Format::nodejs_wg: return "nodejs-security-wg";
    case Format::not_advisory: return "not-advisory";
  }
  return "?";
}

Result<ImportReport> import_paths(const std::vector<std::filesystem::path>& paths, Store& store,
                                  core::Diagnostics& diags, const ImportOptions& options) {
  Importer importer(store, diags, options);
  if (auto s = store.begin(); !s) return std::unexpected(s.error());
  for (const auto& p : paths) {
    if (auto s = importer.path(p, 0); !s) {
      store.rollback();
      return std::unexpected(s.error());
    }
  }
  if (auto s = importer.finish(); !s) {
    store.rollback();
    return std::unexpected(s.error());
  }
  if (auto s = store.commit(); !s) return std::unexpected(s.error());
  return std::move(importer.report());
}

}  // namespace bulwark::vuln::db
