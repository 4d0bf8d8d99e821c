// The SQLite engine of the store.
#include <sqlite3.h>

#include <charconv>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "server/sql.hpp"

namespace bulwark::server {

std::int64_t as_int(const std::optional<std::string>& v) noexcept {
  if (!v) return 0;
  std::int64_t out = 0;
  std::from_chars(v->data(), v->data() + v->size(), out);
  return out;
}

namespace {

// Copies the write-ahead log into the database file on a connection and thread of its own, so
// that a commit never waits for a checkpoint (with SQLite's automatic checkpoints the committing
// upload does it: about a third of an upload's time under load). Commits ask for one through the
// WAL hook once the log holds kStartFrames; PASSIVE checkpoints never block the writer. If the
// log still reaches kInlineFrames (the thread cannot keep up, or its connection failed), the
// committing connection checkpoints itself, so the log stays bounded.
class Checkpointer {
 public:
  static constexpr int kStartFrames = 1000;    // 4 MiB of 4 KiB pages
  static constexpr int kInlineFrames = 16000;  // 64 MiB

  explicit Checkpointer(const std::filesystem::path& path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
      sqlite3_close_v2(db_);
      db_ = nullptr;
      return;
    }
    thread_ = std::thread([this] { loop(); });
  }
  ~Checkpointer() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
    sqlite3_close_v2(db_);
  }
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  [[nodiscard]] bool running() const noexcept { return db_ != nullptr; }
  void request() {
    {
      std::lock_guard lock(mutex_);
      wanted_ = true;
    }
    wake_.notify_one();
  }

 private:
  void loop() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      wake_.wait(lock, [&] { return stopping_ || wanted_; });
      if (stopping_) break;
      wanted_ = false;
      lock.unlock();
      sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
      lock.lock();
    }
  }
  sqlite3* db_ = nullptr;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool wanted_ = false, stopping_ = false;
  std::thread thread_;
};

class SqliteSql final : public Sql {
 public:
  explicit SqliteSql(sqlite3* db) : db_(db) {}
  ~SqliteSql() override {
    for (auto& [text, p] : cache_) sqlite3_finalize(p.statement);
    if (checkpointer_) {
      sqlite3_wal_hook(db_, nullptr, nullptr);
      checkpointer_.reset();  // closed first: the last connection to close checkpoints and removes the log
    }
    sqlite3_close_v2(db_);
  }

  // Moves checkpoints to a background thread (see Checkpointer); without it SQLite's automatic
  // checkpoints stay on.
  void checkpoint_in_background(const std::filesystem::path& path) {
    auto c = std::make_unique<Checkpointer>(path);
    if (!c->running()) return;
    checkpointer_ = std::move(c);
    sqlite3_wal_hook(
        db_,
        [](void* self, sqlite3* db, const char* name, int frames) -> int {
          auto* me = static_cast<SqliteSql*>(self);
          if (frames >= Checkpointer::kInlineFrames) {
            sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
          } else if (frames >= Checkpointer::kStartFrames) {
            me->checkpointer_->request();
          }
          return SQLITE_OK;
        },
        this);
  }
  SqliteSql(const SqliteSql&) = delete;
  SqliteSql& operator=(const SqliteSql&) = delete;

  [[nodiscard]] Dialect dialect() const noexcept override { return Dialect::sqlite; }

  Result<std::vector<Row>> query(std::string_view sql, const std::vector<Value>& params) override {
    // Prepared statements are kept (up to kCacheSize) and reset after each use: the re-matcher
    // and ingest run the same few statements hundreds of thousands of times.
    Prepared* prepared = nullptr;
    auto cached = cache_.find(std::string(sql));
    if (cached != cache_.end()) {
      prepared = &cached->second;
    } else {
      sqlite3_stmt* fresh = nullptr;
      if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &fresh, nullptr) != SQLITE_OK) {
        return error("prepare");
      }
      if (cache_.size() >= kCacheSize) {
        for (auto& [text, old] : cache_) sqlite3_finalize(old.statement);
        cache_.clear();
      }
      // Where each numbered parameter $N binds, worked out once per statement: looking names
      // up on every execution is quadratic in a multi-row INSERT's hundreds of parameters.
      Prepared p{fresh, {}};
      const int count = sqlite3_bind_parameter_count(fresh);
      for (int i = 1; i <= count; ++i) {
        const char* name = sqlite3_bind_parameter_name(fresh, i);
        if (name == nullptr || name[0] != '$') continue;
        std::size_t n = 0;
        std::string_view digits(name + 1);
        if (std::from_chars(digits.data(), digits.data() + digits.size(), n).ptr != digits.data() + digits.size() ||
            n == 0 || n > 100000) {
          continue;
        }
        if (p.index.size() < n) p.index.resize(n, 0);
        p.index[n - 1] = i;
      }
      prepared = &cache_.emplace(std::string(sql), std::move(p)).first->second;
    }
    sqlite3_stmt* st = prepared->statement;
    struct Reset {
      sqlite3_stmt* s;
      ~Reset() {
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
      }
    } guard{st};
    for (std::size_t i = 0; i < params.size(); ++i) {
      const int index = i < prepared->index.size() ? prepared->index[i] : 0;
      if (index == 0) continue;  // not used by this statement
      const Value& v = params[i];
      int rc = SQLITE_OK;
      if (std::holds_alternative<std::nullptr_t>(v)) {
        rc = sqlite3_bind_null(st, index);
      } else if (const auto* n = std::get_if<std::int64_t>(&v)) {
        rc = sqlite3_bind_int64(st, index, *n);
      } else {
        const auto& s = std::get<std::string>(v);
        rc = sqlite3_bind_text(st, index, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
      }
      if (rc != SQLITE_OK) return error("bind");
    }
    std::vector<Row> rows;
    for (;;) {
      int rc = sqlite3_step(st);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) return error("step");
      int n = sqlite3_column_count(st);
      Row row;
      row.reserve(static_cast<std::size_t>(n));
      for (int c = 0; c < n; ++c) {
        if (sqlite3_column_type(st, c) == SQLITE_NULL) {
          row.emplace_back(std::nullopt);
        } else {
          const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(st, c));
          row.emplace_back(std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(st, c))));
        }
      }
      rows.push_back(std::move(row));
    }
    return rows;
  }

  Status script(std::string_view sql) override {
    std::string text(sql);
    char* msg = nullptr;
    if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &msg) != SQLITE_OK) {
      std::string m = msg ? msg : "unknown error";
      sqlite3_free(msg);
      return fail(classify(), "SQLite: " + m, context());
    }
    return {};
  }

  Status begin() override { return script("BEGIN IMMEDIATE"); }
  Status commit() override { return script("COMMIT"); }
  void rollback() noexcept override { sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr); }

 private:
  [[nodiscard]] ErrorCode classify() const noexcept {
    int code = sqlite3_errcode(db_) & 0xff;
    if (code == SQLITE_FULL) return ErrorCode::limit;
    if (code == SQLITE_CONSTRAINT) return ErrorCode::invalid_argument;
    return ErrorCode::io;
  }
  std::unexpected<Error> error(std::string_view step) const {
    return fail(classify(), "SQLite " + std::string(step) + ": " + sqlite3_errmsg(db_), context());
  }
  [[nodiscard]] std::string context() const {
    return (sqlite3_errcode(db_) & 0xff) == SQLITE_FULL ? std::string(kStoreFull) : std::string();
  }
  struct Prepared {
    sqlite3_stmt* statement;
    std::vector<int> index;  // $N binds at index[N-1] (0: not in the statement)
  };
  static constexpr std::size_t kCacheSize = 256;
  sqlite3* db_;
  std::unordered_map<std::string, Prepared> cache_;
  std::unique_ptr<Checkpointer> checkpointer_;
};

}  // namespace

Result<std::unique_ptr<Sql>> open_sqlite(const std::filesystem::path& path) {
  sqlite3* db = nullptr;
  int rc =
      sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string m = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close_v2(db);
    return fail(ErrorCode::io, "cannot open the store: " + m, path.string());
  }
  sqlite3_busy_timeout(db, 10000);
  auto sql = std::make_unique<SqliteSql>(db);
  // WAL: readers never block the writer; synchronous=NORMAL keeps every committed transaction
  // across a process crash (kill -9), only a power loss may lose the last ones. A 16 MiB page
  // cache (SQLite's default is 2 MiB) keeps the indexes an upload touches in memory; the log
  // file is cut back to 64 MiB after it restarts.
  // auto_vacuum=INCREMENTAL takes effect on a new file only (before its first table): retention
  // gives deleted pages back with PRAGMA incremental_vacuum (Store::reclaim_space).
  if (auto st = sql->script(
          "PRAGMA auto_vacuum=INCREMENTAL; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
          "PRAGMA cache_size=-16384; PRAGMA journal_size_limit=67108864;");
      !st) {
    return std::unexpected(st.error().within(path.string()));
  }
  if (auto st = sql->script("PRAGMA quick_check"); !st) return std::unexpected(st.error().within(path.string()));
  sql->checkpoint_in_background(path);
  return std::unique_ptr<Sql>(std::move(sql));
}

Result<std::unique_ptr<Sql>> open_sqlite_reader(const std::filesystem::path& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, nullptr) != SQLITE_OK) {
    std::string m = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close_v2(db);
    return fail(ErrorCode::io, "cannot open the store for reading: " + m, path.string());
  }
  sqlite3_busy_timeout(db, 10000);
  auto sql = std::make_unique<SqliteSql>(db);
  if (auto st = sql->script("PRAGMA query_only=1; PRAGMA cache_size=-8192;"); !st) {
    return std::unexpected(st.error().within(path.string()));
  }
  return std::unique_ptr<Sql>(std::move(sql));
}

}  // namespace bulwark::server
