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

// Signs an image cosign's way with a PEM private key (unencrypted PKCS#8 or traditional; ECDSA
// P-256, RSA, Ed25519: see keys.hpp for cosign's encrypted keys): a simple-signing payload
// naming `docker_reference` and the manifest digest becomes a layer of the signature manifest
// tagged sha256-<hex>.sig (added to the layers already there, as cosign does), and of an OCI
// 1.1 referrer (subject: the image, artifactType kCosignSignatureArtifact). The referrer is
// listed by the registry's referrers API where the registry says it indexes subjects (it
// answers the manifest PUT with OCI-Subject), else in the referrers tag schema's index tagged
// sha256-<hex> (entries already there are kept). An OCI layout always uses the tag schema.
struct SignResult {
  std::string manifest_digest;     // the signed image's
  std::string signature_manifest;  // digest of the sha256-<hex>.sig manifest
  std::string referrer_manifest;   // digest of the referrer manifest
  std::string referrers_index;     // digest of the index tagged sha256-<hex> ("" when the API lists it)
  std::string signature_tag, referrers_tag;
  std::string referrers_via;  // "referrers API" or "referrers tag sha256-<hex>"
};
[[nodiscard]] Result<SignResult> sign_oci_layout_image(const std::string& dir, const std::string& tag,
                                                       std::string_view private_key_pem,
                                                       std::string_view docker_reference);
// The same, written straight into a registry (blob uploads POST + PUT, manifest PUTs) for the
// image target.tag or target.digest; credentials as for verify_registry_image.
[[nodiscard]] Result<SignResult> sign_registry_image(const RegistryTarget& target, std::string_view private_key_pem,
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
// The artifactType of an attestation stored as an OCI 1.1 referrer: the in-toto media type, as
// cosign writes it (its layers are the DSSE envelopes); application/vnd.dsse.envelope.v1+json
// is accepted too when reading.
inline constexpr std::string_view kAttestationArtifact = kInTotoPayloadType;
// The referrer manifest's annotation naming the attestation's predicate type (cosign's name).
inline constexpr std::string_view kReferrerPredicateTypeAnnotation = "dev.sigstore.bundle.predicateType";
// Predicate types of the predicates `bulwark attest` writes (cosign's URIs for the same).
inline constexpr std::string_view kCycloneDxPredicateType = "https://cyclonedx.org/bom";
inline constexpr std::string_view kOpenVexPredicateType = "https://openvex.dev/ns";

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

// Finds the attestations with `predicate_type` of the image tagged `tag`, by cosign's tag
// scheme (.att) and by OCI 1.1 referrers (artifactType in-toto or DSSE, listed by the referrers
// API or the referrers tag), and verifies each with the key. Succeeds only when at least one verifies; the error names
// why none did (no .att tag, no attestation of that type, and each envelope's refusal).
[[nodiscard]] Result<AttestationVerdict> verify_oci_layout_attestations(const std::string& dir, const std::string& tag,
                                                                        std::string_view predicate_type,
                                                                        std::string_view public_key_pem);
[[nodiscard]] Result<AttestationVerdict> verify_registry_attestations(const RegistryTarget& target,
                                                                      std::string_view predicate_type,
                                                                      std::string_view public_key_pem);

// An in-toto Statement v1 about one image: subject [{name, digest {sha256: <manifest hex>}}],
// predicateType, and the predicate (a JSON object), as compact JSON.
[[nodiscard]] Result<std::string> make_in_toto_statement(std::string_view subject_name,
                                                         std::string_view manifest_digest,
                                                         std::string_view predicate_type,
                                                         std::string_view predicate_json);

struct AttestResult {
  std::string manifest_digest;                 // the attested image's (the Statement's subject)
  std::string envelope;                        // digest of the DSSE envelope blob
  std::string attestation_tag;                 // sha256-<hex>.att
  std::string attestation_manifest;            // digest of the manifest tagged so
  std::string referrer_manifest;               // digest of the OCI 1.1 referrer
  std::string referrers_index, referrers_tag;  // "" when the registry's referrers API lists it
  std::string referrers_via;
};

// Adds a DSSE envelope as a layer (media type kDsseEnvelopeMediaType, annotation
// predicateType) of the manifest tagged sha256-<hex>.att of the image tagged `tag` in the OCI
// layout (layers already there are kept), and as an OCI 1.1 referrer (artifactType
// kAttestationArtifact) in the referrers index. Returns the new .att manifest's digest.
[[nodiscard]] Result<std::string> attach_oci_layout_attestation(const std::string& dir, const std::string& tag,
                                                                std::string_view envelope_json,
                                                                std::string_view predicate_type);

// `bulwark attest`: the in-toto Statement about the image's manifest digest with the predicate,
// in a DSSE envelope signed with the key over the PAE, attached as attach_oci_layout_attestation
// does (in a registry: the referrer is listed by its referrers API where it has one, else by
// the referrers tag schema). `subject_name` is the Statement's subject name (the repository).
[[nodiscard]] Result<AttestResult> attest_oci_layout_image(const std::string& dir, const std::string& tag,
                                                           std::string_view subject_name,
                                                           std::string_view predicate_type,
                                                           std::string_view predicate_json,
                                                           std::string_view private_key_pem);
[[nodiscard]] Result<AttestResult> attest_registry_image(const RegistryTarget& target, std::string_view subject_name,
                                                         std::string_view predicate_type,
                                                         std::string_view predicate_json,
                                                         std::string_view private_key_pem);

}  // namespace bulwark::trust
