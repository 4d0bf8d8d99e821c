// A minimal reader of tar headers: enough to find the members of a `docker save`
// or OCI archive and read them in place. Layer tars are not read here; they go
// through libarchive (see rootfs.cpp).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "core/filetree.hpp"
#include "image/internal.hpp"
#include "util/fd.hpp"
#include "util/strings.hpp"

namespace bulwark::image::detail {

namespace {

constexpr std::size_t kBlock = 512;
// pax and GNU long-name records hold one name; anything bigger is not a name.
constexpr std::uint64_t kMaxNameRecord = 1 << 20;

using util::Fd;

Status pread_all(int fd, void* buf, std::size_t size, std::uint64_t offset, const std::string& name) {
  auto* p = static_cast<char*>(buf);
  std::size_t done = 0;
  while (done < size) {
    ssize_t n = ::pread(fd, p + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(ErrorCode::io, std::strerror(errno), name);
    }
    if (n == 0) return fail(ErrorCode::parse, "unexpected end of the tar archive (truncated?)", name);
    done += static_cast<std::size_t>(n);
  }
  return {};
}

std::string fmt_offset(std::string_view message, std::uint64_t pos) {
  return fmt::format("{} at offset {}", message, pos);
}

std::string field(const char* p, std::size_t n) {
  std::size_t len = 0;
  while (len < n && p[len] != '\0') ++len;
  return std::string(p, len);
}

// Octal, or base-256 when the high bit of the first byte is set (GNU, for sizes >= 8 GiB).
std::optional<std::uint64_t> number(const char* p, std::size_t n) {
  auto u = reinterpret_cast<const unsigned char*>(p);
  if (u[0] & 0x80) {
    if (u[0] != 0x80) return std::nullopt;  // negative or too large
    std::uint64_t v = 0;
    for (std::size_t i = 1; i < n; ++i) {
      if (v >> 56) return std::nullopt;
      v = (v << 8) | u[i];
    }
    return v;
  }
  std::uint64_t v = 0;
  std::size_t i = 0;
  while (i < n && (p[i] == ' ' || p[i] == '\0')) ++i;
  bool any = false;
  for (; i < n && p[i] >= '0' && p[i] <= '7'; ++i) {
    if (v >> 60) return std::nullopt;
    v = v * 8 + static_cast<std::uint64_t>(p[i] - '0');
    any = true;
  }
  for (; i < n; ++i) {
    if (p[i] != ' ' && p[i] != '\0') return std::nullopt;
  }
  if (!any) return 0;
  return v;
}

bool checksum_ok(const std::array<char, kBlock>& h) {
  auto stored = number(h.data() + 148, 8);
  if (!stored) return false;
  std::uint64_t unsigned_sum = 0;
  std::int64_t signed_sum = 0;
  for (std::size_t i = 0; i < kBlock; ++i) {
    char c = (i >= 148 && i < 156) ? ' ' : h[i];
    unsigned_sum += static_cast<unsigned char>(c);
    signed_sum += static_cast<signed char>(c);
  }
  // Some old writers summed signed chars.
  return *stored == unsigned_sum || static_cast<std::int64_t>(*stored) == signed_sum;
}

// The "path" and "linkpath" values of a pax extended header ("LEN key=value\n"...).
Status parse_pax(std::string_view data, std::string& path, std::string& linkpath, const std::string& name) {
  while (!data.empty()) {
    auto space = data.find(' ');
    if (space == std::string_view::npos) return fail(ErrorCode::parse, "malformed pax header record", name);
    auto len = util::parse_u64(data.substr(0, space));
    if (!len || *len <= space + 1 || *len > data.size() || data[*len - 1] != '\n') {
      return fail(ErrorCode::parse, "malformed pax header record", name);
    }
    auto record = data.substr(space + 1, *len - space - 2);
    auto eq = record.find('=');
    if (eq != std::string_view::npos) {
      auto key = record.substr(0, eq);
      auto value = record.substr(eq + 1);
      if (key == "path") path = std::string(value);
      if (key == "linkpath") linkpath = std::string(value);
    }
    data.remove_prefix(*len);
  }
  return {};
}

Result<std::string> checked_name(const std::string& raw, const std::string& archive) {
  if (raw.starts_with('/')) {
    return fail(ErrorCode::hostile, "archive member has an absolute name '" + util::printable(raw) + "'", archive);
  }
  auto norm = core::normalize_path(raw);
  if (!norm) {
    return fail(ErrorCode::hostile, "archive member name climbs out with '..': '" + util::printable(raw) + "'",
                archive);
  }
  return *norm;
}

}  // namespace

Result<TarIndex> TarIndex::build(const std::filesystem::path& path, const core::Limits& limits) {
  const std::string name = path.string();
  int raw_fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (raw_fd < 0) {
    return fail(errno == ENOENT ? ErrorCode::not_found : ErrorCode::io, std::strerror(errno), name);
  }
  Fd fd(raw_fd);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return fail(ErrorCode::io, std::strerror(errno), name);
  if (!S_ISREG(st.st_mode)) return fail(ErrorCode::invalid_argument, "not a regular file", name);
  const auto file_size = static_cast<std::uint64_t>(st.st_size);

  TarIndex index;
  index.path_ = path;
  std::uint64_t pos = 0;
  std::string long_name;
  std::string long_link;
  std::string pax_path;
  std::string pax_link;
  std::array<char, kBlock> h{};
  while (true) {
    if (pos + kBlock > file_size) {
      // Some writers omit the end-of-archive blocks; a partial header is truncation.
      if (pos == file_size) break;
      return fail(ErrorCode::parse, "tar archive ends inside a header (truncated?)", name);
    }
    if (auto s = pread_all(fd.get(), h.data(), kBlock, pos, name); !s) return std::unexpected(s.error());
    if (std::all_of(h.begin(), h.end(), [](char c) { return c == '\0'; })) break;
    if (!checksum_ok(h)) {
      return fail(ErrorCode::parse, fmt_offset("not a tar archive, or a corrupt header", pos), name);
    }
    auto size = number(h.data() + 124, 12);
    if (!size) return fail(ErrorCode::parse, fmt_offset("tar header has an invalid size", pos), name);
    const std::uint64_t data_at = pos + kBlock;
    if (*size > file_size || data_at + *size > file_size) {
      return fail(ErrorCode::parse, fmt_offset("tar member extends beyond the end of the archive", pos), name);
    }
    const std::uint64_t padded = (*size + kBlock - 1) / kBlock * kBlock;
    const char type = h[156];
    pos = data_at + padded;

    if (type == 'L' || type == 'K' || type == 'x') {
      if (*size > kMaxNameRecord) return fail(ErrorCode::limit, "tar name record is too large", name);
      std::string data(static_cast<std::size_t>(*size), '\0');
      if (auto s = pread_all(fd.get(), data.data(), data.size(), data_at, name); !s) return std::unexpected(s.error());
      if (type == 'L') long_name = field(data.data(), data.size());
      if (type == 'K') long_link = field(data.data(), data.size());
      if (type == 'x') {
        if (auto s = parse_pax(data, pax_path, pax_link, name); !s) return std::unexpected(s.error());
      }
      continue;
    }
    if (type == 'g') continue;  // global pax headers carry no names we need

    std::string member = field(h.data(), 100);
    if (std::memcmp(h.data() + 257, "ustar", 5) == 0) {
      std::string prefix = field(h.data() + 345, 155);
      if (!prefix.empty()) member = prefix + "/" + member;
    }
    std::string link = field(h.data() + 157, 100);
    if (!long_name.empty()) member = long_name;
    if (!pax_path.empty()) member = pax_path;
    if (!long_link.empty()) link = long_link;
    if (!pax_link.empty()) link = pax_link;
    long_name.clear();
    long_link.clear();
    pax_path.clear();
    pax_link.clear();

    auto checked = checked_name(member, name);
    if (!checked) return std::unexpected(checked.error());
    if (index.members_.size() >= limits.max_file_count) {
      return fail(ErrorCode::limit, "tar archive has more members than the limit (--max-files raises it)", name);
    }
    TarMember m;
    m.offset = data_at;
    m.size = *size;
    switch (type) {
      case '0':
      case '\0':
      case '7': m.type = TarMemberType::file; break;
      case '5': m.type = TarMemberType::directory; break;
      case '2':
        m.type = TarMemberType::symlink;
        m.link_target = link;
        m.size = 0;
        break;
      case '1':
        m.type = TarMemberType::hardlink;
        m.link_target = link;
        m.size = 0;
        break;
      default: m.type = TarMemberType::other; break;
    }
    if (checked->empty()) continue;  // "./" itself
    index.members_.insert_or_assign(std::move(*checked), std::move(m));
  }
  return index;
}

const TarMember* TarIndex::find(std::string_view name) const {
  std::string current(name);
  // docker save (before 25) links repeated layers to the first copy.
  for (int hop = 0; hop < 8; ++hop) {
    auto it = members_.find(current);
    if (it == members_.end()) return nullptr;
    const TarMember& m = it->second;
    if (m.type == TarMemberType::file) return &m;
    if (m.type != TarMemberType::symlink && m.type != TarMemberType::hardlink) return nullptr;
    std::string target;
    if (m.type == TarMemberType::symlink && !m.link_target.starts_with('/')) {
      auto slash = current.rfind('/');
      target = (slash == std::string::npos ? std::string() : current.substr(0, slash + 1)) + m.link_target;
    } else {
      target = m.link_target;
    }
    if (target.starts_with('/')) return nullptr;  // never leave the archive
    auto norm = core::normalize_path(target);
    if (!norm) return nullptr;
    current = std::move(*norm);
  }
  return nullptr;
}

Result<std::unique_ptr<util::ByteStream>> TarIndex::open(std::string_view name) const {
  const TarMember* m = find(name);
  if (!m) {
    return fail(ErrorCode::not_found, "archive has no member '" + util::printable(name) + "'", path_.string());
  }
  return util::open_file_stream(path_, m->offset, m->size);
}

}  // namespace bulwark::image::detail
