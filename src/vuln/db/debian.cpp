// Debian security tracker text lists: data/{DSA,DLA,DTSA}/list (one entry per
// advisory: "[date] DSA-NNNN-N pkg - title", "{CVE-...}", "[suite] - pkg version")
// and data/CVE/list (one entry per CVE: "- pkg version" for unstable, "[suite] - pkg
// <state> (note)" per release).
#include <fmt/format.h>

#include <array>
#include <utility>

#include "util/strings.hpp"
#include "vuln/db/parsers.hpp"

namespace bulwark::vuln::db {
namespace {

constexpr std::array<std::pair<std::string_view, std::string_view>, 17> kSuites{{
    {"buzz", "1.1"},
    {"rex", "1.2"},
    {"bo", "1.3"},
    {"hamm", "2.0"},
    {"slink", "2.1"},
    {"potato", "2.2"},
    {"woody", "3.0"},
    {"sarge", "3.1"},
    {"etch", "4"},
    {"lenny", "5"},
    {"squeeze", "6"},
    {"wheezy", "7"},
    {"jessie", "8"},
    {"stretch", "9"},
    {"buster", "10"},
    {"bullseye", "11"},
    {"bookworm", "12"},
}};

// "(bug #1; low)", "(Minor issue)", "(unimportant)": urgency words become the severity,
// the rest is the vendor's note.
void read_parenthesis(std::string_view rest, std::string& note, std::string* severity) {
  rest = util::trim(rest);
  if (rest.size() < 2 || rest.front() != '(') return;
  const auto close = rest.rfind(')');
  rest = rest.substr(1, close == std::string_view::npos ? rest.size() - 1 : close - 1);
  std::vector<std::string> kept;
  for (auto part : util::split(rest, ';')) {
    part = util::trim(part);
    if (part.starts_with("bug #") || part.empty()) continue;
    if (severity && (part == "low" || part == "medium" || part == "high" || part == "unimportant")) {
      if (severity->empty()) *severity = std::string(part);
      continue;
    }
    kept.emplace_back(part);
  }
  note = util::join(kept, "; ");
}

struct PackageLine {
  std::string package;
  std::string version;  // or "<state>"
  std::string rest;
};

// "pkg version (note)" or "pkg <state> (note)"; the version may be separated by two spaces.
std::optional<PackageLine> split_package_line(std::string_view s) {
  const auto fields = util::split_ws(s);
  if (fields.empty()) return std::nullopt;
  PackageLine out;
  out.package = std::string(fields[0]);
  if (fields.size() > 1) out.version = std::string(fields[1]);
  if (fields.size() > 2) out.rest = std::string(s.substr(static_cast<std::size_t>(fields[2].data() - s.data())));
  return out;
}

std::optional<VendorState> state_word(std::string_view v) {
  if (v == "<unfixed>") return VendorState::unfixed;
  if (v == "<no-dsa>") return VendorState::no_dsa;
  if (v == "<not-affected>") return VendorState::not_affected;
  if (v == "<end-of-life>") return VendorState::end_of_life;
  if (v == "<removed>") return VendorState::removed;
  if (v == "<postponed>") return VendorState::postponed;
  if (v == "<ignored>") return VendorState::ignored;
  return std::nullopt;
}

// Fills af from "version"/"<state>"; false when the state word is unknown.
bool fill_state(Affected& af, const PackageLine& line, std::string* severity) {
  read_parenthesis(line.rest, af.note, severity);
  if (line.version.empty()) return false;
  if (line.version.front() == '<') {
    const auto st = state_word(line.version);
    if (!st) return false;
    af.state = *st;
    return true;
  }
  af.state = VendorState::fixed;
  // "0" would mean fixed before the first upload, i.e. never affected.
  if (line.version == "0") {
    af.state = VendorState::not_affected;
    return true;
  }
  af.ranges.push_back({RangeType::ecosystem, {}, {{EventKind::introduced, "0"}, {EventKind::fixed, line.version}}});
  return true;
}

// "29 Mar 2023" -> "2023-03-29"; other forms ("August 26th, 2005") stay as given.
std::string iso_date(std::string_view s) {
  static constexpr std::array<std::string_view, 12> months{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const auto f = util::split_ws(s);
  if (f.size() == 3 && f[0].size() <= 2 && f[2].size() == 4) {
    for (std::size_t m = 0; m < months.size(); ++m) {
      if (f[1] == months[m]) {
        return fmt::format("{}-{:02}-{:0>2}", f[2], m + 1, f[0]);
      }
    }
  }
  return std::string(s);
}

template <class Fn>
void for_each_line(std::string_view text, Fn&& fn) {
  int number = 0;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    auto line = text.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    fn(line, ++number);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
}

}  // namespace

std::string debian_ecosystem(std::string_view suite) {
  for (const auto& [name, number] : kSuites) {
    if (name == suite) return fmt::format("Debian:{}", number);
  }
  if (suite == "trixie") return "Debian:13";
  if (suite == "forky") return "Debian:14";
  if (suite == "sid" || suite == "unstable") return "Debian:unstable";
  return {};
}

std::vector<Advisory> parse_debian_advisory_list(std::string_view text, std::string_view source_name, ParseLog& log) {
  std::vector<Advisory> out;
  Advisory* current = nullptr;  // the last element of out while its lines are read
  auto finish = [&] { current = nullptr; };
  for_each_line(text, [&](std::string_view line, int number) {
    if (util::trim(line).empty()) return;
    if (line.front() == '[') {
      finish();
      // "[date] ID pkg... - title"
      const auto close = line.find(']');
      const auto fields =
          close == std::string_view::npos ? std::vector<std::string_view>{} : util::split_ws(line.substr(close + 1));
      if (fields.empty()) {
        log.reject("", "advisory header without an id", number);
        return;
      }
      out.emplace_back();
      current = &out.back();
      current->source = std::string(source_name);
      current->id = std::string(fields[0]);
      current->published = iso_date(line.substr(1, close - 1));
      const auto after_id = line.substr(static_cast<std::size_t>(fields[0].data() - line.data()) + fields[0].size());
      const auto dash = after_id.find(" - ");
      const auto packages = util::trim(after_id.substr(0, dash));
      const auto title = dash == std::string_view::npos ? std::string_view() : util::trim(after_id.substr(dash + 3));
      current->summary = title.empty() ? std::string(packages) : fmt::format("{}: {}", packages, title);
      log.count("records");
      return;
    }
    const auto body = util::trim(line);
    if (!current) {
      log.reject("", "line outside any advisory", number);
      return;
    }
    if (body.front() == '{') {
      const auto end = body.find('}');
      for (auto alias : util::split_ws(body.substr(1, end == std::string_view::npos ? body.size() - 1 : end - 1))) {
        add_alias(*current, alias);
      }
    } else if (body.front() == '[') {
      // "[suite] - pkg version (note)"
      const auto close = body.find(']');
      const auto suite = body.substr(1, close == std::string_view::npos ? 0 : close - 1);
      auto rest = close == std::string_view::npos ? std::string_view() : util::trim(body.substr(close + 1));
      if (!rest.starts_with("- ")) {
        log.warn(current->id, "bad-line", fmt::format("unreadable release line: {}", util::printable(body)), number);
        return;
      }
      const auto ecosystem = debian_ecosystem(suite);
      if (ecosystem.empty()) {
        log.warn(current->id, "unknown-suite", fmt::format("unknown Debian suite \"{}\"; line skipped", suite), number);
        return;
      }
      const auto parsed = split_package_line(rest.substr(2));
      Affected af;
      af.ecosystem = ecosystem;
      if (!parsed || !fill_state(af, *parsed, &current->severity)) {
        log.warn(current->id, "bad-line", fmt::format("unreadable release line: {}", util::printable(body)), number);
        return;
      }
      af.package = parsed->package;
      log.count(fmt::format("debian.state.{}", to_string(af.state)));
      current->affected.push_back(std::move(af));
    } else if (body.starts_with("NOTE:")) {
      // Free text for people.
    } else {
      log.warn(current->id, "bad-line", fmt::format("unexpected line: {}", util::printable(body)), number);
    }
  });
  finish();
  return out;
}

std::vector<Advisory> parse_debian_cve_list(std::string_view text, ParseLog& log) {
  std::vector<Advisory> out;
  std::optional<Advisory> current;
  int current_line = 0;
  auto finish = [&] {
    if (!current) return;
    if (current->id.find("XXXX") != std::string::npos) {
      // Placeholders are neither unique nor citable; the tracker renames them later.
      log.warn(current->id, "placeholder-id", "entry has no CVE id assigned yet; skipped", current_line);
      log.count("debian-cve.skipped");
    } else if (current->affected.empty()) {
      log.count("debian-cve.without-packages");  // NOT-FOR-US, RESERVED, TODO: nothing to match
    } else {
      out.push_back(std::move(*current));
      log.count("records");
    }
    current.reset();
  };
  for_each_line(text, [&](std::string_view line, int number) {
    if (util::trim(line).empty()) return;
    if (line.starts_with("CVE-") || line.starts_with("TEMP-")) {
      finish();
      log.count("debian-cve.entries");
      current.emplace();
      current_line = number;
      current->source = "debian-cve";
      const auto space = line.find(' ');
      current->id = std::string(line.substr(0, space));
      if (space != std::string_view::npos) {
        auto title = util::trim(line.substr(space + 1));
        if (title.size() >= 2 && (title.front() == '[' || title.front() == '('))
          title = title.substr(1, title.size() - 2);
        current->summary = std::string(title);
      }
      return;
    }
    if (!current) {
      log.reject("", "line outside any CVE entry", number);
      return;
    }
    const auto body = util::trim(line);
    std::string ecosystem;
    std::string_view rest;
    if (body.starts_with("- ")) {
      ecosystem = "Debian:unstable";
      rest = body.substr(2);
    } else if (body.front() == '[') {
      const auto close = body.find(']');
      const auto suite = body.substr(1, close == std::string_view::npos ? 0 : close - 1);
      rest = close == std::string_view::npos ? std::string_view() : util::trim(body.substr(close + 1));
      if (!rest.starts_with("- ")) {
        log.warn(current->id, "bad-line", fmt::format("unreadable release line: {}", util::printable(body)), number);
        return;
      }
      rest.remove_prefix(2);
      ecosystem = debian_ecosystem(suite);
      if (ecosystem.empty()) {
        log.warn(current->id, "unknown-suite", fmt::format("unknown Debian suite \"{}\"; line skipped", suite), number);
        return;
      }
    } else {
      return;  // NOTE:, TODO:, NOT-FOR-US:, RESERVED, REJECTED, {DSA-...} cross references
    }
    const auto parsed = split_package_line(rest);
    Affected af;
    af.ecosystem = ecosystem;
    if (!parsed || !fill_state(af, *parsed, &current->severity)) {
      log.warn(current->id, "bad-line", fmt::format("unreadable package line: {}", util::printable(body)), number);
      return;
    }
    af.package = parsed->package;
    current->affected.push_back(std::move(af));
  });
  finish();
  return out;
}

}  // namespace bulwark::vuln::db
