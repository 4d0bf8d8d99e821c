#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "../../tests/schema/sample_scan.hpp"
#include "core/purl.hpp"
#include "sbom/document_ids.hpp"
#include "sbom/license.hpp"
#include "sbom/sbom.hpp"

using namespace bulwark;
using nlohmann::json;

namespace {

const sbom::WriteOptions kOptions{"0.1.0", "2024-03-01T12:00:00Z"};

json cyclonedx(const core::ScanResult& r) {
  return json::parse(sbom::write_cyclonedx(r, kOptions));
}
json spdx(const core::ScanResult& r) {
  return json::parse(sbom::write_spdx(r, kOptions));
}

// The library components (packages) of a CycloneDX document.
std::vector<json> libraries(const json& bom) {
  std::vector<json> out;
  for (const auto& c : bom["components"]) {
    if (c["type"] == "library") out.push_back(c);
  }
  return out;
}

std::string property(const json& component, const std::string& name) {
  for (const auto& p : component.value("properties", json::array())) {
    if (p["name"] == name) return p["value"];
  }
  return {};
}

const json* spdx_package(const json& doc, const std::string& name, const std::string& version) {
  for (const auto& p : doc["packages"]) {
    if (p["name"] == name && p.value("versionInfo", "") == version) return &p;
  }
  return nullptr;
}

}  // namespace

// ------------------------------------------------------------------ licences

TEST(License, KnownIdsMatchCaseInsensitivelyAndComeBackCanonical) {
  EXPECT_EQ(sbom::spdx_license_id("MIT"), "MIT");
  EXPECT_EQ(sbom::spdx_license_id("apache-2.0"), "Apache-2.0");
  EXPECT_EQ(sbom::spdx_license_id(" GPL-2.0-or-later "), "GPL-2.0-or-later");
  EXPECT_EQ(sbom::spdx_license_id("GPL-2+"), std::nullopt);  // Debian's short name, not SPDX
  EXPECT_EQ(sbom::spdx_license_id("BSD-like"), std::nullopt);
  EXPECT_EQ(sbom::spdx_license_id(""), std::nullopt);
}

TEST(License, ExpressionsAreParsedAndCanonicalised) {
  EXPECT_EQ(sbom::spdx_license_expression("MIT"), "MIT");
  EXPECT_EQ(sbom::spdx_license_expression("GPL-1.0-or-later OR Artistic-1.0-Perl"),
            "GPL-1.0-or-later OR Artistic-1.0-Perl");
  EXPECT_EQ(sbom::spdx_license_expression("(mit  OR apache-2.0) AND bsd-3-clause"),
            "(MIT OR Apache-2.0) AND BSD-3-Clause");
  EXPECT_EQ(sbom::spdx_license_expression("GPL-3.0-or-later WITH gcc-exception-3.1"),
            "GPL-3.0-or-later WITH GCC-exception-3.1");
  EXPECT_EQ(sbom::spdx_license_expression("Apache-1.1+"), "Apache-1.1+");
}

TEST(License, InvalidExpressionsAreRefused) {
  for (const char* text :
       {"mit or apache-2.0", "MIT OR", "(MIT", "MIT)", "MIT AND AND ISC", "GPL-3+ with GCC-exception", "LicenseRef-foo",
        "MIT WITH Nonsense-exception", "WITH MIT", "", "   ", "()"}) {
    EXPECT_EQ(sbom::spdx_license_expression(text), std::nullopt) << text;
  }
}

TEST(License, DeepNestingIsRefusedNotRecursedForever) {
  std::string deep = std::string(10000, '(') + "MIT" + std::string(10000, ')');
  EXPECT_EQ(sbom::spdx_license_expression(deep), std::nullopt);
  std::string shallow = std::string(5, '(') + "MIT" + std::string(5, ')');
  EXPECT_EQ(sbom::spdx_license_expression(shallow), "(((((MIT)))))");
}

// ------------------------------------------------------------------ ids

TEST(DocumentIds, UuidIsVersion4AndRandom) {
  std::regex form("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    auto id = sbom::random_uuid_v4();
    EXPECT_TRUE(std::regex_match(id, form)) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 100U);
}

TEST(DocumentIds, NowIsSpdxTimestampForm) {
  EXPECT_TRUE(std::regex_match(sbom::utc_now_rfc3339(), std::regex(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$)")));
}

TEST(DocumentIds, SpdxIdSanitizing) {
  EXPECT_EQ(sbom::sanitize_spdx_idstring("libc6-2.36-9+deb12u4"), "libc6-2.36-9-deb12u4");
  EXPECT_EQ(sbom::sanitize_spdx_idstring("@babel/core 1:2~3"), "-babel-core-1-2-3");
  EXPECT_EQ(sbom::sanitize_spdx_idstring(""), "unnamed");
  EXPECT_TRUE(sbom::is_valid_spdx_id("SPDXRef-Package-deb-libc6-2.36"));
  EXPECT_FALSE(sbom::is_valid_spdx_id("SPDXRef-"));
  EXPECT_FALSE(sbom::is_valid_spdx_id("SPDXRef-a_b"));
  EXPECT_FALSE(sbom::is_valid_spdx_id("Package-1"));
}

TEST(DocumentIds, CanonicalPurl) {
  EXPECT_EQ(sbom::canonical_purl("pkg:npm/@babel/core@7.23.9"), "pkg:npm/%40babel/core@7.23.9");
  EXPECT_EQ(sbom::canonical_purl("pkg:deb/debian/libc6@2.36?distro=debian-12&arch=amd64"),
            "pkg:deb/debian/libc6@2.36?arch=amd64&distro=debian-12");
  EXPECT_EQ(sbom::canonical_purl("not a purl"), "");
  EXPECT_EQ(sbom::canonical_purl(""), "");
}

// ------------------------------------------------------------------ CycloneDX

TEST(CycloneDx, DocumentHeader) {
  auto bom = cyclonedx(fixtures::sample_scan_result());
  EXPECT_EQ(bom["bomFormat"], "CycloneDX");
  EXPECT_EQ(bom["specVersion"], "1.5");
  EXPECT_EQ(bom["version"], 1);
  EXPECT_TRUE(
      std::regex_match(bom["serialNumber"].get<std::string>(),
                       std::regex("^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")));
  EXPECT_EQ(bom["metadata"]["timestamp"], "2024-03-01T12:00:00Z");
  const auto& tool = bom["metadata"]["tools"]["components"].at(0);
  EXPECT_EQ(tool["type"], "application");
  EXPECT_EQ(tool["name"], "bulwark");
  EXPECT_EQ(tool["version"], "0.1.0");
}

TEST(CycloneDx, SerialNumberDiffersBetweenWrites) {
  auto r = fixtures::sample_scan_result();
  EXPECT_NE(cyclonedx(r)["serialNumber"], cyclonedx(r)["serialNumber"]);
}

TEST(CycloneDx, ImageIsTheContainerComponent) {
  auto r = fixtures::sample_scan_result();
  auto bom = cyclonedx(r);
  const auto& target = bom["metadata"]["component"];
  EXPECT_EQ(target["type"], "container");
  EXPECT_EQ(target["name"], r.target.name);
  EXPECT_EQ(target["version"], r.image->config_digest);
  EXPECT_EQ(property(target, "bulwark:image:manifest_digest"), r.image->manifest_digest);
  EXPECT_FALSE(target["bom-ref"].get<std::string>().empty());
}

TEST(CycloneDx, OperatingSystemComponent) {
  auto bom = cyclonedx(fixtures::sample_scan_result());
  const auto& os = bom["components"].at(0);
  EXPECT_EQ(os["type"], "operating-system");
  EXPECT_EQ(os["name"], "debian");
  EXPECT_EQ(os["version"], "12");
  EXPECT_EQ(os["description"], "Debian GNU/Linux 12 (bookworm)");
}

TEST(CycloneDx, OneLibraryPerPackageWithThePackagePurl) {
  auto r = fixtures::sample_scan_result();
  auto libs = libraries(cyclonedx(r));
  ASSERT_EQ(libs.size(), r.packages.size());
  for (std::size_t i = 0; i < libs.size(); ++i) {
    EXPECT_EQ(libs[i]["name"], r.packages[i].name);
    EXPECT_EQ(libs[i]["version"], r.packages[i].version);
    // The fixture builds purls with core::Purl; the document must carry exactly that string.
    EXPECT_EQ(libs[i]["purl"], r.packages[i].purl);
    auto parsed = core::parse_purl(libs[i]["purl"].get<std::string>());
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(parsed->str(), libs[i]["purl"]);
  }
  EXPECT_EQ(libs[2]["purl"], "pkg:deb/debian/login@1%3A4.13%2Bdfsg1-1%2Bb1?arch=amd64&distro=debian-12");
  EXPECT_EQ(libs[3]["purl"], "pkg:deb/debian/libgcc-s1@12.2.0-14~bpo1?arch=amd64&distro=debian-12");
  EXPECT_EQ(libs[7]["purl"], "pkg:npm/%40babel/core@7.23.9");
}

TEST(CycloneDx, BomRefsAreUniqueEvenForDuplicatePurls) {
  auto bom = cyclonedx(fixtures::sample_scan_result());
  std::set<std::string> refs{bom["metadata"]["component"]["bom-ref"].get<std::string>()};
  std::size_t count = 1;
  for (const auto& c : bom["components"]) {
    refs.insert(c["bom-ref"].get<std::string>());
    ++count;
  }
  EXPECT_EQ(refs.size(), count);
  auto libs = libraries(bom);
  // zlib1g is listed twice: the same purl, two refs.
  EXPECT_EQ(libs[5]["purl"], libs[6]["purl"]);
  EXPECT_EQ(libs[5]["bom-ref"], libs[5]["purl"]);
  EXPECT_EQ(libs[6]["bom-ref"], libs[6]["purl"].get<std::string>() + "|2");
}

TEST(CycloneDx, LicencesAsIdExpressionOrName) {
  auto libs = libraries(cyclonedx(fixtures::sample_scan_result()));
  EXPECT_EQ(libs[0]["licenses"], json::parse(R"([{"license":{"id":"LGPL-2.1-or-later"}}])"));
  EXPECT_EQ(libs[1]["licenses"], json::parse(R"([{"expression":"GPL-1.0-or-later OR Artistic-1.0-Perl"}])"));
  EXPECT_FALSE(libs[2].contains("licenses"));  // none known: omitted, not faked
  EXPECT_EQ(libs[3]["licenses"], json::parse(R"([{"license":{"name":"GPL-3+ with GCC-exception"}}])"));
  EXPECT_EQ(libs[4]["licenses"], json::parse(R"([{"license":{"id":"curl"}}])"));
}

TEST(CycloneDx, BulwarkPropertiesCarryPackageMetadata) {
  auto r = fixtures::sample_scan_result();
  auto libs = libraries(cyclonedx(r));
  EXPECT_EQ(property(libs[0], "bulwark:package:source_name"), "glibc");
  EXPECT_EQ(property(libs[0], "bulwark:package:source_version"), "2.36-9+deb12u4");
  EXPECT_EQ(property(libs[0], "bulwark:package:architecture"), "amd64");
  EXPECT_EQ(property(libs[0], "bulwark:layer:diff_id"), r.packages[0].layer);
  EXPECT_EQ(property(libs[0], "bulwark:package:path"), "var/lib/dpkg/status");
  EXPECT_EQ(property(libs[8], "bulwark:package:architecture"), "");  // unknown: no property
  EXPECT_EQ(property(libs[8], "bulwark:package:source_name"), "");
}

TEST(CycloneDx, TargetDependsOnOsAndEveryPackage) {
  auto bom = cyclonedx(fixtures::sample_scan_result());
  ASSERT_EQ(bom["dependencies"].size(), 1U);
  const auto& dep = bom["dependencies"][0];
  EXPECT_EQ(dep["ref"], bom["metadata"]["component"]["bom-ref"]);
  std::vector<std::string> expected;
  for (const auto& c : bom["components"]) expected.push_back(c["bom-ref"]);
  EXPECT_EQ(dep["dependsOn"].get<std::vector<std::string>>(), expected);
}

TEST(CycloneDx, RootfsWithoutOsOrImage) {
  core::ScanResult r;
  r.target = {core::TargetKind::rootfs, "/srv/root", ""};
  auto bom = cyclonedx(r);
  EXPECT_EQ(bom["metadata"]["component"]["type"], "file");
  EXPECT_FALSE(bom["metadata"]["component"].contains("version"));
  EXPECT_TRUE(bom["components"].empty());
  EXPECT_TRUE(bom["dependencies"][0]["dependsOn"].empty());
}

TEST(CycloneDx, InvalidUtf8DoesNotBreakTheDocument) {
  core::ScanResult r;
  r.target = {core::TargetKind::rootfs, "/srv/root", ""};
  core::Package p;
  p.name = "bad\xff";
  r.packages.push_back(p);
  auto bom = cyclonedx(r);  // would throw on parse if the writer emitted raw 0xff
  EXPECT_EQ(libraries(bom).at(0)["name"], "bad\xef\xbf\xbd");
}

// ------------------------------------------------------------------ SPDX

TEST(Spdx, DocumentHeader) {
  auto r = fixtures::sample_scan_result();
  auto doc = spdx(r);
  EXPECT_EQ(doc["spdxVersion"], "SPDX-2.3");
  EXPECT_EQ(doc["dataLicense"], "CC0-1.0");
  EXPECT_EQ(doc["SPDXID"], "SPDXRef-DOCUMENT");
  EXPECT_EQ(doc["name"], r.target.name);
  EXPECT_TRUE(std::regex_match(doc["documentNamespace"].get<std::string>(),
                               std::regex("^https://bulwark\\.invalid/spdxdocs/[A-Za-z0-9.-]+-[0-9a-f-]{36}$")))
      << doc["documentNamespace"];
  EXPECT_EQ(doc["creationInfo"]["created"], "2024-03-01T12:00:00Z");
  EXPECT_EQ(doc["creationInfo"]["creators"], json::parse(R"(["Tool: bulwark-0.1.0"])"));
  EXPECT_NE(spdx(r)["documentNamespace"], doc["documentNamespace"]);
}

TEST(Spdx, IdsAreValidAndUnique) {
  auto doc = spdx(fixtures::sample_scan_result());
  std::set<std::string> ids;
  for (const auto& p : doc["packages"]) {
    auto id = p["SPDXID"].get<std::string>();
    EXPECT_TRUE(sbom::is_valid_spdx_id(id)) << id;
    EXPECT_TRUE(ids.insert(id).second) << "duplicate " << id;
  }
  EXPECT_EQ(ids.size(), 2 + fixtures::sample_scan_result().packages.size());
}

TEST(Spdx, PackagesCarryRequiredFieldsAndPurl) {
  auto r = fixtures::sample_scan_result();
  auto doc = spdx(r);
  for (const auto& package : r.packages) {
    const json* p = spdx_package(doc, package.name, package.version);
    ASSERT_NE(p, nullptr) << package.name;
    EXPECT_EQ((*p)["downloadLocation"], "NOASSERTION");
    EXPECT_EQ((*p)["filesAnalyzed"], false);
    EXPECT_EQ((*p)["licenseConcluded"], "NOASSERTION");
    EXPECT_EQ((*p)["copyrightText"], "NOASSERTION");
    EXPECT_EQ((*p)["supplier"], "NOASSERTION");
    const auto& ref = (*p)["externalRefs"].at(0);
    EXPECT_EQ(ref["referenceCategory"], "PACKAGE-MANAGER");
    EXPECT_EQ(ref["referenceType"], "purl");
    EXPECT_EQ(ref["referenceLocator"], package.purl);
  }
  const json* libc = spdx_package(doc, "libc6", "2.36-9+deb12u4");
  ASSERT_NE(libc, nullptr);
  EXPECT_EQ((*libc)["SPDXID"], "SPDXRef-Package-deb-libc6-2.36-9-deb12u4");
  EXPECT_NE((*libc)["sourceInfo"].get<std::string>().find("glibc 2.36-9+deb12u4"), std::string::npos);
}

TEST(Spdx, DeclaredLicenceIsAnExpressionOrNoAssertion) {
  auto doc = spdx(fixtures::sample_scan_result());
  EXPECT_EQ((*spdx_package(doc, "perl-base", "5.36.0-7+deb12u1"))["licenseDeclared"],
            "GPL-1.0-or-later OR Artistic-1.0-Perl");
  EXPECT_EQ((*spdx_package(doc, "login", "1:4.13+dfsg1-1+b1"))["licenseDeclared"], "NOASSERTION");
  const json& gcc = *spdx_package(doc, "libgcc-s1", "12.2.0-14~bpo1");
  EXPECT_EQ(gcc["licenseDeclared"], "NOASSERTION");
  EXPECT_EQ(gcc["licenseComments"], "declared by the package as: GPL-3+ with GCC-exception");
}

TEST(Spdx, DocumentDescribesTargetWhichContainsEverything) {
  auto doc = spdx(fixtures::sample_scan_result());
  const auto& target = doc["packages"][0];
  EXPECT_EQ(target["primaryPackagePurpose"], "CONTAINER");
  const auto& rels = doc["relationships"];
  ASSERT_EQ(rels.size(), doc["packages"].size());
  EXPECT_EQ(rels[0], json({{"spdxElementId", "SPDXRef-DOCUMENT"},
                           {"relationshipType", "DESCRIBES"},
                           {"relatedSpdxElement", target["SPDXID"]}}));
  for (std::size_t i = 1; i < rels.size(); ++i) {
    EXPECT_EQ(rels[i]["spdxElementId"], target["SPDXID"]);
    EXPECT_EQ(rels[i]["relationshipType"], "CONTAINS");
    EXPECT_EQ(rels[i]["relatedSpdxElement"], doc["packages"][i]["SPDXID"]);
  }
}
