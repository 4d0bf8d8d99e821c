// ByteStream: a pull-based reader of bytes, the one interface between image
// sources (files, tar members, registry blobs) and layer decoding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>

#include "util/error.hpp"

namespace bulwark::util {

class ByteStream {
 public:
  virtual ~ByteStream() = default;
  // Reads up to size bytes; returns 0 at the end of the stream.
  [[nodiscard]] virtual Result<std::size_t> read(void* buffer, std::size_t size) = 0;
};

// A stream over [offset, offset+length) of a file (length = UINT64_MAX: to the end).
[[nodiscard]] Result<std::unique_ptr<ByteStream>> open_file_stream(const std::filesystem::path& path,
                                                                   std::uint64_t offset = 0,
                                                                   std::uint64_t length = UINT64_MAX);

// Reads a whole stream into memory, failing with ErrorCode::limit past max_bytes.
[[nodiscard]] Result<std::string> read_all(ByteStream& stream, std::uint64_t max_bytes, std::string_view what);

}  // namespace bulwark::util
