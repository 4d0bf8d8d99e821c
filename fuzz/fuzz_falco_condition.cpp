// Falco condition expressions: the lexer and parser (and/or/not, comparisons, list
// operators, parentheses, transformers, field arguments, quoted strings). A parsed
// condition printed back must parse again.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "common.hpp"
#include "runtime/engine/condition.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bulwark::runtime::engine;
  auto text = bulwark::fuzz::as_text(data, size);
  auto parsed = parse_condition(text);
  if (parsed.root) {
    auto printed = to_string(*parsed.root);
    auto again = parse_condition(printed);
    if (!again.root) {
      std::fprintf(stderr, "printed condition does not parse: %s\n", printed.c_str());
      std::abort();
    }
    (void)parsed.root->clone();
  }
  FieldExpr field;
  (void)parse_field_expr(text, field);
  (void)looks_like_field(text);
  (void)quote_if_needed(text);
  return 0;
}
