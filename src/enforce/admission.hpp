// The Kubernetes validating admission webhook (`POST /api/v1/admission/validate` on
// `bulwark server`): reads an AdmissionReview (admission.k8s.io/v1, or v1beta1) as the API
// server sends it and answers one with the same uid, allowed true or false, and the
// reasons in status.message.
//
// Pods and the workload kinds with a pod template (Deployment, StatefulSet, DaemonSet,
// ReplicaSet, ReplicationController, Job, CronJob) are judged on CREATE and UPDATE:
// the Pod Security Standards at the policy's level and version (config/k8s/pss, the
// evaluator `bulwark config` uses), then every container image (init and ephemeral
// containers too) against the image rules and signature rules. Other kinds, DELETE and
// CONNECT are allowed: the webhook configuration decides what is sent here.
//
// Fails closed: a body that is not a well-formed AdmissionReview with a request uid is an
// HTTP 400 (the API server then applies failurePolicy: Fail); a request whose uid is known
// but whose operation or object cannot be judged is answered allowed: false.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "enforce/policy.hpp"

namespace bulwark::enforce {

struct AdmissionLimits {
  std::size_t max_body = 8 << 20;  // the API server's own request limit is 3 MiB
  std::uint32_t max_depth = 64;
  std::size_t max_message = 4096;  // status.message is cut here ("... and N more")
};

struct AdmissionDecision {
  int http_status = 200;  // 400 when the review itself is malformed
  std::string body;       // the AdmissionReview answer (or an error document for 400)
  std::string uid;
  bool allowed = false;
  std::vector<std::string> reasons;  // why not (empty when allowed)
  std::vector<std::string> warnings;
};

[[nodiscard]] AdmissionDecision review_admission(std::string_view body, const Policy& policy,
                                                 SignatureCheck signatures = SignatureCheck::verify,
                                                 const AdmissionLimits& limits = {});

}  // namespace bulwark::enforce
