// A per-token request rate limit for `bulwark server` (--rate-limit, --rate-burst): one token
// bucket per key (the token id), refilled at `rate` requests a second up to `burst`. In memory,
// thread-safe (one mutex; a decision is a few arithmetic operations), and bounded: a bucket that
// has refilled to the brim is the same as no bucket and is dropped by the sweeps, and at
// max_buckets the least recently used bucket goes. Refusals tell whether this is the key's first
// refusal in its current second, so that a flood writes at most one audit entry a second per key.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace bulwark::server {

struct RateLimitOptions {
  double rate = 0;   // requests per second per key; 0: no limit
  double burst = 0;  // bucket size; 0: max(rate * 2, 1)
  std::size_t max_buckets = 10000;
};

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  explicit RateLimiter(RateLimitOptions options);

  struct Decision {
    bool allowed = true;
    double retry_after = 0;           // seconds until one request is allowed again (refusals)
    bool audit = false;               // refusals: the key's first refusal in this second
    std::uint64_t refused_since = 0;  // refusals of this key since its last audited one (this one included)
  };
  [[nodiscard]] Decision take(std::string_view key, Clock::time_point now = Clock::now());

  [[nodiscard]] bool enabled() const noexcept { return options_.rate > 0; }
  [[nodiscard]] std::uint64_t refused() const;
  [[nodiscard]] std::size_t buckets() const;
  [[nodiscard]] const RateLimitOptions& options() const noexcept { return options_; }

 private:
  struct Bucket {
    double tokens = 0;
    Clock::time_point last;
    std::int64_t audited_second = -1;  // the second (since the clock's epoch) of the last audited refusal
    std::uint64_t unaudited = 0;
  };
  void refill(Bucket& b, Clock::time_point now) const;
  void sweep(Clock::time_point now);

  RateLimitOptions options_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
  std::uint64_t refused_ = 0;
  std::uint64_t calls_ = 0;
};

}  // namespace bulwark::server
