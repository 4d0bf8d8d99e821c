#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "../../tests/schema/sample_scan.hpp"
#include "report/report.hpp"
#include "report/vulnerabilities.hpp"

using namespace bulwark;
using nlohmann::json;

namespace {

using fixtures::check_finding;
using fixtures::passed_finding;
using fixtures::vulnerability_finding;

core::ScanResult result_with_findings() {
  auto r = fixtures::sample_scan_result();
  r.findings = {vulnerability_finding(r.packages[0]), check_finding(), passed_finding()};
  return r;
}

json write(const std::vector<core::ScanResult>& results, bool packages, bool passed = false) {
  report::JsonOptions options{"0.1.0", packages, passed};
  return json::parse(report::write_json(results, options));
}

// Walks a JSON value and reports the path of every empty string: the shape
// leaves unknown fields out instead of writing "".
void collect_empty_strings(const json& value, const std::string& path, std::vector<std::string>& out) {
  if (value.is_string() && value.get<std::string>().empty()) out.push_back(path);
  if (value.is_object()) {
    for (const auto& [k, v] : value.items()) collect_empty_strings(v, path + "/" + k, out);
  }
  if (value.is_array()) {
    for (std::size_t i = 0; i < value.size(); ++i) collect_empty_strings(value[i], path + "/" + std::to_string(i), out);
  }
}

}  // namespace

// ------------------------------------------------------------------ JSON

TEST(Json, HeaderAndTarget) {
  auto r = fixtures::sample_scan_result();
  auto doc = write({r}, false);
  EXPECT_EQ(doc["schema"], "bulwark/v1");
  EXPECT_EQ(doc["tool"], json({{"name", "bulwark"}, {"version", "0.1.0"}}));
  ASSERT_EQ(doc["targets"].size(), 1U);
  const auto& t = doc["targets"][0];
  EXPECT_EQ(t["kind"], "image");
  EXPECT_EQ(t["name"], "docker-archive:/work/images/app.tar");
  EXPECT_EQ(t["id"], r.target.id);
  EXPECT_EQ(t["os"], json::parse(R"j({"id":"debian","version_id":"12","pretty_name":"Debian GNU/Linux 12 (bookworm)",
                                     "codename":"bookworm"})j"));
  EXPECT_FALSE(t.contains("packages"));  // only when asked for
  EXPECT_EQ(doc["findings"], json::array());
}

TEST(Json, ToolVersionDefaultsToTheBuiltVersion) {
  auto doc = json::parse(report::write_json({fixtures::sample_scan_result()}, {}));
  // The project version from CMake, e.g. "0.1.0".
  EXPECT_TRUE(std::regex_match(doc["tool"]["version"].get<std::string>(), std::regex(R"j(^\d+\.\d+\.\d+.*$)j")))
      << doc["tool"];
}

TEST(Json, BaseImageOfTheImage) {
  auto r = fixtures::sample_scan_result();
  EXPECT_FALSE(write({r}, false)["targets"][0]["image"].contains("base_image")) << "not annotated: no field";
  EXPECT_EQ(report::base_image_line(r), "");
  r.image->base_name = "docker.io/library/debian:12";
  r.image->base_digest = "sha256:" + std::string(64, 'b');
  EXPECT_EQ(write({r}, false)["targets"][0]["image"]["base_image"], json({{"name", "docker.io/library/debian:12"},
                                                                          {"digest", "sha256:" + std::string(64, 'b')},
                                                                          {"source", "annotations"}}));
  EXPECT_EQ(report::base_image_line(r), "Base image: docker.io/library/debian:12@sha256:" + std::string(64, 'b') +
                                            " (from the manifest annotations)\n");
  EXPECT_NE(report::vulnerability_table(r, false).find("\nBase image: docker.io/library/debian:12@"),
            std::string::npos);
}

TEST(Json, ImageWithLayers) {
  auto r = fixtures::sample_scan_result();
  auto doc = write({r}, false);
  const auto& image = doc["targets"][0]["image"];
  EXPECT_EQ(image["manifest_digest"], r.image->manifest_digest);
  EXPECT_EQ(image["config_digest"], r.image->config_digest);
  EXPECT_EQ(image["architecture"], "amd64");
  EXPECT_EQ(image["os"], "linux");
  EXPECT_EQ(image["repo_tags"], json::array({"app:1", "registry.example:5000/team/app:1.0.3"}));
  ASSERT_EQ(image["layers"].size(), 2U);
  const auto& layer = image["layers"][1];
  EXPECT_EQ(layer["digest"], r.image->layers[1].digest);
  EXPECT_EQ(layer["diff_id"], r.image->layers[1].diff_id);
  EXPECT_EQ(layer["media_type"], "application/vnd.docker.image.rootfs.diff.tar.gzip");
  EXPECT_EQ(layer["size"], 1234567);
  EXPECT_EQ(layer["created_by"], r.image->layers[1].created_by);
}

TEST(Json, NoImageNoOsForAPlainRootfs) {
  core::ScanResult r;
  r.target = {core::TargetKind::rootfs, "/srv/root", ""};
  auto t = write({r}, true)["targets"][0];
  EXPECT_EQ(t, json::parse(R"j({"kind":"rootfs","name":"/srv/root","packages":[]})j"));
}

TEST(Json, PackagesWhenAskedFor) {
  auto r = fixtures::sample_scan_result();
  auto doc = write({r}, true);
  const auto& packages = doc["targets"][0]["packages"];
  ASSERT_EQ(packages.size(), r.packages.size());
  EXPECT_EQ(packages[0], json::parse(R"j({"name":"libc6","version":"2.36-9+deb12u4","source":"glibc",
      "source_version":"2.36-9+deb12u4","architecture":"amd64","ecosystem":"deb",
      "purl":"pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12","license":"LGPL-2.1-or-later",
      "layer":"sha256:1f1a4d5ce3e6a0c1a9bb1d8a0e2f6c6a35f0c5b0d6f0ad6c2a9b1f3e4d5c6b7a","path":"var/lib/dpkg/status"})j"));
  EXPECT_EQ(packages[2]["epoch"], 1);
  EXPECT_FALSE(packages[2].contains("license"));
  EXPECT_EQ(packages[7]["purl"], "pkg:npm/%40babel/core@7.23.9");
  EXPECT_FALSE(packages[8].contains("architecture"));
}

TEST(Json, NoEmptyStringsAnywhere) {
  std::vector<std::string> empty;
  collect_empty_strings(write({result_with_findings()}, true, true), "", empty);
  EXPECT_TRUE(empty.empty()) << "empty strings at " << ::testing::PrintToString(empty);
}

TEST(Json, VulnerabilityFindingFullySerialized) {
  auto doc = write({result_with_findings()}, false);
  ASSERT_EQ(doc["findings"].size(), 2U);  // the passed check is left out
  const auto& f = doc["findings"][0];
  EXPECT_EQ(f["id"], "CVE-2023-4911");
  EXPECT_EQ(f["severity"], "high");
  EXPECT_EQ(f["status"], "fail");
  EXPECT_EQ(f["practice"], "vulnerability-scan");
  // No target of its own: it belongs to the scanned image.
  EXPECT_EQ(f["target"], json({{"kind", "image"},
                               {"name", "docker-archive:/work/images/app.tar"},
                               {"id", fixtures::sample_scan_result().target.id}}));
  EXPECT_EQ(f["location"],
            json({{"layer", "sha256:1f1a4d5ce3e6a0c1a9bb1d8a0e2f6c6a35f0c5b0d6f0ad6c2a9b1f3e4d5c6b7a"}}));
  EXPECT_EQ(f["package"]["name"], "libc6");
  EXPECT_EQ(f["package"]["source"], "glibc");
  EXPECT_EQ(f["package"]["ecosystem"], "deb");
  EXPECT_EQ(f["vulnerability"], json::parse(R"j({"id":"CVE-2023-4911","aliases":["DSA-5514-1"],
      "fixed_version":"2.36-9+deb12u3","state":"fixed",
      "cvss":[{"version":"3.1","vector":"CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H","score":7.8}]})j"));
  EXPECT_EQ(f["remediation"], "Upgrade libc6 to 2.36-9+deb12u3 or later.");
  EXPECT_EQ(f["references"], json::array({"https://security-tracker.debian.org/tracker/CVE-2023-4911"}));
  EXPECT_FALSE(f.contains("standards"));
  EXPECT_FALSE(f.contains("evidence"));
}

TEST(Json, CheckFindingFullySerialized) {
  auto doc = write({result_with_findings()}, false);
  const auto& f = doc["findings"][1];
  EXPECT_EQ(f, json::parse(R"j({"id":"BLWK-DF-001","title":"Container runs as root","severity":"medium","status":"warn",
      "practice":"limit-privileges","target":{"kind":"file","name":"Dockerfile"},
      "location":{"path":"Dockerfile","line":12,"column":1},
      "standards":[{"name":"cis-docker","version":"1.6.0","id":"4.1"},{"name":"hadolint","id":"DL3002"}],
      "evidence":"USER root"})j"));
}

TEST(Json, PassedFindingsOnlyWhenAskedFor) {
  auto doc = write({result_with_findings()}, false, true);
  ASSERT_EQ(doc["findings"].size(), 3U);
  EXPECT_EQ(doc["findings"][2]["status"], "pass");
  EXPECT_EQ(doc["findings"][2]["practice"], "monitoring");
  EXPECT_FALSE(doc["findings"][2].contains("location"));
}

TEST(Json, SeveralTargets) {
  core::ScanResult rootfs;
  rootfs.target = {core::TargetKind::rootfs, "/srv/root", ""};
  rootfs.findings = {check_finding()};
  auto doc = write({result_with_findings(), rootfs}, false);
  ASSERT_EQ(doc["targets"].size(), 2U);
  EXPECT_EQ(doc["targets"][1]["kind"], "rootfs");
  EXPECT_EQ(doc["findings"].size(), 3U);
}

TEST(Json, RoundTripsAndSurvivesHostileText) {
  auto r = result_with_findings();
  r.packages[0].name = "evil\x1b[2J\xff";
  auto text = report::write_json({r}, {"0.1.0", true, true});
  auto doc = json::parse(text);  // would throw on invalid UTF-8
  EXPECT_EQ(json::parse(doc.dump()), doc);
  EXPECT_EQ(doc["targets"][0]["packages"][0]["name"], "evil\x1b[2J\xef\xbf\xbd");
}

// ------------------------------------------------------------------ tables

TEST(Table, PackageTableByHand) {
  core::ScanResult r;
  r.target = {core::TargetKind::image, "app:1", "sha256:abc"};
  r.os = {"debian", "12", "Debian GNU/Linux 12 (bookworm)", "bookworm"};
  core::Package libc;
  libc.name = "libc6";
  libc.version = "2.36-9+deb12u4";
  libc.source_name = "glibc";
  libc.architecture = "amd64";
  libc.ecosystem = core::Ecosystem::deb;
  libc.layer = "sha256:1f1a4d5ce3e6a0c1a9bb1d8a0e2f6c6a35f0c5b0d6f0ad6c2a9b1f3e4d5c6b7a";
  core::Package login = libc;
  login.name = "login";
  login.version = "1:4.13+dfsg1-1+b1";
  login.source_name = "shadow";
  login.source_version = "1:4.13+dfsg1-1";
  core::Package pad;
  pad.name = "left-pad";
  pad.version = "1.3.0";
  pad.ecosystem = core::Ecosystem::npm;
  r.packages = {libc, login, pad};
  EXPECT_EQ(report::package_table(r, false),
            "Target: app:1 (image)  OS: Debian GNU/Linux 12 (bookworm)  Packages: 3\n"
            "\n"
            "NAME      VERSION            SOURCE                 ARCH   TYPE  LAYER\n"
            "libc6     2.36-9+deb12u4     glibc                  amd64  deb   1f1a4d5ce3e6\n"
            "login     1:4.13+dfsg1-1+b1  shadow 1:4.13+dfsg1-1  amd64  deb   1f1a4d5ce3e6\n"
            "left-pad  1.3.0              -                      -      npm   -\n");
}

TEST(Table, PackageTableNeutralisesEscapesAndColoursOnlyWhenAsked) {
  core::ScanResult r;
  r.target = {core::TargetKind::rootfs, "/srv/\x1b]0;pwned\x07root", ""};
  core::Package p;
  p.name = "x\x1b[31m";
  p.version = "1";
  r.packages = {p};
  auto plain = report::package_table(r, false);
  EXPECT_EQ(plain.find('\x1b'), std::string::npos) << plain;
  EXPECT_NE(plain.find("x\\x1b[31m"), std::string::npos) << plain;
  EXPECT_NE(plain.find("OS: unknown"), std::string::npos) << plain;
  auto coloured = report::package_table(r, true);
  EXPECT_NE(coloured.find("\x1b[1mNAME\x1b[0m"), std::string::npos) << coloured;
}

TEST(Table, AlignsByCharactersNotBytes) {
  core::ScanResult r;
  r.target = {core::TargetKind::rootfs, "/srv/root", ""};
  core::Package accented;
  accented.name = "caf\xc3\xa9";  // 5 bytes, 4 characters
  accented.version = "1";
  core::Package plain;
  plain.name = "cafe";
  plain.version = "2";
  r.packages = {accented, plain};
  EXPECT_EQ(report::package_table(r, false),
            "Target: /srv/root (rootfs)  OS: unknown  Packages: 2\n"
            "\n"
            "NAME  VERSION  SOURCE  ARCH  TYPE  LAYER\n"
            "caf\xc3\xa9  1        -       -     -     -\n"
            "cafe  2        -       -     -     -\n");
}

TEST(Table, EmptyPackageList) {
  core::ScanResult r;
  r.target = {core::TargetKind::rootfs, "/srv/root", ""};
  r.os = {"alpine", "3.19.1", "", ""};
  EXPECT_EQ(report::package_table(r, false),
            "Target: /srv/root (rootfs)  OS: alpine 3.19.1  Packages: 0\nNo packages found.\n");
}

TEST(Table, FindingsTableMostSevereFirst) {
  auto r = result_with_findings();
  core::Finding critical = check_finding();
  critical.id = "BLWK-K8S-007";
  critical.title = "Privileged container";
  critical.severity = core::Severity::critical;
  critical.location = {"deploy.yaml", 0, 0, ""};
  r.findings.push_back(critical);
  EXPECT_EQ(
      report::findings_table(r.findings, false),
      "ID             SEVERITY  PACKAGE/LOCATION      TITLE\n"
      "BLWK-K8S-007   critical  deploy.yaml           Privileged container\n"
      "CVE-2023-4911  high      libc6 2.36-9+deb12u4  glibc: buffer overflow in ld.so leading to privilege escalation\n"
      "BLWK-DF-001    medium    Dockerfile:12         Container runs as root\n"
      "BLWK-DF-002    low       -                     HEALTHCHECK is set\n");
}

TEST(Table, FindingsTableColour) {
  auto r = result_with_findings();
  auto coloured = report::findings_table(r.findings, true);
  EXPECT_NE(coloured.find("\x1b[31mhigh\x1b[0m"), std::string::npos) << coloured;
  EXPECT_NE(coloured.find("\x1b[33mmedium\x1b[0m"), std::string::npos) << coloured;
  EXPECT_EQ(report::findings_table(r.findings, false).find('\x1b'), std::string::npos);
  EXPECT_EQ(report::findings_table({}, false), "No findings.\n");
}

TEST(Table, PackageTableFitsTheWidthSortsAndLocatesDuplicates) {
  core::ScanResult r;
  r.target = {core::TargetKind::rootfs, "/", ""};
  core::Package devel;
  devel.name = "./internal/backend/remote-state/azure";
  devel.version = "(devel)";
  devel.ecosystem = core::Ecosystem::golang;
  devel.path = "usr/bin/terraform";
  core::Package yaml1;
  yaml1.name = "PyYAML";
  yaml1.version = "6.0";
  yaml1.ecosystem = core::Ecosystem::pypi;
  yaml1.path = "usr/lib/python3/dist-packages/PyYAML-6.0.dist-info/METADATA";
  core::Package yaml2 = yaml1;
  yaml2.version = "6.0.3";
  yaml2.path = "root/.local/lib/python3.11/site-packages/PyYAML-6.0.3.dist-info/METADATA";
  core::Package deb;
  deb.name = "libc6";
  deb.version = "2.36-9+deb12u4";
  deb.source_name = "glibc";
  deb.architecture = "amd64";
  deb.ecosystem = core::Ecosystem::deb;
  r.packages = {devel, yaml1, yaml2, deb};

  auto wide = report::package_table(r, report::TableOptions{false, 0});
  // OS packages first, local modules last; LOCATION only for the duplicated name.
  EXPECT_LT(wide.find("libc6"), wide.find("PyYAML")) << wide;
  EXPECT_LT(wide.find("PyYAML"), wide.find("(devel)")) << wide;
  EXPECT_NE(wide.find("LOCATION"), std::string::npos) << wide;
  EXPECT_NE(wide.find("root/.local/lib/python3.11/site-packages/PyYAML-6.0.3.dist-info/METADATA"), std::string::npos);

  auto narrow = report::package_table(r, report::TableOptions{false, 90});
  std::size_t longest = 0;
  std::istringstream lines(narrow);
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with("Target:")) longest = std::max(longest, line.size());
  }
  EXPECT_LE(longest, 90U) << narrow;
  // Shortened in the middle: both ends stay.
  EXPECT_NE(narrow.find("..."), std::string::npos) << narrow;
  EXPECT_NE(narrow.find("...ADATA"), std::string::npos) << narrow;

  core::ScanResult single;
  single.target = r.target;
  single.packages = {deb};
  EXPECT_EQ(report::package_table(single, report::TableOptions{false, 0}).find("LOCATION"), std::string::npos);
}
