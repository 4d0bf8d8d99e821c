// Falco condition syntax: parsing to an AST, printing it back the way Falco
// prints compiled conditions, and the list/macro expansion the compiler does.
//
//   expr   := and ('or' and)*
//   and    := not ('and' not)*
//   not    := 'not' not | '(' expr ')' | term
//   term   := lhs op rhs | lhs 'exists' | macro-name
//   lhs    := field | transformer '(' lhs ')'        (field: proc.aname[2], evt.arg.flags)
//   op     := = == != < <= > >= contains icontains bcontains startswith bstartswith endswith
//             glob iglob pmatch in intersects regex   (optionally followed by oneof|anyof|allof)
//   rhs    := value | '(' value (',' value)* ')' | val '(' lhs ')' | transformer '(' lhs ')'
//
// The parser never throws and bounds nesting depth; errors carry the offset in
// the condition text.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace bulwark::runtime::engine {

enum class Transformer { tolower, toupper, basename, len, b64 };

// A field reference with optional transformers (outermost first).
struct FieldExpr {
  std::string name;  // "proc.aname"
  std::string arg;   // "2" for proc.aname[2]; "flags" for evt.arg.flags is part of name
  bool has_arg = false;
  std::vector<Transformer> transformers;  // applied innermost-last: tolower(basename(x)) = {tolower, basename}
};

enum class NodeKind { and_, or_, not_, compare, macro };

enum class ListModifier { none, oneof, anyof, allof };

struct Node {
  NodeKind kind = NodeKind::compare;
  std::vector<std::unique_ptr<Node>> children;  // and_/or_: 2+; not_: 1
  // compare
  FieldExpr lhs;
  std::string op;  // canonical ("=" for "=="); "exists" has no rhs
  ListModifier modifier = ListModifier::none;
  enum class Rhs { none, value, list, field } rhs_kind = Rhs::none;
  std::string value;              // Rhs::value
  bool value_quoted = false;      // written in quotes (a quoted value is never a list name)
  std::vector<std::string> list;  // Rhs::list (after list expansion)
  std::vector<bool> list_quoted;  // parallel to list
  FieldExpr rhs_field;            // Rhs::field
  bool rhs_val_wrapper = false;   // written as val(field)
  // macro
  std::string macro;
  std::size_t offset = 0;  // where the term starts in the source text

  [[nodiscard]] std::unique_ptr<Node> clone() const;
};

struct ParseError {
  std::string message;
  std::size_t offset = 0;
};

struct ParseResult {
  std::unique_ptr<Node> root;  // null on error
  ParseError error;
};

inline constexpr int kMaxConditionDepth = 100;
inline constexpr std::size_t kMaxConditionBytes = 1 << 20;

[[nodiscard]] ParseResult parse_condition(std::string_view text);

// Prints the AST like Falco: "(a and b)", "not x", "f in (a, b)", values quoted when needed.
[[nodiscard]] std::string to_string(const Node& node);
[[nodiscard]] std::string to_string(const FieldExpr& field);
// Quotes a value if Falco would (spaces, parentheses, quotes, commas, empty).
[[nodiscard]] std::string quote_if_needed(std::string_view value);

[[nodiscard]] bool is_transformer_name(std::string_view name);
[[nodiscard]] std::string_view to_string(Transformer t);
[[nodiscard]] std::string_view to_string(ListModifier m);

// Whether `op` (e.g. "startswith", "in", "=") is a known comparison operator.
[[nodiscard]] bool is_operator(std::string_view op);
// Operators that take a parenthesised list on the right.
[[nodiscard]] bool is_list_operator(std::string_view op);

// Whether the text parses as a single field expression (tolower(proc.name), proc.aname[2]).
[[nodiscard]] bool parse_field_expr(std::string_view text, FieldExpr& out);
// Whether the text looks like a field name (a.b, a.b[x]).
[[nodiscard]] bool looks_like_field(std::string_view text);

// Visits every node (pre-order).
template <class F>
void visit(const Node& n, F&& f) {
  f(n);
  for (const auto& c : n.children) visit(*c, f);
}
template <class F>
void visit_mut(Node& n, F&& f) {
  f(n);
  for (auto& c : n.children) visit_mut(*c, f);
}

}  // namespace bulwark::runtime::engine
