#include "config/dockerfile/model.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace bulwark::config::dockerfile {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::vector<Flag> parse_flags(const std::vector<std::string>& raw) {
  std::vector<Flag> out;
  for (const auto& f : raw) {
    std::string_view v = f;
    while (v.starts_with('-')) v.remove_prefix(1);
    Flag flag;
    const auto eq = v.find('=');
    if (eq == std::string_view::npos) {
      flag.name = lower(v);
    } else {
      flag.name = lower(v.substr(0, eq));
      flag.value = std::string(v.substr(eq + 1));
      flag.has_value = true;
    }
    out.push_back(std::move(flag));
  }
  return out;
}

const std::vector<std::string>& allowed_flags(std::string_view kw) {
  static const std::vector<std::string> none;
  static const std::vector<std::string> from{"platform"};
  static const std::vector<std::string> copy{"from", "chown", "chmod", "link", "parents", "exclude"};
  static const std::vector<std::string> add{"chown", "chmod", "link", "keep-git-dir", "checksum", "exclude", "unpack"};
  static const std::vector<std::string> run{"mount", "network", "security", "device"};
  static const std::vector<std::string> health{"interval", "timeout", "start-period", "start-interval", "retries"};
  if (kw == "from") return from;
  if (kw == "copy") return copy;
  if (kw == "add") return add;
  if (kw == "run") return run;
  if (kw == "healthcheck") return health;
  return none;
}

bool known_keyword(std::string_view kw) {
  static const char* const kKnown[] = {"add",    "arg",   "cmd",         "copy",  "entrypoint", "env",
                                       "expose", "from",  "healthcheck", "label", "maintainer", "onbuild",
                                       "run",    "shell", "stopsignal",  "user",  "volume",     "workdir"};
  return std::any_of(std::begin(kKnown), std::end(kKnown), [&](const char* k) { return kw == k; });
}

Instruction make_instruction(const Node& n, bool onbuild, int line, int end_line, int column,
                             const std::vector<std::string>& comments) {
  Instruction ins;
  ins.keyword = n.value;
  ins.original = n.original;
  for (const auto& a : n.next) ins.args.push_back(a.value);
  ins.flags = parse_flags(n.flags);
  ins.heredocs = n.heredocs;
  ins.json = n.json;
  ins.onbuild = onbuild;
  ins.line = line;
  ins.end_line = end_line;
  ins.column = column;
  ins.comments = comments;
  return ins;
}

void validate(const Node& n, const Instruction& ins, std::vector<BuildError>& errors, bool in_onbuild) {
  const std::string& kw = ins.keyword;
  const std::string kw_upper = upper(kw);
  if (!known_keyword(kw)) {
    // BuildKit names the instruction as written.
    const auto sp = n.original.find_first_of(" \t");
    std::string written = n.original.substr(0, sp);
    while (!written.empty() && std::isspace(static_cast<unsigned char>(written.front()))) written.erase(0, 1);
    errors.push_back({fmt::format("unknown instruction: {}", written.empty() ? kw : written), ins.line});
    return;
  }
  const auto& allowed = allowed_flags(kw);
  for (const auto& f : ins.flags) {
    if (std::find(allowed.begin(), allowed.end(), f.name) == allowed.end()) {
      errors.push_back({fmt::format("unknown flag: --{}", f.name), ins.line});
      return;
    }
  }
  if (kw == "maintainer" || kw == "workdir" || kw == "user" || kw == "stopsignal") {
    if (ins.args.size() != 1) errors.push_back({fmt::format("{} requires exactly one argument", kw_upper), ins.line});
  } else if (kw == "onbuild" || kw == "healthcheck" || kw == "expose" || kw == "volume") {
    if (ins.args.empty() && (kw != "onbuild" || n.next.empty())) {
      errors.push_back({fmt::format("{} requires at least one argument", kw_upper), ins.line});
    }
  } else if (kw == "add" || kw == "copy") {
    if (ins.args.size() == 1 && ins.heredocs.empty()) {
      errors.push_back({fmt::format("{} requires at least two arguments, but only one was provided. Destination could "
                                    "not be determined",
                                    kw_upper),
                        ins.line});
    } else if (ins.args.empty()) {
      errors.push_back({fmt::format("{} requires at least two arguments", kw_upper), ins.line});
    }
  } else if (kw == "from" || kw == "arg" || kw == "env" || kw == "label") {
    if (ins.args.empty()) errors.push_back({fmt::format("{} requires at least one argument", kw_upper), ins.line});
  }
  if (in_onbuild) {
    if (kw == "onbuild") {
      errors.push_back({"Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed", ins.line});
    } else if (kw == "from" || kw == "maintainer") {
      errors.push_back({fmt::format("{} isn't allowed as an ONBUILD trigger", kw_upper), ins.line});
    }
  }
}

void set_predefined(Environment& env) {
  // The platform ARGs BuildKit defines in the global scope (for a linux/amd64 build).
  env.set("BUILDPLATFORM", "linux/amd64");
  env.set("BUILDOS", "linux");
  env.set("BUILDARCH", "amd64");
  env.set("BUILDVARIANT", "");
  env.set("TARGETPLATFORM", "linux/amd64");
  env.set("TARGETOS", "linux");
  env.set("TARGETARCH", "amd64");
  env.set("TARGETVARIANT", "");
}

}  // namespace

std::optional<std::string> Instruction::flag(std::string_view name) const {
  std::optional<std::string> out;
  for (const auto& f : flags) {
    if (f.name == name) out = f.value;
  }
  return out;
}

std::vector<std::string> Instruction::flag_values(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& f : flags) {
    if (f.name == name) out.push_back(f.value);
  }
  return out;
}

std::string Instruction::script() const {
  std::string s;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (i) s += ' ';
    s += args[i];
  }
  for (const auto& h : heredocs) {
    s += '\n';
    s += h.content;
  }
  return s;
}

std::string Instruction::expand_word(std::string_view word, char escape) const {
  ShellOptions opt;
  opt.escape = escape;
  auto r = expand(word, env, opt);
  return r ? r->word : std::string(word);
}

int Dockerfile::find_stage(std::string_view ref, int before) const {
  const std::string l = lower(ref);
  for (int i = 0; i < before && i < static_cast<int>(stages.size()); ++i) {
    if (!stages[static_cast<std::size_t>(i)].name.empty() && stages[static_cast<std::size_t>(i)].name == l) return i;
  }
  if (!l.empty() &&
      std::all_of(l.begin(), l.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }) &&
      l.size() < 6) {
    const int idx = std::stoi(l);
    if (idx < before) return idx;
  }
  return -1;
}

std::vector<KeyValue> key_values(const Instruction& ins, char escape) {
  std::vector<KeyValue> out;
  ShellOptions opt;
  opt.escape = escape;
  auto process = [&](std::string_view v) {
    auto r = expand(v, ins.env, opt);
    return r ? r->word : std::string(v);
  };
  if (ins.keyword == "env" || ins.keyword == "label") {
    for (std::size_t i = 0; i + 2 < ins.args.size() + 1 && i + 1 < ins.args.size(); i += 3) {
      KeyValue kv;
      kv.key = process(ins.args[i]);
      kv.value = process(ins.args[i + 1]);
      out.push_back(std::move(kv));
    }
  } else if (ins.keyword == "arg") {
    for (const auto& w : ins.args) {
      KeyValue kv;
      const auto eq = w.find('=');
      if (eq == std::string::npos) {
        kv.key = w;
        kv.has_value = false;
      } else {
        kv.key = w.substr(0, eq);
        kv.value = process(w.substr(eq + 1));
      }
      out.push_back(std::move(kv));
    }
  }
  return out;
}

Dockerfile build(const ParseResult& parsed) {
  Dockerfile df;
  df.directives = parsed.directives;
  df.warnings = parsed.warnings;
  const char esc = parsed.directives.escape;
  Environment global;
  set_predefined(global);
  std::vector<Environment> stage_end_env;
  Environment env;

  auto start_stage = [&](const Node& n, const Instruction& ins) {
    Stage st;
    st.index = static_cast<int>(df.stages.size());
    st.from = ins;
    st.platform = ins.flag("platform").value_or("");
    if (!ins.args.empty()) {
      st.base = ins.args[0];
      ShellOptions opt;
      opt.escape = esc;
      auto r = expand(st.base, global, opt);
      if (r) {
        st.base_expanded = r->word;
        st.base_resolved = r->unmatched.empty();
      } else {
        st.base_expanded = st.base;
        st.base_resolved = false;
        df.errors.push_back({r.error().message, ins.line});
      }
    }
    if (ins.args.size() >= 3 && lower(ins.args[1]) == "as") {
      st.name = lower(ins.args[2]);
    } else if (ins.args.size() == 2 || ins.args.size() > 3) {
      df.errors.push_back({"FROM requires either one or three arguments", ins.line});
    }
    (void)n;
    st.base_stage = df.find_stage(st.base_expanded, st.index);
    env = st.base_stage >= 0 ? stage_end_env[static_cast<std::size_t>(st.base_stage)] : Environment{};
    df.stages.push_back(std::move(st));
    stage_end_env.push_back(env);
  };

  for (const Node& n : parsed.root.children) {
    const bool is_onbuild = n.value == "onbuild" && !n.next.empty() && !n.next[0].children.empty();
    const Node& effective = is_onbuild ? n.next[0].children[0] : n;
    Instruction ins = make_instruction(effective, is_onbuild, n.start_line, n.end_line, n.column, n.comments);
    if (is_onbuild) {
      // Flags and heredocs of the trigger live on the nested node; the outer ONBUILD has none.
      Instruction outer = make_instruction(n, false, n.start_line, n.end_line, n.column, n.comments);
      validate(n, outer, df.errors, false);
    }
    validate(effective, ins, df.errors, is_onbuild);
    if (n.value == "onbuild" && !is_onbuild) continue;

    if (!is_onbuild && ins.keyword == "from") {
      ins.env = global;
      start_stage(n, ins);
      continue;
    }
    if (df.stages.empty()) {
      if (ins.keyword == "arg") {
        ins.env = global;
        for (const auto& kv : key_values(ins, esc)) {
          if (kv.has_value) global.set(kv.key, kv.value);
        }
        df.global_args.push_back(std::move(ins));
        continue;
      }
      // BuildKit refuses this; checks still look at it, in an implicit stage.
      df.errors.push_back({"no build stage in current context", ins.line});
      Stage st;
      st.index = 0;
      df.stages.push_back(std::move(st));
      stage_end_env.push_back(env);
    }
    ins.env = env;
    if (!is_onbuild) {
      if (ins.keyword == "arg") {
        for (const auto& kv : key_values(ins, esc)) {
          if (kv.has_value) {
            env.set(kv.key, kv.value);
          } else if (auto g = global.get(kv.key)) {
            env.set(kv.key, *g);
          }
        }
      } else if (ins.keyword == "env") {
        for (const auto& kv : key_values(ins, esc)) env.set(kv.key, kv.value);
      }
    }
    df.stages.back().instructions.push_back(std::move(ins));
    stage_end_env.back() = env;
  }
  return df;
}

}  // namespace bulwark::config::dockerfile
