// The inventory pipeline shared by every image-scanning subcommand:
// reference -> source -> squashed FileTree (only the files catalogers want) ->
// OS detection -> packages, each attributed to the layer that added it.
#pragma once

#include "core/context.hpp"
#include "core/diagnostics.hpp"
#include "core/model.hpp"
#include "image/reference.hpp"
#include "image/source.hpp"

namespace bulwark::cli {

[[nodiscard]] Result<core::ScanResult> inventory(const image::Reference& ref, const image::SourceOptions& options,
                                                 const core::Context& ctx, core::Diagnostics& diags);

}  // namespace bulwark::cli
