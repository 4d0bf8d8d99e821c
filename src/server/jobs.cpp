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
  std::int64_t scheduled_hour = -1;
  for (;;) {
    if (options_.schedule_sweep) {
      std::int64_t hour = store_.now() / 3600;
      if (hour != scheduled_hour && store_.enqueue_job("sweep", "", fmt::format("sweep:{}", hour * 3600))) {
        scheduled_hour = hour;
      }
    }
    (void)run_pending();  // a store error (PostgreSQL away): try again on the next round
    std::unique_lock lock(mutex_);
    if (wake_.wait_for(lock, options_.poll, [this] { return stopping_; })) return;
  }
}

}  // namespace bulwark::server
