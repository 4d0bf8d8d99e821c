// Blob stores, digest verification and the ImageSource every local transport
// ends in. Kept apart from the transports so that folder and archive layouts
// share one checked path from descriptor to bytes.
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/filetree.hpp"
#include "image/internal.hpp"
#include "util/json_depth.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"

namespace bulwark::image::detail {

namespace fs = std::filesystem;

namespace {

class FolderStore final : public BlobStore {
 public:
  explicit FolderStore(fs::path dir) : dir_(std::move(dir)) {}

  Result<std::unique_ptr<util::ByteStream>> open(std::string_view rel) const override {
    auto p = checked(rel);
    if (!p) return std::unexpected(p.error());
    struct stat st {};
    if (::stat(p->c_str(), &st) != 0) {
      return fail(ErrorCode::not_found, "layout has no file '" + util::printable(rel) + "'", dir_.string());
    }
    if (!S_ISREG(st.st_mode)) {
      return fail(ErrorCode::parse, "'" + util::printable(rel) + "' is not a regular file", dir_.string());
    }
    return util::open_file_stream(*p);
  }
  bool exists(std::string_view rel) const override { return size_of(rel).has_value(); }
  std::optional<std::uint64_t> size_of(std::string_view rel) const override {
    auto p = checked(rel);
    struct stat st {};
    if (!p || ::stat(p->c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
    return static_cast<std::uint64_t>(st.st_size);
  }
  std::string name() const override { return dir_.string(); }

 private:
  // Paths come from documents in the layout: keep them inside it.
  Result<fs::path> checked(std::string_view rel) const {
    if (rel.starts_with('/')) {
      return fail(ErrorCode::hostile, "absolute path '" + util::printable(rel) + "' in layout", dir_.string());
    }
    auto norm = core::normalize_path(rel);
    if (!norm) return std::unexpected(norm.error().within(dir_.string()));
    return dir_ / *norm;
  }
  fs::path dir_;
};

class TarStore final : public BlobStore {
 public:
  explicit TarStore(TarIndex index) : index_(std::move(index)) {}
  Result<std::unique_ptr<util::ByteStream>> open(std::string_view rel) const override {
    auto norm = core::normalize_path(rel);
    if (!norm) return std::unexpected(norm.error().within(name()));
    return index_.open(*norm);
  }
  bool exists(std::string_view rel) const override { return size_of(rel).has_value(); }
  std::optional<std::uint64_t> size_of(std::string_view rel) const override {
    auto norm = core::normalize_path(rel);
    if (!norm) return std::nullopt;
    const TarMember* m = index_.find(*norm);
    if (!m) return std::nullopt;
    return m->size;
  }
  std::string name() const override { return index_.path().string(); }

 private:
  TarIndex index_;
};

class VerifyingStream final : public util::ByteStream {
 public:
  VerifyingStream(std::unique_ptr<util::ByteStream> inner, std::string hex, std::optional<std::uint64_t> size,
                  std::string what)
      : inner_(std::move(inner)), hex_(std::move(hex)), size_(size), what_(std::move(what)) {}

  Result<std::size_t> read(void* buffer, std::size_t size) override {
    if (result_) return result_->has_value() ? Result<std::size_t>(0) : std::unexpected(result_->error());
    auto n = inner_->read(buffer, size);
    if (!n) return n;
    if (*n > 0) {
      count_ += *n;
      if (size_ && count_ > *size_) {
        return finish(fail(ErrorCode::digest_mismatch,
                           fmt::format("blob is larger than the {} bytes its manifest declares", *size_), what_));
      }
      hash_.update(buffer, *n);
      return n;
    }
    if (size_ && count_ != *size_) {
      return finish(fail(ErrorCode::digest_mismatch,
                         fmt::format("blob is {} bytes but its manifest declares {}", count_, *size_), what_));
    }
    auto got = hash_.hex_digest();
    if (got != hex_) {
      return finish(fail(ErrorCode::digest_mismatch,
                         fmt::format("blob digest mismatch: expected sha256:{}, got sha256:{}", hex_, got), what_));
    }
    result_ = Status{};
    return 0;
  }

 private:
  Result<std::size_t> finish(std::unexpected<Error> e) {
    result_ = Status(e);
    return e;
  }
  std::unique_ptr<util::ByteStream> inner_;
  util::Sha256 hash_;
  std::string hex_;
  std::optional<std::uint64_t> size_;
  std::string what_;
  std::uint64_t count_ = 0;
  std::optional<Status> result_;
};

class StoredImage final : public ImageSource {
 public:
  StoredImage(std::shared_ptr<BlobStore> store, core::ImageInfo info, std::string config, std::vector<LayerBlob> blobs)
      : store_(std::move(store)), info_(std::move(info)), config_(std::move(config)), blobs_(std::move(blobs)) {}
  const core::ImageInfo& info() const override { return info_; }
  const std::string& config_json() const override { return config_; }
  Result<std::unique_ptr<util::ByteStream>> open_layer(std::size_t index) override {
    if (index >= blobs_.size()) {
      return fail(ErrorCode::invalid_argument, fmt::format("no layer {}", index), info_.reference);
    }
    const LayerBlob& b = blobs_[index];
    auto what = fmt::format("{}: layer {} ({})", info_.reference, index, b.rel);
    auto s = store_->open(b.rel);
    if (!s) {
      if (s.error().code == ErrorCode::not_found) {
        return fail(ErrorCode::not_found, fmt::format("layer blob sha256:{} is missing", b.hex), what);
      }
      return std::unexpected(s.error());
    }
    return verify_stream(std::move(*s), b.hex, b.size, what);
  }

 private:
  std::shared_ptr<BlobStore> store_;
  core::ImageInfo info_;
  std::string config_;
  std::vector<LayerBlob> blobs_;
};

}  // namespace

std::shared_ptr<BlobStore> make_folder_store(fs::path dir) {
  return std::make_shared<FolderStore>(std::move(dir));
}

std::shared_ptr<BlobStore> make_tar_store(TarIndex index) {
  return std::make_shared<TarStore>(std::move(index));
}

Result<std::string> blob_path(std::string_view digest) {
  auto d = util::parse_digest(digest);
  if (!d) return std::unexpected(d.error());
  return "blobs/" + d->algorithm + "/" + d->hex;
}

std::unique_ptr<util::ByteStream> verify_stream(std::unique_ptr<util::ByteStream> inner, std::string expected_hex,
                                                std::optional<std::uint64_t> expected_size, std::string what) {
  return std::make_unique<VerifyingStream>(std::move(inner), std::move(expected_hex), expected_size, std::move(what));
}

Result<std::string> read_document(const BlobStore& store, std::string_view rel, std::optional<std::string> digest_hex,
                                  std::optional<std::uint64_t> size, const core::Limits& limits) {
  auto what = store.name() + ": " + std::string(rel);
  if (size && *size > limits.max_document_bytes) {
    return fail(ErrorCode::limit,
                fmt::format("document declares {} bytes, over the limit of {}", *size, limits.max_document_bytes),
                what);
  }
  auto s = store.open(rel);
  if (!s) return std::unexpected(s.error());
  std::unique_ptr<util::ByteStream> stream = std::move(*s);
  if (digest_hex) stream = verify_stream(std::move(stream), *digest_hex, size, what);
  return util::read_all(*stream, limits.max_document_bytes, what);
}

Result<nlohmann::json> parse_json(std::string_view text, const core::Limits& limits, std::string_view what) {
  if (util::json_depth(text, limits.max_json_depth) > limits.max_json_depth) {
    return fail(ErrorCode::limit, fmt::format("JSON nested deeper than {} levels", limits.max_json_depth),
                std::string(what));
  }
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return fail(ErrorCode::parse, "malformed JSON", std::string(what));
  return j;
}

Status apply_config(const nlohmann::json& config, core::ImageInfo& info, std::string_view what) {
  if (!config.is_object()) return fail(ErrorCode::parse, "image config is not a JSON object", std::string(what));
  if (auto it = config.find("architecture"); it != config.end() && it->is_string()) info.architecture = *it;
  if (auto it = config.find("os"); it != config.end() && it->is_string()) info.os = *it;
  auto rootfs = config.find("rootfs");
  if (rootfs == config.end() || !rootfs->is_object() || !rootfs->contains("diff_ids") ||
      !(*rootfs)["diff_ids"].is_array()) {
    return fail(ErrorCode::parse, "image config has no rootfs.diff_ids", std::string(what));
  }
  const auto& diff_ids = (*rootfs)["diff_ids"];
  if (diff_ids.size() != info.layers.size()) {
    return fail(
        ErrorCode::parse,
        fmt::format("manifest lists {} layers but the config has {} diff_ids", info.layers.size(), diff_ids.size()),
        std::string(what));
  }
  for (std::size_t i = 0; i < diff_ids.size(); ++i) {
    if (!diff_ids[i].is_string()) return fail(ErrorCode::parse, "diff_id is not a string", std::string(what));
    auto d = util::parse_digest(diff_ids[i].get<std::string>());
    if (!d) return std::unexpected(d.error().within(std::string(what)));
    info.layers[i].diff_id = d->str();
  }
  // History entries that made a layer line up with the layers in order.
  if (auto h = config.find("history"); h != config.end() && h->is_array()) {
    std::size_t layer = 0;
    for (const auto& entry : *h) {
      if (!entry.is_object()) continue;
      if (auto e = entry.find("empty_layer"); e != entry.end() && e->is_boolean() && e->get<bool>()) continue;
      if (layer >= info.layers.size()) break;
      if (auto c = entry.find("created_by"); c != entry.end() && c->is_string()) {
        info.layers[layer].created_by = c->get<std::string>();
      }
      ++layer;
    }
  }
  return {};
}

std::unique_ptr<ImageSource> make_stored_image(std::shared_ptr<BlobStore> store, core::ImageInfo info,
                                               std::string config_json, std::vector<LayerBlob> blobs) {
  return std::make_unique<StoredImage>(std::move(store), std::move(info), std::move(config_json), std::move(blobs));
}

std::string Platform::str() const {
  std::string s = os + "/" + architecture;
  if (!variant.empty()) s += "/" + variant;
  return s;
}

Result<Platform> parse_platform(std::string_view text) {
  auto parts = util::split(text, '/');
  if (parts.size() < 2 || parts.size() > 3 || parts[0].empty() || parts[1].empty()) {
    return fail(ErrorCode::invalid_argument, "expected a platform as os/arch[/variant]", std::string(text));
  }
  return Platform{std::string(parts[0]), std::string(parts[1]), parts.size() == 3 ? std::string(parts[2]) : ""};
}

bool platform_matches(const Platform& wanted, const Platform& have) {
  if (wanted.os != have.os || wanted.architecture != have.architecture) return false;
  if (wanted.variant.empty() || wanted.variant == have.variant) return true;
  // arm64 images rarely say v8, which is the only arm64 variant in use.
  return wanted.architecture == "arm64" && wanted.variant == "v8" && have.variant.empty();
}

}  // namespace bulwark::image::detail
