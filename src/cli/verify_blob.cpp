// `bulwark verify-blob FILE --bundle B`: verifies a Sigstore bundle over a file, with a key
// or keyless against a trusted root. Exit 0 verified, 1 refused (the reason on stderr).
#include <fmt/format.h>

#include <cstdio>
#include <memory>

#include "cli/commands.hpp"
#include "trust/verify.hpp"
#include "util/files.hpp"

namespace bulwark::cli {

namespace {

struct VerifyBlobOptions {
  std::string file, bundle, key, trusted_root;
  trust::IdentityPolicy identity;
  bool json = false;
};

int run_verify_blob(const VerifyBlobOptions& o) {
  trust::VerifyOptions vo;
  vo.identity = o.identity;
  if (!o.key.empty()) {
    auto k = util::read_file(o.key, 1 << 20);
    if (!k) {
      std::fprintf(stderr, "bulwark verify-blob: %s\n", k.error().describe().c_str());
      return 2;
    }
    vo.public_key_pem = *k;
  }
  if (!o.trusted_root.empty()) {
    auto r = util::read_file(o.trusted_root, vo.limits.max_trusted_root_bytes);
    if (!r) {
      std::fprintf(stderr, "bulwark verify-blob: %s\n", r.error().describe().c_str());
      return 2;
    }
    vo.trusted_root_json = *r;
  }
  auto v = trust::verify_blob(o.file, o.bundle, vo);
  if (!v) {
    std::fprintf(stderr, "bulwark verify-blob: refused: %s\n", v.error().describe().c_str());
    return 1;
  }
  std::string checks;
  for (const auto& c : v->checks) checks += (checks.empty() ? "" : ", ") + c;
  if (v->keyless) {
    std::printf("Verified OK: %s signed by %s (issuer %s)\n", o.file.c_str(), v->signer_identity.c_str(),
                v->signer_issuer.c_str());
  } else {
    std::printf("Verified OK: %s signed by key sha256:%s\n", o.file.c_str(), v->key_id.c_str());
  }
  std::printf("Checks: %s\n", checks.c_str());
  if (v->attestation) std::printf("Attestation: %s\n", v->attestation->predicate_type.c_str());
  return 0;
}

}  // namespace

void register_verify_blob(CLI::App& app, int& exit_code) {
  auto opts = std::make_shared<VerifyBlobOptions>();
  auto* cmd = app.add_subcommand("verify-blob", "Verify a Sigstore bundle over a file (keyed or keyless)");
  cmd->footer(
      "Examples:\n"
      "  bulwark verify-blob a.txt --bundle a.txt.sigstore.json --key cosign.pub\n"
      "  bulwark verify-blob a.txt --bundle a.sigstore.json \\\n"
      "      --certificate-identity https://github.com/org/repo/.github/workflows/rel.yml@refs/heads/main \\\n"
      "      --certificate-oidc-issuer https://token.actions.githubusercontent.com\n"
      "Without --trusted-root the Sigstore public-good root shipped with bulwark is used.\n"
      "Exit 0 verified, 1 refused, 2 usage or I/O error.");
  cmd->add_option("FILE", opts->file, "The signed file")->required();
  cmd->add_option("--bundle", opts->bundle, "Sigstore bundle (v0.1-v0.3 JSON)")->required();
  cmd->add_option("--key", opts->key, "PEM public key (ECDSA P-256/P-384, RSA, Ed25519)");
  cmd->add_option("--trusted-root", opts->trusted_root, "trusted_root.json (default: Sigstore public good)");
  cmd->add_option("--certificate-identity", opts->identity.identity, "Exact signer identity (SAN)");
  cmd->add_option("--certificate-identity-regexp", opts->identity.identity_regexp, "Signer identity regexp");
  cmd->add_option("--certificate-oidc-issuer", opts->identity.issuer, "Exact OIDC issuer");
  cmd->add_option("--certificate-oidc-issuer-regexp", opts->identity.issuer_regexp, "OIDC issuer regexp");
  cmd->add_option("--certificate-github-workflow-repository", opts->identity.github_repository,
                  "GitHub repository (owner/name) of the signing workflow");
  cmd->add_option("--certificate-github-workflow-ref", opts->identity.github_ref, "GitHub ref of the workflow");
  cmd->add_option("--certificate-github-workflow-trigger", opts->identity.github_workflow_trigger,
                  "GitHub event that triggered the workflow");
  cmd->add_option("--certificate-github-workflow-sha", opts->identity.github_sha, "Commit the workflow ran at");
  cmd->callback([opts, &exit_code] { exit_code = run_verify_blob(*opts); });
}

BULWARK_COMMAND(verify_blob, 60, register_verify_blob);

}  // namespace bulwark::cli
