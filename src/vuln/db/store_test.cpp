// Store round trips, lookups, idempotent upserts and read-only opening.
#include <gtest/gtest.h>

#include "util/files.hpp"
#include "vuln/db/store.hpp"

namespace bulwark::vuln::db {
namespace {

Advisory sample() {
  Advisory a;
  a.source = "osv:TEST";
  a.id = "TEST-1";
  a.aliases = {"CVE-2024-0001", "GHSA-aaaa-bbbb-cccc"};
  a.summary = "a test";
  a.modified = "2024-01-02T00:00:00Z";
  a.severity = "HIGH";
  a.cvss = {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"};
  a.references = {{"WEB", "https://example.org"}};
  Affected af;
  af.ecosystem = "PyPI";
  af.package = "Foo_Bar";
  af.ranges = {{RangeType::ecosystem, {}, {{EventKind::introduced, "0"}, {EventKind::fixed, "1.2"}}}};
  af.versions = {"1.0", "1.1"};
  af.state = VendorState::fixed;
  a.affected.push_back(af);
  Affected cargo;
  cargo.ecosystem = "crates.io";
  cargo.package = "foo";
  cargo.requirements = {RequirementSyntax::cargo, {}, {">= 1.2.3"}, {"< 0.1"}};
  cargo.state = VendorState::fixed;
  a.affected.push_back(cargo);
  return a;
}

TEST(Store, RoundTripLookupAndIdempotentUpsert) {
  auto dir = util::make_temp_dir(std::filesystem::temp_directory_path(), "bulwark-store");
  ASSERT_TRUE(dir) << dir.error().describe();
  util::ScopedDir cleanup(*dir);
  const auto path = *dir / "db.sqlite";
  {
    auto store = Store::open(path, OpenMode::read_write);
    ASSERT_TRUE(store) << store.error().describe();
    ASSERT_TRUE(store->begin());
    auto r = store->upsert(sample());
    ASSERT_TRUE(r) << r.error().describe();
    EXPECT_EQ(*r, UpsertOutcome::inserted);
    ASSERT_TRUE(store->record_source("osv:TEST", {}, true));
    ASSERT_TRUE(store->commit());
    const auto before = store->total_changes();
    ASSERT_TRUE(store->begin());
    EXPECT_EQ(*store->upsert(sample()), UpsertOutcome::unchanged);
    ASSERT_TRUE(store->record_source("osv:TEST", {}, false));
    ASSERT_TRUE(store->commit());
    EXPECT_EQ(store->total_changes(), before);  // nothing written the second time
    auto changed = sample();
    changed.affected[0].ranges[0].events[1].version = "1.3";
    ASSERT_TRUE(store->begin());
    EXPECT_EQ(*store->upsert(changed), UpsertOutcome::updated);
    ASSERT_TRUE(store->commit());
  }
  auto ro = Store::open(path, OpenMode::read_only);
  ASSERT_TRUE(ro) << ro.error().describe();
  // PEP 503 normalisation on both sides.
  auto hits = ro->lookup("PyPI", "foo.bar");
  ASSERT_TRUE(hits);
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_EQ((*hits)[0].advisory.id, "TEST-1");
  EXPECT_EQ((*hits)[0].advisory.aliases, sample().aliases);
  EXPECT_EQ((*hits)[0].affected.package, "Foo_Bar");
  EXPECT_EQ((*hits)[0].affected.ranges[0].events[1].version, "1.3");
  auto full = ro->get("osv:TEST", "TEST-1");
  ASSERT_TRUE(full && full->has_value());
  auto expected = sample();
  expected.affected[0].ranges[0].events[1].version = "1.3";
  EXPECT_EQ(**full, expected);
  auto alias = ro->find_alias("CVE-2024-0001");
  ASSERT_TRUE(alias);
  ASSERT_EQ(alias->size(), 1u);
  EXPECT_EQ((*alias)[0].second, "TEST-1");
  auto stats = ro->stats();
  ASSERT_TRUE(stats);
  ASSERT_EQ(stats->size(), 1u);
  EXPECT_EQ((*stats)[0].advisory_count, 1);
  EXPECT_EQ((*stats)[0].affected_count, 2);
  EXPECT_FALSE(ro->upsert(sample()));  // read-only
  EXPECT_FALSE(Store::open(*dir / "missing.sqlite", OpenMode::read_only));
}

// Change tracking (the server's incremental re-match): the (ecosystem, package) keys an
// upsert or removal touched, before and after, and nothing for an unchanged upsert.
TEST(Store, TracksTheKeysOfChangedAdvisories) {
  auto dir = util::make_temp_dir(std::filesystem::temp_directory_path(), "bulwark-store");
  ASSERT_TRUE(dir) << dir.error().describe();
  util::ScopedDir cleanup(*dir);
  auto store = Store::open(*dir / "db.sqlite", OpenMode::read_write);
  ASSERT_TRUE(store) << store.error().describe();
  ASSERT_TRUE(store->upsert(sample()));
  EXPECT_TRUE(store->take_changes().packages.empty()) << "off by default";
  store->track_changes(true);
  EXPECT_EQ(*store->upsert(sample()), UpsertOutcome::unchanged);
  EXPECT_TRUE(store->take_changes().packages.empty());
  auto moved = sample();
  moved.modified = "2024-02-01T00:00:00Z";
  moved.affected.pop_back();                // no longer names crates.io/foo
  moved.affected[0].package = "other-pkg";  // PyPI Foo_Bar -> other-pkg
  EXPECT_EQ(*store->upsert(moved), UpsertOutcome::updated);
  auto c = store->take_changes();
  using Key = std::pair<std::string, std::string>;
  EXPECT_EQ(c.packages, (std::set<Key>{{"PyPI", "foo-bar"}, {"crates.io", "foo"}, {"PyPI", "other-pkg"}}));
  EXPECT_EQ(c.advisories, (std::set<Key>{{"osv:TEST", "TEST-1"}}));
  EXPECT_TRUE(store->take_changes().packages.empty()) << "taken once";
  auto removed = store->remove_others("osv:TEST", {});
  ASSERT_TRUE(removed);
  EXPECT_EQ(*removed, 1u);
  EXPECT_EQ(store->take_changes().packages, (std::set<Key>{{"PyPI", "other-pkg"}}));
}

}  // namespace
}  // namespace bulwark::vuln::db
