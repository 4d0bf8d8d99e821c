#include "sbom/document_ids.hpp"

#include <fmt/format.h>

#include <array>
#include <cstdint>
#include <ctime>
#include <random>

#include "core/purl.hpp"

namespace bulwark::sbom {

namespace {
bool spdx_id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
}
}  // namespace

std::string random_uuid_v4() {
  // std::random_device reads the kernel's random source on Linux; a document id
  // needs uniqueness, not secrecy, so this is enough without pulling in OpenSSL.
  std::random_device device;
  std::array<std::uint8_t, 16> bytes{};
  for (std::size_t i = 0; i < bytes.size(); i += 4) {
    std::uint32_t word = device();
    for (std::size_t j = 0; j < 4; ++j) bytes[i + j] = static_cast<std::uint8_t>(word >> (8 * j));
  }
  bytes[6] = static_cast<std::uint8_t>((bytes[6] & 0x0f) | 0x40);  // version 4
  bytes[8] = static_cast<std::uint8_t>((bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant
  std::string out;
  out.reserve(36);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out += fmt::format("{:02x}", bytes[i]);
  }
  return out;
}

std::string utc_now_rfc3339() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::array<char, 32> buffer{};
  std::size_t n = std::strftime(buffer.data(), buffer.size(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return std::string(buffer.data(), n);
}

std::string sanitize_spdx_idstring(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) out.push_back(spdx_id_char(c) ? c : '-');
  if (out.empty()) out = "unnamed";
  return out;
}

bool is_valid_spdx_id(std::string_view text) {
  constexpr std::string_view prefix = "SPDXRef-";
  if (text.size() <= prefix.size() || text.substr(0, prefix.size()) != prefix) return false;
  for (char c : text.substr(prefix.size())) {
    if (!spdx_id_char(c)) return false;
  }
  return true;
}

std::string canonical_purl(std::string_view purl) {
  if (purl.empty()) return {};
  auto parsed = core::parse_purl(purl);
  if (!parsed) return {};
  return parsed->str();
}

}  // namespace bulwark::sbom
