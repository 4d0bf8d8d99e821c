// oci-archive: a tar of an OCI image layout, read in place through a TarIndex.
#include "image/internal.hpp"
#include "image/transports.hpp"

namespace bulwark::image {

Result<std::unique_ptr<ImageSource>> open_oci_archive(const std::filesystem::path& path, const std::string& tag,
                                                      const SourceOptions& options, const core::Context& ctx) {
  auto index = detail::TarIndex::build(path, ctx.limits);
  if (!index) return std::unexpected(index.error());
  std::string reference = "oci-archive:" + path.string() + (tag.empty() ? "" : ":" + tag);
  return detail::open_oci_store(detail::make_tar_store(std::move(*index)), tag, options, ctx, std::move(reference));
}

}  // namespace bulwark::image
