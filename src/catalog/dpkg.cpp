// dpkg: var/lib/dpkg/status and the distroless per-package files in var/lib/dpkg/status.d/.
#include <fmt/format.h>

#include <map>

#include "catalog/internal.hpp"
#include "util/strings.hpp"

namespace bulwark::catalog {

namespace {

using Stanza = std::map<std::string, std::string, std::less<>>;

// Splits RFC 822-ish text into stanzas; continuation lines (leading space/tab) extend the
// previous field. Field names are kept as written (dpkg's are case-insensitive; we lower them).
std::vector<std::pair<Stanza, int>> stanzas(std::string_view text) {
  std::vector<std::pair<Stanza, int>> out;
  Stanza current;
  int current_line = 0;
  std::string last_key;
  int line_no = 0;
  for (auto line : util::split(text, '\n')) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (util::trim(line).empty()) {
      if (!current.empty()) out.emplace_back(std::move(current), current_line);
      current = {};
      last_key.clear();
      continue;
    }
    if (line.front() == ' ' || line.front() == '\t') {
      if (!last_key.empty()) {
        auto& v = current[last_key];
        v.push_back('\n');
        v.append(util::trim(line));
      }
      continue;
    }
    auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    if (current.empty()) current_line = line_no;
    last_key = util::to_lower(util::trim(line.substr(0, colon)));
    current[last_key] = std::string(util::trim(line.substr(colon + 1)));
  }
  if (!current.empty()) out.emplace_back(std::move(current), current_line);
  return out;
}

std::string get(const Stanza& s, std::string_view key) {
  auto it = s.find(key);
  return it == s.end() ? std::string() : it->second;
}

}  // namespace

std::vector<core::Package> parse_dpkg_status(std::string_view text, std::string_view path, MissingStatus missing,
                                             core::Diagnostics& diags) {
  std::vector<core::Package> out;
  for (auto& [st, line] : stanzas(text)) {
    auto name = get(st, "package");
    if (name.empty()) continue;  // nothing to report: no name
    auto status = st.find("status");
    if (status == st.end()) {
      if (missing == MissingStatus::not_installed) continue;
    } else {
      // "want flag status": only the third word says whether files are on disk.
      auto words = util::split_ws(status->second);
      if (words.size() != 3 || words[2] != "installed") continue;
    }
    auto version = get(st, "version");
    if (version.empty()) {
      diags.warning("dpkg-no-version", fmt::format("{}:{}", path, line),
                    fmt::format("package {} has no Version; skipped", util::printable(name)));
      continue;
    }
    core::Package p;
    p.name = name;
    p.version = version;
    p.architecture = get(st, "architecture");
    p.ecosystem = core::Ecosystem::deb;
    p.path = std::string(path);
    if (auto colon = version.find(':'); colon != std::string::npos) {
      if (auto e = util::parse_u64(version.substr(0, colon)); e && *e <= 0x7fffffff) p.epoch = static_cast<int>(*e);
    }
    // "Source: name (version)" when the source version differs, else "Source: name".
    auto source = get(st, "source");
    p.source_name = name;
    p.source_version = version;
    if (!source.empty()) {
      auto open = source.find('(');
      p.source_name = std::string(util::trim(source.substr(0, open)));
      if (open != std::string::npos) {
        auto close = source.find(')', open);
        if (close != std::string::npos)
          p.source_version = std::string(util::trim(source.substr(open + 1, close - open - 1)));
      }
    }
    out.push_back(std::move(p));
  }
  return out;
}

std::string parse_dep5_licenses(std::string_view text) {
  std::vector<std::string> seen;
  for (auto line : util::split(text, '\n')) {
    if (!line.starts_with("License:")) continue;
    auto v = std::string(util::trim(line.substr(8)));
    if (v.empty()) continue;
    bool dup = false;
    for (auto& s : seen) dup = dup || s == v;
    if (!dup) seen.push_back(v);
  }
  return util::join(seen, " AND ");
}

}  // namespace bulwark::catalog
