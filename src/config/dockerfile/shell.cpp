#include "config/dockerfile/shell.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>

namespace bulwark::config::dockerfile {

void Environment::set(std::string_view name, std::string_view value) {
  for (auto& [k, v] : vars_) {
    if (k == name) {
      v = std::string(value);
      return;
    }
  }
  vars_.emplace_back(std::string(name), std::string(value));
}

void Environment::erase(std::string_view name) {
  std::erase_if(vars_, [&](const auto& kv) { return kv.first == name; });
}

std::optional<std::string_view> Environment::get(std::string_view name) const {
  for (const auto& [k, v] : vars_) {
    if (k == name) return std::string_view(v);
  }
  return std::nullopt;
}

namespace {

constexpr char32_t kEof = 0xFFFFFFFF;

// Decodes one UTF-8 sequence; invalid bytes decode to U+FFFD, one byte each.
char32_t decode_utf8(std::string_view s, std::size_t pos, std::size_t& width) {
  const auto b0 = static_cast<unsigned char>(s[pos]);
  width = 1;
  if (b0 < 0x80) return b0;
  int len = 0;
  char32_t cp = 0;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2;
    cp = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3;
    cp = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4;
    cp = b0 & 0x07;
  } else {
    return 0xFFFD;
  }
  if (pos + static_cast<std::size_t>(len) > s.size()) return 0xFFFD;
  for (int i = 1; i < len; ++i) {
    const auto b = static_cast<unsigned char>(s[pos + static_cast<std::size_t>(i)]);
    if ((b & 0xC0) != 0x80) return 0xFFFD;
    cp = (cp << 6) | (b & 0x3F);
  }
  width = static_cast<std::size_t>(len);
  return cp;
}

std::u32string to_u32(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    std::size_t w = 1;
    out.push_back(decode_utf8(s, i, w));
    i += w;
  }
  return out;
}

std::string to_utf8(std::u32string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char32_t c : s) append_utf8(out, c);
  return out;
}

bool is_space(char32_t c) {
  // Go's unicode.IsSpace.
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r' || c == 0x85 || c == 0xA0 ||
         c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
         c == 0x3000;
}

bool is_digit(char32_t c) {
  return c >= '0' && c <= '9';
}

bool is_name_char(char32_t c) {
  if (c < 0x80) return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_';
  // Non-ASCII letters: Go accepts unicode letters; treat every non-space,
  // non-punctuation code point above ASCII as one.
  return !is_space(c) && c != 0xFFFD;
}

bool is_special_param(char32_t c) {
  switch (c) {
    case '@':
    case '*':
    case '#':
    case '?':
    case '-':
    case '$':
    case '!':
    case '0': return true;
    default: return false;
  }
}

// ---- shell patterns (the `p` in ${v#p}, ${v%p}, ${v/p/r}) ----

struct PatternToken {
  enum Kind { literal, any_one, any_run } kind = literal;
  char32_t ch = 0;
};

Result<std::vector<PatternToken>> compile_pattern(std::u32string_view pattern) {
  std::vector<PatternToken> out;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const char32_t c = pattern[i];
    if (c == '*') {
      out.push_back({PatternToken::any_run, 0});
    } else if (c == '?') {
      out.push_back({PatternToken::any_one, 0});
    } else if (c == '\\') {
      const char32_t next = i + 1 < pattern.size() ? pattern[i + 1] : kEof;
      if (next == '}' || next == '/') continue;  // the escape only protected the ${} syntax
      if (next != '*' && next != '?' && next != '\\') {
        std::string shown;
        if (next != kEof) append_utf8(shown, next);
        return fail(ErrorCode::parse, fmt::format("invalid escape '\\{}'", shown));
      }
      out.push_back({PatternToken::literal, next});
      ++i;
    } else {
      out.push_back({PatternToken::literal, c});
    }
  }
  return out;
}

// All end positions at which the pattern, started at `start`, matches text.
std::vector<bool> match_ends(const std::vector<PatternToken>& tokens, std::u32string_view text, std::size_t start) {
  const std::size_t n = text.size();
  std::vector<bool> cur(n + 1, false);
  cur[start] = true;
  for (const auto& t : tokens) {
    std::vector<bool> next(n + 1, false);
    if (t.kind == PatternToken::any_run) {
      bool on = false;
      for (std::size_t p = 0; p <= n; ++p) {
        on = on || cur[p];
        next[p] = on;
      }
    } else {
      for (std::size_t p = 0; p < n; ++p) {
        if (cur[p] && (t.kind == PatternToken::any_one || text[p] == t.ch)) next[p + 1] = true;
      }
    }
    cur = std::move(next);
  }
  return cur;
}

// Longest or shortest prefix of text matched by tokens; nullopt when none.
std::optional<std::size_t> prefix_match(const std::vector<PatternToken>& tokens, std::u32string_view text,
                                        bool longest) {
  const auto ends = match_ends(tokens, text, 0);
  std::optional<std::size_t> best;
  for (std::size_t p = 0; p < ends.size(); ++p) {
    if (!ends[p]) continue;
    if (!longest) return p;
    best = p;
  }
  return best;
}

std::u32string reverse_pattern(std::u32string_view pattern) {
  // Reverses the pattern but keeps each escape in front of what it escapes.
  std::u32string out(pattern.size(), U'\0');
  const std::size_t last = pattern.empty() ? 0 : pattern.size() - 1;
  for (std::size_t i = 0; i < pattern.size();) {
    const std::size_t o = last - i;
    if (pattern[i] == '\\' && i != last) {
      out[o - 1] = pattern[i];
      out[o] = pattern[i + 1];
      i += 2;
    } else {
      out[o] = pattern[i];
      ++i;
    }
  }
  return out;
}

Result<std::string> trim_prefix(std::string_view pattern, std::string_view value, bool greedy) {
  auto tokens = compile_pattern(to_u32(pattern));
  if (!tokens) {
    return fail(ErrorCode::parse,
                fmt::format("invalid pattern ({}) in substitution: {}", pattern, tokens.error().message));
  }
  const auto text = to_u32(value);
  const auto end = prefix_match(*tokens, text, greedy);
  if (!end) return std::string(value);
  return to_utf8(std::u32string_view(text).substr(*end));
}

Result<std::string> trim_suffix(std::string_view pattern, std::string_view value, bool greedy) {
  auto rp = reverse_pattern(to_u32(pattern));
  auto tokens = compile_pattern(rp);
  if (!tokens) {
    return fail(ErrorCode::parse,
                fmt::format("invalid pattern ({}) in substitution: {}", pattern, tokens.error().message));
  }
  auto text = to_u32(value);
  std::reverse(text.begin(), text.end());
  const auto end = prefix_match(*tokens, text, greedy);
  if (end) text = text.substr(*end);
  std::reverse(text.begin(), text.end());
  return to_utf8(text);
}

Result<std::string> replace_pattern(std::string_view pattern, std::string_view replacement, std::string_view value,
                                    bool all) {
  auto tokens = compile_pattern(to_u32(pattern));
  if (!tokens) {
    return fail(ErrorCode::parse,
                fmt::format("invalid pattern ({}) in substitution: {}", pattern, tokens.error().message));
  }
  const auto text = to_u32(value);
  const auto repl = to_u32(replacement);
  auto find_from = [&](std::size_t from) -> std::optional<std::pair<std::size_t, std::size_t>> {
    for (std::size_t s = from; s <= text.size(); ++s) {
      const auto ends = match_ends(*tokens, text, s);
      for (std::size_t e = ends.size(); e-- > s;) {
        if (ends[e]) return std::pair{s, e};
      }
    }
    return std::nullopt;
  };
  std::u32string out;
  if (!all) {
    const auto m = find_from(0);
    if (!m) return std::string(value);
    out.append(text, 0, m->first);
    out += repl;
    out.append(text, m->second);
    return to_utf8(out);
  }
  // Go's ReplaceAllString: no replacement for an empty match right after a match.
  std::size_t search = 0;
  std::size_t last_end = 0;
  bool any = false;
  while (search <= text.size()) {
    const auto m = find_from(search);
    if (!m) break;
    out.append(text, last_end, m->first - last_end);
    if (m->second > last_end || m->first == 0 || !any) {
      if (!(any && m->second == last_end && m->first == last_end)) out += repl;
    }
    any = true;
    last_end = m->second;
    search = std::max(search + 1, m->second);
  }
  out.append(text, std::min(last_end, text.size()));
  return to_utf8(out);
}

// ---- the word processor ----

struct WordSplitter {
  std::string word;
  std::vector<std::string> words;
  bool in_word = false;

  void add_char(char32_t c) {
    if (is_space(c)) {
      if (in_word && !word.empty()) {
        words.push_back(std::move(word));
        word.clear();
        in_word = false;
      }
      return;
    }
    add_raw_char(c);
  }
  void add_raw_char(char32_t c) {
    append_utf8(word, c);
    in_word = true;
  }
  void add_string(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
      std::size_t w = 1;
      add_char(decode_utf8(s, i, w));
      i += w;
    }
  }
  void add_raw_string(std::string_view s) {
    word += s;
    in_word = true;
  }
  std::vector<std::string> take() {
    if (!word.empty()) {
      words.push_back(std::move(word));
      word.clear();
      in_word = false;
    }
    return std::move(words);
  }
};

class Processor {
 public:
  Processor(std::string_view input, const Environment& env, const ShellOptions& options)
      : in_(input), env_(env), opt_(options), raw_escapes_(options.raw_escapes) {}

  Result<Expansion> run() {
    auto r = process_stop_on({}, raw_escapes_);
    if (!r) {
      return fail(ErrorCode::parse, fmt::format("failed to process \"{}\": {}", in_, r.error().message));
    }
    Expansion e;
    e.word = std::move(r->first);
    e.words = std::move(r->second);
    e.matched = std::move(matched_);
    e.unmatched = std::move(unmatched_);
    return e;
  }

 private:
  char32_t peek() const {
    if (pos_ >= in_.size()) return kEof;
    std::size_t w = 1;
    return decode_utf8(in_, pos_, w);
  }
  char32_t next() {
    if (pos_ >= in_.size()) return kEof;
    std::size_t w = 1;
    const char32_t c = decode_utf8(in_, pos_, w);
    pos_ += w;
    return c;
  }

  std::optional<std::string_view> lookup(const std::string& name) {
    auto v = env_.get(name);
    if (v) {
      matched_.insert(name);
    } else {
      unmatched_.insert(name);
    }
    return v;
  }

  using WordResult = std::pair<std::string, std::vector<std::string>>;

  Result<WordResult> process_stop_on(std::vector<char32_t> stops, bool raw_escapes) {
    const bool saved = raw_escapes_;
    raw_escapes_ = raw_escapes;
    auto r = process_stop_on_inner(stops);
    raw_escapes_ = saved;
    return r;
  }

  Result<WordResult> process_stop_on_inner(const std::vector<char32_t>& stops) {
    std::string result;
    WordSplitter words;
    while (peek() != kEof) {
      const char32_t c = peek();
      if (std::find(stops.begin(), stops.end(), c) != stops.end()) {
        next();
        return WordResult{std::move(result), words.take()};
      }
      if (c == '$') {
        auto v = process_dollar();
        if (!v) return std::unexpected(v.error());
        result += *v;
        words.add_string(*v);
      } else if (!opt_.skip_process_quotes && (c == '\'' || c == '"')) {
        auto v = c == '\'' ? process_single_quote() : process_double_quote();
        if (!v) return std::unexpected(v.error());
        result += *v;
        words.add_raw_string(*v);
      } else {
        char32_t ch = next();
        if (ch == static_cast<char32_t>(opt_.escape)) {
          if (raw_escapes_) {
            words.add_raw_char(ch);
            append_utf8(result, ch);
          }
          ch = next();
          if (ch == kEof) break;  // an escape at the very end is dropped
          words.add_raw_char(ch);
        } else {
          words.add_char(ch);
        }
        append_utf8(result, ch);
      }
    }
    if (!stops.empty()) {
      std::string s;
      append_utf8(s, stops.front());
      return fail(ErrorCode::parse, fmt::format("unexpected end of statement while looking for matching {}", s));
    }
    return WordResult{std::move(result), words.take()};
  }

  Result<std::string> process_single_quote() {
    std::string result;
    char32_t c = next();
    if (opt_.raw_quotes) append_utf8(result, c);
    for (;;) {
      c = next();
      if (c == kEof)
        return fail(ErrorCode::parse, "unexpected end of statement while looking for matching single-quote");
      if (c == '\'') {
        if (opt_.raw_quotes) append_utf8(result, c);
        return result;
      }
      append_utf8(result, c);
    }
  }

  Result<std::string> process_double_quote() {
    std::string result;
    char32_t c = next();
    if (opt_.raw_quotes) append_utf8(result, c);
    for (;;) {
      const char32_t p = peek();
      if (p == kEof)
        return fail(ErrorCode::parse, "unexpected end of statement while looking for matching double-quote");
      if (p == '"') {
        c = next();
        if (opt_.raw_quotes) append_utf8(result, c);
        return result;
      }
      if (p == '$') {
        auto v = process_dollar();
        if (!v) return std::unexpected(v.error());
        result += *v;
        continue;
      }
      c = next();
      if (c == static_cast<char32_t>(opt_.escape)) {
        const char32_t after = peek();
        if (after == kEof) continue;  // an escape at the end of the word is ignored
        if (after == '"' || after == '$' || after == static_cast<char32_t>(opt_.escape)) {
          if (raw_escapes_) append_utf8(result, c);
          c = next();
        }
      }
      append_utf8(result, c);
    }
  }

  std::string process_name() {
    std::string name;
    while (peek() != kEof) {
      char32_t c = peek();
      if (name.empty() && is_digit(c)) {
        while (peek() != kEof && is_digit(peek())) append_utf8(name, next());
        return name;
      }
      if (name.empty() && is_special_param(c)) {
        append_utf8(name, next());
        return name;
      }
      if (!is_name_char(c)) break;
      append_utf8(name, next());
    }
    return name;
  }

  Result<std::string> process_dollar() {
    next();  // the '$'
    if (peek() != '{') {
      const std::string name = process_name();
      if (name.empty()) return std::string("$");
      const auto v = lookup(name);
      if (!v && opt_.skip_unset_env) return "$" + name;
      return std::string(v.value_or(""));
    }
    next();  // the '{'
    switch (peek()) {
      case kEof: return fail(ErrorCode::parse, "syntax error: missing '}'");
      case '{':
      case '}':
      case ':': return fail(ErrorCode::parse, "syntax error: bad substitution");
      default: break;
    }
    const std::string name = process_name();
    char32_t c = next();
    std::string chs;
    if (c != kEof) append_utf8(chs, c);
    bool null_is_unset = false;
    if (c == '}') {
      const auto v = lookup(name);
      if (!v && opt_.skip_unset_env) return "${" + name + "}";
      return std::string(v.value_or(""));
    }
    if (c == ':') {
      null_is_unset = true;
      c = next();
      if (c != kEof) append_utf8(chs, c);
    }
    if (c == ':' || c == '+' || c == '-' || c == '?' || c == '#' || c == '%' || null_is_unset) {
      const bool pattern_op = c == '#' || c == '%';
      if (null_is_unset && pattern_op) {
        return fail(ErrorCode::parse, fmt::format("unsupported modifier ({}) in substitution", chs));
      }
      auto word = process_stop_on({U'}'}, pattern_op);
      if (!word) {
        if (peek() == kEof) return fail(ErrorCode::parse, "syntax error: missing '}'");
        return std::unexpected(word.error());
      }
      std::string w = std::move(word->first);
      const auto value = lookup(name);
      if (opt_.skip_unset_env && !value) return "${" + name + chs + w + "}";
      const bool set = value.has_value();
      const std::string v(value.value_or(""));
      switch (c) {
        case '-':
          if (!set || (null_is_unset && v.empty())) return w;
          return v;
        case '+':
          if (!set || (null_is_unset && v.empty())) return std::string();
          return w;
        case '?':
          if (!set)
            return fail(ErrorCode::parse, fmt::format("{}: {}", name, w.empty() ? "is not allowed to be unset" : w));
          if (null_is_unset && v.empty()) {
            return fail(ErrorCode::parse, fmt::format("{}: {}", name, w.empty() ? "is not allowed to be empty" : w));
          }
          return v;
        case '%':
        case '#': {
          bool greedy = false;
          if (!w.empty() && static_cast<char32_t>(static_cast<unsigned char>(w[0])) == c) {
            greedy = true;
            w.erase(0, 1);
          }
          return c == '%' ? trim_suffix(w, v, greedy) : trim_prefix(w, v, greedy);
        }
        default: return fail(ErrorCode::parse, fmt::format("unsupported modifier ({}) in substitution", chs));
      }
    }
    if (c == '/') {
      const bool all = peek() == '/';
      if (all) next();
      auto pattern = process_stop_on({U'/'}, true);
      if (!pattern) {
        if (peek() == kEof) return fail(ErrorCode::parse, "syntax error: missing '/' in ${}");
        return std::unexpected(pattern.error());
      }
      auto replacement = process_stop_on({U'}'}, true);
      if (!replacement) {
        if (peek() == kEof) return fail(ErrorCode::parse, "syntax error: missing '}'");
        return std::unexpected(replacement.error());
      }
      const auto value = lookup(name);
      if (opt_.skip_unset_env && !value) return "${" + name + "/" + pattern->first + "/" + replacement->first + "}";
      return replace_pattern(pattern->first, replacement->first, value.value_or(""), all);
    }
    if (c == kEof) return fail(ErrorCode::parse, "syntax error: missing '}'");
    return fail(ErrorCode::parse, fmt::format("unsupported modifier ({}) in substitution", chs));
  }

  std::string_view in_;
  std::size_t pos_ = 0;
  const Environment& env_;
  ShellOptions opt_;
  bool raw_escapes_;
  std::set<std::string> matched_;
  std::set<std::string> unmatched_;
};

}  // namespace

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

Result<Expansion> expand(std::string_view input, const Environment& env, const ShellOptions& options) {
  Processor p(input, env, options);
  return p.run();
}

bool glob_match(std::string_view pattern, std::string_view text) {
  auto tokens = compile_pattern(to_u32(pattern));
  if (!tokens) return false;
  const auto t = to_u32(text);
  return match_ends(*tokens, t, 0).back();
}

}  // namespace bulwark::config::dockerfile
