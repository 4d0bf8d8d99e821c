// cosign keyed image signatures (the "simple signing" format): a signature manifest tagged
// sha256-<manifest hex>.sig whose layers are simple-signing payloads, each carrying its
// signature in the layer annotation dev.cosignproject.cosign/signature.
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
  std::string signature_tag;    // where the signature was found
  std::size_t signatures_checked = 0, signatures_verified = 0;
  std::vector<SimpleSigning> verified;
};

// Finds and verifies cosign signatures of the image tagged `tag` (or the only image) in the
// OCI layout `dir`, by cosign's tag scheme. Succeeds only when at least one signature verifies.
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

// Same as verify_oci_layout_image, reading the signature by the tag scheme from a registry.
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
// sha256-<hex>.sig in the same layout. Returns the signature manifest's digest.
[[nodiscard]] Result<std::string> sign_oci_layout_image(const std::string& dir, const std::string& tag,
                                                        std::string_view private_key_pem,
                                                        std::string_view docker_reference);

}  // namespace bulwark::trust
