// Delivery of the spool to the server: POST /api/v1/reports with the agent's
// Bearer token, one entry at a time, oldest first, each with its idempotency id
// as the Idempotency-Key header. An entry leaves the spool only after the server
// acknowledged it (201, or 200 for a duplicate). Network failures, 5xx and 429
// are retried with exponential backoff and full jitter; 401/403 stop delivery
// for good (the token was revoked or is bound to another host): one clear error,
// and the spool is kept. Another 4xx means the server will never accept that
// document: it is set aside (counted, logged) so it does not block the rest.
// Drops the spool counted are reported first, as an alerts document.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

#include "agent/spool.hpp"
#include "util/error.hpp"
#include "util/http.hpp"

namespace bulwark::agent {

struct DeliveryOptions {
  std::string server;  // https://bulwark.example:8443 (the API lives below /api/v1)
  std::string token;
  std::string host_name;  // for the drop report
  std::string ca_file;    // verify the server against these CAs (else the system store)
  std::string cert_file;  // client certificate
  std::string key_file;
  std::chrono::milliseconds backoff_initial{1000};
  std::chrono::milliseconds backoff_max{std::chrono::minutes(5)};
  std::chrono::seconds request_timeout{60};
};

enum class SendOutcome { delivered, duplicate, retry, rejected, unauthorized };

struct SendResult {
  SendOutcome outcome = SendOutcome::retry;
  long status = 0;
  std::string message;  // the server's error message or the network failure
};

struct DeliveryStats {
  std::atomic<std::uint64_t> delivered{0};
  std::atomic<std::uint64_t> duplicates{0};
  std::atomic<std::uint64_t> retries{0};
  std::atomic<std::uint64_t> rejected{0};
  std::atomic<std::uint64_t> drop_reports{0};
  std::atomic<bool> unauthorized{false};
};

// How the agent reads the server's answer to a POST: 200/201 delivered (duplicate when the
// body says {"duplicate": true}), 401/403 unauthorized, 408/429/5xx/1xx/3xx retry, other 4xx
// rejected; the message from {"error": {"code", "message"}} or the body's first 200 bytes.
// Any body, JSON or not, of any shape: never throws.
[[nodiscard]] SendResult read_answer(long status, std::string_view body);

// One POST; never throws, never logs the token.
class Sender {
 public:
  explicit Sender(DeliveryOptions options);
  [[nodiscard]] SendResult post(std::string_view document, std::string_view idempotency_key);
  [[nodiscard]] const DeliveryOptions& options() const noexcept { return options_; }

 private:
  DeliveryOptions options_;
  util::HttpClient http_;
};

// The delay before retry number `attempt` (0-based): min(max, initial * 2^attempt),
// with full jitter in [delay/2, delay] so a fleet coming back does not retry in step.
[[nodiscard]] std::chrono::milliseconds backoff_delay(const DeliveryOptions& options, unsigned attempt,
                                                      std::uint64_t random);

// The alerts document that reports what the spool dropped.
[[nodiscard]] std::string drop_report(const DropRecord& drops, std::string_view host_name);

class Deliverer {
 public:
  using Log = std::function<void(std::string_view line)>;
  Deliverer(Spool& spool, DeliveryOptions options, Log log = {});

  // Sends until stop() is called or the server refuses the token (then returns the auth error).
  [[nodiscard]] Status run();
  // Sends what the spool holds now; returns when it is empty (ok), after the first failed
  // attempt (that failure), or on 401/403. --once and tests use it.
  [[nodiscard]] Status drain_once();
  void stop();

  [[nodiscard]] const DeliveryStats& stats() const noexcept { return stats_; }

 private:
  enum class Step { idle, sent, failed, unauthorized };
  Step step(std::string& error);
  void sleep_for(std::chrono::milliseconds d);

  Spool& spool_;
  Sender sender_;
  Log log_;
  DeliveryStats stats_;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::condition_variable cv_;
  unsigned attempt_ = 0;
  std::string auth_error_;
};

}  // namespace bulwark::agent
