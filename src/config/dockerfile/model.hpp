// The Dockerfile as checks see it: build stages with typed instructions.
//
// build() walks BuildKit's syntax tree the way the builder does: ARGs before the first
// FROM are global (visible only to FROM lines, and to a stage that redeclares them),
// each FROM starts a stage whose name is case-insensitive, FROM and stage-level
// instructions are expanded with the ARG/ENV values known at that point (ENV beats
// ARG), `COPY --from` may name an earlier stage, an index or an image. Errors that
// `docker build` would raise (unknown instruction, missing arguments, ONBUILD FROM…)
// are collected with their line, never thrown: the checks still run on the rest.
#pragma once

#include "config/dockerfile/parser.hpp"
#include "config/dockerfile/shell.hpp"

#include <optional>
#include <string>
#include <vector>

namespace bulwark::config::dockerfile {

struct Flag {
  std::string name;   // without the leading "--"
  std::string value;  // empty for a bare `--flag`
  bool has_value = false;
};

struct Instruction {
  std::string keyword;  // lower case: run, copy, from, ...
  std::string original;
  std::vector<std::string> args;  // the parser's arguments (unexpanded)
  std::vector<Flag> flags;
  std::vector<Heredoc> heredocs;
  bool json = false;     // exec form
  bool onbuild = false;  // this came from `ONBUILD <instruction>`
  int line = 0;
  int end_line = 0;
  int column = 0;
  Environment env;                    // ARG and ENV values in force before this instruction
  std::vector<std::string> comments;  // comment lines directly above (pragmas)

  [[nodiscard]] std::optional<std::string> flag(std::string_view name) const;  // last value
  [[nodiscard]] std::vector<std::string> flag_values(std::string_view name) const;
  // The text a shell would run: shell form joined, heredoc bodies appended.
  [[nodiscard]] std::string script() const;
  // Expands a word with the instruction's environment; the raw word when expansion fails.
  [[nodiscard]] std::string expand_word(std::string_view word, char escape = '\\') const;
};

struct KeyValue {
  std::string key;
  std::string value;
  bool has_value = true;
};

struct Stage {
  int index = 0;
  std::string base;  // FROM image as written
  std::string base_expanded;
  bool base_resolved = true;  // false when expansion left unknown variables
  std::string name;           // `AS name`, lower case, may be empty
  std::string platform;       // --platform as written
  int base_stage = -1;        // index of the earlier stage this one builds on, or -1
  Instruction from;
  std::vector<Instruction> instructions;
};

struct BuildError {
  std::string message;
  int line = 0;
};

struct Dockerfile {
  Directives directives;
  std::vector<Instruction> global_args;  // ARGs before the first FROM
  std::vector<Stage> stages;
  std::vector<BuildError> errors;
  std::vector<ParseWarning> warnings;

  // The stage another stage's `COPY --from`/`FROM` names (name or index), or -1.
  [[nodiscard]] int find_stage(std::string_view ref, int before) const;
};

[[nodiscard]] Dockerfile build(const ParseResult& parsed);

// Splits `KEY=value KEY2="a b"` (ENV, LABEL, ARG) into pairs, quotes removed, values expanded.
[[nodiscard]] std::vector<KeyValue> key_values(const Instruction& ins, char escape = '\\');

}  // namespace bulwark::config::dockerfile
