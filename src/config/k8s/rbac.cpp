// RBAC checks over all input objects together (checks/rbac.yaml): risky rights in Roles and
// ClusterRoles (aggregated ClusterRoles resolved), risky bindings (anonymous, all authenticated,
// system:masters, cluster-admin, default service accounts), subjects with a path to
// cluster-admin-equivalent power, and containers that can use the token of a risky service
// account (KubiScan's risky containers).
#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "config/analyzers.hpp"
#include "config/checks.hpp"
#include "config/k8s/rbac_analysis.hpp"
#include "config/k8s/rbac_model.hpp"

namespace bulwark::config::k8s {

namespace {

using rbac::Subject;

YAML::Node child(const YAML::Node& n, const char* key) {
  if (!n || !n.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  return n[key];
}

std::string scalar(const YAML::Node& n) {
  return n && n.IsScalar() ? n.Scalar() : std::string{};
}

}  // namespace

namespace rbac {

bool risky_subject(const Model& m, const Subject& s, const std::map<Subject, Escalation>& esc,
                   std::vector<std::string>* why) {
  bool risky = false;
  if (auto it = esc.find(s); it != esc.end() && it->second.admin_equivalent) {
    risky = true;
    if (why) why->push_back("cluster-admin equivalent");
  }
  for (const auto& h : held_rights(m, s)) {
    const auto* def = CheckCatalog::builtin().find(h.right->check_id);
    if (def && def->severity >= core::Severity::high) {
      risky = true;
      if (why) why->push_back(std::string(h.right->summary) + (h.namespace_.empty() ? "" : " in " + h.namespace_));
    }
  }
  return risky;
}

std::vector<ContainerToken> container_tokens(const Model& m, const Object& o) {
  std::vector<ContainerToken> out;
  auto t = pod_template(o);
  if (!t) return out;
  const std::string ns = o.namespace_.empty() ? "default" : o.namespace_;
  std::string sa = scalar(child(t->spec, "serviceAccountName"));
  if (sa.empty()) sa = scalar(child(t->spec, "serviceAccount"));
  if (sa.empty()) sa = "default";
  bool automount = true;
  if (auto it = m.sa_automount.find(ns + "/" + sa); it != m.sa_automount.end()) automount = it->second;
  auto am = child(t->spec, "automountServiceAccountToken");
  if (am && am.IsScalar()) automount = am.Scalar() == "true";

  // Volumes that carry a token: a service-account-token Secret, or a projected serviceAccountToken.
  std::map<std::string, std::pair<std::string, std::string>> token_volumes;  // volume -> (sa, source)
  auto volumes = child(t->spec, "volumes");
  if (volumes && volumes.IsSequence())
    for (const auto& v : volumes) {
      auto name = scalar(child(v, "name"));
      auto secret = scalar(child(child(v, "secret"), "secretName"));
      if (!secret.empty()) {
        if (auto it = m.token_secrets.find(ns + "/" + secret); it != m.token_secrets.end())
          token_volumes[name] = {it->second, "secret " + secret};
      }
      auto sources = child(child(v, "projected"), "sources");
      if (sources && sources.IsSequence())
        for (const auto& src : sources)
          if (child(src, "serviceAccountToken")) token_volumes[name] = {sa, "projected serviceAccountToken"};
    }
  static constexpr std::string_view kTokenPath = "/var/run/secrets/kubernetes.io/serviceaccount";
  for (const char* list : {"initContainers", "containers"}) {
    auto cs = child(t->spec, list);
    if (!cs || !cs.IsSequence()) continue;
    for (const auto& c : cs) {
      ContainerToken ct;
      ct.container = scalar(child(c, "name"));
      ct.location = location_of(c, o.location.path);
      bool shadowed = false;
      auto mounts = child(c, "volumeMounts");
      if (mounts && mounts.IsSequence())
        for (const auto& mnt : mounts) {
          auto path = scalar(child(mnt, "mountPath"));
          while (path.size() > 1 && path.back() == '/') path.pop_back();
          if (path == kTokenPath) shadowed = true;
          auto it = token_volumes.find(scalar(child(mnt, "name")));
          if (it != token_volumes.end())
            ct.tokens.push_back({Subject{"ServiceAccount", it->second.first, ns}, it->second.second + " at " + path});
        }
      if (automount && !shadowed)
        ct.tokens.insert(ct.tokens.begin(), {Subject{"ServiceAccount", sa, ns}, "automounted token"});
      out.push_back(std::move(ct));
    }
  }
  return out;
}

}  // namespace rbac

std::vector<core::Finding> analyze_rbac(const std::vector<Object>& objects, const AnalyzeOptions& /*options*/,
                                        core::Diagnostics& diags) {
  std::vector<core::Finding> out;
  const auto m = rbac::build_model(objects, diags);
  auto target_for = [&](int object, const core::Location& loc) {
    if (object >= 0 && static_cast<std::size_t>(object) < objects.size())
      return target_of(objects[static_cast<std::size_t>(object)]);
    return core::Target{core::TargetKind::file, loc.path, {}};
  };

  // Risky rights in roles.
  for (const auto& role : m.roles) {
    if (role.builtin) continue;
    for (const auto& right : rbac::risky_rights()) {
      auto idx = rbac::rules_giving(role.rules, right);
      if (idx.empty()) continue;
      if (right.check_id == "BW-RBAC-016") {
        // Without resourceNames, any configmap: the aws-auth risk is for kube-system and cluster-wide roles.
        bool named = std::any_of(idx.begin(), idx.end(), [&](int i) {
          return !role.rules[static_cast<std::size_t>(i)].resource_names.empty();
        });
        if (!named && role.kind == "Role" && role.namespace_ != "kube-system") continue;
      }
      const auto& rule = role.rules[static_cast<std::size_t>(idx.front())];
      std::string evidence = fmt::format("{} can {}: {}", role.display(), right.summary, rule.describe());
      if (idx.size() > 1) evidence += fmt::format(" (and {} more rules)", idx.size() - 1);
      if (role.aggregated) evidence += " [aggregated ClusterRole]";
      out.push_back(make_finding(builtin_check(right.check_id), target_for(role.object, role.location),
                                 rule.location.line > 0 ? rule.location : role.location, std::move(evidence)));
    }
  }

  // Risky bindings.
  for (const auto& b : m.bindings) {
    auto target = target_for(b.object, b.location);
    const std::string role = b.role_kind + "/" + b.role_name;
    for (std::size_t i = 0; i < b.subjects.size(); ++i) {
      const auto& s = b.subjects[i];
      const auto& loc = b.subject_locations[i];
      if ((s.kind == "User" && s.name == "system:anonymous") ||
          (s.kind == "Group" && s.name == "system:unauthenticated"))
        out.push_back(make_finding(builtin_check("BW-RBAC-020"), target, loc,
                                   fmt::format("{} grants {} to {} {}", b.display(), role, s.kind, s.name)));
      if (s.kind == "Group" && (s.name == "system:authenticated" || s.name == "system:serviceaccounts"))
        out.push_back(make_finding(builtin_check("BW-RBAC-021"), target, loc,
                                   fmt::format("{} grants {} to every member of group {}", b.display(), role, s.name)));
      if (s.kind == "Group" && s.name == "system:masters")
        out.push_back(make_finding(builtin_check("BW-RBAC-022"), target, loc,
                                   fmt::format("{} binds {} to group system:masters", b.display(), role)));
      if (s.kind == "ServiceAccount" && s.name == "default" && !b.bootstrap_default)
        out.push_back(
            make_finding(builtin_check("BW-RBAC-024"), target, loc,
                         fmt::format("{} grants {} to service account {}/default", b.display(), role, s.namespace_)));
    }
    if (b.role_name == "cluster-admin")
      out.push_back(make_finding(builtin_check("BW-RBAC-023"), target, b.location,
                                 fmt::format("{} binds {} to {} subject(s)", b.display(), role, b.subjects.size())));
  }

  // Subjects with a path to cluster-admin-equivalent power.
  const auto esc = rbac::escalations(m);
  for (const auto& [s, e] : esc) {
    if (!e.admin_equivalent) continue;
    // Report at the first binding that names the subject (or one of its groups).
    const rbac::Binding* at = nullptr;
    auto grants = rbac::grants_of(m, s);
    if (!grants.empty()) at = &m.bindings[static_cast<std::size_t>(grants.front().binding)];
    if (!at) continue;
    std::string path;
    for (const auto& step : e.path) path += (path.empty() ? "" : " => ") + step;
    out.push_back(make_finding(builtin_check("BW-RBAC-030"), target_for(at->object, at->location), at->location,
                               fmt::format("{} is cluster-admin equivalent: {}", s.key(), path)));
  }

  // Containers holding the token of a risky service account.
  for (const auto& o : objects) {
    if (!is_workload_kind(o.kind)) continue;
    for (const auto& ct : rbac::container_tokens(m, o)) {
      for (const auto& [sa, source] : ct.tokens) {
        std::vector<std::string> why;
        if (!rbac::risky_subject(m, sa, esc, &why)) continue;
        std::string reasons;
        for (const auto& w : why) reasons += (reasons.empty() ? "" : "; ") + w;
        out.push_back(make_finding(builtin_check("BW-RBAC-031"), target_of(o), ct.location,
                                   fmt::format("container {} of {} {} holds the token of {} ({}): {}", ct.container,
                                               o.kind, o.name, sa.key(), source, reasons)));
        break;
      }
    }
  }
  return out;
}

}  // namespace bulwark::config::k8s
