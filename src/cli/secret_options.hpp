// The secret scanner's command-line options, shared by `bulwark secret`, `image`,
// `rootfs` and `config`: extra rule files, rules turned off, and --show-secrets.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <string>
#include <vector>

#include "core/diagnostics.hpp"
#include "secret/scanner.hpp"

namespace bulwark::cli {

struct SecretOptions {
  std::vector<std::string> rule_files;
  std::vector<std::string> disabled;
  bool show_secrets = false;
};

void add_secret_options(CLI::App& cmd, SecretOptions& opts);

// The built-in catalogue plus the user's files, minus disabled rules. SARIF output never
// carries the full value, whatever --show-secrets says.
[[nodiscard]] Result<std::shared_ptr<const secret::Engine>> make_secret_engine(const SecretOptions& opts, bool sarif,
                                                                               core::Diagnostics& diags,
                                                                               const std::string& cache_dir = {});

}  // namespace bulwark::cli
