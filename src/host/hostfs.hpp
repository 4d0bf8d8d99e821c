// HostFs: the files the host audit reads, either on the running machine ("/")
// or below an offline root filesystem (`bulwark host --root DIR`). Paths are
// absolute as seen from inside the root; symbolic links are followed as the
// kernel would inside a chroot, so nothing outside the root is ever read.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.hpp"

namespace bulwark::host {

enum class FileKind { regular, directory, symlink, socket, other };

struct FileInfo {
  std::string path;  // as asked, inside the root
  FileKind kind = FileKind::other;
  std::uint32_t mode = 0;  // permission bits 07777
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::uint64_t device = 0;  // st_dev of the file
};

class HostFs {
 public:
  explicit HostFs(std::filesystem::path root = "/");

  [[nodiscard]] const std::filesystem::path& root() const noexcept { return root_; }
  [[nodiscard]] bool is_live() const noexcept { return root_ == "/"; }

  // Follows links inside the root; nullopt when the file does not exist (or a link leaves nowhere).
  [[nodiscard]] std::optional<FileInfo> stat(std::string_view path) const;
  // Reads a regular file of at most max_bytes; errors name the path as seen inside the root.
  [[nodiscard]] Result<std::string> read(std::string_view path, std::uint64_t max_bytes = 4 << 20) const;
  // Names in a directory (not "." or ".."), sorted; empty when it does not exist.
  [[nodiscard]] std::vector<std::string> list(std::string_view dir) const;

  // User and group names from the root's /etc/passwd and /etc/group.
  [[nodiscard]] std::string user_name(std::uint32_t uid) const;
  [[nodiscard]] std::string group_name(std::uint32_t gid) const;
  [[nodiscard]] std::optional<std::uint32_t> group_id(std::string_view name) const;
  // Members of a group named in /etc/group (the 4th field), and users whose primary group it is.
  [[nodiscard]] std::vector<std::string> group_members(std::string_view name) const;

 private:
  // The real path on this machine for path inside the root, with links resolved; nullopt if missing.
  [[nodiscard]] std::optional<std::filesystem::path> resolve(std::string_view path) const;
  void load_accounts() const;

  std::filesystem::path root_;
  mutable bool accounts_loaded_ = false;
  mutable std::map<std::uint32_t, std::string> users_;
  mutable std::map<std::uint32_t, std::string> groups_;
  mutable std::map<std::string, std::pair<std::uint32_t, std::vector<std::string>>, std::less<>> group_entries_;
  mutable std::map<std::string, std::uint32_t, std::less<>> user_primary_gid_;
};

// "rw-r--r--" style rendering plus octal: "0644 (rw-r--r--)".
[[nodiscard]] std::string describe_mode(std::uint32_t mode);
// Whether mode grants nothing beyond allowed (bits compared, not decimal numbers).
[[nodiscard]] constexpr bool mode_within(std::uint32_t mode, std::uint32_t allowed) noexcept {
  return (mode & 07777U & ~allowed) == 0;
}

}  // namespace bulwark::host
