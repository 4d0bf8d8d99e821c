#include "cli/upload.hpp"

#include <fmt/format.h>

#include <cstdio>

#include "cli/common.hpp"
#include "util/strings.hpp"

namespace bulwark::cli {

void add_upload_options(CLI::App& cmd, UploadFlags& flags) {
  cmd.add_option("--server", flags.client.server,
                 "Also upload the result (bulwark/v1 JSON) to this bulwark server (or BULWARK_SERVER)")
      ->type_name("URL");
  cmd.add_option("--token", flags.client.token, "API token for --server (or BULWARK_TOKEN)");
  cmd.add_option("--server-ca", flags.client.ca_file, "Verify --server with this CA certificate (PEM)");
  cmd.add_option("--server-policy", flags.client.policy,
                 "Have the server evaluate the upload against this named policy; a fail verdict exits with "
                 "--policy-exit-code")
      ->type_name("NAME");
  cmd.add_option("--policy-exit-code", flags.policy_exit_code, "The exit code when the server's verdict is fail")
      ->default_str("1")
      ->check(CLI::Range(1, 125));
}

bool upload_asked(UploadFlags& flags) {
  server::client_from_env(flags.client);
  return !flags.client.server.empty();
}

int upload_document(const UploadFlags& flags, std::string_view label, std::string_view document, bool to_stderr) {
  std::FILE* out = to_stderr ? stderr : stdout;
  auto res = server::upload(flags.client, document);
  if (!res) return report_error(res.error().within(std::string(label)));
  fmt::print(out, "{}: {} {}{}\n", util::printable(label), res->id, res->digest,
             res->duplicate ? " (already stored)" : "");
  if (flags.client.policy.empty()) return kExitOk;
  const auto& v = res->policy;
  if (!v.evaluated) {
    // An older server answers without evaluating: not a pass.
    fmt::print(stderr, "bulwark: {}: the server did not evaluate policy {}\n", util::printable(label),
               util::printable(flags.client.policy));
    return flags.policy_exit_code;
  }
  fmt::print(out, "{}: policy {}: {}\n", util::printable(label), util::printable(v.name),
             v.pass ? "pass" : fmt::format("FAIL ({} failing)", v.failing));
  for (const auto& reason : v.reasons) fmt::print(out, "  {}\n", util::printable(reason));
  for (const auto& finding : v.findings) fmt::print(out, "  - {}\n", util::printable(finding));
  return v.pass ? kExitOk : flags.policy_exit_code;
}

}  // namespace bulwark::cli
