#include "agent/monitor.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include "agent/spool.hpp"
#include "runtime/engine/default_rules.hpp"
#include "runtime/engine/engine.hpp"
#include "runtime/engine/ruleset.hpp"
#include "runtime/events/live.hpp"
#include "runtime/outputs/outputs.hpp"
#include "runtime/probe/docker_resolver.hpp"
#include "runtime/state/proc_snapshot.hpp"
#include "runtime/state/process_table.hpp"
#include "util/files.hpp"

namespace bulwark::agent {

namespace rt = runtime;
namespace eng = runtime::engine;

namespace {
constexpr std::uint64_t kMaxRulesBytes = 16u << 20;

nlohmann::json empty_pod() {
  return {{"name", ""}, {"namespace", ""}, {"uid", ""}, {"labels", nlohmann::json::object()}};
}
}  // namespace

void ContainerDirectory::update(const nlohmann::json& inventory) {
  std::unordered_map<std::string, nlohmann::json> m;
  if (inventory.contains("containers") && inventory["containers"].is_array()) {
    for (const auto& c : inventory["containers"]) {
      std::string id = c.value("id", std::string{});
      if (id.empty()) continue;
      m[id] = {{"container", {{"id", id}, {"name", c.value("name", "")}, {"image", c.value("image", "")}}},
               {"pod", c.contains("pod") ? c["pod"] : empty_pod()}};
    }
  }
  std::lock_guard lock(mutex_);
  by_id_ = std::move(m);
}

nlohmann::json ContainerDirectory::lookup(const std::string& id) const {
  if (id.empty()) return nullptr;
  std::lock_guard lock(mutex_);
  if (auto it = by_id_.find(id); it != by_id_.end()) return it->second;
  if (id.size() < 64) {
    for (const auto& [full, v] : by_id_)
      if (full.rfind(id, 0) == 0) return v;
  }
  return nullptr;
}

nlohmann::json alert_item(const nlohmann::json& a, const std::string& container_id, const nlohmann::json& meta,
                          const ContainerDirectory& directory) {
  nlohmann::json item = {{"time", a.value("time", rfc3339_now())},
                         {"rule", a.value("rule", "")},
                         {"priority", a.value("priority", "")},
                         {"output", a.value("output", "")},
                         {"source", a.value("source", "syscall")},
                         {"container", {{"id", container_id}, {"name", ""}, {"image", ""}}},
                         {"pod", empty_pod()}};
  if (a.contains("output_fields")) item["fields"] = a["output_fields"];
  if (a.contains("tags")) item["tags"] = a["tags"];
  // The agent's inventory first (it has CRI pods); the monitor's own Docker answer fills the gaps.
  auto known = directory.lookup(container_id);
  if (known.is_object()) {
    item["container"] = known["container"];
    item["pod"] = known["pod"];
  }
  if (meta.is_object()) {
    for (const char* k : {"id", "name", "image"}) {
      if (item["container"].value(k, "").empty() && meta.value(k, "") != "") item["container"][k] = meta[k];
    }
    if (item["pod"].value("name", "").empty() && meta.contains("pod")) item["pod"] = meta["pod"];
  }
  return item;
}

nlohmann::json alerts_document(nlohmann::json items, const HostIdentity& host) {
  nlohmann::json doc = agent_envelope("alerts", host);
  doc["alerts"] = std::move(items);
  return doc;
}

nlohmann::json connections_document(const std::map<ConnectionKey, std::uint64_t>& counts, const HostIdentity& host,
                                    std::uint64_t dropped) {
  nlohmann::json doc = agent_envelope("activity", host);
  doc["containers"] = nlohmann::json::array();
  nlohmann::json conns = nlohmann::json::array();
  for (const auto& [k, n] : counts) {
    conns.push_back({{"container_id", k.container_id},
                     {"direction", k.direction},
                     {"peer", k.peer},
                     {"port", k.port},
                     {"count", n}});
  }
  doc["connections"] = std::move(conns);
  if (dropped) doc["connections_dropped"] = dropped;
  return doc;
}

Status run_monitor(const MonitorOptions& options, const HostIdentity& host, const ContainerDirectory& directory,
                   const std::atomic<bool>& stop, const AlertsSink& sink, const MonitorLog& log) {
  std::vector<eng::RulesFile> files;
  if (options.rules_files.empty()) {
    files.push_back({std::string(eng::kDefaultRulesName), std::string(eng::default_rules())});
  } else {
    for (const auto& p : options.rules_files) {
      auto text = util::read_file(p, kMaxRulesBytes);
      if (!text) return std::unexpected(text.error().within("reading rules"));
      files.push_back({p, std::move(*text)});
    }
  }
  auto rs = eng::load_rules(files);
  if (rs.enabled_rules() == 0) return fail(ErrorCode::invalid_argument, "no monitor rule could be loaded");

  rt::LiveSourceOptions lo;
  auto needed = rs.needed_event_types();
  for (std::size_t t = 1; t < rt::kEventTypeCount; ++t)
    if (needed.test(t)) lo.event_types.insert(static_cast<rt::EventType>(t));
  // The connection summary needs connect and accept whatever the rules ask for.
  lo.event_types.insert(rt::EventType::connect);
  lo.event_types.insert(rt::EventType::accept);
  lo.event_types.insert(rt::EventType::accept4);
  lo.docker_host = options.docker_host;
  lo.ring_buffer_bytes = options.ring_buffer_bytes;
  auto source = rt::make_live_source(lo);
  if (!source) return std::unexpected(source.error());
  auto resolver = rt::make_live_container_resolver(lo);
  rt::StateLimits limits;
  rt::ProcessTable state(limits, resolver.get());
  (void)rt::snapshot_processes(state, {});
  eng::EngineOptions eo;
  eo.hostname = host.name;
  eng::Engine engine(rs, state, eo);
  if (log) log(fmt::format("bulwark agent: monitor running ({} rules, {})", rs.enabled_rules(), (*source)->name()));

  nlohmann::json batch = nlohmann::json::array();
  auto batch_started = std::chrono::steady_clock::now();
  auto flush = [&] {
    if (batch.empty()) return;
    sink(alerts_document(std::move(batch), host));
    batch = nlohmann::json::array();
  };
  std::map<ConnectionKey, std::uint64_t> conns;
  std::uint64_t conns_dropped = 0;
  auto conns_started = std::chrono::steady_clock::now();
  auto flush_connections = [&] {
    if (!conns.empty() || conns_dropped) sink(connections_document(conns, host, conns_dropped));
    conns.clear();
    conns_dropped = 0;
    conns_started = std::chrono::steady_clock::now();
  };
  auto count_connection = [&](const rt::Event& e) {
    const auto& t = e.args.tuple;
    if (t.family != rt::kAfInet && t.family != rt::kAfInet6) return;
    bool out = e.type == rt::EventType::connect;
    // A connect counts when it succeeded or is under way (EINPROGRESS); an accept when it gave a socket.
    if (out ? (e.ret < 0 && e.ret != -115) : e.ret < 0) return;
    const auto* p = state.find(e.pid);
    if (!p || p->container_id.empty()) return;  // containers only; the host's own traffic is not asked for
    ConnectionKey k{p->container_id, out ? "out" : "in", rt::format_ip(t.family, out ? t.server : t.client),
                    t.server.port};
    auto it = conns.find(k);
    if (it != conns.end()) {
      ++it->second;
    } else if (conns.size() < options.max_connections) {
      conns.emplace(std::move(k), 1);
    } else {
      ++conns_dropped;
    }
  };
  rt::Event ev;
  Status result;
  for (std::uint64_t guard = 0; !stop.load() && guard < UINT64_MAX; ++guard) {
    auto r = (*source)->next(ev, std::chrono::milliseconds(200));
    if (!r) {
      result = std::unexpected(r.error());
      break;
    }
    if (*r == rt::NextStatus::end) break;
    if (*r == rt::NextStatus::event) {
      engine.process(ev, [&](const eng::Alert& a) {
        std::string cid;
        nlohmann::json meta;
        if (const auto* p = state.find(ev.pid)) cid = p->container_id;
        if (!cid.empty()) {
          if (const auto* info = state.container(cid)) {
            meta = {{"id", info->id}, {"name", info->name}, {"image", info->image}};
            nlohmann::json pod = empty_pod();
            for (const auto& [k, v] : info->labels) {
              if (k == "io.kubernetes.pod.name") pod["name"] = v;
              if (k == "io.kubernetes.pod.namespace") pod["namespace"] = v;
              if (k == "io.kubernetes.pod.uid") pod["uid"] = v;
            }
            meta["pod"] = pod;
            if (!info->id.empty()) cid = info->id;
          }
        }
        if (batch.empty()) batch_started = std::chrono::steady_clock::now();
        batch.push_back(alert_item(rt::outputs::alert_json(a), cid, meta, directory));
        if (batch.size() >= options.max_batch) flush();
      });
      if (ev.type == rt::EventType::connect || ev.type == rt::EventType::accept || ev.type == rt::EventType::accept4)
        count_connection(ev);
    }
    if (!batch.empty() && std::chrono::steady_clock::now() - batch_started >= options.batch_window) flush();
    if (std::chrono::steady_clock::now() - conns_started >= options.connections_window) flush_connections();
  }
  flush();
  flush_connections();
  if (auto* docker = dynamic_cast<rt::probe::DockerContainerResolver*>(resolver.get())) docker->stop();
  return result;
}

}  // namespace bulwark::agent
