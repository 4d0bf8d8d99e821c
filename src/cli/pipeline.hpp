// The inventory pipeline shared by every image-scanning subcommand:
// reference -> source -> squashed FileTree (only the files catalogers want) ->
// OS detection -> packages, each attributed to the layer that added it.
#pragma once

#include "config/image/image_config.hpp"
#include "core/context.hpp"
#include "core/diagnostics.hpp"
#include "core/model.hpp"
#include "image/reference.hpp"
#include "image/source.hpp"

namespace bulwark::cli {

// What the configuration checks of an image or root filesystem read besides the
// packages: the image config JSON (empty for a folder) and facts about its files.
struct InventoryExtras {
  std::string config_json;
  config::image::FileFacts facts;
};

[[nodiscard]] Result<core::ScanResult> inventory(const image::Reference& ref, const image::SourceOptions& options,
                                                 const core::Context& ctx, core::Diagnostics& diags,
                                                 InventoryExtras* extras = nullptr);

}  // namespace bulwark::cli
