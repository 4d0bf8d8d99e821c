#include "runtime/probe/docker_resolver.hpp"

#include <fmt/format.h>

#include <chrono>

namespace bulwark::runtime::probe {
namespace {

std::string str(const nlohmann::json& doc, const nlohmann::json::json_pointer& ptr) {
  if (!doc.contains(ptr)) return {};
  const auto& v = doc.at(ptr);
  return v.is_string() ? v.get<std::string>() : std::string();
}

constexpr std::size_t kMaxCached = 4096;

}  // namespace

ContainerInfo container_info_from_inspect(const nlohmann::json& inspect) {
  using ptr = nlohmann::json::json_pointer;
  ContainerInfo info;
  if (!inspect.is_object()) return info;
  info.id = str(inspect, ptr("/Id"));
  info.name = str(inspect, ptr("/Name"));
  if (!info.name.empty() && info.name.front() == '/') info.name.erase(0, 1);
  info.image = str(inspect, ptr("/Config/Image"));
  info.image_id = str(inspect, ptr("/Image"));
  // repository[:tag][@digest]; a ':' after the last '/' separates the tag.
  std::string ref = info.image;
  if (auto at = ref.find('@'); at != std::string::npos) {
    info.image_digest = ref.substr(at + 1);
    ref.resize(at);
  }
  auto slash = ref.rfind('/');
  auto colon = ref.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
    info.image_tag = ref.substr(colon + 1);
    ref.resize(colon);
  } else if (info.image_digest.empty() && !ref.empty()) {
    info.image_tag = "latest";
  }
  info.image_repository = ref;
  info.type = "docker";
  if (inspect.contains(ptr("/HostConfig/Privileged")) && inspect.at(ptr("/HostConfig/Privileged")).is_boolean()) {
    info.privileged = inspect.at(ptr("/HostConfig/Privileged")).get<bool>();
  }
  if (inspect.contains("Mounts") && inspect["Mounts"].is_array()) {
    for (const auto& m : inspect["Mounts"]) {
      if (!m.is_object()) continue;
      std::string mode = m.contains("RW") && m["RW"].is_boolean() && !m["RW"].get<bool>() ? "ro" : "rw";
      info.mounts.push_back(str(m, ptr("/Source")) + ":" + str(m, ptr("/Destination")) + ":" + mode);
    }
  }
  return info;
}

DockerEvent parse_docker_event(std::string_view json) {
  DockerEvent out;
  auto doc = nlohmann::json::parse(json, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return out;
  using ptr = nlohmann::json::json_pointer;
  if (doc.contains("timeNano") && doc["timeNano"].is_number_unsigned()) {
    auto ns = doc["timeNano"].get<std::uint64_t>();
    out.time = fmt::format("{}.{:09}", ns / 1'000'000'000ULL, ns % 1'000'000'000ULL);
  } else if (doc.contains("time") && doc["time"].is_number_unsigned()) {
    out.time = std::to_string(doc["time"].get<std::uint64_t>());
  }
  if (str(doc, ptr("/Type")) != "container") return out;
  out.id = str(doc, ptr("/Actor/ID"));
  if (out.id.empty()) out.id = str(doc, ptr("/id"));
  if (out.id.empty()) return out;
  // "exec_start: sh -c ...", "health_status: healthy": the verb is before the colon.
  std::string action = str(doc, ptr("/Action"));
  if (auto colon = action.find(':'); colon != std::string::npos) action.resize(colon);
  if (action == "create" || action == "start") {
    out.action = DockerEventAction::resolve;
  } else if (action == "rename") {
    out.action = DockerEventAction::rename;
    out.new_name = str(doc, ptr("/Actor/Attributes/name"));
    if (!out.new_name.empty() && out.new_name.front() == '/') out.new_name.erase(0, 1);
  } else if (action == "destroy") {
    out.action = DockerEventAction::evict;
  }
  return out;
}

DockerContainerResolver::DockerContainerResolver(std::string docker_host, Inspect inspect)
    : docker_host_(std::move(docker_host)), inspect_(std::move(inspect)) {}

DockerContainerResolver::~DockerContainerResolver() {
  stop();
}

Result<ContainerInfo> DockerContainerResolver::inspect(std::string_view id, Caller caller) {
  Result<nlohmann::json> doc;
  if (inspect_) {
    doc = inspect_(id);
  } else {
    auto& client = caller == Caller::lookup ? client_ : events_client_;
    if (!client) {
      auto c = docker::Client::connect(docker_host_);
      if (!c) return std::unexpected(c.error());
      client = std::make_unique<docker::Client>(std::move(*c));
      // The follower's inspects must not hold up stop() either.
      if (caller == Caller::events) client->set_cancel([this] { return stopping_.load(); });
    }
    doc = client->inspect_container(id);
  }
  if (!doc) return std::unexpected(doc.error());
  ContainerInfo info = container_info_from_inspect(*doc);
  if (info.id.empty()) return fail(ErrorCode::not_found, "the Docker engine returned no id", std::string(id));
  return info;
}

void DockerContainerResolver::store(const std::string& id, Entry entry) {
  // Called with mutex_ held.
  if (cache_.size() >= kMaxCached && !cache_.contains(id)) cache_.clear();
  cache_.insert_or_assign(id, std::move(entry));
}

Result<ContainerInfo> DockerContainerResolver::resolve(std::string_view container_id) {
  std::lock_guard lock(mutex_);
  if (auto it = cache_.find(container_id); it != cache_.end()) {
    if (it->second.from_events && !it->second.asked) ++stats_.answered_from_events;
    it->second.asked = true;
    return it->second.info;
  }
  // A 12-character id (or any prefix) matches a full id the event stream cached.
  if (container_id.size() >= 12 && container_id.size() < 64) {
    auto it = cache_.lower_bound(container_id);
    if (it != cache_.end() && std::string_view(it->first).starts_with(container_id)) {
      if (it->second.from_events && !it->second.asked) ++stats_.answered_from_events;
      it->second.asked = true;
      return it->second.info;
    }
  }
  auto info = inspect(container_id, Caller::lookup);
  if (!info) return std::unexpected(info.error());
  store(std::string(container_id), Entry{*info, false, true});
  return info;
}

void DockerContainerResolver::apply(const DockerEvent& event) {
  if (event.action == DockerEventAction::ignore || event.id.empty()) return;
  {
    std::lock_guard lock(mutex_);
    ++stats_.events;
    if (event.action == DockerEventAction::evict) {
      if (cache_.erase(event.id) > 0) ++stats_.evicted;
      return;
    }
    if (event.action == DockerEventAction::resolve && cache_.contains(event.id)) return;
  }
  // The inspect runs without the lock: lookups from the rules thread must not wait for it.
  auto info = inspect(event.id, Caller::events);
  std::lock_guard lock(mutex_);
  auto it = cache_.find(event.id);
  if (event.action == DockerEventAction::resolve) {
    if (!info || it != cache_.end()) return;  // gone already, or a lookup was faster
    store(event.id, Entry{std::move(*info), true, false});
    ++stats_.pre_resolved;
    return;
  }
  // rename
  if (info) {
    Entry e{std::move(*info), it != cache_.end() && it->second.from_events, it != cache_.end() && it->second.asked};
    store(event.id, std::move(e));
  } else if (it != cache_.end() && !event.new_name.empty()) {
    it->second.info.name = event.new_name;
  }
  ++stats_.renamed;
  generation_.fetch_add(1);
}

void DockerContainerResolver::follow_events() {
  if (follower_.joinable() || stopping_.load()) return;
  follower_ = std::thread([this] { follow_loop(); });
}

void DockerContainerResolver::stop() {
  {
    std::lock_guard lock(wait_mutex_);
    stopping_.store(true);
  }
  wake_.notify_all();
  if (follower_.joinable()) follower_.join();
}

void DockerContainerResolver::follow_loop() {
  using namespace std::chrono_literals;
  constexpr auto kMaxBackoff = 30s;
  // Events that happen while the stream is down are read on reconnect (since=).
  std::string since = std::to_string(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
  auto backoff = 1s;
  std::unique_ptr<docker::Client> stream;
  while (!stopping_.load()) {
    auto opened = std::chrono::steady_clock::now();
    Status st;
    if (!stream) {
      auto c = docker::Client::connect(docker_host_);
      if (c) {
        stream = std::make_unique<docker::Client>(std::move(*c));
      } else {
        st = std::unexpected(c.error());
      }
    }
    if (stream) {
      docker::EventStreamOptions o;
      o.filters = R"({"type":["container"]})";
      o.since = since;
      o.cancel = [this] { return stopping_.load(); };
      st = stream->stream_events(o, [&](std::string_view json) -> Status {
        auto ev = parse_docker_event(json);
        if (!ev.time.empty()) since = ev.time;
        apply(ev);
        return {};
      });
    }
    if (stopping_.load()) break;
    {
      std::lock_guard lock(mutex_);
      ++stats_.stream_restarts;
      stats_.last_stream_error = st ? std::string("the engine ended the stream") : st.error().describe();
    }
    // A stream that lived a while was healthy: start the backoff over.
    if (std::chrono::steady_clock::now() - opened > kMaxBackoff) backoff = 1s;
    std::unique_lock lock(wait_mutex_);
    wake_.wait_for(lock, backoff, [this] { return stopping_.load(); });
    backoff = std::min<std::chrono::seconds>(backoff * 2, kMaxBackoff);
  }
}

DockerResolverStats DockerContainerResolver::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

}  // namespace bulwark::runtime::probe
