#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>

#include "util/json_depth.hpp"
#include "vuln/db/parsers.hpp"

namespace bulwark::vuln::db {

using nlohmann::json;

void ParseLog::reject(std::string_view item, std::string_view reason, int line) {
  ++rejected_;
  core::Diagnostic d;
  d.level = core::DiagnosticLevel::error;
  d.code = "bad-record";
  d.file = file_;
  d.line = line;
  d.item = std::string(item);
  d.message = std::string(reason);
  diags_.add(std::move(d));
}

void ParseLog::warn(std::string_view item, std::string_view code, std::string_view reason, int line) {
  core::Diagnostic d;
  d.level = core::DiagnosticLevel::warning;
  d.code = std::string(code);
  d.file = file_;
  d.line = line;
  d.item = std::string(item);
  d.message = std::string(reason);
  diags_.add(std::move(d));
}

void ParseLog::unreadable(std::string_view reason) {
  document_failed_ = true;
  core::Diagnostic d;
  d.level = core::DiagnosticLevel::error;
  d.code = "bad-document";
  d.file = file_;
  d.message = std::string(reason);
  diags_.add(std::move(d));
}

namespace {

// yaml-cpp recurses too. Block nesting shows as indentation and flow nesting as
// brackets; both bounded by the limit (an over-estimate is fine: real files are shallow).
bool yaml_too_deep(std::string_view text, std::uint32_t max_depth) {
  std::size_t flow = 0;
  std::size_t line_start = 0;
  while (line_start < text.size()) {
    auto end = text.find('\n', line_start);
    if (end == std::string_view::npos) end = text.size();
    const auto line = text.substr(line_start, end - line_start);
    const auto indent = line.find_first_not_of(" -");
    if (indent != std::string_view::npos && indent > 4 * static_cast<std::size_t>(max_depth)) return true;
    for (char c : line) {
      if (c == '[' || c == '{') {
        if (++flow > max_depth) return true;
      } else if ((c == ']' || c == '}') && flow > 0) {
        --flow;
      }
    }
    line_start = end + 1;
  }
  return false;
}

// Anchors and aliases share nodes in yaml-cpp but are copied here, so a few nested
// aliases could expand exponentially ("billion laughs"): the budget bounds the copy.
json yaml_to_json(const YAML::Node& node, std::uint32_t depth, std::uint32_t max_depth, std::uint64_t& budget) {
  if (depth > max_depth) throw std::runtime_error("nesting deeper than the limit");
  if (budget == 0) throw std::runtime_error("too many nodes (alias expansion?)");
  --budget;
  switch (node.Type()) {
    case YAML::NodeType::Scalar: return node.Scalar();
    case YAML::NodeType::Sequence: {
      json out = json::array();
      for (const auto& item : node) out.push_back(yaml_to_json(item, depth + 1, max_depth, budget));
      return out;
    }
    case YAML::NodeType::Map: {
      json out = json::object();
      for (const auto& kv : node) {
        out[kv.first.as<std::string>()] = yaml_to_json(kv.second, depth + 1, max_depth, budget);
      }
      return out;
    }
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined: return nullptr;
  }
  return nullptr;
}

}  // namespace

json parse_json_document(std::string_view text, const ImportLimits& limits, ParseLog& log) {
  if (util::json_depth(text) > limits.max_depth) {
    log.unreadable(fmt::format("JSON nested deeper than {} levels", limits.max_depth));
    return json(json::value_t::discarded);
  }
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) log.unreadable("not valid JSON");
  return doc;
}

json parse_yaml_document(std::string_view text, const ImportLimits& limits, ParseLog& log) {
  if (yaml_too_deep(text, limits.max_depth)) {
    log.unreadable(fmt::format("YAML nested deeper than {} levels", limits.max_depth));
    return json(json::value_t::discarded);
  }
  try {
    const YAML::Node root = YAML::Load(std::string(text));
    // A node needs at least two bytes of text unless aliases repeat it.
    std::uint64_t budget = text.size() / 2 + 1024;
    return yaml_to_json(root, 0, limits.max_depth, budget);
  } catch (const std::exception& e) {
    log.unreadable(fmt::format("not valid YAML: {}", e.what()));
  }
  return json(json::value_t::discarded);
}

}  // namespace bulwark::vuln::db
