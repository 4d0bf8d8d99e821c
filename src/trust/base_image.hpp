// Base-image detection and bump advice, the parts that need no network or scanner
// (docs/base-images.md): tags read as versions, the diff-ID prefix match that finds which
// candidate an image is built on, and the choice of the recommended tags. scan/base_image.hpp
// reads the candidates and scans them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/model.hpp"

namespace bulwark::trust {

// A tag read as a version: "12.5" is {12, 5}; "3.19.1-slim" is {3, 19, 1} with variant "slim";
// "v1.2" is {1, 2}; "12-bookworm" is {12} with variant "bookworm". The variant is what follows
// the first '-' or '_' after the numbers, and two tags are comparable only when their variants
// are equal. Tags that do not start with a number ("latest", "bookworm", "sha256-...") are not
// versions (nullopt).
struct TagVersion {
  std::vector<std::uint64_t> numbers;
  std::string variant;
  [[nodiscard]] std::uint64_t major() const noexcept { return numbers.empty() ? 0 : numbers.front(); }
};
[[nodiscard]] std::optional<TagVersion> parse_tag_version(std::string_view tag);

// Whether a tag from a registry's list or a layout's ref.name is a tag as the OCI
// distribution spec writes them: [A-Za-z0-9_][A-Za-z0-9._-]{0,127}. Others ("../x", "a/b")
// are never put in a request.
[[nodiscard]] bool is_valid_tag(std::string_view tag) noexcept;

// Whether `candidate` is a newer version than `current`: same variant, and at the first
// position where both have a number, the candidate's is greater. A tag that only adds or drops
// numbers ("12" against "12.5") is the same release line, neither newer nor older.
[[nodiscard]] bool is_newer(const TagVersion& current, const TagVersion& candidate);
// Whether `candidate` orders before `other` when listing newest first (same-variant versions;
// ties: more numbers first).
[[nodiscard]] bool newer_first(const TagVersion& a, const TagVersion& b);

// The number of leading layers `base` shares with `image` when every one of `base`'s diff-IDs
// is the image's at the same position (base.size()); 0 when it is not a prefix, or empty.
[[nodiscard]] std::size_t diff_id_prefix(const std::vector<std::string>& image, const std::vector<std::string>& base);

// A tag of the candidate base images, as read from its config.
struct CandidateImage {
  std::string tag;
  std::string manifest_digest;
  std::string created;                // the config's created (RFC 3339), "" when absent
  std::vector<std::string> diff_ids;  // config rootfs.diff_ids
};

// The candidate the image is built on: the longest diff-ID prefix; ties (tags of the same
// image, or images with the same layers) go to the newest config created time, then to a
// version tag over another ("12.5" over "bookworm" or "latest"), then the more specific version
// ("12.5" over "12"), then the newer version, then the name. nullopt: no candidate's layers are
// a prefix of the image's.
[[nodiscard]] std::optional<std::size_t> best_base_match(const std::vector<std::string>& image_diff_ids,
                                                         const std::vector<CandidateImage>& candidates);

// The recommendations among scanned candidates (their fixed/added/findings counts set; those
// with an error are skipped): the update that fixes the most without a major change, and the
// best major-version change, each: most fixed, then fewest findings left, then newest (the
// candidates' order, newest first). A candidate that fixes nothing is never recommended.
struct Recommendations {
  std::optional<std::size_t> update, major;
};
[[nodiscard]] Recommendations recommend(const std::vector<core::BaseCandidate>& candidates);

}  // namespace bulwark::trust
