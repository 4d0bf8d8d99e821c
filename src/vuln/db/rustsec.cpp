// RustSec native advisories: crates/<crate>/RUSTSEC-*.md (and rust/<component>/)
// with the metadata in a ```toml fenced block at the top. No C++ TOML library is
// installed here, so a small reader handles the subset the advisory-db uses:
// [tables] and [dotted.tables], bare/quoted/dotted keys, basic and literal strings,
// multi-line arrays, inline tables, integers, booleans and bare dates.
// Cargo requirements (`patched`, `unaffected`) are stored verbatim as requirement
// strings (syntax "cargo"): turning them into OSV events needs the Cargo comparator.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "util/strings.hpp"
#include "vuln/db/json_fields.hpp"
#include "vuln/db/parsers.hpp"

namespace bulwark::vuln::db {
namespace {

using nlohmann::json;
namespace f = fields;

class TomlReader {
 public:
  explicit TomlReader(std::string_view text) : s_(text) {}

  json parse() {
    json root = json::object();
    json* table = &root;
    while (true) {
      skip_space_and_comments(true);
      if (at_end()) break;
      if (peek() == '[') {
        ++pos_;
        if (peek() == '[') throw f::RecordError(error("arrays of tables are not supported"));
        auto path = read_key_path();
        skip_space();
        expect(']');
        table = &root;
        for (const auto& k : path) {
          json& next = (*table)[k];
          if (next.is_null()) next = json::object();
          if (!next.is_object()) throw f::RecordError(error("table redefines a value"));
          table = &next;
        }
        continue;
      }
      read_key_value(*table, 0);
    }
    return root;
  }

 private:
  std::string_view s_;
  std::size_t pos_ = 0;
  int line_ = 1;

  [[nodiscard]] bool at_end() const { return pos_ >= s_.size(); }
  [[nodiscard]] char peek() const { return at_end() ? '\0' : s_[pos_]; }
  [[nodiscard]] std::string error(std::string_view what) const {
    return fmt::format("TOML front matter line {}: {}", line_, what);
  }
  void expect(char c) {
    if (peek() != c) throw f::RecordError(error(fmt::format("expected '{}'", c)));
    ++pos_;
  }
  void skip_space() {
    while (!at_end() && (peek() == ' ' || peek() == '\t')) ++pos_;
  }
  void skip_space_and_comments(bool newlines) {
    while (!at_end()) {
      const char c = peek();
      if (c == ' ' || c == '\t' || c == '\r') {
        ++pos_;
      } else if (c == '\n' && newlines) {
        ++line_;
        ++pos_;
      } else if (c == '#') {
        while (!at_end() && peek() != '\n') ++pos_;
      } else {
        break;
      }
    }
  }
  std::string read_key() {
    skip_space();
    if (peek() == '"' || peek() == '\'') return read_string();
    const auto start = pos_;
    while (!at_end() && (std::isalnum(static_cast<unsigned char>(peek())) || peek() == '_' || peek() == '-')) ++pos_;
    if (start == pos_) throw f::RecordError(error("expected a key"));
    return std::string(s_.substr(start, pos_ - start));
  }
  std::vector<std::string> read_key_path() {
    std::vector<std::string> path{read_key()};
    skip_space();
    while (peek() == '.') {
      ++pos_;
      path.push_back(read_key());
      skip_space();
    }
    return path;
  }
  void read_key_value(json& table, int depth) {
    auto path = read_key_path();
    skip_space();
    expect('=');
    skip_space();
    json* target = &table;
    for (std::size_t i = 0; i + 1 < path.size(); ++i) {
      json& next = (*target)[path[i]];
      if (next.is_null()) next = json::object();
      if (!next.is_object()) throw f::RecordError(error("dotted key redefines a value"));
      target = &next;
    }
    if (target->contains(path.back())) throw f::RecordError(error(fmt::format("duplicate key \"{}\"", path.back())));
    (*target)[path.back()] = read_value(depth + 1);
  }
  std::string read_string() {
    const char quote = peek();
    ++pos_;
    std::string out;
    while (true) {
      if (at_end() || peek() == '\n') throw f::RecordError(error("unterminated string"));
      const char c = s_[pos_++];
      if (c == quote) break;
      if (c == '\\' && quote == '"') {
        if (at_end()) throw f::RecordError(error("unterminated string"));
        const char e = s_[pos_++];
        switch (e) {
          case 'n': out.push_back('\n'); break;
          case 't': out.push_back('\t'); break;
          case '"': out.push_back('"'); break;
          case '\\': out.push_back('\\'); break;
          default: out.push_back('\\'); out.push_back(e);  // \uXXXX kept as written
        }
        continue;
      }
      out.push_back(c);
    }
    return out;
  }
  json read_value(int depth) {
    if (depth > 16) throw f::RecordError(error("nesting too deep"));
    const char c = peek();
    if (c == '"' || c == '\'') {
      if (s_.substr(pos_, 3) == "\"\"\"" || s_.substr(pos_, 3) == "'''")
        throw f::RecordError(error("multi-line strings are not supported"));
      return read_string();
    }
    if (c == '[') {
      ++pos_;
      json arr = json::array();
      while (true) {
        skip_space_and_comments(true);
        if (peek() == ']') {
          ++pos_;
          return arr;
        }
        arr.push_back(read_value(depth + 1));
        skip_space_and_comments(true);
        if (peek() == ',') {
          ++pos_;
        } else if (peek() != ']') {
          throw f::RecordError(error("expected ',' or ']' in an array"));
        }
      }
    }
    if (c == '{') {
      ++pos_;
      json obj = json::object();
      skip_space();
      if (peek() == '}') {
        ++pos_;
        return obj;
      }
      while (true) {
        read_key_value(obj, depth + 1);
        skip_space();
        if (peek() == ',') {
          ++pos_;
          continue;
        }
        expect('}');
        return obj;
      }
    }
    // Bare scalars: numbers, booleans, dates. Kept as text except booleans.
    const auto start = pos_;
    while (!at_end() && peek() != ',' && peek() != ']' && peek() != '}' && peek() != '\n' && peek() != '#') ++pos_;
    const auto token = util::trim(s_.substr(start, pos_ - start));
    if (token.empty()) throw f::RecordError(error("expected a value"));
    if (token == "true") return true;
    if (token == "false") return false;
    return std::string(token);
  }
};

// The text between the first "```toml" line and the next "```" line.
std::optional<std::string_view> front_matter(std::string_view text) {
  const auto open = text.find("```toml");
  if (open == std::string_view::npos || text.substr(0, open).find_first_not_of(" \t\r\n") != std::string_view::npos)
    return std::nullopt;
  const auto start = text.find('\n', open);
  if (start == std::string_view::npos) return std::nullopt;
  const auto close = text.find("\n```", start);
  if (close == std::string_view::npos) return std::nullopt;
  return text.substr(start + 1, close - start);
}

// The first Markdown heading after the front matter is the advisory's title.
std::string title_after(std::string_view text) {
  const auto close = text.find("\n```", text.find("```toml") + 7);
  if (close == std::string_view::npos) return {};
  auto rest = text.substr(close + 4);
  while (!rest.empty()) {
    const auto nl = rest.find('\n');
    const auto line = util::trim(rest.substr(0, nl));
    if (line.starts_with("# ")) return std::string(util::trim(line.substr(2)));
    if (nl == std::string_view::npos) break;
    rest.remove_prefix(nl + 1);
  }
  return {};
}

}  // namespace

std::vector<Advisory> parse_rustsec_markdown(std::string_view text, bool toolchain, ParseLog& log) {
  std::vector<Advisory> out;
  const auto toml = front_matter(text);
  if (!toml) {
    log.reject("", "no ```toml front matter at the top of the file");
    return out;
  }
  std::string id;
  try {
    const json doc = TomlReader(*toml).parse();
    const auto& adv = f::object(doc, "advisory");
    id = f::text(adv, "id");
    if (id.empty()) throw f::RecordError("[advisory] has no id");
    Advisory a;
    a.source = "rustsec";
    a.id = id;
    a.published = f::text(adv, "date");
    a.modified = a.published;
    a.withdrawn = f::text(adv, "withdrawn");
    a.summary = title_after(text);
    a.severity = f::text(adv, "informational");  // "unsound", "unmaintained", "notice"
    if (auto cvss = f::text(adv, "cvss"); !cvss.empty()) a.cvss.push_back(cvss);
    for (const auto& alias : f::text_list(adv, "aliases")) add_alias(a, alias);
    if (auto url = f::text(adv, "url"); !url.empty()) a.references.push_back({"REPORT", url});
    for (const auto& r : f::text_list(adv, "references")) a.references.push_back({"WEB", r});
    Affected af;
    af.ecosystem = toolchain ? "Rust" : "crates.io";
    af.package = f::text(adv, "package");
    if (af.package.empty()) throw f::RecordError("[advisory] has no package");
    const auto& versions = f::object(doc, "versions");
    if (!f::find(versions, "patched")) throw f::RecordError("[versions] has no \"patched\" list");
    af.requirements.syntax = RequirementSyntax::cargo;
    af.requirements.patched = f::text_list(versions, "patched");
    af.requirements.unaffected = f::text_list(versions, "unaffected");
    af.state = !a.withdrawn.empty()              ? VendorState::withdrawn
               : af.requirements.patched.empty() ? VendorState::unfixed
                                                 : VendorState::fixed;
    a.affected.push_back(std::move(af));
    out.push_back(std::move(a));
    log.count("records");
  } catch (const std::exception& e) {
    log.reject(id, e.what());
  }
  return out;
}

}  // namespace bulwark::vuln::db
