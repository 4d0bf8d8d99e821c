// A scan result with a few findings for policy files to match against.
#pragma once

#include <string>
#include <vector>

#include "core/model.hpp"
#include "report/policy.hpp"

namespace bulwark::fuzz {

inline std::vector<core::ScanResult> policy_results() {
  core::ScanResult r;
  r.target = {core::TargetKind::image, "registry.example/app:1.0", "sha256:" + std::string(64, 'a')};
  core::ImageInfo info;
  info.reference = r.target.name;
  info.config_digest = r.target.id;
  info.repo_tags = {"registry.example/app:1.0"};
  info.repo_digests = {"registry.example/app@sha256:" + std::string(64, 'b')};
  r.image = info;
  auto add = [&](std::string id, std::string alias, std::string name, std::string purl, core::Severity sev) {
    core::Finding f;
    f.id = id;
    f.severity = sev;
    f.target = r.target;
    core::Package p;
    p.name = std::move(name);
    p.version = "1.0-1";
    p.purl = std::move(purl);
    f.package = p;
    core::VulnerabilityRef v;
    v.id = f.id;
    v.aliases = {std::move(alias)};
    f.vulnerability = v;
    f.location.path = "usr/lib/app/x.jar";
    r.findings.push_back(f);
  };
  add("CVE-2024-0001", "GHSA-aaaa-bbbb-cccc", "openssl", "pkg:deb/debian/openssl@1.0-1?arch=amd64",
      core::Severity::high);
  add("GHSA-xxxx-yyyy-zzzz", "CVE-2023-1234", "lodash", "pkg:npm/lodash@4.17.20", core::Severity::critical);
  core::Finding check;
  check.id = "DS002";
  check.practice = core::Practice::limit_privileges;
  check.target = r.target;
  check.location.path = "Dockerfile";
  r.findings.push_back(check);
  return {r};
}

}  // namespace bulwark::fuzz
