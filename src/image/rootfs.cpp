// Layers become one FileTree in a single streaming pass each: blob -> digest check
// -> decompression -> diffID hash and limits -> libarchive's tar reader -> entries.
// Memory stays flat: fixed buffers, no layer is ever held whole, and content is kept
// only for wanted files under the size limit.
#include "image/rootfs.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <unordered_map>
#include <vector>

#include "image/internal.hpp"
#include "util/files.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"

namespace bulwark::image {

namespace {

constexpr std::size_t kBuffer = 256 * 1024;
// The decompression ratio is judged only after this much output: tiny layers
// (an empty folder) legitimately compress far better than any bomb threshold.
constexpr std::uint64_t kRatioGrace = 1 << 20;
constexpr std::string_view kWhiteoutPrefix = ".wh.";
constexpr std::string_view kOpaqueMarker = ".wh..wh..opq";
constexpr std::string_view kAufsMetaPrefix = ".wh..wh.";

// Counts the compressed bytes as they are read, for progress and the bomb check.
class CountingStream final : public util::ByteStream {
 public:
  CountingStream(std::unique_ptr<util::ByteStream> inner, core::Progress& progress)
      : inner_(std::move(inner)), progress_(progress) {}
  Result<std::size_t> read(void* buffer, std::size_t size) override {
    auto n = inner_->read(buffer, size);
    if (n && *n) {
      count_ += *n;
      progress_.advance(*n);
    }
    return n;
  }
  [[nodiscard]] std::uint64_t count() const noexcept { return count_; }

 private:
  std::unique_ptr<util::ByteStream> inner_;
  core::Progress& progress_;
  std::uint64_t count_ = 0;
};

// What libarchive's read callback pulls from: the uncompressed layer, hashed for the
// diffID and checked against the size and ratio limits as it goes.
struct LayerFeed {
  util::ByteStream* uncompressed = nullptr;
  const CountingStream* compressed = nullptr;
  const core::Limits* limits = nullptr;
  std::uint64_t* image_total = nullptr;  // over all layers
  std::string what;
  util::Sha256 diff_hash;
  bool hash_diff = true;  // false when the blob's own digest check already covers these bytes
  std::uint64_t bytes = 0;
  std::vector<char> buffer = std::vector<char>(kBuffer);
  std::optional<Error> error;

  Result<std::size_t> pull() {
    auto n = uncompressed->read(buffer.data(), buffer.size());
    if (!n) return n;
    if (*n == 0) return 0;
    if (hash_diff) diff_hash.update(buffer.data(), *n);
    bytes += *n;
    *image_total += *n;
    if (*image_total > limits->max_total_bytes) {
      return fail(ErrorCode::limit,
                  fmt::format("image is larger than the limit of {} uncompressed (--max-total-size MiB raises it)",
                              util::human_bytes(limits->max_total_bytes)),
                  what);
    }
    if (bytes > kRatioGrace &&
        bytes / std::max<std::uint64_t>(compressed->count(), 1) > limits->max_compression_ratio) {
      return fail(ErrorCode::limit,
                  fmt::format("decompression bomb? {} compressed bytes expanded to {} (ratio over {})",
                              compressed->count(), bytes, limits->max_compression_ratio),
                  what);
    }
    return n;
  }
};

la_ssize_t read_callback(struct archive* a, void* client, const void** out) {
  auto* feed = static_cast<LayerFeed*>(client);
  auto n = feed->pull();
  if (!n) {
    feed->error = n.error();
    archive_set_error(a, EIO, "%s", n.error().message.c_str());
    return -1;
  }
  *out = feed->buffer.data();
  return static_cast<la_ssize_t>(*n);
}

struct ArchiveDeleter {
  void operator()(struct archive* a) const noexcept { archive_read_free(a); }
};

core::FileType file_type(mode_t mode) {
  switch (mode & S_IFMT) {
    case S_IFREG: return core::FileType::regular;
    case S_IFDIR: return core::FileType::directory;
    case S_IFLNK: return core::FileType::symlink;
    case S_IFCHR: return core::FileType::char_device;
    case S_IFBLK: return core::FileType::block_device;
    case S_IFIFO: return core::FileType::fifo;
    case S_IFSOCK: return core::FileType::socket;
    default: return core::FileType::other;
  }
}

// One layer's changes, applied to the tree only when the layer is complete, so that
// its whiteouts reach the layers below it and never its own entries, whatever
// their order inside the tar.
struct LayerChanges {
  std::vector<core::FileEntry> entries;
  std::unordered_map<std::string, std::size_t> by_path;
  std::vector<std::string> whiteouts;
  std::vector<std::string> opaque_dirs;

  void put(core::FileEntry e) {
    auto [it, inserted] = by_path.try_emplace(e.path, entries.size());
    if (inserted) {
      entries.push_back(std::move(e));
    } else {
      entries[it->second] = std::move(e);
    }
  }
  [[nodiscard]] const core::FileEntry* find(const std::string& path) const {
    auto it = by_path.find(path);
    return it == by_path.end() ? nullptr : &entries[it->second];
  }
  void apply(core::FileTree& tree) {
    for (const auto& d : opaque_dirs) tree.remove_children(d);
    for (const auto& w : whiteouts) tree.remove(w);
    for (auto& e : entries) {
      // A file replacing a lower folder hides everything that was below it.
      if (e.type != core::FileType::directory) {
        if (const auto* old = tree.find(e.path); old && old->type == core::FileType::directory) tree.remove(e.path);
      }
      tree.put(std::move(e));
    }
  }
};

struct Counters {
  std::uint64_t entries = 0;
  std::uint64_t image_bytes = 0;
};

Status read_entries(struct archive* a, LayerFeed& feed, int layer, const core::FileWanted& wanted,
                    const core::Limits& limits, Counters& counters, const core::FileTree& tree, LayerChanges& changes,
                    const core::ContentProbe* probe) {
  const std::string& what = feed.what;
  auto archive_error = [&](std::string_view doing) -> Status {
    if (feed.error) return std::unexpected(*feed.error);
    const char* msg = archive_error_string(a);
    return fail(ErrorCode::parse, fmt::format("layer tar is malformed ({}): {}", doing, msg ? msg : "unknown error"),
                what);
  };
  struct archive_entry* entry = nullptr;
  while (true) {
    int rc = archive_read_next_header(a, &entry);
    if (rc == ARCHIVE_EOF) return {};
    if (rc < ARCHIVE_WARN) return archive_error("reading a header");
    const char* raw = archive_entry_pathname(entry);
    if (!raw) raw = archive_entry_pathname_utf8(entry);
    if (!raw) return fail(ErrorCode::parse, "layer entry has no readable name", what);
    std::string_view name(raw);
    const std::string shown = util::printable(name);
    if (name.size() > limits.max_path_length) {
      return fail(ErrorCode::limit, "entry path is longer than the limit", what + ": " + shown.substr(0, 200));
    }
    if (name.starts_with('/')) {
      return fail(ErrorCode::hostile, "layer entry has an absolute path '" + shown + "'", what);
    }
    auto path = core::normalize_path(name);
    if (!path) {
      return fail(ErrorCode::hostile, "layer entry '" + shown + "' climbs out of the root with '..'", what);
    }
    if (++counters.entries > limits.max_file_count) {
      return fail(ErrorCode::limit,
                  fmt::format("image has more than {} files (limit; --max-files raises it)", limits.max_file_count),
                  what);
    }
    const auto size = static_cast<std::uint64_t>(std::max<la_int64_t>(archive_entry_size(entry), 0));
    if (size > limits.max_file_bytes) {
      return fail(
          ErrorCode::limit,
          fmt::format("entry '{}' is {} bytes, over the single-file limit of {} (--max-file-size MiB raises it)", shown,
                      size, limits.max_file_bytes),
          what);
    }
    if (path->empty()) continue;  // "./" itself

    // An entry below a symlink would be written through the link on extraction
    // (e.g. "etc -> /host/etc" then "etc/passwd"): Docker refuses such layers, so do we.
    for (auto pos = path->find('/'); pos != std::string::npos; pos = path->find('/', pos + 1)) {
      std::string parent = path->substr(0, pos);
      const core::FileEntry* p = changes.find(parent);
      if (!p) p = tree.find(parent);
      if (p && p->type == core::FileType::symlink) {
        return fail(ErrorCode::hostile,
                    fmt::format("layer entry '{}' goes through the symlink '{}' (-> '{}'): a link escape", shown,
                                util::printable(parent), util::printable(p->link_target)),
                    what);
      }
    }

    // Whiteouts: ".wh.NAME" deletes NAME below this layer; ".wh..wh..opq" empties the folder.
    auto slash = path->rfind('/');
    std::string dir = slash == std::string::npos ? std::string() : path->substr(0, slash);
    std::string_view base = std::string_view(*path).substr(slash == std::string::npos ? 0 : slash + 1);
    if (base == kOpaqueMarker) {
      changes.opaque_dirs.push_back(dir);
      continue;
    }
    // Other ".wh..wh." names are aufs bookkeeping (hard-link folders), not whiteouts.
    if (base.starts_with(kAufsMetaPrefix)) {
      if (archive_read_data_skip(a) < ARCHIVE_WARN) return archive_error("skipping '" + shown + "'");
      continue;
    }
    if (base.starts_with(kWhiteoutPrefix)) {
      auto target = std::string(base.substr(kWhiteoutPrefix.size()));
      if (target.empty()) return fail(ErrorCode::parse, "empty whiteout name '" + shown + "'", what);
      changes.whiteouts.push_back(dir.empty() ? target : dir + "/" + target);
      continue;
    }

    core::FileEntry e;
    e.path = *path;
    e.layer = layer;
    e.mode = static_cast<std::uint32_t>(archive_entry_perm(entry)) & 07777U;
    e.uid = static_cast<std::uint32_t>(archive_entry_uid(entry));
    e.gid = static_cast<std::uint32_t>(archive_entry_gid(entry));
    e.size = size;
    if (const char* hard = archive_entry_hardlink(entry)) {
      auto target = core::normalize_path(hard);
      if (!target || std::string_view(hard).starts_with('/')) {
        return fail(ErrorCode::hostile,
                    fmt::format("hard link '{}' points outside the root ('{}')", shown, util::printable(hard)), what);
      }
      const core::FileEntry* t = changes.find(*target);
      if (!t) t = tree.find(*target);
      if (!t) {
        return fail(ErrorCode::parse,
                    fmt::format("hard link '{}' points to '{}', which does not exist", shown, util::printable(*target)),
                    what);
      }
      e.type = core::FileType::hardlink;
      e.link_target = *target;
      e.size = t->size;
      if (t->content && wanted(e.path)) e.content = t->content;
      changes.put(std::move(e));
      continue;
    }
    e.type = file_type(archive_entry_filetype(entry));
    if (e.type == core::FileType::symlink) {
      const char* target = archive_entry_symlink(entry);
      e.link_target = target ? target : "";
      e.size = 0;
    }
    if (e.type == core::FileType::regular && size <= limits.max_kept_file_bytes && wanted(e.path)) {
      std::string content;
      content.resize(static_cast<std::size_t>(size));
      std::size_t got = 0;
      while (got < content.size()) {
        la_ssize_t n = archive_read_data(a, content.data() + got, content.size() - got);
        if (n < 0) return archive_error("reading '" + shown + "'");
        if (n == 0) break;
        got += static_cast<std::size_t>(n);
      }
      if (got != content.size()) {
        return fail(ErrorCode::parse, fmt::format("entry '{}' is shorter than its header says", shown), what);
      }
      e.content = std::move(content);
      // Kept files are probed too (the secret scanner reads every file once).
      if (probe != nullptr && probe->wants(e)) {
        auto scan = probe->start(e);
        scan->feed(*e.content);
        e.probed = scan->finish();
      }
    } else if (e.type == core::FileType::regular && probe != nullptr && probe->wants(e)) {
      auto scan = probe->start(e);
      // The probes read libarchive's own buffer (no copy); a sparse file's holes are zeros,
      // which no probe looks for, so the blocks are fed back to back.
      while (!scan->done()) {
        const void* block = nullptr;
        std::size_t n = 0;
        la_int64_t offset = 0;
        const int r = archive_read_data_block(a, &block, &n, &offset);
        if (r == ARCHIVE_EOF) break;
        if (r < ARCHIVE_WARN) return archive_error("reading '" + shown + "'");
        if (n > 0) scan->feed(std::string_view(static_cast<const char*>(block), n));
      }
      // The probes need no more of this file (a binary, once sniffed): skip the rest.
      if (scan->done() && archive_read_data_skip(a) < ARCHIVE_WARN) return archive_error("skipping '" + shown + "'");
      e.probed = scan->finish();
    } else if (archive_read_data_skip(a) < ARCHIVE_WARN) {
      return archive_error("skipping '" + shown + "'");
    }
    changes.put(std::move(e));
  }
}

Status read_layer(ImageSource& source, std::size_t index, const core::FileWanted& wanted, const core::Context& ctx,
                  Counters& counters, core::FileTree& tree, const LayerObserver& after_layer,
                  const core::ContentProbe* probe) {
  const auto& info = source.info();
  const auto& layer = info.layers[index];
  const std::string what = fmt::format("{}: layer {} ({})", info.reference, index, layer.digest);
  auto& progress = ctx.progress_sink();
  progress.begin(fmt::format("layer {}/{}", index + 1, info.layers.size()), layer.size);
  // Every way out of this function, error or not, closes the progress line.
  struct EndProgress {
    core::Progress& p;
    ~EndProgress() { p.end(); }
  } end_progress{progress};

  auto blob = source.open_layer(index);
  if (!blob) return std::unexpected(blob.error());
  auto counting = std::make_unique<CountingStream>(std::move(*blob), progress);
  const CountingStream* compressed = counting.get();
  auto uncompressed = detail::open_decompressed(std::move(counting), what);
  if (!uncompressed) return std::unexpected(uncompressed.error());

  LayerFeed feed;
  feed.uncompressed = uncompressed->get();
  feed.compressed = compressed;
  feed.limits = &ctx.limits;
  feed.image_total = &counters.image_bytes;
  feed.what = what;
  // An uncompressed blob whose digest is the diffID (docker save's layer.tar) is hashed
  // once, by the blob stream, which fails at its end on a mismatch.
  feed.hash_diff = !(detail::is_passthrough(**uncompressed) && layer.digest == layer.diff_id);

  std::unique_ptr<struct archive, ArchiveDeleter> a(archive_read_new());
  if (!a) return fail(ErrorCode::internal, "cannot create a tar reader", what);
  archive_read_support_format_tar(a.get());
  if (archive_read_open(a.get(), &feed, nullptr, read_callback, nullptr) != ARCHIVE_OK) {
    if (feed.error) return std::unexpected(*feed.error);
    const char* msg = archive_error_string(a.get());
    return fail(ErrorCode::parse, fmt::format("layer is not a tar archive: {}", msg ? msg : "unknown"), what);
  }
  LayerChanges changes;
  if (auto s = read_entries(a.get(), feed, static_cast<int>(index), wanted, ctx.limits, counters, tree, changes, probe);
      !s) {
    return s;
  }
  // The diffID covers the whole tar (padding after the end blocks too), and the
  // blob's digest is only known at its end: read both streams to their ends.
  while (true) {
    auto n = feed.pull();
    if (!n) return std::unexpected(n.error());
    if (*n == 0) break;
  }
  auto got = feed.hash_diff ? "sha256:" + feed.diff_hash.hex_digest() : layer.diff_id;
  if (got != layer.diff_id) {
    return fail(ErrorCode::digest_mismatch,
                fmt::format("diffID mismatch: the config says {}, the uncompressed layer is {}", layer.diff_id, got),
                what);
  }
  std::vector<std::string> kept;
  if (after_layer) {
    for (const auto& e : changes.entries) {
      if (e.content) kept.push_back(e.path);
    }
  }
  changes.apply(tree);
  if (after_layer) after_layer(index, tree, kept);
  return {};
}

// ---- directories ----------------------------------------------------------

// Pseudo file systems whose "files" are kernel state, not part of a root filesystem.
bool pseudo_fs(long type) {
  switch (type) {
    case PROC_SUPER_MAGIC:
    case SYSFS_MAGIC:
    case DEVPTS_SUPER_MAGIC:
    case CGROUP_SUPER_MAGIC:
    case CGROUP2_SUPER_MAGIC:
    case DEBUGFS_MAGIC:
    case TRACEFS_MAGIC:
    case SECURITYFS_MAGIC:
    case PSTOREFS_MAGIC:
    case BPF_FS_MAGIC:
    case HUGETLBFS_MAGIC:
    case EFIVARFS_MAGIC:
    case BINFMTFS_MAGIC: return true;
    default: return false;
  }
}

constexpr int kMaxDirDepth = 256;

struct DirWalk {
  const core::FileWanted& wanted;
  const core::ContentProbe* probe;
  const core::Limits& limits;
  core::FileTree& tree;
  bool host_root;
  std::uint64_t count = 0;
  std::string root_name;
};

Result<std::string> read_fd_content(int fd, std::uint64_t size) {
  std::string out(static_cast<std::size_t>(size), '\0');
  std::size_t got = 0;
  while (got < out.size()) {
    ssize_t n = ::read(fd, out.data() + got, out.size() - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(ErrorCode::io, std::strerror(errno));
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  out.resize(got);  // the file may have shrunk since fstat
  return out;
}

Status walk(DirWalk& w, int dirfd, const std::string& prefix, int depth) {
  if (depth > kMaxDirDepth) return {};
  const std::vector<std::string> names = util::directory_entries(dirfd);
  for (const auto& n : names) {
    std::string path = prefix.empty() ? n : prefix + "/" + n;
    if (w.host_root && prefix.empty() && (n == "proc" || n == "sys" || n == "dev")) continue;
    if (path.size() > w.limits.max_path_length) continue;
    struct stat st {};
    if (::fstatat(dirfd, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (++w.count > w.limits.max_file_count) {
      return fail(ErrorCode::limit,
                  fmt::format("folder has more than {} files (limit; --max-files raises it)", w.limits.max_file_count),
                  w.root_name);
    }
    core::FileEntry e;
    e.path = path;
    e.type = file_type(st.st_mode);
    e.mode = st.st_mode & 07777U;
    e.uid = st.st_uid;
    e.gid = st.st_gid;
    e.size = S_ISREG(st.st_mode) ? static_cast<std::uint64_t>(st.st_size) : 0;
    if (S_ISLNK(st.st_mode)) {
      std::vector<char> buf(static_cast<std::size_t>(w.limits.max_path_length) + 1);
      ssize_t len = ::readlinkat(dirfd, n.c_str(), buf.data(), buf.size());
      if (len < 0 || static_cast<std::size_t>(len) >= buf.size()) continue;
      e.link_target.assign(buf.data(), static_cast<std::size_t>(len));
    } else if (S_ISREG(st.st_mode) && e.size <= w.limits.max_kept_file_bytes && w.wanted(path)) {
      int fd = ::openat(dirfd, n.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
      if (fd >= 0) {
        struct stat fst {};
        // Check it is still the file we looked at (no swap for a FIFO or device).
        if (::fstat(fd, &fst) == 0 && S_ISREG(fst.st_mode) && fst.st_ino == st.st_ino &&
            static_cast<std::uint64_t>(fst.st_size) <= w.limits.max_kept_file_bytes) {
          if (auto c = read_fd_content(fd, static_cast<std::uint64_t>(fst.st_size))) e.content = std::move(*c);
          if (e.content && w.probe != nullptr && w.probe->wants(e)) {
            auto scan = w.probe->start(e);
            scan->feed(*e.content);
            e.probed = scan->finish();
          }
        }
        ::close(fd);
      }
    } else if (S_ISREG(st.st_mode) && w.probe != nullptr && w.probe->wants(e)) {
      int fd = ::openat(dirfd, n.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
      if (fd >= 0) {
        struct stat fst {};
        if (::fstat(fd, &fst) == 0 && S_ISREG(fst.st_mode) && fst.st_ino == st.st_ino) {
          auto scan = w.probe->start(e);
          std::vector<char> buf(1U << 20);
          ssize_t got = 0;
          while (!scan->done() && (got = ::read(fd, buf.data(), buf.size())) > 0) {
            scan->feed(std::string_view(buf.data(), static_cast<std::size_t>(got)));
          }
          e.probed = scan->finish();
        }
        ::close(fd);
      }
    }
    const bool is_dir = S_ISDIR(st.st_mode);
    w.tree.put(std::move(e));
    if (!is_dir) continue;
    int sub = ::openat(dirfd, n.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub < 0) continue;
    struct statfs sfs {};
    if (::fstatfs(sub, &sfs) == 0 && pseudo_fs(static_cast<long>(sfs.f_type))) {
      ::close(sub);
      continue;
    }
    auto s = walk(w, sub, path, depth + 1);
    ::close(sub);
    if (!s) return s;
  }
  return {};
}

}  // namespace

Status read_layers(ImageSource& source, const core::FileWanted& wanted, const core::Context& ctx, core::FileTree& tree,
                   const LayerObserver& after_layer, const core::ContentProbe* probe) {
  Counters counters;
  for (std::size_t i = 0; i < source.info().layers.size(); ++i) {
    if (auto s = read_layer(source, i, wanted, ctx, counters, tree, after_layer, probe); !s) return s;
  }
  return {};
}

Status read_directory(const std::filesystem::path& root, const core::FileWanted& wanted, const core::Context& ctx,
                      core::FileTree& tree, const core::ContentProbe* probe) {
  int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return fail(errno == ENOENT ? ErrorCode::not_found : ErrorCode::io, std::strerror(errno), root.string());
  }
  std::error_code ec;
  auto canonical = std::filesystem::canonical(root, ec);
  DirWalk w{wanted, probe, ctx.limits, tree, !ec && canonical == "/", 0, root.string()};
  auto s = walk(w, fd, "", 0);
  ::close(fd);
  return s;
}

}  // namespace bulwark::image
