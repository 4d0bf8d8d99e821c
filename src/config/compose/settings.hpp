// Compose services mapped into the shared runtime model (config/runtime_settings.hpp),
// and the runtime checks (BW-COMPOSE-*) that read that model.
#pragma once

#include "config/runtime_settings.hpp"
#include "core/diagnostics.hpp"

#include <yaml-cpp/yaml.h>

#include <string>
#include <string_view>
#include <vector>

namespace bulwark::config::compose {

// Every service under `services:` of one Compose document. Malformed entries are
// reported to `diags` with their position and skipped; the rest still map.
[[nodiscard]] std::vector<RuntimeSettings> services_from_compose(const YAML::Node& root, std::string_view path,
                                                                 core::Diagnostics& diags);

struct RuntimeHit {
  std::string check_id;
  core::Location location;
  std::string evidence;
};

// The runtime checks on one container's settings.
[[nodiscard]] std::vector<RuntimeHit> check_runtime(const RuntimeSettings& s);

}  // namespace bulwark::config::compose
