// OCI image layouts: oci-layout, index.json, nested indexes, image manifests, image
// configs (descriptors, platforms, annotations, diff_ids, history), then the layers.
//
// Input: documents separated by a line "=====": the first is index.json, the others
// blobs. Every blob is stored under its real sha256, and before that the harness
// replaces "@D<n>" by "sha256:<hex>" of part n, "@H<n>" by the hex alone and "@S<n>" by its size, so that
// descriptors can point at each other (part n may name only parts after it).
// A part that starts with "FZA\n" is turned into a tar first.
#include <fmt/format.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common.hpp"
#include "core/context.hpp"
#include "core/filetree.hpp"
#include "image/internal.hpp"
#include "image/rootfs.hpp"
#include "util/sha256.hpp"

namespace {

using namespace bulwark;

class MemoryStore final : public image::detail::BlobStore {
 public:
  std::map<std::string, std::string, std::less<>> files;
  Result<std::unique_ptr<util::ByteStream>> open(std::string_view rel) const override {
    auto it = files.find(rel);
    if (it == files.end()) return fail(ErrorCode::not_found, "no file", std::string(rel));
    return std::make_unique<fuzz::MemoryStream>(it->second);
  }
  bool exists(std::string_view rel) const override { return files.contains(rel); }
  std::optional<std::uint64_t> size_of(std::string_view rel) const override {
    auto it = files.find(rel);
    if (it == files.end()) return std::nullopt;
    return it->second.size();
  }
  std::string name() const override { return "fuzz-layout"; }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto split = fuzz::split_on(fuzz::as_text(data, size), fuzz::kPartSeparator);
  if (split.size() > 64) return -1;
  std::vector<std::string> parts(split.size());
  std::vector<std::string> hex(split.size());
  // Last part first: a part may name the digests of the parts after it.
  for (std::size_t k = split.size(); k-- > 0;) {
    std::string p(split[k]);
    if (fuzz::is_fza(p)) {
      auto layers = fuzz::parse_fza(p);
      p = fuzz::write_tar(layers.front());
    } else {
      p = fuzz::substitute(p, hex, parts, k);
    }
    hex[k] = util::sha256_hex(p);
    parts[k] = std::move(p);
  }
  auto store = std::make_shared<MemoryStore>();
  store->files["oci-layout"] = R"({"imageLayoutVersion":"1.0.0"})";
  store->files["index.json"] = parts[0];
  for (std::size_t k = 1; k < parts.size(); ++k) store->files["blobs/sha256/" + hex[k]] = parts[k];

  core::Context ctx;
  auto silent = core::make_silent_progress();
  ctx.progress = silent.get();
  ctx.limits.max_total_bytes = 64ULL << 20;
  ctx.limits.max_file_count = 20000;
  image::SourceOptions options;
  options.platform = (size & 1) ? "linux/amd64" : "";
  auto source = image::detail::open_oci_store(store, (size & 2) ? "latest" : "", options, ctx, "oci:fuzz");
  if (!source) {
    fuzz::debug("open", source.error());
    return 0;
  }
  core::FileTree tree;
  if (auto s = image::read_layers(
          **source, [](std::string_view) { return true; }, ctx, tree);
      !s) {
    fuzz::debug("layers", s.error());
  }
  return 0;
}
