// Policy: what a user decided about findings, applied to any scanner's results
// before they are reported (docs/policy.md).
//
//   - severity: findings below a minimum (or outside a chosen set) are dropped;
//   - --ignore-unfixed: vulnerabilities without a fixed version are dropped;
//   - ignore files: YAML (an entry names a finding id or alias, optionally a
//     package (name or purl), with a reason and an optional expiry date; Trivy's
//     .trivyignore.yaml sections, purls and paths are read too) or Trivy's plain
//     .trivyignore (one id a line, `#` comments, an optional `exp:YYYY-MM-DD`),
//     told apart by name and content; an expired entry no longer suppresses and
//     is reported as a warning;
//   - OpenVEX documents (v0.2.0, and the older string forms): a statement whose
//     vulnerability (name or alias) and product (package purl, with or without
//     version and qualifiers; or the image by reference, digest or pkg:oci purl,
//     narrowed by subcomponents) match; not_affected and fixed suppress,
//     affected and under_investigation keep; the latest statement wins.
//
// Dropped findings are removed. Suppressed findings stay in the results with
// Finding::suppression set (JSON and SARIF keep them with the reason; tables and
// the exit code leave them out). A command then does
//   exit_code = outcome.failing > 0 ? options.exit_code : 0;
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/model.hpp"
#include "util/error.hpp"

namespace bulwark::report {

// An ignore file or VEX document held in memory (the server keeps a named policy's in its
// store): read exactly as a file of that name would be; name appears in reasons and messages.
struct PolicyDocument {
  std::string name;
  std::string text;
};

struct PolicyOptions {
  core::Severity min_severity = core::Severity::unknown;  // drop findings below this
  std::vector<core::Severity> severities;                 // when not empty: keep exactly these (overrides min)
  int exit_code = 0;                                      // the exit code when findings fail the policy
  core::Severity fail_on = core::Severity::unknown;       // only findings at or above this fail
  bool ignore_unfixed = false;
  std::vector<std::string> ignore_files;
  std::vector<std::string> vex_files;
  std::vector<PolicyDocument> ignore_documents;  // read after ignore_files
  std::vector<PolicyDocument> vex_documents;     // read after vex_files
  // --exit-code-scanners: the scanners whose findings trigger exit_code ("vuln", "config",
  // "secret"); empty = every scanner. A vulnerability scan that could not check every package
  // (VulnCoverage incomplete) fails like a finding while "vuln" is among them.
  std::vector<std::string> exit_scanners;
};

// The scanner a finding comes from: "vuln" (it has a vulnerability), "secret" (a secret
// rule's match, which carries a fingerprint) or "config" (every other check, end of life included).
[[nodiscard]] std::string_view scanner_of(const core::Finding& f) noexcept;

// Whether this scanner's findings (and, for "vuln", packages left unchecked) trigger --exit-code.
[[nodiscard]] bool exit_scanner(const PolicyOptions& options, std::string_view scanner) noexcept;

// Whether a finding left after the policy (neither dropped nor suppressed) fails it: status fail
// or warn, at or above fail_on, from an exit scanner. apply_policy counts these as `failing`.
[[nodiscard]] bool fails_policy(const core::Finding& f, const PolicyOptions& options) noexcept;

struct PolicyOutcome {
  std::size_t reported = 0;           // findings left to show (neither dropped nor suppressed; passed checks excluded)
  std::size_t failing = 0;            // of those, status fail or warn at or above fail_on from an exit scanner
  std::size_t dropped = 0;            // removed by severity or --ignore-unfixed
  std::size_t suppressed = 0;         // kept with a Suppression (ignore file or VEX)
  std::vector<std::string> warnings;  // expired ignore entries, unusable VEX statements
};

enum class IgnoreFormat { yaml, trivyignore };

// One entry of an ignore file, of either format.
struct IgnoreEntry {
  std::string id;                  // a finding id, an alias, or a Trivy check id (AVD-KSV-0001, KSV001)
  std::string package;             // a name or a purl; empty: every package
  std::vector<std::string> paths;  // Trivy YAML "paths": globs over the finding's file; empty: any
  std::string reason;              // YAML reason; .trivyignore: the comment after the entry
  std::string expires;             // YYYY-MM-DD or empty
  std::string file;
  int line = 0;
  IgnoreFormat format = IgnoreFormat::yaml;
};

// A file named ".trivyignore" is plain; otherwise the first line that is not blank or
// a comment decides: a YAML key ("ignore:"), list item ("- id: ...") or document
// marker means YAML, anything else (an id, maybe followed by exp:) plain lines.
[[nodiscard]] IgnoreFormat detect_ignore_format(std::string_view path, std::string_view text);

// Trivy's .trivyignore: one id a line, optionally followed by `exp:YYYY-MM-DD`; `#`
// starts a comment (a whole line, or after whitespace); blank lines, a UTF-8 BOM and
// CRLF line ends are accepted. Any other word after the id, or a bad date, fails with
// ErrorCode::parse naming path:line (a misspelt expiry must not ignore for ever).
[[nodiscard]] Result<std::vector<IgnoreEntry>> parse_trivyignore(std::string_view text, const std::string& path);

// today: "YYYY-MM-DD" (UTC), against which ignore entries expire.
// Fails (ErrorCode::parse / io / limit, naming the file and line) when an ignore
// file or VEX document cannot be read or is malformed; results are then unchanged.
[[nodiscard]] Result<PolicyOutcome> apply_policy(std::vector<core::ScanResult>& results, const PolicyOptions& options,
                                                 const std::string& today);

// "YYYY-MM-DD" for the current UTC date.
[[nodiscard]] std::string today_utc();

}  // namespace bulwark::report
