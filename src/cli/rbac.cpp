// `bulwark rbac who-can VERB RESOURCE PATH…` and `bulwark rbac subjects PATH…`: questions over
// the RBAC of manifests (Roles, ClusterRoles with aggregation, bindings, service accounts).
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "config/k8s/netpol_load.hpp"
#include "config/k8s/rbac_analysis.hpp"
#include "config/k8s/rbac_model.hpp"
#include "util/strings.hpp"

namespace bulwark::cli {
namespace {

namespace rb = config::k8s::rbac;

struct RbacOptions {
  std::string verb;
  std::string resource;
  std::vector<std::string> paths;
  std::string namespace_;
  std::string name;
  std::string format = "table";
  std::string subject;  // subjects: only this one (key or name)
  bool all = false;     // subjects: also those without risky rights
  std::string output;
  bool quiet = false;
};

std::string pad_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> w;
  for (const auto& r : rows)
    for (std::size_t i = 0; i < r.size(); ++i) {
      if (w.size() <= i) w.push_back(0);
      w[i] = std::max(w[i], r[i].size());
    }
  std::string out;
  for (const auto& r : rows) {
    std::string line;
    for (std::size_t i = 0; i < r.size(); ++i) line += i + 1 < r.size() ? fmt::format("{:<{}}  ", r[i], w[i]) : r[i];
    out += util::printable(line) + "\n";
  }
  return out;
}

Result<rb::Model> load(const RbacOptions& o, core::Diagnostics& diags) {
  auto objects = config::k8s::load_objects(o.paths, diags);
  if (!objects) return std::unexpected(objects.error());
  return rb::build_model(*objects, diags);
}

int finish(const RbacOptions& o, const core::Diagnostics& diags, const std::string& text) {
  for (const auto& d : diags.items()) std::fprintf(stderr, "bulwark: %s\n", util::printable(d.describe()).c_str());
  ScanOptions out;
  out.output = o.output;
  if (auto st = write_output(out, text); !st) return report_error(st.error());
  return diags.error_count() > 0 ? kExitInput : kExitOk;
}

std::string grant_text(const rb::Model& m, const rb::Grant& g) {
  const auto& b = m.bindings[static_cast<std::size_t>(g.binding)];
  const auto& role = m.roles[static_cast<std::size_t>(g.role)];
  return b.display() + " -> " + role.display();
}

int run_who_can(const RbacOptions& o) {
  core::Diagnostics diags;
  auto m = load(o, diags);
  if (!m) return report_error(m.error());
  auto answers = rb::who_can(*m, o.verb, o.resource, o.namespace_, o.name);
  std::string text;
  if (o.format == "json") {
    auto arr = nlohmann::json::array();
    for (const auto& a : answers) {
      const auto& b = m->bindings[static_cast<std::size_t>(a.grant.binding)];
      const auto& role = m->roles[static_cast<std::size_t>(a.grant.role)];
      arr.push_back(
          {{"subject", {{"kind", a.subject.kind}, {"name", a.subject.name}, {"namespace", a.subject.namespace_}}},
           {"scope", a.namespace_.empty() ? "cluster" : a.namespace_},
           {"binding", b.display()},
           {"role", role.display()},
           {"rule", role.rules[static_cast<std::size_t>(a.grant.rule)].describe()},
           {"location", fmt::format("{}:{}", b.location.path, b.location.line)}});
    }
    text = arr.dump(2) + "\n";
  } else {
    std::vector<std::vector<std::string>> rows{{"SUBJECT", "SCOPE", "BINDING -> ROLE", "LOCATION"}};
    for (const auto& a : answers) {
      const auto& b = m->bindings[static_cast<std::size_t>(a.grant.binding)];
      rows.push_back({a.subject.key(), a.namespace_.empty() ? "cluster" : a.namespace_, grant_text(*m, a.grant),
                      fmt::format("{}:{}", b.location.path, b.location.line)});
    }
    text = pad_table(rows);
    if (!o.quiet)
      std::fprintf(stderr, "bulwark: %zu subject grants can %s %s%s\n", answers.size(), o.verb.c_str(),
                   o.resource.c_str(), o.namespace_.empty() ? "" : (" in namespace " + o.namespace_).c_str());
  }
  return finish(o, diags, text);
}

int run_subjects(const RbacOptions& o) {
  core::Diagnostics diags;
  auto m = load(o, diags);
  if (!m) return report_error(m.error());
  auto esc = rb::escalations(*m);
  auto arr = nlohmann::json::array();
  std::vector<std::vector<std::string>> rows{{"SUBJECT", "ADMIN-EQUIVALENT", "RISKY RIGHTS (scope)"}};
  std::string paths;
  for (const auto& s : m->subjects) {
    if (!o.subject.empty() && o.subject != s.key() && o.subject != s.name) continue;
    auto held = rb::held_rights(*m, s);
    const auto& e = esc[s];
    if (held.empty() && !e.admin_equivalent && !o.all && o.subject.empty()) continue;
    std::string rights;
    auto jrights = nlohmann::json::array();
    for (const auto& h : held) {
      const std::string scope = h.namespace_.empty() ? "cluster" : h.namespace_;
      rights += (rights.empty() ? "" : "; ") + std::string(h.right->check_id) + " " + std::string(h.right->summary) +
                " (" + scope + ")";
      auto via = nlohmann::json::array();
      for (const auto& g : h.grants) via.push_back(grant_text(*m, g));
      jrights.push_back({{"check", h.right->check_id}, {"right", h.right->summary}, {"scope", scope}, {"via", via}});
    }
    rows.push_back({s.key(), e.admin_equivalent ? "yes" : "no", rights.empty() ? "-" : rights});
    if (e.admin_equivalent) {
      paths += util::printable(s.key()) + ":\n";
      for (const auto& step : e.path) paths += "    " + util::printable(step) + "\n";
    }
    // Every grant, for JSON: the subject's effective rules.
    auto jgrants = nlohmann::json::array();
    for (const auto& g : rb::grants_of(*m, s)) {
      const auto& role = m->roles[static_cast<std::size_t>(g.role)];
      jgrants.push_back({{"scope", g.namespace_.empty() ? "cluster" : g.namespace_},
                         {"via", grant_text(*m, g)},
                         {"as", g.via.key()},
                         {"rule", role.rules[static_cast<std::size_t>(g.rule)].describe()}});
    }
    arr.push_back({{"subject", {{"kind", s.kind}, {"name", s.name}, {"namespace", s.namespace_}}},
                   {"admin_equivalent", e.admin_equivalent},
                   {"escalation_path", e.path},
                   {"risky_rights", jrights},
                   {"rules", jgrants}});
  }
  std::string text;
  if (o.format == "json") {
    text = arr.dump(2) + "\n";
  } else {
    text = pad_table(rows);
    if (!paths.empty()) text += "\nPaths to cluster-admin-equivalent power:\n" + paths;
  }
  return finish(o, diags, text);
}

}  // namespace

void register_rbac(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("rbac", "Kubernetes RBAC: who can do what, and paths to cluster-admin");
  cmd->require_subcommand(1);
  auto opts = std::make_shared<RbacOptions>();

  auto* who = cmd->add_subcommand("who-can", "List the subjects allowed a verb on a resource");
  who->footer(
      "RESOURCE is kubectl-style: pods, pods/exec, deployments.apps, secrets. Reads Roles, ClusterRoles\n"
      "(aggregated ones resolved from the input), RoleBindings and ClusterRoleBindings; the built-in\n"
      "cluster-admin ClusterRole is assumed when a binding references it. Groups are listed as they are bound\n"
      "(system:authenticated means everyone with credentials).\n"
      "\n"
      "Examples:\n"
      "  bulwark rbac who-can get secrets rbac/\n"
      "  bulwark rbac who-can create pods/exec -n kube-system manifests/\n"
      "  kubectl get clusterroles,clusterrolebindings,roles,rolebindings -A -o yaml | bulwark rbac who-can '*' '*' "
      "-\n");
  who->add_option("VERB", opts->verb, "get, list, create, update, delete, impersonate, bind, escalate, ...")
      ->required();
  who->add_option("RESOURCE", opts->resource, "pods, pods/exec, deployments.apps, ...")->required();
  who->add_option("PATH", opts->paths, "Files or folders; - reads stdin")->required();
  who->add_option("-n,--namespace", opts->namespace_, "Only grants that apply in this namespace");
  who->add_option("--name", opts->name, "A resource name (rules with resourceNames count only when they list it)");
  who->add_option("-f,--format", opts->format, "Output: table, json")->check(CLI::IsMember({"table", "json"}));
  who->add_option("-o,--output", opts->output, "Write the result to this file (atomically)");
  who->add_flag("-q,--quiet", opts->quiet, "No summary on stderr");
  who->callback([opts, &exit_code] { exit_code = run_who_can(*opts); });

  auto* subjects = cmd->add_subcommand("subjects", "Each subject's risky rights and path to cluster-admin");
  subjects->footer(
      "Lists users, groups and service accounts with the risky rights they hold (checks BW-RBAC-001..019),\n"
      "per namespace or cluster-wide, and whether they can reach cluster-admin-equivalent power, with the path\n"
      "(e.g. create deployments in a namespace whose service account is bound to cluster-admin).\n"
      "--format json adds every effective rule of each subject.\n"
      "\n"
      "Examples:\n"
      "  bulwark rbac subjects rbac/\n"
      "  bulwark rbac subjects manifests/ --subject ServiceAccount:ci/builder --format json\n");
  subjects->add_option("PATH", opts->paths, "Files or folders; - reads stdin")->required();
  subjects->add_option("--subject", opts->subject, "Only this subject (Kind:name, ServiceAccount:ns/name, or a name)");
  subjects->add_flag("--all", opts->all, "Also list subjects without risky rights");
  subjects->add_option("-f,--format", opts->format, "Output: table, json")->check(CLI::IsMember({"table", "json"}));
  subjects->add_option("-o,--output", opts->output, "Write the result to this file (atomically)");
  subjects->callback([opts, &exit_code] { exit_code = run_subjects(*opts); });
}

BULWARK_COMMAND(rbac, 31, register_rbac);

}  // namespace bulwark::cli
