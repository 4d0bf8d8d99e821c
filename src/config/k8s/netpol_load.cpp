#include "config/k8s/netpol_load.hpp"

#include "config/analyze.hpp"

namespace bulwark::config::k8s {

void infer_list_item_kinds(std::vector<YamlDocument>& docs) {
  for (auto& doc : docs) {
    auto& root = doc.root;
    if (!root || !root.IsMap()) continue;
    const std::string kind = scalar_or_empty(root, "kind");
    if (kind.size() <= 4 || !kind.ends_with("List")) continue;
    auto items = root["items"];
    if (!items || !items.IsSequence()) continue;
    const std::string item_kind = kind.substr(0, kind.size() - 4);
    const std::string api_version = scalar_or_empty(root, "apiVersion");
    for (auto item : items) {
      if (!item.IsMap()) continue;
      if (scalar_or_empty(item, "kind").empty()) item["kind"] = item_kind;
      if (scalar_or_empty(item, "apiVersion").empty() && !api_version.empty()) item["apiVersion"] = api_version;
    }
  }
}

std::vector<Object> objects_from_text(std::string_view text, std::string_view path, core::Diagnostics& diags) {
  auto docs = load_yaml_stream(text, path);
  if (!docs) {
    core::Diagnostic d;
    d.level = core::DiagnosticLevel::error;
    d.code = "parse";
    d.file = std::string(path);
    d.message = docs.error().message;
    // The loader's context is "path:line:col".
    const auto& ctx = docs.error().context;
    if (ctx.size() > d.file.size() && ctx.starts_with(d.file))
      std::sscanf(ctx.c_str() + d.file.size(), ":%d:%d", &d.line, &d.column);
    diags.add(std::move(d));
    return {};
  }
  try {
    infer_list_item_kinds(*docs);
  } catch (const YAML::Exception&) {
    // A node yaml-cpp refuses to modify: leave the list as written.
  }
  return collect_objects(*docs, path, diags);
}

Result<std::vector<Object>> load_objects(const std::vector<std::string>& paths, core::Diagnostics& diags) {
  auto docs = load_documents(paths, diags);
  if (!docs) return std::unexpected(docs.error());
  std::vector<Object> out;
  for (const auto& doc : *docs) {
    if (doc.kind != DocumentKind::kubernetes) continue;
    auto objects = objects_from_text(doc.text, doc.path, diags);
    out.insert(out.end(), std::make_move_iterator(objects.begin()), std::make_move_iterator(objects.end()));
  }
  return out;
}

}  // namespace bulwark::config::k8s
