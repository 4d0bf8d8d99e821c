// The Dockerfile parser: BuildKit's syntax tree, reproduced (frontend/dockerfile/parser).
//
// parse() turns Dockerfile text into the same tree BuildKit builds, so that checks see
// exactly what `docker build` would: parser directives (`# escape=`, `# syntax=`,
// `# check=`, only before the first instruction, comment or blank line), line
// continuations with the current escape token, comment lines inside continuations
// dropped, heredocs (`RUN <<EOF`, `COPY <<A <<B /dst`, `<<-` and quoted delimiters),
// JSON (exec) form with the silent fallback to shell form when the array is not valid
// JSON, and builder flags (`--mount=…`). dump() prints BuildKit's Node.Dump() format,
// which the tests compare byte for byte with BuildKit's own parser test files.
//
// The parser reads untrusted text: it has limits on size, lines and instructions, never
// recurses more than one level (ONBUILD), and reports errors with the line they are on.
#pragma once

#include <cstddef>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bulwark::config::dockerfile {

struct Heredoc {
  std::string name;
  std::string content;  // the body, each line with its newline; `<<-` tabs are kept here
  bool expand = true;   // false when the delimiter was quoted
  bool chomp = false;   // `<<-`: leading tabs are removed when the file is used
  unsigned file_descriptor = 0;
};

// One node of BuildKit's tree. The root's children are instructions; an instruction's
// `next` holds its arguments in order; ONBUILD's single `next` node holds the triggered
// instruction as its only child.
struct Node {
  std::string value;               // instruction keyword (lower case) or one argument
  std::string original;            // the instruction's full logical line (continuations joined)
  std::vector<std::string> flags;  // builder flags as written: "--from=build"
  std::vector<Node> next;
  std::vector<Node> children;
  std::vector<Heredoc> heredocs;
  std::vector<std::string> comments;  // comment lines directly above the instruction
  bool json = false;                  // the arguments were a JSON array (exec form)
  int start_line = 0;
  int end_line = 0;
  int column = 0;  // of the instruction keyword on start_line (1-based)

  // BuildKit's Node.Dump(): `(cmd ["--flag"] "arg" ...)` per instruction.
  [[nodiscard]] std::string dump() const;
};

struct Directives {
  char escape = '\\';
  std::string syntax;
  std::string check;  // `# check=skip=…;error=true`
  int escape_line = 0;
};

struct ParseWarning {
  std::string message;
  int line = 0;
};

struct ParseLimits {
  std::size_t max_bytes = 8u << 20;  // 8 MiB
  std::size_t max_instructions = 100000;
  std::size_t max_line_bytes = 1u << 20;  // one logical line, continuations joined
};

struct ParseError {
  std::string message;
  int line = 0;  // 1-based; 0 when the error is about the whole file
  int end_line = 0;
};

struct ParseResult {
  Node root;
  Directives directives;
  std::vector<ParseWarning> warnings;
};

[[nodiscard]] std::expected<ParseResult, ParseError> parse(std::string_view text, const ParseLimits& limits = {});

// BuildKit's word splitter for ENV/LABEL/ARG (quotes and escapes kept in the words).
[[nodiscard]] std::vector<std::string> parse_words(std::string_view rest, char escape);

// A JSON array of strings, with Go's encoding/json rules for the first value of `text`.
// nullopt: not JSON (the shell-form fallback); error: JSON but not all strings.
struct JsonArrayError {};
[[nodiscard]] std::expected<std::optional<std::vector<std::string>>, JsonArrayError> parse_json_array(
    std::string_view text);

// Heredoc delimiters on an instruction line, as BuildKit finds them.
[[nodiscard]] std::vector<Heredoc> heredocs_from_line(std::string_view line);
// Parses one word such as `<<-'EOF'`; nullopt when it is not a heredoc start.
[[nodiscard]] std::optional<Heredoc> parse_heredoc(std::string_view word);

// Go's strconv.Quote (used by dump()).
[[nodiscard]] std::string go_quote(std::string_view s);

}  // namespace bulwark::config::dockerfile
