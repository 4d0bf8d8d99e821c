// `bulwark config` as a library: load files and folders into documents, then run
// every analyzer over them.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/document.hpp"
#include "config/k8s/netpol_graph.hpp"
#include "core/diagnostics.hpp"
#include "core/model.hpp"
#include "util/error.hpp"

namespace bulwark::config {

struct LoadLimits {
  std::uint64_t max_file_bytes = 32ULL << 20;
  std::size_t max_files = 200'000;
};

// Files, folders (recursively; only files whose kind is detected), and "-" for stdin.
// An unreadable or oversized file becomes an error diagnostic naming it and is
// skipped; a path that does not exist is an error result.
[[nodiscard]] Result<std::vector<Document>> load_documents(const std::vector<std::string>& paths,
                                                           core::Diagnostics& diags, const LoadLimits& limits = {});

// Runs the analyzers over the documents. A document that does not parse becomes an
// error diagnostic (file:line:col) and the others are still checked.
[[nodiscard]] std::vector<core::Finding> analyze(const std::vector<Document>& docs, const AnalyzeOptions& options,
                                                 core::Diagnostics& diags);

// What an analysis found besides findings.
struct AnalyzeOutputs {
  // Compute the reachability (every pair of workload classes: only when it is written).
  bool want_reachability = true;
  // NetworkPolicy reachability of the Kubernetes objects of all inputs together, when they hold a
  // workload or a NetworkPolicy (the document's `reachability`, docs/formats/json.md).
  std::optional<k8s::netpol::Graph> reachability;
};
[[nodiscard]] std::vector<core::Finding> analyze(const std::vector<Document>& docs, const AnalyzeOptions& options,
                                                 core::Diagnostics& diags, AnalyzeOutputs& outputs);

}  // namespace bulwark::config
