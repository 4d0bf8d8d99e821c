// The live capture factory. runtime/probe implements it with the eBPF probe.
// Until it lands, events/live_unavailable.cpp provides a version that says so;
// the probe branch deletes that file when it adds its own definition.
#pragma once

#include <memory>

#include "runtime/events/source.hpp"
#include "runtime/state/container.hpp"
#include "util/error.hpp"

namespace bulwark::runtime {

// Opens the live event source (loads and attaches the probe). ErrorCode::unsupported
// when live capture is not built in or the kernel cannot run it.
[[nodiscard]] Result<std::unique_ptr<EventSource>> make_live_source(const LiveSourceOptions& options);

// The container resolver that matches the live source (Docker Engine API). May
// return nullptr when none is available; the state then knows only container ids.
[[nodiscard]] std::unique_ptr<ContainerResolver> make_live_container_resolver(const LiveSourceOptions& options);

}  // namespace bulwark::runtime
