// OCI image layouts (https://github.com/opencontainers/image-spec/blob/main/image-layout.md),
// in a folder or inside a tar: oci-layout, index.json, nested indexes and manifest
// lists resolved by tag and platform down to one image manifest.
#include <fmt/format.h>

#include "image/internal.hpp"
#include "image/transports.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"

namespace bulwark::image {

namespace detail {

namespace {

constexpr std::string_view kRefName = "org.opencontainers.image.ref.name";
constexpr std::string_view kContainerdName = "io.containerd.image.name";
constexpr int kMaxIndexDepth = 8;

bool is_index_type(std::string_view mt) {
  return mt == "application/vnd.oci.image.index.v1+json" ||
         mt == "application/vnd.docker.distribution.manifest.list.v2+json";
}

bool is_manifest_type(std::string_view mt) {
  return mt == "application/vnd.oci.image.manifest.v1+json" ||
         mt == "application/vnd.docker.distribution.manifest.v2+json";
}

std::string str_field(const nlohmann::json& j, std::string_view key) {
  if (!j.is_object()) return {};
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string annotation(const nlohmann::json& desc, std::string_view key) {
  auto it = desc.find("annotations");
  return it == desc.end() ? std::string() : str_field(*it, key);
}

struct Descriptor {
  std::string media_type;
  std::string digest;  // validated "sha256:<hex>"
  std::string hex;
  std::uint64_t size = 0;
};

Result<Descriptor> parse_descriptor(const nlohmann::json& j, std::string_view what) {
  if (!j.is_object()) return fail(ErrorCode::parse, "descriptor is not an object", std::string(what));
  Descriptor d;
  d.media_type = str_field(j, "mediaType");
  auto digest = util::parse_digest(str_field(j, "digest"));
  if (!digest) return std::unexpected(digest.error().within(std::string(what)));
  d.digest = digest->str();
  d.hex = digest->hex;
  auto size = j.find("size");
  if (size == j.end() || !size->is_number_unsigned()) {
    return fail(ErrorCode::parse, "descriptor " + d.digest + " has no valid size", std::string(what));
  }
  d.size = size->get<std::uint64_t>();
  return d;
}

struct Candidate {
  Descriptor desc;
  std::vector<std::string> names;  // ref.name and image.name annotations of it and its parents
  std::optional<Platform> platform;
};

std::string describe(const Candidate& c) {
  std::string s = c.desc.digest.substr(0, 19);
  s += " (";
  s += c.platform ? c.platform->str() : std::string("no platform");
  if (!c.names.empty()) s += ", tag " + util::join(c.names, "/");
  s += ")";
  return s;
}

std::string list(const std::vector<Candidate>& cs) {
  std::vector<std::string> parts;
  for (const auto& c : cs) parts.push_back(describe(c));
  return util::join(parts, "; ");
}

Status collect(const BlobStore& store, const nlohmann::json& index, std::vector<std::string> names, int depth,
               const core::Limits& limits, std::vector<Candidate>& out, std::string_view what) {
  if (depth > kMaxIndexDepth) return fail(ErrorCode::limit, "image indexes nested too deeply", std::string(what));
  auto manifests = index.find("manifests");
  if (manifests == index.end() || !manifests->is_array()) {
    return fail(ErrorCode::parse, "index has no manifests array", std::string(what));
  }
  for (const auto& m : *manifests) {
    auto d = parse_descriptor(m, what);
    if (!d) return std::unexpected(d.error());
    std::vector<std::string> own = names;
    for (auto key : {kRefName, kContainerdName}) {
      auto n = annotation(m, key);
      if (!n.empty()) own.push_back(n);
    }
    if (is_index_type(d->media_type)) {
      auto rel = blob_path(d->digest);
      auto text = read_document(store, *rel, d->hex, d->size, limits);
      if (!text) return std::unexpected(text.error());
      auto nested = parse_json(*text, limits, d->digest);
      if (!nested) return std::unexpected(nested.error());
      if (auto s = collect(store, *nested, own, depth + 1, limits, out, d->digest); !s) return s;
      continue;
    }
    if (!is_manifest_type(d->media_type) && !d->media_type.empty()) continue;  // artifacts, signatures
    // BuildKit attestations ride along in indexes with an unknown platform.
    if (annotation(m, "vnd.docker.reference.type") == "attestation-manifest") continue;
    Candidate c{*d, own, std::nullopt};
    if (auto p = m.find("platform"); p != m.end() && p->is_object()) {
      c.platform = Platform{str_field(*p, "os"), str_field(*p, "architecture"), str_field(*p, "variant")};
      if (c.platform->os == "unknown") continue;
    }
    out.push_back(std::move(c));
  }
  return {};
}

bool name_matches(const std::vector<std::string>& names, std::string_view tag) {
  for (const auto& n : names) {
    if (n == tag) return true;
    if (n.ends_with("/" + std::string(tag))) return true;  // "docker.io/library/app:1" for "app:1"
    // io.containerd.image.name holds a full name: accept "name:tag" and the bare tag after it.
    auto colon = n.rfind(':');
    if (colon != std::string::npos && n.find('/', colon) == std::string::npos && n.substr(colon + 1) == tag) {
      return true;
    }
  }
  return false;
}

}  // namespace

Result<std::unique_ptr<ImageSource>> open_oci_store(std::shared_ptr<BlobStore> store, const std::string& tag,
                                                    const SourceOptions& options, const core::Context& ctx,
                                                    std::string reference) {
  const auto& limits = ctx.limits;
  const std::string where = store->name();
  if (!store->exists("oci-layout")) {
    return fail(ErrorCode::parse, "not an OCI image layout (no oci-layout file)", where);
  }
  auto layout_text = read_document(*store, "oci-layout", std::nullopt, std::nullopt, limits);
  if (!layout_text) return std::unexpected(layout_text.error());
  auto layout = parse_json(*layout_text, limits, where + ": oci-layout");
  if (!layout) return std::unexpected(layout.error());
  if (str_field(*layout, "imageLayoutVersion").empty()) {
    return fail(ErrorCode::parse, "oci-layout has no imageLayoutVersion", where);
  }
  auto index_text = read_document(*store, "index.json", std::nullopt, std::nullopt, limits);
  if (!index_text) return std::unexpected(index_text.error());
  auto index = parse_json(*index_text, limits, where + ": index.json");
  if (!index) return std::unexpected(index.error());
  return open_oci_index(std::move(store), *index, where + ": index.json", tag, options, ctx, std::move(reference));
}

Result<std::unique_ptr<ImageSource>> open_oci_index(std::shared_ptr<BlobStore> store, const nlohmann::json& index,
                                                    const std::string& index_what, const std::string& tag,
                                                    const SourceOptions& options, const core::Context& ctx,
                                                    std::string reference) {
  const auto& limits = ctx.limits;
  const std::string where = store->name();
  std::vector<Candidate> all;
  if (auto s = collect(*store, index, {}, 0, limits, all, index_what); !s) return std::unexpected(s.error());
  if (all.empty()) return fail(ErrorCode::not_found, "the layout's index lists no image manifest", where);

  std::vector<Candidate> picked = all;
  if (!tag.empty()) {
    std::erase_if(picked, [&](const Candidate& c) { return !name_matches(c.names, tag); });
    if (picked.empty()) {
      return fail(ErrorCode::not_found, fmt::format("no image tagged '{}'; the layout has: {}", tag, list(all)), where);
    }
  }
  const bool platform_given = !options.platform.empty();
  auto parsed_platform = parse_platform(platform_given ? options.platform : host_platform());
  if (!parsed_platform) return std::unexpected(parsed_platform.error());
  const Platform wanted = *parsed_platform;
  if (picked.size() > 1 || platform_given) {
    std::vector<Candidate> matching;
    for (const auto& c : picked) {
      if (!c.platform || platform_matches(wanted, *c.platform)) matching.push_back(c);
    }
    if (matching.size() != 1 && picked.size() > 1) {
      return fail(ErrorCode::not_found,
                  fmt::format("{} images match {}{}; the layout has: {} (pick one with a tag or --platform)",
                              matching.size(), wanted.str(), tag.empty() ? "" : " and tag '" + tag + "'", list(picked)),
                  where);
    }
    if (matching.empty()) {
      return fail(ErrorCode::not_found,
                  fmt::format("no image for platform {}; the layout has: {}", wanted.str(), list(picked)), where);
    }
    picked = std::move(matching);
  }
  const Candidate& chosen = picked.front();

  // The image manifest.
  auto manifest_rel = blob_path(chosen.desc.digest);
  auto manifest_text = read_document(*store, *manifest_rel, chosen.desc.hex, chosen.desc.size, limits);
  if (!manifest_text) return std::unexpected(manifest_text.error());
  auto manifest = parse_json(*manifest_text, limits, chosen.desc.digest);
  if (!manifest) return std::unexpected(manifest.error());
  const std::string mwhat = where + ": manifest " + chosen.desc.digest;
  if (!manifest->is_object() || !manifest->contains("config") || !manifest->contains("layers") ||
      !(*manifest)["layers"].is_array()) {
    return fail(ErrorCode::parse, "image manifest has no config or layers", mwhat);
  }
  auto config_desc = parse_descriptor((*manifest)["config"], mwhat);
  if (!config_desc) return std::unexpected(config_desc.error());

  core::ImageInfo info;
  info.reference = std::move(reference);
  info.manifest_digest = chosen.desc.digest;
  info.config_digest = config_desc->digest;
  if (const auto a = manifest->find("annotations"); a != manifest->end() && a->is_object()) {
    for (auto [key, field] : {std::pair{"org.opencontainers.image.base.name", &info.base_name},
                              std::pair{"org.opencontainers.image.base.digest", &info.base_digest}}) {
      if (auto v = a->find(key); v != a->end() && v->is_string() && v->get<std::string>().size() <= 1024) {
        *field = v->get<std::string>();
      }
    }
  }
  for (const auto& n : chosen.names) {
    if (std::find(info.repo_tags.begin(), info.repo_tags.end(), n) == info.repo_tags.end()) info.repo_tags.push_back(n);
  }
  std::vector<LayerBlob> blobs;
  for (const auto& l : (*manifest)["layers"]) {
    auto d = parse_descriptor(l, mwhat);
    if (!d) return std::unexpected(d.error());
    if (d->media_type.find("encrypted") != std::string::npos) {
      return fail(ErrorCode::unsupported, "encrypted layers are not supported (" + d->media_type + ")", mwhat);
    }
    core::Layer layer;
    layer.digest = d->digest;
    layer.media_type = d->media_type;
    layer.size = d->size;
    info.layers.push_back(std::move(layer));
    blobs.push_back(LayerBlob{*blob_path(d->digest), d->hex, d->size});
  }

  auto config_text =
      read_document(*store, *blob_path(config_desc->digest), config_desc->hex, config_desc->size, limits);
  if (!config_text) return std::unexpected(config_text.error());
  auto config = parse_json(*config_text, limits, config_desc->digest);
  if (!config) return std::unexpected(config.error());
  if (auto s = apply_config(*config, info, where + ": config " + config_desc->digest); !s) {
    return std::unexpected(s.error());
  }
  if (platform_given && chosen.platform == std::nullopt && !info.architecture.empty()) {
    Platform have{info.os, info.architecture, ""};
    if (auto v = config->find("variant"); v != config->end() && v->is_string()) have.variant = *v;
    if (!platform_matches(wanted, have)) {
      return fail(ErrorCode::not_found,
                  fmt::format("the image is for {}, not the requested {}", have.str(), wanted.str()), where);
    }
  }
  return make_stored_image(std::move(store), std::move(info), std::move(*config_text), std::move(blobs));
}

}  // namespace detail

Result<std::unique_ptr<ImageSource>> open_oci_layout(const std::filesystem::path& dir, const std::string& tag,
                                                     const SourceOptions& options, const core::Context& ctx) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return fail(ErrorCode::not_found, "no such OCI layout folder", dir.string());
  }
  std::string reference = "oci:" + dir.string() + (tag.empty() ? "" : ":" + tag);
  return detail::open_oci_store(detail::make_folder_store(dir), tag, options, ctx, std::move(reference));
}

}  // namespace bulwark::image
