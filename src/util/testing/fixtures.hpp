// Unpacking a ../shared fixture archive into the build tree, once, for tests only.
// ctest runs tests in parallel processes: each extracts into a private folder and
// renames the tree into place, so no test ever reads a half-extracted tree.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

namespace bulwark::testing {

// Extracts `archive` (tar.zst) and returns dest/top, where `top` is the folder the archive
// holds at its root (it must hold one). Returns an empty path on failure. Another
// process may finish first; then its tree is used.
inline std::filesystem::path unpack_fixture(const std::filesystem::path& archive, const std::filesystem::path& dest,
                                            const std::string& top) {
  namespace fs = std::filesystem;
  fs::path root = dest / top;
  if (fs::exists(root)) return root;
  if (!fs::exists(archive)) return {};
  fs::path tmp = dest / (".extract-" + top + "." + std::to_string(::getpid()));
  std::error_code ec;
  fs::remove_all(tmp, ec);
  fs::create_directories(tmp, ec);
  std::string cmd = "tar --zstd -xf '" + archive.string() + "' -C '" + tmp.string() + "'";
  bool ok = std::system(cmd.c_str()) == 0;
  if (ok) fs::rename(tmp / top, root, ec);  // fails when another process got there first
  fs::remove_all(tmp, ec);
  return fs::exists(root) ? root : fs::path();
}

}  // namespace bulwark::testing
