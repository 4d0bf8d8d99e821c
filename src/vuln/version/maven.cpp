// Maven's ComparableVersion as maven-artifact 3.8.7 (Debian 12's Maven, with the MNG-7644 fix)
// orders versions: the version is cut at '.', '-' and letter/digit transitions into numbers,
// qualifiers and nested lists ('-', every transition and a qualifier after '.' open a sub-list);
// well-known qualifiers order alpha < beta < milestone < rc < snapshot < "" (= ga, final,
// release) < sp < anything else (lexically); trailing "null" items (0, "", empty lists) are
// dropped. Newer Maven (4: "combination" items, MNG-7714) and older Maven (3.6: no MNG-7644)
// differ on a few inputs; see the vector test for the rows where they disagree.
// Versions longer than 256 characters are refused, as Maven does, which also bounds the nesting.
#include <string>
#include <vector>

#include "util/strings.hpp"
#include "vuln/version/schemes.hpp"

namespace bulwark::vuln::version::detail {
namespace {

constexpr std::size_t kMaxLength = 256;

enum class Kind { number, string, list };

struct Item {
  Kind kind = Kind::number;
  std::string text;  // number: digits without leading zeros; string: the qualifier
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
  if (s == "ga" || s == "final" || s == "release") s.clear();
  if (s == "cr") s = "rc";
  return s;
}

// Known qualifiers by rank, then anything else after them, lexically.
std::string comparable_qualifier(const std::string& q) {
  static const char* known[] = {"alpha", "beta", "milestone", "rc", "snapshot", "", "sp"};
  for (int i = 0; i < 7; ++i)
    if (q == known[i]) return std::to_string(i);
  return "7-" + q;
}

std::string strip_zeros(std::string_view d) {
  while (!d.empty() && d.front() == '0') d.remove_prefix(1);
  return d.empty() ? std::string("0") : std::string(d);
}

bool is_null(const Tree& t, const Item& it) {
  switch (it.kind) {
    case Kind::number: return it.text == "0";
    case Kind::string: return it.text.empty();
    case Kind::list: return t.lists[it.list].empty();
  }
  return false;
}

// Drops trailing "null" items (0, "", empty lists), stopping at the first other non-list item.
void normalize(Tree& t, std::size_t index) {
  auto& l = t.lists[index];
  for (std::size_t k = l.size(); k-- > 0;) {
    if (is_null(t, l[k])) {
      l.erase(l.begin() + static_cast<std::ptrdiff_t>(k));
    } else if (l[k].kind != Kind::list) {
      break;
    }
  }
}

// Java's toLowerCase(Locale.ENGLISH) and Character.isDigit for what versions carry: ASCII, the
// Latin-1, Greek and Cyrillic capitals, and the decimal digits of other scripts (mapped to their
// ASCII value, as Java's number parsing reads them). Characters outside the Basic Multilingual
// Plane are surrogate pairs in Java, never digits, and stay as they are.
struct Lowered {
  std::string text;
  std::vector<bool> digit;
};

Lowered lower(std::string_view raw) {
  Lowered out;
  for (std::size_t i = 0; i < raw.size();) {
    unsigned char c = static_cast<unsigned char>(raw[i]);
    if (c < 0x80) {
      char l = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : static_cast<char>(c);
      out.text += l;
      out.digit.push_back(is_digit(l));
      ++i;
      continue;
    }
    std::size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    if (i + len > raw.size()) len = raw.size() - i;
    unsigned cp = 0;
    if (len == 2) cp = ((c & 0x1Fu) << 6) | (static_cast<unsigned char>(raw[i + 1]) & 0x3Fu);
    if (len == 3)
      cp = ((c & 0x0Fu) << 12) | ((static_cast<unsigned char>(raw[i + 1]) & 0x3Fu) << 6) |
           (static_cast<unsigned char>(raw[i + 2]) & 0x3Fu);
    // Character.isDigit: decimal digits of other scripts are digits with their value ("\u0668" is 8).
    int digit_value = -1;
    for (unsigned zero :
         {0x0660u, 0x06F0u, 0x07C0u, 0x0966u, 0x09E6u, 0x0A66u, 0x0AE6u, 0x0B66u, 0x0BE6u, 0x0C66u, 0x0CE6u,
          0x0D66u, 0x0DE6u, 0x0E50u, 0x0ED0u, 0x0F20u, 0x1040u, 0x1090u, 0x17E0u, 0x1810u, 0xFF10u})
      if (cp >= zero && cp <= zero + 9) digit_value = static_cast<int>(cp - zero);
    if (digit_value >= 0) {
      out.text += static_cast<char>('0' + digit_value);
      out.digit.push_back(true);
      i += len;
      continue;
    }
    unsigned lc = cp;
    if ((cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) || (cp >= 0x391 && cp <= 0x3AB && cp != 0x3A2) ||
        (cp >= 0x410 && cp <= 0x42F))
      lc = cp + 0x20;
    else if (cp >= 0x400 && cp <= 0x40F)
      lc = cp + 0x50;
    if (lc != cp && len == 2) {
      out.text += static_cast<char>(0xC0 | (lc >> 6));
      out.text += static_cast<char>(0x80 | (lc & 0x3F));
      out.digit.push_back(false);
      out.digit.push_back(false);
    } else {
      for (std::size_t k = 0; k < len; ++k) {
        out.text += raw[i + k];
        out.digit.push_back(false);
      }
    }
    i += len;
  }
  return out;
}

Tree parse(std::string_view raw) {
  Lowered low = lower(raw);
  const std::string& v = low.text;
  Tree t;
  t.lists.emplace_back();
  std::size_t list = 0;
  std::vector<std::size_t> stack{0};
  auto open_list = [&]() {
    t.lists.emplace_back();
    std::size_t child = t.lists.size() - 1;
    t.lists[list].push_back(Item{Kind::list, "", child});
    list = child;
    stack.push_back(child);
  };
  auto add = [&](bool digit, std::string_view buf) {
    if (digit) {
      t.lists[list].push_back(Item{Kind::number, strip_zeros(buf), 0});
    } else {
      t.lists[list].push_back(Item{Kind::string, qualifier(std::string(buf), false), 0});
    }
  };
  bool digit = false;
  std::size_t start = 0;
  for (std::size_t i = 0; i < v.size(); ++i) {
    char c = v[i];
    if (c == '.') {
      if (i == start) {
        t.lists[list].push_back(Item{Kind::number, "0", 0});
      } else {
        add(digit, std::string_view(v).substr(start, i - start));
      }
      start = i + 1;
    } else if (c == '-') {
      if (i == start) {
        t.lists[list].push_back(Item{Kind::number, "0", 0});
      } else {
        add(digit, std::string_view(v).substr(start, i - start));
      }
      start = i + 1;
      open_list();
    } else if (low.digit[i]) {
      if (!digit && i > start) {
        // Letters followed by a digit: "rc1" is [rc, [1]]; a lone a/b/m means alpha/beta/milestone.
        // A qualifier after '.' starts its own list, as after '-': 1.0.0.X1 < 1.0.0-X2 (MNG-7644).
        if (!t.lists[list].empty()) open_list();
        t.lists[list].push_back(Item{Kind::string, qualifier(v.substr(start, i - start), true), 0});
        start = i;
        open_list();
      }
      digit = true;
    } else {
      if (digit && i > start) {
        add(true, std::string_view(v).substr(start, i - start));
        start = i;
        open_list();
      }
      digit = false;
    }
  }
  if (v.size() > start) {
    // "1.0.0.X1" < "1.0.0-X2": a trailing ".X" is read as "-X".
    if (!digit && !t.lists[list].empty()) open_list();
    add(digit, std::string_view(v).substr(start));
  }
  while (!stack.empty()) {
    normalize(t, stack.back());
    stack.pop_back();
  }
  return t;
}

int cmp_item(const Tree& ta, const Item* a, const Tree& tb, const Item* b);

int string_cmp(const std::string& a, const std::string* b) {
  std::string ca = comparable_qualifier(a);
  std::string cb = b ? comparable_qualifier(*b) : std::string("5");
  return sign(ca.compare(cb));
}

int cmp_item(const Tree& ta, const Item* a, const Tree& tb, const Item* b) {
  switch (a->kind) {
    case Kind::number:
      if (!b) return a->text == "0" ? 0 : 1;
      if (b->kind == Kind::number) return compare_digits(a->text, b->text);
      return 1;  // 1.1 > 1-sp, 1.1 > 1-1
    case Kind::string:
      if (!b) return string_cmp(a->text, nullptr);
      if (b->kind == Kind::string) return string_cmp(a->text, &b->text);
      return -1;  // 1.any < 1.1, 1.any < 1-1
    case Kind::list: {
      const auto& items = ta.lists[a->list];
      if (!b) {
        for (const auto& it : items)
          if (int r = cmp_item(ta, &it, tb, nullptr); r != 0) return r;
        return 0;
      }
      if (b->kind == Kind::number) return -1;
      if (b->kind == Kind::string) return 1;
      const auto& other = tb.lists[b->list];
      std::size_t n = std::max(items.size(), other.size());
      for (std::size_t i = 0; i < n; ++i) {
        const Item* l = i < items.size() ? &items[i] : nullptr;
        const Item* r = i < other.size() ? &other[i] : nullptr;
        int res = l == nullptr ? (r == nullptr ? 0 : -cmp_item(tb, r, ta, nullptr)) : cmp_item(ta, l, tb, r);
        if (res != 0) return res;
      }
      return 0;
    }
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
  Item ra{Kind::list, "", 0};
  Item rb{Kind::list, "", 0};
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
