// The self-contained HTML report (`--format html`, `bulwark report html FILE.json`).
//
// One file that opens in a browser with no network: the bulwark/v1 JSON document is
// embedded as an inert data block (`<script type="application/json">`, with `<`, `>`,
// `&`, U+2028 and U+2029 written as \u escapes so no byte sequence from a scanned image
// can close the block or open a comment), and an inline script renders it with
// textContent only. A Content-Security-Policy meta tag allows exactly that script and
// that style sheet by their SHA-256 hashes and nothing else (no network, no eval, no
// inline handlers), so even markup that slipped into the page could not run.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/coverage.hpp"
#include "core/model.hpp"
#include "report/report.hpp"
#include "util/error.hpp"

namespace bulwark::report {

// The report of scan results. The JSON written into it is write_json's with the
// packages and passed checks included (the page counts passes per CIS section and
// hides them from the findings table until asked).
// With coverage (as write_json's), the page's document carries targets[i].vulnerability_coverage too.
[[nodiscard]] std::string write_html(const std::vector<core::ScanResult>& results, JsonOptions options,
                                     const std::vector<std::optional<core::VulnCoverage>>& coverage = {});

// The report of a saved bulwark/v1 document (`bulwark report html`). Fails when the
// text is not JSON, is nested deeper than the JSON limits allow, or is not a
// bulwark/v1 document (schema, targets and findings).
[[nodiscard]] Result<std::string> html_from_json(std::string_view document);

// The document as it sits inside the page's data block (exposed for tests).
[[nodiscard]] std::string escape_json_for_script(std::string_view json);

// The CSP source expression ('sha256-<base64>') of an inline script or style body.
[[nodiscard]] std::string csp_hash(std::string_view body);

}  // namespace bulwark::report
