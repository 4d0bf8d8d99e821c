// Placeholder for the live capture factory until runtime/probe provides it.
// runtime-capture: delete this file when you define make_live_source and
// make_live_container_resolver in src/runtime/probe/.
#include "runtime/events/live.hpp"

namespace bulwark::runtime {

Result<std::unique_ptr<EventSource>> make_live_source(const LiveSourceOptions&) {
  return fail(ErrorCode::unsupported, "live capture is not built yet; use --replay FILE.jsonl");
}

std::unique_ptr<ContainerResolver> make_live_container_resolver(const LiveSourceOptions&) {
  return nullptr;
}

}  // namespace bulwark::runtime
