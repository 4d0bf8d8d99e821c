// The reachability graph of a set of manifests, as `bulwark config --format json` writes it
// (the document's `reachability` object, docs/formats/json.md) and the dashboard draws it:
// namespaces (with whether a default-deny policy isolates their pods), workloads and the
// external address ranges as nodes, every allowed connection as an edge with its protocols and
// ports, and the workloads that any address outside the cluster can reach.
//
// It is netpol_engine's connectivity() (the same connections `bulwark netpol matrix` lists)
// put in a shape a program can draw without parsing "ns/name[Kind]" strings.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "config/k8s/netpol_engine.hpp"

namespace bulwark::config::k8s::netpol {

struct GraphNamespace {
  std::string name;
  bool default_deny_ingress = false;  // a NetworkPolicy with podSelector {} isolates every pod for Ingress
  bool default_deny_egress = false;
  std::size_t workloads = 0;
};

enum class NodeType { workload, external, ingress_controller };
[[nodiscard]] std::string_view to_string(NodeType t) noexcept;

struct GraphNode {
  std::string
      id;  // as connectivity() names it: "ns/name[Kind]", "0.0.0.0-9.255.255.255[External]", "{ingress-controller}"
  NodeType type = NodeType::workload;
  std::string namespace_, name, kind;  // workloads; for an external range, name is the range
  bool ingress_isolated = false, egress_isolated = false;
  // Every external address may connect to it (on exposed_conns: what all of them may reach).
  bool exposed = false;
  ConnSet exposed_conns;
  core::Location location;
};

struct Graph {
  std::vector<GraphNamespace> namespaces;  // sorted by name
  std::vector<GraphNode>
      nodes;  // workloads sorted by (namespace, name), then external ranges, then the ingress controller
  std::vector<Connection> edges;  // sorted by (src, dst), as connectivity()
};

// `bulwark config` writes the graph only up to this many workloads (edges grow with their square).
constexpr std::size_t kMaxGraphWorkloads = 300;

[[nodiscard]] Graph reachability_graph(const Model& model);

// The `reachability` object of the bulwark/v1 document.
[[nodiscard]] nlohmann::json to_json(const Graph& graph);

}  // namespace bulwark::config::k8s::netpol
