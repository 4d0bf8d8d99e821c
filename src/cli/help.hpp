// Help that teaches: `bulwark --help` lists the subcommands under the practice they serve, an
// unknown option is answered with the nearest real one, every unsigned option rejects negative
// numbers, and `bulwark --version` says version, commit, build type and the database's age.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace bulwark::cli {

// After every command has registered: the grouped root help, the non-negative checks.
void install_help(CLI::App& app);

// The text of `bulwark --version`.
[[nodiscard]] std::string version_text();

// When argv names an option that the subcommand it follows does not have (or an unknown nested
// subcommand), the error message with the nearest valid name; nullopt when every name is known.
[[nodiscard]] std::optional<std::string> unknown_name_message(const CLI::App& app, int argc, const char* const* argv);

// Levenshtein distance, for suggestions.
[[nodiscard]] std::size_t edit_distance(std::string_view a, std::string_view b);

}  // namespace bulwark::cli
