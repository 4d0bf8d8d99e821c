#include "util/files.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <system_error>
#include <vector>

namespace bulwark::util {

namespace fs = std::filesystem;

Result<std::string> read_file(const fs::path& path, std::uint64_t max_bytes) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    auto code = errno == ENOENT ? ErrorCode::not_found : ErrorCode::io;
    return fail(code, std::strerror(errno), path.string());
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return fail(ErrorCode::io, std::strerror(errno), path.string());
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    return fail(ErrorCode::io, "is a directory", path.string());
  }
  std::string out;
  if (S_ISREG(st.st_mode)) {
    if (static_cast<std::uint64_t>(st.st_size) > max_bytes) {
      ::close(fd);
      return fail(ErrorCode::limit, "file is larger than the limit of " + std::to_string(max_bytes) + " bytes",
                  path.string());
    }
    out.reserve(static_cast<std::size_t>(st.st_size));
  }
  std::vector<char> buf(1 << 16);
  while (true) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return fail(ErrorCode::io, std::strerror(err), path.string());
    }
    if (n == 0) break;
    if (out.size() + static_cast<std::size_t>(n) > max_bytes) {
      ::close(fd);
      return fail(ErrorCode::limit, "file is larger than the limit of " + std::to_string(max_bytes) + " bytes",
                  path.string());
    }
    out.append(buf.data(), static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

std::vector<std::string> directory_entries(int dirfd) {
  std::vector<std::string> names;
  int dup_fd = ::dup(dirfd);
  if (dup_fd < 0) return names;
  DIR* d = ::fdopendir(dup_fd);
  if (!d) {
    ::close(dup_fd);
    return names;
  }
  ::rewinddir(d);  // the duplicate shares the original's position
  while (struct dirent* de = ::readdir(d)) {
    std::string_view n = de->d_name;
    if (n == "." || n == "..") continue;
    names.emplace_back(n);
  }
  ::closedir(d);
  return names;
}

namespace {

Status write_all(int fd, std::string_view data, const fs::path& what) {
  std::size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(ErrorCode::io, std::strerror(errno), what.string());
    }
    off += static_cast<std::size_t>(n);
  }
  return {};
}

// "/dev/stdout" -> 1, "/proc/self/fd/7" -> 7; -1 when the path names no descriptor of ours.
int descriptor_path(const fs::path& path) {
  const std::string s = path.lexically_normal().string();
  if (s == "/dev/stdout") return 1;
  if (s == "/dev/stderr") return 2;
  for (std::string_view prefix : {std::string_view("/dev/fd/"), std::string_view("/proc/self/fd/")}) {
    if (!s.starts_with(prefix)) continue;
    std::string_view rest = std::string_view(s).substr(prefix.size());
    if (rest.empty() || rest.size() > 6) return -1;
    int fd = 0;
    for (char c : rest) {
      if (c < '0' || c > '9') return -1;
      fd = fd * 10 + (c - '0');
    }
    return fd;
  }
  return -1;
}

}  // namespace

Result<OutputTarget> resolve_output(const fs::path& path) {
  if (path.empty()) return fail(ErrorCode::invalid_argument, "empty output path");
  OutputTarget out;
  fs::path cur = path;
  for (int hops = 0;; ++hops) {
    if (int fd = descriptor_path(cur); fd >= 0) {
      out.kind = OutputTarget::Kind::descriptor;
      out.fd = fd;
      out.path = cur;
      return out;
    }
    struct stat st {};
    if (::lstat(cur.c_str(), &st) != 0) {
      if (errno != ENOENT) return fail(ErrorCode::io, std::strerror(errno), cur.string());
      out.kind = OutputTarget::Kind::replace;  // created
      out.path = cur;
      return out;
    }
    if (S_ISLNK(st.st_mode)) {
      if (hops >= 40) return fail(ErrorCode::invalid_argument, "too many levels of symbolic links", path.string());
      std::vector<char> buf(static_cast<std::size_t>(st.st_size > 0 ? st.st_size : 255) + 1);
      ssize_t n = ::readlink(cur.c_str(), buf.data(), buf.size());
      if (n < 0) return fail(ErrorCode::io, std::strerror(errno), cur.string());
      fs::path target(std::string(buf.data(), static_cast<std::size_t>(n)));
      cur = target.is_absolute() ? target : cur.parent_path() / target;
      continue;
    }
    out.path = cur;
    if (S_ISREG(st.st_mode)) {
      out.kind = OutputTarget::Kind::replace;
    } else if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode)) {
      out.kind = OutputTarget::Kind::write_through;
    } else if (S_ISDIR(st.st_mode)) {
      return fail(ErrorCode::invalid_argument, "is a directory; give a file name for the output", path.string());
    } else if (S_ISBLK(st.st_mode)) {
      return fail(ErrorCode::invalid_argument, "is a block device; refusing to write output to it", path.string());
    } else {
      return fail(ErrorCode::invalid_argument, "is neither a regular file, a character device nor a FIFO",
                  path.string());
    }
    return out;
  }
}

Status write_file_atomic(const fs::path& path, std::string_view data) {
  auto target = resolve_output(path);
  if (!target) return std::unexpected(target.error());
  if (target->kind == OutputTarget::Kind::descriptor) {
    if (auto st = write_all(target->fd, data, path); !st) return st;
    return {};
  }
  if (target->kind == OutputTarget::Kind::write_through) {
    int fd = ::open(target->path.c_str(), O_WRONLY | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) return fail(ErrorCode::io, std::strerror(errno), target->path.string());
    auto st = write_all(fd, data, target->path);
    if (::close(fd) != 0 && st) return fail(ErrorCode::io, std::strerror(errno), target->path.string());
    return st;
  }
  const fs::path& dest = target->path;
  mode_t mode = 0644;
  if (struct stat old{}; ::stat(dest.c_str(), &old) == 0) mode = old.st_mode & 07777;
  std::string templ = dest.string() + ".tmp-XXXXXX";
  std::vector<char> name(templ.begin(), templ.end());
  name.push_back('\0');
  int fd = ::mkostemp(name.data(), O_CLOEXEC);  // O_EXCL: never follows a planted link
  if (fd < 0) return fail(ErrorCode::io, std::strerror(errno), templ);
  const fs::path tmp(name.data());
  if (::fchmod(fd, mode) != 0) {
    int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    return fail(ErrorCode::io, std::strerror(err), tmp.string());
  }
  if (auto st = write_all(fd, data, tmp); !st) {
    ::close(fd);
    ::unlink(tmp.c_str());
    return st;
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(tmp.c_str());
    return fail(ErrorCode::io, "cannot flush file", tmp.string());
  }
  if (::rename(tmp.c_str(), dest.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return fail(ErrorCode::io, std::strerror(err), dest.string());
  }
  return {};
}

fs::path default_cache_dir() {
  if (const char* d = std::getenv("BULWARK_CACHE_DIR"); d && *d) return fs::path(d);
  if (const char* d = std::getenv("XDG_CACHE_HOME"); d && *d) return fs::path(d) / "bulwark";
  if (const char* h = std::getenv("HOME"); h && *h) return fs::path(h) / ".cache" / "bulwark";
  return fs::temp_directory_path() / "bulwark-cache";
}

Result<fs::path> make_temp_dir(const fs::path& parent, std::string_view prefix) {
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec) return fail(ErrorCode::io, ec.message(), parent.string());
  std::string templ = (parent / (std::string(prefix) + "-XXXXXX")).string();
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) return fail(ErrorCode::io, std::strerror(errno), templ);
  return fs::path(buf.data());
}

ScopedDir::~ScopedDir() {
  if (path_.empty()) return;
  std::error_code ec;
  fs::remove_all(path_, ec);
}

}  // namespace bulwark::util
