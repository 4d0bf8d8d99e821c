#include "sbom/license.hpp"

#include <array>
#include <vector>

#include "util/strings.hpp"

namespace bulwark::sbom {

namespace {

// A subset of the SPDX licence list: the licences that Debian, Alpine, Red Hat
// and the language ecosystems declare most often, and the deprecated short
// forms ("GPL-2.0+") still found in older metadata. Every entry is on the SPDX
// list, so CycloneDX's schema (which enumerates the list) accepts it.
constexpr std::array kLicenseIds = std::to_array<std::string_view>({
    "0BSD",
    "AFL-2.1",
    "AFL-3.0",
    "AGPL-3.0",
    "AGPL-3.0-only",
    "AGPL-3.0-or-later",
    "Apache-1.0",
    "Apache-1.1",
    "Apache-2.0",
    "Artistic-1.0",
    "Artistic-1.0-Perl",
    "Artistic-2.0",
    "Beerware",
    "BlueOak-1.0.0",
    "BSD-1-Clause",
    "BSD-2-Clause",
    "BSD-3-Clause",
    "BSD-4-Clause",
    "BSL-1.0",
    "bzip2-1.0.6",
    "CC-BY-3.0",
    "CC-BY-4.0",
    "CC-BY-SA-3.0",
    "CC-BY-SA-4.0",
    "CC0-1.0",
    "CDDL-1.0",
    "CDDL-1.1",
    "curl",
    "EPL-1.0",
    "EPL-2.0",
    "EUPL-1.2",
    "FSFAP",
    "FSFUL",
    "FSFULLR",
    "FTL",
    "GFDL-1.2-only",
    "GFDL-1.2-or-later",
    "GFDL-1.3-only",
    "GFDL-1.3-or-later",
    "GPL-1.0-only",
    "GPL-1.0-or-later",
    "GPL-2.0",
    "GPL-2.0+",
    "GPL-2.0-only",
    "GPL-2.0-or-later",
    "GPL-3.0",
    "GPL-3.0+",
    "GPL-3.0-only",
    "GPL-3.0-or-later",
    "HPND",
    "ICU",
    "IJG",
    "ISC",
    "LGPL-2.0",
    "LGPL-2.0+",
    "LGPL-2.0-only",
    "LGPL-2.0-or-later",
    "LGPL-2.1",
    "LGPL-2.1+",
    "LGPL-2.1-only",
    "LGPL-2.1-or-later",
    "LGPL-3.0",
    "LGPL-3.0+",
    "LGPL-3.0-only",
    "LGPL-3.0-or-later",
    "Libpng",
    "libtiff",
    "MIT",
    "MIT-0",
    "MPL-1.1",
    "MPL-2.0",
    "MS-PL",
    "NCSA",
    "OFL-1.1",
    "OpenSSL",
    "PHP-3.01",
    "PostgreSQL",
    "PSF-2.0",
    "Python-2.0",
    "Ruby",
    "Sleepycat",
    "Unicode-DFS-2016",
    "Unlicense",
    "UPL-1.0",
    "Vim",
    "W3C",
    "WTFPL",
    "X11",
    "Zlib",
    "zlib-acknowledgement",
    "ZPL-2.1",
});

// Exceptions that may follow WITH.
constexpr std::array kExceptionIds = std::to_array<std::string_view>({
    "Autoconf-exception-2.0",
    "Autoconf-exception-3.0",
    "Bison-exception-2.2",
    "Classpath-exception-2.0",
    "Font-exception-2.0",
    "GCC-exception-2.0",
    "GCC-exception-3.1",
    "LLVM-exception",
    "Qt-LGPL-exception-1.1",
    "Universal-FOSS-exception-1.0",
});

template <std::size_t N>
std::optional<std::string> lookup(const std::array<std::string_view, N>& table, std::string_view text) {
  for (auto id : table) {
    if (util::iequals(id, text)) return std::string(id);
  }
  return std::nullopt;
}

// Recursive-descent parser over the SPDX expression grammar (SPDX 2.3 annex D):
//   or-expr   := and-expr { "OR" and-expr }
//   and-expr  := with-expr { "AND" with-expr }
//   with-expr := primary [ "WITH" exception ]
//   primary   := license-id [ "+" ] | "(" or-expr ")"
// It rebuilds the canonical text as it goes. Depth is bounded because the text
// comes from package metadata of scanned images.
class ExpressionParser {
 public:
  explicit ExpressionParser(std::string_view text) { tokenize(text); }

  std::optional<std::string> parse() {
    if (tokens_.empty()) return std::nullopt;
    auto out = or_expr(0);
    if (!out || pos_ != tokens_.size()) return std::nullopt;
    return out;
  }

 private:
  static constexpr int kMaxDepth = 32;

  void tokenize(std::string_view text) {
    std::size_t i = 0;
    while (i < text.size()) {
      char c = text[i];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        ++i;
      } else if (c == '(' || c == ')') {
        tokens_.emplace_back(1, c);
        ++i;
      } else {
        std::size_t j = i;
        while (j < text.size() && text[j] != ' ' && text[j] != '\t' && text[j] != '\n' && text[j] != '\r' &&
               text[j] != '(' && text[j] != ')') {
          ++j;
        }
        tokens_.emplace_back(text.substr(i, j - i));
        i = j;
      }
    }
  }

  [[nodiscard]] bool at(std::string_view token) const { return pos_ < tokens_.size() && tokens_[pos_] == token; }

  std::optional<std::string> or_expr(int depth) {
    auto left = and_expr(depth);
    if (!left) return std::nullopt;
    while (at("OR")) {
      ++pos_;
      auto right = and_expr(depth);
      if (!right) return std::nullopt;
      *left += " OR " + *right;
    }
    return left;
  }

  std::optional<std::string> and_expr(int depth) {
    auto left = with_expr(depth);
    if (!left) return std::nullopt;
    while (at("AND")) {
      ++pos_;
      auto right = with_expr(depth);
      if (!right) return std::nullopt;
      *left += " AND " + *right;
    }
    return left;
  }

  std::optional<std::string> with_expr(int depth) {
    auto left = primary(depth);
    if (!left) return std::nullopt;
    if (at("WITH")) {
      ++pos_;
      if (pos_ >= tokens_.size()) return std::nullopt;
      auto exception = lookup(kExceptionIds, tokens_[pos_]);
      if (!exception) return std::nullopt;
      ++pos_;
      *left += " WITH " + *exception;
    }
    return left;
  }

  std::optional<std::string> primary(int depth) {
    if (pos_ >= tokens_.size() || depth > kMaxDepth) return std::nullopt;
    if (at("(")) {
      ++pos_;
      auto inner = or_expr(depth + 1);
      if (!inner || !at(")")) return std::nullopt;
      ++pos_;
      return "(" + *inner + ")";
    }
    std::string_view token = tokens_[pos_];
    if (token == ")" || token == "AND" || token == "OR" || token == "WITH") return std::nullopt;
    ++pos_;
    // A known id as written ("GPL-2.0+" is itself a deprecated id) ...
    if (auto id = lookup(kLicenseIds, token)) return id;
    // ... or a known id followed by the "or any later version" operator.
    if (token.size() > 1 && token.back() == '+') {
      if (auto id = lookup(kLicenseIds, token.substr(0, token.size() - 1))) return *id + "+";
    }
    return std::nullopt;
  }

  std::vector<std::string> tokens_;
  std::size_t pos_ = 0;
};

}  // namespace

std::span<const std::string_view> known_spdx_license_ids() noexcept {
  return kLicenseIds;
}
std::span<const std::string_view> known_spdx_exception_ids() noexcept {
  return kExceptionIds;
}

std::optional<std::string> spdx_license_id(std::string_view text) {
  return lookup(kLicenseIds, util::trim(text));
}

std::optional<std::string> spdx_license_expression(std::string_view text) {
  // Package metadata is untrusted; a licence field longer than this is not an expression.
  constexpr std::size_t kMaxExpressionLength = 4096;
  if (text.size() > kMaxExpressionLength) return std::nullopt;
  return ExpressionParser(text).parse();
}

}  // namespace bulwark::sbom
