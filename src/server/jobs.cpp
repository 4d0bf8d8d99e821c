// The job worker; see jobs.hpp.
#include "server/jobs.hpp"

#include <unistd.h>

#include <fmt/format.h>

namespace bulwark::server {

std::string make_worker_id() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  auto r = random_hex(4);
  return fmt::format("{}:{}:{}", host[0] ? host : "localhost", getpid(), r ? *r : "0");
}

JobRunner::JobRunner(Store& store, std::string worker_id, JobRunnerOptions options)
    : store_(store), worker_(std::move(worker_id)), options_(options) {
  handlers_["sweep"] = [this](const Job&) -> Result<std::string> {
    auto n = store_.delete_expired_sessions();
    if (!n) return std::unexpected(n.error());
    return fmt::format("{} expired sessions deleted", *n);
  };
  if (options_.schedule_sweep) every("sweep", 3600);
}

void JobRunner::every(std::string kind, std::int64_t period_seconds, std::string payload) {
  if (period_seconds <= 0) return;
  periodic_.push_back({std::move(kind), std::move(payload), period_seconds, -1});
}

void JobRunner::progress(const Job& job, std::int64_t done, std::int64_t total) {
  (void)store_.job_progress(job.id, worker_, done, total, options_.lease_seconds);
}

JobRunner::~JobRunner() {
  stop();
}

void JobRunner::on(std::string kind, Handler handler) {
  handlers_[std::move(kind)] = std::move(handler);
}

void JobRunner::start() {
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { loop(); });
}

void JobRunner::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Result<std::size_t> JobRunner::run_pending() {
  std::vector<std::string> kinds;
  for (const auto& [k, h] : handlers_) kinds.push_back(k);
  std::size_t n = 0;
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) break;
    }
    auto job = store_.claim_job(kinds, worker_, options_.lease_seconds);
    if (!job) return std::unexpected(job.error());
    if (!*job) break;
    auto out = handlers_.at((*job)->kind)(**job);
    auto done =
        store_.finish_job((*job)->id, worker_, out.has_value(), out ? *out : std::string(out.error().describe()));
    if (!done) return std::unexpected(done.error());
    ++n;
    ++ran_;
  }
  return n;
}

void JobRunner::loop() {
  for (;;) {
    for (auto& p : periodic_) {
      std::int64_t start = store_.now() / p.period * p.period;
      if (start != p.scheduled && store_.enqueue_job(p.kind, p.payload, fmt::format("{}:{}", p.kind, start))) {
        p.scheduled = start;
      }
    }
    (void)run_pending();  // a store error (PostgreSQL away): try again on the next round
    std::unique_lock lock(mutex_);
    if (wake_.wait_for(lock, options_.poll, [this] { return stopping_; })) return;
  }
}

}  // namespace bulwark::server
