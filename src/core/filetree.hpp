// FileTree: the squashed, read-only view of a root filesystem that catalogers
// and checks read. Image layers (with whiteouts applied) and plain directories
// both end up here. Only metadata is kept for every entry; content is kept only
// for the files some cataloger asked for (see FileWanted), so memory does not
// grow with the size of the files in an image.
//
// Paths are normalised: relative to the root, no leading '/', no '.' or '..'
// components, no trailing '/'. The root itself is "".
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.hpp"

namespace bulwark::core {

enum class FileType { regular, directory, symlink, hardlink, char_device, block_device, fifo, socket, other };

struct FileEntry {
  std::string path;
  FileType type = FileType::regular;
  std::uint32_t mode = 0;  // permission bits incl. setuid/setgid/sticky (07777)
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::uint64_t size = 0;
  std::string link_target;             // symlink target as stored, or hard-link target (normalised path)
  int layer = -1;                      // index of the layer that added this entry; -1 for a directory source
  std::optional<std::string> content;  // kept only when wanted
  std::optional<std::string> probed;   // what a ContentProbe captured while the file streamed past
};

// Captures a small piece of files that are not kept whole, while their bytes stream
// past (Go's build information inside an executable, for example), so that finding
// it costs no memory beyond the piece.
class ProbeScan {
 public:
  virtual ~ProbeScan() = default;
  virtual void feed(std::string_view chunk) = 0;
  // True once the scan needs no more bytes (the reader may stop reading the file).
  [[nodiscard]] virtual bool done() const { return false; }
  // The captured piece, if the file had one.
  [[nodiscard]] virtual std::optional<std::string> finish() = 0;
};

class ContentProbe {
 public:
  virtual ~ContentProbe() = default;
  // Decides from the entry's metadata (path, mode, size) whether to scan it.
  [[nodiscard]] virtual bool wants(const FileEntry& entry) const = 0;
  [[nodiscard]] virtual std::unique_ptr<ProbeScan> start() const = 0;
  // Probes that report where they found something (the secret scanner) need the entry.
  [[nodiscard]] virtual std::unique_ptr<ProbeScan> start(const FileEntry& entry) const {
    (void)entry;
    return start();
  }
};

// Several probes over one stream of bytes: each sees the files it wants; the first
// captured piece (in probe order) becomes FileEntry::probed.
class ProbeChain final : public ContentProbe {
 public:
  explicit ProbeChain(std::vector<const ContentProbe*> probes) : probes_(std::move(probes)) {}
  [[nodiscard]] bool wants(const FileEntry& entry) const override;
  [[nodiscard]] std::unique_ptr<ProbeScan> start() const override;
  [[nodiscard]] std::unique_ptr<ProbeScan> start(const FileEntry& entry) const override;

 private:
  std::vector<const ContentProbe*> probes_;
};

// Decides which regular files' content is kept while reading a tree.
using FileWanted = std::function<bool(std::string_view path)>;

// Lexically normalises an archive member or link path. Fails with ErrorCode::hostile
// when ".." would climb above the root; strips leading "/" and "./".
[[nodiscard]] Result<std::string> normalize_path(std::string_view path);

class FileTree {
 public:
  // Adds or replaces an entry (a later layer's entry replaces an earlier one).
  void put(FileEntry entry);
  // Removes path and everything below it (a whiteout). Returns whether anything was removed.
  bool remove(std::string_view path);
  // Removes everything below dir but keeps dir itself (an opaque directory).
  void remove_children(std::string_view dir);

  [[nodiscard]] const FileEntry* find(std::string_view path) const;
  // Follows symlinks (and hard links) inside the tree, as the kernel would inside a
  // chroot: absolute targets start at this root, ".." stops at the root. Fails on
  // loops or when more than max_hops links are followed.
  [[nodiscard]] Result<const FileEntry*> resolve(std::string_view path, std::uint32_t max_hops = 40) const;

  // Entries directly or indirectly below dir ("" = all), in path order.
  void for_each_below(std::string_view dir, const std::function<void(const FileEntry&)>& fn) const;
  void for_each(const std::function<void(const FileEntry&)>& fn) const { for_each_below("", fn); }

  [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }

 private:
  std::map<std::string, FileEntry, std::less<>> entries_;
};

}  // namespace bulwark::core
