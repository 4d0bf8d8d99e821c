// Running the store's jobs (Store::claim_job): one worker thread per server process takes due
// jobs of the kinds it has handlers for, runs them, and records the outcome. With several server
// processes on one PostgreSQL store each job runs in exactly one of them. The worker also
// schedules the server's periodic jobs (a "sweep" of expired sessions every hour), deduplicated
// by the hour, so a fleet of replicas schedules one sweep an hour between them.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "server/store.hpp"

namespace bulwark::server {

struct JobRunnerOptions {
  std::chrono::milliseconds poll{1000};  // how often an idle worker looks for work
  std::int64_t lease_seconds = 300;      // a claim nobody finished is free again after this
  bool schedule_sweep = true;
};

class JobRunner {
 public:
  // A handler returns a short result text (kept with the job) or an error (the job is failed).
  using Handler = std::function<Result<std::string>(const Job&)>;

  JobRunner(Store& store, std::string worker_id, JobRunnerOptions options = {});
  ~JobRunner();
  JobRunner(const JobRunner&) = delete;
  JobRunner& operator=(const JobRunner&) = delete;

  // Registers a handler (before start()). The runner has "sweep" built in.
  void on(std::string kind, Handler handler);
  void start();
  void stop();
  // Runs due jobs until none is left (the worker thread's loop body; callable directly).
  [[nodiscard]] Result<std::size_t> run_pending();
  [[nodiscard]] const std::string& worker_id() const noexcept { return worker_; }
  [[nodiscard]] std::uint64_t ran() const noexcept { return ran_.load(); }

 private:
  void loop();
  Store& store_;
  std::string worker_;
  JobRunnerOptions options_;
  std::map<std::string, Handler> handlers_;
  std::atomic<std::uint64_t> ran_{0};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

// "HOSTNAME:PID:RANDOM", unique per process: what claimed_by records.
[[nodiscard]] std::string make_worker_id();

}  // namespace bulwark::server
