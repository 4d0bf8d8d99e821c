// Sigstore's conformance suite (tests/data/sigstore-conformance, see SOURCE.md): every case
// through trust::verify_bundle; a directory ending in _fail must be refused, every other one
// verified. The test reports the counts and lists each case that disagrees.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "trust/verify.hpp"

namespace fs = std::filesystem;
using namespace bulwark;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

const fs::path kDir = fs::path(BULWARK_SOURCE_DIR) / "tests/data/sigstore-conformance";

}  // namespace

TEST(SigstoreConformance, BundleVerifyCases) {
  ASSERT_TRUE(fs::is_directory(kDir));
  std::string default_artifact = slurp(kDir / "a.txt");
  int passed = 0, failed = 0;
  std::string disagreements;
  std::vector<fs::path> cases;
  for (const auto& e : fs::directory_iterator(kDir)) {
    if (e.is_directory()) cases.push_back(e.path());
  }
  std::sort(cases.begin(), cases.end());
  for (const auto& dir : cases) {
    std::string name = dir.filename().string();
    bool expect_fail = name.ends_with("_fail");
    trust::VerifyOptions o;
    if (fs::exists(dir / "key.pub")) {
      o.public_key_pem = slurp(dir / "key.pub");
    } else {
      o.identity.identity = fs::exists(dir / "identity")
                                ? trim(slurp(dir / "identity"))
                                : "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/"
                                  ".github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
      o.identity.issuer =
          fs::exists(dir / "issuer") ? trim(slurp(dir / "issuer")) : "https://token.actions.githubusercontent.com";
    }
    if (fs::exists(dir / "trusted_root.json")) o.trusted_root_json = slurp(dir / "trusted_root.json");
    std::string artifact = fs::exists(dir / "artifact") ? slurp(dir / "artifact") : default_artifact;
    auto v = trust::verify_bundle(slurp(dir / "bundle.sigstore.json"), artifact, o);
    bool ok = v.has_value() != expect_fail;
    if (ok) {
      ++passed;
    } else {
      ++failed;
      disagreements += "  " + name + ": " + (v ? std::string("verified") : v.error().describe()) + "\n";
    }
  }
  std::printf("sigstore-conformance bundle-verify: %d passed, %d failed of %zu\n%s", passed, failed, cases.size(),
              disagreements.c_str());
  EXPECT_GT(cases.size(), 60U);
  EXPECT_EQ(failed, 0) << disagreements;
}

TEST(Trust, PublicGoodRootIsShipped) {
  auto root = trust::public_good_trusted_root();
  EXPECT_NE(root.find("https://rekor.sigstore.dev"), std::string_view::npos);
}

TEST(Trust, HostileBundlesAreRefused) {
  trust::VerifyOptions o;
  o.identity.identity = "x";
  o.identity.issuer = "y";
  EXPECT_FALSE(trust::verify_bundle(std::string(100000, '['), "a", o));
  EXPECT_FALSE(trust::verify_bundle("{}", "a", o));
  o.limits.max_bundle_bytes = 10;
  EXPECT_EQ(trust::verify_bundle(std::string(11, ' '), "a", o).error().code, ErrorCode::limit);
}
