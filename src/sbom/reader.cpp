#include "sbom/reader.hpp"

#include <fmt/format.h>

#include <cctype>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "core/purl.hpp"
#include "util/files.hpp"
#include "util/json_depth.hpp"
#include "util/strings.hpp"

namespace bulwark::sbom {
namespace {

using nlohmann::json;

std::string text_of(const json& obj, std::string_view key) {
  if (!obj.is_object()) return {};
  const auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

core::Ecosystem ecosystem_of(std::string_view type) {
  if (type == "deb") return core::Ecosystem::deb;
  if (type == "apk") return core::Ecosystem::apk;
  if (type == "rpm") return core::Ecosystem::rpm;
  if (type == "pypi") return core::Ecosystem::pypi;
  if (type == "npm") return core::Ecosystem::npm;
  if (type == "golang") return core::Ecosystem::golang;
  if (type == "maven") return core::Ecosystem::maven;
  if (type == "cargo") return core::Ecosystem::cargo;
  if (type == "gem") return core::Ecosystem::gem;
  return core::Ecosystem::unknown;
}

// A distribution name as SBOM tools write it (os-release IDs, Trivy's families, purl
// namespaces) to the os-release ID.
std::string os_id_of(std::string_view name) {
  const auto n = util::to_lower(name);
  if (n == "redhat" || n == "red hat") return "rhel";
  if (n == "amazon") return "amzn";
  if (n == "oracle") return "ol";
  if (n == "alma") return "almalinux";
  if (n == "suse linux enterprise server" || n == "suse" || n == "sle") return "sles";
  if (n == "opensuse.leap" || n == "opensuse-leap" || n == "opensuse leap") return "opensuse-leap";
  if (n == "opensuse.tumbleweed") return "opensuse-tumbleweed";
  if (n == "cbl-mariner") return "mariner";
  return n;
}

// The distro qualifier: "debian-11", "alpine-3.19.1", "ubuntu-22.04", "wolfi-20230201",
// "centos-7.6.1810" (Syft, and Trivy for most distributions), or the bare release "3.10.2"
// (Trivy for Alpine), whose distribution is the purl's namespace ("pkg:apk/alpine/...").
core::OsInfo os_from_distro(std::string_view distro, std::string_view purl_namespace) {
  core::OsInfo os;
  if (!distro.empty() && std::isdigit(static_cast<unsigned char>(distro.front()))) {
    os.id = os_id_of(purl_namespace);
    os.version_id = std::string(distro);
    return os;
  }
  // IDs with a dash of their own ("opensuse-leap-15.5" is openSUSE Leap, not "opensuse" 15.5;
  // Trivy's "cbl-mariner-2.0" is CBL-Mariner).
  std::size_t dash = std::string_view::npos;
  for (std::string_view id : {"opensuse-leap", "opensuse-tumbleweed", "sle-micro", "sl-micro", "cbl-mariner"}) {
    if (distro.starts_with(id) && (distro.size() == id.size() || distro[id.size()] == '-')) {
      dash = distro.size() == id.size() ? std::string_view::npos : id.size();
      os.id = os_id_of(id);
      break;
    }
  }
  if (os.id.empty()) {
    dash = distro.find('-');
    os.id = os_id_of(distro.substr(0, dash));
  }
  if (dash != std::string_view::npos) os.version_id = std::string(distro.substr(dash + 1));
  return os;
}

// "openssl-1.0.2k-16.el7.src.rpm" -> {"openssl", "1.0.2k-16.el7"}.
std::pair<std::string, std::string> split_source_rpm(std::string_view srpm) {
  for (std::string_view ext : {".src.rpm", ".nosrc.rpm"}) {
    if (srpm.ends_with(ext)) {
      srpm.remove_suffix(ext.size());
      break;
    }
  }
  const auto release_dash = srpm.rfind('-');
  if (release_dash == std::string_view::npos || release_dash == 0) return {std::string(srpm), {}};
  const auto version_dash = srpm.rfind('-', release_dash - 1);
  if (version_dash == std::string_view::npos || version_dash == 0) return {std::string(srpm), {}};
  return {std::string(srpm.substr(0, version_dash)), std::string(srpm.substr(version_dash + 1))};
}

struct Reader {
  std::string_view name;
  core::Diagnostics& diags;
  core::ScanResult result;
  core::OsInfo purl_os;  // from the first OS purl's distro qualifier
  std::size_t without_purl = 0;
  std::size_t bad_purl = 0;
  std::size_t count = 0;

  Status add(const std::string& purl_text, std::string_view layer, std::string_view source_name,
             std::string_view source_version) {
    if (++count > kMaxSbomComponents) {
      return fail(ErrorCode::limit, fmt::format("more than {} components", kMaxSbomComponents), std::string(name));
    }
    if (purl_text.empty()) {
      ++without_purl;
      return {};
    }
    auto p = package_from_purl(purl_text);
    if (!p) {
      if (++bad_purl <= 5) {
        diags.warning("bad-purl", std::string(name),
                      fmt::format("{}: {}; component skipped", util::printable(purl_text), p.error().message));
      }
      return {};
    }
    p->layer = std::string(layer);
    p->path = std::string(name);
    if (!source_name.empty()) p->source_name = std::string(source_name);
    if (!source_version.empty()) p->source_version = std::string(source_version);
    if (!purl_os.known() && (p->ecosystem == core::Ecosystem::deb || p->ecosystem == core::Ecosystem::apk ||
                             p->ecosystem == core::Ecosystem::rpm)) {
      if (auto parsed = core::parse_purl(purl_text); parsed) {
        if (auto it = parsed->qualifiers.find("distro"); it != parsed->qualifiers.end() && !it->second.empty()) {
          purl_os = os_from_distro(it->second, parsed->namespace_);
        }
      }
    }
    result.packages.push_back(std::move(*p));
    return {};
  }

  Status cyclonedx(const json& doc) {
    result.target.id = text_of(doc, "serialNumber");
    // Components nest (a component's own "components"); walk them with an explicit stack.
    std::vector<const json*> stack;
    auto push_list = [&](const json& holder, std::string_view where) -> Status {
      const auto it = holder.find("components");
      if (it == holder.end() || it->is_null()) return {};
      if (!it->is_array()) {
        return fail(ErrorCode::parse, fmt::format("\"components\" of {} is not an array", where), std::string(name));
      }
      for (const auto& c : *it) stack.push_back(&c);
      return {};
    };
    if (auto st = push_list(doc, "the document"); !st) return st;
    if (const auto meta = doc.find("metadata"); meta != doc.end() && meta->is_object()) {
      if (const auto comp = meta->find("component"); comp != meta->end() && comp->is_object()) {
        const auto n = text_of(*comp, "name");
        if (!n.empty()) result.target.name = fmt::format("{} ({})", name, n);
        if (auto st = push_list(*comp, "metadata.component"); !st) return st;
      }
    }
    while (!stack.empty()) {
      const json& c = *stack.back();
      stack.pop_back();
      if (!c.is_object()) return fail(ErrorCode::parse, "a component is not an object", std::string(name));
      if (auto st = push_list(c, "a component"); !st) return st;
      if (text_of(c, "type") == "operating-system") {
        if (!result.os.known()) {
          result.os.id = os_id_of(text_of(c, "name"));
          result.os.version_id = text_of(c, "version");
          result.os.pretty_name = text_of(c, "description");
        }
        continue;
      }
      std::string layer, source_name, source_version;
      std::string trivy_name, trivy_version, trivy_release, trivy_epoch;
      if (const auto props = c.find("properties"); props != c.end() && props->is_array()) {
        for (const auto& prop : *props) {
          const auto key = text_of(prop, "name");
          if (key == "bulwark:layer:diff_id" || key == "aquasecurity:trivy:LayerDiffID" ||
              (key.starts_with("syft:location:") && key.ends_with(":layerID"))) {
            if (layer.empty()) layer = text_of(prop, "value");
          } else if (key == "bulwark:package:source_name") {
            source_name = text_of(prop, "value");
          } else if (key == "bulwark:package:source_version") {
            source_version = text_of(prop, "value");
          } else if (key == "aquasecurity:trivy:SrcName") {
            trivy_name = text_of(prop, "value");
          } else if (key == "aquasecurity:trivy:SrcVersion") {
            trivy_version = text_of(prop, "value");
          } else if (key == "aquasecurity:trivy:SrcRelease") {
            trivy_release = text_of(prop, "value");
          } else if (key == "aquasecurity:trivy:SrcEpoch") {
            trivy_epoch = text_of(prop, "value");
          }
        }
      }
      // Trivy's source package: SrcName, and [SrcEpoch:]SrcVersion[-SrcRelease].
      if (source_name.empty() && !trivy_name.empty()) {
        source_name = trivy_name;
        if (source_version.empty() && !trivy_version.empty()) {
          source_version = trivy_version;
          if (!trivy_release.empty()) source_version += "-" + trivy_release;
          if (!trivy_epoch.empty() && trivy_epoch != "0") source_version = trivy_epoch + ":" + source_version;
        }
      }
      if (auto st = add(text_of(c, "purl"), layer, source_name, source_version); !st) return st;
    }
    return {};
  }

  Status spdx(const json& doc) {
    result.target.id = text_of(doc, "documentNamespace");
    const auto it = doc.find("packages");
    if (it == doc.end() || it->is_null()) return {};
    if (!it->is_array()) return fail(ErrorCode::parse, "\"packages\" is not an array", std::string(name));
    for (const auto& p : *it) {
      if (!p.is_object()) return fail(ErrorCode::parse, "a package is not an object", std::string(name));
      // Trivy names its OS package "SPDXRef-OperatingSystem-..." without a purpose.
      if (text_of(p, "primaryPackagePurpose") == "OPERATING-SYSTEM" ||
          text_of(p, "SPDXID").starts_with("SPDXRef-OperatingSystem-")) {
        if (!result.os.known()) {
          result.os.id = os_id_of(text_of(p, "name"));
          result.os.version_id = text_of(p, "versionInfo");
        }
        continue;
      }
      std::string purl;
      if (const auto refs = p.find("externalRefs"); refs != p.end() && refs->is_array()) {
        for (const auto& r : *refs) {
          if (text_of(r, "referenceType") == "purl") {
            purl = text_of(r, "referenceLocator");
            break;
          }
        }
      }
      // Trivy: "sourceInfo": "built package from: openssl 1.1.1k-r0" names the source package.
      std::string source_name, source_version;
      constexpr std::string_view kBuiltFrom = "built package from: ";
      if (const auto info = text_of(p, "sourceInfo"); info.starts_with(kBuiltFrom)) {
        const std::string_view rest = std::string_view(info).substr(kBuiltFrom.size());
        const auto space = rest.find(' ');
        source_name = std::string(rest.substr(0, space));
        if (space != std::string_view::npos) source_version = std::string(util::trim(rest.substr(space + 1)));
      }
      if (auto st = add(purl, {}, source_name, source_version); !st) return st;
    }
    return {};
  }
};

}  // namespace

Result<core::Package> package_from_purl(std::string_view text) {
  auto parsed = core::parse_purl(text);
  if (!parsed) return std::unexpected(parsed.error());
  const auto& purl = *parsed;
  core::Package p;
  p.purl = std::string(text);
  p.ecosystem = ecosystem_of(purl.type);
  p.version = purl.version;
  p.name = purl.name;
  auto qualifier = [&](std::string_view key) -> std::string {
    const auto it = purl.qualifiers.find(std::string(key));
    return it == purl.qualifiers.end() ? std::string() : it->second;
  };
  p.architecture = qualifier("arch");
  switch (p.ecosystem) {
    case core::Ecosystem::npm:
      if (!purl.namespace_.empty()) p.name = purl.namespace_ + "/" + purl.name;
      break;
    case core::Ecosystem::golang:
      if (!purl.namespace_.empty()) p.name = purl.namespace_ + "/" + purl.name;
      break;
    case core::Ecosystem::maven:
      if (!purl.namespace_.empty()) p.name = purl.namespace_ + ":" + purl.name;
      break;
    case core::Ecosystem::deb: {
      // upstream=SRC or upstream=SRC@VER (syft, bulwark); the source version defaults to the binary's.
      const auto upstream = qualifier("upstream");
      const auto at = upstream.find('@');
      p.source_name = upstream.substr(0, at);
      if (at != std::string::npos) p.source_version = upstream.substr(at + 1);
      if (const auto epoch = qualifier("epoch"); !epoch.empty() && p.version.find(':') == std::string::npos) {
        p.version = epoch + ":" + p.version;
      }
      break;
    }
    case core::Ecosystem::apk: {
      // origin (bulwark), else upstream=ORIGIN (Syft, Trivy); the origin's version is the package's.
      p.source_name = qualifier("origin");
      if (p.source_name.empty()) {
        const auto upstream = qualifier("upstream");
        p.source_name = upstream.substr(0, upstream.find('@'));
      }
      break;
    }
    case core::Ecosystem::rpm: {
      if (const auto epoch = qualifier("epoch"); !epoch.empty() && epoch != "0") p.version = epoch + ":" + p.version;
      // upstream=NAME-VERSION-RELEASE.src.rpm (Syft): the source RPM, with the binary's epoch.
      if (const auto upstream = qualifier("upstream"); !upstream.empty()) {
        auto [name, evr] = split_source_rpm(upstream);
        p.source_name = std::move(name);
        if (!evr.empty()) {
          const auto colon = p.version.find(':');
          p.source_version = colon == std::string::npos ? evr : p.version.substr(0, colon + 1) + evr;
        }
      }
      break;
    }
    default: break;
  }
  if (p.version.empty()) return fail(ErrorCode::parse, "purl has no version", std::string(text));
  return p;
}

Result<core::ScanResult> parse_sbom(std::string_view text, std::string_view name, const core::Limits& limits,
                                    core::Diagnostics& diags) {
  if (text.size() > limits.max_document_bytes) {
    return fail(ErrorCode::limit, fmt::format("SBOM larger than {} bytes", limits.max_document_bytes),
                std::string(name));
  }
  if (util::json_depth(text, limits.max_json_depth + 1) > limits.max_json_depth) {
    return fail(ErrorCode::limit, fmt::format("JSON nested deeper than {} levels", limits.max_json_depth),
                std::string(name));
  }
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return fail(ErrorCode::parse, "not valid JSON", std::string(name));
  if (!doc.is_object()) {
    return fail(ErrorCode::parse, "not an SBOM: the document is not a JSON object", std::string(name));
  }
  Reader r{name, diags, {}, {}, 0, 0, 0};
  r.result.target.kind = core::TargetKind::sbom;
  r.result.target.name = std::string(name);
  Status st;
  try {
    if (text_of(doc, "bomFormat") == "CycloneDX") {
      st = r.cyclonedx(doc);
    } else if (doc.contains("spdxVersion")) {
      if (!text_of(doc, "spdxVersion").starts_with("SPDX-2.")) {
        return fail(ErrorCode::unsupported,
                    fmt::format("SPDX version \"{}\" (bulwark reads SPDX 2.x JSON)",
                                util::printable(text_of(doc, "spdxVersion"))),
                    std::string(name));
      }
      st = r.spdx(doc);
    } else {
      return fail(ErrorCode::parse,
                  "not a CycloneDX or SPDX JSON document (no \"bomFormat\": \"CycloneDX\" and no \"spdxVersion\")",
                  std::string(name));
    }
  } catch (const std::exception& e) {
    return fail(ErrorCode::parse, fmt::format("malformed SBOM: {}", e.what()), std::string(name));
  }
  if (!st) return std::unexpected(st.error());
  if (!r.result.os.known() && r.purl_os.known()) r.result.os = r.purl_os;
  if (r.without_purl > 0) {
    diags.warning("no-purl", std::string(name),
                  fmt::format("{} component{} without a purl cannot be matched and {} skipped", r.without_purl,
                              r.without_purl == 1 ? "" : "s", r.without_purl == 1 ? "was" : "were"));
  }
  if (r.bad_purl > 5) {
    diags.warning("bad-purl", std::string(name), fmt::format("{} components had an unreadable purl", r.bad_purl));
  }
  return std::move(r.result);
}

Result<core::ScanResult> read_sbom(const std::filesystem::path& path, const core::Limits& limits,
                                   core::Diagnostics& diags) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return fail(ErrorCode::not_found, "no such file", path.string());
  if (std::filesystem::is_directory(path, ec)) {
    return fail(ErrorCode::invalid_argument, "is a directory, not an SBOM file", path.string());
  }
  auto text = util::read_file(path, limits.max_document_bytes);
  if (!text) return std::unexpected(text.error());
  return parse_sbom(*text, path.string(), limits, diags);
}

}  // namespace bulwark::sbom
