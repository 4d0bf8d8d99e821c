#include "secret/walk.hpp"

#include <fcntl.h>
#include <re2/re2.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <fmt/core.h>
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "util/files.hpp"
#include "util/strings.hpp"

namespace bulwark::secret {

namespace {

std::string glob_to_regex(std::string_view glob) {
  std::string out;
  for (std::size_t i = 0; i < glob.size(); ++i) {
    const char c = glob[i];
    if (c == '*') {
      if (i + 1 < glob.size() && glob[i + 1] == '*') {
        ++i;
        if (i + 1 < glob.size() && glob[i + 1] == '/') {
          ++i;
          out += "(?:.*/)?";
        } else {
          out += ".*";
        }
      } else {
        out += "[^/]*";
      }
    } else if (c == '?') {
      out += "[^/]";
    } else if (c == '[') {
      auto close = glob.find(']', i + 1);
      if (close == std::string_view::npos) {
        out += "\\[";
      } else {
        std::string cls(glob.substr(i + 1, close - i - 1));
        if (!cls.empty() && cls[0] == '!') cls[0] = '^';
        out += "[" + cls + "]";
        i = close;
      }
    } else {
      out += RE2::QuoteMeta(std::string(1, c));
    }
  }
  return out;
}

}  // namespace

Result<SkipList> SkipList::compile(const std::vector<std::string>& patterns) {
  SkipList list;
  for (auto p : patterns) {
    Pattern pat;
    if (p.starts_with('!')) {
      pat.negate = true;
      p.erase(0, 1);
    }
    if (p.ends_with('/')) {
      pat.dir_only = true;
      p.pop_back();
    }
    if (p.empty()) continue;
    // A pattern with a slash (other than at the end) is relative to the root.
    const bool anchored = p.find('/') != std::string::npos;
    if (p.starts_with('/')) p.erase(0, 1);
    pat.regex = (anchored ? "^" : "^(?:.*/)?") + glob_to_regex(p) + "(?:/.*)?$";
    RE2 re(pat.regex);
    if (!re.ok()) return fail(ErrorCode::invalid_argument, "bad --skip pattern: " + re.error(), p);
    list.patterns_.push_back(std::move(pat));
  }
  return list;
}

bool SkipList::skipped(std::string_view rel, bool is_dir) const {
  bool skip = false;
  for (const auto& p : patterns_) {
    // Files below an excluded folder are never reached: a folder-only pattern skips folders.
    if (p.dir_only && !is_dir) continue;
    if (RE2::FullMatch(re2::StringPiece(rel.data(), rel.size()), p.regex)) skip = !p.negate;
  }
  return skip;
}

namespace {

struct Walker {
  const Engine& engine;
  const SkipList& skip;
  core::Diagnostics& diags;
  WalkStats& stats;
  std::vector<FileFinding> found;
  std::vector<char> buf = std::vector<char>(1U << 20);

  void scan_file(int dirfd, const char* name, const std::string& rel) {
    int fd = ::openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
      diags.warning("io", rel, std::strerror(errno));
      return;
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd);
      return;
    }
    ++stats.files;
    auto scan = engine.open(rel, static_cast<std::uint64_t>(st.st_size));
    ssize_t n = 0;
    while (!scan->done() && (n = ::read(fd, buf.data(), buf.size())) > 0) {
      stats.bytes += static_cast<std::uint64_t>(n);
      scan->feed(std::string_view(buf.data(), static_cast<std::size_t>(n)));
    }
    ::close(fd);
    for (auto& m : scan->finish()) {
      FileFinding f;
      f.file = rel;
      f.path = m.member.empty() ? rel : rel + "!" + m.member;
      f.match = std::move(m);
      if (found.size() < engine.options().max_findings) found.push_back(std::move(f));
    }
  }

  void walk(int dirfd, const std::string& prefix, int depth) {
    if (depth > 256) return;
    std::vector<std::string> names = util::directory_entries(dirfd);
    std::sort(names.begin(), names.end());
    for (const auto& n : names) {
      const std::string rel = prefix.empty() ? n : prefix + "/" + n;
      struct stat st {};
      if (::fstatat(dirfd, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
      const bool is_dir = S_ISDIR(st.st_mode);
      if (!is_dir && !S_ISREG(st.st_mode)) continue;
      if ((is_dir && n == ".git") || skip.skipped(rel, is_dir)) {
        ++stats.skipped;
        continue;
      }
      if (is_dir) {
        int sub = ::openat(dirfd, n.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub < 0) continue;
        walk(sub, rel, depth + 1);
        ::close(sub);
      } else if (st.st_size > 0) {
        scan_file(dirfd, n.c_str(), rel);
      }
    }
  }
};

}  // namespace

Result<std::vector<FileFinding>> scan_path(const Engine& engine, const std::filesystem::path& root,
                                           const SkipList& skip, core::Diagnostics& diags, WalkStats* stats) {
  WalkStats local;
  Walker w{engine, skip, diags, stats ? *stats : local, {}};
  struct stat st {};
  if (::lstat(root.c_str(), &st) != 0) {
    return fail(errno == ENOENT ? ErrorCode::not_found : ErrorCode::io, std::strerror(errno), root.string());
  }
  if (S_ISREG(st.st_mode)) {
    w.scan_file(AT_FDCWD, root.c_str(), root.string());
    return std::move(w.found);
  }
  if (!S_ISDIR(st.st_mode)) return fail(ErrorCode::invalid_argument, "not a file or folder", root.string());
  int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return fail(ErrorCode::io, std::strerror(errno), root.string());
  w.walk(fd, "", 0);
  ::close(fd);
  return std::move(w.found);
}

namespace {

std::string base64_decode(std::string_view in) {
  static constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned value = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=' || c == '\n' || c == '\r' || c == ' ') continue;
    auto pos = kAlphabet.find(c);
    if (pos == std::string_view::npos) return {};
    value = (value << 6) | static_cast<unsigned>(pos);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((value >> bits) & 0xff);
    }
  }
  return out;
}

}  // namespace

std::vector<core::Finding> scan_document(const Engine& engine, std::string_view path, std::string_view text,
                                         const core::Target& target) {
  std::vector<core::Finding> out;
  for (auto& m : engine.scan(text, path)) out.push_back(to_finding(m, path, target));
  // Kubernetes Secrets keep values base64-encoded under `data:`: decode and scan each.
  if (text.find("kind: Secret") == std::string_view::npos &&
      text.find("\"kind\": \"Secret\"") == std::string_view::npos) {
    return out;
  }
  try {
    for (const auto& doc : YAML::LoadAll(std::string(text))) {
      if (!doc.IsMap() || doc["kind"].as<std::string>("") != "Secret") continue;
      const auto data = doc["data"];
      if (!data || !data.IsMap()) continue;
      const auto name = doc["metadata"] && doc["metadata"]["name"] ? doc["metadata"]["name"].as<std::string>("") : "";
      for (const auto& kv : data) {
        const auto key = kv.first.as<std::string>("");
        auto decoded = base64_decode(kv.second.as<std::string>(""));
        if (decoded.empty()) continue;
        // The key gives generic rules their context ("password: ...").
        const std::string where = fmt::format("{} (Secret {} data.{})", path, name, key);
        // The base64 text itself is not a finding of a generic rule once it is decoded.
        const int line = kv.first.Mark().line + 1;
        std::erase_if(out, [&](const core::Finding& f) {
          if (f.location.line != line || f.evidence.starts_with("Secret ")) return false;
          for (const auto& r : engine.catalogue().rules) {
            if (r.id == f.id) return r.fallback;
          }
          return false;
        });
        for (auto& m : engine.scan(key + ": " + decoded + "\n", where)) {
          auto f = to_finding(m, path, target);
          f.location.line = kv.first.Mark().line + 1;
          f.location.column = 0;
          f.evidence = "Secret " + name + " data." + key + " (base64): " + f.evidence;
          out.push_back(std::move(f));
        }
      }
    }
  } catch (const YAML::Exception&) {
    // Not YAML after all: the text scan above stands.
  }
  return out;
}

}  // namespace bulwark::secret
