// The check catalogue. Every configuration check bulwark runs is described by data in
// checks/<area>.yaml (id, title, severity, practice, the same control's ids in other
// tools, remediation, references, and examples the tests run); the files are embedded
// into the binary at build time. Analyzers look their checks up by id and build
// findings with make_finding, so titles, severities and standards live in one place,
// and docs/checks.md is generated from the same data.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/model.hpp"
#include "util/error.hpp"

namespace bulwark::config {

struct CheckExample {
  std::string kind;  // dockerfile | compose | kubernetes
  bool fires = true;
  std::string content;
  std::string note;
};

struct CheckDef {
  std::string id;
  std::string title;
  std::string description;
  core::Severity severity = core::Severity::medium;
  core::Practice practice = core::Practice::limit_privileges;
  std::vector<core::StandardRef> standards;
  std::string remediation;
  std::vector<std::string> references;
  std::vector<CheckExample> examples;
  std::string file;  // the checks/*.yaml it came from
  int line = 0;
};

class CheckCatalog {
 public:
  // Every checks/*.yaml of the repository, embedded at build time. A broken
  // embedded file is a build defect: config_test loads it strictly.
  [[nodiscard]] static const CheckCatalog& builtin();

  // Parses one catalogue file; errors name file:line and the check id.
  [[nodiscard]] static Result<CheckCatalog> parse(std::string_view yaml_text, std::string_view file_name);

  // Adds another catalogue's checks; fails on a duplicate id.
  [[nodiscard]] Status merge(CheckCatalog other);

  [[nodiscard]] const CheckDef* find(std::string_view id) const noexcept;
  [[nodiscard]] const std::vector<CheckDef>& all() const noexcept { return checks_; }

 private:
  std::vector<CheckDef> checks_;
};

// The built-in check with this id. An unknown id is a programming error: it
// aborts with a message naming the id.
[[nodiscard]] const CheckDef& builtin_check(std::string_view id);

// A failing finding of `check` (status fail); callers set status for passes.
[[nodiscard]] core::Finding make_finding(const CheckDef& check, const core::Target& target, core::Location location,
                                         std::string evidence);

// docs/checks.md: every check, grouped by file, as Markdown.
[[nodiscard]] std::string checks_markdown(const CheckCatalog& catalog);

}  // namespace bulwark::config
