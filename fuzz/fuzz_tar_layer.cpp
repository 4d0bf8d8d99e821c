// Image layer reading: tar (pax, ustar, GNU), gzip and zstd detection, whiteouts and
// opaque directories across layers, symlinks and hard links, hostile paths, limits;
// then OS detection, every cataloger and link resolution over the squashed tree.
//
// Input: FZA text (fuzz/common.hpp; "---" separates layers), or raw bytes taken as
// one layer blob as stored (a tar, maybe compressed).
#include <memory>
#include <string>
#include <vector>

#include "catalog/catalog.hpp"
#include "catalog/gobinary.hpp"
#include "common.hpp"
#include "core/context.hpp"
#include "core/filetree.hpp"
#include "image/rootfs.hpp"
#include "image/source.hpp"

namespace {

using namespace bulwark;

class MemoryImage final : public image::ImageSource {
 public:
  explicit MemoryImage(std::vector<std::string> blobs) : blobs_(std::move(blobs)) {
    info_.reference = "fuzz:image";
    for (std::size_t i = 0; i < blobs_.size(); ++i) {
      core::Layer l;
      // digest == diff_id and no verification: the layer's own hash is not checked here.
      l.digest = l.diff_id = "sha256:" + std::string(64, static_cast<char>('a' + i % 6));
      l.size = blobs_[i].size();
      info_.layers.push_back(l);
    }
  }
  const core::ImageInfo& info() const override { return info_; }
  const std::string& config_json() const override { return config_; }
  Result<std::unique_ptr<util::ByteStream>> open_layer(std::size_t index) override {
    return std::make_unique<fuzz::MemoryStream>(blobs_.at(index));
  }

 private:
  core::ImageInfo info_;
  std::string config_ = "{}";
  std::vector<std::string> blobs_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto text = fuzz::as_text(data, size);
  std::vector<std::string> blobs;
  if (fuzz::is_fza(text)) {
    for (const auto& layer : fuzz::parse_fza(text)) blobs.push_back(fuzz::write_tar(layer));
  } else {
    blobs.emplace_back(text);
  }
  MemoryImage source(std::move(blobs));

  core::Context ctx;
  auto silent = core::make_silent_progress();
  ctx.progress = silent.get();
  // Small limits, so that the limit paths are reached too.
  ctx.limits.max_total_bytes = 64ULL << 20;
  ctx.limits.max_file_count = 20000;
  ctx.limits.max_kept_file_bytes = 1ULL << 20;
  ctx.limits.max_compression_ratio = 200;

  auto catalogers = catalog::all_catalogers();
  core::FileWanted wanted = [&](std::string_view path) {
    if (catalog::os_release_wanted(path)) return true;
    for (const auto& c : catalogers) {
      if (c->wants(path)) return true;
    }
    return false;
  };
  core::FileTree tree;
  auto status = image::read_layers(source, wanted, ctx, tree, {}, &catalog::go_binary_probe());
  if (!status) {
    fuzz::debug("layers", status.error());
    return 0;
  }

  auto os = catalog::detect_os(tree);
  core::Diagnostics diags;
  std::vector<std::string> diff_ids;
  for (const auto& l : source.info().layers) diff_ids.push_back(l.diff_id);
  (void)catalog::catalog_all(tree, os, diags, diff_ids);
  (void)catalog::go_binary_cataloger()->catalog(tree, os, diags);
  tree.for_each([&](const core::FileEntry& e) { (void)tree.resolve(e.path); });
  return 0;
}
