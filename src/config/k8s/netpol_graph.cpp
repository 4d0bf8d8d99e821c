// See netpol_graph.hpp.
#include "config/k8s/netpol_graph.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace bulwark::config::k8s::netpol {

using nlohmann::json;

std::string_view to_string(NodeType t) noexcept {
  switch (t) {
    case NodeType::workload: return "workload";
    case NodeType::external: return "external";
    case NodeType::ingress_controller: return "ingress-controller";
  }
  return "workload";
}

namespace {

std::string external_id(const IpRange& r) {
  return to_string(r) + "[External]";
}

json conns_json(const ConnSet& c) {
  json ports = json::array();
  for (int i = 0; i < 3; ++i) {
    const auto& p = c.ports[static_cast<std::size_t>(i)];
    if (!p.empty()) ports.push_back({{"protocol", to_string(static_cast<Protocol>(i))}, {"ports", p.to_string()}});
  }
  return ports;
}

}  // namespace

Graph reachability_graph(const Model& model) {
  Graph g;
  g.edges = connectivity(model);
  Evaluator ev(model);

  std::map<std::string, GraphNamespace> namespaces;
  for (const auto& [ns, loc] : model.namespace_locations) namespaces[ns].name = ns;
  for (const auto& w : model.workloads) {
    auto& n = namespaces[w.namespace_];
    n.name = w.namespace_;
    ++n.workloads;
  }
  for (const auto& p : model.policies) {  // the same rule as BW-NETPOL-002/003
    auto it = namespaces.find(p.namespace_);
    if (it == namespaces.end() || !p.pod_selector.empty()) continue;
    it->second.default_deny_ingress = it->second.default_deny_ingress || p.ingress_type;
    it->second.default_deny_egress = it->second.default_deny_egress || p.egress_type;
  }
  for (auto& [name, n] : namespaces) g.namespaces.push_back(std::move(n));

  std::vector<int> order(model.workloads.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  std::sort(order.begin(), order.end(), [&](int a, int b) {
    const auto& x = model.workloads[static_cast<std::size_t>(a)];
    const auto& y = model.workloads[static_cast<std::size_t>(b)];
    return std::tie(x.namespace_, x.name, x.kind) < std::tie(y.namespace_, y.name, y.kind);
  });
  for (int wi : order) {
    const auto& w = model.workloads[static_cast<std::size_t>(wi)];
    GraphNode n;
    n.id = w.display();
    n.namespace_ = w.namespace_;
    n.name = w.name;
    n.kind = w.kind;
    n.location = w.location;
    n.ingress_isolated = ev.ingress_isolated(wi);
    n.egress_isolated = ev.egress_isolated(wi);
    // Reachable from anywhere: every external source range may connect (the ranges cover 0.0.0.0/0).
    bool all = !model.ingress_blocks.empty();
    ConnSet common = ConnSet::all();
    for (const auto& b : model.ingress_blocks) {
      auto c = ev.allowed(Endpoint{-1, b}, Endpoint{wi, {}});
      common = common.intersect(c);
      if (c.empty()) all = false;
    }
    n.exposed = all && !common.empty();
    if (n.exposed) n.exposed_conns = common;
    g.nodes.push_back(std::move(n));
  }
  // The external ranges and the ingress controller that some edge names, in address order.
  std::set<std::string> named;
  for (const auto& e : g.edges) {
    named.insert(e.src);
    named.insert(e.dst);
  }
  std::vector<IpRange> ranges = model.ingress_blocks;
  ranges.insert(ranges.end(), model.egress_blocks.begin(), model.egress_blocks.end());
  std::sort(ranges.begin(), ranges.end(),
            [](const IpRange& a, const IpRange& b) { return std::tie(a.lo, a.hi) < std::tie(b.lo, b.hi); });
  ranges.erase(std::unique(ranges.begin(), ranges.end()), ranges.end());
  for (const auto& r : ranges) {
    if (!named.contains(external_id(r))) continue;
    GraphNode n;
    n.id = external_id(r);
    n.type = NodeType::external;
    n.name = to_string(r);
    g.nodes.push_back(std::move(n));
  }
  if (named.contains(std::string(kIngressControllerName))) {
    GraphNode n;
    n.id = std::string(kIngressControllerName);
    n.type = NodeType::ingress_controller;
    n.name = std::string(kIngressControllerName);
    n.namespace_ = std::string(kIngressControllerNamespace);
    g.nodes.push_back(std::move(n));
  }
  return g;
}

json to_json(const Graph& graph) {
  json namespaces = json::array();
  for (const auto& n : graph.namespaces) {
    namespaces.push_back({{"name", n.name},
                          {"default_deny_ingress", n.default_deny_ingress},
                          {"default_deny_egress", n.default_deny_egress},
                          {"workloads", n.workloads}});
  }
  json nodes = json::array();
  for (const auto& n : graph.nodes) {
    json j = {{"id", n.id}, {"type", to_string(n.type)}, {"name", n.name}};
    if (!n.namespace_.empty()) j["namespace"] = n.namespace_;
    if (n.type == NodeType::workload) {
      j["kind"] = n.kind;
      j["ingress_isolated"] = n.ingress_isolated;
      j["egress_isolated"] = n.egress_isolated;
      j["exposed"] = n.exposed;
      if (n.exposed) {
        j["exposed_connections"] = n.exposed_conns.to_string();
        j["exposed_ports"] = conns_json(n.exposed_conns);
      }
      if (!n.location.path.empty()) {
        j["location"] = {{"path", n.location.path}};
        if (n.location.line > 0) j["location"]["line"] = n.location.line;
      }
    }
    nodes.push_back(std::move(j));
  }
  json edges = json::array();
  for (const auto& e : graph.edges) {
    edges.push_back({{"src", e.src},
                     {"dst", e.dst},
                     {"connections", e.conns.to_string()},
                     {"all", e.conns.is_all()},
                     {"ports", conns_json(e.conns)}});
  }
  return {{"namespaces", std::move(namespaces)}, {"nodes", std::move(nodes)}, {"edges", std::move(edges)}};
}

}  // namespace bulwark::config::k8s::netpol
