// SPDX 2.3 JSON (https://spdx.github.io/spdx-spec/v2.3/).
//
// The scanned target, its operating system and every catalogued package are
// SPDX packages; the document DESCRIBES the target and the target CONTAINS the
// others. Fields bulwark cannot know (download location, copyright, supplier,
// concluded licence) say NOASSERTION, as the spec asks, rather than guessing.
#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "sbom/document_ids.hpp"
#include "sbom/license.hpp"
#include "sbom/sbom.hpp"
#include "util/strings.hpp"

namespace bulwark::sbom {

namespace {

using Json = nlohmann::ordered_json;
constexpr std::string_view kNoAssertion = "NOASSERTION";

// Hands out SPDX ids that are valid and unique within one document: names from
// scanned images are sanitized, and two packages that sanitize alike (or are
// listed twice) get a counter.
class SpdxIds {
 public:
  std::string make(std::string_view hint) {
    std::string base = "SPDXRef-" + sanitize_spdx_idstring(hint);
    std::string id = base;
    for (int count = 2; used_.contains(id); ++count) id = fmt::format("{}-{}", base, count);
    used_.insert(id);
    return id;
  }

 private:
  std::set<std::string> used_{"SPDXRef-DOCUMENT"};
};

Json base_package(const std::string& spdx_id, const std::string& name, const std::string& version) {
  Json package;
  package["SPDXID"] = spdx_id;
  package["name"] = name.empty() ? std::string("unnamed") : name;
  if (!version.empty()) package["versionInfo"] = version;
  package["supplier"] = kNoAssertion;
  package["downloadLocation"] = kNoAssertion;
  package["filesAnalyzed"] = false;
  return package;
}

void add_licenses(Json& package, const std::string& declared) {
  package["licenseConcluded"] = kNoAssertion;
  auto expression = declared.empty() ? std::nullopt : spdx_license_expression(declared);
  package["licenseDeclared"] = expression ? *expression : std::string(kNoAssertion);
  // Keep what the package metadata said when it is not an SPDX expression, so
  // the information is not lost, only not asserted.
  if (!declared.empty() && !expression) package["licenseComments"] = "declared by the package as: " + declared;
  package["copyrightText"] = kNoAssertion;
}

std::string source_info(const core::Package& package) {
  std::vector<std::string> parts;
  if (!package.source_name.empty()) {
    std::string version = package.source_version.empty() ? package.version : package.source_version;
    parts.push_back(fmt::format("built from source package {} {}", package.source_name, version));
  }
  if (!package.path.empty()) parts.push_back(fmt::format("recorded in {}", package.path));
  if (!package.layer.empty()) parts.push_back(fmt::format("added by layer {}", package.layer));
  return util::join(parts, "; ");
}

std::string_view target_purpose(core::TargetKind kind) {
  switch (kind) {
    case core::TargetKind::image:
    case core::TargetKind::container: return "CONTAINER";
    case core::TargetKind::host: return "OPERATING-SYSTEM";
    case core::TargetKind::rootfs:
    case core::TargetKind::sbom:
    case core::TargetKind::file:
    case core::TargetKind::daemon:
    case core::TargetKind::cluster: return "OTHER";
  }
  return "OTHER";
}

Json relationship(const std::string& from, std::string_view type, const std::string& to) {
  return Json{{"spdxElementId", from}, {"relationshipType", type}, {"relatedSpdxElement", to}};
}

}  // namespace

std::string write_spdx(const core::ScanResult& result, const WriteOptions& options) {
  const std::string document_name = result.target.name.empty() ? std::string("bulwark-sbom") : result.target.name;

  Json doc;
  doc["spdxVersion"] = "SPDX-2.3";
  doc["dataLicense"] = "CC0-1.0";
  doc["SPDXID"] = "SPDXRef-DOCUMENT";
  doc["name"] = document_name;
  // The namespace only has to be a unique URI; bulwark publishes nothing there,
  // hence the reserved .invalid domain.
  doc["documentNamespace"] =
      fmt::format("https://bulwark.invalid/spdxdocs/{}-{}", sanitize_spdx_idstring(document_name), random_uuid_v4());
  std::string creator =
      "Tool: bulwark-" + (options.tool_version.empty() ? std::string(BULWARK_VERSION) : options.tool_version);
  doc["creationInfo"] = Json{{"created", options.timestamp.empty() ? utc_now_rfc3339() : options.timestamp},
                             {"creators", Json::array({creator})}};

  SpdxIds ids;
  Json packages = Json::array();
  Json relationships = Json::array();

  std::string target_version = result.target.id;
  if (result.image && !result.image->config_digest.empty()) target_version = result.image->config_digest;
  const std::string target_id = ids.make(fmt::format("{}-{}", core::to_string(result.target.kind), document_name));
  Json target = base_package(target_id, document_name, target_version);
  add_licenses(target, {});
  target["primaryPackagePurpose"] = target_purpose(result.target.kind);
  packages.push_back(std::move(target));
  relationships.push_back(relationship("SPDXRef-DOCUMENT", "DESCRIBES", target_id));

  if (result.os.known()) {
    const std::string os_id = ids.make(fmt::format("OperatingSystem-{}-{}", result.os.id, result.os.version_id));
    Json os = base_package(os_id, result.os.id, result.os.version_id);
    add_licenses(os, {});
    if (!result.os.pretty_name.empty()) os["description"] = result.os.pretty_name;
    os["primaryPackagePurpose"] = "OPERATING-SYSTEM";
    packages.push_back(std::move(os));
    relationships.push_back(relationship(target_id, "CONTAINS", os_id));
  }

  for (const auto& package : result.packages) {
    const std::string id =
        ids.make(fmt::format("Package-{}-{}-{}", core::to_string(package.ecosystem), package.name, package.version));
    Json entry = base_package(id, package.name, package.version);
    add_licenses(entry, package.license);
    if (auto info = source_info(package); !info.empty()) entry["sourceInfo"] = info;
    if (auto purl = canonical_purl(package.purl); !purl.empty()) {
      entry["externalRefs"] = Json::array(
          {Json{{"referenceCategory", "PACKAGE-MANAGER"}, {"referenceType", "purl"}, {"referenceLocator", purl}}});
    }
    packages.push_back(std::move(entry));
    relationships.push_back(relationship(target_id, "CONTAINS", id));
  }

  doc["packages"] = std::move(packages);
  doc["relationships"] = std::move(relationships);
  return doc.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

}  // namespace bulwark::sbom
