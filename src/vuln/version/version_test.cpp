// Unit tests of the version API beyond the shared vectors: ecosystem names, errors, ranges of
// the schemes without their own vector files, and hostile input (long, deep, huge numbers).
#include "vuln/version/version.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace bulwark::vuln::version {
namespace {

TEST(VersionScheme, EcosystemNamesAndAliases) {
  EXPECT_EQ(parse_scheme("Debian").value(), Scheme::dpkg);
  EXPECT_EQ(parse_scheme("Ubuntu:22.04:LTS").value(), Scheme::dpkg);
  EXPECT_EQ(parse_scheme("Alpine:v3.20").value(), Scheme::apk);
  EXPECT_EQ(parse_scheme("Wolfi").value(), Scheme::apk);
  EXPECT_EQ(parse_scheme("Chainguard").value(), Scheme::apk);
  EXPECT_EQ(parse_scheme("Red Hat").value(), Scheme::rpm);
  EXPECT_EQ(parse_scheme("Rocky Linux").value(), Scheme::rpm);
  EXPECT_EQ(parse_scheme("AlmaLinux:9").value(), Scheme::rpm);
  EXPECT_EQ(parse_scheme("SUSE").value(), Scheme::rpm);
  EXPECT_EQ(parse_scheme("openSUSE").value(), Scheme::rpm);
  EXPECT_EQ(parse_scheme("SUSE Linux Enterprise Server:15").value(), Scheme::rpm);
  EXPECT_EQ(parse_scheme("Amazon Linux").value(), Scheme::rpm);
  EXPECT_EQ(parse_scheme("CBL-Mariner:2").value(), Scheme::rpm);  // the ecosystems the matcher names
  EXPECT_EQ(parse_scheme("Azure Linux:3").value(), Scheme::rpm);
  EXPECT_EQ(parse_scheme("PyPI").value(), Scheme::pep440);
  EXPECT_EQ(parse_scheme("pep440").value(), Scheme::pep440);
  EXPECT_EQ(parse_scheme("npm").value(), Scheme::npm);
  EXPECT_EQ(parse_scheme("semver").value(), Scheme::npm);
  EXPECT_EQ(parse_scheme("Go").value(), Scheme::go);
  EXPECT_EQ(parse_scheme("Maven").value(), Scheme::maven);
  EXPECT_EQ(parse_scheme("RubyGems").value(), Scheme::rubygems);
  EXPECT_EQ(parse_scheme("crates.io").value(), Scheme::cargo);
  EXPECT_EQ(parse_scheme("dpkg").value(), Scheme::dpkg);
  EXPECT_EQ(parse_scheme("apk").value(), Scheme::apk);
  EXPECT_EQ(parse_scheme("rpm").value(), Scheme::rpm);
  auto bad = parse_scheme("Haiku");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, ErrorCode::invalid_argument);
}

TEST(VersionCompare, ErrorsWhereTheToolRefuses) {
  EXPECT_FALSE(compare(Scheme::dpkg, "a:1.0", "1.0").has_value());  // epoch is not a number
  EXPECT_FALSE(compare(Scheme::dpkg, "1.0-", "1.0").has_value());   // empty revision
  EXPECT_FALSE(compare(Scheme::dpkg, "", "1.0").has_value());
  EXPECT_FALSE(compare(Scheme::npm, "1.2", "1.2.0").has_value());
  EXPECT_FALSE(compare(Scheme::npm, "1.2", "1.2.0", {Loose::yes}).has_value());  // loose still needs three parts
  EXPECT_FALSE(compare(Scheme::cargo, "v1.0.0", "1.0.0").has_value());
  EXPECT_FALSE(compare(Scheme::cargo, "01.0.0", "1.0.0").has_value());
  EXPECT_FALSE(compare(Scheme::rubygems, "1.0;rm", "1.0").has_value());
  // Tools that order malformed versions anyway.
  EXPECT_EQ(compare(Scheme::go, "garbage", "v0.0.1").value(), -1);
  EXPECT_EQ(compare(Scheme::apk, "1.0", "1.0bc").value(), -1);
}

TEST(VersionSatisfies, GenericComparatorLists) {
  EXPECT_TRUE(satisfies(Scheme::dpkg, "1:2.3-4", "<< 1:2.3-5").value());
  EXPECT_FALSE(satisfies(Scheme::dpkg, "1:2.3-5", "<< 1:2.3-5").value());
  EXPECT_TRUE(satisfies(Scheme::rpm, "0:1.2-3.el9", ">= 1.2-1, < 1.3").value());
  EXPECT_TRUE(satisfies(Scheme::go, "v1.4.0", "< v1.2.0 || >= v1.4.0").value());
  EXPECT_FALSE(satisfies(Scheme::go, "v1.3.0", "< v1.2.0 || >= v1.4.0").value());
  EXPECT_FALSE(satisfies(Scheme::dpkg, "1.0", ">=").has_value());
}

TEST(VersionSatisfies, MavenRanges) {
  EXPECT_TRUE(satisfies(Scheme::maven, "1.5", "[1.0,2.0)").value());
  EXPECT_FALSE(satisfies(Scheme::maven, "2.0", "[1.0,2.0)").value());
  EXPECT_TRUE(satisfies(Scheme::maven, "2.0", "[1.0,2.0]").value());
  EXPECT_TRUE(satisfies(Scheme::maven, "0.1", "(,1.0]").value());
  EXPECT_TRUE(satisfies(Scheme::maven, "1.2", "[1.2]").value());
  EXPECT_TRUE(satisfies(Scheme::maven, "3.5", "[1,2),[3,4)").value());
  EXPECT_FALSE(satisfies(Scheme::maven, "2.5", "[1,2),[3,4)").value());
  EXPECT_FALSE(satisfies(Scheme::maven, "1.0", "[1.0,2.0").has_value());
}

TEST(VersionSatisfies, RubyGemsRequirements) {
  EXPECT_TRUE(satisfies(Scheme::rubygems, "1.2.9", "~> 1.2.3").value());
  EXPECT_FALSE(satisfies(Scheme::rubygems, "1.3.0", "~> 1.2.3").value());
  EXPECT_TRUE(satisfies(Scheme::rubygems, "1.9", "~> 1.2").value());
  EXPECT_FALSE(satisfies(Scheme::rubygems, "2.0", "~> 1.2").value());
  EXPECT_TRUE(satisfies(Scheme::rubygems, "1.5", ">= 1.0, < 2").value());
  EXPECT_FALSE(satisfies(Scheme::rubygems, "1.0.0.rc1", ">= 1.0").value());
}

// Untrusted versions: long inputs, huge numbers, deep nesting. Every call must answer (value or
// error) quickly; a quadratic algorithm would take minutes on these.
TEST(VersionHostile, LongAndDeepInputsStayFast) {
  const std::string digits(200000, '9');
  std::string dotted;
  for (int i = 0; i < 50000; ++i) dotted += "1.";
  dotted += "1";
  std::string dashes;
  for (int i = 0; i < 50000; ++i) dashes += "a-1-";
  const std::string tildes(100000, '~');
  auto start = std::chrono::steady_clock::now();
  for (Scheme s : {Scheme::dpkg, Scheme::apk, Scheme::rpm, Scheme::pep440, Scheme::npm, Scheme::go, Scheme::maven,
                   Scheme::rubygems, Scheme::cargo}) {
    for (const std::string* v : std::initializer_list<const std::string*>{&digits, &dotted, &dashes, &tildes}) {
      (void)compare(s, *v, *v + "1");
      (void)compare(s, "1" + *v, *v);
      (void)is_valid(s, *v);
      (void)satisfies(s, *v, ">= " + *v);
    }
  }
  auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(seconds, 20.0);
  // Huge numeric components compare by value, not by overflowing.
  EXPECT_EQ(compare(Scheme::dpkg, "1." + digits, "1." + digits + "0").value(), -1);
  EXPECT_EQ(compare(Scheme::rpm, digits + "8", digits + "9").value(), -1);
  EXPECT_EQ(compare(Scheme::pep440, "1." + digits, "1." + digits).value(), 0);
  EXPECT_EQ(compare(Scheme::go, "v" + digits + ".0.0", "v1.0.0").value(), 1);
  EXPECT_FALSE(compare(Scheme::maven, dashes, "1").has_value());  // Maven refuses > 256 characters
}

}  // namespace
}  // namespace bulwark::vuln::version
