// Kubernetes workload checks beyond the Pod Security Standards: the union of what
// kube-score, Polaris, kubesec and Trivy's KSV checks look at (resources, probes,
// image tags and digests, service-account tokens, sensitive host paths, read-only
// root filesystems, high UIDs and GIDs, namespaces, Service exposure, ...), one
// canonical bulwark check (BW-K8S-NNN, described in checks/kubernetes-workloads.yaml)
// per control. Each function here decides only whether a check fires and where;
// turning hits into findings is workloads.cpp's job.
#pragma once

#include <yaml-cpp/yaml.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bulwark::config::k8s::workload {

// One object as the checks see it.
struct Input {
  std::string_view kind;
  std::string_view namespace_;  // as written; empty when the manifest names none
  YAML::Node object;            // the whole object
  YAML::Node pod_metadata;      // for workloads: the pod template's metadata (else null)
  YAML::Node pod_spec;          // for workloads: the PodSpec (else null)
};

// What the checks may ask about other objects in the same input set.
struct Context {
  // automountServiceAccountToken of ServiceAccount `name` in `namespace_`, when
  // that ServiceAccount is among the inputs and sets it.
  std::function<std::optional<bool>(std::string_view namespace_, std::string_view name)> service_account_automount;
};

struct Hit {
  std::string_view id;   // "BW-K8S-001"
  std::string evidence;  // what was found, for people
  // Where: the offending node, or the container or object lacking a field. A mark,
  // not a node: assigning a YAML::Node (as sorting does) writes through to the document.
  YAML::Mark mark;
};

// Every check's id, in catalog order.
[[nodiscard]] const std::vector<std::string_view>& check_ids();

// The checks that apply to an object of this kind (workload checks apply to kinds
// with a pod template, Service checks to Services).
[[nodiscard]] std::vector<std::string_view> applicable_checks(const Input& input);

// Every hit of every check on one object.
[[nodiscard]] std::vector<Hit> evaluate(const Input& input, const Context& context);

// Image reference helpers, exposed for tests: "nginx" -> tag "", digest "";
// "registry:5000/a/b:1.2@sha256:..." -> tag "1.2", digest "sha256:...".
struct ImageRef {
  std::string tag;
  std::string digest;
};
[[nodiscard]] ImageRef parse_image(std::string_view image);

}  // namespace bulwark::config::k8s::workload
