// Webhook notifications of `bulwark server` (--webhook URL, repeatable): every event becomes
// one JSON body, signed with HMAC-SHA256 under the key of --webhook-secret-file
// (`X-Bulwark-Signature: sha256=<hex>` of the exact body bytes), and one delivery per webhook
// queued durably in the store (table webhook_deliveries, in the transaction that made the
// event). A background worker sends due deliveries, retries failures (connection errors,
// timeouts, 5xx, 408, 429) with exponential backoff up to a bounded number of attempts, and
// records every attempt; GET /api/v1/webhooks/deliveries reads that log. The key is never
// stored, logged or returned. docs/server-notifications.md.
//
// Events: finding.new (new critical/high findings an upload reported), alert (runtime alerts at
// or above --webhook-min-priority), and whatever other parts of the server enqueue
// (enqueue_webhook_event: re-match results, policy failures).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/ingest.hpp"
#include "server/sql.hpp"
#include "server/store.hpp"
#include "util/error.hpp"

namespace bulwark::server {

struct WebhookOptions {
  std::vector<std::string> urls;                  // http:// or https://
  std::string secret;                             // the HMAC key (bytes of the secret file, trailing newline removed)
  std::string min_priority = "warning";           // runtime alerts at or above this Falco priority
  int max_attempts = 8;                           // attempts per delivery, the first included
  std::chrono::milliseconds backoff{2000};        // wait before the first retry; doubles per attempt
  std::chrono::milliseconds max_backoff{600000};  // the longest wait between attempts
  std::chrono::seconds timeout{10};               // per attempt (connect + answer)
  std::size_t max_pending = 10000;                // deliveries waiting; new events beyond it are dropped (counted)
  std::string ca_file;                            // trust these CAs for https webhooks (default: the system's)
  std::size_t max_items = 100;                    // findings or alerts listed in one event's body
};

// "sha256=<lower-case hex HMAC-SHA256(secret, body)>".
[[nodiscard]] std::string webhook_signature(std::string_view secret, std::string_view body);

// Reads a secret file: non-empty, at most 4 KiB, one trailing newline (or CRLF) removed.
// Errors name the file and never its content.
[[nodiscard]] Result<std::string> read_webhook_secret(const std::filesystem::path& file);

// A webhook URL fit for the delivery log: no credentials, query or fragment, and any path
// segment longer than 12 characters cut to its first 4 (chat webhooks carry secrets in the path).
[[nodiscard]] std::string display_webhook_url(std::string_view url);

// The delivery log (GET /api/v1/webhooks/deliveries): newest first, `limit`/`cursor`, filters
// `state` (pending, delivered, failed, abandoned) and `type` (event type).
[[nodiscard]] Result<nlohmann::json> webhook_deliveries(Store& store, const ListQuery& q);

class Webhooks {
 public:
  // Checks the options (URLs, a secret when there are URLs, the priority); marks deliveries still
  // pending for a URL that is no longer configured as abandoned. Does not start the worker.
  [[nodiscard]] static Result<std::unique_ptr<Webhooks>> create(Store& store, WebhookOptions options);
  ~Webhooks();
  Webhooks(const Webhooks&) = delete;
  Webhooks& operator=(const Webhooks&) = delete;

  // The background worker: start() once; stop() waits for an attempt in flight (bounded by the timeout).
  void start();
  void stop();

  // Queues one event for every webhook inside the caller's transaction (the caller wakes the
  // worker after committing). Nothing without webhooks. `type` like "finding.new".
  [[nodiscard]] Status enqueue(Sql& sql, std::string_view type, const nlohmann::json& data);
  // The same in a transaction of its own, then wakes the worker.
  [[nodiscard]] Status enqueue(std::string_view type, const nlohmann::json& data);
  // The events an upload makes (new critical/high findings, alerts at or above the priority),
  // inside the ingest transaction (Store::ingest's hook).
  [[nodiscard]] Status on_ingest(Sql& sql, const Document& doc, const IngestOutcome& out);
  void wake();

  // Sends what is due now, synchronously (the worker's one pass; tests call it). Returns the number of attempts.
  std::size_t run_due();

  [[nodiscard]] bool enabled() const noexcept { return !options_.urls.empty(); }
  [[nodiscard]] nlohmann::json configured() const;  // display URLs, min priority, attempts
  [[nodiscard]] std::string metrics_text();

 private:
  Webhooks(Store& store, WebhookOptions options);
  void loop();
  [[nodiscard]] std::int64_t now_ms() const;
  struct Due;
  void attempt(const Due& d);

  Store& store_;
  WebhookOptions options_;
  int min_rank_ = 3;
  std::thread worker_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool wake_ = false;
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> enqueued_{0}, delivered_{0}, failed_{0}, attempts_{0}, dropped_{0};
};

// For the re-matcher and other parts of the server: queue an event (own transaction) when
// webhooks are configured; hooks == nullptr or no webhooks: nothing. Event types in use:
// finding.new, alert, policy.failed (api.cpp, a failing verdict of a new upload); reserved:
// finding.fixed, finding.withdrawn (re-match).
[[nodiscard]] Status enqueue_webhook_event(Webhooks* hooks, std::string_view type, const nlohmann::json& data);
// The same inside the caller's transaction; call hooks->wake() after the commit.
[[nodiscard]] Status enqueue_webhook_event(Webhooks* hooks, Sql& sql, std::string_view type,
                                           const nlohmann::json& data);

}  // namespace bulwark::server
