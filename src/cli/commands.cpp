#include "cli/commands.hpp"

#include <algorithm>

namespace bulwark::cli {
namespace {
std::vector<CommandEntry>& registry() {
  static std::vector<CommandEntry> entries;
  return entries;
}
}  // namespace

bool add_command(std::string_view name, int order, RegisterFn fn) {
  registry().push_back(CommandEntry{name, order, fn});
  return true;
}

std::vector<CommandEntry> registered_commands() {
  auto entries = registry();
  std::sort(entries.begin(), entries.end(), [](const CommandEntry& a, const CommandEntry& b) {
    return a.order != b.order ? a.order < b.order : a.name < b.name;
  });
  return entries;
}

}  // namespace bulwark::cli
