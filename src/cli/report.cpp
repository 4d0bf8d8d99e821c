// `bulwark report html FILE.json [-o out.html]`: the self-contained HTML report of a
// saved bulwark/v1 document (any command's --format json output; report/html.hpp).
#include <memory>
#include <string>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "report/html.hpp"
#include "util/files.hpp"

namespace bulwark::cli {
namespace {

// A saved report larger than this is refused rather than read into memory.
constexpr std::uint64_t kMaxDocumentBytes = 512ull << 20;

struct ReportOptions {
  std::string input;
  ScanOptions scan;
};

int run_report_html(const ReportOptions& o) {
  auto text = util::read_file(o.input, kMaxDocumentBytes);
  if (!text) return report_error(text.error());
  auto html = report::html_from_json(*text);
  if (!html) {
    auto error = html.error();
    error.context = o.input;
    return report_error(error);
  }
  if (auto st = write_output(o.scan, *html); !st) return report_error(st.error());
  return kExitOk;
}

}  // namespace

void register_report(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("report", "Turn a saved bulwark/v1 JSON document into another report format");
  cmd->require_subcommand(1);
  auto opts = std::make_shared<ReportOptions>();
  auto* html = cmd->add_subcommand("html", "A self-contained HTML report (opens offline, strict CSP)");
  html->footer(
      "Examples:\n"
      "  bulwark image docker-archive:app.tar --format json -o app.json && bulwark report html app.json -o app.html\n"
      "  bulwark host --format json --include-passed | bulwark report html /dev/stdin > host.html\n"
      "\n"
      "Every command writes the same page directly with --format html.");
  html->add_option("FILE", opts->input, "A bulwark/v1 JSON document")->required();
  html->add_option("-o,--output", opts->scan.output, "Write the page to this file instead of stdout");
  html->callback([opts, &exit_code] { exit_code = run_report_html(*opts); });
}

BULWARK_COMMAND(report, 40, register_report);

}  // namespace bulwark::cli
