// Reading manifests without throwing: small queries over yaml-cpp nodes shared by
// the Pod Security and workload checks. A field of the wrong type reads as absent
// (the API server would have rejected the object before it ever ran). Nothing here
// assigns to a YAML::Node with operator=, which would write through to the document.
#pragma once

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace bulwark::config::k8s::yq {

// node[key] when node is a mapping, else a null node (yaml-cpp's operator[] throws
// on scalars and sequences, and its non-const form inserts).
[[nodiscard]] inline YAML::Node child(const YAML::Node& node, std::string_view key) {
  if (!node || !node.IsMap()) return YAML::Node();
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (it->first.IsScalar() && it->first.Scalar() == key) return it->second;
  }
  return YAML::Node();
}

[[nodiscard]] inline YAML::Node path(const YAML::Node& node, std::initializer_list<std::string_view> keys) {
  YAML::Node current(node);
  for (auto key : keys) current.reset(child(current, key));
  return current;
}

// Present and not null (Go's `!= nil` for a pointer field).
[[nodiscard]] inline bool present(const YAML::Node& node) {
  return node && node.IsDefined() && !node.IsNull();
}

[[nodiscard]] inline std::string str(const YAML::Node& node) {
  return node && node.IsScalar() ? node.Scalar() : std::string();
}

[[nodiscard]] inline std::optional<bool> boolean(const YAML::Node& node) {
  if (!node || !node.IsScalar()) return std::nullopt;
  bool value = false;
  if (!YAML::convert<bool>::decode(node, value)) return std::nullopt;
  return value;
}

[[nodiscard]] inline std::optional<long long> integer(const YAML::Node& node) {
  if (!node || !node.IsScalar()) return std::nullopt;
  const std::string& text = node.Scalar();
  long long value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

[[nodiscard]] inline bool is_true(const YAML::Node& node) {
  return boolean(node).value_or(false);
}

// A YAML::Node that can be set once, later, without writing through to a document.
struct FirstNode {
  YAML::Node node;
  bool set = false;
  void offer(const YAML::Node& candidate) {
    if (set) return;
    node.reset(candidate);
    set = true;
  }
};

}  // namespace bulwark::config::k8s::yq
