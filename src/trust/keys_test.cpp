// cosign's encrypted private keys, from cosign's own test data (tests/data/cosign-keys,
// password "hello"): decrypted with the right password into a key that signs what its public
// key verifies; a wrong or missing password is a clear error naming the key file and never
// showing the password.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <memory>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "trust/cosign.hpp"
#include "trust/keys.hpp"
#include "trust/test_keys.hpp"
#include "util/files.hpp"

namespace fs = std::filesystem;
using namespace bulwark;

namespace {

const fs::path kKeys = fs::path(BULWARK_SOURCE_DIR) / "tests/data/cosign-keys";

std::string file(const std::string& name) {
  return *util::read_file(kKeys / name, 1 << 20);
}

// The decrypted key signs a DSSE envelope that verifies with `pub`.
void expect_signs_for(const std::string& priv, const std::string& pub) {
  const std::string digest = "sha256:" + std::string(64, 'a');
  auto st = trust::make_in_toto_statement("r/app", digest, "https://example.com/p", "{}");
  ASSERT_TRUE(st) << st.error().describe();
  auto env = trust::sign_dsse_envelope(*st, trust::kInTotoPayloadType, priv);
  ASSERT_TRUE(env) << env.error().describe();
  auto v = trust::verify_dsse_attestation(*env, pub, digest);
  EXPECT_TRUE(v) << v.error().describe();
}

}  // namespace

TEST(CosignKeys, DecryptsSigstoreAndCosignLabelledKeys) {
  for (const char* name : {"sigstore", "cosign-ec"}) {
    SCOPED_TRACE(name);
    const std::string text = file(std::string(name) + ".key");
    EXPECT_TRUE(trust::is_encrypted_cosign_key(text));
    auto pem = trust::decrypt_private_key(text, std::string("hello"), name);
    ASSERT_TRUE(pem) << pem.error().describe();
    EXPECT_TRUE(pem->starts_with("-----BEGIN PRIVATE KEY-----")) << "PKCS#8 out";
    auto pub = trust::public_key_of(*pem);
    ASSERT_TRUE(pub) << pub.error().describe();
    EXPECT_EQ(*pub, file(std::string(name) + ".pub")) << "not the key recorded beside it";
    expect_signs_for(*pem, *pub);
  }
}

TEST(CosignKeys, WrongOrMissingPasswordIsAClearErrorWithoutThePassword) {
  const std::string text = file("sigstore.key");
  auto wrong = trust::decrypt_private_key(text, std::string("not-the-password-xyz"), "keys/cosign.key");
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, ErrorCode::auth);
  const std::string said = wrong.error().describe();
  EXPECT_NE(said.find("keys/cosign.key"), std::string::npos) << said;
  EXPECT_NE(said.find("wrong password"), std::string::npos) << said;
  EXPECT_EQ(said.find("not-the-password-xyz"), std::string::npos) << said;
  auto none = trust::decrypt_private_key(text, std::nullopt, "keys/cosign.key");
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().describe().find("COSIGN_PASSWORD"), std::string::npos) << none.error().describe();
}

TEST(CosignKeys, LoadsFromPasswordFileOrEnvironment) {
  ::unsetenv("COSIGN_PASSWORD");
  auto from_file = trust::load_signing_key((kKeys / "sigstore.key").string(), (kKeys / "password.txt").string());
  ASSERT_TRUE(from_file) << from_file.error().describe();
  ::setenv("COSIGN_PASSWORD", "hello", 1);
  auto from_env = trust::load_signing_key((kKeys / "sigstore.key").string(), "");
  ::unsetenv("COSIGN_PASSWORD");
  ASSERT_TRUE(from_env) << from_env.error().describe();
  EXPECT_EQ(*from_file, *from_env);
  // An unencrypted key needs no password and comes out as PKCS#8 too.
  auto plain = trust::testing::make_key("ED25519");
  auto pem = trust::decrypt_private_key(plain.priv, std::nullopt, "plain.pem");
  ASSERT_TRUE(pem) << pem.error().describe();
  expect_signs_for(*pem, plain.pub);
  // Neither a key nor cosign's format.
  auto junk = trust::decrypt_private_key(
      "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nbm90IGpzb24=\n"
      "-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n",
      std::string("hello"), "junk.key");
  ASSERT_FALSE(junk);
  EXPECT_NE(junk.error().describe().find("junk.key"), std::string::npos);
  EXPECT_FALSE(trust::decrypt_private_key("hello", std::nullopt, "x.key"));
}

// OpenSSL's own encrypted PKCS#8 (ENCRYPTED PRIVATE KEY) takes the same password sources.
TEST(CosignKeys, EncryptedPkcs8KeysToo) {
  auto plain = trust::testing::make_key("EC");
  std::unique_ptr<BIO, decltype(&BIO_free)> in(BIO_new_mem_buf(plain.priv.data(), static_cast<int>(plain.priv.size())),
                                               BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(PEM_read_bio_PrivateKey(in.get(), nullptr, nullptr, nullptr),
                                                          EVP_PKEY_free);
  ASSERT_TRUE(key);
  std::unique_ptr<BIO, decltype(&BIO_free)> out(BIO_new(BIO_s_mem()), BIO_free);
  char pw[] = "pkcs8-pw";
  ASSERT_EQ(PEM_write_bio_PKCS8PrivateKey(out.get(), key.get(), EVP_aes_256_cbc(), pw, 8, nullptr, nullptr), 1);
  char* data = nullptr;
  const long size = BIO_get_mem_data(out.get(), &data);  // before data is read: argument order is unspecified
  const std::string enc(data, static_cast<std::size_t>(size));
  ASSERT_NE(enc.find("ENCRYPTED PRIVATE KEY"), std::string::npos);
  EXPECT_FALSE(trust::is_encrypted_cosign_key(enc));
  auto pem = trust::decrypt_private_key(enc, std::string("pkcs8-pw"), "k.pem");
  ASSERT_TRUE(pem) << pem.error().describe();
  expect_signs_for(*pem, plain.pub);
  auto wrong = trust::decrypt_private_key(enc, std::string("nope-pw"), "k.pem");
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().describe().find("wrong password"), std::string::npos) << wrong.error().describe();
  EXPECT_EQ(wrong.error().describe().find("nope-pw"), std::string::npos);
  EXPECT_FALSE(trust::decrypt_private_key(enc, std::nullopt, "k.pem"));
}
