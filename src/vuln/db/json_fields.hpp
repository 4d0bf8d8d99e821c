// Typed reads from a parsed document tree for the advisory parsers (internal).
//
// A field of the wrong type makes the whole record unusable, so the readers throw
// RecordError, which each parser catches at the record boundary and turns into a
// diagnostic. Nothing here escapes the parsers.
#pragma once

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace bulwark::vuln::db::fields {

struct RecordError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The member or nullptr (also when obj is not an object).
inline const nlohmann::json* find(const nlohmann::json& obj, std::string_view key) {
  if (!obj.is_object()) return nullptr;
  const auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

// A string member ("" when absent). Numbers are accepted and printed, as YAML and
// legacy JSON feeds write ids and versions either way.
inline std::string text(const nlohmann::json& obj, std::string_view key) {
  const auto* v = find(obj, key);
  if (!v) return {};
  if (v->is_string()) return v->get<std::string>();
  if (v->is_number_integer()) return std::to_string(v->get<std::int64_t>());
  if (v->is_number()) return v->dump();
  throw RecordError(fmt::format("\"{}\" is not a string", key));
}

inline std::string scalar(const nlohmann::json& v, std::string_view what) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<std::int64_t>());
  if (v.is_number()) return v.dump();
  throw RecordError(fmt::format("{} is not a string", what));
}

inline std::vector<std::string> text_list(const nlohmann::json& obj, std::string_view key) {
  std::vector<std::string> out;
  const auto* v = find(obj, key);
  if (!v) return out;
  if (!v->is_array()) throw RecordError(fmt::format("\"{}\" is not a list", key));
  for (const auto& item : *v) out.push_back(scalar(item, fmt::format("an item of \"{}\"", key)));
  return out;
}

inline const nlohmann::json& array(const nlohmann::json& obj, std::string_view key) {
  static const nlohmann::json empty = nlohmann::json::array();
  const auto* v = find(obj, key);
  if (!v) return empty;
  if (!v->is_array()) throw RecordError(fmt::format("\"{}\" is not a list", key));
  return *v;
}

inline const nlohmann::json& object(const nlohmann::json& obj, std::string_view key) {
  static const nlohmann::json empty = nlohmann::json::object();
  const auto* v = find(obj, key);
  if (!v) return empty;
  if (!v->is_object()) throw RecordError(fmt::format("\"{}\" is not an object", key));
  return *v;
}

}  // namespace bulwark::vuln::db::fields
