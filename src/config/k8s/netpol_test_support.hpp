// Test-only: turns YAML text or a folder of manifests into netpol::Items with yaml-cpp directly,
// the way netpol-analyzer reads a scenario folder (files that fail to parse are skipped with a
// diagnostic). Header-only, never linked into the library.
#pragma once

#include "config/k8s/netpol_engine.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace bulwark::config::k8s::netpol::testing_support {

inline void add_object(const YAML::Node& n, const std::string& path, std::vector<Item>& out, int depth = 0) {
  if (!n.IsMap() || depth > 2) return;
  std::string kind = n["kind"] && n["kind"].IsScalar() ? n["kind"].Scalar() : "";
  auto items = n["items"];
  if (kind.ends_with("List") && items && items.IsSequence()) {
    std::string item_kind = kind == "List" ? "" : kind.substr(0, kind.size() - 4);
    for (auto it : items) {
      if (it.IsMap() && !it["kind"] && !item_kind.empty()) it["kind"] = item_kind;
      add_object(it, path, out, depth + 1);
    }
    return;
  }
  Item item;
  item.kind = kind;
  auto meta = n["metadata"];
  if (meta && meta.IsMap()) {
    if (meta["name"] && meta["name"].IsScalar()) item.name = meta["name"].Scalar();
    if (meta["namespace"] && meta["namespace"].IsScalar()) item.namespace_ = meta["namespace"].Scalar();
  }
  item.node = n;
  item.location.path = path;
  item.location.line = n.Mark().line + 1;
  item.location.column = n.Mark().column + 1;
  out.push_back(std::move(item));
}

inline std::vector<Item> items_from_text(std::string_view text, const std::string& path, core::Diagnostics& diags) {
  std::vector<Item> out;
  try {
    for (const auto& doc : YAML::LoadAll(std::string(text))) add_object(doc, path, out);
  } catch (const YAML::Exception& e) {
    diags.add({core::DiagnosticLevel::error, "parse", path, e.mark.line + 1, e.mark.column + 1, "", e.what()});
  }
  return out;
}

inline std::vector<Item> items_from_dir(const std::filesystem::path& dir, core::Diagnostics& diags) {
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    auto ext = e.path().extension().string();
    if (e.is_regular_file() && (ext == ".yaml" || ext == ".yml" || ext == ".json")) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  std::vector<Item> out;
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    auto items = items_from_text(ss.str(), f.string(), diags);
    out.insert(out.end(), items.begin(), items.end());
  }
  return out;
}

}  // namespace bulwark::config::k8s::netpol::testing_support
