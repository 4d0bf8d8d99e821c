// A compiled condition: the AST with fields bound, values pre-parsed (numbers,
// lower-cased strings, sets, regexes), ready to evaluate against an event.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "runtime/engine/condition.hpp"
#include "runtime/engine/fields.hpp"

namespace bulwark::runtime::engine {

class Filter {
 public:
  // Compiles an expanded AST (no macro nodes left). On failure returns null and sets `error`.
  static std::unique_ptr<Filter> compile(const Node& root, std::string& error);
  ~Filter();
  Filter(const Filter&) = delete;
  Filter& operator=(const Filter&) = delete;

  [[nodiscard]] bool evaluate(EvalContext& ctx) const;

  struct Impl;

 private:
  Filter();
  std::unique_ptr<Impl> impl_;
};

}  // namespace bulwark::runtime::engine
