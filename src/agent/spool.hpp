// The agent's on-disk spool: every document the agent produces is written here
// before it is sent, so a server or network outage, or the agent being killed,
// loses nothing. An entry counts as written only once it is durable: written to a
// temporary file, fsync'd, renamed into entries/ and the folder fsync'd. Entries
// carry increasing sequence numbers (the file name) and an idempotency id (the
// spool's own random id and the sequence number) that delivery sends as the
// Idempotency-Key, so an entry sent twice (killed after the server stored it but
// before the entry was removed) is recognised by the server as a duplicate.
// The spool is bounded in bytes and entries: when a new entry does not fit, the
// oldest are dropped and counted (drops.json, durable too) so delivery can report
// the loss as an alert once the server is reachable again.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.hpp"

namespace bulwark::agent {

struct SpoolLimits {
  std::uint64_t max_bytes = 256ULL << 20;
  std::size_t max_entries = 100000;
};

struct SpoolEntry {
  std::uint64_t seq = 0;
  std::string id;  // idempotency id: "<spool id>-<seq>"
  std::uint64_t bytes = 0;
};

// What was dropped since the last report of drops. generation numbers the reports,
// so a drop report re-sent after a crash carries the same idempotency id.
struct DropRecord {
  std::uint64_t count = 0;
  std::uint64_t bytes = 0;
  std::uint64_t first_seq = 0;
  std::uint64_t last_seq = 0;
  std::string first_time;  // RFC 3339
  std::string last_time;
  std::uint64_t generation = 0;
};

class Spool {
 public:
  // Opens (creating when needed) the spool folder, takes its lock (one agent per
  // spool), removes temporary files of writes that never completed and reads the
  // entries in order.
  [[nodiscard]] static Result<std::unique_ptr<Spool>> open(const std::filesystem::path& dir, SpoolLimits limits = {});
  ~Spool();
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;

  // Writes one document durably; returns once it is on disk. A document larger than
  // max_bytes is ErrorCode::limit. Older entries are dropped (and counted) to make room.
  [[nodiscard]] Result<SpoolEntry> append(std::string_view document);

  // The oldest entry, if any.
  [[nodiscard]] std::optional<SpoolEntry> front() const;
  [[nodiscard]] Result<std::string> read(const SpoolEntry& entry) const;
  // Removes an entry once the server acknowledged it (no error when it was dropped meanwhile).
  [[nodiscard]] Status remove(const SpoolEntry& entry);

  // Waits until the spool holds an entry or drops to report, stop() returns true
  // (checked when notify() is called), or the timeout passes.
  void wait(std::chrono::milliseconds timeout, const std::function<bool()>& stop = {}) const;
  // Wakes every waiter (stop requests).
  void notify() const;

  [[nodiscard]] DropRecord drops() const;
  // Resets the drop counters after generation was reported (a later drop starts a new generation).
  [[nodiscard]] Status clear_drops(std::uint64_t generation);

  [[nodiscard]] std::size_t entries() const;
  [[nodiscard]] std::uint64_t bytes() const;
  [[nodiscard]] const std::string& spool_id() const noexcept { return spool_id_; }
  [[nodiscard]] const std::filesystem::path& dir() const noexcept { return dir_; }
  // Sequence numbers of every entry still held, oldest first (for tests and status).
  [[nodiscard]] std::vector<std::uint64_t> sequence_numbers() const;

 private:
  Spool(std::filesystem::path dir, SpoolLimits limits) : dir_(std::move(dir)), limits_(limits) {}
  [[nodiscard]] std::filesystem::path entry_path(const SpoolEntry& e) const;
  [[nodiscard]] Status save_drops_locked();

  std::filesystem::path dir_;
  SpoolLimits limits_;
  std::string spool_id_;
  int lock_fd_ = -1;
  mutable std::mutex mutex_;
  mutable std::condition_variable cv_;
  std::vector<SpoolEntry> entries_;  // oldest first
  std::size_t head_ = 0;             // entries_[head_..] are live (amortised pop from the front)
  std::uint64_t bytes_ = 0;
  std::uint64_t next_seq_ = 1;
  DropRecord drops_;
};

// Writes data to path durably: a temporary file beside it, fsync, rename, fsync of the folder.
[[nodiscard]] Status write_durable(const std::filesystem::path& path, std::string_view data);

// Now, as RFC 3339 UTC with seconds ("2026-01-02T03:04:05Z").
[[nodiscard]] std::string rfc3339_now();

}  // namespace bulwark::agent
