// What a vulnerability scan could and could not check. A scan whose coverage is incomplete
// must never read as an all-clear: the reports say so (table line, JSON
// targets[].vulnerability_coverage, SARIF tool notification) and --exit-code fails on it.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace bulwark::core {

// Packages a vulnerability scan could not check, for one reason ("the database has no
// advisories for ecosystem Debian:12").
struct CoverageGap {
  std::string reason;
  std::string ecosystem;  // the advisory ecosystem asked for, where one applies
  std::size_t packages = 0;
  bool os = false;  // OS packages (deb, apk, rpm)
  // false only for packages of unknown type, which no advisory source can cover: they are
  // listed but do not make the scan incomplete.
  bool counts = true;
};

struct VulnCoverage {
  std::size_t packages = 0;  // packages looked at
  std::size_t checked = 0;   // of those, matched against advisory data for their ecosystem
  std::vector<CoverageGap> gaps;
  [[nodiscard]] std::size_t unchecked() const noexcept {
    std::size_t n = 0;
    for (const auto& g : gaps) n += g.counts ? g.packages : 0;
    return n;
  }
  [[nodiscard]] bool complete() const noexcept { return unchecked() == 0; }
};

}  // namespace bulwark::core
