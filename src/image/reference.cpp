#include "image/reference.hpp"

#include <sys/stat.h>

#include "image/internal.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"

namespace bulwark::image {

namespace {

constexpr std::string_view kDockerHub = "registry-1.docker.io";

bool path_exists(const std::string& p) {
  struct stat st {};
  return !p.empty() && ::stat(p.c_str(), &st) == 0;
}

bool is_directory(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// PATH[:SUFFIX] where ':' may also be part of the path: an existing path wins;
// otherwise the suffix starts at the first ':' (docker-archive refs hold ':' themselves)
// or the last one (oci tags cannot), provided the path before it exists or nothing does.
void split_path_suffix(std::string_view rest, bool suffix_may_hold_colon, Reference& ref) {
  std::string all(rest);
  if (path_exists(all)) {
    ref.path = all;
    return;
  }
  if (suffix_may_hold_colon) {
    for (auto pos = rest.find(':'); pos != std::string_view::npos; pos = rest.find(':', pos + 1)) {
      if (path_exists(std::string(rest.substr(0, pos)))) {
        ref.path = std::string(rest.substr(0, pos));
        ref.tag = std::string(rest.substr(pos + 1));
        return;
      }
    }
    auto first = rest.find(':');
    if (first == std::string_view::npos) {
      ref.path = all;
    } else {
      ref.path = std::string(rest.substr(0, first));
      ref.tag = std::string(rest.substr(first + 1));
    }
    return;
  }
  auto last = rest.rfind(':');
  if (last == std::string_view::npos || rest.substr(last + 1).find('/') != std::string_view::npos) {
    ref.path = all;
    return;
  }
  ref.path = std::string(rest.substr(0, last));
  ref.tag = std::string(rest.substr(last + 1));
}

bool valid_repository(std::string_view repo) {
  if (repo.empty()) return false;
  for (auto part : util::split(repo, '/')) {
    if (part.empty()) return false;
    for (char c : part) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
      if (!ok) return false;
    }
  }
  return true;
}

bool valid_tag(std::string_view tag) {
  if (tag.empty() || tag.size() > 128) return false;
  for (char c : tag) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// NAME[:TAG][@sha256:HEX] into repository, tag and digest.
Status split_name(std::string_view name, Reference& ref) {
  const std::string shown = util::printable(ref.original);
  if (auto at = name.find('@'); at != std::string_view::npos) {
    auto d = util::parse_digest(name.substr(at + 1));
    if (!d) return std::unexpected(d.error().within(shown));
    ref.digest = d->str();
    name = name.substr(0, at);
  }
  auto slash = name.rfind('/');
  auto colon = name.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    ref.tag = std::string(name.substr(colon + 1));
    name = name.substr(0, colon);
    if (!valid_tag(ref.tag)) return fail(ErrorCode::invalid_argument, "invalid tag '" + ref.tag + "'", shown);
  }
  if (ref.tag.empty() && ref.digest.empty()) ref.tag = "latest";
  ref.repository = std::string(name);
  if (ref.repository.empty()) return fail(ErrorCode::invalid_argument, "image name is empty", shown);
  return {};
}

Status parse_registry(std::string_view rest, Reference& ref) {
  const std::string shown = util::printable(ref.original);
  if (auto s = split_name(rest, ref); !s) return s;
  std::string repo = ref.repository;
  auto slash = repo.find('/');
  std::string first = repo.substr(0, slash == std::string::npos ? repo.size() : slash);
  bool has_host = slash != std::string::npos && (first.find('.') != std::string::npos ||
                                                 first.find(':') != std::string::npos || first == "localhost");
  if (has_host) {
    ref.registry = first;
    repo = repo.substr(slash + 1);
  } else {
    ref.registry = std::string(kDockerHub);
  }
  if (ref.registry == "docker.io" || ref.registry == "index.docker.io") ref.registry = std::string(kDockerHub);
  if (ref.registry == kDockerHub && repo.find('/') == std::string::npos) repo = "library/" + repo;
  if (!valid_repository(repo)) {
    return fail(ErrorCode::invalid_argument, "invalid repository name '" + util::printable(repo) + "'", shown);
  }
  ref.repository = repo;
  return {};
}

Result<Reference> detect_path(Reference ref) {
  const std::string& p = ref.path;
  if (is_directory(p)) {
    ref.transport = path_exists(p + "/oci-layout") ? Transport::oci_layout : Transport::dir;
    return ref;
  }
  core::Limits limits;
  auto index = detail::TarIndex::build(p, limits);
  if (!index) {
    return fail(ErrorCode::unsupported,
                "not a folder or an uncompressed tar archive (" + index.error().message +
                    "); compressed archives must be decompressed first",
                p);
  }
  if (index->find("manifest.json")) {
    ref.transport = Transport::docker_archive;
  } else if (index->find("oci-layout")) {
    ref.transport = Transport::oci_archive;
  } else {
    return fail(ErrorCode::unsupported, "tar archive has neither manifest.json (docker save) nor oci-layout", p);
  }
  return ref;
}

}  // namespace

std::string_view to_string(Transport t) noexcept {
  switch (t) {
    case Transport::docker_archive: return "docker-archive";
    case Transport::oci_archive: return "oci-archive";
    case Transport::oci_layout: return "oci";
    case Transport::dir: return "dir";
    case Transport::docker_daemon: return "docker-daemon";
    case Transport::registry: return "docker";
    case Transport::containerd: return "containerd";
  }
  return "unknown";
}

std::string Reference::str() const {
  std::string out;
  switch (transport) {
    case Transport::docker_archive:
    case Transport::oci_archive:
    case Transport::oci_layout:
      out = std::string(to_string(transport)) + ":" + path;
      if (!tag.empty()) out += ":" + tag;
      return out;
    case Transport::dir: return "dir:" + path;
    case Transport::docker_daemon:
    case Transport::registry:
      out =
          transport == Transport::registry ? "docker://" + registry + "/" + repository : "docker-daemon:" + repository;
      if (!tag.empty()) out += ":" + tag;
      if (!digest.empty()) out += "@" + digest;
      return out;
    case Transport::containerd:
      out = "containerd:" + repository;
      if (!tag.empty()) out += ":" + tag;
      if (!digest.empty()) out += (repository.empty() ? "" : "@") + digest;
      return out;
  }
  return original;
}

Result<Reference> parse_reference(std::string_view text) {
  Reference ref;
  ref.original = std::string(text);
  const std::string shown = util::printable(text);
  if (text.empty()) return fail(ErrorCode::invalid_argument, "empty image reference");

  struct Prefix {
    std::string_view text;
    Transport transport;
  };
  static constexpr Prefix kPrefixes[] = {
      {"docker-archive:", Transport::docker_archive},
      {"oci-archive:", Transport::oci_archive},
      {"oci:", Transport::oci_layout},
      {"dir:", Transport::dir},
      {"docker-daemon:", Transport::docker_daemon},
      {"docker://", Transport::registry},
      {"containerd:", Transport::containerd},
  };
  for (const auto& p : kPrefixes) {
    if (!text.starts_with(p.text)) continue;
    auto rest = text.substr(p.text.size());
    ref.transport = p.transport;
    if (rest.empty()) return fail(ErrorCode::invalid_argument, "nothing after the transport", shown);
    switch (p.transport) {
      case Transport::docker_archive: split_path_suffix(rest, /*suffix_may_hold_colon=*/true, ref); break;
      case Transport::oci_archive:
      case Transport::oci_layout: split_path_suffix(rest, /*suffix_may_hold_colon=*/false, ref); break;
      case Transport::dir: ref.path = std::string(rest); break;
      case Transport::docker_daemon:
        if (auto s = split_name(rest, ref); !s) return std::unexpected(s.error());
        break;
      case Transport::registry:
        if (auto s = parse_registry(rest, ref); !s) return std::unexpected(s.error());
        break;
      case Transport::containerd:
        if (rest.starts_with("sha256:")) {
          auto d = util::parse_digest(rest);
          if (!d) return std::unexpected(d.error().within(shown));
          ref.digest = d->str();
        } else if (auto s = split_name(rest, ref); !s) {
          return std::unexpected(s.error());
        }
        break;
    }
    if (ref.path.empty() && p.transport != Transport::docker_daemon && p.transport != Transport::registry &&
        p.transport != Transport::containerd) {
      return fail(ErrorCode::invalid_argument, "the path is empty", shown);
    }
    return ref;
  }
  ref.path = std::string(text);
  if (!path_exists(ref.path)) {
    return fail(ErrorCode::not_found,
                "no such file or folder (for a registry image write docker://NAME, for the Docker engine "
                "docker-daemon:NAME)",
                shown);
  }
  return detect_path(std::move(ref));
}

}  // namespace bulwark::image
