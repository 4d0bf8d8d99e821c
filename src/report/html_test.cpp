#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>

#include "../../tests/schema/sample_scan.hpp"
#include "report/html.hpp"
#include "util/sha256.hpp"

using namespace bulwark;

namespace {

// The text between the data block's opening tag and the next "</script".
std::string data_block(const std::string& page) {
  const std::string open = "<script type=\"application/json\" id=\"bulwark-data\">";
  const auto start = page.find(open);
  if (start == std::string::npos) return {};
  const auto end = page.find("</script", start);
  return page.substr(start + open.size(), end - start - open.size());
}

std::string script_body(const std::string& page) {
  const auto start = page.rfind("<script>");
  const auto end = page.find("</script>", start);
  return page.substr(start + 8, end - start - 8);
}

TEST(HtmlReport, EscapesEverythingThatCouldLeaveTheDataBlock) {
  const std::string hostile =
      "{\"schema\":\"bulwark/v1\",\"targets\":[{\"kind\":\"rootfs\",\"name\":\"</script><script>alert(1)</script>\"}],"
      "\"findings\":[{\"id\":\"<!-- x\",\"title\":\"a\xE2\x80\xA8"
      "b\xE2\x80\xA9"
      "c & d > e\"}]}";
  auto page = report::html_from_json(hostile);
  ASSERT_TRUE(page) << page.error().message;
  const std::string block = data_block(*page);
  EXPECT_EQ(block.find('<'), std::string::npos);
  EXPECT_EQ(block.find('>'), std::string::npos);
  EXPECT_EQ(block.find('&'), std::string::npos);
  EXPECT_EQ(block.find("\xE2\x80\xA8"), std::string::npos);
  EXPECT_EQ(block.find("\xE2\x80\xA9"), std::string::npos);
  // Still the same document once parsed.
  const auto parsed = nlohmann::json::parse(block);
  EXPECT_EQ(parsed["targets"][0]["name"], "</script><script>alert(1)</script>");
  EXPECT_EQ(parsed["findings"][0]["id"], "<!-- x");
  EXPECT_EQ(parsed["findings"][0]["title"],
            "a\xE2\x80\xA8"
            "b\xE2\x80\xA9"
            "c & d > e");
  // Exactly the two script elements of the template.
  std::size_t scripts = 0;
  for (auto at = page->find("<script"); at != std::string::npos; at = page->find("<script", at + 1)) ++scripts;
  EXPECT_EQ(scripts, 2u);
  EXPECT_EQ(page->find("<!--"), std::string::npos);
}

TEST(HtmlReport, CspAllowsExactlyTheInlineScriptAndStyle) {
  auto page = report::html_from_json(R"({"schema":"bulwark/v1","targets":[],"findings":[]})");
  ASSERT_TRUE(page);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(*page, m, std::regex("http-equiv=\"Content-Security-Policy\" content=\"([^\"]+)\"")));
  const std::string csp = m[1];
  EXPECT_NE(csp.find("default-src 'none'"), std::string::npos);
  EXPECT_EQ(csp.find("unsafe"), std::string::npos);
  EXPECT_NE(csp.find("script-src " + report::csp_hash(script_body(*page))), std::string::npos) << csp;
  const auto style_start = page->find("<style>") + 7;
  const std::string style = page->substr(style_start, page->find("</style>") - style_start);
  EXPECT_NE(csp.find("style-src " + report::csp_hash(style)), std::string::npos) << csp;
  EXPECT_EQ(page->find("innerHTML"), std::string::npos);
  EXPECT_EQ(page->find("http://"), std::string::npos);
}

TEST(HtmlReport, CspHashIsBase64OfSha256) {
  // printf 'abc' | openssl dgst -sha256 -binary | base64
  EXPECT_EQ(report::csp_hash("abc"), "'sha256-ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0='");
  EXPECT_EQ(report::csp_hash(""), "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='");
}

TEST(HtmlReport, RefusesWhatIsNotABulwarkDocument) {
  EXPECT_FALSE(report::html_from_json("not json"));
  EXPECT_FALSE(report::html_from_json(R"({"schema":"other","targets":[],"findings":[]})"));
  EXPECT_FALSE(report::html_from_json(R"({"schema":"bulwark/v1","targets":{},"findings":[]})"));
  EXPECT_FALSE(report::html_from_json(R"([1,2])"));
  EXPECT_FALSE(report::html_from_json(std::string(100, '[') + std::string(100, ']')));
}

TEST(HtmlReport, ScanResultsCarryPackagesAndPassedChecks) {
  auto r = fixtures::sample_scan_result();
  r.findings = {fixtures::check_finding(), fixtures::passed_finding()};
  const std::string page = report::write_html({r}, report::JsonOptions{"0.1.0", false, false, std::nullopt});
  const auto doc = nlohmann::json::parse(data_block(page));
  EXPECT_EQ(doc["targets"][0]["packages"].size(), r.packages.size());
  EXPECT_EQ(doc["findings"].size(), 2u);
}

}  // namespace
