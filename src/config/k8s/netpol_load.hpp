// Loading Kubernetes objects for the `bulwark netpol` and `bulwark rbac` commands: files and
// folders through config::load_documents, each parsed with the bounded YAML loader; a file
// that does not parse becomes an error diagnostic (file:line:col) and the others still load.
//
// Typed lists as `kubectl get pods -o yaml` writes them (`kind: PodList`) may omit each item's
// kind and apiVersion; they are filled in from the list's kind before the objects are collected.
#pragma once

#include "config/k8s/objects.hpp"
#include "config/yaml.hpp"
#include "core/diagnostics.hpp"
#include "util/error.hpp"

#include <string>
#include <vector>

namespace bulwark::config::k8s {

// Gives the items of `<Kind>List` documents their kind (and the list's apiVersion) when missing.
void infer_list_item_kinds(std::vector<YamlDocument>& docs);

// The objects of one text (a file's content).
[[nodiscard]] std::vector<Object> objects_from_text(std::string_view text, std::string_view path,
                                                    core::Diagnostics& diags);

// The objects of files, folders (recursively) and "-" (stdin). A path that does not exist is an error.
[[nodiscard]] Result<std::vector<Object>> load_objects(const std::vector<std::string>& paths, core::Diagnostics& diags);

}  // namespace bulwark::config::k8s
