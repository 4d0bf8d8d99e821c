// Test-only helpers shared by the advisory importers' unit tests (Red Hat CSAF, SUSE CVRF,
// Oracle OVAL, Azure Linux OVAL, Photon): running a parser on a document with a fresh log, reading
// a test data file, and finding an advisory, a package's affected entry and its fixed versions in
// what an importer produced.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "util/files.hpp"
#include "vuln/db/advisory.hpp"
#include "vuln/db/parsers.hpp"

namespace bulwark::vuln::db::test_support {

// What one parser run produced, and what its log says of it.
struct Parsed {
  core::Diagnostics diags;
  std::vector<Advisory> advisories;
  bool failed = false;
  std::size_t rejected = 0;
  std::map<std::string, std::size_t> counters;
};

// Runs parser(input, log) with a log naming `file`.
template <typename Parser, typename Input>
Parsed parse_with(Parser parser, const Input& input, std::string file) {
  Parsed p;
  ParseLog log(p.diags, std::move(file));
  p.advisories = parser(input, log);
  p.failed = log.document_failed();
  p.rejected = log.rejected();
  p.counters = log.counters();
  return p;
}

inline std::string slurp(const std::filesystem::path& p) {
  auto c = util::read_file(p, 1 << 20);
  EXPECT_TRUE(c.has_value()) << p;
  return c ? *c : std::string();
}

inline const Advisory* by_id(const std::vector<Advisory>& v, std::string_view id) {
  for (const auto& a : v) {
    if (a.id == id) return &a;
  }
  return nullptr;
}

inline const Affected* find(const Advisory& a, std::string_view ecosystem, std::string_view package) {
  for (const auto& af : a.affected) {
    if (af.ecosystem == ecosystem && af.package == package) return &af;
  }
  return nullptr;
}

// Every "fixed" event of the entry's ranges, in order.
inline std::vector<std::string> fixed_of(const Affected& af) {
  std::vector<std::string> out;
  for (const auto& r : af.ranges) {
    for (const auto& e : r.events) {
      if (e.kind == EventKind::fixed) out.push_back(e.version);
    }
  }
  return out;
}

}  // namespace bulwark::vuln::db::test_support
