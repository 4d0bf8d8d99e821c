// Dockerfile word expansion with BuildKit's semantics (frontend/dockerfile/shell).
//
// The builder expands ARG and ENV values in ADD, COPY, ENV, EXPOSE, FROM, LABEL,
// STOPSIGNAL, USER, VOLUME, WORKDIR and ONBUILD words (never in RUN, CMD or
// ENTRYPOINT, which the shell in the image expands). This is a re-implementation
// from the documented behaviour and BuildKit's test tables, not a shell: there is
// no command substitution, globbing or arithmetic, and nothing is ever executed.
//
// Supported: $v ${v} ${v:-w} ${v-w} ${v:+w} ${v+w} ${v:?m} ${v?m} ${v#p} ${v##p}
// ${v%p} ${v%%p} ${v/p/r} ${v//p/r}, single and double quotes, the escape token
// (`\` or the backtick chosen by `# escape=`), and word splitting (process_words).
#pragma once

#include "util/error.hpp"

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bulwark::config::dockerfile {

// The variables in force (ARG and ENV values), in definition order; a later
// definition of the same name replaces the earlier one.
class Environment {
 public:
  Environment() = default;
  void set(std::string_view name, std::string_view value);
  void erase(std::string_view name);
  [[nodiscard]] std::optional<std::string_view> get(std::string_view name) const;
  [[nodiscard]] bool contains(std::string_view name) const { return get(name).has_value(); }
  [[nodiscard]] const std::vector<std::pair<std::string, std::string>>& items() const noexcept { return vars_; }

 private:
  std::vector<std::pair<std::string, std::string>> vars_;
};

struct ShellOptions {
  char escape = '\\';
  bool raw_quotes = false;           // keep quote characters in the result
  bool raw_escapes = false;          // keep escape tokens in the result
  bool skip_unset_env = false;       // leave references to unset variables as written
  bool skip_process_quotes = false;  // quotes are ordinary characters
};

struct Expansion {
  std::string word;                 // the single-word result (ProcessWord)
  std::vector<std::string> words;   // the word-split result (ProcessWords)
  std::set<std::string> matched;    // variables referenced and set
  std::set<std::string> unmatched;  // variables referenced and not set
};

// Expands `input` once and returns both the single-word and the word-split
// results. Errors (unterminated quotes, bad substitutions, `${v:?msg}` on an
// unset variable) come back as ErrorCode::parse.
[[nodiscard]] Result<Expansion> expand(std::string_view input, const Environment& env,
                                       const ShellOptions& options = {});

// Matches a shell pattern (`*`, `?`, escaped literals) against the whole of `text`.
[[nodiscard]] bool glob_match(std::string_view pattern, std::string_view text);

// Appends the code point `cp` to `out` as UTF-8.
void append_utf8(std::string& out, char32_t cp);

}  // namespace bulwark::config::dockerfile
