#include "trust/base_image.hpp"

#include <gtest/gtest.h>

namespace bulwark::trust {
namespace {

TagVersion v(std::string_view tag) {
  auto p = parse_tag_version(tag);
  EXPECT_TRUE(p.has_value()) << tag;
  return p.value_or(TagVersion{});
}

TEST(BaseImageTags, ParsesVersionsAndVariants) {
  EXPECT_EQ(v("12.5").numbers, (std::vector<std::uint64_t>{12, 5}));
  EXPECT_EQ(v("12.5").variant, "");
  EXPECT_EQ(v("3.19.1").numbers, (std::vector<std::uint64_t>{3, 19, 1}));
  EXPECT_EQ(v("12.8-slim").numbers, (std::vector<std::uint64_t>{12, 8}));
  EXPECT_EQ(v("12.8-slim").variant, "slim");
  EXPECT_EQ(v("1.21.3-alpine3.19").variant, "alpine3.19");
  EXPECT_EQ(v("12-bookworm").numbers, (std::vector<std::uint64_t>{12}));
  EXPECT_EQ(v("v1.2").numbers, (std::vector<std::uint64_t>{1, 2}));
  EXPECT_EQ(v("20240101").numbers, (std::vector<std::uint64_t>{20240101}));
  EXPECT_EQ(v("13").major(), 13u);
  for (auto not_a_version : {"latest", "bookworm", "sha256-abc.sig", "", "v", "12a", "12.x", "12-", "1.2.", "stable-12",
                             "99999999999999999999"}) {
    EXPECT_FALSE(parse_tag_version(not_a_version).has_value()) << not_a_version;
  }
}

TEST(BaseImageTags, OnlyTagsOfTheDistributionGrammarAreUsed) {
  for (auto ok : {"12.5", "latest", "12.8-slim", "_x", "A.b-c_d"}) EXPECT_TRUE(is_valid_tag(ok)) << ok;
  for (auto bad : {"", "../x", "a/b", ".hidden", "-x", "a:b", "a@b", "x y", "t\n"})
    EXPECT_FALSE(is_valid_tag(bad)) << bad;
  EXPECT_TRUE(is_valid_tag(std::string(128, 'a')));
  EXPECT_FALSE(is_valid_tag(std::string(129, 'a')));
}

TEST(BaseImageTags, NewerMeansSameVariantAndAGreaterNumber) {
  EXPECT_TRUE(is_newer(v("12.5"), v("12.8")));
  EXPECT_TRUE(is_newer(v("12.5"), v("12.10"))) << "numbers, not strings";
  EXPECT_TRUE(is_newer(v("12.5"), v("13.1")));
  EXPECT_TRUE(is_newer(v("12.5"), v("13"))) << "a floating major tag is newer";
  EXPECT_TRUE(is_newer(v("3.19.1"), v("3.19.2")));
  EXPECT_TRUE(is_newer(v("3.19.1"), v("3.20")));
  EXPECT_TRUE(is_newer(v("12.5-slim"), v("12.8-slim")));
  EXPECT_FALSE(is_newer(v("12.5"), v("12.8-slim"))) << "another variant";
  EXPECT_FALSE(is_newer(v("12.5-slim"), v("12.8")));
  EXPECT_FALSE(is_newer(v("12.5"), v("12.5")));
  EXPECT_FALSE(is_newer(v("12.8"), v("12.5")));
  EXPECT_FALSE(is_newer(v("12.5"), v("12"))) << "the same release line";
  EXPECT_FALSE(is_newer(v("12"), v("12.8"))) << "the same release line";
  EXPECT_FALSE(is_newer(v("3.19.1"), v("3.19")));
}

TEST(BaseImageTags, NewestFirstOrder) {
  std::vector<std::string> tags{"12.5", "13", "12.10", "12.8", "13.1", "12"};
  std::sort(tags.begin(), tags.end(), [](const std::string& a, const std::string& b) {
    return newer_first(*parse_tag_version(a), *parse_tag_version(b));
  });
  EXPECT_EQ(tags, (std::vector<std::string>{"13.1", "13", "12.10", "12.8", "12.5", "12"}));
}

TEST(BaseImageLayers, PrefixIsTheWholeBase) {
  const std::vector<std::string> image{"sha256:a", "sha256:b", "sha256:c"};
  EXPECT_EQ(diff_id_prefix(image, {"sha256:a"}), 1u);
  EXPECT_EQ(diff_id_prefix(image, {"sha256:a", "sha256:b"}), 2u);
  EXPECT_EQ(diff_id_prefix(image, image), 3u) << "the image itself";
  EXPECT_EQ(diff_id_prefix(image, {"sha256:a", "sha256:x"}), 0u) << "a sibling sharing one layer is not a base";
  EXPECT_EQ(diff_id_prefix(image, {"sha256:b"}), 0u) << "not at the start";
  EXPECT_EQ(diff_id_prefix(image, {"sha256:a", "sha256:b", "sha256:c", "sha256:d"}), 0u) << "longer than the image";
  EXPECT_EQ(diff_id_prefix(image, {}), 0u);
}

TEST(BaseImageLayers, LongestPrefixWinsThenNewestThenTheVersionTag) {
  const std::vector<std::string> image{"sha256:a", "sha256:b", "sha256:c", "sha256:d"};
  std::vector<CandidateImage> c{
      {"12.5", "sha256:m1", "2024-01-01T00:00:00Z", {"sha256:a"}},
      {"12.6", "sha256:m2", "2024-03-01T00:00:00Z", {"sha256:a", "sha256:b"}},
      {"12.7", "sha256:m3", "2024-05-01T00:00:00Z", {"sha256:a", "sha256:x"}},  // a sibling
      {"13", "sha256:m4", "2025-01-01T00:00:00Z", {"sha256:z"}},
  };
  EXPECT_EQ(best_base_match(image, c), 1u) << "two layers beat one, and the sibling never matches";

  // Ties: the newest config wins, whatever the tag.
  std::vector<CandidateImage> tie{
      {"12.5", "sha256:m1", "2024-01-01T00:00:00Z", {"sha256:a"}},
      {"12.4", "sha256:m0", "2024-02-01T00:00:00Z", {"sha256:a"}},
  };
  EXPECT_EQ(best_base_match(image, tie), 1u);

  // Tags of one image: the version tag over latest/bookworm, the most specific over "12".
  std::vector<CandidateImage> same{
      {"latest", "sha256:m1", "2024-01-01T00:00:00Z", {"sha256:a"}},
      {"12", "sha256:m1", "2024-01-01T00:00:00Z", {"sha256:a"}},
      {"bookworm", "sha256:m1", "2024-01-01T00:00:00Z", {"sha256:a"}},
      {"12.5", "sha256:m1", "2024-01-01T00:00:00Z", {"sha256:a"}},
      {"12.5-slim", "sha256:m1", "2024-01-01T00:00:00Z", {"sha256:a"}},
  };
  EXPECT_EQ(best_base_match(image, same), 3u);

  EXPECT_FALSE(best_base_match(image, {{"x", "", "", {"sha256:q"}}}).has_value());
  EXPECT_FALSE(best_base_match({}, c).has_value());
}

core::BaseCandidate cand(std::string tag, bool major, std::size_t fixed, std::size_t left,
                         core::Severity s = core::Severity::high) {
  core::BaseCandidate c;
  c.tag = std::move(tag);
  c.major_change = major;
  for (std::size_t i = 0; i < fixed; ++i) c.fixed.add(s);
  for (std::size_t i = 0; i < left; ++i) c.findings.add(core::Severity::low);
  return c;
}

TEST(BaseImageAdvice, MostFixedWithinTheMajorAndTheBestMajorChange) {
  // Newest first, as analyze_base lists them.
  std::vector<core::BaseCandidate> c{cand("14.0", true, 1, 9),  cand("13.1", true, 8, 2),  cand("12.9", false, 3, 7),
                                     cand("12.8", false, 5, 5), cand("12.7", false, 5, 4), cand("12.6", false, 1, 9)};
  auto r = recommend(c);
  ASSERT_TRUE(r.update && r.major);
  EXPECT_EQ(c[*r.update].tag, "12.7") << "most fixed (5), then fewest left (4 < 5)";
  EXPECT_EQ(c[*r.major].tag, "13.1") << "not the newest major, the one that fixes most";

  // Equal on both: the newest (earliest in the list) stays.
  std::vector<core::BaseCandidate> eq{cand("12.9", false, 2, 3), cand("12.8", false, 2, 3)};
  EXPECT_EQ(eq[*recommend(eq).update].tag, "12.9");

  // Nothing fixed, or not scanned: no recommendation.
  std::vector<core::BaseCandidate> none{cand("12.9", false, 0, 3), cand("13", true, 4, 0)};
  none[1].error = "registry unreachable";
  auto rn = recommend(none);
  EXPECT_FALSE(rn.update.has_value());
  EXPECT_FALSE(rn.major.has_value());
}

}  // namespace
}  // namespace bulwark::trust
