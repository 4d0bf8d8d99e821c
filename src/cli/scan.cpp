// `bulwark image TARGET`, `bulwark rootfs DIR` and `bulwark sbom-scan FILE`: the
// packages of an image, a root filesystem or an SBOM, matched against the advisory
// database (vuln/match), reported as a table, bulwark's JSON or CycloneDX with
// vulnerabilities.
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/pipeline.hpp"
#include "cli/policy_options.hpp"
#include "image/reference.hpp"
#include "report/report.hpp"
#include "report/vulnerabilities.hpp"
#include "sbom/reader.hpp"
#include "sbom/sbom.hpp"
#include "util/strings.hpp"
#include "vuln/db/store.hpp"
#include "vuln/match/matcher.hpp"

namespace bulwark::cli {

namespace {

enum class Input { image, rootfs, sbom };

struct VulnScanOptions {
  Input input = Input::image;
  std::string target;
  std::string format = "table";
  std::string db;
  // image sources
  std::string creds;
  bool tls_verify = true;
  std::string platform;
  std::string docker_host;
  ScanOptions scan;
  PolicyOptions policy;
};

Result<image::SourceOptions> source_options(const VulnScanOptions& o) {
  image::SourceOptions so;
  so.platform = o.platform;
  so.tls_verify = o.tls_verify ? image::TlsVerify::yes : image::TlsVerify::no;
  if (!o.docker_host.empty()) so.docker_host = o.docker_host;
  if (!o.creds.empty()) {
    const auto colon = o.creds.find(':');
    if (colon == std::string::npos) return fail(ErrorCode::invalid_argument, "--creds must be USER:PASSWORD");
    so.username = o.creds.substr(0, colon);
    so.password = o.creds.substr(colon + 1);
  } else {
    const char* u = std::getenv("BULWARK_USERNAME");
    const char* p = std::getenv("BULWARK_PASSWORD");
    if (u && *u) so.username = u;
    if (p) so.password = p;
  }
  return so;
}

// The advisory database, opened read-only; a missing file gets a message that says what to do.
Result<vuln::db::Store> open_database(const VulnScanOptions& o, const core::Context& ctx) {
  const std::filesystem::path path =
      o.db.empty() ? vuln::db::default_db_path(ctx.cache_dir) : std::filesystem::path(o.db);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return fail(ErrorCode::not_found,
                "advisory database not found; run `bulwark db import PATH...` or `bulwark db update` first, "
                "or name one with --db",
                path.string());
  }
  if (std::filesystem::is_directory(path, ec)) {
    return fail(ErrorCode::invalid_argument, "--db names a folder, not a database file", path.string());
  }
  auto store = vuln::db::Store::open(path, vuln::db::OpenMode::read_only);
  if (!store) return std::unexpected(store.error());
  // A damaged file can open and still fail on first use: ask it something now.
  if (auto probe = store->has_ecosystem("PyPI"); !probe) return std::unexpected(probe.error());
  return store;
}

Result<core::ScanResult> inventory_of(const VulnScanOptions& o, const core::Context& ctx, core::Diagnostics& diags) {
  if (o.input == Input::sbom) return sbom::read_sbom(o.target, ctx.limits, diags);
  std::string text = o.target;
  if (o.input == Input::rootfs) {
    std::error_code ec;
    if (!std::filesystem::is_directory(o.target, ec)) {
      return fail(ErrorCode::not_found, "not a folder (rootfs takes a root filesystem folder)", o.target);
    }
    if (!o.target.starts_with("dir:")) text = "dir:" + o.target;
  }
  auto ref = image::parse_reference(text);
  if (!ref) return std::unexpected(ref.error());
  auto so = source_options(o);
  if (!so) return std::unexpected(so.error());
  return inventory(*ref, *so, ctx, diags);
}

int run_scan(const VulnScanOptions& o) {
  auto session = make_session(o.scan);
  auto store = open_database(o, session.context);
  if (!store) return report_error(store.error());

  core::Diagnostics diags;
  auto result = inventory_of(o, session.context, diags);
  if (!result) {
    session.progress->end();
    return report_error(result.error());
  }
  session.progress->note("matching packages against the advisory database");
  vuln::match::Matcher matcher(*store);
  auto stats = matcher.match_all(*result, diags);
  session.progress->end();
  if (!stats) return report_error(stats.error());
  for (const auto& d : diags.items()) std::fprintf(stderr, "bulwark: %s\n", util::printable(d.describe()).c_str());
  std::stable_sort(result->findings.begin(), result->findings.end(),
                   [](const core::Finding& a, const core::Finding& b) {
                     const auto& pa = a.package ? a.package->name : std::string();
                     const auto& pb = b.package ? b.package->name : std::string();
                     if (pa != pb) return pa < pb;
                     if (a.severity != b.severity) return a.severity > b.severity;
                     return a.id < b.id;
                   });

  std::vector<core::ScanResult> results{std::move(*result)};
  auto outcome = apply_policy_and_warn(results, o.policy);
  if (!outcome) return report_error(outcome.error());

  std::string text;
  if (o.format == "table") {
    text = report::vulnerability_table(results.front(), ::isatty(STDOUT_FILENO) && o.scan.output.empty());
  } else if (o.format == "json") {
    report::JsonOptions jo;
    jo.tool_version = BULWARK_VERSION;
    text = report::write_json(results, jo);
  } else if (o.format == "sarif") {
    report::SarifOptions so;
    so.tool_version = BULWARK_VERSION;
    text = report::write_sarif(results, so);
  } else {
    text = sbom::write_cyclonedx(results.front(), {BULWARK_VERSION, {}});
  }
  if (auto st = write_output(o.scan, text); !st) return report_error(st.error());
  return outcome->failing > 0 ? o.policy.exit_code : kExitOk;
}

void add_common(CLI::App& cmd, VulnScanOptions& o) {
  cmd.add_option("-f,--format", o.format, "Output: table, json, sarif, cyclonedx (with vulnerabilities)")
      ->check(CLI::IsMember({"table", "json", "sarif", "cyclonedx"}));
  cmd.add_option("--db", o.db, "Advisory database (default $BULWARK_DB, else <cache dir>/db/bulwark.db)");
  add_scan_options(cmd, o.scan);
  add_policy_options(cmd, o.policy);
}

constexpr const char* kDbNote =
    "The advisory database is made by `bulwark db import` / `bulwark db update`. OS packages match their\n"
    "vendor's advisories only (Debian by source package, Alpine and Wolfi by origin); see\n"
    "docs/vulnerability-scanning.md for what is covered.";

}  // namespace

void register_image(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<VulnScanOptions>();
  o->input = Input::image;
  auto* cmd = app.add_subcommand("image", "Scan an image's packages for known vulnerabilities");
  cmd->footer(
      fmt::format("TARGET is an image reference in skopeo's transport syntax:\n"
                  "  docker-archive:PATH[:REF]  oci-archive:PATH[:TAG]  oci:DIR[:TAG]\n"
                  "  docker-daemon:NAME[:TAG]   docker://HOST/REPO[:TAG|@sha256:...]\n"
                  "\n"
                  "Examples:\n"
                  "  bulwark image docker-archive:app.tar\n"
                  "  bulwark image docker-daemon:debian:11 --format json -o findings.json\n"
                  "  bulwark image oci:./layout:v1 --format cyclonedx\n"
                  "  bulwark image docker://127.0.0.1:5000/app:1 --creds user:pass --db ./bulwark.db\n"
                  "  bulwark image docker-archive:app.tar --severity high --ignore-unfixed --exit-code 1\n"
                  "  bulwark image docker-archive:app.tar --format sarif -o bulwark.sarif\n"
                  "\n{}",
                  kDbNote));
  cmd->add_option("TARGET", o->target, "Image reference")->required();
  cmd->add_option("--creds", o->creds, "Registry credentials USER:PASSWORD");
  cmd->add_option("--tls-verify", o->tls_verify, "Verify registry TLS (false allows plain HTTP)")->default_str("true");
  cmd->add_option("--platform", o->platform, "os/arch[/variant] to pick from a multi-platform image");
  cmd->add_option("--docker-host", o->docker_host, "Docker engine socket (default unix:///var/run/docker.sock)");
  add_common(*cmd, *o);
  cmd->callback([o, &exit_code] { exit_code = run_scan(*o); });
}

void register_rootfs(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<VulnScanOptions>();
  o->input = Input::rootfs;
  auto* cmd = app.add_subcommand("rootfs", "Scan a root filesystem folder's packages for known vulnerabilities");
  cmd->footer(
      fmt::format("Examples:\n"
                  "  bulwark rootfs /srv/chroot/bullseye\n"
                  "  bulwark rootfs ./unpacked --format json\n"
                  "\n{}",
                  kDbNote));
  cmd->add_option("DIR", o->target, "Root filesystem folder")->required();
  add_common(*cmd, *o);
  cmd->callback([o, &exit_code] { exit_code = run_scan(*o); });
}

void register_sbom_scan(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<VulnScanOptions>();
  o->input = Input::sbom;
  auto* cmd = app.add_subcommand("sbom-scan", "Scan the packages an SBOM lists (CycloneDX or SPDX JSON, by purl)");
  cmd->footer(fmt::format(
      "FILE is a CycloneDX (1.2-1.6) or SPDX 2.x JSON document; components are matched by purl\n"
      "(deb, apk, pypi, npm, golang, cargo, maven, gem). Components without a purl are skipped.\n"
      "\n"
      "Examples:\n"
      "  bulwark sbom-scan app.cdx.json\n"
      "  bulwark sbom docker-archive:app.tar -f cyclonedx -o app.cdx.json && bulwark sbom-scan app.cdx.json\n"
      "  bulwark sbom-scan app.spdx.json --format cyclonedx -o app.vex.cdx.json\n"
      "\n{}",
      kDbNote));
  cmd->add_option("FILE", o->target, "SBOM file")->required();
  add_common(*cmd, *o);
  cmd->callback([o, &exit_code] { exit_code = run_scan(*o); });
}

BULWARK_COMMAND(image, 20, register_image);
BULWARK_COMMAND(rootfs, 21, register_rootfs);
BULWARK_COMMAND(sbom_scan, 22, register_sbom_scan);

}  // namespace bulwark::cli
