// The secret rule catalogue: rules are data (checks/secrets/*.yaml, embedded at build
// time; users add their own files). Each rule has a pattern (RE2 syntax that Vectorscan
// also compiles, or a separate `prefilter` for Vectorscan), keywords, an optional secret
// group and entropy threshold, allowlists, and examples that must and must not match;
// every example is a unit test and docs/secrets.md is generated from the same data.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/diagnostics.hpp"
#include "core/model.hpp"

namespace bulwark::secret {

struct Allowlist {
  std::vector<std::string> paths;      // RE2, searched in the file path
  std::vector<std::string> values;     // RE2, searched in the secret value
  std::vector<std::string> stopwords;  // lower-case substrings of the secret that mark a placeholder
};

struct Rule {
  std::string id;
  std::string category;  // "AWS", "GitHub", "private key", ...
  std::string title;
  core::Severity severity = core::Severity::high;
  std::string pattern;    // RE2: confirms a candidate and extracts the secret
  std::string prefilter;  // Vectorscan pattern when it differs from pattern (empty: pattern)
  bool case_insensitive = false;
  std::vector<std::string> keywords;  // lower-case; when given, the matched line must contain one
  int secret_group = 0;               // 0: the whole match
  double entropy = 0;                 // minimum Shannon entropy (bits per char) of the secret
  std::size_t span = 0;               // bytes a match may reach past the candidate (multi-line rules)
  bool fallback = false;              // generic rule: dropped where a specific rule matched the same bytes
  Allowlist allow;
  std::vector<std::string> examples;
  std::vector<std::string> negative_examples;
  std::string remediation;
  std::vector<std::string> references;
  std::string file;      // catalogue file it came from
  bool builtin = false;  // shipped with bulwark (its patterns are tested to compile)
};

struct Catalogue {
  std::vector<Rule> rules;
  Allowlist global_allow;             // applies to every rule
  std::vector<std::string> disabled;  // rule ids a user's catalogue file turns off (`disable:`)
};

// Parses one catalogue document (YAML: `rules:` and optional `allowlist:`) into cat;
// problems go to diags with file and line; the good rules still load.
void load_rules(std::string_view yaml, std::string_view file, Catalogue& cat, core::Diagnostics& diags);

// The rules shipped with bulwark.
[[nodiscard]] Catalogue builtin_catalogue(core::Diagnostics& diags);
// The same, read from a copy in cache_dir/secret when there is one for exactly these rules
// (parsing the YAML costs more than scanning a small image); written there otherwise.
[[nodiscard]] Catalogue builtin_catalogue(core::Diagnostics& diags, const std::string& cache_dir);

// The catalogue as JSON, and back (nullopt when the text is not such a catalogue).
[[nodiscard]] std::string catalogue_json(const Catalogue& cat);
[[nodiscard]] std::optional<Catalogue> catalogue_from_json(std::string_view text);

// Removes rules by id (a user's config disabling them); returns the ids that matched no rule.
std::vector<std::string> disable_rules(Catalogue& cat, const std::vector<std::string>& ids);

// docs/secrets.md, generated from the catalogue.
[[nodiscard]] std::string markdown(const Catalogue& cat);

[[nodiscard]] double shannon_entropy(std::string_view s) noexcept;

}  // namespace bulwark::secret
