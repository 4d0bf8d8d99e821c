// Workload checks: unit behaviour, and agreement with the peer tools' own test
// cases (Trivy KSV examples and rego test inputs, Polaris check cases, kube-score
// cases, kubesec rule cases). A peer case is compared with the bulwark checks that
// list that peer's id in `standards` (checks/kubernetes-*.yaml): the case "fires"
// when any of them fails on the manifest. The peers do not all mean the same thing
// by a control, so agreement is measured and the disagreements are printed; each
// test guards the measured agreement against regressions.
#include "config/k8s/workload_checks.hpp"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "config/analyze.hpp"
#include "config/checks.hpp"
#include "config/document.hpp"
#include "util/testing/fixtures.hpp"

namespace bulwark::config::k8s {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path kShared = fs::path(BULWARK_SHARED_DIR) / "fixtures" / "workload-checks";

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Unpacks e.g. polaris.tar.zst (a polaris/ tree) under the build tree once; returns the folder holding it.
fs::path unpack(const std::string& archive) {
  fs::path out = fs::path(BULWARK_BINARY_DIR) / "fixtures" / "workload-checks";
  std::string top = archive.substr(0, archive.find(".tar"));
  if (bulwark::testing::unpack_fixture(kShared / archive, out, top).empty()) return {};
  return out;
}

std::vector<core::Finding> run(const std::string& text, const AnalyzeOptions& options = {},
                               const std::string& path = "case.yaml") {
  core::Diagnostics diags;
  return analyze({Document{path, DocumentKind::kubernetes, text}}, options, diags);
}

bool fired(const std::vector<core::Finding>& findings, const std::set<std::string>& ids) {
  for (const auto& f : findings) {
    if (f.status == core::FindingStatus::fail && ids.contains(f.id)) return true;
  }
  return false;
}

// The Kubernetes workload checks (BW-PSS, BW-K8S) that name `tool`'s `id` as the same control.
std::set<std::string> mapped(std::string_view tool, std::string_view id) {
  std::set<std::string> out;
  for (const auto& check : CheckCatalog::builtin().all()) {
    if (!check.id.starts_with("BW-PSS-") && !check.id.starts_with("BW-K8S-")) continue;
    for (const auto& s : check.standards) {
      if (s.name == tool && s.id == id) out.insert(check.id);
    }
  }
  return out;
}

std::string join(const std::set<std::string>& ids) {
  std::string out;
  for (const auto& id : ids) out += (out.empty() ? "" : ",") + id;
  return out;
}

// Why bulwark's canonical control and a peer's check differ, by "<peer>:<peer check>".
// Printed next to each disagreement; each was checked against the case.
const std::map<std::string, std::string>& known_reasons() {
  static const std::map<std::string, std::string> kReasons{
      {"trivy:KSV-0003", "PSS matches drop \"ALL\" case-sensitively; Trivy also accepts \"all\""},
      {"trivy:KSV-0022",
       "Trivy flags any added capability; the canonical control (PSS baseline) allows the default set"},
      {"trivy:KSV-0030",
       "PSS counts an explicit pod-level Unconfined (or, from v1.19, ignores legacy annotations) even when containers "
       "override it"},
      {"trivy:KSV-0104",
       "PSS forbids a pod-level Unconfined even when containers override it, and reads no annotations from v1.19"},
      {"trivy:KSV-0110",
       "bulwark flags only an explicit default namespace; Helm and kustomize output often names none"},
      {"trivy:KSV-0119", "one canonical control for every non-default capability: NET_ADMIN and SYS_ADMIN fire it too"},
      {"polaris:insecureCapabilities", "PSS restricted requires drop: [ALL]; Polaris accepts dropping its own list"},
      {"polaris:pullPolicyNotAlways",
       "Kubernetes defaults an unset pull policy to Always for untagged and :latest images; Polaris wants it written"},
      {"kube-score:pod-probes",
       "kube-score asks for probes only on pods a Service targets, and accepts them on any container of the pod"},
      {"kube-score:container-resources", "bulwark has no option to ignore CPU or memory limits"},
      {"kubesec:positive",
       "kubesec credits a manifest when any container has the setting; bulwark requires it of every container"},
  };
  return kReasons;
}

struct Tally {
  std::string name;
  std::size_t agree = 0;
  std::size_t total = 0;
  std::vector<std::string> disagreements;
  void add(bool expected, bool actual, const std::string& what, const std::string& reason_key = {}) {
    ++total;
    if (expected == actual) {
      ++agree;
      return;
    }
    std::string text =
        what + ": expected " + (expected ? "fire" : "no finding") + ", bulwark " + (actual ? "fires" : "does not fire");
    if (auto it = known_reasons().find(reason_key); it != known_reasons().end()) text += " -- " + it->second;
    disagreements.push_back(std::move(text));
  }
  void print() const {
    std::cout << name << ": " << agree << "/" << total << " agree\n";
    for (const auto& d : disagreements) std::cout << "  " << d << "\n";
  }
};

// ---- unit behaviour ---------------------------------------------------------------

TEST(WorkloadChecks, ParsesImageReferences) {
  EXPECT_EQ(workload::parse_image("nginx").tag, "");
  EXPECT_EQ(workload::parse_image("nginx:1.25").tag, "1.25");
  EXPECT_EQ(workload::parse_image("registry:5000/team/app").tag, "");
  EXPECT_EQ(workload::parse_image("registry:5000/team/app:v2").tag, "v2");
  auto pinned = workload::parse_image("ghcr.io/a/b:1@sha256:abcd");
  EXPECT_EQ(pinned.tag, "1");
  EXPECT_EQ(pinned.digest, "sha256:abcd");
}

TEST(WorkloadChecks, HitsPointAtTheOffendingNodeAndLeaveTheDocumentAlone) {
  const std::string text = R"(apiVersion: v1
kind: Pod
metadata: {name: p, namespace: default}
spec:
  containers:
    - name: a
      image: nginx:latest
    - name: b
      image: busybox@sha256:0123
  volumes:
    - name: s
      hostPath: {path: /run/containerd/containerd.sock}
)";
  YAML::Node root = YAML::Load(text);
  const std::string before = YAML::Dump(root);
  workload::Input input{"Pod", "default", root, root["metadata"], root["spec"]};
  auto hits = workload::evaluate(input, {});
  EXPECT_EQ(YAML::Dump(root), before);
  auto find = [&](std::string_view id) -> const workload::Hit* {
    for (const auto& h : hits) {
      if (h.id == id) return &h;
    }
    return nullptr;
  };
  ASSERT_NE(find("BW-K8S-007"), nullptr);
  EXPECT_EQ(find("BW-K8S-007")->mark.line + 1, 7);
  EXPECT_EQ(find("BW-K8S-007")->mark.column + 1, 14);
  ASSERT_NE(find("BW-K8S-012"), nullptr);
  EXPECT_EQ(find("BW-K8S-012")->mark.line + 1, 12);
  ASSERT_NE(find("BW-K8S-017"), nullptr);
  EXPECT_EQ(find("BW-K8S-017")->mark.line + 1, 3);
  // The digest-pinned image is neither "latest" nor unpinned.
  int unpinned = 0;
  for (const auto& h : hits) unpinned += h.id == "BW-K8S-008";
  EXPECT_EQ(unpinned, 1);
}

TEST(WorkloadChecks, ServiceAccountSettingDecidesTokenAutomount) {
  const std::string pod = R"(apiVersion: v1
kind: Pod
metadata: {name: p, namespace: shop}
spec:
  serviceAccountName: web
  containers: [{name: a, image: "x:1"}]
)";
  const std::string sa_false =
      "---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: web, namespace: shop}\n"
      "automountServiceAccountToken: false\n";
  EXPECT_TRUE(fired(run(pod), {"BW-K8S-010"}));
  EXPECT_FALSE(fired(run(pod + sa_false), {"BW-K8S-010"}));
  // Another namespace's ServiceAccount does not count.
  std::string other = sa_false;
  other.replace(other.find("shop"), 4, "else");
  EXPECT_TRUE(fired(run(pod + other), {"BW-K8S-010"}));
}

TEST(WorkloadChecks, PssLevelAndVersionAreHonoured) {
  const std::string pod = R"(apiVersion: v1
kind: Pod
metadata: {name: p, namespace: shop}
spec:
  securityContext:
    sysctls: [{name: net.ipv4.tcp_rmem, value: "4096 87380 6291456"}]
  containers: [{name: a, image: "x:1"}]
)";
  AnalyzeOptions old_version;
  old_version.pss_version = "v1.31";
  EXPECT_TRUE(fired(run(pod, old_version), {"BW-PSS-010"}));
  EXPECT_FALSE(fired(run(pod), {"BW-PSS-010"}));
  AnalyzeOptions baseline;
  baseline.pss_level = "baseline";
  EXPECT_TRUE(fired(run(pod), {"BW-PSS-015"}));
  EXPECT_FALSE(fired(run(pod, baseline), {"BW-PSS-015"}));
  // The finding names the evaluated version.
  for (const auto& f : run(pod, old_version)) {
    if (f.id != "BW-PSS-010") continue;
    ASSERT_FALSE(f.standards.empty());
    EXPECT_EQ(f.standards[0].name, "pss");
    EXPECT_EQ(f.standards[0].version, "v1.31");
  }
  AnalyzeOptions bad;
  bad.pss_version = "v2.0";
  core::Diagnostics diags;
  (void)analyze({Document{"p.yaml", DocumentKind::kubernetes, pod}}, bad, diags);
  EXPECT_EQ(diags.error_count(), 1U);
}

TEST(WorkloadChecks, IncludePassedReportsEveryCheckInForce) {
  const std::string pod = R"(apiVersion: v1
kind: Pod
metadata: {name: p, namespace: shop}
spec:
  containers: [{name: a, image: "x:1"}]
)";
  AnalyzeOptions options;
  options.include_passed = true;
  std::set<std::string> passed, failed;
  for (const auto& f : run(pod, options)) {
    (f.status == core::FindingStatus::pass ? passed : failed).insert(f.id);
  }
  EXPECT_TRUE(passed.contains("BW-PSS-001"));
  EXPECT_TRUE(failed.contains("BW-PSS-015"));
  EXPECT_FALSE(passed.contains("BW-PSS-015"));
  EXPECT_TRUE(passed.contains("BW-K8S-012"));
  EXPECT_FALSE(passed.contains("BW-K8S-018"));  // Service checks do not apply to a Pod
  for (const auto& id : passed) EXPECT_FALSE(failed.contains(id)) << id;
}

TEST(WorkloadChecks, EveryWorkloadKindAndJsonAndLists) {
  const char* kinds[] = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job"};
  for (const char* kind : kinds) {
    std::string text = std::string("apiVersion: apps/v1\nkind: ") + kind +
                       "\nmetadata: {name: w}\nspec:\n  template:\n    spec:\n      hostPID: true\n"
                       "      containers: [{name: a, image: x}]\n";
    EXPECT_TRUE(fired(run(text), {"BW-PSS-001"})) << kind;
  }
  const std::string cronjob = R"({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c"},
  "spec": {"jobTemplate": {"spec": {"template": {"spec": {"hostIPC": true,
  "containers": [{"name": "a", "image": "x"}]}}}}}})";
  auto findings = run(cronjob, {}, "c.json");
  EXPECT_TRUE(fired(findings, {"BW-PSS-001"}));
  EXPECT_FALSE(fired(findings, {"BW-K8S-005"}));  // no liveness probe needed for a CronJob
  for (const auto& f : findings) {
    if (f.id == "BW-PSS-001") {
      EXPECT_EQ(f.location.path, "c.json");
      EXPECT_EQ(f.location.line, 2);
    }
  }
  const std::string list = R"(apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Pod
    metadata: {name: a}
    spec: {containers: [{name: a, image: x, securityContext: {privileged: true}}]}
  - apiVersion: v1
    kind: Pod
    metadata: {name: b}
    spec: {containers: [{name: b, image: x}]}
)";
  int privileged = 0;
  for (const auto& f : run(list)) {
    if (f.id == "BW-PSS-002") {
      ++privileged;
      EXPECT_EQ(f.location.line, 7);
      EXPECT_EQ(f.target.name, "case.yaml#Pod/a");
    }
  }
  EXPECT_EQ(privileged, 1);
}

TEST(WorkloadChecks, HelmRenderedOutput) {
  // What `helm template` prints: "# Source:" comments, empty documents, objects without a namespace.
  const std::string text = R"(---
# Source: shop/templates/serviceaccount.yaml
apiVersion: v1
kind: ServiceAccount
metadata:
  name: shop
automountServiceAccountToken: false
---
# Source: shop/templates/disabled.yaml
---
# Source: shop/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop
  labels:
    helm.sh/chart: shop-1.0.0
spec:
  template:
    spec:
      serviceAccountName: shop
      containers:
        - name: shop
          image: "ghcr.io/acme/shop:1.0.0"
          securityContext:
            privileged: true
)";
  core::Diagnostics diags;
  auto findings = analyze({Document{"-", DocumentKind::kubernetes, text}}, {}, diags);
  EXPECT_EQ(diags.error_count(), 0U);
  EXPECT_TRUE(fired(findings, {"BW-PSS-002"}));
  EXPECT_FALSE(fired(findings, {"BW-K8S-010"}));  // the chart's ServiceAccount turns automount off
  EXPECT_FALSE(fired(findings, {"BW-K8S-011"}));
  for (const auto& f : findings) {
    if (f.id == "BW-PSS-002") {
      EXPECT_EQ(f.location.line, 26);
    }
  }
}

TEST(WorkloadChecks, BadInputIsDiagnosedAndOtherFilesStillChecked) {
  std::string billion =
      "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec:\n  a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i <= 9; ++i) {
    billion += "  a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int j = 0; j < 10; ++j) billion += (j ? ", *a" : "*a") + std::to_string(i - 1);
    billion += "]\n";
  }
  const std::string deep =
      "apiVersion: v1\nkind: Pod\nmetadata: {name: d}\nspec: " + std::string(400, '[') + std::string(400, ']') + "\n";
  const std::string broken = "apiVersion: v1\nkind: Pod\nmetadata: {name: b}\nspec:\n  containers: [\n";
  const std::string good =
      "apiVersion: v1\nkind: Pod\nmetadata: {name: g}\nspec:\n  hostNetwork: true\n  containers: [{name: a, image: "
      "x}]\n";
  // Past the loader's 32 MiB limit: refused before parsing.
  std::string huge = "apiVersion: v1\nkind: Pod\nmetadata: {name: h}\nspec:\n  containers: [{name: a, image: x}]\n";
  huge += "# " + std::string(33U << 20, 'x') + "\n";
  core::Diagnostics diags;
  auto findings = analyze(
      {Document{"bomb.yaml", DocumentKind::kubernetes, billion}, Document{"deep.yaml", DocumentKind::kubernetes, deep},
       Document{"broken.yaml", DocumentKind::kubernetes, broken}, Document{"huge.yaml", DocumentKind::kubernetes, huge},
       Document{"good.yaml", DocumentKind::kubernetes, good}},
      {}, diags);
  EXPECT_EQ(diags.error_count(), 4U);
  std::set<std::string> files;
  for (const auto& d : diags.items()) {
    files.insert(d.file);
    if (d.file == "broken.yaml") {
      EXPECT_GT(d.line, 0) << d.describe();
    }
  }
  EXPECT_EQ(files, (std::set<std::string>{"bomb.yaml", "deep.yaml", "broken.yaml", "huge.yaml"}));
  bool good_checked = false;
  for (const auto& f : findings)
    good_checked = good_checked || (f.id == "BW-PSS-001" && f.location.path == "good.yaml");
  EXPECT_TRUE(good_checked);
}

// ---- agreement with the peers' own cases -------------------------------------------

TEST(PeerAgreement, TrivyKsvExamplesAndRegoInputs) {
  const json checks = json::parse(read_file(kShared / "trivy-checks" / "trivy-checks-kubernetes-KSV.json"));
  Tally examples{"trivy KSV examples"};
  Tally inputs{"trivy KSV rego test inputs"};
  std::set<std::string> covered;
  for (const auto& [key, check] : checks.items()) {
    std::string id = "AVD-" + key;
    auto ids = mapped("trivy", id);
    if (ids.empty()) continue;
    covered.insert(key);
    const std::string label = key + " (" + join(ids) + ")";
    for (const auto& e : check.value("examples_bad", json::array()))
      examples.add(true, fired(run(e.get<std::string>()), ids), label + " bad example", "trivy:" + key);
    for (const auto& e : check.value("examples_good", json::array()))
      examples.add(false, fired(run(e.get<std::string>()), ids), label + " good example", "trivy:" + key);
    for (const auto& t : check.value("rego_tests", json::array())) {
      const std::string expect = t.value("expect_count", "");
      inputs.add(expect != "==0", fired(run(t["input"].dump()), ids), label + " " + t.value("name", ""),
                 "trivy:" + key);
    }
  }
  std::cout << "trivy KSV checks with a bulwark counterpart: " << covered.size() << "\n";
  examples.print();
  inputs.print();
  EXPECT_GE(covered.size(), 40U);
  EXPECT_GE(examples.agree, 41U);  // measured: 41/43
  EXPECT_GE(inputs.agree, 95U);    // measured: 95/102
}

TEST(PeerAgreement, PolarisCheckCases) {
  fs::path root = unpack("polaris.tar.zst");
  ASSERT_FALSE(root.empty());
  std::ifstream tsv(root / "polaris" / "cases.tsv");
  Tally tally{"polaris check cases"};
  std::set<std::string> covered;
  std::string line;
  while (std::getline(tsv, line)) {
    if (line.empty() || line.starts_with('#')) continue;
    std::stringstream ss(line);
    std::string check, file, expected;
    std::getline(ss, check, '\t');
    std::getline(ss, file, '\t');
    std::getline(ss, expected, '\t');
    auto ids = mapped("polaris", check);
    if (ids.empty()) continue;
    covered.insert(check);
    const std::string text = read_file(root / "polaris" / "checks" / check / file);
    tally.add(expected == "failure", fired(run(text, {}, file), ids), check + "/" + file + " (" + join(ids) + ")",
              "polaris:" + check);
  }
  std::cout << "polaris checks with a bulwark counterpart: " << covered.size() << "\n";
  tally.print();
  EXPECT_GE(covered.size(), 22U);
  EXPECT_GE(tally.agree, 64U);  // measured: 64/68
}

TEST(PeerAgreement, KubeScoreCases) {
  fs::path root = unpack("kube-score.tar.zst");
  ASSERT_FALSE(root.empty());
  const json cases = json::parse(read_file(root / "kube-score" / "cases.json"));
  Tally tally{"kube-score cases"};
  std::set<std::string> covered;
  for (const auto& c : cases) {
    if (!c.contains("expected_grade")) continue;  // skip and summary assertions
    std::string id = c.value("check", "");
    std::transform(id.begin(), id.end(), id.begin(),
                   [](unsigned char ch) { return ch == ' ' ? '-' : std::tolower(ch); });
    auto ids = mapped("kube-score", id);
    if (ids.empty()) continue;
    covered.insert(id);
    std::string text;
    for (const auto& f : c["files"])
      text += read_file(root / "kube-score" / "testdata" / f.get<std::string>()) + "\n---\n";
    const std::string grade = c.value("expected_grade", "");
    const bool expect = grade.starts_with("CRITICAL") || grade.starts_with("WARNING");
    std::string label = id + " #" + std::to_string(c.value("id", 0)) + " " + c["files"][0].get<std::string>();
    if (!c["run_config"].is_null() && c["run_config"].contains("IgnoreContainerCpuLimitRequirement"))
      label += " [run_config " + c["run_config"].dump() + "]";
    tally.add(expect, fired(run(text), ids), label, "kube-score:" + id);
  }
  std::cout << "kube-score checks with a bulwark counterpart: " << covered.size() << "\n";
  tally.print();
  EXPECT_GE(covered.size(), 9U);
  EXPECT_GE(tally.agree, 32U);  // measured: 32/38
}

TEST(PeerAgreement, KubesecRuleCases) {
  const json rules = json::parse(read_file(kShared / "kubesec" / "kubesec-rules.json"));
  std::map<std::string, int> points;
  for (const auto& r : rules) points[r.value("id", "")] = r.value("points", 0);
  const json cases = json::parse(read_file(kShared / "kubesec" / "kubesec-rule-cases.json"));
  Tally tally{"kubesec rule cases"};
  std::set<std::string> covered;
  for (const auto& c : cases) {
    const std::string rule = c.value("rule_function", "");
    auto ids = mapped("kubesec", rule);
    if (ids.empty()) continue;
    covered.insert(rule);
    const int count = c.value("expected_count", 0);
    // A negative rule counts risky things: it fires when it counts any. A positive rule
    // counts good settings: the bulwark control (its absence) fires when it counts none.
    const bool expect = points[rule] < 0 ? count > 0 : count == 0;
    tally.add(expect, fired(run(c.value("manifest", "")), ids),
              rule + " " + c.value("test", "") + " (count " + std::to_string(count) + ", " + join(ids) + ")",
              points[rule] < 0 ? "kubesec:" + rule : "kubesec:positive");
  }
  std::cout << "kubesec rules with a bulwark counterpart: " << covered.size() << "\n";
  tally.print();
  EXPECT_GE(covered.size(), 20U);
  EXPECT_GE(tally.agree, 37U);  // measured: 37/54
}

}  // namespace
}  // namespace bulwark::config::k8s
