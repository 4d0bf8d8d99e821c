#include "config/k8s/objects.hpp"

#include <fmt/format.h>

#include <array>

namespace bulwark::config::k8s {
namespace {

void add_object(const YAML::Node& node, std::string_view path, std::vector<Object>& out, core::Diagnostics& diags,
                int depth) {
  if (!node || node.IsNull()) return;
  const auto loc = location_of(node, path);
  if (!node.IsMap()) {
    diags.add({core::DiagnosticLevel::warning,
               "not-an-object",
               std::string(path),
               loc.line,
               loc.column,
               {},
               "the document is not a mapping; skipped"});
    return;
  }
  Object object;
  object.api_version = scalar_or_empty(node, "apiVersion");
  object.kind = scalar_or_empty(node, "kind");
  if (object.api_version.empty() || object.kind.empty()) {
    diags.add({core::DiagnosticLevel::warning,
               "not-kubernetes",
               std::string(path),
               loc.line,
               loc.column,
               {},
               "the document has no apiVersion and kind; skipped"});
    return;
  }
  // `List` and `<Kind>List` carry items; expand one level deep (a List of Lists is not valid).
  if ((object.kind == "List" || object.kind.ends_with("List")) && node["items"] && node["items"].IsSequence() &&
      depth == 0) {
    for (const auto& item : node["items"]) add_object(item, path, out, diags, depth + 1);
    return;
  }
  const auto metadata = node["metadata"];
  object.name = scalar_or_empty(metadata, "name");
  if (object.name.empty()) object.name = scalar_or_empty(metadata, "generateName");
  object.namespace_ = scalar_or_empty(metadata, "namespace");
  object.node = node;
  object.location = loc;
  out.push_back(std::move(object));
}

}  // namespace

std::vector<Object> collect_objects(const std::vector<YamlDocument>& docs, std::string_view path,
                                    core::Diagnostics& diags) {
  std::vector<Object> out;
  for (const auto& doc : docs) add_object(doc.root, path, out, diags, 0);
  return out;
}

bool is_workload_kind(std::string_view kind) noexcept {
  static constexpr std::array<std::string_view, 8> kinds{
      "Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job", "CronJob"};
  for (auto k : kinds) {
    if (k == kind) return true;
  }
  return false;
}

std::optional<PodTemplate> pod_template(const Object& object) {
  try {
    const auto& n = object.node;
    if (object.kind == "Pod") {
      if (!n["spec"] || !n["spec"].IsMap()) return std::nullopt;
      return PodTemplate{n["metadata"], n["spec"], "spec"};
    }
    if (object.kind == "CronJob") {
      const auto tmpl = n["spec"]["jobTemplate"]["spec"]["template"];
      if (!tmpl || !tmpl["spec"] || !tmpl["spec"].IsMap()) return std::nullopt;
      return PodTemplate{tmpl["metadata"], tmpl["spec"], "spec.jobTemplate.spec.template.spec"};
    }
    if (is_workload_kind(object.kind)) {
      const auto tmpl = n["spec"]["template"];
      if (!tmpl || !tmpl["spec"] || !tmpl["spec"].IsMap()) return std::nullopt;
      return PodTemplate{tmpl["metadata"], tmpl["spec"], "spec.template.spec"};
    }
  } catch (const YAML::Exception&) {
    return std::nullopt;
  }
  return std::nullopt;
}

core::Target target_of(const Object& object) {
  core::Target target;
  target.kind = core::TargetKind::file;
  target.name = object.namespace_.empty()
                    ? fmt::format("{}#{}/{}", object.location.path, object.kind, object.name)
                    : fmt::format("{}#{}/{}/{}", object.location.path, object.kind, object.namespace_, object.name);
  return target;
}

}  // namespace bulwark::config::k8s
