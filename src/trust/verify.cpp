// Sigstore bundle verification. Every cryptographic operation and all X.509 / CMS / RFC 3161
// parsing is OpenSSL 3; this file only arranges the checks and limits what it reads.
#include "trust/verify.hpp"

#include <openssl/bio.h>
#include <openssl/ct.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ts.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <ctime>
#include <memory>
#include <regex>

#include "util/files.hpp"
#include "util/json_depth.hpp"

namespace bulwark::trust {

namespace detail {
std::vector<std::pair<std::string_view, std::string_view>> embedded_trust_files();
}

std::string_view public_good_trusted_root() {
  for (const auto& [name, content] : detail::embedded_trust_files()) {
    if (name == "public_good_trusted_root.json") return content;
  }
  return {};
}

namespace {

using json = nlohmann::json;
using Bytes = std::string;

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
using Pkey = std::shared_ptr<EVP_PKEY>;
using Cert = std::shared_ptr<X509>;

Pkey wrap(EVP_PKEY* p) {
  return Pkey(p, PkeyFree{});
}
Cert wrap(X509* p) {
  return Cert(p, X509Free{});
}

std::unexpected<Error> refuse(std::string message) {
  return fail(ErrorCode::auth, std::move(message));
}
std::unexpected<Error> malformed(std::string message) {
  return fail(ErrorCode::parse, std::move(message));
}

Result<Bytes> b64(std::string_view in, std::size_t max = 16 << 20) {
  if (in.size() > max) return fail(ErrorCode::limit, "base64 value too large");
  if (in.size() % 4 != 0) return malformed("invalid base64 (length)");
  if (in.empty()) return Bytes{};
  Bytes out(in.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  if (n < 0) return malformed("invalid base64");
  std::size_t pad = 0;
  if (in.back() == '=') ++pad;
  if (in.size() > 1 && in[in.size() - 2] == '=') ++pad;
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

Bytes digest(std::string_view data, const EVP_MD* md = EVP_sha256()) {
  unsigned char buf[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), buf, &len, md, nullptr);
  return Bytes(reinterpret_cast<char*>(buf), len);
}

std::string hex(std::string_view b) {
  std::string out;
  out.reserve(b.size() * 2);
  for (unsigned char c : b) out += fmt::format("{:02x}", c);
  return out;
}

Result<std::int64_t> parse_rfc3339(const std::string& s) {
  std::tm tm{};
  if (s.size() < 20 || s.size() > 40) return malformed("bad timestamp " + s);
  const char* end = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (!end) return malformed("bad timestamp " + s);
  return static_cast<std::int64_t>(timegm(&tm));
}

Result<Pkey> parse_spki_der(std::string_view der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  EVP_PKEY* k = d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size()));
  if (!k) return malformed("unparseable public key");
  return wrap(k);
}

Result<Pkey> parse_pem_key(std::string_view pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  EVP_PKEY* k = PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr);
  if (!k) return malformed("unparseable PEM public key");
  return wrap(k);
}

Result<Cert> parse_cert_der(std::string_view der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  X509* c = d2i_X509(nullptr, &p, static_cast<long>(der.size()));
  if (!c || p != reinterpret_cast<const unsigned char*>(der.data()) + der.size()) {
    X509_free(c);
    return malformed("unparseable certificate");
  }
  return wrap(c);
}

Bytes spki_der(EVP_PKEY* k) {
  unsigned char* out = nullptr;
  int n = i2d_PUBKEY(k, &out);
  Bytes b = n > 0 ? Bytes(reinterpret_cast<char*>(out), static_cast<std::size_t>(n)) : Bytes{};
  OPENSSL_free(out);
  return b;
}

const EVP_MD* md_for(EVP_PKEY* k) {
  if (EVP_PKEY_is_a(k, "ED25519")) return nullptr;
  if (EVP_PKEY_is_a(k, "EC")) {
    int bits = EVP_PKEY_get_bits(k);
    if (bits > 384) return EVP_sha512();
    if (bits > 256) return EVP_sha384();
  }
  return EVP_sha256();
}

// Verifies `sig` over `msg` with the key's customary digest (Ed25519: the message itself).
bool verify_sig(EVP_PKEY* k, std::string_view msg, std::string_view sig, const EVP_MD* md = nullptr,
                bool use_default_md = true) {
  if (use_default_md) md = md_for(k);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, k) != 1) return false;
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                          reinterpret_cast<const unsigned char*>(msg.data()), msg.size()) == 1;
}

// Verifies a signature over a precomputed digest (not possible for Ed25519).
bool verify_prehashed(EVP_PKEY* k, std::string_view dgst, std::string_view sig, const EVP_MD* md) {
  if (EVP_PKEY_is_a(k, "ED25519")) return false;
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(EVP_PKEY_CTX_new(k, nullptr), EVP_PKEY_CTX_free);
  if (!ctx || EVP_PKEY_verify_init(ctx.get()) != 1) return false;
  if (EVP_PKEY_CTX_set_signature_md(ctx.get(), md) != 1) return false;
  return EVP_PKEY_verify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                         reinterpret_cast<const unsigned char*>(dgst.data()), dgst.size()) == 1;
}

// ---- trusted root ------------------------------------------------------------------------

struct Validity {
  std::int64_t start = 0;
  std::optional<std::int64_t> end;
  bool covers(std::int64_t t) const { return t >= start && (!end || t <= *end); }
};

struct LogKey {
  Bytes key_id;
  Pkey key;
  Validity valid;
  std::string base_url;
};

struct Authority {
  std::vector<Cert> chain;  // leaf (or intermediate) first, root last
  Validity valid;
};

struct TrustedRoot {
  std::vector<LogKey> tlogs, ctlogs;
  std::vector<Authority> cas, tsas;
};

Result<Validity> parse_validity(const json& j, bool required) {
  Validity v;
  if (!j.is_object() || !j.contains("start") || !j["start"].is_string()) {
    if (required) return malformed("trusted root: validFor.start missing");
    return v;
  }
  auto s = parse_rfc3339(j["start"].get<std::string>());
  if (!s) return std::unexpected(s.error());
  v.start = *s;
  if (j.contains("end") && j["end"].is_string()) {
    auto e = parse_rfc3339(j["end"].get<std::string>());
    if (!e) return std::unexpected(e.error());
    v.end = *e;
  }
  return v;
}

Result<std::vector<LogKey>> parse_logs(const json& arr) {
  std::vector<LogKey> out;
  if (!arr.is_array()) return out;
  if (arr.size() > 64) return fail(ErrorCode::limit, "trusted root: too many logs");
  for (const auto& l : arr) {
    LogKey k;
    const auto& pk = l.value("publicKey", json::object());
    auto raw = b64(pk.value("rawBytes", ""));
    if (!raw) return std::unexpected(raw.error());
    auto key = parse_spki_der(*raw);
    if (!key) continue;  // a key type OpenSSL cannot load is skipped, never trusted
    k.key = *key;
    auto valid = parse_validity(pk.value("validFor", json::object()), true);
    if (!valid) continue;  // a log without a validity start is not trusted
    k.valid = *valid;
    auto id = b64(l.value("logId", json::object()).value("keyId", ""));
    if (!id) return std::unexpected(id.error());
    k.key_id = *id;
    k.base_url = l.value("baseUrl", "");
    out.push_back(std::move(k));
  }
  return out;
}

Result<std::vector<Authority>> parse_authorities(const json& arr) {
  std::vector<Authority> out;
  if (!arr.is_array()) return out;
  if (arr.size() > 64) return fail(ErrorCode::limit, "trusted root: too many authorities");
  for (const auto& a : arr) {
    Authority au;
    const auto& certs = a.value("certChain", json::object()).value("certificates", json::array());
    if (!certs.is_array() || certs.empty() || certs.size() > 10) continue;
    bool ok = true;
    for (const auto& c : certs) {
      auto raw = b64(c.value("rawBytes", ""));
      if (!raw) return std::unexpected(raw.error());
      auto cert = parse_cert_der(*raw);
      if (!cert) {
        ok = false;
        break;
      }
      au.chain.push_back(*cert);
    }
    auto valid = parse_validity(a.value("validFor", json::object()), true);
    if (!ok || !valid) continue;
    au.valid = *valid;
    out.push_back(std::move(au));
  }
  return out;
}

Result<TrustedRoot> parse_trusted_root(std::string_view text, const Limits& limits) {
  if (text.size() > limits.max_trusted_root_bytes) return fail(ErrorCode::limit, "trusted root too large");
  if (util::json_depth(text, 33) > 32) return fail(ErrorCode::limit, "trusted root nested too deeply");
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return malformed("trusted root is not JSON");
  TrustedRoot r;
  try {
    auto t = parse_logs(j.value("tlogs", json::array()));
    if (!t) return std::unexpected(t.error());
    r.tlogs = std::move(*t);
    auto c = parse_logs(j.value("ctlogs", json::array()));
    if (!c) return std::unexpected(c.error());
    r.ctlogs = std::move(*c);
    auto ca = parse_authorities(j.value("certificateAuthorities", json::array()));
    if (!ca) return std::unexpected(ca.error());
    r.cas = std::move(*ca);
    auto ts = parse_authorities(j.value("timestampAuthorities", json::array()));
    if (!ts) return std::unexpected(ts.error());
    r.tsas = std::move(*ts);
  } catch (const json::exception& e) {
    return malformed(std::string("trusted root: ") + e.what());
  }
  return r;
}

// ---- X.509 helpers -------------------------------------------------------------------------

std::optional<std::string> ext_value(X509* c, const char* oid, bool der_utf8) {
  std::unique_ptr<ASN1_OBJECT, decltype(&ASN1_OBJECT_free)> obj(OBJ_txt2obj(oid, 1), ASN1_OBJECT_free);
  if (!obj) return std::nullopt;
  int idx = X509_get_ext_by_OBJ(c, obj.get(), -1);
  if (idx < 0) return std::nullopt;
  ASN1_OCTET_STRING* data = X509_EXTENSION_get_data(X509_get_ext(c, idx));
  const unsigned char* p = ASN1_STRING_get0_data(data);
  int len = ASN1_STRING_length(data);
  if (!der_utf8) return std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(len));
  ASN1_UTF8STRING* s = d2i_ASN1_UTF8STRING(nullptr, &p, len);
  if (!s) return std::nullopt;
  std::string out(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                  static_cast<std::size_t>(ASN1_STRING_length(s)));
  ASN1_UTF8STRING_free(s);
  return out;
}

std::string fulcio_ext(X509* c, int v2, int v1) {
  if (auto v = ext_value(c, fmt::format("1.3.6.1.4.1.57264.1.{}", v2).c_str(), true)) return *v;
  if (v1 > 0) {
    if (auto v = ext_value(c, fmt::format("1.3.6.1.4.1.57264.1.{}", v1).c_str(), false)) return *v;
  }
  return {};
}

std::string san_identity(X509* c) {
  auto* names = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(c, NID_subject_alt_name, nullptr, nullptr));
  if (!names) return {};
  std::string out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names) && out.empty(); ++i) {
    GENERAL_NAME* n = sk_GENERAL_NAME_value(names, i);
    if (n->type == GEN_URI || n->type == GEN_EMAIL) {
      ASN1_IA5STRING* s = n->type == GEN_URI ? n->d.uniformResourceIdentifier : n->d.rfc822Name;
      out.assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                 static_cast<std::size_t>(ASN1_STRING_length(s)));
    } else if (n->type == GEN_OTHERNAME) {
      // Fulcio's "username" SAN (1.3.6.1.4.1.57264.1.7), a UTF8String.
      ASN1_TYPE* v = n->d.otherName->value;
      if (v && v->type == V_ASN1_UTF8STRING) {
        out.assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(v->value.utf8string)),
                   static_cast<std::size_t>(ASN1_STRING_length(v->value.utf8string)));
      }
    }
  }
  GENERAL_NAMES_free(names);
  return out;
}

std::int64_t asn1_time_unix(const ASN1_TIME* t) {
  std::tm tm{};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return 0;
  return static_cast<std::int64_t>(timegm(&tm));
}

bool self_signed(X509* c) {
  return X509_check_issued(c, c) == X509_V_OK;
}

// Verifies `leaf` against one of the authorities at time `t`; returns the issuer of the leaf.
Result<Cert> verify_chain(X509* leaf, const std::vector<Cert>& extra, const std::vector<Authority>& cas,
                          std::int64_t t) {
  std::string last_error = "no certificate authority in the trusted root";
  for (const auto& ca : cas) {
    if (!ca.valid.covers(t)) {
      last_error = "certificate authority not valid at the signing time";
      continue;
    }
    std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)> store(X509_STORE_new(), X509_STORE_free);
    std::unique_ptr<STACK_OF(X509), void (*)(STACK_OF(X509)*)> untrusted(sk_X509_new_null(),
                                                                         [](STACK_OF(X509) * s) { sk_X509_free(s); });
    X509_STORE_add_cert(store.get(), ca.chain.back().get());
    for (std::size_t i = 0; i + 1 < ca.chain.size(); ++i) sk_X509_push(untrusted.get(), ca.chain[i].get());
    for (const auto& c : extra) sk_X509_push(untrusted.get(), c.get());
    std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> ctx(X509_STORE_CTX_new(), X509_STORE_CTX_free);
    X509_STORE_CTX_init(ctx.get(), store.get(), leaf, untrusted.get());
    X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
    X509_VERIFY_PARAM_set_time(param, static_cast<time_t>(t));
    X509_VERIFY_PARAM_set_purpose(param, X509_PURPOSE_ANY);
    if (X509_verify_cert(ctx.get()) == 1) {
      STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(ctx.get());
      if (sk_X509_num(chain) < 2) return refuse("certificate chain too short");
      X509* issuer = sk_X509_value(chain, 1);
      X509_up_ref(issuer);
      return wrap(issuer);
    }
    last_error =
        std::string("certificate chain: ") + X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get()));
  }
  return refuse(last_error);
}

void put_be(Bytes& out, std::uint64_t v, int n) {
  for (int i = n - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// At least one embedded SCT must verify against a CT log key of the trusted root.
Status verify_scts(X509* leaf, X509* issuer, const std::vector<LogKey>& ctlogs) {
  auto* scts = static_cast<STACK_OF(SCT)*>(X509_get_ext_d2i(leaf, NID_ct_precert_scts, nullptr, nullptr));
  if (!scts) return refuse("certificate carries no SCT");
  std::unique_ptr<STACK_OF(SCT), decltype(&SCT_LIST_free)> guard(scts, SCT_LIST_free);
  Cert pre = wrap(X509_dup(leaf));
  int idx = X509_get_ext_by_NID(pre.get(), NID_ct_precert_scts, -1);
  if (idx < 0) return refuse("certificate carries no SCT");
  X509_EXTENSION_free(X509_delete_ext(pre.get(), idx));
  unsigned char* tbs = nullptr;
  int tbs_len = i2d_re_X509_tbs(pre.get(), &tbs);
  if (tbs_len <= 0) return malformed("cannot encode the precertificate");
  Bytes tbs_der(reinterpret_cast<char*>(tbs), static_cast<std::size_t>(tbs_len));
  OPENSSL_free(tbs);
  unsigned char* ik = nullptr;
  int ik_len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(issuer), &ik);
  Bytes issuer_key_hash = digest(std::string_view(reinterpret_cast<char*>(ik), static_cast<std::size_t>(ik_len)));
  OPENSSL_free(ik);
  for (int i = 0; i < sk_SCT_num(scts) && i < 16; ++i) {
    SCT* sct = sk_SCT_value(scts, i);
    unsigned char* id = nullptr;
    std::size_t id_len = SCT_get0_log_id(sct, &id);
    Bytes log_id(reinterpret_cast<char*>(id), id_len);
    std::uint64_t ts = SCT_get_timestamp(sct);
    for (const auto& log : ctlogs) {
      if (log.key_id != log_id) continue;
      if (!log.valid.covers(static_cast<std::int64_t>(ts / 1000))) continue;
      Bytes msg;
      msg.push_back(0);  // v1
      msg.push_back(0);  // certificate_timestamp
      put_be(msg, ts, 8);
      put_be(msg, 1, 2);  // precert_entry
      msg += issuer_key_hash;
      put_be(msg, tbs_der.size(), 3);
      msg += tbs_der;
      unsigned char* ext = nullptr;
      std::size_t ext_len = SCT_get0_extensions(sct, &ext);
      put_be(msg, ext_len, 2);
      msg.append(reinterpret_cast<char*>(ext), ext_len);
      unsigned char* sig = nullptr;
      std::size_t sig_len = SCT_get0_signature(sct, &sig);
      if (verify_sig(log.key.get(), msg, std::string_view(reinterpret_cast<char*>(sig), sig_len), EVP_sha256(),
                     false)) {
        return {};
      }
    }
  }
  return refuse("no SCT verifies against a CT log of the trusted root");
}

// ---- transparency log ----------------------------------------------------------------------

Bytes hash_children(const Bytes& l, const Bytes& r) {
  Bytes in(1, '\x01');
  in += l;
  in += r;
  return digest(in);
}

// RFC 9162 2.1.3.2.
bool verify_inclusion(std::uint64_t index, std::uint64_t size, const Bytes& leaf, const std::vector<Bytes>& path,
                      const Bytes& root) {
  if (index >= size) return false;
  std::uint64_t fn = index, sn = size - 1;
  Bytes r = leaf;
  for (const auto& p : path) {
    if (sn == 0) return false;
    if ((fn & 1) || fn == sn) {
      r = hash_children(p, r);
      if (!(fn & 1)) {
        while (!(fn & 1) && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      r = hash_children(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && r == root;
}

struct Checkpoint {
  std::string origin;
  std::uint64_t size = 0;
  Bytes root_hash;
};

// A signed note (C2SP signed-note / tlog-checkpoint); one signature must verify with `log`.
Result<Checkpoint> verify_checkpoint(const std::string& envelope, const LogKey& log) {
  if (envelope.size() > 64 << 10) return fail(ErrorCode::limit, "checkpoint too large");
  auto split = envelope.find("\n\n");
  if (split == std::string::npos) return malformed("checkpoint has no signatures");
  std::string text = envelope.substr(0, split + 1);
  std::vector<std::string> lines;
  for (std::size_t pos = 0; pos < text.size();) {
    auto nl = text.find('\n', pos);
    lines.push_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  if (lines.size() < 3) return malformed("checkpoint lacks origin, size or root hash");
  Checkpoint cp;
  cp.origin = lines[0];
  if (cp.origin.empty()) return malformed("checkpoint has no origin");
  if (lines[1].empty() || lines[1].size() > 20 || !std::all_of(lines[1].begin(), lines[1].end(), ::isdigit)) {
    return malformed("checkpoint size is not a number");
  }
  cp.size = std::stoull(lines[1]);
  auto rh = b64(lines[2]);
  if (!rh || rh->size() != 32) return malformed("checkpoint root hash is not 32 bytes");
  cp.root_hash = *rh;
  Bytes spki = spki_der(log.key.get());
  const std::string dash = "\xe2\x80\x94 ";
  std::size_t pos = split + 2;
  int count = 0;
  while (pos < envelope.size() && count++ < 16) {
    auto nl = envelope.find('\n', pos);
    std::string line = envelope.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    pos = nl == std::string::npos ? envelope.size() : nl + 1;
    if (line.rfind(dash, 0) != 0) continue;
    auto sp = line.find(' ', dash.size());
    if (sp == std::string::npos) continue;
    std::string name = line.substr(dash.size(), sp - dash.size());
    auto sig = b64(line.substr(sp + 1));
    if (!sig || sig->size() < 5) continue;
    Bytes hint = sig->substr(0, 4);
    Bytes hint_a = log.key_id.substr(0, 4);
    // The note key hint: SHA-256(name "\n" type-byte key)[:4]; type 0x01 for Ed25519, 0x02 otherwise.
    Bytes raw_key;
    unsigned char type = 0x02;
    if (EVP_PKEY_is_a(log.key.get(), "ED25519")) {
      type = 0x01;
      raw_key.resize(32);
      std::size_t len = 32;
      EVP_PKEY_get_raw_public_key(log.key.get(), reinterpret_cast<unsigned char*>(raw_key.data()), &len);
    } else {
      raw_key = spki;
    }
    Bytes hint_b = digest(name + "\n" + static_cast<char>(type) + raw_key).substr(0, 4);
    if (hint != hint_a && hint != hint_b) continue;
    if (verify_sig(log.key.get(), text, std::string_view(*sig).substr(4))) return cp;
  }
  return refuse("no checkpoint signature verifies with the log's key");
}

std::string canonical_set_payload(const std::string& body_b64, std::int64_t integrated, const Bytes& log_id,
                                  std::int64_t index) {
  return fmt::format(R"({{"body":"{}","integratedTime":{},"logID":"{}","logIndex":{}}})", body_b64, integrated,
                     hex(log_id), index);
}

Result<std::int64_t> parse_int(const json& v, const char* what) {
  if (v.is_number_integer()) return v.get<std::int64_t>();
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    if (s.empty() || s.size() > 19) return malformed(fmt::format("{} is not an integer", what));
    std::size_t i = s[0] == '-' ? 1 : 0;
    if (i == s.size() || !std::all_of(s.begin() + static_cast<long>(i), s.end(), ::isdigit)) {
      return malformed(fmt::format("{} is not an integer", what));
    }
    return std::stoll(s);
  }
  if (v.is_null()) return 0;
  return malformed(fmt::format("{} is not an integer", what));
}

// What the bundle says was signed, to compare with the log entry's body.
struct Signed {
  bool dsse = false;
  Bytes signature;        // message signature, or the (single) DSSE signature
  Bytes artifact_sha256;  // message digest (raw)
  Bytes payload;          // DSSE payload
  Bytes pae_sha256;       // SHA-256 of the DSSE PAE (Rekor v2 hashedrekord-over-DSSE)
  std::string payload_type;
  Bytes verifier_der;  // leaf certificate DER or SPKI DER
  bool verifier_is_cert = false;
};

Bytes pem_to_der(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  char* name = nullptr;
  char* header = nullptr;
  unsigned char* data = nullptr;
  long len = 0;
  if (PEM_read_bio(bio.get(), &name, &header, &data, &len) != 1) return {};
  Bytes out(reinterpret_cast<char*>(data), static_cast<std::size_t>(len));
  OPENSSL_free(name);
  OPENSSL_free(header);
  OPENSSL_free(data);
  return out;
}

bool verifier_matches(const Signed& s, const Bytes& der) {
  if (der == s.verifier_der) return true;
  if (s.verifier_is_cert) return false;
  // The body may hold the key as a certificate while the bundle holds the key (or vice versa).
  return false;
}

Status check_body(const json& body, const std::string& kind, const std::string& version, const Signed& s) {
  std::string bkind = body.value("kind", "");
  std::string bver = body.value("apiVersion", "");
  if (bkind != kind || bver != version) return refuse("log entry kind/version differ from its body");
  const json& spec = body.value("spec", json::object());
  if (kind == "hashedrekord" && version == "0.0.1") {
    if (s.dsse) return refuse("hashedrekord entry for a DSSE bundle");
    auto sig = b64(spec.value("signature", json::object()).value("content", ""));
    if (!sig || *sig != s.signature) return refuse("log entry signature differs from the bundle's");
    auto pem = b64(spec.value("signature", json::object()).value("publicKey", json::object()).value("content", ""));
    if (!pem || !verifier_matches(s, pem_to_der(*pem))) return refuse("log entry key differs from the bundle's");
    const json& h = spec.value("data", json::object()).value("hash", json::object());
    if (h.value("algorithm", "") != "sha256" || h.value("value", "") != hex(s.artifact_sha256)) {
      return refuse("log entry artifact digest differs from the bundle's");
    }
    return {};
  }
  if (kind == "hashedrekord" && version == "0.0.2") {
    // Rekor v2 logs a DSSE envelope as a hashedrekord over the hash of its PAE.
    const json& v = spec.value("hashedRekordV002", json::object());
    auto dg = b64(v.value("data", json::object()).value("digest", ""));
    if (!dg || *dg != (s.dsse ? s.pae_sha256 : s.artifact_sha256))
      return refuse("log entry artifact digest differs from the bundle's");
    const json& sg = v.value("signature", json::object());
    auto sig = b64(sg.value("content", ""));
    if (!sig || *sig != s.signature) return refuse("log entry signature differs from the bundle's");
    const json& ver = sg.value("verifier", json::object());
    std::string raw = ver.contains("x509Certificate") ? ver["x509Certificate"].value("rawBytes", "")
                                                      : ver.value("publicKey", json::object()).value("rawBytes", "");
    auto der = b64(raw);
    if (!der || !verifier_matches(s, *der)) return refuse("log entry key differs from the bundle's");
    return {};
  }
  if (!s.dsse) return refuse("log entry kind " + kind + " for a message signature");
  Bytes payload_hash = digest(s.payload);
  if (kind == "dsse" && version == "0.0.1") {
    const json& ph = spec.value("payloadHash", json::object());
    if (ph.value("value", "") != hex(payload_hash)) return refuse("log entry payload hash differs");
    const json& sigs = spec.value("signatures", json::array());
    if (!sigs.is_array() || sigs.size() != 1) return refuse("log entry signature count differs");
    auto sig = b64(sigs[0].value("signature", ""));
    auto pem = b64(sigs[0].value("verifier", ""));
    if (!sig || *sig != s.signature) return refuse("log entry signature differs from the envelope's");
    if (!pem || !verifier_matches(s, pem_to_der(*pem))) return refuse("log entry key differs from the bundle's");
    return {};
  }
  if (kind == "dsse" && version == "0.0.2") {
    const json& v = spec.value("dsseV002", json::object());
    auto ph = b64(v.value("payloadHash", json::object()).value("digest", ""));
    if (!ph || *ph != payload_hash) return refuse("log entry payload hash differs");
    const json& sigs = v.value("signatures", json::array());
    if (!sigs.is_array() || sigs.size() != 1) return refuse("log entry signature count differs");
    auto sig = b64(sigs[0].value("content", ""));
    if (!sig || *sig != s.signature) return refuse("log entry signature differs from the envelope's");
    const json& ver = sigs[0].value("verifier", json::object());
    std::string raw = ver.contains("x509Certificate") ? ver["x509Certificate"].value("rawBytes", "")
                                                      : ver.value("publicKey", json::object()).value("rawBytes", "");
    auto der = b64(raw);
    if (!der || !verifier_matches(s, *der)) return refuse("log entry key differs from the bundle's");
    return {};
  }
  if (kind == "intoto" && version == "0.0.2") {
    const json& c = spec.value("content", json::object());
    if (c.value("payloadHash", json::object()).value("value", "") != hex(payload_hash)) {
      return refuse("log entry payload hash differs");
    }
    const json& env = c.value("envelope", json::object());
    if (env.value("payloadType", "") != s.payload_type) return refuse("log entry payload type differs");
    const json& sigs = env.value("signatures", json::array());
    if (!sigs.is_array() || sigs.size() != 1) return refuse("log entry signature count differs");
    auto sig_b64 = b64(sigs[0].value("sig", ""));
    if (!sig_b64) return refuse("log entry signature malformed");
    auto sig = b64(*sig_b64);
    if (!sig || *sig != s.signature) return refuse("log entry signature differs from the envelope's");
    auto pem = b64(sigs[0].value("publicKey", ""));
    if (!pem || !verifier_matches(s, pem_to_der(*pem))) return refuse("log entry key differs from the bundle's");
    return {};
  }
  return fail(ErrorCode::unsupported, fmt::format("log entry kind {} {} not supported", kind, version));
}

// ---- RFC 3161 ------------------------------------------------------------------------------

Result<std::int64_t> verify_timestamp(const Bytes& der, const Bytes& signature, const std::vector<Authority>& tsas) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  std::unique_ptr<TS_RESP, decltype(&TS_RESP_free)> resp(d2i_TS_RESP(nullptr, &p, static_cast<long>(der.size())),
                                                         TS_RESP_free);
  if (!resp) return malformed("RFC 3161 timestamp unparseable");
  TS_TST_INFO* info = TS_RESP_get_tst_info(resp.get());
  if (!info) return malformed("RFC 3161 timestamp without TSTInfo");
  std::int64_t gen = asn1_time_unix(TS_TST_INFO_get_time(info));
  if (gen == 0) return malformed("RFC 3161 timestamp without a time");
  for (const auto& tsa : tsas) {
    if (!tsa.valid.covers(gen)) continue;
    std::unique_ptr<TS_VERIFY_CTX, decltype(&TS_VERIFY_CTX_free)> ctx(TS_VERIFY_CTX_new(), TS_VERIFY_CTX_free);
    X509_STORE* store = X509_STORE_new();
    X509_STORE_add_cert(store, tsa.chain.back().get());
    X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(store), static_cast<time_t>(gen));
    X509_VERIFY_PARAM_set_purpose(X509_STORE_get0_param(store), X509_PURPOSE_TIMESTAMP_SIGN);
    TS_VERIFY_CTX_set_store(ctx.get(), store);
    STACK_OF(X509)* certs = sk_X509_new_null();
    for (std::size_t i = 0; i + 1 < tsa.chain.size(); ++i) {
      X509_up_ref(tsa.chain[i].get());
      sk_X509_push(certs, tsa.chain[i].get());
    }
    TS_VERIFY_CTX_set_certs(ctx.get(), certs);
    TS_VERIFY_CTX_set_data(ctx.get(), BIO_new_mem_buf(signature.data(), static_cast<int>(signature.size())));
    TS_VERIFY_CTX_add_flags(ctx.get(), TS_VFY_VERSION | TS_VFY_SIGNER | TS_VFY_DATA);
    if (TS_RESP_verify_response(ctx.get(), resp.get()) == 1) {
      // The signing certificate (the chain's first) must be valid at the time it stamped.
      X509* signer = tsa.chain.front().get();
      if (gen < asn1_time_unix(X509_get0_notBefore(signer)) || gen > asn1_time_unix(X509_get0_notAfter(signer))) {
        continue;
      }
      return gen;
    }
  }
  return refuse("no RFC 3161 timestamp verifies against a timestamp authority of the trusted root");
}

// ---- DSSE / in-toto ------------------------------------------------------------------------

Bytes pae(const std::string& type, const Bytes& payload) {
  return fmt::format("DSSEv1 {} {} {} ", type.size(), type, payload.size()) + payload;
}

bool match(const std::string& value, const std::string& exact, const std::string& re) {
  if (!exact.empty() && value != exact) return false;
  if (!re.empty()) {
    try {
      if (!std::regex_search(value, std::regex(re))) return false;
    } catch (const std::regex_error&) {
      return false;
    }
  }
  return true;
}

Result<Verdict> verify_impl(std::string_view bundle_json, std::optional<std::string_view> artifact,
                            Bytes artifact_sha256, const VerifyOptions& o) {
  const Limits& lim = o.limits;
  if (bundle_json.size() > lim.max_bundle_bytes) return fail(ErrorCode::limit, "bundle too large");
  if (util::json_depth(bundle_json, 33) > 32) return fail(ErrorCode::limit, "bundle nested too deeply");
  json b = json::parse(bundle_json, nullptr, false);
  if (b.is_discarded() || !b.is_object()) return malformed("bundle is not JSON");
  Verdict v;
  try {
    v.bundle_media_type = b.value("mediaType", "");
    int minor = -1;
    if (v.bundle_media_type == "application/vnd.dev.sigstore.bundle+json;version=0.1") minor = 1;
    if (v.bundle_media_type == "application/vnd.dev.sigstore.bundle+json;version=0.2") minor = 2;
    if (v.bundle_media_type == "application/vnd.dev.sigstore.bundle+json;version=0.3" ||
        v.bundle_media_type == "application/vnd.dev.sigstore.bundle.v0.3+json") {
      minor = 3;
    }
    if (minor < 0) return fail(ErrorCode::unsupported, "unknown bundle media type " + v.bundle_media_type);

    auto root = parse_trusted_root(o.trusted_root_json.empty() ? public_good_trusted_root() : o.trusted_root_json, lim);
    if (!root) return std::unexpected(root.error().within("trusted root"));

    const json& vm = b.value("verificationMaterial", json::object());
    Signed s;
    Pkey key;
    Cert leaf;
    std::vector<Cert> extra;
    if (!o.public_key_pem.empty()) {
      auto k = parse_pem_key(o.public_key_pem);
      if (!k) return std::unexpected(k.error());
      key = *k;
      s.verifier_der = spki_der(key.get());
      if (vm.contains("x509CertificateChain") || vm.contains("certificate")) {
        return refuse("bundle holds a certificate, but a key was given");
      }
    } else {
      if (vm.contains("publicKey")) return refuse("bundle is signed with a key: verification needs --key");
      std::vector<Bytes> ders;
      if (vm.contains("certificate")) {
        auto d = b64(vm["certificate"].value("rawBytes", ""));
        if (!d) return std::unexpected(d.error());
        ders.push_back(*d);
      } else if (vm.contains("x509CertificateChain")) {
        const json& certs = vm["x509CertificateChain"].value("certificates", json::array());
        if (!certs.is_array() || certs.size() > lim.max_certificates)
          return fail(ErrorCode::limit, "too many certificates");
        for (const auto& c : certs) {
          auto d = b64(c.value("rawBytes", ""));
          if (!d) return std::unexpected(d.error());
          ders.push_back(*d);
        }
      }
      if (ders.empty()) return refuse("bundle has no signing certificate");
      for (std::size_t i = 0; i < ders.size(); ++i) {
        auto c = parse_cert_der(ders[i]);
        if (!c) return std::unexpected(c.error());
        if (self_signed(c->get())) return refuse("bundle carries a root certificate in its chain");
        if (i == 0) {
          leaf = *c;
        } else {
          extra.push_back(*c);
        }
      }
      key = wrap(X509_get_pubkey(leaf.get()));
      if (!key) return malformed("certificate without a usable public key");
      s.verifier_der = ders[0];
      s.verifier_is_cert = true;
    }
    v.key_id = hex(digest(spki_der(key.get())));

    // The signature over the content.
    if (b.contains("messageSignature")) {
      const json& ms = b["messageSignature"];
      auto sig = b64(ms.value("signature", ""));
      if (!sig) return refuse("message signature is not base64");
      s.signature = *sig;
      s.artifact_sha256 = artifact_sha256;
      if (ms.contains("messageDigest")) {
        auto d = b64(ms["messageDigest"].value("digest", ""));
        if (!d || *d != artifact_sha256)
          return fail(ErrorCode::digest_mismatch, "bundle's message digest is not the artifact's");
      }
      bool ok = artifact ? verify_sig(key.get(), *artifact, s.signature)
                         : verify_prehashed(key.get(), artifact_sha256, s.signature, EVP_sha256());
      if (!ok) return refuse("signature does not verify over the artifact");
      v.checks.push_back("message signature");
    } else if (b.contains("dsseEnvelope")) {
      const json& env = b["dsseEnvelope"];
      s.dsse = true;
      auto payload = b64(env.value("payload", ""), lim.max_dsse_payload_bytes);
      if (!payload) return std::unexpected(payload.error());
      s.payload = *payload;
      s.payload_type = env.value("payloadType", "");
      const json& sigs = env.value("signatures", json::array());
      if (!sigs.is_array() || sigs.size() != 1) return refuse("DSSE envelope must carry exactly one signature");
      auto sig = b64(sigs[0].value("sig", ""));
      if (!sig) return refuse("DSSE signature is not base64");
      s.signature = *sig;
      Bytes signed_pae = pae(s.payload_type, s.payload);
      s.pae_sha256 = digest(signed_pae);
      if (!verify_sig(key.get(), signed_pae, s.signature)) {
        return refuse("DSSE signature does not verify");
      }
      v.checks.push_back("DSSE signature");
      if (s.payload_type == "application/vnd.in-toto+json") {
        if (util::json_depth(s.payload, 65) > 64) return fail(ErrorCode::limit, "in-toto statement nested too deeply");
        json st = json::parse(s.payload, nullptr, false);
        if (st.is_discarded() || !st.is_object()) return malformed("in-toto statement is not JSON");
        Attestation a;
        a.payload_type = s.payload_type;
        a.predicate_type = st.value("predicateType", "");
        a.statement_json = s.payload;
        bool subject_ok = false;
        const json& subj = st.value("subject", json::array());
        if (!subj.is_array() || subj.size() > 1024) return fail(ErrorCode::limit, "too many in-toto subjects");
        for (const auto& sub : subj) {
          std::string d = sub.value("digest", json::object()).value("sha256", "");
          a.subjects.emplace_back(sub.value("name", ""), "sha256:" + d);
          if (d == hex(artifact_sha256)) subject_ok = true;
        }
        if (!subject_ok) return fail(ErrorCode::digest_mismatch, "no in-toto subject has the artifact's digest");
        v.checks.push_back("in-toto subject digest");
        v.attestation = std::move(a);
      } else {
        return fail(ErrorCode::unsupported, "DSSE payload type " + s.payload_type + " is not in-toto");
      }
    } else {
      return malformed("bundle has neither messageSignature nor dsseEnvelope");
    }

    // Transparency log entries and timestamps: the verified times.
    std::vector<std::int64_t> times;
    const json& entries = vm.value("tlogEntries", json::array());
    if (!entries.is_array() || entries.size() > lim.max_tlog_entries)
      return fail(ErrorCode::limit, "too many tlog entries");
    auto now = static_cast<std::int64_t>(std::time(nullptr));
    for (const auto& e : entries) {
      auto log_index = parse_int(e.value("logIndex", json()), "logIndex");
      if (!log_index) return std::unexpected(log_index.error());
      if (*log_index < 0) return refuse("negative log index");
      auto log_id = b64(e.value("logId", json::object()).value("keyId", ""));
      if (!log_id) return std::unexpected(log_id.error());
      const LogKey* log = nullptr;
      for (const auto& l : root->tlogs) {
        if (l.key_id == *log_id) log = &l;
      }
      if (!log) return refuse("log entry from a transparency log not in the trusted root");
      std::string body_b64 = e.value("canonicalizedBody", "");
      auto body = b64(body_b64);
      if (!body) return std::unexpected(body.error());
      json bj = json::parse(*body, nullptr, false);
      if (bj.is_discarded() || !bj.is_object()) return malformed("log entry body is not JSON");
      const json& kv = e.value("kindVersion", json::object());
      if (auto st = check_body(bj, kv.value("kind", ""), kv.value("version", ""), s); !st) {
        return std::unexpected(st.error());
      }
      auto integrated = parse_int(e.value("integratedTime", json()), "integratedTime");
      if (!integrated) return std::unexpected(integrated.error());
      bool have_set = false, have_proof = false;
      if (e.contains("inclusionPromise")) {
        auto set = b64(e["inclusionPromise"].value("signedEntryTimestamp", ""));
        if (!set) return std::unexpected(set.error());
        std::string payload = canonical_set_payload(body_b64, *integrated, *log_id, *log_index);
        if (!verify_sig(log->key.get(), payload, *set)) return refuse("signed entry timestamp does not verify");
        have_set = true;
        v.checks.push_back("tlog SET");
      }
      if (e.contains("inclusionProof")) {
        const json& ip = e["inclusionProof"];
        auto idx = parse_int(ip.value("logIndex", json()), "inclusionProof.logIndex");
        auto size = parse_int(ip.value("treeSize", json()), "inclusionProof.treeSize");
        if (!idx || !size) return malformed("inclusion proof index/size");
        auto root_hash = b64(ip.value("rootHash", ""));
        if (!root_hash) return std::unexpected(root_hash.error());
        const json& hs = ip.value("hashes", json::array());
        if (!hs.is_array() || hs.size() > lim.max_proof_hashes)
          return fail(ErrorCode::limit, "inclusion proof too long");
        std::vector<Bytes> path;
        for (const auto& h : hs) {
          auto hb = b64(h.is_string() ? h.get<std::string>() : "");
          if (!hb || hb->size() != 32) return malformed("inclusion proof hash is not 32 bytes");
          path.push_back(*hb);
        }
        Bytes leaf_hash = digest(Bytes(1, '\0') + *body);
        if (*idx < 0 || *size <= 0 ||
            !verify_inclusion(static_cast<std::uint64_t>(*idx), static_cast<std::uint64_t>(*size), leaf_hash, path,
                              *root_hash)) {
          return refuse("inclusion proof does not lead to the root hash");
        }
        std::string cp_text = ip.value("checkpoint", json::object()).value("envelope", "");
        if (cp_text.empty()) return refuse("inclusion proof without a checkpoint");
        auto cp = verify_checkpoint(cp_text, *log);
        if (!cp) return std::unexpected(cp.error().within("checkpoint"));
        if (cp->root_hash != *root_hash || cp->size != static_cast<std::uint64_t>(*size)) {
          return refuse("checkpoint does not commit to the inclusion proof's root");
        }
        have_proof = true;
        v.checks.push_back("tlog inclusion proof");
      }
      if (minor == 1 && !have_set) return refuse("v0.1 bundle without a signed entry timestamp");
      if (minor >= 2 && !have_proof) return refuse("log entry without an inclusion proof");
      if (*integrated > 0) {
        if (*integrated > now + 60) return refuse("log entry integrated in the future");
        if (!log->valid.covers(*integrated)) return refuse("log entry outside its log key's validity");
        if (have_set) times.push_back(*integrated);
      } else if (!log->valid.covers(now) && !log->valid.end) {
        return refuse("transparency log key not valid");
      }
    }
    if (o.require_tlog && entries.empty()) return refuse("bundle has no transparency log entry");

    const json& tsd =
        b.value("verificationMaterial", json::object()).value("timestampVerificationData", json::object());
    const json& tss = tsd.value("rfc3161Timestamps", json::array());
    if (!tss.is_array() || tss.size() > lim.max_timestamps) return fail(ErrorCode::limit, "too many timestamps");
    for (const auto& t : tss) {
      auto der = b64(t.value("signedTimestamp", ""));
      if (!der) return std::unexpected(der.error());
      auto gen = verify_timestamp(*der, s.signature, root->tsas);
      if (!gen) return std::unexpected(gen.error());
      times.push_back(*gen);
      v.checks.push_back("RFC 3161 timestamp");
    }

    if (leaf) {
      v.keyless = true;
      if (times.empty()) return refuse("no verified signing time (no SET and no RFC 3161 timestamp)");
      std::int64_t nb = asn1_time_unix(X509_get0_notBefore(leaf.get()));
      std::int64_t na = asn1_time_unix(X509_get0_notAfter(leaf.get()));
      Cert issuer;
      for (auto t : times) {
        if (t < nb || t > na) return refuse("signing time outside the certificate's validity");
        auto is = verify_chain(leaf.get(), extra, root->cas, t);
        if (!is) return std::unexpected(is.error());
        issuer = *is;
      }
      v.checks.push_back("Fulcio certificate chain");
      if (auto st = verify_scts(leaf.get(), issuer.get(), root->ctlogs); !st) return std::unexpected(st.error());
      v.checks.push_back("SCT");
      v.signer_identity = san_identity(leaf.get());
      v.signer_issuer = fulcio_ext(leaf.get(), 8, 1);
      v.github_workflow_trigger = fulcio_ext(leaf.get(), 20, 2);
      v.github_sha = fulcio_ext(leaf.get(), 13, 3);
      v.github_repository = fulcio_ext(leaf.get(), 12, 5);
      v.github_ref = fulcio_ext(leaf.get(), 14, 6);
      const IdentityPolicy& p = o.identity;
      if ((p.identity.empty() && p.identity_regexp.empty()) || (p.issuer.empty() && p.issuer_regexp.empty())) {
        return fail(
            ErrorCode::invalid_argument,
            "keyless verification needs --certificate-identity[-regexp] and --certificate-oidc-issuer[-regexp]");
      }
      if (!match(v.signer_identity, p.identity, p.identity_regexp)) {
        return refuse("certificate identity " + v.signer_identity + " does not match the policy");
      }
      if (!match(v.signer_issuer, p.issuer, p.issuer_regexp)) {
        return refuse("certificate issuer " + v.signer_issuer + " does not match the policy");
      }
      if (!p.github_repository.empty() && v.github_repository != p.github_repository &&
          v.github_repository != "https://github.com/" + p.github_repository) {
        return refuse("GitHub repository " + v.github_repository + " does not match");
      }
      if (!p.github_ref.empty() && v.github_ref != p.github_ref) return refuse("GitHub ref does not match");
      if (!p.github_workflow_trigger.empty() && v.github_workflow_trigger != p.github_workflow_trigger) {
        return refuse("GitHub workflow trigger does not match");
      }
      if (!p.github_sha.empty() && v.github_sha != p.github_sha) return refuse("GitHub commit does not match");
      v.checks.push_back("identity policy");
    }
    if (!times.empty()) v.signed_at = *std::min_element(times.begin(), times.end());
  } catch (const json::exception& e) {
    return malformed(std::string("bundle: ") + e.what());
  } catch (const std::exception& e) {
    return malformed(std::string("bundle: ") + e.what());
  }
  return v;
}

}  // namespace

Result<Verdict> verify_bundle(std::string_view bundle_json, std::string_view artifact, const VerifyOptions& options) {
  return verify_impl(bundle_json, artifact, digest(artifact), options);
}

Result<Verdict> verify_bundle_digest(std::string_view bundle_json, std::string_view sha256_digest,
                                     const VerifyOptions& options) {
  if (sha256_digest.size() != 32) return fail(ErrorCode::invalid_argument, "a SHA-256 digest is 32 bytes");
  return verify_impl(bundle_json, std::nullopt, Bytes(sha256_digest), options);
}

Result<Verdict> verify_blob(const std::string& artifact_path, const std::string& bundle_path,
                            const VerifyOptions& options) {
  auto bundle = util::read_file(bundle_path, options.limits.max_bundle_bytes);
  if (!bundle) return std::unexpected(bundle.error());
  auto artifact = util::read_file(artifact_path, options.limits.max_artifact_bytes);
  if (!artifact) return std::unexpected(artifact.error());
  auto v = verify_bundle(*bundle, *artifact, options);
  if (!v) return std::unexpected(v.error().within(bundle_path));
  return v;
}

}  // namespace bulwark::trust
