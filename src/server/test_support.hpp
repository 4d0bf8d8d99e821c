// Test-only helpers shared by the server's unit tests: a temporary folder, a store's backing on
// either engine (the engine-parameterised suites), and an API request built the way the HTTP
// layer builds one (path and query split, bearer token, loopback peer).
#pragma once

#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "httpd/httpd.hpp"
#include "server/sql.hpp"
#include "server/store.hpp"

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

// One store's backing: a SQLite file in a temporary folder, or a fresh schema in the test's
// PostgreSQL database. open() may be called several times: each call is another connection to
// the same data (as another server process would have).
struct Backing {
  std::string engine;
  TempDir dir;
  std::string url;  // PostgreSQL: the URL with search_path set to this backing's schema
  std::string schema;

  explicit Backing(std::string e) : engine(std::move(e)) {
    if (engine != "postgresql") return;
    const char* base = std::getenv("BULWARK_TEST_PG_URL");
    if (!base || !*base) return;
    schema = "t_" + *random_hex(6);
    auto sql = open_postgresql(base);
    if (!sql) return;
    if (!(*sql)->exec("CREATE SCHEMA " + schema)) return;
    url = std::string(base) + (std::string_view(base).find('?') == std::string_view::npos ? "?" : "&") +
          "options=-c%20search_path%3D" + schema;
  }
  ~Backing() {
    if (schema.empty()) return;
    if (auto sql = open_postgresql(std::getenv("BULWARK_TEST_PG_URL"))) {
      (void)(*sql)->exec("DROP SCHEMA " + schema + " CASCADE");
    }
  }
  Backing(const Backing&) = delete;
  Backing& operator=(const Backing&) = delete;
  [[nodiscard]] bool ready() const { return engine == "sqlite" || !url.empty(); }
  Result<std::unique_ptr<Store>> open(Store::Clock clock = {}) {
    if (engine == "sqlite") return Store::open_sqlite(dir.path / "bulwark.db", std::move(clock));
    if (url.empty()) return fail(ErrorCode::invalid_argument, "BULWARK_TEST_PG_URL is not set or unusable");
    return Store::open_postgresql(url, std::move(clock));
  }
  Result<std::unique_ptr<Sql>> raw() {
    if (engine == "sqlite") return server::open_sqlite(dir.path / "bulwark.db");
    return open_postgresql(url);
  }
};

// The engines the suites run on: SQLite always; PostgreSQL when the test set-up gave a URL.
inline std::vector<std::string> engines() {
  std::vector<std::string> out{"sqlite"};
  if (const char* u = std::getenv("BULWARK_TEST_PG_URL"); u && *u) out.emplace_back("postgresql");
  return out;
}

inline std::string engine_name(const ::testing::TestParamInfo<std::string>& info) {
  return info.param;
}

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
