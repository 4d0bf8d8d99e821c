// `bulwark server`: the store, the API and the HTTP listener put together.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <string>

#include "server/api.hpp"
#include "server/rematch.hpp"
#include "server/retention.hpp"
#include "server/webhook.hpp"
#include "util/error.hpp"
#include "vuln/db/update.hpp"

namespace bulwark::server {

struct ServerConfig {
  std::string listen = "127.0.0.1:8443";
  std::filesystem::path data;  // DIR: bulwark.db, advisories.db, audit.jsonl
  std::string store;           // postgresql://... (empty: SQLite at DIR/bulwark.db)
  std::string tls_cert, tls_key, client_ca;
  bool insecure_listen = false;  // plain HTTP on a non-loopback address
  unsigned threads = 8;          // I/O and handler threads each; uploads waiting on the store share its commits
  std::size_t max_body = 64 << 20;
  // `--db-update-interval 6h`: run `db update` (the feeds in db_update) on the server's advisory
  // database every so many seconds, then re-match the stored SBOMs; 0: never.
  std::int64_t db_update_interval = 0;
  vuln::db::UpdateOptions db_update;
  // Notifications (docs/server-notifications.md): webhook.secret is read from webhook_secret_file.
  WebhookOptions webhook;
  std::filesystem::path webhook_secret_file;
  std::size_t max_streams = 32;
  std::chrono::milliseconds stream_heartbeat{15000};
  std::string admission_policy;          // enforcement policy file for the admission webhook (empty: defaults)
  RateLimitOptions rate_limit{50, 100};  // per token; rate 0: none
  // Retention (server/retention.hpp): `--retain-digests N`, `--retain-running-days D` (0: off);
  // with a rule on, a "retention" job is scheduled every retention_interval seconds.
  RetentionOptions retention;
  std::int64_t retention_interval = 3600;
  // How often an idle job worker looks for work (jobs queued by other replicas), milliseconds.
  unsigned job_poll_ms = 1000;
};

// Whether a listen address is loopback only (127.0.0.0/8, ::1, localhost, unix sockets).
[[nodiscard]] bool is_loopback_listen(std::string_view listen) noexcept;

// Opens the store: PostgreSQL at store_url when given, else SQLite at data/bulwark.db (creating
// the folder). Runs the migrations either way.
[[nodiscard]] Result<std::unique_ptr<Store>> open_store(const std::filesystem::path& data,
                                                        std::string_view store_url = {});

// The server's advisory database, DIR/advisories.db, with the re-matcher over store.
[[nodiscard]] Result<std::unique_ptr<DbRematcher>> open_rematcher(Store& store, const std::filesystem::path& data);

// Runs until *stop becomes true (checked a few times a second); on_ready gets the bound port.
[[nodiscard]] Status run(const ServerConfig& config, const std::atomic<bool>& stop,
                         const std::function<void(std::uint16_t)>& on_ready);

}  // namespace bulwark::server
