// Alpine (apk-tools 3) version ordering and validity:
//   digit{.digit}...{letter}{_suffix{number}}...{~hash}{-r#}
// A version is read as a sequence of typed tokens; two versions are compared token by token
// while the token types agree, and malformed versions are compared the same way up to the first
// bad token (apk does that rather than refusing, and advisories rely on it).
#include <string>

#include "util/strings.hpp"
#include "vuln/version/schemes.hpp"

namespace bulwark::vuln::version::detail {
namespace {

// In apk's order: a version that stops at a "later" token kind is the older one.
enum class Tok { initial_digit, digit, letter, suffix, suffix_no, commit_hash, revision_no, end, invalid };

// Pre-release suffixes sort below "no suffix", post-release ones above.
enum class Suffix { invalid, alpha, beta, pre, rc, none, cvs, svn, git, hg, p };

struct Token {
  Tok kind = Tok::initial_digit;
  Suffix suffix = Suffix::none;
  std::string_view value;
};

Suffix suffix_of(std::string_view s) {
  struct Name {
    std::string_view text;
    Suffix suffix;
  };
  static constexpr Name names[] = {{"alpha", Suffix::alpha}, {"beta", Suffix::beta}, {"pre", Suffix::pre},
                                   {"rc", Suffix::rc},       {"cvs", Suffix::cvs},   {"svn", Suffix::svn},
                                   {"git", Suffix::git},     {"hg", Suffix::hg},     {"p", Suffix::p}};
  for (const auto& n : names)
    if (s == n.text) return n.suffix;
  return Suffix::invalid;
}

bool is_lower(char c) {
  return c >= 'a' && c <= 'z';
}
bool is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

class Reader {
 public:
  explicit Reader(std::string_view s) : rest_(s) {}

  Token first() {
    Token t;
    t.kind = Tok::initial_digit;
    digits(t);
    return t;
  }

  [[nodiscard]] std::string_view rest() const { return rest_; }

  void next(Token& t) {
    if (rest_.empty()) {
      t.kind = Tok::end;
      return;
    }
    char c = rest_.front();
    if (is_lower(c)) {
      if (t.kind > Tok::digit) return invalid(t);
      t.value = rest_.substr(0, 1);
      t.kind = Tok::letter;
      rest_.remove_prefix(1);
    } else if (c == '.' || is_digit(c)) {
      if (c == '.') {
        if (t.kind > Tok::digit) return invalid(t);
        rest_.remove_prefix(1);
      }
      if (t.kind == Tok::initial_digit || t.kind == Tok::digit) {
        t.kind = Tok::digit;
      } else if (t.kind == Tok::suffix) {
        t.kind = Tok::suffix_no;
      } else {
        return invalid(t);
      }
      digits(t);
    } else if (c == '_') {
      if (t.kind > Tok::suffix_no) return invalid(t);
      rest_.remove_prefix(1);
      std::size_t n = 0;
      while (n < rest_.size() && is_lower(rest_[n])) ++n;
      t.value = rest_.substr(0, n);
      rest_.remove_prefix(n);
      t.suffix = suffix_of(t.value);
      if (t.suffix == Suffix::invalid) return invalid(t);
      t.kind = Tok::suffix;
    } else if (c == '~') {
      if (t.kind >= Tok::commit_hash) return invalid(t);
      rest_.remove_prefix(1);
      std::size_t n = 0;
      while (n < rest_.size() && is_hex(rest_[n])) ++n;
      t.value = rest_.substr(0, n);
      rest_.remove_prefix(n);
      if (t.value.empty()) return invalid(t);
      t.kind = Tok::commit_hash;
    } else if (c == '-') {
      // A malformed revision leaves nothing to compare: apk's blob reader drops the rest of the
      // version when "-r<digits>" cannot be read (so "1-r0-1" and "1-r0-2" compare equal).
      if (t.kind >= Tok::revision_no || !rest_.starts_with("-r")) {
        rest_ = {};
        return invalid(t);
      }
      rest_.remove_prefix(2);
      t.kind = Tok::revision_no;
      digits(t);
      if (t.kind == Tok::invalid) rest_ = {};
    } else {
      invalid(t);
    }
  }

 private:
  void digits(Token& t) {
    std::size_t n = 0;
    while (n < rest_.size() && is_digit(rest_[n])) ++n;
    t.value = rest_.substr(0, n);
    rest_.remove_prefix(n);
    if (n == 0) t.kind = Tok::invalid;
  }
  static void invalid(Token& t) { t.kind = Tok::invalid; }

  std::string_view rest_;
};

// apk's blob order: bytes, then length.
int bytes_cmp(std::string_view a, std::string_view b) {
  std::size_t n = std::min(a.size(), b.size());
  if (int c = std::string_view(a.data(), n).compare(std::string_view(b.data(), n)); c != 0) return sign(c);
  if (a.size() == b.size()) return 0;
  return a.size() < b.size() ? -1 : 1;
}

int token_cmp(const Token& a, const Token& b) {
  switch (a.kind) {
    case Tok::digit:
      // A component with a leading zero compares as a string (Gentoo's rule): 1.01 < 1.1.
      if (a.value.front() == '0' || b.value.front() == '0') return bytes_cmp(a.value, b.value);
      return compare_digits(a.value, b.value);
    case Tok::initial_digit:
    case Tok::suffix_no:
    case Tok::revision_no: return compare_digits(a.value, b.value);
    case Tok::letter:
      return sign(static_cast<unsigned char>(a.value.front()) - static_cast<unsigned char>(b.value.front()));
    case Tok::suffix: return sign(static_cast<int>(a.suffix) - static_cast<int>(b.suffix));
    default: return bytes_cmp(a.value, b.value);
  }
}

enum class Fuzzy { no, yes };

int compare_tokens(std::string_view a, std::string_view b, Fuzzy fuzzy) {
  Reader ra(a);
  Reader rb(b);
  Token ta = ra.first();
  Token tb = rb.first();
  while (ta.kind == tb.kind && ta.kind < Tok::end) {
    if (int c = token_cmp(ta, tb); c != 0) return c;
    ra.next(ta);
    rb.next(tb);
  }
  // Both malformed at the same point: apk orders the unread remainders as byte strings.
  if (ta.kind == Tok::invalid && tb.kind == Tok::invalid) return bytes_cmp(ra.rest(), rb.rest());
  if (ta.kind == tb.kind) return 0;
  // Fuzzy matching: b is a prefix of a ("3.6.9" ~ "3.6").
  if (tb.kind == Tok::end && fuzzy == Fuzzy::yes) return 0;
  // Equal so far: the longer version is newer unless it continues with a pre-release suffix.
  if (ta.kind == Tok::suffix && ta.suffix < Suffix::none) return -1;
  if (tb.kind == Tok::suffix && tb.suffix < Suffix::none) return 1;
  if (ta.kind > tb.kind) return -1;
  if (tb.kind > ta.kind) return 1;
  return 0;
}

}  // namespace

Result<int> apk_compare(std::string_view a, std::string_view b) {
  return compare_tokens(a, b, Fuzzy::no);
}

bool apk_valid(std::string_view v) {
  Reader r(v);
  Token t = r.first();
  while (t.kind < Tok::end) r.next(t);
  return t.kind == Tok::end;
}

// One apk dependency constraint: an operator made of '<', '>', '=', '~' (apk's result mask:
// '~' asks for a fuzzy, prefix match) followed by a version.
Result<bool> apk_satisfies(std::string_view version, std::string_view constraint) {
  constraint = util::trim(constraint);
  bool less = false;
  bool greater = false;
  bool equal = false;
  bool fuzzy = false;
  std::size_t n = 0;
  for (; n < constraint.size(); ++n) {
    char c = constraint[n];
    if (c == '<') {
      less = true;
    } else if (c == '>') {
      greater = true;
    } else if (c == '=') {
      equal = true;
    } else if (c == '~') {
      fuzzy = true;
      equal = true;
    } else {
      break;
    }
  }
  std::string_view target = util::trim(constraint.substr(n));
  if (target.empty()) return fail(ErrorCode::parse, "apk constraint without a version", std::string(constraint));
  if (n == 0) equal = true;  // a bare version means "="
  int c = compare_tokens(version, target, fuzzy ? Fuzzy::yes : Fuzzy::no);
  return (c < 0 && less) || (c > 0 && greater) || (c == 0 && equal);
}

}  // namespace bulwark::vuln::version::detail
