#include "config/dockerfile/rules.hpp"

#include "config/dockerfile/shellcmd.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <set>

namespace bulwark::config::dockerfile {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool starts_with_any(std::string_view s, std::initializer_list<std::string_view> prefixes) {
  return std::any_of(prefixes.begin(), prefixes.end(), [&](std::string_view p) { return s.starts_with(p); });
}

bool ends_with_any(std::string_view s, std::initializer_list<std::string_view> suffixes) {
  return std::any_of(suffixes.begin(), suffixes.end(), [&](std::string_view p) { return s.ends_with(p); });
}

std::string short_text(std::string_view s, std::size_t max = 160) {
  std::string out;
  for (char c : s) {
    if (c == '\n' || c == '\t' || c == '\r') c = ' ';
    if (!out.empty() && out.back() == ' ' && c == ' ') continue;
    out.push_back(c);
  }
  if (out.size() > max) out = out.substr(0, max) + "…";
  return out;
}

// ---- commands of a RUN, including `sh -c '…'` bodies ----

std::vector<ShellCommand> commands_of(std::string_view script, int depth = 0) {
  auto parsed = parse_shell(script);
  std::vector<ShellCommand> out;
  for (auto& c : parsed.commands) {
    ShellCommand u = c.unwrapped();
    const std::string n = u.name();
    if (depth < 3 && (n == "sh" || n == "bash" || n == "ash" || n == "dash" || n == "zsh")) {
      for (std::size_t i = 1; i + 1 < u.argv.size(); ++i) {
        if (u.argv[i] == "-c" ||
            (u.argv[i].starts_with('-') && u.argv[i].find('c') != std::string::npos && !u.argv[i].starts_with("--"))) {
          for (auto& inner : commands_of(u.argv[i + 1], depth + 1)) out.push_back(std::move(inner));
          break;
        }
      }
    }
    out.push_back(std::move(c));
  }
  return out;
}

struct RunView {
  const Instruction* ins = nullptr;
  std::vector<ShellCommand> raw;       // as written (sudo kept)
  std::vector<ShellCommand> commands;  // unwrapped
};

RunView view_run(const Instruction& ins) {
  RunView v;
  v.ins = &ins;
  if (ins.json) {
    ShellCommand c;
    c.argv = ins.args;
    v.raw.push_back(c);
    // ["sh", "-c", "script"] runs a script after all.
    for (auto& inner : commands_of(fmt::format("{}", fmt::join(ins.args, " ")))) v.raw.push_back(std::move(inner));
  } else {
    v.raw = commands_of(ins.script());
  }
  for (const auto& c : v.raw) v.commands.push_back(c.unwrapped());
  return v;
}

// The subcommand of a package manager: the first operand that is not a flag value.
std::string subcommand(const ShellCommand& c, const std::set<std::string>& flags_with_value = {}) {
  for (std::size_t i = 1; i < c.argv.size(); ++i) {
    const auto& a = c.argv[i];
    if (a.starts_with('-')) {
      if (flags_with_value.contains(a) && i + 1 < c.argv.size()) ++i;
      continue;
    }
    return a;
  }
  return {};
}

// Operands after the subcommand (packages), skipping flags and the values of flags that take one.
std::vector<std::string> packages_after(const ShellCommand& c, std::string_view sub,
                                        const std::set<std::string>& flags_with_value) {
  std::vector<std::string> out;
  bool after = false;
  for (std::size_t i = 1; i < c.argv.size(); ++i) {
    const auto& a = c.argv[i];
    if (a.starts_with('-')) {
      if (flags_with_value.contains(a) && i + 1 < c.argv.size()) ++i;
      continue;
    }
    if (!after) {
      if (a == sub) after = true;
      continue;
    }
    out.push_back(a);
  }
  return out;
}

bool has_short_flag(const ShellCommand& c, char letter) {
  for (std::size_t i = 1; i < c.argv.size(); ++i) {
    const auto& a = c.argv[i];
    if (a.size() >= 2 && a[0] == '-' && a[1] != '-' && a.find('=') == std::string::npos &&
        a.find(letter) != std::string::npos) {
      return true;
    }
  }
  return false;
}

bool has_any(const ShellCommand& c, std::initializer_list<std::string_view> flags) {
  for (std::size_t i = 1; i < c.argv.size(); ++i) {
    for (auto f : flags) {
      if (c.argv[i] == f || (f.ends_with('=') && c.argv[i].starts_with(f))) return true;
    }
  }
  return false;
}

struct Mount {
  std::string type;
  std::string target;
  std::string id;
  std::string from;
};

std::vector<Mount> mounts_of(const Instruction& ins) {
  std::vector<Mount> out;
  for (const auto& v : ins.flag_values("mount")) {
    Mount m;
    m.type = "bind";
    std::size_t start = 0;
    while (start <= v.size()) {
      auto comma = v.find(',', start);
      if (comma == std::string::npos) comma = v.size();
      std::string field = v.substr(start, comma - start);
      while (!field.empty() && std::isspace(static_cast<unsigned char>(field.back()))) field.pop_back();
      while (!field.empty() && std::isspace(static_cast<unsigned char>(field.front()))) field.erase(0, 1);
      const auto eq = field.find('=');
      const std::string key = lower(field.substr(0, eq));
      const std::string val = eq == std::string::npos ? "" : field.substr(eq + 1);
      if (key == "type") m.type = lower(val);
      if (key == "target" || key == "dst" || key == "destination") m.target = val;
      if (key == "id") m.id = val;
      if (key == "from") m.from = val;
      start = comma + 1;
    }
    while (m.target.size() > 1 && m.target.back() == '/') m.target.pop_back();
    out.push_back(std::move(m));
  }
  return out;
}

bool has_cache_mount(const Instruction& ins, std::string_view target) {
  for (const auto& m : mounts_of(ins)) {
    if ((m.type == "cache" || m.type == "tmpfs") && m.target == target) return true;
  }
  return false;
}

bool is_url(std::string_view s) {
  return starts_with_any(lower(s), {"http://", "https://", "ftp://"});
}
bool is_git_url(std::string_view s) {
  return s.starts_with("git@") || s.ends_with(".git") || s.find(".git#") != std::string_view::npos ||
         s.starts_with("git://");
}

bool is_archive(std::string_view s) {
  const std::string l = lower(s);
  return ends_with_any(
      l, {".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz",   ".tbz2", ".tb2", ".bz2",     ".tar.xz", ".txz",  ".xz",
          ".gz",  ".tar.lz", ".tlz", ".lz",      ".tar.z", ".tz",   ".z",   ".tar.zst", ".zst",    ".lzma", ".tpz"});
}

std::string unquote(std::string_view s) {
  if (s.size() >= 2 && (s.front() == '"' || s.front() == '\'') && s.back() == s.front()) {
    return std::string(s.substr(1, s.size() - 2));
  }
  return std::string(s);
}

bool is_root_user(std::string_view user) {
  const auto colon = user.find(':');
  const std::string u = lower(user.substr(0, colon));
  return u == "root" || u == "0";
}

// Sources of ADD/COPY (all arguments but the last), heredoc names excluded.
std::vector<std::string> sources_of(const Instruction& ins) {
  std::vector<std::string> out;
  if (ins.args.size() < 2) return out;
  for (std::size_t i = 0; i + 1 < ins.args.size(); ++i) {
    if (ins.args[i].starts_with("<<")) continue;
    out.push_back(unquote(ins.args[i]));
  }
  return out;
}

constexpr std::array<std::string_view, 12> kSecretWords = {"apikey", "auth",     "credential", "credentials",
                                                           "key",    "password", "pword",      "passwd",
                                                           "secret", "token",    "passphrase", "pat"};

std::vector<std::string> name_tokens(std::string_view name) {
  std::vector<std::string> out;
  std::string cur;
  auto flush = [&] {
    if (!cur.empty()) out.push_back(lower(cur));
    cur.clear();
  };
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (!std::isalnum(static_cast<unsigned char>(c))) {
      flush();
      continue;
    }
    cur.push_back(c);
  }
  flush();
  return out;
}

// Values that are obviously not secrets: empty, a variable reference, a file path.
bool looks_like_placeholder(std::string_view v) {
  return v.empty() || v.starts_with('$') || v.starts_with('/') || v == "changeme" || v == "none";
}

// Known credential formats (values, whatever the name).
bool looks_like_secret_value(std::string_view v) {
  return v.starts_with("AKIA") && v.size() == 20
             ? true
             : v.starts_with("ghp_") || v.starts_with("github_pat_") || v.starts_with("glpat-") ||
                   v.starts_with("xoxb-") || v.starts_with("xoxp-") || v.starts_with("sk_live_") ||
                   v.starts_with("-----BEGIN") || v.starts_with("AIza");
}

bool mentions_checksum(const RunView& v) {
  for (const auto& c : v.commands) {
    const auto n = c.name();
    if (n == "sha256sum" || n == "sha512sum" || n == "sha1sum" || n == "md5sum" || n == "shasum" || n == "gpg" ||
        n == "gpgv" || n == "cosign" || n == "minisign" || n == "signify") {
      return true;
    }
  }
  return false;
}

class RuleRunner {
 public:
  RuleRunner(const Dockerfile& df, const RuleOptions& opt) : df_(df), opt_(opt) {}

  std::vector<RuleHit> run() {
    stage_rules();
    for (const auto& a : df_.global_args) secret_rules(a);
    for (const auto& st : df_.stages) {
      for (const auto& ins : st.instructions) instruction_rules(st, ins);
    }
    file_rules();
    return std::move(hits_);
  }

 private:
  void hit(std::string id, const Instruction& ins, std::string evidence, std::vector<std::string> only = {}) {
    hits_.push_back({std::move(id), ins.line, ins.column, std::move(evidence), std::move(only)});
  }

  [[nodiscard]] bool is_final(const Stage& st) const { return st.index + 1 == static_cast<int>(df_.stages.size()); }

  // Stages whose content ends up in the final image: the last one and its base chain.
  [[nodiscard]] std::set<int> shipped_stages() const {
    std::set<int> out;
    if (df_.stages.empty()) return out;
    int i = static_cast<int>(df_.stages.size()) - 1;
    while (i >= 0 && !out.contains(i)) {
      out.insert(i);
      i = df_.stages[static_cast<std::size_t>(i)].base_stage;
    }
    return out;
  }

  [[nodiscard]] bool used_as_base(int index) const {
    return std::any_of(df_.stages.begin(), df_.stages.end(), [&](const Stage& s) { return s.base_stage == index; });
  }

  void stage_rules() {
    std::set<std::string> names;
    for (const auto& st : df_.stages) {
      if (st.from.line == 0) continue;  // implicit stage (no FROM)
      from_rules(st);
      if (!st.name.empty()) {
        if (names.contains(st.name)) hit("BW-DF-040", st.from, fmt::format("stage name \"{}\" is used twice", st.name));
        names.insert(st.name);
      }
    }
    if (df_.stages.empty()) return;
    const Stage& last = df_.stages.back();
    // BW-DF-001: the user the final image runs as.
    const Instruction* last_user = nullptr;
    for (int i = last.index; i >= 0 && !last_user; i = df_.stages[static_cast<std::size_t>(i)].base_stage) {
      const auto& st = df_.stages[static_cast<std::size_t>(i)];
      for (auto it = st.instructions.rbegin(); it != st.instructions.rend(); ++it) {
        if (it->keyword == "user" && !it->onbuild && !it->args.empty()) {
          last_user = &*it;
          break;
        }
      }
      if (st.base_stage == i) break;
    }
    if (last_user) {
      const std::string u = last_user->expand_word(last_user->args[0], df_.directives.escape);
      if (is_root_user(u)) hit("BW-DF-001", *last_user, fmt::format("USER {}", last_user->args[0]));
    } else if (last.from.line != 0) {
      hit("BW-DF-001", last.from, "no USER instruction: the image runs as root",
          {"AVD-DS-0002", "4.1", "CKV_DOCKER_3"});
    }
    // Hadolint also flags an explicit `USER root` ending a builder stage (DL3002).
    for (const auto& st : df_.stages) {
      if (&st == &last) continue;
      const Instruction* u = nullptr;
      for (const auto& ins : st.instructions) {
        if (ins.keyword == "user" && !ins.onbuild && !ins.args.empty()) u = &ins;
      }
      (void)u;  // root in a builder stage does not reach the image: not a bulwark finding.
    }
    // BW-DF-032: no HEALTHCHECK in the final image.
    bool health = false;
    for (int i : shipped_stages()) {
      for (const auto& ins : df_.stages[static_cast<std::size_t>(i)].instructions) {
        if (ins.keyword == "healthcheck" && !ins.onbuild) health = true;
      }
    }
    if (!health && last.from.line != 0 && lower(last.base_expanded) != "scratch") {
      hit("BW-DF-032", last.from, "the final stage has no HEALTHCHECK");
    } else if (!health && last.from.line != 0) {
      hit("BW-DF-032", last.from, "the final stage has no HEALTHCHECK");
    }
  }

  void from_rules(const Stage& st) {
    const Instruction& from = st.from;
    if (st.base.empty()) return;
    const std::string base = st.base_expanded;
    if (lower(base) == "scratch" || st.base_stage >= 0) return;
    if (!st.base_resolved && base.find('$') != std::string::npos) return;
    if (base.empty()) return;
    const ImageRef ref = parse_image_ref(base);
    if (ref.digest.empty()) {
      if (ref.tag.empty()) {
        hit("BW-DF-002", from, fmt::format("FROM {} has no tag (it means :latest)", base));
      } else if (ref.tag == "latest") {
        hit("BW-DF-003", from, fmt::format("FROM {}", base));
      }
      hit("BW-DF-004", from, fmt::format("FROM {} is not pinned by digest", base));
    }
    if (!opt_.trusted_registries.empty()) {
      if (!registry_trusted(ref)) {
        hit("BW-DF-005", from,
            fmt::format("FROM {}: registry {} is not in the trusted list ({})", base, ref.registry,
                        fmt::join(opt_.trusted_registries, ", ")));
      }
    }
    if (!st.platform.empty() && !st.platform.starts_with("$")) {
      // pinning a platform is a portability concern, not a security one: no check
    }
  }

  [[nodiscard]] bool registry_trusted(const ImageRef& ref) const {
    return std::any_of(opt_.trusted_registries.begin(), opt_.trusted_registries.end(), [&](const std::string& r) {
      const std::string lr = lower(r);
      if (lr == "*") return true;
      if (lr == "docker.io" || lr == "hub.docker.com" || lr == "index.docker.io") return ref.registry == "docker.io";
      if (lr.starts_with("*.")) return ref.registry.ends_with(lr.substr(1));
      return ref.registry == lr;
    });
  }

  // An image named outside FROM (COPY --from, RUN --mount from=) under the registry policy.
  void check_image_registry(const Stage& st, const Instruction& ins, const std::string& ref_text) {
    if (opt_.trusted_registries.empty() || ref_text.empty() || ref_text.find('$') != std::string::npos) return;
    if (df_.find_stage(ref_text, st.index) >= 0) return;
    if (std::all_of(ref_text.begin(), ref_text.end(),
                    [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
      return;
    const std::string l = lower(ref_text);
    if (std::any_of(df_.stages.begin(), df_.stages.end(), [&](const Stage& s) { return s.name == l; })) return;
    const ImageRef ref = parse_image_ref(ref_text);
    if (!registry_trusted(ref)) {
      hit("BW-DF-005", ins,
          fmt::format("{} uses {}: registry {} is not in the trusted list",
                      ins.keyword == "copy" ? "COPY --from" : "RUN --mount from=", ref_text, ref.registry));
    }
  }

  void instruction_rules(const Stage& st, const Instruction& ins) {
    const std::string& kw = ins.keyword;
    if (kw == "run") run_rules(st, ins);
    if (kw == "add") add_rules(ins);
    if (kw == "copy") copy_rules(st, ins);
    if (kw == "env" || kw == "arg" || kw == "label") secret_rules(ins);
    if (kw == "expose") expose_rules(ins);
    if (kw == "workdir") workdir_rules(ins);
    if (kw == "maintainer") hit("BW-DF-041", ins, fmt::format("MAINTAINER {}", ins.args.empty() ? "" : ins.args[0]));
    if (kw == "healthcheck" && !ins.onbuild) {
      if (++healthchecks_[st.index] > 1)
        hit("BW-DF-033", ins, "a second HEALTHCHECK in the stage (only the last counts)");
    }
    if ((kw == "cmd" || kw == "entrypoint") && !ins.onbuild) {
      auto& count = kw == "cmd" ? cmds_[st.index] : entrypoints_[st.index];
      if (++count > 1) {
        hit("BW-DF-038", ins, fmt::format("{} appears more than once in the stage; only the last one counts", kw),
            {kw == "cmd" ? "DL4003" : "DL4004", kw == "cmd" ? "AVD-DS-0016" : "AVD-DS-0007"});
      }
    }
    if ((kw == "cmd" || kw == "entrypoint") && !ins.json && !ins.args.empty()) {
      hit("BW-DF-047", ins, fmt::format("{} {}", lower(kw) == "cmd" ? "CMD" : "ENTRYPOINT", short_text(ins.args[0])));
    }
    if (kw == "shell" && !ins.onbuild) shell_[st.index] = ins.args;
    env_rules(ins);
  }

  void env_rules(const Instruction& ins) {
    if (ins.keyword != "env") return;
    for (const auto& kv : key_values(ins, df_.directives.escape)) {
      const std::string k = kv.key;
      const std::string v = lower(kv.value);
      const bool off = v == "0" || v == "false" || v == "no" || v == "off";
      if ((k == "NODE_TLS_REJECT_UNAUTHORIZED" && v == "0") || (k == "PYTHONHTTPSVERIFY" && v == "0") ||
          (k == "GIT_SSL_NO_VERIFY" && !off && !v.empty()) || (k == "NPM_CONFIG_STRICT_SSL" && off) ||
          (k == "npm_config_strict_ssl" && off) || (k == "CURL_CA_BUNDLE" && v.empty() && kv.has_value) ||
          (k == "PIP_TRUSTED_HOST" && !v.empty()) || (k == "GONOSUMDB" && v == "*") ||
          (k == "GOINSECURE" && !v.empty()) || (k == "GOFLAGS" && v.find("-insecure") != std::string::npos)) {
        hit("BW-DF-035", ins, fmt::format("ENV {}={}", k, kv.value));
      }
    }
  }

  void secret_rules(const Instruction& ins) {
    for (const auto& kv : key_values(ins, df_.directives.escape)) {
      const bool by_name = is_secret_name(kv.key);
      const bool by_value = kv.has_value && looks_like_secret_value(kv.value);
      if (ins.keyword == "label") {
        if (by_value || (by_name && kv.has_value && !looks_like_placeholder(kv.value))) {
          hit("BW-DF-009", ins, fmt::format("LABEL {}=<redacted>", kv.key), {"4.10"});
        }
        continue;
      }
      if (!by_name && !by_value) continue;
      if (ins.keyword == "arg") {
        hit("BW-DF-010", ins,
            fmt::format("ARG {}{}: build arguments are kept in the image history", kv.key,
                        kv.has_value && !kv.value.empty() ? "=<redacted>" : ""));
      } else {
        hit("BW-DF-009", ins, fmt::format("ENV {}{}", kv.key, kv.value.empty() ? "" : "=<redacted>"));
      }
    }
  }

  void expose_rules(const Instruction& ins) {
    for (const auto& raw : ins.args) {
      std::string p = ins.expand_word(raw, df_.directives.escape);
      const auto slash = p.find('/');
      const std::string ports = p.substr(0, slash);
      if (ports.empty() || ports.find('$') != std::string::npos) continue;
      const auto dash = ports.find('-');
      std::vector<std::string> ends{ports.substr(0, dash)};
      if (dash != std::string::npos) ends.push_back(ports.substr(dash + 1));
      bool has22 = false;
      for (const auto& e : ends) {
        if (e.empty() ||
            !std::all_of(e.begin(), e.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
          continue;
        }
        if (e.size() > 6 || std::stol(e) > 65535) hit("BW-DF-031", ins, fmt::format("EXPOSE {}", raw));
      }
      if (dash == std::string::npos) {
        has22 = ports == "22";
      } else if (ends.size() == 2 && !ends[0].empty() && !ends[1].empty() && ends[0].size() < 7 && ends[1].size() < 7 &&
                 std::all_of(ports.begin(), ports.end(),
                             [](char c) { return std::isdigit(static_cast<unsigned char>(c)) || c == '-'; })) {
        has22 = std::stol(ends[0]) <= 22 && std::stol(ends[1]) >= 22;
      }
      if (has22) hit("BW-DF-030", ins, fmt::format("EXPOSE {}", raw));
    }
  }

  void workdir_rules(const Instruction& ins) {
    if (ins.args.empty()) return;
    const std::string w = unquote(ins.args[0]);
    if (w.starts_with('$') || w.starts_with('/')) {
      const std::string path = ins.expand_word(ins.args[0], df_.directives.escape);
      for (std::string_view d : {"/proc", "/boot", "/dev", "/initrd", "/lost+found", "/sys"}) {
        if (path == d || path.starts_with(std::string(d) + "/")) hit("BW-DF-045", ins, fmt::format("WORKDIR {}", path));
      }
      return;
    }
    if (w.size() >= 2 && std::isalpha(static_cast<unsigned char>(w[0])) && w[1] == ':') return;  // Windows
    hit("BW-DF-037", ins, fmt::format("WORKDIR {}", ins.args[0]));
  }

  void add_rules(const Instruction& ins) {
    const auto srcs = sources_of(ins);
    bool local_plain = false;
    for (const auto& s : srcs) {
      if (is_url(s) || is_git_url(s)) {
        if (!ins.flag("checksum") && !(is_git_url(s) && s.find('#') != std::string::npos && s.size() > 40)) {
          hit("BW-DF-007", ins, fmt::format("ADD {} without --checksum", s));
        }
        continue;
      }
      if (!is_archive(s)) local_plain = true;
    }
    if (local_plain && ins.heredocs.empty())
      hit("BW-DF-006", ins, fmt::format("ADD {}", short_text(fmt::format("{}", fmt::join(srcs, " ")))));
  }

  void copy_rules(const Stage& st, const Instruction& ins) {
    if (auto from = ins.flag("from")) {
      const std::string ref = ins.expand_word(*from, df_.directives.escape);
      check_image_registry(st, ins, ref);
      const std::string lref = lower(ref);
      if (!st.name.empty() && lref == st.name) {
        hit("BW-DF-039", ins, fmt::format("COPY --from={} names the stage it is in", *from));
      } else if (df_.find_stage(ref, st.index) < 0 && ref.find('$') == std::string::npos && !ref.empty()) {
        const bool later_stage =
            std::any_of(df_.stages.begin(), df_.stages.end(), [&](const Stage& s) { return s.name == lref; });
        const bool numeric =
            std::all_of(ref.begin(), ref.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
        if (!later_stage && !numeric) {
          const ImageRef r = parse_image_ref(ref);
          if (r.digest.empty())
            hit("BW-DF-013", ins, fmt::format("COPY --from={} (an image, not pinned by digest)", ref));
        }
      }
    }
    const auto srcs = sources_of(ins);
    if (srcs.size() >= 2 && !ins.args.empty()) {
      const std::string dest = unquote(ins.args.back());
      if (!dest.ends_with('/') && !dest.starts_with('$')) {
        hit("BW-DF-043", ins, fmt::format("COPY of {} sources to {}", srcs.size(), dest));
      }
    }
    for (const auto& s : srcs) {
      const std::string base = s.substr(s.rfind('/') == std::string::npos ? 0 : s.rfind('/') + 1);
      if (base == ".env" || base == "id_rsa" || base == "id_ed25519" || base == "id_ecdsa" || base == ".npmrc" ||
          base == ".pypirc" || base == "credentials.json" || base == ".netrc" || base == ".git-credentials" ||
          base == ".dockercfg" || base.ends_with(".pem") || base.ends_with(".key") || base.ends_with(".p12") ||
          base.ends_with(".pfx") || s.find(".aws/credentials") != std::string::npos ||
          s.find(".docker/config.json") != std::string::npos) {
        hit("BW-DF-048", ins,
            fmt::format("{} {} copies a credential file into the image", lower(ins.keyword) == "copy" ? "COPY" : "ADD",
                        s));
      }
    }
  }

  void run_rules(const Stage& st, const Instruction& ins) {
    const RunView v = view_run(ins);
    pip_env_no_cache_ = false;
    // RUN flags
    if (auto sec = ins.flag("security"); sec && lower(*sec) == "insecure") {
      hit("BW-DF-011", ins, "RUN --security=insecure");
    }
    if (auto net = ins.flag("network"); net && lower(*net) == "host") hit("BW-DF-012", ins, "RUN --network=host");
    for (const auto& m : mounts_of(ins)) check_image_registry(st, ins, m.from);

    bool apt_update = false, apt_install = false, apt_lists_cleaned = false;
    bool rm_docker_clean = false;
    bool yum_used = false, yum_cleaned = false, dnf_used = false, dnf_cleaned = false, zypper_used = false,
         zypper_cleaned = false, microdnf_used = false, microdnf_cleaned = false;
    bool pipefail_needed = false;
    bool reported_both_here = false;
    std::set<int> pipelines_with_fetch;

    for (std::size_t ci = 0; ci < v.commands.size(); ++ci) {
      const ShellCommand& c = v.commands[ci];
      const ShellCommand& raw = v.raw[ci];
      const std::string n = c.name();
      const std::string rn = raw.name();
      if (rn == "sudo" || n == "sudo") hit("BW-DF-014", ins, short_text(fmt::format("{}", fmt::join(raw.argv, " "))));
      if (raw.pipes_out || raw.pipes_in) pipefail_needed = true;
      if (n == "cd") hit("BW-DF-042", ins, short_text(fmt::format("{}", fmt::join(c.argv, " "))));

      // --- apt ---
      if (n == "apt-get" || n == "apt" || n == "aptitude") {
        static const std::set<std::string> with_value{"-o", "-t", "--target-release", "-c", "--config-file"};
        const std::string sub = subcommand(c, with_value);
        if (n == "apt") hit("BW-DF-019", ins, short_text(fmt::format("{}", fmt::join(c.argv, " "))));
        if (sub == "update") apt_update = true;
        if (sub == "install") apt_install = true;
        if (sub == "upgrade" || sub == "dist-upgrade" || sub == "full-upgrade") {
          hit("BW-DF-020", ins, short_text(fmt::format("{}", fmt::join(c.argv, " "))),
              sub == "dist-upgrade" ? std::vector<std::string>{"AVD-DS-0024", "4.7"} : std::vector<std::string>{"4.7"});
        }
        if (sub == "install" && n == "apt-get") {
          const auto pkgs = packages_after(c, "install", with_value);
          std::vector<std::string> unpinned;
          for (const auto& p : pkgs) {
            if (p.find('=') == std::string::npos && !p.ends_with(".deb") && p.find('/') == std::string::npos) {
              unpinned.push_back(p);
            }
          }
          if (!unpinned.empty()) {
            hit("BW-DF-015", ins, fmt::format("apt-get install {} (no version)", fmt::join(unpinned, " ")));
          }
          int quiet = 0;
          for (std::size_t i = 1; i < c.argv.size(); ++i) {
            const auto& a = c.argv[i];
            if (a == "--quiet" || a == "-q") ++quiet;
            if (a == "-qq" || a == "-q=2" || a == "--quiet=2") quiet += 2;
          }
          const bool yes = has_short_flag(c, 'y') || has_any(c, {"--yes", "--assume-yes", "--force-yes"}) || quiet >= 2;
          if (!yes) hit("BW-DF-018", ins, short_text(fmt::format("{}", fmt::join(c.argv, " "))));
          bool norec = has_any(c, {"--no-install-recommends"});
          for (std::size_t i = 1; i + 1 < c.argv.size(); ++i) {
            if (c.argv[i] == "-o" && lower(c.argv[i + 1]) == "apt::install-recommends=false") norec = true;
          }
          if (!norec) hit("BW-DF-016", ins, short_text(fmt::format("{}", fmt::join(c.argv, " "))));
        }
        if (has_any(c, {"--allow-unauthenticated", "--allow-insecure-repositories", "--allow-downgrades", "--force-yes",
                        "--allow-releaseinfo-change"}) &&
            has_any(c, {"--allow-unauthenticated", "--allow-insecure-repositories", "--force-yes"})) {
          hit("BW-DF-036", ins, short_text(fmt::format("{}", fmt::join(c.argv, " "))));
        }
        for (std::size_t i = 1; i + 1 < c.argv.size(); ++i) {
          const std::string o = lower(c.argv[i + 1]);
          if (c.argv[i] == "-o" && (o.starts_with("acquire::https::verify-peer=false") ||
                                    o.starts_with("acquire::https::verify-host=false") ||
                                    o.starts_with("acquire::check-valid-until=false"))) {
            hit("BW-DF-035", ins, short_text(fmt::format("{}", fmt::join(c.argv, " "))));
          }
          if (c.argv[i] == "-o" && (o.starts_with("apt::get::allowunauthenticated=true") ||
                                    o.starts_with("acquire::allowinsecurerepositories=true"))) {
            hit("BW-DF-036", ins, short_text(fmt::format("{}", fmt::join(c.argv, " "))));
          }
        }
      }
      if (n == "dpkg" && has_any(c, {"--force-bad-verify"}))
        hit("BW-DF-036", ins, short_text(fmt::format("{}", fmt::join(c.argv, " "))));
      if (n == "rm") {
        for (std::size_t i = 1; i < c.argv.size(); ++i) {
          if (c.argv[i].starts_with("/var/lib/apt/lists")) apt_lists_cleaned = true;
          if (c.argv[i] == "/etc/apt/apt.conf.d/docker-clean") rm_docker_clean = true;
          if (c.argv[i].starts_with("/var/cache/yum")) yum_cleaned = dnf_cleaned = microdnf_cleaned = true;
          if (c.argv[i].starts_with("/var/cache/dnf") || c.argv[i].starts_with("/var/cache/libdnf5")) {
            dnf_cleaned = microdnf_cleaned = true;
          }
          if (c.argv[i].starts_with("/var/cache/zypp")) zypper_cleaned = true;
        }
      }
      // --- apk ---
      if (n == "apk") {
        static const std::set<std::string> with_value{
            "-X",     "--repository",        "-t",         "--virtual", "-p",
            "--root", "--repositories-file", "--keys-dir", "--arch",    "--cache-dir"};
        const std::string sub = subcommand(c, with_value);
        if (sub == "add") {
          if (!has_any(c, {"--no-cache"}) && !has_cache_mount(ins, "/var/cache/apk")) {
            hit("BW-DF-022", ins, short_text(fmt::format("{}", fmt::join(c.argv, " "))));
          }
          std::vector<std::string> unpinned;
          for (const auto& p : packages_after(c, "add", with_value)) {
            if (p.find('=') == std::string::npos && p.find('~') == std::string::npos &&
                p.find('<') == std::string::npos && p.find('>') == std::string::npos && !p.ends_with(".apk")) {
              unpinned.push_back(p);
            }
          }
          if (!unpinned.empty())
            hit("BW-DF-023", ins, fmt::format("apk add {} (no version)", fmt::join(unpinned, " ")));
          if (has_any(c, {"--allow-untrusted"}))
            hit("BW-DF-036", ins, short_text(fmt::format("{}", fmt::join(c.argv, " "))));
        }
        if (sub == "upgrade") hit("BW-DF-020", ins, short_text(fmt::format("{}", fmt::join(c.argv, " "))), {"4.7"});
      }
      // --- yum / dnf / microdnf / zypper ---
      if (n == "yum" || n == "dnf" || n == "microdnf" || n == "tdnf") {
        static const std::set<std::string> with_value{"--setopt",      "-c",           "--config",
                                                      "--installroot", "--releasever", "--enablerepo",
                                                      "--disablerepo", "-x",           "--exclude"};
        const std::string sub = subcommand(c, with_value);
        const bool module = sub == "module";
        std::string real_sub = sub;
        if (module) {
          const auto ops = packages_after(c, "module", with_value);
          real_sub = ops.empty() ? "" : ops[0];
        }
        const bool is_yum = n == "yum";
        const bool is_micro = n == "microdnf";
        if (sub == "clean" && c.has_arg("all")) {
          (is_yum ? yum_cleaned : is_micro ? microdnf_cleaned : dnf_cleaned) = true;
        }
        // dnf's short aliases: in, rei, up, up-min.
        if (real_sub == "in") real_sub = "install";
        if (real_sub == "rei") real_sub = "reinstall";
        if (real_sub == "up" || real_sub == "upgrade-minimal" || real_sub == "up-min") real_sub = "upgrade";
        if (real_sub == "install" || real_sub == "groupinstall" || real_sub == "localinstall" ||
            real_sub == "reinstall" || real_sub == "upgrade" || real_sub == "update") {
          (is_yum ? yum_used : is_micro ? microdnf_used : dnf_used) = true;
          (is_yum ? yum_cleaned : is_micro ? microdnf_cleaned : dnf_cleaned) = false;  // a clean before does not count
        }
        if (real_sub == "install" || real_sub == "groupinstall" || real_sub == "localinstall") {
          if (!has_short_flag(c, 'y') && !has_any(c, {"--assumeyes"})) {
            hit("BW-DF-024", ins, short_text(fmt::format("{}", fmt::join(c.argv, " "))),
                {is_yum ? "DL3030" : "DL3038"});
          }
          std::vector<std::string> unpinned;
          auto pkgs = packages_after(c, module ? real_sub : sub, with_value);
          for (const auto& p0 : pkgs) {
            if (p0.find('$') != std::string::npos) continue;  // a version from a variable counts as pinned
            const std::string p = p0;
            if (p.ends_with(".rpm") || p.find('/') != std::string::npos) continue;
            bool pinned = false;
            if (module) {
              pinned = p.find(':') != std::string::npos;
            } else {
              // name-version: a '-' followed by a digit
              for (std::size_t i = 0; i + 1 < p.size(); ++i) {
                if (p[i] == '-' && std::isdigit(static_cast<unsigned char>(p[i + 1]))) pinned = true;
              }
            }
            if (!pinned) unpinned.push_back(p);
          }
          if (!unpinned.empty()) {
            hit("BW-DF-026", ins, fmt::format("{} install {} (no version)", n, fmt::join(unpinned, " ")),
                {is_yum ? "DL3033" : "DL3041"});
          }
        }
        if (real_sub == "upgrade" || real_sub == "distro-sync" ||
            (real_sub == "update" && packages_after(c, real_sub, with_value).empty())) {
          hit("BW-DF-020", ins, short_text(fmt::format("{}", fmt::join(c.argv, " "))), {"4.7"});
        }
        if (has_any(c, {"--nogpgcheck", "--setopt=gpgcheck=0", "--setopt=gpgcheck=false", "--setopt=sslverify=0",
                        "--setopt=sslverify=false"})) {
          hit(has_any(c, {"--setopt=sslverify=0", "--setopt=sslverify=false"}) ? "BW-DF-035" : "BW-DF-036", ins,
              short_text(fmt::format("{}", fmt::join(c.argv, " "))));
        }
      }
      if (n == "rpm" && has_any(c, {"--nosignature", "--nodigest"})) {
        hit("BW-DF-036", ins, short_text(fmt::format("{}", fmt::join(c.argv, " "))));
      }
      if (n == "zypper") {
        static const std::set<std::string> with_value{"--root", "-R", "--repo", "-r"};
        const std::string sub = subcommand(c, with_value);
        if (sub == "install" || sub == "in" || sub == "remove" || sub == "rm" || sub == "source-install" ||
            sub == "si" || sub == "patch" || sub == "update" || sub == "up") {
          zypper_used = true;
          zypper_cleaned = false;
          if (!has_any(c, {"-n", "--non-interactive", "-y", "--no-confirm"})) {
            hit("BW-DF-024", ins, short_text(fmt::format("{}", fmt::join(c.argv, " "))), {"DL3034"});
          }
        }
        if (sub == "install" || sub == "in") {
          std::vector<std::string> unpinned;
          for (const auto& p : packages_after(c, sub, with_value)) {
            if (p.find('=') == std::string::npos && p.find('>') == std::string::npos &&
                p.find('<') == std::string::npos && !p.ends_with(".rpm")) {
              unpinned.push_back(p);
            }
          }
          if (!unpinned.empty())
            hit("BW-DF-026", ins, fmt::format("zypper install {} (no version)", fmt::join(unpinned, " ")), {"DL3037"});
        }
        if (sub == "clean" || sub == "cc") zypper_cleaned = true;
        if (sub == "dist-upgrade" || sub == "dup")
          hit("BW-DF-020", ins, short_text(fmt::format("{}", fmt::join(c.argv, " "))), {"DL3035", "4.7"});
        if (has_any(c, {"--no-gpg-checks", "--gpg-auto-import-keys"}) && has_any(c, {"--no-gpg-checks"})) {
          hit("BW-DF-036", ins, short_text(fmt::format("{}", fmt::join(c.argv, " "))));
        }
      }
      // --- language package managers ---
      if (n == "pip" || n == "pip2" || n == "pipx" || n.starts_with("pip2.") || n == "pip3" || n.starts_with("pip3.") ||
          (n.starts_with("python") && c.argv.size() > 3 && c.argv[1] == "-m" && c.argv[2].starts_with("pip"))) {
        pip_rules(ins, c);
      }
      if (n == "npm" && (subcommand(c) == "install" || subcommand(c) == "i" || subcommand(c) == "add")) {
        std::vector<std::string> unpinned;
        for (const auto& p :
             packages_after(c, subcommand(c), {"--prefix", "--registry", "--loglevel", "--cache", "--userconfig"})) {
          const auto at = p.rfind('@');
          const bool scoped = p.starts_with('@');
          const bool has_version = at != std::string::npos && at > (scoped ? 0u : 0u) && !(scoped && at == 0);
          if (p.starts_with("git") || p.find("://") != std::string::npos) {
            if (p.find('#') == std::string::npos) unpinned.push_back(p);  // a git URL pins with #<commit>
            continue;
          }
          if (p.starts_with('.') || p.starts_with('/') || p.starts_with('~') || p.ends_with(".tgz") ||
              p.ends_with(".tar.gz") || p.ends_with(".tar") || p.starts_with('$')) {
            continue;
          }
          if (!has_version) unpinned.push_back(p);
        }
        if (!unpinned.empty())
          hit("BW-DF-028", ins, fmt::format("npm install {} (no version)", fmt::join(unpinned, " ")), {"DL3016"});
        if (has_any(c, {"--strict-ssl=false"}))
          hit("BW-DF-035", ins, short_text(fmt::format("{}", fmt::join(c.argv, " "))));
      }
      if ((n == "npm" || n == "yarn" || n == "pnpm") && subcommand(c) == "config" && c.argv.size() >= 4) {
        const auto ops = c.operands();
        if (ops.size() >= 3 && lower(ops[1]) == "strict-ssl" && lower(ops[2]) == "false") {
          hit("BW-DF-035", ins, short_text(fmt::format("{}", fmt::join(c.argv, " "))));
        }
      }
      if (n == "gem" && (subcommand(c) == "install" || subcommand(c) == "i")) {
        bool version_flag = has_any(c, {"-v", "--version", "--version="});
        std::vector<std::string> unpinned;
        static const std::set<std::string> with_value{"-v", "--version", "-i",      "--install-dir",
                                                      "-n", "--bindir",  "--source"};
        if (!version_flag) {
          ShellCommand gc = c;
          const auto dd = std::find(gc.argv.begin(), gc.argv.end(), "--");
          gc.argv.erase(dd, gc.argv.end());  // after `--`: options for the gem's build
          for (const auto& p : packages_after(gc, subcommand(c), with_value)) {
            if (p.find(':') == std::string::npos && p != "true" && p != "false") unpinned.push_back(p);
          }
        }
        if (!unpinned.empty())
          hit("BW-DF-028", ins, fmt::format("gem install {} (no version)", fmt::join(unpinned, " ")), {"DL3028"});
      }
      if (n == "go" && (subcommand(c) == "install" || subcommand(c) == "get" || subcommand(c) == "run")) {
        std::vector<std::string> unpinned;
        for (const auto& p :
             packages_after(c, subcommand(c), {"-o", "-C", "-modfile", "-ldflags", "-gcflags", "-tags"})) {
          if (p.starts_with('.') || p.starts_with('/') || p.ends_with(".go")) continue;
          const auto at = p.find('@');
          if (at == std::string::npos || p.substr(at + 1) == "latest") unpinned.push_back(p);
        }
        if (!unpinned.empty())
          hit("BW-DF-028", ins, fmt::format("go install {} (no version)", fmt::join(unpinned, " ")), {"DL3062"});
      }
      // --- downloads ---
      if (n == "curl" || n == "wget") {
        const bool insecure = n == "curl" ? (has_any(c, {"-k", "--insecure"}) ||
                                             (has_short_flag(c, 'k') && !has_any(c, {"--keepalive-time"})))
                                          : has_any(c, {"--no-check-certificate"});
        if (insecure) hit("BW-DF-035", ins, short_text(fmt::format("{}", fmt::join(c.argv, " "))));
        if (raw.pipes_out) pipelines_with_fetch.insert(raw.pipeline);
        auto& tools = download_tools_[st.index];
        tools.insert(n);
        if (tools.size() == 2 && !reported_both_here) {
          reported_both_here = true;
          hit("BW-DF-044", ins, "both curl and wget are used in this stage");
        }
      }
      if ((n == "sh" || n == "bash" || n == "zsh" || n == "ash" || n == "dash" || n == "ksh" || n == "python" ||
           n == "python3" || n == "perl" || n == "ruby" || n == "node") &&
          raw.pipes_in && pipelines_with_fetch.contains(raw.pipeline)) {
        hit("BW-DF-008", ins, "a download is piped straight into " + n);
      }
      if ((n == "sh" || n == "bash" || n == "zsh") && c.argv.size() >= 3) {
        for (const auto& a : c.argv) {
          if ((a.starts_with("$(curl") || a.starts_with("$(wget") || a.starts_with("`curl") ||
               a.starts_with("`wget")) &&
              !mentions_checksum(v)) {
            hit("BW-DF-008", ins, "a downloaded script is run through " + n + " -c");
          }
        }
      }
      if (n == "pip" || n == "pip3") {
        if (has_any(c, {"--trusted-host", "--trusted-host="}))
          hit("BW-DF-035", ins, short_text(fmt::format("{}", fmt::join(c.argv, " "))));
      }
      if (n == "git" && c.argv.size() >= 3) {
        for (std::size_t i = 1; i + 1 < c.argv.size(); ++i) {
          const std::string a = lower(c.argv[i]);
          const std::string b = lower(c.argv[i + 1]);
          if ((a == "-c" && b == "http.sslverify=false") || (a == "http.sslverify" && b == "false")) {
            hit("BW-DF-035", ins, short_text(fmt::format("{}", fmt::join(c.argv, " "))));
          }
        }
      }
      if (n == "chmod") chmod_rules(ins, c);
      if (n == "export") {
        for (const auto& a : c.argv) {
          if (a.starts_with("PIP_NO_CACHE_DIR=")) {
            const std::string val = lower(a.substr(17));
            pip_env_no_cache_ = !val.empty() && val != "0" && val != "false" && val != "off" && val != "no";
          }
        }
      }
      if (n == "echo" || n == "printf") {
        for (const auto& a : c.argv) {
          const std::string l = lower(a);
          if (l.find("sslverify=0") != std::string::npos || l.find("sslverify=false") != std::string::npos ||
              l.find("check_certificate = off") != std::string::npos || l.find("insecure") == 0) {
            hit("BW-DF-035", ins, short_text(fmt::format("{}", fmt::join(c.argv, " "))));
          }
          if (l.find("gpgcheck=0") != std::string::npos || l.find("trusted=yes") != std::string::npos) {
            hit("BW-DF-036", ins, short_text(fmt::format("{}", fmt::join(c.argv, " "))));
          }
        }
      }
      if (n == "chpasswd" || (n == "passwd" && c.has_arg("-d"))) {
        hit("BW-DF-049", ins, short_text(fmt::format("{}", fmt::join(c.argv, " "))));
      }
    }
    // apt lists left in the image (DL3009): only where the stage ends up in an image.
    if ((apt_update || apt_install) && !apt_lists_cleaned) {
      const bool lists_cached = has_cache_mount(ins, "/var/lib/apt/lists") ||
                                (has_cache_mount(ins, "/var/lib/apt") && has_cache_mount(ins, "/var/cache/apt"));
      const bool relevant = ins.onbuild || is_final(st) || used_as_base(st.index);
      if (!lists_cached && relevant) hit("BW-DF-017", ins, "apt lists are not removed (rm -rf /var/lib/apt/lists/*)");
    }
    (void)rm_docker_clean;
    if (apt_update && !apt_install) {
      // `apt-get update` alone in a RUN: a later install uses a stale cached layer.
      bool installs_elsewhere = false;
      for (const auto& c : v.commands) {
        const std::string n = c.name();
        if ((n == "apt-get" || n == "apt") && subcommand(c) != "update" && subcommand(c) != "clean")
          installs_elsewhere = true;
      }
      if (!installs_elsewhere) hit("BW-DF-021", ins, "apt-get update without an install in the same RUN");
    }
    if (has_cache_mount(ins, "/var/cache/yum")) yum_cleaned = true;
    if (has_cache_mount(ins, "/var/cache/dnf") || has_cache_mount(ins, "/var/cache/libdnf5"))
      dnf_cleaned = microdnf_cleaned = true;
    if (has_cache_mount(ins, "/var/cache/zypp")) zypper_cleaned = true;
    if (yum_used && !yum_cleaned) hit("BW-DF-025", ins, "yum clean all is missing", {"DL3032", "AVD-DS-0015"});
    if (dnf_used && !dnf_cleaned) hit("BW-DF-025", ins, "dnf clean all is missing", {"DL3040", "AVD-DS-0019"});
    if (microdnf_used && !microdnf_cleaned)
      hit("BW-DF-025", ins, "microdnf clean all is missing", {"DL3040", "AVD-DS-0027"});
    if (zypper_used && !zypper_cleaned) hit("BW-DF-025", ins, "zypper clean is missing", {"DL3036", "AVD-DS-0020"});
    if (pipefail_needed && !ins.json) {
      const auto& shell = shell_[st.index];
      bool ok = false;
      bool other_shell = false;
      if (!shell.empty()) {
        const std::string sh = lower(shell[0]);
        const std::string base = sh.substr(sh.rfind('/') == std::string::npos ? 0 : sh.rfind('/') + 1);
        other_shell = base.starts_with("pwsh") || base.starts_with("powershell") || base.starts_with("cmd");
        const bool capable = base == "bash" || base == "zsh" || base == "ash" || base == "ksh" || base == "mksh";
        for (std::size_t i = 1; i + 1 < shell.size(); ++i) {
          if (shell[i] == "-o" && shell[i + 1] == "pipefail" && capable) ok = true;
        }
      }
      if (!ok && !other_shell) hit("BW-DF-046", ins, "RUN with a pipe, and the shell has no -o pipefail");
    }
  }

  void pip_rules(const Instruction& ins, const ShellCommand& c0) {
    ShellCommand c = c0;
    if (c.name().starts_with("python")) c.argv.erase(c.argv.begin(), c.argv.begin() + 2);
    if (subcommand(c) != "install") return;
    const bool constrained = has_any(c, {"-c", "--constraint", "--constraint="});
    static const std::set<std::string> with_value{"-r",
                                                  "--requirement",
                                                  "-c",
                                                  "--constraint",
                                                  "-i",
                                                  "--index-url",
                                                  "--extra-index-url",
                                                  "-t",
                                                  "--target",
                                                  "--prefix",
                                                  "--root",
                                                  "-f",
                                                  "--find-links",
                                                  "--trusted-host",
                                                  "--platform",
                                                  "--python-version",
                                                  "--implementation",
                                                  "--abi",
                                                  "--src",
                                                  "-e",
                                                  "--editable",
                                                  "--progress-bar"};
    std::vector<std::string> unpinned;
    for (const auto& p : packages_after(c, "install", with_value)) {
      const std::string l = lower(p);
      if (l.find("==") != std::string::npos || l.find(">=") != std::string::npos || l.find("<=") != std::string::npos ||
          l.find("~=") != std::string::npos || l.find("===") != std::string::npos || l.find('@') != std::string::npos ||
          l.find('<') != std::string::npos || l.find('>') != std::string::npos || l.find("!=") != std::string::npos) {
        continue;
      }
      if (l.starts_with("git+")) {
        // a VCS URL is pinned by `@<ref>` after the path
        const auto scheme = l.find("://");
        const auto path = scheme == std::string::npos ? 0 : l.find('/', scheme + 3);
        if (path == std::string::npos || l.find('@', path) == std::string::npos) unpinned.push_back(p);
        continue;
      }
      if (l.starts_with('.') || l.find('/') != std::string::npos || l.ends_with(".whl") || l.ends_with(".tar.gz") ||
          l.ends_with(".zip") || l.starts_with('$')) {
        continue;
      }
      if (!constrained) unpinned.push_back(p);
    }
    if (!unpinned.empty())
      hit("BW-DF-028", ins, fmt::format("pip install {} (no version)", fmt::join(unpinned, " ")), {"DL3013"});
    bool env_no_cache = pip_env_no_cache_;
    auto truthy = [](const std::string& val) {
      const std::string l = lower(val);
      return !l.empty() && l != "false" && l != "0" && l != "off" && l != "no";
    };
    for (const auto& [k, val] : ins.env.items()) {
      if (k == "PIP_NO_CACHE_DIR" && truthy(val)) env_no_cache = true;
    }
    for (const auto& a : c0.assignments) {
      if (a.starts_with("PIP_NO_CACHE_DIR=") && truthy(a.substr(17))) env_no_cache = true;
    }
    const bool cache_mount = [&] {
      for (const auto& m : mounts_of(ins)) {
        if (m.type == "cache" || m.type == "tmpfs") {
          if (m.target.find("pip") != std::string::npos || m.target == "/root/.cache") return true;
        }
      }
      return false;
    }();
    if (c0.name() != "pipx" && !has_any(c, {"--no-cache-dir", "--no-cache-dir="}) && !env_no_cache && !cache_mount) {
      hit("BW-DF-029", ins, short_text(fmt::format("{}", fmt::join(c.argv, " "))));
    }
  }

  void chmod_rules(const Instruction& ins, const ShellCommand& c) {
    for (std::size_t i = 1; i < c.argv.size(); ++i) {
      const std::string& m = c.argv[i];
      if (m.starts_with('-')) continue;
      bool bad = false;
      bool octal =
          !m.empty() && m.size() <= 4 && std::all_of(m.begin(), m.end(), [](char d) { return d >= '0' && d <= '7'; });
      if (octal) {
        const int mode = std::stoi(m, nullptr, 8);
        bad = (mode & 02) != 0 || (mode & 04000) != 0 || (mode & 02000) != 0;
      } else {
        // symbolic: o+w, a+w, +w, u+s, g+s
        for (const auto& part :
             {std::string("o+w"), std::string("a+w"), std::string("+s"), std::string("o=rwx"), std::string("a=rwx")}) {
          if (m.find(part) != std::string::npos) bad = true;
        }
        if (m == "+w" || m == "777") bad = true;
      }
      if (bad) hit("BW-DF-034", ins, short_text(fmt::format("{}", fmt::join(c.argv, " "))));
      break;  // only the mode operand
    }
  }

  void file_rules() {}

  const Dockerfile& df_;
  const RuleOptions& opt_;
  std::vector<RuleHit> hits_;
  std::map<int, int> healthchecks_, cmds_, entrypoints_;
  std::map<int, std::vector<std::string>> shell_;
  std::map<int, std::set<std::string>> download_tools_;
  bool pip_env_no_cache_ = false;
};

// hadolint/bulwark pragmas: `# hadolint ignore=DL3008,DL3015` on the line(s) above an
// instruction, `# hadolint global ignore=…` anywhere; `# bulwark ignore=BW-DF-001` likewise.
struct Pragmas {
  std::map<int, std::set<std::string>> by_line;  // instruction line -> ignored ids
  std::set<std::string> global;
  std::vector<std::pair<std::pair<int, int>, std::set<std::string>>> ranges;  // [first, last] line -> ids
};

// `ignore=DL3008, DL3015 # why`: every name must look like a rule id, or the pragma is void
// (hadolint ignores a pragma that names an unknown rule).
void parse_ignore_list(std::string_view text, std::set<std::string>& into) {
  auto eq = text.find('=');
  if (eq == std::string_view::npos) return;
  std::string_view list = text.substr(eq + 1);
  const auto hash = list.find('#');
  if (hash != std::string_view::npos) list = list.substr(0, hash);
  std::set<std::string> found;
  std::string cur;
  auto flush = [&]() -> bool {
    if (cur.empty()) return true;
    const bool dl = cur.size() > 2 && std::isalpha(static_cast<unsigned char>(cur[0])) &&
                    std::all_of(cur.begin(), cur.end(),
                                [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-'; }) &&
                    std::isdigit(static_cast<unsigned char>(cur.back()));
    if (!dl) return false;
    found.insert(cur);
    cur.clear();
    return true;
  };
  for (char c : list) {
    if (c == ',') {
      if (!flush()) return;
      continue;
    }
    if (c == ' ' || c == '\t') continue;
    cur.push_back(c);
  }
  if (!flush()) return;
  into.insert(found.begin(), found.end());
}

Pragmas collect_pragmas(const Dockerfile& df) {
  Pragmas p;
  auto scan = [&](const Instruction& ins, int first_line, int last_line) {
    for (const auto& comment : ins.comments) {
      std::string_view c = comment;
      for (std::string_view tool : {"hadolint", "bulwark"}) {
        if (!c.starts_with(tool)) continue;
        std::string_view rest = c.substr(tool.size());
        while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
        if (rest.starts_with("global ignore")) {
          parse_ignore_list(rest, p.global);
        } else if (rest.starts_with("stage ignore")) {
          // the stage the comment is in: the one its instruction belongs to
          std::set<std::string> ids;
          parse_ignore_list(rest, ids);
          p.ranges.push_back({{first_line, last_line}, std::move(ids)});
        } else if (rest.starts_with("ignore")) {
          parse_ignore_list(rest, p.by_line[ins.line]);
        }
      }
    }
  };
  for (const auto& a : df.global_args) scan(a, a.line, a.end_line);
  for (std::size_t i = 0; i < df.stages.size(); ++i) {
    const auto& st = df.stages[i];
    const int first = st.from.line ? st.from.line : 1;
    const int last = i + 1 < df.stages.size() && df.stages[i + 1].from.line ? df.stages[i + 1].from.line - 1 : 1 << 30;
    if (st.from.line) scan(st.from, first, last);
    for (const auto& ins : st.instructions) scan(ins, first, last);
  }
  return p;
}

}  // namespace

ImageRef parse_image_ref(std::string_view ref) {
  ImageRef r;
  std::string s(ref);
  const auto at = s.find('@');
  if (at != std::string::npos) {
    r.digest = s.substr(at + 1);
    s = s.substr(0, at);
  }
  const auto slash = s.find('/');
  std::string first = slash == std::string::npos ? "" : s.substr(0, slash);
  if (!first.empty() &&
      (first.find('.') != std::string::npos || first.find(':') != std::string::npos || first == "localhost")) {
    r.registry = lower(first);
    s = s.substr(slash + 1);
  } else {
    r.registry = "docker.io";
  }
  if (r.registry == "index.docker.io" || r.registry == "registry-1.docker.io" || r.registry == "hub.docker.io") {
    r.registry = "docker.io";
  }
  const auto colon = s.rfind(':');
  if (colon != std::string::npos && s.find('/', colon) == std::string::npos) {
    r.tag = s.substr(colon + 1);
    s = s.substr(0, colon);
  }
  r.repository = s;
  return r;
}

bool is_secret_name(std::string_view name) {
  const auto tokens = name_tokens(name);
  bool hit = false;
  for (const auto& t : tokens) {
    if (t == "public" || t == "file" || t == "path" || t == "dir" || t == "url" || t == "id" || t == "name" ||
        t == "user" || t == "username" || t == "type" || t == "length" || t == "keyring" || t == "mode") {
      // "AWS_ACCESS_KEY_ID" is still a credential: only the "id" of a key is exempt when
      // nothing else in the name says "access".
      if (t == "id" && std::find(tokens.begin(), tokens.end(), "access") != tokens.end()) continue;
      if (t == "public" || t == "file" || t == "path" || t == "dir" || t == "url" || t == "keyring") return false;
      continue;
    }
    if (std::find(kSecretWords.begin(), kSecretWords.end(), t) != kSecretWords.end()) hit = true;
    if (t.ends_with("password") || t.ends_with("secret") || t.ends_with("token") || t == "apikey" || t == "privatekey")
      hit = true;
  }
  return hit;
}

std::vector<RuleHit> run_rules(const Dockerfile& df, const RuleOptions& options) {
  RuleRunner runner(df, options);
  auto hits = runner.run();
  if (!options.honour_pragmas) return hits;
  const Pragmas p = collect_pragmas(df);
  std::erase_if(hits, [&](const RuleHit& h) {
    std::vector<std::string> ids = h.only_standards;
    if (ids.empty() && options.standard_ids) ids = options.standard_ids(h.check_id);
    ids.push_back(h.check_id);
    auto it = p.by_line.find(h.line);
    return std::any_of(ids.begin(), ids.end(), [&](const std::string& id) {
      if (p.global.contains(id) || (it != p.by_line.end() && it->second.contains(id))) return true;
      return std::any_of(p.ranges.begin(), p.ranges.end(), [&](const auto& range) {
        return h.line >= range.first.first && h.line <= range.first.second && range.second.contains(id);
      });
    });
  });
  return hits;
}

}  // namespace bulwark::config::dockerfile
