// The catalogers over a FileTree, purls, and catalog_all.
#include "catalog/catalog.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "catalog/gobinary.hpp"
#include "catalog/internal.hpp"
#include "catalog/lang.hpp"
#include "core/purl.hpp"
#include "util/strings.hpp"

namespace bulwark::catalog {

namespace {

const core::FileEntry* readable(const core::FileTree& tree, std::string_view path) {
  return find_regular(tree, path);
}

std::string distro_qualifier(const core::OsInfo& os) {
  if (os.id.empty()) return {};
  auto v = os.version_id.empty() ? os.codename : os.version_id;
  return v.empty() ? os.id : os.id + "-" + v;
}

constexpr std::string_view kDpkgStatus = "var/lib/dpkg/status";
constexpr std::string_view kDpkgStatusD = "var/lib/dpkg/status.d/";
constexpr std::string_view kDocPrefix = "usr/share/doc/";

class DpkgCataloger final : public Cataloger {
 public:
  [[nodiscard]] std::string_view name() const override { return "dpkg"; }
  [[nodiscard]] bool wants(std::string_view path) const override {
    if (path == kDpkgStatus) return true;
    if (path.starts_with(kDpkgStatusD)) {
      auto file = path.substr(kDpkgStatusD.size());
      return !file.empty() && file.find('/') == std::string_view::npos && !file.ends_with(".md5sums") &&
             !file.ends_with(".list");
    }
    if (path.starts_with(kDocPrefix) && path.ends_with("/copyright")) {
      auto pkg = path.substr(kDocPrefix.size(), path.size() - kDocPrefix.size() - 10);
      return !pkg.empty() && pkg.find('/') == std::string_view::npos;
    }
    return false;
  }
  [[nodiscard]] Result<std::vector<core::Package>> catalog(const core::FileTree& tree, const core::OsInfo&,
                                                           core::Diagnostics& diags) const override {
    std::vector<core::Package> out;
    if (auto e = readable(tree, kDpkgStatus)) {
      auto pkgs = parse_dpkg_status(*e->content, kDpkgStatus, MissingStatus::not_installed, diags);
      out.insert(out.end(), pkgs.begin(), pkgs.end());
    }
    tree.for_each_below(kDpkgStatusD.substr(0, kDpkgStatusD.size() - 1), [&](const core::FileEntry& e) {
      if (e.type != core::FileType::regular || !e.content || !wants(e.path)) return;
      auto pkgs = parse_dpkg_status(*e.content, e.path, MissingStatus::installed, diags);
      out.insert(out.end(), pkgs.begin(), pkgs.end());
    });
    for (auto& p : out) {
      if (auto c = readable(tree, fmt::format("{}{}/copyright", kDocPrefix, p.name))) {
        p.license = parse_dep5_licenses(*c->content);
      }
    }
    return out;
  }
};

class ApkCataloger final : public Cataloger {
 public:
  static constexpr std::string_view kPath = "lib/apk/db/installed";
  [[nodiscard]] std::string_view name() const override { return "apk"; }
  [[nodiscard]] bool wants(std::string_view path) const override { return path == kPath; }
  [[nodiscard]] Result<std::vector<core::Package>> catalog(const core::FileTree& tree, const core::OsInfo&,
                                                           core::Diagnostics& diags) const override {
    auto e = readable(tree, kPath);
    if (!e) return std::vector<core::Package>{};
    return parse_apk_installed(*e->content, kPath, diags);
  }
};

enum class RpmFormat { sqlite, ndb, bdb };
struct RpmDbPath {
  std::string_view path;
  RpmFormat format;
};
// Newest format first: an image converted from BDB to SQLite may still carry the old file.
constexpr RpmDbPath kRpmDbs[] = {
    {"usr/lib/sysimage/rpm/rpmdb.sqlite", RpmFormat::sqlite}, {"var/lib/rpm/rpmdb.sqlite", RpmFormat::sqlite},
    {"usr/lib/sysimage/rpm/Packages.db", RpmFormat::ndb},     {"var/lib/rpm/Packages.db", RpmFormat::ndb},
    {"usr/lib/sysimage/rpm/Packages", RpmFormat::bdb},        {"var/lib/rpm/Packages", RpmFormat::bdb},
};

class RpmCataloger final : public Cataloger {
 public:
  [[nodiscard]] std::string_view name() const override { return "rpm"; }
  [[nodiscard]] bool wants(std::string_view path) const override {
    return std::ranges::any_of(kRpmDbs, [&](const RpmDbPath& d) { return d.path == path; });
  }
  [[nodiscard]] Result<std::vector<core::Package>> catalog(const core::FileTree& tree, const core::OsInfo&,
                                                           core::Diagnostics& diags) const override {
    for (const auto& db : kRpmDbs) {
      auto e = readable(tree, db.path);
      if (!e) continue;
      Result<std::vector<std::string>> blobs = db.format == RpmFormat::sqlite ? read_rpm_sqlite(*e->content)
                                               : db.format == RpmFormat::ndb  ? read_rpm_ndb(*e->content)
                                                                              : read_rpm_bdb(*e->content);
      if (!blobs) return std::unexpected(blobs.error().within(e->path));
      return rpm_packages(*blobs, e->path, diags);
    }
    return std::vector<core::Package>{};
  }
};

std::string rpm_namespace(std::string_view id) {
  if (id == "rhel" || id == "redhat") return "redhat";
  if (id == "amzn") return "amazon";
  if (id.starts_with("opensuse")) return "opensuse";
  if (id == "sles" || id == "sled" || id == "suse") return "suse";
  if (id == "ol") return "oracle";
  return std::string(id);
}

}  // namespace

void fill_purl(core::Package& pkg, const core::OsInfo& os) {
  core::Purl purl;
  purl.name = pkg.name;
  purl.version = pkg.version;
  if (!pkg.architecture.empty()) purl.qualifiers["arch"] = pkg.architecture;
  purl.qualifiers["distro"] = distro_qualifier(os);
  switch (pkg.ecosystem) {
    case core::Ecosystem::deb:
      purl.type = "deb";
      purl.namespace_ = os.id == "ubuntu" ? "ubuntu" : "debian";
      // The source package is not a purl qualifier here (Trivy's form, and the issue's):
      // it is in the SBOM's properties and the JSON's source fields.
      break;
    case core::Ecosystem::apk:
      purl.type = "apk";
      purl.namespace_ = os.id == "wolfi" || os.id == "chainguard" ? os.id : "alpine";
      break;
    case core::Ecosystem::rpm: {
      purl.type = "rpm";
      purl.namespace_ = rpm_namespace(os.id.empty() ? "redhat" : os.id);
      // The purl spec puts the epoch in a qualifier, not in the version.
      auto colon = pkg.version.find(':');
      if (pkg.epoch && colon != std::string::npos) purl.version = pkg.version.substr(colon + 1);
      if (pkg.epoch) purl.qualifiers["epoch"] = std::to_string(*pkg.epoch);
      break;
    }
    default: return;
  }
  pkg.purl = purl.str();
}

std::vector<std::unique_ptr<Cataloger>> os_catalogers() {
  std::vector<std::unique_ptr<Cataloger>> out;
  out.push_back(std::make_unique<DpkgCataloger>());
  out.push_back(std::make_unique<ApkCataloger>());
  out.push_back(std::make_unique<RpmCataloger>());
  return out;
}

std::vector<std::unique_ptr<Cataloger>> all_catalogers() {
  auto out = os_catalogers();
  for (auto& c : lang_catalogers()) out.push_back(std::move(c));
  out.push_back(go_binary_cataloger());
  return out;
}

Result<std::vector<core::Package>> catalog_all(const core::FileTree& tree, const core::OsInfo& os,
                                               core::Diagnostics& diags, std::span<const std::string> layer_diff_ids,
                                               CatalogScope scope) {
  std::vector<core::Package> all;
  for (const auto& c : scope == CatalogScope::all ? all_catalogers() : os_catalogers()) {
    auto pkgs = c->catalog(tree, os, diags);
    if (!pkgs) {
      // One unreadable database does not hide the others; the caller sees it in diags.
      diags.error(fmt::format("{}-database", c->name()), pkgs.error().context, pkgs.error().message);
      continue;
    }
    for (auto& p : *pkgs) {
      if (p.purl.empty()) fill_purl(p, os);
      const auto* entry = tree.find(p.path);
      if (entry == nullptr) entry = find_regular(tree, p.path);
      if (const auto* e = entry; e && e->layer >= 0 && static_cast<std::size_t>(e->layer) < layer_diff_ids.size()) {
        p.layer = layer_diff_ids[static_cast<std::size_t>(e->layer)];
      }
      all.push_back(std::move(p));
    }
  }
  std::ranges::sort(all, [](const core::Package& a, const core::Package& b) {
    return std::tie(a.name, a.version, a.architecture, a.path) < std::tie(b.name, b.version, b.architecture, b.path);
  });
  return all;
}

}  // namespace bulwark::catalog
