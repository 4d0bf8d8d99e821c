#include "vuln/db/store.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <map>
#include <nlohmann/json.hpp>
#include <utility>

#include "util/files.hpp"
#include "util/sha256.hpp"

namespace bulwark::vuln::db {

std::filesystem::path default_db_path(const std::filesystem::path& cache_dir) {
  if (const char* env = std::getenv("BULWARK_DB"); env != nullptr && *env != '\0') return env;
  const auto base = cache_dir.empty() ? util::default_cache_dir() : cache_dir;
  return base / "db" / "bulwark.db";
}
namespace {

using nlohmann::json;

constexpr std::string_view kSchemaVersion = "1";

// Short event names keep the ranges column small: it is repeated for every entry.
std::string_view event_code(EventKind k) {
  switch (k) {
    case EventKind::introduced: return "i";
    case EventKind::fixed: return "f";
    case EventKind::last_affected: return "l";
    case EventKind::limit: return "m";
  }
  return "?";
}

std::optional<EventKind> event_from_code(std::string_view c) {
  if (c == "i") return EventKind::introduced;
  if (c == "f") return EventKind::fixed;
  if (c == "l") return EventKind::last_affected;
  if (c == "m") return EventKind::limit;
  return std::nullopt;
}

std::string encode_ranges(const std::vector<Range>& ranges) {
  if (ranges.empty()) return {};
  json out = json::array();
  for (const auto& r : ranges) {
    json events = json::array();
    for (const auto& e : r.events) {
      events.push_back(event_code(e.kind));
      events.push_back(e.version);
    }
    json item = json::array({std::string(to_string(r.type)).substr(0, 1), events});
    if (!r.repo.empty()) item.push_back(r.repo);
    out.push_back(std::move(item));
  }
  return out.dump();
}

std::vector<Range> decode_ranges(std::string_view text) {
  std::vector<Range> ranges;
  if (text.empty()) return ranges;
  const json in = json::parse(text, nullptr, false);
  if (!in.is_array()) return ranges;
  for (const auto& item : in) {
    if (!item.is_array() || item.size() < 2) continue;
    Range r;
    const auto t = item[0].get<std::string>();
    r.type = t == "S" ? RangeType::semver : t == "G" ? RangeType::git : RangeType::ecosystem;
    const auto& ev = item[1];
    for (std::size_t i = 0; i + 1 < ev.size(); i += 2) {
      if (auto k = event_from_code(ev[i].get<std::string>())) r.events.push_back({*k, ev[i + 1].get<std::string>()});
    }
    if (item.size() > 2) r.repo = item[2].get<std::string>();
    ranges.push_back(std::move(r));
  }
  return ranges;
}

std::string encode_strings(const std::vector<std::string>& v) {
  return v.empty() ? std::string() : json(v).dump();
}

std::vector<std::string> decode_strings(std::string_view text) {
  if (text.empty()) return {};
  const json in = json::parse(text, nullptr, false);
  if (!in.is_array()) return {};
  std::vector<std::string> out;
  for (const auto& s : in) {
    if (s.is_string()) out.push_back(s.get<std::string>());
  }
  return out;
}

std::string encode_requirements(const Requirements& r) {
  if (r.syntax == RequirementSyntax::none && r.empty()) return {};
  json out = {{"s", to_string(r.syntax)}};
  if (!r.vulnerable.empty()) out["v"] = r.vulnerable;
  if (!r.patched.empty()) out["p"] = r.patched;
  if (!r.unaffected.empty()) out["u"] = r.unaffected;
  return out.dump();
}

Requirements decode_requirements(std::string_view text) {
  Requirements r;
  if (text.empty()) return r;
  const json in = json::parse(text, nullptr, false);
  if (!in.is_object()) return r;
  r.syntax = requirement_syntax_from(in.value("s", "none")).value_or(RequirementSyntax::none);
  r.vulnerable = in.value("v", std::vector<std::string>{});
  r.patched = in.value("p", std::vector<std::string>{});
  r.unaffected = in.value("u", std::vector<std::string>{});
  return r;
}

std::string encode_references(const std::vector<Reference>& refs) {
  if (refs.empty()) return {};
  json out = json::array();
  for (const auto& r : refs) out.push_back(json::array({r.type, r.url}));
  return out.dump();
}

std::vector<Reference> decode_references(std::string_view text) {
  std::vector<Reference> refs;
  if (text.empty()) return refs;
  const json in = json::parse(text, nullptr, false);
  if (!in.is_array()) return refs;
  for (const auto& r : in) {
    if (r.is_array() && r.size() == 2) refs.push_back({r[0].get<std::string>(), r[1].get<std::string>()});
  }
  return refs;
}

// The digest covers every stored field, so "unchanged" really means byte-identical rows.
std::int64_t digest_of(const Advisory& a) {
  util::Sha256 h;
  auto put = [&h](std::string_view s) {
    h.update(s);
    h.update(std::string_view("\x1f", 1));
  };
  put(a.summary);
  put(a.published);
  put(a.modified);
  put(a.withdrawn);
  put(a.severity);
  for (const auto& c : a.cvss) put(c);
  put("|");
  put(encode_references(a.references));
  for (const auto& s : a.aliases) put(s);
  put("|");
  for (const auto& af : a.affected) {
    put(af.ecosystem);
    put(af.package);
    put(encode_ranges(af.ranges));
    put(encode_strings(af.versions));
    put(encode_requirements(af.requirements));
    put(to_string(af.state));
    put(af.note);
  }
  // 64 bits are plenty to notice a change, and an INTEGER column is 8 bytes, not 32.
  return static_cast<std::int64_t>(std::stoull(h.hex_digest().substr(0, 16), nullptr, 16));
}

std::string now_utc() {
  const auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string join_lines(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out.push_back('\n');
    out += s;
  }
  return out;
}

std::vector<std::string> split_lines(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    const auto nl = s.find('\n');
    out.emplace_back(s.substr(0, nl));
    if (nl == std::string_view::npos) break;
    s.remove_prefix(nl + 1);
  }
  return out;
}

// A prepared statement that resets itself, so one object serves many calls.
class Stmt {
 public:
  Stmt() = default;
  Stmt(sqlite3* db, std::string_view sql, std::string& error) {
    if (sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr) !=
        SQLITE_OK) {
      error = fmt::format("{} (in: {})", sqlite3_errmsg(db), sql);
    }
  }
  Stmt(Stmt&& o) noexcept : stmt_(std::exchange(o.stmt_, nullptr)) {}
  Stmt& operator=(Stmt&& o) noexcept {
    std::swap(stmt_, o.stmt_);
    return *this;
  }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt() { sqlite3_finalize(stmt_); }

  Stmt& reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    return *this;
  }
  Stmt& bind(int i, std::string_view s) {
    sqlite3_bind_text(stmt_, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
    return *this;
  }
  // Empty strings are stored as NULL: it keeps the file smaller.
  Stmt& bind_opt(int i, std::string_view s) {
    if (s.empty()) {
      sqlite3_bind_null(stmt_, i);
      return *this;
    }
    return bind(i, s);
  }
  Stmt& bind(int i, std::int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  // SQLITE_ROW, SQLITE_DONE or an error code.
  int step() { return sqlite3_step(stmt_); }
  [[nodiscard]] std::string text(int col) const {
    const auto* p = sqlite3_column_text(stmt_, col);
    return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)))
             : std::string();
  }
  [[nodiscard]] std::int64_t integer(int col) const { return sqlite3_column_int64(stmt_, col); }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace

struct Store::Impl {
  sqlite3* db = nullptr;
  std::filesystem::path path;
  OpenMode mode = OpenMode::read_only;
  Stmt find_advisory, insert_advisory, update_advisory, delete_aliases, delete_affected, insert_alias, insert_affected,
      lookup, advisory_by_pk, aliases_of, affected_of, by_alias, source_row, source_counts, upsert_source, find_source,
      insert_source;
  // Source names are stored once, in the source table; advisories carry its integer key.
  std::map<std::string, std::int64_t, std::less<>> sid_cache;
  bool tracking = false;
  Changes changes;
  Stmt keys_of;  // (ecosystem, package) of an advisory's affected entries

  Status note_old_keys(std::int64_t pk) {
    if (!tracking) return {};
    auto& s = keys_of.reset().bind(1, pk);
    int rc = 0;
    while ((rc = s.step()) == SQLITE_ROW) changes.packages.emplace(s.text(0), s.text(1));
    if (rc != SQLITE_DONE) return std::unexpected(db_error("affected keys"));
    return {};
  }

  // The source's key, or 0 when it does not exist and create is false.
  Result<std::int64_t> sid_of(std::string_view name, bool create) {
    if (auto it = sid_cache.find(name); it != sid_cache.end()) return it->second;
    auto& f = find_source.reset().bind(1, name);
    if (f.step() == SQLITE_ROW) {
      const auto sid = f.integer(0);
      sid_cache.emplace(std::string(name), sid);
      return sid;
    }
    if (!create) return 0;
    if (insert_source.reset().bind(1, name).step() != SQLITE_DONE) return std::unexpected(db_error("insert source"));
    const auto sid = sqlite3_last_insert_rowid(db);
    sid_cache.emplace(std::string(name), sid);
    return sid;
  }

  ~Impl() { sqlite3_close_v2(db); }

  Status exec(std::string_view sql) {
    char* msg = nullptr;
    if (sqlite3_exec(db, std::string(sql).c_str(), nullptr, nullptr, &msg) != SQLITE_OK) {
      std::string text = msg ? msg : "unknown error";
      sqlite3_free(msg);
      return fail(ErrorCode::io, fmt::format("sqlite: {}", text), path.string());
    }
    return {};
  }

  Error db_error(std::string_view what) const {
    return Error{ErrorCode::io, fmt::format("sqlite: {}: {}", what, sqlite3_errmsg(db)), path.string()};
  }

  Status prepare() {
    std::string error;
    auto make = [&](Stmt& s, std::string_view sql) {
      if (error.empty()) s = Stmt(db, sql, error);
    };
    make(find_advisory, "SELECT pk, digest, modified FROM advisory WHERE sid = ?1 AND id = ?2");
    make(find_source, "SELECT sid FROM source WHERE name = ?1");
    make(keys_of, "SELECT DISTINCT ecosystem, package FROM affected WHERE advisory = ?1");
    make(lookup,
         "SELECT advisory, ecosystem, name, package, state, ranges, versions, requirements, note, fixed FROM affected "
         "WHERE ecosystem = ?1 AND package = ?2 ORDER BY advisory");
    make(advisory_by_pk,
         "SELECT s.name, a.id, a.summary, a.published, a.modified, a.withdrawn, a.severity, a.cvss, a.refs "
         "FROM advisory a JOIN source s ON s.sid = a.sid WHERE a.pk = ?1");
    make(aliases_of, "SELECT alias FROM alias WHERE advisory = ?1 ORDER BY rowid_order");
    make(affected_of,
         "SELECT advisory, ecosystem, name, package, state, ranges, versions, requirements, note, fixed FROM affected "
         "WHERE advisory = ?1 ORDER BY seq");
    make(by_alias,
         "SELECT s.name, a.id FROM advisory a JOIN source s ON s.sid = a.sid WHERE a.id = ?1 UNION "
         "SELECT s.name, a.id FROM alias l JOIN advisory a ON a.pk = l.advisory JOIN source s ON s.sid = a.sid "
         "WHERE l.alias = ?1");
    make(source_row,
         "SELECT advisory_count, affected_count, etag, last_modified, imported_at FROM source WHERE sid = ?1");
    make(source_counts,
         "SELECT (SELECT count(*) FROM advisory WHERE sid = ?1), "
         "(SELECT count(*) FROM affected f JOIN advisory a ON a.pk = f.advisory WHERE a.sid = ?1)");
    if (mode == OpenMode::read_write) {
      make(insert_advisory,
           "INSERT INTO advisory(sid, id, summary, published, modified, withdrawn, severity, cvss, refs, digest) "
           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
      make(update_advisory,
           "UPDATE advisory SET summary = ?3, published = ?4, modified = ?5, withdrawn = ?6, severity = ?7, "
           "cvss = ?8, refs = ?9, digest = ?10 WHERE pk = ?1");
      make(delete_aliases, "DELETE FROM alias WHERE advisory = ?1");
      make(delete_affected, "DELETE FROM affected WHERE advisory = ?1");
      make(insert_alias, "INSERT OR IGNORE INTO alias(alias, advisory, rowid_order) VALUES (?1, ?2, ?3)");
      make(insert_affected,
           "INSERT INTO affected(ecosystem, package, name, advisory, state, ranges, versions, requirements, note, "
           "fixed, "
           "seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
      make(upsert_source,
           "UPDATE source SET imported_at = ?2, advisory_count = ?3, affected_count = ?4, etag = ?5, "
           "last_modified = ?6 WHERE sid = ?1");
      make(insert_source, "INSERT INTO source(name) VALUES (?1)");
    }
    if (!error.empty()) return fail(ErrorCode::internal, fmt::format("sqlite prepare: {}", error), path.string());
    return {};
  }

  Affected read_affected(const Stmt& s) const {
    Affected af;
    af.ecosystem = s.text(1);
    af.package = s.text(2);
    if (af.package.empty()) af.package = s.text(3);
    af.state = vendor_state_from(s.text(4)).value_or(VendorState::unfixed);
    af.ranges = decode_ranges(s.text(5));
    if (auto fixed = s.text(9); !fixed.empty()) {
      af.ranges.insert(af.ranges.begin(),
                       Range{RangeType::ecosystem, {}, {{EventKind::introduced, "0"}, {EventKind::fixed, fixed}}});
    }
    af.versions = decode_strings(s.text(6));
    af.requirements = decode_requirements(s.text(7));
    af.note = s.text(8);
    return af;
  }

  Result<Advisory> read_advisory(std::int64_t pk) {
    auto& s = advisory_by_pk.reset().bind(1, pk);
    if (s.step() != SQLITE_ROW) return std::unexpected(db_error("advisory row vanished"));
    Advisory a;
    a.source = s.text(0);
    a.id = s.text(1);
    a.summary = s.text(2);
    a.published = s.text(3);
    a.modified = s.text(4);
    a.withdrawn = s.text(5);
    a.severity = s.text(6);
    a.cvss = split_lines(s.text(7));
    a.references = decode_references(s.text(8));
    auto& al = aliases_of.reset().bind(1, pk);
    while (al.step() == SQLITE_ROW) a.aliases.push_back(al.text(0));
    return a;
  }
};

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Store::Store(Store&&) noexcept = default;
Store& Store::operator=(Store&&) noexcept = default;
Store::~Store() = default;

Result<Store> Store::open(const std::filesystem::path& path, OpenMode mode) {
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->mode = mode;
  const int flags = mode == OpenMode::read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (sqlite3_open_v2(path.c_str(), &impl->db, flags | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    return fail(ErrorCode::io, fmt::format("cannot open advisory database: {}", sqlite3_errmsg(impl->db)),
                path.string());
  }
  sqlite3_extended_result_codes(impl->db, 1);
  if (mode == OpenMode::read_write) {
    // page_size only takes effect on an empty file; 4 KiB pages suit the short rows here.
    // No WAL: the file must stand alone so it can be copied and opened read-only anywhere.
    if (auto s = impl->exec("PRAGMA page_size = 4096; PRAGMA journal_mode = DELETE; PRAGMA synchronous = NORMAL;"
                            "PRAGMA cache_size = -16000;");
        !s)
      return std::unexpected(s.error());
    if (auto s = impl->exec(R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS source(
  sid INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, imported_at TEXT, advisory_count INTEGER NOT NULL DEFAULT 0,
  affected_count INTEGER NOT NULL DEFAULT 0, etag TEXT, last_modified TEXT);
CREATE TABLE IF NOT EXISTS advisory(
  pk INTEGER PRIMARY KEY, sid INTEGER NOT NULL, id TEXT NOT NULL, summary TEXT, published TEXT,
  modified TEXT, withdrawn TEXT, severity TEXT, cvss TEXT, refs TEXT, digest INTEGER NOT NULL,
  UNIQUE(sid, id));
CREATE TABLE IF NOT EXISTS alias(
  alias TEXT NOT NULL, advisory INTEGER NOT NULL, rowid_order INTEGER NOT NULL,
  PRIMARY KEY(alias, advisory)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS alias_by_advisory ON alias(advisory);
-- Lookups by id alone (find_alias: a finding's id across every source); UNIQUE(sid, id) cannot serve them.
CREATE INDEX IF NOT EXISTS advisory_by_id ON advisory(id);
CREATE TABLE IF NOT EXISTS affected(
  ecosystem TEXT NOT NULL, package TEXT NOT NULL, advisory INTEGER NOT NULL, seq INTEGER NOT NULL, name TEXT,
  state TEXT NOT NULL, fixed TEXT, ranges TEXT, versions TEXT, requirements TEXT, note TEXT);
CREATE INDEX IF NOT EXISTS affected_by_package ON affected(ecosystem, package);
CREATE INDEX IF NOT EXISTS affected_by_advisory ON affected(advisory);
INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', '1');
)sql");
        !s)
      return std::unexpected(s.error());
  }
  {
    std::string error;
    Stmt version(impl->db, "SELECT value FROM meta WHERE key = 'schema_version'", error);
    if (!error.empty() || version.step() != SQLITE_ROW) {
      // SQLite's own words say whether the file is damaged or simply something else.
      return fail(
          ErrorCode::parse,
          fmt::format("not a bulwark advisory database (no schema version; sqlite: {})", sqlite3_errmsg(impl->db)),
          path.string());
    }
    if (version.text(0) != kSchemaVersion) {
      return fail(ErrorCode::unsupported,
                  fmt::format("advisory database schema {} (this bulwark reads {})", version.text(0), kSchemaVersion),
                  path.string());
    }
  }
  if (auto s = impl->prepare(); !s) return std::unexpected(s.error());
  return Store(std::move(impl));
}

Status Store::begin() {
  return impl_->exec("BEGIN IMMEDIATE");
}
Status Store::commit() {
  return impl_->exec("COMMIT");
}
void Store::rollback() noexcept {
  if (!sqlite3_get_autocommit(impl_->db)) (void)impl_->exec("ROLLBACK");
  impl_->sid_cache.clear();  // keys made inside the transaction are gone
}

Result<UpsertOutcome> Store::upsert(const Advisory& a) {
  auto& d = *impl_;
  if (d.mode != OpenMode::read_write) return fail(ErrorCode::invalid_argument, "database opened read-only", d.path);
  const std::int64_t digest = digest_of(a);
  const auto sid = d.sid_of(a.source, true);
  if (!sid) return std::unexpected(sid.error());
  std::int64_t pk = 0;
  bool exists = false;
  {
    auto& s = d.find_advisory.reset().bind(1, *sid).bind(2, a.id);
    if (s.step() == SQLITE_ROW) {
      exists = true;
      pk = s.integer(0);
      if (s.integer(1) == digest) return UpsertOutcome::unchanged;
      const std::string stored_modified = s.text(2);
      // RFC 3339 UTC times of one feed compare as text.
      if (!stored_modified.empty() && !a.modified.empty() && stored_modified > a.modified) return UpsertOutcome::stale;
    }
  }
  const std::string cvss = join_lines(a.cvss);
  const std::string refs = encode_references(a.references);
  auto bind_common = [&](Stmt& s) -> Stmt& {
    return s.bind(2, a.id)
        .bind_opt(3, a.summary)
        .bind_opt(4, a.published)
        .bind_opt(5, a.modified)
        .bind_opt(6, a.withdrawn)
        .bind_opt(7, a.severity)
        .bind_opt(8, cvss)
        .bind_opt(9, refs)
        .bind(10, digest);
  };
  if (d.tracking) d.changes.advisories.emplace(a.source, a.id);
  if (exists) {
    if (auto st = d.note_old_keys(pk); !st) return std::unexpected(st.error());
    auto& s = bind_common(d.update_advisory.reset().bind(1, pk));
    if (s.step() != SQLITE_DONE) return std::unexpected(d.db_error("update advisory"));
    if (d.delete_aliases.reset().bind(1, pk).step() != SQLITE_DONE) return std::unexpected(d.db_error("aliases"));
    if (d.delete_affected.reset().bind(1, pk).step() != SQLITE_DONE) return std::unexpected(d.db_error("affected"));
  } else {
    auto& s = bind_common(d.insert_advisory.reset().bind(1, *sid));
    if (s.step() != SQLITE_DONE) return std::unexpected(d.db_error(fmt::format("insert advisory {}", a.id)));
    pk = sqlite3_last_insert_rowid(d.db);
  }
  std::int64_t order = 0;
  for (const auto& alias : a.aliases) {
    if (d.insert_alias.reset().bind(1, alias).bind(2, pk).bind(3, order++).step() != SQLITE_DONE)
      return std::unexpected(d.db_error("insert alias"));
  }
  std::int64_t seq = 0;
  for (const auto& af : a.affected) {
    const std::string key = normalise_package(af.ecosystem, af.package);
    if (d.tracking) d.changes.packages.emplace(af.ecosystem, key);
    // Most distro entries are exactly "introduced 0, fixed X": X alone goes in the fixed
    // column, which keeps the file small and lets SQL see fixed versions directly.
    std::string fixed;
    std::string_view ranges_text;
    std::string encoded;
    const auto& r0 = af.ranges.empty() ? Range{} : af.ranges.front();
    if (!af.ranges.empty() && r0.type == RangeType::ecosystem && r0.repo.empty() && r0.events.size() == 2 &&
        r0.events[0] == RangeEvent{EventKind::introduced, "0"} && r0.events[1].kind == EventKind::fixed &&
        !r0.events[1].version.empty()) {
      fixed = r0.events[1].version;
      encoded = encode_ranges(std::vector<Range>(af.ranges.begin() + 1, af.ranges.end()));
    } else {
      encoded = encode_ranges(af.ranges);
    }
    ranges_text = encoded;
    auto& s = d.insert_affected.reset()
                  .bind(1, af.ecosystem)
                  .bind(2, key)
                  .bind_opt(3, key == af.package ? std::string_view() : std::string_view(af.package))
                  .bind(4, pk)
                  .bind(5, to_string(af.state))
                  .bind_opt(6, ranges_text)
                  .bind_opt(7, encode_strings(af.versions))
                  .bind_opt(8, encode_requirements(af.requirements))
                  .bind_opt(9, af.note)
                  .bind_opt(10, fixed)
                  .bind(11, seq++);
    if (s.step() != SQLITE_DONE) return std::unexpected(d.db_error("insert affected"));
  }
  return exists ? UpsertOutcome::updated : UpsertOutcome::inserted;
}

Result<std::size_t> Store::remove_others(std::string_view source, const std::set<std::string>& keep) {
  auto& d = *impl_;
  if (d.mode != OpenMode::read_write) return fail(ErrorCode::invalid_argument, "database opened read-only", d.path);
  const auto sid = d.sid_of(source, false);
  if (!sid) return std::unexpected(sid.error());
  if (*sid == 0) return std::size_t{0};
  std::vector<std::int64_t> doomed;
  {
    std::string error;
    Stmt s(d.db, "SELECT pk, id FROM advisory WHERE sid = ?1", error);
    if (!error.empty()) return fail(ErrorCode::internal, error, d.path);
    s.bind(1, *sid);
    while (s.step() == SQLITE_ROW) {
      if (keep.contains(s.text(1))) continue;
      doomed.push_back(s.integer(0));
      if (d.tracking) d.changes.advisories.emplace(std::string(source), s.text(1));
    }
  }
  std::string error;
  Stmt del(d.db, "DELETE FROM advisory WHERE pk = ?1", error);
  if (!error.empty()) return fail(ErrorCode::internal, error, d.path);
  for (const auto pk : doomed) {
    if (auto st = d.note_old_keys(pk); !st) return std::unexpected(st.error());
    if (d.delete_aliases.reset().bind(1, pk).step() != SQLITE_DONE ||
        d.delete_affected.reset().bind(1, pk).step() != SQLITE_DONE || del.reset().bind(1, pk).step() != SQLITE_DONE)
      return std::unexpected(d.db_error("remove advisory"));
  }
  return doomed.size();
}

void Store::track_changes(bool on) {
  impl_->tracking = on;
  if (!on) impl_->changes = {};
}

Store::Changes Store::take_changes() {
  Changes out = std::move(impl_->changes);
  impl_->changes = {};
  return out;
}

Status Store::record_source(std::string_view name, const SourceMeta& meta, bool data_changed) {
  auto& d = *impl_;
  const auto sid = d.sid_of(name, true);
  if (!sid) return std::unexpected(sid.error());
  std::int64_t advisories = 0;
  std::int64_t affected = 0;
  {
    auto& s = d.source_counts.reset().bind(1, *sid);
    if (s.step() != SQLITE_ROW) return std::unexpected(d.db_error("count source"));
    advisories = s.integer(0);
    affected = s.integer(1);
  }
  {
    auto& s = d.source_row.reset().bind(1, *sid);
    if (s.step() == SQLITE_ROW && !data_changed && !s.text(4).empty() && s.integer(0) == advisories &&
        s.integer(1) == affected && s.text(2) == meta.etag && s.text(3) == meta.last_modified) {
      return {};
    }
  }
  auto& s = d.upsert_source.reset()
                .bind(1, *sid)
                .bind(2, now_utc())
                .bind(3, advisories)
                .bind(4, affected)
                .bind_opt(5, meta.etag)
                .bind_opt(6, meta.last_modified);
  if (s.step() != SQLITE_DONE) return std::unexpected(d.db_error("record source"));
  return {};
}

Result<std::vector<LookupHit>> Store::lookup(std::string_view ecosystem, std::string_view package) const {
  auto& d = *impl_;
  std::vector<LookupHit> hits;
  std::vector<std::pair<std::int64_t, Affected>> rows;
  const std::string key = normalise_package(ecosystem, package);
  auto& s = d.lookup.reset().bind(1, ecosystem).bind(2, key);
  int rc = 0;
  while ((rc = s.step()) == SQLITE_ROW) rows.emplace_back(s.integer(0), d.read_affected(s));
  if (rc != SQLITE_DONE) return std::unexpected(d.db_error("lookup"));
  std::int64_t last_pk = -1;
  Advisory current;
  for (auto& [pk, af] : rows) {
    if (pk != last_pk) {
      auto a = d.read_advisory(pk);
      if (!a) return std::unexpected(a.error());
      current = std::move(*a);
      last_pk = pk;
    }
    hits.push_back({current, std::move(af)});
  }
  return hits;
}

Result<std::optional<Advisory>> Store::get(std::string_view source, std::string_view id) const {
  auto& d = *impl_;
  const auto sid = d.sid_of(source, false);
  if (!sid) return std::unexpected(sid.error());
  if (*sid == 0) return std::optional<Advisory>();
  auto& s = d.find_advisory.reset().bind(1, *sid).bind(2, id);
  if (s.step() != SQLITE_ROW) return std::optional<Advisory>();
  const std::int64_t pk = s.integer(0);
  auto a = d.read_advisory(pk);
  if (!a) return std::unexpected(a.error());
  auto& f = d.affected_of.reset().bind(1, pk);
  while (f.step() == SQLITE_ROW) a->affected.push_back(d.read_affected(f));
  return std::optional<Advisory>(std::move(*a));
}

Result<std::vector<std::pair<std::string, std::string>>> Store::find_alias(std::string_view alias) const {
  auto& s = impl_->by_alias.reset().bind(1, alias);
  std::vector<std::pair<std::string, std::string>> out;
  while (s.step() == SQLITE_ROW) out.emplace_back(s.text(0), s.text(1));
  return out;
}

Result<bool> Store::has_ecosystem(std::string_view ecosystem) const {
  std::string error;
  Stmt s(impl_->db, "SELECT 1 FROM affected WHERE ecosystem = ?1 LIMIT 1", error);
  if (!error.empty()) return fail(ErrorCode::io, error, impl_->path.string());
  const int rc = s.bind(1, ecosystem).step();
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return std::unexpected(impl_->db_error("has_ecosystem"));
}

Result<std::vector<SourceStats>> Store::stats() const {
  std::string error;
  Stmt s(impl_->db,
         "SELECT name, imported_at, advisory_count, affected_count, etag, last_modified FROM source ORDER BY name",
         error);
  if (!error.empty()) return fail(ErrorCode::io, error, impl_->path.string());
  std::vector<SourceStats> out;
  while (s.step() == SQLITE_ROW) {
    out.push_back({s.text(0), s.text(1), s.integer(2), s.integer(3), s.text(4), s.text(5)});
  }
  return out;
}

Result<Totals> Store::totals() const {
  std::string error;
  Stmt s(impl_->db,
         "SELECT (SELECT count(*) FROM advisory), (SELECT count(*) FROM alias), (SELECT count(*) FROM affected)",
         error);
  if (!error.empty() || s.step() != SQLITE_ROW) return std::unexpected(impl_->db_error("totals"));
  return Totals{s.integer(0), s.integer(1), s.integer(2)};
}

std::int64_t Store::total_changes() const noexcept {
  return sqlite3_total_changes64(impl_->db);
}

Status Store::compact() {
  return impl_->exec("VACUUM");
}

Result<std::optional<std::string>> Store::get_meta(std::string_view key) const {
  std::string error;
  Stmt s(impl_->db, "SELECT value FROM meta WHERE key = ?1", error);
  if (!error.empty()) return fail(ErrorCode::io, "sqlite: " + error, impl_->path.string());
  s.bind(1, key);
  int rc = s.step();
  if (rc == SQLITE_ROW) return std::optional<std::string>(s.text(0));
  if (rc != SQLITE_DONE) return std::unexpected(impl_->db_error("read meta"));
  return std::optional<std::string>();
}

Status Store::set_meta(std::string_view key, std::string_view value) {
  std::string error;
  Stmt s(impl_->db, "INSERT INTO meta(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = ?2", error);
  if (!error.empty()) return fail(ErrorCode::io, "sqlite: " + error, impl_->path.string());
  if (s.bind(1, key).bind(2, value).step() != SQLITE_DONE) return std::unexpected(impl_->db_error("write meta"));
  return {};
}

Status Store::check_integrity() const {
  std::string error;
  Stmt s(impl_->db, "PRAGMA quick_check", error);
  if (!error.empty()) return fail(ErrorCode::parse, "damaged advisory database: " + error, impl_->path.string());
  std::string problems;
  int rc = 0;
  while ((rc = s.step()) == SQLITE_ROW) {
    auto line = s.text(0);
    if (line == "ok") continue;
    if (!problems.empty()) problems += "; ";
    problems += line;
    if (problems.size() > 400) break;
  }
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
    return fail(ErrorCode::parse, fmt::format("damaged advisory database: {}", sqlite3_errmsg(impl_->db)),
                impl_->path.string());
  }
  if (!problems.empty()) return fail(ErrorCode::parse, "damaged advisory database: " + problems, impl_->path.string());
  return {};
}

}  // namespace bulwark::vuln::db
