// Scanning a folder or a file for secrets (`bulwark secret PATH`): every regular file
// below the root, without following symbolic links, minus what gitignore-style
// --skip patterns exclude (and .git folders, whose objects are compressed).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/diagnostics.hpp"
#include "secret/probe.hpp"
#include "secret/scanner.hpp"

namespace bulwark::secret {

// Gitignore-style patterns: "*.log" (a name at any depth), "/build" (anchored at the
// root), "node_modules/" (folders only), "docs/**/*.md", "!keep.txt" (re-include).
class SkipList {
 public:
  [[nodiscard]] static Result<SkipList> compile(const std::vector<std::string>& patterns);
  // rel: path relative to the root, '/'-separated.
  [[nodiscard]] bool skipped(std::string_view rel, bool is_dir) const;

 private:
  struct Pattern {
    std::string regex;
    bool dir_only = false;
    bool negate = false;
  };
  std::vector<Pattern> patterns_;
};

struct WalkStats {
  std::uint64_t files = 0;
  std::uint64_t bytes = 0;
  std::uint64_t skipped = 0;
};

[[nodiscard]] Result<std::vector<FileFinding>> scan_path(const Engine& engine, const std::filesystem::path& root,
                                                         const SkipList& skip, core::Diagnostics& diags,
                                                         WalkStats* stats = nullptr);

// Secrets in configuration documents (Dockerfiles, Compose files, Kubernetes manifests):
// the text itself, and the base64 values of Kubernetes Secret `data`.
[[nodiscard]] std::vector<core::Finding> scan_document(const Engine& engine, std::string_view path,
                                                       std::string_view text, const core::Target& target);

}  // namespace bulwark::secret
