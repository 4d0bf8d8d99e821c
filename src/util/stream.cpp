#include "util/stream.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace bulwark::util {

namespace {

class FileStream final : public ByteStream {
 public:
  FileStream(int fd, std::string name, std::uint64_t offset, std::uint64_t length)
      : fd_(fd), name_(std::move(name)), pos_(offset), remaining_(length) {}
  ~FileStream() override { ::close(fd_); }
  FileStream(const FileStream&) = delete;
  FileStream& operator=(const FileStream&) = delete;

  Result<std::size_t> read(void* buffer, std::size_t size) override {
    if (remaining_ == 0) return 0;
    if (size > remaining_) size = static_cast<std::size_t>(remaining_);
    while (true) {
      ssize_t n = ::pread(fd_, buffer, size, static_cast<off_t>(pos_));
      if (n < 0) {
        if (errno == EINTR) continue;
        return fail(ErrorCode::io, std::strerror(errno), name_);
      }
      if (n == 0 && remaining_ != UINT64_MAX) {
        return fail(ErrorCode::io, "unexpected end of file (truncated?)", name_);
      }
      pos_ += static_cast<std::uint64_t>(n);
      if (remaining_ != UINT64_MAX) remaining_ -= static_cast<std::uint64_t>(n);
      return static_cast<std::size_t>(n);
    }
  }

 private:
  int fd_;
  std::string name_;
  std::uint64_t pos_;
  std::uint64_t remaining_;
};

}  // namespace

Result<std::unique_ptr<ByteStream>> open_file_stream(const std::filesystem::path& path, std::uint64_t offset,
                                                     std::uint64_t length) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    auto code = errno == ENOENT ? ErrorCode::not_found : ErrorCode::io;
    return fail(code, std::strerror(errno), path.string());
  }
  return std::unique_ptr<ByteStream>(std::make_unique<FileStream>(fd, path.string(), offset, length));
}

Result<std::string> read_all(ByteStream& stream, std::uint64_t max_bytes, std::string_view what) {
  std::string out;
  char buf[1 << 15];
  while (true) {
    auto n = stream.read(buf, sizeof buf);
    if (!n) return std::unexpected(n.error());
    if (*n == 0) return out;
    if (out.size() + *n > max_bytes) {
      return fail(ErrorCode::limit, "larger than the limit of " + std::to_string(max_bytes) + " bytes",
                  std::string(what));
    }
    out.append(buf, *n);
  }
}

}  // namespace bulwark::util
