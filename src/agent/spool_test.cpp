// The spool and delivery against a loopback HTTP server (the real server is
// exercised by tests/e2e/test_agent.sh): durability, order, bounds and drop
// counting, idempotency keys, retries, 401 handling, and kill -9 of a child
// process in the middle of a send and in the middle of writes.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "agent/delivery.hpp"
#include "agent/spool.hpp"
#include "util/files.hpp"
#include "util/testing/loopback_http_server.hpp"

namespace bulwark::agent {
namespace {

namespace fs = std::filesystem;
using testing::LoopbackHttpServer;
using testing::TestRequest;
using testing::TestResponse;

class SpoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto d = util::make_temp_dir(fs::temp_directory_path(), "bulwark-spool-test");
    ASSERT_TRUE(d);
    dir_ = *d;
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

std::string doc(int i) {
  return nlohmann::json{{"schema", "bulwark/v1"}, {"report", "inventory"}, {"n", i}}.dump();
}

DeliveryOptions fast_options(const LoopbackHttpServer& server) {
  DeliveryOptions o;
  o.server = "http://" + server.host();
  o.token = "agent-token-secret";
  o.host_name = "h1";
  o.backoff_initial = std::chrono::milliseconds(5);
  o.backoff_max = std::chrono::milliseconds(20);
  o.request_timeout = std::chrono::seconds(10);
  return o;
}

// A server that stores each Idempotency-Key once, as the real server does.
struct DedupServer {
  std::mutex m;
  std::set<std::string> keys;
  std::vector<std::string> stored;  // bodies, in arrival order, each once
  TestResponse handle(const TestRequest& r) {
    std::lock_guard lock(m);
    auto key = r.headers.count("idempotency-key") ? r.headers.at("idempotency-key") : "";
    if (!keys.insert(key).second) return {200, {}, R"({"id":"x","duplicate":true})"};
    stored.push_back(r.body);
    return {201, {}, R"({"id":"x","duplicate":false})"};
  }
};

TEST_F(SpoolTest, EntriesAreDurableOrderedAndKeepTheirIdsAcrossReopen) {
  std::vector<std::string> ids;
  {
    auto s = Spool::open(dir_);
    ASSERT_TRUE(s) << s.error().describe();
    for (int i = 0; i < 5; ++i) {
      auto e = (*s)->append(doc(i));
      ASSERT_TRUE(e) << e.error().describe();
      EXPECT_EQ(e->seq, static_cast<std::uint64_t>(i + 1));
      ids.push_back(e->id);
    }
    // Nothing is left in tmp/ once append returned.
    EXPECT_TRUE(fs::is_empty(dir_ / "tmp"));
  }
  auto s = Spool::open(dir_);
  ASSERT_TRUE(s);
  EXPECT_EQ((*s)->sequence_numbers(), (std::vector<std::uint64_t>{1, 2, 3, 4, 5}));
  auto f = (*s)->front();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->id, ids[0]);
  EXPECT_EQ(*(*s)->read(*f), doc(0));
  ASSERT_TRUE((*s)->remove(*f));
  ASSERT_TRUE((*s)->remove(*(*s)->front()));
  // Sequence numbers are never reused, even after the spool empties.
  while (auto e = (*s)->front()) ASSERT_TRUE((*s)->remove(*e));
  auto e = (*s)->append(doc(9));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->seq, 6u);
}

TEST_F(SpoolTest, SecondAgentOnTheSameSpoolIsRefused) {
  auto a = Spool::open(dir_);
  ASSERT_TRUE(a);
  auto b = Spool::open(dir_);
  ASSERT_FALSE(b);
  EXPECT_NE(b.error().message.find("in use"), std::string::npos);
}

TEST_F(SpoolTest, IncompleteWritesNeverCount) {
  { ASSERT_TRUE(Spool::open(dir_)); }
  util::write_file_atomic(dir_ / "tmp" / "00000000000000000001-x-1.json", "{\"half").value();
  auto s = Spool::open(dir_);
  ASSERT_TRUE(s);
  EXPECT_EQ((*s)->entries(), 0u);
  EXPECT_TRUE(fs::is_empty(dir_ / "tmp"));
}

TEST_F(SpoolTest, FullSpoolDropsTheOldestAndCountsThemDurably) {
  {
    auto s = Spool::open(dir_, SpoolLimits{1 << 20, 3});
    ASSERT_TRUE(s);
    for (int i = 0; i < 7; ++i) ASSERT_TRUE((*s)->append(doc(i)));
    EXPECT_EQ((*s)->sequence_numbers(), (std::vector<std::uint64_t>{5, 6, 7}));
    auto d = (*s)->drops();
    EXPECT_EQ(d.count, 4u);
    EXPECT_EQ(d.first_seq, 1u);
    EXPECT_EQ(d.last_seq, 4u);
    EXPECT_EQ(d.bytes, 4 * doc(0).size());
  }
  // Byte bound: three documents fit, a fourth pushes the oldest out.
  auto s = Spool::open(dir_, SpoolLimits{3 * doc(0).size(), 100});
  ASSERT_TRUE(s);
  EXPECT_EQ((*s)->drops().count, 4u);  // survived the restart
  ASSERT_TRUE((*s)->append(doc(8)));
  EXPECT_EQ((*s)->sequence_numbers(), (std::vector<std::uint64_t>{6, 7, 8}));
  EXPECT_EQ((*s)->drops().count, 5u);
  EXPECT_LE((*s)->bytes(), 3 * doc(0).size());
  auto big = (*s)->append(std::string(4 * doc(0).size(), 'x'));
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().code, ErrorCode::limit);
}

TEST(Backoff, GrowsExponentiallyWithJitterAndStaysCapped) {
  DeliveryOptions o;
  o.backoff_initial = std::chrono::milliseconds(100);
  o.backoff_max = std::chrono::milliseconds(1000);
  for (std::uint64_t r : {0ULL, 7ULL, 123456789ULL, ~0ULL}) {
    EXPECT_GE(backoff_delay(o, 0, r).count(), 50);
    EXPECT_LE(backoff_delay(o, 0, r).count(), 100);
    EXPECT_GE(backoff_delay(o, 2, r).count(), 200);
    EXPECT_LE(backoff_delay(o, 2, r).count(), 400);
    EXPECT_GE(backoff_delay(o, 40, r).count(), 500);
    EXPECT_LE(backoff_delay(o, 40, r).count(), 1000);
  }
  EXPECT_NE(backoff_delay(o, 3, 1).count(), backoff_delay(o, 3, 250).count());
}

TEST_F(SpoolTest, DeliversInOrderWithTokenAndIdempotencyKeyRetryingServerErrors) {
  std::atomic<int> calls{0};
  DedupServer dedup;
  LoopbackHttpServer server([&](const TestRequest& r) {
    if (++calls <= 3) return TestResponse{503, {}, R"({"error":{"code":"unavailable","message":"starting"}})"};
    return dedup.handle(r);
  });
  auto s = Spool::open(dir_);
  ASSERT_TRUE(s);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE((*s)->append(doc(i)));
  Deliverer d(**s, fast_options(server));
  std::thread t([&] { (void)d.run(); });
  for (int i = 0; i < 500 && (*s)->entries() > 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  d.stop();
  t.join();
  EXPECT_EQ((*s)->entries(), 0u);
  EXPECT_EQ(d.stats().retries.load(), 3u);
  EXPECT_EQ(d.stats().delivered.load(), 4u);
  ASSERT_EQ(dedup.stored.size(), 4u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(dedup.stored[static_cast<std::size_t>(i)], doc(i));
  for (const auto& r : server.requests()) {
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.target, "/api/v1/reports");
    EXPECT_EQ(r.headers.at("authorization"), "Bearer agent-token-secret");
    EXPECT_EQ(r.headers.at("content-type"), "application/json");
    EXPECT_TRUE(r.headers.at("idempotency-key").starts_with((*s)->spool_id() + "-"));
  }
}

TEST_F(SpoolTest, RevokedTokenStopsDeliveryAndKeepsTheSpool) {
  LoopbackHttpServer server([](const TestRequest&) {
    return TestResponse{401, {}, R"({"error":{"code":"unauthorized","message":"token revoked"}})"};
  });
  auto s = Spool::open(dir_);
  ASSERT_TRUE(s);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE((*s)->append(doc(i)));
  std::vector<std::string> logs;
  Deliverer d(**s, fast_options(server), [&](std::string_view l) { logs.emplace_back(l); });
  auto st = d.run();  // returns by itself: no retry loop on 401
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::auth);
  EXPECT_NE(st.error().message.find("token revoked"), std::string::npos);
  EXPECT_NE(st.error().message.find("spool is kept"), std::string::npos);
  EXPECT_EQ(st.error().describe().find("agent-token-secret"), std::string::npos);
  EXPECT_EQ(server.requests().size(), 1u);
  EXPECT_EQ((*s)->entries(), 3u);
  EXPECT_TRUE(d.stats().unauthorized.load());
}

TEST_F(SpoolTest, RejectedDocumentIsSetAsideAndDoesNotBlockTheRest) {
  DedupServer dedup;
  LoopbackHttpServer server([&](const TestRequest& r) {
    if (r.body == doc(1)) return TestResponse{400, {}, R"({"error":{"code":"invalid","message":"bad document"}})"};
    return dedup.handle(r);
  });
  auto s = Spool::open(dir_);
  ASSERT_TRUE(s);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE((*s)->append(doc(i)));
  Deliverer d(**s, fast_options(server));
  ASSERT_TRUE(d.drain_once());
  EXPECT_EQ(dedup.stored, (std::vector<std::string>{doc(0), doc(2)}));
  EXPECT_EQ(d.stats().rejected.load(), 1u);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_ / "rejected"), fs::directory_iterator{}), 1);
}

TEST_F(SpoolTest, DropsAreReportedAsAnAlertOnceTheServerIsBack) {
  DedupServer dedup;
  std::atomic<bool> up{false};
  LoopbackHttpServer server([&](const TestRequest& r) {
    if (!up) return TestResponse{503, {}, "{}"};
    return dedup.handle(r);
  });
  auto s = Spool::open(dir_, SpoolLimits{1 << 20, 2});
  ASSERT_TRUE(s);
  Deliverer d(**s, fast_options(server));
  for (int i = 0; i < 5; ++i) ASSERT_TRUE((*s)->append(doc(i)));
  EXPECT_FALSE(d.drain_once());  // server down
  EXPECT_EQ((*s)->drops().count, 3u);
  up = true;
  ASSERT_TRUE(d.drain_once());
  ASSERT_EQ(dedup.stored.size(), 3u);
  auto alert = nlohmann::json::parse(dedup.stored[0]);
  EXPECT_EQ(alert["report"], "alerts");
  EXPECT_EQ(alert["host"]["name"], "h1");
  EXPECT_EQ(alert["alerts"][0]["rule"], "bulwark agent spool overflow");
  EXPECT_EQ(alert["alerts"][0]["fields"]["dropped"], 3);
  EXPECT_EQ(alert["alerts"][0]["fields"]["first_seq"], 1);
  EXPECT_EQ(alert["alerts"][0]["fields"]["last_seq"], 3);
  EXPECT_EQ(dedup.stored[1], doc(3));
  EXPECT_EQ(dedup.stored[2], doc(4));
  EXPECT_EQ((*s)->drops().count, 0u);
  EXPECT_EQ(d.stats().drop_reports.load(), 1u);
  // Reported once: a second drain sends nothing more.
  ASSERT_TRUE(d.drain_once());
  EXPECT_EQ(dedup.stored.size(), 3u);
}

// kill -9 of the sending process after the server received (and stored) the first
// document but before the agent saw the answer: on restart the entry is still in the
// spool, is sent again with the same Idempotency-Key, and the server keeps it once.
TEST_F(SpoolTest, KillNineMidSendLosesNothingAndDuplicatesNothing) {
  {
    auto s = Spool::open(dir_);
    ASSERT_TRUE(s);
    for (int i = 0; i < 3; ++i) ASSERT_TRUE((*s)->append(doc(i)));
  }
  DedupServer dedup;
  std::atomic<bool> hold{true};
  std::atomic<int> received{0};
  LoopbackHttpServer server([&](const TestRequest& r) {
    auto resp = dedup.handle(r);  // stored before the answer, as a real server commits first
    ++received;
    for (int i = 0; i < 1000 && hold; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return resp;
  });
  auto options = fast_options(server);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto s = Spool::open(dir_);
    if (!s) ::_exit(2);
    Deliverer d(**s, options);
    (void)d.drain_once();
    ::_exit(0);
  }
  for (int i = 0; i < 1000 && received == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_EQ(received.load(), 1);
  ::kill(child, SIGKILL);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status));
  hold = false;

  auto s = Spool::open(dir_);  // the dead child's lock is gone
  ASSERT_TRUE(s) << s.error().describe();
  EXPECT_EQ((*s)->sequence_numbers(), (std::vector<std::uint64_t>{1, 2, 3}));
  Deliverer d(**s, options);
  ASSERT_TRUE(d.drain_once());
  EXPECT_EQ((*s)->entries(), 0u);
  EXPECT_EQ(d.stats().duplicates.load(), 1u);  // the first entry, sent again
  EXPECT_EQ(d.stats().delivered.load(), 2u);
  EXPECT_EQ(dedup.stored, (std::vector<std::string>{doc(0), doc(1), doc(2)}));
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 4u);
  EXPECT_EQ(reqs[0].headers.at("idempotency-key"), reqs[1].headers.at("idempotency-key"));
  EXPECT_EQ(reqs[0].body, reqs[1].body);
}

// kill -9 while a child writes entries as fast as it can: every entry that is in
// the spool afterwards is complete, sequence numbers increase without reuse, and
// writing continues after the last one.
TEST_F(SpoolTest, KillNineMidWriteLeavesOnlyCompleteEntries) {
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto s = Spool::open(dir_);
    if (!s) ::_exit(2);
    for (int i = 0; i < 100000; ++i) {
      if (!(*s)->append(doc(i) + std::string(static_cast<std::size_t>(i % 5000), ' '))) ::_exit(3);
    }
    ::_exit(0);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ::kill(child, SIGKILL);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the child finished before it was killed";
  auto s = Spool::open(dir_);
  ASSERT_TRUE(s);
  auto seqs = (*s)->sequence_numbers();
  ASSERT_FALSE(seqs.empty());
  for (std::size_t i = 0; i < seqs.size(); ++i) EXPECT_EQ(seqs[i], i + 1);
  // Every entry parses and is the i-th document the child wrote.
  std::size_t n = 0;
  while (auto e = (*s)->front()) {
    auto body = (*s)->read(*e);
    ASSERT_TRUE(body);
    int i = static_cast<int>(e->seq) - 1;
    EXPECT_EQ(*body, doc(i) + std::string(static_cast<std::size_t>(i % 5000), ' '));
    ASSERT_TRUE((*s)->remove(*e));
    ++n;
  }
  EXPECT_EQ(n, seqs.size());
  auto next = (*s)->append(doc(0));
  ASSERT_TRUE(next);
  EXPECT_GT(next->seq, seqs.back());
}

}  // namespace
}  // namespace bulwark::agent
