// Enforcement inputs: the Kubernetes AdmissionReview bodies the webhook judges (apiVersion,
// kind, request uid/operation/kind/namespace, the object turned into the PSS evaluator's
// tree, pod templates of every workload kind, container images checked against image rules)
// and the answer written back; Docker AuthZ plugin requests (RequestMethod, RequestUri
// normalised, RequestBody base64 then JSON: HostConfig, binds, mounts, capabilities, exec)
// through the plugin's HTTP handler, which writes the answer JSON; the enforcement policy
// file (YAML); and the Docker path normaliser and base64 decoder on their own.
//
// Input: a selector byte (0: AdmissionReview, 1: AuthZ request, 2: policy file, 3: a
// RequestUri and a base64 text on two lines), then the document. Image signatures are not
// checked (no registry); the policy of selectors 0 and 1 has registry and digest rules.
#include <cstdio>
#include <filesystem>
#include <string>

#include "common.hpp"
#include "enforce/admission.hpp"
#include "enforce/authz.hpp"
#include "enforce/policy.hpp"
#include "httpd/httpd.hpp"

namespace {

using namespace bulwark;

// The policy is parsed as <tmp>/enforce.yaml beside "cosign.pub" (a public key) and "creds".
const std::string& policy_path() {
  static const std::string path = (bulwark::fuzz::scratch_dir("enforce", {{"cosign.pub", bulwark::fuzz::kFuzzPublicKey},
                                                                          {"creds", "user:secret\n"}}) /
                                   "enforce.yaml")
                                      .string();
  return path;
}

enforce::Policy fuzz_policy(bool strict) {
  enforce::Policy p;
  p.allowed_registries = {"docker.io", "127.0.0.1:5000", "ghcr.io/org"};
  p.denied_registries = {"docker.io/evil/*"};
  p.require_digest = strict;
  p.pod_security = strict ? enforce::PodSecurity::restricted : enforce::PodSecurity::baseline;
  p.exempt_namespaces = {"kube-system"};
  return p;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const enforce::Policy policies[2] = {fuzz_policy(false), fuzz_policy(true)};
  auto [sel, text] = fuzz::select(fuzz::as_text(data, size));
  const auto& policy = policies[(sel >> 2) & 1];
  switch (sel % 4) {
    case 0: {
      auto d = enforce::review_admission(text, policy, enforce::SignatureCheck::skip);
      if (d.body.empty()) std::abort();  // every review gets an answer
      break;
    }
    case 1: {
      static enforce::AuthzPlugin plugin(policies[1], nullptr);
      httpd::Request req;
      req.method = "POST";
      req.path = req.target = "/AuthZPlugin.AuthZReq";
      req.body = std::string(text);
      auto res = plugin.handle(req);
      if (res.body.empty()) std::abort();
      break;
    }
    case 2: {
      if (text.find("/dev/") != std::string_view::npos || text.find("/proc/") != std::string_view::npos) return -1;
      (void)enforce::parse_policy(text, policy_path());
      break;
    }
    default: {
      auto nl = text.find('\n');
      (void)enforce::normalize_docker_path(text.substr(0, nl));
      if (nl != std::string_view::npos) (void)enforce::decode_base64(text.substr(nl + 1));
      (void)enforce::parse_image_name(text.substr(0, nl));
    }
  }
  return 0;
}
