// Live runtime alerts: an in-process notifier (AlertHub) that the API publishes newly stored
// alerts to, and GET /api/v1/alerts/stream, which sends them to subscribers as server-sent
// events (text/event-stream) with the filters of GET /api/v1/alerts, heartbeats, a bounded
// number of streams and a bounded queue per stream. A reconnecting client's Last-Event-ID (the
// alert's seq) replays what it missed from the store. docs/server-notifications.md.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "httpd/httpd.hpp"
#include "server/ingest.hpp"
#include "server/store.hpp"

namespace bulwark::server {

// Falco's priorities ranked: emergency 7, alert 6, critical 5, error 4, warning 3, notice 2,
// informational (or info) 1, debug 0; any case. -1 for anything else.
[[nodiscard]] int priority_rank(std::string_view priority) noexcept;

// An alert as GET /api/v1/alerts lists it (seq, host, time, rule, priority, output, source,
// container {id, name, image}, pod when known).
[[nodiscard]] nlohmann::json alert_json(std::int64_t seq, std::string_view host, const AlertRec& a);

struct AlertFilter {
  std::string host, container, rule, priority;  // as GET /api/v1/alerts: exact (priority in any case)
  int min_priority = -1;                        // rank: alerts at or above it (-1: any)
  [[nodiscard]] bool matches(const nlohmann::json& alert) const;
};

class AlertHub {
 public:
  explicit AlertHub(std::size_t max_streams = 32, std::size_t max_queue = 1000);

  class Subscription {
   public:
    // Waits up to `timeout` for alerts; moves those queued into out. False once the hub dropped
    // this subscriber (its queue overflowed: a client too slow to read).
    bool wait(std::vector<nlohmann::json>& out, std::chrono::milliseconds timeout);
    [[nodiscard]] bool overflowed() const;
    ~Subscription();
    Subscription(const Subscription&) = delete;
    Subscription& operator=(const Subscription&) = delete;

   private:
    friend class AlertHub;
    Subscription(AlertHub& hub, AlertFilter filter) : hub_(hub), filter_(std::move(filter)) {}
    AlertHub& hub_;
    AlertFilter filter_;
    std::deque<nlohmann::json> queue_;
    bool overflow_ = false;
    std::condition_variable cv_;
  };

  // nullptr when max_streams are open already.
  [[nodiscard]] std::shared_ptr<Subscription> subscribe(AlertFilter filter);
  // Hands each alert to every subscriber whose filter it matches.
  void publish(const std::vector<nlohmann::json>& alerts);
  [[nodiscard]] std::size_t streams() const;
  [[nodiscard]] std::uint64_t published() const;
  [[nodiscard]] std::uint64_t refused() const;
  [[nodiscard]] std::size_t max_streams() const noexcept { return max_streams_; }

 private:
  mutable std::mutex mutex_;
  std::vector<Subscription*> subs_;
  std::size_t max_streams_, max_queue_;
  std::uint64_t published_ = 0, refused_ = 0;
};

struct StreamOptions {
  std::chrono::milliseconds heartbeat{15000};  // a comment line this often (and the credentials checked again)
  std::size_t replay_limit = 500;              // alerts replayed after Last-Event-ID
};

// GET /api/v1/alerts/stream for a request already authenticated as a reader or admin.
// `still_allowed` is called with every heartbeat: false (token revoked, session ended) ends the
// stream. A filter error is a 400; no free stream a 503 with Retry-After.
[[nodiscard]] httpd::Response alert_stream(const httpd::Request& req, AlertHub& hub, Store& store,
                                           const StreamOptions& options, std::function<bool()> still_allowed);

// The filter of a stream request: host, container, rule, priority, min_priority. Errors name the parameter.
[[nodiscard]] Result<AlertFilter> stream_filter(const httpd::Request& req);

}  // namespace bulwark::server
