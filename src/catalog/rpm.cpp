// rpm: the three rpmdb formats read natively (no librpm), and the header blob parser.
//  - Berkeley DB hash (var/lib/rpm/Packages, RHEL <= 8, CentOS, Amazon Linux 2): metadata page,
//    hash pages whose value items point at chains of overflow pages holding the header blob.
//  - NDB (usr/lib/sysimage/rpm/Packages.db, SUSE): slot pages naming blob offsets.
//  - SQLite (rpmdb.sqlite, RHEL 9, Fedora, Amazon Linux 2023): table Packages(hnum, blob).
// All offsets and counts come from the image and are checked before use.
#include <fmt/format.h>
#include <sqlite3.h>

#include <cstring>
#include <memory>

#include "catalog/internal.hpp"
#include "util/strings.hpp"

namespace bulwark::catalog {

namespace {

constexpr std::size_t kMaxBlobs = 1'000'000;
constexpr std::uint32_t kMaxHeaderBytes = 256u << 20;  // rpm's own HEADER_DATA_MAX
constexpr std::uint32_t kMaxHeaderTags = 0xffff;       // rpm's own HEADER_TAGS_MAX

std::uint32_t be32(const unsigned char* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}
std::uint32_t le32(const unsigned char* p) {
  return (std::uint32_t{p[3]} << 24) | (std::uint32_t{p[2]} << 16) | (std::uint32_t{p[1]} << 8) | p[0];
}

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

enum class Endian { little, big };

struct Reader {
  std::string_view data;
  Endian endian;
  [[nodiscard]] std::uint32_t u32(std::size_t off) const {
    return endian == Endian::little ? le32(bytes(data) + off) : be32(bytes(data) + off);
  }
  [[nodiscard]] std::uint16_t u16(std::size_t off) const {
    auto p = bytes(data) + off;
    return endian == Endian::little ? static_cast<std::uint16_t>(p[0] | (p[1] << 8))
                                    : static_cast<std::uint16_t>((p[0] << 8) | p[1]);
  }
};

enum RpmTag : std::uint32_t {
  kName = 1000,
  kVersion = 1001,
  kRelease = 1002,
  kEpoch = 1003,
  kSize = 1009,
  kVendor = 1011,
  kLicense = 1014,
  kArch = 1022,
  kSourceRpm = 1044,
};
enum RpmType : std::uint32_t { kInt32 = 4, kString = 6, kStringArray = 8, kI18nString = 9 };

}  // namespace

Result<RpmInfo> parse_rpm_header(std::string_view blob) {
  if (blob.size() < 8) return fail(ErrorCode::parse, "rpm header shorter than its preamble");
  auto p = bytes(blob);
  std::uint32_t il = be32(p), dl = be32(p + 4);
  if (il == 0 || il > kMaxHeaderTags)
    return fail(ErrorCode::parse, fmt::format("rpm header tag count {} out of range", il));
  if (dl > kMaxHeaderBytes) return fail(ErrorCode::parse, fmt::format("rpm header data size {} out of range", dl));
  std::uint64_t index_end = 8 + std::uint64_t{il} * 16;
  if (index_end + dl > blob.size()) {
    return fail(ErrorCode::parse,
                fmt::format("rpm header claims {} tags and {} data bytes, blob has {} bytes", il, dl, blob.size()));
  }
  std::string_view store = blob.substr(index_end, dl);
  RpmInfo info;
  for (std::uint32_t i = 0; i < il; ++i) {
    auto e = p + 8 + std::size_t{i} * 16;
    std::uint32_t tag = be32(e), type = be32(e + 4), offset = be32(e + 8), count = be32(e + 12);
    if (offset >= store.size()) continue;  // checked again per type below; out of range tags are ignored
    auto string_at = [&]() -> std::optional<std::string> {
      if (type != kString && type != kI18nString && type != kStringArray) return std::nullopt;
      auto rest = store.substr(offset);
      auto nul = rest.find('\0');
      if (nul == std::string_view::npos) return std::nullopt;
      return std::string(rest.substr(0, nul));
    };
    auto int_at = [&]() -> std::optional<std::uint32_t> {
      if (type != kInt32 || count < 1 || std::uint64_t{offset} + 4 > store.size()) return std::nullopt;
      return be32(bytes(store) + offset);
    };
    switch (tag) {
      case kName: info.name = string_at().value_or(""); break;
      case kVersion: info.version = string_at().value_or(""); break;
      case kRelease: info.release = string_at().value_or(""); break;
      case kArch: info.arch = string_at().value_or(""); break;
      case kSourceRpm: info.source_rpm = string_at().value_or(""); break;
      case kLicense: info.license = string_at().value_or(""); break;
      case kVendor: info.vendor = string_at().value_or(""); break;
      case kEpoch:
        if (auto v = int_at()) info.epoch = static_cast<std::int32_t>(*v);
        break;
      case kSize:
        if (auto v = int_at()) info.size = *v;
        break;
      default: break;
    }
  }
  if (info.name.empty()) return fail(ErrorCode::parse, "rpm header has no NAME tag");
  return info;
}

// --- Berkeley DB hash -------------------------------------------------------------------------

Result<std::vector<std::string>> read_rpm_bdb(std::string_view file) {
  constexpr std::uint32_t kHashMagic = 0x061561;
  constexpr unsigned char kPageHash = 13, kPageHashUnsorted = 2, kPageOverflow = 7;
  constexpr unsigned char kItemKeyData = 1, kItemOffPage = 3;
  constexpr std::size_t kPageHeader = 26;
  if (file.size() < 512) return fail(ErrorCode::parse, "Berkeley DB file shorter than its metadata page");
  Reader r{file, Endian::little};
  if (r.u32(12) != kHashMagic) {
    r.endian = Endian::big;
    if (r.u32(12) != kHashMagic) return fail(ErrorCode::parse, "not a Berkeley DB hash database (bad magic)");
  }
  if (static_cast<unsigned char>(file[24]) != 0) return fail(ErrorCode::unsupported, "encrypted Berkeley DB");
  std::uint32_t page_size = r.u32(20);
  if (page_size < 512 || page_size > 65536 || (page_size & (page_size - 1)) != 0) {
    return fail(ErrorCode::parse, fmt::format("Berkeley DB page size {} is invalid", page_size));
  }
  std::uint64_t last_page = r.u32(32);
  std::uint64_t pages = file.size() / page_size;
  if (last_page >= pages) last_page = pages ? pages - 1 : 0;

  std::vector<std::string> blobs;
  for (std::uint64_t pg = 1; pg <= last_page; ++pg) {
    std::size_t base = pg * page_size;
    auto type = static_cast<unsigned char>(file[base + 25]);
    if (type != kPageHash && type != kPageHashUnsorted) continue;
    std::uint32_t entries = r.u16(base + 20);
    if (kPageHeader + std::uint64_t{entries} * 2 > page_size) {
      return fail(ErrorCode::parse, fmt::format("hash page {} claims {} entries", pg, entries));
    }
    // Entries come in key/value pairs; the value is every second one.
    for (std::uint32_t i = 1; i < entries; i += 2) {
      // Key 0 holds rpm's instance counter, not a header.
      std::uint32_t key = r.u16(base + kPageHeader + (i - 1) * 2);
      std::uint32_t key_end = i >= 2 ? r.u16(base + kPageHeader + (i - 2) * 2) : page_size;
      if (key < page_size && key_end <= page_size && key_end == key + 5 &&
          static_cast<unsigned char>(file[base + key]) == kItemKeyData &&
          file.substr(base + key + 1, 4) == std::string_view("\0\0\0\0", 4)) {
        continue;
      }
      std::uint32_t item = r.u16(base + kPageHeader + i * 2);
      if (item >= page_size) return fail(ErrorCode::parse, fmt::format("hash page {} item offset out of page", pg));
      auto item_type = static_cast<unsigned char>(file[base + item]);
      if (item_type == kItemKeyData) {
        // On-page value: it runs up to the previous item (items are laid out from the page end down).
        std::uint32_t end = page_size;
        if (i > 0) end = r.u16(base + kPageHeader + (i - 1) * 2);
        if (end > page_size || end <= item + 1) continue;
        blobs.emplace_back(file.substr(base + item + 1, end - item - 1));
        continue;
      }
      if (item_type != kItemOffPage) continue;
      if (item + 12 > page_size) return fail(ErrorCode::parse, fmt::format("hash page {} off-page item truncated", pg));
      std::uint64_t next = r.u32(base + item + 4);
      std::uint64_t total = r.u32(base + item + 8);
      if (total > kMaxHeaderBytes) return fail(ErrorCode::limit, fmt::format("rpm header of {} bytes", total));
      std::string blob;
      blob.reserve(total);
      std::uint64_t hops = 0;
      while (next != 0 && blob.size() < total) {
        if (next >= pages || ++hops > pages) {
          return fail(ErrorCode::parse, fmt::format("overflow chain from page {} leaves the file or loops", pg));
        }
        std::size_t ob = next * page_size;
        if (static_cast<unsigned char>(file[ob + 25]) != kPageOverflow) {
          return fail(ErrorCode::parse, fmt::format("page {} in an overflow chain is not an overflow page", next));
        }
        std::uint32_t len = r.u16(ob + 22);  // on overflow pages: bytes of data on this page
        if (len > page_size - kPageHeader) return fail(ErrorCode::parse, fmt::format("overflow page {} length", next));
        std::uint64_t take = std::min<std::uint64_t>(len, total - blob.size());
        blob.append(file.substr(ob + kPageHeader, take));
        next = r.u32(ob + 16);
      }
      if (blob.size() != total) return fail(ErrorCode::parse, fmt::format("overflow chain from page {} is short", pg));
      if (blobs.size() >= kMaxBlobs) return fail(ErrorCode::limit, "too many records in the rpm database");
      blobs.push_back(std::move(blob));
    }
  }
  return blobs;
}

// --- NDB -------------------------------------------------------------------------------------

Result<std::vector<std::string>> read_rpm_ndb(std::string_view file) {
  constexpr std::uint32_t kHeaderMagic = 'R' | ('p' << 8) | ('m' << 16) | (std::uint32_t{'P'} << 24);
  constexpr std::uint32_t kSlotMagic = 'S' | ('l' << 8) | ('o' << 16) | (std::uint32_t{'t'} << 24);
  constexpr std::uint32_t kBlobMagic = 'B' | ('l' << 8) | ('b' << 16) | (std::uint32_t{'S'} << 24);
  constexpr std::size_t kSlotPage = 4096, kSlotSize = 16, kBlockSize = 16;
  if (file.size() < 32) return fail(ErrorCode::parse, "NDB file shorter than its header");
  auto p = bytes(file);
  if (le32(p) != kHeaderMagic) return fail(ErrorCode::parse, "not an rpm NDB database (bad magic)");
  if (le32(p + 4) != 0) return fail(ErrorCode::unsupported, fmt::format("NDB version {}", le32(p + 4)));
  std::uint64_t slot_pages = le32(p + 12);
  if (slot_pages == 0 || slot_pages * kSlotPage > file.size()) {
    return fail(ErrorCode::parse, fmt::format("NDB slot area of {} pages exceeds the file", slot_pages));
  }
  std::vector<std::string> blobs;
  // The first two slot-sized entries are the file header.
  for (std::uint64_t off = 2 * kSlotSize; off + kSlotSize <= slot_pages * kSlotPage; off += kSlotSize) {
    if (le32(p + off) != kSlotMagic) return fail(ErrorCode::parse, fmt::format("NDB slot at {} has a bad magic", off));
    std::uint32_t pkg = le32(p + off + 4);
    std::uint64_t blk_off = le32(p + off + 8);
    if (pkg == 0) continue;
    std::uint64_t at = blk_off * kBlockSize;
    if (at + 16 > file.size())
      return fail(ErrorCode::parse, fmt::format("NDB blob of package {} is past the end", pkg));
    if (le32(p + at) != kBlobMagic || le32(p + at + 4) != pkg) {
      return fail(ErrorCode::parse, fmt::format("NDB blob of package {} has a bad header", pkg));
    }
    std::uint64_t len = le32(p + at + 12);
    if (at + 16 + len > file.size())
      return fail(ErrorCode::parse, fmt::format("NDB blob of package {} is truncated", pkg));
    if (blobs.size() >= kMaxBlobs) return fail(ErrorCode::limit, "too many records in the rpm database");
    blobs.emplace_back(file.substr(at + 16, len));
  }
  return blobs;
}

// --- SQLite ----------------------------------------------------------------------------------

Result<std::vector<std::string>> read_rpm_sqlite(std::string_view file) {
  if (file.size() < 100 || file.substr(0, 16) != std::string_view("SQLite format 3\0", 16)) {
    return fail(ErrorCode::parse, "not an SQLite database (bad header)");
  }
  // The database is read from memory (sqlite3_deserialize): nothing is written to disk and the
  // image's file is never opened by SQLite. WAL-mode files (header bytes 18/19 == 2) are
  // switched to rollback mode in our copy, as an in-memory database cannot use a WAL.
  std::string copy(file);
  if (copy[18] == 2) copy[18] = 1;
  if (copy[19] == 2) copy[19] = 1;
  sqlite3* raw = nullptr;
  if (sqlite3_open_v2(":memory:", &raw, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(raw);
    return fail(ErrorCode::internal, "cannot open an in-memory SQLite database");
  }
  std::unique_ptr<sqlite3, decltype(&sqlite3_close)> db(raw, &sqlite3_close);
  sqlite3_db_config(db.get(), SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  sqlite3_db_config(db.get(), SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);
  auto* buf = reinterpret_cast<unsigned char*>(copy.data());
  if (sqlite3_deserialize(db.get(), "main", buf, static_cast<sqlite3_int64>(copy.size()),
                          static_cast<sqlite3_int64>(copy.size()), SQLITE_DESERIALIZE_READONLY) != SQLITE_OK) {
    return fail(ErrorCode::parse, fmt::format("SQLite cannot load the database: {}", sqlite3_errmsg(db.get())));
  }
  // SQLite's advice for untrusted database files: check cell sizes so a corrupt page is an
  // error rather than undefined reads.
  sqlite3_exec(db.get(), "PRAGMA cell_size_check=ON", nullptr, nullptr, nullptr);
  sqlite3_stmt* raw_stmt = nullptr;
  if (sqlite3_prepare_v2(db.get(), "SELECT blob FROM Packages", -1, &raw_stmt, nullptr) != SQLITE_OK) {
    return fail(ErrorCode::parse, fmt::format("no readable Packages table: {}", sqlite3_errmsg(db.get())));
  }
  std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)> stmt(raw_stmt, &sqlite3_finalize);
  std::vector<std::string> blobs;
  int rc = SQLITE_ROW;
  while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
    auto data = static_cast<const char*>(sqlite3_column_blob(stmt.get(), 0));
    int n = sqlite3_column_bytes(stmt.get(), 0);
    if (blobs.size() >= kMaxBlobs) return fail(ErrorCode::limit, "too many records in the rpm database");
    blobs.emplace_back(data && n > 0 ? std::string(data, static_cast<std::size_t>(n)) : std::string());
  }
  if (rc != SQLITE_DONE) return fail(ErrorCode::parse, fmt::format("reading Packages: {}", sqlite3_errmsg(db.get())));
  return blobs;
}

std::vector<core::Package> rpm_packages(const std::vector<std::string>& blobs, std::string_view path,
                                        core::Diagnostics& diags) {
  std::vector<core::Package> out;
  for (std::size_t i = 0; i < blobs.size(); ++i) {
    auto info = parse_rpm_header(blobs[i]);
    if (!info) {
      diags.warning("rpm-header", std::string(path), fmt::format("record {}: {}", i, info.error().message));
      continue;
    }
    if (info->name == "gpg-pubkey") continue;  // imported signing keys, not software
    core::Package p;
    p.name = info->name;
    p.epoch = info->epoch;
    p.version = (info->epoch ? fmt::format("{}:", *info->epoch) : std::string()) + info->version + "-" + info->release;
    p.architecture = info->arch;
    p.license = info->license;
    p.ecosystem = core::Ecosystem::rpm;
    p.path = std::string(path);
    // "name-version-release.src.rpm": the name may contain '-', version and release may not.
    std::string_view srpm = info->source_rpm;
    for (auto suffix : {".src.rpm", ".nosrc.rpm"}) {
      if (srpm.ends_with(suffix)) {
        srpm.remove_suffix(std::strlen(suffix));
        auto r = srpm.rfind('-');
        auto v = r == std::string_view::npos ? r : srpm.rfind('-', r - 1);
        if (v != std::string_view::npos && v > 0) {
          p.source_name = std::string(srpm.substr(0, v));
          p.source_version =
              (info->epoch ? fmt::format("{}:", *info->epoch) : std::string()) + std::string(srpm.substr(v + 1));
        }
        break;
      }
    }
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace bulwark::catalog
