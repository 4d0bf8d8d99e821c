// `bulwark attest IMAGE --key K --predicate sbom|vex|FILE`: an in-toto Statement about the
// image's manifest digest in a signed DSSE envelope, attached cosign's way (tag
// sha256-<hex>.att) and as an OCI 1.1 referrer. The predicate is bulwark's own CycloneDX SBOM
// of the image, an OpenVEX document, or any JSON document with its --type.
#include <cstdio>
#include <memory>

#include <openssl/crypto.h>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/trust_options.hpp"
#include "sbom/sbom.hpp"
#include "scan/pipeline.hpp"
#include "trust/cosign.hpp"
#include "trust/keys.hpp"
#include "util/files.hpp"
#include "util/strings.hpp"

namespace bulwark::cli {

namespace {

constexpr std::size_t kMaxPredicateBytes = 8 << 20;

struct AttestOptions {
  std::string target, key, password_file, predicate, type, vex, creds, reference;
  bool tls_verify = true;
  ScanOptions scan;
};

int fail_with(const Error& e, int code = 2) {
  std::fprintf(stderr, "bulwark attest: %s\n", util::printable(e.describe()).c_str());
  return code;
}

// bulwark's CycloneDX SBOM of exactly the manifest that is attested.
Result<std::string> sbom_of(const AttestOptions& o, image::Reference ref, const std::string& digest) {
  image::SourceOptions so;
  so.tls_verify = o.tls_verify ? image::TlsVerify::yes : image::TlsVerify::no;
  const std::string creds = effective_creds(o.creds);
  if (auto colon = creds.find(':'); colon != std::string::npos) {
    so.username = creds.substr(0, colon);
    so.password = creds.substr(colon + 1);
  }
  if (ref.transport == image::Transport::registry) {
    ref.digest = digest;  // the tag cannot move between the SBOM and the attestation
    ref.original.clear();
  }
  ScanOptions scan = o.scan;
  scan.quiet = true;
  auto session = make_session(scan);
  core::Diagnostics diags;
  auto result = scan::inventory(ref, so, session.context, diags);
  session.progress->end();
  if (!result) return std::unexpected(result.error());
  for (auto& d : diags.items()) std::fprintf(stderr, "bulwark: %s\n", util::printable(d.describe()).c_str());
  return sbom::write_cyclonedx(*result, {BULWARK_VERSION, {}});
}

int run_attest(const AttestOptions& o) {
  auto ref = trust_target(o.target, "bulwark attest");
  if (!ref) return fail_with(ref.error());
  const bool registry = ref->transport == image::Transport::registry;
  const trust::RegistryTarget rt = registry ? registry_target(*ref, o.creds, o.tls_verify) : trust::RegistryTarget{};
  // The manifest the Statement is about.
  auto manifest = registry ? trust::read_registry_manifest(rt) : trust::read_oci_layout_manifest(ref->path, ref->tag);
  if (!manifest) return fail_with(manifest.error());

  std::string predicate, type = o.type;
  if (o.predicate == "sbom") {
    if (type.empty()) type = trust::kCycloneDxPredicateType;
    auto sbom = sbom_of(o, *ref, manifest->digest);
    if (!sbom) return fail_with(sbom.error());
    predicate = std::move(*sbom);
  } else if (o.predicate == "vex") {
    if (o.vex.empty()) {
      std::fprintf(stderr, "bulwark attest: --predicate vex needs the OpenVEX document: --vex FILE\n");
      return 2;
    }
    auto doc = util::read_file(o.vex, kMaxPredicateBytes);
    if (!doc) return fail_with(doc.error());
    const auto j = nlohmann::json::parse(*doc, nullptr, false);
    const auto ctx = j.is_object() ? j.find("@context") : j.end();
    if (ctx == j.end() || !ctx->is_string() || !ctx->get<std::string>().starts_with(trust::kOpenVexPredicateType)) {
      return fail_with(
          Error{ErrorCode::parse, "not an OpenVEX document (no @context https://openvex.dev/ns...)", o.vex});
    }
    if (type.empty()) type = trust::kOpenVexPredicateType;
    predicate = std::move(*doc);
  } else {
    if (type.empty()) {
      std::fprintf(stderr, "bulwark attest: --predicate FILE needs its predicate type: --type URI\n");
      return 2;
    }
    auto doc = util::read_file(o.predicate, kMaxPredicateBytes);
    if (!doc) return fail_with(doc.error());
    const auto j = nlohmann::json::parse(*doc, nullptr, false);
    if (!j.is_object()) return fail_with(Error{ErrorCode::parse, "the predicate is not a JSON object", o.predicate});
    predicate = std::move(*doc);
  }

  auto key = trust::load_signing_key(o.key, o.password_file);
  if (!key) return fail_with(key.error());
  const std::string subject_name =
      !o.reference.empty() ? o.reference : (registry ? ref->registry + "/" + ref->repository : o.target);
  Result<trust::AttestResult> r =
      registry ? trust::attest_registry_image(
                     [&] {
                       trust::RegistryTarget pinned = rt;
                       pinned.digest = manifest->digest;
                       return pinned;
                     }(),
                     subject_name, type, predicate, *key)
               : trust::attest_oci_layout_image(ref->path, ref->tag, subject_name, type, predicate, *key);
  OPENSSL_cleanse(key->data(), key->size());
  if (!r) return fail_with(r.error(), 1);
  const std::string listed = r->referrers_index.empty() ? "listed by the registry's referrers API"
                                                        : "listed in the referrers index " + r->referrers_index +
                                                              " (tag " + r->referrers_tag + ")";
  std::printf(
      "Attested %s (%s): %s as DSSE envelope %s, in the manifest tagged %s (%s) and the OCI 1.1 referrer %s, %s\n",
      o.target.c_str(), r->manifest_digest.c_str(), type.c_str(), r->envelope.c_str(), r->attestation_tag.c_str(),
      r->attestation_manifest.c_str(), r->referrer_manifest.c_str(), listed.c_str());
  return 0;
}

}  // namespace

void register_attest(CLI::App& app, int& exit_code) {
  auto opts = std::make_shared<AttestOptions>();
  auto* cmd =
      app.add_subcommand("attest", "Attach a signed in-toto attestation (SBOM, VEX, any predicate) to an image");
  cmd->footer(
      "Examples:\n"
      "  COSIGN_PASSWORD=... bulwark attest docker://127.0.0.1:5000/app:1 --key cosign.key --predicate sbom \\\n"
      "      --creds ci:secret --tls-verify=false\n"
      "  bulwark attest docker://registry.example/app@sha256:... --key cosign.key --predicate vex --vex app.vex.json\n"
      "  bulwark attest oci:./layout:1 --key key.pem --predicate provenance.json --type "
      "https://slsa.dev/provenance/v1\n"
      "  bulwark verify docker://registry.example/app@sha256:... --key cosign.pub --type sbom\n"
      "\nThe Statement (in-toto v1) names the image's manifest digest as its subject; its predicate is\n"
      "bulwark's CycloneDX SBOM of the image (sbom, type https://cyclonedx.org/bom), the OpenVEX\n"
      "document given with --vex (vex, type https://openvex.dev/ns), or the JSON FILE with --type.\n"
      "The DSSE envelope is signed with the key and stored as a layer (application/vnd.dsse.envelope.v1+json,\n"
      "annotation predicateType) of the manifest tagged sha256-<hex>.att, as cosign attest does, and as an\n"
      "OCI 1.1 referrer (artifactType application/vnd.in-toto+json), listed by the registry's referrers\n"
      "API or, without one, in the referrers index tagged sha256-<hex>.\n"
      "\nKeys: PEM PKCS#8 or EC/RSA, or cosign's encrypted keys with --password-file or COSIGN_PASSWORD.\n"
      "Registry credentials: --creds, else BULWARK_USERNAME/BULWARK_PASSWORD.");
  cmd->add_option("IMAGE", opts->target, "Image (docker://HOST/REPO[:TAG|@DIGEST] or oci:DIR[:TAG])")->required();
  cmd->add_option("--key", opts->key, "Private key: PEM, or cosign's encrypted key")->required();
  cmd->add_option("--predicate", opts->predicate, "sbom (bulwark's CycloneDX SBOM), vex (with --vex), or a JSON FILE")
      ->required();
  cmd->add_option("--type", opts->type, "Predicate type URI (required for a FILE predicate)");
  cmd->add_option("--vex", opts->vex, "OpenVEX document for --predicate vex");
  cmd->add_option("--password-file", opts->password_file,
                  "File whose first line is the key's password (else COSIGN_PASSWORD)");
  cmd->add_option("--reference", opts->reference, "The Statement's subject name (default: HOST/REPO or the target)");
  add_registry_options(cmd, opts->creds, opts->tls_verify);
  cmd->add_option("--cache-dir", opts->scan.cache_dir, "Layer cache for the SBOM (default: the user's cache)");
  cmd->callback([opts, &exit_code] { exit_code = run_attest(*opts); });
}

BULWARK_COMMAND(attest, 63, register_attest);

}  // namespace bulwark::cli
