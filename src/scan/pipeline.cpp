#include "scan/pipeline.hpp"

#include <set>
#include <string>
#include <vector>

#include "catalog/catalog.hpp"
#include "catalog/gobinary.hpp"
#include "core/filetree.hpp"
#include "image/rootfs.hpp"

namespace bulwark::scan {

namespace {

std::string package_key(const core::Package& p) {
  return std::string(core::to_string(p.ecosystem)) + "\x1f" + p.name + "\x1f" + p.version + "\x1f" + p.architecture;
}

// The package set as it stood after one layer changed a package database.
struct Snapshot {
  std::size_t layer = 0;
  std::set<std::string> keys;
};

// Each package is attributed to the layer from which on it is present without a
// break up to the final image: the layer that installed (or last upgraded) it.
void attribute_layers(std::vector<core::Package>& packages, const std::vector<Snapshot>& snapshots,
                      const core::ImageInfo& info) {
  if (snapshots.empty()) return;
  for (auto& p : packages) {
    auto key = package_key(p);
    std::size_t first = snapshots.size();
    for (std::size_t i = snapshots.size(); i-- > 0;) {
      if (!snapshots[i].keys.contains(key)) break;
      first = i;
    }
    if (first == snapshots.size()) continue;
    auto layer = snapshots[first].layer;
    if (layer < info.layers.size()) p.layer = info.layers[layer].diff_id;
  }
}

// Facts about the files of the final tree for the image-config checks: setuid and
// setgid files, world-writable files and folders (without the sticky bit), and the
// package managers and shells left in it.
config::image::FileFacts file_facts(const core::FileTree& tree) {
  static constexpr std::string_view kPackageManagers[] = {
      "usr/bin/apt-get",  "usr/bin/apt", "usr/bin/dpkg",   "sbin/apk",    "usr/bin/yum",  "usr/bin/dnf",
      "usr/bin/microdnf", "usr/bin/rpm", "usr/bin/zypper", "usr/bin/pip", "usr/bin/pip3", "usr/bin/npm"};
  static constexpr std::string_view kShells[] = {"bin/sh",  "bin/bash",     "bin/dash",   "bin/ash",
                                                 "bin/zsh", "usr/bin/bash", "usr/bin/sh", "bin/busybox"};
  config::image::FileFacts facts;
  tree.for_each([&](const core::FileEntry& e) {
    const auto shown = "/" + e.path;
    if (e.type == core::FileType::regular || e.type == core::FileType::hardlink) {
      if ((e.mode & 04000U) != 0) facts.setuid.push_back(shown);
      if ((e.mode & 02000U) != 0) facts.setgid.push_back(shown);
    }
    const bool writable = (e.mode & 0002U) != 0 && (e.mode & 01000U) == 0;
    if (writable && (e.type == core::FileType::regular || e.type == core::FileType::directory)) {
      facts.world_writable.push_back(shown);
    }
  });
  for (auto path : kPackageManagers) {
    if (tree.find(path) != nullptr) facts.package_managers.push_back("/" + std::string(path));
  }
  for (auto path : kShells) {
    if (tree.find(path) != nullptr) facts.shells.push_back("/" + std::string(path));
  }
  return facts;
}

}  // namespace

Result<core::ScanResult> inventory(const image::Reference& ref, const image::SourceOptions& options,
                                   const core::Context& ctx, core::Diagnostics& diags, InventoryExtras* extras) {
  // Every cataloger's files are kept; only the OS package databases trigger the
  // per-layer snapshots (a language package's layer is the layer of its own file).
  auto catalogers = catalog::all_catalogers();
  auto os_catalogers = catalog::os_catalogers();
  auto os_db_changed = [&](std::string_view path) {
    for (auto& c : os_catalogers) {
      if (c->wants(path)) return true;
    }
    return false;
  };
  const bool packages_wanted = extras == nullptr || extras->packages;
  core::FileWanted wanted = [&](std::string_view path) {
    if (catalog::os_release_wanted(path)) return true;
    if (!packages_wanted) return false;
    for (auto& c : catalogers) {
      if (c->wants(path)) return true;
    }
    return false;
  };

  secret::SecretProbe* secrets = extras != nullptr ? extras->secrets : nullptr;
  std::vector<const core::ContentProbe*> probes;
  if (packages_wanted) probes.push_back(&catalog::go_binary_probe());
  if (secrets != nullptr) probes.push_back(secrets);
  const core::ProbeChain probe(std::move(probes));

  core::ScanResult result;
  result.target.name = ref.str();
  core::FileTree tree;
  std::vector<Snapshot> snapshots;

  if (ref.transport == image::Transport::dir) {
    result.target.kind = core::TargetKind::rootfs;
    if (auto st = image::read_directory(ref.path, wanted, ctx, tree, &probe); !st) return std::unexpected(st.error());
  } else {
    result.target.kind = core::TargetKind::image;
    auto source = image::open_source(ref, options, ctx);
    if (!source) return std::unexpected(source.error().within(ref.str()));
    result.image = (*source)->info();
    if (extras != nullptr) extras->config_json = (*source)->config_json();
    result.target.id = result.image->config_digest;
    image::LayerObserver after_layer = [&](std::size_t layer, const core::FileTree& t,
                                           const std::vector<std::string>& kept) {
      if (secrets != nullptr) secrets->after_layer(layer, t);
      if (!packages_wanted) return;
      bool db_changed = false;
      for (auto& path : kept) {
        if (os_db_changed(path)) {
          db_changed = true;
          break;
        }
      }
      if (!db_changed) return;
      core::Diagnostics scratch;  // problems are reported once, from the final tree
      auto pkgs = catalog::catalog_all(t, catalog::detect_os(t), scratch, {}, catalog::CatalogScope::os_only);
      if (!pkgs) return;
      Snapshot snap;
      snap.layer = layer;
      for (auto& p : *pkgs) snap.keys.insert(package_key(p));
      snapshots.push_back(std::move(snap));
    };
    if (auto st = image::read_layers(**source, wanted, ctx, tree, after_layer, &probe); !st) {
      return std::unexpected(st.error().within(ref.str()));
    }
  }

  result.os = catalog::detect_os(tree);
  std::vector<std::string> diff_ids;
  if (result.image) {
    for (const auto& layer : result.image->layers) diff_ids.push_back(layer.diff_id);
  }
  if (packages_wanted) {
    auto packages = catalog::catalog_all(tree, result.os, diags, diff_ids);
    if (!packages) return std::unexpected(packages.error().within(ref.str()));
    result.packages = std::move(*packages);
    if (result.image) attribute_layers(result.packages, snapshots, *result.image);
  }
  if (extras != nullptr) extras->facts = file_facts(tree);
  return result;
}

}  // namespace bulwark::scan
