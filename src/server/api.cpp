// The API's handler; see api.hpp and docs/api/openapi.yaml.
#include "server/api.hpp"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <unistd.h>

#include <fmt/format.h>

#include <atomic>
#include <charconv>
#include <map>
#include <mutex>

#include "enforce/admission.hpp"
#include "report/policy.hpp"
#include "server/ingest_queue.hpp"
#include "server/live.hpp"
#include "server/policies.hpp"
#include "server/rematch.hpp"  // the interface only
#include "server/webhook.hpp"
#include "util/json_depth.hpp"
#include "web/assets.hpp"

namespace bulwark::server {

using httpd::Request;
using httpd::Response;
using nlohmann::json;

namespace {

#define BW_API_TRY(expr)                                                    \
  do {                                                                      \
    if (auto bw_st = (expr); !bw_st) return std::unexpected(bw_st.error()); \
  } while (0)

constexpr std::size_t kMaxPolicyBytes = 4 << 20;  // a policy's JSON (its ignore list and VEX documents included)

Response json_response(int status, const json& body) {
  Response r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

Response error_response(int status, std::string_view code, std::string_view message) {
  return json_response(status, {{"error", {{"code", code}, {"message", message}}}});
}

int status_for(ErrorCode code) {
  switch (code) {
    case ErrorCode::parse:
    case ErrorCode::invalid_argument:
    case ErrorCode::hostile: return 400;
    case ErrorCode::limit: return 413;  // a full disk is 507 (from_error)
    case ErrorCode::auth: return 401;
    case ErrorCode::not_found: return 404;
    case ErrorCode::unsupported: return 422;
    case ErrorCode::io:
    case ErrorCode::network: return 503;
    default: return 500;
  }
}

std::string_view code_for(int status) {
  switch (status) {
    case 400: return "bad_request";
    case 401: return "unauthorized";
    case 403: return "forbidden";
    case 404: return "not_found";
    case 405: return "method_not_allowed";
    case 409: return "conflict";
    case 413: return "too_large";
    case 415: return "unsupported_media_type";
    case 422: return "unprocessable";
    case 429: return "rate_limited";
    case 503: return "unavailable";
    case 507: return "insufficient_storage";
    default: return "internal";
  }
}

Response from_error(const Error& e) {
  // The store's disk is full: 507, so that clients (the agent's spool) keep the upload and retry
  // later, and an operator sees what to do, rather than a "too large" that blames the request.
  if (is_store_full(e)) {
    return error_response(507, code_for(507),
                          "the store's disk is full: nothing was stored; free space (or run retention) and retry");
  }
  int status = status_for(e.code);
  // Store failures name the store, never SQL or internals beyond the engine's message.
  return error_response(status, code_for(status), e.describe());
}

// One path segment, percent-decoded; nullopt for anything that could name another resource.
std::optional<std::string> segment(std::string_view raw) {
  std::string s = httpd::url_decode(raw);
  if (s.empty() || s.size() > 512 || s == "." || s == ".." || s.find("..") != std::string::npos) return std::nullopt;
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f || c == '/' || c == '\\') return std::nullopt;
  }
  return s;
}

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> parts;
  std::size_t i = 1;
  while (i <= path.size()) {
    std::size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    parts.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  return parts;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string cookie_value(std::string_view header, std::string_view name) {
  std::size_t i = 0;
  while (i < header.size()) {
    while (i < header.size() && (header[i] == ' ' || header[i] == ';')) ++i;
    std::size_t end = header.find(';', i);
    if (end == std::string_view::npos) end = header.size();
    std::string_view pair = header.substr(i, end - i);
    auto eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name) return std::string(pair.substr(eq + 1));
    i = end + 1;
  }
  return {};
}

const std::vector<std::string> kRoutes = {
    "GET /healthz",
    "GET /metrics",
    "POST /api/v1/reports",
    "GET /api/v1/reports/{id}",
    "GET /api/v1/reports/{id}/policy",
    "GET /api/v1/policies",
    "GET /api/v1/policies/{name}",
    "PUT /api/v1/policies/{name}",
    "DELETE /api/v1/policies/{name}",
    "GET /api/v1/images",
    "GET /api/v1/images/{id}",
    "GET /api/v1/images/{id}/layers",
    "GET /api/v1/vulnerabilities/{id}/affected",
    "GET /api/v1/hosts",
    "GET /api/v1/hosts/{name}",
    "GET /api/v1/netpol",
    "GET /api/v1/netpol/{id}",
    "GET /api/v1/alerts",
    "GET /api/v1/alerts/stream",
    "GET /api/v1/webhooks/deliveries",
    "GET /api/v1/events",
    "GET /api/v1/summary",
    "GET /api/v1/tokens",
    "POST /api/v1/tokens",
    "DELETE /api/v1/tokens/{id}",
    "POST /api/v1/session",
    "DELETE /api/v1/session",
    "GET /api/v1/audit",
    "POST /api/v1/db/import",
    "GET /api/v1/db",
    "POST /api/v1/admission/validate",
    "GET /api/v1/jobs",
    "GET /api/v1/store",
    "POST /api/v1/retention/run",
};

}  // namespace

struct Api::Impl {
  Impl(Store& s, ApiOptions o, Rematcher* r) : store(s), options(std::move(o)), rematcher(r), uploads(s, r) {}
  Store& store;
  ApiOptions options;
  Rematcher* rematcher;
  IngestQueue uploads;  // group commit of concurrent uploads
  AlertHub hub{options.max_streams};
  std::mutex audit_file_mutex;
  std::atomic<std::uint64_t> requests{0}, refused{0}, ingested{0}, duplicates{0}, store_errors{0};
  std::atomic<std::uint64_t> admission_allowed{0}, admission_denied{0};
  std::shared_ptr<const enforce::Policy> admission_policy =
      options.admission_policy ? options.admission_policy : std::make_shared<const enforce::Policy>();
  std::mutex metrics_mutex;
  std::map<std::pair<std::string, int>, std::uint64_t> by_route_status;
  RateLimiter limiter{options.rate_limit};
  std::atomic<std::uint64_t> policy_passed{0}, policy_failed{0};

  struct Auth {
    std::optional<Principal> who;
    bool via_cookie = false;
  };

  Result<Auth> authenticate(const Request& req) {
    Auth a;
    std::string_view authz = req.header("authorization");
    if (!authz.empty()) {
      if (!authz.starts_with("Bearer ")) return a;
      auto p = store.authenticate(authz.substr(7));
      if (!p) return std::unexpected(p.error());
      a.who = *p;
      return a;
    }
    std::string cookie = cookie_value(req.header("cookie"), "bulwark_session");
    if (!cookie.empty()) {
      auto p = store.session(cookie);
      if (!p) return std::unexpected(p.error());
      a.who = *p;
      a.via_cookie = true;
    }
    return a;
  }

  void audit(const Request& req, const Response& res, const std::string& token_id, std::string message) {
    AuditEntry e{token_id, req.peer, req.method, req.path, std::move(message), res.status};
    store.audit(e);
    if (options.audit_jsonl.empty()) return;
    json line = {{"time", format_rfc3339(store.now())},
                 {"token_id", token_id},
                 {"peer", req.peer},
                 {"method", req.method},
                 {"path", req.path.substr(0, 512)},
                 {"status", res.status},
                 {"message", e.message.substr(0, 1024)}};
    std::string text = line.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
    std::lock_guard lock(audit_file_mutex);
    int fd = ::open(options.audit_jsonl.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return;
    [[maybe_unused]] auto n = ::write(fd, text.data(), text.size());
    ::close(fd);
  }

  Result<ListQuery> list_query(const Request& req, std::initializer_list<const char*> filters) {
    ListQuery q;
    if (req.has_query_param("limit")) {
      std::string l = req.query_param("limit");
      std::size_t n = 0;
      auto [p, ec] = std::from_chars(l.data(), l.data() + l.size(), n);
      if (ec != std::errc() || p != l.data() + l.size() || n == 0 || n > options.max_limit) {
        return fail(ErrorCode::invalid_argument,
                    fmt::format("limit: must be an integer from 1 to {}", options.max_limit));
      }
      q.limit = n;
    }
    q.cursor = req.query_param("cursor");
    for (const char* f : filters) {
      std::string v = req.query_param(f);
      if (v.size() > 1024) return fail(ErrorCode::limit, std::string(f) + ": too long");
      if (!v.empty()) q.filters[f] = v;
    }
    return q;
  }

  static Response from_json_result(const Result<json>& r) { return r ? json_response(200, *r) : from_error(r.error()); }
  static Response from_optional(const Result<std::optional<json>>& r, std::string_view what) {
    if (!r) return from_error(r.error());
    if (!*r) return error_response(404, "not_found", std::string(what) + " not found");
    return json_response(200, **r);
  }

  Response ingest(const Request& req, const Principal& who, std::string& audit_message) {
    if (who.role == Role::reader) return error_response(403, "forbidden", "a reader token cannot upload");
    auto ct = req.header("content-type");
    if (!ct.empty() && !ct.starts_with("application/json")) {
      return error_response(415, "unsupported_media_type", "the body must be application/json");
    }
    std::string_view key = req.header("idempotency-key");
    if (key.size() > 200) return error_response(400, "bad_request", "Idempotency-Key: longer than 200 bytes");
    auto doc = parse_document(req.body, options.ingest);
    if (!doc) {
      audit_message = doc.error().describe();
      return from_error(doc.error());
    }
    if (who.role == Role::agent) {
      if (doc->host.empty()) return error_response(403, "forbidden", "an agent's documents must name their host");
      if (doc->host != who.host) {
        return error_response(403, "forbidden",
                              fmt::format("this agent token is bound to host '{}', not '{}'", who.host, doc->host));
      }
    }
    if (who.role == Role::ci) {
      if (doc->kind != ReportKind::scan) {
        return error_response(403, "forbidden",
                              "a ci token uploads scans only, not " + std::string(to_string(doc->kind)));
      }
      for (const auto& t : doc->targets) {
        if (t.kind != "image" && t.kind != "rootfs" && t.kind != "sbom" && t.kind != "file") {
          return error_response(403, "forbidden",
                                "a ci token uploads image, rootfs, sbom and config scans, not " + t.kind);
        }
      }
    }
    // ?policy=NAME (or the X-Bulwark-Policy header): the verdict under that stored policy,
    // decided before anything is stored, and stored with the report.
    std::string policy_name = req.query_param("policy");
    if (policy_name.empty()) policy_name = std::string(req.header("x-bulwark-policy"));
    std::optional<PolicyVerdict> verdict;
    if (!policy_name.empty()) {
      if (doc->kind != ReportKind::scan) {
        return error_response(400, "bad_request",
                              "policy: only scan documents are evaluated, not " + std::string(to_string(doc->kind)));
      }
      if (!valid_policy_name(policy_name)) {
        return error_response(400, "bad_request", "policy: not a valid policy name (1-64 of A-Za-z0-9._-)");
      }
      auto body = store.policy_body(policy_name);
      if (!body) {
        ++store_errors;
        return from_error(body.error());
      }
      if (!*body) {
        audit_message = "unknown policy " + policy_name;
        return error_response(404, "not_found", fmt::format("no policy named '{}'; nothing stored", policy_name));
      }
      auto settings = parse_policy(policy_name, json::parse(**body, nullptr, false));
      if (!settings) {
        return error_response(
            422, "unprocessable",
            fmt::format("policy '{}' cannot be applied: {}; nothing stored", policy_name, settings.error().describe()));
      }
      auto v = evaluate_policy(policy_name, *settings, req.body, report::today_utc());
      if (!v) return from_error(v.error());
      verdict = std::move(*v);
    }
    IngestHook hook;
    if (options.webhooks && options.webhooks->enabled()) {
      hook = [hooks = options.webhooks](Sql& sql, const Document& d, const IngestOutcome& o) -> Status {
        BW_API_TRY(hooks->on_ingest(sql, d, o));
        if (o.verdict && !o.verdict->pass) {
          json data = o.verdict->detail;
          data["report"] = {{"id", o.id}, {"digest", o.digest}, {"kind", to_string(d.kind)}};
          json targets = json::array();
          for (const auto& t : d.targets) targets.push_back({{"kind", t.kind}, {"name", t.name}, {"id", t.id}});
          data["targets"] = std::move(targets);
          return enqueue_webhook_event(hooks, sql, "policy.failed", data);
        }
        return {};
      };
    }
    auto out = uploads.submit(*doc, req.body.size(), who, key, hook, verdict ? &*verdict : nullptr);
    if (!out) {
      ++store_errors;
      audit_message = out.error().describe();
      return from_error(out.error());
    }
    if (out->duplicate) {
      ++duplicates;
    } else {
      ++ingested;
      if (hook) options.webhooks->wake();
      publish_alerts(*doc, *out);
    }
    audit_message = fmt::format("report {} {} ({} bytes){}", out->id, to_string(doc->kind), req.body.size(),
                                out->duplicate ? ", duplicate" : "");
    if (verdict) {
      ++(verdict->pass ? policy_passed : policy_failed);
      audit_message += fmt::format(", policy {} {}", verdict->policy, verdict->pass ? "pass" : "fail");
    }
    json body = {{"id", out->id},
                 {"digest", out->digest},
                 {"duplicate", out->duplicate},
                 {"kind", to_string(doc->kind)},
                 {"policy", verdict ? verdict->detail : json{{"evaluated", false}}}};
    return json_response(out->duplicate ? 200 : 201, body);
  }

  Response policy_put(const Request& req, const std::string& name, const Principal& who, std::string& audit_message) {
    if (req.body.empty() || req.body.size() > kMaxPolicyBytes) {
      return error_response(req.body.empty() ? 400 : 413, req.body.empty() ? "bad_request" : "too_large",
                            fmt::format("the body must be a policy object of at most {} bytes", kMaxPolicyBytes));
    }
    if (util::json_depth(req.body, options.ingest.max_depth + 1) > options.ingest.max_depth) {
      return error_response(413, "too_large", "the policy is nested too deeply");
    }
    json body = json::parse(req.body, nullptr, false);
    if (body.is_discarded()) return error_response(400, "bad_request", "the body is not JSON");
    auto checked = parse_policy(name, body);
    if (!checked) {
      audit_message = checked.error().describe();
      return error_response(400, "bad_request", checked.error().describe());
    }
    auto created = store.put_policy(name, body.dump(-1, ' ', false, json::error_handler_t::replace), who.token_id);
    if (!created) return from_error(created.error());
    audit_message = fmt::format("policy {} {}", *created ? "created" : "replaced", name);
    auto stored = store.policy(name);
    if (!stored || !*stored) return from_error(stored ? Error{ErrorCode::internal, "policy vanished"} : stored.error());
    return json_response(*created ? 201 : 200, **stored);
  }

  // Newly stored alerts go to the live streams, as GET /api/v1/alerts lists them.
  void publish_alerts(const Document& doc, const IngestOutcome& out) {
    if (doc.alerts.empty() || hub.streams() == 0) return;
    std::vector<json> list;
    list.reserve(doc.alerts.size());
    for (std::size_t i = 0; i < doc.alerts.size() && i < out.alert_seqs.size(); ++i) {
      AlertRec a = doc.alerts[i];
      if (a.time.empty()) a.time = format_rfc3339(store.now());  // as the store keeps it
      list.push_back(alert_json(out.alert_seqs[i], doc.host, a));
    }
    hub.publish(list);
  }

  // The stream's credentials, checked again with every heartbeat (a revoked token ends it).
  std::function<bool()> still_allowed(const Request& req) {
    std::string authz(req.header("authorization"));
    Store* s = &store;
    if (!authz.empty()) {
      return [s, token = authz.substr(7)] {
        auto p = s->authenticate(token);
        return p && *p && ((*p)->role == Role::admin || (*p)->role == Role::reader);
      };
    }
    return [s, cookie = cookie_value(req.header("cookie"), "bulwark_session")] {
      auto p = s->session(cookie);
      return p && *p && ((*p)->role == Role::admin || (*p)->role == Role::reader);
    };
  }

  Response tokens_create(const Request& req, std::string& audit_message) {
    if (util_depth_bad(req.body)) return error_response(400, "bad_request", "malformed JSON");
    json j = json::parse(req.body, nullptr, false);
    if (!j.is_object()) return error_response(400, "bad_request", "the body must be a JSON object");
    auto role_it = j.find("role");
    if (role_it == j.end() || !role_it->is_string()) return error_response(400, "bad_request", "role: required string");
    auto role = parse_role(role_it->get<std::string>());
    if (!role) return error_response(400, "bad_request", "role: must be admin, ci, agent or reader");
    std::string host;
    if (auto h = j.find("host"); h != j.end()) {
      if (!h->is_string()) return error_response(400, "bad_request", "host: must be a string");
      host = h->get<std::string>();
    }
    std::int64_t expires = 0;
    if (auto e = j.find("expires"); e != j.end()) {
      if (!e->is_string()) return error_response(400, "bad_request", "expires: must be a duration string like 30d");
      auto d = parse_duration(e->get<std::string>());
      if (!d) return error_response(400, "bad_request", "expires: must be a duration like 30d, 12h or 3600s");
      expires = *d;
    }
    auto made = store.create_token(*role, host, expires);
    if (!made) return from_error(made.error());
    audit_message = "token created " + made->first.id;
    json out = {{"id", made->first.id}, {"token", made->second}, {"role", to_string(made->first.role)}};
    if (!made->first.host.empty()) out["host"] = made->first.host;
    if (made->first.expires_at) out["expires_at"] = format_rfc3339(made->first.expires_at);
    return json_response(201, out);
  }

  static bool util_depth_bad(std::string_view body) { return body.size() > (1 << 16) || body.empty(); }

  Response tokens_list() {
    auto list = store.list_tokens();
    if (!list) return from_error(list.error());
    json items = json::array();
    for (const auto& t : *list) {
      json j = {{"id", t.id},
                {"role", to_string(t.role)},
                {"created_at", format_rfc3339(t.created_at)},
                {"revoked", t.revoked_at != 0}};
      if (!t.host.empty()) j["host"] = t.host;
      if (t.expires_at) j["expires_at"] = format_rfc3339(t.expires_at);
      if (t.revoked_at) j["revoked_at"] = format_rfc3339(t.revoked_at);
      if (t.last_used) j["last_used"] = format_rfc3339(t.last_used);
      items.push_back(std::move(j));
    }
    return json_response(200, {{"items", items}});
  }

  Response session_create(const Request& req, std::string& audit_message, std::string& token_id) {
    if (util_depth_bad(req.body)) return error_response(400, "bad_request", "the body must be {\"token\": \"...\"}");
    json j = json::parse(req.body, nullptr, false);
    if (!j.is_object() || !j.contains("token") || !j["token"].is_string()) {
      return error_response(400, "bad_request", "the body must be {\"token\": \"...\"}");
    }
    auto who = store.authenticate(j["token"].get<std::string>());
    if (!who) return from_error(who.error());
    if (!*who) return error_response(401, "unauthorized", "the token is unknown, revoked or expired");
    token_id = (*who)->token_id;
    if ((*who)->role == Role::agent) return error_response(403, "forbidden", "agent tokens cannot sign in");
    auto s = store.create_session(**who, options.session_lifetime);
    if (!s) return from_error(s.error());
    audit_message = "session created";
    Response r = json_response(
        201, {{"csrf", s->csrf}, {"role", to_string((*who)->role)}, {"expires_at", format_rfc3339(s->expires_at)}});
    r.headers.emplace_back("Set-Cookie", fmt::format("bulwark_session={}; Path=/; Max-Age={}; HttpOnly; Secure; "
                                                     "SameSite=Strict",
                                                     s->cookie, options.session_lifetime));
    return r;
  }

  Response assets(const Request& req) {
    if (req.method != "GET" && req.method != "HEAD") {
      return error_response(405, "method_not_allowed", "the dashboard is read with GET");
    }
    const web::Asset* a = web::find_asset(req.path);
    if (!a) a = web::find_asset("/");
    if (!a) return error_response(404, "not_found", "no dashboard in this build");
    Response r;
    r.content_type = std::string(a->content_type);
    r.body = std::string(a->body);
    r.headers.emplace_back("Content-Security-Policy", std::string(web::recommended_csp()));
    r.headers.emplace_back("X-Content-Type-Options", "nosniff");
    r.headers.emplace_back("X-Frame-Options", "DENY");
    r.headers.emplace_back("Referrer-Policy", "no-referrer");
    return r;
  }

  std::string metrics_text() {
    std::string out;
    out += "# HELP bulwark_server_requests_total HTTP requests by route and status.\n";
    out += "# TYPE bulwark_server_requests_total counter\n";
    {
      std::lock_guard lock(metrics_mutex);
      for (const auto& [k, v] : by_route_status) {
        out += fmt::format("bulwark_server_requests_total{{route=\"{}\",status=\"{}\"}} {}\n", k.first, k.second, v);
      }
    }
    out += "# HELP bulwark_server_ingested_total Reports stored.\n# TYPE bulwark_server_ingested_total counter\n";
    out += fmt::format("bulwark_server_ingested_total {}\n", ingested.load());
    out += "# HELP bulwark_server_duplicates_total Uploads already stored (idempotent).\n";
    out += "# TYPE bulwark_server_duplicates_total counter\n";
    out += fmt::format("bulwark_server_duplicates_total {}\n", duplicates.load());
    out +=
        "# HELP bulwark_server_refused_total Requests answered with 4xx.\n# TYPE bulwark_server_refused_total "
        "counter\n";
    out += fmt::format("bulwark_server_refused_total {}\n", refused.load());
    out += "# HELP bulwark_server_admission_total Admission reviews answered, by decision.\n";
    out += "# TYPE bulwark_server_admission_total counter\n";
    out += fmt::format("bulwark_server_admission_total{{allowed=\"true\"}} {}\n", admission_allowed.load());
    out += fmt::format("bulwark_server_admission_total{{allowed=\"false\"}} {}\n", admission_denied.load());
    out += "# HELP bulwark_server_policy_verdicts_total Uploads evaluated against a named policy, by verdict.\n";
    out += "# TYPE bulwark_server_policy_verdicts_total counter\n";
    out += fmt::format("bulwark_server_policy_verdicts_total{{pass=\"true\"}} {}\n", policy_passed.load());
    out += fmt::format("bulwark_server_policy_verdicts_total{{pass=\"false\"}} {}\n", policy_failed.load());
    out += "# HELP bulwark_server_rate_limited_total Requests refused (429) by the per-token rate limit.\n";
    out += "# TYPE bulwark_server_rate_limited_total counter\n";
    out += fmt::format("bulwark_server_rate_limited_total {}\n", limiter.refused());
    out += "# HELP bulwark_server_rate_limit_buckets Tokens with a rate-limit bucket in memory.\n";
    out += "# TYPE bulwark_server_rate_limit_buckets gauge\n";
    out += fmt::format("bulwark_server_rate_limit_buckets {}\n", limiter.buckets());
    out += "# HELP bulwark_server_store_errors_total Store operations that failed.\n";
    out += "# TYPE bulwark_server_store_errors_total counter\n";
    out += fmt::format("bulwark_server_store_errors_total {}\n", store_errors.load());
    if (auto n = store.count("reports")) {
      out += "# HELP bulwark_server_reports Reports in the store.\n# TYPE bulwark_server_reports gauge\n";
      out += fmt::format("bulwark_server_reports {}\n", *n);
    }
    if (auto jobs = store.job_counts()) {
      out += "# HELP bulwark_server_jobs Jobs in the store's queue by state (shared by every replica).\n";
      out += "# TYPE bulwark_server_jobs gauge\n";
      for (const auto& [state, n] : *jobs) out += fmt::format("bulwark_server_jobs{{state=\"{}\"}} {}\n", state, n);
    }
    out +=
        "# HELP bulwark_server_ingest_batches_total Transactions that stored uploads (concurrent uploads share one).\n";
    out += "# TYPE bulwark_server_ingest_batches_total counter\n";
    out += fmt::format("bulwark_server_ingest_batches_total {}\n", uploads.batches());
    out += "# HELP bulwark_server_ingest_batch_largest The most uploads one transaction stored.\n";
    out += "# TYPE bulwark_server_ingest_batch_largest gauge\n";
    out += fmt::format("bulwark_server_ingest_batch_largest {}\n", uploads.largest_batch());
    if (auto size = store.store_size()) {
      out += "# HELP bulwark_server_store_bytes Size of the store (SQLite: file and log; PostgreSQL: its tables).\n";
      out += "# TYPE bulwark_server_store_bytes gauge\n";
      out += fmt::format("bulwark_server_store_bytes {}\n", (*size)["bytes"].get<std::int64_t>());
    }
    if (auto running = store.running_jobs()) {
      out += "# HELP bulwark_server_job_progress_done Units done of a running job (any replica's).\n";
      out += "# TYPE bulwark_server_job_progress_done gauge\n";
      for (const auto& j : *running) {
        out += fmt::format("bulwark_server_job_progress_done{{kind=\"{}\",id=\"{}\"}} {}\n", j.kind, j.id, j.done);
      }
      out += "# HELP bulwark_server_job_progress_total Units of a running job in all.\n";
      out += "# TYPE bulwark_server_job_progress_total gauge\n";
      for (const auto& j : *running) {
        out += fmt::format("bulwark_server_job_progress_total{{kind=\"{}\",id=\"{}\"}} {}\n", j.kind, j.id, j.total);
      }
    }
    if (rematcher) out += rematcher->metrics_text();
    if (options.webhooks) out += options.webhooks->metrics_text();
    out += "# HELP bulwark_server_alert_streams Open GET /api/v1/alerts/stream connections.\n";
    out += "# TYPE bulwark_server_alert_streams gauge\n";
    out += fmt::format("bulwark_server_alert_streams {}\n", hub.streams());
    out += "# HELP bulwark_server_alert_streams_refused_total Streams refused because all were in use.\n";
    out += "# TYPE bulwark_server_alert_streams_refused_total counter\n";
    out += fmt::format("bulwark_server_alert_streams_refused_total {}\n", hub.refused());
    return out;
  }

  // Routes a request; `route` is set to the matched route template (for metrics).
  // quiet: leave the request out of the audit log (refusals of the rate limit beyond the first a second).
  Response dispatch(const Request& req, std::string& route, std::string& token_id, std::string& audit_message,
                    bool& quiet) {
    const std::string& path = req.path;
    if (path == "/healthz") {
      route = "GET /healthz";
      if (req.method != "GET" && req.method != "HEAD") return error_response(405, "method_not_allowed", "use GET");
      auto v = store.schema_version();
      if (!v) {
        // No detail for the unauthenticated: not the engine's message, not the store's address.
        ++store_errors;
        return json_response(503, {{"status", "degraded"}, {"store", "the store does not answer"}});
      }
      return json_response(200, {{"status", "ok"}, {"schema", *v}});
    }
    bool api = path == "/metrics" || path.starts_with("/api/");
    if (!api) {
      route = "GET /";
      return assets(req);
    }
    if (path.find("//") != std::string::npos || path.size() > 2048) {
      return error_response(400, "bad_request", "malformed path");
    }
    auto parts = split_path(path);
    if (path.starts_with("/api/") && (parts.size() < 3 || parts[1] != "v1")) {
      return error_response(404, "not_found", "no such API (this server speaks /api/v1)");
    }
    // The admission webhook is called by the Kubernetes API server, which authenticates this
    // server by its TLS certificate and sends no bearer token (docs/enforce.md): it answers
    // without one. It only judges what it is sent, and stores nothing.
    if (path == "/api/v1/admission/validate") {
      route = "POST /api/v1/admission/validate";
      if (req.method != "POST") return error_response(405, "method_not_allowed", "use POST");
      auto d = enforce::review_admission(req.body, *admission_policy);
      if (d.http_status != 200) {
        audit_message = "admission review refused: " + (d.reasons.empty() ? std::string() : d.reasons.front());
        return error_response(d.http_status, "bad_request", d.reasons.empty() ? "malformed" : d.reasons.front());
      }
      if (!d.allowed) {
        ++admission_denied;
        audit_message = "admission denied " + d.uid + ": " + fmt::format("{}", fmt::join(d.reasons, "; "));
      } else {
        ++admission_allowed;
      }
      Response r;
      r.body = std::move(d.body);
      r.headers.emplace_back("Cache-Control", "no-store");
      return r;
    }
    // Session sign-in takes the token in the body; everything else authenticates first.
    if (parts.size() == 3 && parts[2] == "session") {
      route = req.method + " /api/v1/session";
      if (req.method == "POST") return session_create(req, audit_message, token_id);
      if (req.method == "DELETE") {
        std::string cookie = cookie_value(req.header("cookie"), "bulwark_session");
        if (!cookie.empty()) {
          auto who = store.session(cookie);
          if (who && *who) {
            if (!constant_time_equal(req.header("x-csrf-token"), (*who)->csrf)) {
              return error_response(403, "forbidden", "X-CSRF-Token: missing or wrong");
            }
            token_id = (*who)->token_id;
          }
          (void)store.delete_session(cookie);
        }
        Response r = json_response(200, {{"signed_out", true}});
        r.headers.emplace_back("Set-Cookie", "bulwark_session=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict");
        audit_message = "session deleted";
        return r;
      }
      return error_response(405, "method_not_allowed", "use POST or DELETE");
    }
    auto auth = authenticate(req);
    if (!auth) {
      // The token could not be checked: the client is nobody yet, so it gets no detail.
      ++store_errors;
      return error_response(503, "unavailable", "the store does not answer; try again later");
    }
    if (!auth->who) {
      return error_response(401, "unauthorized", "a valid bearer token is required (unknown, revoked or expired)");
    }
    const Principal& who = *auth->who;
    token_id = who.token_id;
    if (auto d = limiter.take(who.token_id); !d.allowed) {
      route = "rate limited";
      quiet = !d.audit;
      audit_message =
          fmt::format("rate limited: {} request{} refused since the last entry (limit {}/s, burst {})", d.refused_since,
                      d.refused_since == 1 ? "" : "s", limiter.options().rate, limiter.options().burst);
      auto seconds = static_cast<long>(d.retry_after + 0.999);
      Response r =
          error_response(429, "rate_limited",
                         fmt::format("too many requests for this token (limit {}/s, burst {}); retry after {} s",
                                     limiter.options().rate, limiter.options().burst, std::max(seconds, 1L)));
      r.headers.emplace_back("Retry-After", std::to_string(std::max(seconds, 1L)));
      return r;
    }
    bool write = req.method != "GET" && req.method != "HEAD";
    if (write && auth->via_cookie && !constant_time_equal(req.header("x-csrf-token"), who.csrf)) {
      return error_response(403, "forbidden", "X-CSRF-Token: missing or wrong (cookie-authenticated write)");
    }
    auto need_read = [&]() -> std::optional<Response> {
      if (who.role == Role::admin || who.role == Role::reader) return std::nullopt;
      return error_response(403, "forbidden", fmt::format("a {} token cannot read this", to_string(who.role)));
    };
    auto need_admin = [&]() -> std::optional<Response> {
      if (who.role == Role::admin) return std::nullopt;
      return error_response(403, "forbidden", "needs an admin token");
    };
    auto only = [&](std::string_view method) -> std::optional<Response> {
      if (req.method == method || (method == "GET" && req.method == "HEAD")) return std::nullopt;
      return error_response(405, "method_not_allowed", fmt::format("use {}", method));
    };
    if (path == "/metrics") {
      route = "GET /metrics";
      if (auto r = only("GET")) return *r;
      if (auto r = need_read()) return *r;
      Response r;
      r.content_type = "text/plain; version=0.0.4";
      r.body = metrics_text();
      return r;
    }
    std::string_view res = parts[2];
    if (res == "reports") {
      if (parts.size() == 3) {
        route = "POST /api/v1/reports";
        if (auto r = only("POST")) return *r;
        return ingest(req, who, audit_message);
      }
      if (parts.size() == 4) {
        route = "GET /api/v1/reports/{id}";
        if (auto r = only("GET")) return *r;
        if (who.role == Role::agent) return error_response(403, "forbidden", "an agent token cannot read");
        auto id = segment(parts[3]);
        if (!id) return error_response(400, "bad_request", "id: not a valid report id");
        auto report = store.report(*id);
        if (report && *report) {
          auto verdicts = store.report_verdicts(*id);
          if (!verdicts) return from_error(verdicts.error());
          if (*verdicts) (**report)["policy"] = (**verdicts)["items"];
        }
        return from_optional(report, "report");
      }
      if (parts.size() == 5 && parts[4] == "policy") {
        route = "GET /api/v1/reports/{id}/policy";
        if (auto r = only("GET")) return *r;
        if (who.role == Role::agent) return error_response(403, "forbidden", "an agent token cannot read");
        auto id = segment(parts[3]);
        if (!id) return error_response(400, "bad_request", "id: not a valid report id or digest");
        std::string uploader;
        auto verdicts = store.report_verdicts(*id, &uploader);
        // A ci token reads the verdicts of what it uploaded; another's report is not found for it.
        if (verdicts && *verdicts && who.role == Role::ci && uploader != who.token_id) {
          return error_response(404, "not_found", "report not found");
        }
        return from_optional(verdicts, "report");
      }
    }
    if (res == "policies") {
      if (parts.size() == 3) {
        route = "GET /api/v1/policies";
        if (auto r = only("GET")) return *r;
        if (who.role == Role::agent) return error_response(403, "forbidden", "an agent token cannot read");
        return from_json_result(store.policies());
      }
      if (parts.size() == 4) {
        route = req.method + " /api/v1/policies/{name}";
        auto name = segment(parts[3]);
        if (!name || !valid_policy_name(*name)) {
          return error_response(400, "bad_request", "name: not a valid policy name (1-64 of A-Za-z0-9._-)");
        }
        if (req.method == "GET" || req.method == "HEAD") {
          route = "GET /api/v1/policies/{name}";
          if (who.role == Role::agent) return error_response(403, "forbidden", "an agent token cannot read");
          return from_optional(store.policy(*name), "policy");
        }
        if (req.method == "PUT") {
          if (auto r = need_admin()) return *r;
          return policy_put(req, *name, who, audit_message);
        }
        if (req.method == "DELETE") {
          if (auto r = need_admin()) return *r;
          auto done = store.delete_policy(*name);
          if (!done) return from_error(done.error());
          if (!*done) return error_response(404, "not_found", fmt::format("no policy named '{}'", *name));
          audit_message = "policy deleted " + *name;
          return json_response(200, {{"name", *name}, {"deleted", true}});
        }
        return error_response(405, "method_not_allowed", "use GET, PUT or DELETE");
      }
    }
    if (res == "images") {
      if (auto r = only("GET")) return *r;
      if (auto r = need_read()) return *r;
      if (parts.size() == 3) {
        route = "GET /api/v1/images";
        auto q = list_query(req, {"severity", "fixable", "name", "registry", "kind", "sort"});
        if (!q) return from_error(q.error());
        return from_json_result(store.images(*q));
      }
      if (parts.size() == 4) {
        route = "GET /api/v1/images/{id}";
        auto id = segment(parts[3]);
        if (!id) return error_response(400, "bad_request", "id: not a valid image id");
        std::string key = *id;
        if (key.size() == 64 && key.find(':') == std::string::npos) key = "sha256:" + key;
        return from_optional(store.image(key), "image");
      }
      if (parts.size() == 5 && parts[4] == "layers") {
        route = "GET /api/v1/images/{id}/layers";
        auto id = segment(parts[3]);
        if (!id) return error_response(400, "bad_request", "id: not a valid image id");
        std::string key = *id;
        if (key.size() == 64 && key.find(':') == std::string::npos) key = "sha256:" + key;
        return from_optional(store.image_layers(key), "image");
      }
    }
    if (res == "vulnerabilities" && parts.size() == 5 && parts[4] == "affected") {
      route = "GET /api/v1/vulnerabilities/{id}/affected";
      if (auto r = only("GET")) return *r;
      if (auto r = need_read()) return *r;
      auto id = segment(parts[3]);
      if (!id || id->size() > 128) return error_response(400, "bad_request", "id: not a valid vulnerability id");
      return from_json_result(store.affected(*id));
    }
    if (res == "hosts") {
      if (auto r = only("GET")) return *r;
      if (auto r = need_read()) return *r;
      if (parts.size() == 3) {
        route = "GET /api/v1/hosts";
        auto q = list_query(req, {"name"});
        if (!q) return from_error(q.error());
        return from_json_result(store.hosts(*q));
      }
      if (parts.size() == 4) {
        route = "GET /api/v1/hosts/{name}";
        auto name = segment(parts[3]);
        if (!name || !valid_host_name(*name)) return error_response(400, "bad_request", "name: not a valid host name");
        return from_optional(store.host(*name), "host");
      }
    }
    if (res == "netpol") {
      if (auto r = only("GET")) return *r;
      if (auto r = need_read()) return *r;
      if (parts.size() == 3) {
        route = "GET /api/v1/netpol";
        auto q = list_query(req, {"name"});
        if (!q) return from_error(q.error());
        return from_json_result(store.netpol_graphs(*q));
      }
      if (parts.size() == 4) {
        route = "GET /api/v1/netpol/{id}";
        auto id = segment(parts[3]);
        if (!id) return error_response(400, "bad_request", "id: not a valid report id");
        return from_optional(store.netpol_graph(*id), "reachability graph");
      }
    }
    if (res == "alerts" && parts.size() == 3) {
      route = "GET /api/v1/alerts";
      if (auto r = only("GET")) return *r;
      if (auto r = need_read()) return *r;
      auto q = list_query(req, {"host", "container", "rule", "priority", "since", "after"});
      if (!q) return from_error(q.error());
      return from_json_result(store.alerts(*q));
    }
    if (res == "alerts" && parts.size() == 4 && parts[3] == "stream") {
      route = "GET /api/v1/alerts/stream";
      if (req.method != "GET") return error_response(405, "method_not_allowed", "use GET");
      if (auto r = need_read()) return *r;
      StreamOptions so;
      so.heartbeat = options.stream_heartbeat;
      return alert_stream(req, hub, store, so, still_allowed(req));
    }
    if (res == "webhooks" && parts.size() == 4 && parts[3] == "deliveries") {
      route = "GET /api/v1/webhooks/deliveries";
      if (auto r = only("GET")) return *r;
      if (auto r = need_read()) return *r;
      auto q = list_query(req, {"state", "type"});
      if (!q) return from_error(q.error());
      auto list = webhook_deliveries(store, *q);
      if (list && options.webhooks) (*list)["configured"] = options.webhooks->configured();
      return from_json_result(list);
    }
    if (res == "events" && parts.size() == 3) {
      route = "GET /api/v1/events";
      if (auto r = only("GET")) return *r;
      if (auto r = need_read()) return *r;
      auto q = list_query(req, {"kind", "vulnerability", "since"});
      if (!q) return from_error(q.error());
      return from_json_result(store.events(*q));
    }
    if (res == "summary" && parts.size() == 3) {
      route = "GET /api/v1/summary";
      if (auto r = only("GET")) return *r;
      if (auto r = need_read()) return *r;
      auto s = store.summary();
      if (s && rematcher) (*s)["database"] = rematcher->status();
      return from_json_result(s);
    }
    if (res == "audit" && parts.size() == 3) {
      route = "GET /api/v1/audit";
      if (auto r = only("GET")) return *r;
      if (auto r = need_admin()) return *r;
      auto q = list_query(req, {});
      if (!q) return from_error(q.error());
      return from_json_result(store.audit_log(*q));
    }
    if (res == "tokens") {
      if (auto r = need_admin()) return *r;
      if (parts.size() == 3) {
        route = req.method + " /api/v1/tokens";
        if (req.method == "GET") return tokens_list();
        if (req.method == "POST") return tokens_create(req, audit_message);
        return error_response(405, "method_not_allowed", "use GET or POST");
      }
      if (parts.size() == 4) {
        route = "DELETE /api/v1/tokens/{id}";
        if (auto r = only("DELETE")) return *r;
        auto id = segment(parts[3]);
        if (!id) return error_response(400, "bad_request", "id: not a valid token id");
        auto done = store.revoke_token(*id);
        if (!done) return from_error(done.error());
        if (!*done) return error_response(404, "not_found", "no such active token");
        audit_message = "token revoked " + *id;
        return json_response(200, {{"id", *id}, {"revoked", true}});
      }
    }
    if (res == "db" && parts.size() == 3) {
      route = "GET /api/v1/db";
      if (auto r = only("GET")) return *r;
      if (auto r = need_read()) return *r;
      if (!rematcher) return error_response(404, "not_found", "this server has no advisory database");
      return json_response(200, rematcher->status());
    }
    if (res == "db" && parts.size() == 4 && parts[3] == "import") {
      route = "POST /api/v1/db/import";
      if (auto r = only("POST")) return *r;
      if (auto r = need_admin()) return *r;
      if (!rematcher) return error_response(404, "not_found", "this server has no advisory database");
      auto report = rematcher->import_body(req.body, req.header("content-type"), req.query_param("name"));
      if (!report) return from_error(report.error());
      audit_message = "advisory import";
      return json_response(200, *report);
    }
    if (res == "jobs" && parts.size() == 3) {
      route = "GET /api/v1/jobs";
      if (auto r = only("GET")) return *r;
      if (auto r = need_read()) return *r;
      auto q = list_query(req, {"kind", "state"});
      if (!q) return from_error(q.error());
      return from_json_result(store.jobs(*q));
    }
    if (res == "store" && parts.size() == 3) {
      route = "GET /api/v1/store";
      if (auto r = only("GET")) return *r;
      if (auto r = need_read()) return *r;
      return store_status();
    }
    if (res == "retention" && parts.size() == 4 && parts[3] == "run") {
      route = "POST /api/v1/retention/run";
      if (auto r = only("POST")) return *r;
      if (auto r = need_admin()) return *r;
      return retention_run(req, audit_message);
    }
    return error_response(404, "not_found", "no such API route");
  }

  Response store_status() {
    auto size = store.store_size();
    if (!size) return from_error(size.error());
    json out = *size;
    for (const char* t : {"targets", "reports", "packages", "findings", "events"}) {
      auto n = store.count(t);
      if (!n) return from_error(n.error());
      out["rows"][t] = *n;
    }
    out["retention"] = options.retention.to_json();
    out["retention"]["enabled"] = options.retention.enabled();
    if (options.retention_interval > 0) out["retention"]["interval_seconds"] = options.retention_interval;
    ListQuery q;
    q.limit = 1;
    q.filters["kind"] = "retention";
    q.filters["state"] = "done";
    if (auto last = store.jobs(q); last && !(*last)["items"].empty())
      out["retention"]["last_run"] = (*last)["items"][0];
    return json_response(200, out);
  }

  // POST /api/v1/retention/run[?dry_run=true][&keep_digests=N][&running_days=D]: a dry run
  // answers the plan at once; otherwise a "retention" job is queued (202) that whichever
  // replica's worker claims it runs (its progress: GET /api/v1/jobs).
  Response retention_run(const Request& req, std::string& audit_message) {
    RetentionOptions o = options.retention;
    for (auto [name, field] :
         {std::pair{"keep_digests", &o.keep_digests}, std::pair{"running_days", &o.running_days}}) {
      if (!req.has_query_param(name)) continue;
      std::string v = req.query_param(name);
      std::int64_t n = -1;
      auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
      if (ec != std::errc() || p != v.data() + v.size() || n < 0 || n > 1000000) {
        return error_response(400, "bad_request", fmt::format("{}: an integer from 0 to 1000000", name));
      }
      *field = n;
    }
    std::string dry = req.query_param("dry_run");
    if (!dry.empty() && dry != "true" && dry != "false") {
      return error_response(400, "bad_request", "dry_run: true or false");
    }
    if (dry == "true") {
      auto plan = run_retention(store, o, RetentionMode::dry_run);
      if (!plan) return from_error(plan.error());
      return json_response(200, *plan);
    }
    if (!o.enabled()) {
      return error_response(400, "bad_request",
                            "retention is off: start the server with --retain-digests N and/or "
                            "--retain-running-days D, or give keep_digests / running_days");
    }
    auto id = store.enqueue_job("retention", o.to_json().dump());
    if (!id) return from_error(id.error());
    audit_message = fmt::format("retention queued as job {}", *id);
    return json_response(
        202, {{"job", {{"id", *id}, {"kind", "retention"}, {"state", "queued"}}}, {"options", o.to_json()}});
  }
};

Api::Api(Store& store, ApiOptions options, Rematcher* rematcher)
    : impl_(std::make_unique<Impl>(store, std::move(options), rematcher)) {}
Api::~Api() = default;

std::vector<std::string> Api::routes() {
  return kRoutes;
}

Response Api::handle(const Request& req) {
  ++impl_->requests;
  std::string route = "unmatched", token_id, audit_message;
  bool quiet = false;
  Response res;
  try {
    res = impl_->dispatch(req, route, token_id, audit_message, quiet);
  } catch (const std::exception& e) {
    res = error_response(500, "internal", "internal error");
    audit_message = e.what();
  }
  bool write = req.method != "GET" && req.method != "HEAD";
  if (res.status >= 400) {
    ++impl_->refused;
    if (audit_message.empty()) {
      auto j = json::parse(res.body, nullptr, false);
      if (j.is_object() && j.contains("error")) audit_message = j["error"].value("message", "");
    }
  }
  bool asset = route == "GET /";
  if ((write || res.status >= 400) && !(asset && res.status == 404) && !quiet) {
    impl_->audit(req, res, token_id, audit_message);
  }
  {
    std::lock_guard lock(impl_->metrics_mutex);
    if (impl_->by_route_status.size() < 1000) ++impl_->by_route_status[{route, res.status}];
  }
  return res;
}

}  // namespace bulwark::server
