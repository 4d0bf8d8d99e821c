// The transports behind open_source(), one file each. Internal to src/image;
// other modules use image/source.hpp.
#pragma once

#include <filesystem>
#include <memory>

#include "image/source.hpp"

namespace bulwark::image {

// `docker save` output (legacy layout with manifest.json + repositories, or the
// Docker 25+ layout that is also an OCI layout). `ref` picks one of several images
// by RepoTag ("name:tag"; "name" means "name:latest") or by position ("@0", "@1");
// empty = the only image (several: an error listing them).
[[nodiscard]] Result<std::unique_ptr<ImageSource>> open_docker_archive(const std::filesystem::path& path,
                                                                       const std::string& ref,
                                                                       const SourceOptions& options,
                                                                       const core::Context& ctx);

// An OCI image layout folder; `tag` matches org.opencontainers.image.ref.name;
// an index with several manifests (or a manifest list) is resolved with options.platform.
[[nodiscard]] Result<std::unique_ptr<ImageSource>> open_oci_layout(const std::filesystem::path& dir,
                                                                   const std::string& tag, const SourceOptions& options,
                                                                   const core::Context& ctx);

// A tar of an OCI image layout, read in place (no extraction).
[[nodiscard]] Result<std::unique_ptr<ImageSource>> open_oci_archive(const std::filesystem::path& path,
                                                                    const std::string& tag,
                                                                    const SourceOptions& options,
                                                                    const core::Context& ctx);

// A registry through the OCI distribution API; blobs are downloaded into the cache
// (verified) and read from there.
[[nodiscard]] Result<std::unique_ptr<ImageSource>> open_registry(const Reference& ref, const SourceOptions& options,
                                                                 const core::Context& ctx);

// The local Docker engine: the image is exported through the Engine API
// (GET /images/{name}/get) into the cache and read as a docker-archive.
[[nodiscard]] Result<std::unique_ptr<ImageSource>> open_docker_daemon(const Reference& ref,
                                                                      const SourceOptions& options,
                                                                      const core::Context& ctx);

// An image in containerd's store (options.containerd_root), read in place: by digest, or by name
// through containerd's metadata database (options.containerd_namespace; empty = every namespace,
// CRI's k8s.io first).
[[nodiscard]] Result<std::unique_ptr<ImageSource>> open_containerd(const Reference& ref, const SourceOptions& options,
                                                                   const core::Context& ctx);

// The host's platform as "os/arch[/variant]", e.g. "linux/amd64".
[[nodiscard]] std::string host_platform();

}  // namespace bulwark::image
