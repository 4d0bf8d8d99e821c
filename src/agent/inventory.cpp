#include "agent/inventory.hpp"

#include <unistd.h>

#include "agent/spool.hpp"

namespace bulwark::agent {

namespace {

nlohmann::json string_map(const nlohmann::json& j) {
  nlohmann::json out = nlohmann::json::object();
  if (!j.is_object()) return out;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.value().is_string()) out[it.key()] = it.value();
  }
  return out;
}

nlohmann::json string_list(const nlohmann::json& j) {
  nlohmann::json out = nlohmann::json::array();
  if (!j.is_array()) return out;
  for (const auto& v : j) {
    if (v.is_string() && v.get<std::string>() != "<none>:<none>" && v.get<std::string>() != "<none>@<none>") {
      out.push_back(v);
    }
  }
  return out;
}

std::string str(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return {};
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

}  // namespace

std::string local_host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == 0) return "unknown";
  return buf;
}

nlohmann::json agent_envelope(std::string_view report, const HostIdentity& host) {
  return {{"schema", "bulwark/v1"},
          {"tool", {{"name", "bulwark"}, {"version", BULWARK_VERSION}}},
          {"report", std::string(report)},
          {"host", {{"name", host.name}, {"engine", host.engine}}},
          {"generated_at", rfc3339_now()}};
}

Result<nlohmann::json> docker_inventory(docker::Client& client, const HostIdentity& host, std::size_t max_containers) {
  auto images = client.list_images();
  if (!images) return std::unexpected(images.error());
  auto containers = client.list_containers(docker::ContainerSet::running);
  if (!containers) return std::unexpected(containers.error());

  nlohmann::json doc = agent_envelope("inventory", host);
  nlohmann::json out_images = nlohmann::json::array();
  if (images->is_array()) {
    for (const auto& im : *images) {
      out_images.push_back({{"id", str(im, "Id")},
                            {"repo_tags", string_list(im.value("RepoTags", nlohmann::json()))},
                            {"repo_digests", string_list(im.value("RepoDigests", nlohmann::json()))},
                            {"labels", string_map(im.value("Labels", nlohmann::json()))}});
    }
  }
  nlohmann::json out_containers = nlohmann::json::array();
  if (containers->is_array()) {
    for (const auto& c : *containers) {
      if (out_containers.size() >= max_containers) break;
      std::string id = str(c, "Id");
      std::string name;
      if (auto names = c.value("Names", nlohmann::json()); names.is_array() && !names.empty() && names[0].is_string()) {
        name = names[0].get<std::string>();
        if (!name.empty() && name[0] == '/') name.erase(0, 1);
      }
      nlohmann::json labels = string_map(c.value("Labels", nlohmann::json()));
      std::string started_at;
      std::string state = str(c, "State");
      if (auto ins = client.inspect_container(id); ins) {
        started_at = str(ins->value("State", nlohmann::json()), "StartedAt");
      } else if (ins.error().code == ErrorCode::not_found) {
        continue;  // gone between the list and the inspect
      }
      nlohmann::json pod = {{"name", labels.value("io.kubernetes.pod.name", "")},
                            {"namespace", labels.value("io.kubernetes.pod.namespace", "")},
                            {"uid", labels.value("io.kubernetes.pod.uid", "")},
                            {"labels", nlohmann::json::object()}};
      out_containers.push_back({{"id", id},
                                {"name", name},
                                {"image", str(c, "Image")},
                                {"image_id", str(c, "ImageID")},
                                {"state", state},
                                {"started_at", started_at},
                                {"labels", labels},
                                {"pod", pod},
                                {"runtime", "docker"}});
    }
  }
  doc["images"] = std::move(out_images);
  doc["containers"] = std::move(out_containers);
  return doc;
}

std::vector<std::string> inventory_image_ids(const nlohmann::json& inventory) {
  std::vector<std::string> ids;
  if (!inventory.contains("images")) return ids;
  for (const auto& im : inventory["images"]) {
    if (im.contains("id") && im["id"].is_string() && !im["id"].get<std::string>().empty()) ids.push_back(im["id"]);
  }
  return ids;
}

}  // namespace bulwark::agent
