// Helpers shared by the comparators: digit-string comparison and the generic comparator list.
#include <string>

#include "util/strings.hpp"
#include "vuln/version/schemes.hpp"

namespace bulwark::vuln::version::detail {

int compare_digits(std::string_view a, std::string_view b) noexcept {
  while (!a.empty() && a.front() == '0') a.remove_prefix(1);
  while (!b.empty() && b.front() == '0') b.remove_prefix(1);
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  return sign(a.compare(b));
}

bool all_digits(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (char c : s)
    if (!is_digit(c)) return false;
  return true;
}

std::string increment_digits(std::string_view digits) {
  while (digits.size() > 1 && digits.front() == '0') digits.remove_prefix(1);
  std::string out(digits);
  if (out.empty()) out = "0";
  std::size_t i = out.size();
  while (i > 0) {
    --i;
    if (out[i] != '9') {
      ++out[i];
      return out;
    }
    out[i] = '0';
  }
  out.insert(out.begin(), '1');
  return out;
}

bool op_holds(Op op, int cmp) noexcept {
  switch (op) {
    case Op::lt: return cmp < 0;
    case Op::le: return cmp <= 0;
    case Op::eq: return cmp == 0;
    case Op::ne: return cmp != 0;
    case Op::ge: return cmp >= 0;
    case Op::gt: return cmp > 0;
  }
  return false;
}

namespace {

// Reads one operator at the front of `s` (dpkg's "<<" and ">>" included; dpkg's obsolete "<"
// and ">" mean "<=" and ">=" only in control files, so here they keep their usual meaning).
Op take_op(std::string_view& s) {
  struct Spelling {
    std::string_view text;
    Op op;
  };
  static constexpr Spelling spellings[] = {
      {"<<", Op::lt}, {">>", Op::gt}, {"<=", Op::le}, {">=", Op::ge}, {"==", Op::eq},
      {"!=", Op::ne}, {"<", Op::lt},  {">", Op::gt},  {"=", Op::eq},
  };
  for (const auto& sp : spellings) {
    if (s.starts_with(sp.text)) {
      s.remove_prefix(sp.text.size());
      return sp.op;
    }
  }
  return Op::eq;
}

}  // namespace

Result<bool> satisfies_comparator_list(std::string_view version, std::string_view range, CompareFn cmp) {
  bool any_alternative = false;
  std::string_view rest = range;
  while (true) {
    auto bar = rest.find("||");
    std::string_view alternative = rest.substr(0, bar);
    bool all = true;
    bool any_term = false;
    for (std::string_view term : util::split(alternative, ',')) {
      term = util::trim(term);
      if (term.empty()) continue;
      Op op = take_op(term);
      term = util::trim(term);
      if (term.empty()) return fail(ErrorCode::parse, "comparator without a version", std::string(range));
      auto c = cmp(version, term);
      if (!c) return std::unexpected(c.error());
      any_term = true;
      if (!op_holds(op, *c)) all = false;
    }
    if (!any_term) return fail(ErrorCode::parse, "empty range", std::string(range));
    if (all) any_alternative = true;
    if (bar == std::string_view::npos) break;
    rest.remove_prefix(bar + 2);
  }
  return any_alternative;
}

}  // namespace bulwark::vuln::version::detail
