// The trust policy (`--trust-policy trust.yaml`, docs/trust.md, docs/trust-policy.schema.json):
// which registries images may come from, and per registry/repository glob which cosign keys
// must have signed them, whether they must be pinned by digest, and which base images (from
// the OCI annotations org.opencontainers.image.base.name/.base.digest) they may be built on,
// how old they may be (max_age, from the config's created time), and which in-toto
// attestations (DSSE, cosign's .att tag) signed by which key they must carry.
//
// evaluate_image judges one image and returns findings (practice trusted-base-image) that flow
// through the normal report and policy: status fail for what the policy refuses, pass for a
// signature that verified, info for the detected base image. Anything it cannot judge (a
// registry it cannot reach, a signature it cannot look up) is a failure: trust fails closed.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/model.hpp"
#include "util/error.hpp"

namespace bulwark::trust {

struct PolicySigner {
  std::string key_file;  // as written in the policy (for messages)
  std::string key_pem;   // read relative to the policy's folder
};

enum class SignersNeeded { all, any };

// A condition on a required attestation's predicate: the value at the JSON pointer `path`
// (RFC 6901, into the Statement's predicate) equals `equals` (a string, or the JSON text of a
// number or boolean: 2, true).
struct AttestationCondition {
  std::string path;
  std::string equals;
};

// `require_attestations` entry: an in-toto attestation (DSSE, cosign's .att tag) with this
// predicateType, signed by the key, whose subject is the image's manifest digest.
struct RequiredAttestation {
  std::string predicate_type;
  std::string key_file, key_pem;
  std::vector<AttestationCondition> conditions;
};

struct PolicyRule {
  int index = 0;       // 1-based position in `rules`
  int line = 0;        // 1-based line of the rule in the file
  std::string images;  // pattern (see image_name_matches)
  bool require_digest = false;
  std::vector<PolicySigner> signers;
  SignersNeeded signers_needed = SignersNeeded::all;
  std::vector<std::string> allowed_base_images;  // empty: any base (not checked)
  std::chrono::seconds max_age{0};               // 0: not checked; `max_age: 90d` / `12h`
  std::string max_age_text;                      // as written
  std::vector<RequiredAttestation> attestations;
  // "rule 2 (images: 127.0.0.1:5000/team/*, trust.yaml:7)"
  [[nodiscard]] std::string describe(const std::string& source) const;
};

struct TrustPolicy {
  std::string source;                           // the file it came from
  std::vector<std::string> allowed_registries;  // empty: any
  std::vector<std::string> denied_registries;
  bool deny_unmatched = false;  // `unmatched: deny`: an image no rule matches is refused
  std::vector<PolicyRule> rules;
};

// Reads a trust policy (YAML). Key files are read relative to the policy's folder. Errors
// name the file, the line and the field ("trust.yaml:4: rules[0].signers[0].key: ...").
[[nodiscard]] Result<TrustPolicy> load_trust_policy(const std::string& path);
[[nodiscard]] Result<TrustPolicy> parse_trust_policy(std::string_view text, const std::string& path);

// `max_age` values: a positive whole number of days ("90d") or hours ("12h").
[[nodiscard]] Result<std::chrono::seconds> parse_max_age(std::string_view text);

// An image config's `created` (RFC 3339: 2024-05-01T12:00:00Z, fractional seconds and
// +hh:mm offsets accepted), from the config JSON. Errors when absent or unparseable.
[[nodiscard]] Result<std::chrono::sys_seconds> parse_image_created(std::string_view config_json);

// A Docker-style name: "debian:12" is docker.io/library/debian:12; a first component with
// '.' or ':' or "localhost" is a registry. registry-1.docker.io and index.docker.io are docker.io.
struct DockerName {
  std::string registry, repository, tag, digest;
  [[nodiscard]] std::string name() const { return registry + "/" + repository; }
};
[[nodiscard]] Result<DockerName> parse_docker_name(std::string_view text);

// Whether `name` ("registry/repository", maybe with ":tag") matches a pattern: a registry
// ("docker.io"), a repository prefix at a '/' boundary ("ghcr.io/org"), an exact name with a
// tag ("docker.io/library/debian:12"), or a glob where '*' is any run of characters, '/'
// included ("127.0.0.1:5000/team/*", "docker.io/library/debian:12*").
[[nodiscard]] bool image_name_matches(std::string_view name, std::string_view tag, std::string_view pattern);

// How to reach the image's registry (the same flags as the scan: --creds, --tls-verify).
struct ImageAccess {
  std::string username, password;
  bool tls_verify = true;
  std::chrono::seconds timeout{10};
  // The clock max_age is judged against; empty: the system clock.
  std::function<std::chrono::system_clock::time_point()> now;
};

// What evaluate_image found out, besides the findings.
struct TrustFacts {
  std::string name;                // what the rules matched: registry/repository, or the local target
  std::string manifest_digest;     // where a manifest could be read
  std::string base_name;           // org.opencontainers.image.base.name, when annotated
  std::string base_digest;         // org.opencontainers.image.base.digest
  std::string created;             // the config's created, when max_age asked for it
  std::vector<int> rules_applied;  // indexes of the rules that matched
};

// Judges the image `target` (skopeo transport syntax: docker://, oci:, oci-archive:,
// docker-archive:, docker-daemon:) against the policy. Fails only when the target does not
// parse; everything the policy refuses or cannot judge is a finding.
[[nodiscard]] Result<std::vector<core::Finding>> evaluate_image(const TrustPolicy& policy, const std::string& target,
                                                                const ImageAccess& access, TrustFacts* facts = nullptr);

// Whether a finding of evaluate_image refuses the image (status fail).
[[nodiscard]] bool refuses(const core::Finding& f) noexcept;

}  // namespace bulwark::trust
