// `bulwark verify IMAGE --key K` and `bulwark sign IMAGE --key K`: cosign keyed signatures
// (simple signing; cosign's tag scheme sha256-<hex>.sig and OCI 1.1 referrers), and with
// `verify --type T` the image's attestations of predicate type T. Targets: oci:DIR[:TAG] and
// docker://HOST/REPO[:TAG|@DIGEST].
#include <cstdio>
#include <cstdlib>
#include <memory>

#include <openssl/crypto.h>

#include "cli/commands.hpp"
#include "cli/trust_options.hpp"
#include "image/reference.hpp"
#include "trust/cosign.hpp"
#include "trust/keys.hpp"
#include "trust/policy.hpp"
#include "util/files.hpp"

namespace bulwark::cli {

namespace {

struct ImageTrustOptions {
  std::string target, key, reference, creds, trust_policy, password_file, type;
  bool tls_verify = true;
};

// --type: "sbom" and "vex" name the predicate types bulwark attest writes; anything else is a URI.
std::string predicate_type_of(const std::string& type) {
  if (type == "sbom" || type == "cyclonedx") return std::string(trust::kCycloneDxPredicateType);
  if (type == "vex" || type == "openvex") return std::string(trust::kOpenVexPredicateType);
  return type;
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
  const std::string creds = effective_creds(o.creds);
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
    if (!o.key.empty() || !o.type.empty()) {
      std::fprintf(stderr,
                   "bulwark verify: --key/--type and --trust-policy exclude each other (put the key in a rule's "
                   "signers or require_attestations)\n");
      return 2;
    }
    return run_verify_policy(o);
  }
  if (o.key.empty()) {
    std::fprintf(stderr, "bulwark verify: --key or --trust-policy is required\n");
    return 2;
  }
  auto ref = trust_target(o.target, "bulwark verify");
  if (!ref) {
    std::fprintf(stderr, "bulwark verify: %s\n", ref.error().describe().c_str());
    return 2;
  }
  auto key = util::read_file(o.key, 1 << 20);
  if (!key) {
    std::fprintf(stderr, "bulwark verify: %s\n", key.error().describe().c_str());
    return 2;
  }
  const bool registry = ref->transport == image::Transport::registry;
  if (!o.type.empty()) {
    const std::string type = predicate_type_of(o.type);
    auto v = registry ? trust::verify_registry_attestations(registry_target(*ref, o.creds, o.tls_verify), type, *key)
                      : trust::verify_oci_layout_attestations(ref->path, ref->tag, type, *key);
    if (!v) {
      std::fprintf(stderr, "bulwark verify: refused: %s\n", v.error().describe().c_str());
      return 1;
    }
    std::printf("Verified OK: %s (%s): %zu of %zu attestations of type %s verify with %s\n", o.target.c_str(),
                v->manifest_digest.c_str(), v->verified.size(), v->checked, type.c_str(), o.key.c_str());
    for (const auto& a : v->verified) std::printf("  found in: %s\n", a.where.c_str());
    return 0;
  }
  Result<trust::ImageSignatureVerdict> v =
      registry ? trust::verify_registry_image(registry_target(*ref, o.creds, o.tls_verify), *key, o.reference)
               : trust::verify_oci_layout_image(ref->path, ref->tag, *key, o.reference);
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
  auto ref = trust_target(o.target, "bulwark sign");
  if (!ref) {
    std::fprintf(stderr, "bulwark sign: %s\n", ref.error().describe().c_str());
    return 2;
  }
  const bool registry = ref->transport == image::Transport::registry;
  if (!registry && o.reference.empty()) {
    std::fprintf(stderr, "bulwark sign: --reference is required for an oci: layout (the repository it is pushed to)\n");
    return 2;
  }
  auto key = trust::load_signing_key(o.key, o.password_file);
  if (!key) {
    std::fprintf(stderr, "bulwark sign: %s\n", key.error().describe().c_str());
    return 2;
  }
  // cosign names the repository (no tag, no digest) as the docker-reference.
  const std::string reference = !o.reference.empty() ? o.reference : ref->registry + "/" + ref->repository;
  auto d = registry ? trust::sign_registry_image(registry_target(*ref, o.creds, o.tls_verify), *key, reference)
                    : trust::sign_oci_layout_image(ref->path, ref->tag, *key, reference);
  OPENSSL_cleanse(key->data(), key->size());
  if (!d) {
    std::fprintf(stderr, "bulwark sign: %s\n", d.error().describe().c_str());
    return 1;
  }
  const std::string listed = d->referrers_index.empty() ? "listed by the registry's referrers API"
                                                        : "listed in the referrers index " + d->referrers_index +
                                                              " (tag " + d->referrers_tag + ")";
  std::printf("Signed %s (%s): signature manifest %s (tag %s); OCI 1.1 referrer %s, %s\n", o.target.c_str(),
              d->manifest_digest.c_str(), d->signature_manifest.c_str(), d->signature_tag.c_str(),
              d->referrer_manifest.c_str(), listed.c_str());
  return 0;
}

}  // namespace

void register_verify(CLI::App& app, int& exit_code) {
  auto opts = std::make_shared<ImageTrustOptions>();
  auto* cmd = app.add_subcommand("verify", "Verify an image's cosign signatures or attestations with a public key");
  cmd->footer(
      "Examples:\n"
      "  bulwark verify oci:./layout:1 --key cosign.pub --reference registry.example/app\n"
      "  bulwark verify docker://127.0.0.1:5000/app:1 --key cosign.pub --creds ci:secret\n"
      "  bulwark verify docker://127.0.0.1:5000/app@sha256:... --key cosign.pub --tls-verify=false\n"
      "  bulwark verify docker://127.0.0.1:5000/app@sha256:... --trust-policy trust.yaml --creds ci:secret\n"
      "  bulwark verify docker://127.0.0.1:5000/app:1 --key cosign.pub --type sbom --creds ci:secret\n"
      "  bulwark verify oci:./layout:1 --key cosign.pub --type https://slsa.dev/provenance/v1\n"
      "\nSignatures and attestations are found under cosign's tags (sha256-<hex>.sig, .att) and as\n"
      "OCI 1.1 referrers (the registry's referrers API, else the referrers tag sha256-<hex>).\n"
      "\nExit 0 verified, 1 refused, 2 usage or I/O error.");
  cmd->add_option("IMAGE", opts->target, "Image (oci:DIR[:TAG] or docker://HOST/REPO[:TAG|@DIGEST])")->required();
  cmd->add_option("--key", opts->key, "PEM public key (or --trust-policy)");
  cmd->add_option("--trust-policy", opts->trust_policy,
                  "Trust policy YAML (docs/trust.md): registries, required signers, digest pinning, base images");
  add_registry_options(cmd, opts->creds, opts->tls_verify);
  cmd->add_option("--reference", opts->reference,
                  "Repository the signature's docker-reference must name (default: not checked)");
  cmd->add_option("--type", opts->type,
                  "Verify the image's attestations of this predicate type instead of its signatures: sbom "
                  "(CycloneDX), vex (OpenVEX) or a URI");
  cmd->callback([opts, &exit_code] { exit_code = run_verify(*opts); });
}

void register_sign(CLI::App& app, int& exit_code) {
  auto opts = std::make_shared<ImageTrustOptions>();
  auto* cmd = app.add_subcommand("sign", "Sign an image cosign's way (tag sha256-<hex>.sig and an OCI 1.1 referrer)");
  cmd->footer(
      "Examples:\n"
      "  COSIGN_PASSWORD=... bulwark sign docker://127.0.0.1:5000/app:1 --key cosign.key --creds ci:secret \\\n"
      "      --tls-verify=false\n"
      "  bulwark sign docker://registry.example/app@sha256:... --key cosign.key --password-file pw.txt\n"
      "  bulwark sign oci:./layout:1 --key key.pem --reference registry.example/app\n"
      "  bulwark verify docker://registry.example/app@sha256:... --key cosign.pub\n"
      "\nIn a registry (docker://), the signature is pushed beside the image: a layer of the manifest\n"
      "tagged sha256-<hex>.sig (added to the signatures already there, as cosign does) and an OCI 1.1\n"
      "referrer (subject: the image), listed by the registry's referrers API where it has one, else in\n"
      "the referrers index tagged sha256-<hex>. In an OCI layout (oci:), the same is written into the\n"
      "layout; copy it with skopeo (--all for the index).\n"
      "\nKeys: PEM PKCS#8 or EC/RSA, or cosign's encrypted keys (ENCRYPTED SIGSTORE PRIVATE KEY, from\n"
      "cosign generate-key-pair) with the password from --password-file or COSIGN_PASSWORD.\n"
      "Registry credentials: --creds, else BULWARK_USERNAME/BULWARK_PASSWORD.");
  cmd->add_option("IMAGE", opts->target, "Image (docker://HOST/REPO[:TAG|@DIGEST] or oci:DIR[:TAG])")->required();
  cmd->add_option("--key", opts->key, "Private key: PEM, or cosign's encrypted key")->required();
  cmd->add_option("--password-file", opts->password_file,
                  "File whose first line is the key's password (else COSIGN_PASSWORD)");
  cmd->add_option("--reference", opts->reference,
                  "docker-reference written into the payload (default for docker://: HOST/REPO; required for oci:)");
  add_registry_options(cmd, opts->creds, opts->tls_verify);
  cmd->callback([opts, &exit_code] { exit_code = run_sign(*opts); });
}

BULWARK_COMMAND(verify, 61, register_verify);
BULWARK_COMMAND(sign, 62, register_sign);

}  // namespace bulwark::cli
