// File helpers with limits: whole-file reads refuse files larger than asked,
// writes go through a temporary file and a rename so readers never see half a file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "util/error.hpp"

namespace bulwark::util {

// Reads a whole file, failing with ErrorCode::limit when it is larger than max_bytes.
[[nodiscard]] Result<std::string> read_file(const std::filesystem::path& path, std::uint64_t max_bytes);

// Writes data to path atomically (temporary file in the same folder, then rename).
[[nodiscard]] Status write_file_atomic(const std::filesystem::path& path, std::string_view data);

// The tool's own cache folder: $BULWARK_CACHE_DIR, else $XDG_CACHE_HOME/bulwark, else ~/.cache/bulwark.
[[nodiscard]] std::filesystem::path default_cache_dir();

// Creates a fresh private (0700) temporary folder below parent, named prefix-XXXXXX.
[[nodiscard]] Result<std::filesystem::path> make_temp_dir(const std::filesystem::path& parent, std::string_view prefix);

// Removes a folder tree on destruction (for temporary folders the tool made itself).
class ScopedDir {
 public:
  explicit ScopedDir(std::filesystem::path p) : path_(std::move(p)) {}
  ~ScopedDir();
  ScopedDir(const ScopedDir&) = delete;
  ScopedDir& operator=(const ScopedDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace bulwark::util
