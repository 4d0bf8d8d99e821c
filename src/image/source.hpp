// Image sources: every transport yields the same thing: the image's manifest
// facts (ImageInfo with its layers), its config JSON, and a stream over each
// layer blob as stored. Sources verify every blob's digest as it is read.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "core/context.hpp"
#include "core/model.hpp"
#include "image/reference.hpp"
#include "util/stream.hpp"

namespace bulwark::image {

enum class TlsVerify { yes, no };

// What the registry and daemon transports need beyond the reference.
struct SourceOptions {
  std::string platform;                 // "linux/amd64", "linux/arm64/v8"; empty = the host's
  std::optional<std::string> username;  // from --creds, BULWARK_USERNAME, or ~/.docker/config.json
  std::optional<std::string> password;
  TlsVerify tls_verify = TlsVerify::yes;  // --tls-verify=false allows plain HTTP (loopback registries)
  std::string docker_host = "unix:///var/run/docker.sock";
  std::string containerd_root = "/var/lib/containerd";  // containerd: images (its root folder)
  std::string containerd_namespace;                     // empty = every namespace, CRI's k8s.io first
};

class ImageSource {
 public:
  virtual ~ImageSource() = default;
  [[nodiscard]] virtual const core::ImageInfo& info() const = 0;
  // The image config JSON (verified against its digest).
  [[nodiscard]] virtual const std::string& config_json() const = 0;
  // A stream over layer `index`'s blob as stored (maybe compressed). The stream
  // fails at its end when the bytes do not match the layer's digest.
  [[nodiscard]] virtual Result<std::unique_ptr<util::ByteStream>> open_layer(std::size_t index) = 0;
};

// Opens an image by its reference. A `dir:` reference is not an image: read it with
// read_directory (image/rootfs.hpp).
[[nodiscard]] Result<std::unique_ptr<ImageSource>> open_source(const Reference& ref, const SourceOptions& options,
                                                               const core::Context& ctx);

}  // namespace bulwark::image
