#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "secret/probe.hpp"
#include "secret/rules.hpp"
#include "secret/scanner.hpp"
#include "secret/walk.hpp"

namespace bulwark::secret {
namespace {

const Engine& engine() {
  static const std::unique_ptr<Engine> e = [] {
    core::Diagnostics diags;
    auto cat = builtin_catalogue(diags);
    auto built = Engine::build(std::move(cat), Options{}, diags);
    if (!built) throw std::runtime_error(built.error().message);
    return std::move(*built);
  }();
  return *e;
}

std::set<std::string> rule_ids(const std::vector<Match>& ms) {
  std::set<std::string> out;
  for (const auto& m : ms) out.insert(m.rule->id);
  return out;
}

TEST(SecretCatalogue, LoadsWithoutDiagnosticsAndEveryRuleCompiles) {
  core::Diagnostics diags;
  auto cat = builtin_catalogue(diags);
  for (const auto& d : diags.items()) ADD_FAILURE() << d.describe();
  EXPECT_GE(cat.rules.size(), 60U);
  const auto count = cat.rules.size();
  core::Diagnostics build_diags;
  auto built = Engine::build(std::move(cat), Options{}, build_diags);
  ASSERT_TRUE(built) << built.error().message;
  for (const auto& d : build_diags.items()) ADD_FAILURE() << d.describe();
  EXPECT_EQ((*built)->catalogue().rules.size(), count);
  // The built-in rules compile lazily in a scan: all of them compile here.
  for (const auto& problem : (*built)->check_patterns()) ADD_FAILURE() << problem;
  for (const auto& r : (*built)->catalogue().rules) {
    EXPECT_FALSE(r.examples.empty()) << r.id << " has no examples";
    EXPECT_FALSE(r.negative_examples.empty()) << r.id << " has no negative examples";
    EXPECT_FALSE(r.category.empty()) << r.id;
  }
}

// The built-in catalogue is cached as JSON: the copy read back is the catalogue, field for
// field; a damaged copy is ignored (the YAML is parsed again and the copy rewritten).
TEST(SecretCatalogue, CachedCopyIsTheSameCatalogue) {
  core::Diagnostics diags;
  const auto want = catalogue_json(builtin_catalogue(diags));
  auto back = catalogue_from_json(want);
  ASSERT_TRUE(back);
  EXPECT_EQ(catalogue_json(*back), want);
  EXPECT_EQ(markdown(*back), markdown(builtin_catalogue(diags)));
  EXPECT_FALSE(catalogue_from_json("{\"rules\": [{\"id\": 1}]}"));

  const auto dir = std::filesystem::temp_directory_path() / ("bulwark-secret-cat-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  EXPECT_EQ(catalogue_json(builtin_catalogue(diags, dir.string())), want);
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir / "secret")) files.push_back(e.path());
  ASSERT_EQ(files.size(), 1U);
  EXPECT_EQ(catalogue_json(builtin_catalogue(diags, dir.string())), want);
  std::ofstream(files[0], std::ios::trunc) << "{ damaged";
  EXPECT_EQ(catalogue_json(builtin_catalogue(diags, dir.string())), want);
  std::ifstream in(files[0]);
  std::stringstream rewritten;
  rewritten << in.rdbuf();
  EXPECT_EQ(rewritten.str(), want);
  EXPECT_TRUE(diags.items().empty());
  std::filesystem::remove_all(dir);
}

TEST(SecretCatalogue, BadRulesAreDiagnosedAndTheRestLoad) {
  Catalogue cat;
  core::Diagnostics diags;
  load_rules(
      "rules:\n  - id: a\n    pattern: 'abc[0-9]{4}'\n  - id: b\n    severity: bogus\n    pattern: x\n"
      "  - id: c\n    pattern: '(unclosed'\n  - id: d\n    pattern: x\n    colour: red\n",
      "user.yaml", cat, diags);
  EXPECT_EQ(cat.rules.size(), 3U);  // a, c, d (b has a bad severity)
  auto built = Engine::build(std::move(cat), Options{}, diags);
  ASSERT_TRUE(built);
  EXPECT_EQ((*built)->catalogue().rules.size(), 3U);
  std::set<std::string> codes;
  for (const auto& d : diags.items()) codes.insert(d.code + ":" + d.item);
  EXPECT_TRUE(codes.contains("bad-value:b"));
  EXPECT_TRUE(codes.contains("bad-pattern:c"));
  EXPECT_TRUE(codes.contains("unknown-field:"));
  auto ms = (*built)->scan("x = abc1234\n", "f");
  EXPECT_TRUE(rule_ids(ms).contains("a"));
}

// Every example in the catalogue is a test: examples must be found by their rule,
// whole and fed one byte at a time; negative examples must not be.
struct Example {
  std::string rule;
  std::string text;
  bool positive;
  int index;
};

std::vector<Example> all_examples() {
  core::Diagnostics diags;
  auto cat = builtin_catalogue(diags);
  std::vector<Example> out;
  for (const auto& r : cat.rules) {
    for (std::size_t i = 0; i < r.examples.size(); ++i) out.push_back({r.id, r.examples[i], true, static_cast<int>(i)});
    for (std::size_t i = 0; i < r.negative_examples.size(); ++i) {
      out.push_back({r.id, r.negative_examples[i], false, static_cast<int>(i)});
    }
  }
  return out;
}

void PrintTo(const Example& e, std::ostream* os) {
  *os << e.rule << (e.positive ? " example: " : " negative: ") << e.text;
}

class CatalogueExample : public ::testing::TestWithParam<Example> {};

TEST_P(CatalogueExample, MatchesAsDeclared) {
  const auto& ex = GetParam();
  auto whole = rule_ids(engine().scan(ex.text, "example.txt"));
  auto scan = engine().open("example.txt");
  for (char c : ex.text) scan->feed(std::string_view(&c, 1));
  auto bytewise = rule_ids(scan->finish());
  if (ex.positive) {
    EXPECT_TRUE(whole.contains(ex.rule)) << ex.text;
    EXPECT_TRUE(bytewise.contains(ex.rule)) << "one byte at a time: " << ex.text;
  } else {
    EXPECT_FALSE(whole.contains(ex.rule)) << ex.text;
    EXPECT_FALSE(bytewise.contains(ex.rule)) << ex.text;
  }
}

INSTANTIATE_TEST_SUITE_P(Builtin, CatalogueExample, ::testing::ValuesIn(all_examples()),
                         [](const ::testing::TestParamInfo<Example>& param_info) {
                           std::string name = param_info.param.rule + (param_info.param.positive ? "_tp" : "_fp") +
                                              std::to_string(param_info.param.index);
                           for (auto& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

TEST(SecretScan, LineColumnMaskAndFingerprint) {
  const std::string token = "ghp_" + std::string("aB3dE5fG7hJ9kL1mN2pQ4rS6tU8vW0xY2zA4");
  const std::string text = "line one\nline two\n  export GITHUB_TOKEN=" + token + " # ci\n";
  auto ms = engine().scan(text, "etc/profile");
  ASSERT_EQ(ms.size(), 1U);
  EXPECT_EQ(ms[0].rule->id, "github-pat");
  EXPECT_EQ(ms[0].line, 3);
  EXPECT_EQ(ms[0].column, 23);
  EXPECT_EQ(ms[0].secret, token);
  EXPECT_EQ(ms[0].snippet.find(token), std::string::npos);
  EXPECT_NE(ms[0].snippet.find("ghp_****"), std::string::npos) << ms[0].snippet;
  EXPECT_EQ(ms[0].fingerprint, engine().scan(text, "etc/profile")[0].fingerprint);
  EXPECT_NE(ms[0].fingerprint, engine().scan(text, "etc/other")[0].fingerprint);
  auto f = to_finding(ms[0], "/etc/profile", core::Target{});
  EXPECT_EQ(f.location.line, 3);
  EXPECT_EQ(f.evidence.find(token), std::string::npos);
}

// A file of known size fed whole is scanned without a copy; fed in pieces of any size, or
// with no size given, it gives the same matches. Streams are reused between files: a secret
// split across two files is not one.
TEST(SecretScan, SizeHintPiecesAndStreamReuseAgree) {
  std::string text(70'000, 'a');
  for (std::size_t i = 80; i < text.size(); i += 81) text[i] = '\n';
  const std::string key = "AKIAZ7VRSQ5TQNGYYKWA";
  text += "\naws_access_key_id = " + key + "\nend\n";
  auto ids_of = [&](std::uint64_t hint, std::size_t piece) {
    auto scan = engine().open("f.txt", hint);
    for (std::size_t i = 0; i < text.size(); i += piece) scan->feed(std::string_view(text).substr(i, piece));
    auto ms = scan->finish();
    std::vector<std::pair<int, int>> at;
    for (const auto& m : ms) at.emplace_back(m.line, m.column);
    return std::make_pair(rule_ids(ms), at);
  };
  const auto whole = ids_of(text.size(), text.size());
  ASSERT_TRUE(whole.first.contains("aws-access-key-id"));
  ASSERT_EQ(whole.second.size(), 1U);
  EXPECT_EQ(whole.second[0].first, 866);
  EXPECT_EQ(whole.second[0].second, 21);
  for (std::size_t piece : {1U, 7U, 4095U, 4096U, 4097U, 65536U}) {
    EXPECT_EQ(ids_of(text.size(), piece), whole) << "pieces of " << piece;
    EXPECT_EQ(ids_of(0, piece), whole) << "no size, pieces of " << piece;
  }
  for (int round = 0; round < 3; ++round) {
    auto a = engine().open("a.txt");
    a->feed("aws_access_key_id = " + key.substr(0, 10));
    EXPECT_TRUE(a->finish().empty());
    auto b = engine().open("b.txt");
    b->feed(key.substr(10) + "\n");
    EXPECT_TRUE(b->finish().empty());
  }
}

TEST(SecretScan, ShowSecretsKeepsTheValue) {
  core::Diagnostics diags;
  Options o;
  o.show_secrets = true;
  auto e = Engine::build(builtin_catalogue(diags), o, diags);
  ASSERT_TRUE(e);
  const std::string token = "glpat-Zx9Qw8Er7Ty6Ui5Op4As";
  auto ms = (*e)->scan("GITLAB=" + token + "\n", "x");
  ASSERT_FALSE(ms.empty());
  EXPECT_NE(ms[0].snippet.find(token), std::string::npos);
}

TEST(SecretScan, FindsSecretsFarIntoALargeStreamWithBoundedMemory) {
  // 40 MiB of text in 64 KiB chunks, secrets near the start, the middle and the end;
  // the per-file limit is raised so that all of it is scanned.
  core::Diagnostics diags;
  Options o;
  o.max_file_bytes = 64ULL << 20;
  auto e = Engine::build(builtin_catalogue(diags), o, diags);
  ASSERT_TRUE(e);
  auto scan = (*e)->open("big.log");
  std::string filler;
  while (filler.size() < (64U << 10)) filler += "INFO request served in 12ms path=/api/v1/items status=200\n";
  filler.resize(64U << 10);
  filler.back() = '\n';
  const std::string secret = "token=npm_Q1w2E3r4T5y6U7i8O9p0A1s2D3f4G5h6J7k8\n";
  int lines = 0;
  int expected_lines[3] = {0, 0, 0};
  const int chunks = 640;
  for (int i = 0; i < chunks; ++i) {
    if (i == 1 || i == chunks / 2 || i == chunks - 1) {
      expected_lines[i == 1 ? 0 : (i == chunks / 2 ? 1 : 2)] = lines + 1;
      scan->feed(secret);
      ++lines;
    }
    scan->feed(filler);
    lines += static_cast<int>(std::count(filler.begin(), filler.end(), '\n'));
  }
  auto ms = scan->finish();
  std::vector<int> got;
  for (const auto& m : ms) {
    if (m.rule->id == "npm-access-token") got.push_back(m.line);
  }
  EXPECT_EQ(got, (std::vector<int>{expected_lines[0], expected_lines[1], expected_lines[2]}));
}

TEST(SecretScan, AWholeLargeBufferIsScannedInSlices) {
  core::Diagnostics diags;
  Options o;
  o.max_file_bytes = 64ULL << 20;
  auto e = Engine::build(builtin_catalogue(diags), o, diags);
  ASSERT_TRUE(e);
  std::string text;
  while (text.size() < (5U << 20)) text += "plain text line without anything in it at all, just words\n";
  const auto lines = std::count(text.begin(), text.end(), '\n');
  text += "key=AKIAZ7VRSQ5TQNGYYKWA\n";
  auto ms = (*e)->scan(text, "big");
  ASSERT_EQ(ms.size(), 1U);
  EXPECT_EQ(ms[0].line, lines + 1);
}

TEST(SecretScan, BinaryFilesAreSkippedAndTheFileLimitHolds) {
  std::string binary(
      "\x7f"
      "ELF\0\0\0",
      7);
  binary += "AKIAZ7VRSQ5TQNGYYKWA\n";
  EXPECT_TRUE(engine().scan(binary, "bin/x").empty());
  core::Diagnostics diags;
  Options o;
  o.max_file_bytes = 1024;
  auto e = Engine::build(builtin_catalogue(diags), o, diags);
  ASSERT_TRUE(e);
  std::string text(4096, 'a');
  text += "\nAKIAZ7VRSQ5TQNGYYKWA\n";
  EXPECT_TRUE((*e)->scan(text, "x").empty());
  EXPECT_EQ((*e)->bytes_scanned(), 1024U);
}

TEST(SecretScan, PathAndValueAllowlists) {
  Catalogue cat;
  core::Diagnostics diags;
  load_rules(
      "allowlist:\n  paths: ['^vendor/']\nrules:\n  - id: t\n    pattern: 'tok_([a-z0-9]{8})'\n"
      "    secret_group: 1\n    allowlist:\n      values: ['^0+$']\n      paths: ['_test\\.go$']\n",
      "u.yaml", cat, diags);
  auto e = Engine::build(std::move(cat), Options{}, diags);
  ASSERT_TRUE(e);
  EXPECT_EQ((*e)->scan("tok_ab12cd34", "src/a.go").size(), 1U);
  EXPECT_TRUE((*e)->scan("tok_00000000", "src/a.go").empty());
  EXPECT_TRUE((*e)->scan("tok_ab12cd34", "src/a_test.go").empty());
  EXPECT_TRUE((*e)->scan("tok_ab12cd34", "vendor/a.go").empty());
}

TEST(SecretProbe, ImageConfigEnvLabelsAndHistory) {
  const std::string cfg = R"({"config":{"Env":["PATH=/usr/bin","GITHUB_TOKEN=ghp_aB3dE5fG7hJ9kL1mN2pQ4rS6tU8vW0xY2zA4"],
    "Labels":{"k":"sk_live_4eC39HqLyjWDarjtT1zdp7dcAbCdEfGh"}},
    "history":[{"created_by":"/bin/sh -c #(nop) ARG NPM_TOKEN=npm_Q1w2E3r4T5y6U7i8O9p0A1s2D3f4G5h6J7k8"},
               {"created_by":"/bin/sh -c apt-get update"}]})";
  auto fs = scan_image_config(engine(), cfg, core::Target{});
  std::set<std::string> got;
  for (const auto& f : fs) got.insert(f.id + "@" + f.location.path);
  EXPECT_TRUE(got.contains("github-pat@image config: Env[1]"));
  EXPECT_TRUE(got.contains("stripe-secret-key@image config: Labels[k]"));
  EXPECT_TRUE(got.contains("npm-access-token@image config: history[0].created_by"));
  EXPECT_EQ(fs.size(), 3U);
}

TEST(SecretProbe, ZipMembersAreScanned) {
  // A zip built by hand: one stored member.
  const std::string content = "db.password=x\naws_access_key_id=AKIAZ7VRSQ5TQNGYYKWA\n";
  auto le16 = [](std::string& s, unsigned v) {
    s += static_cast<char>(v & 0xff);
    s += static_cast<char>((v >> 8) & 0xff);
  };
  auto le32 = [&](std::string& s, unsigned v) {
    le16(s, v & 0xffff);
    le16(s, v >> 16);
  };
  // CRC-32 of content.
  unsigned crc = 0xffffffffU;
  for (unsigned char c : content) {
    crc ^= c;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xedb88320U & (0U - (crc & 1U)));
  }
  crc ^= 0xffffffffU;
  const std::string name = "app.properties";
  std::string z = "PK\x03\x04";
  le16(z, 10), le16(z, 0), le16(z, 0), le16(z, 0), le16(z, 0), le32(z, crc);
  le32(z, static_cast<unsigned>(content.size())), le32(z, static_cast<unsigned>(content.size()));
  le16(z, static_cast<unsigned>(name.size())), le16(z, 0);
  z += name + content;
  const auto cd = static_cast<unsigned>(z.size());
  z += "PK\x01\x02";
  le16(z, 20), le16(z, 10), le16(z, 0), le16(z, 0), le16(z, 0), le16(z, 0), le32(z, crc);
  le32(z, static_cast<unsigned>(content.size())), le32(z, static_cast<unsigned>(content.size()));
  le16(z, static_cast<unsigned>(name.size())), le16(z, 0), le16(z, 0), le16(z, 0), le16(z, 0), le32(z, 0), le32(z, 0);
  z += name;
  const auto cd_size = static_cast<unsigned>(z.size()) - cd;
  z += "PK\x05\x06";
  le16(z, 0), le16(z, 0), le16(z, 1), le16(z, 1), le32(z, cd_size), le32(z, cd), le16(z, 0);
  auto scan = engine().open("opt/app/lib/app.jar");
  scan->feed(z);
  auto ms = scan->finish();
  ASSERT_EQ(ms.size(), 1U);
  EXPECT_EQ(ms[0].rule->id, "aws-access-key-id");
  EXPECT_EQ(ms[0].member, "app.properties");
  EXPECT_EQ(ms[0].line, 2);
}

TEST(SecretScan, CompiledDatabaseIsCachedAndReused) {
  const auto dir = std::filesystem::temp_directory_path() / ("bulwark-secret-cache-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  Options o;
  o.cache_dir = dir.string();
  core::Diagnostics diags;
  auto first = Engine::build(builtin_catalogue(diags), o, diags);
  ASSERT_TRUE(first);
  std::size_t files = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) files += e.is_regular_file() ? 1 : 0;
  EXPECT_EQ(files, 1U);
  auto second = Engine::build(builtin_catalogue(diags), o, diags);
  ASSERT_TRUE(second);
  const std::string text = "k=AKIAZ7VRSQ5TQNGYYKWA\nGITHUB=ghp_aB3dE5fG7hJ9kL1mN2pQ4rS6tU8vW0xY2zA4\n";
  EXPECT_EQ(rule_ids((*first)->scan(text, "x")), rule_ids((*second)->scan(text, "x")));
  EXPECT_EQ(rule_ids((*second)->scan(text, "x")).size(), 2U);
  // A damaged cache file is ignored (compiled again), not trusted.
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) std::ofstream(e.path(), std::ios::trunc) << "garbage";
  }
  auto third = Engine::build(builtin_catalogue(diags), o, diags);
  ASSERT_TRUE(third);
  EXPECT_EQ(rule_ids((*third)->scan(text, "x")).size(), 2U);
  std::filesystem::remove_all(dir);
}

TEST(SecretWalk, GitignoreStyleSkips) {
  auto skip = SkipList::compile({"*.log", "/build", "node_modules/", "docs/**/*.md", "!docs/keep/x.md"});
  ASSERT_TRUE(skip);
  EXPECT_TRUE(skip->skipped("a.log", false));
  EXPECT_TRUE(skip->skipped("src/deep/a.log", false));
  EXPECT_TRUE(skip->skipped("build", true));
  EXPECT_FALSE(skip->skipped("src/build", true));
  EXPECT_TRUE(skip->skipped("web/node_modules", true));
  EXPECT_FALSE(skip->skipped("node_modules", false));  // a file of that name: folders only
  EXPECT_TRUE(skip->skipped("docs/a/b/c.md", false));
  EXPECT_TRUE(skip->skipped("docs/c.md", false));
  EXPECT_FALSE(skip->skipped("docs/keep/x.md", false));
  EXPECT_FALSE(skip->skipped("src/main.cpp", false));
}

TEST(SecretWalk, KubernetesSecretDataIsDecoded) {
  const std::string doc =
      "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ndata:\n  aws: QUtJQVo3VlJTUTVUUU5HWVlLV0E=\n";
  auto fs = scan_document(engine(), "k8s/secret.yaml", doc, core::Target{});
  ASSERT_EQ(fs.size(), 1U);
  EXPECT_EQ(fs[0].id, "aws-access-key-id");
  EXPECT_EQ(fs[0].location.line, 6);
}

TEST(SecretDocs, DocsAreCurrent) {
  const std::string path = std::string(BULWARK_SOURCE_DIR) + "/docs/secrets.md";
  const auto want = markdown(engine().catalogue());
  if (std::getenv("BULWARK_UPDATE_DOCS") != nullptr) {
    std::ofstream(path) << want;
  }
  std::ifstream in(path);
  std::stringstream got;
  got << in.rdbuf();
  EXPECT_EQ(got.str(), want) << "docs/secrets.md is stale: run BULWARK_UPDATE_DOCS=1 build/secret_test "
                                "--gtest_filter='*DocsAreCurrent*'";
}

}  // namespace
}  // namespace bulwark::secret
