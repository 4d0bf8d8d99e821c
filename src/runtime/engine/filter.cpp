#include "runtime/engine/filter.hpp"

#include <fnmatch.h>
#include <re2/re2.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <unordered_set>

namespace bulwark::runtime::engine {

bool ipnet_contains(std::string_view cidr, std::string_view ip);

namespace {

enum class Op {
  eq,
  ne,
  lt,
  le,
  gt,
  ge,
  contains,
  icontains,
  bcontains,
  startswith,
  bstartswith,
  endswith,
  glob,
  iglob,
  pmatch,
  in,
  intersects,
  regex,
  exists
};

std::optional<Op> op_from(std::string_view s) {
  static constexpr std::pair<std::string_view, Op> ops[] = {
      {"=", Op::eq},
      {"!=", Op::ne},
      {"<", Op::lt},
      {"<=", Op::le},
      {">", Op::gt},
      {">=", Op::ge},
      {"contains", Op::contains},
      {"icontains", Op::icontains},
      {"bcontains", Op::bcontains},
      {"startswith", Op::startswith},
      {"bstartswith", Op::bstartswith},
      {"endswith", Op::endswith},
      {"glob", Op::glob},
      {"iglob", Op::iglob},
      {"pmatch", Op::pmatch},
      {"in", Op::in},
      {"intersects", Op::intersects},
      {"regex", Op::regex},
      {"exists", Op::exists},
  };
  for (auto [n, o] : ops)
    if (n == s) return o;
  return std::nullopt;
}

struct StrHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

bool parse_i64(std::string_view s, std::int64_t& out) {
  if (s.empty()) return false;
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    s.remove_prefix(2);
    base = 16;
  }
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out, base);
  return ec == std::errc() && p == s.data() + s.size();
}

std::string lower(std::string_view s) {
  std::string o(s);
  for (auto& c : o) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return o;
}

bool icontains(std::string_view hay, std::string_view needle_lower) {
  if (needle_lower.empty()) return true;
  if (hay.size() < needle_lower.size()) return false;
  for (std::size_t i = 0; i + needle_lower.size() <= hay.size(); ++i) {
    std::size_t j = 0;
    while (j < needle_lower.size() &&
           std::tolower(static_cast<unsigned char>(hay[i + j])) == static_cast<unsigned char>(needle_lower[j]))
      ++j;
    if (j == needle_lower.size()) return true;
  }
  return false;
}

bool hex_decode(std::string_view hex, std::string& out) {
  if (hex.size() % 2) return false;
  out.clear();
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    unsigned v = 0;
    auto [p, ec] = std::from_chars(hex.data() + i, hex.data() + i + 2, v, 16);
    if (ec != std::errc() || p != hex.data() + i + 2) return false;
    out.push_back(static_cast<char>(v));
  }
  return true;
}

// Path-prefix match: `path` equals `prefix` or lies below it; `prefix` may hold glob wildcards.
bool pmatch_one(std::string_view path, std::string_view prefix) {
  while (prefix.size() > 1 && prefix.back() == '/') prefix.remove_suffix(1);
  if (prefix.find_first_of("*?[") != std::string_view::npos) {
    // Compare the same number of components.
    std::size_t comps = static_cast<std::size_t>(std::count(prefix.begin(), prefix.end(), '/'));
    std::size_t seen = 0, cut = path.size();
    for (std::size_t i = 0; i < path.size(); ++i) {
      if (path[i] == '/' && ++seen > comps) {
        cut = i;
        break;
      }
    }
    std::string head(path.substr(0, cut)), pat(prefix);
    return fnmatch(pat.c_str(), head.c_str(), FNM_PATHNAME) == 0;
  }
  if (prefix == "/") return path.starts_with('/');
  if (!path.starts_with(prefix)) return false;
  return path.size() == prefix.size() || path[prefix.size()] == '/';
}

}  // namespace

struct ENode {
  NodeKind kind = NodeKind::compare;
  std::vector<std::unique_ptr<ENode>> kids;
  BoundField lhs;
  Op op = Op::eq;
  ListModifier mod = ListModifier::none;
  FieldType type = FieldType::string;
  std::vector<std::string> vals;  // rhs values (lower-cased for icontains/iglob, decoded for b*)
  std::vector<std::int64_t> nums;
  std::unordered_set<std::string, StrHash, std::equal_to<>> set;
  std::vector<std::unique_ptr<RE2>> res;
  std::optional<BoundField> rhs_field;
  bool list_field = false;  // a real list (fd.types): `in` means subset
  mutable FieldValues lv, rv;

  bool match_one(std::string_view v, std::int64_t n, bool numeric, std::size_t i) const {
    if (type == FieldType::number && numeric) {
      std::int64_t r = nums[i];
      switch (op) {
        case Op::eq:
        case Op::in:
        case Op::intersects: return n == r;
        case Op::ne: return n != r;
        case Op::lt: return n < r;
        case Op::le: return n <= r;
        case Op::gt: return n > r;
        case Op::ge: return n >= r;
        default: break;
      }
    }
    const std::string& r = vals[i];
    switch (op) {
      case Op::eq:
      case Op::in:
      case Op::intersects:
        if (type == FieldType::ipnet || ((type == FieldType::ipaddr) && r.find('/') != std::string::npos))
          return ipnet_contains(r, v);
        return v == r;
      case Op::ne: return v != r;
      case Op::lt: return v < r;
      case Op::le: return v <= r;
      case Op::gt: return v > r;
      case Op::ge: return v >= r;
      case Op::contains:
      case Op::bcontains: return v.find(r) != std::string_view::npos;
      case Op::icontains: return icontains(v, r);
      case Op::startswith:
      case Op::bstartswith: return v.starts_with(r);
      case Op::endswith: return v.ends_with(r);
      case Op::glob:
      case Op::iglob: {
        std::string s(v);
        return fnmatch(r.c_str(), s.c_str(), op == Op::iglob ? FNM_CASEFOLD : 0) == 0;
      }
      case Op::pmatch: return pmatch_one(v, r);
      case Op::regex: return RE2::FullMatch(re2::StringPiece(v.data(), v.size()), *res[i]);
      case Op::exists: return true;
    }
    return false;
  }

  // One lhs value against the rhs (one value, or a list with modifiers/in).
  bool match_value(std::string_view v, std::int64_t n, bool numeric) const {
    std::size_t count = type == FieldType::number && numeric ? nums.size() : vals.size();
    if ((op == Op::in || op == Op::intersects) && !set.empty() && !(type == FieldType::number && numeric) &&
        type != FieldType::ipnet) {
      if (set.find(v) != set.end()) return true;
      if (type != FieldType::ipaddr) return false;
    }
    if (mod == ListModifier::allof) {
      for (std::size_t i = 0; i < count; ++i)
        if (!match_one(v, n, numeric, i)) return false;
      return count > 0;
    }
    for (std::size_t i = 0; i < count; ++i)
      if (match_one(v, n, numeric, i)) return true;
    return false;
  }

  bool eval(EvalContext& ctx) const {
    switch (kind) {
      case NodeKind::and_:
        for (const auto& k : kids)
          if (!k->eval(ctx)) return false;
        return true;
      case NodeKind::or_:
        for (const auto& k : kids)
          if (k->eval(ctx)) return true;
        return false;
      case NodeKind::not_: return !kids[0]->eval(ctx);
      case NodeKind::macro: return false;
      case NodeKind::compare: break;
    }
    if (!extract(lhs, ctx, lv)) return false;
    if (op == Op::exists) return true;
    if (rhs_field) {
      if (!extract(*rhs_field, ctx, rv) || rv.count == 0) return false;
      for (std::size_t i = 0; i < lv.count; ++i) {
        std::string_view a = lv.at(i), b = rv.at(0);
        bool m = false;
        switch (op) {
          case Op::eq: m = (lv.numeric && rv.numeric) ? lv.num == rv.num : a == b; break;
          case Op::ne: m = (lv.numeric && rv.numeric) ? lv.num != rv.num : a != b; break;
          case Op::lt: m = lv.numeric && rv.numeric ? lv.num < rv.num : a < b; break;
          case Op::le: m = lv.numeric && rv.numeric ? lv.num <= rv.num : a <= b; break;
          case Op::gt: m = lv.numeric && rv.numeric ? lv.num > rv.num : a > b; break;
          case Op::ge: m = lv.numeric && rv.numeric ? lv.num >= rv.num : a >= b; break;
          case Op::contains: m = a.find(b) != std::string_view::npos; break;
          case Op::icontains: m = icontains(a, lower(b)); break;
          case Op::startswith: m = a.starts_with(b); break;
          case Op::endswith: m = a.ends_with(b); break;
          default: m = a == b; break;
        }
        if (m) return true;
      }
      return false;
    }
    if (lv.count == 0) return false;
    if (op == Op::ne) {
      // Multi-valued fields: != holds when no value equals.
      if (type == FieldType::ipnet) {
        for (std::size_t i = 0; i < lv.count; ++i)
          if (ipnet_contains(vals[0], lv.at(i))) return false;
        return true;
      }
      for (std::size_t i = 0; i < lv.count; ++i) {
        bool numeric = lv.numeric && i == 0;
        if (type == FieldType::number && numeric ? lv.num == nums[0] : lv.at(i) == vals[0]) return false;
      }
      return true;
    }
    // A list field (fd.types) is `in` a set when all its values are; ancestor fields (proc.aname) match on any.
    if (op == Op::in && lv.count > 1 && list_field) {
      for (std::size_t i = 0; i < lv.count; ++i)
        if (!match_value(lv.at(i), 0, false)) return false;
      return true;
    }
    for (std::size_t i = 0; i < lv.count; ++i) {
      bool numeric = lv.numeric && i == 0;
      std::int64_t n = lv.num;
      if (!numeric && type == FieldType::number) {
        numeric = parse_i64(lv.at(i), n);
      }
      if (match_value(lv.at(i), n, numeric)) return true;
    }
    return false;
  }
};

struct Filter::Impl {
  std::unique_ptr<ENode> root;
};

namespace {

std::unique_ptr<ENode> build(const Node& n, std::string& error) {
  auto e = std::make_unique<ENode>();
  e->kind = n.kind;
  if (n.kind == NodeKind::macro) {
    error = "Undefined macro '" + n.macro + "' used in filter.";
    return nullptr;
  }
  if (n.kind != NodeKind::compare) {
    for (const auto& c : n.children) {
      auto k = build(*c, error);
      if (!k) return nullptr;
      e->kids.push_back(std::move(k));
    }
    return e;
  }
  if (!bind_field(n.lhs, e->lhs, error)) return nullptr;
  auto op = op_from(n.op);
  if (!op) {
    error = "'" + n.op + "' is not a supported comparison operator";
    return nullptr;
  }
  e->op = *op;
  e->mod = n.modifier;
  e->type = e->lhs.result_type();
  e->list_field = e->lhs.def->name == "fd.types" && e->lhs.index < 0;
  if (e->op == Op::exists) return e;
  if (n.rhs_kind == Node::Rhs::field) {
    BoundField rf;
    if (!bind_field(n.rhs_field, rf, error)) return nullptr;
    e->rhs_field = std::move(rf);
    return e;
  }
  std::vector<std::string> raw = n.rhs_kind == Node::Rhs::list ? n.list : std::vector<std::string>{n.value};
  const bool numeric_ops = e->op == Op::lt || e->op == Op::le || e->op == Op::gt || e->op == Op::ge;
  if (numeric_ops && e->type != FieldType::number && e->type != FieldType::string) {
    error = "operator '" + n.op + "' is not supported on field " + e->lhs.text;
    return nullptr;
  }
  for (auto& v : raw) {
    if (e->type == FieldType::number) {
      std::int64_t x = 0;
      if (!parse_i64(v, x)) {
        if (e->op == Op::eq || e->op == Op::ne || e->op == Op::in || e->op == Op::intersects || numeric_ops) {
          error = "could not parse '" + v + "' as a number for field " + e->lhs.text;
          return nullptr;
        }
      }
      e->nums.push_back(x);
    }
    if (e->op == Op::icontains || e->op == Op::iglob) v = lower(v);
    if (e->op == Op::bcontains || e->op == Op::bstartswith) {
      std::string bytes;
      if (!hex_decode(v, bytes)) {
        error = "'" + v + "' is not a hex byte string (" + n.op + ")";
        return nullptr;
      }
      v = bytes;
    }
    if (e->op == Op::regex) {
      RE2::Options opts;
      opts.set_log_errors(false);
      opts.set_max_mem(8 << 20);
      auto re = std::make_unique<RE2>(v, opts);
      if (!re->ok()) {
        error = "invalid regular expression '" + v + "': " + re->error();
        return nullptr;
      }
      e->res.push_back(std::move(re));
    }
    e->vals.push_back(v);
  }
  if ((e->op == Op::in || e->op == Op::intersects) && e->vals.size() > 6) {
    for (const auto& v : e->vals) e->set.insert(v);
  }
  return e;
}

}  // namespace

Filter::Filter() : impl_(std::make_unique<Impl>()) {}
Filter::~Filter() = default;

std::unique_ptr<Filter> Filter::compile(const Node& root, std::string& error) {
  auto e = build(root, error);
  if (!e) return nullptr;
  std::unique_ptr<Filter> f(new Filter());
  f->impl_->root = std::move(e);
  return f;
}

bool Filter::evaluate(EvalContext& ctx) const {
  return impl_->root->eval(ctx);
}

}  // namespace bulwark::runtime::engine
