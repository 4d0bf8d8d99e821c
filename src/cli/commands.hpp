// The subcommands. Each cli/<name>.cpp defines a `register_<name>(CLI::App&, int&)`
// that adds one subcommand and stores its exit code in `exit_code` when it runs,
// and registers it with one line at namespace scope:
//
//   BULWARK_COMMAND(sbom, 10, register_sbom);
//
// main.cpp asks the registry for every command, ordered by the number (the order
// in `bulwark --help`), so adding a subcommand touches no shared file.
// bulwark_cli is an OBJECT library, so every registration is linked in.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string_view>
#include <vector>

namespace bulwark::cli {

using RegisterFn = void (*)(CLI::App& app, int& exit_code);

struct CommandEntry {
  std::string_view name;
  int order = 0;
  RegisterFn fn = nullptr;
};

// Adds a command to the registry; returns true so it can initialise a static.
bool add_command(std::string_view name, int order, RegisterFn fn);

// Every registered command, sorted by order then name.
[[nodiscard]] std::vector<CommandEntry> registered_commands();

}  // namespace bulwark::cli

#define BULWARK_COMMAND(name, order, fn) \
  [[maybe_unused]] static const bool bulwark_command_registered_##name = ::bulwark::cli::add_command(#name, order, fn)
