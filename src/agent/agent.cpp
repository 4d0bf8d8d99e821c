#include "agent/agent.hpp"

#include "agent/activity.hpp"
#include "agent/cri.hpp"
#include "httpd/httpd.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/diagnostics.hpp"
#include "docker/client.hpp"
#include "host/audit.hpp"
#include "image/reference.hpp"
#include "report/report.hpp"
#include "scan/pipeline.hpp"
#include "util/files.hpp"

namespace bulwark::agent {

namespace {

constexpr std::uint64_t kMaxStateBytes = 64ULL << 20;

class SentImages {
 public:
  explicit SentImages(std::filesystem::path file) : file_(std::move(file)) {
    if (auto t = util::read_file(file_, kMaxStateBytes); t) {
      auto j = nlohmann::json::parse(*t, nullptr, false);
      if (j.is_array()) {
        for (const auto& v : j)
          if (v.is_string()) ids_.insert(v.get<std::string>());
      }
    }
  }
  bool contains(const std::string& id) const { return ids_.count(id) > 0; }
  Status add(const std::string& id) {
    ids_.insert(id);
    nlohmann::json j = nlohmann::json::array();
    for (const auto& i : ids_) j.push_back(i);
    return write_durable(file_, j.dump());
  }

 private:
  std::filesystem::path file_;
  std::set<std::string> ids_;
};

std::string with_host(const std::string& json_text, const HostIdentity& host, std::string_view image_id) {
  auto j = nlohmann::json::parse(json_text, nullptr, false);
  if (!j.is_object()) return json_text;
  j["host"] = {{"name", host.name}, {"engine", host.engine}};
  if (!image_id.empty() && j.contains("targets") && j["targets"].is_array() && !j["targets"].empty()) {
    j["targets"][0]["id"] = std::string(image_id);
  }
  return j.dump();
}

// The strings of an inventory image's array member (repo_tags, repo_digests).
std::vector<std::string> strings_of(const nlohmann::json& image, const char* key) {
  std::vector<std::string> v;
  if (auto it = image.find(key); it != image.end() && it->is_array()) {
    for (const auto& x : *it)
      if (x.is_string()) v.push_back(x.get<std::string>());
  }
  return v;
}

struct Collector {
  const AgentOptions& options;
  const core::Context& ctx;
  Spool& spool;
  SentImages sent;
  const LogFn& log;
  std::atomic<std::uint64_t> spooled{0};
  std::atomic<std::uint64_t> alert_documents{0};
  std::atomic<std::uint64_t> inventories{0};
  std::vector<std::string> running;  // container ids of the last inventory
  ContainerDirectory directory;
  std::mutex activity_mutex;
  std::vector<ContainerActivity> last_activity;

  void append(const std::string& doc, std::string_view what) {
    auto e = spool.append(doc);
    if (!e) {
      log(fmt::format("bulwark agent: cannot spool the {}: {}", what, e.error().describe()));
      return;
    }
    ++spooled;
  }

  docker::Client* docker = nullptr;  // the engine the inventory comes from: one of these two
  CriClient* cri = nullptr;

  void inventory_round(bool with_sboms) {
    auto inv = docker ? docker_inventory(*docker, options.host) : cri->inventory(options.host);
    if (!inv) {
      log(fmt::format("bulwark agent: inventory failed: {}", inv.error().describe()));
      return;
    }
    directory.update(*inv);
    append(inv->dump(), "inventory");
    ++inventories;
    running.clear();
    for (const auto& c : (*inv)["containers"]) running.push_back(c.value("id", std::string{}));
    if (!with_sboms) return;
    std::map<std::string, const nlohmann::json*> image_of;
    for (const auto& im : (*inv)["images"]) {
      if (im.contains("id") && im["id"].is_string()) image_of[im["id"].get<std::string>()] = &im;
    }
    std::vector<std::string> pending;
    for (const auto& id : inventory_image_ids(*inv)) {
      if (!sent.contains(id)) pending.push_back(id);
    }
    if (!docker) {
      // A CRI runtime: containerd's images are read from its content store in place.
      for (const auto& id : pending) {
        if (auto doc = containerd_sbom(id, image_of)) spool_sbom(id, *doc);
      }
      return;
    }
    // Exporting costs the engine about as much for one image as for several that share their layers
    // (a shared layer is in the tar once): the images are exported kSbomBatch at a time, and each SBOM
    // is cataloged from that tar. The SBOMs are spooled in inventory order, as one at a time did.
    for (std::size_t at = 0; at < pending.size(); at += kSbomBatch) {
      std::vector<std::string> batch(
          pending.begin() + static_cast<std::ptrdiff_t>(at),
          pending.begin() + static_cast<std::ptrdiff_t>(std::min(at + kSbomBatch, pending.size())));
      auto docs = batch_sboms(batch, image_of);
      for (const auto& id : batch) {
        auto it = docs.find(id);
        // Not in the batch's tar (the export failed, say because one image went away): alone, as before.
        auto doc = it != docs.end() ? std::optional<std::string>(std::move(it->second)) : single_sbom(id);
        if (doc) spool_sbom(id, *doc);
      }
    }
  }

  // The SBOM goes to the spool; the image counts as sent only once it is there.
  void spool_sbom(const std::string& id, const std::string& doc) {
    auto before = spooled.load();
    append(doc, "SBOM");
    if (spooled > before) {
      if (auto st = sent.add(id); !st) log("bulwark agent: cannot record a sent SBOM: " + st.error().describe());
    }
  }

  static constexpr std::size_t kSbomBatch = 8;
  bool said_no_content_store = false;

  // The SBOM of an image a CRI runtime holds, from containerd's content store: by the repository
  // digest CRI reports (the index or manifest the image was pulled or imported as), else by the
  // image id (the config digest; the store is searched for its manifest).
  std::optional<std::string> containerd_sbom(const std::string& id,
                                             const std::map<std::string, const nlohmann::json*>& image_of) {
    std::string target = "containerd:" + id;
    std::vector<std::string> tags, digests;
    if (auto im = image_of.find(id); im != image_of.end()) {
      tags = strings_of(*im->second, "repo_tags");
      digests = strings_of(*im->second, "repo_digests");
    }
    if (!digests.empty()) target = "containerd:" + digests.front();
    auto ref = image::parse_reference(target);
    if (!ref) ref = image::parse_reference("containerd:" + id);
    if (!ref) return std::nullopt;
    core::Diagnostics diags;
    image::SourceOptions so;
    so.containerd_root = options.containerd_root.string();
    auto result = scan::inventory(*ref, so, ctx, diags);
    if (!result) {
      if (result.error().code == ErrorCode::not_found && !std::filesystem::exists(options.containerd_root)) {
        if (!said_no_content_store) {
          log(
              fmt::format("bulwark agent: no containerd content store at {} (--containerd-root; CRI-O's image "
                          "store is not read): images get no SBOM",
                          options.containerd_root.string()));
          said_no_content_store = true;
        }
        return std::nullopt;
      }
      log(fmt::format("bulwark agent: SBOM of {} failed: {}", id.substr(0, 19), result.error().describe()));
      return std::nullopt;
    }
    if (result->image) {
      if (!tags.empty()) result->image->repo_tags = tags;
      if (!digests.empty()) result->image->repo_digests = digests;
      if (!tags.empty()) {
        result->target.name = "containerd:" + tags.front();
        result->image->reference = result->target.name;
      }
    }
    return sbom_document(*result, id);
  }

  std::string sbom_document(const core::ScanResult& result, const std::string& id) const {
    report::JsonOptions jo;
    jo.tool_version = BULWARK_VERSION;
    jo.include_packages = true;
    return with_host(report::write_json({result}, jo), options.host, id);
  }

  // One image exported alone (the docker-daemon transport).
  std::optional<std::string> single_sbom(const std::string& id) {
    auto ref = image::parse_reference("docker-daemon:" + id);
    if (!ref) return std::nullopt;
    core::Diagnostics diags;
    image::SourceOptions so;
    if (!options.docker_host.empty()) so.docker_host = options.docker_host;
    auto result = scan::inventory(*ref, so, ctx, diags);
    if (!result) {
      log(fmt::format("bulwark agent: SBOM of {} failed: {}", id.substr(0, 19), result.error().describe()));
      return std::nullopt;
    }
    return sbom_document(*result, id);
  }

  // The images of batch exported in one tar; each one's SBOM, described as the docker-daemon transport
  // describes it (reference, tags and digests of the engine). Images missing from the answer are left
  // for single_sbom.
  std::map<std::string, std::string> batch_sboms(const std::vector<std::string>& batch,
                                                 const std::map<std::string, const nlohmann::json*>& image_of) {
    std::map<std::string, std::string> out;
    if (batch.size() < 2) return out;
    auto cache = ctx.cache_dir.empty() ? util::default_cache_dir() : ctx.cache_dir;
    std::error_code ec;
    std::filesystem::create_directories(cache / "tmp", ec);
    auto dir = ec ? Result<std::filesystem::path>(std::unexpected(Error{ErrorCode::io, ec.message()}))
                  : util::make_temp_dir(cache / "tmp", "agent-export");
    if (!dir) {
      log("bulwark agent: cannot make a folder for the image export: " + dir.error().describe());
      return out;
    }
    util::ScopedDir scoped(*dir);
    auto tar = *dir / "images.tar";
    if (auto st = docker->export_images(batch, tar); !st) {
      log(fmt::format("bulwark agent: exporting {} images at once failed ({}); one at a time", batch.size(),
                      st.error().describe()));
      return out;
    }
    // manifest.json holds one entry per image asked for, in an order of the engine's choosing.
    for (std::size_t n = 0; n < batch.size(); ++n) {
      auto ref = image::parse_reference(fmt::format("docker-archive:{}:@{}", tar.string(), n));
      if (!ref) break;
      core::Diagnostics diags;
      image::SourceOptions so;
      auto result = scan::inventory(*ref, so, ctx, diags);
      if (!result || !result->image) continue;
      const std::string id = result->image->config_digest;
      auto im = image_of.find(id);
      if (im == image_of.end() || std::find(batch.begin(), batch.end(), id) == batch.end()) continue;
      auto daemon_ref = image::parse_reference("docker-daemon:" + id);
      if (!daemon_ref) continue;
      result->target.name = daemon_ref->str();
      result->image->reference = daemon_ref->original.empty() ? daemon_ref->str() : daemon_ref->original;
      if (auto tags = strings_of(*im->second, "repo_tags"); !tags.empty()) result->image->repo_tags = tags;
      if (auto digests = strings_of(*im->second, "repo_digests"); !digests.empty())
        result->image->repo_digests = digests;
      out[id] = sbom_document(*result, id);
    }
    return out;
  }

  void activity_round() {
    std::vector<ContainerActivity> acts;
    for (const auto& id : running) {
      if (auto a = read_container_activity(options.cgroup_root, id)) acts.push_back(*a);
    }
    {
      std::lock_guard lock(activity_mutex);
      last_activity = acts;
    }
    if (acts.empty()) return;
    for (const auto& d : activity_documents(acts, options.host)) append(d.dump(), "activity");
  }

  void audit_round() {
    host::AuditOptions ao;
    ao.docker_host = options.docker_host;
    auto rep = host::run_audit(ao, ctx);
    auto score = host::score(rep.results);
    report::JsonOptions jo;
    jo.tool_version = BULWARK_VERSION;
    jo.score = report::ScoreSummary{"cis-docker-1.6.0", score.passed,  score.failed, score.warned,
                                    score.manual,       score.skipped, score.info,   score.percent()};
    append(with_host(report::write_json(rep.results, jo), options.host, {}), "host audit");
  }
};

}  // namespace

Result<AgentResult> run_agent(const AgentOptions& options, const core::Context& ctx, const std::atomic<bool>& stop,
                              const LogFn& log) {
  auto spool = Spool::open(options.spool_dir, options.spool_limits);
  if (!spool) return std::unexpected(spool.error());
  std::error_code ec;
  std::filesystem::create_directories(options.state_dir, ec);
  if (ec) return fail(ErrorCode::io, "cannot create the state folder: " + ec.message(), options.state_dir.string());

  std::optional<docker::Client> docker_client;
  std::unique_ptr<CriClient> cri_client;
  HostIdentity host = options.host;
  if (options.engine == "docker" || options.engine == "auto") {
    auto client = docker::Client::connect(options.docker_host);
    if (client && (options.engine == "docker" || client->list_images())) {
      docker_client.emplace(std::move(*client));
      host.engine = "docker";
    } else if (options.engine == "docker") {
      return std::unexpected(client ? Error{ErrorCode::network, "the Docker engine does not answer"} : client.error());
    }
  }
  if (!docker_client) {
    if (options.engine != "cri" && options.engine != "auto")
      return fail(ErrorCode::invalid_argument, "--engine is docker, cri or auto", options.engine);
    CriOptions co;
    co.socket = options.cri_socket;
    auto c = CriClient::connect(co);
    if (!c) return std::unexpected(c.error().within("no Docker engine, and the CRI runtime"));
    cri_client = std::move(*c);
    host.engine = cri_client->version().runtime_name.empty() ? "cri" : cri_client->version().runtime_name;
    log(fmt::format("bulwark agent: inventory through the CRI ({} {}) on {}", cri_client->version().runtime_name,
                    cri_client->version().runtime_version, options.cri_socket));
  }
  AgentOptions eff = options;
  eff.host = host;

  Collector col{eff, ctx, **spool, SentImages(options.state_dir / "sent-images.json"), log};
  col.docker = docker_client ? &*docker_client : nullptr;
  col.cri = cri_client.get();
  DeliveryOptions dopt = options.delivery;
  dopt.host_name = options.host.name;
  Deliverer deliverer(**spool, dopt, log);
  AgentResult result;

  if (options.once) {
    col.inventory_round(options.sboms);
    col.activity_round();
    if (options.host_audit) col.audit_round();
    auto st = deliverer.drain_once();
    result.spooled = col.spooled;
    result.delivered = deliverer.stats().delivered + deliverer.stats().duplicates;
    result.left_in_spool = (*spool)->entries();
    result.unauthorized = deliverer.stats().unauthorized;
    if (!st) return std::unexpected(st.error());
    return result;
  }

  // Prometheus text on --metrics-listen: per-container activity and the agent's own counters.
  std::unique_ptr<httpd::Server> metrics;
  if (!options.metrics_listen.empty()) {
    httpd::ServerOptions so;
    so.listen = options.metrics_listen;
    so.threads = 1;
    so.limits.max_body = 1024;
    so.limits.max_connections = 16;
    auto srv = httpd::Server::start(so, [&](const httpd::Request& r) {
      httpd::Response resp;
      if (r.path != "/metrics" || r.method != "GET") {
        resp.status = 404;
        resp.body = R"({"error":{"code":"not_found","message":"only GET /metrics"}})";
        return resp;
      }
      std::vector<ContainerActivity> acts;
      {
        std::lock_guard lock(col.activity_mutex);
        acts = col.last_activity;
      }
      resp.content_type = "text/plain; version=0.0.4; charset=utf-8";
      resp.body = prometheus_text(acts) +
                  agent_metrics_text(AgentCounters{
                      col.spooled.load(), deliverer.stats().delivered.load(), deliverer.stats().duplicates.load(),
                      deliverer.stats().retries.load(), deliverer.stats().rejected.load(), (*spool)->entries(),
                      (*spool)->bytes(), (*spool)->drops().count, col.alert_documents.load(), col.inventories.load()});
      return resp;
    });
    if (!srv) return std::unexpected(srv.error().within("--metrics-listen"));
    metrics = std::move(*srv);
    log(fmt::format("bulwark agent: Prometheus metrics on http://{}/metrics", options.metrics_listen));
  }

  std::atomic<bool> stop_monitor{false};
  std::thread monitor;
  if (options.monitor) {
    monitor = std::thread([&] {
      auto st = run_monitor(
          options.monitor_options, host, col.directory, stop_monitor,
          [&](nlohmann::json doc) {
            col.append(doc.dump(), "alerts");
            ++col.alert_documents;
          },
          log);
      if (!st) log("bulwark agent: the monitor stopped: " + st.error().describe());
    });
  }

  Status delivery_status;
  std::atomic<bool> delivery_done{false};
  std::thread delivery([&] {
    delivery_status = deliverer.run();
    delivery_done = true;
  });

  // Engine events mark the inventory dirty.
  std::mutex m;
  std::condition_variable cv;
  bool dirty = false;
  std::atomic<bool> stop_events{false};
  std::thread events([&] {
    if (cri_client) {
      // Poll the runtime's containers and images; a change marks the inventory dirty.
      CriOptions co;
      co.socket = options.cri_socket;
      auto poller = CriClient::connect(co);
      std::string last;
      if (poller) {
        if (auto fp = (*poller)->fingerprint()) last = *fp;
      }
      for (long round = 0; round < 100000000L && !stop_events; ++round) {
        auto until = std::chrono::steady_clock::now() + options.cri_poll;
        while (!stop_events && std::chrono::steady_clock::now() < until)
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        if (stop_events || !poller) continue;
        auto fp = (*poller)->fingerprint();
        if (!fp || *fp == last) continue;
        last = *fp;
        {
          std::lock_guard lock(m);
          dirty = true;
        }
        cv.notify_all();
      }
      return;
    }
    auto ec_client = docker::Client::connect(options.docker_host);
    if (!ec_client) return;
    int backoff = 1;
    for (int round = 0; round < 1000000 && !stop_events; ++round) {
      docker::EventStreamOptions eo;
      eo.filters = R"({"type":["container","image"]})";
      eo.cancel = [&] { return stop_events.load(); };
      auto st = ec_client->stream_events(eo, [&](std::string_view) -> Status {
        {
          std::lock_guard lock(m);
          dirty = true;
        }
        cv.notify_all();
        backoff = 1;
        return {};
      });
      if (stop_events) break;
      // Reconnect after a bounded wait; what changed meanwhile is caught by a fresh inventory.
      for (int i = 0; i < backoff * 10 && !stop_events; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      backoff = std::min(backoff * 2, 30);
      {
        std::lock_guard lock(m);
        dirty = true;
      }
      cv.notify_all();
    }
  });

  col.inventory_round(options.sboms);
  if (options.host_audit) col.audit_round();
  col.activity_round();
  // Daemon configuration: modification time and size of each watched file (0/0 = absent).
  auto config_stamp = [&] {
    std::string st;
    for (const auto& f : options.watched_config_files) {
      std::error_code tec, sec;
      auto t = std::filesystem::last_write_time(f, tec);
      std::uintmax_t sz = std::filesystem::file_size(f, sec);
      st += fmt::format("{}:{}:{};", f.string(), tec ? 0 : static_cast<long long>(t.time_since_epoch().count()),
                        sec ? 0 : sz);
    }
    return st;
  };
  std::string last_config = config_stamp();
  auto next_config_check = std::chrono::steady_clock::now() + options.config_poll;
  auto next_interval = std::chrono::steady_clock::now() + options.interval;
  auto next_activity = std::chrono::steady_clock::now() + options.activity_interval;
  while (!stop && !delivery_done) {
    bool run_inventory = false;
    {
      std::unique_lock lock(m);
      cv.wait_for(lock, std::chrono::milliseconds(250), [&] { return dirty; });
      if (dirty) {
        dirty = false;
        run_inventory = true;
      }
    }
    if (run_inventory) {
      // Let a burst of events (create, start, attach...) settle into one inventory.
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      {
        std::lock_guard lock(m);
        dirty = false;
      }
      col.inventory_round(options.sboms);
    }
    if (std::chrono::steady_clock::now() >= next_interval) {
      next_interval = std::chrono::steady_clock::now() + options.interval;
      if (!run_inventory) col.inventory_round(options.sboms);
      if (options.host_audit) col.audit_round();
    }
    if (options.host_audit && std::chrono::steady_clock::now() >= next_config_check) {
      next_config_check = std::chrono::steady_clock::now() + options.config_poll;
      if (auto now_config = config_stamp(); now_config != last_config) {
        last_config = now_config;
        log("bulwark agent: daemon configuration changed; running the host audit");
        col.audit_round();
      }
    }
    if (std::chrono::steady_clock::now() >= next_activity) {
      next_activity = std::chrono::steady_clock::now() + options.activity_interval;
      col.activity_round();
    }
  }
  stop_events = true;
  stop_monitor = true;
  cv.notify_all();
  events.join();
  if (monitor.joinable()) monitor.join();
  if (metrics) metrics->stop();
  deliverer.stop();
  delivery.join();
  result.spooled = col.spooled;
  result.delivered = deliverer.stats().delivered + deliverer.stats().duplicates;
  result.left_in_spool = (*spool)->entries();
  result.unauthorized = deliverer.stats().unauthorized;
  result.alert_documents = col.alert_documents;
  if (!delivery_status) return std::unexpected(delivery_status.error());
  return result;
}

}  // namespace bulwark::agent
