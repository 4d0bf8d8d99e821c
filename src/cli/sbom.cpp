// `bulwark sbom TARGET`: the packages in an image or root filesystem, as a table,
// bulwark's JSON, CycloneDX 1.5 or SPDX 2.3.
#include <unistd.h>

#include <fmt/format.h>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <memory>

#include "catalog/catalog.hpp"
#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/upload.hpp"
#include "image/reference.hpp"
#include "report/policy.hpp"
#include "report/report.hpp"
#include "sbom/sbom.hpp"
#include "scan/pipeline.hpp"
#include "util/strings.hpp"

namespace bulwark::cli {

namespace {

struct SbomOptions {
  std::string target;
  std::string format = "table";
  std::string creds;
  bool tls_verify = true;
  std::string platform;
  std::string docker_host;
  std::string containerd_root;
  std::string containerd_namespace;
  ScanOptions scan;
  UploadFlags upload;
};

Result<image::SourceOptions> source_options(const SbomOptions& o) {
  image::SourceOptions so;
  so.platform = o.platform;
  so.tls_verify = o.tls_verify ? image::TlsVerify::yes : image::TlsVerify::no;
  if (!o.docker_host.empty()) so.docker_host = o.docker_host;
  if (!o.containerd_root.empty()) so.containerd_root = o.containerd_root;
  so.containerd_namespace = o.containerd_namespace;
  if (!o.creds.empty()) {
    auto colon = o.creds.find(':');
    if (colon == std::string::npos) {
      return fail(ErrorCode::invalid_argument, "--creds must be USER:PASSWORD");
    }
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

int run_sbom(const SbomOptions& o) {
  auto ref = image::parse_reference(o.target);
  if (!ref) return report_error(ref.error());
  auto so = source_options(o);
  if (!so) return report_error(so.error());
  auto session = make_session(o.scan);
  core::Diagnostics diags;
  auto result = scan::inventory(*ref, *so, session.context, diags);
  session.progress->end();
  if (!result) return report_error(result.error());
  for (auto& d : diags.items()) std::fprintf(stderr, "bulwark: %s\n", util::printable(d.describe()).c_str());
  if (auto eol = catalog::eol_finding(result->os, report::today_utc())) {
    eol->target = result->target;
    result->findings.push_back(std::move(*eol));
  }

  std::string text;
  if (o.format == "table") {
    const bool to_stdout = o.scan.output.empty() || o.scan.output == "-";
    text = report::package_table(
        *result, report::TableOptions{::isatty(STDOUT_FILENO) != 0 && to_stdout, to_stdout ? terminal_columns() : 0});
    for (auto& f : result->findings) {
      std::fprintf(stderr, "bulwark: warning: %s\n", util::printable(f.title).c_str());
    }
  } else if (o.format == "json") {
    report::JsonOptions jo;
    jo.tool_version = BULWARK_VERSION;
    jo.include_packages = true;
    text = report::write_json({*result}, jo);
  } else if (o.format == "cyclonedx") {
    text = sbom::write_cyclonedx(*result, {BULWARK_VERSION, {}});
  } else {
    text = sbom::write_spdx(*result, {BULWARK_VERSION, {}});
  }
  if (auto st = write_output(o.scan, text); !st) return report_error(st.error());
  if (auto upload = o.upload; upload_asked(upload)) {
    report::JsonOptions jo;
    jo.tool_version = BULWARK_VERSION;
    jo.include_packages = true;
    return upload_document(upload, o.target, report::write_json({*result}, jo), true);
  }
  return kExitOk;
}

}  // namespace

void register_sbom(CLI::App& app, int& exit_code) {
  auto opts = std::make_shared<SbomOptions>();
  auto* cmd = app.add_subcommand("sbom", "List the packages in an image or a root filesystem (an SBOM)");
  cmd->footer(
      "TARGET is an image reference in skopeo's transport syntax, or a path:\n"
      "  docker-archive:PATH[:REF]  oci-archive:PATH[:TAG]  oci:DIR[:TAG]  dir:PATH\n"
      "  docker-daemon:NAME[:TAG]   docker://HOST/REPO[:TAG|@sha256:...]\n"
      "  containerd:NAME[:TAG|@sha256:...]  (containerd's store, read in place; root only)\n"
      "\n"
      "Examples:\n"
      "  bulwark sbom docker-archive:app.tar\n"
      "  bulwark sbom oci:./layout:v1 --format cyclonedx -o app.cdx.json\n"
      "  bulwark sbom docker-daemon:debian:12 --format spdx\n"
      "  bulwark sbom containerd:docker.io/library/alpine:3.19\n"
      "  bulwark sbom docker://127.0.0.1:5000/app:1 --creds user:pass --tls-verify=false\n"
      "  bulwark sbom / --quiet\n"
      "\n"
      "Registry credentials come from --creds, else BULWARK_USERNAME/BULWARK_PASSWORD, else ~/.docker/config.json.");
  cmd->add_option("TARGET", opts->target, "Image reference or path")->required();
  cmd->add_option("-f,--format", opts->format, "Output: table, json, cyclonedx, spdx")
      ->check(CLI::IsMember({"table", "json", "cyclonedx", "spdx"}));
  cmd->add_option("--creds", opts->creds, "Registry credentials USER:PASSWORD");
  cmd->add_option("--tls-verify", opts->tls_verify, "Verify registry TLS (false allows plain HTTP)")
      ->default_str("true");
  cmd->add_option("--platform", opts->platform, "os/arch[/variant] to pick from a multi-platform image");
  cmd->add_option("--docker-host", opts->docker_host, "Docker engine socket (default unix:///var/run/docker.sock)");
  cmd->add_option("--containerd-root", opts->containerd_root,
                  "containerd's root folder, for containerd: images (default /var/lib/containerd)");
  cmd->add_option("--containerd-namespace", opts->containerd_namespace,
                  "containerd namespace of a containerd:NAME image (default: any, k8s.io first)");
  add_scan_options(*cmd, opts->scan);
  add_upload_options(*cmd, opts->upload);
  cmd->callback([opts, &exit_code] { exit_code = run_sbom(*opts); });
}

BULWARK_COMMAND(sbom, 10, register_sbom);

}  // namespace bulwark::cli
