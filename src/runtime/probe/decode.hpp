// Turns one record from the kernel (bpf/capture_abi.h) into a runtime Event.
// Pure and bounds-checked: a record is treated as untrusted bytes, so the
// decoder is unit-tested and fuzzable without loading BPF.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "runtime/events/event.hpp"
#include "util/error.hpp"

namespace bulwark::runtime::probe {

struct DecodeContext {
  // Added to the kernel's boot-time stamps to get wall-clock ns since the epoch.
  std::int64_t boot_to_wall_ns = 0;
};

// What the decoder saw besides the Event: the cgroup leaf name the kernel sent
// with exec and fork records (for the cgroup-path cache).
struct DecodeExtra {
  std::string cgroup_leaf;
};

// Fills `out` (cleared first). Error (parse) for a truncated or malformed record.
[[nodiscard]] Status decode_record(std::span<const std::uint8_t> record, const DecodeContext& context, Event& out,
                                   DecodeExtra* extra = nullptr);

// Lexical normalisation of an absolute path: collapses "//", "." and "..".
[[nodiscard]] std::string normalize_path(std::string_view path);

// `path` made absolute against `base` (a directory), then normalised; `path`
// itself when it is already absolute; empty when neither is known.
[[nodiscard]] std::string resolve_path(std::string_view base, std::string_view path);

}  // namespace bulwark::runtime::probe
