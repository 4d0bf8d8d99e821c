#include "runtime/engine/engine.hpp"

#include "runtime/engine/filter.hpp"

namespace bulwark::runtime::engine {

Engine::Engine(const Ruleset& rules, ProcessTable& state, EngineOptions options)
    : rules_(rules), state_(state), opts_(std::move(options)), names_(opts_.names_root) {
  stats_.per_rule.assign(rules_.rules().size(), 0);
  ctx_.names = &names_;
}

void Engine::format(const CompiledRule& rule, EvalContext& ctx, Alert& out) {
  out.output.clear();
  out.fields.clear();
  for (const auto& seg : rule.compiled_output.segments) {
    out.output += seg.literal;
    if (!seg.field) continue;
    bool have = extract(*seg.field, ctx, scratch_);
    std::string value;
    if (have) {
      for (std::size_t i = 0; i < scratch_.count; ++i) {
        if (i) value += ",";
        value += scratch_.at(i);
      }
    }
    out.output += have ? value : std::string("<NA>");
    bool known = false;
    for (const auto& f : out.fields) known |= f.name == seg.field->text;
    if (!known) {
      OutputField of;
      of.name = seg.field->text;
      if (have) of.value = std::move(value);
      of.numeric = have && scratch_.numeric && scratch_.count == 1;
      out.fields.push_back(std::move(of));
    }
  }
  while (!out.output.empty() && (out.output.back() == ' ' || out.output.back() == '\n')) out.output.pop_back();
}

void Engine::process(const Event& e, const Sink& sink) {
  ++stats_.events;
  state_.apply(e);
  if (e.dir == Direction::exit && e.type != EventType::procinfo) {
    const auto& cands = rules_.candidates(e.type);
    if (!cands.empty()) {
      prepare_context(ctx_, e, state_);
      ctx_.hostname = opts_.hostname;
      ctx_.evt_num = stats_.events;
      for (auto idx : cands) {
        const CompiledRule& rule = rules_.rules()[idx];
        ++stats_.evaluations;
        if (!rule.filter->evaluate(ctx_)) continue;
        Alert a;
        a.ts_ns = e.ts_ns;
        a.rule = &rule;
        a.hostname = opts_.hostname;
        format(rule, ctx_, a);
        if (opts_.dedup_window_ns) {
          std::uint64_t key =
              std::hash<std::string>{}(a.output) ^ (static_cast<std::uint64_t>(idx) * 0x9e3779b97f4a7c15ULL);
          auto it = recent_.find(key);
          if (it != recent_.end() && e.ts_ns >= it->second && e.ts_ns - it->second < opts_.dedup_window_ns) {
            ++stats_.suppressed;
            continue;
          }
          if (recent_.size() >= opts_.dedup_capacity) {
            // Drop entries older than the window; if all are fresh, start over (bounded memory wins).
            std::erase_if(recent_, [&](const auto& kv) { return e.ts_ns - kv.second >= opts_.dedup_window_ns; });
            if (recent_.size() >= opts_.dedup_capacity) recent_.clear();
          }
          recent_[key] = e.ts_ns;
        }
        ++stats_.alerts;
        ++stats_.per_rule[idx];
        sink(a);
      }
    }
  }
  state_.finish(e);
}

}  // namespace bulwark::runtime::engine
