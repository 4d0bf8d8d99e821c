// Image references in the transport syntax skopeo and podman users know:
//   docker-archive:PATH[:REF]   `docker save` output
//   oci-archive:PATH[:TAG]      a tar of an OCI layout
//   oci:DIR[:TAG]               an OCI image layout folder (index with one or several manifests)
//   dir:PATH                    a root filesystem on disk
//   docker-daemon:NAME[:TAG]    an image in the local Docker engine (Engine API over the unix socket)
//   docker://HOST/REPO[:TAG|@sha256:...]   a registry (OCI distribution API)
//   containerd:NAME[:TAG|@sha256:...]      an image in containerd's store, read in place
//   containerd:sha256:HEX                  the same by digest (index, manifest, or config = image id)
// A bare existing path is auto-detected: a folder with oci-layout is oci:, another
// folder is dir:, a tar with manifest.json is docker-archive:, one with oci-layout is oci-archive:.
#pragma once

#include <string>
#include <string_view>

#include "util/error.hpp"

namespace bulwark::image {

enum class Transport { docker_archive, oci_archive, oci_layout, dir, docker_daemon, registry, containerd };
[[nodiscard]] std::string_view to_string(Transport t) noexcept;

struct Reference {
  Transport transport = Transport::dir;
  std::string original;  // as the user wrote it
  std::string path;      // archives, layouts, dirs
  std::string tag;       // oci:/oci-archive: tag, docker-archive: ref, daemon/registry tag
  // registry and daemon
  std::string registry;    // "registry-1.docker.io", "127.0.0.1:5000"
  std::string repository;  // "library/debian"
  std::string digest;      // "sha256:..." when pinned

  // "docker://127.0.0.1:5000/app:1" style canonical text for reports.
  [[nodiscard]] std::string str() const;
};

// Parses TARGET; bare paths are detected by looking at the file system.
[[nodiscard]] Result<Reference> parse_reference(std::string_view text);

}  // namespace bulwark::image
