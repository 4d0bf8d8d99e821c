// The SQL connection the server's store runs on. The store writes one dialect: numbered
// parameters ($1, $2, ...), ON CONFLICT upserts and RETURNING, which SQLite (3.35+) and
// PostgreSQL both understand; only the migrations' DDL differs per engine. Values cross this
// boundary as text or 64-bit integers; NULL is an empty optional.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "util/error.hpp"

namespace bulwark::server {

enum class Dialect { sqlite, postgresql };

using Value = std::variant<std::nullptr_t, std::int64_t, std::string>;
using Row = std::vector<std::optional<std::string>>;

class Sql {
 public:
  virtual ~Sql() = default;
  [[nodiscard]] virtual Dialect dialect() const noexcept = 0;
  // Runs one statement; returns the rows it yields (none for most writes).
  [[nodiscard]] virtual Result<std::vector<Row>> query(std::string_view sql, const std::vector<Value>& params = {}) = 0;
  // Runs several statements without parameters (migrations).
  [[nodiscard]] virtual Status script(std::string_view sql) = 0;
  // A write transaction (SQLite: BEGIN IMMEDIATE).
  [[nodiscard]] virtual Status begin() = 0;
  [[nodiscard]] virtual Status commit() = 0;
  virtual void rollback() noexcept = 0;

  [[nodiscard]] Status exec(std::string_view sql, const std::vector<Value>& params = {}) {
    auto r = query(sql, params);
    if (!r) return std::unexpected(r.error());
    return {};
  }
};

// Opens (creating) the SQLite file in WAL mode with a busy timeout.
[[nodiscard]] Result<std::unique_ptr<Sql>> open_sqlite(const std::filesystem::path& path);
// A second connection to an open store, for reads only (PRAGMA query_only): in WAL mode its
// read transactions see the last commit and never wait for the writer's.
[[nodiscard]] Result<std::unique_ptr<Sql>> open_sqlite_reader(const std::filesystem::path& path);

// Connects to PostgreSQL (libpq) at a postgresql:// URL; reconnects by itself after a lost
// connection. Errors name the URL with its password replaced by ***.
[[nodiscard]] Result<std::unique_ptr<Sql>> open_postgresql(std::string_view url);
[[nodiscard]] bool is_postgresql_url(std::string_view s) noexcept;
// The URL with any password replaced by *** (for messages and logs).
[[nodiscard]] std::string redact_store_url(std::string_view url);

// A write the engine refused because its disk is full (SQLite SQLITE_FULL, PostgreSQL 53100):
// the engines set this context on the error (ErrorCode::limit), the API answers 507.
inline constexpr std::string_view kStoreFull = "the store's disk is full";
[[nodiscard]] inline bool is_store_full(const Error& e) noexcept {
  return e.code == ErrorCode::limit && e.context.find(kStoreFull) != std::string::npos;
}

// The integer in a column (0 when NULL or not a number).
[[nodiscard]] std::int64_t as_int(const std::optional<std::string>& v) noexcept;
[[nodiscard]] inline std::string as_text(const std::optional<std::string>& v) {
  return v ? *v : std::string();
}

}  // namespace bulwark::server
