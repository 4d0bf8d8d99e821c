// `bulwark push FILE...`: upload bulwark/v1 documents already written to a bulwark server.
#include <fmt/format.h>

#include <algorithm>
#include <memory>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/upload.hpp"
#include "server/client.hpp"
#include "util/files.hpp"
#include "util/strings.hpp"

namespace bulwark::cli {

namespace {

struct PushFlags {
  UploadFlags upload;
  std::vector<std::string> files;
};

int run_push(PushFlags f) {
  server::client_from_env(f.upload.client);
  int rc = kExitOk;
  for (const auto& file : f.files) {
    auto text = util::read_file(file, std::uint64_t{64} << 20);
    if (!text) {
      rc = report_error(text.error());
      continue;
    }
    rc = std::max(rc, upload_document(f.upload, file, *text, /*to_stderr=*/false));
  }
  return rc;
}

}  // namespace

void register_push(CLI::App& app, int& exit_code) {
  auto f = std::make_shared<PushFlags>();
  auto* cmd = app.add_subcommand("push", "Upload bulwark JSON documents to a bulwark server");
  cmd->footer(
      "Examples:\n"
      "  bulwark image docker-archive:app.tar --format json -o app.json\n"
      "  bulwark push app.json --server https://bulwark.example:8443 --token \"$TOKEN\"\n"
      "\nThe server and token also come from BULWARK_SERVER and BULWARK_TOKEN.");
  cmd->add_option("FILE", f->files, "bulwark/v1 JSON documents")->required();
  cmd->add_option("--server", f->upload.client.server, "Server URL (or BULWARK_SERVER)");
  cmd->add_option("--token", f->upload.client.token, "API token (or BULWARK_TOKEN)");
  cmd->add_option("--ca", f->upload.client.ca_file, "Verify the server with this CA certificate (PEM)");
  cmd->add_option("--policy", f->upload.client.policy,
                  "Have the server evaluate each document against this named policy (docs/policy.md); exit "
                  "with --policy-exit-code when a verdict is fail")
      ->type_name("NAME");
  cmd->add_option("--policy-exit-code", f->upload.policy_exit_code, "The exit code when the server's verdict is fail")
      ->default_str("1")
      ->check(CLI::Range(1, 125));
  cmd->callback([f, &exit_code] { exit_code = run_push(*f); });
}

BULWARK_COMMAND(push, 81, register_push);

}  // namespace bulwark::cli
