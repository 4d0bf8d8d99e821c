// `--server URL --token T [--server-policy NAME]` on the scanning commands (image, rootfs,
// sbom-scan, sbom, config, host) and `bulwark push`: the bulwark/v1 document of the run is
// uploaded to a bulwark server (docs/server.md), whatever --format printed; with a policy, the
// server's verdict sets the exit code. The server and token also come from BULWARK_SERVER and
// BULWARK_TOKEN; the token is never printed.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <string_view>

#include "server/client.hpp"

namespace bulwark::cli {

struct UploadFlags {
  server::ClientOptions client;
  int policy_exit_code = 1;
};

// The flags of the scanning commands (push has its own spelling: --policy).
void add_upload_options(CLI::App& cmd, UploadFlags& flags);

// Whether an upload was asked for (--server, or BULWARK_SERVER); fills the client from the
// environment.
[[nodiscard]] bool upload_asked(UploadFlags& flags);

// Uploads one document and prints what the server answered (on stderr when to_stderr, so that a
// report on stdout stays clean); returns 0, an error's exit code, or policy_exit_code on a
// failing (or unevaluated) verdict.
[[nodiscard]] int upload_document(const UploadFlags& flags, std::string_view label, std::string_view document,
                                  bool to_stderr);

}  // namespace bulwark::cli
