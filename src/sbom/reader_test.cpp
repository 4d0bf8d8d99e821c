// The SBOM readers on hand-written CycloneDX and SPDX documents.
#include "sbom/reader.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <tuple>
#include <vector>

namespace bulwark::sbom {
namespace {

core::Limits limits() {
  return core::Limits{};
}

TEST(SbomReader, CycloneDxNestedComponentsAndOs) {
  const std::string doc = R"({"bomFormat": "CycloneDX", "specVersion": "1.5",
    "components": [
      {"type": "operating-system", "name": "Debian", "version": "11"},
      {"type": "library", "name": "libssl1.1", "purl": "pkg:deb/debian/libssl1.1@1.1.1n-0%2Bdeb11u3?arch=amd64&upstream=openssl",
       "properties": [{"name": "bulwark:layer:diff_id", "value": "sha256:abc"}],
       "components": [{"type": "library", "name": "x", "purl": "pkg:npm/%40babel/core@7.0.0"}]},
      {"type": "library", "name": "y", "purl": "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"},
      {"type": "library", "name": "z", "purl": "pkg:golang/golang.org/x/net@v0.1.0"},
      {"type": "library", "name": "nopurl"}
    ]})";
  core::Diagnostics diags;
  auto r = parse_sbom(doc, "t.json", limits(), diags);
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(r->target.kind, core::TargetKind::sbom);
  EXPECT_EQ(r->os.id, "debian");
  EXPECT_EQ(r->os.version_id, "11");
  ASSERT_EQ(r->packages.size(), 4u);
  std::map<std::string, core::Package> by_name;
  for (const auto& p : r->packages) by_name[p.name] = p;
  ASSERT_TRUE(by_name.contains("libssl1.1"));
  EXPECT_EQ(by_name["libssl1.1"].version, "1.1.1n-0+deb11u3");
  EXPECT_EQ(by_name["libssl1.1"].source_name, "openssl");
  EXPECT_EQ(by_name["libssl1.1"].layer, "sha256:abc");
  EXPECT_TRUE(by_name.contains("@babel/core"));
  EXPECT_TRUE(by_name.contains("org.apache.logging.log4j:log4j-core"));
  EXPECT_EQ(by_name["golang.org/x/net"].ecosystem, core::Ecosystem::golang);
  EXPECT_EQ(diags.warning_count(), 1u);  // the component without a purl
}

TEST(SbomReader, SpdxPurlsAndDistroQualifier) {
  const std::string doc = R"({"spdxVersion": "SPDX-2.3", "packages": [
    {"name": "musl", "versionInfo": "1.2.4-r0", "externalRefs": [
      {"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
       "referenceLocator": "pkg:apk/alpine/musl@1.2.4-r0?arch=x86_64&distro=alpine-3.18.4&origin=musl"}]},
    {"name": "no-ref", "versionInfo": "1"}]})";
  core::Diagnostics diags;
  auto r = parse_sbom(doc, "t.spdx.json", limits(), diags);
  ASSERT_TRUE(r) << r.error().describe();
  ASSERT_EQ(r->packages.size(), 1u);
  EXPECT_EQ(r->packages[0].ecosystem, core::Ecosystem::apk);
  EXPECT_EQ(r->packages[0].source_name, "musl");
  EXPECT_EQ(r->os.id, "alpine");
  EXPECT_EQ(r->os.version_id, "3.18.4");
}

// Trivy writes CBL-Mariner as "cbl-mariner-2.0" (the ID with a dash of its own), Syft as the
// os-release ID "mariner-2.0"; Azure Linux 3 as "azurelinux-3.0".
TEST(SbomReader, MarinerAndAzureLinuxDistroQualifiers) {
  for (const auto& [distro, id, version] :
       std::vector<std::tuple<std::string, std::string, std::string>>{{"cbl-mariner-2.0", "mariner", "2.0"},
                                                                      {"mariner-1.0", "mariner", "1.0"},
                                                                      {"azurelinux-3.0", "azurelinux", "3.0"}}) {
    const std::string doc = R"({"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [
      {"type": "library", "name": "zlib", "purl": "pkg:rpm/x/zlib@1.2.12-1?arch=x86_64&distro=)" +
                            distro + R"("}]})";
    core::Diagnostics diags;
    auto r = parse_sbom(doc, "t.json", limits(), diags);
    ASSERT_TRUE(r) << r.error().describe();
    EXPECT_EQ(r->os.id, id) << distro;
    EXPECT_EQ(r->os.version_id, version) << distro;
  }
}

TEST(SbomReader, PurlVersionsAndEpochs) {
  auto rpm = package_from_purl("pkg:rpm/redhat/openssl@3.0.7-1.el9?epoch=1&arch=x86_64");
  ASSERT_TRUE(rpm);
  EXPECT_EQ(rpm->version, "1:3.0.7-1.el9");
  auto deb =
      package_from_purl("pkg:deb/debian/libcurl4@7.74.0-1.3%2Bdeb11u3%2Bb1?upstream=curl%407.74.0-1.3%2Bdeb11u3");
  ASSERT_TRUE(deb);
  EXPECT_EQ(deb->source_name, "curl");
  EXPECT_EQ(deb->source_version, "7.74.0-1.3+deb11u3");
  EXPECT_FALSE(package_from_purl("pkg:pypi/requests"));  // no version: nothing to match
  EXPECT_FALSE(package_from_purl("not-a-purl"));
}

TEST(SbomReader, BadDocumentsAreClearErrors) {
  core::Diagnostics diags;
  auto expect_error = [&](const std::string& text, std::string_view words) {
    auto r = parse_sbom(text, "bad.json", limits(), diags);
    ASSERT_FALSE(r) << text.substr(0, 60);
    EXPECT_NE(r.error().describe().find(words), std::string::npos) << r.error().describe();
    EXPECT_NE(r.error().describe().find("bad.json"), std::string::npos) << r.error().describe();
  };
  expect_error("{", "not valid JSON");
  expect_error("[]", "not a JSON object");
  expect_error(R"({"a": 1})", "not a CycloneDX or SPDX");
  expect_error(R"({"bomFormat": "CycloneDX", "components": 5})", "not an array");
  expect_error(R"({"bomFormat": "CycloneDX", "components": [5]})", "not an object");
  expect_error(R"({"spdxVersion": "SPDX-3.0"})", "SPDX version");
  expect_error(R"({"spdxVersion": "SPDX-2.3", "packages": {}})", "not an array");
  expect_error(std::string(100000, '[') + std::string(100000, ']'), "nested deeper");
  core::Limits small;
  small.max_document_bytes = 10;
  auto r = parse_sbom(R"({"bomFormat": "CycloneDX"})", "big.json", small, diags);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::limit);
}

}  // namespace
}  // namespace bulwark::sbom
