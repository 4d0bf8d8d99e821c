#include "util/files.hpp"

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

Status write_file_atomic(const fs::path& path, std::string_view data) {
  fs::path tmp = path;
  tmp += ".tmp-" + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return fail(ErrorCode::io, std::strerror(errno), tmp.string());
  std::size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return fail(ErrorCode::io, std::strerror(err), tmp.string());
    }
    off += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(tmp.c_str());
    return fail(ErrorCode::io, "cannot flush file", tmp.string());
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return fail(ErrorCode::io, std::strerror(err), path.string());
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
