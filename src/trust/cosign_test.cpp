// cosign keyed signatures in an OCI layout: bulwark signs, bulwark verifies; a wrong key, a
// tampered payload and a signature moved to another image are refused.
#include <gtest/gtest.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>

#include <unistd.h>

#include "trust/cosign.hpp"
#include "trust/test_keys.hpp"
#include "util/sha256.hpp"

namespace fs = std::filesystem;
using namespace bulwark;

namespace {

using trust::testing::make_key;
using trust::testing::write;

// A minimal but valid OCI layout with two images tagged "1" and "2".
fs::path make_layout() {
  fs::path dir = fs::temp_directory_path() / ("bulwark-trust-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  std::string index = R"({"schemaVersion":2,"manifests":[)";
  for (int i = 1; i <= 2; ++i) {
    std::string config = R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"n":)" +
                         std::to_string(i) + "}";
    std::string cd = util::sha256_hex(config);
    write(dir / "blobs/sha256" / cd, config);
    std::string manifest =
        R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":)" +
        std::to_string(config.size()) + R"(,"digest":"sha256:)" + cd + R"("},"layers":[]})";
    std::string md = util::sha256_hex(manifest);
    write(dir / "blobs/sha256" / md, manifest);
    index += std::string(i > 1 ? "," : "") + R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","size":)" +
             std::to_string(manifest.size()) + R"(,"digest":"sha256:)" + md +
             R"(","annotations":{"org.opencontainers.image.ref.name":")" + std::to_string(i) + R"("}})";
  }
  write(dir / "index.json", index + "]}");
  write(dir / "oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  return dir;
}

}  // namespace

TEST(Cosign, SignThenVerifyInOciLayout) {
  for (const char* alg : {"EC", "ED25519"}) {
    auto dir = make_layout();
    auto key = make_key(alg);
    auto other = make_key(alg);
    EXPECT_FALSE(trust::verify_oci_layout_image(dir, "1", key.pub, "")) << "unsigned image verified";
    auto signed_ = trust::sign_oci_layout_image(dir, "1", key.priv, "127.0.0.1:5000/bulwark-e2e/trust/app");
    ASSERT_TRUE(signed_) << signed_.error().describe();
    auto v = trust::verify_oci_layout_image(dir, "1", key.pub, "127.0.0.1:5000/bulwark-e2e/trust/app:1");
    ASSERT_TRUE(v) << v.error().describe();
    EXPECT_EQ(v->signatures_verified, 1U);
    EXPECT_FALSE(trust::verify_oci_layout_image(dir, "1", other.pub, "")) << "wrong key accepted";
    EXPECT_FALSE(trust::verify_oci_layout_image(dir, "1", key.pub, "127.0.0.1:5000/other/app")) << "wrong reference";
    EXPECT_FALSE(trust::verify_oci_layout_image(dir, "2", key.pub, "")) << "other image accepted";
    fs::remove_all(dir);
  }
}

TEST(Cosign, SimpleSigningPayloadMustNameTheDigest) {
  auto key = make_key("EC");
  std::string payload =
      R"({"critical":{"identity":{"docker-reference":"r/a"},"image":{"docker-manifest-digest":"sha256:aa"},"type":"cosign container image signature"},"optional":null})";
  // Signing here with OpenSSL directly, as an independent signer.
  BIO* b = BIO_new_mem_buf(key.priv.data(), static_cast<int>(key.priv.size()));
  EVP_PKEY* k = PEM_read_bio_PrivateKey(b, nullptr, nullptr, nullptr);
  BIO_free(b);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::size_t len = 0;
  EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, k);
  EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(payload.data()), payload.size());
  std::string sig(len, '\0');
  EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                 reinterpret_cast<const unsigned char*>(payload.data()), payload.size());
  sig.resize(len);
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(k);
  std::string sig_b64(4 * ((sig.size() + 2) / 3) + 1, '\0');
  sig_b64.resize(static_cast<std::size_t>(EVP_EncodeBlock(reinterpret_cast<unsigned char*>(sig_b64.data()),
                                                          reinterpret_cast<const unsigned char*>(sig.data()),
                                                          static_cast<int>(sig.size()))));
  EXPECT_TRUE(trust::verify_simple_signing(payload, sig_b64, key.pub, "sha256:aa", "r/a"));
  EXPECT_FALSE(trust::verify_simple_signing(payload, sig_b64, key.pub, "sha256:bb", "r/a"));
  std::string tampered = payload;
  tampered[tampered.find("r/a")] = 'x';
  EXPECT_FALSE(trust::verify_simple_signing(tampered, sig_b64, key.pub, "sha256:aa", ""));
}

// Signature artifacts are attacker-written: a signature manifest whose layers are not objects
// or whose members have other types ({"layers": [1]} ended the process with json::type_error
// 306, found while writing fuzz_cosign; the layout in fuzz form is
// tests/data/fuzz-regressions/fuzz_cosign/signature-layer-not-an-object), and index.json
// descriptors with a number for a digest or a tag. Each is refused with an error, never thrown.
TEST(Cosign, MistypedSignatureManifestsAndDescriptorsAreRefusedNotThrown) {
  auto key = make_key("EC");
  for (const char* layers : {R"([1])", R"(["x", null, [], {"mediaType": 5}])",
                             R"([{"mediaType": "application/vnd.dev.cosign.simplesigning.v1+json",
                                  "annotations": "x", "digest": 7}])",
                             R"([{"mediaType": "application/vnd.dev.cosign.simplesigning.v1+json",
                                  "annotations": {"dev.cosignproject.cosign/signature": 1}, "digest": []}])"}) {
    auto dir = make_layout();
    ASSERT_TRUE(trust::sign_oci_layout_image(dir, "1", key.priv, "r/a"));
    // Replace the signature manifest (the index entry tagged sha256-<hex>.sig) by a mistyped one.
    std::ifstream in(dir / "index.json");
    std::string index((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::string sm = std::string(R"({"schemaVersion": 2, "layers": )") + layers + "}";
    std::string smd = util::sha256_hex(sm);
    write(dir / "blobs/sha256" / smd, sm);
    auto sig_at = index.rfind(R"("digest":"sha256:)");
    ASSERT_NE(sig_at, std::string::npos);
    index.replace(sig_at + 17, 64, smd);
    write(dir / "index.json", index);
    Result<trust::ImageSignatureVerdict> v = std::unexpected(Error{});
    ASSERT_NO_THROW(v = trust::verify_oci_layout_image(dir, "1", key.pub, "")) << layers;
    EXPECT_FALSE(v) << layers;
    fs::remove_all(dir);
  }
  for (const char* index :
       {R"({"manifests": [{"digest": 5, "annotations": {"org.opencontainers.image.ref.name": 1}}]})",
        R"({"manifests": [{"digest": "x", "annotations": []}]})", R"({"manifests": [1, "a"]})"}) {
    auto dir = make_layout();
    write(dir / "index.json", index);
    ASSERT_NO_THROW((void)trust::verify_oci_layout_image(dir, "", key.pub, "")) << index;
    EXPECT_FALSE(trust::verify_oci_layout_image(dir, "", key.pub, "")) << index;
    EXPECT_FALSE(trust::read_oci_layout_manifest(dir, "")) << index;
    ASSERT_NO_THROW((void)trust::sign_oci_layout_image(dir, "", key.priv, "r/a")) << index;
    EXPECT_FALSE(trust::sign_oci_layout_image(dir, "", key.priv, "r/a")) << index;
    fs::remove_all(dir);
  }
}
