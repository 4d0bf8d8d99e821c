// The bounded YAML loader every YAML reader goes through (config files, Falco rules):
// parse errors, document counts, nesting depth and alias expansion (billion laughs).
#include "common.hpp"
#include "config/yaml.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bulwark;
  config::YamlLimits limits;
  limits.max_documents = 1000;
  limits.max_nodes = 200000;
  auto docs = config::load_yaml_stream(fuzz::as_text(data, size), "fuzz.yaml", limits);
  if (docs) {
    for (const auto& d : *docs) {
      (void)config::location_of(d.root, "fuzz.yaml");
      (void)config::scalar_or_empty(d.root, "kind");
    }
  }
  return 0;
}
