// `db update` against a loopback HTTP server serving feeds built here from the
// shared advisory data: OSV zips from the Go vulndb and GHSA samples, an Alpine
// secdb file from the secdb archive, the Debian DSA list.
#include "vuln/db/update.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

#include "util/sha256.hpp"
#include "util/testing/loopback_http_server.hpp"

using namespace bulwark;
using namespace bulwark::vuln::db;
namespace fs = std::filesystem;

namespace {

const fs::path kAdvisories = fs::path(BULWARK_SHARED_DIR) / "data" / "advisories";

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Members of a .tar.zst whose path passes keep, up to max of them: (path, content).
std::vector<std::pair<std::string, std::string>> tar_members(const fs::path& archive_path,
                                                             const std::function<bool(const std::string&)>& keep,
                                                             std::size_t max) {
  std::vector<std::pair<std::string, std::string>> out;
  archive* a = archive_read_new();
  archive_read_support_filter_all(a);
  archive_read_support_format_all(a);
  EXPECT_EQ(archive_read_open_filename(a, archive_path.c_str(), 1 << 16), ARCHIVE_OK) << archive_path;
  archive_entry* e = nullptr;
  while (out.size() < max && archive_read_next_header(a, &e) == ARCHIVE_OK) {
    std::string name = archive_entry_pathname(e);
    if (archive_entry_filetype(e) != AE_IFREG || !keep(name)) continue;
    std::string content(static_cast<std::size_t>(archive_entry_size(e)), '\0');
    archive_read_data(a, content.data(), content.size());
    out.emplace_back(name, content);
  }
  archive_read_free(a);
  return out;
}

la_ssize_t append_to_string(archive*, void* client, const void* data, size_t n) {
  static_cast<std::string*>(client)->append(static_cast<const char*>(data), n);
  return static_cast<la_ssize_t>(n);
}

std::string make_zip(const std::vector<std::pair<std::string, std::string>>& files) {
  std::string out;
  archive* a = archive_write_new();
  archive_write_set_format_zip(a);
  archive_write_set_bytes_in_last_block(a, 1);
  archive_write_open(a, &out, nullptr, append_to_string, nullptr);
  for (const auto& [name, content] : files) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, static_cast<la_int64_t>(content.size()));
    archive_write_header(a, e);
    archive_write_data(a, content.data(), content.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
  return out;
}

bool ends_with_json(const std::string& n) {
  return n.ends_with(".json");
}

// The feeds, as a mirror serves them: path -> body; ETags derive from the body.
class Mirror {
 public:
  Mirror() {
    go_ = make_zip(tar_members(kAdvisories / "go-vulndb-osv.tar.zst", ends_with_json, 300));
    std::vector<std::pair<std::string, std::string>> ghsa;
    for (const auto& entry : fs::directory_iterator(kAdvisories / "ghsa-samples" / "trivy-db")) {
      ghsa.emplace_back(entry.path().filename().string(), slurp(entry.path()));
    }
    npm_ = make_zip(ghsa);
    auto alpine = tar_members(
        kAdvisories / "alpine-secdb-json.tar.zst", [](const std::string& n) { return n.ends_with("v3.20/main.json"); },
        1);
    EXPECT_EQ(alpine.size(), 1u);
    alpine_ = alpine.empty() ? "" : alpine[0].second;
    dsa_ = slurp(kAdvisories / "debian-security-tracker" / "DSA.list");
    set("/osv/Go/all.zip", go_);
    set("/osv/npm/all.zip", npm_);
    set("/alpine/v3.20/main.json", alpine_);
    set("/debian/DSA/list", dsa_);
  }

  void set(const std::string& path, std::string body) {
    std::lock_guard lock(mutex_);
    bodies_[path] = std::move(body);
  }
  void fail_with(const std::string& path, int status) {
    std::lock_guard lock(mutex_);
    status_[path] = status;
  }
  void lie_about_length(const std::string& path) {
    std::lock_guard lock(mutex_);
    lie_[path] = true;
  }

  bulwark::testing::TestResponse handle(const bulwark::testing::TestRequest& req) {
    std::lock_guard lock(mutex_);
    if (auto it = status_.find(req.target); it != status_.end()) return {it->second, {}, "internal error"};
    auto it = bodies_.find(req.target);
    if (it == bodies_.end()) return {404, {}, "not found"};
    std::string etag = "\"" + util::sha256_hex(it->second).substr(0, 16) + "\"";
    if (auto inm = req.headers.find("if-none-match"); inm != req.headers.end() && inm->second == etag) {
      return {304, {{"ETag", etag}}, ""};
    }
    bulwark::testing::TestResponse r{
        200, {{"ETag", etag}, {"Last-Modified", "Wed, 01 May 2024 10:00:00 GMT"}}, it->second};
    if (lie_.count(req.target)) r.headers.emplace_back("Content-Length", std::to_string(it->second.size() + 1000));
    return r;
  }

  std::string go_, npm_, alpine_, dsa_;

 private:
  std::mutex mutex_;
  std::map<std::string, std::string> bodies_;
  std::map<std::string, int> status_;
  std::map<std::string, bool> lie_;
};

class Update : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        fs::path(BULWARK_BINARY_DIR) / "update-test" / ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    db_ = dir_ / "bulwark.db";
    server_ = std::make_unique<bulwark::testing::LoopbackHttpServer>(
        [this](const bulwark::testing::TestRequest& r) { return mirror_.handle(r); });
    use_mirror(options_, "http://" + server_->host() + "/");
    options_.osv_ecosystems = {"Go", "npm"};
    options_.alpine_releases = {"v3.20"};
    options_.alpine_repos = {"main"};
    options_.debian_lists = {"DSA"};
    progress_ = core::make_silent_progress();
  }

  Result<UpdateReport> run() {
    diags_ = {};
    return update_database(db_, options_, *progress_, diags_);
  }

  std::string db_hash() { return util::sha256_file_hex(db_).value_or("missing"); }

  // Nothing but the database and its lock file is left in the folder.
  void expect_no_leftovers() {
    for (const auto& e : fs::directory_iterator(dir_)) {
      auto name = e.path().filename().string();
      EXPECT_TRUE(name == "bulwark.db" || name == "bulwark.db.lock") << "left behind: " << name;
    }
  }

  Mirror mirror_;
  fs::path dir_;
  fs::path db_;
  std::unique_ptr<bulwark::testing::LoopbackHttpServer> server_;
  UpdateOptions options_;
  std::unique_ptr<core::Progress> progress_;
  core::Diagnostics diags_;
};

std::map<std::string, std::int64_t> source_counts(const fs::path& db) {
  std::map<std::string, std::int64_t> out;
  auto store = Store::open(db, OpenMode::read_only);
  EXPECT_TRUE(store);
  if (!store) return out;
  for (const auto& s : store->stats().value_or(std::vector<SourceStats>{})) out[s.name] = s.advisory_count;
  return out;
}

}  // namespace

TEST(UpdatePlan, FeedsAndMirrorLayout) {
  UpdateOptions o;
  auto feeds = plan_feeds(o);
  ASSERT_FALSE(feeds.empty());
  EXPECT_EQ(feeds[0].url, "https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip");
  use_mirror(o, "https://mirror.example/b/");
  ASSERT_TRUE(select_ecosystems(o, {"crates.io,pypi", "alpine"}));
  feeds = plan_feeds(o);
  EXPECT_EQ(feeds[0].url, "https://mirror.example/b/osv/crates.io/all.zip");
  EXPECT_EQ(feeds[1].url, "https://mirror.example/b/osv/PyPI/all.zip");
  EXPECT_EQ(feeds[2].url, "https://mirror.example/b/alpine/v3.18/main.json");
  for (const auto& f : feeds) EXPECT_EQ(f.url.find("debian"), std::string::npos) << "debian was not selected";
  auto bad = select_ecosystems(o, {"cobol"});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::invalid_argument);
}

TEST_F(Update, FirstDownloadsThenConditionalRequestsChangeNothing) {
  auto first = run();
  ASSERT_TRUE(first) << first.error().describe();
  EXPECT_TRUE(first->replaced);
  ASSERT_EQ(first->feeds.size(), 4u);
  for (const auto& f : first->feeds) {
    EXPECT_EQ(f.outcome, FeedOutcome::downloaded) << f.feed.name;
    EXPECT_GT(f.import.records, 0u) << f.feed.name;
  }
  auto counts = source_counts(db_);
  EXPECT_EQ(counts["osv:GO"], 300);
  EXPECT_GE(counts["osv:GHSA"], 10);
  EXPECT_GT(counts["alpine:v3.20/main"], 2000);
  EXPECT_EQ(counts["debian-dsa"], 5406);
  {
    auto store = Store::open(db_, OpenMode::read_only);
    ASSERT_TRUE(store);
    auto hits = store->lookup("Alpine:v3.20", "openssl");
    ASSERT_TRUE(hits);
    EXPECT_FALSE(hits->empty());
  }
  expect_no_leftovers();

  const auto hash = db_hash();
  const auto mtime = fs::last_write_time(db_);
  const auto before = server_->requests().size();
  auto second = run();
  ASSERT_TRUE(second) << second.error().describe();
  EXPECT_FALSE(second->replaced);
  for (const auto& f : second->feeds) EXPECT_EQ(f.outcome, FeedOutcome::not_modified) << f.feed.name;
  EXPECT_EQ(db_hash(), hash);
  EXPECT_EQ(fs::last_write_time(db_), mtime);
  auto requests = server_->requests();
  ASSERT_EQ(requests.size(), before + 4);
  for (std::size_t i = before; i < requests.size(); ++i) {
    EXPECT_TRUE(requests[i].headers.count("if-none-match")) << requests[i].target;
    EXPECT_EQ(requests[i].headers["if-modified-since"], "Wed, 01 May 2024 10:00:00 GMT");
  }
  expect_no_leftovers();
}

TEST_F(Update, OnlyTheChangedFeedIsFetchedAndImported) {
  ASSERT_TRUE(run());
  // The Go export grows by 100 advisories.
  mirror_.set("/osv/Go/all.zip", make_zip(tar_members(kAdvisories / "go-vulndb-osv.tar.zst", ends_with_json, 400)));
  auto r = run();
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_TRUE(r->replaced);
  EXPECT_EQ(r->feeds[0].outcome, FeedOutcome::downloaded);
  EXPECT_EQ(r->feeds[0].import.inserted, 100u);
  EXPECT_EQ(r->feeds[0].import.unchanged, 300u);
  for (std::size_t i = 1; i < r->feeds.size(); ++i) EXPECT_EQ(r->feeds[i].outcome, FeedOutcome::not_modified);
  EXPECT_EQ(source_counts(db_)["osv:GO"], 400);
}

TEST_F(Update, ServerErrorLeavesTheOldDatabaseIntact) {
  ASSERT_TRUE(run());
  const auto hash = db_hash();
  mirror_.set("/osv/Go/all.zip", make_zip(tar_members(kAdvisories / "go-vulndb-osv.tar.zst", ends_with_json, 400)));
  mirror_.fail_with("/debian/DSA/list", 500);  // the last feed: the Go import has already happened on the copy
  auto r = run();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::network);
  EXPECT_NE(r.error().describe().find("debian:DSA"), std::string::npos) << r.error().describe();
  EXPECT_NE(r.error().describe().find("HTTP 500"), std::string::npos) << r.error().describe();
  EXPECT_EQ(db_hash(), hash);
  EXPECT_EQ(source_counts(db_)["osv:GO"], 300);
  expect_no_leftovers();
}

TEST_F(Update, CorruptZipIsRejectedAndTheOldDatabaseKept) {
  ASSERT_TRUE(run());
  const auto hash = db_hash();
  // Same size and structure, one byte of compressed data flipped: the CRC no longer matches.
  std::string zip = make_zip(tar_members(kAdvisories / "go-vulndb-osv.tar.zst", ends_with_json, 301));
  zip[zip.size() / 3] = static_cast<char>(zip[zip.size() / 3] ^ 0x5a);
  mirror_.set("/osv/Go/all.zip", zip);
  auto r = run();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::parse);
  EXPECT_NE(r.error().describe().find("osv:Go"), std::string::npos) << r.error().describe();
  EXPECT_NE(r.error().describe().find("zip"), std::string::npos) << r.error().describe();
  EXPECT_EQ(db_hash(), hash);
  expect_no_leftovers();

  // A truncated download.
  mirror_.set("/osv/Go/all.zip", zip.substr(0, zip.size() / 2));
  r = run();
  ASSERT_FALSE(r);
  EXPECT_EQ(db_hash(), hash);
}

TEST_F(Update, ShortBodyAgainstContentLengthFails) {
  mirror_.lie_about_length("/osv/npm/all.zip");
  auto r = run();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::network);
  EXPECT_NE(r.error().describe().find("osv:npm"), std::string::npos) << r.error().describe();
  EXPECT_FALSE(fs::exists(db_)) << "a failed first update creates no database";
  expect_no_leftovers();
}

TEST_F(Update, AnErrorPageServedAs200IsNotImported) {
  mirror_.set("/alpine/v3.20/main.json", "<html><body>Service unavailable</body></html>");
  auto r = run();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().describe().find("alpine:v3.20/main"), std::string::npos) << r.error().describe();
  EXPECT_FALSE(fs::exists(db_));
}

TEST_F(Update, DownloadLimitIsEnforced) {
  options_.max_feed_bytes = 1024;
  auto r = run();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::limit);
  EXPECT_NE(r.error().describe().find("larger than the limit"), std::string::npos) << r.error().describe();
}

TEST_F(Update, DamagedDatabaseIsReplacedByAFreshOne) {
  {
    std::ofstream out(db_, std::ios::binary);
    out << std::string(8192, 'x');
  }
  auto r = run();
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_TRUE(r->replaced);
  ASSERT_FALSE(diags_.empty());
  EXPECT_NE(diags_.items()[0].message.find("building a new one"), std::string::npos);
  EXPECT_EQ(source_counts(db_)["debian-dsa"], 5406);
}

TEST(VerifyZip, AcceptsIntactRejectsDamagedAndEmpty) {
  auto dir = fs::path(BULWARK_BINARY_DIR) / "update-test" / "verify";
  fs::create_directories(dir);
  auto write = [&](const std::string& name, const std::string& body) {
    std::ofstream(dir / name, std::ios::binary) << body;
    return dir / name;
  };
  std::string zip = make_zip({{"a.json", std::string(5000, 'a')}, {"b.json", "{}"}});
  EXPECT_TRUE(verify_zip(write("ok.zip", zip), 10, 1 << 20));
  EXPECT_FALSE(verify_zip(write("ok2.zip", zip), 1, 1 << 20)) << "member limit";
  EXPECT_FALSE(verify_zip(write("ok3.zip", zip), 10, 100)) << "size limit";
  EXPECT_FALSE(verify_zip(write("empty.zip", make_zip({})), 10, 1 << 20));
  EXPECT_FALSE(verify_zip(write("junk.zip", "PK\x03\x04 this is not a zip"), 10, 1 << 20));
  std::string bad = zip;
  bad[0x3c] = static_cast<char>(bad[0x3c] ^ 0xff);  // inside the deflated data of a.json
  EXPECT_FALSE(verify_zip(write("bad.zip", bad), 10, 1 << 20));
}
