// OS detection: os-release first (the freedesktop standard every current distro ships), then the
// older per-distro release files for images that lack it.
#include <string>

#include "catalog/catalog.hpp"
#include "catalog/internal.hpp"
#include "util/strings.hpp"

namespace bulwark::catalog {

namespace {

constexpr std::string_view kReleaseFiles[] = {
    "etc/os-release",     "usr/lib/os-release", "etc/alpine-release", "etc/debian_version",
    "etc/redhat-release", "etc/centos-release", "etc/system-release", "etc/lsb-release",
};

// os-release values may be quoted with " or ' and use backslash escapes.
std::string unquote(std::string_view v) {
  v = util::trim(v);
  if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) {
    v = v.substr(1, v.size() - 2);
  }
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '\\' && i + 1 < v.size()) ++i;
    out.push_back(v[i]);
  }
  return out;
}

std::optional<std::string> content_of(const core::FileTree& tree, std::string_view path) {
  const core::FileEntry* e = find_regular(tree, path);
  if (!e) return std::nullopt;
  return *e->content;
}

// "Red Hat Enterprise Linux release 8.9 (Ootpa)" -> version "8.9"
std::string version_after_release(std::string_view text) {
  auto pos = text.find(" release ");
  if (pos == std::string_view::npos) return {};
  auto rest = text.substr(pos + 9);
  std::size_t n = 0;
  while (n < rest.size() && (std::isdigit(static_cast<unsigned char>(rest[n])) || rest[n] == '.')) ++n;
  return std::string(rest.substr(0, n));
}

}  // namespace

const core::FileEntry* find_regular(const core::FileTree& tree, std::string_view path) {
  const core::FileEntry* e = tree.find(path);
  if (!e || e->type == core::FileType::symlink || e->type == core::FileType::hardlink) {
    auto r = tree.resolve(path);
    e = r ? *r : nullptr;
  }
  if (!e || e->type != core::FileType::regular || !e->content) return nullptr;
  return e;
}

bool os_release_wanted(std::string_view path) {
  for (auto f : kReleaseFiles) {
    if (path == f) return true;
  }
  return false;
}

core::OsInfo parse_os_release(std::string_view text) {
  core::OsInfo os;
  std::string version_full;
  for (auto line : util::split(text, '\n')) {
    line = util::trim(line);
    if (line.empty() || line.front() == '#') continue;
    auto eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    auto key = util::trim(line.substr(0, eq));
    auto value = unquote(line.substr(eq + 1));
    if (key == "ID") {
      os.id = util::to_lower(value);
    } else if (key == "VERSION_ID") {
      os.version_id = value;
    } else if (key == "PRETTY_NAME") {
      os.pretty_name = value;
    } else if (key == "VERSION_CODENAME") {
      os.codename = value;
    } else if (key == "VERSION") {
      version_full = value;
    }
  }
  // Debian testing/sid ship no VERSION_ID; VERSION ("12 (bookworm)") may still carry the codename.
  if (os.codename.empty() && !version_full.empty()) {
    auto open = version_full.find('(');
    auto close = version_full.find(')');
    if (open != std::string::npos && close != std::string::npos && close > open) {
      std::string_view inside = std::string_view(version_full).substr(open + 1, close - open - 1);
      auto inner = util::split_ws(inside);
      if (!inner.empty()) os.codename = util::to_lower(inner.back());
    }
  }
  return os;
}

core::OsInfo detect_os(const core::FileTree& tree) {
  core::OsInfo os;
  for (auto path : {"etc/os-release", "usr/lib/os-release"}) {
    if (auto text = content_of(tree, path)) {
      os = parse_os_release(*text);
      if (os.known()) break;
    }
  }
  // Debian testing/sid: os-release has no VERSION_ID; debian_version says e.g. "trixie/sid".
  if (os.id == "debian" && os.version_id.empty()) {
    if (auto text = content_of(tree, "etc/debian_version")) {
      auto v = std::string(util::trim(*text));
      if (!v.empty() && std::isdigit(static_cast<unsigned char>(v.front()))) {
        auto dot = v.find('.');
        os.version_id = v.substr(0, dot);
      } else if (os.codename.empty() && !v.empty()) {
        os.codename = v.substr(0, v.find('/'));
      }
    }
  }
  if (os.known()) return os;

  if (auto text = content_of(tree, "etc/alpine-release")) {
    os.id = "alpine";
    os.version_id = std::string(util::trim(*text));
    os.pretty_name = "Alpine Linux v" + os.version_id;
    return os;
  }
  for (auto path : {"etc/centos-release", "etc/redhat-release", "etc/system-release"}) {
    auto text = content_of(tree, path);
    if (!text) continue;
    auto line = std::string(util::trim(util::split(*text, '\n').front()));
    auto lower = util::to_lower(line);
    if (lower.starts_with("centos")) {
      os.id = "centos";
    } else if (lower.starts_with("rocky")) {
      os.id = "rocky";
    } else if (lower.starts_with("almalinux")) {
      os.id = "almalinux";
    } else if (lower.starts_with("amazon linux")) {
      os.id = "amzn";
    } else if (lower.starts_with("fedora")) {
      os.id = "fedora";
    } else if (lower.starts_with("red hat")) {
      os.id = "rhel";
    } else {
      continue;
    }
    os.version_id = version_after_release(line);
    if (os.id != "fedora" && os.id != "amzn") os.version_id = os.version_id.substr(0, os.version_id.find('.'));
    os.pretty_name = line;
    return os;
  }
  if (auto text = content_of(tree, "etc/debian_version")) {
    os.id = "debian";
    auto v = std::string(util::trim(*text));
    if (!v.empty() && std::isdigit(static_cast<unsigned char>(v.front()))) {
      os.version_id = v.substr(0, v.find('.'));
    } else {
      os.codename = v.substr(0, v.find('/'));
    }
    os.pretty_name = "Debian GNU/Linux " + v;
    return os;
  }
  if (auto text = content_of(tree, "etc/lsb-release")) {
    for (auto line : util::split(*text, '\n')) {
      auto eq = line.find('=');
      if (eq == std::string_view::npos) continue;
      auto key = util::trim(line.substr(0, eq));
      auto value = unquote(line.substr(eq + 1));
      if (key == "DISTRIB_ID") os.id = util::to_lower(value);
      if (key == "DISTRIB_RELEASE") os.version_id = value;
      if (key == "DISTRIB_CODENAME") os.codename = value;
      if (key == "DISTRIB_DESCRIPTION") os.pretty_name = value;
    }
  }
  return os;
}

}  // namespace bulwark::catalog
