// Reading an image (or a directory) into the squashed FileTree: one streaming
// pass per layer, whiteouts and opaque directories applied, every entry checked
// against the limits and for hostile paths, only wanted files' content kept.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "core/context.hpp"
#include "core/filetree.hpp"
#include "image/source.hpp"

namespace bulwark::image {

// Called after each layer has been applied to the tree, with the paths whose
// content that layer kept (so callers can see which package databases changed).
using LayerObserver =
    std::function<void(std::size_t layer, const core::FileTree& tree, const std::vector<std::string>& kept_paths)>;

// Reads every layer of the source in order into tree. Each layer's uncompressed
// diffID is checked against the config's rootfs.diff_ids.
[[nodiscard]] Status read_layers(ImageSource& source, const core::FileWanted& wanted, const core::Context& ctx,
                                 core::FileTree& tree, const LayerObserver& after_layer = {},
                                 const core::ContentProbe* probe = nullptr);

// Reads a root filesystem folder (never following links out of it).
[[nodiscard]] Status read_directory(const std::filesystem::path& root, const core::FileWanted& wanted,
                                    const core::Context& ctx, core::FileTree& tree,
                                    const core::ContentProbe* probe = nullptr);

}  // namespace bulwark::image
