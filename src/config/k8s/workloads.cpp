// Kubernetes workload analysis: the Pod Security Standards (pss.cpp) at the chosen
// level and version, and the workload checks beyond them (workload_checks.cpp),
// over every object with a pod template, plus Service exposure. Findings come
// from the catalog entries in checks/kubernetes-pss.yaml and
// checks/kubernetes-workloads.yaml.
#include <map>
#include <set>
#include <utility>

#include "config/analyzers.hpp"
#include "config/checks.hpp"
#include "config/k8s/pss.hpp"
#include "config/k8s/workload_checks.hpp"
#include "config/k8s/workload_yaml.hpp"

namespace bulwark::config::k8s {
namespace {

// Upstream pod-security check id -> bulwark check id.
constexpr std::pair<std::string_view, std::string_view> kPssIds[] = {
    {"hostNamespaces", "BW-PSS-001"},
    {"privileged", "BW-PSS-002"},
    {"capabilities_baseline", "BW-PSS-003"},
    {"hostPathVolumes", "BW-PSS-004"},
    {"hostPorts", "BW-PSS-005"},
    {"appArmorProfile", "BW-PSS-006"},
    {"seLinuxOptions", "BW-PSS-007"},
    {"procMount", "BW-PSS-008"},
    {"seccompProfile_baseline", "BW-PSS-009"},
    {"sysctls", "BW-PSS-010"},
    {"windowsHostProcess", "BW-PSS-011"},
    {"hostProbesAndHostLifecycle", "BW-PSS-012"},
    {"restrictedVolumes", "BW-PSS-013"},
    {"allowPrivilegeEscalation", "BW-PSS-014"},
    {"runAsNonRoot", "BW-PSS-015"},
    {"runAsUser", "BW-PSS-016"},
    {"seccompProfile_restricted", "BW-PSS-017"},
    {"capabilities_restricted", "BW-PSS-018"},
    {"procMount_restricted", "BW-PSS-019"},
};

std::string_view bulwark_id(std::string_view pss_check) {
  for (const auto& [upstream, id] : kPssIds) {
    if (upstream == pss_check) return id;
  }
  return {};
}

// The mark's position, else the object's (a node built rather than parsed has no mark).
core::Location where(const YAML::Mark& mark, const Object& object) {
  if (mark.is_null() || mark.line < 0) return object.location;
  core::Location loc = object.location;
  loc.line = mark.line + 1;
  loc.column = mark.column + 1;
  return loc;
}

// The finding's pss reference names the version that was evaluated.
void stamp_pss_version(core::Finding& finding, pss::Version version) {
  for (auto& s : finding.standards) {
    if (s.name == "pss") s.version = pss::to_string(version);
  }
}

}  // namespace

std::vector<core::Finding> analyze_workloads(const std::vector<Object>& objects, const AnalyzeOptions& options,
                                             core::Diagnostics& diags) {
  std::vector<core::Finding> out;
  auto level = pss::parse_level(options.pss_level);
  if (!level) {
    diags.error("pss-level", {}, "unknown Pod Security level \"" + options.pss_level + "\"; using restricted");
    level = pss::Level::restricted;
  }
  auto version = pss::parse_version(options.pss_version);
  if (!version) {
    diags.error("pss-version", {},
                "unknown Pod Security version \"" + options.pss_version + "\" (want v1.N or latest); using latest");
    version = pss::kLatest;
  }

  // ServiceAccounts among the inputs, for the token-automount check.
  std::map<std::pair<std::string, std::string>, bool> automount;
  for (const auto& object : objects) {
    if (object.kind != "ServiceAccount") continue;
    if (auto v = yq::boolean(yq::child(object.node, "automountServiceAccountToken")))
      automount[{object.namespace_, object.name}] = *v;
  }
  workload::Context context;
  context.service_account_automount = [&automount](std::string_view ns, std::string_view name) -> std::optional<bool> {
    auto it = automount.find({std::string(ns), std::string(name)});
    if (it == automount.end()) return std::nullopt;
    return it->second;
  };

  for (const auto& object : objects) {
    auto tmpl = pod_template(object);
    if (!tmpl && object.kind != "Service") continue;
    const core::Target target = target_of(object);

    if (tmpl) {
      auto violations = pss::evaluate(tmpl->metadata, tmpl->spec, *level, *version);
      std::set<std::string_view> violated;
      for (const auto& v : violations) {
        auto id = bulwark_id(v.check->id);
        violated.insert(id);
        auto finding = make_finding(builtin_check(id), target, where(v.mark, object), v.reason + ": " + v.detail);
        stamp_pss_version(finding, *version);
        out.push_back(std::move(finding));
      }
      if (options.include_passed) {
        for (const auto* check : pss::checks_in_force(*level, *version)) {
          auto id = bulwark_id(check->id);
          if (violated.contains(id)) continue;
          auto finding = make_finding(builtin_check(id), target, object.location, {});
          finding.status = core::FindingStatus::pass;
          stamp_pss_version(finding, *version);
          out.push_back(std::move(finding));
        }
      }
    }

    workload::Input input{object.kind, object.namespace_, object.node, tmpl ? tmpl->metadata : YAML::Node(),
                          tmpl ? tmpl->spec : YAML::Node()};
    std::set<std::string_view> hit_ids;
    for (auto& hit : workload::evaluate(input, context)) {
      hit_ids.insert(hit.id);
      out.push_back(make_finding(builtin_check(hit.id), target, where(hit.mark, object), std::move(hit.evidence)));
    }
    if (options.include_passed) {
      for (auto id : workload::applicable_checks(input)) {
        if (hit_ids.contains(id)) continue;
        auto finding = make_finding(builtin_check(id), target, object.location, {});
        finding.status = core::FindingStatus::pass;
        out.push_back(std::move(finding));
      }
    }
  }
  return out;
}

}  // namespace bulwark::config::k8s
