// The secret scanner as a core::ContentProbe: every regular file of every layer is
// scanned while its bytes stream past in the one pass the catalogers already make
// (files that a later layer deletes or replaces included). After each layer the
// probe is told the tree, so a finding in a file that a later layer hid says which
// layer hid it: the secret is still in the image.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/filetree.hpp"
#include "core/model.hpp"
#include "secret/scanner.hpp"

namespace bulwark::secret {

struct FileFinding {
  std::string path;    // normalised (no leading '/'), "archive.jar!member" inside zips
  std::string file;    // the tree entry the bytes came from
  int layer = -1;      // layer index that added the file; -1 for a folder
  int hidden_by = -1;  // layer index that deleted or replaced it; -1 when still visible
  Match match;
};

class SecretProbe final : public core::ContentProbe {
 public:
  explicit SecretProbe(const Engine& engine) : engine_(engine) {}
  [[nodiscard]] bool wants(const core::FileEntry& entry) const override;
  [[nodiscard]] std::unique_ptr<core::ProbeScan> start() const override;
  [[nodiscard]] std::unique_ptr<core::ProbeScan> start(const core::FileEntry& entry) const override;

  // Call after each layer has been applied to the tree.
  void after_layer(std::size_t layer, const core::FileTree& tree);

  [[nodiscard]] const std::vector<FileFinding>& found() const noexcept { return found_; }
  // Findings for the target; image (when given) maps layer indexes to diffIDs.
  [[nodiscard]] std::vector<core::Finding> findings(const core::Target& target, const core::ImageInfo* image) const;

  void add(FileFinding f) const;

 private:
  const Engine& engine_;
  mutable std::vector<FileFinding> found_;
};

// Secrets in an image config: Env, Labels, Cmd, Entrypoint and history created_by.
// values, when given, receives each secret found (so callers can mask it where they print the
// config, e.g. the layers' created_by).
[[nodiscard]] std::vector<core::Finding> scan_image_config(const Engine& engine, std::string_view config_json,
                                                           const core::Target& target,
                                                           std::vector<std::string>* values = nullptr);

// Replaces each value in text by its masked form.
void mask_values(std::string& text, const std::vector<std::string>& values);

}  // namespace bulwark::secret
