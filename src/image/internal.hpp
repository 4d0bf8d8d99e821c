// Pieces shared by the local transports (docker-archive, oci, oci-archive) and
// layer decoding. Internal to src/image.
//
// Archives are never extracted: a TarIndex lists an uncompressed tar's members
// once and each member is then read in place. Blobs come from a BlobStore (a
// layout folder or a tar's members), and every blob or document read from one
// is checked against its digest and declared size by a VerifyingStream.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/context.hpp"
#include "core/model.hpp"
#include "image/source.hpp"
#include "util/stream.hpp"

namespace bulwark::image::detail {

// ---- tar index -----------------------------------------------------------

enum class TarMemberType { file, directory, symlink, hardlink, other };

struct TarMember {
  std::uint64_t offset = 0;  // of the data, in the tar file
  std::uint64_t size = 0;
  TarMemberType type = TarMemberType::file;
  std::string link_target;  // for symlinks and hard links, as stored
};

// The members of an uncompressed tar (ustar, GNU long names, pax path records),
// read once. Hostile names ("..", absolute) and members reaching past the end of
// the file are rejected when the index is built.
class TarIndex {
 public:
  [[nodiscard]] static Result<TarIndex> build(const std::filesystem::path& path, const core::Limits& limits);

  // The member with this (normalised) name, following symlinks and hard links
  // between members a few hops; nullptr when absent.
  [[nodiscard]] const TarMember* find(std::string_view name) const;
  [[nodiscard]] Result<std::unique_ptr<util::ByteStream>> open(std::string_view name) const;
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
  [[nodiscard]] const std::map<std::string, TarMember, std::less<>>& members() const noexcept { return members_; }

 private:
  std::filesystem::path path_;
  std::map<std::string, TarMember, std::less<>> members_;
};

// ---- blob stores -----------------------------------------------------------

// Where a local image's files live: a layout folder, or the members of a tar.
class BlobStore {
 public:
  virtual ~BlobStore() = default;
  // Opens a file by its path relative to the store's root; ErrorCode::not_found when absent.
  [[nodiscard]] virtual Result<std::unique_ptr<util::ByteStream>> open(std::string_view rel) const = 0;
  [[nodiscard]] virtual bool exists(std::string_view rel) const = 0;
  // Size of the file, when it exists.
  [[nodiscard]] virtual std::optional<std::uint64_t> size_of(std::string_view rel) const = 0;
  // The folder or archive, for error messages.
  [[nodiscard]] virtual std::string name() const = 0;
};

[[nodiscard]] std::shared_ptr<BlobStore> make_folder_store(std::filesystem::path dir);
[[nodiscard]] std::shared_ptr<BlobStore> make_tar_store(TarIndex index);

// "blobs/sha256/<hex>" for a validated digest.
[[nodiscard]] Result<std::string> blob_path(std::string_view digest);

// ---- verification ---------------------------------------------------------

// Wraps a blob stream: hashes and counts what passes through, fails as soon as
// more than expected_size bytes arrive and, at the end, when the count or the
// sha256 differs. `what` names the blob in errors.
[[nodiscard]] std::unique_ptr<util::ByteStream> verify_stream(std::unique_ptr<util::ByteStream> inner,
                                                              std::string expected_hex,
                                                              std::optional<std::uint64_t> expected_size,
                                                              std::string what);

// Reads a whole document (manifest, index, config) with the document size limit,
// verified against digest_hex (when given) and declared size (when given).
[[nodiscard]] Result<std::string> read_document(const BlobStore& store, std::string_view rel,
                                                std::optional<std::string> digest_hex,
                                                std::optional<std::uint64_t> size, const core::Limits& limits);

// Parses JSON without throwing, refusing documents nested deeper than the limit.
[[nodiscard]] Result<nlohmann::json> parse_json(std::string_view text, const core::Limits& limits,
                                                std::string_view what);

// ---- images read from a store ---------------------------------------------

// Where each layer's blob is and what it must hash to.
struct LayerBlob {
  std::string rel;                    // path in the store
  std::string hex;                    // expected sha256
  std::optional<std::uint64_t> size;  // declared size, when the format declares one
};

// Fills architecture, os, diff_ids and created_by of info.layers from an image config.
// info.layers must already hold one entry per layer.
[[nodiscard]] Status apply_config(const nlohmann::json& config, core::ImageInfo& info, std::string_view what);

[[nodiscard]] std::unique_ptr<ImageSource> make_stored_image(std::shared_ptr<BlobStore> store, core::ImageInfo info,
                                                             std::string config_json, std::vector<LayerBlob> blobs);

// Opens the image of an OCI layout held by store (folder or archive).
[[nodiscard]] Result<std::unique_ptr<ImageSource>> open_oci_store(std::shared_ptr<BlobStore> store,
                                                                  const std::string& tag, const SourceOptions& options,
                                                                  const core::Context& ctx, std::string reference);

// Opens the image an index document lists (resolved by tag and platform like an OCI layout's
// index.json), its blobs read from store: for stores that have blobs but no index.json of their
// own (containerd's content store). index_what names the index in errors.
[[nodiscard]] Result<std::unique_ptr<ImageSource>> open_oci_index(std::shared_ptr<BlobStore> store,
                                                                  const nlohmann::json& index,
                                                                  const std::string& index_what, const std::string& tag,
                                                                  const SourceOptions& options,
                                                                  const core::Context& ctx, std::string reference);

// Platform matching ("os/arch[/variant]").
struct Platform {
  std::string os;
  std::string architecture;
  std::string variant;
  [[nodiscard]] std::string str() const;
};
// "os/arch[/variant]"; anything else is an invalid_argument error (it comes from --platform).
[[nodiscard]] Result<Platform> parse_platform(std::string_view text);
[[nodiscard]] bool platform_matches(const Platform& wanted, const Platform& have);

// ---- layer decoding -------------------------------------------------------

// A stream of the uncompressed bytes of a (maybe gzip- or zstd-compressed) blob;
// the compression is detected from the first bytes.
[[nodiscard]] Result<std::unique_ptr<util::ByteStream>> open_decompressed(std::unique_ptr<util::ByteStream> inner,
                                                                          std::string what);
// Whether a stream from open_decompressed passes the blob through unchanged (no compression).
[[nodiscard]] bool is_passthrough(const util::ByteStream& stream) noexcept;

}  // namespace bulwark::image::detail
