// `bulwark server`: run the server; `server token create|list|revoke` manage API tokens.
// The logic is in src/server; this file parses flags and prints.
#include <signal.h>

#include <fmt/format.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <thread>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "server/rematch.hpp"
#include "server/retention.hpp"
#include "server/server.hpp"
#include "server/store.hpp"
#include "vuln/db/update.hpp"

namespace bulwark::cli {

namespace {

std::atomic<bool> g_stop{false};

struct ServerFlags {
  server::ServerConfig config;
  std::string data, store, store_file;
  std::string role, host, expires, token_id;
  std::string db_update_interval, db_mirror;
  std::vector<std::string> db_ecosystems, import_paths;
  std::string webhook_backoff = "2s", webhook_timeout = "10s", stream_heartbeat = "15s";
  std::string retention_interval = "1h";
  bool dry_run = false;
};

// --store-file: the URL is the file's first line (a Kubernetes Secret mounted as a file keeps the
// password out of the command line and the environment).
Status resolve_store(ServerFlags& f) {
  if (f.store_file.empty()) return {};
  if (!f.store.empty()) return fail(ErrorCode::invalid_argument, "give --store or --store-file, not both");
  std::ifstream in(f.store_file);
  if (!in) return fail(ErrorCode::io, "cannot read the store URL file", f.store_file);
  std::string line;
  std::getline(in, line);
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  if (line.empty() || line.size() > 4096) {
    return fail(ErrorCode::invalid_argument, "the store URL file must hold one postgresql:// URL", f.store_file);
  }
  f.store = line;
  return {};
}

int run_server(const ServerFlags& f) {
  server::ServerConfig config = f.config;
  config.data = f.data;
  config.store = f.store;
  if (!f.db_update_interval.empty()) {
    auto d = server::parse_duration(f.db_update_interval);
    if (!d) {
      return report_error(Error{ErrorCode::invalid_argument, "--db-update-interval must be like 6h, 30m or 3600s", {}});
    }
    config.db_update_interval = *d;
  }
  if (!f.db_mirror.empty()) vuln::db::use_mirror(config.db_update, f.db_mirror);
  if (!f.db_ecosystems.empty()) {
    if (auto st = vuln::db::select_ecosystems(config.db_update, f.db_ecosystems); !st) return report_error(st.error());
  }
  auto seconds = [](const std::string& flag, const std::string& text) -> std::optional<std::int64_t> {
    auto d = server::parse_duration(text);
    if (!d) (void)report_error(Error{ErrorCode::invalid_argument, flag + " must be like 2s, 1m or 1h", text});
    return d;
  };
  auto backoff = seconds("--webhook-backoff", f.webhook_backoff);
  auto timeout = seconds("--webhook-timeout", f.webhook_timeout);
  auto heartbeat = seconds("--stream-heartbeat", f.stream_heartbeat);
  if (!backoff || !timeout || !heartbeat) return kExitUsage;
  config.webhook.backoff = std::chrono::seconds(*backoff);
  config.webhook.timeout = std::chrono::seconds(*timeout);
  config.stream_heartbeat = std::chrono::seconds(*heartbeat);
  auto retention_every = seconds("--retention-interval", f.retention_interval);
  if (!retention_every) return kExitUsage;
  config.retention_interval = *retention_every;
  // SIGINT/SIGTERM stop the server gracefully (a thread waits for them).
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread waiter([set] {
    int sig = 0;
    sigwait(&set, &sig);
    g_stop = true;
  });
  waiter.detach();
  auto st = server::run(config, g_stop, [&](std::uint16_t port) {
    fmt::print(stderr, "bulwark server: listening on {} (port {}), store {}\n", config.listen, port,
               config.store.empty() ? (config.data / "bulwark.db").string() : server::redact_store_url(config.store));
    std::fflush(stderr);
  });
  if (!st) return report_error(st.error());
  return kExitOk;
}

int token_create(const ServerFlags& f) {
  auto role = server::parse_role(f.role);
  if (!role) return report_error(Error{ErrorCode::invalid_argument, "--role must be admin, ci, agent or reader", {}});
  std::int64_t expires = 0;
  if (!f.expires.empty()) {
    auto d = server::parse_duration(f.expires);
    if (!d) return report_error(Error{ErrorCode::invalid_argument, "--expires must be like 30d, 12h or 3600s", {}});
    expires = *d;
  }
  auto store = server::open_store(f.data, f.store);
  if (!store) return report_error(store.error());
  auto made = (*store)->create_token(*role, f.host, expires);
  if (!made) return report_error(made.error());
  // The token is printed once, here; only its hash is stored.
  fmt::print("{}\n", made->second);
  fmt::print(stderr, "token {} (role {}{}{}) created; it is shown only now\n", made->first.id,
             server::to_string(made->first.role), made->first.host.empty() ? "" : ", host " + made->first.host,
             made->first.expires_at ? ", expires " + server::format_rfc3339(made->first.expires_at) : "");
  return kExitOk;
}

int token_list(const ServerFlags& f) {
  auto store = server::open_store(f.data, f.store);
  if (!store) return report_error(store.error());
  auto list = (*store)->list_tokens();
  if (!list) return report_error(list.error());
  fmt::print("{:<18} {:<7} {:<24} {:<21} {:<21} {}\n", "ID", "ROLE", "HOST", "CREATED", "EXPIRES", "STATE");
  std::int64_t now = (*store)->now();
  for (const auto& t : *list) {
    std::string state = t.revoked_at ? "revoked" : (t.expires_at && t.expires_at <= now ? "expired" : "active");
    fmt::print("{:<18} {:<7} {:<24} {:<21} {:<21} {}\n", t.id, server::to_string(t.role), t.host.empty() ? "-" : t.host,
               server::format_rfc3339(t.created_at), t.expires_at ? server::format_rfc3339(t.expires_at) : "never",
               state);
  }
  return kExitOk;
}

int token_revoke(const ServerFlags& f) {
  auto store = server::open_store(f.data, f.store);
  if (!store) return report_error(store.error());
  auto done = (*store)->revoke_token(f.token_id);
  if (!done) return report_error(done.error());
  if (!*done) return report_error(Error{ErrorCode::not_found, "no active token with that id", f.token_id});
  fmt::print(stderr, "token {} revoked (effective on the next request)\n", f.token_id);
  return kExitOk;
}

int db_import(const ServerFlags& f) {
  auto store = server::open_store(f.data);
  if (!store) return report_error(store.error());
  auto rematcher = server::open_rematcher(**store, f.data);
  if (!rematcher) return report_error(rematcher.error());
  std::vector<std::filesystem::path> paths(f.import_paths.begin(), f.import_paths.end());
  auto out = (*rematcher)->import_paths(paths);
  if (!out) return report_error(out.error());
  fmt::print("{}\n", out->dump(2));
  const auto& im = (*out)["import"];
  const auto& rm = (*out)["rematch"];
  fmt::print(stderr,
             "imported {} records ({} new, {} updated, {} unchanged); re-matched {} packages in {} targets: {} new, {} "
             "fixed upstream, {} withdrawn, {} resolved\n",
             im.value("records", 0), im.value("inserted", 0), im.value("updated", 0), im.value("unchanged", 0),
             rm.value("packages", 0), rm.value("targets", 0), rm.value("new", 0), rm.value("fixed", 0),
             rm.value("withdrawn", 0), rm.value("resolved", 0));
  return kExitOk;
}

int db_status(const ServerFlags& f) {
  auto store = server::open_store(f.data);
  if (!store) return report_error(store.error());
  auto rematcher = server::open_rematcher(**store, f.data);
  if (!rematcher) return report_error(rematcher.error());
  fmt::print("{}\n", (*rematcher)->status().dump(2));
  return kExitOk;
}

int db_rematch(const ServerFlags& f) {
  auto store = server::open_store(f.data);
  if (!store) return report_error(store.error());
  auto rematcher = server::open_rematcher(**store, f.data);
  if (!rematcher) return report_error(rematcher.error());
  auto r = (*rematcher)->rematch_all();
  if (!r) return report_error(r.error());
  fmt::print("{}\n", r->to_json().dump(2));
  return kExitOk;
}

// `server retention`: what the rules let go (--dry-run), or delete it, on the store directly.
int retention(const ServerFlags& f) {
  const auto& o = f.config.retention;
  if (!o.enabled()) {
    return report_error(
        Error{ErrorCode::invalid_argument, "give --retain-digests N and/or --retain-running-days D (0 = off)", {}});
  }
  auto store = server::open_store(f.data, f.store);
  if (!store) return report_error(store.error());
  auto out =
      server::run_retention(**store, o, f.dry_run ? server::RetentionMode::dry_run : server::RetentionMode::apply);
  if (!out) return report_error(out.error());
  fmt::print("{}\n", out->dump(2));
  fmt::print(stderr, "{} {} of {} images ({} kept); the store is {} bytes{}\n", f.dry_run ? "would delete" : "deleted",
             (*out)["deleted"].get<std::int64_t>(), (*out)["examined"].get<std::int64_t>(),
             (*out)["kept"].get<std::int64_t>(), out->value("bytes_after", (*out)["bytes_before"].get<std::int64_t>()),
             f.dry_run ? " (dry run: nothing deleted)" : "");
  return kExitOk;
}

}  // namespace

void register_server(CLI::App& app, int& exit_code) {
  auto f = std::make_shared<ServerFlags>();
  auto* cmd = app.add_subcommand("server", "Run the bulwark server (API, store, dashboard) and manage its tokens");
  cmd->footer(
      "Examples:\n"
      "  bulwark server --listen 127.0.0.1:8443 --data /var/lib/bulwark\n"
      "  bulwark server token create --data /var/lib/bulwark --role agent --host node1 --expires 30d\n"
      "  bulwark server token list --data /var/lib/bulwark\n"
      "  bulwark server token revoke --data /var/lib/bulwark ID\n"
      "  bulwark server --listen 0.0.0.0:8443 --tls-cert c.pem --tls-key k.pem --store "
      "postgresql://bulwark@db/bulwark\n"
      "  bulwark server token create --store postgresql://bulwark@db/bulwark --role reader\n"
      "  bulwark server db import --data /var/lib/bulwark go-vulndb.zip DSA.list\n"
      "  bulwark server --data /var/lib/bulwark --db-update-interval 6h\n"
      "  bulwark server --data /var/lib/bulwark --retain-digests 10 --retain-running-days 30\n"
      "  bulwark server retention --data /var/lib/bulwark --retain-digests 10 --dry-run\n"
      "  bulwark server --data /var/lib/bulwark --webhook https://hooks.example/bulwark \\\n"
      "      --webhook-secret-file /etc/bulwark/webhook.key --webhook-min-priority error\n"
      "\nSee docs/server.md, docs/server-notifications.md and docs/api/openapi.yaml.");
  cmd->add_option("--listen", f->config.listen, "Address to listen on: HOST:PORT, [::1]:PORT or unix:PATH")
      ->default_str("127.0.0.1:8443");
  cmd->add_option("--data", f->data, "Data folder (the store is DIR/bulwark.db unless --store is given)");
  cmd->add_option("--store", f->store,
                  "PostgreSQL store: postgresql://USER[:PASSWORD]@HOST:PORT/DB (libpq URL; PGPASSWORD and "
                  "~/.pgpass work too; or set BULWARK_STORE)")
      ->envname("BULWARK_STORE");
  cmd->add_option("--store-file", f->store_file,
                  "A file whose first line is the PostgreSQL store URL (e.g. a mounted Kubernetes Secret)");
  cmd->add_option("--tls-cert", f->config.tls_cert, "TLS certificate chain (PEM)");
  cmd->add_option("--tls-key", f->config.tls_key, "TLS private key (PEM)");
  cmd->add_option("--client-ca", f->config.client_ca, "Require client certificates signed by this CA (PEM)");
  cmd->add_flag("--insecure-listen", f->config.insecure_listen, "Allow plain HTTP on a non-loopback address");
  cmd->add_option("--threads", f->config.threads, "Handler threads")->check(CLI::Range(1u, 64u));
  cmd->add_option("--db-update-interval", f->db_update_interval,
                  "Run `db update` on the server's advisory database this often (6h, 30m), then re-match");
  cmd->add_option("--db-mirror", f->db_mirror, "Feed mirror for the scheduled update (as `db update --mirror`)");
  cmd->add_option("--db-ecosystems", f->db_ecosystems, "Feeds for the scheduled update (as `db update --ecosystems`)")
      ->delimiter(',');
  cmd->add_option("--webhook", f->config.webhook.urls,
                  "Send events (new critical/high findings, runtime alerts) to this URL as signed JSON; repeatable");
  cmd->add_option("--webhook-secret-file", f->config.webhook_secret_file,
                  "The HMAC-SHA256 key for X-Bulwark-Signature (the file's bytes; never printed)");
  cmd->add_option("--webhook-min-priority", f->config.webhook.min_priority,
                  "Runtime alerts at or above this Falco priority are sent")
      ->default_str("warning");
  cmd->add_option("--webhook-max-attempts", f->config.webhook.max_attempts, "Attempts per delivery")
      ->default_str("8")
      ->check(CLI::Range(1, 100));
  cmd->add_option("--webhook-backoff", f->webhook_backoff, "Wait before the first retry; doubles per attempt")
      ->default_str("2s");
  cmd->add_option("--webhook-timeout", f->webhook_timeout, "Per attempt")->default_str("10s");
  cmd->add_option("--webhook-ca", f->config.webhook.ca_file, "Trust this CA (PEM) for https webhooks");
  cmd->add_option("--max-streams", f->config.max_streams, "Open live alert streams at most")
      ->default_str("32")
      ->check(CLI::Range(1, 1024));
  cmd->add_option("--stream-heartbeat", f->stream_heartbeat, "Heartbeat interval of live alert streams")
      ->default_str("15s");
  cmd->add_option("--admission-policy", f->config.admission_policy,
                  "Enforcement policy for the admission webhook POST /api/v1/admission/validate (docs/enforce.md)");
  cmd->add_option("--rate-limit", f->config.rate_limit.rate,
                  "Requests per second per token (a token bucket; over it: 429 with Retry-After); 0: no limit")
      ->default_str("50")
      ->check(CLI::Range(0.0, 1e6));
  cmd->add_option("--rate-burst", f->config.rate_limit.burst, "Requests a token may send at once (the bucket size)")
      ->default_str("100")
      ->check(CLI::Range(1.0, 1e7));
  cmd->add_option("--retain-digests", f->config.retention.keep_digests,
                  "Retention: keep the newest N images (digests) of each repository (0: rule off)")
      ->check(CLI::Range(0, 1000000));
  cmd->add_option("--retain-running-days", f->config.retention.running_days,
                  "Retention: keep every image seen running in the last D days (0: rule off)")
      ->check(CLI::Range(0, 1000000));
  cmd->add_option("--retention-interval", f->retention_interval, "How often retention runs when a rule is on")
      ->default_str("1h");
  cmd->add_option("--job-poll-ms", f->config.job_poll_ms,
                  "How often an idle job worker looks for queued work (re-match chunks, retention), in ms")
      ->default_str("1000")
      ->check(CLI::Range(10u, 60000u));
  cmd->require_subcommand(0, 1);

  auto* ret = cmd->add_subcommand("retention", "Delete the images the retention rules let go (or list them)");
  ret->add_option("--data", f->data, "Data folder (SQLite store DIR/bulwark.db)");
  ret->add_option("--store", f->store, "PostgreSQL store URL instead of --data")->envname("BULWARK_STORE");
  ret->add_option("--store-file", f->store_file, "A file whose first line is the PostgreSQL store URL");
  ret->add_option("--retain-digests", f->config.retention.keep_digests, "Keep the newest N images per repository")
      ->check(CLI::Range(0, 1000000));
  ret->add_option("--retain-running-days", f->config.retention.running_days,
                  "Keep every image seen running in the last D days")
      ->check(CLI::Range(0, 1000000));
  ret->add_flag("--dry-run", f->dry_run, "Print what would be deleted; delete nothing");
  ret->callback([f, &exit_code] {
    if (auto st = resolve_store(*f); !st) {
      exit_code = report_error(st.error());
      return;
    }
    exit_code = retention(*f);
  });

  auto* dbc = cmd->add_subcommand("db", "The server's advisory database (DIR/advisories.db) and re-matching");
  dbc->require_subcommand(1);
  auto* dimport = dbc->add_subcommand("import", "Import advisory files, folders or archives; re-match stored SBOMs");
  dimport->add_option("--data", f->data, "Data folder")->required();
  dimport->add_option("PATH", f->import_paths, "Files, folders or archives `bulwark db import` reads")->required();
  dimport->callback([f, &exit_code] { exit_code = db_import(*f); });
  auto* dstatus = dbc->add_subcommand("status", "The advisory database's counts and the last re-match (JSON)");
  dstatus->add_option("--data", f->data, "Data folder")->required();
  dstatus->callback([f, &exit_code] { exit_code = db_status(*f); });
  auto* drematch = dbc->add_subcommand("rematch", "Match every stored SBOM against the database again");
  drematch->add_option("--data", f->data, "Data folder")->required();
  drematch->callback([f, &exit_code] { exit_code = db_rematch(*f); });

  auto* token = cmd->add_subcommand("token", "Manage API tokens (admin, ci, agent, reader)");
  token->require_subcommand(1);
  auto* create = token->add_subcommand("create", "Create a token and print it once on stdout");
  create->add_option("--data", f->data, "Data folder (SQLite store DIR/bulwark.db)");
  create->add_option("--store", f->store, "PostgreSQL store URL instead of --data")->envname("BULWARK_STORE");
  create->add_option("--store-file", f->store_file, "A file whose first line is the PostgreSQL store URL");
  create->add_option("--role", f->role, "admin, ci, agent or reader")->required();
  create->add_option("--host", f->host, "The host an agent token is bound to");
  create->add_option("--expires", f->expires, "Lifetime: 30d, 12h, 15m, 3600s");
  create->callback([f, &exit_code] {
    if (auto st = resolve_store(*f); !st) {
      exit_code = report_error(st.error());
      return;
    }
    exit_code = token_create(*f);
  });
  auto* list = token->add_subcommand("list", "List tokens (never the tokens themselves)");
  list->add_option("--data", f->data, "Data folder (SQLite store DIR/bulwark.db)");
  list->add_option("--store", f->store, "PostgreSQL store URL instead of --data")->envname("BULWARK_STORE");
  list->add_option("--store-file", f->store_file, "A file whose first line is the PostgreSQL store URL");
  list->callback([f, &exit_code] {
    if (auto st = resolve_store(*f); !st) {
      exit_code = report_error(st.error());
      return;
    }
    exit_code = token_list(*f);
  });
  auto* revoke = token->add_subcommand("revoke", "Revoke a token by id");
  revoke->add_option("--data", f->data, "Data folder (SQLite store DIR/bulwark.db)");
  revoke->add_option("--store", f->store, "PostgreSQL store URL instead of --data")->envname("BULWARK_STORE");
  revoke->add_option("--store-file", f->store_file, "A file whose first line is the PostgreSQL store URL");
  revoke->add_option("ID", f->token_id, "Token id (from token list)")->required();
  revoke->callback([f, &exit_code] {
    if (auto st = resolve_store(*f); !st) {
      exit_code = report_error(st.error());
      return;
    }
    exit_code = token_revoke(*f);
  });

  cmd->callback([cmd, f, &exit_code] {
    if (!cmd->get_subcommands().empty()) return;
    if (auto st = resolve_store(*f); !st) {
      exit_code = report_error(st.error());
      return;
    }
    if (f->data.empty() && f->store.empty()) {
      exit_code =
          report_error(Error{ErrorCode::invalid_argument, "--data DIR (or --store postgresql://...) is required", {}});
      return;
    }
    exit_code = run_server(*f);
  });
}

BULWARK_COMMAND(server, 80, register_server);

}  // namespace bulwark::cli
