// The trust policy file (`--trust-policy trust.yaml`): YAML through yaml-cpp, version,
// unmatched, registries (allowed, denied), rules (images, require_digest, signers with key
// files read beside the policy, signers_needed, allowed_base_images, max_age,
// require_attestations with key files, JSON-pointer conditions), unknown keys and wrong types;
// then the name matching it drives: every rule's pattern and every base-image
// pattern against a few image names (image_name_matches), and each as a Docker name
// (parse_docker_name). The input is also read as an image config whose `created` max_age
// judges (parse_image_created: JSON, then the RFC 3339 time).
//
// The policy is parsed as <tmp>/trust.yaml, beside a valid public key "cosign.pub" and a
// file "not-a-key.pub". Inputs naming files under /dev or /proc are skipped (a key file
// "/dev/stdin" would block the harness, not bulwark's parsing).
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "common.hpp"
#include "trust/policy.hpp"

namespace {

const std::string& policy_path() {
  static const std::string path = (bulwark::fuzz::scratch_dir("trust", {{"cosign.pub", bulwark::fuzz::kFuzzPublicKey},
                                                                        {"not-a-key.pub", "hello\n"}}) /
                                   "trust.yaml")
                                      .string();
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bulwark;
  auto text = fuzz::as_text(data, size);
  if (text.find("/dev/") != std::string_view::npos || text.find("/proc/") != std::string_view::npos) return -1;
  if (auto created = trust::parse_image_created(text); created) (void)created->time_since_epoch().count();
  auto policy = trust::parse_trust_policy(text, policy_path());
  if (!policy) return 0;
  static const std::pair<const char*, const char*> kNames[] = {
      {"docker.io/library/debian", "12"}, {"127.0.0.1:5000/team/app", "1.0"}, {"ghcr.io/org/tool", ""}};
  for (const auto& r : policy->rules) {
    (void)r.describe(policy->source);
    if (!r.max_age_text.empty() && (!trust::parse_max_age(r.max_age_text) || r.max_age.count() <= 0)) std::abort();
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
