// The evaluation loop: for each event, update the state, run every enabled rule
// indexed under the event's type (all matches fire; no shadowing), suppress
// repeats inside a dedup window, and hand alerts to a sink.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "runtime/engine/fields.hpp"
#include "runtime/engine/ruleset.hpp"
#include "runtime/state/process_table.hpp"

namespace bulwark::runtime::engine {

struct OutputField {
  std::string name;
  std::optional<std::string> value;  // nullopt = <NA>
  bool numeric = false;
};

struct Alert {
  std::uint64_t ts_ns = 0;
  const CompiledRule* rule = nullptr;
  std::string output;  // the formatted output line
  std::vector<OutputField> fields;
  std::string hostname;
  // Where user and group names come from: ROOT/etc/passwd and ROOT/etc/group.
  std::string names_root = "/";
};

struct EngineOptions {
  // Identical alerts (same rule, same output text) inside this window are counted, not emitted. 0 = off.
  std::uint64_t dedup_window_ns = 0;
  std::size_t dedup_capacity = 65536;
  std::string hostname;
  // Where user and group names come from: ROOT/etc/passwd and ROOT/etc/group.
  std::string names_root = "/";
};

struct EngineStats {
  std::uint64_t events = 0;
  std::uint64_t evaluations = 0;  // rule x event checks
  std::uint64_t alerts = 0;
  std::uint64_t suppressed = 0;         // dedup
  std::vector<std::uint64_t> per_rule;  // alerts per rule index
};

class Engine {
 public:
  Engine(const Ruleset& rules, ProcessTable& state, EngineOptions options = {});

  using Sink = std::function<void(const Alert&)>;
  // Processes one event; calls `sink` once per matching rule (after dedup).
  void process(const Event& e, const Sink& sink);

  [[nodiscard]] const EngineStats& stats() const noexcept { return stats_; }
  [[nodiscard]] ProcessTable& state() noexcept { return state_; }
  [[nodiscard]] NameDb& names() noexcept { return names_; }

  // Formats a rule's output for the current context (exposed for tests).
  void format(const CompiledRule& rule, EvalContext& ctx, Alert& out);

 private:
  const Ruleset& rules_;
  ProcessTable& state_;
  EngineOptions opts_;
  EngineStats stats_;
  NameDb names_;
  EvalContext ctx_;
  FieldValues scratch_;
  std::unordered_map<std::uint64_t, std::uint64_t> recent_;  // hash(rule, output) -> last ts
};

}  // namespace bulwark::runtime::engine
