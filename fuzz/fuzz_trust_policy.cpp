// The trust policy file (`--trust-policy trust.yaml`): YAML through yaml-cpp, version,
// unmatched, registries (allowed, denied), rules (images, require_digest, signers with key
// files read beside the policy, signers_needed, allowed_base_images), unknown keys and wrong
// types; then the name matching it drives: every rule's pattern and every base-image
// pattern against a few image names (image_name_matches), and each as a Docker name
// (parse_docker_name).
//
// The policy is parsed as <tmp>/trust.yaml, beside a valid public key "cosign.pub" and a
// file "not-a-key.pub". Inputs naming files under /dev or /proc are skipped (a key file
// "/dev/stdin" would block the harness, not bulwark's parsing).
#include <cstdio>
#include <filesystem>
#include <string>

#include "common.hpp"
#include "trust/policy.hpp"

namespace {

constexpr const char* kPublicKey = R"(-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEZR8jGNTl7Vrh05afE9J0GgsLqfH+
ur9CxHCv3+DgbMFIYmPk/U3XFNekEtMgpFQBpf3lwXjCV2L5mKabcoqoyg==
-----END PUBLIC KEY-----
)";

const std::string& policy_path() {
  static const std::string path = [] {
    const char* shm = "/dev/shm";
    auto base =
        std::filesystem::is_directory(shm) ? std::filesystem::path(shm) : std::filesystem::temp_directory_path();
    auto dir = base / ("bulwark-fuzz-trust-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    for (auto [name, text] : {std::pair{"cosign.pub", kPublicKey}, std::pair{"not-a-key.pub", "hello\n"}}) {
      if (FILE* f = std::fopen((dir / name).c_str(), "wb")) {
        std::fputs(text, f);
        std::fclose(f);
      }
    }
    return (dir / "trust.yaml").string();
  }();
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bulwark;
  auto text = fuzz::as_text(data, size);
  if (text.find("/dev/") != std::string_view::npos || text.find("/proc/") != std::string_view::npos) return -1;
  auto policy = trust::parse_trust_policy(text, policy_path());
  if (!policy) return 0;
  static const std::pair<const char*, const char*> kNames[] = {
      {"docker.io/library/debian", "12"}, {"127.0.0.1:5000/team/app", "1.0"}, {"ghcr.io/org/tool", ""}};
  for (const auto& r : policy->rules) {
    (void)r.describe(policy->source);
    for (auto [name, tag] : kNames) (void)trust::image_name_matches(name, tag, r.images);
    (void)trust::parse_docker_name(r.images);
    for (const auto& b : r.allowed_base_images) {
      (void)trust::parse_docker_name(b);
      for (auto [name, tag] : kNames) (void)trust::image_name_matches(name, tag, b);
    }
  }
  for (const auto& reg : policy->allowed_registries) (void)trust::parse_docker_name(reg);
  return 0;
}
