#include "config/document.hpp"

#include <algorithm>
#include <cctype>
#include <string>

namespace bulwark::config {

std::string_view to_string(DocumentKind kind) noexcept {
  switch (kind) {
    case DocumentKind::dockerfile: return "dockerfile";
    case DocumentKind::compose: return "compose";
    case DocumentKind::kubernetes: return "kubernetes";
    case DocumentKind::unknown: break;
  }
  return "unknown";
}

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string_view trim_left(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  return s;
}

// The first instruction of a Dockerfile is FROM, or ARG before FROM; comments and
// parser directives come first.
bool looks_like_dockerfile(std::string_view text) {
  std::size_t pos = 0;
  int lines = 0;
  while (pos < text.size() && lines < 200) {
    auto end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    auto line = trim_left(text.substr(pos, end - pos));
    pos = end + 1;
    ++lines;
    if (line.empty() || line.front() == '#') continue;
    const auto word = lower(line.substr(0, line.find_first_of(" \t")));
    if (word == "from") return true;
    if (word == "arg") continue;
    return false;
  }
  return false;
}

bool has_top_level_key(std::string_view text, std::string_view key) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const auto line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.size() > key.size() && line.substr(0, key.size()) == key && line[key.size()] == ':') return true;
    if (line.size() > key.size() + 2 && line.front() == '"' && line.substr(1, key.size()) == key &&
        line[key.size() + 1] == '"') {
      return true;
    }
  }
  return false;
}

bool mentions_json_key(std::string_view text, std::string_view key) {
  return text.find("\"" + std::string(key) + "\"") != std::string_view::npos;
}

}  // namespace

DocumentKind detect_kind(std::string_view path, std::string_view text) {
  const auto slash = path.find_last_of('/');
  const auto name = lower(slash == std::string_view::npos ? path : path.substr(slash + 1));
  const bool yaml_name = name.ends_with(".yaml") || name.ends_with(".yml") || name.ends_with(".json");
  // Content first.
  if (!yaml_name && looks_like_dockerfile(text)) return DocumentKind::dockerfile;
  const bool has_api = text.find("apiVersion") != std::string_view::npos;
  const bool has_kind = text.find("kind") != std::string_view::npos;
  if (has_api && has_kind) return DocumentKind::kubernetes;
  if (has_top_level_key(text, "services") || (name.ends_with(".json") && mentions_json_key(text, "services"))) {
    return DocumentKind::compose;
  }
  // Then the name.
  if (name == "dockerfile" || name.starts_with("dockerfile.") || name.ends_with(".dockerfile") ||
      name == "containerfile") {
    return DocumentKind::dockerfile;
  }
  if (name.starts_with("docker-compose") || name.starts_with("compose.") || name == "compose.yaml" ||
      name == "compose.yml") {
    return DocumentKind::compose;
  }
  return DocumentKind::unknown;
}

}  // namespace bulwark::config
