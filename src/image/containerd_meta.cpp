#include "image/containerd_meta.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cstring>
#include <functional>
#include <optional>

#include "util/sha256.hpp"

namespace bulwark::image {

namespace {

// bbolt's on-disk format (go.etcd.io/bbolt): fixed-size pages, each with a 16-byte header
// (id u64, flags u16, count u16, overflow u32); pages 0 and 1 hold the two meta records.
constexpr std::uint32_t kMagic = 0xED0CDAED;
constexpr std::uint16_t kBranchPage = 0x01;
constexpr std::uint16_t kLeafPage = 0x02;
constexpr std::uint32_t kBucketLeaf = 0x01;
constexpr std::size_t kPageHeader = 16;
constexpr std::size_t kElement = 16;       // branch and leaf elements are both 16 bytes
constexpr std::size_t kBucketHeader = 16;  // root pgid u64, sequence u64
constexpr std::size_t kMetaChecksumAt = 56;
constexpr int kMaxDepth = 64;
constexpr std::size_t kMaxPagesVisited = 1'000'000;
constexpr std::size_t kMaxRecords = 100'000;
constexpr std::uint64_t kMaxFileBytes = 4ULL << 30;

template <typename T>
T load(std::string_view data, std::size_t at) {
  T v{};
  std::memcpy(&v, data.data() + at, sizeof(T));  // bbolt writes the host's order; x86 and arm64 are little-endian
  return v;
}

std::uint64_t fnv1a64(std::string_view bytes) {
  std::uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

struct Meta {
  std::uint32_t page_size = 0;
  std::uint64_t root = 0;
  std::uint64_t high_water = 0;
  std::uint64_t txid = 0;
};

std::optional<Meta> meta_at(std::string_view db, std::size_t page_offset) {
  const std::size_t at = page_offset + kPageHeader;
  if (db.size() < at + kMetaChecksumAt + 8) return std::nullopt;
  if (load<std::uint32_t>(db, at) != kMagic || load<std::uint32_t>(db, at + 4) != 2) return std::nullopt;
  if (load<std::uint64_t>(db, at + kMetaChecksumAt) != fnv1a64(db.substr(at, kMetaChecksumAt))) return std::nullopt;
  Meta m;
  m.page_size = load<std::uint32_t>(db, at + 8);
  m.root = load<std::uint64_t>(db, at + 16);
  m.high_water = load<std::uint64_t>(db, at + 40);
  m.txid = load<std::uint64_t>(db, at + 48);
  if (m.page_size < 512 || m.page_size > (1U << 20) || (m.page_size & (m.page_size - 1)) != 0) return std::nullopt;
  return m;
}

class Bolt {
 public:
  Bolt(std::string_view db, std::uint32_t page_size) : db_(db), page_size_(page_size) {}

  // A leaf entry: its key, its value and whether the value is a nested bucket.
  using Visit = std::function<Status(std::string_view key, std::string_view value, bool bucket)>;

  // Calls visit for each entry of the bucket whose 16-byte header (and inline page) is `bucket`.
  Status for_each(std::string_view bucket, const Visit& visit) {
    if (bucket.size() < kBucketHeader) return bad("a bucket record is shorter than its header");
    const auto root = load<std::uint64_t>(bucket, 0);
    if (root == 0) return walk_page(bucket.substr(kBucketHeader), visit, 0);  // an inline bucket
    return walk(root, visit, 0);
  }

  // The value of key in the bucket; nullopt when absent. `bucket_wanted` says which kind is expected.
  Result<std::optional<std::string_view>> get(std::string_view bucket, std::string_view key, bool bucket_wanted) {
    std::optional<std::string_view> found;
    auto st = for_each(bucket, [&](std::string_view k, std::string_view v, bool is_bucket) -> Status {
      if (k == key && is_bucket == bucket_wanted) found = v;
      return {};
    });
    if (!st) return std::unexpected(st.error());
    return found;
  }

 private:
  static Error bad_error(std::string message) { return Error{ErrorCode::parse, std::move(message)}; }
  static Status bad(std::string message) { return std::unexpected(bad_error(std::move(message))); }

  Result<std::string_view> page(std::uint64_t id) {
    if (++visited_ > kMaxPagesVisited) return std::unexpected(bad_error("too many pages visited (a loop?)"));
    const std::uint64_t offset = id * page_size_;
    if (id >= db_.size() / page_size_ || offset + kPageHeader > db_.size()) {
      return std::unexpected(bad_error(fmt::format("page {} is past the end of the file", id)));
    }
    const auto overflow = load<std::uint32_t>(db_, offset + 12);
    const std::uint64_t length = (static_cast<std::uint64_t>(overflow) + 1) * page_size_;
    if (length > db_.size() - offset) {
      return std::unexpected(bad_error(fmt::format("page {} runs past the end of the file", id)));
    }
    return db_.substr(offset, length);
  }

  Status walk(std::uint64_t id, const Visit& visit, int depth) {
    auto p = page(id);
    if (!p) return std::unexpected(p.error());
    return walk_page(*p, visit, depth);
  }

  Status walk_page(std::string_view p, const Visit& visit, int depth) {
    if (depth > kMaxDepth) return bad("the tree is nested too deeply");
    if (p.size() < kPageHeader) return bad("a page is shorter than its header");
    const auto flags = load<std::uint16_t>(p, 8);
    const std::size_t count = load<std::uint16_t>(p, 10);
    if (kPageHeader + count * kElement > p.size()) return bad("a page's elements run past its end");
    for (std::size_t i = 0; i < count; ++i) {
      const std::size_t elem = kPageHeader + i * kElement;
      if (flags & kBranchPage) {
        const auto child = load<std::uint64_t>(p, elem + 8);
        if (auto st = walk(child, visit, depth + 1); !st) return st;
      } else if (flags & kLeafPage) {
        const auto eflags = load<std::uint32_t>(p, elem);
        const std::uint64_t pos = load<std::uint32_t>(p, elem + 4);
        const std::uint64_t ksize = load<std::uint32_t>(p, elem + 8);
        const std::uint64_t vsize = load<std::uint32_t>(p, elem + 12);
        if (elem + pos + ksize + vsize > p.size()) return bad("a leaf entry runs past its page");
        auto key = p.substr(elem + pos, ksize);
        auto value = p.substr(elem + pos + ksize, vsize);
        if (auto st = visit(key, value, (eflags & kBucketLeaf) != 0); !st) return st;
      } else {
        return bad(fmt::format("a page of kind {:#x} where a branch or leaf page belongs", flags));
      }
    }
    return {};
  }

  std::string_view db_;
  std::uint32_t page_size_;
  std::size_t visited_ = 0;
};

// Go's binary.PutVarint: zig-zag, then 7 bits a byte.
std::optional<std::int64_t> read_varint(std::string_view v) {
  std::uint64_t x = 0;
  int shift = 0;
  for (unsigned char c : v) {
    if (shift > 63) return std::nullopt;
    x |= static_cast<std::uint64_t>(c & 0x7f) << shift;
    if ((c & 0x80) == 0) return static_cast<std::int64_t>((x >> 1) ^ (~(x & 1) + 1));
    shift += 7;
  }
  return std::nullopt;
}

}  // namespace

Result<std::vector<ContainerdImageRecord>> read_containerd_images(std::string_view db, std::string_view ns) {
  auto m0 = meta_at(db, 0);
  std::optional<Meta> m1;
  // The second meta record is one page in: the first record's page size when it is readable, else
  // the usual 4096.
  m1 = meta_at(db, m0 ? m0->page_size : 4096);
  std::optional<Meta> meta = m0 && (!m1 || m0->txid >= m1->txid) ? m0 : m1;
  if (!meta) return fail(ErrorCode::parse, "not a bbolt database (no valid meta page)");
  Bolt bolt(db, meta->page_size);
  std::string root(kBucketHeader, '\0');
  std::memcpy(root.data(), &meta->root, sizeof(meta->root));

  auto v1 = bolt.get(root, "v1", true);
  if (!v1) return std::unexpected(v1.error());
  if (!*v1) return fail(ErrorCode::parse, "no v1 bucket: not containerd's metadata database");
  std::vector<ContainerdImageRecord> out;
  auto st = bolt.for_each(**v1, [&](std::string_view space, std::string_view space_bucket, bool is_bucket) -> Status {
    if (!is_bucket || (!ns.empty() && space != ns)) return {};
    auto images = bolt.get(space_bucket, "images", true);
    if (!images) return std::unexpected(images.error());
    if (!*images) return {};
    return bolt.for_each(**images, [&](std::string_view name, std::string_view image, bool image_is_bucket) -> Status {
      if (!image_is_bucket) return {};
      auto target = bolt.get(image, "target", true);
      if (!target) return std::unexpected(target.error());
      if (!*target) return {};
      ContainerdImageRecord r;
      r.ns = std::string(space);
      r.name = std::string(name);
      auto fields = bolt.for_each(**target, [&](std::string_view k, std::string_view v, bool b) -> Status {
        if (b) return {};
        if (k == "digest") r.digest = std::string(v);
        if (k == "mediatype") r.media_type = std::string(v);
        if (k == "size") {
          if (auto n = read_varint(v); n && *n >= 0) r.size = static_cast<std::uint64_t>(*n);
        }
        return {};
      });
      if (!fields) return fields;
      if (!util::parse_digest(r.digest)) return {};  // a record without a usable digest names nothing
      if (out.size() >= kMaxRecords) return fail(ErrorCode::limit, "more than 100000 image records");
      out.push_back(std::move(r));
      return {};
    });
  });
  if (!st) return std::unexpected(st.error());
  return out;
}

Result<std::vector<ContainerdImageRecord>> read_containerd_images_file(const std::filesystem::path& file,
                                                                       std::string_view ns) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return fail(ErrorCode::io, std::strerror(errno), file.string());
  struct stat sb {};
  if (::fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
    ::close(fd);
    return fail(ErrorCode::io, "not a regular file", file.string());
  }
  const auto size = static_cast<std::uint64_t>(sb.st_size);
  if (size == 0 || size > kMaxFileBytes) {
    ::close(fd);
    return fail(ErrorCode::limit, fmt::format("{} bytes: not a metadata database this reader takes", size),
                file.string());
  }
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) return fail(ErrorCode::io, std::strerror(errno), file.string());
  auto out = read_containerd_images(std::string_view(static_cast<const char*>(map), size), ns);
  ::munmap(map, size);
  if (!out) return std::unexpected(out.error().within(file.string()));
  return out;
}

std::vector<std::string> containerd_name_candidates(std::string_view name) {
  std::vector<std::string> out{std::string(name)};
  std::string n(name);
  auto slash = n.find('/');
  auto last_slash = n.rfind('/');
  auto colon = n.rfind(':');
  const bool has_tag = colon != std::string::npos && (last_slash == std::string::npos || colon > last_slash);
  if (!has_tag && n.find('@') == std::string::npos) n += ":latest";
  std::string first = slash == std::string::npos ? std::string() : n.substr(0, slash);
  const bool has_host = slash != std::string::npos && (first.find('.') != std::string::npos ||
                                                       first.find(':') != std::string::npos || first == "localhost");
  if (!has_host) n = (slash == std::string::npos ? "docker.io/library/" : "docker.io/") + n;
  if (n != out.front()) out.push_back(n);
  return out;
}

}  // namespace bulwark::image
