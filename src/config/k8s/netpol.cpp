// NetworkPolicy checks over all input objects together (checks/netpol.yaml): workloads no
// policy selects, namespaces without default-deny, egress/ingress open to any address, DNS
// blocked by egress isolation, policies that select nothing. Invalid policies become error
// diagnostics naming file:line and are left out; the rest is still checked.
#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "config/analyzers.hpp"
#include "config/checks.hpp"
#include "config/k8s/netpol_engine.hpp"

namespace bulwark::config::k8s {

namespace {

using netpol::Protocol;

bool opens_to_any(const netpol::Peer& p) {
  return p.type == netpol::Peer::Type::ip_block && !p.has_except && (p.cidr == "0.0.0.0/0" || p.cidr == "::/0");
}

// A rule that lets port 53 through (by number, range, protocol-wide, all ports, or a "dns" named port).
bool allows_dns(const netpol::Rule& r) {
  if (r.any_port) return true;
  return std::any_of(r.ports.begin(), r.ports.end(), [](const netpol::RulePort& p) {
    if (p.protocol == Protocol::sctp) return false;
    if (p.any_port) return true;
    if (!p.named.empty()) return p.named.find("dns") != std::string::npos;
    return p.port <= 53 && p.end_port >= 53;
  });
}

core::Target namespace_target(const std::string& ns, const core::Location& loc) {
  return core::Target{core::TargetKind::file, loc.path + "#Namespace/" + ns, {}};
}

}  // namespace

std::vector<core::Finding> analyze_netpol(const std::vector<Object>& objects, const AnalyzeOptions& /*options*/,
                                          core::Diagnostics& diags, std::optional<netpol::Graph>* graph) {
  std::vector<core::Finding> out;
  auto model = netpol::build_model(objects, diags, netpol::BuildMode::lenient);
  if (!model) {  // lenient mode reports problems as diagnostics; this is only a safety net
    diags.add({core::DiagnosticLevel::error, "netpol", model.error().context, 0, 0, {}, model.error().message});
    return out;
  }
  const auto& m = *model;
  if (graph != nullptr && (!m.workloads.empty() || !m.policies.empty())) {
    // The graph has an edge per allowed pair: quadratic in the workloads (300 unisolated pods make
    // 70,000 edges, 34 MB of JSON). Past the limit it is left out; `netpol matrix` still lists them.
    if (m.workloads.size() > netpol::kMaxGraphWorkloads) {
      diags.add({core::DiagnosticLevel::warning,
                 "netpol",
                 {},
                 0,
                 0,
                 {},
                 fmt::format("reachability graph left out of the report: {} workloads, more than {} (use bulwark "
                             "netpol matrix)",
                             m.workloads.size(), netpol::kMaxGraphWorkloads)});
    } else {
      *graph = netpol::reachability_graph(m);
    }
  }
  netpol::Evaluator ev(m);
  auto target_for = [&](int object, const core::Location& loc) {
    if (object >= 0 && static_cast<std::size_t>(object) < objects.size())
      return target_of(objects[static_cast<std::size_t>(object)]);
    return core::Target{core::TargetKind::file, loc.path, {}};
  };

  // BW-NETPOL-001 and -006, per workload.
  const auto& unselected = builtin_check("BW-NETPOL-001");
  const auto& dns = builtin_check("BW-NETPOL-006");
  for (std::size_t i = 0; i < m.workloads.size(); ++i) {
    const auto& w = m.workloads[i];
    const int wi = static_cast<int>(i);
    const bool in = ev.ingress_isolated(wi), eg = ev.egress_isolated(wi);
    if (!in && !eg) {
      out.push_back(
          make_finding(unselected, target_for(w.object, w.location), w.location,
                       fmt::format(
                           "{}: no NetworkPolicy in namespace {} selects labels {{{}}}; {}", w.display(), w.namespace_,
                           [&] {
                             std::string s;
                             for (const auto& [k, v] : w.labels) s += (s.empty() ? "" : ", ") + k + ": " + v;
                             return s;
                           }(),
                           m.admin_policies.empty() && !m.baseline
                               ? "all ingress and egress is allowed"
                               : "only cluster-wide (Baseline)AdminNetworkPolicies restrict its traffic")));
    }
    if (eg) {
      bool ok = false;
      std::vector<std::string> names;
      for (const auto& p : m.policies) {
        if (!p.egress_type || p.namespace_ != w.namespace_ || !p.pod_selector.matches(w.labels)) continue;
        names.push_back(p.name);
        for (const auto& r : p.egress) ok = ok || allows_dns(r);
      }
      if (!ok) {
        std::string list;
        for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
        out.push_back(make_finding(
            dns, target_for(w.object, w.location), w.location,
            fmt::format("{} is isolated for egress by {} and no egress rule allows port 53", w.display(), list)));
      }
    }
  }

  // BW-NETPOL-002/003, per namespace that has workloads or a Namespace object.
  std::map<std::string, core::Location> namespaces;
  std::map<std::string, int> ns_object;
  for (const auto& [ns, loc] : m.namespace_locations) namespaces[ns] = loc;
  for (std::size_t i = 0; i < objects.size(); ++i)
    if (objects[i].kind == "Namespace") ns_object[objects[i].name] = static_cast<int>(i);
  for (const auto& w : m.workloads) namespaces.try_emplace(w.namespace_, w.location);
  const auto& no_deny_in = builtin_check("BW-NETPOL-002");
  const auto& no_deny_out = builtin_check("BW-NETPOL-003");
  for (const auto& [ns, loc] : namespaces) {
    bool deny_in = false, deny_out = false;
    for (const auto& p : m.policies) {
      if (p.namespace_ != ns || !p.pod_selector.empty()) continue;
      deny_in = deny_in || p.ingress_type;
      deny_out = deny_out || p.egress_type;
    }
    auto it = ns_object.find(ns);
    auto target =
        it != ns_object.end() ? target_of(objects[static_cast<std::size_t>(it->second)]) : namespace_target(ns, loc);
    if (!deny_in)
      out.push_back(make_finding(no_deny_in, target, loc,
                                 fmt::format("namespace {}: no NetworkPolicy with podSelector {{}} isolates its pods "
                                             "for Ingress",
                                             ns)));
    if (!deny_out)
      out.push_back(make_finding(no_deny_out, target, loc,
                                 fmt::format("namespace {}: no NetworkPolicy with podSelector {{}} isolates its pods "
                                             "for Egress",
                                             ns)));
  }

  // BW-NETPOL-004/005/007, per policy.
  const auto& any_out = builtin_check("BW-NETPOL-004");
  const auto& any_in = builtin_check("BW-NETPOL-005");
  const auto& selects_none = builtin_check("BW-NETPOL-007");
  for (const auto& p : m.policies) {
    auto target = target_for(p.object, p.location);
    for (std::size_t r = 0; r < p.egress.size(); ++r)
      for (const auto& peer : p.egress[r].peers)
        if (p.egress_type && opens_to_any(peer))
          out.push_back(make_finding(
              any_out, target, peer.location,
              fmt::format("NetworkPolicy {}/{} egress rule #{} allows ipBlock {} ({})", p.namespace_, p.name, r + 1,
                          peer.cidr, p.egress[r].any_port ? "all ports" : "selected ports")));
    for (std::size_t r = 0; r < p.ingress.size(); ++r)
      for (const auto& peer : p.ingress[r].peers)
        if (p.ingress_type && opens_to_any(peer))
          out.push_back(make_finding(
              any_in, target, peer.location,
              fmt::format("NetworkPolicy {}/{} ingress rule #{} allows ipBlock {} ({})", p.namespace_, p.name, r + 1,
                          peer.cidr, p.ingress[r].any_port ? "all ports" : "selected ports")));
    bool ns_has_workloads = false, selects = false;
    for (const auto& w : m.workloads) {
      if (w.namespace_ != p.namespace_) continue;
      ns_has_workloads = true;
      if (p.pod_selector.matches(w.labels)) {
        selects = true;
        break;
      }
    }
    if (ns_has_workloads && !selects)
      out.push_back(make_finding(selects_none, target, p.location,
                                 fmt::format("NetworkPolicy {}/{}: its podSelector matches none of the workloads of "
                                             "namespace {} in the input",
                                             p.namespace_, p.name, p.namespace_)));
  }
  return out;
}

}  // namespace bulwark::config::k8s
