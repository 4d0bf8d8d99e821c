#include "trust/base_image.hpp"

#include <algorithm>
#include <limits>

namespace bulwark::trust {

std::optional<TagVersion> parse_tag_version(std::string_view tag) {
  std::size_t i = 0;
  if (tag.size() > 1 && (tag[0] == 'v' || tag[0] == 'V') && tag[1] >= '0' && tag[1] <= '9') i = 1;
  if (i >= tag.size() || tag[i] < '0' || tag[i] > '9') return std::nullopt;
  TagVersion v;
  while (true) {
    std::uint64_t n = 0;
    std::size_t digits = 0;
    while (i < tag.size() && tag[i] >= '0' && tag[i] <= '9') {
      if (n > (std::numeric_limits<std::uint64_t>::max() - 9) / 10 || ++digits > 18) return std::nullopt;
      n = n * 10 + static_cast<std::uint64_t>(tag[i] - '0');
      ++i;
    }
    v.numbers.push_back(n);
    if (v.numbers.size() > 16) return std::nullopt;
    if (i + 1 < tag.size() && tag[i] == '.' && tag[i + 1] >= '0' && tag[i + 1] <= '9') {
      ++i;
      continue;
    }
    break;
  }
  if (i == tag.size()) return v;
  // "12.5-slim", "1.21_alpine": the variant. Anything else right after the numbers ("12a",
  // "12.x") is not a version tag.
  if ((tag[i] == '-' || tag[i] == '_') && i + 1 < tag.size()) {
    v.variant = std::string(tag.substr(i + 1));
    return v;
  }
  return std::nullopt;
}

bool is_valid_tag(std::string_view tag) noexcept {
  if (tag.empty() || tag.size() > 128) return false;
  auto word = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  };
  if (!word(tag[0])) return false;
  return std::all_of(tag.begin() + 1, tag.end(), [&](char c) { return word(c) || c == '.' || c == '-'; });
}

namespace {

// <0: a older, 0: the same line (equal on the common numbers), >0: a newer.
int compare_common(const TagVersion& a, const TagVersion& b) {
  const auto n = std::min(a.numbers.size(), b.numbers.size());
  for (std::size_t i = 0; i < n; ++i) {
    if (a.numbers[i] != b.numbers[i]) return a.numbers[i] < b.numbers[i] ? -1 : 1;
  }
  return 0;
}

}  // namespace

bool is_newer(const TagVersion& current, const TagVersion& candidate) {
  return current.variant == candidate.variant && compare_common(candidate, current) > 0;
}

bool newer_first(const TagVersion& a, const TagVersion& b) {
  if (const int c = compare_common(a, b); c != 0) return c > 0;
  if (a.numbers.size() != b.numbers.size()) return a.numbers.size() > b.numbers.size();
  return a.variant < b.variant;
}

std::size_t diff_id_prefix(const std::vector<std::string>& image, const std::vector<std::string>& base) {
  if (base.empty() || base.size() > image.size()) return 0;
  return std::equal(base.begin(), base.end(), image.begin()) ? base.size() : 0;
}

std::optional<std::size_t> best_base_match(const std::vector<std::string>& image_diff_ids,
                                           const std::vector<CandidateImage>& candidates) {
  std::optional<std::size_t> best;
  std::size_t best_len = 0;
  // Whether candidate i is a better pick than candidate j, both matching with the same length.
  auto better = [&](std::size_t i, std::size_t j) {
    const auto& a = candidates[i];
    const auto& b = candidates[j];
    // RFC 3339 times in UTC order as strings when they have the same shape, which is what
    // image builders write; a missing time is the oldest.
    if (a.created != b.created) return a.created > b.created;
    const auto va = parse_tag_version(a.tag);
    const auto vb = parse_tag_version(b.tag);
    if (va.has_value() != vb.has_value()) return va.has_value();
    if (va && vb) {
      if (va->numbers.size() != vb->numbers.size()) return va->numbers.size() > vb->numbers.size();
      if (const int c = compare_common(*va, *vb); c != 0) return c > 0;
      if (va->variant.empty() != vb->variant.empty()) return va->variant.empty();
    }
    return a.tag < b.tag;
  };
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    const auto len = diff_id_prefix(image_diff_ids, candidates[i].diff_ids);
    if (len == 0) continue;
    if (!best || len > best_len || (len == best_len && better(i, *best))) {
      best = i;
      best_len = len;
    }
  }
  return best;
}

Recommendations recommend(const std::vector<core::BaseCandidate>& candidates) {
  Recommendations r;
  auto pick = [&](std::optional<std::size_t>& slot, std::size_t i) {
    const auto& c = candidates[i];
    if (!c.error.empty() || c.fixed.total() == 0) return;
    if (!slot) {
      slot = i;
      return;
    }
    const auto& s = candidates[*slot];
    if (c.fixed.total() != s.fixed.total()) {
      if (c.fixed.total() > s.fixed.total()) slot = i;
      return;
    }
    if (c.findings.total() < s.findings.total()) slot = i;  // otherwise the earlier (newer) one stays
  };
  for (std::size_t i = 0; i < candidates.size(); ++i) pick(candidates[i].major_change ? r.major : r.update, i);
  return r;
}

}  // namespace bulwark::trust
