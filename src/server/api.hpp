// The HTTP API of `bulwark server` (docs/api/openapi.yaml): routing, authentication (bearer tokens
// and dashboard session cookies with a CSRF header), the role rules, limits on what clients send,
// the audit of writes and refusals, and the dashboard's assets at `/`. An httpd::Handler.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "enforce/policy.hpp"
#include "httpd/httpd.hpp"
#include "server/ingest.hpp"
#include "server/rate_limit.hpp"
#include "server/retention.hpp"
#include "server/store.hpp"

namespace bulwark::server {

class Webhooks;

struct ApiOptions {
  IngestLimits ingest;
  std::int64_t session_lifetime = 12 * 3600;
  std::size_t max_limit = 500;        // largest page a list returns
  std::filesystem::path advisory_db;  // the server's advisory database (empty: none)
  std::filesystem::path audit_jsonl;  // audit log as JSON lines (empty: table only)
  // Notifications (docs/server-notifications.md). webhooks: owned by the caller, outlives the Api; null: none.
  Webhooks* webhooks = nullptr;
  std::size_t max_streams = 32;                       // open GET /api/v1/alerts/stream at once
  std::chrono::milliseconds stream_heartbeat{15000};  // SSE comment lines (and credentials re-checked)
  // The validating admission webhook's policy (POST /api/v1/admission/validate, docs/enforce.md);
  // null: the built-in defaults (Pod Security restricted:latest, no image rules).
  std::shared_ptr<const enforce::Policy> admission_policy;
  // Requests per second per token (--rate-limit, --rate-burst; rate 0: none). /healthz, the
  // admission webhook and session sign-in are not counted (they carry no bearer token).
  RateLimitOptions rate_limit;
  // Retention (server/retention.hpp): the configured rules (POST /api/v1/retention/run uses them
  // unless the request names its own) and how often it is scheduled (0: only on request).
  RetentionOptions retention;
  std::int64_t retention_interval = 0;
};

class Rematcher;

class Api {
 public:
  Api(Store& store, ApiOptions options, Rematcher* rematcher = nullptr);
  ~Api();
  [[nodiscard]] httpd::Response handle(const httpd::Request& request);
  // The routes this API answers, "METHOD /path/{param}", for the OpenAPI test.
  [[nodiscard]] static std::vector<std::string> routes();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bulwark::server
