// Kubernetes objects as the checks see them: every document of every input file
// (with `List` kinds expanded), with its identity and position, and the pod
// template of each workload kind.
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/yaml.hpp"
#include "core/diagnostics.hpp"
#include "core/model.hpp"

namespace bulwark::config::k8s {

struct Object {
  std::string api_version;
  std::string kind;
  std::string name;
  std::string namespace_;  // as written; empty when the manifest gives none
  YAML::Node node;
  core::Location location;  // the file, and the line and column where the object starts
};

// The objects of one file's documents. Documents that are empty are skipped
// silently; documents without apiVersion and kind get a warning diagnostic.
[[nodiscard]] std::vector<Object> collect_objects(const std::vector<YamlDocument>& docs, std::string_view path,
                                                  core::Diagnostics& diags);

struct PodTemplate {
  YAML::Node metadata;    // the pod's metadata (labels, annotations)
  YAML::Node spec;        // the PodSpec
  std::string spec_path;  // where the PodSpec sits in the object: "spec", "spec.template.spec", ...
};

// The pod template of a Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet,
// ReplicationController, Job or CronJob; nullopt for other kinds or a missing spec.
[[nodiscard]] std::optional<PodTemplate> pod_template(const Object& object);

// True for the kinds pod_template understands.
[[nodiscard]] bool is_workload_kind(std::string_view kind) noexcept;

// The finding target for an object: kind file, name "<path>#<Kind>/<namespace>/<name>".
[[nodiscard]] core::Target target_of(const Object& object);

}  // namespace bulwark::config::k8s
