// Live alerts; see live.hpp.
#include "server/live.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace bulwark::server {

using nlohmann::json;

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string sse_event(const json& alert) {
  std::string data = alert.dump(-1, ' ', false, json::error_handler_t::replace);
  std::int64_t seq = alert.value("seq", std::int64_t{0});
  return fmt::format("event: alert\nid: {}\ndata: {}\n\n", seq, data);
}

}  // namespace

int priority_rank(std::string_view priority) noexcept {
  static constexpr std::string_view kNames[] = {"debug", "informational", "notice", "warning",
                                                "error", "critical",      "alert",  "emergency"};
  std::string p = lower(priority);
  if (p == "info") return 1;
  for (int i = 0; i < 8; ++i) {
    if (p == kNames[i]) return i;
  }
  return -1;
}

json alert_json(std::int64_t seq, std::string_view host, const AlertRec& a) {
  json j = {{"seq", seq},
            {"host", std::string(host)},
            {"time", a.time},
            {"rule", a.rule},
            {"priority", a.priority},
            {"output", a.output},
            {"source", a.source},
            {"container", {{"id", a.container_id}, {"name", a.container_name}, {"image", a.image}}}};
  if (!a.pod_name.empty()) j["pod"] = {{"name", a.pod_name}, {"namespace", a.pod_namespace}};
  return j;
}

bool AlertFilter::matches(const json& a) const {
  auto text = [&](const char* key) { return a.contains(key) && a[key].is_string() ? a[key].get<std::string>() : ""; };
  if (!host.empty() && text("host") != host) return false;
  if (!rule.empty() && text("rule") != rule) return false;
  if (!priority.empty() && lower(text("priority")) != lower(priority)) return false;
  if (min_priority >= 0 && priority_rank(text("priority")) < min_priority) return false;
  if (!container.empty()) {
    const json c = a.value("container", json::object());
    if (c.value("id", "") != container && c.value("name", "") != container) return false;
  }
  return true;
}

AlertHub::AlertHub(std::size_t max_streams, std::size_t max_queue) : max_streams_(max_streams), max_queue_(max_queue) {}

std::shared_ptr<AlertHub::Subscription> AlertHub::subscribe(AlertFilter filter) {
  std::lock_guard lock(mutex_);
  if (subs_.size() >= max_streams_) {
    ++refused_;
    return nullptr;
  }
  std::shared_ptr<Subscription> s(new Subscription(*this, std::move(filter)));
  subs_.push_back(s.get());
  return s;
}

AlertHub::Subscription::~Subscription() {
  std::lock_guard lock(hub_.mutex_);
  std::erase(hub_.subs_, this);
}

bool AlertHub::Subscription::wait(std::vector<json>& out, std::chrono::milliseconds timeout) {
  std::unique_lock lock(hub_.mutex_);
  cv_.wait_for(lock, timeout, [&] { return !queue_.empty() || overflow_; });
  while (!queue_.empty()) {
    out.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  return !overflow_;
}

bool AlertHub::Subscription::overflowed() const {
  std::lock_guard lock(hub_.mutex_);
  return overflow_;
}

void AlertHub::publish(const std::vector<json>& alerts) {
  std::lock_guard lock(mutex_);
  published_ += alerts.size();
  for (Subscription* s : subs_) {
    bool any = false;
    for (const auto& a : alerts) {
      if (s->overflow_ || !s->filter_.matches(a)) continue;
      if (s->queue_.size() >= max_queue_) {
        s->overflow_ = true;
        s->queue_.clear();
      } else {
        s->queue_.push_back(a);
      }
      any = true;
    }
    if (any) s->cv_.notify_all();
  }
}

std::size_t AlertHub::streams() const {
  std::lock_guard lock(mutex_);
  return subs_.size();
}

std::uint64_t AlertHub::published() const {
  std::lock_guard lock(mutex_);
  return published_;
}

std::uint64_t AlertHub::refused() const {
  std::lock_guard lock(mutex_);
  return refused_;
}

Result<AlertFilter> stream_filter(const httpd::Request& req) {
  AlertFilter f;
  struct Param {
    const char* name;
    std::string* out;
  };
  for (auto [name, out] : {Param{"host", &f.host}, Param{"container", &f.container}, Param{"rule", &f.rule},
                           Param{"priority", &f.priority}}) {
    *out = req.query_param(name);
    if (out->size() > 1024) return fail(ErrorCode::limit, std::string(name) + ": longer than 1024 bytes");
  }
  if (std::string m = req.query_param("min_priority"); !m.empty()) {
    f.min_priority = priority_rank(m);
    if (f.min_priority < 0) {
      return fail(ErrorCode::invalid_argument,
                  "min_priority: must be a Falco priority (emergency, alert, critical, error, warning, notice, "
                  "informational, debug)");
    }
  }
  return f;
}

httpd::Response alert_stream(const httpd::Request& req, AlertHub& hub, Store& store, const StreamOptions& options,
                             std::function<bool()> still_allowed) {
  auto error = [](int status, std::string_view code, std::string_view message) {
    httpd::Response r;
    r.status = status;
    r.body = json{{"error", {{"code", code}, {"message", message}}}}.dump();
    r.headers.emplace_back("Cache-Control", "no-store");
    return r;
  };
  auto filter = stream_filter(req);
  if (!filter) {
    return error(filter.error().code == ErrorCode::limit ? 413 : 400, "bad_request", filter.error().describe());
  }
  // Where a reconnecting client left off (EventSource sends the last id it saw).
  std::int64_t last_seen = -1;
  std::string last_text(req.header("last-event-id"));
  if (last_text.empty()) last_text = req.query_param("last_event_id");
  if (!last_text.empty()) {
    std::int64_t v = 0;
    auto [p, ec] = std::from_chars(last_text.data(), last_text.data() + last_text.size(), v);
    if (ec != std::errc() || p != last_text.data() + last_text.size() || v < 0) {
      return error(400, "bad_request", "Last-Event-ID: not an alert seq (a non-negative integer)");
    }
    last_seen = v;
  }
  auto sub = hub.subscribe(*filter);
  if (!sub) {
    httpd::Response r =
        error(503, "unavailable", fmt::format("all {} alert streams are in use; try again later", hub.max_streams()));
    r.headers.emplace_back("Retry-After", "5");
    return r;
  }
  httpd::Response r;
  r.status = 200;
  r.content_type = "text/event-stream; charset=utf-8";
  r.headers.emplace_back("Cache-Control", "no-store");
  r.headers.emplace_back("X-Accel-Buffering", "no");
  // The first bytes: the reconnection delay, a comment naming the filter, then what was missed.
  r.body = "retry: 3000\n: bulwark alert stream\n\n";
  std::int64_t high_water = last_seen;
  if (last_seen >= 0) {
    ListQuery q;
    q.limit = options.replay_limit;
    q.filters["after"] = std::to_string(last_seen);
    if (!filter->host.empty()) q.filters["host"] = filter->host;
    if (!filter->container.empty()) q.filters["container"] = filter->container;
    if (!filter->rule.empty()) q.filters["rule"] = filter->rule;
    if (!filter->priority.empty()) q.filters["priority"] = filter->priority;
    auto missed = store.alerts(q);
    if (missed) {
      const auto& items = (*missed)["items"];
      for (auto it = items.rbegin(); it != items.rend(); ++it) {  // oldest first
        if (!filter->matches(*it)) continue;
        r.body += sse_event(*it);
        high_water = std::max(high_water, it->value("seq", std::int64_t{0}));
      }
    }
  }
  auto next_beat =
      std::make_shared<std::chrono::steady_clock::time_point>(std::chrono::steady_clock::now() + options.heartbeat);
  r.stream = [sub, next_beat, high_water, heartbeat = options.heartbeat,
              still_allowed = std::move(still_allowed)](std::string& chunk) mutable {
    std::vector<json> got;
    bool alive = sub->wait(got, std::chrono::milliseconds(500));
    for (const auto& a : got) {
      if (a.value("seq", std::int64_t{0}) <= high_water) continue;  // already replayed
      chunk += sse_event(a);
    }
    if (!alive) {
      // Too slow to keep up: say so and end; EventSource reconnects with Last-Event-ID and the
      // replay from the store fills the gap.
      chunk += "event: overflow\ndata: {\"reason\":\"the client did not keep up; reconnect to replay\"}\n\n";
      return false;
    }
    auto now = std::chrono::steady_clock::now();
    if (now >= *next_beat) {
      *next_beat = now + heartbeat;
      if (still_allowed && !still_allowed()) {
        chunk += "event: end\ndata: {\"reason\":\"the credentials are no longer valid\"}\n\n";
        return false;
      }
      chunk += ": heartbeat\n\n";
    }
    return true;
  };
  return r;
}

}  // namespace bulwark::server
