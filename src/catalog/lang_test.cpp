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

#include "catalog/gobinary.hpp"

namespace bulwark::catalog {
namespace {

std::string buildinfo_blob(std::string_view version, std::string_view mod) {
  std::string out = "\xff Go buildinf:";
  out += '\x08';  // pointer size
  out += '\x02';  // flags: inline strings
  out.resize(32, '\0');
  auto put = [&](std::string_view s) {
    for (auto n = s.size();; n >>= 7) {  // uvarint length
      if (n < 0x80) {
        out += static_cast<char>(n);
        break;
      }
      out += static_cast<char>((n & 0x7f) | 0x80);
    }
    out += s;
  };
  put(version);
  put(mod);
  return out;
}

TEST(GoBinary, ToolchainVersionsBecomeSemver) {
  EXPECT_EQ(go_toolchain_semver("go1.21.3"), "v1.21.3");
  EXPECT_EQ(go_toolchain_semver("go1.21"), "v1.21.0");
  EXPECT_EQ(go_toolchain_semver("go1.22rc1"), "v1.22.0-rc.1");
  EXPECT_EQ(go_toolchain_semver("go1.20.5 X:boringcrypto"), "v1.20.5");
}

TEST(GoBinary, ParsesInlineBuildInfoWithSentinelsAndReplacements) {
  const std::string sentinel(16, 'S');
  std::string mod =
      "path\texample.com/app\nmod\texample.com/app\t(devel)\t\ndep\texample.com/lib\tv1.2.3\th1:x\n"
      "dep\tgolang.org/x/fake\tv0.3.0\n=>\texample.com/fork\tv0.4.0\t\n";
  auto info = parse_go_buildinfo(buildinfo_blob("go1.19.8", sentinel + mod + "\n" + sentinel.substr(1)));
  ASSERT_TRUE(info);
  EXPECT_EQ(info->go_version, "go1.19.8");
  EXPECT_EQ(info->main_path, "example.com/app");
  const auto pkgs = go_packages(*info, "app/server");
  ASSERT_EQ(pkgs.size(), 3u);
  EXPECT_EQ(pkgs[0].purl, "pkg:golang/stdlib@v1.19.8");
  EXPECT_EQ(pkgs[1].name, "example.com/lib");
  EXPECT_EQ(pkgs[2].name, "example.com/fork");
  EXPECT_EQ(pkgs[2].version, "v0.4.0");
}

TEST(GoBinary, RejectsOldFormatAndTruncatedData) {
  std::string old = buildinfo_blob("go1.17", "x");
  old[15] = '\0';  // pointer format
  EXPECT_FALSE(parse_go_buildinfo(old));
  auto blob = buildinfo_blob("go1.19.8", "path\tx\n");
  EXPECT_FALSE(parse_go_buildinfo(blob.substr(0, 36)));
  EXPECT_FALSE(parse_go_buildinfo("short"));
}

TEST(GoBinary, ProbeFindsTheMagicAcrossChunksOnlyInElf) {
  const auto& probe = go_binary_probe();
  auto blob = buildinfo_blob("go1.21.0", "path\tx\n");
  std::string file = std::string(
                         "\x7f"
                         "ELF") +
                     std::string(10000, 'a') + blob + std::string(100, 'z');
  auto scan = probe.start();
  for (std::size_t i = 0; i < file.size(); i += 7) scan->feed(std::string_view(file).substr(i, 7));
  auto got = scan->finish();
  ASSERT_TRUE(got);
  auto info = parse_go_buildinfo(*got);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->go_version, "go1.21.0");
  auto script = probe.start();
  script->feed("#!/bin/sh\n" + blob);
  EXPECT_TRUE(script->done());
  EXPECT_FALSE(script->finish());
}

}  // namespace
}  // namespace bulwark::catalog

#include <random>

namespace bulwark::catalog {
namespace {

// Regression: some corrupt zips leave libarchive without an error message (a null
// pointer), which once reached fmt::format and aborted the scan. Random bodies after a
// zip signature must give an error or packages, never a crash.
TEST(LangJava, RandomCorruptArchivesNeverCrash) {
  std::mt19937 rng(20261127);
  int errors = 0;
  for (int i = 0; i < 300; ++i) {
    std::string bytes = "PK\x03\x04";
    const auto n = 64 + rng() % 4096;
    for (std::size_t j = 0; j < n; ++j) bytes += static_cast<char>(rng() & 0xff);
    auto r = parse_java_archive(bytes, "random.jar");
    if (!r) {
      ++errors;
      EXPECT_FALSE(r.error().message.empty());
    }
  }
  EXPECT_GT(errors, 0);
}

}  // namespace
}  // namespace bulwark::catalog
