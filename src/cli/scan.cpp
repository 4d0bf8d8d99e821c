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
#include <ctime>
#include <filesystem>
#include <memory>
#include <optional>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/policy_options.hpp"
#include "cli/secret_options.hpp"
#include "cli/upload.hpp"
#include "image/reference.hpp"
#include "report/html.hpp"
#include "report/policy.hpp"
#include "report/report.hpp"
#include "report/vulnerabilities.hpp"
#include "sbom/sbom.hpp"
#include "scan/scan.hpp"
#include "trust/policy.hpp"
#include "util/strings.hpp"
#include "vuln/db/store.hpp"

namespace bulwark::cli {

namespace {

using scan::Input;

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
  std::string containerd_root;
  std::string containerd_namespace;
  ScanOptions scan;
  UploadFlags upload;
  PolicyOptions policy;
  std::vector<std::string> scanners{"vuln", "config", "secret"};
  SecretOptions secrets;
  std::string trust_policy;  // --trust-policy: turns the trust scanner on
};

Result<image::SourceOptions> source_options(const VulnScanOptions& o) {
  image::SourceOptions so;
  so.platform = o.platform;
  so.tls_verify = o.tls_verify ? image::TlsVerify::yes : image::TlsVerify::no;
  if (!o.docker_host.empty()) so.docker_host = o.docker_host;
  if (!o.containerd_root.empty()) so.containerd_root = o.containerd_root;
  so.containerd_namespace = o.containerd_namespace;
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

int run_scan(const VulnScanOptions& o) {
  std::optional<trust::TrustPolicy> trust_policy;
  const bool trust_asked = std::find(o.scanners.begin(), o.scanners.end(), "trust") != o.scanners.end();
  if (trust_asked && o.trust_policy.empty()) {
    return report_error(Error{ErrorCode::invalid_argument, "the trust scanner needs --trust-policy FILE", {}});
  }
  if (!o.trust_policy.empty()) {
    auto tp = trust::load_trust_policy(o.trust_policy);
    if (!tp) return report_error(tp.error());
    trust_policy = std::move(*tp);
  }
  auto session = make_session(o.scan);
  scan::Request request;
  request.input = o.input;
  request.target = o.target;
  request.scanners = o.scanners;
  // The package inventory is the vulnerability scanner's input and part of the document a
  // CycloneDX output or an upload carries; `--scanners secret` alone reads no package database.
  request.packages = request.wants("vuln") || request.wants("config") || o.format == "cyclonedx" ||
                     [upload = o.upload]() mutable { return upload_asked(upload); }();
  if (o.input != Input::sbom) {
    auto so = source_options(o);
    if (!so) return report_error(so.error());
    request.source = std::move(*so);
  }
  const bool vulns = request.wants("vuln");
  std::optional<vuln::db::Store> store;
  if (vulns) {
    auto opened = scan::open_database(o.db, session.context);
    if (!opened) return report_error(opened.error());
    store = std::move(*opened);
  }

  core::Diagnostics diags;
  if (o.input != Input::sbom && request.wants("secret")) {
    auto engine = make_secret_engine(o.secrets, o.format == "sarif", diags, session.context.cache_dir.string());
    if (!engine) return report_error(engine.error());
    request.secrets = std::move(*engine);
  }
  std::optional<core::VulnCoverage> coverage;
  auto result = scan::run(request, store ? &*store : nullptr, session.context, diags, &coverage);
  session.progress->end();
  if (!result) return report_error(result.error());
  for (const auto& d : diags.items()) std::fprintf(stderr, "bulwark: %s\n", util::printable(d.describe()).c_str());

  if (trust_policy) {
    trust::ImageAccess access;
    access.tls_verify = o.tls_verify;
    if (request.source.username) access.username = *request.source.username;
    if (request.source.password) access.password = *request.source.password;
    auto tf = trust::evaluate_image(*trust_policy, o.target, access);
    if (!tf) return report_error(tf.error());
    for (auto& f : *tf) result->findings.push_back(std::move(f));
  }
  std::vector<core::ScanResult> results{std::move(*result)};
  auto outcome = apply_policy_and_warn(results, o.policy);
  if (!outcome) return report_error(outcome.error());

  std::string text;
  if (o.format == "table") {
    const bool color = ::isatty(STDOUT_FILENO) && o.scan.output.empty();
    if (vulns) {
      text = report::vulnerability_table(results.front(), color, coverage ? &*coverage : nullptr);
    } else {
      text = fmt::format("Target: {} (vulnerability scan not requested: --scanners)\n",
                         util::printable(results.front().target.name)) +
             report::base_image_line(results.front());
    }
    std::vector<core::Finding> other;
    for (const auto& f : results.front().findings) {
      if (!f.vulnerability && !f.suppression && f.status != core::FindingStatus::pass) other.push_back(f);
    }
    if (!other.empty()) text += "\nConfiguration and end of life:\n" + report::findings_table(other, color);
  } else if (o.format == "json" || o.format == "html") {
    report::JsonOptions jo;
    jo.tool_version = BULWARK_VERSION;
    text =
        o.format == "html" ? report::write_html(results, jo, {coverage}) : report::write_json(results, jo, {coverage});
  } else if (o.format == "sarif") {
    report::SarifOptions so;
    so.tool_version = BULWARK_VERSION;
    text = report::write_sarif(results, so, {coverage});
  } else {
    text = sbom::write_cyclonedx(results.front(), {BULWARK_VERSION, {}});
  }
  if (auto st = write_output(o.scan, text); !st) return report_error(st.error());
  // No vulnerability data for some packages: never an all-clear, whatever --fail-on says.
  const bool unchecked = coverage && !coverage->complete() && report::exit_scanner(o.policy, "vuln");
  if (unchecked && o.policy.exit_code != 0) {
    std::fprintf(stderr, "bulwark: exit %d: %s\n", o.policy.exit_code,
                 util::printable(report::coverage_gap_text(*coverage)).c_str());
  }
  const int rc = outcome->failing > 0 || unchecked ? o.policy.exit_code : kExitOk;
  if (auto upload = o.upload; upload_asked(upload)) {
    // The server keeps the packages too (it re-matches them when advisories change).
    report::JsonOptions jo;
    jo.tool_version = BULWARK_VERSION;
    jo.include_packages = true;
    const int urc = upload_document(upload, o.target, report::write_json(results, jo, {coverage}), true);
    if (urc != kExitOk) return urc;
  }
  return rc;
}

void add_common(CLI::App& cmd, VulnScanOptions& o) {
  cmd.add_option("-f,--format", o.format, "Output: table, json, sarif, cyclonedx (with vulnerabilities), html")
      ->check(CLI::IsMember({"table", "json", "sarif", "cyclonedx", "html"}));
  cmd.add_option("--db", o.db, "Advisory database (default $BULWARK_DB, else <cache dir>/db/bulwark.db)");
  add_scan_options(cmd, o.scan);
  add_policy_options(cmd, o.policy);
  add_upload_options(cmd, o.upload);
  if (o.input == Input::image) {
    cmd.add_option("--scanners", o.scanners,
                   "What to look for: vuln (known vulnerabilities), config (the image config's USER, HEALTHCHECK, "
                   "secrets in ENV and history, setuid files, ...), secret (every file of every layer, deleted "
                   "ones too, and the image config), trust (the --trust-policy: registries, signatures, digest "
                   "pinning, base image); default vuln, config, secret")
        ->delimiter(',')
        ->check(CLI::IsMember({"vuln", "config", "secret", "trust"}));
    cmd.add_option("--trust-policy", o.trust_policy,
                   "Trust policy YAML (docs/trust.md); turns on the trust scanner (findings: trusted-base-image)");
  } else if (o.input == Input::rootfs) {
    cmd.add_option("--scanners", o.scanners, "What to look for: vuln, config, secret; default all three")
        ->delimiter(',')
        ->check(CLI::IsMember({"vuln", "config", "secret"}));
  }
  if (o.input != Input::sbom) add_secret_options(cmd, o.secrets);
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
                  "  containerd:NAME[:TAG|@sha256:...]  (containerd's store, read in place; root only)\n"
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
  cmd->add_option("--containerd-root", o->containerd_root,
                  "containerd's root folder, for containerd: images (default /var/lib/containerd)");
  cmd->add_option("--containerd-namespace", o->containerd_namespace,
                  "containerd namespace of a containerd:NAME image (default: any, k8s.io first)");
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
