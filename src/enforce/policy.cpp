// The enforcement policy; see policy.hpp.
#include "enforce/policy.hpp"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "config/yaml.hpp"
#include "trust/cosign.hpp"
#include "util/files.hpp"

namespace bulwark::enforce {

namespace {

bool is_lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

// One path component of a repository: lower-case alphanumerics separated by '.', '_', "__"
// or runs of '-' (the distribution reference grammar).
bool valid_component(std::string_view c) {
  if (c.empty() || c.size() > 255 || !is_lower_alnum(c.front()) || !is_lower_alnum(c.back())) return false;
  for (std::size_t i = 0; i < c.size(); ++i) {
    char ch = c[i];
    if (is_lower_alnum(ch) || ch == '-') continue;
    if (ch == '.' || ch == '_') {
      if (!is_lower_alnum(c[i - 1]) && !(ch == '_' && c[i - 1] == '_')) return false;
      continue;
    }
    return false;
  }
  return true;
}

bool valid_registry(std::string_view r) {
  if (r.empty() || r.size() > 255) return false;
  for (char ch : r) {
    bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '.' ||
              ch == '-' || ch == ':' || ch == '[' || ch == ']';
    if (!ok) return false;
  }
  return true;
}

bool valid_tag(std::string_view t) {
  if (t.empty() || t.size() > 128) return false;
  auto word = [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_';
  };
  if (!word(t.front())) return false;
  return std::all_of(t.begin(), t.end(), [&](char ch) { return word(ch) || ch == '.' || ch == '-'; });
}

bool valid_sha256_digest(std::string_view d) {
  if (d.size() != 71 || !d.starts_with("sha256:")) return false;
  return std::all_of(d.begin() + 7, d.end(),
                     [](char ch) { return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'); });
}

// '*' matches any run of characters.
bool glob_match(std::string_view text, std::string_view pattern) {
  std::size_t t = 0, p = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::string normalize_registry(std::string r) {
  if (r == "index.docker.io" || r == "registry-1.docker.io" || r == "registry.hub.docker.com") return "docker.io";
  return r;
}

// The registry host a cosign signature is fetched from.
std::string pull_host(const std::string& registry) {
  return registry == "docker.io" ? "registry-1.docker.io" : registry;
}

std::string where(const YAML::Node& node, const std::string& path) {
  auto loc = config::location_of(node, path);
  return loc.line > 0 ? fmt::format("{}:{}", path, loc.line) : path;
}

Result<bool> as_bool(const YAML::Node& n, const std::string& path, std::string_view key) {
  if (!n.IsScalar()) return fail(ErrorCode::parse, fmt::format("{} must be true or false", key), where(n, path));
  const std::string& s = n.Scalar();
  if (s == "true" || s == "True" || s == "yes") return true;
  if (s == "false" || s == "False" || s == "no") return false;
  return fail(ErrorCode::parse, fmt::format("{} must be true or false, not \"{}\"", key, s), where(n, path));
}

Result<std::string> as_string(const YAML::Node& n, const std::string& path, std::string_view key) {
  if (!n.IsScalar()) return fail(ErrorCode::parse, fmt::format("{} must be a string", key), where(n, path));
  return n.Scalar();
}

Result<std::vector<std::string>> as_list(const YAML::Node& n, const std::string& path, std::string_view key) {
  if (!n.IsSequence()) return fail(ErrorCode::parse, fmt::format("{} must be a list", key), where(n, path));
  std::vector<std::string> out;
  for (const auto& item : n) {
    if (!item.IsScalar() || item.Scalar().empty())
      return fail(ErrorCode::parse, fmt::format("{} entries must be non-empty strings", key), where(item, path));
    out.push_back(item.Scalar());
  }
  return out;
}

Status known_keys(const YAML::Node& map, const std::string& path, std::string_view section,
                  std::initializer_list<std::string_view> keys) {
  if (!map.IsMap()) return fail(ErrorCode::parse, fmt::format("{} must be a mapping", section), where(map, path));
  for (const auto& kv : map) {
    std::string k = kv.first.IsScalar() ? kv.first.Scalar() : "";
    if (std::find(keys.begin(), keys.end(), k) == keys.end()) {
      return fail(ErrorCode::parse,
                  fmt::format("unknown key \"{}\" in {} (known: {})", k, section, fmt::join(keys, ", ")),
                  where(kv.first, path));
    }
  }
  return {};
}

// A file named in the policy, relative to the policy's folder.
std::string beside(const std::string& policy_path, const std::string& file) {
  std::filesystem::path p(file);
  if (p.is_absolute() || policy_path.empty()) return file;
  return (std::filesystem::path(policy_path).parent_path() / p).string();
}

#define BW_TRY(var, expr) \
  auto var = (expr);      \
  if (!var) return std::unexpected(std::move(var).error())

Status parse_pod_security(const YAML::Node& n, const std::string& path, Policy& p) {
  if (auto st = known_keys(n, path, "pod_security", {"level", "version", "exempt_namespaces"}); !st) return st;
  if (n["level"]) {
    BW_TRY(level, as_string(n["level"], path, "pod_security.level"));
    if (*level == "off" || *level == "privileged") {
      p.pod_security = PodSecurity::off;
    } else if (*level == "baseline") {
      p.pod_security = PodSecurity::baseline;
    } else if (*level == "restricted") {
      p.pod_security = PodSecurity::restricted;
    } else {
      return fail(ErrorCode::parse, "pod_security.level must be restricted, baseline or off, not \"" + *level + "\"",
                  where(n["level"], path));
    }
  }
  if (n["version"]) {
    BW_TRY(v, as_string(n["version"], path, "pod_security.version"));
    auto version = config::k8s::pss::parse_version(*v);
    if (!version) {
      return fail(ErrorCode::parse, "pod_security.version must be latest or v1.N, not \"" + *v + "\"",
                  where(n["version"], path));
    }
    p.pss_version = *version;
  }
  if (n["exempt_namespaces"]) {
    BW_TRY(list, as_list(n["exempt_namespaces"], path, "pod_security.exempt_namespaces"));
    p.exempt_namespaces = *list;
  }
  return {};
}

Status parse_signature_rule(const YAML::Node& n, const std::string& path, Policy& p) {
  if (auto st =
          known_keys(n, path, "images.signatures[]", {"images", "key", "credentials_file", "insecure", "timeout"});
      !st)
    return st;
  SignatureRule rule;
  if (!n["images"] || !n["key"]) {
    return fail(ErrorCode::parse, "a signature rule needs images (a pattern) and key (a PEM public key file)",
                where(n, path));
  }
  BW_TRY(images, as_string(n["images"], path, "images"));
  BW_TRY(key, as_string(n["key"], path, "key"));
  rule.images = *images;
  rule.key_file = *key;
  auto pem = util::read_file(beside(path, *key), 1 << 20);
  if (!pem)
    return fail(ErrorCode::io, "cannot read the signature key: " + pem.error().describe(), where(n["key"], path));
  rule.key_pem = *pem;
  if (n["credentials_file"]) {
    BW_TRY(cf, as_string(n["credentials_file"], path, "credentials_file"));
    auto creds = util::read_file(beside(path, *cf), 4096);
    if (!creds) {
      return fail(ErrorCode::io, "cannot read the credentials file " + *cf, where(n["credentials_file"], path));
    }
    std::string c = *creds;
    while (!c.empty() && (c.back() == '\n' || c.back() == '\r')) c.pop_back();
    auto colon = c.find(':');
    if (colon == std::string::npos) {
      return fail(ErrorCode::parse, "the credentials file must hold USER:PASSWORD", where(n["credentials_file"], path));
    }
    rule.username = c.substr(0, colon);
    rule.password = c.substr(colon + 1);
  }
  if (n["insecure"]) {
    BW_TRY(b, as_bool(n["insecure"], path, "insecure"));
    rule.insecure = *b;
  }
  if (n["timeout"]) {
    BW_TRY(t, as_string(n["timeout"], path, "timeout"));
    std::string s = *t;
    if (s.ends_with("s")) s.pop_back();
    int seconds = 0;
    try {
      std::size_t used = 0;
      seconds = std::stoi(s, &used);
      if (used != s.size()) seconds = 0;
    } catch (const std::exception&) {
      seconds = 0;
    }
    if (seconds < 1 || seconds > 30) {
      return fail(ErrorCode::parse, "timeout must be 1s to 30s", where(n["timeout"], path));
    }
    rule.timeout = std::chrono::seconds(seconds);
  }
  p.signatures.push_back(std::move(rule));
  return {};
}

Status parse_images(const YAML::Node& n, const std::string& path, Policy& p) {
  if (auto st =
          known_keys(n, path, "images", {"require_digest", "allowed_registries", "denied_registries", "signatures"});
      !st)
    return st;
  if (n["require_digest"]) {
    BW_TRY(b, as_bool(n["require_digest"], path, "images.require_digest"));
    p.require_digest = *b;
  }
  if (n["allowed_registries"]) {
    BW_TRY(list, as_list(n["allowed_registries"], path, "images.allowed_registries"));
    p.allowed_registries = *list;
  }
  if (n["denied_registries"]) {
    BW_TRY(list, as_list(n["denied_registries"], path, "images.denied_registries"));
    p.denied_registries = *list;
  }
  if (n["signatures"]) {
    if (!n["signatures"].IsSequence())
      return fail(ErrorCode::parse, "images.signatures must be a list", where(n["signatures"], path));
    for (const auto& rule : n["signatures"]) {
      if (auto st = parse_signature_rule(rule, path, p); !st) return st;
    }
  }
  return {};
}

Status parse_containers(const YAML::Node& n, const std::string& path, Policy& p) {
  static const std::vector<std::pair<std::string_view, bool Policy::*>> flags{
      {"allow_privileged", &Policy::allow_privileged},      {"allow_host_network", &Policy::allow_host_network},
      {"allow_host_pid", &Policy::allow_host_pid},          {"allow_host_ipc", &Policy::allow_host_ipc},
      {"allow_host_uts", &Policy::allow_host_uts},          {"allow_host_userns", &Policy::allow_host_userns},
      {"allow_docker_socket", &Policy::allow_docker_socket}};
  if (auto st = known_keys(n, path, "containers",
                           {"allow_privileged", "allow_host_network", "allow_host_pid", "allow_host_ipc",
                            "allow_host_uts", "allow_host_userns", "allow_docker_socket"});
      !st)
    return st;
  for (const auto& [key, member] : flags) {
    if (!n[std::string(key)]) continue;
    BW_TRY(b, as_bool(n[std::string(key)], path, key));
    p.*member = *b;
  }
  return {};
}

}  // namespace

Result<ImageName> parse_image_name(std::string_view text) {
  ImageName out;
  out.original = std::string(text);
  if (text.empty()) return fail(ErrorCode::invalid_argument, "empty image reference");
  if (text.size() > 1024) return fail(ErrorCode::invalid_argument, "image reference longer than 1024 characters");
  std::string_view rest = text;
  if (auto at = rest.find('@'); at != std::string_view::npos) {
    out.digest = std::string(rest.substr(at + 1));
    rest = rest.substr(0, at);
    if (!valid_sha256_digest(out.digest)) {
      return fail(ErrorCode::invalid_argument, "the digest is not sha256:<64 lower-case hex>", std::string(text));
    }
  }
  // A tag follows the last ':' after the last '/'.
  auto slash = rest.rfind('/');
  auto colon = rest.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    out.tag = std::string(rest.substr(colon + 1));
    rest = rest.substr(0, colon);
    if (!valid_tag(out.tag)) return fail(ErrorCode::invalid_argument, "invalid tag", std::string(text));
  }
  auto first_slash = rest.find('/');
  std::string_view first = rest.substr(0, first_slash);
  if (first_slash != std::string_view::npos && (first.find('.') != std::string_view::npos ||
                                                first.find(':') != std::string_view::npos || first == "localhost")) {
    out.registry = normalize_registry(std::string(first));
    rest = rest.substr(first_slash + 1);
    if (!valid_registry(out.registry)) return fail(ErrorCode::invalid_argument, "invalid registry", std::string(text));
  } else {
    out.registry = "docker.io";
  }
  out.repository = std::string(rest);
  if (out.registry == "docker.io" && out.repository.find('/') == std::string::npos) {
    out.repository = "library/" + out.repository;
  }
  std::size_t start = 0;
  while (true) {
    auto end = out.repository.find('/', start);
    auto comp = std::string_view(out.repository).substr(start, end == std::string::npos ? end : end - start);
    if (!valid_component(comp)) {
      return fail(ErrorCode::invalid_argument, "invalid repository name (lower-case letters, digits, . _ -)",
                  std::string(text));
    }
    if (end == std::string::npos) break;
    start = end + 1;
  }
  if (out.tag.empty() && out.digest.empty()) out.tag = "latest";
  return out;
}

bool image_matches(std::string_view image, std::string_view pattern) {
  if (pattern.empty()) return false;
  if (pattern.find('*') != std::string_view::npos) return glob_match(image, pattern);
  std::string p = std::string(pattern);
  if (auto slash = p.find('/'); slash == std::string::npos) {
    p = normalize_registry(p);
  } else {
    p = normalize_registry(p.substr(0, slash)) + p.substr(slash);
  }
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return image == p || (image.size() > p.size() && image.starts_with(p) && image[p.size()] == '/');
}

Result<Policy> parse_policy(std::string_view text, const std::string& path) {
  config::YamlLimits limits;
  limits.max_bytes = 1 << 20;
  limits.max_documents = 1;
  limits.max_nodes = 100'000;
  limits.max_depth = 20;
  auto docs = config::load_yaml_stream(text, path, limits);
  if (!docs) return std::unexpected(docs.error());
  Policy p;
  p.source = path;
  if (docs->empty() || docs->front().root.IsNull()) return p;
  const YAML::Node& root = docs->front().root;
  if (auto st = known_keys(root, path, "the policy", {"pod_security", "images", "containers", "break_glass_file"}); !st)
    return std::unexpected(st.error());
  try {
    if (root["pod_security"]) {
      if (auto st = parse_pod_security(root["pod_security"], path, p); !st) return std::unexpected(st.error());
    }
    if (root["images"]) {
      if (auto st = parse_images(root["images"], path, p); !st) return std::unexpected(st.error());
    }
    if (root["containers"]) {
      if (auto st = parse_containers(root["containers"], path, p); !st) return std::unexpected(st.error());
    }
    if (root["break_glass_file"]) {
      BW_TRY(f, as_string(root["break_glass_file"], path, "break_glass_file"));
      if (!std::filesystem::path(*f).is_absolute()) {
        return fail(ErrorCode::parse, "break_glass_file must be an absolute path",
                    where(root["break_glass_file"], path));
      }
      p.break_glass_file = *f;
    }
  } catch (const std::exception& e) {
    return fail(ErrorCode::parse, e.what(), path);
  }
  return p;
}

Result<Policy> load_policy(const std::string& path) {
  auto text = util::read_file(path, 1 << 20);
  if (!text) return std::unexpected(text.error());
  return parse_policy(*text, path);
}

std::vector<std::string> check_image(const Policy& policy, std::string_view image, SignatureCheck signatures) {
  std::vector<std::string> reasons;
  auto name = parse_image_name(image);
  if (!name) {
    reasons.push_back(fmt::format("image \"{}\": {}", image, name.error().message));
    return reasons;
  }
  const std::string full = name->name();
  for (const auto& d : policy.denied_registries) {
    if (image_matches(full, d)) {
      reasons.push_back(fmt::format("image {}: registry {} is denied by the policy ({})", image, name->registry, d));
      break;
    }
  }
  if (!policy.allowed_registries.empty() &&
      std::none_of(policy.allowed_registries.begin(), policy.allowed_registries.end(),
                   [&](const std::string& a) { return image_matches(full, a); })) {
    reasons.push_back(fmt::format("image {}: {} is not in the allowed registries ({})", image, full,
                                  fmt::join(policy.allowed_registries, ", ")));
  }
  if (policy.require_digest && name->digest.empty()) {
    reasons.push_back(fmt::format("image {}: not pinned by digest (@sha256:...)", image));
  }
  if (signatures == SignatureCheck::verify) {
    for (const auto& rule : policy.signatures) {
      if (!image_matches(full, rule.images)) continue;
      trust::RegistryTarget t{pull_host(name->registry),
                              name->repository,
                              name->tag,
                              name->digest,
                              rule.username,
                              rule.password,
                              !rule.insecure};
      t.timeout = rule.timeout;
      auto v = trust::verify_registry_image(t, rule.key_pem, full);
      if (!v) {
        reasons.push_back(fmt::format("image {}: no cosign signature verifies with {} ({})", image, rule.key_file,
                                      v.error().describe()));
      } else if (!name->digest.empty() && v->manifest_digest != name->digest) {
        reasons.push_back(
            fmt::format("image {}: the signed manifest is {}, not the pinned digest", image, v->manifest_digest));
      }
    }
  }
  return reasons;
}

bool break_glass_active(const Policy& policy, std::string* why) {
  if (policy.break_glass_file.empty()) return false;
  struct stat st {};
  if (::lstat(policy.break_glass_file.c_str(), &st) != 0) return false;
  auto say = [&](std::string text) {
    if (why) *why = std::move(text);
  };
  if (!S_ISREG(st.st_mode)) {
    say("break-glass " + policy.break_glass_file + " is not a regular file: ignored");
    return false;
  }
  if (st.st_uid != 0 && st.st_uid != ::geteuid()) {
    say("break-glass " + policy.break_glass_file + " is not owned by root or by bulwark's user: ignored");
    return false;
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    say("break-glass " + policy.break_glass_file + " is writable by group or others: ignored");
    return false;
  }
  say("break-glass " + policy.break_glass_file + " is present: enforcement is off");
  return true;
}

}  // namespace bulwark::enforce
