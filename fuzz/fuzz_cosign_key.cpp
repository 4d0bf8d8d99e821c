// cosign's encrypted private keys (`bulwark sign|attest --key`): the PEM block, its base64 body
// and the JSON key document inside (kdf: scrypt N/r/p and salt; cipher: nacl/secretbox and
// nonce; ciphertext), the parameter bounds, the decryption with a fixed password and the DER
// key that comes out. A key that decrypts is turned into its public key as signing would.
//
// Input: a selector byte, then (even selector) the JSON key document, which the harness wraps
// in base64 and an "ENCRYPTED SIGSTORE PRIVATE KEY" block (odd selector: the older "ENCRYPTED
// COSIGN PRIVATE KEY" label), so that mutations reach the JSON; selector 0xff: the rest is the
// key file as it is, PEM and all.
#include <openssl/evp.h>

#include <optional>
#include <string>

#include "common.hpp"
#include "trust/keys.hpp"

namespace {

std::string pem_wrap(std::string_view body, std::string_view label) {
  std::string b64(4 * ((body.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()),
                                reinterpret_cast<const unsigned char*>(body.data()), static_cast<int>(body.size()));
  b64.resize(static_cast<std::size_t>(n));
  std::string out = "-----BEGIN " + std::string(label) + "-----\n";
  for (std::size_t i = 0; i < b64.size(); i += 64) out += b64.substr(i, 64) + "\n";
  return out + "-----END " + std::string(label) + "-----\n";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bulwark;
  auto [sel, rest] = fuzz::select(fuzz::as_text(data, size));
  const std::string text =
      sel == 0xff ? std::string(rest)
                  : pem_wrap(rest, (sel & 1) != 0 ? "ENCRYPTED COSIGN PRIVATE KEY" : "ENCRYPTED SIGSTORE PRIVATE KEY");
  (void)trust::is_encrypted_cosign_key(text);
  auto key = trust::decrypt_private_key(text, std::optional<std::string>("hello"), "fuzz-key");
  if (!key) {
    fuzz::debug("decrypt", key.error());
    return 0;
  }
  (void)trust::public_key_of(*key);
  return 0;
}
