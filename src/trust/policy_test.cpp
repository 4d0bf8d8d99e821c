// The trust policy: parse errors name the file, line and field; names and patterns match the way
// Docker reads names; evaluate_image on a real OCI layout signed by bulwark (one key passes,
// another refuses), pinning, registries and the base-image annotations.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "trust/cosign.hpp"
#include "trust/policy.hpp"
#include "trust/test_keys.hpp"
#include "util/sha256.hpp"

namespace fs = std::filesystem;
using namespace bulwark;

namespace {

using trust::testing::make_key;
using trust::testing::write;

struct TempDir {
  fs::path dir;
  explicit TempDir(const std::string& name)
      : dir(fs::temp_directory_path() / ("bulwark-trust-policy-" + name + "-" + std::to_string(::getpid()))) {
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  ~TempDir() { fs::remove_all(dir); }
};

// An OCI layout with one image tagged "1" whose manifest carries the base-image annotations.
// `created_field`: the config's "created" member as JSON text (empty: none).
void make_layout(const fs::path& dir, const std::string& base_name, const std::string& created_field = "") {
  std::string config = R"({"architecture":"amd64",)" +
                       (created_field.empty() ? std::string() : "\"created\":" + created_field + ",") +
                       R"("os":"linux","rootfs":{"type":"layers","diff_ids":[]}})";
  std::string cd = util::sha256_hex(config);
  write(dir / "blobs/sha256" / cd, config);
  std::string manifest =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":)" +
      std::to_string(config.size()) + R"(,"digest":"sha256:)" + cd + R"("},"layers":[],"annotations":{)" +
      R"("org.opencontainers.image.base.name":")" + base_name + R"(","org.opencontainers.image.base.digest":"sha256:)" +
      std::string(64, 'b') + R"("}})";
  std::string md = util::sha256_hex(manifest);
  write(dir / "blobs/sha256" / md, manifest);
  write(dir / "index.json",
        R"({"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":)" +
            std::to_string(manifest.size()) + R"(,"digest":"sha256:)" + md +
            R"(","annotations":{"org.opencontainers.image.ref.name":"1"}}]})");
  write(dir / "oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
}

std::vector<std::string> failing_ids(const std::vector<core::Finding>& fs) {
  std::vector<std::string> ids;
  for (const auto& f : fs) {
    EXPECT_EQ(f.practice, core::Practice::trusted_base_image);
    if (trust::refuses(f)) ids.push_back(f.id);
  }
  return ids;
}

}  // namespace

TEST(TrustPolicy, ParsesRulesAndReadsKeysBesideThePolicy) {
  TempDir t("parse");
  write(t.dir / "k.pub", make_key().pub);
  write(t.dir / "trust.yaml", R"(version: 1
unmatched: deny
registries:
  allowed: [127.0.0.1:5000]
  denied: [docker.io]
rules:
  - images: "127.0.0.1:5000/team/*"
    require_digest: true
    signers:
      - key: k.pub
    signers_needed: any
    allowed_base_images: [docker.io/library/debian]
)");
  auto p = trust::load_trust_policy((t.dir / "trust.yaml").string());
  ASSERT_TRUE(p) << p.error().describe();
  EXPECT_TRUE(p->deny_unmatched);
  ASSERT_EQ(p->rules.size(), 1U);
  EXPECT_EQ(p->rules[0].line, 7);
  EXPECT_TRUE(p->rules[0].require_digest);
  EXPECT_EQ(p->rules[0].signers_needed, trust::SignersNeeded::any);
  ASSERT_EQ(p->rules[0].signers.size(), 1U);
  EXPECT_NE(p->rules[0].signers[0].key_pem.find("PUBLIC KEY"), std::string::npos);
  EXPECT_EQ(p->allowed_registries, std::vector<std::string>{"127.0.0.1:5000"});
}

TEST(TrustPolicy, ErrorsNameTheFileLineAndField) {
  struct Case {
    const char* yaml;
    const char* context;
    const char* message;
  };
  const Case cases[] = {
      {"rules:\n  - images: a/*\n    requre_digest: true\n", "p.yaml:3", "rules[0].requre_digest: unknown key"},
      {"rules:\n  - images: a/*\n    require_digest: maybe\n", "p.yaml:3",
       "rules[0].require_digest: expected true or false"},
      {"rules:\n  - require_digest: true\n", "p.yaml:2", "rules[0].images: missing"},
      {"rules:\n  - images: a/*\n    signers:\n      - key: nowhere.pub\n", "p.yaml:4",
       "rules[0].signers[0].key: cannot read"},
      {"rules:\n  - images: a/*\n    signers:\n      - {}\n", "p.yaml:4", "rules[0].signers[0].key: missing"},
      {"registries:\n  allowed: docker.io\n", "p.yaml:2", "registries.allowed: expected a list of strings"},
      {"unmatched: sometimes\n", "p.yaml:1", "unmatched: expected allow or deny"},
      {"rules: [\n", "p.yaml:", "not YAML"},
      {"", "p.yaml", "empty"},
      {"- a\n", "p.yaml:1", "expected a mapping"},
  };
  for (const auto& c : cases) {
    auto p = trust::parse_trust_policy(c.yaml, "p.yaml");
    ASSERT_FALSE(p) << c.yaml;
    EXPECT_NE(p.error().context.find(c.context), std::string::npos) << c.yaml << " -> " << p.error().describe();
    EXPECT_NE(p.error().message.find(c.message), std::string::npos) << c.yaml << " -> " << p.error().describe();
  }
  TempDir t("badkey");
  write(t.dir / "k.pub", "not a key\n");
  write(t.dir / "p.yaml", "rules:\n  - images: a/*\n    signers: [{key: k.pub}]\n");
  auto p = trust::load_trust_policy((t.dir / "p.yaml").string());
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().describe().find("rules[0].signers[0].key: k.pub is not a PEM public key"), std::string::npos)
      << p.error().describe();
}

TEST(TrustPolicy, NamesAndPatterns) {
  auto n = trust::parse_docker_name("debian:12");
  ASSERT_TRUE(n);
  EXPECT_EQ(n->name(), "docker.io/library/debian");
  EXPECT_EQ(n->tag, "12");
  n = trust::parse_docker_name("127.0.0.1:5000/team/app@sha256:" + std::string(64, 'a'));
  ASSERT_TRUE(n);
  EXPECT_EQ(n->registry, "127.0.0.1:5000");
  EXPECT_EQ(n->repository, "team/app");
  EXPECT_TRUE(n->tag.empty());
  EXPECT_FALSE(trust::parse_docker_name("app@sha256:short"));
  EXPECT_FALSE(trust::parse_docker_name("a b"));
  EXPECT_EQ(trust::parse_docker_name("index.docker.io/library/nginx")->registry, "docker.io");

  EXPECT_TRUE(trust::image_name_matches("docker.io/library/debian", "12", "docker.io"));
  EXPECT_TRUE(trust::image_name_matches("docker.io/library/debian", "12", "index.docker.io/library"));
  EXPECT_TRUE(trust::image_name_matches("ghcr.io/org/app", "", "ghcr.io/org"));
  EXPECT_FALSE(trust::image_name_matches("ghcr.io/organisation/app", "", "ghcr.io/org"));
  EXPECT_TRUE(trust::image_name_matches("127.0.0.1:5000/team/a/b", "1", "127.0.0.1:5000/team/*"));
  EXPECT_FALSE(trust::image_name_matches("127.0.0.1:5000/other/a", "1", "127.0.0.1:5000/team/*"));
  EXPECT_TRUE(trust::image_name_matches("docker.io/library/debian", "12", "docker.io/library/debian:12"));
  EXPECT_FALSE(trust::image_name_matches("docker.io/library/debian", "11", "docker.io/library/debian:12"));
  EXPECT_TRUE(trust::image_name_matches("docker.io/library/debian", "12.5", "docker.io/library/debian:12*"));
}

TEST(TrustPolicy, EvaluatesASignedLayoutAndItsBaseImage) {
  TempDir t("eval");
  const fs::path layout = t.dir / "layout";
  make_layout(layout, "docker.io/library/debian:12");
  auto key = make_key();
  auto other = make_key();
  write(t.dir / "k.pub", key.pub);
  write(t.dir / "other.pub", other.pub);
  const std::string target = "oci:" + layout.string() + ":1";
  auto policy_with = [&](const std::string& rule_body) {
    write(t.dir / "p.yaml", "rules:\n  - images: \"oci:*\"\n" + rule_body);
    auto p = trust::load_trust_policy((t.dir / "p.yaml").string());
    EXPECT_TRUE(p) << p.error().describe();
    return *p;
  };
  // Unsigned: refused with the key named.
  auto p = policy_with("    signers: [{key: k.pub}]\n");
  auto f = trust::evaluate_image(p, target, {});
  ASSERT_TRUE(f) << f.error().describe();
  EXPECT_EQ(failing_ids(*f), std::vector<std::string>{"BW-TRUST-004"});
  auto refused = std::find_if(f->begin(), f->end(), trust::refuses);
  EXPECT_NE(refused->title.find("k.pub"), std::string::npos) << refused->title;
  EXPECT_NE(refused->title.find("rule 1 (images: oci:*"), std::string::npos) << refused->title;

  ASSERT_TRUE(trust::sign_oci_layout_image(layout.string(), "1", key.priv, "127.0.0.1:5000/team/app"));
  trust::TrustFacts facts;
  f = trust::evaluate_image(p, target, {}, &facts);
  ASSERT_TRUE(f);
  EXPECT_TRUE(failing_ids(*f).empty());
  EXPECT_TRUE(std::any_of(f->begin(), f->end(), [](const core::Finding& x) {
    return x.id == "BW-TRUST-004" && x.status == core::FindingStatus::pass;
  }));
  EXPECT_EQ(facts.base_name, "docker.io/library/debian:12");
  EXPECT_EQ(facts.base_digest, "sha256:" + std::string(64, 'b'));
  EXPECT_TRUE(std::any_of(f->begin(), f->end(), [](const core::Finding& x) {
    return x.id == "BW-TRUST-010" && x.status == core::FindingStatus::info &&
           x.title.find("debian:12@sha256:") != std::string::npos;
  }));

  // Another key; both needed; any of them.
  EXPECT_EQ(failing_ids(*trust::evaluate_image(policy_with("    signers: [{key: other.pub}]\n"), target, {})),
            std::vector<std::string>{"BW-TRUST-004"});
  EXPECT_EQ(
      failing_ids(*trust::evaluate_image(policy_with("    signers: [{key: k.pub}, {key: other.pub}]\n"), target, {}))
          .size(),
      1U);
  EXPECT_TRUE(failing_ids(*trust::evaluate_image(
                              policy_with("    signers: [{key: other.pub}, {key: k.pub}]\n    signers_needed: any\n"),
                              target, {}))
                  .empty());

  // Pinning: a layout reference is never pinned.
  EXPECT_EQ(failing_ids(*trust::evaluate_image(policy_with("    require_digest: true\n"), target, {})),
            std::vector<std::string>{"BW-TRUST-003"});

  // Base images.
  EXPECT_TRUE(failing_ids(*trust::evaluate_image(policy_with("    allowed_base_images: [docker.io/library/debian]\n"),
                                                 target, {}))
                  .empty());
  EXPECT_TRUE(
      failing_ids(*trust::evaluate_image(policy_with("    allowed_base_images: [\"debian:12*\"]\n"), target, {}))
          .empty());
  EXPECT_EQ(failing_ids(*trust::evaluate_image(policy_with("    allowed_base_images: [docker.io/library/alpine]\n"),
                                               target, {})),
            std::vector<std::string>{"BW-TRUST-005"});
  TempDir t2("nobase");
  make_layout(t2.dir, "");
  // No base.name annotation (an empty one counts as none): unknown, refused when a rule needs it.
  EXPECT_EQ(failing_ids(*trust::evaluate_image(policy_with("    allowed_base_images: [docker.io/library/debian]\n"),
                                               "oci:" + t2.dir.string() + ":1", {})),
            std::vector<std::string>{"BW-TRUST-006"});
}

TEST(TrustPolicy, RegistriesAndUnmatchedImages) {
  auto p = trust::parse_trust_policy(
      "registries:\n  allowed: [127.0.0.1:5000, docker.io]\n  denied: [docker.io]\nunmatched: deny\nrules:\n"
      "  - images: 127.0.0.1:5000/team\n",
      "p.yaml");
  ASSERT_TRUE(p) << p.error().describe();
  // docker-daemon names are judged without contacting anything.
  auto f = trust::evaluate_image(*p, "docker-daemon:nginx:1", {});
  ASSERT_TRUE(f) << f.error().describe();
  EXPECT_EQ(failing_ids(*f), (std::vector<std::string>{"BW-TRUST-001", "BW-TRUST-007"}));
  f = trust::evaluate_image(*p, "docker-daemon:quay.io/x/y:1", {});
  EXPECT_EQ(failing_ids(*f), (std::vector<std::string>{"BW-TRUST-002", "BW-TRUST-007"}));
  f = trust::evaluate_image(*p, "docker-daemon:127.0.0.1:5000/team/app:1", {});
  EXPECT_TRUE(failing_ids(*f).empty());
  EXPECT_FALSE(trust::evaluate_image(*p, "docker://", {}));
}

namespace {

std::chrono::system_clock::time_point at(int y, unsigned m, unsigned d) {
  return std::chrono::sys_days(
      std::chrono::year_month_day{std::chrono::year(y), std::chrono::month(m), std::chrono::day(d)});
}

const core::Finding* find_id(const std::vector<core::Finding>& fs, const std::string& id) {
  for (const auto& f : fs) {
    if (f.id == id) return &f;
  }
  return nullptr;
}

}  // namespace

TEST(TrustPolicy, MaxAgeUnitsAndCreatedTimes) {
  EXPECT_EQ(*trust::parse_max_age("90d"), std::chrono::hours(24 * 90));
  EXPECT_EQ(*trust::parse_max_age("12h"), std::chrono::hours(12));
  for (const char* bad : {"90", "0d", "d", "90m", "-1d", "1.5d", "9999999d", " 9d"}) {
    EXPECT_FALSE(trust::parse_max_age(bad)) << bad;
  }
  const auto jan1 = std::chrono::sys_seconds(std::chrono::sys_days(std::chrono::year(2025) / 1 / 1));
  EXPECT_EQ(*trust::parse_image_created(R"({"created":"2025-01-01T00:00:00Z"})"), jan1);
  // Docker's nanoseconds, and an offset.
  EXPECT_EQ(*trust::parse_image_created(R"({"created":"2025-01-01T02:00:00.123456789+02:00"})"), jan1);
  EXPECT_EQ(*trust::parse_image_created(R"({"created":"2024-12-31T19:00:00-05:00"})"), jan1);
  for (const char* bad :
       {R"({})", R"({"created":null})", R"({"created":1735689600})", R"({"created":"last tuesday"})",
        R"({"created":"2025-02-30T00:00:00Z"})", R"({"created":"2025-01-01T00:00:00"})",
        R"({"created":"2025-01-01T24:00:00Z"})", R"({"created":"2025-01-01T00:00:00Zjunk"})", "[]", "not json"}) {
    EXPECT_FALSE(trust::parse_image_created(bad)) << bad;
  }
}

TEST(TrustPolicy, MaxAgeJudgesTheConfigCreatedTimeAgainstTheClock) {
  TempDir t("age");
  make_layout(t.dir / "dated", "", R"("2025-01-01T00:00:00Z")");
  make_layout(t.dir / "undated", "");
  make_layout(t.dir / "garbled", "", R"("last tuesday")");
  write(t.dir / "p.yaml", "rules:\n  - images: \"oci:*\"\n    max_age: 90d\n");
  auto p = trust::load_trust_policy((t.dir / "p.yaml").string());
  ASSERT_TRUE(p) << p.error().describe();
  EXPECT_EQ(p->rules[0].max_age, std::chrono::hours(24 * 90));
  trust::ImageAccess access;
  const std::string dated = "oci:" + (t.dir / "dated").string() + ":1";

  // 59 days old: within 90d.
  access.now = [] { return at(2025, 3, 1); };
  trust::TrustFacts facts;
  auto f = trust::evaluate_image(*p, dated, access, &facts);
  ASSERT_TRUE(f) << f.error().describe();
  EXPECT_TRUE(failing_ids(*f).empty());
  const core::Finding* age = find_id(*f, "BW-TRUST-008");
  ASSERT_NE(age, nullptr);
  EXPECT_EQ(age->status, core::FindingStatus::pass);
  EXPECT_NE(age->title.find("created 2025-01-01T00:00:00Z (59 days ago), within max_age 90d"), std::string::npos)
      << age->title;
  EXPECT_EQ(facts.created, "2025-01-01T00:00:00Z");

  // 151 days old: refused, with the date, the age, the rule and a remediation.
  access.now = [] { return at(2025, 6, 1); };
  f = trust::evaluate_image(*p, dated, access);
  ASSERT_TRUE(f);
  EXPECT_EQ(failing_ids(*f), std::vector<std::string>{"BW-TRUST-008"});
  age = find_id(*f, "BW-TRUST-008");
  EXPECT_NE(age->title.find("created 2025-01-01T00:00:00Z, 151 days ago, older than max_age 90d of rule 1"),
            std::string::npos)
      << age->title;
  EXPECT_EQ(age->practice, core::Practice::trusted_base_image);
  EXPECT_EQ(age->severity, core::Severity::high);
  EXPECT_NE(age->evidence.find("now 2025-06-01T00:00:00Z"), std::string::npos) << age->evidence;
  EXPECT_NE(age->remediation.find("Rebuild the image on a current base image"), std::string::npos);

  // Hours: 12h is exceeded a day later.
  write(t.dir / "h.yaml", "rules:\n  - images: \"oci:*\"\n    max_age: 12h\n");
  auto ph = trust::load_trust_policy((t.dir / "h.yaml").string());
  ASSERT_TRUE(ph);
  access.now = [] { return at(2025, 1, 1) + std::chrono::hours(11); };
  EXPECT_TRUE(failing_ids(*trust::evaluate_image(*ph, dated, access)).empty());
  access.now = [] { return at(2025, 1, 2); };
  f = trust::evaluate_image(*ph, dated, access);
  EXPECT_EQ(failing_ids(*f), std::vector<std::string>{"BW-TRUST-008"});
  EXPECT_NE(find_id(*f, "BW-TRUST-008")->title.find("24 hours ago"), std::string::npos);

  // Created far in the future: refused too (a clock cannot vouch for it).
  access.now = [] { return at(2024, 6, 1); };
  f = trust::evaluate_image(*p, dated, access);
  EXPECT_EQ(failing_ids(*f), std::vector<std::string>{"BW-TRUST-008"});
  EXPECT_NE(find_id(*f, "BW-TRUST-008")->title.find("in the future"), std::string::npos);

  // No created time, or one that does not parse: fails closed, saying so.
  access.now = [] { return at(2025, 1, 2); };
  f = trust::evaluate_image(*p, "oci:" + (t.dir / "undated").string() + ":1", access);
  EXPECT_EQ(failing_ids(*f), std::vector<std::string>{"BW-TRUST-008"});
  age = find_id(*f, "BW-TRUST-008");
  EXPECT_NE(age->title.find("creation time unknown, rule 1"), std::string::npos) << age->title;
  EXPECT_NE(age->evidence.find("has no created time"), std::string::npos) << age->evidence;
  f = trust::evaluate_image(*p, "oci:" + (t.dir / "garbled").string() + ":1", access);
  EXPECT_EQ(failing_ids(*f), std::vector<std::string>{"BW-TRUST-008"});
  EXPECT_NE(find_id(*f, "BW-TRUST-008")->evidence.find("\"last tuesday\" is not an RFC 3339 time"), std::string::npos);
  // A transport whose config is not read: fails closed.
  auto pa = trust::parse_trust_policy("rules:\n  - images: \"docker-archive:*\"\n    max_age: 90d\n", "p.yaml");
  ASSERT_TRUE(pa) << pa.error().describe();
  f = trust::evaluate_image(*pa, "docker-archive:/nonexistent.tar", access);
  ASSERT_TRUE(f);
  EXPECT_EQ(failing_ids(*f), std::vector<std::string>{"BW-TRUST-008"});
  EXPECT_NE(find_id(*f, "BW-TRUST-008")->evidence.find("is not read for trust checks"), std::string::npos);

  auto bad = trust::parse_trust_policy("rules:\n  - images: a/*\n    max_age: 90m\n", "p.yaml");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().context, "p.yaml:3");
  EXPECT_NE(bad.error().message.find("rules[0].max_age: expected a number of days or hours"), std::string::npos);
}

namespace {

std::string statement(const std::string& subject_digest, const std::string& predicate_type,
                      const nlohmann::json& predicate) {
  return nlohmann::json{{"_type", "https://in-toto.io/Statement/v1"},
                        {"subject", nlohmann::json::array({{{"name", "127.0.0.1:5000/team/app"},
                                                            {"digest", {{"sha256", subject_digest.substr(7)}}}}})},
                        {"predicateType", predicate_type},
                        {"predicate", predicate}}
      .dump();
}

const char* kSlsa = "https://slsa.dev/provenance/v1";

}  // namespace

TEST(TrustPolicy, RequiredAttestationsSignedDsseWithTheImageAsSubject) {
  TempDir t("attest");
  auto key = make_key();
  auto other = make_key("ED25519");
  write(t.dir / "builder.pub", key.pub);
  write(t.dir / "p.yaml", std::string("rules:\n  - images: \"oci:*\"\n    require_attestations:\n") +
                              "      - predicate_type: " + kSlsa + "\n        key: builder.pub\n" +
                              "        conditions:\n          - path: /buildDefinition/buildType\n" +
                              "            equals: https://actions.github.io/buildtypes/workflow/v1\n" +
                              "          - path: /runDetails/builder/version/major\n            equals: 2\n");
  auto p = trust::load_trust_policy((t.dir / "p.yaml").string());
  ASSERT_TRUE(p) << p.error().describe();
  ASSERT_EQ(p->rules[0].attestations.size(), 1U);
  EXPECT_EQ(p->rules[0].attestations[0].conditions.size(), 2U);
  const nlohmann::json good_predicate = {
      {"buildDefinition", {{"buildType", "https://actions.github.io/buildtypes/workflow/v1"}}},
      {"runDetails", {{"builder", {{"id", "https://github.com/actions/runner"}, {"version", {{"major", 2}}}}}}}};

  // Each case: a fresh layout, the envelopes attached, the verdict.
  int n = 0;
  auto judge = [&](const std::function<void(const fs::path&, const std::string&)>& attach) {
    const fs::path dir = t.dir / ("l" + std::to_string(++n));
    make_layout(dir, "");
    auto m = trust::read_oci_layout_manifest(dir.string(), "1");
    EXPECT_TRUE(m);
    attach(dir, m->digest);
    auto f = trust::evaluate_image(*p, "oci:" + dir.string() + ":1", {});
    EXPECT_TRUE(f) << f.error().describe();
    const core::Finding* a = find_id(*f, "BW-TRUST-009");
    EXPECT_NE(a, nullptr);
    EXPECT_EQ(failing_ids(*f).size(), a && trust::refuses(*a) ? 1U : 0U);
    return a ? *a : core::Finding{};
  };
  auto attach = [](const fs::path& dir, const std::string& envelope, const std::string& type = kSlsa) {
    ASSERT_TRUE(trust::attach_oci_layout_attestation(dir.string(), "1", envelope, type));
  };
  auto signed_by = [](const trust::testing::KeyPair& k, const std::string& payload) {
    auto e = trust::sign_dsse_envelope(payload, trust::kInTotoPayloadType, k.priv);
    EXPECT_TRUE(e) << e.error().describe();
    return *e;
  };

  // Missing.
  auto f = judge([](const fs::path&, const std::string&) {});
  EXPECT_TRUE(trust::refuses(f));
  EXPECT_NE(f.title.find("no attestation https://slsa.dev/provenance/v1 signed with builder.pub verifies, rule 1"),
            std::string::npos)
      << f.title;
  EXPECT_NE(f.evidence.find("the image has no attestation (no tag sha256-"), std::string::npos) << f.evidence;

  // Signed, right subject, conditions met: passes.
  f = judge([&](const fs::path& d, const std::string& digest) {
    attach(d, signed_by(key, statement(digest, kSlsa, good_predicate)));
  });
  EXPECT_EQ(f.status, core::FindingStatus::pass) << f.title << " / " << f.evidence;
  EXPECT_NE(f.title.find("signed with builder.pub, 2 conditions met"), std::string::npos) << f.title;

  // Only another predicate type.
  f = judge([&](const fs::path& d, const std::string& digest) {
    attach(d, signed_by(key, statement(digest, "https://spdx.dev/Document", nlohmann::json::object())),
           "https://spdx.dev/Document");
  });
  EXPECT_TRUE(trust::refuses(f));
  EXPECT_NE(f.evidence.find("no attestation with predicateType https://slsa.dev/provenance/v1 (tag sha256-"),
            std::string::npos)
      << f.evidence;
  EXPECT_NE(f.evidence.find("has https://spdx.dev/Document"), std::string::npos) << f.evidence;

  // Unsigned: an envelope with no signature.
  f = judge([&](const fs::path& d, const std::string& digest) {
    const std::string st = statement(digest, kSlsa, good_predicate);
    auto e = nlohmann::json::parse(signed_by(key, st));
    e["signatures"] = nlohmann::json::array();
    attach(d, e.dump());
  });
  EXPECT_TRUE(trust::refuses(f));
  EXPECT_NE(f.evidence.find("the attestation is not signed"), std::string::npos) << f.evidence;

  // Signed by another key.
  f = judge([&](const fs::path& d, const std::string& digest) {
    attach(d, signed_by(other, statement(digest, kSlsa, good_predicate)));
  });
  EXPECT_TRUE(trust::refuses(f));
  EXPECT_NE(f.evidence.find("DSSE signature does not verify with the key"), std::string::npos) << f.evidence;

  // Signed by the key, but the payload changed afterwards.
  f = judge([&](const fs::path& d, const std::string& digest) {
    auto e = nlohmann::json::parse(signed_by(key, statement(digest, kSlsa, good_predicate)));
    nlohmann::json evil = good_predicate;
    evil["buildDefinition"]["buildType"] = "https://evil.example/manual";
    auto other_env = nlohmann::json::parse(signed_by(other, statement(digest, kSlsa, evil)));
    e["payload"] = other_env["payload"];
    attach(d, e.dump());
  });
  EXPECT_TRUE(trust::refuses(f));
  EXPECT_NE(f.evidence.find("DSSE signature does not verify with the key"), std::string::npos) << f.evidence;

  // Signed by the key, but for another image.
  const std::string elsewhere = "sha256:" + std::string(64, 'e');
  f = judge([&](const fs::path& d, const std::string&) {
    attach(d, signed_by(key, statement(elsewhere, kSlsa, good_predicate)));
  });
  EXPECT_TRUE(trust::refuses(f));
  EXPECT_NE(f.evidence.find("the attestation's subject is " + elsewhere + ", not this image (sha256:"),
            std::string::npos)
      << f.evidence;

  // Signed, right subject, a condition not met.
  f = judge([&](const fs::path& d, const std::string& digest) {
    nlohmann::json pred = good_predicate;
    pred["buildDefinition"]["buildType"] = "https://evil.example/manual";
    attach(d, signed_by(key, statement(digest, kSlsa, pred)));
  });
  EXPECT_TRUE(trust::refuses(f));
  EXPECT_NE(f.title.find("does not meet the conditions of rule 1"), std::string::npos) << f.title;
  EXPECT_NE(f.evidence.find("/buildDefinition/buildType is https://evil.example/manual, not "
                            "https://actions.github.io/buildtypes/workflow/v1"),
            std::string::npos)
      << f.evidence;
  f = judge([&](const fs::path& d, const std::string& digest) {
    attach(d, signed_by(key, statement(digest, kSlsa, {{"buildDefinition", good_predicate["buildDefinition"]}})));
  });
  EXPECT_NE(f.evidence.find("/runDetails/builder/version/major is absent from the predicate"), std::string::npos)
      << f.evidence;

  // A bad one and a good one in the same .att: the good one counts.
  f = judge([&](const fs::path& d, const std::string& digest) {
    attach(d, signed_by(other, statement(digest, kSlsa, good_predicate)));
    attach(d, signed_by(key, statement(digest, kSlsa, good_predicate)));
  });
  EXPECT_EQ(f.status, core::FindingStatus::pass) << f.evidence;
  EXPECT_NE(f.evidence.find("1 of 2 attestations of that type verify"), std::string::npos) << f.evidence;

  // Policy errors name the field.
  struct Bad {
    const char* body;
    const char* message;
  };
  for (const Bad& b :
       {Bad{"      - predicate_type: x\n", "rules[0].require_attestations[0].key: missing"},
        Bad{"      - key: builder.pub\n", "rules[0].require_attestations[0].predicate_type: missing"},
        Bad{"      - {predicate_type: x, key: builder.pub, conditions: [{path: nope, equals: 1}]}\n",
            "rules[0].require_attestations[0].conditions[0].path: not a JSON pointer"},
        Bad{"      - {predicate_type: x, key: builder.pub, conditions: [{path: /a}]}\n",
            "rules[0].require_attestations[0].conditions[0].equals: missing"},
        Bad{"      - {predicate_type: x, key: missing.pub}\n", "rules[0].require_attestations[0].key: cannot read"},
        Bad{"      - {predicate_type: x, key: builder.pub, signed: yes}\n",
            "rules[0].require_attestations[0].signed: unknown key"}}) {
    write(t.dir / "bad.yaml", std::string("rules:\n  - images: a/*\n    require_attestations:\n") + b.body);
    auto e = trust::load_trust_policy((t.dir / "bad.yaml").string());
    ASSERT_FALSE(e) << b.body;
    EXPECT_NE(e.error().message.find(b.message), std::string::npos) << e.error().describe();
    EXPECT_EQ(e.error().context, (t.dir / "bad.yaml").string() + ":4") << b.body;
  }
}
