// `bulwark db update` (update.hpp): conditional downloads, verification, and a
// rebuild on a copy that replaces the database only when everything succeeded.
#include "vuln/db/update.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>

#include "util/fd.hpp"
#include "util/files.hpp"
#include "util/http.hpp"
#include "util/strings.hpp"

namespace bulwark::vuln::db {

namespace fs = std::filesystem;

namespace {

std::string trim_slash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

std::string now_utc() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

using util::Fd;

// Removes a file on scope exit unless released.
class TempFile {
 public:
  explicit TempFile(fs::path p) : path_(std::move(p)) {}
  ~TempFile() {
    if (path_.empty()) return;
    std::error_code ec;
    fs::remove(path_, ec);
    fs::remove(fs::path(path_.string() + "-journal"), ec);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  [[nodiscard]] const fs::path& path() const noexcept { return path_; }
  void release() noexcept { path_.clear(); }

 private:
  fs::path path_;
};

struct FeedState {
  std::string etag;
  std::string last_modified;
};

std::string meta_key(const Feed& feed) {
  return "feed:" + util::redact_url(feed.url);
}

FeedState read_state(const Store& store, const Feed& feed) {
  FeedState state;
  auto value = store.get_meta(meta_key(feed));
  if (!value || !*value) return state;
  auto j = nlohmann::json::parse(**value, nullptr, false);
  if (!j.is_object()) return state;
  state.etag = j.value("etag", "");
  state.last_modified = j.value("last_modified", "");
  return state;
}

Status fsync_path(const fs::path& path, int flags) {
  Fd fd(::open(path.c_str(), flags | O_CLOEXEC));
  if (fd.get() < 0 || ::fsync(fd.get()) != 0) return fail(ErrorCode::io, std::strerror(errno), path.string());
  return {};
}

// Downloads one feed to dest. Returns the response (status 200 or 304).
Result<util::HttpResponse> download(util::HttpClient& client, const Feed& feed, const FeedState& state,
                                    const fs::path& dest, std::uint64_t max_bytes, std::uint64_t& received) {
  std::error_code ec;
  fs::create_directories(dest.parent_path(), ec);
  if (ec) return fail(ErrorCode::io, ec.message(), dest.parent_path().string());
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> out(std::fopen(dest.c_str(), "wbe"), &std::fclose);
  if (!out) return fail(ErrorCode::io, std::strerror(errno), dest.string());
  util::HttpRequest request;
  request.url = feed.url;
  if (!state.etag.empty()) request.headers.emplace_back("If-None-Match", state.etag);
  if (!state.last_modified.empty()) request.headers.emplace_back("If-Modified-Since", state.last_modified);
  received = 0;
  auto response = client.fetch_to(request, [&](std::string_view chunk) -> Status {
    received += chunk.size();
    if (received > max_bytes) {
      return fail(ErrorCode::limit, fmt::format("larger than the limit of {}", util::human_bytes(max_bytes)));
    }
    if (std::fwrite(chunk.data(), 1, chunk.size(), out.get()) != chunk.size()) {
      return fail(ErrorCode::io, std::strerror(errno), dest.string());
    }
    return {};
  });
  if (std::fflush(out.get()) != 0) return fail(ErrorCode::io, std::strerror(errno), dest.string());
  if (!response) return response;
  if (response->status == 304) return response;
  if (response->status != 200) {
    // A short plain-text reason helps; an HTML error page does not.
    std::string body = util::printable(util::trim(response->body.substr(0, 160)));
    if (body.starts_with('<') || body.find("\\x0a") != std::string::npos) body.clear();
    return fail(ErrorCode::network,
                fmt::format("HTTP {}{}", response->status, body.empty() ? std::string() : ": " + body));
  }
  if (auto length = response->headers.get("Content-Length")) {
    auto expected = util::parse_u64(util::trim(*length));
    if (expected && *expected != received) {
      return fail(ErrorCode::network,
                  fmt::format("incomplete download: {} bytes of {} announced by Content-Length", received, *expected));
    }
  }
  if (received == 0) return fail(ErrorCode::network, "empty response");
  return response;
}

}  // namespace

void use_mirror(UpdateOptions& options, std::string mirror) {
  mirror = trim_slash(std::move(mirror));
  options.osv_base = mirror + "/osv";
  options.alpine_base = mirror + "/alpine";
  options.debian_base = mirror + "/debian";
}

Status select_ecosystems(UpdateOptions& options, const std::vector<std::string>& names) {
  std::vector<std::string> osv;
  bool alpine = false;
  bool debian = false;
  for (const auto& raw : names) {
    for (auto part : util::split(raw, ',')) {
      auto name = std::string(util::trim(part));
      if (name.empty()) continue;
      if (util::iequals(name, "alpine")) {
        alpine = true;
        continue;
      }
      if (util::iequals(name, "debian")) {
        debian = true;
        continue;
      }
      // OSV names its folders exactly (PyPI, crates.io); accept any case and keep OSV's spelling.
      static const char* const kKnown[] = {"PyPI",      "npm",    "Go",        "Maven",      "crates.io", "RubyGems",
                                           "Packagist", "NuGet",  "Hex",       "Pub",        "Alpine",    "Debian",
                                           "Wolfi",     "Ubuntu", "AlmaLinux", "Rocky Linux"};
      const char* found = nullptr;
      for (const char* k : kKnown) {
        if (util::iequals(name, k)) found = k;
      }
      if (!found) {
        return fail(ErrorCode::invalid_argument,
                    fmt::format("unknown ecosystem \"{}\" (OSV: PyPI, npm, Go, Maven, crates.io, RubyGems, Packagist, "
                                "NuGet, Hex, Pub, Wolfi, ...; distro feeds: alpine, debian)",
                                name));
      }
      osv.emplace_back(found);
    }
  }
  options.osv_ecosystems = std::move(osv);
  if (!alpine) options.alpine_releases.clear();
  if (!debian) options.debian_lists.clear();
  return {};
}

std::vector<Feed> plan_feeds(const UpdateOptions& options) {
  std::vector<Feed> feeds;
  const auto osv = trim_slash(options.osv_base);
  for (const auto& eco : options.osv_ecosystems) {
    feeds.push_back(
        {"osv:" + eco, osv + "/" + util::url_encode(eco) + "/all.zip", "osv/" + eco + "/all.zip", FeedKind::osv_zip});
  }
  const auto alpine = trim_slash(options.alpine_base);
  for (const auto& release : options.alpine_releases) {
    for (const auto& repo : options.alpine_repos) {
      feeds.push_back({"alpine:" + release + "/" + repo, alpine + "/" + release + "/" + repo + ".json",
                       "alpine/" + release + "/" + repo + ".json", FeedKind::alpine_secdb});
    }
  }
  const auto debian = trim_slash(options.debian_base);
  for (const auto& list : options.debian_lists) {
    feeds.push_back(
        {"debian:" + list, debian + "/" + list + "/list", "debian/" + list + "/list", FeedKind::debian_list});
  }
  return feeds;
}

// libarchive may have no message for a failure (a null pointer): never format a null.
static const char* archive_message(archive* a) {
  const char* msg = archive_error_string(a);
  return msg != nullptr ? msg : "unknown error";
}

Status verify_zip(const fs::path& path, std::uint64_t max_entries, std::uint64_t max_bytes) {
  std::unique_ptr<archive, int (*)(archive*)> a(archive_read_new(), &archive_read_free);
  archive_read_support_format_zip(a.get());
  if (archive_read_open_filename(a.get(), path.c_str(), 1 << 16) != ARCHIVE_OK) {
    return fail(ErrorCode::parse, fmt::format("not a zip archive: {}", archive_message(a.get())), path.string());
  }
  std::uint64_t entries = 0;
  std::uint64_t total = 0;
  std::vector<char> buf(1 << 16);
  for (;;) {
    archive_entry* entry = nullptr;
    int rc = archive_read_next_header(a.get(), &entry);
    if (rc == ARCHIVE_EOF) break;
    if (rc != ARCHIVE_OK) {
      return fail(ErrorCode::parse, fmt::format("corrupt zip archive: {}", archive_message(a.get())), path.string());
    }
    if (++entries > max_entries) {
      return fail(ErrorCode::limit, fmt::format("more than {} members", max_entries), path.string());
    }
    for (;;) {
      la_ssize_t n = archive_read_data(a.get(), buf.data(), buf.size());
      if (n == 0) break;
      if (n < 0) {
        return fail(ErrorCode::parse,
                    fmt::format("corrupt zip archive at {}: {}", util::printable(archive_entry_pathname(entry)),
                                archive_message(a.get())),
                    path.string());
      }
      total += static_cast<std::uint64_t>(n);
      if (total > max_bytes) {
        return fail(ErrorCode::limit, fmt::format("unpacks to more than {}", util::human_bytes(max_bytes)),
                    path.string());
      }
    }
  }
  if (entries == 0) return fail(ErrorCode::parse, "empty zip archive", path.string());
  return {};
}

Result<UpdateReport> update_database(const fs::path& given_path, const UpdateOptions& options, core::Progress& progress,
                                     core::Diagnostics& diags) {
  UpdateReport report;
  report.path = given_path;
  // The database is replaced by a rename: only ever over a regular file (a symlink's target, never the
  // link itself, never a device).
  auto resolved = util::resolve_output(given_path);
  if (!resolved) return std::unexpected(resolved.error());
  if (resolved->kind != util::OutputTarget::Kind::replace) {
    return fail(ErrorCode::invalid_argument, "the vulnerability database must be a regular file", given_path.string());
  }
  const fs::path db_path = resolved->path;
  const fs::path dir = db_path.parent_path().empty() ? fs::path(".") : db_path.parent_path();
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return fail(ErrorCode::io, ec.message(), dir.string());

  // One update at a time per database.
  const fs::path lock_path = db_path.string() + ".lock";
  Fd lock(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (lock.get() < 0) return fail(ErrorCode::io, std::strerror(errno), lock_path.string());
  if (::flock(lock.get(), LOCK_EX | LOCK_NB) != 0) {
    return fail(ErrorCode::io, "another `bulwark db update` is running on this database", db_path.string());
  }

  // The working copy: the old database when it is sound, else an empty one.
  TempFile work(db_path.string() + fmt::format(".update-{}", ::getpid()));
  fs::remove(work.path(), ec);
  if (fs::exists(db_path)) {
    bool sound = false;
    {
      auto old = Store::open(db_path, OpenMode::read_only);
      if (!old) {
        diags.warning(
            "db", db_path.string(),
            fmt::format("the existing database cannot be used ({}); building a new one", old.error().message));
      } else if (auto st = old->check_integrity(); !st) {
        diags.warning("db", db_path.string(),
                      fmt::format("the existing database is damaged ({}); building a new one", st.error().message));
      } else {
        sound = true;
      }
    }
    if (sound) {
      fs::copy_file(db_path, work.path(), fs::copy_options::overwrite_existing, ec);
      if (ec)
        return fail(ErrorCode::io, fmt::format("cannot copy the database: {}", ec.message()), work.path().string());
    }
  }
  auto store = Store::open(work.path(), OpenMode::read_write);
  if (!store) return std::unexpected(store.error());

  auto downloads_dir = util::make_temp_dir(dir, ".bulwark-feeds");
  if (!downloads_dir) return std::unexpected(downloads_dir.error());
  util::ScopedDir downloads(*downloads_dir);

  util::HttpOptions http;
  http.tls = options.tls_verify ? util::TlsCheck::verify : util::TlsCheck::skip;
  http.connect_timeout = std::chrono::seconds(30);
  http.stall_timeout = std::chrono::seconds(60);
  util::HttpClient client(http);

  bool changed = false;
  for (const auto& feed : plan_feeds(options)) {
    FeedReport fr;
    fr.feed = feed;
    const auto fail_feed = [&](const Error& e) {
      return fail(e.code, e.context.empty() ? e.message : e.message + " (" + e.context + ")",
                  fmt::format("feed {} ({})", feed.name, util::redact_url(feed.url)));
    };
    progress.note(fmt::format("{}: checking {}", feed.name, util::redact_url(feed.url)));
    const FeedState state = read_state(*store, feed);
    const fs::path file = downloads.path() / feed.file;
    auto response = download(client, feed, state, file, options.max_feed_bytes, fr.bytes);
    if (!response) return fail_feed(response.error());
    if (response->status == 304) {
      fr.outcome = FeedOutcome::not_modified;
      fr.bytes = 0;
      report.feeds.push_back(std::move(fr));
      continue;
    }
    fr.outcome = FeedOutcome::downloaded;
    if (feed.kind == FeedKind::osv_zip) {
      progress.note(fmt::format("{}: verifying {}", feed.name, util::human_bytes(fr.bytes)));
      if (auto st = verify_zip(file, options.max_zip_entries, options.max_unpacked_bytes); !st) {
        return fail_feed(Error{st.error().code, st.error().message, ""});
      }
    }
    progress.note(fmt::format("{}: importing", feed.name));
    ImportOptions io;
    io.limits = options.limits;
    io.prune = feed.kind == FeedKind::osv_zip ? PruneMode::keep : PruneMode::remove_unseen;
    core::Diagnostics feed_diags;
    auto imported = import_paths({file}, *store, feed_diags, io);
    for (auto d : feed_diags.items()) {
      // Name the feed, not the temporary download path.
      if (d.file.starts_with(file.string())) d.file = feed.url + d.file.substr(file.string().size());
      diags.add(std::move(d));
    }
    if (!imported) return fail_feed(imported.error());
    if (imported->skipped > 0 || (imported->failed_documents > 0 && imported->records == 0)) {
      return fail_feed(Error{ErrorCode::parse, "the download is not advisory data of the expected format", ""});
    }
    fr.import = std::move(*imported);
    nlohmann::json st;
    if (auto etag = response->headers.get("ETag")) st["etag"] = *etag;
    if (auto lm = response->headers.get("Last-Modified")) st["last_modified"] = *lm;
    st["fetched_at"] = now_utc();
    if (auto s = store->set_meta(meta_key(feed), st.dump()); !s) return fail_feed(s.error());
    changed = true;
    report.feeds.push_back(std::move(fr));
  }

  if (!changed) return report;  // every feed answered 304: the old file stays as it is
  if (auto s = store->set_meta("last_update", now_utc()); !s) return std::unexpected(s.error());
  if (auto s = store->check_integrity(); !s) return std::unexpected(s.error());
  { auto closing = std::move(*store); }  // closes the connection before the rename
  if (auto s = fsync_path(work.path(), O_RDONLY); !s) return std::unexpected(s.error());
  if (::rename(work.path().c_str(), db_path.c_str()) != 0) {
    return fail(ErrorCode::io, fmt::format("cannot replace the database: {}", std::strerror(errno)), db_path.string());
  }
  work.release();
  (void)fsync_path(dir, O_RDONLY | O_DIRECTORY);
  report.replaced = true;
  return report;
}

}  // namespace bulwark::vuln::db
