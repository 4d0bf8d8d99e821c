// Images in containerd's own store, read in place: no export, no call to containerd. The content
// store (<root>/io.containerd.content.v1.content) keeps every index, manifest, config and
// compressed layer as blobs/sha256/<hex>, the shape of an OCI layout's blobs folder, so the OCI
// layout reader does the rest (platform choice, digest checks on every blob). Names come from the
// metadata database (containerd_meta.hpp); a digest needs no name.
#include <fmt/format.h>

#include <filesystem>

#include "image/containerd_meta.hpp"
#include "image/internal.hpp"
#include "image/transports.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"

namespace bulwark::image {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kContentDir = "io.containerd.content.v1.content";
constexpr std::string_view kMetaDb = "io.containerd.metadata.v1.bolt/meta.db";
constexpr std::uint64_t kMaxScannedBlob = 4ULL << 20;  // manifests are small; layers are skipped by size

std::string str_field(const nlohmann::json& j, std::string_view key) {
  if (!j.is_object()) return {};
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool is_manifest(const nlohmann::json& j) {
  return j.is_object() && j.contains("config") && j.contains("layers") && j["config"].is_object();
}

// The manifest whose config is config_digest, found by reading every small blob of the store:
// for an image known only by its id (CRI's ListImages gives the config digest, and maybe no
// repository digest).
Result<std::pair<std::string, std::uint64_t>> manifest_of_config(const detail::BlobStore& store,
                                                                 const fs::path& blobs_dir,
                                                                 const std::string& config_digest,
                                                                 const core::Limits& limits) {
  std::error_code ec;
  for (fs::directory_iterator it(blobs_dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code sec;
    if (!it->is_regular_file(sec)) continue;
    const auto size = it->file_size(sec);
    if (sec || size > kMaxScannedBlob || size < 2) continue;
    const std::string hex = it->path().filename().string();
    if (!util::parse_digest("sha256:" + hex)) continue;
    auto text = detail::read_document(store, "blobs/sha256/" + hex, hex, size, limits);
    if (!text || text->front() != '{') continue;
    auto j = detail::parse_json(*text, limits, hex);
    if (!j || !is_manifest(*j)) continue;
    if (str_field((*j)["config"], "digest") == config_digest) return std::pair{"sha256:" + hex, size};
  }
  if (ec) return fail(ErrorCode::io, ec.message(), blobs_dir.string());
  return fail(ErrorCode::not_found, "no manifest in containerd's content store has the config " + config_digest,
              blobs_dir.string());
}

}  // namespace

Result<std::unique_ptr<ImageSource>> open_containerd(const Reference& ref, const SourceOptions& options,
                                                     const core::Context& ctx) {
  const fs::path root =
      options.containerd_root.empty() ? fs::path("/var/lib/containerd") : fs::path(options.containerd_root);
  const fs::path content = root / kContentDir;
  std::error_code ec;
  if (!fs::is_directory(content / "blobs" / "sha256", ec)) {
    return fail(ErrorCode::not_found,
                "no containerd content store here (is containerd's root elsewhere? --containerd-root)",
                content.string());
  }
  auto store = detail::make_folder_store(content);
  std::string name = ref.repository;
  if (!ref.tag.empty() && !name.empty()) name += ":" + ref.tag;
  std::string digest = ref.digest;
  std::optional<std::uint64_t> size;
  if (digest.empty()) {
    auto records = read_containerd_images_file(root / kMetaDb, options.containerd_namespace);
    if (!records) return std::unexpected(records.error().within("containerd's image names"));
    auto candidates = containerd_name_candidates(name);
    const ContainerdImageRecord* found = nullptr;
    for (const auto& c : candidates) {
      for (const auto& r : *records) {
        // CRI's namespace first: the images Kubernetes runs.
        if (r.name == c && (!found || (r.ns == "k8s.io" && found->ns != "k8s.io"))) found = &r;
      }
      if (found) break;
    }
    if (!found) {
      std::vector<std::string> names;
      for (const auto& r : *records) {
        if (names.size() < 10) names.push_back(r.ns + "/" + r.name);
      }
      return fail(ErrorCode::not_found,
                  fmt::format("containerd has no image named {}{}{}", util::printable(name),
                              names.empty() ? "" : "; it has: ", util::join(names, ", ")),
                  (root / kMetaDb).string());
    }
    digest = found->digest;
    name = found->name;
    if (found->size > 0) size = found->size;
  }
  auto parsed = util::parse_digest(digest);
  if (!parsed) return std::unexpected(parsed.error().within(util::printable(ref.original)));
  const std::string rel = "blobs/sha256/" + parsed->hex;
  if (!size) size = store->size_of(rel);
  if (!size) {
    return fail(ErrorCode::not_found, "containerd's content store has no blob " + parsed->str(), content.string());
  }
  auto text = detail::read_document(*store, rel, parsed->hex, size, ctx.limits);
  if (!text) return std::unexpected(text.error());
  auto doc = detail::parse_json(*text, ctx.limits, parsed->str());
  if (!doc) return std::unexpected(doc.error());

  // The index the OCI reader resolves lists one descriptor: the blob itself when it is an index
  // or a manifest, else (an image config: an image id) the manifest that names it.
  std::string target = parsed->str();
  std::uint64_t target_size = *size;
  const bool is_index = doc->is_object() && doc->contains("manifests");
  if (doc->is_object() && doc->contains("rootfs") && !doc->contains("layers")) {
    auto m = manifest_of_config(*store, content / "blobs" / "sha256", target, ctx.limits);
    if (!m) return std::unexpected(m.error());
    target = m->first;
    target_size = m->second;
  } else if (!is_index && !is_manifest(*doc)) {
    return fail(ErrorCode::parse, "the blob is not an image index, manifest or config", parsed->str());
  }
  const std::string media_type =
      is_index ? "application/vnd.oci.image.index.v1+json" : "application/vnd.oci.image.manifest.v1+json";
  nlohmann::json desc = {{"mediaType", media_type}, {"digest", target}, {"size", target_size}};
  if (!name.empty()) desc["annotations"] = {{"io.containerd.image.name", name}};
  nlohmann::json index = {{"schemaVersion", 2}, {"manifests", nlohmann::json::array({desc})}};
  std::string reference = "containerd:" + (name.empty() ? parsed->str() : name);
  return detail::open_oci_index(std::move(store), index, "containerd image " + parsed->str(), {}, options, ctx,
                                std::move(reference));
}

}  // namespace bulwark::image
