#include "agent/delivery.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <random>

#include <nlohmann/json.hpp>

namespace bulwark::agent {

namespace {

constexpr std::uint64_t kMaxAnswerBytes = 1 << 20;

// A string member of an object, "" when absent or not a string (json::value() throws then).
std::string string_member(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string server_message(std::string_view body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_object() && j.contains("error") && j["error"].is_object()) {
    std::string code = string_member(j["error"], "code");
    std::string msg = string_member(j["error"], "message");
    return code.empty() ? msg : code + ": " + msg;
  }
  return std::string(body.substr(0, 200));
}

}  // namespace

Sender::Sender(DeliveryOptions options)
    : options_(std::move(options)), http_([&] {
        util::HttpOptions ho;
        ho.ca_file = options_.ca_file;
        ho.cert_file = options_.cert_file;
        ho.key_file = options_.key_file;
        ho.connect_timeout = std::chrono::seconds(10);
        ho.total_timeout = options_.request_timeout;
        ho.max_redirects = 0;
        return ho;
      }()) {
  while (!options_.server.empty() && options_.server.back() == '/') options_.server.pop_back();
}

SendResult Sender::post(std::string_view document, std::string_view idempotency_key) {
  util::HttpRequest req;
  req.method = util::HttpMethod::post;
  req.url = options_.server + "/api/v1/reports";
  req.headers = {{"Authorization", "Bearer " + options_.token},
                 {"Content-Type", "application/json"},
                 {"Idempotency-Key", std::string(idempotency_key)}};
  req.body = std::string(document);
  auto resp = http_.fetch(req, kMaxAnswerBytes);
  SendResult r;
  if (!resp) {
    r.outcome = SendOutcome::retry;
    r.message = resp.error().describe();
    return r;
  }
  return read_answer(resp->status, resp->body);
}

SendResult read_answer(long status, std::string_view body) {
  SendResult r;
  r.status = status;
  if (status == 201 || status == 200) {
    auto j = nlohmann::json::parse(body, nullptr, false);
    auto dup = j.is_object() ? j.find("duplicate") : j.end();
    r.outcome =
        dup != j.end() && dup->is_boolean() && dup->get<bool>() ? SendOutcome::duplicate : SendOutcome::delivered;
    return r;
  }
  r.message = server_message(body);
  if (status == 401 || status == 403) {
    r.outcome = SendOutcome::unauthorized;
  } else if (status == 408 || status == 429 || status >= 500 || status < 200) {
    r.outcome = SendOutcome::retry;
  } else if (status >= 400) {
    r.outcome = SendOutcome::rejected;
  } else {
    r.outcome = SendOutcome::retry;  // 1xx/3xx: not an acknowledgement
  }
  return r;
}

std::chrono::milliseconds backoff_delay(const DeliveryOptions& options, unsigned attempt, std::uint64_t random) {
  auto base = options.backoff_initial.count();
  auto cap = options.backoff_max.count();
  long long d = base;
  for (unsigned i = 0; i < attempt && d < cap; ++i) d *= 2;
  d = std::min<long long>(d, cap);
  long long half = d / 2;
  long long jitter = half > 0 ? static_cast<long long>(random % static_cast<std::uint64_t>(half + 1)) : 0;
  return std::chrono::milliseconds(half + jitter);
}

std::string drop_report(const DropRecord& drops, std::string_view host_name) {
  nlohmann::json alert = {
      {"time", drops.last_time.empty() ? rfc3339_now() : drops.last_time},
      {"rule", "bulwark agent spool overflow"},
      {"priority", "WARNING"},
      {"source", "agent"},
      {"container", {{"id", ""}, {"name", ""}, {"image", ""}}},
      {"pod", {{"name", ""}, {"namespace", ""}, {"uid", ""}, {"labels", nlohmann::json::object()}}},
      {"output",
       fmt::format("the agent's spool was full: {} documents ({} bytes, sequence numbers {}..{}) were "
                   "dropped, oldest first, between {} and {}",
                   drops.count, drops.bytes, drops.first_seq, drops.last_seq, drops.first_time, drops.last_time)},
      {"fields",
       {{"dropped", drops.count},
        {"dropped_bytes", drops.bytes},
        {"first_seq", drops.first_seq},
        {"last_seq", drops.last_seq}}}};
  nlohmann::json doc = {{"schema", "bulwark/v1"},
                        {"tool", {{"name", "bulwark"}, {"version", BULWARK_VERSION}}},
                        {"report", "alerts"},
                        {"host", {{"name", std::string(host_name)}}},
                        {"alerts", nlohmann::json::array({alert})}};
  return doc.dump();
}

Deliverer::Deliverer(Spool& spool, DeliveryOptions options, Log log)
    : spool_(spool), sender_(std::move(options)), log_(std::move(log)) {}

void Deliverer::stop() {
  stop_ = true;
  { std::lock_guard lock(mutex_); }
  cv_.notify_all();
  spool_.notify();
}

void Deliverer::sleep_for(std::chrono::milliseconds d) {
  std::unique_lock lock(mutex_);
  cv_.wait_for(lock, d, [&] { return stop_.load(); });
}

Deliverer::Step Deliverer::step(std::string& error) {
  // Drops first: they happened before anything still in the spool was written.
  DropRecord drops = spool_.drops();
  if (drops.count > 0) {
    auto r = sender_.post(drop_report(drops, sender_.options().host_name),
                          fmt::format("{}-drops-{}", spool_.spool_id(), drops.generation));
    if (r.outcome == SendOutcome::delivered || r.outcome == SendOutcome::duplicate ||
        r.outcome == SendOutcome::rejected) {
      if (auto st = spool_.clear_drops(drops.generation); !st) {
        error = st.error().describe();
        return Step::failed;
      }
      ++stats_.drop_reports;
      return Step::sent;
    }
    if (r.outcome == SendOutcome::unauthorized) {
      error = fmt::format("the server refused the agent's token (HTTP {}: {})", r.status, r.message);
      return Step::unauthorized;
    }
    error = r.status ? fmt::format("HTTP {}: {}", r.status, r.message) : r.message;
    return Step::failed;
  }
  auto entry = spool_.front();
  if (!entry) return Step::idle;
  auto body = spool_.read(*entry);
  if (!body) {
    // Unreadable (removed underneath, or damaged): it can never be sent.
    if (log_)
      log_(fmt::format("bulwark agent: dropping unreadable spool entry {}: {}", entry->seq, body.error().describe()));
    (void)spool_.remove(*entry);
    ++stats_.rejected;
    return Step::sent;
  }
  auto r = sender_.post(*body, entry->id);
  switch (r.outcome) {
    case SendOutcome::delivered:
    case SendOutcome::duplicate:
      if (auto st = spool_.remove(*entry); !st) {
        error = st.error().describe();
        return Step::failed;
      }
      ++(r.outcome == SendOutcome::delivered ? stats_.delivered : stats_.duplicates);
      return Step::sent;
    case SendOutcome::rejected:
      if (log_)
        log_(fmt::format("bulwark agent: the server rejected spool entry {} (HTTP {}: {}); set aside", entry->seq,
                         r.status, r.message));
      {
        // Kept for inspection, out of the way of the rest.
        std::error_code ec;
        std::filesystem::create_directories(spool_.dir() / "rejected", ec);
        std::filesystem::copy_file(spool_.dir() / "entries" / fmt::format("{:020}-{}.json", entry->seq, entry->id),
                                   spool_.dir() / "rejected" / fmt::format("{:020}-{}.json", entry->seq, entry->id),
                                   std::filesystem::copy_options::overwrite_existing, ec);
      }
      (void)spool_.remove(*entry);
      ++stats_.rejected;
      return Step::sent;
    case SendOutcome::unauthorized:
      error = fmt::format("the server refused the agent's token (HTTP {}: {})", r.status, r.message);
      return Step::unauthorized;
    case SendOutcome::retry: break;
  }
  error = r.status ? fmt::format("HTTP {}: {}", r.status, r.message) : r.message;
  return Step::failed;
}

Status Deliverer::drain_once() {
  for (int guard = 0; guard < 1000000 && !stop_; ++guard) {
    std::string error;
    switch (step(error)) {
      case Step::idle: return {};
      case Step::sent: attempt_ = 0; continue;
      case Step::failed: return fail(ErrorCode::network, error, sender_.options().server);
      case Step::unauthorized:
        stats_.unauthorized = true;
        return fail(ErrorCode::auth, error + "; delivery stopped, the spool is kept", sender_.options().server);
    }
  }
  return {};
}

Status Deliverer::run() {
  std::mt19937_64 rng(std::random_device{}());
  std::string last_error;
  while (!stop_) {
    std::string error;
    switch (step(error)) {
      case Step::idle: spool_.wait(std::chrono::seconds(1), [&] { return stop_.load(); }); break;
      case Step::sent:
        if (attempt_ > 0 && log_) log_("bulwark agent: the server is reachable again; delivering the spool");
        attempt_ = 0;
        last_error.clear();
        break;
      case Step::failed: {
        ++stats_.retries;
        auto d = backoff_delay(sender_.options(), attempt_, rng());
        if (log_ && error != last_error) {
          log_(fmt::format("bulwark agent: cannot deliver to {} ({}); retrying with backoff, {} entries spooled",
                           util::redact_url(sender_.options().server), error, spool_.entries()));
        }
        last_error = error;
        if (attempt_ < 30) ++attempt_;
        sleep_for(d);
        break;
      }
      case Step::unauthorized:
        stats_.unauthorized = true;
        return fail(ErrorCode::auth, error + "; delivery stopped, the spool is kept", sender_.options().server);
    }
  }
  return {};
}

}  // namespace bulwark::agent
