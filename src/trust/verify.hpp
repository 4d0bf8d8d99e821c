// trust/: Sigstore bundle verification (keyed and keyless), with OpenSSL 3 for every
// cryptographic operation and X.509 parsing. Bundles, certificates and trusted roots are
// hostile input: every size and count is limited, and verification fails closed.
//
// The library entry points other modules (authz plugin, admission webhook, `bulwark image`)
// use are verify_blob() and verify_bundle(); both return a Verdict only when every check
// passed, and an Error (code auth/digest_mismatch/parse/...) naming the first failed check.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "util/error.hpp"

namespace bulwark::trust {

struct Limits {
  std::size_t max_bundle_bytes = 4 << 20;
  std::size_t max_trusted_root_bytes = 4 << 20;
  std::size_t max_artifact_bytes = std::size_t{1} << 32;  // streamed through SHA-256
  std::size_t max_certificates = 10;
  std::size_t max_tlog_entries = 8;
  std::size_t max_proof_hashes = 64;
  std::size_t max_timestamps = 8;
  std::size_t max_dsse_payload_bytes = 16 << 20;
};

// Who must have signed. Empty fields are not checked; keyless verification needs at least
// an identity (exact or regexp) and an issuer (exact or regexp), like cosign.
struct IdentityPolicy {
  std::string identity, identity_regexp;
  std::string issuer, issuer_regexp;
  // Fulcio's GitHub workflow extensions (1.3.6.1.4.1.57264.1.{5,6,2,...}); empty = any.
  std::string github_repository, github_ref, github_workflow_trigger, github_sha;
};

struct VerifyOptions {
  std::string public_key_pem;     // keyed verification when set (PEM SubjectPublicKeyInfo)
  std::string trusted_root_json;  // empty = the Sigstore public-good root shipped with bulwark
  IdentityPolicy identity;
  bool require_tlog = true;  // keyless always needs a tlog entry or a timestamp
  Limits limits;
};

// What a DSSE envelope carried (in-toto Statement v0.1/v1).
struct Attestation {
  std::string payload_type;
  std::string predicate_type;
  std::string statement_json;                                 // the whole statement, for policy on predicate fields
  std::vector<std::pair<std::string, std::string>> subjects;  // name, "sha256:<hex>"
};

struct Verdict {
  bool keyless = false;
  std::string signer_identity;  // SAN (URI or email) of the Fulcio certificate
  std::string signer_issuer;    // OIDC issuer extension
  std::string key_id;           // sha256 of the verifying key's SPKI, hex
  std::string github_repository, github_ref, github_workflow_trigger, github_sha;
  std::int64_t signed_at = 0;       // Unix seconds: earliest verified time (tlog or TSA)
  std::vector<std::string> checks;  // what was verified, for reports ("tlog inclusion proof", ...)
  std::optional<Attestation> attestation;
  std::string bundle_media_type;
};

// Verifies a Sigstore bundle (v0.1, v0.2, v0.3 JSON) over an artifact's bytes.
[[nodiscard]] Result<Verdict> verify_bundle(std::string_view bundle_json, std::string_view artifact,
                                            const VerifyOptions& options);

// Same, with the artifact given only as its SHA-256 digest (32 bytes): message signatures
// are checked against the digest; DSSE subjects against it.
[[nodiscard]] Result<Verdict> verify_bundle_digest(std::string_view bundle_json, std::string_view sha256_digest,
                                                   const VerifyOptions& options);

// Reads FILE and BUNDLE from disk (with the limits) and calls verify_bundle.
[[nodiscard]] Result<Verdict> verify_blob(const std::string& artifact_path, const std::string& bundle_path,
                                          const VerifyOptions& options);

// The Sigstore public-good trusted_root.json shipped with bulwark (from @sigstore/tuf's seeds).
[[nodiscard]] std::string_view public_good_trusted_root();

}  // namespace bulwark::trust
