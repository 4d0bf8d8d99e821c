#include "server/ingest_queue.hpp"

#include <optional>
#include <vector>

namespace bulwark::server {

struct IngestQueue::Pending {
  Store::IngestRequest request;
  std::optional<Result<IngestOutcome>> result;
};

Result<IngestOutcome> IngestQueue::submit(const Document& doc, std::size_t size, const Principal& who,
                                          std::string_view idempotency_key, const IngestHook& hook,
                                          const PolicyVerdict* verdict) {
  Pending me{{&doc, size, &who, idempotency_key, verdict}, std::nullopt};
  std::unique_lock lock(mutex_);
  queue_.push_back(&me);
  done_.wait(lock, [&] { return me.result.has_value() || !leading_; });
  if (me.result) return std::move(*me.result);
  leading_ = true;
  while (!me.result) {
    std::deque<Pending*> batch;
    while (!queue_.empty() && batch.size() < max_batch_) {
      batch.push_back(queue_.front());
      queue_.pop_front();
    }
    lock.unlock();
    run(batch, hook);
    lock.lock();
    ++batches_;
    uploads_ += batch.size();
    largest_ = std::max(largest_, batch.size());
    done_.notify_all();
  }
  leading_ = false;
  done_.notify_all();  // a waiting caller leads next
  return std::move(*me.result);
}

void IngestQueue::run(std::deque<Pending*>& batch, const IngestHook& hook) {
  std::vector<Store::IngestRequest> requests;
  requests.reserve(batch.size());
  for (const auto* p : batch) requests.push_back(p->request);
  auto results = store_.ingest_batch(requests, hook);
  std::vector<const Document*> stored;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (results[i] && !results[i]->duplicate) stored.push_back(batch[i]->request.doc);
  }
  if (rematcher_ && !stored.empty()) rematcher_->on_ingest(stored);
  std::lock_guard lock(mutex_);
  for (std::size_t i = 0; i < batch.size(); ++i) batch[i]->result = std::move(results[i]);
}

std::uint64_t IngestQueue::batches() const {
  std::lock_guard lock(mutex_);
  return batches_;
}
std::uint64_t IngestQueue::uploads() const {
  std::lock_guard lock(mutex_);
  return uploads_;
}
std::size_t IngestQueue::largest_batch() const {
  std::lock_guard lock(mutex_);
  return largest_;
}

}  // namespace bulwark::server
