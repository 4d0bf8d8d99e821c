// The per-token rate limit; see rate_limit.hpp.
#include "server/rate_limit.hpp"

#include <algorithm>

namespace bulwark::server {

RateLimiter::RateLimiter(RateLimitOptions options) : options_(options) {
  if (options_.rate < 0) options_.rate = 0;
  if (options_.burst <= 0) options_.burst = std::max(options_.rate * 2, 1.0);
  if (options_.max_buckets == 0) options_.max_buckets = 1;
}

void RateLimiter::refill(Bucket& b, Clock::time_point now) const {
  double elapsed = std::chrono::duration<double>(now - b.last).count();
  if (elapsed > 0) {
    b.tokens = std::min(options_.burst, b.tokens + elapsed * options_.rate);
    b.last = now;
  }
}

void RateLimiter::sweep(Clock::time_point now) {
  // A full bucket decides nothing a fresh one would not.
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    refill(it->second, now);
    if (it->second.tokens >= options_.burst) {
      it = buckets_.erase(it);
    } else {
      ++it;
    }
  }
  while (buckets_.size() >= options_.max_buckets) {
    auto oldest = std::min_element(buckets_.begin(), buckets_.end(),
                                   [](const auto& a, const auto& b) { return a.second.last < b.second.last; });
    buckets_.erase(oldest);
  }
}

RateLimiter::Decision RateLimiter::take(std::string_view key, Clock::time_point now) {
  Decision d;
  if (!enabled()) return d;
  std::lock_guard lock(mutex_);
  if (++calls_ % 4096 == 0) sweep(now);
  auto it = buckets_.find(std::string(key));
  if (it == buckets_.end()) {
    if (buckets_.size() >= options_.max_buckets) sweep(now);
    it = buckets_.emplace(std::string(key), Bucket{options_.burst, now, -1, 0}).first;
  }
  Bucket& b = it->second;
  refill(b, now);
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return d;
  }
  d.allowed = false;
  d.retry_after = (1 - b.tokens) / options_.rate;
  ++refused_;
  ++b.unaudited;
  auto second = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  if (second != b.audited_second) {
    d.audit = true;
    d.refused_since = b.unaudited;
    b.audited_second = second;
    b.unaudited = 0;
  }
  return d;
}

std::uint64_t RateLimiter::refused() const {
  std::lock_guard lock(mutex_);
  return refused_;
}

std::size_t RateLimiter::buckets() const {
  std::lock_guard lock(mutex_);
  return buckets_.size();
}

}  // namespace bulwark::server
