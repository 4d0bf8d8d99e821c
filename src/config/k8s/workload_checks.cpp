#include "config/k8s/workload_checks.hpp"

#include <algorithm>
#include <array>

#include "config/k8s/workload_yaml.hpp"

namespace bulwark::config::k8s::workload {
namespace {

using yq::boolean;
using yq::child;
using yq::integer;
using yq::path;
using yq::present;
using yq::str;

struct Container {
  YAML::Node node;
  std::string name;
  YAML::Node security_context;
  bool init = false;  // initContainers and ephemeralContainers
};

std::vector<Container> containers_of(const YAML::Node& spec) {
  std::vector<Container> out;
  for (auto list : {"containers", "initContainers", "ephemeralContainers"}) {
    YAML::Node seq = child(spec, list);
    if (!seq.IsSequence()) continue;
    for (const auto& item : seq) {
      if (!item.IsMap()) continue;
      out.push_back(
          {item, str(child(item, "name")), child(item, "securityContext"), std::string_view(list) != "containers"});
    }
  }
  return out;
}

std::string quote(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

std::string who(const Container& c) {
  return "container " + quote(c.name);
}

// Is this a kind whose pods run to completion (no probes needed)?
bool batch_kind(std::string_view kind) {
  return kind == "Job" || kind == "CronJob";
}

bool has_quantity(const YAML::Node& container, const char* section, const char* resource) {
  YAML::Node value = path(container, {"resources", section, resource});
  return present(value) && !str(value).empty();
}

// The effective value of an integer securityContext field: the container's, else the pod's.
struct Effective {
  std::optional<long long> value;
  YAML::Node node;  // where it was set, or the container
};
Effective effective_int(const Container& c, const YAML::Node& pod_security_context, const char* field) {
  YAML::Node own = child(c.security_context, field);
  if (auto v = integer(own)) return {v, own};
  YAML::Node pod = child(pod_security_context, field);
  if (auto v = integer(pod)) return {v, pod};
  return {std::nullopt, c.node};
}

std::string trim_trailing_slashes(std::string p) {
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

constexpr std::array kRuntimeSockets{"docker.sock", "containerd.sock", "crio.sock", "cri-dockerd.sock", "podman.sock"};

bool runtime_socket(const std::string& p) {
  for (std::string_view sock : kRuntimeSockets) {
    if (p.ends_with("/" + std::string(sock)) || p == sock) return true;
  }
  return false;
}

// Host paths that give away the node: exact matches, and trees whose every subpath is sensitive.
constexpr std::array kSensitiveExact{"/", "/usr", "/lib", "/var", "/run", "/var/run", "/var/lib"};
constexpr std::array kSensitiveTrees{
    "/proc", "/sys", "/etc", "/boot", "/dev", "/root", "/var/lib/docker", "/var/lib/kubelet", "/var/lib/containerd"};

bool sensitive_host_path(const std::string& p) {
  for (std::string_view e : kSensitiveExact) {
    if (p == e) return true;
  }
  for (std::string_view t : kSensitiveTrees) {
    if (p == t || p.starts_with(std::string(t) + "/")) return true;
  }
  return false;
}

struct Checker {
  const Input& in;
  const Context& ctx;
  std::vector<Hit> hits;
  std::vector<Container> containers;
  YAML::Node pod_security_context;

  void hit(std::string_view id, std::string evidence, const YAML::Node& node) {
    hits.push_back({id, std::move(evidence), node ? node.Mark() : YAML::Mark::null_mark()});
  }

  void resources() {
    struct Need {
      std::string_view id;
      const char* section;
      const char* resource;
    };
    static constexpr std::array kNeeds{Need{"BW-K8S-001", "limits", "cpu"}, Need{"BW-K8S-002", "limits", "memory"},
                                       Need{"BW-K8S-003", "requests", "cpu"}, Need{"BW-K8S-004", "requests", "memory"}};
    for (const auto& need : kNeeds) {
      for (const auto& c : containers) {
        if (c.init) continue;
        if (has_quantity(c.node, need.section, need.resource)) continue;
        hit(need.id, who(c) + " sets no resources." + need.section + "." + need.resource, c.node);
      }
    }
  }

  void probes() {
    if (batch_kind(in.kind)) return;
    for (const auto& c : containers) {
      if (c.init) continue;
      if (!present(child(c.node, "livenessProbe"))) hit("BW-K8S-005", who(c) + " has no livenessProbe", c.node);
      if (!present(child(c.node, "readinessProbe"))) hit("BW-K8S-006", who(c) + " has no readinessProbe", c.node);
    }
  }

  void images() {
    for (const auto& c : containers) {
      YAML::Node image_node = child(c.node, "image");
      std::string image = str(image_node);
      YAML::Node where = present(image_node) ? image_node : c.node;
      ImageRef ref = parse_image(image);
      if (image.empty())
        hit("BW-K8S-007", who(c) + " names no image", where);
      else if (ref.digest.empty() && (ref.tag.empty() || ref.tag == "latest"))
        hit("BW-K8S-007", who(c) + " image " + quote(image) + (ref.tag.empty() ? " has no tag" : " uses :latest"),
            where);
      if (!image.empty() && ref.digest.empty())
        hit("BW-K8S-008", who(c) + " image " + quote(image) + " is not pinned by digest", where);
      // Unset, the API server defaults the policy to Always for untagged and :latest
      // images without a digest, and to IfNotPresent otherwise.
      YAML::Node policy = child(c.node, "imagePullPolicy");
      if (present(policy)) {
        if (str(policy) != "Always") hit("BW-K8S-009", who(c) + " sets imagePullPolicy " + quote(str(policy)), policy);
      } else if (!image.empty() && !(ref.digest.empty() && (ref.tag.empty() || ref.tag == "latest"))) {
        hit("BW-K8S-009", who(c) + " sets no imagePullPolicy, so IfNotPresent applies to " + quote(image), where);
      }
    }
  }

  void service_account() {
    const YAML::Node& spec = in.pod_spec;
    YAML::Node sa_node = child(spec, "serviceAccountName");
    if (!present(sa_node)) sa_node.reset(child(spec, "serviceAccount"));  // the deprecated alias
    std::string sa = str(sa_node);
    YAML::Node automount = child(spec, "automountServiceAccountToken");
    auto pod_setting = boolean(automount);
    if (pod_setting != false) {
      std::optional<bool> sa_setting;
      if (ctx.service_account_automount)
        sa_setting = ctx.service_account_automount(in.namespace_, sa.empty() ? "default" : sa);
      if (pod_setting == true)
        hit("BW-K8S-010", "automountServiceAccountToken=true", automount);
      else if (sa_setting != false)
        hit("BW-K8S-010",
            "the pod does not set automountServiceAccountToken=false" +
                std::string(sa_setting == true ? " and its ServiceAccount sets true" : ""),
            spec);
    }
    if (sa.empty() || sa == "default")
      hit("BW-K8S-011",
          sa.empty() ? "no serviceAccountName: the namespace's default ServiceAccount is used"
                     : "serviceAccountName is \"default\"",
          present(sa_node) ? sa_node : spec);
  }

  void host_paths() {
    YAML::Node volumes = child(in.pod_spec, "volumes");
    if (!volumes.IsSequence()) return;
    for (const auto& v : volumes) {
      YAML::Node p = path(v, {"hostPath", "path"});
      if (!present(p)) continue;
      std::string normalized = trim_trailing_slashes(str(p));
      std::string evidence = "volume " + quote(str(child(v, "name"))) + " mounts host path " + quote(str(p));
      if (runtime_socket(normalized))
        hit("BW-K8S-012", evidence, p);
      else if (sensitive_host_path(normalized))
        hit("BW-K8S-013", evidence, p);
    }
  }

  void security_context() {
    for (const auto& c : containers) {
      YAML::Node ro = child(c.security_context, "readOnlyRootFilesystem");
      if (boolean(ro) != true)
        hit("BW-K8S-014",
            who(c) + (present(ro) ? " sets readOnlyRootFilesystem=false" : " has a writable root filesystem"),
            present(ro) ? ro : c.node);
      auto uid = effective_int(c, pod_security_context, "runAsUser");
      if (!uid.value || *uid.value <= 10000)
        hit("BW-K8S-015",
            who(c) + (uid.value ? " runs as UID " + std::to_string(*uid.value) : " sets no runAsUser") + " (<= 10000)",
            uid.node);
      auto gid = effective_int(c, pod_security_context, "runAsGroup");
      if (!gid.value || *gid.value <= 10000)
        hit("BW-K8S-016",
            who(c) + (gid.value ? " runs as GID " + std::to_string(*gid.value) : " sets no runAsGroup") + " (<= 10000)",
            gid.node);
      if (gid.value && *gid.value == 0) hit("BW-K8S-024", who(c) + " runs with GID 0", gid.node);
    }
    YAML::Node fs_group = child(pod_security_context, "fsGroup");
    if (integer(fs_group) == 0) hit("BW-K8S-024", "pod fsGroup is 0", fs_group);
    YAML::Node groups = child(pod_security_context, "supplementalGroups");
    if (groups.IsSequence()) {
      for (const auto& g : groups) {
        if (integer(g) == 0) hit("BW-K8S-024", "pod supplementalGroups include 0", g);
      }
    }
  }

  void namespaces() {
    YAML::Node ns = path(in.object, {"metadata", "namespace"});
    if (in.namespace_ == "default")
      hit("BW-K8S-017", "the workload is in the default namespace", ns);
    else if (in.namespace_ == "kube-system" && str(path(in.pod_metadata, {"labels", "tier"})) != "control-plane")
      hit("BW-K8S-025", "the workload is in kube-system", ns);
  }

  void env_secrets() {
    for (const auto& c : containers) {
      YAML::Node env = child(c.node, "env");
      if (env.IsSequence()) {
        for (const auto& e : env) {
          YAML::Node ref = path(e, {"valueFrom", "secretKeyRef"});
          if (present(ref))
            hit("BW-K8S-021",
                who(c) + " reads secret " + quote(str(child(ref, "name"))) + " into env " +
                    quote(str(child(e, "name"))),
                ref);
        }
      }
      YAML::Node env_from = child(c.node, "envFrom");
      if (env_from.IsSequence()) {
        for (const auto& e : env_from) {
          YAML::Node ref = child(e, "secretRef");
          if (present(ref))
            hit("BW-K8S-021", who(c) + " imports secret " + quote(str(child(ref, "name"))) + " as env", ref);
        }
      }
    }
  }

  void host_aliases() {
    YAML::Node aliases = child(in.pod_spec, "hostAliases");
    if (aliases.IsSequence() && aliases.size() > 0)
      hit("BW-K8S-022", "hostAliases rewrites /etc/hosts of the pod", aliases);
  }

  void privileged_ports() {
    for (const auto& c : containers) {
      YAML::Node ports = child(c.node, "ports");
      if (!ports.IsSequence()) continue;
      for (const auto& p : ports) {
        YAML::Node port = child(p, "containerPort");
        auto value = integer(port);
        if (value && *value > 0 && *value < 1024)
          hit("BW-K8S-023", who(c) + " listens on privileged port " + std::to_string(*value), port);
      }
    }
  }

  void service() {
    YAML::Node spec = child(in.object, "spec");
    YAML::Node type = child(spec, "type");
    if (str(type) == "NodePort") hit("BW-K8S-018", "Service type NodePort opens a port on every node", type);
    if (str(type) == "LoadBalancer")
      hit("BW-K8S-019", "Service type LoadBalancer exposes it outside the cluster", type);
    YAML::Node ips = child(spec, "externalIPs");
    if (ips.IsSequence() && ips.size() > 0) hit("BW-K8S-020", "Service sets externalIPs", ips);
  }
};

bool workload(const Input& input) {
  return present(input.pod_spec) && input.pod_spec.IsMap();
}

}  // namespace

const std::vector<std::string_view>& check_ids() {
  static const std::vector<std::string_view> kIds{"BW-K8S-001", "BW-K8S-002", "BW-K8S-003", "BW-K8S-004", "BW-K8S-005",
                                                  "BW-K8S-006", "BW-K8S-007", "BW-K8S-008", "BW-K8S-009", "BW-K8S-010",
                                                  "BW-K8S-011", "BW-K8S-012", "BW-K8S-013", "BW-K8S-014", "BW-K8S-015",
                                                  "BW-K8S-016", "BW-K8S-017", "BW-K8S-018", "BW-K8S-019", "BW-K8S-020",
                                                  "BW-K8S-021", "BW-K8S-022", "BW-K8S-023", "BW-K8S-024", "BW-K8S-025"};
  return kIds;
}

std::vector<std::string_view> applicable_checks(const Input& input) {
  if (input.kind == "Service") return {"BW-K8S-018", "BW-K8S-019", "BW-K8S-020"};
  if (!workload(input)) return {};
  std::vector<std::string_view> out;
  for (auto id : check_ids()) {
    if (id == "BW-K8S-018" || id == "BW-K8S-019" || id == "BW-K8S-020") continue;
    if ((id == "BW-K8S-005" || id == "BW-K8S-006") && batch_kind(input.kind)) continue;
    out.push_back(id);
  }
  return out;
}

std::vector<Hit> evaluate(const Input& input, const Context& context) {
  Checker checker{input, context, {}, {}, YAML::Node()};
  if (input.kind == "Service") {
    checker.service();
    return std::move(checker.hits);
  }
  if (!workload(input)) return {};
  checker.containers = containers_of(input.pod_spec);
  checker.pod_security_context.reset(child(input.pod_spec, "securityContext"));
  checker.resources();
  checker.probes();
  checker.images();
  checker.service_account();
  checker.host_paths();
  checker.security_context();
  checker.namespaces();
  checker.env_secrets();
  checker.host_aliases();
  checker.privileged_ports();
  // Catalog order, then document order within a check.
  std::stable_sort(checker.hits.begin(), checker.hits.end(), [](const Hit& a, const Hit& b) { return a.id < b.id; });
  return std::move(checker.hits);
}

ImageRef parse_image(std::string_view image) {
  ImageRef ref;
  if (auto at = image.find('@'); at != std::string_view::npos) {
    ref.digest = std::string(image.substr(at + 1));
    image = image.substr(0, at);
  }
  // A tag follows the last ':' after the last '/' (a ':' before it is a registry port).
  auto slash = image.rfind('/');
  auto colon = image.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash))
    ref.tag = std::string(image.substr(colon + 1));
  return ref;
}

}  // namespace bulwark::config::k8s::workload
