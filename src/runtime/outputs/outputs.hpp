// Where alerts go: text or JSON lines (Falco's JSON field names) on stdout or a
// file, syslog, and an HTTP(S) webhook. A Dispatcher fans one alert out to
// every configured output; outputs never block the event loop for long (the
// webhook posts from its own thread through a bounded queue and counts drops).
#pragma once

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/engine/engine.hpp"
#include "util/error.hpp"

namespace bulwark::runtime::outputs {

enum class Format { text, json };

// Falco's JSON alert: time, rule, priority, output, output_fields, tags, source, hostname.
[[nodiscard]] nlohmann::json alert_json(const engine::Alert& a);
// "2026-11-27T21:00:00.000000000Z: Warning <output> (rule)"
[[nodiscard]] std::string alert_text(const engine::Alert& a);
[[nodiscard]] std::string iso_time(std::uint64_t ts_ns);

struct OutputStats {
  std::string name;
  std::uint64_t sent = 0;
  std::uint64_t failed = 0;
  std::uint64_t dropped = 0;  // queue full
};

class Output {
 public:
  virtual ~Output() = default;
  virtual void write(const engine::Alert& a) = 0;
  virtual void close() {}
  [[nodiscard]] virtual OutputStats stats() const = 0;
};

// stdout (path empty or "-") or a file (appended to).
[[nodiscard]] Result<std::unique_ptr<Output>> make_stream_output(const std::string& path, Format format);
// syslog(3) with the alert's priority mapped to a syslog level; text by default.
[[nodiscard]] std::unique_ptr<Output> make_syslog_output(Format format);
// POSTs each alert as JSON to `url` (http or https), from a worker thread.
[[nodiscard]] std::unique_ptr<Output> make_webhook_output(const std::string& url, std::size_t queue_capacity = 1024);

class Dispatcher {
 public:
  void add(std::unique_ptr<Output> out) { outputs_.push_back(std::move(out)); }
  void write(const engine::Alert& a) {
    for (auto& o : outputs_) o->write(a);
  }
  void close() {
    for (auto& o : outputs_) o->close();
  }
  [[nodiscard]] std::vector<OutputStats> stats() const {
    std::vector<OutputStats> v;
    for (const auto& o : outputs_) v.push_back(o->stats());
    return v;
  }
  [[nodiscard]] bool empty() const noexcept { return outputs_.empty(); }

 private:
  std::vector<std::unique_ptr<Output>> outputs_;
};

}  // namespace bulwark::runtime::outputs
