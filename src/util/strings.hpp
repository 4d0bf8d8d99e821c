// Small string helpers used everywhere (no locale, ASCII only).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bulwark::util {

[[nodiscard]] std::string_view trim(std::string_view s) noexcept;
[[nodiscard]] std::vector<std::string_view> split(std::string_view s, char sep);
// Splits on runs of ASCII whitespace, dropping empty fields.
[[nodiscard]] std::vector<std::string_view> split_ws(std::string_view s);
[[nodiscard]] std::string to_lower(std::string_view s);
[[nodiscard]] std::string join(const std::vector<std::string>& parts, std::string_view sep);
[[nodiscard]] bool iequals(std::string_view a, std::string_view b) noexcept;
[[nodiscard]] std::optional<std::uint64_t> parse_u64(std::string_view s) noexcept;
[[nodiscard]] std::string hex(const unsigned char* data, std::size_t size);
// Formats a byte count for people: "1.5 MiB".
[[nodiscard]] std::string human_bytes(std::uint64_t bytes);
// The value of "Key:" in a "Key:\tvalue" listing such as /proc/PID/status, trimmed; nullopt
// when no line has that key.
[[nodiscard]] std::optional<std::string_view> key_field(std::string_view text, std::string_view key);
// Replaces control characters so untrusted text cannot drive a terminal.
[[nodiscard]] std::string printable(std::string_view s);
// The body of a JSON string literal for s: quote, backslash and control characters escaped (for the
// few hand-formatted JSON lines; documents are written with nlohmann-json).
[[nodiscard]] std::string json_escape(std::string_view s);

}  // namespace bulwark::util
