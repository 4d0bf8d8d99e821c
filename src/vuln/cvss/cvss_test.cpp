// CVSS base scores. Expected scores are the ones FIRST's specification documents and
// calculators give for these vectors (v3.1 spec section 7 formulas, the v3.1 and v2
// examples NVD publishes for well-known CVEs, and GHSA/NVD pages for v4.0 vectors).
#include "vuln/cvss/cvss.hpp"

#include <gtest/gtest.h>

namespace bulwark::vuln::cvss {
namespace {

struct Case {
  const char* vector;
  const char* version;
  double score;
};

TEST(Cvss, V3Scores) {
  const Case cases[] = {
      {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", "3.1", 7.5},  // CVE-2014-0160 (Heartbleed)
      {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "3.1", 9.8},
      {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", "3.1", 10.0},
      {"CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", "3.1", 6.1},  // the usual reflected XSS
      {"CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", "3.1", 7.8},
      {"CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", "3.1", 8.8},
      {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", "3.1", 7.5},
      {"CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", "3.1", 1.6},
      {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", "3.1", 0.0},
      {"CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N", "3.0", 5.9},
      {"CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O/RC:C", "3.0", 9.8},  // temporal metrics ignored
  };
  for (const auto& c : cases) {
    auto s = base_score(c.vector);
    ASSERT_TRUE(s) << c.vector << ": " << s.error().describe();
    EXPECT_EQ(s->version, c.version) << c.vector;
    EXPECT_DOUBLE_EQ(s->score, c.score) << c.vector;
  }
}

TEST(Cvss, V2Scores) {
  const Case cases[] = {
      {"AV:N/AC:L/Au:N/C:P/I:P/A:P", "2.0", 7.5},
      {"AV:N/AC:M/Au:N/C:N/I:P/A:N", "2.0", 4.3},
      {"AV:N/AC:L/Au:N/C:C/I:C/A:C", "2.0", 10.0},
      {"(AV:L/AC:L/Au:N/C:C/I:C/A:C)", "2.0", 7.2},
  };
  for (const auto& c : cases) {
    auto s = base_score(c.vector);
    ASSERT_TRUE(s) << c.vector << ": " << s.error().describe();
    EXPECT_EQ(s->version, c.version);
    EXPECT_DOUBLE_EQ(s->score, c.score) << c.vector;
  }
}

TEST(Cvss, V4Scores) {
  const Case cases[] = {
      {"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H", "4.0", 10.0},
      {"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", "4.0", 9.3},
      {"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:L/SC:N/SI:N/SA:N", "4.0", 6.9},
      {"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N", "4.0", 8.7},
      {"CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N", "4.0", 8.2},
      {"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:P/VC:N/VI:N/VA:N/SC:L/SI:L/SA:N", "4.0", 5.3},  // stored XSS, GHSA
      {"CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", "4.0", 8.7},
      {"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N", "4.0", 0.0},
      // Threat/environmental metrics spelled out as "not defined" change nothing.
      {"CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N/E:X/CR:X/IR:X/AR:X/MAV:X/MAC:X/MAT:X/MPR:X/"
       "MUI:X/MVC:X/MVI:X/MVA:X/MSC:X/MSI:X/MSA:X/S:X/AU:X/R:X/V:X/RE:X/U:X",
       "4.0", 8.2},
  };
  for (const auto& c : cases) {
    auto s = base_score(c.vector);
    ASSERT_TRUE(s) << c.vector << ": " << s.error().describe();
    EXPECT_EQ(s->version, c.version);
    EXPECT_DOUBLE_EQ(s->score, c.score) << c.vector;
  }
}

TEST(Cvss, Severity) {
  EXPECT_EQ(severity_of({"3.1", 9.8}), core::Severity::critical);
  EXPECT_EQ(severity_of({"3.1", 7.0}), core::Severity::high);
  EXPECT_EQ(severity_of({"3.1", 6.9}), core::Severity::medium);
  EXPECT_EQ(severity_of({"4.0", 0.1}), core::Severity::low);
  EXPECT_EQ(severity_of({"4.0", 0.0}), core::Severity::info);
  EXPECT_EQ(severity_of({"2.0", 10.0}), core::Severity::high);
}

TEST(Cvss, RejectsBadVectors) {
  const char* bad[] = {
      "",
      "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H",           // A missing
      "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/A:H",   // repeated
      "CVSS:3.1/AV:Q/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",       // bad value
      "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/ZZ:1",  // unknown metric
      "CVSS:9.9/AV:N",
      "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H",
      "AV:N/AC:L/Au:N/C:P/I:P",
      "hello",
      "CVSS:3.1/AV:N//AC:L",
  };
  for (const char* v : bad) EXPECT_FALSE(base_score(v)) << v;
  EXPECT_FALSE(base_score(std::string(2000, 'A')));
}

}  // namespace
}  // namespace bulwark::vuln::cvss
