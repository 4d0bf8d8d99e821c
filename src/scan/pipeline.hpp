// The inventory pipeline shared by the CLI, the server and the agent:
// reference -> source -> squashed FileTree (only the files catalogers want) ->
// OS detection -> packages, each attributed to the layer that added it.
#pragma once

#include "config/image/image_config.hpp"
#include "core/context.hpp"
#include "core/diagnostics.hpp"
#include "core/model.hpp"
#include "image/reference.hpp"
#include "image/source.hpp"
#include "secret/probe.hpp"

namespace bulwark::scan {

// What the configuration checks of an image or root filesystem read besides the
// packages: the image config JSON (empty for a folder) and facts about its files.
struct InventoryExtras {
  std::string config_json;
  config::image::FileFacts facts;
  // When set, every file of every layer is scanned for secrets in the same pass.
  secret::SecretProbe* secrets = nullptr;
  // False when nothing asked for packages (`--scanners secret`): the catalogers keep no files, no
  // package database is read, and the result has no packages (the OS is still detected).
  bool packages = true;
};

[[nodiscard]] Result<core::ScanResult> inventory(const image::Reference& ref, const image::SourceOptions& options,
                                                 const core::Context& ctx, core::Diagnostics& diags,
                                                 InventoryExtras* extras = nullptr);

}  // namespace bulwark::scan
