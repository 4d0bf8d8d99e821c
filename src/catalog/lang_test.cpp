// Language cataloger parsers on hand-written metadata (values read from the text).
#include <gtest/gtest.h>

#include "catalog/lang.hpp"

namespace bulwark::catalog {
namespace {

TEST(LangPython, MetadataHeadersOnlyAndNormalisedPurl) {
  const auto text =
      "Metadata-Version: 2.1\nName: Foo_Bar.baz\nVersion: 1.2.3\nLicense: MIT\n"
      "Classifier: License :: OSI Approved :: Apache Software License\n\nName: NotThis\nVersion: 9\n";
  auto p = parse_python_metadata(text, "usr/lib/python3/site-packages/Foo_Bar.baz-1.2.3.dist-info/METADATA");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->name, "Foo_Bar.baz");
  EXPECT_EQ(p->version, "1.2.3");
  EXPECT_EQ(p->license, "MIT");
  EXPECT_EQ(p->ecosystem, core::Ecosystem::pypi);
  EXPECT_EQ(p->purl, "pkg:pypi/foo-bar-baz@1.2.3");
  EXPECT_FALSE(parse_python_metadata("Name: x\n", "m"));
  EXPECT_EQ(normalize_python_name("A__b--C..d"), "a-b-c-d");
}

TEST(LangPython, LicenseExpressionWinsAndClassifierIsAFallback) {
  auto a = parse_python_metadata("Name: a\nVersion: 1\nLicense: UNKNOWN\nLicense-Expression: BSD-3-Clause\n", "m");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->license, "BSD-3-Clause");
  auto b = parse_python_metadata("Name: b\nVersion: 1\nClassifier: License :: OSI Approved :: MIT License\n", "m");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->license, "MIT License");
}

TEST(LangNpm, ScopedNamesAndLicenseForms) {
  auto p = parse_npm_package_json(R"({"name":"@types/node","version":"20.1.0","license":{"type":"MIT"}})",
                                  "app/node_modules/@types/node/package.json");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->purl, "pkg:npm/%40types/node@20.1.0");
  EXPECT_EQ(p->license, "MIT");
  EXPECT_FALSE(parse_npm_package_json(R"({"name":"x"})", "p"));
  EXPECT_FALSE(parse_npm_package_json("{not json", "p"));
  EXPECT_FALSE(parse_npm_package_json(R"(["name","x"])", "p"));
}

TEST(LangGem, AssignmentsAreReadNeverEvaluated) {
  const auto text =
      "# -*- encoding: utf-8 -*-\nGem::Specification.new do |s|\n  s.name = \"rake\".freeze\n"
      "  s.version = \"13.0.6\"\n  s.licenses = [\"MIT\".freeze]\n  s.files = `git ls-files`\nend\n";
  auto p = parse_gemspec(text, "usr/lib/ruby/gems/3.1.0/specifications/rake-13.0.6.gemspec");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->name, "rake");
  EXPECT_EQ(p->version, "13.0.6");
  EXPECT_EQ(p->license, "MIT");
  EXPECT_EQ(p->purl, "pkg:gem/rake@13.0.6");
  auto from_name = parse_gemspec("garbage\n", "x/specifications/json-2.6.3.gemspec");
  ASSERT_TRUE(from_name);
  EXPECT_EQ(from_name->name, "json");
  EXPECT_EQ(from_name->version, "2.6.3");
}

TEST(LangJava, NotAZipIsAnErrorNamingTheFile) {
  auto r = parse_java_archive("PK\x03\x04 this is not a zip", "app/lib/broken.jar");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().context, "app/lib/broken.jar");
}

}  // namespace
}  // namespace bulwark::catalog
