// cosign keyed signatures (simple signing): the OCI layout's index.json (tags, the
// sha256-<hex>.sig scheme), the image manifest, the signature manifest's layers and their
// annotations, each simple-signing payload (critical.identity.docker-reference,
// critical.image.docker-manifest-digest, critical.type) after its signature verified, and
// the manifest annotations the trust policy reads (read_oci_layout_manifest), and in-toto
// attestations: the sha256-<hex>.att manifest's DSSE layers (verify_oci_layout_attestations)
// and, for a single document, that document as a DSSE payload signed here (the in-toto
// Statement behind the signature) and as a DSSE envelope itself (verify_dsse_attestation).
//
// Input, two forms:
// - one document: a simple-signing payload, signed here and verified against a fixed digest;
// - documents separated by a line "=====": index.json, then blobs, written as an OCI layout
//   (each blob under its sha256). Before that the harness replaces "@D<n>", "@H<n>" and
//   "@S<n>" as fuzz_oci_layout does, and "@G<n>" by the base64 signature of part n made with
//   the harness's key, so that payloads verify and the parsing behind the signature is reached
//   (part n may name only parts after it).
// The input's size picks the key (P-256 or Ed25519), the tag ("" or "latest") and whether the
// docker-reference is checked.
#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "common.hpp"
#include "trust/cosign.hpp"
#include "trust/test_keys.hpp"
#include "util/sha256.hpp"

namespace {

using namespace bulwark;

std::string sign_b64(const std::string& pem, std::string_view msg) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr),
                                                          EVP_PKEY_free);
  const EVP_MD* md = EVP_PKEY_is_a(key.get(), "ED25519") ? nullptr : EVP_sha256();
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  std::size_t len = 0;
  const auto* m = reinterpret_cast<const unsigned char*>(msg.data());
  if (EVP_DigestSignInit(ctx.get(), nullptr, md, nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, m, msg.size()) != 1)
    std::abort();
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, m, msg.size()) != 1) std::abort();
  sig.resize(len);
  std::string out(4 * ((sig.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(sig.data()), static_cast<int>(sig.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// "@G<n>" -> the signature of parts[n], for self < n < parts.size().
std::string substitute_signatures(std::string_view text, const std::vector<std::string>& parts, std::size_t self,
                                  const std::string& key) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '@' && i + 1 < text.size() && text[i + 1] == 'G') {
      std::size_t j = i + 2, n = 0;
      while (j < text.size() && j < i + 4 && text[j] >= '0' && text[j] <= '9') n = n * 10 + (text[j++] - '0');
      if (j > i + 2 && n > self && n < parts.size()) {
        out += sign_b64(key, parts[n]);
        i = j - 1;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

const std::string& layout_dir() {
  static const std::string dir =
      (fuzz::scratch_base() / ("bulwark-fuzz-cosign-" + std::to_string(::getpid()))).string();
  return dir;
}

void write(const std::filesystem::path& p, std::string_view s) {
  if (FILE* f = std::fopen(p.c_str(), "wb")) {
    if (!s.empty()) (void)std::fwrite(s.data(), 1, s.size(), f);
    std::fclose(f);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const trust::testing::KeyPair keys[2] = {trust::testing::make_key("EC"), trust::testing::make_key("ED25519")};
  const auto& key = keys[size & 1];
  const std::string tag = (size & 2) ? "latest" : "";
  const std::string repository = (size & 4) ? "127.0.0.1:5000/fuzz/app" : "";
  auto split = fuzz::split_on(fuzz::as_text(data, size), fuzz::kPartSeparator);
  if (split.size() > 16) return -1;

  if (split.size() == 1) {
    std::string digest = "sha256:" + std::string(64, 'a');
    auto s = trust::verify_simple_signing(split[0], sign_b64(key.priv, split[0]), key.pub, digest, repository);
    if (s && s->manifest_digest != digest) std::abort();
    if (auto env = trust::sign_dsse_envelope(split[0], trust::kInTotoPayloadType, key.priv); env) {
      auto a = trust::verify_dsse_attestation(*env, key.pub, digest);
      if (a && a->statement_json != split[0]) std::abort();
    }
    (void)trust::verify_dsse_attestation(split[0], key.pub, digest);
    return 0;
  }

  std::vector<std::string> parts(split.size()), hex(split.size());
  for (std::size_t k = split.size(); k-- > 0;) {
    std::string p = substitute_signatures(split[k], parts, k, key.priv);
    p = fuzz::substitute(p, hex, parts, k);
    hex[k] = util::sha256_hex(p);
    parts[k] = std::move(p);
  }
  const std::filesystem::path dir = layout_dir();
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  std::filesystem::create_directories(dir / "blobs" / "sha256", ec);
  write(dir / "oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  write(dir / "index.json", parts[0]);
  for (std::size_t k = 1; k < parts.size(); ++k) write(dir / "blobs" / "sha256" / hex[k], parts[k]);

  auto v = trust::verify_oci_layout_image(dir, tag, key.pub, repository);
  if (v && v->signatures_verified == 0) std::abort();  // success needs a verified signature
  (void)trust::read_oci_layout_manifest(dir, tag);
  auto a = trust::verify_oci_layout_attestations(dir, tag, "https://slsa.dev/provenance/v1", key.pub);
  if (a && a->verified.empty()) std::abort();  // success needs a verified attestation
  return 0;
}
