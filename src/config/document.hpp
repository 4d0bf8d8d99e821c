// What `bulwark config` reads: documents of a detected kind, and the options the
// analyzers share.
#pragma once

#include <string>
#include <string_view>

namespace bulwark::config {

enum class DocumentKind { unknown, dockerfile, compose, kubernetes };
[[nodiscard]] std::string_view to_string(DocumentKind kind) noexcept;

struct Document {
  std::string path;
  DocumentKind kind = DocumentKind::unknown;
  std::string text;
};

// The kind of a file: by its content first (a Kubernetes manifest has apiVersion and
// kind; a Compose file has top-level services; a Dockerfile has a FROM instruction
// after comments, directives and ARGs), then by its name.
[[nodiscard]] DocumentKind detect_kind(std::string_view path, std::string_view text);

struct AnalyzeOptions {
  std::string pss_version = "latest";
  std::string pss_level = "restricted";
  std::string trusted_registries_file;
  bool include_passed = false;
};

}  // namespace bulwark::config
