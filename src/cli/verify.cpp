// `bulwark verify IMAGE --key K` and `bulwark sign IMAGE --key K`: cosign keyed signatures
// (simple signing, tag scheme sha256-<hex>.sig). Targets: oci:DIR[:TAG] for now.
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "cli/commands.hpp"
#include "image/reference.hpp"
#include "trust/cosign.hpp"
#include "trust/policy.hpp"
#include "util/files.hpp"

namespace bulwark::cli {

namespace {

struct ImageTrustOptions {
  std::string target, key, reference, creds, trust_policy;
  bool tls_verify = true;
};

Result<image::Reference> layout_target(const std::string& target) {
  auto ref = image::parse_reference(target);
  if (!ref) return std::unexpected(ref.error());
  if (ref->transport != image::Transport::oci_layout) {
    return fail(ErrorCode::unsupported, "verify/sign support oci:DIR[:TAG] targets so far", target);
  }
  return ref;
}

std::string effective_creds(const ImageTrustOptions& o) {
  std::string creds = o.creds;
  if (creds.empty() && std::getenv("BULWARK_USERNAME")) {
    creds = std::string(std::getenv("BULWARK_USERNAME")) + ":" +
            (std::getenv("BULWARK_PASSWORD") ? std::getenv("BULWARK_PASSWORD") : "");
  }
  return creds;
}

// `bulwark verify IMAGE --trust-policy P`: every rule of the policy that matches the image.
int run_verify_policy(const ImageTrustOptions& o) {
  auto policy = trust::load_trust_policy(o.trust_policy);
  if (!policy) {
    std::fprintf(stderr, "bulwark verify: %s\n", policy.error().describe().c_str());
    return 2;
  }
  trust::ImageAccess access;
  access.tls_verify = o.tls_verify;
  const std::string creds = effective_creds(o);
  if (auto c = creds.find(':'); c != std::string::npos) {
    access.username = creds.substr(0, c);
    access.password = creds.substr(c + 1);
  }
  trust::TrustFacts facts;
  auto findings = trust::evaluate_image(*policy, o.target, access, &facts);
  if (!findings) {
    std::fprintf(stderr, "bulwark verify: %s\n", findings.error().describe().c_str());
    return 2;
  }
  std::size_t refused = 0;
  for (const auto& f : *findings) {
    const bool bad = trust::refuses(f);
    refused += bad;
    std::fprintf(bad ? stderr : stdout, "%s %s: %s\n",
                 bad                                     ? "refused"
                 : f.status == core::FindingStatus::info ? "info"
                                                         : "ok",
                 f.id.c_str(), f.title.c_str());
    if (bad && !f.evidence.empty()) std::fprintf(stderr, "  %s\n", f.evidence.c_str());
  }
  if (refused > 0) {
    std::fprintf(stderr, "bulwark verify: refused: %zu trust policy failure(s) for %s\n", refused, o.target.c_str());
    return 1;
  }
  std::printf("Verified OK: %s%s%s against %s (%zu rule(s) applied)\n", o.target.c_str(),
              facts.manifest_digest.empty() ? "" : " ", facts.manifest_digest.c_str(), o.trust_policy.c_str(),
              facts.rules_applied.size());
  return 0;
}

int run_verify(const ImageTrustOptions& o) {
  if (!o.trust_policy.empty()) {
    if (!o.key.empty()) {
      std::fprintf(stderr, "bulwark verify: --key and --trust-policy exclude each other (put the key in a rule)\n");
      return 2;
    }
    return run_verify_policy(o);
  }
  if (o.key.empty()) {
    std::fprintf(stderr, "bulwark verify: --key or --trust-policy is required\n");
    return 2;
  }
  auto parsed = image::parse_reference(o.target);
  auto ref = parsed && parsed->transport == image::Transport::registry ? parsed : layout_target(o.target);
  if (!ref) {
    std::fprintf(stderr, "bulwark verify: %s\n", ref.error().describe().c_str());
    return 2;
  }
  auto key = util::read_file(o.key, 1 << 20);
  if (!key) {
    std::fprintf(stderr, "bulwark verify: %s\n", key.error().describe().c_str());
    return 2;
  }
  Result<trust::ImageSignatureVerdict> v;
  if (ref->transport == image::Transport::registry) {
    trust::RegistryTarget t{ref->registry, ref->repository, ref->tag.empty() ? "latest" : ref->tag, ref->digest, {}, {},
                            o.tls_verify};
    const std::string creds = effective_creds(o);
    if (auto c = creds.find(':'); c != std::string::npos) {
      t.username = creds.substr(0, c);
      t.password = creds.substr(c + 1);
    }
    v = trust::verify_registry_image(t, *key, o.reference);
  } else {
    v = trust::verify_oci_layout_image(ref->path, ref->tag, *key, o.reference);
  }
  if (!v) {
    std::fprintf(stderr, "bulwark verify: refused: %s\n", v.error().describe().c_str());
    return 1;
  }
  std::string where;
  for (const auto& w : v->found_in) where += (where.empty() ? "" : ", ") + w;
  std::printf("Verified OK: %s (%s): %zu of %zu signatures verify with %s (found in: %s)\n", o.target.c_str(),
              v->manifest_digest.c_str(), v->signatures_verified, v->signatures_checked, o.key.c_str(), where.c_str());
  for (const auto& s : v->verified) std::printf("  docker-reference: %s\n", s.docker_reference.c_str());
  return 0;
}

int run_sign(const ImageTrustOptions& o) {
  auto ref = layout_target(o.target);
  if (!ref) {
    std::fprintf(stderr, "bulwark sign: %s\n", ref.error().describe().c_str());
    return 2;
  }
  auto key = util::read_file(o.key, 1 << 20);
  if (!key) {
    std::fprintf(stderr, "bulwark sign: %s\n", key.error().describe().c_str());
    return 2;
  }
  auto d = trust::sign_oci_layout_image(ref->path, ref->tag, *key, o.reference);
  if (!d) {
    std::fprintf(stderr, "bulwark sign: %s\n", d.error().describe().c_str());
    return 1;
  }
  std::printf(
      "Signed %s: signature manifest %s (tag %s); OCI 1.1 referrer %s, listed in the referrers index %s "
      "(tag %s)\n",
      o.target.c_str(), d->signature_manifest.c_str(), d->signature_tag.c_str(), d->referrer_manifest.c_str(),
      d->referrers_index.c_str(), d->referrers_tag.c_str());
  return 0;
}

}  // namespace

void register_verify(CLI::App& app, int& exit_code) {
  auto opts = std::make_shared<ImageTrustOptions>();
  auto* cmd = app.add_subcommand("verify", "Verify an image's cosign signatures with a public key");
  cmd->footer(
      "Examples:\n"
      "  bulwark verify oci:./layout:1 --key cosign.pub --reference registry.example/app\n"
      "  bulwark verify docker://127.0.0.1:5000/app:1 --key cosign.pub --creds ci:secret\n"
      "  bulwark verify docker://127.0.0.1:5000/app@sha256:... --key cosign.pub --tls-verify=false\n"
      "  bulwark verify docker://127.0.0.1:5000/app@sha256:... --trust-policy trust.yaml --creds ci:secret\n"
      "\nExit 0 verified, 1 refused, 2 usage or I/O error.");
  cmd->add_option("IMAGE", opts->target, "Image (oci:DIR[:TAG] or docker://HOST/REPO[:TAG|@DIGEST])")->required();
  cmd->add_option("--key", opts->key, "PEM public key (or --trust-policy)");
  cmd->add_option("--trust-policy", opts->trust_policy,
                  "Trust policy YAML (docs/trust.md): registries, required signers, digest pinning, base images");
  cmd->add_option("--creds", opts->creds, "Registry credentials USER:PASSWORD (else BULWARK_USERNAME/PASSWORD)");
  cmd->add_option("--tls-verify", opts->tls_verify, "Verify registry TLS (false allows plain HTTP)")
      ->default_str("true");
  cmd->add_option("--reference", opts->reference,
                  "Repository the signature's docker-reference must name (default: not checked)");
  cmd->callback([opts, &exit_code] { exit_code = run_verify(*opts); });
}

void register_sign(CLI::App& app, int& exit_code) {
  auto opts = std::make_shared<ImageTrustOptions>();
  auto* cmd = app.add_subcommand("sign", "Sign an image cosign's way (simple signing, tag sha256-<hex>.sig)");
  cmd->footer(
      "Examples:\n"
      "  bulwark sign oci:./layout:1 --key cosign.key --reference registry.example/app\n"
      "  skopeo copy oci:./layout:sha256-<hex>.sig docker://registry.example/app:sha256-<hex>.sig\n"
      "  skopeo copy --all oci:./layout:sha256-<hex> docker://registry.example/app:sha256-<hex>\n"
      "  bulwark verify oci:./layout:1 --key cosign.pub --reference registry.example/app\n"
      "\nThe signature is written into the layout under cosign's tag sha256-<hex>.sig and as an\n"
      "OCI 1.1 referrer listed in the referrers index tagged sha256-<hex> (the referrers tag\n"
      "schema, which registries without a referrers API need); copy the tags beside the image in\n"
      "its registry with skopeo (--all for the index, so the referrer manifest goes with it).");
  cmd->add_option("IMAGE", opts->target, "Image (oci:DIR[:TAG])")->required();
  cmd->add_option("--key", opts->key, "PEM private key (unencrypted PKCS#8 or traditional)")->required();
  cmd->add_option("--reference", opts->reference, "docker-reference written into the payload")->required();
  cmd->callback([opts, &exit_code] { exit_code = run_sign(*opts); });
}

BULWARK_COMMAND(verify, 61, register_verify);
BULWARK_COMMAND(sign, 62, register_sign);

}  // namespace bulwark::cli
