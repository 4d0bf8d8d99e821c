// Loading Falco rule files into an evaluable ruleset.
//
//   reader    YAML text -> items (list, macro, rule, required_engine_version), with positions
//   collector items from all files, in order -> final lists, macros and rules after
//             `override: {key: append|replace}`, the older `append: true`, redefinition
//   compiler  lists expanded, macros inlined, exceptions appended, fields bound, outputs
//             parsed -> CompiledRule
//   ruleset   rules indexed by event type; every matching rule fires
//
// Problems never throw: each becomes a diagnostic (file:line:col, the item, Falco's
// message text where Falco has one) and the item it concerns is not loaded. A field
// bulwark does not have is a warning (LOAD_UNKNOWN_FILTER), not an error as in Falco:
// that rule is not loaded, every other rule is.
#pragma once

#include <bitset>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/diagnostics.hpp"
#include "runtime/engine/condition.hpp"
#include "runtime/engine/fields.hpp"
#include "runtime/events/event.hpp"

namespace bulwark::runtime::engine {

// The Falco rules engine version whose syntax this loader implements.
inline constexpr std::string_view kEngineVersion = "0.57.0";

enum class Priority { emergency, alert, critical, error, warning, notice, informational, debug };
[[nodiscard]] std::string_view to_string(Priority p);  // "Warning" (Falco's JSON spelling)
[[nodiscard]] std::optional<Priority> parse_priority(std::string_view s);

// A load diagnostic. `code` follows Falco's (LOAD_ERR_YAML_PARSE, LOAD_ERR_VALIDATE,
// LOAD_ERR_COMPILE_CONDITION, LOAD_ERR_COMPILE_OUTPUT, LOAD_UNKNOWN_KEY, ...).
struct LoadDiagnostic {
  core::DiagnosticLevel level = core::DiagnosticLevel::error;
  std::string code;
  std::string file;
  int line = 0;           // 1-based; 0 = unknown
  int column = 0;         // 1-based
  std::string item_type;  // rule, macro, list, exception, required_engine_version, rules content
  std::string item_name;
  std::string message;
  [[nodiscard]] core::Diagnostic to_core() const;
  [[nodiscard]] std::string describe() const { return to_core().describe(); }
};

using EventTypeSet = std::bitset<kEventTypeCount>;

struct OutputSegment {
  std::string literal;  // text before the field (or the whole tail)
  std::optional<BoundField> field;
};

struct CompiledOutput {
  std::vector<OutputSegment> segments;
  std::vector<std::string> field_names;  // distinct %fields, in order (for output_fields)
};

class Filter;  // compiled condition (filter.hpp)

struct CompiledRule {
  std::string name;
  std::string desc;
  std::string condition;           // as written after appends
  std::string compiled_condition;  // after list/macro/exception expansion, printed like Falco
  std::string output;              // format as written
  Priority priority = Priority::debug;
  std::vector<std::string> tags;
  std::string source = "syscall";
  bool enabled = true;
  bool capture = false;
  std::int64_t capture_duration = 0;
  EventTypeSet event_types;
  std::string file;
  int line = 0;
  std::shared_ptr<const Filter> filter;
  CompiledOutput compiled_output;
};

struct ListInfo {
  std::string name;
  std::vector<std::string> items;           // as written (after appends)
  std::vector<std::string> items_compiled;  // nested lists expanded
  bool used = false;
};

struct MacroInfo {
  std::string name;
  std::string condition;
  bool used = false;
};

struct LoadOptions {
  std::size_t max_file_bytes = 16u << 20;
  std::size_t max_items = 100000;             // items per file
  std::size_t max_yaml_nodes = 5000000;       // nodes visited per file (alias bombs)
  std::size_t max_list_items = 100000;        // items per expanded list
  std::size_t max_expanded_bytes = 4u << 20;  // compiled condition text per rule
  int max_yaml_depth = 64;
};

struct RulesFile {
  std::string name;     // for diagnostics
  std::string content;  // YAML text
};

// The result of loading: every rule that compiled, diagnostics for the rest.
class Ruleset {
 public:
  [[nodiscard]] const std::vector<CompiledRule>& rules() const noexcept { return rules_; }
  [[nodiscard]] const std::vector<LoadDiagnostic>& diagnostics() const noexcept { return diags_; }
  [[nodiscard]] const std::vector<ListInfo>& lists() const noexcept { return lists_; }
  [[nodiscard]] const std::vector<MacroInfo>& macros() const noexcept { return macros_; }
  [[nodiscard]] std::size_t error_count() const;
  [[nodiscard]] std::size_t warning_count() const;
  // Rules defined in the files (after merging), whether or not they compiled.
  [[nodiscard]] std::size_t defined_rules() const noexcept { return defined_rules_; }
  // Rules that compiled but are disabled (enabled: false).
  [[nodiscard]] std::size_t disabled_rules() const;
  [[nodiscard]] std::size_t enabled_rules() const;
  [[nodiscard]] const CompiledRule* find(std::string_view name) const;
  // Enabled rules that may match an event type (indexes into rules()).
  [[nodiscard]] const std::vector<std::uint32_t>& candidates(EventType t) const;
  // The union of event types the enabled rules need.
  [[nodiscard]] EventTypeSet needed_event_types() const;
  // False when an item had an unknown key or a value of the wrong type (Falco's schema check).
  [[nodiscard]] bool schema_valid() const noexcept { return schema_ok_; }
  // Rules not loaded, without a diagnostic, because they use a field bulwark does not have and say
  // `skip-if-unknown-filter: true`. (Without that key such a rule gets a LOAD_UNKNOWN_FILTER warning.)
  [[nodiscard]] const std::vector<std::string>& skipped_unknown_fields() const noexcept {
    return skipped_unknown_fields_;
  }
  // Rules not loaded because of a LOAD_UNKNOWN_FILTER warning (an unknown field, no skip key).
  [[nodiscard]] std::size_t unknown_field_rules() const;

 private:
  friend class Loader;
  friend Ruleset load_rules(const std::vector<RulesFile>& files, const LoadOptions& options);
  std::vector<CompiledRule> rules_;
  std::vector<LoadDiagnostic> diags_;
  std::vector<ListInfo> lists_;
  std::vector<MacroInfo> macros_;
  std::size_t defined_rules_ = 0;
  std::vector<std::string> skipped_unknown_fields_;
  bool schema_ok_ = true;
  std::vector<std::vector<std::uint32_t>> index_;
};

// Loads rule files in order (later files override earlier ones).
[[nodiscard]] Ruleset load_rules(const std::vector<RulesFile>& files, const LoadOptions& options = {});

}  // namespace bulwark::runtime::engine
