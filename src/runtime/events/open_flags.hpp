// Linux open(2) flags by name, with the values of the kernel's generic uapi (x86_64, arm64):
// one table for printing evt.arg.flags (engine/fields.cpp) and for reading flag names in
// replayed events (events/replay.cpp).
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>

namespace bulwark::runtime {

struct OpenFlagName {
  std::string_view name;
  std::uint64_t value;
};

// The access mode is a value in the low two bits, not a flag.
inline constexpr std::uint64_t kOpenAccessModeMask = 3;
inline constexpr OpenFlagName kOpenAccessModes[] = {{"O_RDONLY", 0}, {"O_WRONLY", 1}, {"O_RDWR", 2}};

// The flag bits. O_TMPFILE is the kernel's __O_TMPFILE bit; the O_TMPFILE that programs pass
// is that bit with O_DIRECTORY (kOpenTmpfileAsPassed).
inline constexpr OpenFlagName kOpenFlagBits[] = {
    {"O_CREAT", 0100},        {"O_EXCL", 0200},         {"O_NOCTTY", 0400},      {"O_TRUNC", 01000},
    {"O_APPEND", 02000},      {"O_NONBLOCK", 04000},    {"O_DSYNC", 010000},     {"O_DIRECT", 040000},
    {"O_DIRECTORY", 0200000}, {"O_NOFOLLOW", 0400000},  {"O_NOATIME", 01000000}, {"O_CLOEXEC", 02000000},
    {"O_PATH", 010000000},    {"O_TMPFILE", 020000000},
};
inline constexpr std::uint64_t kOpenTmpfileAsPassed = 020200000;

}  // namespace bulwark::runtime
