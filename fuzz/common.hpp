// Helpers shared by the libFuzzer targets (fuzz/*.cpp). Not part of any library.
//
// Inputs of targets that need several documents (an OCI layout, several image layers)
// are split on a separator line, so that seeds stay readable text and libFuzzer's
// mutations stay meaningful. The tar targets also accept a small text form of an
// archive ("FZA"), turned into a real tar by libarchive's writer here, because the
// checksum in every tar header makes byte-level mutation of real tars mostly useless.
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/error.hpp"
#include "util/stream.hpp"

namespace bulwark::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Splits text on every occurrence of sep (sep itself dropped).
inline std::vector<std::string_view> split_on(std::string_view text, std::string_view sep) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    auto at = text.find(sep, start);
    if (at == std::string_view::npos) {
      parts.push_back(text.substr(start));
      return parts;
    }
    parts.push_back(text.substr(start, at - start));
    start = at + sep.size();
  }
}

// The separator between documents of one input.
inline constexpr std::string_view kPartSeparator = "\n=====\n";

// With BULWARK_FUZZ_DEBUG set (replaying a seed by hand), says why an input went no further.
inline void debug(std::string_view stage, const Error& e) {
  static const bool on = std::getenv("BULWARK_FUZZ_DEBUG") != nullptr;
  if (on) std::fprintf(stderr, "fuzz: %.*s: %s\n", static_cast<int>(stage.size()), stage.data(), e.describe().c_str());
}

// Takes the first byte as a selector (for targets that drive several parsers).
struct Selected {
  std::uint8_t selector = 0;
  std::string_view rest;
};
inline Selected select(std::string_view text) {
  if (text.empty()) return {};
  return {static_cast<std::uint8_t>(text.front()), text.substr(1)};
}

class MemoryStream final : public util::ByteStream {
 public:
  explicit MemoryStream(std::string data) : data_(std::move(data)) {}
  Result<std::size_t> read(void* buffer, std::size_t size) override {
    std::size_t n = std::min(size, data_.size() - pos_);
    std::memcpy(buffer, data_.data() + pos_, n);
    pos_ += n;
    return n;
  }

 private:
  std::string data_;
  std::size_t pos_ = 0;
};

// A P-256 public key for targets that need one (its private half was discarded).
inline constexpr const char* kFuzzPublicKey = R"(-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEZR8jGNTl7Vrh05afE9J0GgsLqfH+
ur9CxHCv3+DgbMFIYmPk/U3XFNekEtMgpFQBpf3lwXjCV2L5mKabcoqoyg==
-----END PUBLIC KEY-----
)";

// Where targets write scratch files: /dev/shm when there is one (no disk I/O per input).
inline const std::filesystem::path& scratch_base() {
  static const std::filesystem::path base = [] {
    const char* shm = "/dev/shm";
    return std::filesystem::is_directory(shm) ? std::filesystem::path(shm) : std::filesystem::temp_directory_path();
  }();
  return base;
}

// A folder of this process, "bulwark-fuzz-<tag>-<pid>" under scratch_base(), created with the
// given files (name, content) in it.
inline std::filesystem::path scratch_dir(std::string_view tag,
                                         std::initializer_list<std::pair<const char*, const char*>> files = {}) {
  auto dir = scratch_base() / ("bulwark-fuzz-" + std::string(tag) + "-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  for (const auto& [name, text] : files) {
    if (FILE* f = std::fopen((dir / name).c_str(), "wb")) {
      std::fputs(text, f);
      std::fclose(f);
    }
  }
  return dir;
}

// A file holding the input, for parsers that read paths; removed by the destructor.
class TempFile {
 public:
  explicit TempFile(std::string_view content, std::string_view suffix = "") {
    path_ = (scratch_base() / ("bulwark-fuzz-" + std::to_string(::getpid()) + std::string(suffix))).string();
    if (FILE* f = std::fopen(path_.c_str(), "wb")) {
      if (!content.empty()) (void)std::fwrite(content.data(), 1, content.size(), f);
      std::fclose(f);
    }
  }
  ~TempFile() { std::remove(path_.c_str()); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  [[nodiscard]] const std::string& path() const noexcept { return path_; }

 private:
  std::string path_;
};

// Replaces "@D<n>" by "sha256:<hex[n]>", "@H<n>" by hex[n] and "@S<n>" by parts[n].size(),
// for 1 <= n < parts.size() and n > self (a part names only the parts after it).
inline std::string substitute(std::string_view text, const std::vector<std::string>& hex,
                              const std::vector<std::string>& parts, std::size_t self) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char kind = i + 1 < text.size() && text[i] == '@' ? text[i + 1] : 0;
    if (kind == 'D' || kind == 'H' || kind == 'S') {
      std::size_t j = i + 2;
      std::size_t n = 0;
      while (j < text.size() && j < i + 4 && text[j] >= '0' && text[j] <= '9') n = n * 10 + (text[j++] - '0');
      if (j > i + 2 && n > self && n < parts.size()) {
        out += kind == 'D' ? "sha256:" + hex[n] : kind == 'H' ? hex[n] : std::to_string(parts[n].size());
        i = j - 1;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

// ---- FZA: a text form of tar archives -------------------------------------
//
//   FZA
//   f etc/os-release 0644        a regular file; its content follows, up to a line "."
//   ID=alpine
//   .
//   d usr/lib 0755               a directory
//   l usr/lib/os-release ../../etc/os-release      a symlink (name, target)
//   h bin/sh bin/busybox         a hard link
//   c dev/null | p run/fifo      a character device, a FIFO
//   ---                          the next layer (image targets)
//
// Modes are octal and optional. Unknown type letters are regular files.

struct FzaEntry {
  char type = 'f';
  std::string name;
  std::string target;
  std::string content;
  int mode = 0644;
};
using FzaLayer = std::vector<FzaEntry>;

inline bool is_fza(std::string_view text) {
  return text.starts_with("FZA\n");
}

inline std::vector<FzaLayer> parse_fza(std::string_view text) {
  std::vector<FzaLayer> layers(1);
  std::size_t pos = text.find('\n');
  pos = pos == std::string_view::npos ? text.size() : pos + 1;
  auto next_line = [&](std::string_view& line) {
    if (pos >= text.size()) return false;
    auto nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    line = text.substr(pos, nl - pos);
    pos = nl + 1;
    return true;
  };
  std::string_view line;
  while (next_line(line)) {
    if (line == "---") {
      layers.emplace_back();
      continue;
    }
    if (line.size() < 3 || line[1] != ' ') continue;
    FzaEntry e;
    e.type = line[0];
    std::string_view rest = line.substr(2);
    auto sp = rest.find(' ');
    e.name = std::string(rest.substr(0, sp));
    std::string_view tail = sp == std::string_view::npos ? std::string_view{} : rest.substr(sp + 1);
    if (e.type == 'l' || e.type == 'h') {
      e.target = std::string(tail);
    } else if (!tail.empty()) {
      int mode = 0;
      bool ok = tail.size() <= 6;
      for (std::size_t i = 0; ok && i < tail.size(); ++i) {
        if (tail[i] < '0' || tail[i] > '7') ok = false;
        mode = mode * 8 + (tail[i] - '0');
      }
      if (ok) e.mode = mode;
    }
    if (e.type == 'f' || !std::strchr("dlhcp", e.type)) {
      std::string_view body;
      while (next_line(body) && body != ".") {
        e.content.append(body);
        e.content.push_back('\n');
      }
    }
    layers.back().push_back(std::move(e));
  }
  return layers;
}

// A pax tar of the entries, written by libarchive.
inline std::string write_tar(const FzaLayer& entries) {
  std::string out;
  struct archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  archive_write_set_bytes_in_last_block(a, 1);
  archive_write_open(
      a, &out, nullptr,
      [](struct archive*, void* client, const void* buf, std::size_t n) -> la_ssize_t {
        static_cast<std::string*>(client)->append(static_cast<const char*>(buf), n);
        return static_cast<la_ssize_t>(n);
      },
      nullptr);
  for (const auto& e : entries) {
    struct archive_entry* ae = archive_entry_new();
    archive_entry_set_pathname(ae, e.name.c_str());
    archive_entry_set_perm(ae, static_cast<mode_t>(e.mode & 07777));
    switch (e.type) {
      case 'd': archive_entry_set_filetype(ae, AE_IFDIR); break;
      case 'l':
        archive_entry_set_filetype(ae, AE_IFLNK);
        archive_entry_set_symlink(ae, e.target.c_str());
        break;
      case 'h':
        archive_entry_set_filetype(ae, AE_IFREG);
        archive_entry_set_hardlink(ae, e.target.c_str());
        break;
      case 'c': archive_entry_set_filetype(ae, AE_IFCHR); break;
      case 'p': archive_entry_set_filetype(ae, AE_IFIFO); break;
      default:
        archive_entry_set_filetype(ae, AE_IFREG);
        archive_entry_set_size(ae, static_cast<la_int64_t>(e.content.size()));
        break;
    }
    if (archive_write_header(a, ae) == ARCHIVE_OK && (e.type == 'f' || !std::strchr("dlhcp", e.type)) &&
        !e.content.empty()) {
      (void)archive_write_data(a, e.content.data(), e.content.size());
    }
    archive_entry_free(ae);
  }
  archive_write_close(a);
  archive_write_free(a);
  return out;
}

}  // namespace bulwark::fuzz
