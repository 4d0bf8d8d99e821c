#include "runtime/probe/docker_resolver.hpp"

namespace bulwark::runtime::probe {
namespace {

std::string str(const nlohmann::json& doc, const nlohmann::json::json_pointer& ptr) {
  if (!doc.contains(ptr)) return {};
  const auto& v = doc.at(ptr);
  return v.is_string() ? v.get<std::string>() : std::string();
}

constexpr std::size_t kMaxCached = 4096;

}  // namespace

ContainerInfo container_info_from_inspect(const nlohmann::json& inspect) {
  using ptr = nlohmann::json::json_pointer;
  ContainerInfo info;
  if (!inspect.is_object()) return info;
  info.id = str(inspect, ptr("/Id"));
  info.name = str(inspect, ptr("/Name"));
  if (!info.name.empty() && info.name.front() == '/') info.name.erase(0, 1);
  info.image = str(inspect, ptr("/Config/Image"));
  info.image_id = str(inspect, ptr("/Image"));
  // repository[:tag][@digest]; a ':' after the last '/' separates the tag.
  std::string ref = info.image;
  if (auto at = ref.find('@'); at != std::string::npos) {
    info.image_digest = ref.substr(at + 1);
    ref.resize(at);
  }
  auto slash = ref.rfind('/');
  auto colon = ref.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
    info.image_tag = ref.substr(colon + 1);
    ref.resize(colon);
  } else if (info.image_digest.empty() && !ref.empty()) {
    info.image_tag = "latest";
  }
  info.image_repository = ref;
  info.type = "docker";
  if (inspect.contains(ptr("/HostConfig/Privileged")) && inspect.at(ptr("/HostConfig/Privileged")).is_boolean()) {
    info.privileged = inspect.at(ptr("/HostConfig/Privileged")).get<bool>();
  }
  if (inspect.contains("Mounts") && inspect["Mounts"].is_array()) {
    for (const auto& m : inspect["Mounts"]) {
      if (!m.is_object()) continue;
      std::string mode = m.contains("RW") && m["RW"].is_boolean() && !m["RW"].get<bool>() ? "ro" : "rw";
      info.mounts.push_back(str(m, ptr("/Source")) + ":" + str(m, ptr("/Destination")) + ":" + mode);
    }
  }
  return info;
}

Result<ContainerInfo> DockerContainerResolver::resolve(std::string_view container_id) {
  std::lock_guard lock(mutex_);
  if (auto it = cache_.find(container_id); it != cache_.end()) return it->second;
  if (!client_) {
    auto c = docker::Client::connect(docker_host_);
    if (!c) return std::unexpected(c.error());
    client_ = std::make_unique<docker::Client>(std::move(*c));
  }
  auto doc = client_->inspect_container(container_id);
  if (!doc) return std::unexpected(doc.error());
  ContainerInfo info = container_info_from_inspect(*doc);
  if (info.id.empty()) return fail(ErrorCode::not_found, "the Docker engine returned no id", std::string(container_id));
  if (cache_.size() >= kMaxCached) cache_.clear();
  cache_.emplace(std::string(container_id), info);
  return info;
}

}  // namespace bulwark::runtime::probe
