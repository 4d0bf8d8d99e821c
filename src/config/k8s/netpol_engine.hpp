// NetworkPolicy reachability: which workloads (and which external IP ranges) may talk to which,
// on which protocols and ports, under the Kubernetes NetworkPolicy semantics.
//
// The model is built from manifest objects (Namespaces, Pods, workload controllers and
// NetworkPolicies). Pods are grouped into workloads by their controlling owner, as
// np-guard/netpol-analyzer does, so its connlist outputs can serve as ground truth. Workloads
// with identical namespace, labels and container ports are evaluated once (an equivalence
// class), so thousands of replicas cost no more than one.
//
// Semantics (kubernetes.io/docs/concepts/services-networking/network-policies):
// - a pod is isolated for ingress (egress) when a policy in its namespace selects it and the
//   policy's types include Ingress (Egress); policyTypes defaults to Ingress, plus Egress when
//   the policy has egress rules;
// - allowed connections are the union over the selecting policies' rules; a connection needs
//   both the source's egress and the destination's ingress;
// - a peer with podSelector alone means the policy's namespace; namespaceSelector matches the
//   namespace labels (with the implicit kubernetes.io/metadata.name); ipBlock (cidr minus
//   except) matches addresses outside the cluster only;
// - ports: numbers, names (resolved against the destination's container ports), endPort
//   ranges, TCP by default; no ports means every port of every protocol.
#pragma once

#include "config/k8s/objects.hpp"
#include "core/diagnostics.hpp"
#include "core/model.hpp"
#include "util/error.hpp"

#include <yaml-cpp/yaml.h>

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace bulwark::config::k8s::netpol {

// One manifest object as the engine sees it.
using Item = k8s::Object;

enum class Protocol { sctp = 0, tcp = 1, udp = 2 };  // output order (alphabetical, as netpol-analyzer)
[[nodiscard]] std::string_view to_string(Protocol p) noexcept;
[[nodiscard]] std::optional<Protocol> parse_protocol(std::string_view s) noexcept;

constexpr int kMinPort = 1;
constexpr int kMaxPort = 65535;

// A set of ports as sorted, disjoint, non-adjacent closed ranges.
class PortSet {
 public:
  static PortSet all() {
    PortSet s;
    s.ranges_.emplace_back(kMinPort, kMaxPort);
    return s;
  }
  void add(int lo, int hi);
  void add(const PortSet& other);
  [[nodiscard]] PortSet intersect(const PortSet& other) const;
  [[nodiscard]] bool empty() const noexcept { return ranges_.empty(); }
  [[nodiscard]] bool is_all() const noexcept;
  [[nodiscard]] bool contains(int port) const noexcept;
  [[nodiscard]] const std::vector<std::pair<int, int>>& ranges() const noexcept { return ranges_; }
  [[nodiscard]] std::string to_string() const;  // "80,8080-8090"
  bool operator==(const PortSet&) const = default;

 private:
  std::vector<std::pair<int, int>> ranges_;
};

// Allowed connections: a port set per protocol.
struct ConnSet {
  std::array<PortSet, 3> ports;
  static ConnSet all() { return ConnSet{{PortSet::all(), PortSet::all(), PortSet::all()}}; }
  void add(const ConnSet& o);
  void add(Protocol p, int lo, int hi) { ports[static_cast<int>(p)].add(lo, hi); }
  [[nodiscard]] ConnSet intersect(const ConnSet& o) const;
  [[nodiscard]] bool empty() const noexcept;
  [[nodiscard]] bool is_all() const noexcept;
  [[nodiscard]] bool allows(Protocol p, int port) const noexcept { return ports[static_cast<int>(p)].contains(port); }
  // "All Connections", "TCP 80,UDP 53", "No Connections" (the netpol-analyzer spelling).
  [[nodiscard]] std::string to_string() const;
  bool operator==(const ConnSet&) const = default;
};

using Labels = std::map<std::string, std::string>;

struct SelectorExpr {
  std::string key;
  std::string op;  // In, NotIn, Exists, DoesNotExist
  std::vector<std::string> values;
};

// A metav1.LabelSelector. An empty selector matches everything.
struct Selector {
  std::vector<std::pair<std::string, std::string>> match_labels;
  std::vector<SelectorExpr> match_expressions;
  [[nodiscard]] bool matches(const Labels& labels) const;
  [[nodiscard]] bool empty() const noexcept { return match_labels.empty() && match_expressions.empty(); }
};

struct IpRange {
  std::uint32_t lo = 0;
  std::uint32_t hi = 0;
  bool operator==(const IpRange&) const = default;
};
[[nodiscard]] std::string to_string(const IpRange& r);  // "10.0.0.0-10.255.255.255"

struct RulePort {
  Protocol protocol = Protocol::tcp;
  bool any_port = false;  // protocol given, no port
  int port = 0;
  int end_port = 0;
  std::string named;  // a named port, resolved against the destination
};

struct Peer {
  enum class Type { pods, ip_block } type = Type::pods;
  std::optional<Selector> pod_selector;
  std::optional<Selector> namespace_selector;
  std::vector<IpRange> ranges;  // ip_block: cidr minus except (IPv4 only)
  std::string cidr;             // ip_block: as written
  bool has_except = false;
  core::Location location;
};

struct Rule {
  bool any_peer = true;  // no from/to: every source or destination
  std::vector<Peer> peers;
  bool any_port = true;  // no ports
  std::vector<RulePort> ports;
  core::Location location;
};

struct Policy {
  std::string namespace_;
  std::string name;
  Selector pod_selector;
  bool ingress_type = true;
  bool egress_type = false;
  std::vector<Rule> ingress;
  std::vector<Rule> egress;
  core::Location location;
  int object = -1;  // index of the NetworkPolicy in the input objects
  // The policy has no rule in a type it sets: it denies all of that direction.
  [[nodiscard]] bool default_deny_ingress() const noexcept { return ingress_type && ingress.empty(); }
  [[nodiscard]] bool default_deny_egress() const noexcept { return egress_type && egress.empty(); }
};

struct ContainerPort {
  std::string name;
  int port = 0;
  Protocol protocol = Protocol::tcp;
};

// A workload: the pods of one controller (or one bare Pod).
struct Workload {
  std::string namespace_;
  std::string name;
  std::string kind;  // Deployment, ReplicaSet, Pod, ...
  Labels labels;
  std::vector<ContainerPort> ports;
  core::Location location;
  int object = -1;  // index of the first object (Pod or controller) in the input
  int cls = -1;     // equivalence class index
  [[nodiscard]] std::string display() const { return namespace_ + "/" + name + "[" + kind + "]"; }
};

struct Model {
  std::vector<Workload> workloads;
  std::map<std::string, Labels> namespaces;                   // every namespace mentioned, with its labels
  std::map<std::string, core::Location> namespace_locations;  // Namespace objects in the input
  std::vector<Policy> policies;
  std::vector<IpRange> ingress_blocks;  // disjoint external ranges as sources
  std::vector<IpRange> egress_blocks;   // disjoint external ranges as destinations
  std::vector<int> class_rep;           // class index -> a workload index
};

enum class BuildMode {
  strict,   // the first invalid policy fails the build (netpol-analyzer treats them as fatal)
  lenient,  // an invalid policy becomes an error diagnostic (file:line) and is left out
};

// Builds the model. In strict mode invalid policies are errors (file:line) in the Result:
// skipping one would report more reachability than the cluster allows.
[[nodiscard]] Result<Model> build_model(const std::vector<Item>& items, core::Diagnostics& diags,
                                        BuildMode mode = BuildMode::strict);

// Connections allowed between two endpoints. An endpoint is a workload index or an external range.
struct Endpoint {
  int workload = -1;  // >= 0: a workload
  IpRange range;      // otherwise an external range (an element of the model's blocks)
  [[nodiscard]] bool is_ip() const noexcept { return workload < 0; }
};

class Evaluator {
 public:
  explicit Evaluator(const Model& model);
  [[nodiscard]] ConnSet allowed(const Endpoint& src, const Endpoint& dst) const;
  // The direction-specific halves (for findings).
  [[nodiscard]] bool ingress_isolated(int workload) const;
  [[nodiscard]] bool egress_isolated(int workload) const;
  [[nodiscard]] const Model& model() const noexcept { return model_; }

 private:
  [[nodiscard]] ConnSet egress_allowed(int src, const Endpoint& dst) const;
  [[nodiscard]] ConnSet ingress_allowed(const Endpoint& src, int dst) const;
  [[nodiscard]] bool peer_matches(const Policy& policy, const Peer& peer, const Endpoint& other) const;
  [[nodiscard]] ConnSet rule_ports(const Rule& rule, const Endpoint& dst) const;

  const Model& model_;
  std::vector<std::vector<int>> ingress_policies_;  // per class: policies selecting it for ingress
  std::vector<std::vector<int>> egress_policies_;
};

struct Connection {
  std::string src;
  std::string dst;
  ConnSet conns;
};

struct MatrixOptions {
  std::vector<std::string> focus_workloads;  // name or ns/name; empty = all
};

// Every allowed connection between different endpoints, sorted by (src, dst), like netpol-analyzer.
[[nodiscard]] std::vector<Connection> connectivity(const Model& model, const MatrixOptions& options = {});

enum class MatrixFormat { txt, json, csv, md, dot };
[[nodiscard]] std::optional<MatrixFormat> parse_matrix_format(std::string_view s) noexcept;
[[nodiscard]] std::string format_matrix(const std::vector<Connection>& conns, MatrixFormat format);

}  // namespace bulwark::config::k8s::netpol
