// Streaming SHA-256 (OpenSSL) and OCI digest strings ("sha256:<hex>").
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "util/error.hpp"

namespace bulwark::util {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(const void* data, std::size_t size);
  void update(std::string_view data) { update(data.data(), data.size()); }
  // Lower-case hex of the digest; the object cannot be updated afterwards.
  [[nodiscard]] std::string hex_digest();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

[[nodiscard]] std::string sha256_hex(std::string_view data);
[[nodiscard]] Result<std::string> sha256_file_hex(const std::filesystem::path& path);

// A parsed "algorithm:hex" digest. Only sha256 is accepted (as in the OCI spec's
// registered algorithms that registries use); the hex part is validated.
struct Digest {
  std::string algorithm;  // "sha256"
  std::string hex;        // 64 lower-case hex characters

  [[nodiscard]] std::string str() const { return algorithm + ":" + hex; }
  friend bool operator==(const Digest&, const Digest&) = default;
};

[[nodiscard]] Result<Digest> parse_digest(std::string_view text);

}  // namespace bulwark::util
