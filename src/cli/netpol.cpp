// `bulwark netpol matrix PATH…`: which workloads (and which external address ranges) can reach
// which, on which protocols and ports, under the NetworkPolicies of the manifests.
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "config/k8s/netpol_engine.hpp"
#include "config/k8s/netpol_load.hpp"
#include "util/strings.hpp"

namespace bulwark::cli {
namespace {

namespace np = config::k8s::netpol;

struct NetpolOptions {
  std::vector<std::string> paths;
  std::string format = "table";
  std::vector<std::string> focus;
  std::string output;
  bool quiet = false;
};

std::string table(const std::vector<np::Connection>& conns) {
  std::size_t ws = 6, wd = 11;
  for (const auto& c : conns) {
    ws = std::max(ws, c.src.size());
    wd = std::max(wd, c.dst.size());
  }
  std::string out = fmt::format("{:<{}}  {:<{}}  {}\n", "SOURCE", ws, "DESTINATION", wd, "CONNECTIONS");
  for (const auto& c : conns) out += fmt::format("{:<{}}  {:<{}}  {}\n", c.src, ws, c.dst, wd, c.conns.to_string());
  return out;
}

int run_matrix(const NetpolOptions& o) {
  core::Diagnostics diags;
  auto objects = config::k8s::load_objects(o.paths, diags);
  if (!objects) return report_error(objects.error());
  auto print_diags = [&] {
    for (const auto& d : diags.items()) std::fprintf(stderr, "bulwark: %s\n", util::printable(d.describe()).c_str());
  };
  auto model = np::build_model(*objects, diags, np::BuildMode::strict);
  if (!model) {
    print_diags();
    return report_error(model.error());
  }
  np::MatrixOptions mo;
  mo.focus_workloads = o.focus;
  if (!o.focus.empty()) {
    for (const auto& f : o.focus) {
      bool found = std::any_of(model->workloads.begin(), model->workloads.end(),
                               [&](const np::Workload& w) { return w.name == f || w.namespace_ + "/" + w.name == f; });
      if (!found) {
        print_diags();
        return report_error(Error{ErrorCode::not_found, "no workload of that name in the input", f});
      }
    }
  }
  auto conns = np::connectivity(*model, mo);
  std::string text;
  if (o.format == "table") {
    text = table(conns);
  } else {
    text = np::format_matrix(conns, *np::parse_matrix_format(o.format));
  }
  print_diags();
  ScanOptions out_opts;
  out_opts.output = o.output;
  if (auto st = write_output(out_opts, text); !st) return report_error(st.error());
  if (!o.quiet) {
    std::fprintf(stderr, "bulwark: %zu workloads, %zu policies, %zu allowed connections\n", model->workloads.size(),
                 model->policies.size(), conns.size());
  }
  return diags.error_count() > 0 ? kExitInput : kExitOk;
}

}  // namespace

void register_netpol(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("netpol", "NetworkPolicy reachability between workloads");
  cmd->footer(
      "Subcommands: matrix. Run `bulwark netpol matrix --help` for formats.\n"
      "\n"
      "Examples:\n"
      "  bulwark netpol matrix k8s/\n"
      "  bulwark netpol matrix k8s/ --focus-workload shop/frontend --format csv");
  cmd->require_subcommand(1);
  auto opts = std::make_shared<NetpolOptions>();
  auto* matrix = cmd->add_subcommand("matrix", "List the allowed connections between workloads and external ranges");
  matrix->footer(
      "Reads Pods, workload controllers (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, ...),\n"
      "Namespaces, NetworkPolicies, AdminNetworkPolicies and the BaselineAdminNetworkPolicy; folders are read\n"
      "recursively. Pods of one controller form one workload.\n"
      "External peers are the address ranges the policies' ipBlocks cut 0.0.0.0/0 into; with Ingress or Route\n"
      "objects, {ingress-controller} reaches the workloads their Services select.\n"
      "An invalid NetworkPolicy stops the analysis (exit 3) with its file and line: leaving it out would\n"
      "report more reachability than the cluster allows.\n"
      "\n"
      "Formats: table (default), txt (netpol-analyzer's `src => dst : conns` lines), json, csv, md, dot.\n"
      "\n"
      "Examples:\n"
      "  bulwark netpol matrix k8s/\n"
      "  bulwark netpol matrix deploy.yaml policies.yaml --format dot -o net.dot && dot -Tsvg net.dot > net.svg\n"
      "  bulwark netpol matrix k8s/ --focus-workload shop/frontend --format csv\n"
      "  kubectl get pods,ns,netpol -A -o yaml | bulwark netpol matrix -\n");
  matrix->add_option("PATH", opts->paths, "Files or folders; - reads stdin")->required();
  matrix->add_option("-f,--format", opts->format, "Output: table, txt, json, csv, md, dot")
      ->check(CLI::IsMember({"table", "txt", "json", "csv", "md", "dot"}));
  matrix->add_option("--focus-workload", opts->focus, "Only connections from or to this workload (name or ns/name)");
  matrix->add_option("-o,--output", opts->output, "Write the result to this file (atomically)");
  matrix->add_flag("-q,--quiet", opts->quiet, "No summary on stderr");
  matrix->callback([opts, &exit_code] { exit_code = run_matrix(*opts); });
}

BULWARK_COMMAND(netpol, 32, register_netpol);

}  // namespace bulwark::cli
