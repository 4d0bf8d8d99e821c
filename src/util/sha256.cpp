#include "util/sha256.hpp"

#include <openssl/evp.h>

#include <array>
#include <fstream>

#include "util/strings.hpp"

namespace bulwark::util {

struct Sha256::Impl {
  EVP_MD_CTX* ctx = nullptr;
  ~Impl() { EVP_MD_CTX_free(ctx); }
};

Sha256::Sha256() : impl_(std::make_unique<Impl>()) {
  impl_->ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(impl_->ctx, EVP_sha256(), nullptr);
}
Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::update(const void* data, std::size_t size) {
  if (size) EVP_DigestUpdate(impl_->ctx, data, size);
}

std::string Sha256::hex_digest() {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  EVP_DigestFinal_ex(impl_->ctx, md.data(), &len);
  return hex(md.data(), len);
}

std::string sha256_hex(std::string_view data) {
  Sha256 h;
  h.update(data);
  return h.hex_digest();
}

Result<std::string> sha256_file_hex(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(ErrorCode::io, "cannot open file", path.string());
  Sha256 h;
  std::array<char, 1 << 16> buf{};
  while (in) {
    in.read(buf.data(), buf.size());
    h.update(buf.data(), static_cast<std::size_t>(in.gcount()));
  }
  if (in.bad()) return fail(ErrorCode::io, "read failed", path.string());
  return h.hex_digest();
}

Result<Digest> parse_digest(std::string_view text) {
  auto colon = text.find(':');
  if (colon == std::string_view::npos) {
    return fail(ErrorCode::parse, "digest has no algorithm prefix", std::string(text.substr(0, 80)));
  }
  Digest d{std::string(text.substr(0, colon)), std::string(text.substr(colon + 1))};
  if (d.algorithm != "sha256") {
    return fail(ErrorCode::unsupported, "unsupported digest algorithm '" + printable(d.algorithm) + "'",
                std::string(text.substr(0, 80)));
  }
  if (d.hex.size() != 64) {
    return fail(ErrorCode::parse, "sha256 digest must have 64 hex digits", std::string(text.substr(0, 80)));
  }
  for (char c : d.hex) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return fail(ErrorCode::parse, "digest has a character that is not lower-case hex",
                  std::string(text.substr(0, 80)));
    }
  }
  return d;
}

}  // namespace bulwark::util
