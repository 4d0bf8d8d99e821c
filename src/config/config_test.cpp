#include <gtest/gtest.h>

#include <string>

#include "config/analyze.hpp"
#include "config/checks.hpp"
#include "config/document.hpp"
#include "config/k8s/objects.hpp"
#include "config/yaml.hpp"

namespace bulwark::config {
namespace {

TEST(CheckCatalog, ParsesAFullCheck) {
  const auto text = R"(checks:
  - id: BW-T-001
    title: A test check
    severity: high
    practice: limit-privileges
    remediation: Fix it.
    standards:
      - {name: hadolint, id: DL3002}
      - {name: pss, level: restricted, control: Capabilities, version: v1.33}
    references: [https://example.org/x]
    examples:
      - kind: dockerfile
        fires: true
        content: |
          FROM scratch
)";
  auto catalog = CheckCatalog::parse(text, "checks/t.yaml");
  ASSERT_TRUE(catalog) << catalog.error().message;
  ASSERT_EQ(catalog->all().size(), 1u);
  const auto* c = catalog->find("BW-T-001");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->severity, core::Severity::high);
  EXPECT_EQ(c->practice, core::Practice::limit_privileges);
  ASSERT_EQ(c->standards.size(), 2u);
  EXPECT_EQ(c->standards[1].control, "Capabilities");
  ASSERT_EQ(c->examples.size(), 1u);
  EXPECT_TRUE(c->examples[0].fires);
  EXPECT_EQ(c->examples[0].content, "FROM scratch\n");
  EXPECT_EQ(c->line, 2);
  const auto f =
      make_finding(*c, core::Target{core::TargetKind::file, "Dockerfile", {}}, {"Dockerfile", 3, 1, {}}, "USER root");
  EXPECT_EQ(f.id, "BW-T-001");
  EXPECT_EQ(f.standards.size(), 2u);
  EXPECT_EQ(f.location.line, 3);
}

TEST(CheckCatalog, RejectsBadChecksWithFileAndId) {
  auto bad_severity = CheckCatalog::parse(
      "checks:\n  - id: X-1\n    title: t\n    severity: huge\n    practice: isolation\n", "checks/bad.yaml");
  ASSERT_FALSE(bad_severity);
  EXPECT_NE(bad_severity.error().context.find("checks/bad.yaml:2"), std::string::npos);
  EXPECT_NE(bad_severity.error().context.find("X-1"), std::string::npos);
  auto dup = CheckCatalog::parse(
      "checks:\n  - {id: A, title: t, severity: low, practice: isolation}\n  - {id: A, title: u, severity: low, "
      "practice: isolation}\n",
      "d.yaml");
  ASSERT_FALSE(dup);
  EXPECT_NE(dup.error().message.find("duplicate"), std::string::npos);
  auto syntax = CheckCatalog::parse("checks: [\n", "s.yaml");
  ASSERT_FALSE(syntax);
  EXPECT_NE(syntax.error().context.find("s.yaml:"), std::string::npos);
}

TEST(CheckCatalog, BuiltinLoadsAndEveryExampleBehaves) {
  const auto& catalog = CheckCatalog::builtin();
  int examples = 0;
  for (const auto& check : catalog.all()) {
    for (const auto& example : check.examples) {
      ++examples;
      DocumentKind kind = DocumentKind::unknown;
      if (example.kind == "dockerfile") kind = DocumentKind::dockerfile;
      if (example.kind == "compose") kind = DocumentKind::compose;
      if (example.kind == "kubernetes") kind = DocumentKind::kubernetes;
      ASSERT_NE(kind, DocumentKind::unknown) << check.id << ": unknown example kind " << example.kind;
      core::Diagnostics diags;
      const std::string path = "example-" + check.id + "." + example.kind;
      const auto findings = analyze({Document{path, kind, example.content}}, AnalyzeOptions{}, diags);
      bool fired = false;
      for (const auto& f : findings) {
        if (f.id == check.id && f.status == core::FindingStatus::fail) fired = true;
      }
      EXPECT_EQ(fired, example.fires) << check.id << " (" << check.file << ":" << check.line << ") example "
                                      << (example.fires ? "should fire" : "should not fire") << ":\n"
                                      << example.content;
    }
  }
  RecordProperty("examples", examples);
}

TEST(Yaml, LoadsStreamsWithPositions) {
  auto docs = load_yaml_stream("a: 1\n---\nkind: Pod\nmetadata:\n  name: x\n", "m.yaml");
  ASSERT_TRUE(docs) << docs.error().message;
  ASSERT_EQ(docs->size(), 2u);
  EXPECT_EQ((*docs)[1].line, 3);
  const auto loc = location_of((*docs)[1].root["metadata"]["name"], "m.yaml");
  EXPECT_EQ(loc.line, 5);
  EXPECT_EQ(loc.column, 9);
}

TEST(Yaml, ErrorsNameFileLineAndColumn) {
  auto docs = load_yaml_stream("a: 1\nb: [1, 2\n", "broken.yaml");
  ASSERT_FALSE(docs);
  EXPECT_EQ(docs.error().code, ErrorCode::parse);
  EXPECT_TRUE(docs.error().context.starts_with("broken.yaml:")) << docs.error().context;
}

// Found by fuzz_compose: yaml-cpp 0.7's LoadAll loops for ever (allocating) on a stray comma.
TEST(Yaml, StrayCommaIsAParseErrorNotAHang) {
  for (std::string_view text : {", 3e", ",", "a: 1\n---\n,\n"}) {
    auto docs = load_yaml_stream(text, "compose.yaml");
    ASSERT_FALSE(docs) << text;
    EXPECT_EQ(docs.error().code, ErrorCode::parse) << docs.error().describe();
  }
}

// The document limit fires before any node is built (200,000 tiny documents once took 932 MB).
TEST(Yaml, DocumentLimitFiresWhileReading) {
  std::string text;
  for (int i = 0; i < 50; ++i) text += "a: 1\n---\n";
  YamlLimits limits;
  limits.max_documents = 10;
  auto docs = load_yaml_stream(text, "many.yaml", limits);
  ASSERT_FALSE(docs);
  EXPECT_EQ(docs.error().code, ErrorCode::limit);
  EXPECT_NE(docs.error().describe().find("documents"), std::string::npos) << docs.error().describe();
}

TEST(Yaml, AliasBombIsBounded) {
  // Nine levels of ten-fold aliases: 10^9 nodes once expanded.
  std::string text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i <= 9; ++i) {
    text += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int j = 0; j < 10; ++j) text += (j ? ", *a" : "*a") + std::to_string(i - 1);
    text += "]\n";
  }
  auto docs = load_yaml_stream(text, "bomb.yaml");
  ASSERT_FALSE(docs);
  EXPECT_EQ(docs.error().code, ErrorCode::limit);
  EXPECT_NE(docs.error().message.find("alias"), std::string::npos);
}

TEST(Yaml, DeepNestingIsRefused) {
  std::string deep(5000, '[');
  deep += std::string(5000, ']');
  auto parsed = load_yaml_stream(deep, "deep.yaml");
  ASSERT_FALSE(parsed);
  std::string medium(300, '[');
  medium += std::string(300, ']');
  auto walked = load_yaml_stream(medium, "medium.yaml");
  ASSERT_FALSE(walked);
  EXPECT_EQ(walked.error().code, ErrorCode::limit);
}

TEST(Yaml, SizeLimit) {
  YamlLimits limits;
  limits.max_bytes = 10;
  auto docs = load_yaml_stream("a: 123456789012\n", "big.yaml", limits);
  ASSERT_FALSE(docs);
  EXPECT_EQ(docs.error().code, ErrorCode::limit);
}

TEST(DetectKind, ByContentThenName) {
  EXPECT_EQ(detect_kind("x.txt", "# syntax=docker/dockerfile:1\nARG V=1\nFROM debian:${V}\n"),
            DocumentKind::dockerfile);
  EXPECT_EQ(detect_kind("Dockerfile", "FROM x\nRUN echo apiVersion kind\n"), DocumentKind::dockerfile);
  EXPECT_EQ(detect_kind("a.yaml", "apiVersion: v1\nkind: Pod\n"), DocumentKind::kubernetes);
  EXPECT_EQ(detect_kind("a.json", "{\"apiVersion\": \"v1\", \"kind\": \"Pod\"}"), DocumentKind::kubernetes);
  EXPECT_EQ(detect_kind("whatever.yml", "services:\n  web:\n    image: nginx\n"), DocumentKind::compose);
  EXPECT_EQ(detect_kind("Dockerfile.prod", ""), DocumentKind::dockerfile);
  EXPECT_EQ(detect_kind("notes.md", "hello\n"), DocumentKind::unknown);
  EXPECT_EQ(detect_kind("values.yaml", "replicas: 2\n"), DocumentKind::unknown);
}

TEST(Objects, ListsExpandAndPodTemplatesResolve) {
  const auto text = R"(apiVersion: v1
kind: List
items:
  - apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web, namespace: shop}
    spec:
      template:
        metadata: {labels: {app: web}}
        spec:
          containers: [{name: c, image: nginx}]
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers: [{name: j, image: busybox}]
---
just: data
)";
  auto docs = load_yaml_stream(text, "m.yaml");
  ASSERT_TRUE(docs);
  core::Diagnostics diags;
  const auto objects = k8s::collect_objects(*docs, "m.yaml", diags);
  ASSERT_EQ(objects.size(), 2u);
  EXPECT_EQ(diags.warning_count(), 1u);
  EXPECT_EQ(objects[0].kind, "Deployment");
  EXPECT_EQ(objects[0].namespace_, "shop");
  EXPECT_EQ(objects[0].location.line, 4);
  const auto web = k8s::pod_template(objects[0]);
  ASSERT_TRUE(web);
  EXPECT_EQ(web->spec_path, "spec.template.spec");
  EXPECT_EQ(scalar_or_empty(web->metadata["labels"], "app"), "web");
  const auto nightly = k8s::pod_template(objects[1]);
  ASSERT_TRUE(nightly);
  EXPECT_EQ(nightly->spec_path, "spec.jobTemplate.spec.template.spec");
  EXPECT_EQ(k8s::target_of(objects[0]).name, "m.yaml#Deployment/shop/web");
}

TEST(Analyze, BadFilesBecomeDiagnosticsAndOthersAreStillRead) {
  core::Diagnostics diags;
  std::vector<Document> docs{
      {"bad.yaml", DocumentKind::kubernetes, "apiVersion: v1\nkind: [\n"},
      {"good.yaml", DocumentKind::kubernetes, "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n"}};
  (void)analyze(docs, AnalyzeOptions{}, diags);
  ASSERT_EQ(diags.error_count(), 1u);
  EXPECT_EQ(diags.items()[0].file, "bad.yaml");
  EXPECT_GT(diags.items()[0].line, 0);
}

}  // namespace
}  // namespace bulwark::config
