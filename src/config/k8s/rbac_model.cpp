#include "config/k8s/rbac_model.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <deque>

#include "config/yaml.hpp"

namespace bulwark::config::k8s::rbac {

namespace {

YAML::Node child(const YAML::Node& n, const char* key) {
  if (!n || !n.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  return n[key];
}

std::string scalar(const YAML::Node& n) {
  return n && n.IsScalar() ? n.Scalar() : std::string{};
}

std::vector<std::string> strings(const YAML::Node& n) {
  std::vector<std::string> out;
  if (!n) return out;
  if (n.IsScalar()) {
    out.push_back(n.Scalar());
    return out;
  }
  if (!n.IsSequence()) return out;
  for (const auto& x : n)
    if (x.IsScalar()) out.push_back(x.Scalar());
  return out;
}

bool contains(const std::vector<std::string>& v, std::string_view x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + (s.empty() ? std::string("\"\"") : s);
  return out;
}

using Labels = std::map<std::string, std::string>;

// A metav1.LabelSelector (matchLabels and matchExpressions) against labels.
bool selector_matches(const YAML::Node& sel, const Labels& labels) {
  if (!sel || !sel.IsMap()) return false;
  auto ml = child(sel, "matchLabels");
  if (ml && ml.IsMap())
    for (const auto& kv : ml) {
      auto it = labels.find(scalar(kv.first));
      if (it == labels.end() || it->second != scalar(kv.second)) return false;
    }
  auto me = child(sel, "matchExpressions");
  if (me && me.IsSequence())
    for (const auto& e : me) {
      auto key = scalar(child(e, "key"));
      auto op = scalar(child(e, "operator"));
      auto values = strings(child(e, "values"));
      auto it = labels.find(key);
      bool has = it != labels.end();
      bool in = has && contains(values, it->second);
      if ((op == "In" && !in) || (op == "NotIn" && in) || (op == "Exists" && !has) || (op == "DoesNotExist" && has))
        return false;
    }
  return true;
}

PolicyRule parse_rule(const YAML::Node& n, std::string_view path) {
  PolicyRule r;
  r.verbs = strings(child(n, "verbs"));
  r.api_groups = strings(child(n, "apiGroups"));
  r.resources = strings(child(n, "resources"));
  r.resource_names = strings(child(n, "resourceNames"));
  r.non_resource_urls = strings(child(n, "nonResourceURLs"));
  r.location = location_of(n, path);
  return r;
}

const std::vector<std::string_view> kWrite{"create", "update", "patch"};
const std::vector<std::string_view> kWriteDelete{"create", "update", "patch", "delete"};
const std::vector<std::string_view> kCore{""};
const std::vector<std::string_view> kApps{"apps", "extensions"};
const std::vector<std::string_view> kRbacGroup{"rbac.authorization.k8s.io"};

}  // namespace

std::string PolicyRule::describe() const {
  if (!non_resource_urls.empty())
    return fmt::format("verbs=[{}] nonResourceURLs=[{}]", join(verbs), join(non_resource_urls));
  std::string out =
      fmt::format("verbs=[{}] apiGroups=[{}] resources=[{}]", join(verbs), join(api_groups), join(resources));
  if (!resource_names.empty()) out += fmt::format(" resourceNames=[{}]", join(resource_names));
  return out;
}

bool rule_allows(const PolicyRule& rule, std::string_view verb, std::string_view group, std::string_view resource,
                 std::string_view name) {
  if (!contains(rule.verbs, verb) && !contains(rule.verbs, "*")) return false;
  if (group != "*" && !contains(rule.api_groups, group) && !contains(rule.api_groups, "*")) return false;
  if (group == "*" && rule.api_groups.empty()) return false;
  bool res = contains(rule.resources, resource) || contains(rule.resources, "*");
  if (!res) {
    auto slash = resource.find('/');
    if (slash != std::string_view::npos)
      res = contains(rule.resources, std::string("*") + std::string(resource.substr(slash)));
  }
  if (!res) return false;
  if (!rule.resource_names.empty()) return !name.empty() && contains(rule.resource_names, name);
  return true;
}

std::string Subject::key() const {
  if (kind == "ServiceAccount") return "ServiceAccount:" + namespace_ + "/" + name;
  return kind + ":" + name;
}

Model build_model(const std::vector<Object>& objects, core::Diagnostics& diags) {
  Model m;
  std::vector<YAML::Node> aggregation;    // per role: the aggregationRule's selectors
  std::map<std::string, int> role_index;  // "ClusterRole/name" or "Role/ns/name"
  for (std::size_t i = 0; i < objects.size(); ++i) {
    const auto& o = objects[i];
    try {
      if (o.kind == "Role" || o.kind == "ClusterRole") {
        Role r;
        r.kind = o.kind;
        r.name = o.name;
        if (o.kind == "Role") r.namespace_ = o.namespace_.empty() ? "default" : o.namespace_;
        auto labels = child(child(o.node, "metadata"), "labels");
        if (labels && labels.IsMap())
          for (const auto& kv : labels) r.labels[scalar(kv.first)] = scalar(kv.second);
        auto rules = child(o.node, "rules");
        if (rules && rules.IsSequence())
          for (const auto& rn : rules) r.rules.push_back(parse_rule(rn, o.location.path));
        r.location = o.location;
        r.object = static_cast<int>(i);
        auto agg = child(child(o.node, "aggregationRule"), "clusterRoleSelectors");
        if (o.kind == "ClusterRole" && agg && agg.IsSequence()) r.aggregated = true;
        role_index[r.display()] = static_cast<int>(m.roles.size());
        aggregation.push_back(r.aggregated ? agg : YAML::Node());
        m.roles.push_back(std::move(r));
      } else if (o.kind == "RoleBinding" || o.kind == "ClusterRoleBinding") {
        Binding b;
        b.kind = o.kind;
        b.name = o.name;
        if (o.kind == "RoleBinding") b.namespace_ = o.namespace_.empty() ? "default" : o.namespace_;
        b.bootstrap_default =
            scalar(child(child(child(o.node, "metadata"), "labels"), "kubernetes.io/bootstrapping")) == "rbac-defaults";
        auto ref = child(o.node, "roleRef");
        b.role_kind = scalar(child(ref, "kind"));
        b.role_name = scalar(child(ref, "name"));
        auto subjects = child(o.node, "subjects");
        if (subjects && subjects.IsMap()) {  // tolerate a single subject written as a map
          YAML::Node seq(YAML::NodeType::Sequence);
          seq.push_back(subjects);
          subjects = seq;
        }
        if (subjects && subjects.IsSequence())
          for (const auto& sn : subjects) {
            Subject s;
            s.kind = scalar(child(sn, "kind"));
            s.name = scalar(child(sn, "name"));
            if (s.kind == "ServiceAccount") {
              s.namespace_ = scalar(child(sn, "namespace"));
              if (s.namespace_.empty()) s.namespace_ = b.namespace_.empty() ? "default" : b.namespace_;
            }
            if (s.kind.empty() || s.name.empty()) continue;
            b.subjects.push_back(s);
            b.subject_locations.push_back(location_of(sn, o.location.path));
            m.subjects.insert(s);
          }
        b.location = o.location;
        b.object = static_cast<int>(i);
        m.bindings.push_back(std::move(b));
      } else if (o.kind == "ServiceAccount") {
        Subject s{"ServiceAccount", o.name, o.namespace_.empty() ? "default" : o.namespace_};
        m.subjects.insert(s);
        auto am = child(o.node, "automountServiceAccountToken");
        if (am && am.IsScalar()) m.sa_automount[s.namespace_ + "/" + s.name] = am.Scalar() == "true";
      } else if (o.kind == "Secret") {
        if (scalar(child(o.node, "type")) == "kubernetes.io/service-account-token") {
          auto sa =
              scalar(child(child(child(o.node, "metadata"), "annotations"), "kubernetes.io/service-account.name"));
          if (!sa.empty()) m.token_secrets[(o.namespace_.empty() ? "default" : o.namespace_) + "/" + o.name] = sa;
        }
      } else if (is_workload_kind(o.kind)) {
        if (auto t = pod_template(o)) {
          std::string sa = scalar(child(t->spec, "serviceAccountName"));
          if (sa.empty()) sa = scalar(child(t->spec, "serviceAccount"));
          if (sa.empty()) sa = "default";
          m.subjects.insert(Subject{"ServiceAccount", sa, o.namespace_.empty() ? "default" : o.namespace_});
        }
      }
    } catch (const YAML::Exception& e) {
      diags.add({core::DiagnosticLevel::error, "rbac-model", o.location.path, o.location.line, o.location.column,
                 o.kind + "/" + o.name, e.what()});
    }
  }

  // Aggregated ClusterRoles: the rules of every ClusterRole their selectors match, transitively.
  const std::size_t own_count = m.roles.size();
  std::vector<std::vector<PolicyRule>> own(own_count);
  for (std::size_t i = 0; i < own_count; ++i) own[i] = m.roles[i].rules;
  for (std::size_t i = 0; i < own_count; ++i) {
    if (!m.roles[i].aggregated) continue;
    std::set<std::size_t> seen{i};
    std::deque<std::size_t> queue{i};
    while (!queue.empty()) {
      auto cur = queue.front();
      queue.pop_front();
      if (!aggregation[cur] || !aggregation[cur].IsSequence()) continue;
      for (std::size_t j = 0; j < own_count; ++j) {
        if (seen.contains(j) || m.roles[j].kind != "ClusterRole") continue;
        bool match = false;
        for (const auto& sel : aggregation[cur]) match = match || selector_matches(sel, m.roles[j].labels);
        if (!match) continue;
        seen.insert(j);
        queue.push_back(j);
        m.roles[i].aggregated_from.push_back(m.roles[j].name);
        m.roles[i].rules.insert(m.roles[i].rules.end(), own[j].begin(), own[j].end());
      }
    }
  }

  // Resolve role references; cluster-admin is assumed when referenced and not in the input.
  for (auto& b : m.bindings) {
    std::string key = b.role_kind == "Role" ? "Role/" + b.namespace_ + "/" + b.role_name : "ClusterRole/" + b.role_name;
    auto it = role_index.find(key);
    if (it == role_index.end() && b.role_kind == "ClusterRole" && b.role_name == "cluster-admin") {
      Role r;
      r.kind = "ClusterRole";
      r.name = "cluster-admin";
      r.builtin = true;
      r.rules.push_back(PolicyRule{{"*"}, {"*"}, {"*"}, {}, {}, {}});
      r.rules.push_back(PolicyRule{{"*"}, {}, {}, {}, {"*"}, {}});
      role_index[key] = static_cast<int>(m.roles.size());
      m.roles.push_back(std::move(r));
      it = role_index.find(key);
    }
    if (it != role_index.end()) b.role = it->second;
  }
  return m;
}

std::vector<Subject> implicit_groups(const Subject& s) {
  std::vector<Subject> out;
  if (s.kind == "ServiceAccount") {
    out.push_back({"Group", "system:serviceaccounts", ""});
    out.push_back({"Group", "system:serviceaccounts:" + s.namespace_, ""});
    out.push_back({"Group", "system:authenticated", ""});
  } else if (s.kind == "User") {
    if (s.name == "system:anonymous")
      out.push_back({"Group", "system:unauthenticated", ""});
    else
      out.push_back({"Group", "system:authenticated", ""});
  }
  return out;
}

std::vector<Grant> grants_of(const Model& m, const Subject& s) {
  std::vector<Subject> as = implicit_groups(s);
  as.insert(as.begin(), s);
  std::vector<Grant> out;
  for (std::size_t bi = 0; bi < m.bindings.size(); ++bi) {
    const auto& b = m.bindings[bi];
    if (b.role < 0) continue;
    for (const auto& bs : b.subjects) {
      if (std::find(as.begin(), as.end(), bs) == as.end()) continue;
      const auto& role = m.roles[static_cast<std::size_t>(b.role)];
      for (std::size_t ri = 0; ri < role.rules.size(); ++ri)
        out.push_back(Grant{static_cast<int>(bi), b.role, static_cast<int>(ri), b.namespace_, bs});
      break;
    }
  }
  return out;
}

const std::vector<RiskyRight>& risky_rights() {
  static const std::vector<RiskyRight> rights = [] {
    std::vector<RiskyRight> r;
    r.push_back({"BW-RBAC-001", "any verb on all resources (wildcard)", {}, true});
    r.push_back({"BW-RBAC-002", "read secrets", {{{"get", "list", "watch"}, kCore, {"secrets"}, {}}}});
    r.push_back({"BW-RBAC-003", "create or modify secrets", {{kWrite, kCore, {"secrets"}, {}}}});
    r.push_back(
        {"BW-RBAC-004", "exec or attach into pods", {{{"create", "get"}, kCore, {"pods/exec", "pods/attach"}, {}}}});
    r.push_back({"BW-RBAC-005",
                 "create or modify pods or workload controllers",
                 {{kWrite,
                   {"", "apps", "extensions", "batch"},
                   {"pods", "deployments", "daemonsets", "statefulsets", "replicasets", "replicationcontrollers",
                    "jobs", "cronjobs"},
                   {}}}});
    r.push_back(
        {"BW-RBAC-006", "escalate or bind roles", {{{"escalate", "bind"}, kRbacGroup, {"roles", "clusterroles"}, {}}}});
    r.push_back({"BW-RBAC-007",
                 "create or modify role bindings",
                 {{kWrite, kRbacGroup, {"rolebindings", "clusterrolebindings"}, {}}}});
    r.push_back({"BW-RBAC-008",
                 "impersonate users, groups or service accounts",
                 {{{"impersonate"},
                   {"", "authentication.k8s.io"},
                   {"users", "groups", "serviceaccounts", "uids", "userextras/scopes"},
                   {}}}});
    r.push_back(
        {"BW-RBAC-009", "access nodes/proxy (the kubelet API)", {{{"get", "create"}, kCore, {"nodes/proxy"}, {}}}});
    r.push_back(
        {"BW-RBAC-010", "request service account tokens", {{{"create"}, kCore, {"serviceaccounts/token"}, {}}}});
    r.push_back({"BW-RBAC-011",
                 "approve certificate signing requests",
                 {{{"update", "patch"}, {"certificates.k8s.io"}, {"certificatesigningrequests/approval"}, {}},
                  {{"approve"}, {"certificates.k8s.io"}, {"signers"}, {}}}});
    r.push_back({"BW-RBAC-012",
                 "modify admission webhook configurations",
                 {{kWriteDelete,
                   {"admissionregistration.k8s.io"},
                   {"mutatingwebhookconfigurations", "validatingwebhookconfigurations"},
                   {}}}});
    r.push_back({"BW-RBAC-013",
                 "add ephemeral containers to pods",
                 {{{"update", "patch"}, kCore, {"pods/ephemeralcontainers"}, {}}}});
    r.push_back({"BW-RBAC-014",
                 "modify node, pod or service status",
                 {{{"update", "patch"}, kCore, {"nodes/status", "pods/status", "services/status"}, {}}}});
    r.push_back(
        {"BW-RBAC-015",
         "evict or delete pods and modify nodes",
         {{{"delete", "create"}, kCore, {"pods", "pods/eviction"}, {}}, {{"update", "patch"}, kCore, {"nodes"}, {}}}});
    r.push_back(
        {"BW-RBAC-016", "modify the EKS aws-auth ConfigMap", {{kWriteDelete, kCore, {"configmaps"}, "aws-auth"}}});
    r.push_back({"BW-RBAC-017", "create or modify configmaps", {{kWriteDelete, kCore, {"configmaps"}, {}}}});
    r.push_back({"BW-RBAC-018", "delete pod logs", {{{"delete", "deletecollection"}, kCore, {"pods/log"}, {}}}});
    r.push_back({"BW-RBAC-019",
                 "modify services, endpoints, ingresses or network policies",
                 {{kWriteDelete,
                   {"", "discovery.k8s.io", "networking.k8s.io", "extensions"},
                   {"services", "endpoints", "endpointslices", "networkpolicies", "ingresses"},
                   {}}}});
    return r;
  }();
  return rights;
}

namespace {

bool rule_meets(const PolicyRule& rule, const Need& need) {
  if (!need.name.empty()) {
    if (!rule.resource_names.empty() && !contains(rule.resource_names, need.name)) return false;
  } else if (!rule.resource_names.empty()) {
    return false;
  }
  std::string_view name = rule.resource_names.empty() ? std::string_view{} : need.name;
  for (auto v : need.verbs)
    for (auto g : need.groups)
      for (auto r : need.resources)
        if (rule_allows(rule, v, g, r, name)) return true;
  return false;
}

}  // namespace

std::vector<int> rules_giving(const std::vector<PolicyRule>& rules, const RiskyRight& right) {
  std::vector<int> out;
  if (right.wildcard_resource) {
    for (std::size_t i = 0; i < rules.size(); ++i)
      if (contains(rules[i].resources, "*") && !rules[i].verbs.empty() && !rules[i].api_groups.empty())
        out.push_back(static_cast<int>(i));
    return out;
  }
  for (const auto& need : right.needs) {
    bool met = false;
    for (std::size_t i = 0; i < rules.size(); ++i)
      if (rule_meets(rules[i], need)) {
        met = true;
        if (std::find(out.begin(), out.end(), static_cast<int>(i)) == out.end()) out.push_back(static_cast<int>(i));
      }
    if (!met) return {};
  }
  return out;
}

std::vector<HeldRight> held_rights(const Model& m, const Subject& s) {
  auto grants = grants_of(m, s);
  std::set<std::string> scopes{""};
  for (const auto& g : grants) scopes.insert(g.namespace_);
  std::vector<HeldRight> out;
  for (const auto& scope : scopes) {
    // Rules in force in this scope: cluster-wide grants plus the scope's namespaced ones.
    std::vector<PolicyRule> rules;
    std::vector<const Grant*> origin;
    for (const auto& g : grants) {
      if (!g.namespace_.empty() && g.namespace_ != scope) continue;
      rules.push_back(m.roles[static_cast<std::size_t>(g.role)].rules[static_cast<std::size_t>(g.rule)]);
      origin.push_back(&g);
    }
    for (const auto& right : risky_rights()) {
      auto idx = rules_giving(rules, right);
      if (idx.empty()) continue;
      // In a namespace, report only what the namespace adds to the cluster-wide rights.
      bool from_ns = scope.empty() || std::any_of(idx.begin(), idx.end(), [&](int i) {
                       return !origin[static_cast<std::size_t>(i)]->namespace_.empty();
                     });
      if (!from_ns) continue;
      HeldRight h{&right, scope, {}};
      for (int i : idx) h.grants.push_back(*origin[static_cast<std::size_t>(i)]);
      out.push_back(std::move(h));
    }
  }
  return out;
}

std::map<Subject, Escalation> escalations(const Model& m) {
  std::map<Subject, Escalation> out;
  std::map<Subject, std::vector<HeldRight>> held;
  for (const auto& s : m.subjects) held[s] = held_rights(m, s);
  auto via = [&](const HeldRight& h) {
    const auto& g = h.grants.front();
    const auto& b = m.bindings[static_cast<std::size_t>(g.binding)];
    return fmt::format("{} via {} -> {}", h.right->summary, b.display(),
                       m.roles[static_cast<std::size_t>(g.role)].display());
  };
  // Direct: cluster-wide powers equivalent to cluster-admin, or takeover of kube-system.
  for (const auto& [s, rights] : held) {
    for (const auto& h : rights) {
      const auto id = h.right->check_id;
      const bool cluster = h.namespace_.empty();
      bool admin = false;
      std::string why;
      if (id == "BW-RBAC-001" && cluster) {
        for (const auto& g : h.grants) {
          const auto& rule = m.roles[static_cast<std::size_t>(g.role)].rules[static_cast<std::size_t>(g.rule)];
          if (contains(rule.verbs, "*") && contains(rule.api_groups, "*")) admin = true;
        }
        why = "holds every verb on every resource cluster-wide";
      } else if ((id == "BW-RBAC-006" || id == "BW-RBAC-008" || id == "BW-RBAC-011" || id == "BW-RBAC-009") &&
                 cluster) {
        admin = true;
        why = id == "BW-RBAC-006"   ? "can bind or escalate to cluster-admin"
              : id == "BW-RBAC-008" ? "can impersonate the system:masters group"
              : id == "BW-RBAC-011" ? "can issue itself a client certificate for system:masters"
                                    : "can run commands in any pod through the kubelet API";
      } else if ((id == "BW-RBAC-002" || id == "BW-RBAC-005" || id == "BW-RBAC-010" || id == "BW-RBAC-004") &&
                 (cluster || h.namespace_ == "kube-system")) {
        admin = true;
        why = "can take over the service accounts of kube-system";
      }
      if (admin && !out[s].admin_equivalent) {
        out[s].admin_equivalent = true;
        out[s].path = {fmt::format("{}: {} ({})", s.key(), why, via(h))};
      }
    }
  }
  // Transitive: taking over a subject that is admin-equivalent.
  for (std::size_t round = 0; round <= m.subjects.size(); ++round) {
    bool changed = false;
    for (const auto& [s, rights] : held) {
      if (out[s].admin_equivalent) continue;
      for (const auto& h : rights) {
        const auto id = h.right->check_id;
        bool takeover_ns = id == "BW-RBAC-002" || id == "BW-RBAC-005" || id == "BW-RBAC-010" || id == "BW-RBAC-004";
        bool takeover_any = id == "BW-RBAC-008";
        if (!takeover_ns && !takeover_any) continue;
        for (const auto& t : m.subjects) {
          if (t == s || !out[t].admin_equivalent) continue;
          if (takeover_ns && (t.kind != "ServiceAccount" || (!h.namespace_.empty() && t.namespace_ != h.namespace_)))
            continue;
          out[s].admin_equivalent = true;
          out[s].path = {fmt::format("{}: can act as {} ({})", s.key(), t.key(), via(h))};
          out[s].path.insert(out[s].path.end(), out[t].path.begin(), out[t].path.end());
          changed = true;
          break;
        }
        if (out[s].admin_equivalent) break;
      }
    }
    if (!changed) break;
  }
  return out;
}

std::pair<std::string, std::string> split_resource(std::string_view arg) {
  static const std::map<std::string, std::string, std::less<>> groups{
      {"pods", ""},
      {"secrets", ""},
      {"configmaps", ""},
      {"services", ""},
      {"serviceaccounts", ""},
      {"nodes", ""},
      {"namespaces", ""},
      {"persistentvolumes", ""},
      {"persistentvolumeclaims", ""},
      {"endpoints", ""},
      {"events", ""},
      {"replicationcontrollers", ""},
      {"users", ""},
      {"groups", ""},
      {"deployments", "apps"},
      {"daemonsets", "apps"},
      {"statefulsets", "apps"},
      {"replicasets", "apps"},
      {"jobs", "batch"},
      {"cronjobs", "batch"},
      {"roles", "rbac.authorization.k8s.io"},
      {"clusterroles", "rbac.authorization.k8s.io"},
      {"rolebindings", "rbac.authorization.k8s.io"},
      {"clusterrolebindings", "rbac.authorization.k8s.io"},
      {"networkpolicies", "networking.k8s.io"},
      {"ingresses", "networking.k8s.io"},
      {"validatingwebhookconfigurations", "admissionregistration.k8s.io"},
      {"mutatingwebhookconfigurations", "admissionregistration.k8s.io"},
      {"certificatesigningrequests", "certificates.k8s.io"},
      {"signers", "certificates.k8s.io"},
      {"endpointslices", "discovery.k8s.io"},
  };
  std::string a(arg);
  std::string sub;
  if (auto slash = a.find('/'); slash != std::string::npos) {
    sub = a.substr(slash);
    a = a.substr(0, slash);
  }
  if (auto dot = a.find('.'); dot != std::string::npos) return {a.substr(dot + 1), a.substr(0, dot) + sub};
  auto it = groups.find(a);
  return {it == groups.end() ? "*" : it->second, a + sub};
}

std::vector<WhoCanAnswer> who_can(const Model& m, std::string_view verb, std::string_view resource,
                                  std::string_view namespace_, std::string_view name) {
  auto [group, res] = split_resource(resource);
  std::vector<WhoCanAnswer> out;
  for (std::size_t bi = 0; bi < m.bindings.size(); ++bi) {
    const auto& b = m.bindings[bi];
    if (b.role < 0) continue;
    if (!namespace_.empty() && !b.namespace_.empty() && b.namespace_ != namespace_) continue;
    const auto& role = m.roles[static_cast<std::size_t>(b.role)];
    for (std::size_t ri = 0; ri < role.rules.size(); ++ri) {
      if (!rule_allows(role.rules[ri], verb, group, res, name)) continue;
      for (const auto& s : b.subjects)
        out.push_back({s, b.namespace_, Grant{static_cast<int>(bi), b.role, static_cast<int>(ri), b.namespace_, s}});
      break;
    }
  }
  std::sort(out.begin(), out.end(), [](const WhoCanAnswer& a, const WhoCanAnswer& b) {
    return std::tie(a.subject, a.namespace_) < std::tie(b.subject, b.namespace_);
  });
  return out;
}

}  // namespace bulwark::config::k8s::rbac
