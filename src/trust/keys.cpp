// Private keys: cosign's encrypted key format (scrypt with OpenSSL 3, nacl/secretbox with
// libsodium) and plain PEM, all turned into unencrypted PKCS#8 PEM for signing.
#include "trust/keys.hpp"

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sodium.h>

#include <fmt/format.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>

#include "util/files.hpp"

namespace bulwark::trust {

namespace {

using json = nlohmann::json;

constexpr std::string_view kSigstoreBlock = "ENCRYPTED SIGSTORE PRIVATE KEY";
constexpr std::string_view kCosignBlock = "ENCRYPTED COSIGN PRIVATE KEY";
constexpr std::size_t kMaxKeyFile = 1 << 20;
// scrypt's memory is 128 * N * r bytes; cosign writes N=32768 (or 65536), r=8: 32-64 MiB.
constexpr std::uint64_t kMaxScryptMemory = 512ull << 20;

// Wipes a string's bytes when it goes out of scope (key material, passwords, plaintext keys).
struct Wiped {
  std::string s;
  Wiped() = default;
  explicit Wiped(std::string v) : s(std::move(v)) {}
  Wiped(const Wiped&) = delete;
  Wiped& operator=(const Wiped&) = delete;
  ~Wiped() { OPENSSL_cleanse(s.data(), s.size()); }
};

// The body of the PEM block `-----BEGIN <label>-----`, if present.
std::optional<std::string> pem_body(std::string_view text, std::string_view label) {
  const std::string begin = fmt::format("-----BEGIN {}-----", label);
  const std::string end = fmt::format("-----END {}-----", label);
  auto b = text.find(begin);
  if (b == std::string_view::npos) return std::nullopt;
  auto e = text.find(end, b + begin.size());
  if (e == std::string_view::npos) return std::nullopt;
  std::string body;
  for (char c : text.substr(b + begin.size(), e - b - begin.size())) {
    if (c != '\n' && c != '\r' && c != ' ' && c != '\t') body.push_back(c);
  }
  return body;
}

std::optional<std::string> b64(std::string_view in) {
  if (in.empty() || in.size() % 4 != 0 || in.size() > kMaxKeyFile) return std::nullopt;
  std::string out(in.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  if (n < 0) return std::nullopt;
  std::size_t pad = (in.back() == '=') + (in.size() > 1 && in[in.size() - 2] == '=');
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

std::string b64_field(const json& j, const char* key) {
  auto it = j.is_object() ? j.find(key) : j.end();
  if (it == j.end() || !it->is_string()) return {};
  return b64(it->get<std::string>()).value_or("");
}

// A private key as unencrypted PKCS#8 PEM, in OpenSSL's secure heap until it is returned.
Result<std::string> pkcs8_pem(EVP_PKEY* key, const std::string& file) {
  std::unique_ptr<BIO, decltype(&BIO_free)> out(BIO_new(BIO_s_secmem()), BIO_free);
  if (!out || PEM_write_bio_PrivateKey(out.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
    return fail(ErrorCode::internal, "writing the private key failed", file);
  char* data = nullptr;
  long n = BIO_get_mem_data(out.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

// A DER private key (PKCS#8, or SEC1/PKCS#1 as older cosign keys hold) as PKCS#8 PEM.
Result<std::string> der_to_pkcs8_pem(const std::string& der, const std::string& file) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(der.size())), EVP_PKEY_free);
  if (!key) return fail(ErrorCode::parse, "the decrypted key is not a DER private key", file);
  return pkcs8_pem(key.get(), file);
}

Result<std::string> decrypt_cosign(const std::string& body, const std::string& password, const std::string& file) {
  auto doc_text = b64(body);
  if (!doc_text) return fail(ErrorCode::parse, "the encrypted key's PEM body is not base64", file);
  json doc = json::parse(*doc_text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object())
    return fail(ErrorCode::parse, "the encrypted key's PEM body is not cosign's JSON key document", file);
  const json kdf = doc.value("kdf", json::object());
  const json cipher = doc.value("cipher", json::object());
  if (!kdf.is_object() || kdf.value("name", json()) != "scrypt")
    return fail(ErrorCode::unsupported, "the encrypted key's KDF is not scrypt", file);
  if (!cipher.is_object() || cipher.value("name", json()) != "nacl/secretbox")
    return fail(ErrorCode::unsupported, "the encrypted key's cipher is not nacl/secretbox", file);
  const json params = kdf.value("params", json::object());
  auto number = [&](const char* k) -> std::uint64_t {
    auto it = params.is_object() ? params.find(k) : params.end();
    return it != params.end() && it->is_number_unsigned() ? it->get<std::uint64_t>() : 0;
  };
  const std::uint64_t n = number("N"), r = number("r"), p = number("p");
  if (n < 2 || (n & (n - 1)) != 0 || r == 0 || r > 64 || p == 0 || p > 16 || 128 * n * r > kMaxScryptMemory)
    return fail(ErrorCode::limit,
                fmt::format("the encrypted key's scrypt parameters are out of range (N={}, r={}, p={})", n, r, p),
                file);
  const std::string salt = b64_field(kdf, "salt");
  const std::string nonce = b64_field(cipher, "nonce");
  const std::string sealed = b64_field(doc, "ciphertext");
  if (salt.empty()) return fail(ErrorCode::parse, "the encrypted key has no scrypt salt", file);
  if (nonce.size() != crypto_secretbox_NONCEBYTES)
    return fail(ErrorCode::parse, "the encrypted key's secretbox nonce is not 24 bytes", file);
  if (sealed.size() <= crypto_secretbox_MACBYTES) return fail(ErrorCode::parse, "the encrypted key is empty", file);

  // scrypt(password, salt, N, r, p) -> the 32-byte secretbox key, with OpenSSL 3's KDF.
  Wiped secret(std::string(crypto_secretbox_KEYBYTES, '\0'));
  std::unique_ptr<EVP_KDF, decltype(&EVP_KDF_free)> kdf_impl(EVP_KDF_fetch(nullptr, "SCRYPT", nullptr), EVP_KDF_free);
  if (!kdf_impl) return fail(ErrorCode::internal, "OpenSSL has no SCRYPT KDF", file);
  std::unique_ptr<EVP_KDF_CTX, decltype(&EVP_KDF_CTX_free)> kctx(EVP_KDF_CTX_new(kdf_impl.get()), EVP_KDF_CTX_free);
  std::uint64_t n_param = n, maxmem = kMaxScryptMemory + (1 << 20);
  std::uint32_t r_param = static_cast<std::uint32_t>(r), p_param = static_cast<std::uint32_t>(p);
  const OSSL_PARAM ps[] = {
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, const_cast<char*>(password.data()), password.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<char*>(salt.data()), salt.size()),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n_param),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r_param),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p_param),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem),
      OSSL_PARAM_construct_end()};
  if (!kctx || EVP_KDF_derive(kctx.get(), reinterpret_cast<unsigned char*>(secret.s.data()), secret.s.size(), ps) != 1)
    return fail(ErrorCode::internal, "scrypt key derivation failed", file);

  // nacl/secretbox (XSalsa20-Poly1305; the tag precedes the ciphertext, as libsodium's "easy" API).
  if (sodium_init() < 0) return fail(ErrorCode::internal, "libsodium did not initialise", file);
  Wiped der(std::string(sealed.size() - crypto_secretbox_MACBYTES, '\0'));
  if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(der.s.data()),
                                 reinterpret_cast<const unsigned char*>(sealed.data()), sealed.size(),
                                 reinterpret_cast<const unsigned char*>(nonce.data()),
                                 reinterpret_cast<const unsigned char*>(secret.s.data())) != 0) {
    return fail(ErrorCode::auth, "wrong password for the encrypted cosign key (or the key file is damaged)", file);
  }
  return der_to_pkcs8_pem(der.s, file);
}

// OpenSSL's PEM password callback: the password given, or none (a prompt is never shown).
int password_cb(char* buf, int size, int /*rwflag*/, void* u) {
  const auto* pw = static_cast<const std::optional<std::string>*>(u);
  if (pw == nullptr || !pw->has_value() || (*pw)->size() > static_cast<std::size_t>(size)) return -1;
  std::memcpy(buf, (*pw)->data(), (*pw)->size());
  return static_cast<int>((*pw)->size());
}

}  // namespace

bool is_encrypted_cosign_key(std::string_view text) {
  return pem_body(text, kSigstoreBlock).has_value() || pem_body(text, kCosignBlock).has_value();
}

Result<std::string> decrypt_private_key(std::string_view text, const std::optional<std::string>& password,
                                        const std::string& file) {
  auto body = pem_body(text, kSigstoreBlock);
  if (!body) body = pem_body(text, kCosignBlock);
  if (body) {
    if (!password)
      return fail(ErrorCode::auth,
                  "the key is encrypted (a cosign key): give its password in COSIGN_PASSWORD or --password-file", file);
    return decrypt_cosign(*body, *password, file);
  }
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())), BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, password_cb, const_cast<std::optional<std::string>*>(&password)),
      EVP_PKEY_free);
  if (!key) {
    if (text.find("ENCRYPTED PRIVATE KEY") != std::string_view::npos)
      return fail(ErrorCode::auth,
                  password ? "wrong password for the encrypted PKCS#8 key"
                           : "the key is encrypted (PKCS#8): give its password in COSIGN_PASSWORD or --password-file",
                  file);
    return fail(ErrorCode::parse, "not a PEM private key (PKCS#8, EC, RSA, or cosign's ENCRYPTED SIGSTORE PRIVATE KEY)",
                file);
  }
  return pkcs8_pem(key.get(), file);
}

Result<std::string> load_signing_key(const std::string& key_file, const std::string& password_file) {
  auto text = util::read_file(key_file, kMaxKeyFile);
  if (!text) return std::unexpected(text.error());
  Wiped key_text(std::move(*text));
  std::optional<std::string> password;
  if (!password_file.empty()) {
    auto pw = util::read_file(password_file, 64 << 10);
    if (!pw) return std::unexpected(pw.error());
    Wiped all(std::move(*pw));
    std::string first = all.s.substr(0, all.s.find('\n'));
    if (!first.empty() && first.back() == '\r') first.pop_back();
    password = std::move(first);
  } else if (const char* env = std::getenv("COSIGN_PASSWORD"); env != nullptr) {
    password = std::string(env);
  }
  auto pem = decrypt_private_key(key_text.s, password, key_file);
  if (password) OPENSSL_cleanse(password->data(), password->size());
  return pem;
}

Result<std::string> public_key_of(std::string_view private_key_pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(private_key_pem.data(), static_cast<int>(private_key_pem.size())), BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr),
                                                          EVP_PKEY_free);
  if (!key) return fail(ErrorCode::parse, "not a PEM private key");
  std::unique_ptr<BIO, decltype(&BIO_free)> out(BIO_new(BIO_s_mem()), BIO_free);
  if (!out || PEM_write_bio_PUBKEY(out.get(), key.get()) != 1)
    return fail(ErrorCode::internal, "writing the public key failed");
  char* data = nullptr;
  long n = BIO_get_mem_data(out.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

}  // namespace bulwark::trust
