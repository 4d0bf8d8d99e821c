// The analyzers behind `bulwark config`: one entry point per area, each in its own
// file (dockerfile/analyze.cpp, compose/analyze.cpp, k8s/workloads.cpp, k8s/rbac.cpp,
// k8s/netpol.cpp). config::analyze() calls them; Kubernetes analyzers get the
// objects of all input files together, since RBAC and NetworkPolicy need the whole set.
#pragma once

#include <optional>
#include <vector>

#include "config/document.hpp"
#include "config/k8s/netpol_graph.hpp"
#include "config/k8s/objects.hpp"
#include "config/yaml.hpp"
#include "core/diagnostics.hpp"
#include "core/model.hpp"

namespace bulwark::config {

namespace dockerfile {
[[nodiscard]] std::vector<core::Finding> analyze(const Document& doc, const AnalyzeOptions& options,
                                                 core::Diagnostics& diags);
}  // namespace dockerfile

namespace compose {
[[nodiscard]] std::vector<core::Finding> analyze(const Document& doc, const std::vector<YamlDocument>& yaml,
                                                 const AnalyzeOptions& options, core::Diagnostics& diags);
}  // namespace compose

namespace k8s {
[[nodiscard]] std::vector<core::Finding> analyze_workloads(const std::vector<Object>& objects,
                                                           const AnalyzeOptions& options, core::Diagnostics& diags);
[[nodiscard]] std::vector<core::Finding> analyze_rbac(const std::vector<Object>& objects, const AnalyzeOptions& options,
                                                      core::Diagnostics& diags);
// With `graph`, also the reachability graph of the objects (when they hold a workload or a policy).
[[nodiscard]] std::vector<core::Finding> analyze_netpol(const std::vector<Object>& objects,
                                                        const AnalyzeOptions& options, core::Diagnostics& diags,
                                                        std::optional<netpol::Graph>* graph = nullptr);
}  // namespace k8s

}  // namespace bulwark::config
