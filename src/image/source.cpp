#include "image/source.hpp"

#include "image/transports.hpp"

// open_source only dispatches; host_platform lives in platform.cpp so that a binary
// linking the local transports alone does not pull in the registry and daemon ones.
namespace bulwark::image {

Result<std::unique_ptr<ImageSource>> open_source(const Reference& ref, const SourceOptions& options,
                                                 const core::Context& ctx) {
  switch (ref.transport) {
    case Transport::docker_archive: return open_docker_archive(ref.path, ref.tag, options, ctx);
    case Transport::oci_archive: return open_oci_archive(ref.path, ref.tag, options, ctx);
    case Transport::oci_layout: return open_oci_layout(ref.path, ref.tag, options, ctx);
    case Transport::registry: return open_registry(ref, options, ctx);
    case Transport::docker_daemon: return open_docker_daemon(ref, options, ctx);
    case Transport::containerd: return open_containerd(ref, options, ctx);
    case Transport::dir:
      return fail(ErrorCode::invalid_argument, "a folder is not an image; read it with read_directory", ref.str());
  }
  return fail(ErrorCode::internal, "unknown transport", ref.original);
}

}  // namespace bulwark::image
