// Image-config checks on real image configs: the e2e lab image (an OCI layout built with
// `docker build` by tests/e2e setup, in /var/cache/bulwark-e2e; skipped with the reason when
// absent) and hand-written configs for the cases the lab image does not have.
#include "config/image/image_config.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace fs = std::filesystem;
using namespace bulwark;
using namespace bulwark::config::image;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::set<std::string> ids(const std::vector<core::Finding>& fs_) {
  std::set<std::string> out;
  for (const auto& f : fs_) {
    if (f.status == core::FindingStatus::fail) out.insert(f.id);
  }
  return out;
}

const core::Target kTarget{core::TargetKind::image, "test", {}};

}  // namespace

TEST(ImageConfig, LabImageFromOciLayout) {
  const fs::path layout = "/var/cache/bulwark-e2e/images/app-oci-gzip";
  if (!fs::exists(layout / "index.json"))
    GTEST_SKIP() << "no e2e lab image at " << layout << " (built by tests/e2e setup)";
  const auto index = nlohmann::json::parse(slurp(layout / "index.json"));
  const std::string mdigest = index["manifests"][0]["digest"].get<std::string>().substr(7);
  const auto manifest = nlohmann::json::parse(slurp(layout / "blobs/sha256" / mdigest));
  const std::string cdigest = manifest["config"]["digest"].get<std::string>().substr(7);
  auto findings = check_image_config_text(slurp(layout / "blobs/sha256" / cdigest), kTarget, std::nullopt);
  ASSERT_TRUE(findings) << findings.error().describe();
  // The lab image: no USER, no HEALTHCHECK, no labels, built with RUN only, no secrets.
  EXPECT_EQ(ids(*findings), (std::set<std::string>{"BW-IMG-001", "BW-IMG-004", "BW-IMG-010"}));
  for (const auto& f : *findings) {
    EXPECT_EQ(f.target.name, "test");
    EXPECT_FALSE(f.title.empty());
  }
}

TEST(ImageConfig, DockerInspectShapeWithEverythingWrong) {
  const auto text = R"([{
    "Id": "sha256:abc",
    "Config": {
      "User": "0:0",
      "ExposedPorts": {"22/tcp": {}, "80/tcp": {}, "8080/tcp": {}},
      "Env": ["PATH=/usr/bin", "DB_PASSWORD=hunter2", "API_TOKEN_FILE=/run/secrets/t", "X=ghp_abcdefghijklmnopqrstuvwxyz0123456789"],
      "Labels": {"org.opencontainers.image.source": "https://example.com/repo"}
    },
    "History": [
      {"created_by": "/bin/sh -c #(nop) ADD file:abc in / "},
      {"created_by": "RUN |1 NPM_TOKEN=npm_secretvalue /bin/sh -c npm ci"},
      {"created_by": "ARG PUBLIC_KEY_PATH=/etc/key.pub"}
    ]
  }])";
  FileFacts facts;
  facts.setuid = {"/usr/bin/su", "/usr/bin/passwd"};
  facts.world_writable = {"/srv/data"};
  facts.package_managers = {"/usr/bin/apt-get"};
  facts.shells = {"/bin/sh", "/bin/bash"};
  auto findings = check_image_config_text(text, kTarget, facts);
  ASSERT_TRUE(findings) << findings.error().describe();
  EXPECT_EQ(ids(*findings), (std::set<std::string>{"BW-IMG-001", "BW-IMG-002", "BW-IMG-003", "BW-IMG-004", "BW-IMG-005",
                                                   "BW-IMG-006", "BW-IMG-007", "BW-IMG-008", "BW-IMG-009", "BW-IMG-010",
                                                   "BW-IMG-011", "BW-IMG-013"}));
  int env_secrets = 0;
  for (const auto& f : *findings) {
    if (f.id == "BW-IMG-006") {
      ++env_secrets;
      EXPECT_EQ(f.evidence.find("hunter2"), std::string::npos) << "secret values are never echoed";
    }
    if (f.id == "BW-IMG-007") {
      EXPECT_EQ(f.location.path, "history[1]");
    }
    if (f.id == "BW-IMG-001") {
      ASSERT_FALSE(f.standards.empty());
      EXPECT_EQ(f.standards[0].name, "cis-docker");
      EXPECT_EQ(f.standards[0].id, "4.1");
    }
  }
  EXPECT_EQ(env_secrets, 2);  // DB_PASSWORD and the GitHub token value; the *_FILE path is not a secret
}

TEST(ImageConfig, HardenedImagePassesAndReportsPasses) {
  const auto text = R"({
    "config": {
      "User": "65532:65532",
      "ExposedPorts": {"8080/tcp": {}},
      "Healthcheck": {"Test": ["CMD", "/app", "health"]},
      "Labels": {"org.opencontainers.image.source": "s", "org.opencontainers.image.revision": "r",
                 "org.opencontainers.image.created": "c"}
    },
    "history": [{"created_by": "COPY /app /app # buildkit"}]
  })";
  auto findings = check_image_config_text(text, kTarget, FileFacts{});
  ASSERT_TRUE(findings);
  EXPECT_TRUE(ids(*findings).empty());
  ImageCheckOptions opt;
  opt.include_passed = true;
  auto with_passes = check_image_config_text(text, kTarget, FileFacts{}, opt);
  ASSERT_TRUE(with_passes);
  EXPECT_EQ(with_passes->size(), 12u);
  for (const auto& f : *with_passes) EXPECT_EQ(f.status, core::FindingStatus::pass);
}

TEST(ImageConfig, HealthcheckNoneIsAChoice) {
  auto findings = check_image_config_text(R"({"config": {"User": "app", "Healthcheck": {"Test": ["NONE"]}}})", kTarget,
                                          std::nullopt);
  ASSERT_TRUE(findings);
  EXPECT_FALSE(ids(*findings).contains("BW-IMG-004"));
}

TEST(ImageConfig, BadInputIsAnError) {
  EXPECT_FALSE(check_image_config_text("{not json", kTarget, std::nullopt));
  EXPECT_FALSE(check_image_config_text("42", kTarget, std::nullopt));
  std::string deep(100000, '[');
  auto r = check_image_config_text(deep, kTarget, std::nullopt);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::limit);
  // Wrong types inside are ignored, not fatal.
  auto odd = check_image_config_text(R"({"config": {"User": 5, "Env": "x", "ExposedPorts": []}, "history": {}})",
                                     kTarget, std::nullopt);
  ASSERT_TRUE(odd);
  EXPECT_TRUE(ids(*odd).contains("BW-IMG-001"));
}
