// `docker save` archives: the archive's tar index (bulwark's own tar reader: ustar,
// GNU long names, pax records, links between members), manifest.json (image
// selection, Config, Layers, LayerSources), the config, then the layers.
//
// Input: documents separated by a line "=====". Part 0 is the archive in FZA form
// (fuzz/common.hpp) or, when it is not FZA, the raw archive bytes. Parts 1.. are
// layers (FZA, made into tars) or other documents. Before use, "@D<n>", "@H<n>" and
// "@S<n>" in a part are replaced by the digest, hex digest and size of part n, and an
// archive member whose whole content is "@L<n>" gets part n's bytes.
#include <memory>
#include <string>
#include <vector>

#include "common.hpp"
#include "core/context.hpp"
#include "core/filetree.hpp"
#include "image/rootfs.hpp"
#include "image/transports.hpp"
#include "util/sha256.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bulwark;
  auto split = fuzz::split_on(fuzz::as_text(data, size), fuzz::kPartSeparator);
  if (split.size() > 64) return -1;
  std::vector<std::string> parts(split.size());
  std::vector<std::string> hex(split.size());
  for (std::size_t k = split.size(); k-- > 0;) {
    std::string p = fuzz::substitute(split[k], hex, parts, k);
    if (fuzz::is_fza(p)) {
      auto layers = fuzz::parse_fza(p);
      for (auto& e : layers.front()) {
        if (e.content.size() >= 3 && e.content.starts_with("@L")) {
          std::size_t n = 0;
          for (char c : std::string_view(e.content).substr(2)) {
            if (c < '0' || c > '9') break;
            n = n * 10 + (c - '0');
          }
          if (n > k && n < parts.size()) e.content = parts[n];
        }
      }
      p = fuzz::write_tar(layers.front());
    }
    hex[k] = util::sha256_hex(p);
    parts[k] = std::move(p);
  }
  fuzz::TempFile archive(parts[0], ".tar");

  core::Context ctx;
  auto silent = core::make_silent_progress();
  ctx.progress = silent.get();
  ctx.limits.max_total_bytes = 64ULL << 20;
  ctx.limits.max_file_count = 20000;
  image::SourceOptions options;
  auto source = image::open_docker_archive(archive.path(), (size & 1) ? "" : "@0", options, ctx);
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
