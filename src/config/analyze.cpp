#include "config/analyze.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <iostream>
#include <iterator>
#include <system_error>

#include "config/analyzers.hpp"
#include "config/k8s/netpol_load.hpp"
#include "util/files.hpp"

namespace bulwark::config {
namespace {

namespace fs = std::filesystem;

void add_error(core::Diagnostics& diags, const Error& e, std::string file) {
  core::Diagnostic d;
  d.level = core::DiagnosticLevel::error;
  d.code = std::string(to_string(e.code));
  d.file = std::move(file);
  // Errors from the YAML loader carry "path:line:col" as their context.
  const auto& ctx = e.context;
  if (ctx.size() > d.file.size() && ctx.starts_with(d.file) && ctx[d.file.size()] == ':') {
    int line = 0;
    int col = 0;
    if (std::sscanf(ctx.c_str() + d.file.size(), ":%d:%d", &line, &col) >= 1) {
      d.line = line;
      d.column = col;
    }
  }
  d.message = e.message;
  diags.add(std::move(d));
}

Status load_file(const fs::path& path, bool explicit_file, std::vector<Document>& out, core::Diagnostics& diags,
                 const LoadLimits& limits) {
  auto text = util::read_file(path, limits.max_file_bytes);
  if (!text) {
    add_error(diags, text.error(), path.string());
    return {};
  }
  const auto kind = detect_kind(path.string(), *text);
  if (kind == DocumentKind::unknown) {
    if (explicit_file) {
      diags.add({core::DiagnosticLevel::warning,
                 "unknown-kind",
                 path.string(),
                 0,
                 0,
                 {},
                 "not recognised as a Dockerfile, Compose file or Kubernetes manifest; skipped"});
    }
    return {};
  }
  out.push_back(Document{path.string(), kind, std::move(*text)});
  return {};
}

}  // namespace

Result<std::vector<Document>> load_documents(const std::vector<std::string>& paths, core::Diagnostics& diags,
                                             const LoadLimits& limits) {
  std::vector<Document> docs;
  for (const auto& p : paths) {
    if (p == "-") {
      std::string text;
      char buf[65536];
      while (std::cin.read(buf, sizeof buf) || std::cin.gcount() > 0) {
        text.append(buf, static_cast<std::size_t>(std::cin.gcount()));
        if (text.size() > limits.max_file_bytes) {
          return fail(ErrorCode::limit, fmt::format("more than {} bytes on stdin", limits.max_file_bytes), "-");
        }
      }
      const auto kind = detect_kind("-", text);
      if (kind == DocumentKind::unknown) {
        return fail(ErrorCode::parse, "not recognised as a Dockerfile, Compose file or Kubernetes manifest", "-");
      }
      docs.push_back(Document{"-", kind, std::move(text)});
      continue;
    }
    std::error_code ec;
    const fs::path path(p);
    const auto status = fs::status(path, ec);
    if (ec || !fs::exists(status)) return fail(ErrorCode::not_found, "no such file or folder", p);
    if (fs::is_directory(status)) {
      std::vector<fs::path> files;
      for (auto it = fs::recursive_directory_iterator(path, fs::directory_options::skip_permission_denied, ec);
           !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_regular_file(ec)) files.push_back(it->path());
        if (files.size() > limits.max_files) {
          return fail(ErrorCode::limit, fmt::format("more than {} files", limits.max_files), p);
        }
      }
      if (ec) return fail(ErrorCode::io, ec.message(), p);
      std::sort(files.begin(), files.end());
      for (const auto& f : files) {
        if (auto s = load_file(f, false, docs, diags, limits); !s) return std::unexpected(s.error());
      }
    } else {
      if (auto s = load_file(path, true, docs, diags, limits); !s) return std::unexpected(s.error());
    }
  }
  return docs;
}

std::vector<core::Finding> analyze(const std::vector<Document>& docs, const AnalyzeOptions& options,
                                   core::Diagnostics& diags) {
  AnalyzeOutputs ignored;
  ignored.want_reachability = false;
  return analyze(docs, options, diags, ignored);
}

std::vector<core::Finding> analyze(const std::vector<Document>& docs, const AnalyzeOptions& options,
                                   core::Diagnostics& diags, AnalyzeOutputs& outputs) {
  std::vector<core::Finding> findings;
  auto append = [&](std::vector<core::Finding> more) {
    findings.insert(findings.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
  };
  std::vector<k8s::Object> objects;
  for (const auto& doc : docs) {
    switch (doc.kind) {
      case DocumentKind::dockerfile: append(dockerfile::analyze(doc, options, diags)); break;
      case DocumentKind::compose: {
        auto yaml = load_yaml_stream(doc.text, doc.path);
        if (!yaml) {
          add_error(diags, yaml.error(), doc.path);
          break;
        }
        append(compose::analyze(doc, *yaml, options, diags));
        break;
      }
      case DocumentKind::kubernetes: {
        auto yaml = load_yaml_stream(doc.text, doc.path);
        if (!yaml) {
          add_error(diags, yaml.error(), doc.path);
          break;
        }
        k8s::infer_list_item_kinds(*yaml);  // kubectl's <Kind>List output leaves the items' kind out
        auto more = k8s::collect_objects(*yaml, doc.path, diags);
        objects.insert(objects.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
        break;
      }
      case DocumentKind::unknown: break;
    }
  }
  if (!objects.empty()) {
    append(k8s::analyze_workloads(objects, options, diags));
    append(k8s::analyze_rbac(objects, options, diags));
    append(k8s::analyze_netpol(objects, options, diags, outputs.want_reachability ? &outputs.reachability : nullptr));
  }
  return findings;
}

}  // namespace bulwark::config
