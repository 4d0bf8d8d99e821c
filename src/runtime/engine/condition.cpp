#include "runtime/engine/condition.hpp"

#include <array>
#include <cctype>

namespace bulwark::runtime::engine {

namespace {

constexpr std::array<std::string_view, 16> kWordOps = {
    "contains", "icontains", "bcontains",  "startswith", "bstartswith", "endswith", "glob", "iglob",
    "pmatch",   "in",        "intersects", "regex",      "exists",      "",         "",     ""};

bool is_ident_start(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
}
bool is_ident_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
}
bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
bool is_bare_char(char c) {
  return !is_space(c) && c != '(' && c != ')' && c != '"' && c != '\'' && c != '=' && c != ',';
}

class Parser {
 public:
  explicit Parser(std::string_view text) : s_(text) {}

  ParseResult run() {
    ParseResult r;
    if (s_.size() > kMaxConditionBytes) {
      r.error = {"condition is longer than the limit of 1 MiB", 0};
      return r;
    }
    auto node = parse_or(0);
    if (!node) {
      r.error = err_;
      return r;
    }
    skip_ws();
    if (pos_ < s_.size()) {
      r.error = {"unexpected token after '" + last_ + "', expecting 'or', 'and'", pos_};
      return r;
    }
    r.root = std::move(node);
    return r;
  }

 private:
  std::string_view s_;
  std::size_t pos_ = 0;
  std::string last_;
  ParseError err_;

  std::unique_ptr<Node> error(std::string msg, std::size_t at) {
    if (err_.message.empty()) err_ = {std::move(msg), at};
    return nullptr;
  }

  void skip_ws() {
    while (pos_ < s_.size() && is_space(s_[pos_])) ++pos_;
  }

  // Whether a keyword (and, or, not, an operator word) starts here as a whole word.
  bool at_word(std::string_view w) {
    skip_ws();
    if (s_.substr(pos_, w.size()) != w) return false;
    std::size_t e = pos_ + w.size();
    return e >= s_.size() || !(is_ident_char(s_[e]) || s_[e] == '[');
  }

  std::unique_ptr<Node> parse_or(int depth) {
    if (depth > kMaxConditionDepth) return error("condition nests deeper than 100 levels", pos_);
    auto first = parse_and(depth + 1);
    if (!first) return nullptr;
    if (!at_word("or")) return first;
    auto n = std::make_unique<Node>();
    n->kind = NodeKind::or_;
    n->offset = first->offset;
    n->children.push_back(std::move(first));
    while (at_word("or")) {
      pos_ += 2;
      last_ = "or";
      auto c = parse_and(depth + 1);
      if (!c) return nullptr;
      n->children.push_back(std::move(c));
    }
    return n;
  }

  std::unique_ptr<Node> parse_and(int depth) {
    auto first = parse_not(depth + 1);
    if (!first) return nullptr;
    if (!at_word("and")) return first;
    auto n = std::make_unique<Node>();
    n->kind = NodeKind::and_;
    n->offset = first->offset;
    n->children.push_back(std::move(first));
    while (at_word("and")) {
      pos_ += 3;
      last_ = "and";
      auto c = parse_not(depth + 1);
      if (!c) return nullptr;
      n->children.push_back(std::move(c));
    }
    return n;
  }

  std::unique_ptr<Node> parse_not(int depth) {
    if (depth > kMaxConditionDepth * 3) return error("condition nests deeper than 100 levels", pos_);
    skip_ws();
    std::size_t start = pos_;
    if (at_word("not")) {
      pos_ += 3;
      last_ = "not";
      auto c = parse_not(depth + 1);
      if (!c) return nullptr;
      auto n = std::make_unique<Node>();
      n->kind = NodeKind::not_;
      n->offset = start;
      n->children.push_back(std::move(c));
      return n;
    }
    if (pos_ < s_.size() && s_[pos_] == '(') {
      ++pos_;
      last_ = "(";
      auto inner = parse_or(depth + 1);
      if (!inner) return nullptr;
      skip_ws();
      if (pos_ >= s_.size() || s_[pos_] != ')') {
        return error("unexpected token after '" + last_ + "', expecting ')', 'or', 'and'", pos_);
      }
      ++pos_;
      last_ = ")";
      return inner;
    }
    return parse_term();
  }

  // Reads an identifier with dots and an optional [arg].
  bool read_ident(std::string& name, std::string& arg, bool& has_arg) {
    skip_ws();
    if (pos_ >= s_.size() || !is_ident_start(s_[pos_])) return false;
    std::size_t b = pos_;
    while (pos_ < s_.size() && is_ident_char(s_[pos_])) ++pos_;
    name = std::string(s_.substr(b, pos_ - b));
    has_arg = false;
    if (pos_ < s_.size() && s_[pos_] == '[') {
      auto close = s_.find(']', pos_);
      if (close == std::string_view::npos) return false;
      arg = std::string(s_.substr(pos_ + 1, close - pos_ - 1));
      has_arg = true;
      pos_ = close + 1;
    }
    return true;
  }

  // field or transformer(field...)
  bool read_field(FieldExpr& f, int depth = 0) {
    if (depth > 16) return false;
    std::size_t save = pos_;
    std::string name, arg;
    bool has_arg = false;
    if (!read_ident(name, arg, has_arg)) {
      pos_ = save;
      return false;
    }
    std::size_t after = pos_;
    skip_ws();
    if (!has_arg && is_transformer_name(name) && pos_ < s_.size() && s_[pos_] == '(') {
      ++pos_;
      FieldExpr inner;
      if (!read_field(inner, depth + 1)) {
        pos_ = save;
        return false;
      }
      skip_ws();
      if (pos_ >= s_.size() || s_[pos_] != ')') {
        pos_ = save;
        return false;
      }
      ++pos_;
      f = std::move(inner);
      f.transformers.insert(f.transformers.begin(), transformer_from(name));
      return true;
    }
    pos_ = after;
    f.name = std::move(name);
    f.arg = std::move(arg);
    f.has_arg = has_arg;
    return true;
  }

  static Transformer transformer_from(std::string_view n) {
    if (n == "tolower") return Transformer::tolower;
    if (n == "toupper") return Transformer::toupper;
    if (n == "basename") return Transformer::basename;
    if (n == "len") return Transformer::len;
    return Transformer::b64;
  }

  bool read_op(std::string& op) {
    skip_ws();
    static constexpr std::array<std::string_view, 7> sym = {"==", "!=", "<=", ">=", "=", "<", ">"};
    for (auto o : sym) {
      if (s_.substr(pos_, o.size()) == o) {
        pos_ += o.size();
        op = o == "==" ? "=" : std::string(o);
        return true;
      }
    }
    for (auto o : kWordOps) {
      if (!o.empty() && at_word(o)) {
        pos_ += o.size();
        op = std::string(o);
        return true;
      }
    }
    return false;
  }

  bool read_string(std::string& out, bool& quoted, bool in_list = false) {
    skip_ws();
    if (pos_ >= s_.size()) return false;
    char q = s_[pos_];
    if (q == '"' || q == '\'') {
      ++pos_;
      out.clear();
      while (pos_ < s_.size() && s_[pos_] != q) {
        if (s_[pos_] == '\\' && pos_ + 1 < s_.size()) {
          char n = s_[pos_ + 1];
          if (n == q || n == '\\') {
            out.push_back(n);
            pos_ += 2;
            continue;
          }
        }
        out.push_back(s_[pos_++]);
      }
      if (pos_ >= s_.size()) return false;
      ++pos_;
      quoted = true;
      return true;
    }
    std::size_t b = pos_;
    while (pos_ < s_.size() && is_bare_char(s_[pos_])) ++pos_;
    if (pos_ == b) return false;
    if (in_list) {
      // Inside a list, a bare item runs to the next ',' or ')' and may hold spaces ("test list").
      std::size_t e = pos_;
      while (e < s_.size() && s_[e] != ',' && s_[e] != ')' && s_[e] != '(' && s_[e] != '"' && s_[e] != '\'') ++e;
      std::size_t t = e;
      while (t > pos_ && is_space(s_[t - 1])) --t;
      if (e < s_.size() && (s_[e] == ',' || s_[e] == ')')) pos_ = t;
    }
    out = std::string(s_.substr(b, pos_ - b));
    quoted = false;
    return true;
  }

  std::unique_ptr<Node> parse_term() {
    skip_ws();
    std::size_t start = pos_;
    auto n = std::make_unique<Node>();
    n->offset = start;
    if (pos_ >= s_.size()) return error("unexpected end of condition after '" + last_ + "'", pos_);
    if (!read_field(n->lhs)) {
      std::size_t b = pos_;
      while (pos_ < s_.size() && !is_space(s_[pos_])) ++pos_;
      return error("unexpected token '" + std::string(s_.substr(b, pos_ - b)) + "' after '" + last_ +
                       "', expecting a field, a macro, 'not' or '('",
                   b);
    }
    last_ = to_string(n->lhs);
    std::size_t after_field = pos_;
    std::string op;
    if (!read_op(op)) {
      pos_ = after_field;
      // A bare identifier is a macro reference.
      const auto& f = n->lhs;
      if (f.transformers.empty() && !f.has_arg && f.name.find('.') == std::string::npos) {
        n->kind = NodeKind::macro;
        n->macro = f.name;
        return n;
      }
      skip_ws();
      return error("unexpected token after '" + last_ + "', expecting an operator", pos_);
    }
    n->kind = NodeKind::compare;
    n->op = op;
    last_ = op;
    if (op == "exists") return n;
    // list modifiers
    for (auto [w, m] : {std::pair{std::string_view("oneof"), ListModifier::oneof},
                        std::pair{std::string_view("anyof"), ListModifier::anyof},
                        std::pair{std::string_view("allof"), ListModifier::allof}}) {
      if (at_word(w)) {
        pos_ += w.size();
        n->modifier = m;
        last_ = std::string(w);
      }
    }
    skip_ws();
    bool wants_list = is_list_operator(op) || n->modifier != ListModifier::none;
    if (wants_list) {
      if (pos_ >= s_.size() || s_[pos_] != '(') {
        return error("unexpected token after '" + last_ + "', expecting '('", pos_);
      }
      ++pos_;
      n->rhs_kind = Node::Rhs::list;
      skip_ws();
      if (pos_ < s_.size() && s_[pos_] == ')') {
        ++pos_;
        last_ = ")";
        return n;
      }
      while (true) {
        std::string v;
        bool quoted = false;
        if (!read_string(v, quoted, true))
          return error("unexpected token after '" + last_ + "', expecting a value", pos_);
        n->list.push_back(std::move(v));
        n->list_quoted.push_back(quoted);
        last_ = n->list.back();
        skip_ws();
        if (pos_ < s_.size() && s_[pos_] == ',') {
          ++pos_;
          continue;
        }
        if (pos_ < s_.size() && s_[pos_] == ')') {
          ++pos_;
          last_ = ")";
          break;
        }
        return error("unexpected token after '" + last_ + "', expecting ',' or ')'", pos_);
      }
      return n;
    }
    // val(field) or transformer(field) on the right
    std::size_t save = pos_;
    std::string id, arg;
    bool has_arg = false;
    if (read_ident(id, arg, has_arg) && !has_arg && pos_ < s_.size() && s_[pos_] == '(' &&
        (id == "val" || is_transformer_name(id))) {
      if (id == "val") {
        ++pos_;
        FieldExpr f;
        if (read_field(f)) {
          skip_ws();
          if (pos_ < s_.size() && s_[pos_] == ')') {
            ++pos_;
            n->rhs_kind = Node::Rhs::field;
            n->rhs_field = std::move(f);
            n->rhs_val_wrapper = true;
            last_ = ")";
            return n;
          }
        }
      } else {
        pos_ = save;
        FieldExpr f;
        if (read_field(f)) {
          n->rhs_kind = Node::Rhs::field;
          n->rhs_field = std::move(f);
          last_ = ")";
          return n;
        }
      }
    }
    pos_ = save;
    std::string v;
    bool quoted = false;
    if (!read_string(v, quoted)) return error("unexpected token after '" + last_ + "', expecting a value", pos_);
    n->rhs_kind = Node::Rhs::value;
    n->value = std::move(v);
    n->value_quoted = quoted;
    last_ = n->value;
    return n;
  }
};

}  // namespace

std::unique_ptr<Node> Node::clone() const {
  auto n = std::make_unique<Node>();
  n->kind = kind;
  for (const auto& c : children) n->children.push_back(c->clone());
  n->lhs = lhs;
  n->op = op;
  n->modifier = modifier;
  n->rhs_kind = rhs_kind;
  n->value = value;
  n->value_quoted = value_quoted;
  n->list = list;
  n->list_quoted = list_quoted;
  n->rhs_field = rhs_field;
  n->rhs_val_wrapper = rhs_val_wrapper;
  n->macro = macro;
  n->offset = offset;
  return n;
}

ParseResult parse_condition(std::string_view text) {
  return Parser(text).run();
}

bool is_transformer_name(std::string_view n) {
  return n == "tolower" || n == "toupper" || n == "basename" || n == "len" || n == "b64";
}

std::string_view to_string(Transformer t) {
  switch (t) {
    case Transformer::tolower: return "tolower";
    case Transformer::toupper: return "toupper";
    case Transformer::basename: return "basename";
    case Transformer::len: return "len";
    case Transformer::b64: return "b64";
  }
  return "";
}

std::string_view to_string(ListModifier m) {
  switch (m) {
    case ListModifier::none: return "";
    case ListModifier::oneof: return "oneof";
    case ListModifier::anyof: return "anyof";
    case ListModifier::allof: return "allof";
  }
  return "";
}

bool is_operator(std::string_view op) {
  static constexpr std::array<std::string_view, 7> sym = {"=", "==", "!=", "<", "<=", ">", ">="};
  for (auto o : sym)
    if (o == op) return true;
  for (auto o : kWordOps)
    if (!o.empty() && o == op) return true;
  return false;
}

bool is_list_operator(std::string_view op) {
  return op == "in" || op == "intersects" || op == "pmatch";
}

std::string quote_if_needed(std::string_view v) {
  bool need = v.empty();
  for (char c : v) {
    if (is_space(c) || c == '(' || c == ')' || c == '"' || c == '\'' || c == ',' || c == '=') need = true;
  }
  if (!need) return std::string(v);
  std::string out = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string to_string(const FieldExpr& f) {
  std::string inner = f.name;
  if (f.has_arg) inner += "[" + f.arg + "]";
  for (auto it = f.transformers.rbegin(); it != f.transformers.rend(); ++it) {
    inner = std::string(to_string(*it)) + "(" + inner + ")";
  }
  return inner;
}

std::string to_string(const Node& n) {
  switch (n.kind) {
    case NodeKind::and_:
    case NodeKind::or_: {
      std::string out = "(";
      for (std::size_t i = 0; i < n.children.size(); ++i) {
        if (i) out += n.kind == NodeKind::and_ ? " and " : " or ";
        out += to_string(*n.children[i]);
      }
      return out + ")";
    }
    case NodeKind::not_: return "not " + to_string(*n.children[0]);
    case NodeKind::macro: return n.macro;
    case NodeKind::compare: break;
  }
  std::string out = to_string(n.lhs) + " " + n.op;
  if (n.modifier != ListModifier::none) out += " " + std::string(to_string(n.modifier));
  switch (n.rhs_kind) {
    case Node::Rhs::none: break;
    case Node::Rhs::value: out += " " + quote_if_needed(n.value); break;
    case Node::Rhs::field:
      out += n.rhs_val_wrapper ? " val(" + to_string(n.rhs_field) + ")" : " " + to_string(n.rhs_field);
      break;
    case Node::Rhs::list: {
      out += " (";
      for (std::size_t i = 0; i < n.list.size(); ++i) {
        if (i) out += ", ";
        out += quote_if_needed(n.list[i]);
      }
      out += ")";
      break;
    }
  }
  return out;
}

bool parse_field_expr(std::string_view text, FieldExpr& out) {
  // Reuse the parser: "<text> exists" must parse as one compare node.
  std::string probe = std::string(text) + " exists";
  auto r = parse_condition(probe);
  if (!r.root || r.root->kind != NodeKind::compare || r.root->op != "exists") return false;
  out = r.root->lhs;
  return true;
}

bool looks_like_field(std::string_view text) {
  if (text.empty() || !is_ident_start(text[0])) return false;
  std::size_t i = 0;
  bool dot = false;
  while (i < text.size() && (is_ident_char(text[i]))) {
    if (text[i] == '.') dot = true;
    ++i;
  }
  if (i < text.size() && text[i] == '[') {
    auto close = text.find(']', i);
    if (close == std::string_view::npos) return false;
    i = close + 1;
  }
  return dot && i == text.size();
}

}  // namespace bulwark::runtime::engine
