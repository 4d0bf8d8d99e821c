#include "host/hostfs.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "util/files.hpp"
#include "util/strings.hpp"

namespace bulwark::host {

namespace {

constexpr int kMaxLinkHops = 40;

std::vector<std::string> components(std::string_view path) {
  std::vector<std::string> out;
  for (auto part : util::split(path, '/')) {
    if (part.empty() || part == ".") continue;
    out.emplace_back(part);
  }
  return out;
}

FileKind kind_of(mode_t m) {
  if (S_ISREG(m)) return FileKind::regular;
  if (S_ISDIR(m)) return FileKind::directory;
  if (S_ISLNK(m)) return FileKind::symlink;
  if (S_ISSOCK(m)) return FileKind::socket;
  return FileKind::other;
}

}  // namespace

HostFs::HostFs(std::filesystem::path root) : root_(std::move(root)) {
  if (root_.empty()) root_ = "/";
}

std::optional<std::filesystem::path> HostFs::resolve(std::string_view path) const {
  if (is_live()) {
    // On the live host every path is already the real one.
    return std::filesystem::path(path.starts_with('/') ? std::string(path) : "/" + std::string(path));
  }
  // Walk component by component, resolving links against the root (a chroot's view).
  std::vector<std::string> todo = components(path);
  std::reverse(todo.begin(), todo.end());
  std::vector<std::string> done;
  int hops = 0;
  while (!todo.empty()) {
    std::string part = std::move(todo.back());
    todo.pop_back();
    if (part == "..") {
      if (!done.empty()) done.pop_back();
      continue;
    }
    std::filesystem::path real = root_;
    for (const auto& d : done) real /= d;
    real /= part;
    struct stat st {};
    if (::lstat(real.c_str(), &st) != 0) return std::nullopt;
    if (S_ISLNK(st.st_mode)) {
      if (++hops > kMaxLinkHops) return std::nullopt;
      char buf[4096];
      ssize_t n = ::readlink(real.c_str(), buf, sizeof buf - 1);
      if (n < 0) return std::nullopt;
      std::string_view target(buf, static_cast<std::size_t>(n));
      if (target.starts_with('/')) done.clear();
      auto parts = components(target);
      for (auto it = parts.rbegin(); it != parts.rend(); ++it) todo.push_back(*it);
      continue;
    }
    done.push_back(std::move(part));
  }
  std::filesystem::path real = root_;
  for (const auto& d : done) real /= d;
  return real;
}

std::optional<FileInfo> HostFs::stat(std::string_view path) const {
  auto real = resolve(path);
  if (!real) return std::nullopt;
  struct stat st {};
  if (::stat(real->c_str(), &st) != 0) return std::nullopt;
  FileInfo info;
  info.path = std::string(path);
  info.kind = kind_of(st.st_mode);
  info.mode = st.st_mode & 07777U;
  info.uid = st.st_uid;
  info.gid = st.st_gid;
  info.device = st.st_dev;
  return info;
}

Result<std::string> HostFs::read(std::string_view path, std::uint64_t max_bytes) const {
  auto real = resolve(path);
  if (!real) return fail(ErrorCode::not_found, "no such file", std::string(path));
  auto text = util::read_file(*real, max_bytes);
  if (!text) return fail(text.error().code, text.error().message, std::string(path));
  return text;
}

std::vector<std::string> HostFs::list(std::string_view dir) const {
  std::vector<std::string> out;
  auto real = resolve(dir);
  if (!real) return out;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(*real, ec); !ec && it != std::filesystem::directory_iterator();
       it.increment(ec)) {
    out.push_back(it->path().filename().string());
    if (out.size() > 10000) break;  // a bound for hostile roots
  }
  std::sort(out.begin(), out.end());
  return out;
}

void HostFs::load_accounts() const {
  if (accounts_loaded_) return;
  accounts_loaded_ = true;
  if (auto passwd = read("/etc/passwd", 8 << 20)) {
    for (auto line : util::split(*passwd, '\n')) {
      auto f = util::split(line, ':');
      if (f.size() < 4) continue;
      auto uid = util::parse_u64(f[2]);
      auto gid = util::parse_u64(f[3]);
      if (!uid || !gid) continue;
      users_.emplace(static_cast<std::uint32_t>(*uid), std::string(f[0]));
      user_primary_gid_.emplace(std::string(f[0]), static_cast<std::uint32_t>(*gid));
    }
  }
  if (auto group = read("/etc/group", 8 << 20)) {
    for (auto line : util::split(*group, '\n')) {
      auto f = util::split(line, ':');
      if (f.size() < 3) continue;
      auto gid = util::parse_u64(f[2]);
      if (!gid) continue;
      std::vector<std::string> members;
      if (f.size() >= 4) {
        for (auto m : util::split(f[3], ',')) {
          auto t = util::trim(m);
          if (!t.empty()) members.emplace_back(t);
        }
      }
      groups_.emplace(static_cast<std::uint32_t>(*gid), std::string(f[0]));
      group_entries_.emplace(std::string(f[0]), std::pair{static_cast<std::uint32_t>(*gid), std::move(members)});
    }
  }
}

std::string HostFs::user_name(std::uint32_t uid) const {
  load_accounts();
  auto it = users_.find(uid);
  return it != users_.end() ? it->second : std::to_string(uid);
}

std::string HostFs::group_name(std::uint32_t gid) const {
  load_accounts();
  auto it = groups_.find(gid);
  return it != groups_.end() ? it->second : std::to_string(gid);
}

std::optional<std::uint32_t> HostFs::group_id(std::string_view name) const {
  load_accounts();
  auto it = group_entries_.find(name);
  if (it == group_entries_.end()) return std::nullopt;
  return it->second.first;
}

std::vector<std::string> HostFs::group_members(std::string_view name) const {
  load_accounts();
  auto it = group_entries_.find(name);
  if (it == group_entries_.end()) return {};
  std::vector<std::string> out = it->second.second;
  for (const auto& [user, gid] : user_primary_gid_) {
    if (gid == it->second.first && std::find(out.begin(), out.end(), user) == out.end()) out.push_back(user);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string describe_mode(std::uint32_t mode) {
  std::string rwx = "---------";
  const char* letters = "rwxrwxrwx";
  for (int i = 0; i < 9; ++i) {
    if (mode & (0400U >> i)) rwx[static_cast<std::size_t>(i)] = letters[i];
  }
  if (mode & 04000U) rwx[2] = (mode & 0100U) ? 's' : 'S';
  if (mode & 02000U) rwx[5] = (mode & 0010U) ? 's' : 'S';
  if (mode & 01000U) rwx[8] = (mode & 0001U) ? 't' : 'T';
  return fmt::format("{:04o} ({})", mode & 07777U, rwx);
}

}  // namespace bulwark::host
