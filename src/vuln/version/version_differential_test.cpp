// Differential tests: random versions, compared by bulwark and by the ecosystem's real tool on
// this machine (dpkg, python3-packaging, python3-rpm, ruby's Gem::Version, npm's semver, Maven's
// maven-artifact jar), one process call per batch. A test skips, saying why, when its tool is
// missing (scripts/install-deps.sh installs them; npm's semver is fetched into the build folder
// on first use).
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "vuln/version/version.hpp"

namespace bulwark::vuln::version {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "bulwark-verdiff-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) != nullptr) path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path.empty()) fs::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

// Runs `command` with `input` on stdin; returns its stdout lines, or nothing if it failed.
std::optional<std::vector<std::string>> run_batch(const std::string& command, const std::string& input,
                                                  const fs::path& dir) {
  fs::path in = dir / "input.tsv";
  std::ofstream(in, std::ios::binary) << input;
  std::string full = command + " < '" + in.string() + "'";
  FILE* p = ::popen(full.c_str(), "r");
  if (p == nullptr) return std::nullopt;
  std::vector<std::string> lines;
  std::string line;
  std::array<char, 4096> buf{};
  while (std::fgets(buf.data(), buf.size(), p) != nullptr) {
    line += buf.data();
    if (!line.empty() && line.back() == '\n') {
      line.pop_back();
      lines.push_back(line);
      line.clear();
    }
  }
  if (::pclose(p) != 0) return std::nullopt;
  return lines;
}

bool have(const std::string& command) {
  return std::system((command + " >/dev/null 2>&1").c_str()) == 0;
}

class Gen {
 public:
  explicit Gen(unsigned seed) : rng_(seed) {}
  int num(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool chance(int percent) { return num(1, 100) <= percent; }
  template <class T>
  const T& pick(const std::vector<T>& v) {
    return v[static_cast<std::size_t>(num(0, static_cast<int>(v.size()) - 1))];
  }
  std::string digits() {
    // Mostly small, sometimes with leading zeros, sometimes longer than 64 bits.
    if (chance(3)) return "123456789012345678901234" + std::to_string(num(0, 9));
    std::string d = std::to_string(num(0, 12));
    if (chance(10)) d = "0" + d;
    return d;
  }

 private:
  std::mt19937 rng_;
};

struct Tally {
  std::size_t rows = 0;
  std::size_t agreed = 0;
  std::vector<std::string> bad;
  void add(bool ok, const std::string& what) {
    ++rows;
    if (ok) {
      ++agreed;
    } else if (bad.size() < 20) {
      bad.push_back(what);
    }
  }
  std::string report() const {
    std::string out = std::to_string(agreed) + "/" + std::to_string(rows) + " agree\n";
    for (const auto& b : bad) out += "  " + b + "\n";
    return out;
  }
};

std::string dpkg_version(Gen& g) {
  static const std::vector<std::string> bits = {"", "a", "b", "rc", "~", "~rc", "+", "+dfsg", ".", "~~", "+b"};
  std::string v;
  if (g.chance(20)) v += std::to_string(g.num(0, 3)) + ":";
  v += g.digits();
  int parts = g.num(0, 3);
  for (int i = 0; i < parts; ++i) v += g.pick(bits) + (g.chance(70) ? g.digits() : "");
  if (g.chance(60)) {
    v += "-" + g.digits();
    if (g.chance(40)) v += g.pick(bits) + g.digits();
  }
  return v;
}

TEST(VersionDifferential, DpkgCompareVersions) {
  if (!have("dpkg --version")) GTEST_SKIP() << "dpkg is not installed";
  TempDir dir;
  Gen g(1234);
  std::vector<std::pair<std::string, std::string>> pairs;
  std::string input;
  for (int i = 0; i < 1000; ++i) {
    std::string a = dpkg_version(g);
    std::string b = g.chance(15) ? a : dpkg_version(g);
    pairs.emplace_back(a, b);
    input += a + "\t" + b + "\n";
  }
  // One shell for the whole batch: dpkg answers one pair per call, so the loop lives in bash.
  auto out = run_batch(
      "bash -c 'while IFS=$(printf \"\\t\") read -r a b; do if dpkg --compare-versions \"$a\" lt \"$b\"; then echo -1; "
      "elif dpkg --compare-versions \"$a\" eq \"$b\"; then echo 0; else echo 1; fi; done'",
      input, dir.path);
  ASSERT_TRUE(out.has_value());
  ASSERT_EQ(out->size(), pairs.size());
  Tally t;
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    auto r = compare(Scheme::dpkg, pairs[i].first, pairs[i].second);
    t.add(r && std::to_string(*r) == (*out)[i], pairs[i].first + " vs " + pairs[i].second + ": dpkg " + (*out)[i] +
                                                    ", bulwark " + (r ? std::to_string(*r) : r.error().describe()));
  }
  EXPECT_EQ(t.agreed, t.rows) << t.report();
}

std::string pep440_version(Gen& g) {
  static const std::vector<std::string> pre = {"a", "b", "rc", "alpha", "beta", "c", "pre", "preview", "RC", "A"};
  static const std::vector<std::string> seps = {"", ".", "-", "_"};
  std::string v;
  if (g.chance(10)) v += std::to_string(g.num(0, 2)) + "!";
  v += g.digits();
  int parts = g.num(0, 3);
  for (int i = 0; i < parts; ++i) v += "." + g.digits();
  if (g.chance(35)) v += g.pick(seps) + g.pick(pre) + (g.chance(80) ? g.pick(seps) + g.digits() : "");
  if (g.chance(25))
    v += g.chance(30) ? "-" + g.digits() : g.pick(seps) + std::string(g.chance(50) ? "post" : "r") + g.digits();
  if (g.chance(25)) v += g.pick(seps) + "dev" + (g.chance(80) ? g.digits() : "");
  if (g.chance(15)) v += "+" + std::string(g.chance(50) ? "ubuntu" : g.digits()) + (g.chance(50) ? ".1" : "");
  if (g.chance(5)) v = "v" + v;
  return v;
}

TEST(VersionDifferential, PythonPackaging) {
  // Debian's python3-packaging belongs to /usr/bin/python3; a python3 earlier in PATH (pyenv) may lack it.
  std::string python;
  for (std::string candidate : {"python3", "/usr/bin/python3"})
    if (python.empty() && have(candidate + " -c 'import packaging.version'")) python = candidate;
  if (python.empty()) GTEST_SKIP() << "python3-packaging is not installed";
  TempDir dir;
  Gen g(4321);
  std::vector<std::array<std::string, 2>> pairs;
  std::string input;
  for (int i = 0; i < 3000; ++i) {
    std::string a = pep440_version(g);
    std::string b = g.chance(10) ? a : pep440_version(g);
    pairs.push_back({a, b});
    input += a + "\t" + b + "\n";
  }
  // Specifier containment too: "specifier" lines carry a version and a specifier set.
  static const std::vector<std::string> ops = {"==", "!=", "<=", ">=", "<", ">", "~="};
  std::vector<std::array<std::string, 2>> specs;
  for (int i = 0; i < 1500; ++i) {
    std::string v = pep440_version(g);
    std::string op = g.pick(ops);
    std::string target = std::to_string(g.num(0, 3)) + "." + std::to_string(g.num(0, 3));
    if (g.chance(50)) target += "." + std::to_string(g.num(0, 3));
    if (op == "==" || op == "!=") {
      if (g.chance(40)) target += ".*";
    } else if (g.chance(30)) {
      target += g.chance(50) ? "rc1" : ".post1";
    }
    std::string spec = op + target;
    if (g.chance(30)) spec += ",<" + std::to_string(g.num(1, 5));
    specs.push_back({v, spec});
    input += "S\t" + v + "\t" + spec + "\n";
  }
  fs::path script = dir.path / "pep440.py";
  std::ofstream(script) << "import sys\n"
                           "from packaging.version import Version\n"
                           "from packaging.specifiers import SpecifierSet\n"
                           "for line in sys.stdin:\n"
                           "    f = line.rstrip('\\n').split('\\t')\n"
                           "    if f[0] == 'S':\n"
                           "        print('true' if SpecifierSet(f[2], prereleases=True).contains(f[1]) else 'false')\n"
                           "    else:\n"
                           "        a, b = Version(f[0]), Version(f[1])\n"
                           "        print(-1 if a < b else (1 if a > b else 0))\n";
  auto out = run_batch(python + " '" + script.string() + "'", input, dir.path);
  ASSERT_TRUE(out.has_value());
  ASSERT_EQ(out->size(), pairs.size() + specs.size());
  Tally t;
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    auto r = compare(Scheme::pep440, pairs[i][0], pairs[i][1]);
    t.add(r && std::to_string(*r) == (*out)[i], pairs[i][0] + " vs " + pairs[i][1] + ": packaging " + (*out)[i]);
  }
  // packaging 23.0 (Debian 12) drops the epoch in prefix matches: it finds 2!6.1 in "==0.*" and in
  // "~=0.2". PEP 440 compares epochs first, so bulwark says no. Such rows (the version has an epoch, the
  // specifier none, a prefix or compatible match, packaging yes, bulwark no) are counted apart.
  std::size_t epoch_prefix = 0;
  for (std::size_t i = 0; i < specs.size(); ++i) {
    const std::string& v = specs[i][0];
    const std::string& spec = specs[i][1];
    auto r = satisfies(Scheme::pep440, v, spec);
    const std::string& want = (*out)[pairs.size() + i];
    const bool epoch_vs_prefix = v.find('!') != std::string::npos && !v.starts_with("0!") &&
                                 spec.find('!') == std::string::npos &&
                                 (spec.starts_with("~=") || spec.find(".*") != std::string::npos);
    if (r && !*r && want == "true" && epoch_vs_prefix) {
      ++epoch_prefix;
      continue;
    }
    t.add(r && (*r ? "true" : "false") == want, v + " in " + spec + ": packaging " + want);
  }
  std::cout << "pep440 specifiers: " << epoch_prefix
            << " rows where packaging 23.0 ignores the epoch in a prefix match\n";
  EXPECT_EQ(t.agreed, t.rows) << t.report();
}

std::string semver_version(Gen& g) {
  static const std::vector<std::string> pre = {"alpha", "beta", "rc", "0", "1", "alpha.1", "beta.2", "rc.10", "x-y"};
  std::string v = std::to_string(g.num(0, 3)) + "." + std::to_string(g.num(0, 3)) + "." + std::to_string(g.num(0, 3));
  if (g.chance(30)) v += "-" + g.pick(pre);
  if (g.chance(10)) v += "+build." + std::to_string(g.num(1, 9));
  return v;
}

std::string semver_partial(Gen& g) {
  static const std::vector<std::string> x = {"x", "X", "*"};
  std::string v = std::to_string(g.num(0, 3));
  if (g.chance(80)) v += "." + (g.chance(15) ? g.pick(x) : std::to_string(g.num(0, 3)));
  if (g.chance(60)) v += "." + (g.chance(15) ? g.pick(x) : std::to_string(g.num(0, 3)));
  if (g.chance(15) && v.find_first_of("xX*") == std::string::npos && std::count(v.begin(), v.end(), '.') == 2)
    v += "-beta";
  return v;
}

std::string semver_range(Gen& g) {
  static const std::vector<std::string> ops = {"", "^", "~", ">=", "<=", ">", "<", "=", "~>", "^ ", ">= "};
  auto comparator = [&]() { return g.pick(ops) + semver_partial(g); };
  std::string r;
  int alternatives = g.num(1, 2);
  for (int a = 0; a < alternatives; ++a) {
    if (a > 0) r += " || ";
    if (g.chance(15)) {
      r += semver_partial(g) + " - " + semver_partial(g);
    } else {
      r += comparator();
      if (g.chance(40)) r += " " + comparator();
    }
  }
  if (g.chance(3)) r = g.chance(50) ? "*" : "";
  return r;
}

TEST(VersionDifferential, NodeSemver) {
  if (!have("node --version")) GTEST_SKIP() << "node is not installed";
  fs::path prefix = fs::path(BULWARK_BINARY_DIR) / "npm-semver";
  fs::path module = prefix / "node_modules" / "semver";
  if (!fs::exists(module / "package.json")) {
    std::string cmd = "npm install --silent --no-audit --no-fund --prefix '" + prefix.string() + "' semver@7";
    if (!have(cmd)) GTEST_SKIP() << "could not fetch npm's semver package (npm registry unreachable?)";
  }
  TempDir dir;
  Gen g(777);
  struct Case {
    char kind;  // 'c' compare, 's' satisfies, 'p' satisfies with includePrerelease
    std::string a, b;
  };
  std::vector<Case> cases;
  std::string input;
  for (int i = 0; i < 1500; ++i) {
    std::string a = semver_version(g);
    std::string b = g.chance(10) ? a : semver_version(g);
    cases.push_back({'c', a, b});
  }
  for (int i = 0; i < 3000; ++i) cases.push_back({g.chance(30) ? 'p' : 's', semver_version(g), semver_range(g)});
  // Loose mode: prefixes, missing hyphens, leading zeros.
  static const std::vector<std::string> loose_prefix = {"", "v", "=", " v", "= ", "v="};
  auto loose_version = [&]() {
    std::string v = g.pick(loose_prefix) + (g.chance(20) ? "0" : "") + semver_version(g);
    if (g.chance(20)) v += "beta";
    return v;
  };
  for (int i = 0; i < 500; ++i) cases.push_back({'l', loose_version(), loose_version()});
  for (const auto& c : cases) input += std::string(1, c.kind) + "\t" + c.a + "\t" + c.b + "\n";
  fs::path script = dir.path / "semver.js";
  std::ofstream(script) << "const semver = require(" << '"' << module.string() << '"' << ");\n"
                        << "const lines = require('fs').readFileSync(0, 'utf8').split('\\n');\n"
                           "const out = [];\n"
                           "for (const line of lines) {\n"
                           "  if (!line) continue;\n"
                           "  const [k, a, b] = line.split('\\t');\n"
                           "  if (k === 'c') out.push(String(semver.compare(a, b)));\n"
                           "  else if (k === 'l') { try { out.push(String(semver.compare(a, b, true))); }"
                           " catch (e) { out.push('error'); } }\n"
                           "  else out.push(String(semver.satisfies(a, b, { includePrerelease: k === 'p' })));\n"
                           "}\n"
                           "process.stdout.write(out.join('\\n') + '\\n');\n";
  auto out = run_batch("node '" + script.string() + "'", input, dir.path);
  ASSERT_TRUE(out.has_value());
  ASSERT_EQ(out->size(), cases.size());
  Tally t;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const auto& c = cases[i];
    std::string got;
    if (c.kind == 'c' || c.kind == 'l') {
      auto r = compare(Scheme::npm, c.a, c.b, {c.kind == 'l' ? Loose::yes : Loose::no});
      got = r ? std::to_string(*r) : "error";
    } else {
      Options o;
      if (c.kind == 'p') o.include_prerelease = IncludePrerelease::yes;
      auto r = satisfies(Scheme::npm, c.a, c.b, o);
      got = r ? (*r ? "true" : "false") : "error";
    }
    t.add(got == (*out)[i],
          std::string(1, c.kind) + " [" + c.a + "] [" + c.b + "]: node-semver " + (*out)[i] + ", bulwark " + got);
  }
  EXPECT_EQ(t.agreed, t.rows) << t.report();
}

std::string rpm_version(Gen& g) {
  static const std::vector<std::string> bits = {".", ".",  "_",   "+",  "~",  "^", "a",
                                                "b", "rc", "git", "el", "fc", "",  "%"};
  std::string v = g.chance(90) ? g.digits() : "a";
  int parts = g.num(0, 4);
  for (int i = 0; i < parts; ++i) v += g.pick(bits) + (g.chance(70) ? g.digits() : "");
  return v;
}

// rpm's own comparison (python3-rpm: labelCompare over epoch, version, release). Both sides get
// a release here: without one, rpm and OSV's Red Hat ordering differ (see rpm-evr.tsv).
TEST(VersionDifferential, RpmLabelCompare) {
  std::string python;
  for (std::string candidate : {"python3", "/usr/bin/python3"})
    if (python.empty() && have(candidate + " -c 'import rpm'")) python = candidate;
  if (python.empty()) GTEST_SKIP() << "python3-rpm is not installed";
  TempDir dir;
  Gen g(1357);
  std::vector<std::array<std::string, 2>> pairs;
  std::string input;
  for (int i = 0; i < 3000; ++i) {
    std::string a = rpm_version(g);
    std::string b = g.chance(10) ? a : rpm_version(g);
    std::string ea = std::to_string(g.num(0, 1));
    std::string eb = g.chance(80) ? ea : std::to_string(g.num(0, 1));
    std::string ra = rpm_version(g);
    std::string rb = g.chance(50) ? ra : rpm_version(g);
    pairs.push_back({ea + ":" + a + "-" + ra, eb + ":" + b + "-" + rb});
    input += ea + "\t" + a + "\t" + ra + "\t" + eb + "\t" + b + "\t" + rb + "\n";
  }
  fs::path script = dir.path / "rpm_label_compare.py" /* not rpm.py: that would shadow the module */;
  std::ofstream(script) << "import sys, rpm\n"
                           "for line in sys.stdin:\n"
                           "    f = line.rstrip('\\n').split('\\t')\n"
                           "    print(rpm.labelCompare((f[0], f[1], f[2]), (f[3], f[4], f[5])))\n";
  auto out = run_batch(python + " '" + script.string() + "'", input, dir.path);
  ASSERT_TRUE(out.has_value());
  ASSERT_EQ(out->size(), pairs.size());
  Tally t;
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    auto r = compare(Scheme::rpm, pairs[i][0], pairs[i][1]);
    t.add(r && std::to_string(*r) == (*out)[i], pairs[i][0] + " vs " + pairs[i][1] + ": rpm " + (*out)[i]);
  }
  EXPECT_EQ(t.agreed, t.rows) << t.report();
}

std::string gem_version(Gen& g) {
  static const std::vector<std::string> bits = {".", ".", ".", "-", ".pre", ".rc", ".a", ".beta", "a", "b", ".A"};
  std::string v = g.digits();
  int parts = g.num(0, 4);
  for (int i = 0; i < parts; ++i) v += g.pick(bits) + (g.chance(70) ? g.digits() : "");
  return v;
}

// RubyGems' own Gem::Version (ruby).
TEST(VersionDifferential, RubyGemsVersion) {
  if (!have("ruby -e 'Gem::Version'")) GTEST_SKIP() << "ruby is not installed";
  TempDir dir;
  Gen g(9753);
  std::vector<std::array<std::string, 2>> pairs;
  std::string input;
  for (int i = 0; i < 3000; ++i) {
    std::string a = gem_version(g);
    std::string b = g.chance(10) ? a + (g.chance(50) ? ".0" : "") : gem_version(g);
    pairs.push_back({a, b});
    input += a + "\t" + b + "\n";
  }
  fs::path script = dir.path / "gem.rb";
  std::ofstream(script) << "STDIN.each_line do |l|\n"
                           "  a, b = l.chomp.split(\"\\t\")\n"
                           "  begin\n"
                           "    puts(Gem::Version.new(a) <=> Gem::Version.new(b))\n"
                           "  rescue ArgumentError\n"
                           "    puts 'error'\n"
                           "  end\n"
                           "end\n";
  auto out = run_batch("ruby '" + script.string() + "'", input, dir.path);
  ASSERT_TRUE(out.has_value());
  ASSERT_EQ(out->size(), pairs.size());
  Tally t;
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    const std::string& want = (*out)[i];
    if (want == "error") {
      // Gem::Version refuses it; bulwark's validity check must agree (compare stays lenient).
      t.add(!is_valid(Scheme::rubygems, pairs[i][0]) || !is_valid(Scheme::rubygems, pairs[i][1]),
            pairs[i][0] + " vs " + pairs[i][1] + ": ruby refuses, bulwark calls both valid");
      continue;
    }
    auto r = compare(Scheme::rubygems, pairs[i][0], pairs[i][1]);
    t.add(r && std::to_string(*r) == want, pairs[i][0] + " vs " + pairs[i][1] + ": ruby " + want);
  }
  EXPECT_EQ(t.agreed, t.rows) << t.report();
}

std::string maven_version(Gen& g) {
  static const std::vector<std::string> quals = {"alpha",   "beta", "a",        "b",        "m",  "milestone", "rc",
                                                 "cr",      "RC",   "snapshot", "SNAPSHOT", "ga", "final",     "Final",
                                                 "release", "sp",   "foo",      "jre",      ""};
  static const std::vector<std::string> seps = {".", "-", ".", "-", ""};
  std::string v = g.digits();
  int parts = g.num(0, 4);
  for (int i = 0; i < parts; ++i) {
    v += g.pick(seps);
    v += g.chance(55) ? g.digits() : g.pick(quals) + (g.chance(40) ? g.digits() : "");
  }
  return v;
}

// maven-artifact's own ComparableVersion main() compares neighbouring arguments; one JVM per batch.
TEST(VersionDifferential, MavenComparableVersion) {
  const std::string jar = "/usr/share/maven/lib/maven-artifact-3.x.jar";
  if (!fs::exists(jar) || !have("java -version")) GTEST_SKIP() << "Maven's maven-artifact jar or java is not installed";
  TempDir dir;
  Gen g(2468);
  std::vector<std::string> versions;
  for (int i = 0; i < 3000; ++i) versions.push_back(i > 0 && g.chance(10) ? versions.back() + ".0" : maven_version(g));
  // The generated versions contain no quotes or spaces, so single quotes suffice.
  std::string cmd = "java -cp " + jar + " org.apache.maven.artifact.versioning.ComparableVersion";
  for (const auto& v : versions) cmd += " '" + v + "'";
  auto out = run_batch(cmd, "", dir.path);
  ASSERT_TRUE(out.has_value());
  std::vector<std::string> verdicts;
  for (const auto& line : *out)
    if (line.starts_with("   ")) verdicts.push_back(line);
  ASSERT_EQ(verdicts.size(), versions.size() - 1);
  Tally t;
  for (std::size_t i = 0; i + 1 < versions.size(); ++i) {
    const std::string& line = verdicts[i];
    std::string want = line.find(" < ") != std::string::npos ? "-1" : line.find(" > ") != std::string::npos ? "1" : "0";
    auto r = compare(Scheme::maven, versions[i], versions[i + 1]);
    t.add(r && std::to_string(*r) == want, versions[i] + " vs " + versions[i + 1] + ": maven " + want);
  }
  EXPECT_EQ(t.agreed, t.rows) << t.report();
}

}  // namespace
}  // namespace bulwark::vuln::version
