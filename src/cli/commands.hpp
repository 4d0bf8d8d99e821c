// The subcommands. Each register_* adds one subcommand to the app and stores its
// exit code in `exit_code` when it runs. main.cpp calls them all.
#pragma once

#include <CLI/CLI.hpp>

namespace bulwark::cli {

void register_sbom(CLI::App& app, int& exit_code);
void register_version(CLI::App& app, int& exit_code);

}  // namespace bulwark::cli
