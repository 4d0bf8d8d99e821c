// Private keys for `bulwark sign` and `bulwark attest`: unencrypted PEM (PKCS#8, or traditional
// EC/RSA), and cosign's encrypted key files (`cosign generate-key-pair`): a PEM block
// "ENCRYPTED SIGSTORE PRIVATE KEY" (or the older "ENCRYPTED COSIGN PRIVATE KEY") whose body is
// a JSON document naming the KDF (scrypt: N, r, p and a salt) and the cipher (nacl/secretbox
// with a 24-byte nonce) that protect a DER private key. scrypt is OpenSSL 3's EVP_KDF "SCRYPT";
// secretbox is libsodium's crypto_secretbox_open_easy. A password is a secret: no message here
// contains it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "util/error.hpp"

namespace bulwark::trust {

// Whether `text` holds cosign's encrypted private key PEM block.
[[nodiscard]] bool is_encrypted_cosign_key(std::string_view text);

// The private key in `text` as unencrypted PKCS#8 PEM, ready for signing. An encrypted cosign
// key needs `password` (the empty password is a password, as in cosign); a wrong password is
// ErrorCode::auth "wrong password for the encrypted key". `file` names the key in errors.
[[nodiscard]] Result<std::string> decrypt_private_key(std::string_view text, const std::optional<std::string>& password,
                                                      const std::string& file);

// Reads the key file and decrypts it when it is encrypted, with the password from
// `password_file` (its first line) when given, else from the COSIGN_PASSWORD environment
// variable; an encrypted key with neither is an error that says so.
[[nodiscard]] Result<std::string> load_signing_key(const std::string& key_file, const std::string& password_file);

// The public key of a private key (PEM in, SubjectPublicKeyInfo PEM out).
[[nodiscard]] Result<std::string> public_key_of(std::string_view private_key_pem);

}  // namespace bulwark::trust
