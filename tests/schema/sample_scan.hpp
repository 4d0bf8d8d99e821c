// A realistic, hand-built scan result for the SBOM and report tests: a Debian 12
// image with two layers, dpkg packages whose versions carry epochs, '+' and '~',
// a scoped npm package, a package with a licence expression, one with free-text
// licence, one with none, and the same package recorded twice (duplicate purl).
// Also three findings of different kinds for the report tests.
// The schema test writes SBOMs from it and validates them against the official
// schemas; the unit tests check the writers' choices against it.
#pragma once

#include <optional>
#include <string>

#include "core/model.hpp"
#include "core/purl.hpp"

namespace bulwark::fixtures {

inline core::Package deb_package(std::string name, std::string version, std::string source, std::string license,
                                 std::string layer, std::optional<int> epoch = std::nullopt) {
  core::Package p;
  p.name = std::move(name);
  p.version = std::move(version);
  p.source_name = std::move(source);
  p.architecture = "amd64";
  p.ecosystem = core::Ecosystem::deb;
  p.purl = core::Purl{"deb", "debian", p.name, p.version, {{"arch", "amd64"}, {"distro", "debian-12"}}, ""}.str();
  p.license = std::move(license);
  p.layer = std::move(layer);
  p.path = "var/lib/dpkg/status";
  p.epoch = epoch;
  return p;
}

inline core::ScanResult sample_scan_result() {
  const std::string base_layer = "sha256:1f1a4d5ce3e6a0c1a9bb1d8a0e2f6c6a35f0c5b0d6f0ad6c2a9b1f3e4d5c6b7a";
  const std::string app_layer = "sha256:9c2b7e0f4a1d3c5e7f9a0b2c4d6e8f0a1b3c5d7e9f0a2b4c6d8e0f1a3b5c7d9e";

  core::ScanResult r;
  r.target = {core::TargetKind::image, "docker-archive:/work/images/app.tar",
              "sha256:5b8e3c1f2a7d9e0b4c6a8f1d3e5b7c9a0f2d4e6b8c1a3f5d7e9b0c2a4f6d8e1b"};
  core::ImageInfo image;
  image.reference = "docker-archive:/work/images/app.tar";
  image.manifest_digest = "sha256:0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9";
  image.config_digest = r.target.id;
  image.architecture = "amd64";
  image.os = "linux";
  image.repo_tags = {"app:1", "registry.example:5000/team/app:1.0.3"};
  image.layers = {
      {"sha256:aa11bb22cc33dd44ee55ff6677889900aa11bb22cc33dd44ee55ff6677889900", base_layer,
       "application/vnd.docker.image.rootfs.diff.tar.gzip", 29150000, "/bin/sh -c #(nop) ADD file:1a2b3c in / "},
      {"sha256:bb22cc33dd44ee55ff6677889900aa11bb22cc33dd44ee55ff6677889900aa11", app_layer,
       "application/vnd.docker.image.rootfs.diff.tar.gzip", 1234567,
       "RUN /bin/sh -c apt-get update && apt-get install -y curl # buildkit"},
  };
  r.image = image;
  r.os = {"debian", "12", "Debian GNU/Linux 12 (bookworm)", "bookworm"};

  // glibc: '+' in the version, source name differs from the binary name.
  auto libc = deb_package("libc6", "2.36-9+deb12u4", "glibc", "LGPL-2.1-or-later", base_layer);
  libc.source_version = "2.36-9+deb12u4";
  r.packages.push_back(libc);
  // An epoch: dpkg shows it in the version, the purl encodes ':' as %3A.
  r.packages.push_back(
      deb_package("perl-base", "5.36.0-7+deb12u1", "perl", "GPL-1.0-or-later OR Artistic-1.0-Perl", base_layer));
  auto login = deb_package("login", "1:4.13+dfsg1-1+b1", "shadow", "", base_layer, 1);
  login.source_version = "1:4.13+dfsg1-1";
  r.packages.push_back(login);
  // '~' (sorts before anything in dpkg) and a free-text Debian licence name.
  r.packages.push_back(deb_package("libgcc-s1", "12.2.0-14~bpo1", "gcc-12", "GPL-3+ with GCC-exception", base_layer));
  r.packages.push_back(deb_package("curl", "7.88.1-10+deb12u5", "curl", "curl", app_layer));
  // The same package recorded twice (a status.d entry and the status file): a duplicate purl.
  auto zlib = deb_package("zlib1g", "1:1.2.13.dfsg-1", "zlib", "Zlib", base_layer, 1);
  r.packages.push_back(zlib);
  zlib.layer = app_layer;
  zlib.path = "var/lib/dpkg/status.d/zlib1g";
  r.packages.push_back(zlib);

  // A scoped npm package: the scope is the purl namespace, '@' is encoded.
  core::Package scoped;
  scoped.name = "@babel/core";
  scoped.version = "7.23.9";
  scoped.ecosystem = core::Ecosystem::npm;
  scoped.purl = core::Purl{"npm", "@babel", "core", "7.23.9", {}, ""}.str();
  scoped.license = "MIT";
  scoped.layer = app_layer;
  scoped.path = "usr/lib/node_modules/@babel/core/package.json";
  r.packages.push_back(scoped);
  // A package without a licence and without architecture.
  core::Package plain;
  plain.name = "left-pad";
  plain.version = "1.3.0";
  plain.ecosystem = core::Ecosystem::npm;
  plain.purl = core::Purl{"npm", "", "left-pad", "1.3.0", {}, ""}.str();
  plain.layer = app_layer;
  plain.path = "usr/lib/node_modules/left-pad/package.json";
  r.packages.push_back(plain);
  return r;
}

// Findings of each kind the JSON shape carries: a vulnerability (package,
// advisory, CVSS), a failed check with location and standards, a passed check.
inline core::Finding vulnerability_finding(const core::Package& package) {
  core::Finding f;
  f.id = "CVE-2023-4911";
  f.title = "glibc: buffer overflow in ld.so leading to privilege escalation";
  f.severity = core::Severity::high;
  f.status = core::FindingStatus::fail;
  f.practice = core::Practice::vulnerability_scan;
  f.location.layer = package.layer;
  f.package = package;
  f.vulnerability = core::VulnerabilityRef{"CVE-2023-4911",
                                           {"DSA-5514-1"},
                                           "2.36-9+deb12u3",
                                           "fixed",
                                           {{"3.1", "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8}}};
  f.remediation = "Upgrade libc6 to 2.36-9+deb12u3 or later.";
  f.references = {"https://security-tracker.debian.org/tracker/CVE-2023-4911"};
  return f;
}

inline core::Finding check_finding() {
  core::Finding f;
  f.id = "BLWK-DF-001";
  f.title = "Container runs as root";
  f.severity = core::Severity::medium;
  f.status = core::FindingStatus::warn;
  f.practice = core::Practice::limit_privileges;
  f.target = {core::TargetKind::file, "Dockerfile", ""};
  f.location = {"Dockerfile", 12, 1, ""};
  f.standards = {{"cis-docker", "4.1", "1.6.0", "", ""}, {"hadolint", "DL3002", "", "", ""}};
  f.evidence = "USER root";
  return f;
}

inline core::Finding passed_finding() {
  core::Finding f;
  f.id = "BLWK-DF-002";
  f.title = "HEALTHCHECK is set";
  f.severity = core::Severity::low;
  f.status = core::FindingStatus::pass;
  f.practice = core::Practice::monitoring;
  return f;
}

}  // namespace bulwark::fixtures
