// Test-only: turns YAML text or a folder of manifests into Kubernetes objects with the
// framework's bounded loader, the way netpol-analyzer reads a scenario folder (files that fail
// to parse are skipped with a diagnostic). Header-only, never linked into the library.
#pragma once

#include "config/k8s/netpol_load.hpp"
#include "config/yaml.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace bulwark::config::k8s::testing_support {

inline std::vector<Object> objects_from_dir(const std::filesystem::path& dir, core::Diagnostics& diags) {
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    auto ext = e.path().extension().string();
    if (e.is_regular_file() && (ext == ".yaml" || ext == ".yml" || ext == ".json")) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  std::vector<Object> out;
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    auto objects = objects_from_text(ss.str(), f.string(), diags);
    out.insert(out.end(), objects.begin(), objects.end());
  }
  return out;
}

}  // namespace bulwark::config::k8s::testing_support
