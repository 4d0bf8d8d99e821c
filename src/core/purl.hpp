// Package URLs (https://github.com/package-url/purl-spec): building the
// canonical string with the spec's percent-encoding, and parsing one back.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "util/error.hpp"

namespace bulwark::core {

struct Purl {
  std::string type;        // deb, apk, rpm, pypi, npm, golang, maven, cargo, gem
  std::string namespace_;  // debian, alpine, redhat; npm scope; maven group
  std::string name;
  std::string version;
  std::map<std::string, std::string> qualifiers;  // sorted by key, as the spec's canonical form wants
  std::string subpath;

  [[nodiscard]] std::string str() const;
};

[[nodiscard]] Result<Purl> parse_purl(std::string_view text);

// Percent-encodes everything except the purl spec's unreserved characters.
[[nodiscard]] std::string purl_encode(std::string_view s, bool keep_slash = false);

}  // namespace bulwark::core
