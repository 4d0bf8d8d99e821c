// The docker-daemon transport: the engine exports the image (the same tar
// `docker save` writes) into a private temporary folder in the cache, and the
// docker-archive source reads it. The folder goes away with the source.
#include <fmt/format.h>

#include "docker/client.hpp"
#include "image/transports.hpp"
#include "util/files.hpp"

namespace bulwark::image {

namespace {

class DaemonSource final : public ImageSource {
 public:
  DaemonSource(std::unique_ptr<util::ScopedDir> dir, std::unique_ptr<ImageSource> archive, core::ImageInfo info)
      : dir_(std::move(dir)), archive_(std::move(archive)), info_(std::move(info)) {}

  const core::ImageInfo& info() const override { return info_; }
  const std::string& config_json() const override { return archive_->config_json(); }
  Result<std::unique_ptr<util::ByteStream>> open_layer(std::size_t index) override {
    return archive_->open_layer(index);
  }

 private:
  // Declared first so it is destroyed last, after the archive reader let go of the file.
  std::unique_ptr<util::ScopedDir> dir_;
  std::unique_ptr<ImageSource> archive_;
  core::ImageInfo info_;
};

// The name the engine knows the image by: "registry/repo:tag", "repo@sha256:..",
// or an image id ("sha256:...") when the reference has only a digest.
std::string engine_name(const Reference& ref) {
  std::string name;
  if (!ref.registry.empty()) name = ref.registry + "/";
  name += ref.repository;
  if (name.empty()) return ref.digest;
  if (!ref.tag.empty()) name += ":" + ref.tag;
  if (!ref.digest.empty()) name += "@" + ref.digest;
  return name;
}

std::vector<std::string> strings_of(const nlohmann::json& doc, const char* key) {
  std::vector<std::string> out;
  if (auto it = doc.find(key); it != doc.end() && it->is_array()) {
    for (const auto& v : *it) {
      if (v.is_string()) out.push_back(v.get<std::string>());
    }
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<ImageSource>> open_docker_daemon(const Reference& ref, const SourceOptions& options,
                                                        const core::Context& ctx) {
  const std::string name = engine_name(ref);
  const std::string shown = ref.original.empty() ? "docker-daemon:" + name : ref.original;
  if (name.empty()) return fail(ErrorCode::invalid_argument, "no image name", shown);

  auto client = docker::Client::connect(options.docker_host);
  if (!client) return std::unexpected(client.error().within(shown));
  auto inspect = client->inspect_image(name);
  if (!inspect) return std::unexpected(inspect.error());

  auto cache = ctx.cache_dir.empty() ? util::default_cache_dir() : ctx.cache_dir;
  std::error_code ec;
  std::filesystem::create_directories(cache / "tmp", ec);
  if (ec) return fail(ErrorCode::io, ec.message(), (cache / "tmp").string());
  auto dir = util::make_temp_dir(cache / "tmp", "daemon-export");
  if (!dir) return std::unexpected(dir.error());
  auto scoped = std::make_unique<util::ScopedDir>(*dir);
  auto tar = *dir / "image.tar";

  auto& progress = ctx.progress_sink();
  // The engine does not say how large the export will be; the image's Size is close.
  std::uint64_t expected =
      inspect->is_object() && (*inspect)["Size"].is_number_unsigned() ? (*inspect)["Size"].get<std::uint64_t>() : 0;
  progress.begin(fmt::format("exporting {}", name), expected);
  std::uint64_t seen = 0;
  auto st = client->export_image(name, tar, [&](std::uint64_t total) {
    progress.advance(total - seen);
    seen = total;
  });
  progress.end();
  if (!st) return std::unexpected(st.error());

  // The export holds exactly the one image asked for.
  auto archive = open_docker_archive(tar, "", options, ctx);
  if (!archive) return std::unexpected(archive.error().within(shown));
  core::ImageInfo info = (*archive)->info();
  info.reference = shown;
  if (auto tags = strings_of(*inspect, "RepoTags"); !tags.empty()) info.repo_tags = tags;
  if (auto digests = strings_of(*inspect, "RepoDigests"); !digests.empty()) info.repo_digests = digests;
  return std::unique_ptr<ImageSource>(
      std::make_unique<DaemonSource>(std::move(scoped), std::move(*archive), std::move(info)));
}

}  // namespace bulwark::image
