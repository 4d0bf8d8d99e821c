// Uploads; see client.hpp.
#include "server/client.hpp"

#include <fmt/format.h>

#include <cctype>
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
  if (!o.policy.empty()) {
    std::string encoded;
    for (unsigned char c : o.policy) {
      if (std::isalnum(c) || c == '.' || c == '_' || c == '-') {
        encoded.push_back(static_cast<char>(c));
      } else {
        encoded += fmt::format("%{:02X}", c);
      }
    }
    req.url += "?policy=" + encoded;
  }
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
    if (auto p = j.find("policy"); p != j.end() && p->is_object()) {
      auto flag = [&](const char* key, bool otherwise) {
        auto it = p->find(key);
        return it != p->end() && it->is_boolean() ? it->get<bool>() : otherwise;
      };
      out.policy.evaluated = flag("evaluated", false);
      out.policy.name = string_member(*p, "name");
      // An evaluated verdict without a readable "pass" is not taken as a pass.
      out.policy.pass = flag("pass", !out.policy.evaluated);
      if (auto n = p->find("failing"); n != p->end() && n->is_number_integer())
        out.policy.failing = n->get<std::int64_t>();
      if (auto r = p->find("reasons"); r != p->end() && r->is_array()) {
        for (const auto& reason : *r) {
          if (reason.is_string()) out.policy.reasons.push_back(reason.get<std::string>());
        }
      }
      if (auto f = p->find("findings"); f != p->end() && f->is_array()) {
        for (const auto& finding : *f) {
          if (!finding.is_object()) continue;
          std::string line = string_member(finding, "id") + " (" + string_member(finding, "severity") + ")";
          if (auto pkg = string_member(finding, "package"); !pkg.empty()) line += " " + pkg;
          if (auto v = string_member(finding, "version"); !v.empty()) line += " " + v;
          if (auto fixed = string_member(finding, "fixed_version"); !fixed.empty()) line += ", fixed in " + fixed;
          out.policy.findings.push_back(std::move(line));
        }
      }
    }
  }
  return out;
}

}  // namespace bulwark::server
