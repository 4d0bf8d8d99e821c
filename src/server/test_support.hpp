// Test-only helpers shared by the server's unit tests: a temporary folder, and an API request
// built the way the HTTP layer builds one (path and query split, bearer token, loopback peer).
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <map>
#include <string>

#include "httpd/httpd.hpp"

namespace bulwark::server::testing {

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    char tmpl[] = "/tmp/bulwark-server-test-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

inline httpd::Request make_request(const std::string& method, const std::string& target, const std::string& token,
                                   const std::string& body = {}, std::map<std::string, std::string> headers = {}) {
  httpd::Request r;
  r.method = method;
  r.target = target;
  auto q = target.find('?');
  r.path = target.substr(0, q);
  r.query = q == std::string::npos ? "" : target.substr(q + 1);
  if (!token.empty()) headers["authorization"] = "Bearer " + token;
  r.headers = std::move(headers);
  r.body = body;
  r.peer = "127.0.0.1:1";
  return r;
}

}  // namespace bulwark::server::testing
