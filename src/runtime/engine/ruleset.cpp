#include "runtime/engine/ruleset.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>
#include <utility>

#include "runtime/engine/filter.hpp"
#include "util/yaml_load.hpp"

namespace bulwark::runtime::engine {

namespace {

using core::DiagnosticLevel;

struct Pos {
  int line = 0;
  int col = 0;
  long offset = -1;  // bytes into the file, where known
};

Pos pos_of(const YAML::Node& n) {
  auto m = n.Mark();
  if (m.is_null()) return {};
  return {m.line + 1, m.column + 1, m.pos};
}

// A piece of condition or output text and where it was written (an override may append
// pieces from other files), so a diagnostic can point at the token inside it.
struct Written {
  std::string file;
  Pos pos;
  std::string text;
};

struct ExceptionDef {
  std::string name;
  bool fields_set = false;
  bool fields_is_list = false;
  std::vector<std::string> fields;
  bool comps_set = false;
  bool comps_is_list = false;
  std::vector<std::string> comps;
  // values: each a tuple; each element a scalar or a list
  struct Elem {
    bool is_list = false;
    std::string scalar;
    std::vector<std::string> list;
  };
  std::vector<std::vector<Elem>> values;
  bool values_set = false;
  std::string file;
  Pos pos;
};

struct RuleDef {
  std::string name;
  std::string desc, condition, output, source = "syscall";
  std::optional<Priority> priority;
  std::vector<std::string> tags;
  std::optional<bool> enabled;
  bool warn_evttypes = true;
  bool skip_unknown = false;
  bool capture = false;
  std::int64_t capture_duration = 0;
  std::vector<ExceptionDef> exceptions;
  std::string file;
  Pos pos, cond_pos;
  std::vector<Written> cond_src, out_src;
  bool valid = true;  // false when a collection error concerns it
};

struct ListDef {
  std::string name;
  std::vector<std::string> items;
  std::string file;
  Pos pos;
};

struct MacroDef {
  std::string name;
  std::string condition;
  std::string file;
  Pos pos, cond_pos;
  std::vector<Written> cond_src;
};

bool valid_name(std::string_view n) {
  if (n.empty() || !(std::isalpha(static_cast<unsigned char>(n[0])) || n[0] == '_')) return false;
  return std::all_of(n.begin(), n.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

// "  startswith   oneof " -> "startswith oneof"
std::string normalize_comp(std::string_view s) {
  std::string out;
  std::string word;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || std::isspace(static_cast<unsigned char>(s[i]))) {
      if (!word.empty()) {
        if (!out.empty()) out.push_back(' ');
        out += word;
        word.clear();
      }
    } else {
      word.push_back(s[i]);
    }
  }
  return out;
}

bool valid_comp(std::string_view comp) {
  auto sp = comp.find(' ');
  std::string_view base = comp.substr(0, sp);
  if (!is_operator(base) || base == "exists") return false;
  if (sp == std::string_view::npos) return true;
  std::string_view mod = comp.substr(sp + 1);
  if (mod != "oneof" && mod != "anyof" && mod != "allof") return false;
  if (is_list_operator(base)) return false;
  if (base == "<" || base == "<=" || base == ">" || base == ">=") return false;
  return true;
}

bool comp_wants_list(std::string_view comp) {
  auto sp = comp.find(' ');
  return sp != std::string_view::npos || is_list_operator(comp);
}

}  // namespace

class Loader {
 public:
  Loader(const LoadOptions& opts, Ruleset& out) : opts_(opts), out_(out) {}

  void read(const RulesFile& f);
  void compile();

 private:
  const LoadOptions& opts_;
  Ruleset& out_;
  std::size_t nodes_ = 0;
  std::size_t bytes_ = 0;
  bool budget_blown_ = false;
  std::string file_;

  std::map<std::string, std::string_view, std::less<>> texts_;  // file name -> content, to locate tokens
  std::map<std::string, std::size_t> unknown_in_macro_;         // unknown field -> the first macro using it

  std::vector<ListDef> lists_;
  std::vector<MacroDef> macros_;
  std::vector<RuleDef> rules_;
  std::map<std::string, std::size_t> list_idx_, macro_idx_, rule_idx_;

  void diag(DiagnosticLevel lvl, std::string code, Pos p, std::string type, std::string name, std::string msg) {
    LoadDiagnostic d;
    d.level = lvl;
    d.code = std::move(code);
    d.file = file_;
    d.line = p.line;
    d.column = p.col;
    d.item_type = std::move(type);
    d.item_name = std::move(name);
    d.message = std::move(msg);
    out_.diags_.push_back(std::move(d));
  }
  void error(std::string code, Pos p, std::string type, std::string name, std::string msg) {
    diag(DiagnosticLevel::error, std::move(code), p, std::move(type), std::move(name), std::move(msg));
  }
  void warning(std::string code, Pos p, std::string type, std::string name, std::string msg) {
    diag(DiagnosticLevel::warning, std::move(code), p, std::move(type), std::move(name), std::move(msg));
  }
  void warning_in(const std::string& file, std::string code, Pos p, std::string type, std::string name,
                  std::string msg) {
    std::string saved = std::exchange(file_, file);
    warning(std::move(code), p, std::move(type), std::move(name), std::move(msg));
    file_ = std::move(saved);
  }

  // Where `field` is written inside `w` (line and column in its file), if it is.
  std::optional<Pos> locate(const Written& w, const std::string& field) const;
  // Warns that a rule is not loaded because of fields bulwark does not have.
  void warn_unknown_fields(const RuleDef& r, const std::vector<std::string>& in_condition,
                           const std::vector<std::string>& in_output);

  bool charge(std::size_t n = 1) {
    nodes_ += n;
    if (nodes_ > opts_.max_yaml_nodes) {
      budget_blown_ = true;
      return false;
    }
    return true;
  }

  // Scalar as string; false (with a diagnostic) when it is not a scalar.
  bool scalar(const YAML::Node& n, std::string& out, const char* key, const std::string& type,
              const std::string& name) {
    if (!charge()) return false;
    if (!n.IsScalar()) {
      error("LOAD_ERR_YAML_VALIDATE", pos_of(n), type, name,
            std::string("Value for key '") + key + "' must be a string");
      schema_fail();
      return false;
    }
    out = n.Scalar();
    return true;
  }
  bool bool_value(const YAML::Node& n, bool& out, const char* key, const std::string& type, const std::string& name) {
    if (!charge()) return false;
    std::string s = n.IsScalar() ? n.Scalar() : "";
    if (n.IsScalar() && n.Tag() != "!" && (s == "true" || s == "false" || s == "True" || s == "False")) {
      out = s == "true" || s == "True";
      return true;
    }
    warning("LOAD_ERR_YAML_VALIDATE", pos_of(n), type, name,
            std::string("Value for key '") + key + "' must be a boolean");
    schema_fail();
    return false;
  }
  bool string_list(const YAML::Node& n, std::vector<std::string>& out, bool& is_list, const char* key,
                   const std::string& type, const std::string& name) {
    if (!charge()) return false;
    out.clear();
    if (n.IsScalar()) {
      is_list = false;
      out.push_back(n.Scalar());
      return true;
    }
    if (n.IsNull()) {
      is_list = true;
      return true;
    }
    if (!n.IsSequence()) {
      error("LOAD_ERR_YAML_VALIDATE", pos_of(n), type, name, std::string("Value for key '") + key + "' must be a list");
      schema_fail();
      return false;
    }
    is_list = true;
    for (const auto& item : n) {
      if (!charge()) return false;
      if (!item.IsScalar()) {
        error("LOAD_ERR_YAML_VALIDATE", pos_of(item), type, name,
              std::string("Items of '") + key + "' must be strings");
        schema_fail();
        return false;
      }
      bytes_ += item.Scalar().size();
      if (bytes_ > 4 * opts_.max_file_bytes) {
        // Aliases can repeat one large string many times: bound what the file expands to.
        error("LOAD_ERR_LIMIT", pos_of(n), type, name, "the YAML expands to more text than the limit (aliases?)");
        budget_blown_ = true;
        return false;
      }
      if (out.size() >= opts_.max_list_items) {
        error("LOAD_ERR_LIMIT", pos_of(n), type, name, fmt_limit(key, opts_.max_list_items));
        return false;
      }
      out.push_back(item.Scalar());
    }
    return true;
  }
  static std::string fmt_limit(const char* key, std::size_t n) {
    return std::string("'") + key + "' has more than " + std::to_string(n) + " items (limit)";
  }
  void schema_fail() { out_schema_ok_ = false; }

 public:
  bool out_schema_ok_ = true;

 private:
  bool read_exceptions(const YAML::Node& n, std::vector<ExceptionDef>& out, const std::string& rule);
  void read_item(const YAML::Node& item);
  void read_list(const YAML::Node& item);
  void read_macro(const YAML::Node& item);
  void read_rule(const YAML::Node& item);
  void check_unknown_keys(const YAML::Node& item, std::initializer_list<std::string_view> known,
                          const std::string& type, const std::string& name);
  bool check_engine_version(const YAML::Node& v);

  // compile helpers
  std::string exception_text(const RuleDef& r);
  bool expand(Node& n, int depth, std::size_t& budget, const std::string& type, const std::string& name, Pos p,
              std::set<std::string>& stack);
  void expand_lists(Node& n);
  std::map<std::string, std::unique_ptr<Node>> macro_asts_;
  std::map<std::string, bool> macro_bad_;
};

void Loader::check_unknown_keys(const YAML::Node& item, std::initializer_list<std::string_view> known,
                                const std::string& type, const std::string& name) {
  for (const auto& kv : item) {
    if (!charge()) return;
    std::string k = kv.first.IsScalar() ? kv.first.Scalar() : "";
    if (std::find(known.begin(), known.end(), k) == known.end()) {
      warning("LOAD_UNKNOWN_KEY", pos_of(kv.first), type, name, "Unknown key '" + k + "'. The key will be ignored.");
      // Falco's schema is the union of all item kinds: a rule key on a list is ignored, not invalid.
      static const std::set<std::string_view> any_item = {"rule",
                                                          "desc",
                                                          "condition",
                                                          "output",
                                                          "priority",
                                                          "enabled",
                                                          "tags",
                                                          "exceptions",
                                                          "source",
                                                          "append",
                                                          "override",
                                                          "warn_evttypes",
                                                          "skip-if-unknown-filter",
                                                          "capture",
                                                          "capture_duration",
                                                          "list",
                                                          "items",
                                                          "macro"};
      if (type == "exception" || !any_item.contains(k)) schema_fail();
    }
  }
}

bool parse_semver(std::string_view s, int& a, int& b, int& c) {
  a = b = c = 0;
  int* parts[3] = {&a, &b, &c};
  std::size_t i = 0;
  for (int k = 0; k < 3; ++k) {
    if (i >= s.size() || !std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    long v = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      v = v * 10 + (s[i] - '0');
      if (v > 1000000000) return false;
      ++i;
    }
    *parts[k] = static_cast<int>(v);
    if (k < 2) {
      if (i >= s.size() || s[i] != '.') return false;
      ++i;
    }
  }
  return i == s.size();
}

bool Loader::check_engine_version(const YAML::Node& v) {
  std::string s = v.IsScalar() ? v.Scalar() : "";
  int a = 0, b = 0, c = 0;
  if (!parse_semver(s, a, b, c)) {
    // The old form: a bare number means 0.N.0.
    bool digits = !s.empty() &&
                  std::all_of(s.begin(), s.end(), [](char ch) { return std::isdigit(static_cast<unsigned char>(ch)); });
    if (!digits || s.size() > 9) {
      error("LOAD_ERR_YAML_VALIDATE", pos_of(v), "required_engine_version", "",
            "Unable to parse engine version '" + s + "' as a semver string.Expected \"x.y.z\" semver format.");
      return false;
    }
    a = 0;
    c = 0;
    b = std::stoi(s);
  }
  int ea = 0, eb = 0, ec = 0;
  parse_semver(kEngineVersion, ea, eb, ec);
  if (std::tie(a, b, c) > std::tie(ea, eb, ec)) {
    error("LOAD_ERR_VALIDATE", pos_of(v), "required_engine_version", "",
          "Rules require engine version " + s + ", but engine version is " + std::string(kEngineVersion));
    return false;
  }
  return true;
}

void Loader::read(const RulesFile& f) {
  file_ = f.name;
  texts_[f.name] = f.content;
  nodes_ = 0;
  bytes_ = 0;
  budget_blown_ = false;
  if (f.content.size() > opts_.max_file_bytes) {
    error("LOAD_ERR_LIMIT", {}, "rules content", "",
          "file is larger than the limit of " + std::to_string(opts_.max_file_bytes) + " bytes");
    return;
  }
  // yaml-cpp parses recursively: refuse deep flow nesting and deep indentation before it sees them.
  {
    int depth = 0, max_depth = 0;
    char quote = 0;
    std::size_t indent = 0, line_no = 1, bad_line = 0;
    bool at_line_start = true;
    for (char c : f.content) {
      if (c == '\n') {
        ++line_no;
        at_line_start = true;
        indent = 0;
        quote = 0;
        continue;
      }
      if (at_line_start) {
        if (c == ' ') {
          if (++indent > static_cast<std::size_t>(opts_.max_yaml_depth) * 8 && !bad_line) bad_line = line_no;
          continue;
        }
        at_line_start = false;
      }
      if (quote) {
        if (c == quote) quote = 0;
        continue;
      }
      if (c == '"' || c == '\'') {
        quote = c;
      } else if (c == '[' || c == '{') {
        max_depth = std::max(max_depth, ++depth);
        if (max_depth > opts_.max_yaml_depth && !bad_line) bad_line = line_no;
      } else if (c == ']' || c == '}') {
        depth = std::max(0, depth - 1);
      } else if (c == '#') {
        // comments may hold anything; skip to the end of the line
        quote = '\n';
      }
    }
    if (bad_line) {
      error("LOAD_ERR_LIMIT", {static_cast<int>(bad_line), 1}, "rules content", "",
            "YAML nests deeper than the limit of " + std::to_string(opts_.max_yaml_depth) + " levels");
      return;
    }
  }
  std::vector<YAML::Node> docs;
  try {
    docs = util::load_all_bounded(f.content, opts_.max_items);
  } catch (const YAML::Exception& e) {
    error("LOAD_ERR_YAML_PARSE", {e.mark.line + 1, e.mark.column + 1}, "rules content", "", e.what());
    return;
  } catch (const std::exception& e) {
    error("LOAD_ERR_YAML_PARSE", {}, "rules content", "", e.what());
    return;
  }
  std::size_t items = 0;
  for (const auto& doc : docs) {
    if (doc.IsNull()) continue;
    if (!doc.IsSequence()) {
      error("LOAD_ERR_YAML_VALIDATE", pos_of(doc), "rules content", "", "Rules content is not yaml array of objects");
      schema_fail();
      continue;
    }
    for (const auto& item : doc) {
      if (++items > opts_.max_items) {
        error("LOAD_ERR_LIMIT", pos_of(item), "rules content", "",
              "more than " + std::to_string(opts_.max_items) + " items in one file (limit)");
        return;
      }
      try {
        read_item(item);
      } catch (const std::exception& e) {
        error("LOAD_ERR_YAML_VALIDATE", pos_of(item), "rules content", "", std::string("malformed item: ") + e.what());
      }
      if (budget_blown_) {
        error("LOAD_ERR_LIMIT", pos_of(item), "rules content", "",
              "the YAML expands to more than " + std::to_string(opts_.max_yaml_nodes) +
                  " nodes (alias expansion?); stopped reading this file");
        return;
      }
    }
  }
}

void Loader::read_item(const YAML::Node& item) {
  if (!charge()) return;
  if (!item.IsMap()) {
    error("LOAD_ERR_YAML_VALIDATE", pos_of(item), "rules content", "",
          "Unexpected element type. Each element should be a yaml associative array.");
    schema_fail();
    return;
  }
  if (item["required_engine_version"]) {
    check_engine_version(item["required_engine_version"]);
  } else if (item["required_plugin_versions"]) {
    // bulwark has no plugins; the container fields it needs are built in.
  } else if (item["list"]) {
    read_list(item);
  } else if (item["macro"]) {
    read_macro(item);
  } else if (item["rule"]) {
    read_rule(item);
  } else {
    std::string first =
        item.begin() != item.end() && item.begin()->first.IsScalar() ? item.begin()->first.Scalar() : "";
    warning("LOAD_UNKNOWN_ITEM", pos_of(item), "rules content", "", "Unknown top level item '" + first + "'");
    schema_fail();
  }
}

// Reads the override map: key -> "append" | "replace".
bool read_override(const YAML::Node& n, std::map<std::string, std::string>& out) {
  if (!n.IsMap()) return false;
  for (const auto& kv : n) {
    if (!kv.first.IsScalar() || !kv.second.IsScalar()) return false;
    out[kv.first.Scalar()] = kv.second.Scalar();
  }
  return true;
}

void Loader::read_list(const YAML::Node& item) {
  Pos p = pos_of(item);
  std::string name;
  if (item["list"].IsNull()) {
    error("LOAD_ERR_YAML_VALIDATE", p, "list", "", "Mapping for key 'list' is empty");
    return;
  }
  if (!scalar(item["list"], name, "list", "list", "")) return;
  if (name.empty()) {
    error("LOAD_ERR_YAML_VALIDATE", p, "list", "", "Mapping for key 'list' is empty");
    return;
  }
  check_unknown_keys(item, {"list", "items", "append", "override"}, "list", name);
  if (!valid_name(name)) {
    warning("LOAD_INVALID_LIST_NAME", p, "list", name,
            "List has an invalid name. List names should match a regular expression: ^[a-zA-Z_][a-zA-Z0-9_]*$");
  }
  if (!item["items"]) {
    error("LOAD_ERR_YAML_VALIDATE", p, "list", name, "Item has no mapping for key 'items'");
    return;
  }
  std::vector<std::string> items;
  bool is_list = true;
  if (!string_list(item["items"], items, is_list, "items", "list", name)) return;
  bool append = false;
  if (item["append"]) {
    bool_value(item["append"], append, "append", "list", name);
    if (append) {
      warning("LOAD_DEPRECATED_ITEM", p, "list", name,
              "'append' key is deprecated. Add an 'append' entry (e.g. 'items: append') under 'override' instead.");
    }
  }
  std::string mode;
  if (item["override"]) {
    std::map<std::string, std::string> ov;
    if (!read_override(item["override"], ov)) {
      error("LOAD_ERR_YAML_VALIDATE", pos_of(item["override"]), "list", name, "Value for key 'override' must be a map");
      return;
    }
    if (append) {
      error("LOAD_ERR_VALIDATE", p, "list", name,
            "Keys 'override' and 'append: true' cannot be used together. Add an 'append' entry (e.g. 'items: append') "
            "under 'override' instead.");
      return;
    }
    for (const auto& [k, v] : ov) {
      if (k != "items") {
        error("LOAD_ERR_VALIDATE", pos_of(item["override"]), "list", name, "Unexpected key '" + k + "'");
        return;
      }
      if (v != "append" && v != "replace") {
        error("LOAD_ERR_VALIDATE", pos_of(item["override"]), "list", name, "Invalid override value '" + v + "'");
        return;
      }
      mode = v;
    }
  }
  if (append) mode = "append";
  auto it = list_idx_.find(name);
  if (mode == "append") {
    if (it == list_idx_.end()) {
      error("LOAD_ERR_VALIDATE", p, "list", name,
            "List uses 'append' or 'override.items: append' but no list by that name already exists");
      return;
    }
    auto& l = lists_[it->second];
    if (l.items.size() + items.size() > opts_.max_list_items) {
      error("LOAD_ERR_LIMIT", p, "list", name, fmt_limit("items", opts_.max_list_items));
      return;
    }
    l.items.insert(l.items.end(), items.begin(), items.end());
    return;
  }
  if (it != list_idx_.end()) {
    lists_[it->second].items = std::move(items);
    return;
  }
  list_idx_[name] = lists_.size();
  lists_.push_back({name, std::move(items), file_, p});
}

void Loader::read_macro(const YAML::Node& item) {
  Pos p = pos_of(item);
  std::string name;
  if (item["macro"].IsNull()) {
    error("LOAD_ERR_YAML_VALIDATE", p, "macro", "", "Mapping for key 'macro' is empty");
    return;
  }
  if (!scalar(item["macro"], name, "macro", "macro", "")) return;
  if (name.empty()) {
    error("LOAD_ERR_YAML_VALIDATE", p, "macro", "", "Mapping for key 'macro' is empty");
    return;
  }
  check_unknown_keys(item, {"macro", "condition", "append", "override"}, "macro", name);
  if (!valid_name(name)) {
    warning("LOAD_INVALID_MACRO_NAME", p, "macro", name,
            "Macro has an invalid name. Macro names should match a regular expression: ^[a-zA-Z_][a-zA-Z0-9_]*$");
  }
  if (!item["condition"]) {
    error("LOAD_ERR_YAML_VALIDATE", p, "macro", name, "Item has no mapping for key 'condition'");
    return;
  }
  std::string cond;
  if (!scalar(item["condition"], cond, "condition", "macro", name)) return;
  bool append = false;
  if (item["append"]) {
    bool_value(item["append"], append, "append", "macro", name);
    if (append) {
      warning("LOAD_DEPRECATED_ITEM", p, "macro", name,
              "'append' key is deprecated. Add an 'append' entry (e.g. 'condition: append') under 'override' instead.");
    }
  }
  std::string mode;
  if (item["override"]) {
    std::map<std::string, std::string> ov;
    if (!read_override(item["override"], ov)) {
      error("LOAD_ERR_YAML_VALIDATE", pos_of(item["override"]), "macro", name,
            "Value for key 'override' must be a map");
      return;
    }
    if (append) {
      error("LOAD_ERR_VALIDATE", p, "macro", name,
            "Keys 'override' and 'append: true' cannot be used together. Add an 'append' entry (e.g. 'condition: "
            "append') under 'override' instead.");
      return;
    }
    for (const auto& [k, v] : ov) {
      if (k != "condition") {
        error("LOAD_ERR_VALIDATE", pos_of(item["override"]), "macro", name, "Unexpected key '" + k + "'");
        return;
      }
      if (v != "append" && v != "replace") {
        error("LOAD_ERR_VALIDATE", pos_of(item["override"]), "macro", name, "Invalid override value '" + v + "'");
        return;
      }
      mode = v;
    }
  }
  if (append) mode = "append";
  auto it = macro_idx_.find(name);
  if (mode == "append") {
    if (it == macro_idx_.end()) {
      error("LOAD_ERR_VALIDATE", p, "macro", name,
            "Macro uses 'append' or 'override.condition: append' but no macro by that name already exists");
      return;
    }
    auto& m = macros_[it->second];
    m.condition += " " + cond;
    m.cond_src.push_back({file_, pos_of(item["condition"]), cond});
    return;
  }
  if (it != macro_idx_.end()) {
    macros_[it->second].condition = cond;
    macros_[it->second].cond_pos = pos_of(item["condition"]);
    macros_[it->second].file = file_;
    macros_[it->second].cond_src = {{file_, pos_of(item["condition"]), cond}};
    return;
  }
  macro_idx_[name] = macros_.size();
  macros_.push_back({name, cond, file_, p, pos_of(item["condition"]), {{file_, pos_of(item["condition"]), cond}}});
}

bool Loader::read_exceptions(const YAML::Node& n, std::vector<ExceptionDef>& out, const std::string& rule) {
  if (!n.IsSequence()) {
    error("LOAD_ERR_YAML_VALIDATE", pos_of(n), "rule", rule, "Value for key 'exceptions' must be a list");
    schema_fail();
    return false;
  }
  for (const auto& e : n) {
    if (!charge()) return false;
    ExceptionDef ex;
    ex.file = file_;
    ex.pos = pos_of(e);
    if (!e.IsMap()) {
      error("LOAD_ERR_YAML_VALIDATE", ex.pos, "exception", "", "Each exception must be a map");
      return false;
    }
    if (!e["name"] || !e["name"].IsScalar()) {
      error("LOAD_ERR_YAML_VALIDATE", ex.pos, "exception", "", "Item has no mapping for key 'name'");
      return false;
    }
    ex.name = e["name"].Scalar();
    check_unknown_keys(e, {"name", "fields", "comps", "values"}, "exception", ex.name);
    if (e["fields"]) {
      ex.fields_set = true;
      if (!string_list(e["fields"], ex.fields, ex.fields_is_list, "fields", "exception", ex.name)) return false;
    }
    if (e["comps"]) {
      ex.comps_set = true;
      if (!string_list(e["comps"], ex.comps, ex.comps_is_list, "comps", "exception", ex.name)) return false;
      for (auto& c : ex.comps) c = normalize_comp(c);
    }
    if (e["values"]) {
      ex.values_set = true;
      const auto& vals = e["values"];
      if (!vals.IsSequence()) {
        error("LOAD_ERR_YAML_VALIDATE", pos_of(vals), "exception", ex.name, "Value for key 'values' must be a list");
        return false;
      }
      for (const auto& tuple : vals) {
        if (!charge()) return false;
        std::vector<ExceptionDef::Elem> t;
        auto add_elem = [&](const YAML::Node& v) {
          ExceptionDef::Elem el;
          if (v.IsSequence()) {
            el.is_list = true;
            for (const auto& s : v) {
              if (!charge()) return false;
              el.list.push_back(s.IsScalar() ? s.Scalar() : "");
            }
          } else {
            el.scalar = v.IsScalar() ? v.Scalar() : "";
          }
          t.push_back(std::move(el));
          return true;
        };
        if (ex.fields_is_list || !ex.fields_set) {
          if (tuple.IsSequence()) {
            for (const auto& v : tuple)
              if (!add_elem(v)) return false;
          } else {
            if (!add_elem(tuple)) return false;
          }
        } else {
          if (!add_elem(tuple)) return false;
        }
        ex.values.push_back(std::move(t));
      }
    }
    out.push_back(std::move(ex));
  }
  return true;
}

void Loader::read_rule(const YAML::Node& item) {
  Pos p = pos_of(item);
  RuleDef r;
  r.file = file_;
  r.pos = p;
  if (item["rule"].IsNull()) {
    error("LOAD_ERR_YAML_VALIDATE", p, "rule", "", "Mapping for key 'rule' is empty");
    return;
  }
  if (!scalar(item["rule"], r.name, "rule", "rule", "")) return;
  const std::string& name = r.name;
  if (name.empty()) {
    error("LOAD_ERR_YAML_VALIDATE", p, "rule", "", "Mapping for key 'rule' is empty");
    return;
  }
  check_unknown_keys(item,
                     {"rule", "desc", "condition", "output", "priority", "enabled", "tags", "exceptions", "source",
                      "append", "override", "warn_evttypes", "skip-if-unknown-filter", "capture", "capture_duration"},
                     "rule", name);
  std::set<std::string> present;
  for (const auto& kv : item)
    if (kv.first.IsScalar()) present.insert(kv.first.Scalar());

  bool ok = true;
  if (item["desc"]) ok &= scalar(item["desc"], r.desc, "desc", "rule", name);
  if (item["condition"]) {
    ok &= scalar(item["condition"], r.condition, "condition", "rule", name);
    r.cond_pos = pos_of(item["condition"]);
    r.cond_src = {{file_, r.cond_pos, r.condition}};
  }
  if (item["output"]) {
    ok &= scalar(item["output"], r.output, "output", "rule", name);
    r.out_src = {{file_, pos_of(item["output"]), r.output}};
  }
  if (item["source"]) ok &= scalar(item["source"], r.source, "source", "rule", name);
  if (item["priority"]) {
    std::string pr;
    ok &= scalar(item["priority"], pr, "priority", "rule", name);
    r.priority = parse_priority(pr);
    if (!r.priority) {
      error("LOAD_ERR_VALIDATE", pos_of(item["priority"]), "rule", name, "Invalid priority '" + pr + "'");
      ok = false;
    }
  }
  if (item["tags"]) {
    bool is_list = true;
    ok &= string_list(item["tags"], r.tags, is_list, "tags", "rule", name);
  }
  if (item["enabled"]) {
    bool b = true;
    if (bool_value(item["enabled"], b, "enabled", "rule", name)) r.enabled = b;
  }
  if (item["warn_evttypes"]) bool_value(item["warn_evttypes"], r.warn_evttypes, "warn_evttypes", "rule", name);
  if (item["skip-if-unknown-filter"])
    bool_value(item["skip-if-unknown-filter"], r.skip_unknown, "skip-if-unknown-filter", "rule", name);
  if (item["capture"]) bool_value(item["capture"], r.capture, "capture", "rule", name);
  if (item["capture_duration"]) {
    try {
      r.capture_duration = item["capture_duration"].as<std::int64_t>();
    } catch (...) {
      schema_fail();
    }
  }
  if (item["exceptions"]) ok &= read_exceptions(item["exceptions"], r.exceptions, name);
  if (!ok) return;

  bool append = false;
  if (item["append"]) {
    bool_value(item["append"], append, "append", "rule", name);
    if (append) {
      warning("LOAD_DEPRECATED_ITEM", p, "rule", name,
              "'append' key is deprecated. Add an 'append' entry (e.g. 'condition: append') under 'override' instead.");
    }
  }
  auto it = rule_idx_.find(name);
  RuleDef* prev = it == rule_idx_.end() ? nullptr : &rules_[it->second];

  auto append_exceptions = [&](RuleDef& target) -> bool {
    for (auto& ex : r.exceptions) {
      auto found = std::find_if(target.exceptions.begin(), target.exceptions.end(),
                                [&](const ExceptionDef& e) { return e.name == ex.name; });
      if (found != target.exceptions.end()) {
        if (ex.values.empty()) {
          warning("LOAD_EXCEPTION_NO_VALUES", ex.pos, "exception", ex.name,
                  "Overriding/appending exception with no values");
          continue;
        }
        for (auto& t : ex.values) {
          if (found->fields_is_list && t.size() != found->fields.size()) {
            error("LOAD_ERR_VALIDATE", ex.pos, "exception", ex.name, "Fields and values lists must have equal length");
            return false;
          }
          found->values.push_back(t);
        }
      } else {
        if (!ex.fields_set) {
          error("LOAD_ERR_VALIDATE", ex.pos, "exception", ex.name,
                "Rule exception must have fields property with a list of fields");
          return false;
        }
        target.exceptions.push_back(ex);
      }
    }
    return true;
  };

  if (item["override"]) {
    std::map<std::string, std::string> ov;
    if (!read_override(item["override"], ov)) {
      error("LOAD_ERR_YAML_VALIDATE", pos_of(item["override"]), "rule", name, "Value for key 'override' must be a map");
      return;
    }
    if (append) {
      error("LOAD_ERR_VALIDATE", p, "rule", name,
            "Keys 'override' and 'append: true' cannot be used together. Add an 'append' entry (e.g. 'condition: "
            "append') under 'override' instead.");
      return;
    }
    static const std::set<std::string> appendable = {"condition", "output", "desc", "tags", "exceptions"};
    static const std::set<std::string> replaceable = {"condition",
                                                      "output",
                                                      "desc",
                                                      "priority",
                                                      "tags",
                                                      "exceptions",
                                                      "enabled",
                                                      "warn_evttypes",
                                                      "skip-if-unknown-filter",
                                                      "capture",
                                                      "capture_duration"};
    bool has_append = false, has_replace = false;
    for (const auto& [k, v] : ov) {
      if (v == "append") {
        if (!appendable.contains(k)) {
          error("LOAD_ERR_VALIDATE", pos_of(item["override"]), "rule", name,
                "Key '" + k + "' cannot be appended to, use 'replace' instead");
          return;
        }
        has_append = true;
      } else if (v == "replace") {
        if (!replaceable.contains(k)) {
          error("LOAD_ERR_VALIDATE", pos_of(item["override"]), "rule", name, "Key '" + k + "' cannot be replaced");
          return;
        }
        has_replace = true;
      } else {
        error("LOAD_ERR_VALIDATE", pos_of(item["override"]), "rule", name, "Invalid override value '" + v + "'");
        return;
      }
      if (!present.contains(k)) {
        error("LOAD_ERR_VALIDATE", pos_of(item["override"]), "rule", name,
              "An " + v + " override for '" + k + "' was specified but '" + k + "' is not defined");
        return;
      }
    }
    for (const auto& k : present) {
      if (k == "rule" || k == "override") continue;
      if (!ov.contains(k)) {
        error("LOAD_ERR_VALIDATE", p, "rule", name, "Unexpected key '" + k + "'");
        return;
      }
    }
    if (!prev) {
      if (has_append) {
        error("LOAD_ERR_VALIDATE", p, "rule", name,
              "Rule uses 'append' or 'override.<key>: append' but no rule by that name already exists");
      } else if (has_replace) {
        error("LOAD_ERR_VALIDATE", p, "rule", name,
              "An 'override.<key>: replace' to a rule was requested but no rule by that name already exists");
      }
      return;
    }
    for (const auto& [k, v] : ov) {
      bool app = v == "append";
      if (k == "condition") {
        prev->condition = app ? prev->condition + " " + r.condition : r.condition;
        if (!app) prev->cond_pos = r.cond_pos;
        if (!app) prev->cond_src.clear();
        prev->cond_src.push_back(r.cond_src.front());
      } else if (k == "output") {
        prev->output = app ? prev->output + " " + r.output : r.output;
        if (!app) prev->out_src.clear();
        prev->out_src.push_back(r.out_src.front());
      } else if (k == "desc") {
        prev->desc = app ? prev->desc + " " + r.desc : r.desc;
      } else if (k == "tags") {
        if (app) {
          for (auto& t : r.tags)
            if (std::find(prev->tags.begin(), prev->tags.end(), t) == prev->tags.end()) prev->tags.push_back(t);
        } else {
          prev->tags = r.tags;
        }
      } else if (k == "exceptions") {
        if (app) {
          if (!append_exceptions(*prev)) return;
        } else {
          prev->exceptions = r.exceptions;
        }
      } else if (k == "priority") {
        prev->priority = r.priority;
      } else if (k == "enabled") {
        prev->enabled = r.enabled;
      } else if (k == "warn_evttypes") {
        prev->warn_evttypes = r.warn_evttypes;
      } else if (k == "skip-if-unknown-filter") {
        prev->skip_unknown = r.skip_unknown;
      } else if (k == "capture") {
        prev->capture = r.capture;
      } else if (k == "capture_duration") {
        prev->capture_duration = r.capture_duration;
      }
    }
    return;
  }
  if (append) {
    if (!prev) {
      error("LOAD_ERR_VALIDATE", p, "rule", name,
            "Rule uses 'append' or 'override.<key>: append' but no rule by that name already exists");
      return;
    }
    if (present.contains("source") && r.source != prev->source) {
      error("LOAD_ERR_VALIDATE", p, "rule", name, "Rule has been re-defined with a different source");
      return;
    }
    if (!present.contains("condition") && !present.contains("exceptions")) {
      error("LOAD_ERR_VALIDATE", p, "rule", name, "Appended rule must have exceptions or condition property");
      return;
    }
    if (present.contains("condition")) {
      prev->condition += " " + r.condition;
      prev->cond_src.push_back(r.cond_src.front());
    }
    if (!append_exceptions(*prev)) return;
    return;
  }
  // Standalone `enabled` on an existing rule.
  if (prev && present.size() == 2 && present.contains("enabled")) {
    warning("LOAD_DEPRECATED_ITEM", p, "rule", name,
            "The standalone 'enabled' key usage is deprecated. The correct approach requires also a 'replace' entry "
            "under the 'override' key (i.e. 'enabled: replace').");
    prev->enabled = r.enabled;
    return;
  }
  for (const char* k : {"condition", "output", "desc", "priority"}) {
    if (!present.contains(k)) {
      error("LOAD_ERR_YAML_VALIDATE", p, "rule", name, std::string("Item has no mapping for key '") + k + "'");
      return;
    }
  }
  // Exceptions of a new definition: structure checks.
  std::set<std::string> seen;
  for (auto& ex : r.exceptions) {
    if (!seen.insert(ex.name).second) {
      warning("LOAD_EXCEPTION_NAME_NOT_UNIQUE", ex.pos, "exception", ex.name,
              "Multiple definitions of exception '" + ex.name + "' in the same rule");
    }
    if (!ex.fields_set) {
      error("LOAD_ERR_VALIDATE", ex.pos, "exception", ex.name,
            "Rule exception must have fields property with a list of fields");
      return;
    }
    if (ex.comps_set && ex.fields_is_list != ex.comps_is_list) {
      error("LOAD_ERR_VALIDATE", ex.pos, "exception", ex.name,
            "Fields and comps must both be lists or both be strings");
      return;
    }
    if (ex.fields_is_list && ex.comps_set && ex.comps.size() != ex.fields.size()) {
      error("LOAD_ERR_VALIDATE", ex.pos, "exception", ex.name, "Fields and comps lists must have equal length");
      return;
    }
    if (!ex.comps_set) {
      ex.comps.assign(ex.fields.size(), ex.fields_is_list ? "=" : "in");
      ex.comps_is_list = ex.fields_is_list;
    }
    for (const auto& c : ex.comps) {
      if (!valid_comp(c)) {
        error("LOAD_ERR_VALIDATE", ex.pos, "exception", ex.name, "'" + c + "' is not a supported comparison operator");
        return;
      }
    }
    if (ex.fields_is_list) {
      for (const auto& t : ex.values) {
        if (t.size() != ex.fields.size()) {
          error("LOAD_ERR_VALIDATE", ex.pos, "exception", ex.name, "Fields and values lists must have equal length");
          return;
        }
      }
    }
  }
  if (!r.enabled) r.enabled = true;
  if (prev) {
    *prev = std::move(r);
  } else {
    rule_idx_[name] = rules_.size();
    rules_.push_back(std::move(r));
  }
}

bool looks_like_transformer(std::string_view v) {
  auto paren = v.find('(');
  return paren != std::string_view::npos && v.ends_with(")") && is_transformer_name(trim(v.substr(0, paren)));
}

std::string Loader::exception_text(const RuleDef& r) {
  std::string text;
  auto render = [&](const ExceptionDef& ex, const ExceptionDef::Elem& el, const std::string& comp) -> std::string {
    if (el.is_list || comp_wants_list(comp)) {
      std::string s = "(";
      const std::vector<std::string> items = el.is_list ? el.list : std::vector<std::string>{el.scalar};
      for (std::size_t i = 0; i < items.size(); ++i) {
        if (i) s += ", ";
        s += quote_if_needed(items[i]);
      }
      return s + ")";
    }
    const std::string& v = el.scalar;
    std::string t = trim(v);
    bool has_space =
        std::any_of(v.begin(), v.end(), [](char c) { return std::isspace(static_cast<unsigned char>(c)); });
    if (looks_like_transformer(t)) {
      FieldExpr fe;
      if (!has_space && parse_field_expr(v, fe)) return v;
      warning("LOAD_EXCEPTION_VALUE", ex.pos, "exception", ex.name,
              "'" + v + "' may be a valid field transformer misused as a const string value");
      return quote_if_needed(v);
    }
    if (looks_like_field(t) && find_field(t)) {
      warning("LOAD_EXCEPTION_VALUE", ex.pos, "exception", ex.name,
              "'" + v + "' may be a valid field misused as a const string value");
    }
    return quote_if_needed(v);
  };
  for (const auto& ex : r.exceptions) {
    if (ex.values.empty()) continue;
    std::string part;
    if (!ex.fields_is_list) {
      const std::string& field = ex.fields.empty() ? std::string() : ex.fields[0];
      const std::string& comp = ex.comps.empty() ? std::string("in") : ex.comps[0];
      if (comp_wants_list(comp)) {
        part = "(" + field + " " + comp + " (";
        for (std::size_t i = 0; i < ex.values.size(); ++i) {
          if (i) part += ", ";
          const auto& el = ex.values[i][0];
          part += el.is_list ? render(ex, el, comp) : quote_if_needed(el.scalar);
        }
        part += "))";
      } else {
        part = "(";
        for (std::size_t i = 0; i < ex.values.size(); ++i) {
          if (i) part += " or ";
          part += field + " " + comp + " " + render(ex, ex.values[i][0], comp);
        }
        part += ")";
      }
    } else {
      part = "(";
      for (std::size_t t = 0; t < ex.values.size(); ++t) {
        if (t) part += " or ";
        part += "(";
        for (std::size_t i = 0; i < ex.fields.size(); ++i) {
          if (i) part += " and ";
          part += ex.fields[i] + " " + ex.comps[i] + " " + render(ex, ex.values[t][i], ex.comps[i]);
        }
        part += ")";
      }
      part += ")";
    }
    text += " and not " + part;
  }
  return text;
}

void Loader::expand_lists(Node& n) {
  visit_mut(n, [&](Node& x) {
    if (x.kind != NodeKind::compare || x.rhs_kind != Node::Rhs::list) return;
    std::vector<std::string> items;
    std::vector<bool> quoted;
    for (std::size_t i = 0; i < x.list.size(); ++i) {
      auto it = x.list_quoted[i] ? list_idx_.end() : list_idx_.find(x.list[i]);
      if (it != list_idx_.end()) {
        auto& info = out_.lists_[it->second];
        info.used = true;
        for (const auto& v : info.items_compiled) {
          if (items.size() >= opts_.max_list_items) break;
          items.push_back(v);
          quoted.push_back(false);
        }
      } else {
        items.push_back(x.list[i]);
        quoted.push_back(x.list_quoted[i]);
      }
    }
    x.list = std::move(items);
    x.list_quoted = std::move(quoted);
  });
}

std::size_t count_nodes(const Node& n) {
  std::size_t c = 1;
  for (const auto& k : n.children) c += count_nodes(*k);
  return c;
}

// Replaces macro references by (copies of) their parsed conditions.
bool Loader::expand(Node& n, int depth, std::size_t& budget, const std::string& type, const std::string& name, Pos p,
                    std::set<std::string>& stack) {
  if (depth > 64) {
    error("LOAD_ERR_COMPILE_CONDITION", p, type, name, "macros nest deeper than 64 levels");
    return false;
  }
  for (auto& c : n.children) {
    if (c->kind == NodeKind::macro) {
      auto it = macro_asts_.find(c->macro);
      auto idx = macro_idx_.find(c->macro);
      if (idx == macro_idx_.end()) {
        error("LOAD_ERR_VALIDATE", p, type, name, "Undefined macro '" + c->macro + "' used in filter.");
        return false;
      }
      out_.macros_[idx->second].used = true;
      if (it == macro_asts_.end() || !it->second) return false;  // the macro itself failed (reported)
      if (stack.contains(c->macro)) {
        error("LOAD_ERR_COMPILE_CONDITION", p, type, name, "macro '" + c->macro + "' refers to itself");
        return false;
      }
      std::size_t sz = count_nodes(*it->second);
      if (sz > budget) {
        error("LOAD_ERR_LIMIT", p, type, name, "the condition expands to too many nodes (macro expansion limit)");
        return false;
      }
      budget -= sz;
      auto copy = it->second->clone();
      stack.insert(c->macro);
      bool ok = true;
      if (copy->kind == NodeKind::macro) {
        // a macro that is only another macro's name
        auto holder = std::make_unique<Node>();
        holder->kind = NodeKind::and_;
        holder->children.push_back(std::move(copy));
        ok = expand(*holder, depth + 1, budget, type, name, p, stack);
        copy = std::move(holder->children[0]);
      } else {
        ok = expand(*copy, depth + 1, budget, type, name, p, stack);
      }
      stack.erase(c->macro);
      if (!ok) return false;
      c = std::move(copy);
    } else if (!expand(*c, depth + 1, budget, type, name, p, stack)) {
      return false;
    }
  }
  return true;
}

void collect_evttypes(const Node& n, bool negated, EventTypeSet& out, std::vector<std::string>& unknown) {
  EventTypeSet all;
  all.set();
  switch (n.kind) {
    case NodeKind::and_:
    case NodeKind::or_: {
      bool intersect = (n.kind == NodeKind::and_) != negated;
      EventTypeSet acc;
      if (intersect) acc.set();
      for (const auto& c : n.children) {
        EventTypeSet s;
        collect_evttypes(*c, negated, s, unknown);
        if (intersect) {
          acc &= s;
        } else {
          acc |= s;
        }
      }
      out = acc;
      return;
    }
    case NodeKind::not_: collect_evttypes(*n.children[0], !negated, out, unknown); return;
    case NodeKind::macro: out = all; return;
    case NodeKind::compare: break;
  }
  const auto& f = n.lhs;
  bool is_type = (f.name == "evt.type" || f.name == "syscall.type") && f.transformers.empty() && !f.has_arg;
  if (f.name == "evt.num" && n.op == "=" && n.rhs_kind == Node::Rhs::value && n.value == "0") {
    // Falco's never_true idiom: event numbers start at 1.
    out = negated ? all : EventTypeSet{};
    return;
  }
  if (!is_type || n.rhs_kind == Node::Rhs::field || (n.op != "=" && n.op != "!=" && n.op != "in")) {
    out = all;
    return;
  }
  EventTypeSet s;
  auto add = [&](const std::string& v) {
    if (auto t = event_type_from_name(v)) {
      s.set(static_cast<std::size_t>(*t));
    } else {
      unknown.push_back(v);
    }
  };
  if (n.rhs_kind == Node::Rhs::list) {
    for (const auto& v : n.list) add(v);
  } else {
    add(n.value);
  }
  bool positive = n.op != "!=";
  if (negated) positive = !positive;
  out = positive ? s : (all & ~s);
}

bool uses_field(const Node& n, std::string_view field) {
  bool found = false;
  visit(n, [&](const Node& x) {
    if (x.kind == NodeKind::compare &&
        (x.lhs.name == field || (x.rhs_kind == Node::Rhs::field && x.rhs_field.name == field)))
      found = true;
  });
  return found;
}

// Parses "%field" tokens in an output format. False when a token is not a field bulwark
// has; `bad` then lists every such token.
bool compile_output(const std::string& fmt, CompiledOutput& out, std::vector<std::string>& bad) {
  out = {};
  std::string lit;
  for (std::size_t i = 0; i < fmt.size();) {
    if (fmt[i] != '%') {
      lit.push_back(fmt[i++]);
      continue;
    }
    std::size_t j = i + 1;
    std::string text;
    if (j < fmt.size() && fmt[j] == '%') {
      lit.push_back('%');
      i = j + 1;
      continue;
    }
    if (j < fmt.size() && fmt[j] == '(') {
      auto close = fmt.find(')', j);
      int depth = 0;
      for (std::size_t k = j; k < fmt.size(); ++k) {
        if (fmt[k] == '(') ++depth;
        if (fmt[k] == ')' && --depth == 0) {
          close = k;
          break;
        }
      }
      if (close == std::string::npos) {
        lit.push_back('%');
        i = j;
        continue;
      }
      text = fmt.substr(j + 1, close - j - 1);
      j = close + 1;
    } else {
      while (j < fmt.size() &&
             (std::isalnum(static_cast<unsigned char>(fmt[j])) || fmt[j] == '_' || fmt[j] == '.' || fmt[j] == '-')) {
        ++j;
      }
      if (j < fmt.size() && fmt[j] == '[') {
        auto close = fmt.find(']', j);
        if (close != std::string::npos) j = close + 1;
      }
      text = fmt.substr(i + 1, j - i - 1);
      while (!text.empty() && text.back() == '.') {
        text.pop_back();
        --j;
      }
    }
    if (text.empty()) {
      lit.push_back('%');
      i = j;
      continue;
    }
    FieldExpr fe;
    BoundField bf;
    std::string err;
    if (!parse_field_expr(text, fe) || !bind_field(fe, bf, err)) {
      bad.push_back(text);
      i = j;
      continue;
    }
    OutputSegment seg;
    seg.literal = std::move(lit);
    lit.clear();
    seg.field = std::move(bf);
    if (std::find(out.field_names.begin(), out.field_names.end(), seg.field->text) == out.field_names.end())
      out.field_names.push_back(seg.field->text);
    out.segments.push_back(std::move(seg));
    i = j;
  }
  if (!lit.empty()) out.segments.push_back({std::move(lit), std::nullopt});
  return bad.empty();
}

// Whether `name` occurs in `text` as a whole field name (not as part of a longer one).
std::size_t find_field_token(std::string_view text, std::string_view name, std::size_t from = 0) {
  auto is_name_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.'; };
  for (auto at = text.find(name, from); at != std::string_view::npos; at = text.find(name, at + 1)) {
    bool starts = at == 0 || !is_name_char(text[at - 1]);
    bool ends = at + name.size() == text.size() || !is_name_char(text[at + name.size()]);
    if (starts && ends) return at;
  }
  return std::string_view::npos;
}

// The fields a compiled condition uses that bulwark does not have, in order of appearance.
std::vector<std::string> unknown_fields(const Node& root) {
  std::vector<std::string> out;
  auto note = [&](const FieldExpr& f) {
    if (!find_field(f.name) && std::find(out.begin(), out.end(), f.name) == out.end()) out.push_back(f.name);
  };
  visit(root, [&](const Node& x) {
    if (x.kind != NodeKind::compare) return;
    note(x.lhs);
    if (x.rhs_kind == Node::Rhs::field) note(x.rhs_field);
  });
  return out;
}

std::optional<Pos> Loader::locate(const Written& w, const std::string& field) const {
  auto text = texts_.find(w.file);
  if (text == texts_.end() || w.pos.offset < 0 || find_field_token(w.text, field) == std::string_view::npos)
    return std::nullopt;
  std::string_view content = text->second;
  auto at = static_cast<std::size_t>(w.pos.offset);
  if (at >= content.size()) return std::nullopt;
  // A block or folded scalar is re-indented, a quoted one may be escaped: search the file text from
  // where the piece starts, no further than the piece can reach.
  auto found = find_field_token(content.substr(0, std::min(content.size(), at + 2 * w.text.size() + 256)), field, at);
  if (found == std::string_view::npos) return std::nullopt;
  Pos p = w.pos;
  for (std::size_t i = at; i < found; ++i) {
    if (content[i] == '\n') {
      ++p.line;
      p.col = 1;
    } else {
      ++p.col;
    }
  }
  p.offset = static_cast<long>(found);
  return p;
}

void Loader::warn_unknown_fields(const RuleDef& r, const std::vector<std::string>& in_condition,
                                 const std::vector<std::string>& in_output) {
  const std::string tail = "; the rule is not loaded";
  // A hostile file may name thousands of unknown fields in one rule: locate a few, count the rest.
  constexpr std::size_t kMaxReported = 8;
  std::size_t reported = 0;
  auto first_in = [&](const std::vector<Written>& pieces,
                      const std::string& f) -> std::optional<std::pair<Written, Pos>> {
    for (const auto& w : pieces)
      if (auto p = locate(w, f)) return std::pair{w, *p};
    return std::nullopt;
  };
  for (const auto& f : in_condition) {
    if (++reported > kMaxReported) break;
    std::string msg = "filter_check called with nonexistent field " + f;
    if (auto at = first_in(r.cond_src, f)) {
      warning_in(at->first.file, "LOAD_UNKNOWN_FILTER", at->second, "rule", r.name, msg + tail);
      continue;
    }
    auto ex = std::find_if(r.exceptions.begin(), r.exceptions.end(), [&](const ExceptionDef& e) {
      return std::any_of(e.fields.begin(), e.fields.end(),
                         [&](const std::string& x) { return find_field_token(x, f) != std::string_view::npos; });
    });
    if (ex != r.exceptions.end()) {
      warning_in(ex->file, "LOAD_UNKNOWN_FILTER", ex->pos, "rule", r.name,
                 msg + " (in exception '" + ex->name + "')" + tail);
      continue;
    }
    if (auto m = unknown_in_macro_.find(f); m != unknown_in_macro_.end()) {
      const MacroDef& macro = macros_[m->second];
      if (auto at = first_in(macro.cond_src, f)) {
        warning_in(at->first.file, "LOAD_UNKNOWN_FILTER", at->second, "rule", r.name,
                   msg + " (in macro '" + macro.name + "')" + tail);
        continue;
      }
    }
    warning_in(r.file, "LOAD_UNKNOWN_FILTER", r.cond_pos, "rule", r.name, msg + tail);
  }
  for (const auto& f : in_output) {
    if (++reported > kMaxReported) break;
    std::string msg = "invalid formatting token " + f + " (nonexistent field)";
    if (auto at = first_in(r.out_src, f)) {
      warning_in(at->first.file, "LOAD_UNKNOWN_FILTER", at->second, "rule", r.name, msg + tail);
    } else {
      warning_in(r.file, "LOAD_UNKNOWN_FILTER", r.out_src.empty() ? r.pos : r.out_src.front().pos, "rule", r.name,
                 msg + tail);
    }
  }
  if (reported > kMaxReported) {
    warning_in(r.file, "LOAD_UNKNOWN_FILTER", r.cond_pos, "rule", r.name,
               "and " + std::to_string(in_condition.size() + in_output.size() - kMaxReported) +
                   " more nonexistent fields" + tail);
  }
}

void Loader::compile() {
  // Lists: nested list names expand to their items.
  for (const auto& l : lists_) {
    ListInfo info;
    info.name = l.name;
    info.items = l.items;
    out_.lists_.push_back(std::move(info));
  }
  for (std::size_t i = 0; i < lists_.size(); ++i) {
    std::vector<std::string> compiled;
    std::function<void(const std::string&, int)> add = [&](const std::string& v, int depth) {
      auto it = list_idx_.find(v);
      if (it != list_idx_.end() && it->second != i && depth < 16) {
        out_.lists_[it->second].used = true;
        for (const auto& x : lists_[it->second].items) add(x, depth + 1);
        return;
      }
      if (compiled.size() < opts_.max_list_items) compiled.push_back(v);
    };
    for (const auto& v : lists_[i].items) add(v, 0);
    out_.lists_[i].items_compiled = std::move(compiled);
  }
  // Macros: parse each; references are checked when used, and here.
  for (const auto& m : macros_) {
    out_.macros_.push_back({m.name, m.condition, false});
  }
  for (const auto& m : macros_) {
    file_ = m.file;
    auto r = parse_condition(m.condition);
    if (!r.root) {
      error("LOAD_ERR_COMPILE_CONDITION", m.cond_pos, "macro", m.name, r.error.message);
      macro_asts_[m.name] = nullptr;
      continue;
    }
    bool ok = true;
    visit(*r.root, [&](const Node& x) {
      if (x.kind == NodeKind::macro && !macro_idx_.contains(x.macro) && ok) {
        error("LOAD_ERR_VALIDATE", m.cond_pos, "macro", m.name, "Undefined macro '" + x.macro + "' used in filter.");
        ok = false;
      }
      if (x.kind == NodeKind::macro && macro_idx_.contains(x.macro)) out_.macros_[macro_idx_[x.macro]].used = true;
    });
    if (ok) {
      for (auto& f : unknown_fields(*r.root)) unknown_in_macro_.emplace(std::move(f), macro_idx_[m.name]);
    }
    macro_asts_[m.name] = ok ? std::move(r.root) : nullptr;
  }
  out_.defined_rules_ = rules_.size();
  for (const auto& r : rules_) {
    file_ = r.file;
    if (r.source != "syscall") {
      warning("LOAD_UNKNOWN_SOURCE", r.pos, "rule", r.name, "Unknown source " + r.source + ", skipping");
      continue;
    }
    std::string cond = r.condition;
    std::string exc = exception_text(r);
    if (!exc.empty()) cond = "(" + cond + ")" + exc;
    auto parsed = parse_condition(cond);
    if (!parsed.root) {
      error("LOAD_ERR_COMPILE_CONDITION", r.cond_pos, "rule", r.name, parsed.error.message);
      continue;
    }
    std::size_t budget = 200000;
    std::set<std::string> stack;
    auto holder = std::make_unique<Node>();
    holder->kind = NodeKind::and_;
    holder->children.push_back(std::move(parsed.root));
    if (!expand(*holder, 0, budget, "rule", r.name, r.cond_pos, stack)) continue;
    std::unique_ptr<Node> root = std::move(holder->children[0]);
    expand_lists(*root);
    CompiledRule cr;
    cr.name = r.name;
    cr.desc = r.desc;
    cr.condition = r.condition;
    cr.compiled_condition = to_string(*root);
    if (cr.compiled_condition.size() > opts_.max_expanded_bytes) {
      error("LOAD_ERR_LIMIT", r.cond_pos, "rule", r.name, "the expanded condition is larger than the limit");
      continue;
    }
    cr.output = r.output;
    cr.priority = r.priority.value_or(Priority::debug);
    cr.tags = r.tags;
    cr.source = r.source;
    cr.enabled = r.enabled.value_or(true);
    cr.capture = r.capture;
    cr.capture_duration = r.capture_duration;
    cr.file = r.file;
    cr.line = r.pos.line;
    if (uses_field(*root, "evt.dir")) {
      warning("LOAD_DEPRECATED_FIELD", r.cond_pos, "rule", r.name,
              "usage of deprecated field 'evt.dir' has been detected in the rule condition");
    }
    // A field bulwark does not have (a typo, a plugin's field, one from a newer Falco) makes the rule
    // unloadable, never the file: a warning naming where it is written, or nothing at all when the
    // rule says `skip-if-unknown-filter: true`.
    std::vector<std::string> bad_output;
    bool output_ok = compile_output(r.output, cr.compiled_output, bad_output);
    std::vector<std::string> unknown_output;
    for (const auto& token : bad_output) {
      FieldExpr fe;
      if (parse_field_expr(token, fe) && !find_field(fe.name)) unknown_output.push_back(token);
    }
    auto unknown_condition = unknown_fields(*root);
    if (!unknown_condition.empty() || !unknown_output.empty()) {
      if (r.skip_unknown) {
        out_.skipped_unknown_fields_.push_back(r.name);
      } else {
        warn_unknown_fields(r, unknown_condition, unknown_output);
      }
      continue;
    }
    std::string err;
    auto filter = Filter::compile(*root, err);
    if (!filter) {
      error("LOAD_ERR_COMPILE_CONDITION", r.cond_pos, "rule", r.name, err);
      continue;
    }
    cr.filter = std::move(filter);
    if (!output_ok) {
      error("LOAD_ERR_COMPILE_OUTPUT", r.out_src.empty() ? r.pos : r.out_src.front().pos, "rule", r.name,
            "invalid formatting token " + bad_output.front());
      continue;
    }
    if (r.output.find("%evt.dir") != std::string::npos) {
      warning("LOAD_DEPRECATED_FIELD", r.pos, "rule", r.name,
              "usage of deprecated field 'evt.dir' has been detected in the rule output");
    }
    std::vector<std::string> unknown;
    collect_evttypes(*root, false, cr.event_types, unknown);
    for (const auto& u : unknown) {
      warning("LOAD_UNKNOWN_EVTTYPE", r.cond_pos, "rule", r.name, "Unknown event type '" + u + "' in condition");
    }
    // procinfo is a state-seeding event, never matched.
    cr.event_types.reset(static_cast<std::size_t>(EventType::procinfo));
    cr.event_types.reset(0);
    EventTypeSet all;
    all.set();
    all.reset(static_cast<std::size_t>(EventType::procinfo));
    all.reset(0);
    if (cr.event_types == all && r.warn_evttypes) {
      warning("LOAD_NO_EVTTYPE", r.cond_pos, "rule", r.name,
              "Rule matches too many evt.type values. This has a significant performance penalty.");
    }
    out_.rules_.push_back(std::move(cr));
  }
  for (std::size_t i = 0; i < macros_.size(); ++i) {
    if (!out_.macros_[i].used) {
      file_ = macros_[i].file;
      warning("LOAD_UNUSED_MACRO", macros_[i].pos, "macro", macros_[i].name,
              "Macro not referred to by any other rule/macro");
    }
  }
  for (std::size_t i = 0; i < lists_.size(); ++i) {
    if (!out_.lists_[i].used) {
      file_ = lists_[i].file;
      warning("LOAD_UNUSED_LIST", lists_[i].pos, "list", lists_[i].name,
              "List not referred to by any other rule/macro");
    }
  }
  // Index enabled rules by event type.
  out_.index_.assign(kEventTypeCount, {});
  for (std::uint32_t i = 0; i < out_.rules_.size(); ++i) {
    const auto& cr = out_.rules_[i];
    if (!cr.enabled) continue;
    for (std::size_t t = 0; t < kEventTypeCount; ++t) {
      if (cr.event_types.test(t)) out_.index_[t].push_back(i);
    }
  }
}

core::Diagnostic LoadDiagnostic::to_core() const {
  core::Diagnostic d;
  d.level = level;
  d.code = code;
  d.file = file;
  d.line = line;
  d.column = column;
  d.item = item_name.empty() ? item_type : item_type + " '" + item_name + "'";
  d.message = message;
  return d;
}

std::string_view to_string(Priority p) {
  switch (p) {
    case Priority::emergency: return "Emergency";
    case Priority::alert: return "Alert";
    case Priority::critical: return "Critical";
    case Priority::error: return "Error";
    case Priority::warning: return "Warning";
    case Priority::notice: return "Notice";
    case Priority::informational: return "Informational";
    case Priority::debug: return "Debug";
  }
  return "Debug";
}

std::optional<Priority> parse_priority(std::string_view s) {
  std::string l;
  for (char c : s) l.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (l == "emergency") return Priority::emergency;
  if (l == "alert") return Priority::alert;
  if (l == "critical") return Priority::critical;
  if (l == "error") return Priority::error;
  if (l == "warning" || l == "warn") return Priority::warning;
  if (l == "notice") return Priority::notice;
  if (l == "informational" || l == "info") return Priority::informational;
  if (l == "debug") return Priority::debug;
  return std::nullopt;
}

std::size_t Ruleset::error_count() const {
  return static_cast<std::size_t>(std::count_if(
      diags_.begin(), diags_.end(), [](const LoadDiagnostic& d) { return d.level == core::DiagnosticLevel::error; }));
}
std::size_t Ruleset::warning_count() const {
  return diags_.size() - error_count();
}
std::size_t Ruleset::unknown_field_rules() const {
  std::set<std::string> names;
  for (const auto& d : diags_)
    if (d.code == "LOAD_UNKNOWN_FILTER") names.insert(d.item_name);
  return names.size();
}
std::size_t Ruleset::disabled_rules() const {
  return static_cast<std::size_t>(
      std::count_if(rules_.begin(), rules_.end(), [](const auto& r) { return !r.enabled; }));
}
std::size_t Ruleset::enabled_rules() const {
  return rules_.size() - disabled_rules();
}

const CompiledRule* Ruleset::find(std::string_view name) const {
  for (const auto& r : rules_)
    if (r.name == name) return &r;
  return nullptr;
}

const std::vector<std::uint32_t>& Ruleset::candidates(EventType t) const {
  static const std::vector<std::uint32_t> none;
  auto i = static_cast<std::size_t>(t);
  return i < index_.size() ? index_[i] : none;
}

EventTypeSet Ruleset::needed_event_types() const {
  EventTypeSet s;
  for (const auto& r : rules_)
    if (r.enabled) s |= r.event_types;
  return s;
}

Ruleset load_rules(const std::vector<RulesFile>& files, const LoadOptions& options) {
  Ruleset out;
  Loader loader(options, out);
  for (const auto& f : files) loader.read(f);
  loader.compile();
  out.schema_ok_ = loader.out_schema_ok_;
  return out;
}

}  // namespace bulwark::runtime::engine
