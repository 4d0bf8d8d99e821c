// The trust policy: parse errors name the file, line and field; names and patterns match the way
// Docker reads names; evaluate_image on a real OCI layout signed by bulwark (one key passes,
// another refuses), pinning, registries and the base-image annotations.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

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
void make_layout(const fs::path& dir, const std::string& base_name) {
  std::string config = R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}})";
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
