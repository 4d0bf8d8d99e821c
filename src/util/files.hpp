// File helpers with limits: whole-file reads refuse files larger than asked,
// writes go through a temporary file and a rename so readers never see half a file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.hpp"

namespace bulwark::util {

// Reads a whole file, failing with ErrorCode::limit when it is larger than max_bytes.
[[nodiscard]] Result<std::string> read_file(const std::filesystem::path& path, std::uint64_t max_bytes);

// Where an output path the user gave really leads (util::resolve_output).
struct OutputTarget {
  enum class Kind {
    replace,        // a regular file, or nothing yet: temporary file in the same folder, then rename
    write_through,  // a character device or FIFO (/dev/null, a pipe): opened and written, never replaced
    descriptor,     // /dev/stdout, /dev/stderr, /dev/fd/N, /proc/self/fd/N: written to descriptor fd
  };
  Kind kind = Kind::replace;
  std::filesystem::path path;  // symlinks followed: the file that is written or replaced
  int fd = -1;                 // Kind::descriptor
};

// Follows symlinks (a dangling one leads to the file it would create) and classifies the target.
// Refuses a directory, a block device and a socket with ErrorCode::invalid_argument.
[[nodiscard]] Result<OutputTarget> resolve_output(const std::filesystem::path& path);

// Writes data to a path the user gave. A regular file (or a path that does not exist yet) is written
// atomically (temporary file in the same folder, then rename; the old file's mode is kept); a symlink
// is followed and its target written, the link stays; a character device or FIFO is written through,
// never replaced (`-o /dev/null` as root must not replace /dev/null); /dev/stdout and friends write to
// the descriptor; a directory is refused.
[[nodiscard]] Status write_file_atomic(const std::filesystem::path& path, std::string_view data);

// The tool's own cache folder: $BULWARK_CACHE_DIR, else $XDG_CACHE_HOME/bulwark, else ~/.cache/bulwark.
// The names in the open directory dirfd, without "." and "..", in the order readdir gives them;
// dirfd itself stays open and positioned where it was (a duplicate is read). Empty when it cannot
// be read.
[[nodiscard]] std::vector<std::string> directory_entries(int dirfd);

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
