// The store; see store.hpp. One SQL text for both engines ($N parameters); the DDL differs only
// in the auto-increment column type.
#include "server/store.hpp"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <ctime>
#include <map>
#include <set>

#include "util/sha256.hpp"

namespace bulwark::server {

using nlohmann::json;

#define BW_TRY(expr)                                                        \
  do {                                                                      \
    if (auto bw_st = (expr); !bw_st) return std::unexpected(bw_st.error()); \
  } while (0)

std::string_view to_string(Role r) noexcept {
  switch (r) {
    case Role::admin: return "admin";
    case Role::ci: return "ci";
    case Role::agent: return "agent";
    case Role::reader: return "reader";
  }
  return "reader";
}

std::optional<Role> parse_role(std::string_view s) noexcept {
  if (s == "admin") return Role::admin;
  if (s == "ci") return Role::ci;
  if (s == "agent") return Role::agent;
  if (s == "reader") return Role::reader;
  return std::nullopt;
}

std::optional<std::int64_t> parse_duration(std::string_view text) noexcept {
  if (text.empty()) return std::nullopt;
  std::int64_t unit = 1;
  switch (text.back()) {
    case 'd':
      unit = 86400;
      text.remove_suffix(1);
      break;
    case 'h':
      unit = 3600;
      text.remove_suffix(1);
      break;
    case 'm':
      unit = 60;
      text.remove_suffix(1);
      break;
    case 's': text.remove_suffix(1); break;
    default: break;
  }
  std::int64_t n = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || p != text.data() + text.size() || n <= 0 || n > (INT64_MAX / 86400)) return std::nullopt;
  return n * unit;
}

std::optional<std::int64_t> parse_rfc3339(std::string_view t) noexcept {
  auto num = [&](std::size_t pos, std::size_t len, int& out) {
    if (pos + len > t.size()) return false;
    auto [p, ec] = std::from_chars(t.data() + pos, t.data() + pos + len, out);
    return ec == std::errc() && p == t.data() + pos + len;
  };
  std::tm tm{};
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (t.size() < 20 || t[4] != '-' || t[7] != '-' || (t[10] != 'T' && t[10] != 't' && t[10] != ' ') || t[13] != ':' ||
      t[16] != ':') {
    return std::nullopt;
  }
  if (!num(0, 4, y) || !num(5, 2, mo) || !num(8, 2, d) || !num(11, 2, h) || !num(14, 2, mi) || !num(17, 2, s)) {
    return std::nullopt;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return std::nullopt;
  std::size_t i = 19;
  if (i < t.size() && t[i] == '.') {
    ++i;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
  }
  std::int64_t offset = 0;
  if (i < t.size() && (t[i] == 'Z' || t[i] == 'z')) {
    ++i;
  } else if (i < t.size() && (t[i] == '+' || t[i] == '-')) {
    int oh = 0, om = 0;
    if (!num(i + 1, 2, oh) || i + 3 >= t.size() || t[i + 3] != ':' || !num(i + 4, 2, om)) return std::nullopt;
    offset = (oh * 3600 + om * 60) * (t[i] == '+' ? 1 : -1);
    i += 6;
  } else {
    return std::nullopt;
  }
  if (i != t.size()) return std::nullopt;
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  return static_cast<std::int64_t>(timegm(&tm)) - offset;
}

std::string format_rfc3339(std::int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Result<std::string> random_hex(std::size_t bytes) {
  std::vector<unsigned char> raw(bytes);
  if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1) {
    return fail(ErrorCode::internal, "the random number generator failed");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes * 2);
  for (unsigned char c : raw) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

namespace {

struct Migration {
  int version;
  const char* ddl;  // {serial} = the auto-increment primary key column type
};

const Migration kMigrations[] = {
    {1, R"SQL(
CREATE TABLE tokens(id TEXT PRIMARY KEY, hash TEXT NOT NULL, role TEXT NOT NULL, host TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL DEFAULT 0, revoked_at BIGINT NOT NULL DEFAULT 0,
  last_used BIGINT NOT NULL DEFAULT 0);
CREATE TABLE sessions(hash TEXT PRIMARY KEY, token_id TEXT NOT NULL, csrf_hash TEXT NOT NULL, csrf TEXT NOT NULL,
  expires_at BIGINT NOT NULL);
CREATE TABLE reports(id TEXT PRIMARY KEY, digest TEXT NOT NULL UNIQUE, idem_key TEXT, kind TEXT NOT NULL,
  host TEXT NOT NULL DEFAULT '', token_id TEXT NOT NULL DEFAULT '', received_at BIGINT NOT NULL, size BIGINT NOT NULL,
  targets TEXT NOT NULL DEFAULT '[]');
CREATE UNIQUE INDEX reports_idem ON reports(idem_key);
CREATE INDEX reports_received ON reports(received_at);
CREATE TABLE targets(key TEXT PRIMARY KEY, kind TEXT NOT NULL, name TEXT NOT NULL, target_id TEXT NOT NULL DEFAULT '',
  names TEXT NOT NULL DEFAULT '[]', os_id TEXT NOT NULL DEFAULT '', os_version TEXT NOT NULL DEFAULT '',
  os_pretty TEXT NOT NULL DEFAULT '', host TEXT NOT NULL DEFAULT '', score TEXT NOT NULL DEFAULT '',
  has_sbom BIGINT NOT NULL DEFAULT 0, first_seen BIGINT NOT NULL, last_seen BIGINT NOT NULL,
  report_id TEXT NOT NULL);
CREATE INDEX targets_kind ON targets(kind, key);
CREATE TABLE packages(target_key TEXT NOT NULL, name TEXT NOT NULL, version TEXT NOT NULL DEFAULT '',
  source TEXT NOT NULL DEFAULT '', source_version TEXT NOT NULL DEFAULT '', ecosystem TEXT NOT NULL DEFAULT '',
  purl TEXT NOT NULL DEFAULT '', architecture TEXT NOT NULL DEFAULT '', license TEXT NOT NULL DEFAULT '');
CREATE INDEX packages_target ON packages(target_key);
CREATE INDEX packages_name ON packages(ecosystem, name);
CREATE TABLE findings(target_key TEXT NOT NULL, vuln_id TEXT NOT NULL, package TEXT NOT NULL DEFAULT '',
  package_version TEXT NOT NULL DEFAULT '', title TEXT NOT NULL DEFAULT '', severity TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT '', practice TEXT NOT NULL DEFAULT '', fixed_version TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL DEFAULT '', aliases TEXT NOT NULL DEFAULT '[]', evidence TEXT NOT NULL DEFAULT '',
  remediation TEXT NOT NULL DEFAULT '', origin TEXT NOT NULL DEFAULT 'report', first_seen BIGINT NOT NULL,
  last_seen BIGINT NOT NULL, PRIMARY KEY(target_key, vuln_id, package, package_version, origin));
CREATE TABLE finding_ids(target_key TEXT NOT NULL, vuln_id TEXT NOT NULL, package TEXT NOT NULL,
  package_version TEXT NOT NULL, origin TEXT NOT NULL, alias TEXT NOT NULL);
CREATE INDEX finding_ids_alias ON finding_ids(alias);
CREATE INDEX finding_ids_target ON finding_ids(target_key);
CREATE TABLE hosts(name TEXT PRIMARY KEY, engine TEXT NOT NULL DEFAULT '', first_seen BIGINT NOT NULL,
  last_seen BIGINT NOT NULL);
CREATE TABLE host_images(host TEXT NOT NULL, image_id TEXT NOT NULL, names TEXT NOT NULL DEFAULT '[]',
  last_seen BIGINT NOT NULL, PRIMARY KEY(host, image_id));
CREATE TABLE containers(host TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL DEFAULT '',
  image TEXT NOT NULL DEFAULT '', image_id TEXT NOT NULL DEFAULT '', state TEXT NOT NULL DEFAULT '',
  started_at TEXT NOT NULL DEFAULT '', runtime TEXT NOT NULL DEFAULT '', pod_name TEXT NOT NULL DEFAULT '',
  pod_namespace TEXT NOT NULL DEFAULT '', pod_uid TEXT NOT NULL DEFAULT '', last_seen BIGINT NOT NULL,
  PRIMARY KEY(host, id));
CREATE INDEX containers_image ON containers(image_id);
CREATE TABLE alerts(id {serial}, host TEXT NOT NULL, time TEXT NOT NULL DEFAULT '', time_unix BIGINT NOT NULL,
  rule TEXT NOT NULL, priority TEXT NOT NULL DEFAULT '', output TEXT NOT NULL DEFAULT '',
  source TEXT NOT NULL DEFAULT '', container_id TEXT NOT NULL DEFAULT '', container_name TEXT NOT NULL DEFAULT '',
  image TEXT NOT NULL DEFAULT '', pod_name TEXT NOT NULL DEFAULT '', pod_namespace TEXT NOT NULL DEFAULT '',
  report_id TEXT NOT NULL);
CREATE INDEX alerts_host ON alerts(host, id);
CREATE TABLE activity(host TEXT NOT NULL, container_id TEXT NOT NULL, at BIGINT NOT NULL, cpu_usage_usec BIGINT,
  memory_bytes BIGINT, io_read_bytes BIGINT, io_write_bytes BIGINT, pids BIGINT, PRIMARY KEY(host, container_id));
CREATE TABLE connections(host TEXT NOT NULL, container_id TEXT NOT NULL, direction TEXT NOT NULL, peer TEXT NOT NULL,
  port BIGINT NOT NULL, count BIGINT NOT NULL, last_seen BIGINT NOT NULL,
  PRIMARY KEY(host, container_id, direction, peer, port));
CREATE TABLE events(id {serial}, time BIGINT NOT NULL, kind TEXT NOT NULL, vuln_id TEXT NOT NULL DEFAULT '',
  target_key TEXT NOT NULL DEFAULT '', package TEXT NOT NULL DEFAULT '', severity TEXT NOT NULL DEFAULT '',
  detail TEXT NOT NULL DEFAULT '');
CREATE TABLE audit(id {serial}, time BIGINT NOT NULL, token_id TEXT NOT NULL DEFAULT '', peer TEXT NOT NULL DEFAULT '',
  method TEXT NOT NULL DEFAULT '', path TEXT NOT NULL DEFAULT '', status BIGINT NOT NULL, message TEXT NOT NULL DEFAULT '');
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
)SQL"},
    {2, R"SQL(
CREATE TABLE jobs(id {serial}, kind TEXT NOT NULL, payload TEXT NOT NULL DEFAULT '', dedup TEXT,
  state TEXT NOT NULL DEFAULT 'queued', run_after BIGINT NOT NULL DEFAULT 0, claimed_by TEXT NOT NULL DEFAULT '',
  claimed_until BIGINT NOT NULL DEFAULT 0, attempts BIGINT NOT NULL DEFAULT 0, created_at BIGINT NOT NULL,
  finished_at BIGINT NOT NULL DEFAULT 0, result TEXT NOT NULL DEFAULT '');
CREATE UNIQUE INDEX jobs_dedup ON jobs(dedup);
CREATE INDEX jobs_due ON jobs(state, kind, id);
)SQL"},
    // Re-matching (server/rematch.hpp): the inverted index from the (advisory ecosystem, package)
    // a stored package is looked up under to the package rows, when the server last matched a
    // target, and the history of re-match runs.
    {3, R"SQL(
CREATE TABLE match_keys(ecosystem TEXT NOT NULL, package TEXT NOT NULL, target_key TEXT NOT NULL,
  pkg_name TEXT NOT NULL, pkg_version TEXT NOT NULL,
  PRIMARY KEY(ecosystem, package, target_key, pkg_name, pkg_version));
CREATE INDEX match_keys_target ON match_keys(target_key);
CREATE INDEX findings_target_origin ON findings(target_key, origin);
ALTER TABLE targets ADD COLUMN matched_at BIGINT NOT NULL DEFAULT 0;
CREATE TABLE rematch_runs(id {serial}, started_at BIGINT NOT NULL, finished_at BIGINT NOT NULL,
  trigger_kind TEXT NOT NULL, key_count BIGINT NOT NULL, target_count BIGINT NOT NULL, package_count BIGINT NOT NULL,
  new_findings BIGINT NOT NULL, fixed BIGINT NOT NULL, withdrawn BIGINT NOT NULL, resolved BIGINT NOT NULL);
)SQL"},
    // Webhook notifications (src/server/webhook.cpp): one delivery per event and webhook, queued in
    // the transaction that made the event; every attempt is kept for the delivery log.
    {4, R"SQL(
CREATE TABLE webhook_deliveries(id {serial}, event_id TEXT NOT NULL, event_type TEXT NOT NULL, url TEXT NOT NULL,
  body TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'pending', attempts BIGINT NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, next_attempt_ms BIGINT NOT NULL,
  last_status BIGINT NOT NULL DEFAULT 0, last_error TEXT NOT NULL DEFAULT '', delivered_at BIGINT NOT NULL DEFAULT 0);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(state, next_attempt_ms);
CREATE TABLE webhook_attempts(delivery_id BIGINT NOT NULL, attempt BIGINT NOT NULL, time BIGINT NOT NULL,
  status BIGINT NOT NULL DEFAULT 0, error TEXT NOT NULL DEFAULT '', duration_ms BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY(delivery_id, attempt));
)SQL"},
    // Re-matching rewrites a finding's alias rows by the finding: an index on the finding's key
    // (it also serves every lookup by target, so the target-only index goes).
    {5, R"SQL(
CREATE INDEX finding_ids_finding ON finding_ids(target_key, vuln_id, package, package_version, origin);
DROP INDEX finding_ids_target;
)SQL"},
    // Layers (GET /api/v1/images/{id}/layers): an image's layers as its upload listed them, and the
    // layer that added each package (packages.layer) or a finding's location (findings.layer), as
    // diffIDs. Stores from before keep no layer: an image shows its layers from its next upload.
    // Counts kept per target (finding_counts): the open vulnerability findings of each target by
    // origin, severity and the day (UTC) each was first seen, rewritten with the findings they count
    // (ingest and re-match), so the summary, the images list and its count sorts read sums instead
    // of every finding. Filled here from the findings already stored.
    {6, R"SQL(
ALTER TABLE packages ADD COLUMN layer TEXT NOT NULL DEFAULT '';
ALTER TABLE findings ADD COLUMN layer TEXT NOT NULL DEFAULT '';
CREATE TABLE layers(target_key TEXT NOT NULL, position BIGINT NOT NULL, digest TEXT NOT NULL DEFAULT '',
  diff_id TEXT NOT NULL DEFAULT '', media_type TEXT NOT NULL DEFAULT '', size BIGINT NOT NULL DEFAULT 0,
  created_by TEXT NOT NULL DEFAULT '', PRIMARY KEY(target_key, position));
CREATE TABLE finding_counts(target_key TEXT NOT NULL, origin TEXT NOT NULL, severity TEXT NOT NULL,
  day BIGINT NOT NULL, n BIGINT NOT NULL, fixable BIGINT NOT NULL, PRIMARY KEY(target_key, origin, severity, day));
INSERT INTO finding_counts(target_key, origin, severity, day, n, fixable) SELECT target_key, origin, severity,
  first_seen / 86400, COUNT(*), SUM(CASE WHEN fixed_version <> '' THEN 1 ELSE 0 END) FROM findings
  WHERE package <> '' AND (status = 'fail' OR status = '') GROUP BY target_key, origin, severity, first_seen / 86400;
)SQL"},
    // Server-side policies (src/server/policy_store.cpp, docs/policy.md): named policies as the
    // JSON an admin PUT, and each upload's verdict under the policy it asked for, by report.
    {7, R"SQL(
CREATE TABLE policies(name TEXT PRIMARY KEY, body TEXT NOT NULL, created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL, updated_by TEXT NOT NULL DEFAULT '');
CREATE TABLE report_verdicts(report_id TEXT NOT NULL, policy TEXT NOT NULL, pass BIGINT NOT NULL,
  failing BIGINT NOT NULL, evaluated_at BIGINT NOT NULL, token_id TEXT NOT NULL DEFAULT '', verdict TEXT NOT NULL,
  PRIMARY KEY(report_id, policy));
)SQL"},
    // Retention (server/retention.hpp) and job progress: when an image was last seen running, by
    // its id (an inventory can name an image before its scan is uploaded, and the containers
    // table keeps only each host's latest inventory), filled from the containers stored now; and
    // each job's progress (done of total) for GET /api/v1/jobs; the advisory imports of replicas
    // sharing a PostgreSQL store (each replica applies them to its own advisory database).
    {8, R"SQL(
CREATE TABLE image_runs(image_id TEXT PRIMARY KEY, last_running BIGINT NOT NULL);
INSERT INTO image_runs(image_id, last_running) SELECT image_id, MAX(last_seen) FROM containers
  WHERE image_id <> '' AND state = 'running' GROUP BY image_id;
ALTER TABLE jobs ADD COLUMN progress_done BIGINT NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN progress_total BIGINT NOT NULL DEFAULT 0;
CREATE INDEX events_target ON events(target_key);
CREATE TABLE advisory_imports(id {serial}, name TEXT NOT NULL, body TEXT NOT NULL, created_at BIGINT NOT NULL,
  worker TEXT NOT NULL DEFAULT '');
)SQL"},
    // NetworkPolicy reachability (GET /api/v1/netpol): the graph a `bulwark config` upload carried
    // (the document's `reachability`, as ingest checked and rewrote it), one row per report, with
    // the counts the list shows.
    {9, R"SQL(
CREATE TABLE reachability(seq {serial}, report_id TEXT NOT NULL UNIQUE, target_key TEXT NOT NULL,
  name TEXT NOT NULL, received_at BIGINT NOT NULL, namespaces BIGINT NOT NULL, workloads BIGINT NOT NULL,
  edges BIGINT NOT NULL, open_namespaces BIGINT NOT NULL, exposed BIGINT NOT NULL, graph TEXT NOT NULL);
CREATE INDEX reachability_target ON reachability(target_key, seq);
)SQL"},
};

std::string ddl_for(const char* ddl, Dialect d) {
  std::string out = ddl;
  const std::string serial = d == Dialect::sqlite ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "BIGSERIAL PRIMARY KEY";
  for (std::size_t p; (p = out.find("{serial}")) != std::string::npos;) out.replace(p, 8, serial);
  return out;
}

std::int64_t system_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

json parse_array(const std::optional<std::string>& text) {
  if (!text) return json::array();
  auto j = json::parse(*text, nullptr, false);
  return j.is_array() ? j : json::array();
}

const char* const kSeverityOrder[] = {"critical", "high", "medium", "low", "info", "unknown"};

int severity_rank(std::string_view s) {
  for (int i = 0; i < 6; ++i) {
    if (s == kSeverityOrder[i]) return 6 - i;
  }
  return 0;
}

std::string hex_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

std::optional<std::string> hex_decode(std::string_view s) {
  if (s.size() % 2 != 0 || s.size() > 4096) return std::nullopt;
  auto val = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  std::string out;
  for (std::size_t i = 0; i < s.size(); i += 2) {
    int a = val(s[i]), b = val(s[i + 1]);
    if (a < 0 || b < 0) return std::nullopt;
    out.push_back(static_cast<char>(a * 16 + b));
  }
  return out;
}

std::string opt_filter(const ListQuery& q, const char* key) {
  auto it = q.filters.find(key);
  return it == q.filters.end() ? std::string() : it->second;
}

// The newest-first paging cursor of alerts and events (a hex-encoded sequence number): INT64_MAX when absent.
Result<std::int64_t> seq_cursor(const ListQuery& q) {
  if (q.cursor.empty()) return INT64_MAX;
  auto c = hex_decode(q.cursor);
  std::int64_t v = 0;
  if (!c || std::from_chars(c->data(), c->data() + c->size(), v).ec != std::errc()) {
    return fail(ErrorCode::invalid_argument, "cursor: not a cursor this server issued");
  }
  return v;
}

// The "since" filter as a Unix time: 0 when absent.
Result<std::int64_t> since_filter(const ListQuery& q) {
  auto s = opt_filter(q, "since");
  if (s.empty()) return 0;
  auto t = parse_rfc3339(s);
  if (!t) return fail(ErrorCode::invalid_argument, "since: not an RFC 3339 time");
  return *t;
}

}  // namespace

Store::Store(std::unique_ptr<Sql> sql, Clock clock) : sql_(std::move(sql)), clock_(std::move(clock)) {
  if (!clock_) clock_ = system_now;
}

Result<std::unique_ptr<Store>> Store::open(std::unique_ptr<Sql> sql, Clock clock) {
  std::unique_ptr<Store> store(new Store(std::move(sql), std::move(clock)));
  BW_TRY(store->migrate());
  return store;
}

Result<std::unique_ptr<Store>> Store::open_sqlite(const std::filesystem::path& path, Clock clock) {
  auto sql = server::open_sqlite(path);
  if (!sql) return std::unexpected(sql.error());
  auto store = open(std::move(*sql), std::move(clock));
  if (!store) return store;
  (*store)->sqlite_path_ = path;
  auto reader = server::open_sqlite_reader(path);  // after the migrations: it reads their schema
  if (!reader) return std::unexpected(reader.error());
  (*store)->read_sql_ = std::move(*reader);
  return store;
}

// A query's access to the store: the read connection in a read transaction of its own (one
// snapshot for all of the query's statements), or the one connection under its lock.
struct Store::Reader {
  Store& store;
  std::unique_lock<std::recursive_mutex> lock;
  Sql* sql;
  bool own_transaction = false;
  explicit Reader(Store& s)
      : store(s), lock(s.read_sql_ ? s.read_mutex_ : s.mutex_), sql(s.read_sql_ ? s.read_sql_.get() : s.sql_.get()) {
    if (s.read_sql_ && s.read_depth_++ == 0) own_transaction = static_cast<bool>(sql->exec("BEGIN"));
  }
  ~Reader() {
    if (!store.read_sql_) return;
    --store.read_depth_;
    if (own_transaction && !sql->exec("COMMIT")) sql->rollback();
  }
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;
};

Status Store::read_transaction(const std::function<Status(Sql&)>& fn) {
  Reader rd(*this);
  return fn(*rd.sql);
}

Result<std::unique_ptr<Store>> Store::open_postgresql(std::string_view url, Clock clock) {
  auto sql = server::open_postgresql(url);
  if (!sql) return std::unexpected(sql.error());
  return open(std::move(*sql), std::move(clock));
}

Status Store::migrate() {
  std::lock_guard lock(mutex_);
  if (sql_->dialect() == Dialect::postgresql) {
    // Replicas starting together: one migrates, the others wait here and then find it done.
    // The lock belongs to this connection's session (released when it closes, too).
    BW_TRY(sql_->exec("SELECT pg_advisory_lock(4294967296 + 1414)"));
    auto st = migrate_locked();
    (void)sql_->exec("SELECT pg_advisory_unlock(4294967296 + 1414)");
    return st;
  }
  return migrate_locked();
}

Status Store::migrate_locked() {
  BW_TRY(sql_->exec("CREATE TABLE IF NOT EXISTS schema_version(version BIGINT NOT NULL, applied_at BIGINT NOT NULL)"));
  auto rows = sql_->query("SELECT COALESCE(MAX(version), 0) FROM schema_version");
  if (!rows) return std::unexpected(rows.error());
  int current = static_cast<int>(as_int(rows->at(0).at(0)));
  if (current > kSchemaVersion) {
    return fail(ErrorCode::unsupported,
                fmt::format("the store's schema is version {}, newer than this bulwark knows ({}): run a newer "
                            "bulwark, or restore the store from before the upgrade",
                            current, kSchemaVersion));
  }
  for (const auto& m : kMigrations) {
    if (m.version <= current) continue;
    BW_TRY(sql_->begin());
    auto st = sql_->script(ddl_for(m.ddl, sql_->dialect()));
    if (st) {
      st = sql_->exec("INSERT INTO schema_version(version, applied_at) VALUES ($1, $2)",
                      {std::int64_t{m.version}, clock_()});
    }
    if (!st) {
      sql_->rollback();
      return std::unexpected(st.error().within(fmt::format("schema migration {}", m.version)));
    }
    BW_TRY(sql_->commit());
  }
  return {};
}

Result<int> Store::schema_version() {
  std::lock_guard lock(mutex_);
  auto rows = sql_->query("SELECT COALESCE(MAX(version), 0) FROM schema_version");
  if (!rows) return std::unexpected(rows.error());
  return static_cast<int>(as_int(rows->at(0).at(0)));
}

Status Store::transaction(const std::function<Status(Sql&)>& fn) {
  std::lock_guard lock(mutex_);
  BW_TRY(sql_->begin());
  auto st = fn(*sql_);
  if (!st) {
    sql_->rollback();
    return st;
  }
  if (auto c = sql_->commit(); !c) {
    sql_->rollback();
    return c;
  }
  return {};
}

// ---- tokens ------------------------------------------------------------------------------------

Result<std::pair<TokenInfo, std::string>> Store::create_token(Role role, std::string_view host,
                                                              std::int64_t expires_in_seconds) {
  if (role == Role::agent && !valid_host_name(host)) {
    return fail(ErrorCode::invalid_argument, "an agent token needs --host NAME (a valid host name)");
  }
  if (role != Role::agent && !host.empty()) {
    return fail(ErrorCode::invalid_argument, "only agent tokens are bound to a host");
  }
  auto id = random_hex(8);
  auto secret = random_hex(32);  // 256 bits
  if (!id || !secret) return fail(ErrorCode::internal, "the random number generator failed");
  std::string token = "bwk_" + *id + "_" + *secret;
  TokenInfo info;
  info.id = *id;
  info.role = role;
  info.host = std::string(host);
  info.created_at = clock_();
  info.expires_at = expires_in_seconds > 0 ? info.created_at + expires_in_seconds : 0;
  std::lock_guard lock(mutex_);
  BW_TRY(sql_->exec(
      "INSERT INTO tokens(id, hash, role, host, created_at, expires_at) VALUES ($1,$2,$3,$4,$5,$6)",
      {info.id, util::sha256_hex(token), std::string(to_string(role)), info.host, info.created_at, info.expires_at}));
  return std::pair{info, token};
}

Result<std::vector<TokenInfo>> Store::list_tokens() {
  std::lock_guard lock(mutex_);
  auto rows = sql_->query(
      "SELECT id, role, host, created_at, expires_at, revoked_at, last_used FROM tokens ORDER BY created_at, id");
  if (!rows) return std::unexpected(rows.error());
  std::vector<TokenInfo> out;
  for (const auto& r : *rows) {
    TokenInfo t;
    t.id = as_text(r[0]);
    t.role = parse_role(as_text(r[1])).value_or(Role::reader);
    t.host = as_text(r[2]);
    t.created_at = as_int(r[3]);
    t.expires_at = as_int(r[4]);
    t.revoked_at = as_int(r[5]);
    t.last_used = as_int(r[6]);
    out.push_back(std::move(t));
  }
  return out;
}

Result<bool> Store::revoke_token(std::string_view id) {
  std::lock_guard lock(mutex_);
  auto rows = sql_->query("UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at = 0 RETURNING id",
                          {clock_(), std::string(id)});
  if (!rows) return std::unexpected(rows.error());
  if (!rows->empty()) BW_TRY(sql_->exec("DELETE FROM sessions WHERE token_id = $1", {std::string(id)}));
  return !rows->empty();
}

Result<std::optional<Principal>> Store::authenticate(std::string_view token) {
  bool touch = false;
  auto who = [&]() -> Result<std::optional<Principal>> {
    Reader rd(*this);
    return authenticate_on(*rd.sql, token, touch);
  }();
  if (who && *who && touch) {  // at most one write a minute per token
    // Best effort: a store that cannot write (a full disk) still answers who the caller is, so
    // that the request gets its own error (an upload: 507), not a failed authentication.
    std::lock_guard lock(mutex_);
    (void)sql_->exec("UPDATE tokens SET last_used = $1 WHERE id = $2", {clock_(), (*who)->token_id});
  }
  return who;
}

Result<std::optional<Principal>> Store::authenticate_on(Sql& sql, std::string_view token, bool& touch) {
  // bwk_<16 hex id>_<64 hex secret>
  if (token.size() != 4 + 16 + 1 + 64 || !token.starts_with("bwk_") || token[20] != '_') {
    return std::optional<Principal>{};
  }
  std::string id(token.substr(4, 16));
  auto rows = sql.query("SELECT hash, role, host, expires_at, revoked_at, last_used FROM tokens WHERE id = $1", {id});
  if (!rows) return std::unexpected(rows.error());
  std::string presented = util::sha256_hex(token);
  std::string stored = rows->empty() ? std::string(64, '0') : as_text((*rows)[0][0]);
  // Constant time, whether or not the id exists.
  bool equal = stored.size() == presented.size() &&
               CRYPTO_memcmp(stored.data(), presented.data(), presented.size()) == 0 && !rows->empty();
  if (!equal) return std::optional<Principal>{};
  const auto& r = (*rows)[0];
  std::int64_t now = clock_();
  if (as_int(r[4]) != 0) return std::optional<Principal>{};
  if (as_int(r[3]) != 0 && as_int(r[3]) <= now) return std::optional<Principal>{};
  touch = now - as_int(r[5]) >= 60;
  Principal p;
  p.token_id = id;
  p.role = parse_role(as_text(r[1])).value_or(Role::reader);
  p.host = as_text(r[2]);
  return std::optional<Principal>{p};
}

// ---- sessions ----------------------------------------------------------------------------------

Result<Store::NewSession> Store::create_session(const Principal& who, std::int64_t lifetime_seconds) {
  auto cookie = random_hex(32);
  auto csrf = random_hex(32);
  if (!cookie || !csrf) return fail(ErrorCode::internal, "the random number generator failed");
  NewSession s{*cookie, *csrf, clock_() + lifetime_seconds};
  std::lock_guard lock(mutex_);
  BW_TRY(sql_->exec("DELETE FROM sessions WHERE expires_at <= $1", {clock_()}));
  BW_TRY(sql_->exec("INSERT INTO sessions(hash, token_id, csrf_hash, csrf, expires_at) VALUES ($1,$2,$3,$4,$5)",
                    {util::sha256_hex(s.cookie), who.token_id, util::sha256_hex(s.csrf), s.csrf, s.expires_at}));
  return s;
}

Result<std::optional<Principal>> Store::session(std::string_view cookie) {
  if (cookie.size() != 64) return std::optional<Principal>{};
  Reader rd(*this);
  auto rows = rd.sql->query(
      "SELECT s.csrf, s.expires_at, t.id, t.role, t.host, t.expires_at, t.revoked_at FROM sessions s JOIN tokens t "
      "ON t.id = s.token_id WHERE s.hash = $1",
      {util::sha256_hex(cookie)});
  if (!rows) return std::unexpected(rows.error());
  if (rows->empty()) return std::optional<Principal>{};
  const auto& r = (*rows)[0];
  std::int64_t now = clock_();
  if (as_int(r[1]) <= now || as_int(r[6]) != 0 || (as_int(r[5]) != 0 && as_int(r[5]) <= now)) {
    return std::optional<Principal>{};
  }
  Principal p;
  p.csrf = as_text(r[0]);
  p.token_id = as_text(r[2]);
  p.role = parse_role(as_text(r[3])).value_or(Role::reader);
  p.host = as_text(r[4]);
  return std::optional<Principal>{p};
}

Status Store::delete_session(std::string_view cookie) {
  std::lock_guard lock(mutex_);
  return sql_->exec("DELETE FROM sessions WHERE hash = $1", {util::sha256_hex(cookie)});
}

Result<std::int64_t> Store::delete_expired_sessions() {
  std::lock_guard lock(mutex_);
  auto rows = sql_->query("DELETE FROM sessions WHERE expires_at <= $1 RETURNING hash", {clock_()});
  if (!rows) return std::unexpected(rows.error());
  return static_cast<std::int64_t>(rows->size());
}

// ---- kept counts -------------------------------------------------------------------------------

Status refresh_finding_counts(Sql& sql, const std::vector<std::string>& target_keys, std::string_view origin) {
  // Pieces of 64, 32, ... 1 keys: at most seven statement texts of each kind (the SQLite
  // connection caches prepared statements by their text).
  std::size_t at = 0;
  for (std::size_t piece = 64; at < target_keys.size(); piece = std::max<std::size_t>(1, piece / 2)) {
    while (target_keys.size() - at >= piece) {
      std::vector<Value> params{std::string(origin)};
      std::string in;
      for (std::size_t i = at; i < at + piece; ++i) {
        params.emplace_back(target_keys[i]);
        in += fmt::format("{}${}", i == at ? "" : ",", params.size());
      }
      BW_TRY(sql.exec(fmt::format("DELETE FROM finding_counts WHERE origin = $1 AND target_key IN ({})", in), params));
      BW_TRY(sql.exec(
          fmt::format("INSERT INTO finding_counts(target_key, origin, severity, day, n, fixable) SELECT target_key, "
                      "origin, severity, first_seen / 86400, COUNT(*), SUM(CASE WHEN fixed_version <> '' THEN 1 ELSE "
                      "0 END) FROM findings WHERE origin = $1 AND target_key IN ({}) AND package <> '' AND (status = "
                      "'fail' OR status = '') GROUP BY target_key, origin, severity, first_seen / 86400",
                      in),
          params));
      at += piece;
    }
  }
  return {};
}

// ---- ingest ------------------------------------------------------------------------------------

namespace {

struct FindingKey {
  std::string vuln_id, package, version;
  auto operator<=>(const FindingKey&) const = default;
};

Status store_target(Sql& sql, const TargetRec& t, const std::string& host, const std::string& report_id,
                    std::int64_t now, std::vector<NewFinding>& fresh) {
  std::string key = t.key();
  auto existing = sql.query("SELECT names FROM targets WHERE key = $1", {key});
  if (!existing) return std::unexpected(existing.error());
  std::set<std::string> names;
  if (!existing->empty()) {
    for (const auto& n : parse_array((*existing)[0][0])) {
      if (n.is_string()) names.insert(n.get<std::string>());
    }
  }
  names.insert(t.names.begin(), t.names.end());
  json names_json = json::array();
  for (const auto& n : names) names_json.push_back(n);
  std::string score = t.score_percent ? fmt::format("{:.1f}", *t.score_percent) : std::string();
  BW_TRY(sql.exec(
      "INSERT INTO targets(key, kind, name, target_id, names, os_id, os_version, os_pretty, host, score, has_sbom, "
      "first_seen, last_seen, report_id) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$12,$13) "
      "ON CONFLICT(key) DO UPDATE SET name = excluded.name, names = excluded.names, "
      "os_id = CASE WHEN excluded.os_id <> '' THEN excluded.os_id ELSE targets.os_id END, "
      "os_version = CASE WHEN excluded.os_id <> '' THEN excluded.os_version ELSE targets.os_version END, "
      "os_pretty = CASE WHEN excluded.os_id <> '' THEN excluded.os_pretty ELSE targets.os_pretty END, "
      "host = CASE WHEN excluded.host <> '' THEN excluded.host ELSE targets.host END, "
      "score = CASE WHEN excluded.score <> '' THEN excluded.score ELSE targets.score END, "
      "has_sbom = CASE WHEN excluded.has_sbom = 1 THEN 1 ELSE targets.has_sbom END, "
      "last_seen = excluded.last_seen, report_id = excluded.report_id",
      {key, t.kind, t.name, t.id, names_json.dump(), t.os_id, t.os_version, t.os_pretty, host, score,
       std::int64_t{t.has_packages ? 1 : 0}, now, report_id}));
  if (t.has_packages) {
    BW_TRY(sql.exec("DELETE FROM packages WHERE target_key = $1", {key}));
    for (const auto& p : t.packages) {
      BW_TRY(sql.exec(
          "INSERT INTO packages(target_key, name, version, source, source_version, ecosystem, purl, architecture, "
          "license, layer) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)",
          {key, p.name, p.version, p.source, p.source_version, p.ecosystem, p.purl, p.architecture, p.license,
           p.layer}));
    }
  }
  if (t.has_layers) {
    BW_TRY(sql.exec("DELETE FROM layers WHERE target_key = $1", {key}));
    for (std::size_t i = 0; i < t.layers.size(); ++i) {
      const auto& l = t.layers[i];
      BW_TRY(
          sql.exec("INSERT INTO layers(target_key, position, digest, diff_id, media_type, size, created_by) VALUES "
                   "($1,$2,$3,$4,$5,$6,$7)",
                   {key, static_cast<std::int64_t>(i), l.digest, l.diff_id, l.media_type, l.size, l.created_by}));
    }
  }
  // Findings the scan reported replace the previous scan's; each keeps the first time it was seen.
  if (!t.has_packages || !t.findings.empty()) {
    auto old = sql.query(
        "SELECT vuln_id, package, package_version, first_seen FROM findings WHERE target_key = $1 AND origin = "
        "'report'",
        {key});
    if (!old) return std::unexpected(old.error());
    std::map<FindingKey, std::int64_t> first_seen;
    for (const auto& r : *old) first_seen[{as_text(r[0]), as_text(r[1]), as_text(r[2])}] = as_int(r[3]);
    BW_TRY(sql.exec("DELETE FROM findings WHERE target_key = $1 AND origin = 'report'", {key}));
    BW_TRY(sql.exec("DELETE FROM finding_ids WHERE target_key = $1 AND origin = 'report'", {key}));
    std::set<FindingKey> seen;
    for (const auto& f : t.findings) {
      FindingKey fk{f.id, f.package, f.package_version};
      if (!seen.insert(fk).second) continue;
      auto it = first_seen.find(fk);
      std::int64_t first = it == first_seen.end() ? now : it->second;
      json aliases = json::array();
      for (const auto& a : f.aliases) aliases.push_back(a);
      BW_TRY(sql.exec(
          "INSERT INTO findings(target_key, vuln_id, package, package_version, title, severity, status, practice, "
          "fixed_version, state, aliases, evidence, remediation, origin, first_seen, last_seen, layer) VALUES "
          "($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,'report',$14,$15,$16)",
          {key, f.id, f.package, f.package_version, f.title, f.severity, f.status, f.practice, f.fixed_version, f.state,
           aliases.dump(), f.evidence, f.remediation, first, now, f.layer}));
      std::set<std::string> ids{f.id};
      ids.insert(f.aliases.begin(), f.aliases.end());
      for (const auto& alias : ids) {
        BW_TRY(
            sql.exec("INSERT INTO finding_ids(target_key, vuln_id, package, package_version, origin, alias) VALUES "
                     "($1,$2,$3,$4,'report',$5)",
                     {key, f.id, f.package, f.package_version, alias}));
      }
      if (it == first_seen.end() && !f.package.empty()) {
        BW_TRY(
            sql.exec("INSERT INTO events(time, kind, vuln_id, target_key, package, severity, detail) VALUES "
                     "($1,'new',$2,$3,$4,$5,'reported by an upload')",
                     {now, f.id, key, f.package, f.severity}));
        fresh.push_back({t.kind, t.name, t.id, f.id, f.severity, f.package, f.package_version, f.fixed_version});
      }
    }
    BW_TRY(refresh_finding_counts(sql, {key}, "report"));
  }
  return {};
}

}  // namespace

namespace {

Result<std::optional<IngestOutcome>> find_duplicate(Sql& sql, const Document& doc, std::string_view idempotency_key) {
  auto dup = sql.query("SELECT id, digest FROM reports WHERE digest = $1 OR idem_key = $2",
                       {doc.digest, idempotency_key.empty() ? Value{nullptr} : Value{std::string(idempotency_key)}});
  if (!dup) return std::unexpected(dup.error());
  if (dup->empty()) return std::optional<IngestOutcome>{};
  return std::optional<IngestOutcome>{IngestOutcome{as_text((*dup)[0][0]), as_text((*dup)[0][1]), true}};
}

// One document, inside the caller's transaction.
Result<IngestOutcome> ingest_one(Sql& sql, const Store::IngestRequest& req, std::int64_t now, const IngestHook& hook) {
  const Document& doc = *req.doc;
  const Principal& who = *req.who;
  const std::size_t size = req.size;
  const std::string_view idempotency_key = req.idempotency_key;
  {
    auto dup = find_duplicate(sql, doc, idempotency_key);
    if (!dup) return std::unexpected(dup.error());
    if (*dup) {
      if (req.verdict) BW_TRY(write_policy_verdict(sql, (*dup)->id, who.token_id, *req.verdict, now));
      (*dup)->verdict = req.verdict;
      return std::move(**dup);
    }
  }
  auto rid = random_hex(12);
  if (!rid) return std::unexpected(rid.error());
  IngestOutcome out{"r_" + *rid, doc.digest, false};
  json targets = json::array();
  for (const auto& t : doc.targets) targets.push_back({{"kind", t.kind}, {"name", t.name}, {"key", t.key()}});
  BW_TRY(
      sql.exec("INSERT INTO reports(id, digest, idem_key, kind, host, token_id, received_at, size, targets) VALUES "
               "($1,$2,$3,$4,$5,$6,$7,$8,$9)",
               {out.id, doc.digest, idempotency_key.empty() ? Value{nullptr} : Value{std::string(idempotency_key)},
                std::string(to_string(doc.kind)), doc.host, who.token_id, now, static_cast<std::int64_t>(size),
                targets.dump()}));
  if (!doc.host.empty()) {
    BW_TRY(sql.exec(
        "INSERT INTO hosts(name, engine, first_seen, last_seen) VALUES ($1,$2,$3,$3) ON CONFLICT(name) DO UPDATE "
        "SET last_seen = excluded.last_seen, engine = CASE WHEN excluded.engine <> '' THEN excluded.engine ELSE "
        "hosts.engine END",
        {doc.host, doc.engine, now}));
  }
  out.new_findings.clear();
  out.alert_seqs.clear();
  for (const auto& t : doc.targets) BW_TRY(store_target(sql, t, doc.host, out.id, now, out.new_findings));
  if (doc.reachability.present && !doc.targets.empty()) {
    const auto& rc = doc.reachability;
    BW_TRY(
        sql.exec("INSERT INTO reachability(report_id, target_key, name, received_at, namespaces, workloads, edges, "
                 "open_namespaces, exposed, graph) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)",
                 {out.id, doc.targets.front().key(), doc.targets.front().name, now, rc.namespaces, rc.workloads,
                  rc.edges, rc.open_namespaces, rc.exposed, rc.json}));
  }
  if (doc.kind == ReportKind::inventory) {
    BW_TRY(sql.exec("DELETE FROM containers WHERE host = $1", {doc.host}));
    std::set<std::string> seen;
    for (const auto& c : doc.containers) {
      if (!seen.insert(c.id).second) continue;
      BW_TRY(
          sql.exec("INSERT INTO containers(host, id, name, image, image_id, state, started_at, runtime, pod_name, "
                   "pod_namespace, pod_uid, last_seen) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)",
                   {doc.host, c.id, c.name, c.image, c.image_id, c.state, c.started_at, c.runtime, c.pod_name,
                    c.pod_namespace, c.pod_uid, now}));
      if (c.state == "running" && !c.image_id.empty()) {
        BW_TRY(sql.exec(
            "INSERT INTO image_runs(image_id, last_running) VALUES ($1,$2) ON CONFLICT(image_id) DO UPDATE SET "
            "last_running = excluded.last_running",
            {c.image_id, now}));
      }
    }
    for (const auto& im : doc.images) {
      json names = json::array();
      for (const auto& n : im.names) names.push_back(n);
      BW_TRY(
          sql.exec("INSERT INTO host_images(host, image_id, names, last_seen) VALUES ($1,$2,$3,$4) ON CONFLICT(host, "
                   "image_id) DO UPDATE SET names = excluded.names, last_seen = excluded.last_seen",
                   {doc.host, im.id, names.dump(), now}));
    }
  }
  for (const auto& a : doc.alerts) {
    std::int64_t at = parse_rfc3339(a.time).value_or(now);
    auto seq = sql.query(
        "INSERT INTO alerts(host, time, time_unix, rule, priority, output, source, container_id, container_name, "
        "image, pod_name, pod_namespace, report_id) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13) "
        "RETURNING id",
        {doc.host, a.time.empty() ? format_rfc3339(at) : a.time, at, a.rule, a.priority, a.output, a.source,
         a.container_id, a.container_name, a.image, a.pod_name, a.pod_namespace, out.id});
    if (!seq) return std::unexpected(seq.error());
    out.alert_seqs.push_back(seq->empty() ? 0 : as_int((*seq)[0][0]));
  }
  for (const auto& a : doc.activity) {
    BW_TRY(sql.exec(
        "INSERT INTO activity(host, container_id, at, cpu_usage_usec, memory_bytes, io_read_bytes, io_write_bytes, "
        "pids) VALUES ($1,$2,$3,$4,$5,$6,$7,$8) ON CONFLICT(host, container_id) DO UPDATE SET at = excluded.at, "
        "cpu_usage_usec = excluded.cpu_usage_usec, memory_bytes = excluded.memory_bytes, io_read_bytes = "
        "excluded.io_read_bytes, io_write_bytes = excluded.io_write_bytes, pids = excluded.pids",
        {doc.host, a.container_id, now, a.cpu_usage_usec, a.memory_bytes, a.io_read_bytes, a.io_write_bytes, a.pids}));
  }
  for (const auto& c : doc.connections) {
    BW_TRY(
        sql.exec("INSERT INTO connections(host, container_id, direction, peer, port, count, last_seen) VALUES "
                 "($1,$2,$3,$4,$5,$6,$7) ON CONFLICT(host, container_id, direction, peer, port) DO UPDATE SET count = "
                 "connections.count + excluded.count, last_seen = excluded.last_seen",
                 {doc.host, c.container_id, c.direction, c.peer, c.port, c.count, now}));
  }
  if (req.verdict) BW_TRY(write_policy_verdict(sql, out.id, who.token_id, *req.verdict, now));
  out.verdict = req.verdict;
  if (hook) BW_TRY(hook(sql, doc, out));
  return out;
}

}  // namespace

Result<IngestOutcome> Store::ingest(const Document& doc, std::size_t size, const Principal& who,
                                    std::string_view idempotency_key, const IngestHook& hook) {
  auto r = ingest_batch({IngestRequest{&doc, size, &who, idempotency_key, nullptr}}, hook);
  return std::move(r.front());
}

std::vector<Result<IngestOutcome>> Store::ingest_batch(const std::vector<IngestRequest>& requests,
                                                       const IngestHook& hook) {
  std::lock_guard lock(mutex_);
  std::vector<Result<IngestOutcome>> results;
  const bool savepoints = requests.size() > 1;
  const std::int64_t now = clock_();
  auto body = [&](Sql& sql) -> Status {
    results.clear();
    if (sql.dialect() == Dialect::postgresql) {
      // Processes sharing the store: uploads that touch the same target or host's inventory
      // take turns (their read-then-replace of packages, findings and containers would
      // interleave otherwise). Every key of the batch is locked up front in key order, so two
      // batches never wait for each other in a cycle.
      std::set<std::string> keys;
      for (const auto& r : requests) {
        for (const auto& t : r.doc->targets) keys.insert(t.key());
        if (r.doc->kind == ReportKind::inventory) keys.insert("inventory:" + r.doc->host);
      }
      for (const auto& k : keys) BW_TRY(sql.exec("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", {k}));
    }
    for (const auto& req : requests) {
      if (savepoints) BW_TRY(sql.exec("SAVEPOINT bw_ingest"));
      auto one = ingest_one(sql, req, now, hook);
      if (!savepoints) {
        if (!one) return std::unexpected(one.error());
        results.push_back(std::move(one));
        continue;
      }
      if (one) {
        BW_TRY(sql.exec("RELEASE SAVEPOINT bw_ingest"));
        results.push_back(std::move(one));
        continue;
      }
      BW_TRY(sql.exec("ROLLBACK TO SAVEPOINT bw_ingest"));
      BW_TRY(sql.exec("RELEASE SAVEPOINT bw_ingest"));
      if (one.error().code == ErrorCode::invalid_argument) {  // lost the race for the unique index
        auto dup = find_duplicate(sql, *req.doc, req.idempotency_key);
        if (dup && *dup) {
          if (req.verdict) BW_TRY(write_policy_verdict(sql, (*dup)->id, req.who->token_id, *req.verdict, now));
          (*dup)->verdict = req.verdict;
          results.push_back(std::move(**dup));
          continue;
        }
      }
      results.push_back(std::unexpected(one.error()));
    }
    return {};
  };
  if (auto st = transaction(body); !st) {
    results.clear();
    for (const auto& req : requests) {
      // Another process sharing the store stored the same document (or key) a moment ago: its
      // insert won the unique index on reports; this upload is the duplicate.
      if (!savepoints && st.error().code == ErrorCode::invalid_argument) {
        auto dup = find_duplicate(*sql_, *req.doc, req.idempotency_key);
        if (dup && *dup) {
          results.push_back(std::move(**dup));
          continue;
        }
      }
      results.push_back(std::unexpected(st.error()));
    }
  }
  return results;
}

// ---- jobs --------------------------------------------------------------------------------------

Result<std::int64_t> Store::enqueue_job(std::string_view kind, std::string_view payload, std::string_view dedup_key,
                                        std::int64_t run_after) {
  if (kind.empty() || kind.size() > 64) return fail(ErrorCode::invalid_argument, "job kind: 1 to 64 characters");
  std::lock_guard lock(mutex_);
  Value dedup = dedup_key.empty() ? Value{nullptr} : Value{std::string(dedup_key)};
  auto rows = sql_->query(
      "INSERT INTO jobs(kind, payload, dedup, run_after, created_at) VALUES ($1,$2,$3,$4,$5) ON CONFLICT(dedup) DO "
      "NOTHING RETURNING id",
      {std::string(kind), std::string(payload), dedup, run_after, clock_()});
  if (!rows) return std::unexpected(rows.error());
  if (!rows->empty()) return as_int((*rows)[0][0]);
  auto existing = sql_->query("SELECT id FROM jobs WHERE dedup = $1", {dedup});
  if (!existing) return std::unexpected(existing.error());
  if (existing->empty()) return fail(ErrorCode::internal, "job dedup key vanished", std::string(dedup_key));
  return as_int((*existing)[0][0]);
}

Result<std::optional<Job>> Store::claim_job(const std::vector<std::string>& kinds, std::string_view worker,
                                            std::int64_t lease_seconds) {
  if (kinds.empty()) return std::optional<Job>{};
  std::string in;
  std::vector<Value> params{std::string(worker), clock_() + lease_seconds, clock_()};
  for (const auto& k : kinds) {
    params.emplace_back(k);
    in += fmt::format("{}${}", in.empty() ? "" : ",", params.size());
  }
  // PostgreSQL: the row the sub-select locks is skipped by every other claimer until this
  // transaction ends; SQLite has one writer at a time (BEGIN IMMEDIATE), which gives the same.
  std::string sql = fmt::format(
      "UPDATE jobs SET state = 'running', claimed_by = $1, claimed_until = $2, attempts = attempts + 1 WHERE id = "
      "(SELECT id FROM jobs WHERE kind IN ({}) AND run_after <= $3 AND (state = 'queued' OR (state = 'running' AND "
      "claimed_until < $3)) ORDER BY id LIMIT 1{}) RETURNING id, kind, payload, attempts",
      in, sql_->dialect() == Dialect::postgresql ? " FOR UPDATE SKIP LOCKED" : "");
  std::optional<Job> out;
  BW_TRY(transaction([&](Sql& s) -> Status {
    auto rows = s.query(sql, params);
    if (!rows) return std::unexpected(rows.error());
    if (!rows->empty()) {
      const auto& r = (*rows)[0];
      out = Job{as_int(r[0]), as_text(r[1]), as_text(r[2]), as_int(r[3]), std::string(worker)};
    }
    return {};
  }));
  return out;
}

Result<bool> Store::extend_job(std::int64_t id, std::string_view worker, std::int64_t lease_seconds) {
  std::lock_guard lock(mutex_);
  auto rows = sql_->query(
      "UPDATE jobs SET claimed_until = $1 WHERE id = $2 AND claimed_by = $3 AND state = 'running' RETURNING id",
      {clock_() + lease_seconds, id, std::string(worker)});
  if (!rows) return std::unexpected(rows.error());
  return !rows->empty();
}

Result<bool> Store::finish_job(std::int64_t id, std::string_view worker, bool ok, std::string_view result) {
  std::lock_guard lock(mutex_);
  auto rows = sql_->query(
      "UPDATE jobs SET state = $1, finished_at = $2, result = $3 WHERE id = $4 AND claimed_by = $5 AND state = "
      "'running' RETURNING id",
      {std::string(ok ? "done" : "failed"), clock_(), std::string(result.substr(0, 4096)), id, std::string(worker)});
  if (!rows) return std::unexpected(rows.error());
  return !rows->empty();
}

Result<std::map<std::string, std::int64_t>> Store::job_counts() {
  std::lock_guard lock(mutex_);
  auto rows = sql_->query("SELECT state, COUNT(*) FROM jobs GROUP BY state");
  if (!rows) return std::unexpected(rows.error());
  std::map<std::string, std::int64_t> out{{"queued", 0}, {"running", 0}, {"done", 0}, {"failed", 0}};
  for (const auto& r : *rows) out[as_text(r[0])] = as_int(r[1]);
  return out;
}

Result<bool> Store::job_progress(std::int64_t id, std::string_view worker, std::int64_t done, std::int64_t total,
                                 std::int64_t lease_seconds) {
  std::lock_guard lock(mutex_);
  auto rows = sql_->query(
      "UPDATE jobs SET progress_done = $1, progress_total = $2, claimed_until = $3 WHERE id = $4 AND claimed_by = $5 "
      "AND state = 'running' RETURNING id",
      {done, total, clock_() + lease_seconds, id, std::string(worker)});
  if (!rows) return std::unexpected(rows.error());
  return !rows->empty();
}

Result<json> Store::jobs(const ListQuery& q) {
  Reader rd(*this);
  auto cursor = seq_cursor(q);
  if (!cursor) return std::unexpected(cursor.error());
  auto rows = rd.sql->query(
      "SELECT id, kind, state, payload, claimed_by, claimed_until, attempts, created_at, finished_at, result, "
      "progress_done, progress_total, run_after FROM jobs WHERE id < $1 AND ($2 = '' OR kind = $2) AND ($3 = '' OR "
      "state = $3) ORDER BY id DESC LIMIT $4",
      {*cursor, opt_filter(q, "kind"), opt_filter(q, "state"), static_cast<std::int64_t>(q.limit + 1)});
  if (!rows) return std::unexpected(rows.error());
  json items = json::array();
  std::string next;
  for (const auto& r : *rows) {
    if (items.size() == q.limit) {
      next = hex_encode(std::to_string(items.back()["id"].get<std::int64_t>()));
      break;
    }
    json j = {{"id", as_int(r[0])},
              {"kind", as_text(r[1])},
              {"state", as_text(r[2])},
              {"attempts", as_int(r[6])},
              {"created_at", format_rfc3339(as_int(r[7]))},
              {"progress", {{"done", as_int(r[10])}, {"total", as_int(r[11])}}}};
    if (auto payload = json::parse(as_text(r[3]), nullptr, false); payload.is_object()) j["payload"] = payload;
    if (!as_text(r[4]).empty()) j["claimed_by"] = as_text(r[4]);
    if (as_text(r[2]) == "running") j["lease_until"] = format_rfc3339(as_int(r[5]));
    if (as_int(r[8]) > 0) j["finished_at"] = format_rfc3339(as_int(r[8]));
    if (as_int(r[12]) > 0) j["run_after"] = format_rfc3339(as_int(r[12]));
    if (!as_text(r[9]).empty()) j["result"] = as_text(r[9]);
    items.push_back(std::move(j));
  }
  json out = {{"items", items}};
  if (!next.empty()) out["next_cursor"] = next;
  return out;
}

Result<std::vector<Store::JobProgress>> Store::running_jobs() {
  Reader rd(*this);
  auto rows = rd.sql->query(
      "SELECT id, kind, progress_done, progress_total FROM jobs WHERE state = 'running' ORDER BY id LIMIT 100");
  if (!rows) return std::unexpected(rows.error());
  std::vector<JobProgress> out;
  for (const auto& r : *rows) out.push_back({as_int(r[0]), as_text(r[1]), as_int(r[2]), as_int(r[3])});
  return out;
}

Result<std::vector<Store::JobState>> Store::jobs_with_dedup_prefix(std::string_view prefix) {
  std::lock_guard lock(mutex_);
  std::string pattern(prefix);
  for (char c : {'\\', '%', '_'}) {
    for (std::size_t p = 0; (p = pattern.find(c, p)) != std::string::npos; p += 2) pattern.insert(p, 1, '\\');
  }
  auto rows = sql_->query("SELECT id, state, claimed_by, result FROM jobs WHERE dedup LIKE $1 ESCAPE '\\' ORDER BY id",
                          {pattern + "%"});
  if (!rows) return std::unexpected(rows.error());
  std::vector<JobState> out;
  for (const auto& r : *rows) out.push_back({as_int(r[0]), as_text(r[1]), as_text(r[2]), as_text(r[3])});
  return out;
}

// ---- advisory imports shared by replicas ------------------------------------------------------

Result<std::int64_t> Store::add_advisory_import(std::string_view name, std::string_view body, std::string_view worker) {
  std::lock_guard lock(mutex_);
  auto rows =
      sql_->query("INSERT INTO advisory_imports(name, body, created_at, worker) VALUES ($1,$2,$3,$4) RETURNING id",
                  {std::string(name), hex_encode(body), clock_(), std::string(worker)});
  if (!rows) return std::unexpected(rows.error());
  return as_int((*rows)[0][0]);
}

Result<std::int64_t> Store::last_advisory_import() {
  Reader rd(*this);
  auto rows = rd.sql->query("SELECT COALESCE(MAX(id), 0) FROM advisory_imports");
  if (!rows) return std::unexpected(rows.error());
  return as_int((*rows)[0][0]);
}

Result<std::vector<Store::AdvisoryImport>> Store::advisory_imports(std::int64_t after, std::int64_t up_to) {
  Reader rd(*this);
  auto rows = rd.sql->query("SELECT id, name, body FROM advisory_imports WHERE id > $1 AND id <= $2 ORDER BY id",
                            {after, up_to});
  if (!rows) return std::unexpected(rows.error());
  std::vector<AdvisoryImport> out;
  for (const auto& r : *rows) {
    // hex_decode's 4096-byte bound is for cursors; bodies are decoded here without it.
    const std::string hex = as_text(r[2]);
    std::string body;
    body.reserve(hex.size() / 2);
    auto val = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
      body.push_back(static_cast<char>(val(hex[i]) * 16 + val(hex[i + 1])));
    out.push_back({as_int(r[0]), as_text(r[1]), std::move(body)});
  }
  return out;
}

// ---- retention ---------------------------------------------------------------------------------

Result<std::vector<RetainedImage>> Store::retention_images() {
  Reader rd(*this);
  auto rows = rd.sql->query(
      "SELECT t.key, t.target_id, t.name, t.names, t.first_seen, t.last_seen, COALESCE((SELECT r.last_running FROM "
      "image_runs r WHERE r.image_id = t.target_id AND t.target_id <> ''), 0), (SELECT COUNT(*) FROM containers c "
      "WHERE c.image_id = t.target_id AND t.target_id <> '' AND c.state = 'running') FROM targets t WHERE t.kind = "
      "'image' ORDER BY t.key");
  if (!rows) return std::unexpected(rows.error());
  std::vector<RetainedImage> out;
  out.reserve(rows->size());
  for (const auto& r : *rows) {
    RetainedImage im{as_text(r[0]), as_text(r[1]), as_text(r[2]), {},
                     as_int(r[4]),  as_int(r[5]),  as_int(r[6]),  as_int(r[7])};
    for (const auto& n : parse_array(r[3])) {
      if (n.is_string()) im.names.push_back(n.get<std::string>());
    }
    out.push_back(std::move(im));
  }
  return out;
}

namespace {

// A LIKE pattern matching `text` anywhere, with LIKE's wildcards escaped ('\' is the escape).
std::string like_anywhere(std::string_view text) {
  std::string out = "%";
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('%');
  return out;
}

Result<std::int64_t> delete_counting(Sql& sql, std::string_view table, const std::string& key) {
  auto rows = sql.query(fmt::format("DELETE FROM {} WHERE target_key = $1 RETURNING 1", table), {key});
  if (!rows) return std::unexpected(rows.error());
  return static_cast<std::int64_t>(rows->size());
}

}  // namespace

Result<DeletedImages> Store::delete_images(const std::vector<std::string>& keys,
                                           const std::vector<std::int64_t>& expected_last_seen) {
  if (keys.size() != expected_last_seen.size()) {
    return fail(ErrorCode::internal, "delete_images: one expected last_seen per key");
  }
  std::vector<std::size_t> order(keys.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::ranges::sort(order, [&](std::size_t a, std::size_t b) { return keys[a] < keys[b]; });
  DeletedImages out;
  auto done = transaction([&](Sql& sql) -> Status {
    out = {};
    std::set<std::string> gone;
    for (std::size_t i : order) {
      const std::string& key = keys[i];
      // PostgreSQL: the upload lock of this target (store.cpp ingest_batch), taken in key order,
      // so an upload of the same image waits for this transaction or this one for it.
      if (sql.dialect() == Dialect::postgresql) {
        BW_TRY(sql.exec("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", {key}));
      }
      auto t = sql.query("SELECT last_seen, target_id FROM targets WHERE key = $1 AND kind = 'image'", {key});
      if (!t) return std::unexpected(t.error());
      if (t->empty()) continue;
      if (as_int((*t)[0][0]) != expected_last_seen[i]) {
        ++out.skipped;  // uploaded again after it was chosen
        continue;
      }
      const std::string image_id = as_text((*t)[0][1]);
      BW_TRY(sql.exec("DELETE FROM finding_ids WHERE target_key = $1", {key}));
      auto f = delete_counting(sql, "findings", key);
      if (!f) return std::unexpected(f.error());
      auto p = delete_counting(sql, "packages", key);
      if (!p) return std::unexpected(p.error());
      for (const char* table : {"finding_counts", "match_keys", "layers", "events"}) {
        BW_TRY(sql.exec(fmt::format("DELETE FROM {} WHERE target_key = $1", table), {key}));
      }
      if (!image_id.empty()) BW_TRY(sql.exec("DELETE FROM image_runs WHERE image_id = $1", {image_id}));
      BW_TRY(sql.exec("DELETE FROM targets WHERE key = $1", {key}));
      out.findings += *f;
      out.packages += *p;
      ++out.images;
      gone.insert(key);
    }
    // The uploads that named only deleted targets go too (a re-upload of the same document is
    // then stored again, not answered as a duplicate of something no longer kept).
    std::set<std::string> checked;
    for (const auto& key : gone) {
      auto reps = sql.query("SELECT id, targets FROM reports WHERE targets LIKE $1 ESCAPE '\\'",
                            {like_anywhere(json(key).dump())});
      if (!reps) return std::unexpected(reps.error());
      for (const auto& r : *reps) {
        std::string id = as_text(r[0]);
        if (!checked.insert(id).second) continue;
        bool all_gone = true;
        for (const auto& t : parse_array(r[1])) {
          std::string k = t.is_object() ? t.value("key", "") : "";
          if (k.empty() || gone.contains(k)) continue;
          auto still = sql.query("SELECT 1 FROM targets WHERE key = $1", {k});
          if (!still) return std::unexpected(still.error());
          if (!still->empty()) all_gone = false;
        }
        if (!all_gone) continue;
        BW_TRY(sql.exec("DELETE FROM report_verdicts WHERE report_id = $1", {id}));
        BW_TRY(sql.exec("DELETE FROM reachability WHERE report_id = $1", {id}));
        BW_TRY(sql.exec("DELETE FROM reports WHERE id = $1", {id}));
        ++out.reports;
      }
    }
    return {};
  });
  if (!done) return std::unexpected(done.error());
  return out;
}

Result<json> Store::reclaim_space() {
  std::lock_guard lock(mutex_);
  if (sql_->dialect() == Dialect::postgresql) {
    auto rows = sql_->query(
        "SELECT COALESCE(SUM(n_dead_tup), 0), COALESCE(MAX(GREATEST(last_autovacuum, last_vacuum))::text, '') FROM "
        "pg_stat_user_tables WHERE schemaname = current_schema()");
    if (!rows) return std::unexpected(rows.error());
    json out = {{"method", "autovacuum"}, {"dead_rows", as_int((*rows)[0][0])}};
    if (!as_text((*rows)[0][1]).empty()) out["last_vacuum"] = as_text((*rows)[0][1]);
    return out;
  }
  auto pragma = [&](const char* name) -> Result<std::int64_t> {
    auto rows = sql_->query(fmt::format("PRAGMA {}", name));
    if (!rows) return std::unexpected(rows.error());
    return rows->empty() ? 0 : as_int((*rows)[0][0]);
  };
  auto free_before = pragma("freelist_count");
  auto mode = pragma("auto_vacuum");
  auto page_size = pragma("page_size");
  if (!free_before || !mode || !page_size) {
    return std::unexpected(!free_before ? free_before.error() : !mode ? mode.error() : page_size.error());
  }
  json out = {{"method", "none"}, {"free_pages_before", *free_before}};
  if (*free_before > 0) {
    if (*mode == 2) {
      // Gives every free page back to the file system (the log is copied in and cut below).
      BW_TRY(sql_->query("PRAGMA incremental_vacuum"));
      out["method"] = "incremental_vacuum";
    } else {
      // A store made before incremental auto-vacuum was the default: one VACUUM rewrites it and
      // switches it over, so later runs are incremental.
      BW_TRY(sql_->script("PRAGMA auto_vacuum=INCREMENTAL; VACUUM;"));
      out["method"] = "vacuum";
    }
  }
  BW_TRY(sql_->query("PRAGMA wal_checkpoint(TRUNCATE)"));
  auto free_after = pragma("freelist_count");
  if (!free_after) return std::unexpected(free_after.error());
  out["free_pages_after"] = *free_after;
  out["bytes_freed"] = (*free_before - *free_after) * *page_size;
  return out;
}

Result<json> Store::store_size() {
  Reader rd(*this);  // SQLite: the read connection (a scrape of /metrics never waits for an upload)
  Sql& sql = *rd.sql;
  if (sql.dialect() == Dialect::postgresql) {
    auto rows = sql.query(
        "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c JOIN pg_namespace n ON n.oid = "
        "c.relnamespace WHERE n.nspname = current_schema() AND c.relkind = 'r'");
    if (!rows) return std::unexpected(rows.error());
    auto db = sql.query(
        "SELECT pg_database_size(current_database()), current_schema(), (SELECT COALESCE(SUM(n_dead_tup), 0) FROM "
        "pg_stat_user_tables WHERE schemaname = current_schema())");
    if (!db) return std::unexpected(db.error());
    return json{{"engine", "postgresql"},
                {"bytes", as_int((*rows)[0][0])},
                {"postgresql",
                 {{"schema", as_text((*db)[0][1])},
                  {"database_bytes", as_int((*db)[0][0])},
                  {"dead_rows", as_int((*db)[0][2])}}}};
  }
  auto one = [&](const char* q) -> std::int64_t {
    auto rows = sql.query(q);
    return rows && !rows->empty() ? as_int((*rows)[0][0]) : 0;
  };
  std::int64_t page_size = one("PRAGMA page_size"), pages = one("PRAGMA page_count");
  std::error_code ec;
  std::int64_t file = 0, wal = 0;
  if (!sqlite_path_.empty()) {
    auto f = std::filesystem::file_size(sqlite_path_, ec);
    file = ec ? page_size * pages : static_cast<std::int64_t>(f);
    auto w = std::filesystem::file_size(sqlite_path_.string() + "-wal", ec);
    wal = ec ? 0 : static_cast<std::int64_t>(w);
  } else {
    file = page_size * pages;
  }
  return json{{"engine", "sqlite"},
              {"bytes", file + wal},
              {"sqlite",
               {{"file_bytes", file},
                {"wal_bytes", wal},
                {"page_size", page_size},
                {"pages", pages},
                {"free_pages", one("PRAGMA freelist_count")},
                {"auto_vacuum", one("PRAGMA auto_vacuum") == 2 ? "incremental" : "none"}}}};
}

// ---- queries -----------------------------------------------------------------------------------

namespace {

// The kept counts (finding_counts) of one target (key) or of every target of a kind: per target,
// the open vulnerability findings by severity and how many have a fix, of the origin the target's
// findings are shown from (the server's once it matched the target, else the upload's).
struct KeptCounts {
  std::int64_t by_severity[6] = {};  // kSeverityOrder
  std::int64_t fixable = 0, total = 0;
};

Result<std::map<std::string, KeptCounts, std::less<>>> kept_counts(Sql& sql, std::string_view kind,
                                                                   std::string_view key = {}) {
  auto rows = sql.query(
      fmt::format("SELECT c.target_key, c.severity, SUM(c.n), SUM(c.fixable) FROM finding_counts c JOIN targets t ON "
                  "t.key = c.target_key WHERE {} = $1 AND c.origin = (CASE WHEN t.matched_at > 0 THEN 'server' ELSE "
                  "'report' END) GROUP BY c.target_key, c.severity",
                  key.empty() ? "t.kind" : "c.target_key"),
      {std::string(key.empty() ? kind : key)});
  if (!rows) return std::unexpected(rows.error());
  std::map<std::string, KeptCounts, std::less<>> out;
  for (const auto& r : *rows) {
    auto& c = out[as_text(r[0])];
    const std::string sev = as_text(r[1]);
    for (int i = 0; i < 6; ++i) {
      if (sev == kSeverityOrder[i]) c.by_severity[i] += as_int(r[2]);
    }
    c.fixable += as_int(r[3]);
    c.total += as_int(r[2]);
  }
  return out;
}

json counts_json(const KeptCounts& c) {
  json counts = json::object();
  for (int i = 0; i < 6; ++i) counts[kSeverityOrder[i]] = c.by_severity[i];
  return counts;
}

json os_json(const Row& r, std::size_t at) {
  json os = json::object();
  if (!as_text(r[at]).empty()) os["id"] = as_text(r[at]);
  if (!as_text(r[at + 1]).empty()) os["version_id"] = as_text(r[at + 1]);
  if (!as_text(r[at + 2]).empty()) os["pretty_name"] = as_text(r[at + 2]);
  return os;
}

constexpr const char* kImageColumns =
    "key, target_id, name, names, os_id, os_version, os_pretty, first_seen, last_seen, has_sbom, report_id, kind";

// One image's row of the list (kept: its counts when the caller has them already).
json image_json(Sql& sql, const Row& r, const KeptCounts* kept = nullptr) {
  std::string key = as_text(r[0]);
  json item = {{"id", as_text(r[1]).empty() ? key : as_text(r[1])},
               {"kind", as_text(r[11])},
               {"name", as_text(r[2])},
               {"names", parse_array(r[3])},
               {"os", os_json(r, 4)},
               {"first_seen", format_rfc3339(as_int(r[7]))},
               {"last_seen", format_rfc3339(as_int(r[8]))},
               {"sbom", as_int(r[9]) != 0},
               {"report_id", as_text(r[10])}};
  KeptCounts mine;
  if (!kept) {
    if (auto all = kept_counts(sql, "", key); all && all->contains(key)) mine = all->find(key)->second;
    kept = &mine;
  }
  item["counts"] = counts_json(*kept);
  item["vulnerabilities"] = kept->total;
  item["fixable"] = kept->fixable;
  auto pk = sql.query("SELECT COUNT(*) FROM packages WHERE target_key = $1", {key});
  item["packages"] = pk ? as_int((*pk)[0][0]) : 0;
  json running = json::array();
  if (!as_text(r[1]).empty()) {
    auto rows = sql.query(
        "SELECT host, COUNT(*) FROM containers WHERE image_id = $1 AND state = 'running' GROUP BY host ORDER BY host",
        {as_text(r[1])});
    if (rows) {
      for (const auto& c : *rows) running.push_back({{"host", as_text(c[0])}, {"containers", as_int(c[1])}});
    }
  }
  item["running"] = running;
  return item;
}

// The name the dashboard shows for an image: the first of `names` that is a registry reference
// (not a scan transport such as docker-archive:/path), else the name it was scanned under, else
// the id (web/js/pages.js imageName, the same rule). The images list sorts by it.
std::string shown_name(const json& names, const std::string& name, const std::string& id) {
  static constexpr std::string_view kTransports[] = {
      "docker-archive:", "oci-archive:", "oci:", "docker:", "dir:", "rootfs:", "containerd:", "podman:", "registry:"};
  for (const auto& n : names) {
    if (!n.is_string()) continue;
    const auto& s = n.get_ref<const std::string&>();
    if (s.empty() || s.starts_with('/')) continue;
    bool transport = false;
    for (auto t : kTransports) transport = transport || s.starts_with(t);
    if (!transport) return s;
  }
  return name.empty() ? id : name;
}

// One image row's value for a sort key: a number (counts, last_seen) or a text (name).
struct SortValue {
  std::int64_t n = 0;
  std::string s;
  auto operator<=>(const SortValue&) const = default;
};

constexpr std::string_view kImageSorts[] = {"name", "critical", "high", "fixable", "last_seen"};

}  // namespace

Result<json> Store::images(const ListQuery& q) {
  Reader rd(*this);
  // sort: one of kImageSorts, '-' before it for descending; ties in key order. Absent: key order.
  std::string sort = opt_filter(q, "sort");
  bool desc = sort.starts_with('-');
  std::string sort_key = desc ? sort.substr(1) : sort;
  if (!sort.empty() && std::ranges::find(kImageSorts, sort_key) == std::end(kImageSorts)) {
    return fail(ErrorCode::invalid_argument,
                fmt::format("sort: unknown sort key '{}' (one of name, critical, high, fixable, last_seen; a leading "
                            "'-' sorts descending)",
                            sort_key));
  }
  // The cursor: without a sort, the last key (hex); with one, hex of {"sort", "n"|"s", "k"}, the last
  // row's place in that order, so a page starts after it even when rows came or went since.
  std::string after;
  std::optional<std::pair<SortValue, std::string>> after_sorted;
  if (!q.cursor.empty()) {
    auto c = hex_decode(q.cursor);
    if (!c) return fail(ErrorCode::invalid_argument, "cursor: not a cursor this server issued");
    if (sort.empty()) {
      after = *c;
    } else {
      json cj = json::parse(*c, nullptr, false);
      if (!cj.is_object() || !cj.contains("k") || !cj["k"].is_string() || !cj.contains("sort") ||
          !cj["sort"].is_string()) {
        return fail(ErrorCode::invalid_argument, "cursor: not a cursor this server issued for a sorted list");
      }
      if (cj["sort"].get<std::string>() != sort) {
        return fail(ErrorCode::invalid_argument,
                    fmt::format("cursor: issued for sort '{}', not '{}'", cj["sort"].get<std::string>(), sort));
      }
      SortValue v;
      if (cj.contains("n") && cj["n"].is_number_integer()) v.n = cj["n"].get<std::int64_t>();
      if (cj.contains("s") && cj["s"].is_string()) v.s = cj["s"].get<std::string>();
      after_sorted = std::pair{v, cj["k"].get<std::string>()};
    }
  }
  std::string kind = opt_filter(q, "kind");
  if (kind.empty()) kind = "image";
  std::string name = opt_filter(q, "name"), registry = opt_filter(q, "registry"), severity = opt_filter(q, "severity"),
              fixable = opt_filter(q, "fixable");
  int min_rank = severity.empty() ? 0 : severity_rank(severity);
  if (!severity.empty() && min_rank == 0) return fail(ErrorCode::invalid_argument, "severity: unknown severity");
  if (!fixable.empty() && fixable != "true" && fixable != "false") {
    return fail(ErrorCode::invalid_argument, "fixable: must be true or false");
  }
  auto rows = rd.sql->query(
      fmt::format("SELECT {} FROM targets WHERE kind = $1 AND key > $2 ORDER BY key", kImageColumns), {kind, after});
  if (!rows) return std::unexpected(rows.error());

  // The order to walk the rows in, and each row's sort value. The count sorts and the severity and
  // fixable filters read every image's kept counts in one query.
  const bool count_sort = sort_key == "critical" || sort_key == "high" || sort_key == "fixable";
  std::optional<std::map<std::string, KeptCounts, std::less<>>> kept;
  if (count_sort || min_rank > 0 || !fixable.empty()) {
    auto all = kept_counts(*rd.sql, kind);
    if (!all) return std::unexpected(all.error());
    kept = std::move(*all);
  }
  static const KeptCounts kNone;
  auto counts_of = [&](std::size_t i) -> const KeptCounts& {
    auto it = kept->find(as_text((*rows)[i][0]));
    return it == kept->end() ? kNone : it->second;
  };
  std::vector<std::size_t> order(rows->size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::vector<SortValue> values(rows->size());
  if (!sort.empty()) {
    if (count_sort) {
      for (std::size_t i = 0; i < rows->size(); ++i) {
        const auto& c = counts_of(i);
        values[i].n = sort_key == "critical" ? c.by_severity[0] : sort_key == "high" ? c.by_severity[1] : c.fixable;
      }
    } else if (sort_key == "last_seen") {
      for (std::size_t i = 0; i < rows->size(); ++i) values[i].n = as_int((*rows)[i][8]);
    } else {
      for (std::size_t i = 0; i < rows->size(); ++i) {
        const auto& r = (*rows)[i];
        values[i].s =
            shown_name(parse_array(r[3]), as_text(r[2]), as_text(r[1]).empty() ? as_text(r[0]) : as_text(r[1]));
      }
    }
    // Rows come in key order, so a stable sort leaves ties in key order both ways.
    std::ranges::stable_sort(
        order, [&](std::size_t a, std::size_t b) { return desc ? values[b] < values[a] : values[a] < values[b]; });
  }
  // Whether row i comes after the cursor's place in the sorted order.
  auto past_cursor = [&](std::size_t i) {
    if (!after_sorted) return true;
    const auto& [v, k] = *after_sorted;
    if (values[i] != v) return desc ? values[i] < v : v < values[i];
    return as_text((*rows)[i][0]) > k;
  };
  auto cursor_of = [&](std::size_t i) {
    if (sort.empty()) return hex_encode(as_text((*rows)[i][0]));
    json c = {{"sort", sort}, {"k", as_text((*rows)[i][0])}};
    if (sort_key == "name") {
      c["s"] = values[i].s;
    } else {
      c["n"] = values[i].n;
    }
    return hex_encode(c.dump());
  };

  json items = json::array();
  std::string next;
  std::size_t last = 0;
  for (std::size_t i : order) {
    if (!past_cursor(i)) continue;
    const auto& r = (*rows)[i];
    json names = parse_array(r[3]);
    if (!name.empty() || !registry.empty()) {
      bool hit = false;
      for (const auto& n : names) {
        const auto& s = n.get_ref<const std::string&>();
        if (!name.empty() && s.find(name) != std::string::npos) hit = true;
        if (!registry.empty() && s.starts_with(registry + "/")) hit = true;
      }
      if (!hit) continue;
    }
    const KeptCounts* counts = kept ? &counts_of(i) : nullptr;
    if (min_rank > 0) {
      bool hit = false;
      for (int s = 0; s < 6; ++s) {
        if (severity_rank(kSeverityOrder[s]) >= min_rank && counts->by_severity[s] > 0) hit = true;
      }
      if (!hit) continue;
    }
    if (fixable == "true" && counts->fixable == 0) continue;
    if (fixable == "false" && counts->fixable != 0) continue;
    if (items.size() == q.limit) {
      next = cursor_of(last);
      break;
    }
    json item = image_json(*rd.sql, r, counts);
    last = i;
    items.push_back(std::move(item));
  }
  json out = {{"items", items}};
  if (!sort.empty()) out["sort"] = sort;
  if (!next.empty()) out["next_cursor"] = next;
  return out;
}

Result<std::optional<json>> Store::image(std::string_view id) {
  Reader rd(*this);
  auto rows = rd.sql->query(
      fmt::format("SELECT {} FROM targets WHERE (kind = 'image' AND target_id = $1) OR key = $1", kImageColumns),
      {std::string(id)});
  if (!rows) return std::unexpected(rows.error());
  if (rows->empty()) return std::optional<json>{};
  const auto& r = (*rows)[0];
  json item = image_json(*rd.sql, r);
  std::string key = as_text(r[0]);
  auto pk = rd.sql->query(
      "SELECT name, version, source, source_version, ecosystem, purl, architecture, license, layer FROM packages "
      "WHERE target_key = $1 ORDER BY name, version",
      {key});
  if (!pk) return std::unexpected(pk.error());
  json packages = json::array();
  for (const auto& p : *pk) {
    json j = {{"name", as_text(p[0])}};
    static const char* const kCols[] = {"name", "version",      "source",  "source_version", "ecosystem",
                                        "purl", "architecture", "license", "layer"};
    for (std::size_t i = 1; i < 9; ++i) {
      if (!as_text(p[i]).empty()) j[kCols[i]] = as_text(p[i]);
    }
    packages.push_back(std::move(j));
  }
  item["package_list"] = packages;
  auto fr = rd.sql->query(
      "SELECT vuln_id, package, package_version, title, severity, status, practice, fixed_version, state, aliases, "
      "first_seen, last_seen, origin, evidence, layer FROM findings WHERE target_key = $1 ORDER BY package, vuln_id",
      {key});
  if (!fr) return std::unexpected(fr.error());
  json findings = json::array();
  for (const auto& f : *fr) {
    json j = {{"id", as_text(f[0])},
              {"severity", as_text(f[4])},
              {"first_seen", format_rfc3339(as_int(f[10]))},
              {"last_seen", format_rfc3339(as_int(f[11]))},
              {"origin", as_text(f[12])}};
    if (!as_text(f[1]).empty()) j["package"] = {{"name", as_text(f[1])}, {"version", as_text(f[2])}};
    if (!as_text(f[3]).empty()) j["title"] = as_text(f[3]);
    if (!as_text(f[5]).empty()) j["status"] = as_text(f[5]);
    if (!as_text(f[6]).empty()) j["practice"] = as_text(f[6]);
    if (!as_text(f[7]).empty()) j["fixed_version"] = as_text(f[7]);
    if (!as_text(f[8]).empty()) j["state"] = as_text(f[8]);
    if (!as_text(f[13]).empty()) j["evidence"] = as_text(f[13]);
    if (!as_text(f[14]).empty()) j["location"] = {{"layer", as_text(f[14])}};
    json aliases = parse_array(f[9]);
    if (!aliases.empty()) j["aliases"] = aliases;
    findings.push_back(std::move(j));
  }
  item["findings"] = findings;
  return std::optional<json>{item};
}

Result<std::optional<json>> Store::image_layers(std::string_view id) {
  Reader rd(*this);
  auto t = rd.sql->query(
      "SELECT key, target_id, matched_at FROM targets WHERE (kind = 'image' AND target_id = $1) OR key = $1",
      {std::string(id)});
  if (!t) return std::unexpected(t.error());
  if (t->empty()) return std::optional<json>{};
  const std::string key = as_text((*t)[0][0]);
  const std::string origin = as_int((*t)[0][2]) > 0 ? "server" : "report";
  auto ls = rd.sql->query(
      "SELECT position, digest, diff_id, media_type, size, created_by FROM layers WHERE target_key = $1 ORDER BY "
      "position",
      {key});
  if (!ls) return std::unexpected(ls.error());
  // A layer is named by its diffID in packages and findings (the digest of a layer with none).
  json layers = json::array();
  std::map<std::string, std::size_t> by_id;
  for (const auto& l : *ls) {
    json j = {{"index", as_int(l[0])}, {"size", as_int(l[4])}};
    static const char* const kCols[] = {"", "digest", "diff_id", "media_type", "", "created_by"};
    for (std::size_t i : {1, 2, 3, 5}) {
      if (!as_text(l[i]).empty()) j[kCols[i]] = as_text(l[i]);
    }
    j["packages"] = json::array();
    j["findings"] = json::array();
    j["counts"] = counts_json(KeptCounts{});
    j["vulnerabilities"] = 0;
    j["fixable"] = 0;
    for (std::size_t i : {2, 1}) {
      if (!as_text(l[i]).empty()) by_id.try_emplace(as_text(l[i]), layers.size());
    }
    layers.push_back(std::move(j));
  }
  json unattributed = {{"packages", json::array()},
                       {"findings", json::array()},
                       {"counts", counts_json(KeptCounts{})},
                       {"vulnerabilities", 0},
                       {"fixable", 0}};
  auto slot = [&](const std::string& layer) -> json& {
    auto it = by_id.find(layer);
    return it == by_id.end() ? unattributed : layers[it->second];
  };
  auto pk = rd.sql->query(
      "SELECT name, version, ecosystem, layer FROM packages WHERE target_key = $1 ORDER BY name, version", {key});
  if (!pk) return std::unexpected(pk.error());
  std::map<std::pair<std::string, std::string>, std::string> package_layer;
  for (const auto& p : *pk) {
    json j = {{"name", as_text(p[0])}};
    if (!as_text(p[1]).empty()) j["version"] = as_text(p[1]);
    if (!as_text(p[2]).empty()) j["ecosystem"] = as_text(p[2]);
    slot(as_text(p[3]))["packages"].push_back(std::move(j));
    package_layer.try_emplace({as_text(p[0]), as_text(p[1])}, as_text(p[3]));
  }
  // The open findings the image's counts count (vulnerabilities of its shown origin), and findings
  // with no package whose location names a layer (secrets, files); a package's finding is in the
  // layer that added the package.
  auto fr = rd.sql->query(
      "SELECT vuln_id, package, package_version, severity, fixed_version, layer, title FROM findings WHERE "
      "target_key = $1 AND (status = 'fail' OR status = '') AND ((package <> '' AND origin = $2) OR (package = '' "
      "AND layer <> '')) ORDER BY vuln_id, package, package_version",
      {key, origin});
  if (!fr) return std::unexpected(fr.error());
  for (const auto& f : *fr) {
    const std::string pkg = as_text(f[1]), sev = as_text(f[3]), fixed = as_text(f[4]);
    std::string layer = as_text(f[5]);
    if (layer.empty() && !pkg.empty()) {
      auto it = package_layer.find({pkg, as_text(f[2])});
      if (it != package_layer.end()) layer = it->second;
    }
    json& into = slot(layer);
    json j = {{"id", as_text(f[0])}, {"severity", sev}};
    if (!as_text(f[6]).empty()) j["title"] = as_text(f[6]);
    if (!pkg.empty()) {
      j["package"] = {{"name", pkg}, {"version", as_text(f[2])}};
      if (!fixed.empty()) j["fixed_version"] = fixed;
      if (into["counts"].contains(sev)) into["counts"][sev] = into["counts"][sev].get<std::int64_t>() + 1;
      into["vulnerabilities"] = into["vulnerabilities"].get<std::int64_t>() + 1;
      if (!fixed.empty()) into["fixable"] = into["fixable"].get<std::int64_t>() + 1;
    }
    into["findings"].push_back(std::move(j));
  }
  json out = {{"id", as_text((*t)[0][1]).empty() ? key : as_text((*t)[0][1])},
              {"layers", layers},
              {"unattributed", unattributed}};
  return std::optional<json>{out};
}

Result<json> Store::affected(std::string_view vuln_id) {
  Reader rd(*this);
  // Every finding that has this id or alias, then every id those findings go by.
  auto rows = rd.sql->query(
      "SELECT DISTINCT f.target_key, f.vuln_id, f.package, f.package_version, f.fixed_version, f.severity, "
      "f.aliases, t.kind, t.name, t.target_id, t.names, t.host FROM finding_ids i JOIN findings f ON "
      "f.target_key = i.target_key AND f.vuln_id = i.vuln_id AND f.package = i.package AND f.package_version = "
      "i.package_version AND f.origin = i.origin JOIN targets t ON t.key = f.target_key WHERE i.alias = $1 AND "
      "(f.package = '' OR f.origin = (CASE WHEN t.matched_at > 0 THEN 'server' ELSE 'report' END)) ORDER BY "
      "f.target_key, f.package",
      {std::string(vuln_id)});
  if (!rows) return std::unexpected(rows.error());
  std::set<std::string> ids{std::string(vuln_id)};
  std::map<std::string, json> images, others;
  std::set<std::string> hosts;
  std::map<std::string, json> containers;
  std::string severity;
  for (const auto& r : *rows) {
    ids.insert(as_text(r[1]));
    for (const auto& a : parse_array(r[6])) ids.insert(a.get<std::string>());
    if (severity_rank(as_text(r[5])) > severity_rank(severity)) severity = as_text(r[5]);
    std::string key = as_text(r[0]);
    auto& bucket = as_text(r[7]) == "image" ? images : others;
    auto [it, fresh] = bucket.try_emplace(key);
    if (fresh) {
      it->second = {{"id", as_text(r[9]).empty() ? key : as_text(r[9])},
                    {"kind", as_text(r[7])},
                    {"name", as_text(r[8])},
                    {"names", parse_array(r[10])},
                    {"packages", json::array()}};
      if (!as_text(r[11]).empty()) {
        it->second["host"] = as_text(r[11]);
        hosts.insert(as_text(r[11]));
      }
    }
    json p = {{"name", as_text(r[2])}, {"version", as_text(r[3])}, {"vulnerability", as_text(r[1])}};
    if (!as_text(r[4]).empty()) p["fixed_version"] = as_text(r[4]);
    auto& pkgs = it->second["packages"];
    if (std::find(pkgs.begin(), pkgs.end(), p) == pkgs.end()) pkgs.push_back(p);
  }
  for (auto& [key, img] : images) {
    const std::string id = img["id"].get<std::string>();
    auto cs = rd.sql->query(
        "SELECT host, id, name, image, state, pod_name, pod_namespace, runtime FROM containers WHERE image_id = $1 "
        "ORDER BY host, name",
        {id});
    if (!cs) return std::unexpected(cs.error());
    for (const auto& c : *cs) {
      if (as_text(c[4]) != "running") continue;
      hosts.insert(as_text(c[0]));
      json cj = {{"host", as_text(c[0])},  {"id", as_text(c[1])}, {"name", as_text(c[2])},
                 {"image", as_text(c[3])}, {"image_id", id},      {"state", as_text(c[4])}};
      if (!as_text(c[7]).empty()) cj["runtime"] = as_text(c[7]);
      if (!as_text(c[5]).empty()) cj["pod"] = {{"name", as_text(c[5])}, {"namespace", as_text(c[6])}};
      containers[as_text(c[0]) + "/" + as_text(c[1])] = cj;
    }
    auto hs = rd.sql->query("SELECT DISTINCT host FROM host_images WHERE image_id = $1", {id});
    if (hs) {
      json seen = json::array();
      for (const auto& h : *hs) seen.push_back(as_text(h[0]));
      img["seen_on"] = seen;
    }
  }
  json out = {{"id", std::string(vuln_id)}, {"ids", json::array()},   {"images", json::array()},
              {"targets", json::array()},   {"hosts", json::array()}, {"containers", json::array()}};
  if (!severity.empty()) out["severity"] = severity;
  for (const auto& i : ids) out["ids"].push_back(i);
  for (auto& [k, v] : images) out["images"].push_back(std::move(v));
  for (auto& [k, v] : others) out["targets"].push_back(std::move(v));
  for (const auto& h : hosts) out["hosts"].push_back(h);
  for (auto& [k, v] : containers) out["containers"].push_back(std::move(v));
  return out;
}

Result<json> Store::hosts(const ListQuery& q) {
  Reader rd(*this);
  std::string after;
  if (!q.cursor.empty()) {
    auto c = hex_decode(q.cursor);
    if (!c) return fail(ErrorCode::invalid_argument, "cursor: not a cursor this server issued");
    after = *c;
  }
  std::string name = opt_filter(q, "name");
  auto rows =
      rd.sql->query("SELECT name, engine, first_seen, last_seen FROM hosts WHERE name > $1 ORDER BY name", {after});
  if (!rows) return std::unexpected(rows.error());
  json items = json::array();
  std::string next;
  for (const auto& r : *rows) {
    std::string h = as_text(r[0]);
    if (!name.empty() && h.find(name) == std::string::npos) continue;
    if (items.size() == q.limit) {
      next = hex_encode(items.back()["name"].get<std::string>());
      break;
    }
    json item = {
        {"name", h}, {"first_seen", format_rfc3339(as_int(r[2]))}, {"last_seen", format_rfc3339(as_int(r[3]))}};
    if (!as_text(r[1]).empty()) item["engine"] = as_text(r[1]);
    auto c = rd.sql->query("SELECT COUNT(*) FROM containers WHERE host = $1 AND state = 'running'", {h});
    item["containers_running"] = c ? as_int((*c)[0][0]) : 0;
    auto a = rd.sql->query("SELECT COUNT(*) FROM alerts WHERE host = $1", {h});
    item["alerts"] = a ? as_int((*a)[0][0]) : 0;
    auto au = rd.sql->query(
        "SELECT t.score, (SELECT COUNT(*) FROM findings f WHERE f.target_key = t.key AND f.status = 'fail'), "
        "t.last_seen FROM targets t WHERE t.kind = 'host' AND t.name = $1",
        {h});
    if (au && !au->empty()) {
      json audit = {{"failed", as_int((*au)[0][1])}, {"last_seen", format_rfc3339(as_int((*au)[0][2]))}};
      if (!as_text((*au)[0][0]).empty()) audit["score_percent"] = std::stod(as_text((*au)[0][0]));
      item["audit"] = audit;
    }
    items.push_back(std::move(item));
  }
  json out = {{"items", items}};
  if (!next.empty()) out["next_cursor"] = next;
  return out;
}

Result<std::optional<json>> Store::host(std::string_view name) {
  Reader rd(*this);
  ListQuery q;
  q.limit = 100000;
  q.filters["name"] = std::string(name);
  auto all = hosts(q);
  if (!all) return std::unexpected(all.error());
  json item;
  for (const auto& h : (*all)["items"]) {
    if (h["name"] == name) item = h;
  }
  if (item.is_null()) return std::optional<json>{};
  auto cs = rd.sql->query(
      "SELECT id, name, image, image_id, state, started_at, runtime, pod_name, pod_namespace FROM containers WHERE "
      "host = $1 ORDER BY name",
      {std::string(name)});
  if (!cs) return std::unexpected(cs.error());
  json containers = json::array();
  for (const auto& c : *cs) {
    json cj = {{"id", as_text(c[0])},       {"name", as_text(c[1])},  {"image", as_text(c[2])},
               {"image_id", as_text(c[3])}, {"state", as_text(c[4])}, {"started_at", as_text(c[5])},
               {"runtime", as_text(c[6])}};
    if (!as_text(c[7]).empty()) cj["pod"] = {{"name", as_text(c[7])}, {"namespace", as_text(c[8])}};
    containers.push_back(std::move(cj));
  }
  item["containers"] = containers;
  auto fr = rd.sql->query(
      "SELECT f.vuln_id, f.title, f.severity, f.practice, f.evidence, f.remediation FROM findings f JOIN targets t ON "
      "t.key = f.target_key WHERE t.kind = 'host' AND t.name = $1 AND f.status = 'fail' ORDER BY f.vuln_id",
      {std::string(name)});
  if (!fr) return std::unexpected(fr.error());
  json failing = json::array();
  for (const auto& f : *fr) {
    json j = {{"id", as_text(f[0])}, {"severity", as_text(f[2])}};
    if (!as_text(f[1]).empty()) j["title"] = as_text(f[1]);
    if (!as_text(f[3]).empty()) j["practice"] = as_text(f[3]);
    if (!as_text(f[4]).empty()) j["evidence"] = as_text(f[4]);
    if (!as_text(f[5]).empty()) j["remediation"] = as_text(f[5]);
    failing.push_back(std::move(j));
  }
  item["failing_checks"] = failing;
  auto im =
      rd.sql->query("SELECT image_id, names FROM host_images WHERE host = $1 ORDER BY image_id", {std::string(name)});
  if (!im) return std::unexpected(im.error());
  json images = json::array();
  for (const auto& i : *im) images.push_back({{"id", as_text(i[0])}, {"names", parse_array(i[1])}});
  item["images"] = images;
  return std::optional<json>{item};
}

Result<json> Store::alerts(const ListQuery& q) {
  Reader rd(*this);
  auto cursor = seq_cursor(q);
  if (!cursor) return std::unexpected(cursor.error());
  auto since_time = since_filter(q);
  if (!since_time) return std::unexpected(since_time.error());
  const std::int64_t before = *cursor, since = *since_time;
  std::int64_t after = 0;
  if (auto s = opt_filter(q, "after"); !s.empty()) {
    if (std::from_chars(s.data(), s.data() + s.size(), after).ec != std::errc() || after < 0) {
      return fail(ErrorCode::invalid_argument, "after: not an alert seq (a non-negative integer)");
    }
  }
  auto rows = rd.sql->query(
      "SELECT id, host, time, rule, priority, output, source, container_id, container_name, image, pod_name, "
      "pod_namespace FROM alerts WHERE id < $1 AND time_unix >= $2 AND ($3 = '' OR host = $3) AND ($4 = '' OR "
      "container_id = $4 OR container_name = $4) AND ($5 = '' OR rule = $5) AND ($6 = '' OR LOWER(priority) = "
      "LOWER($6)) AND id > $8 ORDER BY id DESC LIMIT $7",
      {before, since, opt_filter(q, "host"), opt_filter(q, "container"), opt_filter(q, "rule"),
       opt_filter(q, "priority"), static_cast<std::int64_t>(q.limit + 1), after});
  if (!rows) return std::unexpected(rows.error());
  json items = json::array();
  std::string next;
  for (const auto& r : *rows) {
    if (items.size() == q.limit) {
      next = hex_encode(std::to_string(items.back()["seq"].get<std::int64_t>()));
      break;
    }
    json a = {{"seq", as_int(r[0])},
              {"host", as_text(r[1])},
              {"time", as_text(r[2])},
              {"rule", as_text(r[3])},
              {"priority", as_text(r[4])},
              {"output", as_text(r[5])},
              {"source", as_text(r[6])},
              {"container", {{"id", as_text(r[7])}, {"name", as_text(r[8])}, {"image", as_text(r[9])}}}};
    if (!as_text(r[10]).empty()) a["pod"] = {{"name", as_text(r[10])}, {"namespace", as_text(r[11])}};
    items.push_back(std::move(a));
  }
  json out = {{"items", items}};
  if (!next.empty()) out["next_cursor"] = next;
  return out;
}

Result<json> Store::events(const ListQuery& q) {
  Reader rd(*this);
  auto cursor = seq_cursor(q);
  if (!cursor) return std::unexpected(cursor.error());
  auto since_time = since_filter(q);
  if (!since_time) return std::unexpected(since_time.error());
  const std::int64_t before = *cursor, since = *since_time;
  auto rows = rd.sql->query(
      "SELECT e.id, e.time, e.kind, e.vuln_id, e.target_key, e.package, e.severity, e.detail, t.kind, t.name, "
      "t.target_id FROM events e LEFT JOIN targets t ON t.key = e.target_key WHERE e.id < $1 AND e.time >= $2 AND "
      "($3 = '' OR e.kind = $3) AND ($4 = '' OR e.vuln_id = $4) ORDER BY e.id DESC LIMIT $5",
      {before, since, opt_filter(q, "kind"), opt_filter(q, "vulnerability"), static_cast<std::int64_t>(q.limit + 1)});
  if (!rows) return std::unexpected(rows.error());
  json items = json::array();
  std::string next;
  for (const auto& r : *rows) {
    if (items.size() == q.limit) {
      next = hex_encode(std::to_string(items.back()["seq"].get<std::int64_t>()));
      break;
    }
    json e = {{"seq", as_int(r[0])}, {"time", format_rfc3339(as_int(r[1]))}, {"kind", as_text(r[2])}};
    if (!as_text(r[3]).empty()) e["vulnerability"] = as_text(r[3]);
    if (!as_text(r[5]).empty()) e["package"] = as_text(r[5]);
    if (!as_text(r[6]).empty()) e["severity"] = as_text(r[6]);
    if (!as_text(r[7]).empty()) e["detail"] = as_text(r[7]);
    if (!as_text(r[4]).empty()) {
      e["target"] = {{"kind", as_text(r[8])}, {"name", as_text(r[9])}};
      if (!as_text(r[10]).empty()) e["target"]["id"] = as_text(r[10]);
    }
    items.push_back(std::move(e));
  }
  json out = {{"items", items}};
  if (!next.empty()) out["next_cursor"] = next;
  return out;
}

Result<std::int64_t> Store::count(std::string_view table) {
  static const std::set<std::string, std::less<>> kTables{
      "reports", "targets", "packages", "findings",          "hosts", "containers", "alerts",
      "events",  "audit",   "tokens",   "webhook_deliveries"};
  if (!kTables.contains(table)) return fail(ErrorCode::invalid_argument, "unknown table");
  Reader rd(*this);
  auto rows = rd.sql->query(fmt::format("SELECT COUNT(*) FROM {}", table));
  if (!rows) return std::unexpected(rows.error());
  return as_int((*rows)[0][0]);
}

Result<json> Store::summary() {
  Reader rd(*this);
  auto one = [&](const char* sql, const std::vector<Value>& params = {}) -> std::int64_t {
    auto r = rd.sql->query(sql, params);
    return r && !r->empty() ? as_int((*r)[0][0]) : 0;
  };
  std::int64_t now = clock_();
  json out;
  out["images"] = one("SELECT COUNT(*) FROM targets WHERE kind = 'image'");
  out["targets"] = one("SELECT COUNT(*) FROM targets");
  out["hosts"] = one("SELECT COUNT(*) FROM hosts");
  out["containers_running"] = one("SELECT COUNT(*) FROM containers WHERE state = 'running'");
  out["reports"] = one("SELECT COUNT(*) FROM reports");
  out["alerts_24h"] = one("SELECT COUNT(*) FROM alerts WHERE time_unix >= $1", {now - 86400});
  json counts = json::object();
  for (const char* s : kSeverityOrder) counts[s] = 0;
  std::int64_t today = now - now % 86400;
  constexpr int kDays = 14;
  std::int64_t first_day = today / 86400 - (kDays - 1);
  // Open critical/high findings by the day (UTC) they were first seen; days before the window
  // count into its first day (and a later one, after a clock step, into today). The findings table holds the open
  // findings only (an upload that no longer reports one deletes it, with no event), so this is exact for today and, for
  // an earlier day, counts the findings open then that are still open now.
  std::int64_t critical_by_day[kDays] = {}, high_by_day[kDays] = {};
  // From the counts kept per target (finding_counts), of each target's shown origin.
  auto rows = rd.sql->query(
      "SELECT c.severity, c.day, SUM(c.n), SUM(c.fixable) FROM finding_counts c JOIN targets t ON t.key = "
      "c.target_key WHERE c.origin = (CASE WHEN t.matched_at > 0 THEN 'server' ELSE 'report' END) GROUP BY "
      "c.severity, c.day");
  std::int64_t fixable = 0;
  if (rows) {
    for (const auto& r : *rows) {
      std::string sev = as_text(r[0]);
      std::int64_t n = as_int(r[2]);
      counts[sev] = counts.value(sev, std::int64_t{0}) + n;
      fixable += as_int(r[3]);
      std::int64_t day = std::clamp<std::int64_t>(as_int(r[1]) - first_day, 0, kDays - 1);
      if (sev == "critical") critical_by_day[day] += n;
      if (sev == "high") high_by_day[day] += n;
    }
  }
  out["vulnerabilities"] = counts;
  out["fixable"] = fixable;
  // The trend, the last 14 days (UTC), oldest first: open critical/high (as above), and the reports
  // received, new findings (events) and alerts of each day.
  json trend = json::array();
  std::int64_t open_critical = 0, open_high = 0;
  // Per day of the window: one grouped query per table.
  auto per_day = [&](const char* sql) {
    std::map<std::int64_t, std::int64_t> by_day;
    auto r = rd.sql->query(sql, {today - std::int64_t{kDays - 1} * 86400, today + 86400});
    if (r) {
      for (const auto& row : *r) by_day[as_int(row[0])] = as_int(row[1]);
    }
    return by_day;
  };
  auto reports_by_day = per_day(
      "SELECT received_at / 86400, COUNT(*) FROM reports WHERE received_at >= $1 AND received_at < $2 GROUP BY "
      "received_at / 86400");
  auto new_by_day = per_day(
      "SELECT time / 86400, COUNT(*) FROM events WHERE kind = 'new' AND time >= $1 AND time < $2 GROUP BY time / "
      "86400");
  auto alerts_by_day = per_day(
      "SELECT time_unix / 86400, COUNT(*) FROM alerts WHERE time_unix >= $1 AND time_unix < $2 GROUP BY time_unix / "
      "86400");
  auto at = [](const std::map<std::int64_t, std::int64_t>& m, std::int64_t day) {
    auto it = m.find(day);
    return it == m.end() ? std::int64_t{0} : it->second;
  };
  for (int d = kDays - 1; d >= 0; --d) {
    std::int64_t from = today - std::int64_t{d} * 86400, day = from / 86400;
    open_critical += critical_by_day[kDays - 1 - d];
    open_high += high_by_day[kDays - 1 - d];
    trend.push_back({{"date", format_rfc3339(from).substr(0, 10)},
                     {"critical", open_critical},
                     {"high", open_high},
                     {"reports", at(reports_by_day, day)},
                     {"new_findings", at(new_by_day, day)},
                     {"alerts", at(alerts_by_day, day)}});
  }
  out["trend"] = trend;
  return out;
}

Result<std::optional<json>> Store::report(std::string_view id) {
  Reader rd(*this);
  auto rows = rd.sql->query("SELECT id, digest, kind, host, received_at, size, targets FROM reports WHERE id = $1",
                            {std::string(id)});
  if (!rows) return std::unexpected(rows.error());
  if (rows->empty()) return std::optional<json>{};
  const auto& r = (*rows)[0];
  json out = {{"id", as_text(r[0])},   {"digest", as_text(r[1])},
              {"kind", as_text(r[2])}, {"received_at", format_rfc3339(as_int(r[4]))},
              {"size", as_int(r[5])},  {"targets", parse_array(r[6])}};
  if (!as_text(r[3]).empty()) out["host"] = as_text(r[3]);
  return std::optional<json>{out};
}

namespace {

json reachability_summary(const Row& r) {
  return {{"id", as_text(r[1])},
          {"target", {{"kind", "file"}, {"name", as_text(r[2])}}},
          {"received_at", format_rfc3339(as_int(r[3]))},
          {"counts",
           {{"namespaces", as_int(r[4])},
            {"workloads", as_int(r[5])},
            {"edges", as_int(r[6])},
            {"namespaces_without_default_deny", as_int(r[7])},
            {"exposed", as_int(r[8])}}}};
}

}  // namespace

Result<json> Store::netpol_graphs(const ListQuery& q) {
  Reader rd(*this);
  auto cursor = seq_cursor(q);
  if (!cursor) return std::unexpected(cursor.error());
  auto rows = rd.sql->query(
      "SELECT seq, report_id, name, received_at, namespaces, workloads, edges, open_namespaces, exposed FROM "
      "reachability WHERE seq < $1 AND ($2 = '' OR name = $2) ORDER BY seq DESC LIMIT $3",
      {*cursor, opt_filter(q, "name"), static_cast<std::int64_t>(q.limit + 1)});
  if (!rows) return std::unexpected(rows.error());
  json items = json::array();
  std::string next;
  std::int64_t last = 0;
  for (const auto& r : *rows) {
    if (items.size() == q.limit) {
      next = hex_encode(std::to_string(last));
      break;
    }
    last = as_int(r[0]);
    items.push_back(reachability_summary(r));
  }
  json out = {{"items", items}};
  if (!next.empty()) out["next_cursor"] = next;
  return out;
}

Result<std::optional<json>> Store::netpol_graph(std::string_view report_id) {
  Reader rd(*this);
  auto rows = rd.sql->query(
      "SELECT seq, report_id, name, received_at, namespaces, workloads, edges, open_namespaces, exposed, graph FROM "
      "reachability WHERE report_id = $1",
      {std::string(report_id)});
  if (!rows) return std::unexpected(rows.error());
  if (rows->empty()) return std::optional<json>{};
  const auto& r = (*rows)[0];
  json out = reachability_summary(r);
  auto graph = json::parse(as_text(r[9]), nullptr, false);
  if (!graph.is_object()) return fail(ErrorCode::internal, "stored reachability graph does not parse", as_text(r[1]));
  for (const char* k : {"namespaces", "nodes", "edges"}) out[k] = graph[k];
  return std::optional<json>{out};
}

void Store::audit(const AuditEntry& e) noexcept {
  std::lock_guard lock(mutex_);
  (void)sql_->exec(
      "INSERT INTO audit(time, token_id, peer, method, path, status, message) VALUES ($1,$2,$3,$4,$5,$6,$7)",
      {clock_(), e.token_id, e.peer, e.method, e.path.substr(0, 512), std::int64_t{e.status},
       e.message.substr(0, 1024)});
}

Result<json> Store::audit_log(const ListQuery& q) {
  Reader rd(*this);
  auto rows = rd.sql->query(
      "SELECT id, time, token_id, peer, method, path, status, message FROM audit ORDER BY id DESC LIMIT $1",
      {static_cast<std::int64_t>(q.limit)});
  if (!rows) return std::unexpected(rows.error());
  json items = json::array();
  for (const auto& r : *rows) {
    items.push_back({{"seq", as_int(r[0])},
                     {"time", format_rfc3339(as_int(r[1]))},
                     {"token_id", as_text(r[2])},
                     {"peer", as_text(r[3])},
                     {"method", as_text(r[4])},
                     {"path", as_text(r[5])},
                     {"status", as_int(r[6])},
                     {"message", as_text(r[7])}});
  }
  return json{{"items", items}};
}

}  // namespace bulwark::server
