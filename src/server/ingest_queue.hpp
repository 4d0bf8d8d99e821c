// Group commit for uploads: concurrent POST /api/v1/reports calls are stored together, in one
// transaction of the store (Store::ingest_batch) and one re-match run of their SBOMs, instead
// of a transaction and a run each. The first caller to find no batch in progress leads: it
// takes what is queued (itself included, at most max_batch), stores and matches it, hands each
// caller its own result, and repeats until its own upload is done; then the next waiting caller
// leads. Nobody waits for a timer: a lone upload is stored at once, and batches form only while
// the store is busy. Each upload still answers only after it is committed and matched.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string_view>

#include "server/rematch.hpp"
#include "server/store.hpp"

namespace bulwark::server {

class IngestQueue {
 public:
  IngestQueue(Store& store, Rematcher* rematcher, std::size_t max_batch = 32)
      : store_(store), rematcher_(rematcher), max_batch_(max_batch == 0 ? 1 : max_batch) {}

  // Stores one document (as Store::ingest) and, when it is new, matches its SBOMs. hook as
  // Store::ingest's; the leader's hook serves the whole batch, so every caller passes the same.
  [[nodiscard]] Result<IngestOutcome> submit(const Document& doc, std::size_t size, const Principal& who,
                                             std::string_view idempotency_key, const IngestHook& hook,
                                             const PolicyVerdict* verdict = nullptr);

  [[nodiscard]] std::uint64_t batches() const;
  [[nodiscard]] std::uint64_t uploads() const;
  [[nodiscard]] std::size_t largest_batch() const;

 private:
  struct Pending;
  void run(std::deque<Pending*>& batch, const IngestHook& hook);

  Store& store_;
  Rematcher* rematcher_;
  std::size_t max_batch_;
  mutable std::mutex mutex_;
  std::condition_variable done_;
  std::deque<Pending*> queue_;
  bool leading_ = false;
  std::uint64_t batches_ = 0, uploads_ = 0;
  std::size_t largest_ = 0;
};

}  // namespace bulwark::server
