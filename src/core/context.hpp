// Context: what a scan needs from its caller instead of globals: limits on
// untrusted input, the tool's own cache folder, and where progress goes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace bulwark::core {

// Limits applied to untrusted images and documents. All configurable from the CLI.
struct Limits {
  std::uint64_t max_total_bytes = 64ULL << 30;       // uncompressed bytes over all layers of one image
  std::uint64_t max_file_count = 5'000'000;          // entries over all layers
  std::uint64_t max_file_bytes = 8ULL << 30;         // one entry's size
  std::uint64_t max_kept_file_bytes = 256ULL << 20;  // one file kept in memory for a cataloger
  std::uint64_t max_document_bytes = 64ULL << 20;    // a manifest, config, index or other JSON/YAML document
  std::uint32_t max_json_depth = 256;                // nesting in any JSON document
  std::uint32_t max_path_length = 4096;
  std::uint32_t max_link_depth = 40;           // symlink hops when resolving inside a rootfs
  std::uint64_t max_compression_ratio = 1000;  // uncompressed / compressed, for decompression bombs
};

// Where long work reports how far it got. The terminal implementation draws a
// one-line bar on stderr; the silent one is used when not on a TTY or --quiet.
class Progress {
 public:
  virtual ~Progress() = default;
  virtual void begin(std::string_view label, std::uint64_t total) = 0;
  virtual void advance(std::uint64_t amount) = 0;
  virtual void end() = 0;
  // A one-line message shown in place (e.g. "pulling manifest").
  virtual void note(std::string_view message) = 0;
};

[[nodiscard]] std::unique_ptr<Progress> make_silent_progress();
// Draws on stderr when it is a terminal and quiet is false; otherwise silent.
[[nodiscard]] std::unique_ptr<Progress> make_terminal_progress(bool quiet);

struct Context {
  Limits limits;
  std::filesystem::path cache_dir;
  Progress* progress = nullptr;  // never null once set up by the CLI; see progress()

  [[nodiscard]] Progress& progress_sink() const;
};

}  // namespace bulwark::core
