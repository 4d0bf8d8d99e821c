#include "web/assets.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

using namespace bulwark;

namespace {

TEST(DashboardAssets, EveryFileOfWebIsEmbeddedVerbatim) {
  const std::filesystem::path root = std::filesystem::path(BULWARK_SOURCE_DIR) / "web";
  std::set<std::string> on_disk;
  for (const auto& e : std::filesystem::recursive_directory_iterator(root)) {
    const auto ext = e.path().extension();
    if (!e.is_regular_file() || (ext != ".html" && ext != ".css" && ext != ".js")) continue;
    if (e.path().string().find("node_modules") != std::string::npos) continue;
    if (ext == ".js" && e.path().parent_path().filename() != "js") continue;
    on_disk.insert("/" + std::filesystem::relative(e.path(), root).generic_string());
  }
  std::set<std::string> embedded;
  for (const auto& a : web::dashboard_assets()) {
    embedded.insert(std::string(a.path));
    std::ifstream in(root / std::string(a.path.substr(1)), std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    EXPECT_EQ(s.str(), a.body) << a.path;
  }
  EXPECT_EQ(on_disk, embedded);
}

TEST(DashboardAssets, ContentTypesAndIndex) {
  const auto* index = web::find_asset("/");
  ASSERT_NE(index, nullptr);
  EXPECT_EQ(index->path, "/index.html");
  EXPECT_EQ(index->content_type, "text/html; charset=utf-8");
  ASSERT_NE(web::find_asset("/js/main.js"), nullptr);
  EXPECT_EQ(web::find_asset("/js/main.js")->content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(web::find_asset("/app.css")->content_type, "text/css; charset=utf-8");
  EXPECT_EQ(web::find_asset("/nope.js"), nullptr);
}

TEST(DashboardAssets, PageLoadsOnlyItsOwnFilesUnderItsPolicy) {
  const std::string index(web::find_asset("/")->body);
  // No inline script or style, no handler attributes: the policy can stay 'self'.
  EXPECT_EQ(std::regex_search(index, std::regex("<script(?![^>]*\\ssrc=)[^>]*>")), false);
  EXPECT_EQ(index.find("<style"), std::string::npos);
  EXPECT_EQ(std::regex_search(index, std::regex("\\son[a-z]+=")), false);
  EXPECT_NE(index.find(std::string(web::recommended_csp()).substr(0, 60)), std::string::npos);
  // Every referenced file is embedded, and nothing is fetched from another origin.
  std::smatch m;
  std::string rest = index;
  while (std::regex_search(rest, m, std::regex("(?:src|href)=\"([^\"#]+)\""))) {
    const std::string ref = m[1];
    // data: URLs (the empty favicon) load nothing; everything else must be one of ours.
    if (ref.starts_with("data:")) {
      EXPECT_EQ(ref, "data:,");
    } else {
      EXPECT_NE(web::find_asset(ref), nullptr) << ref;
    }
    rest = m.suffix();
  }
  for (const auto& a : web::dashboard_assets()) {
    EXPECT_EQ(std::string(a.body).find("innerHTML"), std::string::npos) << a.path;
    EXPECT_EQ(std::string(a.body).find("insertAdjacentHTML"), std::string::npos) << a.path;
    EXPECT_EQ(std::string(a.body).find("eval("), std::string::npos) << a.path;
  }
  // Module imports name embedded files.
  for (const auto& a : web::dashboard_assets()) {
    std::string body(a.body);
    while (std::regex_search(body, m, std::regex("from '\\./([a-z]+\\.js)'"))) {
      EXPECT_NE(web::find_asset("/js/" + std::string(m[1])), nullptr) << a.path << " imports " << m[1];
      body = m.suffix();
    }
  }
}

}  // namespace
