// The secret scanning engine. Vectorscan compiles every rule's pattern into one database
// and scans each file in streaming mode as its bytes arrive (any chunking gives the same
// result); each candidate (rule, end offset) is confirmed by the rule's RE2 pattern on a
// bounded window around it, which extracts the secret; entropy, keywords and allowlists run
// only on confirmed candidates. A file keeps at most a small rolling window in memory, so
// memory does not depend on file or image size. Binary files are skipped by sniffing their
// first bytes; per-file and per-scan byte limits bound the work.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/model.hpp"
#include "secret/rules.hpp"
#include "util/error.hpp"

namespace bulwark::secret {

struct Options {
  std::uint64_t max_file_bytes = 32ULL << 20;   // bytes scanned per file (the rest is skipped)
  std::uint64_t max_total_bytes = 64ULL << 30;  // bytes scanned per scan
  std::size_t max_findings_per_file = 64;
  std::size_t max_findings = 10'000;
  std::uint64_t max_archive_bytes = 16ULL << 20;  // zip/jar members read only from archives this small
  bool show_secrets = false;                      // evidence carries the full value
  // Where the compiled Vectorscan database is cached (keyed by the patterns and the library
  // version), so that later runs skip the compile; empty: compile every time.
  std::string cache_dir;
};

struct Match {
  const Rule* rule = nullptr;
  std::string secret;
  std::string snippet;  // the line around the match, secret masked (or not, with show_secrets)
  std::uint64_t offset = 0;
  int line = 0;
  int column = 0;
  std::string fingerprint;  // "sha256:<hex>" of rule id, path and secret
  std::string member;       // the zip/jar member it was found in, if any
};

class Engine;

// One file's streaming scan.
class FileScan {
 public:
  ~FileScan();
  FileScan(const FileScan&) = delete;
  FileScan& operator=(const FileScan&) = delete;
  void feed(std::string_view chunk);
  // True once the file needs no more bytes (binary, over the limit).
  [[nodiscard]] bool done() const noexcept;
  [[nodiscard]] std::vector<Match> finish();

 private:
  friend class Engine;
  struct State;
  void feed_slice(std::string_view chunk);
  explicit FileScan(std::unique_ptr<State> s);
  std::unique_ptr<State> s_;
};

class Engine {
 public:
  // Compiles the catalogue; a rule whose pattern neither RE2 nor Vectorscan accepts is
  // reported in diags and left out.
  [[nodiscard]] static Result<std::unique_ptr<Engine>> build(Catalogue cat, Options options, core::Diagnostics& diags);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // The engine's scratch space is shared: one FileScan at a time per Engine is fed.
  // size: the file's size when known (0: unknown); the scan then ends on its last byte, so
  // that a file fed in one chunk is never copied.
  [[nodiscard]] std::unique_ptr<FileScan> open(std::string_view path, std::uint64_t size = 0) const;
  [[nodiscard]] std::vector<Match> scan(std::string_view text, std::string_view path) const;
  // Scans the text members of a zip/jar held in memory; each match's path is "archive!member".
  [[nodiscard]] std::vector<std::pair<std::string, Match>> scan_zip(std::string_view data, std::string_view path) const;

  // Compiles every rule's RE2 patterns now (built-in ones otherwise compile on first use);
  // returns "rule-id: problem" for each rule RE2 rejects (such a rule never reports).
  [[nodiscard]] std::vector<std::string> check_patterns() const;

  [[nodiscard]] const Catalogue& catalogue() const noexcept;
  [[nodiscard]] const Options& options() const noexcept;
  // Bytes scanned so far (all files).
  [[nodiscard]] std::uint64_t bytes_scanned() const noexcept;

  struct Impl;

 private:
  explicit Engine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// A Finding for a match: id = rule id, the location, evidence = redacted snippet.
[[nodiscard]] core::Finding to_finding(const Match& m, std::string_view path, const core::Target& target);

// "AKIA************" style masking: a few leading characters kept.
[[nodiscard]] std::string mask(std::string_view secret);

[[nodiscard]] bool looks_binary(std::string_view head) noexcept;
[[nodiscard]] bool is_zip_name(std::string_view path) noexcept;

}  // namespace bulwark::secret
