#include "runtime/probe/cgroup_paths.hpp"

#include <sys/stat.h>

#include <system_error>

namespace bulwark::runtime::probe {
namespace {
constexpr std::size_t kMaxEntries = 65536;
constexpr int kMaxDepth = 12;
constexpr auto kRewalkEvery = std::chrono::seconds(1);
}  // namespace

CgroupPaths::CgroupPaths(std::vector<std::filesystem::path> roots) : roots_(std::move(roots)) {}

std::vector<std::filesystem::path> CgroupPaths::host_roots() {
  std::vector<std::filesystem::path> roots;
  std::error_code ec;
  if (std::filesystem::exists("/sys/fs/cgroup/cgroup.controllers", ec)) {
    roots.emplace_back("/sys/fs/cgroup");  // pure v2
  } else {
    if (std::filesystem::exists("/sys/fs/cgroup/unified/cgroup.controllers", ec)) {
      roots.emplace_back("/sys/fs/cgroup/unified");
    }
    if (std::filesystem::exists("/sys/fs/cgroup/memory", ec)) roots.emplace_back("/sys/fs/cgroup/memory");
  }
  return roots;
}

void CgroupPaths::walk() {
  last_walk_ = std::chrono::steady_clock::now();
  walked_ = true;
  if (paths_.size() > kMaxEntries) paths_.clear();
  for (const auto& root : roots_) {
    struct stat st {};
    if (::stat(root.c_str(), &st) == 0) paths_.try_emplace(st.st_ino, "/");
    std::error_code ec;
    std::filesystem::recursive_directory_iterator it(root, std::filesystem::directory_options::skip_permission_denied,
                                                     ec);
    std::size_t seen = 0;
    for (; !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      if (it.depth() >= kMaxDepth) {
        it.disable_recursion_pending();
        continue;
      }
      if (!it->is_directory(ec) || it->is_symlink(ec)) continue;
      if (++seen > kMaxEntries) break;
      if (::stat(it->path().c_str(), &st) != 0) continue;
      std::string rel = "/" + std::filesystem::relative(it->path(), root, ec).string();
      paths_.insert_or_assign(st.st_ino, std::move(rel));
    }
  }
}

void CgroupPaths::remember_leaf(std::uint64_t id, std::string_view leaf) {
  if (id == 0 || leaf.empty() || paths_.contains(id)) return;
  if (paths_.size() > kMaxEntries) paths_.clear();
  // Walk first: the full path says more than the leaf (v2 slices, kubepods).
  if (!walked_ || std::chrono::steady_clock::now() - last_walk_ >= kRewalkEvery) walk();
  if (!paths_.contains(id)) paths_.emplace(id, "/" + std::string(leaf));
}

std::string CgroupPaths::lookup(std::uint64_t id, std::string_view leaf_hint) {
  if (id == 0) return {};
  if (auto it = paths_.find(id); it != paths_.end()) return it->second;
  if (!walked_ || std::chrono::steady_clock::now() - last_walk_ >= kRewalkEvery) {
    walk();
    if (auto it = paths_.find(id); it != paths_.end()) return it->second;
  }
  if (!leaf_hint.empty()) {
    remember_leaf(id, leaf_hint);
    return paths_[id];
  }
  return {};
}

}  // namespace bulwark::runtime::probe
