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
#include <map>
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

// Shortens s to at most width code points, keeping its start and its end around "...".
std::string shorten(const std::string& s, std::size_t width) {
  if (display_width(s) <= width) return s;
  if (width <= 3) return std::string(width, '.');
  // Code point boundaries, so a UTF-8 sequence is never cut.
  std::vector<std::size_t> starts;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) starts.push_back(i);
  }
  const std::size_t keep = width - 3;
  const std::size_t head = (keep + 1) / 2;
  const std::size_t tail = keep - head;
  const std::size_t n = starts.size();
  return s.substr(0, starts[head]) + "..." + s.substr(starts[n - tail]);
}

// Fitting a table to max_width columns: columns give up characters in the order `shrink` names
// them (column index and the width it may shrink to), each down to its floor before the next.
struct Fit {
  std::size_t max_width = 0;  // 0: no limit
  std::vector<std::pair<std::size_t, std::size_t>> shrink;
};

std::string render(const std::vector<std::string>& header, std::vector<Row> rows, bool color, const Fit& fit = {}) {
  std::vector<std::size_t> widths(header.size());
  for (std::size_t c = 0; c < header.size(); ++c) widths[c] = display_width(header[c]);
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < row.cells.size(); ++c) widths[c] = std::max(widths[c], display_width(row.cells[c]));
  }
  if (fit.max_width > 0 && !widths.empty()) {
    std::size_t total = 2 * (widths.size() - 1);
    for (auto w : widths) total += w;
    bool cut = false;
    for (const auto& [c, floor] : fit.shrink) {
      if (total <= fit.max_width) break;
      if (c >= widths.size() || widths[c] <= floor) continue;
      const std::size_t give = std::min(widths[c] - floor, total - fit.max_width);
      widths[c] -= give;
      total -= give;
      cut = true;
    }
    if (cut) {
      for (auto& row : rows) {
        for (std::size_t c = 0; c < row.cells.size(); ++c) row.cells[c] = shorten(row.cells[c], widths[c]);
      }
    }
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
  return package_table(result, TableOptions{color, 0});
}

std::string package_table(const core::ScanResult& result, const TableOptions& options) {
  std::string out = fmt::format("Target: {} ({})  OS: {}  Packages: {}\n", cell(result.target.name),
                                core::to_string(result.target.kind), os_label(result.os), result.packages.size());
  if (result.packages.empty()) return out + "No packages found.\n";
  out += "\n";
  // What matters first: the OS's packages, then language packages, then local modules in development.
  auto rank = [](const core::Package& p) {
    if (p.version == "(devel)") return 2;
    switch (p.ecosystem) {
      case core::Ecosystem::deb:
      case core::Ecosystem::apk:
      case core::Ecosystem::rpm: return 0;
      default: return 1;
    }
  };
  std::vector<const core::Package*> sorted;
  sorted.reserve(result.packages.size());
  for (const auto& p : result.packages) sorted.push_back(&p);
  std::stable_sort(sorted.begin(), sorted.end(),
                   [&](const core::Package* a, const core::Package* b) { return rank(*a) < rank(*b); });
  std::map<std::string, std::size_t, std::less<>> name_count;
  for (const auto* p : sorted) ++name_count[p->name];
  const bool duplicates =
      std::any_of(name_count.begin(), name_count.end(), [](const auto& kv) { return kv.second > 1; });
  std::vector<Row> rows;
  rows.reserve(sorted.size());
  for (const auto* p : sorted) {
    std::string source = cell(p->source_name);
    if (!p->source_name.empty() && !p->source_version.empty() && p->source_version != p->version) {
      source = util::printable(p->source_name + " " + p->source_version);
    }
    std::string type =
        p->ecosystem == core::Ecosystem::unknown ? std::string(kEmptyCell) : std::string(core::to_string(p->ecosystem));
    Row row{{cell(p->name), cell(p->version), source, cell(p->architecture), type, short_digest(p->layer)}, {}, 0};
    if (duplicates) row.cells.push_back(name_count[p->name] > 1 ? cell(p->path) : std::string(kEmptyCell));
    rows.push_back(std::move(row));
  }
  std::vector<std::string> header{"NAME", "VERSION", "SOURCE", "ARCH", "TYPE", "LAYER"};
  if (duplicates) header.emplace_back("LOCATION");
  // SOURCE, VERSION and LOCATION give way before NAME does; the name is what people look for.
  Fit fit{options.width, {{2, 12}, {1, 18}, {6, 24}, {0, 28}, {6, 12}, {2, 6}, {1, 10}, {0, 12}}};
  return out + render(header, std::move(rows), options.color, fit);
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

std::string plain_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                        bool color) {
  std::vector<Row> out;
  out.reserve(rows.size());
  for (const auto& r : rows) {
    Row row;
    for (const auto& c : r) row.cells.push_back(cell(c));
    out.push_back(std::move(row));
  }
  return render(header, out, color);
}

}  // namespace bulwark::report

namespace bulwark::report {

std::string coverage_gap_text(const core::VulnCoverage& coverage) {
  if (coverage.complete()) return {};
  std::vector<std::string> parts;
  for (const auto& g : coverage.gaps) {
    if (!g.counts) continue;
    parts.push_back(
        fmt::format("{} {}package{}: {}", g.packages, g.os ? "OS " : "", g.packages == 1 ? "" : "s", g.reason));
  }
  const auto n = coverage.unchecked();
  return fmt::format("{} of {} package{} NOT checked for vulnerabilities (no vulnerability data): {}", n,
                     coverage.packages, coverage.packages == 1 ? " was" : "s were", util::join(parts, "; "));
}

std::string base_image_line(const core::ScanResult& result) {
  if (!result.image || (result.image->base_name.empty() && result.image->base_digest.empty())) return {};
  return fmt::format("Base image: {}{}{} (from the manifest annotations)\n",
                     result.image->base_name.empty() ? "(unnamed)" : cell(result.image->base_name),
                     result.image->base_digest.empty() ? "" : "@", cell(result.image->base_digest));
}

std::string vulnerability_table(const core::ScanResult& result, bool color, const core::VulnCoverage* coverage) {
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
  out += base_image_line(result);
  const std::string note = suppressed == 0
                               ? std::string()
                               : fmt::format("{} vulnerabilit{} suppressed by policy (listed in --format json).\n",
                                             suppressed, suppressed == 1 ? "y" : "ies");
  std::string gap;
  if (coverage != nullptr && !coverage->complete()) {
    const auto& c = *coverage;
    gap = fmt::format("{}: {}.\n", color ? "\x1b[1;31mNOT FULLY CHECKED\x1b[0m" : "NOT FULLY CHECKED",
                      cell(coverage_gap_text(c)));
    gap +=
        "This is not an all-clear for those packages: import advisories for them (bulwark db update, bulwark db "
        "import; see docs/vulnerability-scanning.md).\n";
    if (rows.empty()) {
      return out + gap +
             (c.checked > 0 ? fmt::format("No known vulnerabilities in the {} package{} that were checked.\n",
                                          c.checked, c.checked == 1 ? "" : "s")
                            : std::string()) +
             note;
    }
  } else if (rows.empty()) {
    return out + "No known vulnerabilities.\n" + note;
  }
  out += "\n";
  return out + render({"PACKAGE", "INSTALLED", "FIXED", "STATE", "SEVERITY", "ID", "LAYER"}, rows, color) + note +
         (gap.empty() ? std::string() : "\n" + gap);
}

}  // namespace bulwark::report
