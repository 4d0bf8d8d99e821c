// containerd's image names, read from its metadata database without containerd: the file
// <root>/io.containerd.metadata.v1.bolt/meta.db is a bbolt (B+tree, copy-on-write) file whose
// bucket v1/<namespace>/images/<name>/target holds each image's digest, media type and size.
// The reader is read-only and takes no lock: it picks the newest meta page whose checksum is
// right, walks the tree with every offset checked against the file, a bounded depth and a
// bounded number of pages visited, so a damaged or hostile file is an error, never a crash.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.hpp"

namespace bulwark::image {

struct ContainerdImageRecord {
  std::string ns;          // containerd namespace ("k8s.io" for CRI, "default" for ctr)
  std::string name;        // "docker.io/library/alpine:3.19"
  std::string digest;      // of the target: an index or a manifest
  std::string media_type;  // of the target
  std::uint64_t size = 0;
};

// Every image record of the database given as bytes (the whole file); ns empty = all namespaces.
[[nodiscard]] Result<std::vector<ContainerdImageRecord>> read_containerd_images(std::string_view db,
                                                                                std::string_view ns = {});

// The same from the file (mapped read-only).
[[nodiscard]] Result<std::vector<ContainerdImageRecord>> read_containerd_images_file(const std::filesystem::path& file,
                                                                                     std::string_view ns = {});

// The names an image NAME[:TAG] may have in containerd: as given, and normalised the way
// containerd normalises Docker Hub names ("alpine" -> "docker.io/library/alpine:latest").
[[nodiscard]] std::vector<std::string> containerd_name_candidates(std::string_view name);

}  // namespace bulwark::image
