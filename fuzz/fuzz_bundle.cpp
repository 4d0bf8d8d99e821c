// Sigstore bundles (v0.1-v0.3 JSON): media types, verification material (public key
// hints, X.509 chains in base64 DER, single certificates), transparency log entries
// (inclusion proofs, checkpoints, SETs), RFC 3161 timestamps, message signatures and
// DSSE envelopes with in-toto statements; keyed and keyless paths. Verification must
// fail closed: a fuzzed bundle that verifies is reported as a crash.
//
// Input: a selector byte (even: keyless against the public-good root, odd: keyed with
// a fixed P-256 key), then the bundle; the artifact is the fixed string "artifact".
#include <cstdio>
#include <cstdlib>

#include "common.hpp"
#include "trust/verify.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bulwark;
  auto [sel, bundle] = fuzz::select(fuzz::as_text(data, size));
  trust::VerifyOptions options;
  if (sel & 1) {
    options.public_key_pem = fuzz::kFuzzPublicKey;
  } else {
    options.identity.identity = "someone@example.com";
    options.identity.issuer = "https://accounts.example.com";
  }
  options.limits.max_bundle_bytes = 1 << 20;
  auto verdict = (sel & 2) ? trust::verify_bundle_digest(bundle, std::string(32, '\x5a'), options)
                           : trust::verify_bundle(bundle, "artifact", options);
  if (verdict) {
    std::fprintf(stderr, "a fuzzed bundle verified\n");
    std::abort();
  }
  return 0;
}
