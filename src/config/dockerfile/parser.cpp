#include "config/dockerfile/parser.hpp"

#include "config/dockerfile/shell.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace bulwark::config::dockerfile {

namespace {

bool is_ascii_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}
// BuildKit's reWhitespace: [\t\v\f\r ]+
bool is_ws_sep(char c) {
  return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r';
}

std::string_view trim_left(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() && is_ascii_space(s[i])) ++i;
  return s.substr(i);
}
std::string_view trim_right(std::string_view s) {
  std::size_t n = s.size();
  while (n > 0 && is_ascii_space(s[n - 1])) --n;
  return s.substr(0, n);
}
std::string_view trim_both(std::string_view s) {
  return trim_right(trim_left(s));
}

std::string_view trim_newline(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Splits on runs of [\t\v\f\r ], keeping an empty first/last field like Go's regexp.Split.
std::vector<std::string> split_ws_go(std::string_view s, int limit) {
  std::vector<std::string> out;
  std::size_t start = 0;
  std::size_t i = 0;
  while (i < s.size()) {
    if (limit > 0 && static_cast<int>(out.size()) == limit - 1) break;
    if (is_ws_sep(s[i])) {
      std::size_t j = i;
      while (j < s.size() && is_ws_sep(s[j])) ++j;
      out.emplace_back(s.substr(start, i - start));
      start = j;
      i = j;
    } else {
      ++i;
    }
  }
  out.emplace_back(s.substr(start));
  return out;
}

// ---- Go encoding/json, just enough to decode the first value of a string ----

class JsonReader {
 public:
  explicit JsonReader(std::string_view s) : s_(s) {}
  enum class Kind { error, string, other, array };

  void ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }

  // Parses any value; for the top-level array collects string items into `items`
  // and records whether a non-string appeared.
  bool value(int depth, std::vector<std::string>* items, bool* non_string) {
    if (depth > 64) return false;
    ws();
    if (i_ >= s_.size()) return false;
    const char c = s_[i_];
    if (c == '"') {
      std::string str;
      if (!string(str)) return false;
      if (items) items->push_back(std::move(str));
      return true;
    }
    if (items) *non_string = true;
    if (c == '[') {
      ++i_;
      ws();
      if (i_ < s_.size() && s_[i_] == ']') {
        ++i_;
        return true;
      }
      for (;;) {
        if (!value(depth + 1, nullptr, nullptr)) return false;
        ws();
        if (i_ >= s_.size()) return false;
        if (s_[i_] == ',') {
          ++i_;
          continue;
        }
        if (s_[i_] == ']') {
          ++i_;
          return true;
        }
        return false;
      }
    }
    if (c == '{') {
      ++i_;
      ws();
      if (i_ < s_.size() && s_[i_] == '}') {
        ++i_;
        return true;
      }
      for (;;) {
        ws();
        std::string key;
        if (i_ >= s_.size() || s_[i_] != '"' || !string(key)) return false;
        ws();
        if (i_ >= s_.size() || s_[i_] != ':') return false;
        ++i_;
        if (!value(depth + 1, nullptr, nullptr)) return false;
        ws();
        if (i_ >= s_.size()) return false;
        if (s_[i_] == ',') {
          ++i_;
          continue;
        }
        if (s_[i_] == '}') {
          ++i_;
          return true;
        }
        return false;
      }
    }
    if (literal("true") || literal("false") || literal("null")) return true;
    return number();
  }

  // The top-level array of strings.
  std::expected<std::optional<std::vector<std::string>>, JsonArrayError> top_array() {
    ws();
    if (i_ >= s_.size() || s_[i_] != '[') return std::optional<std::vector<std::string>>{};
    ++i_;
    std::vector<std::string> items;
    bool non_string = false;
    ws();
    if (i_ < s_.size() && s_[i_] == ']') return std::optional<std::vector<std::string>>{std::move(items)};
    for (;;) {
      if (!value(1, &items, &non_string)) return std::optional<std::vector<std::string>>{};
      ws();
      if (i_ >= s_.size()) return std::optional<std::vector<std::string>>{};
      if (s_[i_] == ',') {
        ++i_;
        continue;
      }
      if (s_[i_] == ']') break;
      return std::optional<std::vector<std::string>>{};
    }
    if (non_string) return std::unexpected(JsonArrayError{});
    return std::optional<std::vector<std::string>>{std::move(items)};
  }

 private:
  bool literal(std::string_view w) {
    if (s_.substr(i_, w.size()) == w) {
      i_ += w.size();
      return true;
    }
    return false;
  }
  bool number() {
    const std::size_t start = i_;
    if (i_ < s_.size() && s_[i_] == '-') ++i_;
    if (i_ >= s_.size()) return false;
    if (s_[i_] == '0') {
      ++i_;
    } else if (s_[i_] >= '1' && s_[i_] <= '9') {
      while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
    } else {
      return false;
    }
    if (i_ < s_.size() && s_[i_] == '.') {
      ++i_;
      if (i_ >= s_.size() || !std::isdigit(static_cast<unsigned char>(s_[i_]))) return false;
      while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
    }
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      ++i_;
      if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
      if (i_ >= s_.size() || !std::isdigit(static_cast<unsigned char>(s_[i_]))) return false;
      while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
    }
    return i_ > start;
  }
  static void put(std::string& out, unsigned cp) { append_utf8(out, static_cast<char32_t>(cp)); }
  std::optional<unsigned> hex4() {
    if (i_ + 4 > s_.size()) return std::nullopt;
    unsigned v = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = s_[i_++];
      v <<= 4;
      if (c >= '0' && c <= '9') {
        v |= static_cast<unsigned>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        v |= static_cast<unsigned>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        v |= static_cast<unsigned>(c - 'A' + 10);
      } else {
        return std::nullopt;
      }
    }
    return v;
  }
  bool string(std::string& out) {
    ++i_;  // opening quote
    while (i_ < s_.size()) {
      const auto c = static_cast<unsigned char>(s_[i_]);
      if (c == '"') {
        ++i_;
        return true;
      }
      if (c < 0x20) return false;
      if (c != '\\') {
        out.push_back(static_cast<char>(c));
        ++i_;
        continue;
      }
      ++i_;
      if (i_ >= s_.size()) return false;
      const char e = s_[i_++];
      switch (e) {
        case '"':
        case '\\':
        case '/': out.push_back(e); break;
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 't': out.push_back('\t'); break;
        case 'u': {
          auto cp = hex4();
          if (!cp) return false;
          unsigned v = *cp;
          if (v >= 0xD800 && v < 0xDC00 && s_.substr(i_, 2) == "\\u") {
            const std::size_t save = i_;
            i_ += 2;
            auto lo = hex4();
            if (lo && *lo >= 0xDC00 && *lo < 0xE000) {
              v = 0x10000 + ((v - 0xD800) << 10) + (*lo - 0xDC00);
            } else {
              i_ = save;
              v = 0xFFFD;
            }
          } else if (v >= 0xD800 && v < 0xE000) {
            v = 0xFFFD;
          }
          put(out, v);
          break;
        }
        default: return false;
      }
    }
    return false;
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

// ---- builder flags (extractBuilderFlags) ----

struct FlagSplit {
  std::string rest;
  std::vector<std::string> flags;
};

FlagSplit extract_builder_flags(std::string_view line) {
  enum { in_spaces, in_word, in_quote } phase = in_spaces;
  FlagSplit out;
  std::string word;
  char quote = 0;
  bool blank_ok = false;
  char ch = 0;
  for (std::size_t pos = 0; pos <= line.size(); ++pos) {
    if (pos != line.size()) ch = line[pos];
    if (phase == in_spaces) {
      if (pos == line.size()) break;
      if (is_ascii_space(ch)) continue;
      if (ch != '-' || pos + 1 == line.size() || line[pos + 1] != '-') {
        out.rest = std::string(line.substr(pos));
        return out;
      }
      phase = in_word;
    }
    if ((phase == in_word || phase == in_quote) && pos == line.size()) {
      if (word != "--" && (blank_ok || !word.empty())) out.flags.push_back(word);
      break;
    }
    if (phase == in_word) {
      if (is_ascii_space(ch)) {
        phase = in_spaces;
        if (word == "--") {
          out.rest = std::string(line.substr(pos));
          return out;
        }
        if (blank_ok || !word.empty()) out.flags.push_back(word);
        word.clear();
        blank_ok = false;
        continue;
      }
      if (ch == '\'' || ch == '"') {
        quote = ch;
        blank_ok = true;
        phase = in_quote;
        continue;
      }
      if (ch == '\\') {
        if (pos + 1 == line.size()) continue;
        ++pos;
        ch = line[pos];
      }
      word.push_back(ch);
      continue;
    }
    if (phase == in_quote) {
      if (ch == quote) {
        phase = in_word;
        continue;
      }
      if (ch == '\\') {
        if (pos + 1 == line.size()) {
          phase = in_word;
          continue;
        }
        ++pos;
        ch = line[pos];
      }
      word.push_back(ch);
    }
  }
  return out;
}

// ---- argument parsers (line_parsers.go) ----

struct Parsed {
  std::vector<Node> next;
  bool json = false;
};
using ParseFn = std::expected<Parsed, std::string> (*)(std::string_view rest, char escape, int depth);

Node leaf(std::string v) {
  Node n;
  n.value = std::move(v);
  return n;
}

std::expected<Parsed, std::string> parse_ignore(std::string_view, char, int) {
  return Parsed{};
}

std::expected<Parsed, std::string> parse_string(std::string_view rest, char, int) {
  Parsed p;
  if (!rest.empty()) p.next.push_back(leaf(std::string(rest)));
  return p;
}

std::expected<Parsed, std::string> parse_strings_ws(std::string_view rest, char, int) {
  Parsed p;
  if (rest.empty()) return p;
  for (auto& w : split_ws_go(rest, -1)) p.next.push_back(leaf(std::move(w)));
  return p;
}

std::expected<Parsed, std::string> parse_name_or_name_val(std::string_view rest, char escape, int) {
  Parsed p;
  for (auto& w : parse_words(rest, escape)) p.next.push_back(leaf(std::move(w)));
  return p;
}

std::expected<Parsed, std::string> parse_name_val(std::string_view rest, const char* key, char escape) {
  Parsed p;
  const auto words = parse_words(rest, escape);
  if (words.empty()) return p;
  if (words[0].find('=') == std::string::npos) {
    auto parts = split_ws_go(rest, 2);
    if (parts.size() < 2) return std::unexpected(fmt::format("{} must have two arguments", key));
    p.next.push_back(leaf(std::move(parts[0])));
    p.next.push_back(leaf(std::move(parts[1])));
    p.next.push_back(leaf(""));
    return p;
  }
  for (const auto& w : words) {
    const auto eq = w.find('=');
    if (eq == std::string::npos) {
      return std::unexpected(
          fmt::format("Syntax error - can't find = in {}. Must be of the form: name=value", go_quote(w)));
    }
    p.next.push_back(leaf(w.substr(0, eq)));
    p.next.push_back(leaf(w.substr(eq + 1)));
    p.next.push_back(leaf("="));
  }
  return p;
}

std::expected<Parsed, std::string> parse_env(std::string_view rest, char escape, int) {
  return parse_name_val(rest, "ENV", escape);
}
std::expected<Parsed, std::string> parse_label(std::string_view rest, char escape, int) {
  return parse_name_val(rest, "LABEL", escape);
}

const char* const kNotStringArray = "dockerfile: not a JSON array of strings";  // hard error, no fallback

std::expected<std::optional<Parsed>, std::string> try_json(std::string_view rest) {
  auto r = parse_json_array(rest);
  if (!r) return std::unexpected(std::string(kNotStringArray));
  if (!*r) return std::optional<Parsed>{};
  Parsed p;
  p.json = true;
  for (auto& s : **r) p.next.push_back(leaf(std::move(s)));
  return std::optional<Parsed>{std::move(p)};
}

std::expected<Parsed, std::string> parse_maybe_json(std::string_view rest, char, int) {
  if (rest.empty()) return Parsed{};
  auto j = try_json(rest);
  if (!j) return std::unexpected(j.error());
  if (*j) return std::move(**j);
  Parsed p;
  p.next.push_back(leaf(std::string(rest)));
  return p;
}

std::expected<Parsed, std::string> parse_maybe_json_to_list(std::string_view rest, char escape, int depth) {
  auto j = try_json(rest);
  if (!j) return std::unexpected(j.error());
  if (*j) return std::move(**j);
  return parse_strings_ws(rest, escape, depth);
}

std::expected<Parsed, std::string> parse_health_config(std::string_view rest, char escape, int depth) {
  std::size_t sep = 0;
  while (sep < rest.size() && !is_ascii_space(rest[sep])) ++sep;
  std::size_t nxt = sep;
  while (nxt < rest.size() && is_ascii_space(rest[nxt])) ++nxt;
  if (sep == 0) return Parsed{};
  auto cmd = parse_maybe_json(rest.substr(nxt), escape, depth);
  if (!cmd) return cmd;
  Parsed p;
  p.json = cmd->json;
  p.next.push_back(leaf(std::string(rest.substr(0, sep))));
  for (auto& n : cmd->next) p.next.push_back(std::move(n));
  return p;
}

std::expected<Node, std::string> node_from_line(std::string_view line, char escape, int depth);

std::expected<Parsed, std::string> parse_sub_command(std::string_view rest, char escape, int depth) {
  if (rest.empty()) return Parsed{};
  if (depth > 0) {
    // BuildKit parses nested ONBUILD lines as well and rejects them later; one level
    // more is all that can ever be valid, so stop recursion there.
  }
  auto child = node_from_line(rest, escape, depth + 1);
  if (!child) return std::unexpected(child.error());
  Node holder;
  holder.children.push_back(std::move(*child));
  Parsed p;
  p.next.push_back(std::move(holder));
  return p;
}

ParseFn dispatch(std::string_view cmd) {
  const std::string c = lower(cmd);
  if (c == "add" || c == "copy" || c == "volume") return parse_maybe_json_to_list;
  if (c == "arg") return parse_name_or_name_val;
  if (c == "cmd" || c == "entrypoint" || c == "run" || c == "shell") return parse_maybe_json;
  if (c == "env") return parse_env;
  if (c == "expose" || c == "from") return parse_strings_ws;
  if (c == "healthcheck") return parse_health_config;
  if (c == "label") return parse_label;
  if (c == "maintainer" || c == "stopsignal" || c == "user" || c == "workdir") return parse_string;
  if (c == "onbuild") return parse_sub_command;
  return parse_ignore;
}

std::expected<Node, std::string> node_from_line(std::string_view line, char escape, int depth) {
  if (depth > 8) return std::unexpected(std::string("ONBUILD nested too deeply"));
  const std::string_view trimmed = trim_both(line);
  std::size_t cut = 0;
  while (cut < trimmed.size() && !is_ws_sep(trimmed[cut])) ++cut;
  const std::string_view cmd = trimmed.substr(0, cut);
  std::size_t rest_at = cut;
  while (rest_at < trimmed.size() && is_ws_sep(trimmed[rest_at])) ++rest_at;
  FlagSplit fs;
  if (cut < trimmed.size()) fs = extract_builder_flags(trimmed.substr(rest_at));
  const std::string rest(trim_both(fs.rest));
  auto parsed = dispatch(cmd)(rest, escape, depth);
  if (!parsed) return std::unexpected(parsed.error());
  Node n;
  n.value = lower(cmd);
  n.original = std::string(line);
  n.flags = std::move(fs.flags);
  n.next = std::move(parsed->next);
  n.json = parsed->json;
  return n;
}

bool can_contain_heredoc(const Node& n) {
  if (n.value == "onbuild") {
    if (n.next.empty() || n.next[0].children.empty()) return false;
    return can_contain_heredoc(n.next[0].children[0]);
  }
  if (n.value != "run" && n.value != "copy" && n.value != "add") return false;
  if (n.next.empty()) return false;
  return !n.json;
}

bool is_comment_line(std::string_view raw) {
  const auto t = trim_left(trim_newline(raw));
  return !t.empty() && t[0] == '#';
}

// `# key=value` before the first instruction.
bool match_directive(std::string_view line, std::string& key, std::string& value) {
  if (line.empty() || line[0] != '#') return false;
  std::size_t i = 1;
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
  const std::size_t ks = i;
  if (i >= line.size() || !std::isalpha(static_cast<unsigned char>(line[i]))) return false;
  while (i < line.size() && std::isalnum(static_cast<unsigned char>(line[i]))) ++i;
  key = lower(line.substr(ks, i - ks));
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
  if (i >= line.size() || line[i] != '=') return false;
  ++i;
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
  std::string_view v = line.substr(i);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  if (v.empty()) return false;
  value = std::string(v);
  return true;
}

// Strips the escape token and trailing blanks that continue a line; returns true
// when the line ends the instruction.
bool trim_continuation(std::string& line, char escape) {
  std::size_t n = line.size();
  while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\t')) --n;
  if (n > 0 && line[n - 1] == escape) {
    line.resize(n - 1);
    return false;
  }
  return true;
}

}  // namespace

std::vector<std::string> parse_words(std::string_view rest, char escape) {
  enum { in_spaces, in_word, in_quote } phase = in_spaces;
  std::vector<std::string> words;
  std::string word;
  char quote = 0;
  bool blank_ok = false;
  for (std::size_t pos = 0; pos <= rest.size(); ++pos) {
    const char ch = pos < rest.size() ? rest[pos] : '\0';
    if (phase == in_spaces) {
      if (pos == rest.size()) break;
      if (is_ascii_space(ch)) continue;
      phase = in_word;
    }
    if ((phase == in_word || phase == in_quote) && pos == rest.size()) {
      if (blank_ok || !word.empty()) words.push_back(word);
      break;
    }
    if (phase == in_word) {
      if (is_ascii_space(ch)) {
        phase = in_spaces;
        if (blank_ok || !word.empty()) words.push_back(word);
        word.clear();
        blank_ok = false;
        continue;
      }
      char c = ch;
      if (c == '\'' || c == '"') {
        quote = c;
        blank_ok = true;
        phase = in_quote;
      }
      if (c == escape) {
        if (pos + 1 == rest.size()) continue;  // an escape at the end of the line is dropped
        word.push_back(c);
        ++pos;
        c = rest[pos];
      }
      word.push_back(c);
      continue;
    }
    // in_quote
    char c = ch;
    if (c == quote) phase = in_word;
    if (c == escape && quote != '\'') {
      if (pos + 1 == rest.size()) {
        phase = in_word;
        continue;
      }
      ++pos;
      word.push_back(c);
      c = rest[pos];
    }
    word.push_back(c);
  }
  return words;
}

std::expected<std::optional<std::vector<std::string>>, JsonArrayError> parse_json_array(std::string_view text) {
  JsonReader r(text);
  return r.top_array();
}

std::optional<Heredoc> parse_heredoc(std::string_view src) {
  // ^(\d*)<<(-?)\s*([^<]*)$
  std::size_t i = 0;
  while (i < src.size() && std::isdigit(static_cast<unsigned char>(src[i]))) ++i;
  const std::string_view fd = src.substr(0, i);
  if (src.substr(i, 2) != "<<") return std::nullopt;
  i += 2;
  bool chomp = false;
  if (i < src.size() && src[i] == '-') {
    chomp = true;
    ++i;
  }
  while (i < src.size() && is_ascii_space(src[i])) ++i;
  const std::string_view rest = src.substr(i);
  if (rest.empty() || rest.find('<') != std::string_view::npos) return std::nullopt;
  Environment none;
  ShellOptions opt;
  opt.skip_unset_env = true;
  auto plain = expand(rest, none, opt);
  if (!plain || plain->words.size() != 1) return std::nullopt;
  opt.raw_quotes = true;
  auto raw = expand(rest, none, opt);
  if (!raw || raw->words.size() != 1) return std::nullopt;
  auto quotes = [](const std::string& s) {
    return std::count(s.begin(), s.end(), '\'') + std::count(s.begin(), s.end(), '"');
  };
  Heredoc h;
  h.name = plain->words[0];
  h.expand = quotes(plain->words[0]) == quotes(raw->words[0]);
  h.chomp = chomp;
  unsigned v = 0;
  for (char c : fd) v = v * 10 + static_cast<unsigned>(c - '0');
  h.file_descriptor = v;
  return h;
}

std::vector<Heredoc> heredocs_from_line(std::string_view line) {
  Environment none;
  ShellOptions opt;
  opt.raw_quotes = true;
  opt.raw_escapes = true;
  opt.skip_unset_env = true;  // `<<$EOF` names the delimiter "$EOF"
  auto words = expand(line, none, opt);
  std::vector<Heredoc> out;
  if (!words) return out;
  const auto& w = words->words;
  for (std::size_t i = 0; i < w.size(); ++i) {
    std::string candidate = w[i];
    // `<< EOF` and `<<- EOF`: the delimiter is the next word.
    const auto lt = candidate.find("<<");
    if (lt != std::string::npos && lt + 2 <= candidate.size() &&
        std::all_of(candidate.begin(), candidate.begin() + static_cast<std::ptrdiff_t>(lt),
                    [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }) &&
        (candidate.size() == lt + 2 || (candidate.size() == lt + 3 && candidate.back() == '-')) && i + 1 < w.size()) {
      candidate += " " + w[i + 1];
      ++i;
    }
    if (auto h = parse_heredoc(candidate)) out.push_back(std::move(*h));
  }
  return out;
}

std::string go_quote(std::string_view s) {
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      // Copy valid UTF-8 sequences; escape invalid bytes as \x.. like Go.
      int len = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
      bool ok = len > 0 && i + static_cast<std::size_t>(len) <= s.size();
      for (int k = 1; ok && k < len; ++k) {
        ok = (static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]) & 0xC0) == 0x80;
      }
      if (ok) {
        out.append(s.substr(i, static_cast<std::size_t>(len)));
        i += static_cast<std::size_t>(len);
      } else {
        out += fmt::format("\\x{:02x}", c);
        ++i;
      }
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\a': out += "\\a"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\v': out += "\\v"; break;
      default:
        if (c < 0x20 || c == 0x7F) {
          out += fmt::format("\\x{:02x}", c);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
  out += "\"";
  return out;
}

std::string Node::dump() const {
  std::string str = lower(value);
  if (!flags.empty()) {
    str += " [";
    for (std::size_t i = 0; i < flags.size(); ++i) {
      if (i) str += " ";
      str += go_quote(flags[i]);
    }
    str += "]";
  }
  for (const auto& c : children) str += "(" + c.dump() + ")\n";
  for (const auto& n : next) {
    if (!n.children.empty()) {
      str += " " + n.dump();
    } else {
      str += " " + go_quote(n.value);
    }
  }
  return std::string(trim_both(str));
}

std::expected<ParseResult, ParseError> parse(std::string_view text, const ParseLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return std::unexpected(
        ParseError{fmt::format("file is {} bytes, more than the limit of {}", text.size(), limits.max_bytes), 0, 0});
  }
  // Split into lines that keep their newline (BuildKit's scanLines).
  std::vector<std::string_view> lines;
  for (std::size_t start = 0; start < text.size();) {
    const auto nl = text.find('\n', start);
    const std::size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
    lines.push_back(text.substr(start, end - start));
    start = end;
  }
  if (!lines.empty() && lines[0].starts_with("\xEF\xBB\xBF")) lines[0].remove_prefix(3);

  ParseResult res;
  Directives& d = res.directives;
  bool directives_done = false;
  std::vector<std::string> seen_directives;
  std::vector<std::string> comments;
  std::size_t idx = 0;
  int current_line = 0;

  // processLine: trims the newline (and left blanks), feeds the directive parser,
  // then drops a comment line.
  auto process_line = [&](std::string_view raw, bool strip_left, std::optional<ParseError>& err) -> std::string {
    std::string_view token = trim_newline(raw);
    if (strip_left) token = trim_left(token);
    if (!directives_done) {
      std::string key, value;
      if (match_directive(token, key, value)) {
        if (std::find(seen_directives.begin(), seen_directives.end(), key) != seen_directives.end()) {
          err = ParseError{fmt::format("only one {} parser directive can be used", key), current_line + 1,
                           current_line + 1};
        }
        seen_directives.push_back(key);
        if (key == "escape") {
          if (value != "`" && value != "\\") {
            err = ParseError{fmt::format("invalid escape token '{}' does not match ` or \\", value), current_line + 1,
                             current_line + 1};
          } else {
            d.escape = value[0];
            d.escape_line = current_line + 1;
          }
        } else if (key == "syntax") {
          d.syntax = value;
        } else if (key == "check") {
          d.check = value;
        }
      } else {
        directives_done = true;
      }
    }
    if (!token.empty() && token[0] == '#') return {};
    return std::string(token);
  };

  while (idx < lines.size()) {
    const std::string_view raw = lines[idx++];
    if (is_comment_line(raw)) {
      const auto t = trim_both(trim_left(trim_newline(raw)).substr(1));
      if (t.empty()) {
        comments.clear();
      } else {
        comments.emplace_back(t);
      }
    }
    std::optional<ParseError> err;
    std::string line = process_line(raw, true, err);
    if (err) return std::unexpected(*err);
    ++current_line;
    const int start_line = current_line;
    const auto first_trimmed = trim_newline(raw);
    const int column = static_cast<int>(first_trimmed.size() - trim_left(first_trimmed).size()) + 1;
    bool end_of_line = trim_continuation(line, d.escape);
    if (end_of_line && line.empty()) continue;

    bool empty_continuation = false;
    while (!end_of_line && idx < lines.size()) {
      const std::string_view craw = lines[idx++];
      std::string cont = process_line(craw, false, err);
      if (err) return std::unexpected(*err);
      ++current_line;
      if (is_comment_line(craw)) continue;
      if (trim_left(cont).empty()) {
        empty_continuation = true;
        continue;
      }
      end_of_line = trim_continuation(cont, d.escape);
      line += cont;
      if (line.size() > limits.max_line_bytes) {
        return std::unexpected(
            ParseError{fmt::format("instruction is longer than the limit of {} bytes", limits.max_line_bytes),
                       start_line, current_line});
      }
    }
    if (empty_continuation) {
      res.warnings.push_back(ParseWarning{fmt::format("Empty continuation line found in: {}", line), start_line});
    }

    auto child = node_from_line(line, d.escape, 0);
    if (!child) return std::unexpected(ParseError{child.error(), start_line, current_line});

    if (can_contain_heredoc(*child) && line.find("<<") != std::string::npos) {
      for (auto& h : heredocs_from_line(line)) {
        bool terminated = false;
        while (idx < lines.size()) {
          const std::string_view braw = lines[idx++];
          ++current_line;
          std::string_view candidate = trim_newline(braw);
          if (h.chomp) {
            while (!candidate.empty() && candidate[0] == '\t') candidate.remove_prefix(1);
          }
          if (candidate == h.name) {
            terminated = true;
            break;
          }
          h.content.append(braw);
          if (!braw.ends_with('\n')) h.content.push_back('\n');
          if (h.content.size() > limits.max_bytes) break;
        }
        if (!terminated) return std::unexpected(ParseError{"unterminated heredoc", start_line, current_line});
        child->heredocs.push_back(std::move(h));
      }
    }
    child->start_line = start_line;
    child->end_line = current_line;
    child->column = column;
    child->comments = std::move(comments);
    comments.clear();
    res.root.children.push_back(std::move(*child));
    if (res.root.children.size() > limits.max_instructions) {
      return std::unexpected(
          ParseError{fmt::format("more than {} instructions", limits.max_instructions), start_line, current_line});
    }
  }
  if (res.root.children.empty()) return std::unexpected(ParseError{"file with no instructions", 0, 0});
  res.root.start_line = res.root.children.front().start_line;
  res.root.end_line = res.root.children.back().end_line;
  return res;
}

}  // namespace bulwark::config::dockerfile
