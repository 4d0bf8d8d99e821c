#include <gtest/gtest.h>

#include "core/diagnostics.hpp"
#include "core/model.hpp"
#include "core/purl.hpp"

using namespace bulwark;

TEST(Purl, DebianCanonicalForm) {
  core::Purl p{"deb", "debian", "libc6", "2.36-9+deb12u4", {{"arch", "amd64"}, {"distro", "debian-12"}}, ""};
  EXPECT_EQ(p.str(), "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12");
}

TEST(Purl, EpochIsEncodedInVersion) {
  core::Purl p{"deb", "debian", "perl", "1:5.36.0-7", {}, ""};
  EXPECT_EQ(p.str(), "pkg:deb/debian/perl@1%3A5.36.0-7");
}

TEST(Purl, NpmScopeIsEncoded) {
  core::Purl p{"npm", "@angular", "core", "16.0.0", {}, ""};
  EXPECT_EQ(p.str(), "pkg:npm/%40angular/core@16.0.0");
}

TEST(Purl, RoundTrips) {
  auto parsed = core::parse_purl("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1?type=jar");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->type, "maven");
  EXPECT_EQ(parsed->namespace_, "org.apache.logging.log4j");
  EXPECT_EQ(parsed->name, "log4j-core");
  EXPECT_EQ(parsed->version, "2.14.1");
  EXPECT_EQ(parsed->qualifiers.at("type"), "jar");
  EXPECT_EQ(parsed->str(), "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1?type=jar");
  auto npm = core::parse_purl("pkg:npm/%40angular/core@16.0.0");
  ASSERT_TRUE(npm.has_value());
  EXPECT_EQ(npm->namespace_, "@angular");
}

TEST(Purl, RejectsMalformed) {
  EXPECT_FALSE(core::parse_purl("npm/foo@1").has_value());
  EXPECT_FALSE(core::parse_purl("pkg:npm").has_value());
  EXPECT_FALSE(core::parse_purl("pkg:npm/foo@1%G0").has_value());
  EXPECT_FALSE(core::parse_purl("pkg:npm/foo@1%4").has_value());
}

TEST(Model, SeverityParsesVendorWords) {
  EXPECT_EQ(core::parse_severity("Important"), core::Severity::high);
  EXPECT_EQ(core::parse_severity("MODERATE"), core::Severity::medium);
  EXPECT_FALSE(core::parse_severity("urgent").has_value());
}

TEST(Model, PracticesRoundTrip) {
  for (auto name : {"trusted-base-image", "up-to-date", "access-control", "limit-privileges", "isolation",
                    "network-policy", "monitoring", "vulnerability-scan", "least-privilege", "host-hardening"}) {
    auto p = core::parse_practice(name);
    ASSERT_TRUE(p.has_value()) << name;
    EXPECT_EQ(core::to_string(*p), name);
  }
}

TEST(Diagnostics, DescribeHasPositionAndItem) {
  core::Diagnostic d{core::DiagnosticLevel::warning, "unknown-field",        "rules.yaml", 3, 7,
                     "Shell in container",           "unknown field foo.bar"};
  EXPECT_EQ(d.describe(), "rules.yaml:3:7: warning: [Shell in container] unknown field foo.bar (unknown-field)");
}
