// Layer blobs are decompressed here rather than by libarchive's filters so that we
// choose the decoders (ISA-L's inflate is several times faster than zlib's), see
// every compressed byte for the digest and bomb checks, and name the failure
// precisely (truncated stream, bad checksum, trailing garbage).
#include <fmt/format.h>
#include <isa-l/igzip_lib.h>
#include <zstd.h>

#include <cstring>
#include <vector>

#include "image/internal.hpp"

namespace bulwark::image::detail {

namespace {

constexpr std::size_t kInputBuffer = 256 * 1024;

// Holds the compressed input: a fixed buffer refilled from the inner stream.
class Input {
 public:
  explicit Input(std::unique_ptr<util::ByteStream> inner) : inner_(std::move(inner)), buf_(kInputBuffer) {}

  // Refills when empty; returns false at the end of the inner stream.
  Result<bool> fill() {
    if (pos_ < len_) return true;
    if (eof_) return false;
    auto n = inner_->read(buf_.data(), buf_.size());
    if (!n) return std::unexpected(n.error());
    pos_ = 0;
    len_ = *n;
    if (*n == 0) eof_ = true;
    return *n > 0;
  }
  // Reads until at least n bytes are buffered (or the end), for sniffing magic bytes.
  Status prefetch(std::size_t n) {
    while (len_ - pos_ < n && !eof_) {
      if (pos_ > 0) {
        std::memmove(buf_.data(), buf_.data() + pos_, len_ - pos_);
        len_ -= pos_;
        pos_ = 0;
      }
      auto r = inner_->read(buf_.data() + len_, buf_.size() - len_);
      if (!r) return std::unexpected(r.error());
      if (*r == 0) eof_ = true;
      len_ += *r;
    }
    return {};
  }
  [[nodiscard]] std::uint8_t* data() noexcept { return buf_.data() + pos_; }
  [[nodiscard]] std::size_t available() const noexcept { return len_ - pos_; }
  void consume(std::size_t n) noexcept { pos_ += n; }
  [[nodiscard]] bool at_end() const noexcept { return eof_ && pos_ == len_; }

 private:
  std::unique_ptr<util::ByteStream> inner_;
  std::vector<std::uint8_t> buf_;
  std::size_t pos_ = 0;
  std::size_t len_ = 0;
  bool eof_ = false;
};

class PlainStream final : public util::ByteStream {
 public:
  explicit PlainStream(Input in) : in_(std::move(in)) {}
  Result<std::size_t> read(void* buffer, std::size_t size) override {
    auto more = in_.fill();
    if (!more) return std::unexpected(more.error());
    if (!*more) return 0;
    std::size_t n = std::min(size, in_.available());
    std::memcpy(buffer, in_.data(), n);
    in_.consume(n);
    return n;
  }

 private:
  Input in_;
};

class GzipStream final : public util::ByteStream {
 public:
  GzipStream(Input in, std::string what) : in_(std::move(in)), what_(std::move(what)) {
    state_ = std::make_unique<inflate_state>();
    isal_inflate_init(state_.get());
    state_->crc_flag = ISAL_GZIP;
  }

  Result<std::size_t> read(void* buffer, std::size_t size) override {
    if (done_) return 0;
    while (true) {
      if (state_->block_state == ISAL_BLOCK_FINISH) {
        // A gzip file may hold several members, one after another (pigz, concatenation).
        auto more = in_.fill();
        if (!more) return std::unexpected(more.error());
        if (!*more) {
          done_ = true;
          return 0;
        }
        if (in_.available() >= 1 && in_.data()[0] != 0x1f) {
          return fail(ErrorCode::parse, "trailing data after the end of the gzip stream", what_);
        }
        isal_inflate_reset(state_.get());
        state_->crc_flag = ISAL_GZIP;
      }
      auto more = in_.fill();
      if (!more) return std::unexpected(more.error());
      const std::size_t offered = in_.available();
      state_->next_in = in_.data();
      state_->avail_in = static_cast<std::uint32_t>(offered);
      state_->next_out = static_cast<std::uint8_t*>(buffer);
      state_->avail_out = static_cast<std::uint32_t>(std::min<std::size_t>(size, UINT32_MAX));
      const std::uint32_t out_before = state_->avail_out;
      int rc = isal_inflate(state_.get());
      in_.consume(offered - state_->avail_in);
      if (rc < 0) return fail(ErrorCode::parse, describe(rc), what_);
      std::size_t produced = out_before - state_->avail_out;
      if (produced > 0) return produced;
      if (state_->block_state == ISAL_BLOCK_FINISH) continue;
      if (!*more || (in_.at_end() && offered == state_->avail_in)) {
        return fail(ErrorCode::parse, "gzip stream is truncated (ends before its last block)", what_);
      }
    }
  }

 private:
  static std::string describe(int rc) {
    switch (rc) {
      case ISAL_INCORRECT_CHECKSUM: return "gzip checksum mismatch (corrupt data)";
      case ISAL_INVALID_WRAPPER: return "invalid gzip header";
      case ISAL_UNSUPPORTED_METHOD: return "gzip compression method is not deflate";
      default: return fmt::format("corrupt gzip data (ISA-L error {})", rc);
    }
  }
  Input in_;
  std::string what_;
  std::unique_ptr<inflate_state> state_;
  bool done_ = false;
};

class ZstdStream final : public util::ByteStream {
 public:
  ZstdStream(Input in, std::string what) : in_(std::move(in)), what_(std::move(what)), ds_(ZSTD_createDStream()) {}
  ~ZstdStream() override { ZSTD_freeDStream(ds_); }
  ZstdStream(const ZstdStream&) = delete;
  ZstdStream& operator=(const ZstdStream&) = delete;

  Result<std::size_t> read(void* buffer, std::size_t size) override {
    if (!ds_) return fail(ErrorCode::internal, "cannot create a zstd decoder", what_);
    while (true) {
      auto more = in_.fill();
      if (!more) return std::unexpected(more.error());
      if (!*more && frame_complete_) return 0;
      // With the input exhausted the decoder may still hold output for us to flush.
      ZSTD_inBuffer zin{*more ? in_.data() : nullptr, *more ? in_.available() : 0, 0};
      ZSTD_outBuffer zout{buffer, size, 0};
      std::size_t rc = ZSTD_decompressStream(ds_, &zout, &zin);
      in_.consume(zin.pos);
      if (ZSTD_isError(rc)) {
        return fail(ErrorCode::parse, fmt::format("corrupt zstd data: {}", ZSTD_getErrorName(rc)), what_);
      }
      frame_complete_ = rc == 0;
      if (zout.pos > 0) return zout.pos;
      if (!*more) return fail(ErrorCode::parse, "zstd stream is truncated (ends inside a frame)", what_);
    }
  }

 private:
  Input in_;
  std::string what_;
  ZSTD_DStream* ds_;
  bool frame_complete_ = false;
};

}  // namespace

Result<std::unique_ptr<util::ByteStream>> open_decompressed(std::unique_ptr<util::ByteStream> inner, std::string what) {
  Input in(std::move(inner));
  if (auto s = in.prefetch(4); !s) return std::unexpected(s.error());
  const std::uint8_t* p = in.data();
  const std::size_t n = in.available();
  if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b) {
    return std::unique_ptr<util::ByteStream>(std::make_unique<GzipStream>(std::move(in), std::move(what)));
  }
  if (n >= 4 && p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd) {
    return std::unique_ptr<util::ByteStream>(std::make_unique<ZstdStream>(std::move(in), std::move(what)));
  }
  return std::unique_ptr<util::ByteStream>(std::make_unique<PlainStream>(std::move(in)));
}

bool is_passthrough(const util::ByteStream& stream) noexcept {
  return dynamic_cast<const PlainStream*>(&stream) != nullptr;
}

}  // namespace bulwark::image::detail
