// NetworkPolicy reachability against hand-made cases and np-guard/netpol-analyzer's connlist
// ground truth (../shared/fixtures/netpol/netpol-analyzer.tar.zst).
#include "config/k8s/netpol_engine.hpp"
#include "config/k8s/netpol_test_support.hpp"
#include "util/testing/fixtures.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

namespace fs = std::filesystem;
using namespace bulwark::config::k8s::netpol;

namespace {

Model model_of(std::string_view yaml) {
  bulwark::core::Diagnostics diags;
  auto items = bulwark::config::k8s::objects_from_text(yaml, "test.yaml", diags);
  auto m = build_model(items, diags);
  EXPECT_TRUE(m.has_value()) << (m ? "" : m.error().describe());
  return m ? *m : Model{};
}

std::string matrix(std::string_view yaml) {
  return format_matrix(connectivity(model_of(yaml)), MatrixFormat::txt);
}

constexpr std::string_view kTwoPods = R"(
apiVersion: v1
kind: Namespace
metadata: {name: prod, labels: {env: prod}}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: prod, labels: {app: web}}
spec:
  containers:
  - name: c
    ports: [{name: http, containerPort: 8080}]
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: prod, labels: {app: db}}
spec:
  containers:
  - name: c
    ports: [{name: pg, containerPort: 5432}]
)";

}  // namespace

TEST(NetpolPorts, PortSetMergesAndPrints) {
  PortSet s;
  s.add(80, 80);
  s.add(81, 90);
  s.add(100, 100);
  EXPECT_EQ(s.to_string(), "80-90,100");
  EXPECT_FALSE(s.is_all());
  ConnSet c;
  c.add(Protocol::udp, 53, 53);
  c.add(Protocol::tcp, 53, 53);
  EXPECT_EQ(c.to_string(), "TCP 53,UDP 53");
  EXPECT_EQ(ConnSet::all().to_string(), "All Connections");
}

TEST(NetpolEngine, NoPolicyAllowsEverything) {
  auto out = matrix(kTwoPods);
  EXPECT_EQ(out,
            "0.0.0.0-255.255.255.255[External] => prod/db[Pod] : All Connections\n"
            "0.0.0.0-255.255.255.255[External] => prod/web[Pod] : All Connections\n"
            "prod/db[Pod] => 0.0.0.0-255.255.255.255[External] : All Connections\n"
            "prod/db[Pod] => prod/web[Pod] : All Connections\n"
            "prod/web[Pod] => 0.0.0.0-255.255.255.255[External] : All Connections\n"
            "prod/web[Pod] => prod/db[Pod] : All Connections\n");
}

TEST(NetpolEngine, IngressRuleWithNamedPortAndNamespaceSelector) {
  std::string yaml(kTwoPods);
  yaml += R"(
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-from-web, namespace: prod}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {env: prod}}
      podSelector: {matchExpressions: [{key: app, operator: In, values: [web]}]}
    ports: [{port: pg}]
)";
  auto out = matrix(yaml);
  EXPECT_NE(out.find("prod/web[Pod] => prod/db[Pod] : TCP 5432\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("0.0.0.0-255.255.255.255[External] => prod/db[Pod]"), std::string::npos) << out;
}

TEST(NetpolEngine, EgressIpBlockSplitsExternalRanges) {
  std::string yaml(kTwoPods);
  yaml += R"(
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-out, namespace: prod}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Egress]
  egress:
  - to: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}]
    ports: [{protocol: UDP, port: 53, endPort: 60}]
)";
  auto out = matrix(yaml);
  EXPECT_NE(out.find("prod/web[Pod] => 10.0.0.0-10.0.255.255[External] : UDP 53-60\n"), std::string::npos) << out;
  EXPECT_NE(out.find("prod/web[Pod] => 10.2.0.0-10.255.255.255[External] : UDP 53-60\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("prod/web[Pod] => 10.1.0.0-10.1.255.255[External]"), std::string::npos) << out;
  EXPECT_EQ(out.find("prod/web[Pod] => prod/db[Pod]"), std::string::npos) << out;
  // db is not selected: it still reaches every range.
  EXPECT_NE(out.find("prod/db[Pod] => 10.1.0.0-10.1.255.255[External] : All Connections"), std::string::npos) << out;
}

TEST(NetpolEngine, InvalidPolicyIsAnErrorWithLocation) {
  std::string yaml(kTwoPods);
  yaml += R"(
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: bad, namespace: prod}
spec:
  podSelector: {}
  ingress:
  - from: [{ipBlock: {cidr: 10.0.0.0/33}}]
)";
  bulwark::core::Diagnostics diags;
  auto items = bulwark::config::k8s::objects_from_text(yaml, "bad.yaml", diags);
  auto m = build_model(items, diags);
  ASSERT_FALSE(m.has_value());
  EXPECT_NE(m.error().describe().find("CIDR error"), std::string::npos);
  EXPECT_NE(m.error().describe().find("bad.yaml:"), std::string::npos) << m.error().describe();
}

TEST(NetpolEngine, ThousandsOfReplicasStayCheap) {
  std::string yaml =
      "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: big}\n"
      "spec: {podSelector: {matchLabels: {tier: db}}}\n";
  for (int i = 0; i < 3000; ++i) {
    yaml += "---\napiVersion: v1\nkind: Pod\nmetadata: {name: p" + std::to_string(i) +
            ", namespace: big, labels: {tier: " + (i % 2 ? "db" : "web") + "}}\n";
  }
  auto m = model_of(yaml);
  EXPECT_EQ(m.workloads.size(), 3000u);
  EXPECT_EQ(m.class_rep.size(), 2u);
  Evaluator ev(m);
  EXPECT_TRUE(ev.allowed({0, {}}, {1, {}}).empty());   // web -> db: denied
  EXPECT_TRUE(ev.allowed({1, {}}, {0, {}}).is_all());  // db -> web: allowed
}

// ---- netpol-analyzer ground truth ----

namespace {

struct Fixture {
  fs::path root;
  nlohmann::json cases;
};

const Fixture* fixture() {
  static std::optional<Fixture> f;
  static bool tried = false;
  if (tried) return f ? &*f : nullptr;
  tried = true;
  fs::path archive = fs::path(BULWARK_SHARED_DIR) / "fixtures/netpol/netpol-analyzer.tar.zst";
  fs::path dest = fs::path(BULWARK_BINARY_DIR) / "fixtures";
  fs::path root = dest / "netpol-analyzer";
  if (bulwark::testing::unpack_fixture(archive, dest, "netpol-analyzer").empty() || !fs::exists(root / "cases.json"))
    return nullptr;
  std::ifstream in(root / "cases.json");
  f = Fixture{root, nlohmann::json::parse(in)};
  return &*f;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string rtrim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r' || s.back() == '\t')) s.pop_back();
  return s;
}

const std::set<std::string> kOutOfScopeKinds{
    "UserDefinedNetwork", "ClusterUserDefinedNetwork", "NetworkAttachmentDefinition", "MultiNetworkPolicy",
    "VirtualMachine",     "VirtualMachineInstance"};

// Why a scenario is out of scope ("" when it uses only NetworkPolicy and workloads).
std::string scope_of(const std::vector<Item>& items, const nlohmann::json& c) {
  if (c.value("multiple_networks", false)) return "multiple-networks";
  if (!c.value("focus_workload_peers", nlohmann::json::array()).empty() || !c.value("focus_direction", "").empty() ||
      !c.value("focus_conn", "").empty() || c.value("explain", false))
    return "cli-option";
  for (const auto& it : items)
    if (kOutOfScopeKinds.contains(it.kind)) return it.kind;
  return "";
}

}  // namespace

TEST(NetpolAnalyzerFixtures, ConnlistAgreement) {
  const Fixture* f = fixture();
  if (!f) GTEST_SKIP() << "netpol-analyzer fixture not available";
  std::map<std::string, std::pair<int, int>> per_format;  // format -> (agree, total in scope)
  std::map<std::string, int> out_of_scope;
  std::vector<std::string> disagreements;
  for (const auto& c : f->cases) {
    if (c["kind"] != "connlist") continue;
    std::string format = c["format"];
    bulwark::core::Diagnostics diags;
    auto items = bulwark::config::k8s::testing_support::objects_from_dir(
        f->root / "tests" / c["dirs"][0].get<std::string>(), diags);
    auto scope = scope_of(items, c);
    if (!scope.empty()) {
      ++out_of_scope[format + ":" + scope];
      continue;
    }
    auto fmt = parse_matrix_format(format);
    if (!fmt) continue;
    auto& [agree, total] = per_format[format];
    ++total;
    auto model = build_model(items, diags);
    std::string expected = rtrim(read_file(f->root / c["expected_output"].get<std::string>()));
    if (!model) {
      disagreements.push_back(format + " " + c["dirs"][0].get<std::string>() + ": error " + model.error().describe());
      continue;
    }
    MatrixOptions opts;
    for (const auto& w : c["focus_workloads"]) opts.focus_workloads.push_back(w);
    std::string got = rtrim(format_matrix(connectivity(*model, opts), *fmt));
    if (got == expected) {
      ++agree;
    } else {
      disagreements.push_back(format + " " + c["dirs"][0].get<std::string>() + " (" +
                              c["expected_output"].get<std::string>() + ")");
      if (std::getenv("BULWARK_NETPOL_DUMP")) {
        std::ofstream(fs::path(BULWARK_BINARY_DIR) /
                      ("netpol-got-" + std::to_string(c["id"].get<int>()) + "." + format))
            << got << "\n";
      }
    }
  }
  std::cout << "netpol-analyzer connlist agreement:\n";
  for (const auto& [fmt, r] : per_format) std::cout << "  " << fmt << ": " << r.first << "/" << r.second << "\n";
  int oos = 0;
  for (const auto& [k, n] : out_of_scope) oos += n;
  std::cout << "  out of scope: " << oos << "\n";
  for (const auto& [k, n] : out_of_scope) std::cout << "    " << k << ": " << n << "\n";
  std::cout << "  disagreements:\n";
  for (const auto& d : disagreements) std::cout << "    " << d << "\n";
  // A floor from the measured agreement: fails if the engine regresses.
  // Measured: every in-scope txt/csv/json/md case agrees (90/90, 35/35, 35/35, 35/35); dot is our own layout.
  EXPECT_EQ(per_format["txt"].first, per_format["txt"].second);
  EXPECT_GE(per_format["txt"].second, 90);
  for (const char* fmt : {"csv", "json", "md"}) EXPECT_EQ(per_format[fmt].first, per_format[fmt].second) << fmt;
}

TEST(NetpolAnalyzerFixtures, FatalErrorCases) {
  const Fixture* f = fixture();
  if (!f) GTEST_SKIP() << "netpol-analyzer fixture not available";
  int total = 0, failed = 0, message = 0, out_of_scope = 0;
  std::vector<std::string> misses;
  for (const auto& c : f->cases) {
    if (c["kind"] != "connlist_fatal_error") continue;
    bulwark::core::Diagnostics diags;
    auto items = bulwark::config::k8s::testing_support::objects_from_dir(
        f->root / "tests" / c["dirs"][0].get<std::string>(), diags);
    if (!scope_of(items, c).empty()) {
      ++out_of_scope;
      continue;
    }
    ++total;
    auto model = build_model(items, diags);
    if (model) {
      misses.push_back(c["dirs"][0].get<std::string>() + ": accepted");
      continue;
    }
    ++failed;
    std::string want = c["error_contains"];
    if (model.error().describe().find(rtrim(want)) != std::string::npos)
      ++message;
    else
      misses.push_back(c["dirs"][0].get<std::string>() + ": wording differs: " + model.error().describe());
  }
  std::cout << "netpol-analyzer connlist fatal errors: rejected " << failed << "/" << total << ", same wording "
            << message << "/" << total << ", out of scope " << out_of_scope << "\n";
  for (const auto& m : misses) std::cout << "    " << m << "\n";
  EXPECT_EQ(failed, total);
}

TEST(NetpolAnalyzerFixtures, EvalCases) {
  const Fixture* f = fixture();
  if (!f) GTEST_SKIP() << "netpol-analyzer fixture not available";
  int total = 0, agree = 0;
  for (const auto& c : f->cases) {
    if (c["kind"] != "eval") continue;
    ++total;
    bulwark::core::Diagnostics diags;
    auto items = bulwark::config::k8s::testing_support::objects_from_dir(
        f->root / "tests" / c["dirs"][0].get<std::string>(), diags);
    auto model = build_model(items, diags);
    ASSERT_TRUE(model.has_value()) << model.error().describe();
    auto find = [&](const std::string& ns, const std::string& name) {
      for (std::size_t i = 0; i < model->workloads.size(); ++i)
        if (model->workloads[i].namespace_ == ns && model->workloads[i].name == name) return static_cast<int>(i);
      return -1;
    };
    int src = find(c["src_namespace"], c["src_workload"]);
    int dst = find(c["dst_namespace"], c["dst_workload"]);
    ASSERT_GE(src, 0);
    ASSERT_GE(dst, 0);
    std::string proto = c["protocol"];
    for (auto& ch : proto) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    Evaluator ev(*model);
    bool allowed =
        ev.allowed({src, {}}, {dst, {}}).allows(*parse_protocol(proto), std::stoi(c["port"].get<std::string>()));
    if (allowed == c["allowed"].get<bool>())
      ++agree;
    else
      std::cout << "    eval " << c["dirs"][0] << ": expected " << c["allowed"] << "\n";
  }
  std::cout << "netpol-analyzer eval cases: " << agree << "/" << total << "\n";
  EXPECT_EQ(agree, total);
}
