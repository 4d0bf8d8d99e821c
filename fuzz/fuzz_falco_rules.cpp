// Falco rule files: lists, macros, rules, exceptions, override/append, required
// engine versions, the schema check, then compilation (list and macro expansion,
// field binding, output formats) and the event-type index.
//
// Input: one or more files separated by a line "=====" (later files override earlier).
#include <string>
#include <vector>

#include "common.hpp"
#include "runtime/engine/ruleset.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bulwark::runtime::engine;
  auto parts = bulwark::fuzz::split_on(bulwark::fuzz::as_text(data, size), bulwark::fuzz::kPartSeparator);
  if (parts.size() > 8) return -1;
  std::vector<RulesFile> files;
  for (std::size_t i = 0; i < parts.size(); ++i)
    files.push_back({"rules" + std::to_string(i) + ".yaml", std::string(parts[i])});
  LoadOptions options;
  options.max_items = 2000;
  options.max_yaml_nodes = 200000;
  options.max_list_items = 5000;
  options.max_expanded_bytes = 256 << 10;
  auto rs = load_rules(files, options);
  for (const auto& d : rs.diagnostics()) (void)d.describe();
  (void)rs.needed_event_types();
  return 0;
}
