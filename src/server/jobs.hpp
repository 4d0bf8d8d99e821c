// Running the store's jobs (Store::claim_job): one worker thread per server process takes due
// jobs of the kinds it has handlers for, runs them, and records the outcome. With several server
// processes on one PostgreSQL store each job runs in exactly one of them. The worker also
// schedules the server's periodic jobs (a "sweep" of expired sessions every hour, retention when
// configured), deduplicated by the period, so a fleet of replicas schedules one of each per
// period between them.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

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
  // Schedules a job of `kind` with `payload` every `period_seconds` (before start()),
  // deduplicated by the period ("KIND:START"), so replicas that all schedule it make one job per
  // period between them. The sweep is scheduled so, hourly (JobRunnerOptions::schedule_sweep).
  void every(std::string kind, std::int64_t period_seconds, std::string payload = {});
  // A handler's progress report on its job (done of total units; GET /api/v1/jobs, /metrics);
  // renews the job's lease, so a long job that reports progress is not taken over.
  void progress(const Job& job, std::int64_t done, std::int64_t total);
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
  struct Periodic {
    std::string kind, payload;
    std::int64_t period = 0, scheduled = -1;  // scheduled: the start of the last period queued
  };
  std::vector<Periodic> periodic_;
  std::atomic<std::uint64_t> ran_{0};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

// "HOSTNAME:PID:RANDOM", unique per process: what claimed_by records.
[[nodiscard]] std::string make_worker_id();

}  // namespace bulwark::server
