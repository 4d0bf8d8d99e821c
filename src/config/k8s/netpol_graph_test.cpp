// The reachability graph (`reachability` of `bulwark config --format json`) against
// np-guard/netpol-analyzer's connlist of the same manifests
// (../shared/fixtures/netpol/netpol-analyzer.tar.zst, scenario netpol-analysis-example-minimal).
#include "config/k8s/netpol_graph.hpp"
#include "config/k8s/netpol_test_support.hpp"
#include "util/testing/fixtures.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;
using namespace bulwark::config::k8s::netpol;

namespace {

fs::path scenario_root() {
  fs::path archive = fs::path(BULWARK_SHARED_DIR) / "fixtures/netpol/netpol-analyzer.tar.zst";
  return bulwark::testing::unpack_fixture(archive, fs::path(BULWARK_BINARY_DIR) / "fixtures", "netpol-analyzer");
}

Model model_of_dir(const fs::path& dir) {
  bulwark::core::Diagnostics diags;
  auto objects = bulwark::config::k8s::testing_support::objects_from_dir(dir, diags);
  auto m = build_model(objects, diags);
  EXPECT_TRUE(m.has_value()) << (m ? "" : m.error().describe());
  return m ? *m : Model{};
}

const GraphNode* node(const Graph& g, std::string_view id) {
  for (const auto& n : g.nodes)
    if (n.id == id) return &n;
  return nullptr;
}

TEST(NetpolGraph, EdgesAreTheConnlistAndNodesCarryIsolationAndExposure) {
  fs::path root = scenario_root();
  if (root.empty()) GTEST_SKIP() << "netpol-analyzer fixture not available";
  const std::string name = "netpol-analysis-example-minimal";
  Graph g = reachability_graph(model_of_dir(root / "tests" / name));

  // The edges are netpol-analyzer's connlist lines, in its order.
  std::ifstream in(root / "test_outputs/connlist" / (name + "_connlist_output.txt"));
  std::stringstream expected;
  expected << in.rdbuf();
  std::string got;
  for (const auto& e : g.edges) got += e.src + " => " + e.dst + " : " + e.conns.to_string() + "\n";
  auto trim = [](std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
  };
  EXPECT_EQ(trim(got), trim(expected.str()));

  // Every edge names a node; the nodes are the two workloads and the one external range.
  for (const auto& e : g.edges) {
    EXPECT_NE(node(g, e.src), nullptr) << e.src;
    EXPECT_NE(node(g, e.dst), nullptr) << e.dst;
  }
  ASSERT_EQ(g.nodes.size(), 3U);
  const auto* front = node(g, "default/frontend[Deployment]");
  const auto* back = node(g, "default/backend[Deployment]");
  const auto* ext = node(g, "0.0.0.0-255.255.255.255[External]");
  ASSERT_TRUE(front && back && ext);
  EXPECT_EQ(ext->type, NodeType::external);
  // frontend-netpol admits TCP 8080 from everywhere; backend only from frontend.
  EXPECT_TRUE(front->exposed);
  EXPECT_EQ(front->exposed_conns.to_string(), "TCP 8080");
  EXPECT_FALSE(back->exposed);
  EXPECT_TRUE(front->ingress_isolated && front->egress_isolated && back->ingress_isolated);

  // default-deny-in-namespace: podSelector {} with both policy types.
  ASSERT_EQ(g.namespaces.size(), 1U);
  EXPECT_EQ(g.namespaces[0].name, "default");
  EXPECT_TRUE(g.namespaces[0].default_deny_ingress);
  EXPECT_TRUE(g.namespaces[0].default_deny_egress);
  EXPECT_EQ(g.namespaces[0].workloads, 2U);

  auto j = to_json(g);
  EXPECT_EQ(j["edges"].size(), g.edges.size());
  EXPECT_EQ(j["edges"][0]["connections"], g.edges[0].conns.to_string());
  EXPECT_EQ(j["nodes"][0]["type"], "workload");
}

TEST(NetpolGraph, NamespaceWithoutPoliciesIsOpenAndItsWorkloadsReachableFromAnywhere) {
  bulwark::core::Diagnostics diags;
  auto objects = bulwark::config::k8s::objects_from_text(R"(
apiVersion: v1
kind: Pod
metadata: {name: "<script>alert(1)</script>", namespace: shop, labels: {app: web}}
spec: {containers: [{name: c, image: nginx, ports: [{containerPort: 80}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: data, labels: {app: db}}
spec: {containers: [{name: c, image: postgres}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all, namespace: data}
spec: {podSelector: {}, policyTypes: [Ingress]}
)",
                                                         "test.yaml", diags);
  auto m = build_model(objects, diags);
  ASSERT_TRUE(m) << m.error().describe();
  Graph g = reachability_graph(*m);
  ASSERT_EQ(g.namespaces.size(), 2U);
  EXPECT_EQ(g.namespaces[0].name, "data");
  EXPECT_TRUE(g.namespaces[0].default_deny_ingress);
  EXPECT_FALSE(g.namespaces[0].default_deny_egress);
  EXPECT_FALSE(g.namespaces[1].default_deny_ingress);
  const auto* web = node(g, "shop/<script>alert(1)</script>[Pod]");
  ASSERT_NE(web, nullptr);
  EXPECT_TRUE(web->exposed);
  EXPECT_TRUE(web->exposed_conns.is_all());
  EXPECT_FALSE(node(g, "data/db[Pod]")->exposed);
  // The name stays as written (escaping is the reader's business: json, HTML).
  EXPECT_EQ(to_json(g)["nodes"][1]["name"], "<script>alert(1)</script>");
}

}  // namespace
