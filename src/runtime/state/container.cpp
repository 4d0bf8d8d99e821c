#include "runtime/state/container.hpp"

#include <cctype>

namespace bulwark::runtime {

namespace {

bool is_hex64(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!std::isxdigit(static_cast<unsigned char>(c)) || std::isupper(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// The last path component, without a ".scope" suffix.
std::string_view last_component(std::string_view path) {
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  auto slash = path.rfind('/');
  std::string_view leaf = slash == std::string_view::npos ? path : path.substr(slash + 1);
  if (leaf.ends_with(".scope")) leaf.remove_suffix(6);
  return leaf;
}

}  // namespace

std::string container_id_from_cgroup(std::string_view cgroup_path) {
  // A v1 "/proc/PID/cgroup" line ("4:memory:/docker/<id>") is accepted too.
  if (auto colon = cgroup_path.rfind(':'); colon != std::string_view::npos && cgroup_path.find('/') > colon) {
    cgroup_path = cgroup_path.substr(colon + 1);
  }
  // Walk components from the leaf up: systemd may nest "init.scope" etc. below the container.
  std::string_view rest = cgroup_path;
  for (int depth = 0; depth < 64 && !rest.empty(); ++depth) {
    std::string_view leaf = last_component(rest);
    for (std::string_view prefix : {"docker-", "cri-containerd-", "crio-", "libpod-", "containerd-", ""}) {
      if (leaf.starts_with(prefix) && is_hex64(leaf.substr(prefix.size()))) {
        return std::string(leaf.substr(prefix.size()));
      }
    }
    while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
    auto slash = rest.rfind('/');
    if (slash == std::string_view::npos) break;
    rest = rest.substr(0, slash);
  }
  return {};
}

std::string container_type_from_cgroup(std::string_view cgroup_path) {
  if (container_id_from_cgroup(cgroup_path).empty()) return {};
  if (cgroup_path.find("cri-containerd-") != std::string_view::npos) return "containerd";
  if (cgroup_path.find("crio-") != std::string_view::npos) return "cri-o";
  if (cgroup_path.find("libpod-") != std::string_view::npos) return "podman";
  if (cgroup_path.find("docker") != std::string_view::npos) return "docker";
  if (cgroup_path.find("kubepods") != std::string_view::npos) return "containerd";
  return "docker";
}

}  // namespace bulwark::runtime
