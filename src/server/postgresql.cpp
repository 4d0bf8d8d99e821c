// The PostgreSQL engine of the store, on libpq (the PostgreSQL project's own client library).
//
// One connection, used by one thread at a time (the Store serialises its calls). Statements go
// through PQexecParams with every parameter sent as text of unknown type, so the server infers
// each parameter's type from where it is used, as SQLite's dynamic typing does; a parameter the
// statement does not use is sent as text (PostgreSQL refuses a parameter whose type it cannot
// infer). When the connection is lost (PostgreSQL restarted, network cut) the failing call
// returns ErrorCode::network and the next call reconnects: the server answers 503 while
// PostgreSQL is away and recovers by itself when it is back.
#include <libpq-fe.h>

#include <fmt/format.h>

#include <set>
#include <string>

#include "server/sql.hpp"

namespace bulwark::server {

std::string redact_store_url(std::string_view url) {
  // scheme://user:password@host/... -> scheme://user:***@host/...; password=... in the query too.
  std::string out(url);
  auto scheme = out.find("://");
  if (scheme != std::string::npos) {
    auto start = scheme + 3;
    auto at = out.find('@', start);
    auto slash = out.find('/', start);
    if (at != std::string::npos && (slash == std::string::npos || at < slash)) {
      auto colon = out.find(':', start);
      if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
    }
  }
  for (std::size_t p = 0; (p = out.find("password=", p)) != std::string::npos;) {
    p += 9;
    auto end = out.find_first_of("& ", p);
    out.replace(p, (end == std::string::npos ? out.size() : end) - p, "***");
  }
  return out;
}

bool is_postgresql_url(std::string_view s) noexcept {
  return s.starts_with("postgresql://") || s.starts_with("postgres://");
}

namespace {

// The $N parameters a statement refers to (outside quoted strings and identifiers).
std::set<int> referenced_params(std::string_view sql) {
  std::set<int> out;
  char quote = 0;
  for (std::size_t i = 0; i < sql.size(); ++i) {
    char c = sql[i];
    if (quote) {
      if (c == quote) quote = 0;
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
      continue;
    }
    if (c == '$' && i + 1 < sql.size() && sql[i + 1] >= '1' && sql[i + 1] <= '9') {
      int n = 0;
      std::size_t j = i + 1;
      while (j < sql.size() && sql[j] >= '0' && sql[j] <= '9') n = n * 10 + (sql[j++] - '0');
      out.insert(n);
      i = j - 1;
    }
  }
  return out;
}

void ignore_notice(void*, const char*) {}

// Frees a libpq result when it goes out of scope.
struct ResultGuard {
  explicit ResultGuard(PGresult* res) : r(res) {}
  PGresult* r;
  ~ResultGuard() { PQclear(r); }
  ResultGuard(const ResultGuard&) = delete;
  ResultGuard& operator=(const ResultGuard&) = delete;
};

class PostgresSql final : public Sql {
 public:
  PostgresSql(PGconn* conn, std::string redacted) : conn_(conn), redacted_(std::move(redacted)) {
    PQsetNoticeProcessor(conn_, ignore_notice, nullptr);
  }
  ~PostgresSql() override { PQfinish(conn_); }
  PostgresSql(const PostgresSql&) = delete;
  PostgresSql& operator=(const PostgresSql&) = delete;

  [[nodiscard]] Dialect dialect() const noexcept override { return Dialect::postgresql; }

  Result<std::vector<Row>> query(std::string_view sql, const std::vector<Value>& params) override {
    if (auto st = connected(); !st) return std::unexpected(st.error());
    std::set<int> used = referenced_params(sql);
    std::vector<std::string> text(params.size());
    std::vector<const char*> values(params.size(), nullptr);
    std::vector<Oid> types(params.size(), 0);
    for (std::size_t i = 0; i < params.size(); ++i) {
      const Value& v = params[i];
      if (!used.contains(static_cast<int>(i + 1))) types[i] = 25;  // text: unused, type unknowable
      if (std::holds_alternative<std::nullptr_t>(v)) continue;
      if (const auto* n = std::get_if<std::int64_t>(&v)) {
        text[i] = std::to_string(*n);
      } else {
        text[i] = std::get<std::string>(v);
        if (text[i].find('\0') != std::string::npos) {
          return fail(ErrorCode::invalid_argument, "PostgreSQL: a text value contains a NUL byte");
        }
      }
      values[i] = text[i].c_str();
    }
    std::string statement(sql);
    PGresult* res = PQexecParams(conn_, statement.c_str(), static_cast<int>(params.size()), types.data(), values.data(),
                                 nullptr, nullptr, 0);
    ResultGuard guard{res};
    auto status = PQresultStatus(res);
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) return error(res);
    std::vector<Row> rows;
    if (status == PGRES_TUPLES_OK) {
      int n = PQntuples(res), cols = PQnfields(res);
      rows.reserve(static_cast<std::size_t>(n));
      for (int r = 0; r < n; ++r) {
        Row row;
        row.reserve(static_cast<std::size_t>(cols));
        for (int c = 0; c < cols; ++c) {
          if (PQgetisnull(res, r, c)) {
            row.emplace_back(std::nullopt);
          } else {
            row.emplace_back(std::string(PQgetvalue(res, r, c), static_cast<std::size_t>(PQgetlength(res, r, c))));
          }
        }
        rows.push_back(std::move(row));
      }
    }
    return rows;
  }

  Status script(std::string_view sql) override {
    if (auto st = connected(); !st) return st;
    std::string text(sql);
    PGresult* res = PQexec(conn_, text.c_str());
    ResultGuard guard{res};
    auto status = PQresultStatus(res);
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) return error(res);
    return {};
  }

  Status begin() override { return script("BEGIN"); }

  Status commit() override {
    if (auto st = connected(); !st) return st;
    PGresult* res = PQexec(conn_, "COMMIT");
    ResultGuard guard{res};
    if (PQresultStatus(res) != PGRES_COMMAND_OK) return error(res);
    // COMMIT of a transaction that already failed answers "ROLLBACK", not an error.
    if (std::string_view(PQcmdStatus(res)) != "COMMIT") {
      return fail(ErrorCode::io, "PostgreSQL: the transaction was rolled back", redacted_);
    }
    return {};
  }

  void rollback() noexcept override {
    if (PQstatus(conn_) != CONNECTION_OK) return;
    PQclear(PQexec(conn_, "ROLLBACK"));
  }

 private:
  // Reconnects a lost connection (once per call; libpq bounds it with connect_timeout).
  Status connected() {
    if (PQstatus(conn_) == CONNECTION_OK) return {};
    PQreset(conn_);
    if (PQstatus(conn_) == CONNECTION_OK) {
      PQsetNoticeProcessor(conn_, ignore_notice, nullptr);
      return {};
    }
    return fail(ErrorCode::network, "PostgreSQL is unreachable: " + last_message(), redacted_);
  }

  std::string last_message() const {
    std::string m = PQerrorMessage(conn_);
    while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
    // Only the first line: libpq adds connection attempt details on later ones.
    if (auto nl = m.find('\n'); nl != std::string::npos) m.resize(nl);
    return m.empty() ? "no connection" : m;
  }

  std::unexpected<Error> error(const PGresult* res) const {
    const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
    const char* primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
    std::string sqlstate = state ? state : "";
    std::string message = primary ? primary : last_message();
    ErrorCode code = ErrorCode::io;
    if (PQstatus(conn_) != CONNECTION_OK || sqlstate.starts_with("08") || sqlstate.starts_with("57P")) {
      code = ErrorCode::network;
    } else if (sqlstate.starts_with("23")) {
      code = ErrorCode::invalid_argument;  // a constraint (unique, not null, foreign key)
    } else if (sqlstate == "53100" || sqlstate == "54000") {
      code = ErrorCode::limit;  // disk full, program limit
    }
    std::string text = "PostgreSQL: " + message;
    if (!sqlstate.empty()) text += fmt::format(" (SQLSTATE {})", sqlstate);
    if (sqlstate == "53100") return fail(code, text, redacted_ + ", " + std::string(kStoreFull));
    return fail(code, text, redacted_);
  }

  PGconn* conn_;
  std::string redacted_;
};

}  // namespace

Result<std::unique_ptr<Sql>> open_postgresql(std::string_view url) {
  std::string redacted = redact_store_url(url);
  if (!is_postgresql_url(url)) {
    return fail(ErrorCode::invalid_argument, "not a PostgreSQL URL (postgresql://USER@HOST:PORT/DB)", redacted);
  }
  // Defaults the URL can override: a bounded connect, our name in pg_stat_activity, TCP
  // keepalives so a dead peer is noticed.
  std::string conninfo(url);
  const char* keys[] = {"connect_timeout", "application_name", "keepalives_idle", "dbname", nullptr};
  const char* vals[] = {"5", "bulwark-server", "30", conninfo.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keys, vals, 1);
  if (!conn) return fail(ErrorCode::internal, "libpq: out of memory", redacted);
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string m = PQerrorMessage(conn);
    PQfinish(conn);
    while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
    if (auto nl = m.find('\n'); nl != std::string::npos) m.resize(nl);
    return fail(ErrorCode::network, "cannot connect to PostgreSQL: " + m, redacted);
  }
  int version = PQserverVersion(conn);
  if (version < 120000) {
    PQfinish(conn);
    return fail(ErrorCode::unsupported,
                fmt::format("PostgreSQL {}.{} is too old: the store needs 12 or newer", version / 10000, version % 100),
                redacted);
  }
  return std::unique_ptr<Sql>(std::make_unique<PostgresSql>(conn, std::move(redacted)));
}

}  // namespace bulwark::server
