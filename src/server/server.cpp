// `bulwark server`; see server.hpp.
#include "server/server.hpp"

#include "server/jobs.hpp"

#include <fmt/format.h>
#include <malloc.h>

#include <system_error>
#include <thread>

namespace bulwark::server {

bool is_loopback_listen(std::string_view listen) noexcept {
  if (listen.starts_with("unix:")) return true;
  if (listen.starts_with("127.") || listen.starts_with("localhost:") || listen.starts_with("[::1]:")) return true;
  return false;
}

Result<std::unique_ptr<Store>> open_store(const std::filesystem::path& data, std::string_view store_url) {
  if (data.empty() && store_url.empty()) {
    return fail(ErrorCode::invalid_argument, "--data DIR (or --store postgresql://...) is required");
  }
  if (!store_url.empty() && !is_postgresql_url(store_url)) {
    return fail(ErrorCode::invalid_argument,
                "--store: must be a postgresql:// URL (the default store is DIR/bulwark.db)",
                redact_store_url(store_url));
  }
  if (!data.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(data, ec);
    if (ec) return fail(ErrorCode::io, "cannot create the data folder: " + ec.message(), data.string());
    std::filesystem::permissions(data, std::filesystem::perms::owner_all, std::filesystem::perm_options::replace, ec);
  }
  if (!store_url.empty()) return Store::open_postgresql(store_url);
  return Store::open_sqlite(data / "bulwark.db");
}

Result<std::unique_ptr<DbRematcher>> open_rematcher(Store& store, const std::filesystem::path& data) {
  return DbRematcher::open(store, data / "advisories.db");
}

Status run(const ServerConfig& config, const std::atomic<bool>& stop,
           const std::function<void(std::uint16_t)>& on_ready) {
  // A few malloc arenas, not glibc's 8 per core: the server's ~20 threads each kept an arena of
  // their own, most of the resident memory beyond the store's page caches.
  mallopt(M_ARENA_MAX, 2);
  bool tls = !config.tls_cert.empty() || !config.tls_key.empty();
  if (tls && (config.tls_cert.empty() || config.tls_key.empty())) {
    return fail(ErrorCode::invalid_argument, "--tls-cert and --tls-key go together");
  }
  if (!config.client_ca.empty() && !tls) return fail(ErrorCode::invalid_argument, "--client-ca needs --tls-cert");
  if (!tls && !config.insecure_listen && !is_loopback_listen(config.listen)) {
    return fail(ErrorCode::invalid_argument,
                "plain HTTP is served on loopback only: give --tls-cert/--tls-key, or --insecure-listen",
                config.listen);
  }
  std::shared_ptr<const enforce::Policy> admission_policy;
  if (!config.admission_policy.empty()) {
    auto p = enforce::load_policy(config.admission_policy);
    if (!p) return std::unexpected(p.error().within("--admission-policy"));
    admission_policy = std::make_shared<const enforce::Policy>(std::move(*p));
  }
  WebhookOptions hook_options = config.webhook;
  if (!config.webhook_secret_file.empty()) {
    auto secret = read_webhook_secret(config.webhook_secret_file);
    if (!secret) return std::unexpected(secret.error().within("--webhook-secret-file"));
    hook_options.secret = std::move(*secret);
  }
  auto store = open_store(config.data, config.store);
  if (!store) return std::unexpected(store.error());
  auto hooks = Webhooks::create(**store, std::move(hook_options));
  if (!hooks) return std::unexpected(hooks.error());
  for (const auto& u : config.webhook.urls) {
    if (u.starts_with("http://") && !is_loopback_listen(u.substr(7))) {
      fmt::print(stderr,
                 "bulwark server: warning: webhook {} is plain HTTP off loopback: its bodies (findings, alerts) "
                 "travel unencrypted\n",
                 display_webhook_url(u));
    }
  }
  // The server's advisory database lives in the data folder: without one (a PostgreSQL store and
  // no --data) the server stores what clients matched and re-matches nothing.
  std::unique_ptr<DbRematcher> rematcher;
  if (!config.data.empty()) {
    auto opened = open_rematcher(**store, config.data);
    if (!opened) return std::unexpected(opened.error());
    rematcher = std::move(*opened);
  }
  ApiOptions api_options;
  api_options.webhooks = hooks->get();
  api_options.max_streams = config.max_streams;
  api_options.stream_heartbeat = config.stream_heartbeat;
  api_options.ingest.max_bytes = config.max_body;
  if (!config.data.empty()) {
    api_options.audit_jsonl = config.data / "audit.jsonl";
    api_options.advisory_db = config.data / "advisories.db";
  }
  api_options.admission_policy = admission_policy;
  api_options.rate_limit = config.rate_limit;
  api_options.retention = config.retention;
  api_options.retention_interval = config.retention.enabled() ? config.retention_interval : 0;
  auto api = std::make_shared<Api>(**store, api_options, rematcher.get());
  httpd::ServerOptions options;
  options.listen = config.listen;
  options.threads = config.threads;
  options.limits.max_body = config.max_body;
  if (tls) options.tls = httpd::TlsOptions{config.tls_cert, config.tls_key, config.client_ca};
  auto http = httpd::Server::start(options, [api](const httpd::Request& r) { return api->handle(r); });
  if (!http) return std::unexpected(http.error());
  // Work done once however many processes share the store (jobs.hpp).
  JobRunnerOptions job_options;
  job_options.poll = std::chrono::milliseconds(config.job_poll_ms);
  JobRunner jobs(**store, make_worker_id(), job_options);
  add_retention_job(jobs, **store);
  if (rematcher) rematcher->add_jobs(jobs);
  if (config.retention.enabled()) jobs.every("retention", config.retention_interval, config.retention.to_json().dump());
  jobs.start();
  (*hooks)->start();
  if (on_ready) on_ready((*http)->port());
  // The scheduled advisory update runs on this thread, between checks of stop.
  auto next_update = std::chrono::steady_clock::now() + std::chrono::seconds(config.db_update_interval);
  while (!stop.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (rematcher && config.db_update_interval > 0 && std::chrono::steady_clock::now() >= next_update) {
      auto r = rematcher->update(config.db_update);
      if (r) {
        fmt::print(stderr, "bulwark server: advisory update done: {}\n", r->dump());
      } else {
        fmt::print(stderr, "bulwark server: advisory update failed: {}\n", r.error().describe());
      }
      next_update = std::chrono::steady_clock::now() + std::chrono::seconds(config.db_update_interval);
    }
  }
  (*http)->stop();
  jobs.stop();
  (*hooks)->stop();
  return {};
}

}  // namespace bulwark::server
