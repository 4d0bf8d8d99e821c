// The Docker authorization plugin (`bulwark authz`): Docker's AuthZ plugin protocol, HTTP
// over a unix socket that dockerd, started with --authorization-plugin=NAME, finds as
// /run/docker/plugins/NAME.sock or through /etc/docker/plugins/NAME.spec.
//
//   POST /Plugin.Activate        -> {"Implements": ["authz"]}
//   POST /AuthZPlugin.AuthZReq   {"User", "RequestMethod", "RequestUri", "RequestBody" (base64), ...}
//                                -> {"Allow": bool, "Msg": "..."}
//   POST /AuthZPlugin.AuthZRes   -> {"Allow": true} (responses are not filtered)
//
// Judged: `POST /containers/create` (the body's Image against the image rules; HostConfig:
// Privileged, CapAdd ALL or SYS_ADMIN, host network/PID/IPC/UTS/user namespaces, binds and
// mounts of the Docker or containerd socket or a folder holding it) and `POST
// /containers/{id}/exec` with Privileged. Everything else is allowed.
//
// Fails closed: a request it cannot parse, and a create whose body dockerd did not pass on
// (dockerd sends bodies only when they are JSON and smaller than 1 MiB), are denied. When
// the plugin is not running, dockerd itself refuses every request. The policy's break-glass
// file allows everything while it exists.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "enforce/policy.hpp"
#include "httpd/httpd.hpp"

namespace bulwark::enforce {

struct AuthzDecision {
  bool allow = false;
  std::string message;               // Msg: "bulwark: ..." naming every reason
  std::vector<std::string> reasons;  // empty when allowed
  bool break_glass = false;          // allowed only because the break-glass file exists
  std::string method, uri, user;     // as dockerd sent them (for the log)
};

// Judges one AuthZReq body (the JSON dockerd posts).
[[nodiscard]] AuthzDecision authorize_request(std::string_view authz_request_json, const Policy& policy);

// The request path without the API version prefix, percent-decoding, duplicate slashes,
// dot segments, a trailing slash or the query: "/v1.43/containers//create/?x" ->
// "/containers/create".
[[nodiscard]] std::string normalize_docker_path(std::string_view request_uri);

// Base64 (standard alphabet, padding optional); nullopt-like error when malformed.
[[nodiscard]] Result<std::string> decode_base64(std::string_view text);

// The plugin's HTTP handler. `log` gets one line per denial (and per break-glass allow).
class AuthzPlugin {
 public:
  AuthzPlugin(Policy policy, std::function<void(const std::string&)> log);
  [[nodiscard]] httpd::Response handle(const httpd::Request& request);
  [[nodiscard]] std::uint64_t allowed() const { return allowed_.load(); }
  [[nodiscard]] std::uint64_t denied() const { return denied_.load(); }

 private:
  Policy policy_;
  std::function<void(const std::string&)> log_;
  std::atomic<std::uint64_t> allowed_{0}, denied_{0};
};

}  // namespace bulwark::enforce
