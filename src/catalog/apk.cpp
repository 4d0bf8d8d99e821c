// apk: lib/apk/db/installed, one "X:value" line per field, stanzas separated by blank lines.
#include <fmt/format.h>

#include "catalog/internal.hpp"
#include "util/strings.hpp"

namespace bulwark::catalog {

std::vector<core::Package> parse_apk_installed(std::string_view text, std::string_view path, core::Diagnostics& diags) {
  std::vector<core::Package> out;
  core::Package cur;
  int start_line = 0;
  int line_no = 0;
  auto flush = [&] {
    if (!cur.name.empty() || !cur.version.empty()) {
      if (cur.name.empty() || cur.version.empty()) {
        diags.warning("apk-incomplete", fmt::format("{}:{}", path, start_line),
                      "package record without P: or V: skipped");
      } else {
        cur.ecosystem = core::Ecosystem::apk;
        cur.path = std::string(path);
        if (cur.source_name.empty()) cur.source_name = cur.name;
        cur.source_version = cur.version;
        out.push_back(std::move(cur));
      }
    }
    cur = {};
  };
  for (auto line : util::split(text, '\n')) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) {
      flush();
      continue;
    }
    if (line.size() < 2 || line[1] != ':') continue;
    if (cur.name.empty() && cur.version.empty()) start_line = line_no;
    auto value = std::string(line.substr(2));
    switch (line[0]) {
      case 'P': cur.name = value; break;
      case 'V': cur.version = value; break;
      case 'A': cur.architecture = value; break;
      case 'o': cur.source_name = value; break;
      case 'L': cur.license = value; break;
      default: break;
    }
  }
  flush();
  return out;
}

}  // namespace bulwark::catalog
