// Kubernetes RBAC as a model: Roles and ClusterRoles (aggregated ClusterRoles resolved from the
// roles in the input), RoleBindings and ClusterRoleBindings, and for every subject the grants it
// holds (which rule, in which namespace or cluster-wide, through which binding).
//
// Matching follows the RBAC authorizer: a verb, API group or resource matches itself or "*";
// "*/sub" matches a subresource of any resource; a rule with resourceNames grants only those
// names; a RoleBinding scopes a ClusterRole's rules to its namespace. Subjects: users, groups and
// service accounts; a service account is also in system:serviceaccounts,
// system:serviceaccounts:<ns> and system:authenticated; every authenticated identity is in
// system:authenticated; the anonymous user in system:unauthenticated.
//
// On top of the grants: the risky rights (a catalogue mapped to checks/rbac.yaml, rbac-police,
// KubiScan and Trivy), `who-can`, and escalation paths to cluster-admin-equivalent power.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "config/k8s/objects.hpp"
#include "core/diagnostics.hpp"
#include "core/model.hpp"

namespace bulwark::config::k8s::rbac {

struct PolicyRule {
  std::vector<std::string> verbs;
  std::vector<std::string> api_groups;
  std::vector<std::string> resources;
  std::vector<std::string> resource_names;
  std::vector<std::string> non_resource_urls;
  core::Location location;
  [[nodiscard]] std::string describe() const;  // "verbs=[get,list] resources=[secrets] apiGroups=[""]"
};

// Does the rule allow `verb` on group/resource (resource may be "res/sub") and, when given, the name?
[[nodiscard]] bool rule_allows(const PolicyRule& rule, std::string_view verb, std::string_view group,
                               std::string_view resource, std::string_view name = {});

struct Role {
  std::string kind;        // Role | ClusterRole
  std::string namespace_;  // Role only
  std::string name;
  std::map<std::string, std::string> labels;
  std::vector<PolicyRule> rules;  // own rules plus, for aggregated ClusterRoles, the aggregated ones
  bool aggregated = false;
  std::vector<std::string> aggregated_from;
  bool builtin = false;  // a well-known ClusterRole assumed when referenced but not in the input
  core::Location location;
  int object = -1;
  [[nodiscard]] std::string display() const {
    return namespace_.empty() ? kind + "/" + name : kind + "/" + namespace_ + "/" + name;
  }
};

struct Subject {
  std::string kind;  // User | Group | ServiceAccount
  std::string name;
  std::string namespace_;                 // ServiceAccount only
  [[nodiscard]] std::string key() const;  // "ServiceAccount:ns/name", "User:jane", "Group:dev"
  bool operator<(const Subject& o) const { return key() < o.key(); }
  bool operator==(const Subject& o) const { return key() == o.key(); }
};

struct Binding {
  std::string kind;  // RoleBinding | ClusterRoleBinding
  std::string namespace_;
  std::string name;
  std::string role_kind;
  std::string role_name;
  int role = -1;  // index into Model::roles; -1 when the role is not in the input
  std::vector<Subject> subjects;
  std::vector<core::Location> subject_locations;
  bool bootstrap_default = false;  // labelled kubernetes.io/bootstrapping: rbac-defaults (made by the API server)
  core::Location location;
  int object = -1;
  [[nodiscard]] std::string display() const {
    return namespace_.empty() ? kind + "/" + name : kind + "/" + namespace_ + "/" + name;
  }
};

// One rule a subject holds, where, and through what.
struct Grant {
  int binding = -1;
  int role = -1;
  int rule = -1;           // index into the role's rules
  std::string namespace_;  // empty: cluster-wide
  Subject via;             // the binding's subject that matched (the subject itself or a group)
};

struct Model {
  std::vector<Role> roles;
  std::vector<Binding> bindings;
  std::set<Subject> subjects;  // every subject named by a binding, every ServiceAccount object, pod service accounts
  // Secrets of type service-account-token: secret "ns/name" -> service account name.
  std::map<std::string, std::string> token_secrets;
  std::map<std::string, bool> sa_automount;  // "ns/name" -> automountServiceAccountToken when set
};

[[nodiscard]] Model build_model(const std::vector<Object>& objects, core::Diagnostics& diags);

// Groups a subject belongs to implicitly (system:authenticated, system:serviceaccounts[:ns]).
[[nodiscard]] std::vector<Subject> implicit_groups(const Subject& s);

// Every grant that applies to the subject (directly or through its groups).
[[nodiscard]] std::vector<Grant> grants_of(const Model& m, const Subject& s);

// ---- risky rights ----

struct Need {
  std::vector<std::string_view> verbs;
  std::vector<std::string_view> groups;
  std::vector<std::string_view> resources;
  std::string_view name;  // a resourceNames entry that also counts (e.g. aws-auth); rules naming others do not
};

struct RiskyRight {
  std::string_view check_id;       // BW-RBAC-0xx in checks/rbac.yaml
  std::string_view summary;        // "read secrets"
  std::vector<Need> needs;         // all of them (e.g. CSR approval needs two permissions)
  bool wildcard_resource = false;  // special: a rule with resources "*"
};

[[nodiscard]] const std::vector<RiskyRight>& risky_rights();

// The rules of `rules` that give the right (empty if it is not given).
[[nodiscard]] std::vector<int> rules_giving(const std::vector<PolicyRule>& rules, const RiskyRight& right);

// A right a subject holds, where, and through which grants.
struct HeldRight {
  const RiskyRight* right = nullptr;
  std::string namespace_;  // empty = cluster-wide
  std::vector<Grant> grants;
};
[[nodiscard]] std::vector<HeldRight> held_rights(const Model& m, const Subject& s);

// Cluster-admin-equivalent power and the path to it ("" = none). `privileged_namespaces` holds
// the namespaces whose service accounts are presumed powerful (kube-system).
struct Escalation {
  bool admin_equivalent = false;
  std::vector<std::string> path;  // human-readable steps
};
[[nodiscard]] std::map<Subject, Escalation> escalations(const Model& m);

// `who-can VERB RESOURCE`: every subject with a grant allowing it, with scope and the grant.
struct WhoCanAnswer {
  Subject subject;
  std::string namespace_;  // empty = cluster-wide
  Grant grant;
};
[[nodiscard]] std::vector<WhoCanAnswer> who_can(const Model& m, std::string_view verb, std::string_view resource,
                                                std::string_view namespace_ = {}, std::string_view name = {});

// kubectl-style resource argument: "pods", "pods/exec", "deployments.apps" -> (group, resource).
// An unknown resource without a group matches rules of any group ("*").
[[nodiscard]] std::pair<std::string, std::string> split_resource(std::string_view arg);

}  // namespace bulwark::config::k8s::rbac
