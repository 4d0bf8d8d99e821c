// Webhook notifications; see webhook.hpp.
#include "server/webhook.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <random>
#include <set>
#include <sstream>

#include "server/live.hpp"
#include "util/http.hpp"

namespace bulwark::server {

using nlohmann::json;

#define BW_TRY(expr)                                                        \
  do {                                                                      \
    if (auto bw_st = (expr); !bw_st) return std::unexpected(bw_st.error()); \
  } while (0)

namespace {

std::string hex(const unsigned char* p, std::size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(kHex[p[i] >> 4]);
    out.push_back(kHex[p[i] & 15]);
  }
  return out;
}

std::int64_t system_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// What a receiver answered, fit for the log: printable ASCII, at most 200 bytes.
std::string printable(std::string_view s) {
  std::string out;
  for (unsigned char c : s.substr(0, 200)) out.push_back(c >= 0x20 && c < 0x7f ? static_cast<char>(c) : ' ');
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

bool retryable(long status) {
  return status >= 500 || status == 408 || status == 429 || status == 0;
}

constexpr std::int64_t kLeaseMs = 30000;  // a claimed delivery is not claimed again for timeout + this

}  // namespace

std::string webhook_signature(std::string_view secret, std::string_view body) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), md, &len);
  return "sha256=" + hex(md, len);
}

Result<std::string> read_webhook_secret(const std::filesystem::path& file) {
  std::error_code ec;
  auto status = std::filesystem::status(file, ec);
  if (ec || !std::filesystem::is_regular_file(status)) {
    return fail(ErrorCode::io, "the webhook secret file is missing or not a regular file", file.string());
  }
  auto size = std::filesystem::file_size(file, ec);
  if (ec || size > 4096) return fail(ErrorCode::limit, "the webhook secret file is larger than 4 KiB", file.string());
  std::ifstream in(file, std::ios::binary);
  if (!in) return fail(ErrorCode::io, "cannot read the webhook secret file", file.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string secret = ss.str();
  if (!secret.empty() && secret.back() == '\n') secret.pop_back();
  if (!secret.empty() && secret.back() == '\r') secret.pop_back();
  if (secret.empty()) return fail(ErrorCode::invalid_argument, "the webhook secret file is empty", file.string());
  if (secret.size() < 16) {
    return fail(ErrorCode::invalid_argument, "the webhook secret is shorter than 16 bytes (use 32 random bytes)",
                file.string());
  }
  return secret;
}

std::string display_webhook_url(std::string_view url) {
  std::string r = util::redact_url(url);
  auto scheme = r.find("://");
  if (scheme == std::string::npos) return r;
  auto path_at = r.find('/', scheme + 3);
  if (path_at == std::string::npos) return r;
  std::string out = r.substr(0, path_at);
  std::string_view path(r);
  path.remove_prefix(path_at);
  std::size_t i = 0;
  while (i < path.size()) {
    std::size_t j = path.find('/', i + 1);
    if (j == std::string_view::npos) j = path.size();
    std::string_view seg = path.substr(i + 1, j - i - 1);
    out += '/';
    out += seg.size() > 12 ? std::string(seg.substr(0, 4)) + "…" : std::string(seg);
    i = j;
  }
  return out;
}

Result<json> webhook_deliveries(Store& store, const ListQuery& q) {
  std::int64_t before = INT64_MAX;
  if (!q.cursor.empty()) {
    std::int64_t v = 0;
    auto [p, ec] = std::from_chars(q.cursor.data(), q.cursor.data() + q.cursor.size(), v);
    if (ec != std::errc() || p != q.cursor.data() + q.cursor.size() || v <= 0) {
      return fail(ErrorCode::invalid_argument, "cursor: not a cursor this server issued");
    }
    before = v;
  }
  auto filter = [&](const char* k) {
    auto it = q.filters.find(k);
    return it == q.filters.end() ? std::string() : it->second;
  };
  std::string state = filter("state"), type = filter("type");
  static const std::set<std::string, std::less<>> kStates{"pending", "delivered", "failed", "abandoned"};
  if (!state.empty() && !kStates.contains(state)) {
    return fail(ErrorCode::invalid_argument, "state: must be pending, delivered, failed or abandoned");
  }
  json items = json::array();
  std::string next;
  auto st = store.transaction([&](Sql& sql) -> Status {
    auto rows = sql.query(
        "SELECT id, event_id, event_type, url, state, attempts, created_at, updated_at, next_attempt_ms, last_status, "
        "last_error, delivered_at FROM webhook_deliveries WHERE id < $1 AND ($2 = '' OR state = $2) AND ($3 = '' OR "
        "event_type = $3) ORDER BY id DESC LIMIT $4",
        {before, state, type, static_cast<std::int64_t>(q.limit + 1)});
    if (!rows) return std::unexpected(rows.error());
    for (const auto& r : *rows) {
      if (items.size() == q.limit) {
        next = std::to_string(items.back()["id"].get<std::int64_t>());
        break;
      }
      json d = {{"id", as_int(r[0])},
                {"event", {{"id", as_text(r[1])}, {"type", as_text(r[2])}}},
                {"webhook", display_webhook_url(as_text(r[3]))},
                {"state", as_text(r[4])},
                {"attempts", as_int(r[5])},
                {"created_at", format_rfc3339(as_int(r[6]))},
                {"time", format_rfc3339(as_int(r[7]))}};
      if (as_int(r[9]) != 0) d["status"] = as_int(r[9]);
      if (!as_text(r[10]).empty()) d["error"] = as_text(r[10]);
      if (as_text(r[4]) == "pending") d["next_attempt_at"] = format_rfc3339(as_int(r[8]) / 1000);
      if (as_int(r[11]) != 0) d["delivered_at"] = format_rfc3339(as_int(r[11]));
      auto hs = sql.query(
          "SELECT attempt, time, status, error, duration_ms FROM webhook_attempts WHERE delivery_id = $1 ORDER BY "
          "attempt",
          {as_int(r[0])});
      if (!hs) return std::unexpected(hs.error());
      json history = json::array();
      for (const auto& h : *hs) {
        json a = {{"attempt", as_int(h[0])}, {"time", format_rfc3339(as_int(h[1]))}, {"duration_ms", as_int(h[4])}};
        if (as_int(h[2]) != 0) a["status"] = as_int(h[2]);
        if (!as_text(h[3]).empty()) a["error"] = as_text(h[3]);
        history.push_back(std::move(a));
      }
      d["history"] = std::move(history);
      items.push_back(std::move(d));
    }
    return {};
  });
  if (!st) return std::unexpected(st.error());
  json out = {{"items", items}};
  if (!next.empty()) out["next_cursor"] = next;
  return out;
}

// ---- Webhooks ----------------------------------------------------------------------------------

struct Webhooks::Due {
  std::int64_t id = 0, attempts = 0;
  std::string url, body, event_id, event_type;
};

Webhooks::Webhooks(Store& store, WebhookOptions options) : store_(store), options_(std::move(options)) {}

Webhooks::~Webhooks() {
  stop();
}

Result<std::unique_ptr<Webhooks>> Webhooks::create(Store& store, WebhookOptions options) {
  std::set<std::string> seen;
  for (const auto& u : options.urls) {
    if (!(u.starts_with("http://") || u.starts_with("https://")) || u.size() > 2048 ||
        u.find_first_of(" \t\r\n") != std::string::npos) {
      return fail(ErrorCode::invalid_argument, "--webhook: must be an http:// or https:// URL", display_webhook_url(u));
    }
    if (auto o = util::url_origin(u); !o) {
      return fail(ErrorCode::invalid_argument, "--webhook: not a URL (" + o.error().message + ")",
                  display_webhook_url(u));
    }
    if (!seen.insert(u).second) {
      return fail(ErrorCode::invalid_argument, "--webhook: the same URL is given twice", display_webhook_url(u));
    }
  }
  if (!options.urls.empty() && options.secret.empty()) {
    return fail(
        ErrorCode::invalid_argument,
        "--webhook needs --webhook-secret-file FILE (the HMAC key the X-Bulwark-Signature header is made with)");
  }
  int rank = priority_rank(options.min_priority);
  if (rank < 0) {
    return fail(ErrorCode::invalid_argument,
                "--webhook-min-priority: must be a Falco priority (emergency, alert, critical, error, warning, notice, "
                "informational, debug)",
                options.min_priority);
  }
  if (options.max_attempts < 1 || options.max_attempts > 100) {
    return fail(ErrorCode::invalid_argument, "--webhook-max-attempts: must be from 1 to 100");
  }
  std::unique_ptr<Webhooks> w(new Webhooks(store, std::move(options)));
  w->min_rank_ = rank;
  // Deliveries left pending for a webhook no longer configured are not sent there any more.
  auto st = store.transaction([&](Sql& sql) -> Status {
    auto rows = sql.query("SELECT DISTINCT url FROM webhook_deliveries WHERE state = 'pending'");
    if (!rows) return std::unexpected(rows.error());
    for (const auto& r : *rows) {
      std::string url = as_text(r[0]);
      if (std::find(w->options_.urls.begin(), w->options_.urls.end(), url) != w->options_.urls.end()) continue;
      BW_TRY(sql.exec(
          "UPDATE webhook_deliveries SET state = 'abandoned', last_error = 'the webhook is no longer configured', "
          "updated_at = $1 WHERE state = 'pending' AND url = $2",
          {store.now(), url}));
    }
    return {};
  });
  if (!st) return std::unexpected(st.error().within("webhook deliveries"));
  return w;
}

std::int64_t Webhooks::now_ms() const {
  return system_ms();
}

void Webhooks::start() {
  if (worker_.joinable() || options_.urls.empty()) return;
  worker_ = std::thread([this] { loop(); });
}

void Webhooks::stop() {
  stopping_ = true;
  {
    std::lock_guard lock(mutex_);
    wake_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void Webhooks::wake() {
  {
    std::lock_guard lock(mutex_);
    wake_ = true;
  }
  cv_.notify_all();
}

Status Webhooks::enqueue(Sql& sql, std::string_view type, const json& data) {
  if (options_.urls.empty()) return {};
  auto pending = sql.query("SELECT COUNT(*) FROM webhook_deliveries WHERE state = 'pending'");
  if (!pending) return std::unexpected(pending.error());
  if (static_cast<std::size_t>(as_int((*pending)[0][0])) + options_.urls.size() > options_.max_pending) {
    ++dropped_;
    std::fprintf(stderr, "bulwark server: webhook queue full (%zu deliveries pending): a %.*s event is dropped\n",
                 options_.max_pending, static_cast<int>(type.size()), type.data());
    return {};
  }
  auto id = random_hex(12);
  if (!id) return std::unexpected(id.error());
  json event = {{"schema", "bulwark/v1"},
                {"id", "evt_" + *id},
                {"type", std::string(type)},
                {"time", format_rfc3339(store_.now())},
                {"data", data}};
  std::string body = event.dump(-1, ' ', false, json::error_handler_t::replace);
  std::int64_t now = store_.now(), due = now_ms();
  for (const auto& url : options_.urls) {
    BW_TRY(sql.exec(
        "INSERT INTO webhook_deliveries(event_id, event_type, url, body, state, attempts, created_at, updated_at, "
        "next_attempt_ms) VALUES ($1,$2,$3,$4,'pending',0,$5,$5,$6)",
        {"evt_" + *id, std::string(type), url, body, now, due}));
  }
  ++enqueued_;
  return {};
}

Status Webhooks::enqueue(std::string_view type, const json& data) {
  if (options_.urls.empty()) return {};
  BW_TRY(store_.transaction([&](Sql& sql) { return enqueue(sql, type, data); }));
  wake();
  return {};
}

Status Webhooks::on_ingest(Sql& sql, const Document& doc, const IngestOutcome& out) {
  if (options_.urls.empty()) return {};
  json report = {{"id", out.id}, {"digest", out.digest}, {"kind", std::string(to_string(doc.kind))}};
  if (!doc.host.empty()) report["host"] = doc.host;
  // New critical and high findings.
  json findings = json::array();
  std::size_t count = 0;
  for (const auto& f : out.new_findings) {
    if (f.severity != "critical" && f.severity != "high") continue;
    ++count;
    if (findings.size() >= options_.max_items) continue;
    json j = {{"vulnerability", f.vuln_id},
              {"severity", f.severity},
              {"package", {{"name", f.package}, {"version", f.package_version}}},
              {"target", {{"kind", f.target_kind}, {"name", f.target_name}}}};
    if (!f.target_id.empty()) j["target"]["id"] = f.target_id;
    if (!f.fixed_version.empty()) j["fixed_version"] = f.fixed_version;
    findings.push_back(std::move(j));
  }
  if (count > 0) {
    BW_TRY(enqueue(
        sql, "finding.new",
        {{"report", report}, {"count", count}, {"truncated", count > findings.size()}, {"findings", findings}}));
  }
  // Runtime alerts at or above the priority.
  json alerts = json::array();
  count = 0;
  for (std::size_t i = 0; i < doc.alerts.size(); ++i) {
    if (priority_rank(doc.alerts[i].priority) < min_rank_) continue;
    ++count;
    if (alerts.size() >= options_.max_items) continue;
    AlertRec a = doc.alerts[i];
    if (a.time.empty()) a.time = format_rfc3339(store_.now());
    alerts.push_back(alert_json(i < out.alert_seqs.size() ? out.alert_seqs[i] : 0, doc.host, a));
  }
  if (count > 0) {
    BW_TRY(enqueue(sql, "alert",
                   {{"report", report},
                    {"host", doc.host},
                    {"min_priority", options_.min_priority},
                    {"count", count},
                    {"truncated", count > alerts.size()},
                    {"alerts", alerts}}));
  }
  return {};
}

std::size_t Webhooks::run_due() {
  if (options_.urls.empty()) return 0;
  std::vector<Due> due;
  std::int64_t now = now_ms();
  auto st = store_.transaction([&](Sql& sql) -> Status {
    std::string lock = sql.dialect() == Dialect::postgresql ? " FOR UPDATE SKIP LOCKED" : "";
    auto rows = sql.query(
        "SELECT id, url, body, attempts, event_id, event_type FROM webhook_deliveries WHERE state = 'pending' AND "
        "next_attempt_ms <= $1 ORDER BY next_attempt_ms, id LIMIT 16" +
            lock,
        {now});
    if (!rows) return std::unexpected(rows.error());
    std::int64_t lease =
        now + std::chrono::duration_cast<std::chrono::milliseconds>(options_.timeout).count() + kLeaseMs;
    for (const auto& r : *rows) {
      due.push_back({as_int(r[0]), as_int(r[3]), as_text(r[1]), as_text(r[2]), as_text(r[4]), as_text(r[5])});
      BW_TRY(sql.exec("UPDATE webhook_deliveries SET next_attempt_ms = $1 WHERE id = $2", {lease, as_int(r[0])}));
    }
    return {};
  });
  if (!st) {
    std::fprintf(stderr, "bulwark server: webhook queue: %s\n", st.error().describe().c_str());
    return 0;
  }
  std::size_t n = 0;
  for (const auto& d : due) {
    if (stopping_ && worker_.joinable()) {
      // Not attempted: due again at once for the next start (or another replica).
      (void)store_.transaction([&](Sql& sql) {
        return sql.exec("UPDATE webhook_deliveries SET next_attempt_ms = $1 WHERE id = $2 AND state = 'pending'",
                        {now_ms(), d.id});
      });
      continue;
    }
    attempt(d);
    ++n;
  }
  return n;
}

void Webhooks::attempt(const Due& d) {
  util::HttpOptions ho;
  ho.connect_timeout = std::min<std::chrono::seconds>(options_.timeout, std::chrono::seconds(5));
  ho.total_timeout = options_.timeout;
  ho.stall_timeout = options_.timeout;
  ho.max_redirects = 0;  // a webhook answers itself; a redirect is a failure
  ho.ca_file = options_.ca_file;
  util::HttpClient client(ho);
  util::HttpRequest req;
  req.method = util::HttpMethod::post;
  req.url = d.url;
  req.body = d.body;
  int number = static_cast<int>(d.attempts) + 1;
  req.headers = {{"Content-Type", "application/json"},
                 {"X-Bulwark-Event", d.event_type},
                 {"X-Bulwark-Delivery", std::to_string(d.id)},
                 {"X-Bulwark-Attempt", std::to_string(number)},
                 {"X-Bulwark-Signature", webhook_signature(options_.secret, d.body)}};
  req.cancel = [this] { return stopping_.load(); };
  auto started = std::chrono::steady_clock::now();
  auto res = client.fetch(req, 1 << 20);
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  ++attempts_;
  long status = 0;
  std::string error;
  if (!res) {
    error = res.error().message;  // never the context: it names the URL
  } else {
    status = res->status;
    if (status < 200 || status >= 300) {
      error = fmt::format("HTTP {}", status);
      if (auto p = printable(res->body); !p.empty()) error += ": " + p;
    }
  }
  bool ok = error.empty();
  std::string state = "pending";
  std::int64_t next = 0;
  if (ok) {
    state = "delivered";
    ++delivered_;
  } else if (number >= options_.max_attempts || (status != 0 && !retryable(status))) {
    state = "failed";
    ++failed_;
  } else {
    // Exponential backoff: backoff * 2^(attempt-1), capped, with up to 10% jitter.
    std::int64_t base = options_.backoff.count();
    std::int64_t wait = base;
    for (int i = 1; i < number && wait < options_.max_backoff.count(); ++i) wait *= 2;
    wait = std::min<std::int64_t>(wait, options_.max_backoff.count());
    thread_local std::mt19937_64 rng{std::random_device{}()};
    wait += static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(wait / 10 + 1));
    next = now_ms() + wait;
  }
  std::int64_t now = store_.now();
  auto st = store_.transaction([&](Sql& sql) -> Status {
    BW_TRY(
        sql.exec("INSERT INTO webhook_attempts(delivery_id, attempt, time, status, error, duration_ms) VALUES "
                 "($1,$2,$3,$4,$5,$6) ON CONFLICT(delivery_id, attempt) DO NOTHING",
                 {d.id, std::int64_t{number}, now, std::int64_t{status}, error, static_cast<std::int64_t>(took)}));
    return sql.exec(
        "UPDATE webhook_deliveries SET state = $1, attempts = $2, updated_at = $3, last_status = $4, last_error = $5, "
        "next_attempt_ms = CASE WHEN $1 = 'pending' THEN $6 ELSE next_attempt_ms END, delivered_at = CASE WHEN $1 = "
        "'delivered' THEN $3 ELSE delivered_at END WHERE id = $7",
        {state, std::int64_t{number}, now, std::int64_t{status}, error, next, d.id});
  });
  if (!st) std::fprintf(stderr, "bulwark server: webhook delivery log: %s\n", st.error().describe().c_str());
}

void Webhooks::loop() {
  auto last_prune = std::chrono::steady_clock::now() - std::chrono::hours(2);
  while (!stopping_) {
    if (std::chrono::steady_clock::now() - last_prune > std::chrono::hours(1)) {
      last_prune = std::chrono::steady_clock::now();
      // The log keeps finished deliveries for 30 days.
      std::int64_t cutoff = store_.now() - 30 * 86400;
      (void)store_.transaction([&](Sql& sql) -> Status {
        BW_TRY(sql.exec(
            "DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries WHERE state <> "
            "'pending' AND updated_at < $1)",
            {cutoff}));
        return sql.exec("DELETE FROM webhook_deliveries WHERE state <> 'pending' AND updated_at < $1", {cutoff});
      });
    }
    if (run_due() > 0) continue;
    // Sleep until the next delivery is due (at most a second: other replicas queue too).
    std::int64_t wait_ms = 1000;
    (void)store_.transaction([&](Sql& sql) -> Status {
      auto r = sql.query("SELECT MIN(next_attempt_ms) FROM webhook_deliveries WHERE state = 'pending'");
      if (r && !r->empty() && (*r)[0][0]) wait_ms = std::clamp<std::int64_t>(as_int((*r)[0][0]) - now_ms(), 20, 1000);
      return {};
    });
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, std::chrono::milliseconds(wait_ms), [&] { return wake_ || stopping_.load(); });
    wake_ = false;
  }
}

json Webhooks::configured() const {
  json urls = json::array();
  for (const auto& u : options_.urls) urls.push_back(display_webhook_url(u));
  return {{"webhooks", urls},
          {"min_priority", options_.min_priority},
          {"max_attempts", options_.max_attempts},
          {"signed", !options_.secret.empty()}};
}

std::string Webhooks::metrics_text() {
  std::string out;
  auto counter = [&](const char* name, const char* help, std::uint64_t v) {
    out += fmt::format("# HELP {0} {1}\n# TYPE {0} counter\n{0} {2}\n", name, help, v);
  };
  counter("bulwark_server_webhook_events_total", "Events queued for the webhooks.", enqueued_.load());
  counter("bulwark_server_webhook_attempts_total", "Webhook delivery attempts.", attempts_.load());
  counter("bulwark_server_webhook_delivered_total", "Webhook deliveries answered with 2xx.", delivered_.load());
  counter("bulwark_server_webhook_failed_total", "Webhook deliveries given up on.", failed_.load());
  counter("bulwark_server_webhook_dropped_total", "Events dropped because the queue was full.", dropped_.load());
  std::int64_t pending = 0;
  (void)store_.transaction([&](Sql& sql) -> Status {
    auto r = sql.query("SELECT COUNT(*) FROM webhook_deliveries WHERE state = 'pending'");
    if (r && !r->empty()) pending = as_int((*r)[0][0]);
    return {};
  });
  out += fmt::format(
      "# HELP bulwark_server_webhook_queue_depth Webhook deliveries waiting to be sent.\n# TYPE "
      "bulwark_server_webhook_queue_depth gauge\nbulwark_server_webhook_queue_depth {}\n",
      pending);
  return out;
}

Status enqueue_webhook_event(Webhooks* hooks, std::string_view type, const json& data) {
  if (!hooks) return {};
  return hooks->enqueue(type, data);
}

Status enqueue_webhook_event(Webhooks* hooks, Sql& sql, std::string_view type, const json& data) {
  if (!hooks) return {};
  return hooks->enqueue(sql, type, data);
}

}  // namespace bulwark::server
