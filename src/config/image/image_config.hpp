// Checks on a built image's configuration (the OCI image config JSON: config.User,
// ExposedPorts, Env, Healthcheck, Labels, history[].created_by) and, when the caller has
// walked the image's files, on facts about them (setuid/setgid and world-writable
// files, package managers and shells left in). `bulwark image` calls this after reading
// the image; the findings use the BW-IMG-* checks of checks/image.yaml.
#pragma once

#include "core/model.hpp"
#include "util/error.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bulwark::config::image {

// What a walk of the squashed root filesystem found (paths are absolute, "/usr/bin/su").
struct FileFacts {
  std::vector<std::string> setuid;            // regular files with the setuid bit
  std::vector<std::string> setgid;            // regular files with the setgid bit
  std::vector<std::string> world_writable;    // files and folders writable by others, without the sticky bit
  std::vector<std::string> package_managers;  // e.g. "/usr/bin/apt-get", "/sbin/apk"
  std::vector<std::string> shells;            // e.g. "/bin/sh", "/bin/bash"
};

struct ImageCheckOptions {
  bool include_passed = false;
  std::size_t max_paths_in_evidence = 10;
};

// `config` is the whole image config document (with "config" and "history"), or a
// `docker image inspect` entry (with "Config"); both spellings are read.
[[nodiscard]] std::vector<core::Finding> check_image_config(const nlohmann::json& config, const core::Target& target,
                                                            const std::optional<FileFacts>& facts,
                                                            const ImageCheckOptions& options = {});

// The same from JSON text; a parse error names the document.
[[nodiscard]] Result<std::vector<core::Finding>> check_image_config_text(std::string_view json,
                                                                         const core::Target& target,
                                                                         const std::optional<FileFacts>& facts,
                                                                         const ImageCheckOptions& options = {});

}  // namespace bulwark::config::image
