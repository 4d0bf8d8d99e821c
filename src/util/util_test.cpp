#include <gtest/gtest.h>

#include <filesystem>

#include "util/error.hpp"
#include "util/files.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"

using namespace bulwark;

TEST(Strings, SplitKeepsEmptyFields) {
  auto parts = util::split("a,,b", ',');
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[1], "");
  EXPECT_EQ(parts[2], "b");
}

TEST(Strings, SplitWsDropsRuns) {
  auto parts = util::split_ws("  a \t b\n");
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0], "a");
  EXPECT_EQ(parts[1], "b");
}

TEST(Strings, PrintableEscapesControlCharacters) {
  EXPECT_EQ(util::printable("a\x1b[31mb"), "a\\x1b[31mb");
}

TEST(Strings, ParseU64RejectsJunk) {
  EXPECT_EQ(util::parse_u64("123"), 123u);
  EXPECT_FALSE(util::parse_u64("12x").has_value());
  EXPECT_FALSE(util::parse_u64("").has_value());
  EXPECT_FALSE(util::parse_u64("99999999999999999999999").has_value());
}

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(util::sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(util::sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Digest, ParsesAndRejects) {
  auto ok = util::parse_digest("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->algorithm, "sha256");
  EXPECT_FALSE(util::parse_digest("sha256:../../etc/passwd").has_value());
  EXPECT_FALSE(util::parse_digest("md5:abc").has_value());
  EXPECT_FALSE(util::parse_digest("nocolon").has_value());
  EXPECT_FALSE(
      util::parse_digest("sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD").has_value());
}

TEST(Files, ReadFileEnforcesLimit) {
  auto dir = util::make_temp_dir(std::filesystem::temp_directory_path(), "bulwark-util-test");
  ASSERT_TRUE(dir.has_value());
  util::ScopedDir guard(*dir);
  auto p = *dir / "f";
  ASSERT_TRUE(util::write_file_atomic(p, "hello world").has_value());
  auto small = util::read_file(p, 5);
  ASSERT_FALSE(small.has_value());
  EXPECT_EQ(small.error().code, ErrorCode::limit);
  EXPECT_NE(small.error().describe().find(p.string()), std::string::npos);
  auto all = util::read_file(p, 100);
  ASSERT_TRUE(all.has_value());
  EXPECT_EQ(*all, "hello world");
  auto missing = util::read_file(*dir / "nope", 100);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::not_found);
}

TEST(Error, WithinAddsOuterContext) {
  Error e{ErrorCode::parse, "bad", "layer.tar"};
  EXPECT_EQ(e.within("docker-archive:x.tar").describe(), "docker-archive:x.tar: layer.tar: bad");
}

#include "util/json_depth.hpp"

TEST(JsonDepth, CountsNestingOutsideStrings) {
  EXPECT_EQ(util::json_depth(R"({"a":[1,{"b":"[[[["}]})"), 3u);
  EXPECT_EQ(util::json_depth(R"("\"[[")"), 0u);
  EXPECT_EQ(util::json_depth(std::string(100000, '['), 10), 11u);
}

TEST(Strings, KeyFieldReadsProcStatusLines) {
  const std::string status = "Name:\tbash\nUid:\t0\t1000\t0\t0\nCapEff:\t000001ffffffffff\nUidX:\t9\n";
  EXPECT_EQ(bulwark::util::key_field(status, "Name"), "bash");
  EXPECT_EQ(bulwark::util::key_field(status, "Uid"), "0\t1000\t0\t0");
  EXPECT_EQ(bulwark::util::key_field(status, "CapEff"), "000001ffffffffff");
  EXPECT_FALSE(bulwark::util::key_field(status, "Ui").has_value());  // a prefix of a key is not the key
  EXPECT_FALSE(bulwark::util::key_field(status, "Gid").has_value());
  EXPECT_FALSE(bulwark::util::key_field("", "Name").has_value());
}
