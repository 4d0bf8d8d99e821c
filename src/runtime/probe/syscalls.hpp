// The x86_64 syscall numbers behind each runtime EventType, both ways: the probe
// turns the rules' event types into the in-kernel filter map with
// syscalls_for(), and names a captured syscall exit with event_type_for_syscall().
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <vector>

#include "runtime/events/event.hpp"

namespace bulwark::runtime::probe {

// The EventType a syscall exit becomes; nullopt for syscalls the probe does not decode.
[[nodiscard]] std::optional<EventType> event_type_for_syscall(std::uint32_t nr) noexcept;

// The syscall numbers whose exits produce `type`. Empty for types that come from
// scheduler hooks (execve, clone, procexit) or that the probe does not capture.
[[nodiscard]] std::vector<std::uint32_t> syscalls_for(EventType type);

// The syscall numbers to enable in the kernel filter for a set of event types;
// an empty set means every syscall the probe decodes.
[[nodiscard]] std::set<std::uint32_t> syscall_filter(const std::set<EventType>& types);

// Every syscall the probe decodes (for --learn and tests).
[[nodiscard]] const std::vector<std::pair<std::uint32_t, EventType>>& decoded_syscalls() noexcept;

}  // namespace bulwark::runtime::probe
