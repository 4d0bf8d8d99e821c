#include "config/yaml.hpp"

#include "util/yaml_load.hpp"

#include <fmt/format.h>

#include <string>

namespace bulwark::config {
namespace {

struct Budget {
  std::size_t nodes = 0;
  std::size_t max_nodes = 0;
  int max_depth = 0;
};

// Returns false when a budget is exceeded; `where` receives the node at fault.
bool walk(const YAML::Node& node, int depth, Budget& budget, YAML::Mark& where) {
  if (++budget.nodes > budget.max_nodes || depth > budget.max_depth) {
    where = node.Mark();
    return false;
  }
  if (node.IsSequence()) {
    for (const auto& child : node) {
      if (!walk(child, depth + 1, budget, where)) return false;
    }
  } else if (node.IsMap()) {
    for (const auto& kv : node) {
      if (!walk(kv.first, depth + 1, budget, where)) return false;
      if (!walk(kv.second, depth + 1, budget, where)) return false;
    }
  }
  return true;
}

}  // namespace

Result<std::vector<YamlDocument>> load_yaml_stream(std::string_view text, std::string_view path,
                                                   const YamlLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return fail(
        ErrorCode::limit,
        fmt::format("the file is {} bytes; the limit for one YAML/JSON file is {}", text.size(), limits.max_bytes),
        std::string(path));
  }
  std::vector<YamlDocument> docs;
  try {
    auto nodes = util::load_all_bounded(std::string(text), limits.max_documents);
    if (nodes.size() > limits.max_documents) {
      return fail(ErrorCode::limit, fmt::format("{} documents; the limit is {}", nodes.size(), limits.max_documents),
                  std::string(path));
    }
    Budget budget{0, limits.max_nodes, limits.max_depth};
    int index = 0;
    for (auto& node : nodes) {
      YAML::Mark where;
      if (!walk(node, 0, budget, where)) {
        const bool depth = budget.nodes <= budget.max_nodes;
        return fail(
            ErrorCode::limit,
            depth ? fmt::format("nesting deeper than {} levels", limits.max_depth)
                  : fmt::format("more than {} nodes once aliases are expanded (an alias bomb?)", limits.max_nodes),
            fmt::format("{}:{}:{}", path, where.line + 1, where.column + 1));
      }
      const int line = node.Mark().line >= 0 ? node.Mark().line + 1 : 1;
      docs.push_back(YamlDocument{std::move(node), index++, line});
    }
  } catch (const YAML::Exception& e) {
    if (e.mark.is_null()) return fail(ErrorCode::parse, e.msg, std::string(path));
    return fail(ErrorCode::parse, e.msg, fmt::format("{}:{}:{}", path, e.mark.line + 1, e.mark.column + 1));
  } catch (const util::YamlDocumentLimit&) {
    return fail(ErrorCode::limit,
                fmt::format("more than {} documents; the limit is {}", limits.max_documents, limits.max_documents),
                std::string(path));
  } catch (const std::exception& e) {
    return fail(ErrorCode::parse, e.what(), std::string(path));
  }
  return docs;
}

core::Location location_of(const YAML::Node& node, std::string_view path) {
  core::Location loc;
  loc.path = std::string(path);
  if (node && !node.Mark().is_null()) {
    loc.line = node.Mark().line + 1;
    loc.column = node.Mark().column + 1;
  }
  return loc;
}

std::string scalar_or_empty(const YAML::Node& node, std::string_view key) {
  try {
    if (!node || !node.IsMap()) return {};
    const auto value = node[std::string(key)];
    if (!value || !value.IsScalar()) return {};
    return value.Scalar();
  } catch (const YAML::Exception&) {
    return {};
  }
}

}  // namespace bulwark::config
