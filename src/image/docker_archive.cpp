// `docker save` archives. manifest.json lists each image as {Config, RepoTags, Layers}
// with paths inside the tar. Before Docker 25 layers are `<id>/layer.tar`, plain tars
// whose sha256 is the layer's diffID and the config is `<hex>.json`; Docker 25+ stores
// both under blobs/sha256/<hex> (the archive is then also an OCI layout).
#include <fmt/format.h>

#include "core/filetree.hpp"
#include "image/internal.hpp"
#include "image/transports.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"

namespace bulwark::image {

namespace {

bool is_hex64(std::string_view s) {
  return s.size() == 64 &&
         std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// The sha256 a member's path names: blobs/sha256/<hex> or <hex>.json.
std::optional<std::string> hex_in_path(std::string_view rel) {
  if (rel.starts_with("blobs/sha256/") && is_hex64(rel.substr(13))) return std::string(rel.substr(13));
  if (rel.ends_with(".json") && is_hex64(rel.substr(0, rel.size() - 5))) return std::string(rel.substr(0, 64));
  return std::nullopt;
}

std::vector<std::string> repo_tags_of(const nlohmann::json& entry) {
  std::vector<std::string> tags;
  if (auto it = entry.find("RepoTags"); it != entry.end() && it->is_array()) {
    for (const auto& t : *it) {
      if (t.is_string()) tags.push_back(t.get<std::string>());
    }
  }
  return tags;
}

std::string list_images(const nlohmann::json& manifest) {
  std::vector<std::string> parts;
  for (std::size_t i = 0; i < manifest.size(); ++i) {
    auto tags = repo_tags_of(manifest[i]);
    parts.push_back(fmt::format("@{} {}", i, tags.empty() ? "(untagged)" : util::join(tags, ",")));
  }
  return util::join(parts, "; ");
}

Result<std::size_t> select_image(const nlohmann::json& manifest, const std::string& ref, const std::string& where) {
  if (ref.empty()) {
    if (manifest.size() == 1) return 0;
    return fail(ErrorCode::invalid_argument,
                fmt::format("the archive holds {} images; name one (docker-archive:PATH:NAME:TAG or :@N): {}",
                            manifest.size(), list_images(manifest)),
                where);
  }
  if (ref.starts_with('@')) {
    auto n = util::parse_u64(std::string_view(ref).substr(1));
    if (!n || *n >= manifest.size()) {
      return fail(ErrorCode::not_found, fmt::format("no image {}; the archive has: {}", ref, list_images(manifest)),
                  where);
    }
    return static_cast<std::size_t>(*n);
  }
  // "name" means "name:latest", as docker does.
  std::string with_tag = ref;
  auto slash = ref.rfind('/');
  if (ref.find(':', slash == std::string::npos ? 0 : slash) == std::string::npos) with_tag += ":latest";
  for (std::size_t i = 0; i < manifest.size(); ++i) {
    for (const auto& t : repo_tags_of(manifest[i])) {
      if (t == ref || t == with_tag || t == "docker.io/" + with_tag || t == "docker.io/library/" + with_tag) return i;
    }
  }
  return fail(ErrorCode::not_found,
              fmt::format("no image tagged '{}'; the archive has: {}", ref, list_images(manifest)), where);
}

}  // namespace

Result<std::unique_ptr<ImageSource>> open_docker_archive(const std::filesystem::path& path, const std::string& ref,
                                                         const SourceOptions& options, const core::Context& ctx) {
  const auto& limits = ctx.limits;
  const std::string where = path.string();
  std::string reference = "docker-archive:" + where + (ref.empty() ? "" : ":" + ref);
  auto index = detail::TarIndex::build(path, limits);
  if (!index) return std::unexpected(index.error());
  std::shared_ptr<detail::BlobStore> store = detail::make_tar_store(std::move(*index));
  if (!store->exists("manifest.json")) {
    if (store->exists("oci-layout")) return detail::open_oci_store(store, ref, options, ctx, std::move(reference));
    return fail(ErrorCode::parse, "not a docker save archive (no manifest.json)", where);
  }
  auto text = detail::read_document(*store, "manifest.json", std::nullopt, std::nullopt, limits);
  if (!text) return std::unexpected(text.error());
  auto manifest = detail::parse_json(*text, limits, where + ": manifest.json");
  if (!manifest) return std::unexpected(manifest.error());
  if (!manifest->is_array() || manifest->empty()) {
    return fail(ErrorCode::parse, "manifest.json is not a non-empty array of images", where);
  }
  auto chosen = select_image(*manifest, ref, where);
  if (!chosen) return std::unexpected(chosen.error());
  const auto& entry = (*manifest)[*chosen];
  if (!entry.is_object() || !entry.contains("Config") || !entry["Config"].is_string() || !entry.contains("Layers") ||
      !entry["Layers"].is_array()) {
    return fail(ErrorCode::parse, "manifest.json entry has no Config or Layers", where);
  }
  auto config_rel = core::normalize_path(entry["Config"].get<std::string>());
  if (!config_rel) return std::unexpected(config_rel.error().within(where));
  auto config_hex = hex_in_path(*config_rel);
  auto config_text = detail::read_document(*store, *config_rel, config_hex, std::nullopt, limits);
  if (!config_text) return std::unexpected(config_text.error());
  auto config = detail::parse_json(*config_text, limits, where + ": " + *config_rel);
  if (!config) return std::unexpected(config.error());

  core::ImageInfo info;
  info.reference = reference;
  info.config_digest = "sha256:" + (config_hex ? *config_hex : util::sha256_hex(*config_text));
  info.repo_tags = repo_tags_of(entry);
  std::vector<std::string> layer_paths;
  for (const auto& l : entry["Layers"]) {
    if (!l.is_string()) return fail(ErrorCode::parse, "manifest.json layer is not a string", where);
    auto rel = core::normalize_path(l.get<std::string>());
    if (!rel) return std::unexpected(rel.error().within(where));
    layer_paths.push_back(*rel);
    info.layers.emplace_back();
  }
  if (auto s = detail::apply_config(*config, info, where + ": " + *config_rel); !s) return std::unexpected(s.error());

  // Foreign layers (Windows base images) are described in LayerSources by diffID.
  const nlohmann::json* sources = nullptr;
  if (auto it = entry.find("LayerSources"); it != entry.end() && it->is_object()) sources = &*it;

  std::vector<detail::LayerBlob> blobs;
  for (std::size_t i = 0; i < layer_paths.size(); ++i) {
    auto& layer = info.layers[i];
    const auto& rel = layer_paths[i];
    auto size = store->size_of(rel);
    if (!size) {
      return fail(ErrorCode::not_found, fmt::format("layer {} ({}) is missing from the archive", i, rel), where);
    }
    auto hex = hex_in_path(rel);
    // A legacy layer.tar is the uncompressed layer itself: its digest is the diffID.
    if (!hex) hex = layer.diff_id.substr(7);
    layer.digest = "sha256:" + *hex;
    layer.size = *size;
    layer.media_type = "application/vnd.docker.image.rootfs.diff.tar";
    if (sources) {
      if (auto s = sources->find(layer.diff_id); s != sources->end() && s->is_object()) {
        if (auto mt = s->find("mediaType"); mt != s->end() && mt->is_string()) layer.media_type = *mt;
      }
    }
    blobs.push_back(detail::LayerBlob{rel, *hex, *size});
  }
  return detail::make_stored_image(std::move(store), std::move(info), std::move(*config_text), std::move(blobs));
}

}  // namespace bulwark::image
