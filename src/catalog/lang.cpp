#include "catalog/lang.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "catalog/internal.hpp"
#include "core/purl.hpp"
#include "util/strings.hpp"

namespace bulwark::catalog {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> lines(std::string_view text) {
  auto out = util::split(text, '\n');
  for (auto& l : out) {
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
  }
  return out;
}

std::string_view basename_of(std::string_view path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string_view dirname_of(std::string_view path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string_view::npos ? std::string_view{} : path.substr(0, slash);
}

// Limits for metadata parsed from images: a METADATA or package.json larger than
// this is not a real one.
constexpr std::size_t kMaxMetadataBytes = 4U << 20;
constexpr std::size_t kMaxNestedJarBytes = 64U << 20;
constexpr std::size_t kMaxArchiveEntries = 200'000;

// ---- Python -----------------------------------------------------------------

bool python_wants(std::string_view path) {
  const auto dir = basename_of(dirname_of(path));
  const auto name = basename_of(path);
  if (name == "METADATA" && dir.ends_with(".dist-info")) return true;
  if (name == "PKG-INFO" && dir.ends_with(".egg-info")) return true;
  // A single-file egg-info (distutils) in site-packages or dist-packages.
  if (name.ends_with(".egg-info") && (path.find("/site-packages/") != std::string_view::npos ||
                                      path.find("/dist-packages/") != std::string_view::npos)) {
    return true;
  }
  return false;
}

// ---- Node -------------------------------------------------------------------

bool npm_wants(std::string_view path) {
  if (basename_of(path) != "package.json") return false;
  // .../node_modules/<name>/package.json or .../node_modules/@scope/<name>/package.json
  auto dir = dirname_of(path);
  auto parent = dirname_of(dir);
  if (basename_of(parent) == "node_modules") return true;
  return basename_of(parent).starts_with("@") && basename_of(dirname_of(parent)) == "node_modules";
}

// ---- Ruby -------------------------------------------------------------------

bool gem_wants(std::string_view path) {
  return path.ends_with(".gemspec") && basename_of(dirname_of(path)) == "specifications";
}

// ---- Java -------------------------------------------------------------------

bool is_java_archive_name(std::string_view name) {
  auto lower = util::to_lower(std::string(name));
  return lower.ends_with(".jar") || lower.ends_with(".war") || lower.ends_with(".ear") || lower.ends_with(".jpi") ||
         lower.ends_with(".hpi");
}

std::map<std::string, std::string> parse_properties(std::string_view text) {
  std::map<std::string, std::string> out;
  for (auto line : lines(text)) {
    line = trim(line);
    if (line.empty() || line.front() == '#' || line.front() == '!') continue;
    const auto eq = line.find_first_of("=:");
    if (eq == std::string_view::npos) continue;
    out[std::string(trim(line.substr(0, eq)))] = std::string(trim(line.substr(eq + 1)));
  }
  return out;
}

// libarchive may have no message for a failure (a null pointer): never format a null.
const char* archive_message(archive* a) {
  const char* msg = archive_error_string(a);
  return msg != nullptr ? msg : "unknown error";
}

template <class Fn>
Result<void> for_each_zip_entry(std::string_view bytes, std::string_view path, Fn&& fn) {
  std::unique_ptr<archive, decltype(&archive_read_free)> a(archive_read_new(), archive_read_free);
  archive_read_support_format_zip(a.get());
  if (archive_read_open_memory(a.get(), bytes.data(), bytes.size()) != ARCHIVE_OK) {
    return fail(ErrorCode::parse, fmt::format("not a readable zip: {}", archive_message(a.get())), std::string(path));
  }
  archive_entry* entry = nullptr;
  std::size_t count = 0;
  while (true) {
    const int r = archive_read_next_header(a.get(), &entry);
    if (r == ARCHIVE_EOF) break;
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
      return fail(ErrorCode::parse, fmt::format("corrupt zip: {}", archive_message(a.get())), std::string(path));
    }
    if (++count > kMaxArchiveEntries) {
      return fail(ErrorCode::limit, fmt::format("more than {} entries", kMaxArchiveEntries), std::string(path));
    }
    const char* name = archive_entry_pathname(entry);
    if (name == nullptr) continue;
    auto read = [&](std::size_t max) -> Result<std::string> {
      std::string data;
      char buf[65536];
      la_ssize_t n = 0;
      while ((n = archive_read_data(a.get(), buf, sizeof buf)) > 0) {
        data.append(buf, static_cast<std::size_t>(n));
        if (data.size() > max) {
          return fail(ErrorCode::limit, fmt::format("{} inflates beyond {} bytes", name, max), std::string(path));
        }
      }
      if (n < 0) {
        return fail(ErrorCode::parse, fmt::format("corrupt entry {}: {}", name, archive_message(a.get())),
                    std::string(path));
      }
      return data;
    };
    if (auto st = fn(std::string_view(name), read); !st) return st;
  }
  return {};
}

class LangCataloger final : public Cataloger {
 public:
  enum class Kind { python, npm, gem, java };
  explicit LangCataloger(Kind kind) : kind_(kind) {}
  [[nodiscard]] std::string_view name() const override {
    switch (kind_) {
      case Kind::python: return "python";
      case Kind::npm: return "npm";
      case Kind::gem: return "gem";
      case Kind::java: return "java";
    }
    return "lang";
  }
  [[nodiscard]] bool wants(std::string_view path) const override {
    switch (kind_) {
      case Kind::python: return python_wants(path);
      case Kind::npm: return npm_wants(path);
      case Kind::gem: return gem_wants(path);
      case Kind::java: return is_java_archive_name(basename_of(path));
    }
    return false;
  }
  [[nodiscard]] Result<std::vector<core::Package>> catalog(const core::FileTree& tree, const core::OsInfo&,
                                                           core::Diagnostics& diags) const override {
    std::vector<core::Package> out;
    tree.for_each([&](const core::FileEntry& e) {
      if (e.type != core::FileType::regular || !e.content || !wants(e.path)) return;
      const std::string_view text = *e.content;
      switch (kind_) {
        case Kind::python:
          if (auto p = parse_python_metadata(text, e.path)) out.push_back(std::move(*p));
          break;
        case Kind::npm:
          if (auto p = parse_npm_package_json(text, e.path)) out.push_back(std::move(*p));
          break;
        case Kind::gem:
          if (auto p = parse_gemspec(text, e.path)) out.push_back(std::move(*p));
          break;
        case Kind::java: {
          auto pkgs = parse_java_archive(text, e.path);
          if (!pkgs) {
            diags.warning("java-archive", e.path, pkgs.error().message);
            break;
          }
          for (auto& p : *pkgs) out.push_back(std::move(p));
          break;
        }
      }
    });
    return out;
  }

 private:
  Kind kind_;
};

}  // namespace

std::string normalize_python_name(std::string_view name) {
  std::string out;
  bool sep = false;
  for (char c : name) {
    if (c == '-' || c == '_' || c == '.') {
      sep = true;
      continue;
    }
    if (sep && !out.empty()) out += '-';
    sep = false;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

std::optional<core::Package> parse_python_metadata(std::string_view text, std::string_view path) {
  if (text.size() > kMaxMetadataBytes) return std::nullopt;
  core::Package p;
  std::string license_expression;
  std::string classifier_license;
  for (auto line : lines(text)) {
    if (line.empty()) break;  // the body (description) follows the first blank line
    if (line.front() == ' ' || line.front() == '\t') continue;
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const auto key = line.substr(0, colon);
    const auto value = trim(line.substr(colon + 1));
    if (key == "Name" && p.name.empty()) p.name = std::string(value);
    if (key == "Version" && p.version.empty()) p.version = std::string(value);
    if (key == "License-Expression") license_expression = std::string(value);
    if (key == "License" && p.license.empty() && value.size() < 200 && value != "UNKNOWN") {
      p.license = std::string(value);
    }
    if (key == "Classifier" && value.starts_with("License :: OSI Approved :: ") && classifier_license.empty()) {
      classifier_license = std::string(value.substr(27));
    }
  }
  if (p.name.empty() || p.version.empty()) return std::nullopt;
  if (!license_expression.empty()) p.license = license_expression;
  if (p.license.empty()) p.license = classifier_license;
  p.ecosystem = core::Ecosystem::pypi;
  p.path = std::string(path);
  core::Purl purl;
  purl.type = "pypi";
  purl.name = normalize_python_name(p.name);
  purl.version = p.version;
  p.purl = purl.str();
  return p;
}

std::optional<core::Package> parse_npm_package_json(std::string_view text, std::string_view path) {
  if (text.size() > kMaxMetadataBytes) return std::nullopt;
  auto doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return std::nullopt;
  const auto name = doc.value("name", nlohmann::json()).is_string() ? doc["name"].get<std::string>() : "";
  const auto version = doc.value("version", nlohmann::json()).is_string() ? doc["version"].get<std::string>() : "";
  if (name.empty() || version.empty()) return std::nullopt;
  core::Package p;
  p.name = name;
  p.version = version;
  p.ecosystem = core::Ecosystem::npm;
  p.path = std::string(path);
  if (doc.contains("license")) {
    const auto& l = doc["license"];
    if (l.is_string()) p.license = l.get<std::string>();
    if (l.is_object() && l.contains("type") && l["type"].is_string()) p.license = l["type"].get<std::string>();
  }
  core::Purl purl;
  purl.type = "npm";
  if (name.starts_with("@") && name.find('/') != std::string::npos) {
    purl.namespace_ = name.substr(0, name.find('/'));
    purl.name = name.substr(name.find('/') + 1);
  } else {
    purl.name = name;
  }
  purl.version = version;
  p.purl = purl.str();
  return p;
}

std::optional<core::Package> parse_gemspec(std::string_view text, std::string_view path) {
  if (text.size() > kMaxMetadataBytes) return std::nullopt;
  // Installed gemspecs are generated Ruby: `s.name = "rake".freeze` and
  // `s.version = "13.0.6"`. Read the assignments; never evaluate the file.
  auto quoted = [](std::string_view v) -> std::string {
    v = trim(v);
    if (v.empty() || (v.front() != '"' && v.front() != '\'')) return {};
    const char q = v.front();
    const auto end = v.find(q, 1);
    if (end == std::string_view::npos) return {};
    return std::string(v.substr(1, end - 1));
  };
  core::Package p;
  for (auto line : lines(text)) {
    line = trim(line);
    const auto dot = line.find('.');
    if (dot == std::string_view::npos || dot > 12) continue;
    auto rest = line.substr(dot + 1);
    const auto eq = rest.find('=');
    if (eq == std::string_view::npos) continue;
    const auto field = trim(rest.substr(0, eq));
    const auto value = rest.substr(eq + 1);
    if (field == "name" && p.name.empty()) p.name = quoted(value);
    if (field == "version" && p.version.empty()) p.version = quoted(value);
    if (field == "licenses" && p.license.empty()) {
      auto v = trim(value);
      if (v.starts_with("[")) p.license = quoted(v.substr(1));
    }
  }
  if (p.name.empty() || p.version.empty()) {
    // Fall back to the file name: <name>-<version>.gemspec
    auto base = basename_of(path);
    base.remove_suffix(8);
    const auto dash = base.find_last_of('-');
    if (dash == std::string_view::npos) return std::nullopt;
    if (p.name.empty()) p.name = std::string(base.substr(0, dash));
    if (p.version.empty()) p.version = std::string(base.substr(dash + 1));
  }
  p.ecosystem = core::Ecosystem::gem;
  p.path = std::string(path);
  core::Purl purl;
  purl.type = "gem";
  purl.name = p.name;
  purl.version = p.version;
  p.purl = purl.str();
  return p;
}

Result<std::vector<core::Package>> parse_java_archive(std::string_view bytes, std::string_view path, int nesting) {
  std::vector<core::Package> out;
  auto st = for_each_zip_entry(bytes, path, [&](std::string_view name, auto& read) -> Result<void> {
    if (name.starts_with("META-INF/maven/") && name.ends_with("/pom.properties")) {
      auto data = read(kMaxMetadataBytes);
      if (!data) return std::unexpected(data.error());
      auto props = parse_properties(*data);
      const auto& group = props["groupId"];
      const auto& artifact = props["artifactId"];
      const auto& version = props["version"];
      if (group.empty() || artifact.empty() || version.empty()) return {};
      core::Package p;
      p.name = group + ":" + artifact;
      p.version = version;
      p.ecosystem = core::Ecosystem::maven;
      p.path = nesting == 0 ? std::string(path) : std::string(path);
      core::Purl purl;
      purl.type = "maven";
      purl.namespace_ = group;
      purl.name = artifact;
      purl.version = version;
      p.purl = purl.str();
      out.push_back(std::move(p));
      return {};
    }
    if (nesting == 0 && is_java_archive_name(basename_of(name))) {
      auto data = read(kMaxNestedJarBytes);
      if (!data) return std::unexpected(data.error());
      auto nested = parse_java_archive(*data, fmt::format("{}!/{}", path, name), nesting + 1);
      if (!nested) return {};  // a broken nested jar does not hide the outer one's packages
      for (auto& p : *nested) out.push_back(std::move(p));
    }
    return {};
  });
  if (!st) return std::unexpected(st.error());
  // A shaded jar can carry the same pom.properties twice; keep one.
  std::ranges::sort(
      out, [](const auto& a, const auto& b) { return std::tie(a.name, a.version) < std::tie(b.name, b.version); });
  out.erase(std::unique(out.begin(), out.end(),
                        [](const auto& a, const auto& b) { return a.name == b.name && a.version == b.version; }),
            out.end());
  return out;
}

std::vector<std::unique_ptr<Cataloger>> lang_catalogers() {
  std::vector<std::unique_ptr<Cataloger>> out;
  out.push_back(std::make_unique<LangCataloger>(LangCataloger::Kind::python));
  out.push_back(std::make_unique<LangCataloger>(LangCataloger::Kind::npm));
  out.push_back(std::make_unique<LangCataloger>(LangCataloger::Kind::gem));
  out.push_back(std::make_unique<LangCataloger>(LangCataloger::Kind::java));
  return out;
}

}  // namespace bulwark::catalog
