#include "config/checks.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>

namespace bulwark::config {
namespace detail {
std::vector<std::pair<std::string_view, std::string_view>> embedded_check_files();
}  // namespace detail

namespace {

std::string scalar(const YAML::Node& node, const char* key) {
  const auto value = node[key];
  if (!value || !value.IsScalar()) return {};
  return value.as<std::string>();
}

Result<CheckDef> parse_check(const YAML::Node& node, std::string_view file) {
  CheckDef check;
  check.file = std::string(file);
  check.line = node.Mark().line + 1;
  const auto where = fmt::format("{}:{}", file, check.line);
  if (!node.IsMap()) return fail(ErrorCode::parse, "a check must be a mapping", where);
  check.id = scalar(node, "id");
  if (check.id.empty()) return fail(ErrorCode::parse, "a check has no id", where);
  const auto ctx = fmt::format("{} ({})", where, check.id);
  check.title = scalar(node, "title");
  if (check.title.empty()) return fail(ErrorCode::parse, "the check has no title", ctx);
  check.description = scalar(node, "description");
  check.remediation = scalar(node, "remediation");
  const auto severity = core::parse_severity(scalar(node, "severity"));
  if (!severity) return fail(ErrorCode::parse, "severity must be critical, high, medium, low or info", ctx);
  check.severity = *severity;
  const auto practice = core::parse_practice(scalar(node, "practice"));
  if (!practice) return fail(ErrorCode::parse, "practice must be one of the ten practices", ctx);
  check.practice = *practice;
  if (const auto standards = node["standards"]) {
    if (!standards.IsSequence()) return fail(ErrorCode::parse, "standards must be a list", ctx);
    for (const auto& s : standards) {
      core::StandardRef ref;
      ref.name = scalar(s, "name");
      ref.id = scalar(s, "id");
      ref.version = scalar(s, "version");
      ref.level = scalar(s, "level");
      ref.control = scalar(s, "control");
      if (ref.name.empty()) return fail(ErrorCode::parse, "a standard has no name", ctx);
      check.standards.push_back(std::move(ref));
    }
  }
  if (const auto refs = node["references"]) {
    if (!refs.IsSequence()) return fail(ErrorCode::parse, "references must be a list", ctx);
    for (const auto& r : refs) check.references.push_back(r.as<std::string>());
  }
  if (const auto examples = node["examples"]) {
    if (!examples.IsSequence()) return fail(ErrorCode::parse, "examples must be a list", ctx);
    for (const auto& e : examples) {
      CheckExample example;
      example.kind = scalar(e, "kind");
      example.content = scalar(e, "content");
      example.note = scalar(e, "note");
      const auto fires = e["fires"];
      if (!fires || !fires.IsScalar()) return fail(ErrorCode::parse, "an example needs fires: true|false", ctx);
      example.fires = fires.as<bool>();
      if (example.kind.empty() || example.content.empty()) {
        return fail(ErrorCode::parse, "an example needs a kind and content", ctx);
      }
      check.examples.push_back(std::move(example));
    }
  }
  return check;
}

}  // namespace

Result<CheckCatalog> CheckCatalog::parse(std::string_view yaml_text, std::string_view file_name) {
  CheckCatalog catalog;
  try {
    const auto root = YAML::Load(std::string(yaml_text));
    const auto checks = root["checks"];
    if (!checks || !checks.IsSequence()) {
      return fail(ErrorCode::parse, "expected a top-level 'checks:' list", std::string(file_name));
    }
    std::set<std::string> seen;
    for (const auto& node : checks) {
      auto check = parse_check(node, file_name);
      if (!check) return std::unexpected(check.error());
      if (!seen.insert(check->id).second) {
        return fail(ErrorCode::parse, "duplicate check id " + check->id, std::string(file_name));
      }
      catalog.checks_.push_back(std::move(*check));
    }
  } catch (const YAML::Exception& e) {
    return fail(ErrorCode::parse, e.msg, fmt::format("{}:{}:{}", file_name, e.mark.line + 1, e.mark.column + 1));
  }
  return catalog;
}

Status CheckCatalog::merge(CheckCatalog other) {
  for (auto& check : other.checks_) {
    if (find(check.id) != nullptr) {
      return fail(ErrorCode::parse, fmt::format("check id {} is defined twice", check.id), check.file);
    }
    checks_.push_back(std::move(check));
  }
  return {};
}

const CheckDef* CheckCatalog::find(std::string_view id) const noexcept {
  for (const auto& check : checks_) {
    if (check.id == id) return &check;
  }
  return nullptr;
}

const CheckCatalog& CheckCatalog::builtin() {
  static const CheckCatalog catalog = [] {
    CheckCatalog all;
    for (const auto& [name, text] : detail::embedded_check_files()) {
      auto one = parse(text, std::string("checks/") + std::string(name));
      if (!one) {
        std::fprintf(stderr, "bulwark: internal error: embedded %s: %s\n", one.error().context.c_str(),
                     one.error().message.c_str());
        std::abort();
      }
      if (auto merged = all.merge(std::move(*one)); !merged) {
        std::fprintf(stderr, "bulwark: internal error: %s: %s\n", merged.error().context.c_str(),
                     merged.error().message.c_str());
        std::abort();
      }
    }
    return all;
  }();
  return catalog;
}

const CheckDef& builtin_check(std::string_view id) {
  if (const auto* check = CheckCatalog::builtin().find(id)) return *check;
  std::fprintf(stderr, "bulwark: internal error: no built-in check %.*s\n", static_cast<int>(id.size()), id.data());
  std::abort();
}

core::Finding make_finding(const CheckDef& check, const core::Target& target, core::Location location,
                           std::string evidence) {
  core::Finding f;
  f.id = check.id;
  f.title = check.title;
  f.severity = check.severity;
  f.status = core::FindingStatus::fail;
  f.practice = check.practice;
  f.target = target;
  f.location = std::move(location);
  f.standards = check.standards;
  f.evidence = std::move(evidence);
  f.remediation = check.remediation;
  f.references = check.references;
  return f;
}

namespace {
std::string standard_text(const core::StandardRef& s) {
  std::string out = s.name;
  std::vector<std::string> parts;
  for (const auto* p : {&s.id, &s.level, &s.control, &s.version}) {
    if (!p->empty()) parts.push_back(*p);
  }
  if (!parts.empty()) {
    out += " ";
    for (std::size_t i = 0; i < parts.size(); ++i) out += (i ? " / " : "") + parts[i];
  }
  return out;
}
std::string one_line(std::string s) {
  std::replace(s.begin(), s.end(), '\n', ' ');
  while (!s.empty() && s.back() == ' ') s.pop_back();
  std::string out;
  for (char c : s) out += (c == '|') ? std::string("\\|") : std::string(1, c);
  return out;
}
}  // namespace

std::string checks_markdown(const CheckCatalog& catalog) {
  std::map<std::string, std::vector<const CheckDef*>> by_file;
  for (const auto& check : catalog.all()) by_file[check.file].push_back(&check);
  std::string out =
      "# Configuration checks\n\n"
      "Generated from checks/*.yaml by `bulwark config --list-checks --format markdown`; do not edit by hand.\n\n";
  out += fmt::format("{} checks in {} files.\n", catalog.all().size(), by_file.size());
  for (const auto& [file, checks] : by_file) {
    out += fmt::format(
        "\n## {}\n\n| id | title | severity | practice | same control elsewhere |\n|---|---|---|---|---|\n", file);
    for (const auto* c : checks) {
      std::string standards;
      for (const auto& s : c->standards) standards += (standards.empty() ? "" : "; ") + standard_text(s);
      out += fmt::format("| {} | {} | {} | {} | {} |\n", c->id, one_line(c->title), core::to_string(c->severity),
                         core::to_string(c->practice), one_line(standards));
    }
  }
  return out;
}

}  // namespace bulwark::config
