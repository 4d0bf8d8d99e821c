// The admission webhook's decision; see admission.hpp.
#include "enforce/admission.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "config/k8s/objects.hpp"
#include "config/k8s/pss.hpp"
#include "util/json_depth.hpp"

namespace bulwark::enforce {

namespace {

using nlohmann::json;

// The object as the PSS evaluator reads it (a yaml-cpp tree). Depth is bounded by the
// pre-check of the body.
YAML::Node to_yaml(const json& j) {
  switch (j.type()) {
    case json::value_t::object: {
      YAML::Node n(YAML::NodeType::Map);
      for (auto it = j.begin(); it != j.end(); ++it) n[it.key()] = to_yaml(it.value());
      return n;
    }
    case json::value_t::array: {
      YAML::Node n(YAML::NodeType::Sequence);
      for (const auto& v : j) n.push_back(to_yaml(v));
      return n;
    }
    case json::value_t::string: return YAML::Node(j.get<std::string>());
    case json::value_t::boolean: return YAML::Node(j.get<bool>() ? "true" : "false");
    case json::value_t::null: return YAML::Node(YAML::NodeType::Null);
    default: return YAML::Node(j.dump());
  }
}

std::string pss_label(const Policy& p) {
  return fmt::format(
      "{}:{}", p.pod_security == PodSecurity::baseline ? "baseline" : "restricted",
      p.pss_version == config::k8s::pss::kLatest ? std::string("latest") : config::k8s::pss::to_string(p.pss_version));
}

// Every container image of a PodSpec (containers, initContainers, ephemeralContainers).
void collect_images(const json& spec, std::vector<std::string>& images, std::vector<std::string>& reasons) {
  for (const char* list : {"initContainers", "containers", "ephemeralContainers"}) {
    auto it = spec.find(list);
    if (it == spec.end() || it->is_null()) continue;
    if (!it->is_array()) {
      reasons.push_back(fmt::format("spec.{} is not a list", list));
      continue;
    }
    for (const auto& c : *it) {
      std::string name = c.is_object() && c.contains("name") && c["name"].is_string() ? c["name"].get<std::string>()
                                                                                      : std::string("?");
      if (!c.is_object() || !c.contains("image") || !c["image"].is_string() ||
          c["image"].get_ref<const std::string&>().empty()) {
        reasons.push_back(fmt::format("{} \"{}\" names no image", list, name));
        continue;
      }
      images.push_back(c["image"].get<std::string>());
    }
  }
}

std::string join_reasons(const std::vector<std::string>& reasons, std::size_t max) {
  std::string out;
  std::size_t used = 0;
  for (const auto& r : reasons) {
    std::string next = out.empty() ? r : "; " + r;
    if (out.size() + next.size() > max) break;
    out += next;
    ++used;
  }
  if (used < reasons.size()) out += fmt::format("; ... and {} more", reasons.size() - used);
  return out;
}

AdmissionDecision malformed(std::string message) {
  AdmissionDecision d;
  d.http_status = 400;
  d.allowed = false;
  d.reasons.push_back(message);
  d.body = json{{"error", "bad_request"}, {"message", "not an AdmissionReview bulwark can judge: " + message}}.dump();
  return d;
}

}  // namespace

AdmissionDecision review_admission(std::string_view body, const Policy& policy, SignatureCheck signatures,
                                   const AdmissionLimits& limits) {
  if (body.size() > limits.max_body) return malformed(fmt::format("the body is larger than {} bytes", limits.max_body));
  if (util::json_depth(body, limits.max_depth) > limits.max_depth) {
    return malformed(fmt::format("the JSON nests deeper than {} levels", limits.max_depth));
  }
  json review = json::parse(body, nullptr, false);
  if (review.is_discarded()) return malformed("the body is not JSON");
  if (!review.is_object()) return malformed("the body is not a JSON object");
  std::string api_version =
      review.value("apiVersion", json()).is_string() ? review["apiVersion"].get<std::string>() : "";
  if (api_version != "admission.k8s.io/v1" && api_version != "admission.k8s.io/v1beta1") {
    return malformed("apiVersion must be admission.k8s.io/v1");
  }
  if (!review.contains("kind") || review["kind"] != "AdmissionReview") return malformed("kind must be AdmissionReview");
  if (!review.contains("request") || !review["request"].is_object()) return malformed("request is missing");
  const json& req = review["request"];
  if (!req.contains("uid") || !req["uid"].is_string() || req["uid"].get_ref<const std::string&>().empty() ||
      req["uid"].get_ref<const std::string&>().size() > 256) {
    return malformed("request.uid is missing");
  }

  AdmissionDecision d;
  d.uid = req["uid"].get<std::string>();
  auto str = [&](const json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  std::string operation = str(req, "operation");
  std::string kind = req.contains("kind") && req["kind"].is_object() ? str(req["kind"], "kind") : "";
  std::string ns = str(req, "namespace");
  auto deny = [&](std::string reason) { d.reasons.push_back(std::move(reason)); };

  if (operation == "DELETE" || operation == "CONNECT") {
    // Nothing starts: allowed.
  } else if (operation != "CREATE" && operation != "UPDATE") {
    deny(fmt::format("unknown operation \"{}\"", operation));
  } else if (kind.empty()) {
    deny("request.kind.kind is missing");
  } else if (config::k8s::is_workload_kind(kind)) {
    const json* object = req.contains("object") && req["object"].is_object() ? &req["object"] : nullptr;
    if (!object) {
      deny(fmt::format("the {} object is missing", kind));
    } else {
      config::k8s::Object obj;
      obj.kind = kind;
      obj.node = to_yaml(*object);
      auto tmpl = config::k8s::pod_template(obj);
      // The PodSpec as JSON, for the images.
      const json* spec = nullptr;
      if (kind == "Pod") {
        spec = object->contains("spec") && (*object)["spec"].is_object() ? &(*object)["spec"] : nullptr;
      } else {
        json::json_pointer ptr(kind == "CronJob" ? "/spec/jobTemplate/spec/template/spec" : "/spec/template/spec");
        if (object->contains(ptr) && object->at(ptr).is_object()) spec = &object->at(ptr);
      }
      bool has_containers =
          spec && spec->contains("containers") && (*spec)["containers"].is_array() && !(*spec)["containers"].empty();
      if (!tmpl || !spec) {
        deny(fmt::format("the {} has no pod spec", kind));
      } else if (!has_containers) {
        // The API server would refuse it; a webhook that is sent it anyway does not allow it.
        deny(fmt::format("the {} has no pod spec with containers", kind));
      } else {
        bool exempt = std::find(policy.exempt_namespaces.begin(), policy.exempt_namespaces.end(), ns) !=
                      policy.exempt_namespaces.end();
        if (policy.pod_security != PodSecurity::off && !exempt) {
          auto level = policy.pod_security == PodSecurity::baseline ? config::k8s::pss::Level::baseline
                                                                    : config::k8s::pss::Level::restricted;
          auto violations = config::k8s::pss::evaluate(tmpl->metadata, tmpl->spec, level, policy.pss_version);
          if (!violations.empty()) {
            std::vector<std::string> parts;
            for (const auto& v : violations) {
              parts.push_back(v.detail.empty() ? v.reason : fmt::format("{} ({})", v.reason, v.detail));
            }
            deny(fmt::format("violates PodSecurity \"{}\": {}", pss_label(policy), fmt::join(parts, ", ")));
          }
        } else if (exempt && policy.pod_security != PodSecurity::off) {
          d.warnings.push_back(fmt::format("namespace {} is exempt from Pod Security in bulwark's policy", ns));
        }
        std::vector<std::string> images;
        collect_images(*spec, images, d.reasons);
        std::set<std::string> seen;
        for (const auto& image : images) {
          if (!seen.insert(image).second) continue;
          for (auto& r : check_image(policy, image, signatures)) deny(std::move(r));
        }
      }
    }
  }

  std::string why;
  bool glass = break_glass_active(policy, &why);
  if (!why.empty()) d.warnings.push_back("bulwark: " + why);
  if (glass && !d.reasons.empty()) {
    d.warnings.push_back("bulwark would deny: " + join_reasons(d.reasons, limits.max_message));
    d.reasons.clear();
  }
  d.allowed = d.reasons.empty();
  json response = {{"uid", d.uid}, {"allowed", d.allowed}};
  if (!d.allowed) {
    response["status"] = {
        {"code", 403}, {"reason", "Forbidden"}, {"message", "bulwark: " + join_reasons(d.reasons, limits.max_message)}};
  }
  if (!d.warnings.empty()) response["warnings"] = d.warnings;
  // Reasons quote the request; any invalid UTF-8 in them is replaced rather than thrown on.
  d.body = json{{"apiVersion", api_version}, {"kind", "AdmissionReview"}, {"response", response}}.dump(
      -1, ' ', false, json::error_handler_t::replace);
  return d;
}

}  // namespace bulwark::enforce
