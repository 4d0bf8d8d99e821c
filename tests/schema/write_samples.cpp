// Writes the documents that the schema test validates: CycloneDX, SPDX and
// bulwark/v1 JSON for the hand-built sample image (with findings), and for an
// awkward root filesystem (no image, unknown OS, a package without purl, names
// with spaces, control characters, non-ASCII text and invalid UTF-8).
// Usage: bulwark_schema_samples OUTPUT_DIR
#include <fmt/format.h>

#include <cstdio>
#include <filesystem>

#include "config/k8s/netpol_graph.hpp"
#include "config/k8s/netpol_load.hpp"
#include "report/report.hpp"
#include "report/vulnerabilities.hpp"
#include "sample_scan.hpp"
#include "sbom/license.hpp"
#include "sbom/sbom.hpp"
#include "util/files.hpp"

using namespace bulwark;

namespace {

core::ScanResult awkward_rootfs() {
  core::ScanResult r;
  r.target = {core::TargetKind::rootfs, "/srv/roots/my app (copy)", ""};
  core::Package unnamed_purl;
  unnamed_purl.name = "vendored lib";
  unnamed_purl.version = "0.0.1 beta";
  unnamed_purl.license = "BSD-like, see COPYING";
  unnamed_purl.path = "opt/app/VERSION";
  r.packages.push_back(unnamed_purl);
  core::Package odd;
  odd.name = "caf\xc3\xa9-\x1b[31mred";
  odd.version = "1.0";
  odd.ecosystem = core::Ecosystem::pypi;
  odd.purl = "pkg:pypi/caf%C3%A9@1.0";
  odd.license = "mit OR apache-2.0";  // ids match case-insensitively: becomes "MIT OR Apache-2.0"
  r.packages.push_back(odd);
  // Invalid UTF-8 from a corrupt database must not break the document.
  core::Package broken;
  broken.name = "broken\xff\xfe";
  broken.version = "2";
  r.packages.push_back(broken);
  return r;
}

// One package per licence id bulwark knows, and one per exception (as
// "GPL-2.0-or-later WITH <exception>"): the CycloneDX schema enumerates the
// official ids and the SPDX check parses expressions against the official list,
// so a typo in bulwark's table fails the schema test.
core::ScanResult every_known_licence() {
  core::ScanResult r;
  r.target = {core::TargetKind::file, "licences", ""};
  for (auto id : sbom::known_spdx_license_ids()) {
    core::Package p;
    p.name = "licence-" + std::string(id);
    p.version = "1";
    p.license = std::string(id);
    r.packages.push_back(p);
  }
  for (auto id : sbom::known_spdx_exception_ids()) {
    core::Package p;
    p.name = "exception-" + std::string(id);
    p.version = "1";
    p.license = "GPL-2.0-or-later WITH " + std::string(id);
    r.packages.push_back(p);
  }
  return r;
}

int write(const std::filesystem::path& path, const std::string& text) {
  if (auto status = util::write_file_atomic(path, text); !status) {
    fmt::print(stderr, "bulwark_schema_samples: {}\n", status.error().describe());
    return 1;
  }
  fmt::print("wrote {}\n", path.string());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    fmt::print(stderr, "usage: bulwark_schema_samples OUTPUT_DIR\n");
    return 2;
  }
  std::filesystem::path out = argv[1];
  std::error_code ec;
  std::filesystem::create_directories(out, ec);
  sbom::WriteOptions options{"0.1.0", ""};  // real timestamps: the schema checks their format
  int failures = 0;
  auto image = fixtures::sample_scan_result();
  image.findings = {fixtures::vulnerability_finding(image.packages[0]), fixtures::check_finding(),
                    fixtures::passed_finding()};
  failures += write(out / "image.cdx.json", sbom::write_cyclonedx(image, options));
  failures += write(out / "image.spdx.json", sbom::write_spdx(image, options));
  auto rootfs = awkward_rootfs();
  failures += write(out / "rootfs.cdx.json", sbom::write_cyclonedx(rootfs, options));
  failures += write(out / "rootfs.spdx.json", sbom::write_spdx(rootfs, options));
  auto licences = every_known_licence();
  failures += write(out / "licences.cdx.json", sbom::write_cyclonedx(licences, options));
  failures += write(out / "licences.spdx.json", sbom::write_spdx(licences, options));
  failures += write(out / "image.bulwark.json", report::write_json({image}, {"0.1.0", true, true}));
  failures += write(out / "findings.bulwark.json", report::write_json({image, rootfs}, {"0.1.0", false, false}));
  failures += write(out / "rootfs.bulwark.json", report::write_json({rootfs}, {"", true, false}));
  // SARIF: the image with findings (one suppressed by policy), passed checks included,
  // and a host-like target whose findings have absolute paths and no package.
  auto suppressed = image;
  suppressed.findings[0].suppression =
      core::Suppression{"vex", "not_affected", "vulnerable_code_not_present", "/work/app.openvex.json"};
  suppressed.findings[0].vulnerability->severity_source = "CVSS:3.1 from CVE-2023-4911 (osv:GHSA; alias DSA-5514-1)";
  core::ScanResult host;
  host.target = {core::TargetKind::host, "localhost", ""};
  core::Finding daemon;
  daemon.id = "BLWK-HOST-001";
  daemon.title = "Docker daemon listens on TCP without TLS";
  daemon.severity = core::Severity::critical;
  daemon.practice = core::Practice::host_hardening;
  daemon.location = {"/etc/docker/daemon.json", 4, 3, ""};
  daemon.evidence = "\"hosts\": [\"tcp://0.0.0.0:2375\"]";
  host.findings.push_back(daemon);
  core::Finding bare;  // nothing but an id: the writer must still produce a valid result
  bare.id = "BLWK-HOST-002";
  host.findings.push_back(bare);
  failures += write(out / "image.sarif", report::write_sarif({suppressed}, {"0.1.0", true, "", "bulwark/image"}));
  failures += write(out / "several.sarif", report::write_sarif({image, rootfs, host}, {"0.1.0", false, "/work", ""}));
  failures += write(out / "suppressed.bulwark.json", report::write_json({suppressed}, {"0.1.0", false, false}));
  failures += write(out / "empty.sarif", report::write_sarif({rootfs}, {"0.1.0", false, "", ""}));
  // A vulnerability scan that could not check every package: JSON's targets[].vulnerability_coverage
  // and SARIF's tool execution notification (complete for the image, incomplete for the rootfs).
  core::VulnCoverage complete{3, 3, {}};
  core::VulnCoverage gaps{5, 1, {}};
  gaps.gaps.push_back({"the database has no advisories for ecosystem Debian:12", "Debian:12", 3, true, true});
  gaps.gaps.push_back({"packages of unknown type", "", 1, false, false});
  const report::Coverages coverage{complete, gaps};
  failures +=
      write(out / "coverage.bulwark.json", report::write_json({image, rootfs}, {"0.1.0", false, false}, coverage));
  failures += write(out / "coverage.sarif", report::write_sarif({image, rootfs}, {"0.1.0", false, "", ""}, coverage));
  // A `bulwark config` scan of manifests: the reachability graph, with external ranges cut by an ipBlock.
  {
    core::Diagnostics diags;
    auto objects = config::k8s::objects_from_text(R"(
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec: {containers: [{name: c, image: nginx, ports: [{containerPort: 80, name: http}]}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: db, namespace: shop}
spec: {selector: {matchLabels: {app: db}}, template: {metadata: {labels: {app: db}}, spec: {containers: [{name: c, image: pg}]}}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress: [{from: [{podSelector: {matchLabels: {app: web}}}], ports: [{port: 5432}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8}}], ports: [{port: http}]}]
)",
                                                  "k8s/shop.yaml", diags);
    auto model = config::k8s::netpol::build_model(objects, diags);
    if (!model) {
      std::fprintf(stderr, "netpol sample: %s\n", model.error().describe().c_str());
      return 1;
    }
    core::ScanResult manifests;
    manifests.target = {core::TargetKind::file, "k8s/", ""};
    report::JsonOptions jo{"0.1.0", false, false};
    jo.reachability = config::k8s::netpol::to_json(config::k8s::netpol::reachability_graph(*model));
    failures += write(out / "k8s.bulwark.json", report::write_json({manifests}, jo));
  }
  return failures == 0 ? 0 : 1;
}
