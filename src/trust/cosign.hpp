// cosign keyed image signatures (the "simple signing" format): a signature manifest whose
// layers are simple-signing payloads, each carrying its signature in the layer annotation
// dev.cosignproject.cosign/signature. Signature manifests are found two ways: cosign's tag
// scheme (sha256-<manifest hex>.sig) and OCI 1.1 referrers (a manifest whose subject is the
// image, artifactType application/vnd.dev.cosign.artifact.sig.v1+json), listed by the
// registry's referrers API or, where the registry has none (404), by the referrers tag schema
// fallback: an image index tagged sha256-<manifest hex>.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.hpp"

namespace bulwark::trust {

struct SimpleSigning {
  std::string docker_reference;  // critical.identity.docker-reference
  std::string manifest_digest;   // critical.image.docker-manifest-digest
  std::string type;              // "cosign container image signature"
};

// Verifies one cosign signature: `signature_b64` over the exact `payload` bytes with the PEM
// key, then that the payload names `manifest_digest` and (when `repository` is non-empty)
// a docker-reference equal to it (tag or digest suffix ignored, as cosign does).
[[nodiscard]] Result<SimpleSigning> verify_simple_signing(std::string_view payload, std::string_view signature_b64,
                                                          std::string_view public_key_pem,
                                                          std::string_view manifest_digest,
                                                          std::string_view repository);

struct ImageSignatureVerdict {
  std::string manifest_digest;  // the image's, "sha256:..."
  std::string signature_tag;    // cosign's tag for it, sha256-<hex>.sig (looked up whether or not present)
  std::size_t signatures_checked = 0, signatures_verified = 0;
  std::vector<SimpleSigning> verified;
  // Where the verified signatures were found: "tag sha256-<hex>.sig" and/or
  // "referrer sha256:<digest> (referrers API)" / "(referrers tag sha256-<hex>)".
  std::vector<std::string> found_in;
};

// The artifact type of a cosign signature stored as an OCI 1.1 referrer.
inline constexpr std::string_view kCosignSignatureArtifact = "application/vnd.dev.cosign.artifact.sig.v1+json";

// The referrers tag schema's tag for a manifest digest: "sha256:<hex>" -> "sha256-<hex>".
[[nodiscard]] std::string referrers_tag(std::string_view digest);

// One OCI 1.1 referrer of an image: a descriptor of the referrers list.
struct Referrer {
  std::string digest, media_type, artifact_type;
  std::map<std::string, std::string> annotations;
};
struct Referrers {
  std::vector<Referrer> items;
  // How the list was read: "referrers API", "referrers tag sha256-<hex>", or "" when the
  // registry has no referrers API and no fallback tag exists (no referrers).
  std::string via;
};

// Finds and verifies cosign signatures of the image tagged `tag` (or the only image) in the
// OCI layout `dir`, by cosign's tag scheme and by referrers. Succeeds only when at least one
// signature verifies.
[[nodiscard]] Result<ImageSignatureVerdict> verify_oci_layout_image(const std::string& dir, const std::string& tag,
                                                                    std::string_view public_key_pem,
                                                                    std::string_view repository);

// A registry image (HTTP Basic credentials or anonymous; tls_verify=false allows plain HTTP).
struct RegistryTarget {
  std::string registry, repository, tag, digest;
  std::string username, password;
  bool tls_verify = true;
  std::chrono::seconds timeout{0};  // each registry request, connect included; 0: the HTTP client's defaults
};

// The referrers of the manifest `digest` in a registry: GET /v2/<repo>/referrers/<digest>; on
// 404 (no referrers API, as docker-registry 2.x), the image index tagged sha256-<hex>.
[[nodiscard]] Result<Referrers> registry_referrers(const RegistryTarget& target, const std::string& digest);
// The same in an OCI layout: the index tagged sha256-<hex> in index.json.
[[nodiscard]] Result<Referrers> oci_layout_referrers(const std::string& dir, const std::string& digest);

// Same as verify_oci_layout_image, reading the signatures (tag scheme and referrers) from a registry.
[[nodiscard]] Result<ImageSignatureVerdict> verify_registry_image(const RegistryTarget& target,
                                                                  std::string_view public_key_pem,
                                                                  std::string_view repository);

// The image's manifest as stored: its digest (sha256 of the bytes), the bytes, and its
// annotations (an OCI layout's index descriptor annotations first, then the manifest's own,
// which win). Used for the base-image annotations and digest checks of a trust policy.
struct ManifestFacts {
  std::string digest;
  std::string body;
  std::map<std::string, std::string> annotations;
};
[[nodiscard]] Result<ManifestFacts> read_oci_layout_manifest(const std::string& dir, const std::string& tag);
[[nodiscard]] Result<ManifestFacts> read_registry_manifest(const RegistryTarget& target);

// Signs the image tagged `tag` in the OCI layout `dir` with a PEM private key (PKCS#8 or
// traditional; ECDSA P-256, RSA, Ed25519), cosign's way: a simple-signing payload naming
// `docker_reference` and the manifest digest, stored as a signature manifest tagged
// sha256-<hex>.sig in the same layout and, as an OCI 1.1 referrer (subject: the image), added
// to the referrers index tagged sha256-<hex> (the referrers tag schema; entries already there
// are kept). Copy both tags to the registry (skopeo copy --all for the index).
struct SignResult {
  std::string signature_manifest;  // digest of the sha256-<hex>.sig manifest
  std::string referrer_manifest;   // digest of the referrer manifest
  std::string referrers_index;     // digest of the index tagged sha256-<hex>
  std::string signature_tag, referrers_tag;
};
[[nodiscard]] Result<SignResult> sign_oci_layout_image(const std::string& dir, const std::string& tag,
                                                       std::string_view private_key_pem,
                                                       std::string_view docker_reference);

// Blobs (an image config, a layer) by digest, checked against it; at most `max` bytes.
[[nodiscard]] Result<std::string> read_oci_layout_blob(const std::string& dir, const std::string& digest,
                                                       std::size_t max);
[[nodiscard]] Result<std::string> read_registry_blob(const RegistryTarget& target, const std::string& digest,
                                                     std::size_t max);

// ---- in-toto attestations in DSSE envelopes, stored cosign's way ----------------------------
// cosign attest stores an image's attestations as the layers of a manifest tagged
// sha256-<manifest hex>.att: each layer (media type application/vnd.dsse.envelope.v1+json,
// annotation predicateType) is a DSSE envelope whose payload is an in-toto Statement.
inline constexpr std::string_view kDsseEnvelopeMediaType = "application/vnd.dsse.envelope.v1+json";
inline constexpr std::string_view kInTotoPayloadType = "application/vnd.in-toto+json";

// A DSSE envelope over `payload` (one signature over the PAE, made with a PEM private key:
// ECDSA P-256, RSA, Ed25519), as JSON.
[[nodiscard]] Result<std::string> sign_dsse_envelope(std::string_view payload, std::string_view payload_type,
                                                     std::string_view private_key_pem);

struct ImageAttestation {
  std::string predicate_type;
  std::string statement_json;  // the verified in-toto Statement
  std::string where;           // "tag sha256-<hex>.att, layer sha256:..."
};

// Verifies one envelope: payload type in-toto, a signature over the PAE that verifies with the
// key, an in-toto Statement (v0.1 or v1) with a subject whose sha256 is `manifest_digest`.
// Errors say which failed ("the attestation is not signed", "DSSE signature does not verify
// with the key", "the attestation's subject is ..., not this image ...").
[[nodiscard]] Result<ImageAttestation> verify_dsse_attestation(std::string_view envelope_json,
                                                               std::string_view public_key_pem,
                                                               std::string_view manifest_digest);

struct AttestationVerdict {
  std::string manifest_digest;             // the image's
  std::string attestation_tag;             // sha256-<hex>.att
  std::size_t checked = 0;                 // envelopes claiming the predicate type
  std::vector<ImageAttestation> verified;  // of the predicate type, signed by the key, subject = the image
};

// Finds the attestations with `predicate_type` of the image tagged `tag` (tag scheme .att) and
// verifies each with the key. Succeeds only when at least one verifies; the error names why
// none did (no .att tag, no attestation of that type, and each envelope's refusal).
[[nodiscard]] Result<AttestationVerdict> verify_oci_layout_attestations(const std::string& dir, const std::string& tag,
                                                                        std::string_view predicate_type,
                                                                        std::string_view public_key_pem);
[[nodiscard]] Result<AttestationVerdict> verify_registry_attestations(const RegistryTarget& target,
                                                                      std::string_view predicate_type,
                                                                      std::string_view public_key_pem);

// Adds a DSSE envelope as a layer of the manifest tagged sha256-<hex>.att of the image tagged
// `tag` in the OCI layout (layers already there are kept), with the predicateType annotation.
// Returns the new .att manifest's digest. (What cosign attest writes; `bulwark attest` is not a
// command yet: the tests use this.)
[[nodiscard]] Result<std::string> attach_oci_layout_attestation(const std::string& dir, const std::string& tag,
                                                                std::string_view envelope_json,
                                                                std::string_view predicate_type);

}  // namespace bulwark::trust
