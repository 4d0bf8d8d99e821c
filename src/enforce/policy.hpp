// The enforcement policy shared by the Kubernetes admission webhook and the Docker
// authorization plugin (docs/enforce.md): which Pod Security level pods must meet, which
// images may run (registries allowed or denied, digest pinning, cosign signatures checked
// with a configured key), which container settings are refused (privileged, host
// namespaces, the Docker socket mounted), and the break-glass file that lets an operator
// switch enforcement off without restarting anything.
//
// Everything here decides; nothing here listens. A decision is a list of reasons: empty
// means allowed. Anything the policy cannot judge (an image name it cannot parse, a
// signature it cannot fetch) is a reason to refuse: enforcement fails closed.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/k8s/pss.hpp"
#include "util/error.hpp"

namespace bulwark::enforce {

// An image reference the way Docker and the kubelet read it: "nginx" is
// docker.io/library/nginx:latest; a first component with a '.' or ':' or "localhost" is a
// registry.
struct ImageName {
  std::string original;
  std::string registry;    // "docker.io", "127.0.0.1:5000"
  std::string repository;  // "library/nginx"
  std::string tag;         // "" when only a digest is given
  std::string digest;      // "sha256:<64 hex>" or ""
  // "registry/repository"
  [[nodiscard]] std::string name() const { return registry + "/" + repository; }
};

// Errors: invalid_argument naming what is wrong with the reference.
[[nodiscard]] Result<ImageName> parse_image_name(std::string_view text);

// Whether `image` ("registry/repository") matches a policy entry: "docker.io" (a registry),
// "ghcr.io/org" (a repository prefix, at a '/' boundary), or a glob with '*' (any run of
// characters, '/' included) such as "127.0.0.1:5000/team/*".
[[nodiscard]] bool image_matches(std::string_view image, std::string_view pattern);

// Images matching `images` must carry a cosign signature (simple signing, tag scheme) that
// verifies with `key_pem`, fetched from their registry.
struct SignatureRule {
  std::string images;    // pattern as image_matches takes it
  std::string key_file;  // as written (for messages)
  std::string key_pem;
  std::string username, password;  // from credentials_file (USER:PASSWORD); never printed
  bool insecure = false;           // plain HTTP to the registry (a loopback test registry)
  std::chrono::seconds timeout{5};
};

enum class PodSecurity { off, baseline, restricted };

struct Policy {
  std::string source;  // the file it came from ("" = defaults)

  // Pod Security Standards (admission webhook).
  PodSecurity pod_security = PodSecurity::restricted;
  config::k8s::pss::Version pss_version = config::k8s::pss::kLatest;
  std::vector<std::string> exempt_namespaces;

  // Images (both).
  bool require_digest = false;
  std::vector<std::string> allowed_registries;  // empty: any
  std::vector<std::string> denied_registries;
  std::vector<SignatureRule> signatures;

  // Container settings (Docker authorization plugin).
  bool allow_privileged = false;
  bool allow_host_network = false;
  bool allow_host_pid = false;
  bool allow_host_ipc = false;
  bool allow_host_uts = false;
  bool allow_host_userns = false;
  bool allow_docker_socket = false;

  // When this file exists (owned by root or by this process's user, not writable by group or
  // others), everything is allowed and each decision says so. Empty: no break-glass.
  std::string break_glass_file;
};

// Reads a policy file (YAML, keys in docs/enforce.md). Key and credential files are read
// relative to the policy's folder. Errors name the file and line: an unknown key, a wrong
// type, an unreadable key file.
[[nodiscard]] Result<Policy> load_policy(const std::string& path);
[[nodiscard]] Result<Policy> parse_policy(std::string_view text, const std::string& path);

// The reasons `image` fails the image rules (registries, digest); `signatures` also checks
// the signature rules that match it (contacting the registry). Empty: allowed.
enum class SignatureCheck { skip, verify };
[[nodiscard]] std::vector<std::string> check_image(const Policy& policy, std::string_view image,
                                                   SignatureCheck signatures);

// Whether the break-glass file is in force; `why` tells what was found (an unsafe file is
// ignored and said so).
[[nodiscard]] bool break_glass_active(const Policy& policy, std::string* why = nullptr);

}  // namespace bulwark::enforce
