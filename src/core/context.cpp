#include "core/context.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>

namespace bulwark::core {

namespace {

class SilentProgress final : public Progress {
 public:
  void begin(std::string_view, std::uint64_t) override {}
  void advance(std::uint64_t) override {}
  void end() override {}
  void note(std::string_view) override {}
};

class TerminalProgress final : public Progress {
 public:
  void begin(std::string_view label, std::uint64_t total) override {
    label_ = std::string(label);
    total_ = total;
    done_ = 0;
    last_ = {};
    draw(true);
  }
  void advance(std::uint64_t amount) override {
    done_ += amount;
    draw(false);
  }
  void end() override {
    std::fputs("\r\033[K", stderr);
    std::fflush(stderr);
  }
  void note(std::string_view message) override {
    std::fprintf(stderr, "\r\033[K%.*s", static_cast<int>(message.size()), message.data());
    std::fflush(stderr);
  }

 private:
  void draw(bool force) {
    auto now = std::chrono::steady_clock::now();
    if (!force && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    if (total_ > 0) {
      int pct = static_cast<int>(done_ * 100 / total_);
      if (pct > 100) pct = 100;
      std::fprintf(stderr, "\r\033[K%s %3d%% (%llu/%llu MiB)", label_.c_str(), pct,
                   static_cast<unsigned long long>(done_ >> 20), static_cast<unsigned long long>(total_ >> 20));
    } else {
      std::fprintf(stderr, "\r\033[K%s %llu MiB", label_.c_str(), static_cast<unsigned long long>(done_ >> 20));
    }
    std::fflush(stderr);
  }
  std::string label_;
  std::uint64_t total_ = 0;
  std::uint64_t done_ = 0;
  std::chrono::steady_clock::time_point last_{};
};

SilentProgress g_silent;

}  // namespace

std::unique_ptr<Progress> make_silent_progress() {
  return std::make_unique<SilentProgress>();
}

std::unique_ptr<Progress> make_terminal_progress(bool quiet) {
  if (quiet || !::isatty(STDERR_FILENO)) return std::make_unique<SilentProgress>();
  return std::make_unique<TerminalProgress>();
}

Progress& Context::progress_sink() const {
  return progress ? *progress : g_silent;
}

}  // namespace bulwark::core
