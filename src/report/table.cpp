// Tables for people: packages and findings, in aligned columns.
//
// Every cell that came from a scanned target (names, versions, titles copied
// from advisories) is passed through util::printable first, so an image cannot
// smuggle terminal escape sequences into the user's terminal. Widths are
// computed from the cells as printed; colour codes are added after padding so
// they never upset the alignment.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "report/report.hpp"
#include "report/vulnerabilities.hpp"
#include "util/strings.hpp"

namespace bulwark::report {

namespace {

constexpr std::string_view kBold = "\x1b[1m";
constexpr std::string_view kReset = "\x1b[0m";
constexpr std::string_view kEmptyCell = "-";
constexpr std::size_t kAllColumns = SIZE_MAX;

// Columns are aligned by code points, not bytes: a UTF-8 continuation byte
// takes no column of its own. (Wide CJK characters still count as one.)
std::size_t display_width(std::string_view s) {
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string cell(std::string_view untrusted) {
  if (untrusted.empty()) return std::string(kEmptyCell);
  return util::printable(untrusted);
}

// "sha256:1f1a4d5ce3e6a0c1..." -> "1f1a4d5ce3e6", the short form docker shows.
std::string short_digest(std::string_view digest) {
  if (digest.empty()) return std::string(kEmptyCell);
  if (auto colon = digest.find(':'); colon != std::string_view::npos) digest.remove_prefix(colon + 1);
  return util::printable(digest.substr(0, 12));
}

struct Row {
  std::vector<std::string> cells;
  std::string_view color;  // escape code for the cell at color_column, or empty
  std::size_t color_column = 0;
};

std::string render(const std::vector<std::string>& header, const std::vector<Row>& rows, bool color) {
  std::vector<std::size_t> widths(header.size());
  for (std::size_t c = 0; c < header.size(); ++c) widths[c] = display_width(header[c]);
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < row.cells.size(); ++c) widths[c] = std::max(widths[c], display_width(row.cells[c]));
  }
  auto line = [&](const std::vector<std::string>& cells, std::string_view code, std::size_t code_column) {
    std::string out;
    for (std::size_t c = 0; c < cells.size(); ++c) {
      bool last = c + 1 == cells.size();
      std::string padded = cells[c];
      // The last column is not padded: no trailing blanks.
      if (!last) padded += std::string(widths[c] - display_width(cells[c]) + 2, ' ');
      if (color && !code.empty() && (code_column == c || code_column == kAllColumns)) {
        // Colour the text only, not the padding after it.
        std::size_t text = cells[c].size();
        out += fmt::format("{}{}{}{}", code, padded.substr(0, text), kReset, padded.substr(text));
      } else {
        out += padded;
      }
    }
    out += "\n";
    return out;
  };
  std::string out = line(header, kBold, kAllColumns);
  for (const auto& row : rows) out += line(row.cells, row.color, row.color_column);
  return out;
}

std::string os_label(const core::OsInfo& os) {
  if (!os.pretty_name.empty()) return util::printable(os.pretty_name);
  if (os.known()) return util::printable(os.version_id.empty() ? os.id : os.id + " " + os.version_id);
  return "unknown";
}

std::string_view severity_color(core::Severity s) {
  switch (s) {
    case core::Severity::critical: return "\x1b[1;31m";
    case core::Severity::high: return "\x1b[31m";
    case core::Severity::medium: return "\x1b[33m";
    case core::Severity::low: return "\x1b[34m";
    case core::Severity::info:
    case core::Severity::unknown: return "";
  }
  return "";
}

std::string finding_subject(const core::Finding& f) {
  if (f.package) {
    if (f.package->version.empty()) return cell(f.package->name);
    return util::printable(f.package->name + " " + f.package->version);
  }
  if (!f.location.path.empty()) {
    std::string where = f.location.path;
    if (f.location.line > 0) where += fmt::format(":{}", f.location.line);
    return util::printable(where);
  }
  if (!f.location.layer.empty()) return "layer " + short_digest(f.location.layer);
  return cell(f.target.name);
}

}  // namespace

std::string package_table(const core::ScanResult& result, bool color) {
  std::string out = fmt::format("Target: {} ({})  OS: {}  Packages: {}\n", cell(result.target.name),
                                core::to_string(result.target.kind), os_label(result.os), result.packages.size());
  if (result.packages.empty()) return out + "No packages found.\n";
  out += "\n";
  std::vector<Row> rows;
  rows.reserve(result.packages.size());
  for (const auto& p : result.packages) {
    std::string source = cell(p.source_name);
    // Show the source version only where it differs (binNMUs, epochs added later).
    if (!p.source_name.empty() && !p.source_version.empty() && p.source_version != p.version) {
      source = util::printable(p.source_name + " " + p.source_version);
    }
    std::string type =
        p.ecosystem == core::Ecosystem::unknown ? std::string(kEmptyCell) : std::string(core::to_string(p.ecosystem));
    rows.push_back(
        Row{{cell(p.name), cell(p.version), source, cell(p.architecture), type, short_digest(p.layer)}, {}, 0});
  }
  return out + render({"NAME", "VERSION", "SOURCE", "ARCH", "TYPE", "LAYER"}, rows, color);
}

std::string findings_table(const std::vector<core::Finding>& findings, bool color) {
  // Findings suppressed by policy (ignore file, VEX) stay in JSON and SARIF only.
  std::vector<const core::Finding*> sorted;
  sorted.reserve(findings.size());
  std::size_t suppressed = 0;
  for (const auto& f : findings) {
    if (f.suppression) {
      ++suppressed;
    } else {
      sorted.push_back(&f);
    }
  }
  std::string note = suppressed == 0 ? std::string()
                                     : std::to_string(suppressed) + (suppressed == 1 ? " finding" : " findings") +
                                           " suppressed by policy (listed in --format json).\n";
  if (sorted.empty()) return "No findings.\n" + note;
  // Most severe first; within a severity, by id, so the output is stable.
  std::stable_sort(sorted.begin(), sorted.end(), [](const core::Finding* a, const core::Finding* b) {
    if (a->severity != b->severity) return a->severity > b->severity;
    return a->id < b->id;
  });
  std::vector<Row> rows;
  rows.reserve(sorted.size());
  for (const auto* f : sorted) {
    rows.push_back(Row{{cell(f->id), std::string(core::to_string(f->severity)), finding_subject(*f), cell(f->title)},
                       severity_color(f->severity),
                       1});
  }
  return render({"ID", "SEVERITY", "PACKAGE/LOCATION", "TITLE"}, rows, color) + note;
}

}  // namespace bulwark::report

namespace bulwark::report {

std::string vulnerability_table(const core::ScanResult& result, bool color) {
  std::vector<Row> rows;
  std::array<std::size_t, 6> by_severity{};
  std::size_t suppressed = 0;
  for (const auto& f : result.findings) {
    if (!f.vulnerability) continue;
    if (f.suppression) {
      ++suppressed;  // listed in JSON and SARIF only, as in findings_table
      continue;
    }
    ++by_severity[static_cast<std::size_t>(f.severity)];
    const auto& v = *f.vulnerability;
    std::string package = f.package ? cell(f.package->name) : std::string(kEmptyCell);
    std::string installed = f.package ? cell(f.package->version) : std::string(kEmptyCell);
    rows.push_back(Row{{package, installed, cell(v.fixed_version), cell(v.state),
                        std::string(core::to_string(f.severity)), cell(f.id), short_digest(f.location.layer)},
                       severity_color(f.severity),
                       4});
  }
  std::string counts;
  for (auto s : {core::Severity::critical, core::Severity::high, core::Severity::medium, core::Severity::low,
                 core::Severity::info, core::Severity::unknown}) {
    if (const auto n = by_severity[static_cast<std::size_t>(s)]; n > 0) {
      counts += fmt::format("{}{} {}", counts.empty() ? "" : ", ", core::to_string(s), n);
    }
  }
  std::string out = fmt::format("Target: {} ({})  OS: {}  Packages: {}  Vulnerabilities: {}{}\n",
                                cell(result.target.name), core::to_string(result.target.kind), os_label(result.os),
                                result.packages.size(), rows.size(), counts.empty() ? "" : " (" + counts + ")");
  const std::string note = suppressed == 0
                               ? std::string()
                               : fmt::format("{} vulnerabilit{} suppressed by policy (listed in --format json).\n",
                                             suppressed, suppressed == 1 ? "y" : "ies");
  if (rows.empty()) return out + "No known vulnerabilities.\n" + note;
  out += "\n";
  return out + render({"PACKAGE", "INSTALLED", "FIXED", "STATE", "SEVERITY", "ID", "LAYER"}, rows, color) + note;
}

}  // namespace bulwark::report
