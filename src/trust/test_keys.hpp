// Test helpers shared by the trust tests: a fresh key pair as PEM, and writing a file with its
// folders.
#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace bulwark::trust::testing {

struct KeyPair {
  std::string priv, pub;  // PKCS#8 private key and SubjectPublicKeyInfo, PEM
};

// alg: "EC" (P-256) or "ED25519".
inline KeyPair make_key(std::string_view alg = "EC") {
  EVP_PKEY* k = alg == "ED25519" ? EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")
                                 : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  KeyPair kp;
  for (int pub = 0; pub < 2; ++pub) {
    BIO* b = BIO_new(BIO_s_mem());
    if (pub) {
      PEM_write_bio_PUBKEY(b, k);
    } else {
      PEM_write_bio_PrivateKey(b, k, nullptr, nullptr, 0, nullptr, nullptr);
    }
    char* p = nullptr;
    long n = BIO_get_mem_data(b, &p);
    (pub ? kp.pub : kp.priv).assign(p, static_cast<std::size_t>(n));
    BIO_free(b);
  }
  EVP_PKEY_free(k);
  return kp;
}

inline void write(const std::filesystem::path& p, const std::string& s) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << s;
}

}  // namespace bulwark::trust::testing
