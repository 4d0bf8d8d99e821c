#include "core/filetree.hpp"

#include <algorithm>

#include "util/strings.hpp"

namespace bulwark::core {

Result<std::string> normalize_path(std::string_view path) {
  std::vector<std::string_view> parts;
  for (auto seg : util::split(path, '/')) {
    if (seg.empty() || seg == ".") continue;
    if (seg == "..") {
      if (parts.empty()) {
        return fail(ErrorCode::hostile, "path climbs above the root with '..'", util::printable(path));
      }
      parts.pop_back();
      continue;
    }
    parts.push_back(seg);
  }
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i) out.push_back('/');
    out.append(parts[i]);
  }
  return out;
}

void FileTree::put(FileEntry entry) {
  auto key = entry.path;
  entries_.insert_or_assign(std::move(key), std::move(entry));
}

bool FileTree::remove(std::string_view path) {
  bool removed = entries_.erase(std::string(path)) > 0;
  auto before = entries_.size();
  remove_children(path);
  return removed || entries_.size() != before;
}

void FileTree::remove_children(std::string_view dir) {
  if (dir.empty()) {
    entries_.clear();
    return;
  }
  std::string prefix(dir);
  prefix.push_back('/');
  auto it = entries_.lower_bound(prefix);
  while (it != entries_.end() && it->first.starts_with(prefix)) it = entries_.erase(it);
}

const FileEntry* FileTree::find(std::string_view path) const {
  auto it = entries_.find(path);
  return it == entries_.end() ? nullptr : &it->second;
}

Result<const FileEntry*> FileTree::resolve(std::string_view path, std::uint32_t max_hops) const {
  // Walk component by component so that links in the middle of a path are followed too.
  std::vector<std::string> pending;
  for (auto seg : util::split(path, '/')) {
    if (!seg.empty()) pending.emplace_back(seg);
  }
  std::reverse(pending.begin(), pending.end());
  std::vector<std::string> done;
  std::uint32_t hops = 0;
  const FileEntry* current = nullptr;
  while (!pending.empty()) {
    std::string seg = std::move(pending.back());
    pending.pop_back();
    if (seg == ".") continue;
    if (seg == "..") {
      if (!done.empty()) done.pop_back();
      current = nullptr;
      continue;
    }
    done.push_back(seg);
    std::string joined;
    for (std::size_t i = 0; i < done.size(); ++i) {
      if (i) joined.push_back('/');
      joined += done[i];
    }
    current = find(joined);
    if (!current) return fail(ErrorCode::not_found, "no such file in the image", util::printable(path));
    if (current->type == FileType::symlink || current->type == FileType::hardlink) {
      if (++hops > max_hops) {
        return fail(ErrorCode::hostile, "too many levels of links (loop?)", util::printable(path));
      }
      done.pop_back();
      std::string_view target = current->link_target;
      if (current->type == FileType::hardlink || target.starts_with('/')) done.clear();
      std::vector<std::string> segs;
      for (auto s : util::split(target, '/')) {
        if (!s.empty()) segs.emplace_back(s);
      }
      for (auto it = segs.rbegin(); it != segs.rend(); ++it) pending.push_back(*it);
      current = nullptr;
    }
  }
  if (!current) {
    if (done.empty()) return fail(ErrorCode::not_found, "path resolves to the root", util::printable(path));
    std::string joined;
    for (std::size_t i = 0; i < done.size(); ++i) {
      if (i) joined.push_back('/');
      joined += done[i];
    }
    current = find(joined);
    if (!current) return fail(ErrorCode::not_found, "no such file in the image", util::printable(path));
  }
  return current;
}

void FileTree::for_each_below(std::string_view dir, const std::function<void(const FileEntry&)>& fn) const {
  if (dir.empty()) {
    for (auto& [k, v] : entries_) fn(v);
    return;
  }
  std::string prefix(dir);
  prefix.push_back('/');
  for (auto it = entries_.lower_bound(prefix); it != entries_.end() && it->first.starts_with(prefix); ++it) {
    fn(it->second);
  }
}

namespace {

class ChainScan final : public ProbeScan {
 public:
  explicit ChainScan(std::vector<std::unique_ptr<ProbeScan>> scans) : scans_(std::move(scans)) {}
  void feed(std::string_view chunk) override {
    for (auto& s : scans_) {
      if (!s->done()) s->feed(chunk);
    }
  }
  [[nodiscard]] bool done() const override {
    for (const auto& s : scans_) {
      if (!s->done()) return false;
    }
    return true;
  }
  [[nodiscard]] std::optional<std::string> finish() override {
    std::optional<std::string> out;
    for (auto& s : scans_) {
      auto r = s->finish();
      if (r && !out) out = std::move(r);
    }
    return out;
  }

 private:
  std::vector<std::unique_ptr<ProbeScan>> scans_;
};

}  // namespace

bool ProbeChain::wants(const FileEntry& entry) const {
  for (const auto* p : probes_) {
    if (p->wants(entry)) return true;
  }
  return false;
}

std::unique_ptr<ProbeScan> ProbeChain::start() const {
  std::vector<std::unique_ptr<ProbeScan>> scans;
  for (const auto* p : probes_) scans.push_back(p->start());
  return std::make_unique<ChainScan>(std::move(scans));
}

std::unique_ptr<ProbeScan> ProbeChain::start(const FileEntry& entry) const {
  std::vector<std::unique_ptr<ProbeScan>> scans;
  for (const auto* p : probes_) {
    if (p->wants(entry)) scans.push_back(p->start(entry));
  }
  return std::make_unique<ChainScan>(std::move(scans));
}

}  // namespace bulwark::core
