// Maven's ComparableVersion (maven-artifact), the order OSV and GHSA use for Maven: the version
// is cut at '.', '-' and letter/digit transitions into numbers, qualifiers and nested lists ('-'
// opens a sub-list); well-known qualifiers order alpha < beta < milestone < rc < snapshot <
// "" (= ga, final, release) < sp < anything else (lexically); trailing "null" items are dropped.
// Versions longer than 256 characters are refused, as Maven does, which also bounds the nesting.
#include <string>
#include <vector>

#include "util/strings.hpp"
#include "vuln/version/schemes.hpp"

namespace bulwark::vuln::version::detail {
namespace {

constexpr std::size_t kMaxLength = 256;

enum class Kind { number, string, list, combination };

struct Item {
  Kind kind = Kind::number;
  std::string text;    // number: digits without leading zeros; string: the qualifier
  std::string digits;  // combination: the number after the qualifier
  std::size_t list = 0;
};

struct Tree {
  std::vector<std::vector<Item>> lists;  // lists[0] is the root
};

std::string qualifier(std::string s, bool followed_by_digit) {
  if (followed_by_digit && s.size() == 1) {
    if (s == "a") s = "alpha";
    if (s == "b") s = "beta";
    if (s == "m") s = "milestone";
  }
  if (s == "cr") s = "rc";
  return s;
}

std::string comparable_qualifier(const std::string& q) {
  if (q == "ga" || q == "final" || q == "release") return "5";
  static const char* known[] = {"alpha", "beta", "milestone", "rc", "snapshot", "", "sp"};
  for (int i = 0; i < 7; ++i)
    if (q == known[i]) return std::to_string(i);
  return "7-" + q;
}

std::string strip_zeros(std::string_view d) {
  while (!d.empty() && d.front() == '0') d.remove_prefix(1);
  return d.empty() ? std::string("0") : std::string(d);
}

Item parse_item(bool combination, bool digit, std::string_view buf) {
  Item it;
  if (combination) {
    std::string s;
    for (char c : buf)
      if (c != '-') s += c;
    std::size_t index = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (is_digit(s[i])) {
        index = i;
        break;
      }
    }
    it.kind = Kind::combination;
    it.text = qualifier(s.substr(0, index), true);
    it.digits = strip_zeros(s.substr(index));
    return it;
  }
  if (digit) {
    it.kind = Kind::number;
    it.text = strip_zeros(buf);
    return it;
  }
  it.kind = Kind::string;
  it.text = qualifier(std::string(buf), false);
  return it;
}

bool is_null(const Tree& t, const Item& it) {
  switch (it.kind) {
    case Kind::number: return it.text == "0";
    case Kind::string: return it.text.empty();
    case Kind::list: return t.lists[it.list].empty();
    case Kind::combination: return false;
  }
  return false;
}

void normalize(Tree& t, std::size_t index) {
  auto& l = t.lists[index];
  for (std::size_t k = l.size(); k-- > 0;) {
    if (!is_null(t, l[k])) continue;
    if (k + 1 == l.size() || l[k + 1].kind == Kind::string) {
      l.erase(l.begin() + static_cast<std::ptrdiff_t>(k));
    } else if (l[k + 1].kind == Kind::list && !t.lists[l[k + 1].list].empty()) {
      Kind first = t.lists[l[k + 1].list].front().kind;
      if (first == Kind::combination || first == Kind::string) l.erase(l.begin() + static_cast<std::ptrdiff_t>(k));
    }
  }
  if (l.size() == 1 && l[0].kind == Kind::list) {
    std::vector<Item> inner = t.lists[l[0].list];
    t.lists[index] = std::move(inner);
  }
}

bool ascii_digit(unsigned char c) {
  return c >= '0' && c <= '9';
}

Tree parse(std::string_view raw) {
  std::string v;
  v.reserve(raw.size());
  for (char c : raw) v += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  Tree t;
  t.lists.emplace_back();
  std::size_t list = 0;
  std::vector<std::size_t> stack{0};
  auto open_list = [&]() {
    t.lists.emplace_back();
    std::size_t child = t.lists.size() - 1;
    Item it;
    it.kind = Kind::list;
    it.list = child;
    t.lists[list].push_back(it);
    list = child;
    stack.push_back(child);
  };
  bool digit = false;
  bool combination = false;
  std::size_t start = 0;
  for (std::size_t i = 0; i < v.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(v[i]);
    if (c == '.') {
      if (i == start) {
        t.lists[list].push_back(Item{Kind::number, "0", "", 0});
      } else {
        t.lists[list].push_back(parse_item(combination, digit, std::string_view(v).substr(start, i - start)));
      }
      combination = false;
      start = i + 1;
    } else if (c == '-') {
      if (i == start) {
        t.lists[list].push_back(Item{Kind::number, "0", "", 0});
      } else {
        // "X-1" reads as "X1".
        if (!digit && i + 1 < v.size() && ascii_digit(static_cast<unsigned char>(v[i + 1]))) {
          combination = true;
          continue;
        }
        t.lists[list].push_back(parse_item(combination, digit, std::string_view(v).substr(start, i - start)));
      }
      start = i + 1;
      if (!t.lists[list].empty()) open_list();
      combination = false;
    } else if (ascii_digit(c)) {
      if (!digit && i > start) {
        combination = true;
        if (!t.lists[list].empty()) open_list();
      }
      digit = true;
    } else {
      if (digit && i > start) {
        t.lists[list].push_back(parse_item(combination, true, std::string_view(v).substr(start, i - start)));
        start = i;
        open_list();
        combination = false;
      }
      digit = false;
    }
  }
  if (v.size() > start) {
    // "1.0.0.X1" < "1.0.0-X2": a trailing ".X" is read as "-X".
    if (!digit && !t.lists[list].empty()) open_list();
    t.lists[list].push_back(parse_item(combination, digit, std::string_view(v).substr(start)));
  }
  while (!stack.empty()) {
    normalize(t, stack.back());
    stack.pop_back();
  }
  return t;
}

struct Cmp {
  const Tree& ta;
  const Tree& tb;
};

int cmp_item(const Tree& ta, const Item* a, const Tree& tb, const Item* b);

int number_vs_null(const std::string& digits) {
  return digits == "0" ? 0 : 1;
}

int string_cmp(const std::string& a, const std::string* b) {
  std::string ca = comparable_qualifier(a);
  std::string cb = b ? comparable_qualifier(*b) : std::string("5");
  return sign(ca.compare(cb));
}

int list_vs(const Tree& ta, std::size_t la, const Tree& tb, const Item* b) {
  const auto& items = ta.lists[la];
  if (!b) {
    for (const auto& it : items)
      if (int r = cmp_item(ta, &it, tb, nullptr); r != 0) return r;
    return 0;
  }
  switch (b->kind) {
    case Kind::number: return -1;
    case Kind::string:
    case Kind::combination: {
      int r = items.empty() ? -cmp_item(tb, b, ta, nullptr) : cmp_item(ta, &items[0], tb, b);
      for (std::size_t i = 1; r == 0 && i < items.size(); ++i) r = cmp_item(ta, &items[i], tb, nullptr);
      return r;
    }
    case Kind::list: {
      const auto& other = tb.lists[b->list];
      std::size_t n = std::max(items.size(), other.size());
      for (std::size_t i = 0; i < n; ++i) {
        const Item* l = i < items.size() ? &items[i] : nullptr;
        const Item* r = i < other.size() ? &other[i] : nullptr;
        int res = l == nullptr ? (r == nullptr ? 0 : -cmp_item(tb, r, ta, l)) : cmp_item(ta, l, tb, r);
        if (res != 0) return res;
      }
      return 0;
    }
  }
  return 0;
}

int cmp_item(const Tree& ta, const Item* a, const Tree& tb, const Item* b) {
  switch (a->kind) {
    case Kind::number:
      if (!b) return number_vs_null(a->text);
      if (b->kind == Kind::number) return compare_digits(a->text, b->text);
      return 1;
    case Kind::string:
      if (!b) return string_cmp(a->text, nullptr);
      switch (b->kind) {
        case Kind::number: return -1;
        case Kind::string: return string_cmp(a->text, &b->text);
        case Kind::combination: {
          int r = string_cmp(a->text, &b->text);
          if (r == 0) return string_cmp(a->text, nullptr) == 0 ? -number_vs_null(b->digits) : -1;
          return r;
        }
        case Kind::list: return -list_vs(tb, b->list, ta, a);
      }
      return 0;
    case Kind::combination:
      if (!b) {
        int r = string_cmp(a->text, nullptr);
        return r == 0 ? number_vs_null(a->digits) : r;
      }
      switch (b->kind) {
        case Kind::number: return -1;
        case Kind::string: {
          int r = string_cmp(a->text, &b->text);
          if (r == 0) return string_cmp(a->text, nullptr) == 0 ? number_vs_null(a->digits) : 1;
          return r;
        }
        case Kind::list: return -list_vs(tb, b->list, ta, a);
        case Kind::combination: {
          int r = string_cmp(a->text, &b->text);
          return r == 0 ? compare_digits(a->digits, b->digits) : r;
        }
      }
      return 0;
    case Kind::list: return list_vs(ta, a->list, tb, b);
  }
  return 0;
}

// Counts characters as Java does (UTF-16 code units) for the length limit.
std::size_t java_length(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) == 0x80) continue;
    n += (c >= 0xF0) ? 2 : 1;
  }
  return n;
}

}  // namespace

Result<int> maven_compare(std::string_view a, std::string_view b) {
  if (java_length(a) > kMaxLength) return fail(ErrorCode::limit, "Maven version longer than 256 characters");
  if (java_length(b) > kMaxLength) return fail(ErrorCode::limit, "Maven version longer than 256 characters");
  Tree ta = parse(a);
  Tree tb = parse(b);
  Item ra{Kind::list, "", "", 0};
  Item rb{Kind::list, "", "", 0};
  return cmp_item(ta, &ra, tb, &rb);
}

// Maven version ranges: "[1.0,2.0)", "(,1.5]", "[1.2]", several joined by ','; a bare version
// is a "soft" requirement that Maven treats as ">= version" when resolving.
Result<bool> maven_satisfies(std::string_view version, std::string_view range) {
  std::string_view s = util::trim(range);
  if (s.empty()) return fail(ErrorCode::parse, "empty Maven range");
  if (s[0] != '[' && s[0] != '(') {
    auto c = maven_compare(version, s);
    if (!c) return std::unexpected(c.error());
    return *c >= 0;
  }
  while (!s.empty()) {
    if (s[0] != '[' && s[0] != '(') return fail(ErrorCode::parse, "malformed Maven range", std::string(range));
    std::size_t close = s.find_first_of("])");
    if (close == std::string_view::npos) return fail(ErrorCode::parse, "unclosed Maven range", std::string(range));
    bool lower_inclusive = s[0] == '[';
    bool upper_inclusive = s[close] == ']';
    std::string_view body = s.substr(1, close - 1);
    std::size_t comma = body.find(',');
    bool hit = true;
    if (comma == std::string_view::npos) {
      auto c = maven_compare(version, util::trim(body));
      if (!c) return std::unexpected(c.error());
      hit = *c == 0;
    } else {
      std::string_view lo = util::trim(body.substr(0, comma));
      std::string_view hi = util::trim(body.substr(comma + 1));
      if (!lo.empty()) {
        auto c = maven_compare(version, lo);
        if (!c) return std::unexpected(c.error());
        hit = hit && (lower_inclusive ? *c >= 0 : *c > 0);
      }
      if (!hi.empty()) {
        auto c = maven_compare(version, hi);
        if (!c) return std::unexpected(c.error());
        hit = hit && (upper_inclusive ? *c <= 0 : *c < 0);
      }
    }
    if (hit) return true;
    s.remove_prefix(close + 1);
    s = util::trim(s);
    if (!s.empty() && s[0] == ',') s.remove_prefix(1);
    s = util::trim(s);
  }
  return false;
}

}  // namespace bulwark::vuln::version::detail
