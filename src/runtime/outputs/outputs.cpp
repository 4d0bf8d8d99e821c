#include "runtime/outputs/outputs.hpp"

#include <fmt/format.h>
#include <syslog.h>

#include <condition_variable>
#include <ctime>
#include <deque>
#include <mutex>
#include <thread>

#include "util/http.hpp"

namespace bulwark::runtime::outputs {

std::string iso_time(std::uint64_t ts_ns) {
  std::time_t secs = static_cast<std::time_t>(ts_ns / 1000000000ULL);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return fmt::format("{}.{:09}Z", buf, ts_ns % 1000000000ULL);
}

nlohmann::json alert_json(const engine::Alert& a) {
  nlohmann::json j;
  j["hostname"] = a.hostname;
  j["output"] = iso_time(a.ts_ns) + ": " + std::string(engine::to_string(a.rule->priority)) + " " + a.output;
  nlohmann::json fields = nlohmann::json::object();
  for (const auto& f : a.fields) {
    if (!f.value) {
      fields[f.name] = nullptr;
    } else if (f.numeric) {
      try {
        fields[f.name] = std::stoll(*f.value);
      } catch (...) {
        fields[f.name] = *f.value;
      }
    } else {
      fields[f.name] = *f.value;
    }
  }
  fields["evt.time"] = a.ts_ns;
  j["output_fields"] = std::move(fields);
  j["priority"] = engine::to_string(a.rule->priority);
  j["rule"] = a.rule->name;
  j["source"] = a.rule->source;
  j["tags"] = a.rule->tags;
  j["time"] = iso_time(a.ts_ns);
  return j;
}

std::string alert_text(const engine::Alert& a) {
  return iso_time(a.ts_ns) + ": " + std::string(engine::to_string(a.rule->priority)) + " " + a.output +
         " (rule: " + a.rule->name + ")";
}

namespace {

class StreamOutput : public Output {
 public:
  StreamOutput(std::FILE* f, bool owned, Format format, std::string name)
      : f_(f), owned_(owned), format_(format), name_(std::move(name)) {}
  ~StreamOutput() override { close(); }
  void write(const engine::Alert& a) override {
    if (!f_) return;
    std::string line = format_ == Format::json
                           ? alert_json(a).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                           : alert_text(a);
    line.push_back('\n');
    if (std::fwrite(line.data(), 1, line.size(), f_) == line.size()) {
      ++stats_.sent;
    } else {
      ++stats_.failed;
    }
    std::fflush(f_);
  }
  void close() override {
    if (f_ && owned_) std::fclose(f_);
    if (f_ && !owned_) std::fflush(f_);
    f_ = nullptr;
  }
  OutputStats stats() const override {
    auto s = stats_;
    s.name = name_;
    return s;
  }

 private:
  std::FILE* f_;
  bool owned_;
  Format format_;
  std::string name_;
  OutputStats stats_;
};

int syslog_level(engine::Priority p) {
  switch (p) {
    case engine::Priority::emergency: return LOG_EMERG;
    case engine::Priority::alert: return LOG_ALERT;
    case engine::Priority::critical: return LOG_CRIT;
    case engine::Priority::error: return LOG_ERR;
    case engine::Priority::warning: return LOG_WARNING;
    case engine::Priority::notice: return LOG_NOTICE;
    case engine::Priority::informational: return LOG_INFO;
    case engine::Priority::debug: return LOG_DEBUG;
  }
  return LOG_INFO;
}

class SyslogOutput : public Output {
 public:
  explicit SyslogOutput(Format format) : format_(format) { openlog("bulwark", LOG_PID, LOG_USER); }
  ~SyslogOutput() override { close(); }
  void write(const engine::Alert& a) override {
    std::string msg = format_ == Format::json
                          ? alert_json(a).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                          : std::string(engine::to_string(a.rule->priority)) + " " + a.output;
    syslog(syslog_level(a.rule->priority), "%s", msg.c_str());
    ++stats_.sent;
  }
  void close() override {
    if (open_) closelog();
    open_ = false;
  }
  OutputStats stats() const override {
    auto s = stats_;
    s.name = "syslog";
    return s;
  }

 private:
  Format format_;
  bool open_ = true;
  OutputStats stats_;
};

class WebhookOutput : public Output {
 public:
  WebhookOutput(std::string url, std::size_t cap) : url_(std::move(url)), cap_(cap) {
    worker_ = std::thread([this] { run(); });
  }
  ~WebhookOutput() override { close(); }
  void write(const engine::Alert& a) override {
    std::string body = alert_json(a).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    std::lock_guard lock(mu_);
    if (queue_.size() >= cap_) {
      ++stats_.dropped;
      return;
    }
    queue_.push_back(std::move(body));
    cv_.notify_one();
  }
  void close() override {
    {
      std::lock_guard lock(mu_);
      if (stop_) return;
      stop_ = true;
      cv_.notify_all();
    }
    if (worker_.joinable()) worker_.join();
  }
  OutputStats stats() const override {
    std::lock_guard lock(mu_);
    auto s = stats_;
    s.name = "webhook " + util::redact_url(url_);
    return s;
  }

 private:
  void run() {
    util::HttpOptions opts;
    opts.connect_timeout = std::chrono::seconds(5);
    opts.total_timeout = std::chrono::seconds(10);
    util::HttpClient client(opts);
    while (true) {
      std::string body;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping, and everything queued was sent
        body = std::move(queue_.front());
        queue_.pop_front();
      }
      util::HttpRequest req;
      req.method = util::HttpMethod::post;
      req.url = url_;
      req.headers = {{"Content-Type", "application/json"}};
      req.body = std::move(body);
      auto r = client.fetch(req, 64 * 1024);
      std::lock_guard lock(mu_);
      if (r && r->status >= 200 && r->status < 300) {
        ++stats_.sent;
      } else {
        ++stats_.failed;
      }
    }
  }

  std::string url_;
  std::size_t cap_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  bool stop_ = false;
  OutputStats stats_;
  std::thread worker_;
};

}  // namespace

Result<std::unique_ptr<Output>> make_stream_output(const std::string& path, Format format) {
  if (path.empty() || path == "-") return std::make_unique<StreamOutput>(stdout, false, format, "stdout");
  std::FILE* f = std::fopen(path.c_str(), "ae");
  if (!f) return fail(ErrorCode::io, "cannot open the output file", path);
  return std::make_unique<StreamOutput>(f, true, format, path);
}

std::unique_ptr<Output> make_syslog_output(Format format) {
  return std::make_unique<SyslogOutput>(format);
}

std::unique_ptr<Output> make_webhook_output(const std::string& url, std::size_t queue_capacity) {
  return std::make_unique<WebhookOutput>(url, queue_capacity);
}

}  // namespace bulwark::runtime::outputs
