// Uploads; see client.hpp.
#include "server/client.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "util/http.hpp"

namespace bulwark::server {

void client_from_env(ClientOptions& o) {
  if (o.server.empty()) {
    if (const char* s = std::getenv("BULWARK_SERVER"); s && *s) o.server = s;
  }
  if (o.token.empty()) {
    if (const char* t = std::getenv("BULWARK_TOKEN"); t && *t) o.token = t;
  }
}

Result<UploadResult> upload(const ClientOptions& o, std::string_view document) {
  if (o.server.empty()) return fail(ErrorCode::invalid_argument, "no server: give --server URL or BULWARK_SERVER");
  if (o.token.empty()) return fail(ErrorCode::invalid_argument, "no token: give --token or BULWARK_TOKEN");
  if (!o.server.starts_with("http://") && !o.server.starts_with("https://")) {
    return fail(ErrorCode::invalid_argument, "--server must be an http:// or https:// URL", o.server);
  }
  util::HttpOptions ho;
  ho.ca_file = o.ca_file;
  ho.total_timeout = std::chrono::seconds(300);
  ho.max_redirects = 0;
  util::HttpClient client(ho);
  util::HttpRequest req;
  req.method = util::HttpMethod::post;
  std::string base = o.server;
  while (!base.empty() && base.back() == '/') base.pop_back();
  req.url = base + "/api/v1/reports";
  req.headers = {{"Authorization", "Bearer " + o.token}, {"Content-Type", "application/json"}};
  req.body = std::string(document);
  auto res = client.fetch(req, 1 << 20);
  if (!res) return std::unexpected(res.error());
  return read_upload_answer(res->status, res->body, req.url);
}

namespace {
// A string member of an object, "" when absent or not a string (json::value() throws then).
std::string string_member(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}
}  // namespace

Result<UploadResult> read_upload_answer(long status, std::string_view body, const std::string& url) {
  UploadResult out;
  out.status = status;
  out.body = std::string(body);
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (status < 200 || status >= 300) {
    std::string message = "the server answered " + std::to_string(status);
    if (j.is_object() && j.contains("error") && j["error"].is_object()) {
      message += ": " + string_member(j["error"], "message");
    }
    return fail(status >= 500 ? ErrorCode::network : ErrorCode::invalid_argument, message, url);
  }
  if (j.is_object()) {
    out.id = string_member(j, "id");
    out.digest = string_member(j, "digest");
    auto dup = j.find("duplicate");
    out.duplicate = dup != j.end() && dup->is_boolean() && dup->get<bool>();
  }
  return out;
}

}  // namespace bulwark::server
