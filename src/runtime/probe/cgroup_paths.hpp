// Maps the kernel's cgroup id (the kernfs node id the probe sends with every
// event) to the cgroup path that names the container: "/docker/<id>" on cgroup
// v1, "/system.slice/docker-<id>.scope" on v2. The kernfs id is the inode
// number of the cgroup's directory, so one walk of the hierarchy fills the map;
// a miss walks again at most once a second. Memory is bounded.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace bulwark::runtime::probe {

class CgroupPaths {
 public:
  // roots: the hierarchies to walk, in the order the probe prefers them (the
  // probe reports the v2 cgroup when the task is below the v2 root, else the v1
  // memory controller's).
  explicit CgroupPaths(std::vector<std::filesystem::path> roots);
  // The roots for this machine: the unified hierarchy, then the v1 memory one.
  [[nodiscard]] static std::vector<std::filesystem::path> host_roots();

  // The path for `id`; `leaf_hint` (the cgroup's own name, sent with exec and
  // fork) names a cgroup that vanished before it was walked. Empty when unknown.
  [[nodiscard]] std::string lookup(std::uint64_t id, std::string_view leaf_hint = {});
  // Tells the cache a cgroup's leaf name while it is fresh.
  void remember_leaf(std::uint64_t id, std::string_view leaf);

  [[nodiscard]] std::size_t size() const noexcept { return paths_.size(); }

 private:
  void walk();

  std::vector<std::filesystem::path> roots_;
  std::unordered_map<std::uint64_t, std::string> paths_;
  std::chrono::steady_clock::time_point last_walk_{};
  bool walked_ = false;
};

}  // namespace bulwark::runtime::probe
