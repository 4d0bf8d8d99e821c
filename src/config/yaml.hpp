// Loading untrusted YAML (and JSON, which is YAML) for the configuration checks:
// yaml-cpp wrapped so that no exception escapes, every error names path:line:col,
// and hostile documents stay bounded. yaml-cpp itself stops parsing past 2000
// levels of nesting; after parsing, every document is walked once with alias
// expansion counted (a billion-laughs document shares nodes, so a walk that
// follows them would explode) against a node budget and a depth budget, so that
// analyzers can then recurse freely.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/model.hpp"
#include "util/error.hpp"

namespace bulwark::config {

struct YamlLimits {
  std::uint64_t max_bytes = 32ULL << 20;  // one file
  std::size_t max_documents = 100'000;    // in one stream
  std::size_t max_nodes = 4'000'000;      // per file, counting every alias expansion
  int max_depth = 200;                    // nesting of mappings and sequences
};

struct YamlDocument {
  YAML::Node root;
  int index = 0;  // 0-based position in the stream
  int line = 0;   // 1-based line where it starts
};

[[nodiscard]] Result<std::vector<YamlDocument>> load_yaml_stream(std::string_view text, std::string_view path,
                                                                 const YamlLimits& limits = {});

// The node's position (1-based line and column) as a Location in `path`.
[[nodiscard]] core::Location location_of(const YAML::Node& node, std::string_view path);

// The scalar at node[key] as a string, or "" when absent or not a scalar. Never throws.
[[nodiscard]] std::string scalar_or_empty(const YAML::Node& node, std::string_view key);

}  // namespace bulwark::config
