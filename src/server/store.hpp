// The server's store: every uploaded result, tokens, sessions, events and the audit log, on one
// SQL engine (sql.hpp; SQLite at DIR/bulwark.db). Opening runs the versioned schema migrations in
// order, each in its own transaction; a store whose schema is newer than this binary knows is
// refused (ErrorCode::unsupported) rather than guessed at. Every public call is one transaction
// and is safe to call from several threads (calls are serialised on the one connection).
//
// Queries answer with the JSON the API sends (nlohmann::json), so the shapes live in one place
// (docs/api/openapi.yaml documents them).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/ingest.hpp"
#include "server/sql.hpp"
#include "util/error.hpp"

namespace bulwark::server {

inline constexpr int kSchemaVersion = 9;

enum class Role { admin, ci, agent, reader };
[[nodiscard]] std::string_view to_string(Role r) noexcept;
[[nodiscard]] std::optional<Role> parse_role(std::string_view s) noexcept;

struct TokenInfo {
  std::string id;
  Role role = Role::reader;
  std::string host;                                                            // agents only
  std::int64_t created_at = 0, expires_at = 0, revoked_at = 0, last_used = 0;  // unix seconds; 0 = none
};

// Who made a request.
struct Principal {
  std::string token_id;
  Role role = Role::reader;
  std::string host;
  std::string csrf;  // set when authenticated by a session cookie
};

// A finding an upload reported for the first time on its target (what webhooks announce).
struct NewFinding {
  std::string target_kind, target_name, target_id, vuln_id, severity, package, package_version, fixed_version;
};

// An upload's verdict under a named policy (docs/policy.md, "Server-side policies"): stored
// with the report, in the ingest transaction, keyed by (report, policy).
struct PolicyVerdict {
  std::string policy;
  bool pass = true;
  std::int64_t failing = 0;
  nlohmann::json detail;  // the "policy" object the upload is answered with
};

struct IngestOutcome {
  std::string id, digest;
  bool duplicate = false;
  const PolicyVerdict* verdict = nullptr;  // the request's, when it asked for one
  std::vector<NewFinding> new_findings;    // first seen on their target with this upload
  std::vector<std::int64_t> alert_seqs;    // the stored alerts' seq, in the document's order
};

// Runs inside the ingest transaction after everything is written (webhook deliveries are
// queued there, so that a stored report and its notifications commit together).
using IngestHook = std::function<Status(Sql&, const Document&, const IngestOutcome&)>;

// Computes again, from the findings table, the counts kept of these targets' open vulnerability
// findings of one origin ("report" or "server"; table finding_counts, by severity and first-seen
// day). Whoever rewrites a target's findings calls it in the same transaction (ingest, re-match),
// so the kept counts never disagree with the findings they count.
[[nodiscard]] Status refresh_finding_counts(Sql& sql, const std::vector<std::string>& target_keys,
                                            std::string_view origin);

// Writes (or replaces) a report's verdict under its policy, inside the caller's transaction.
[[nodiscard]] Status write_policy_verdict(Sql& sql, std::string_view report_id, std::string_view token_id,
                                          const PolicyVerdict& verdict, std::int64_t now);

struct ListQuery {
  std::size_t limit = 50;
  std::string cursor;  // opaque, from next_cursor
  std::map<std::string, std::string> filters;
};

struct AuditEntry {
  std::string token_id, peer, method, path, message;
  int status = 0;
};

// "30d", "12h", "15m", "3600s", "3600" -> seconds; nullopt when malformed or not positive.
[[nodiscard]] std::optional<std::int64_t> parse_duration(std::string_view text) noexcept;
// RFC 3339 ("2026-12-06T18:50:00Z", "...+01:00", fractions) -> unix seconds.
[[nodiscard]] std::optional<std::int64_t> parse_rfc3339(std::string_view text) noexcept;
[[nodiscard]] std::string format_rfc3339(std::int64_t unix_seconds);
// Lower-case hex of n random bytes from OpenSSL's CSPRNG.
[[nodiscard]] Result<std::string> random_hex(std::size_t bytes);

// A unit of work that must be done once however many server processes share the store
// (re-match, retention, sweeps). See Store::claim_job.
struct Job {
  std::int64_t id = 0;
  std::string kind, payload;
  std::int64_t attempts = 0;  // claims so far, this one included
  std::string worker;         // who holds the claim (claim_job's worker)
};

// One stored image as retention (server/retention.hpp) sees it.
struct RetainedImage {
  std::string key, id, name;
  std::vector<std::string> names;  // repo tags, repo digests, scan names
  std::int64_t first_seen = 0, last_seen = 0;
  std::int64_t last_running = 0;  // the last inventory that showed a running container of it (0: never)
  std::int64_t running_now = 0;   // running containers of it in the hosts' latest inventories
};

// What deleting images removed.
struct DeletedImages {
  std::int64_t images = 0, packages = 0, findings = 0, reports = 0;
  std::int64_t skipped = 0;  // uploaded again since they were chosen: kept
};

class Store {
 public:
  using Clock = std::function<std::int64_t()>;  // unix seconds

  // Runs the migrations. Fails on a schema newer than kSchemaVersion.
  [[nodiscard]] static Result<std::unique_ptr<Store>> open(std::unique_ptr<Sql> sql, Clock clock = {});
  [[nodiscard]] static Result<std::unique_ptr<Store>> open_sqlite(const std::filesystem::path& path, Clock clock = {});
  // A postgresql:// URL (libpq); several server processes may share one such store.
  [[nodiscard]] static Result<std::unique_ptr<Store>> open_postgresql(std::string_view url, Clock clock = {});
  [[nodiscard]] Dialect dialect() const noexcept { return sql_->dialect(); }

  [[nodiscard]] Result<int> schema_version();
  [[nodiscard]] std::int64_t now() const { return clock_(); }

  // Tokens. create_token returns the token itself (shown once; only its SHA-256 is kept).
  [[nodiscard]] Result<std::pair<TokenInfo, std::string>> create_token(Role role, std::string_view host,
                                                                       std::int64_t expires_in_seconds);
  [[nodiscard]] Result<std::vector<TokenInfo>> list_tokens();
  [[nodiscard]] Result<bool> revoke_token(std::string_view id);
  // The principal of a bearer token, or nullopt (unknown, wrong, revoked or expired).
  [[nodiscard]] Result<std::optional<Principal>> authenticate(std::string_view token);

  // Dashboard sessions: a random session id (cookie value) and CSRF token; both only hashed at rest.
  struct NewSession {
    std::string cookie, csrf;
    std::int64_t expires_at = 0;
  };
  [[nodiscard]] Result<NewSession> create_session(const Principal& who, std::int64_t lifetime_seconds);
  [[nodiscard]] Result<std::optional<Principal>> session(std::string_view cookie);
  [[nodiscard]] Status delete_session(std::string_view cookie);
  // Deletes sessions past their expiry; returns how many (the "sweep" job).
  [[nodiscard]] Result<std::int64_t> delete_expired_sessions();

  // Stores a parsed document (all of it or, on any error, nothing).
  [[nodiscard]] Result<IngestOutcome> ingest(const Document& doc, std::size_t size, const Principal& who,
                                             std::string_view idempotency_key, const IngestHook& hook = {});
  // Stores several documents in one transaction (group commit: one commit for many uploads).
  // Each document is all or nothing on its own (a savepoint each): one result per request, in
  // order. Only a failed commit fails them all.
  struct IngestRequest {
    const Document* doc = nullptr;
    std::size_t size = 0;
    const Principal* who = nullptr;
    std::string_view idempotency_key;
    const PolicyVerdict* verdict = nullptr;  // stored with the report (a duplicate's too)
  };
  [[nodiscard]] std::vector<Result<IngestOutcome>> ingest_batch(const std::vector<IngestRequest>& requests,
                                                                const IngestHook& hook = {});

  // Queries (JSON shapes of docs/api/openapi.yaml).
  [[nodiscard]] Result<nlohmann::json> images(const ListQuery& q);
  [[nodiscard]] Result<std::optional<nlohmann::json>> image(std::string_view id);
  // An image's layers, bottom first, each with the packages it added and their findings.
  [[nodiscard]] Result<std::optional<nlohmann::json>> image_layers(std::string_view id);
  [[nodiscard]] Result<nlohmann::json> affected(std::string_view vuln_id);
  [[nodiscard]] Result<nlohmann::json> hosts(const ListQuery& q);
  [[nodiscard]] Result<std::optional<nlohmann::json>> host(std::string_view name);
  [[nodiscard]] Result<nlohmann::json> alerts(const ListQuery& q);
  [[nodiscard]] Result<nlohmann::json> events(const ListQuery& q);
  [[nodiscard]] Result<nlohmann::json> summary();
  [[nodiscard]] Result<std::optional<nlohmann::json>> report(std::string_view id);
  // NetworkPolicy reachability graphs of `bulwark config` uploads (GET /api/v1/netpol), newest
  // first, and one of them in full by its report id (GET /api/v1/netpol/{id}).
  [[nodiscard]] Result<nlohmann::json> netpol_graphs(const ListQuery& q);
  [[nodiscard]] Result<std::optional<nlohmann::json>> netpol_graph(std::string_view report_id);
  [[nodiscard]] Result<std::int64_t> count(std::string_view table);

  // Named policies (table `policies`, src/server/policy_store.cpp). body: the policy's JSON as
  // PUT /api/v1/policies/{name} took it (checked by the caller). put_policy: true when created.
  [[nodiscard]] Result<bool> put_policy(std::string_view name, std::string_view body, std::string_view token_id);
  // {name, policy, created_at, updated_at, updated_by}, or nullopt.
  [[nodiscard]] Result<std::optional<nlohmann::json>> policy(std::string_view name);
  // The policy's body text, or nullopt (for evaluation).
  [[nodiscard]] Result<std::optional<std::string>> policy_body(std::string_view name);
  [[nodiscard]] Result<nlohmann::json> policies();
  [[nodiscard]] Result<bool> delete_policy(std::string_view name);
  // A report's verdicts, newest first: {report, digest, items: [...]}, with the id of the token
  // that uploaded it in *uploader; nullopt when there is no such report (by id or digest).
  [[nodiscard]] Result<std::optional<nlohmann::json>> report_verdicts(std::string_view id_or_digest,
                                                                      std::string* uploader = nullptr);

  // The audit log (table `audit`).
  void audit(const AuditEntry& entry) noexcept;
  [[nodiscard]] Result<nlohmann::json> audit_log(const ListQuery& q);

  // Jobs: a queue in the store that every process sharing it takes work from. enqueue_job adds a
  // job; with a dedup key, a job with that key that already exists (in any state) is returned
  // instead, so replicas that all schedule "the 14:00 sweep" make one job. claim_job takes the
  // oldest due job of one of `kinds` for `lease_seconds`: on PostgreSQL with SELECT ... FOR
  // UPDATE SKIP LOCKED, so concurrent claimers never get the same job and never wait for each
  // other; on SQLite under the engine's single writer lock. A job whose lease ran out (its
  // worker died) can be claimed again (attempts counts the claims). finish_job succeeds only for
  // the worker holding the lease; it returns false when the lease was lost.
  [[nodiscard]] Result<std::int64_t> enqueue_job(std::string_view kind, std::string_view payload,
                                                 std::string_view dedup_key = {}, std::int64_t run_after = 0);
  [[nodiscard]] Result<std::optional<Job>> claim_job(const std::vector<std::string>& kinds, std::string_view worker,
                                                     std::int64_t lease_seconds);
  [[nodiscard]] Result<bool> extend_job(std::int64_t id, std::string_view worker, std::int64_t lease_seconds);
  [[nodiscard]] Result<bool> finish_job(std::int64_t id, std::string_view worker, bool ok, std::string_view result);
  // Jobs by state ("queued", "running", "done", "failed") for /metrics.
  [[nodiscard]] Result<std::map<std::string, std::int64_t>> job_counts();
  // A running job's progress (done of total units), by the worker holding it; also extends its
  // lease by lease_seconds (a job that reports progress is alive). False when the lease was lost.
  [[nodiscard]] Result<bool> job_progress(std::int64_t id, std::string_view worker, std::int64_t done,
                                          std::int64_t total, std::int64_t lease_seconds);
  // GET /api/v1/jobs: newest first; filters kind and state.
  [[nodiscard]] Result<nlohmann::json> jobs(const ListQuery& q);
  // The running jobs' progress for /metrics: (id, kind, done, total).
  struct JobProgress {
    std::int64_t id = 0;
    std::string kind;
    std::int64_t done = 0, total = 0;
  };
  [[nodiscard]] Result<std::vector<JobProgress>> running_jobs();
  // The jobs whose dedup key starts with prefix (the chunks of one re-match), oldest first.
  struct JobState {
    std::int64_t id = 0;
    std::string state, claimed_by, result;
  };
  [[nodiscard]] Result<std::vector<JobState>> jobs_with_dedup_prefix(std::string_view prefix);

  // Advisory imports kept in the store (PostgreSQL: replicas sharing it each apply every import
  // to their own advisory database, in id order; server/rematch.hpp).
  struct AdvisoryImport {
    std::int64_t id = 0;
    std::string name, body;
  };
  [[nodiscard]] Result<std::int64_t> add_advisory_import(std::string_view name, std::string_view body,
                                                         std::string_view worker);
  [[nodiscard]] Result<std::int64_t> last_advisory_import();  // 0: none
  [[nodiscard]] Result<std::vector<AdvisoryImport>> advisory_imports(std::int64_t after, std::int64_t up_to);

  // Retention. retention_images lists every stored image with what the rules look at;
  // delete_images removes images and everything kept of them (packages, findings and their ids,
  // kept counts, match keys, layers, events, and the reports that named only deleted targets) in
  // one transaction. `expected_last_seen` (same order as keys) guards against an upload that came
  // after the choice: such an image is skipped, not deleted.
  [[nodiscard]] Result<std::vector<RetainedImage>> retention_images();
  [[nodiscard]] Result<DeletedImages> delete_images(const std::vector<std::string>& keys,
                                                    const std::vector<std::int64_t>& expected_last_seen);
  // Gives the space freed by deletes back: SQLite: incremental vacuum (a store made before it was
  // the default is VACUUMed once, which switches it to incremental); PostgreSQL: nothing here
  // (autovacuum reclaims dead rows), the dead rows are reported.
  [[nodiscard]] Result<nlohmann::json> reclaim_space();
  // The store's size (GET /api/v1/store, /metrics bulwark_server_store_bytes).
  [[nodiscard]] Result<nlohmann::json> store_size();

  // Runs fn inside one transaction on the connection (for the re-matcher and tests).
  [[nodiscard]] Status transaction(const std::function<Status(Sql&)>& fn);
  // Runs fn on the read connection, in one read transaction (queries only).
  [[nodiscard]] Status read_transaction(const std::function<Status(Sql&)>& fn);

 private:
  Store(std::unique_ptr<Sql> sql, Clock clock);
  [[nodiscard]] Status migrate();
  [[nodiscard]] Status migrate_locked();
  // The token's principal read on sql; touch: its last_used is over a minute old.
  [[nodiscard]] Result<std::optional<Principal>> authenticate_on(Sql& sql, std::string_view token, bool& touch);

  std::unique_ptr<Sql> sql_;
  std::filesystem::path sqlite_path_;  // SQLite: the database file (for its size)
  Clock clock_;
  std::recursive_mutex mutex_;
  // Queries (the GET routes and authentication) go to a connection of their own where the
  // engine allows it (SQLite in WAL mode), so that a read never waits for a write transaction;
  // without one they share sql_ under mutex_.
  struct Reader;
  std::unique_ptr<Sql> read_sql_;
  std::recursive_mutex read_mutex_;
  int read_depth_ = 0;  // nested readers share one read transaction
};

}  // namespace bulwark::server
