// `bulwark push FILE...`: upload bulwark/v1 documents already written to a bulwark server.
#include <fmt/format.h>

#include <algorithm>
#include <memory>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "server/client.hpp"
#include "util/files.hpp"
#include "util/strings.hpp"

namespace bulwark::cli {

namespace {

struct PushFlags {
  server::ClientOptions client;
  std::vector<std::string> files;
  int policy_exit_code = 1;
};

int run_push(PushFlags f) {
  server::client_from_env(f.client);
  int rc = kExitOk;
  for (const auto& file : f.files) {
    auto text = util::read_file(file, std::uint64_t{64} << 20);
    if (!text) {
      rc = report_error(text.error());
      continue;
    }
    auto res = server::upload(f.client, *text);
    if (!res) {
      rc = report_error(res.error().within(file));
      continue;
    }
    fmt::print("{}: {} {}{}\n", file, res->id, res->digest, res->duplicate ? " (already stored)" : "");
    if (f.client.policy.empty()) continue;
    const auto& v = res->policy;
    if (!v.evaluated) {
      // An older server answers without evaluating: not a pass.
      fmt::print(stderr, "bulwark: {}: the server did not evaluate policy {}\n", file, f.client.policy);
      rc = std::max(rc, f.policy_exit_code);
      continue;
    }
    fmt::print("{}: policy {}: {}\n", file, v.name, v.pass ? "pass" : fmt::format("FAIL ({} failing)", v.failing));
    for (const auto& reason : v.reasons) fmt::print("  {}\n", util::printable(reason));
    for (const auto& finding : v.findings) fmt::print("  - {}\n", util::printable(finding));
    if (!v.pass) rc = std::max(rc, f.policy_exit_code);
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
  cmd->add_option("--server", f->client.server, "Server URL (or BULWARK_SERVER)");
  cmd->add_option("--token", f->client.token, "API token (or BULWARK_TOKEN)");
  cmd->add_option("--ca", f->client.ca_file, "Verify the server with this CA certificate (PEM)");
  cmd->add_option("--policy", f->client.policy,
                  "Have the server evaluate each document against this named policy (docs/policy.md); exit "
                  "with --policy-exit-code when a verdict is fail")
      ->type_name("NAME");
  cmd->add_option("--policy-exit-code", f->policy_exit_code, "The exit code when the server's verdict is fail")
      ->default_str("1")
      ->check(CLI::Range(1, 125));
  cmd->callback([f, &exit_code] { exit_code = run_push(*f); });
}

BULWARK_COMMAND(push, 81, register_push);

}  // namespace bulwark::cli
