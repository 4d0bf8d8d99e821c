#include "agent/spool.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <ctime>
#include <random>

#include <nlohmann/json.hpp>

#include "util/files.hpp"

namespace bulwark::agent {

namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t kMaxStateBytes = 1 << 16;

Status sys_fail(std::string_view what, const fs::path& path) {
  return fail(ErrorCode::io, fmt::format("{}: {}", what, std::strerror(errno)), path.string());
}

Status fsync_dir(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return sys_fail("open folder", dir);
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return sys_fail("fsync folder", dir);
  return {};
}

Status write_all_sync(const fs::path& path, std::string_view data) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return sys_fail("create", path);
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      auto st = sys_fail("write", path);
      ::close(fd);
      return st;
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    auto st = sys_fail("fsync", path);
    ::close(fd);
    return st;
  }
  if (::close(fd) != 0) return sys_fail("close", path);
  return {};
}

std::string random_hex(std::size_t bytes) {
  std::random_device rd;
  std::string out;
  for (std::size_t i = 0; i < bytes; ++i) out += fmt::format("{:02x}", rd() & 0xff);
  return out;
}

// "00000000000000000042-<id>.json" -> seq and id.
bool parse_entry_name(std::string_view name, std::uint64_t& seq, std::string& id) {
  if (name.size() < 26 || !name.ends_with(".json") || name[20] != '-') return false;
  auto r = std::from_chars(name.data(), name.data() + 20, seq);
  if (r.ec != std::errc{} || r.ptr != name.data() + 20) return false;
  id = std::string(name.substr(21, name.size() - 21 - 5));
  return !id.empty();
}

}  // namespace

std::string rfc3339_now() {
  auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Status write_durable(const fs::path& path, std::string_view data) {
  fs::path tmp = path;
  tmp += ".tmp";
  if (auto st = write_all_sync(tmp, data); !st) return st;
  if (::rename(tmp.c_str(), path.c_str()) != 0) return sys_fail("rename", path);
  return fsync_dir(path.parent_path().empty() ? fs::path(".") : path.parent_path());
}

Result<std::unique_ptr<Spool>> Spool::open(const fs::path& dir, SpoolLimits limits) {
  if (limits.max_bytes == 0 || limits.max_entries == 0) {
    return fail(ErrorCode::invalid_argument, "spool limits must be above zero", dir.string());
  }
  std::error_code ec;
  fs::create_directories(dir / "entries", ec);
  if (ec) return fail(ErrorCode::io, "cannot create the spool folder: " + ec.message(), dir.string());
  fs::create_directories(dir / "tmp", ec);
  if (ec) return fail(ErrorCode::io, "cannot create the spool folder: " + ec.message(), dir.string());
  ::chmod(dir.c_str(), 0700);

  std::unique_ptr<Spool> spool(new Spool(dir, limits));
  fs::path lock = dir / "lock";
  spool->lock_fd_ = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (spool->lock_fd_ < 0) return std::unexpected(sys_fail("open", lock).error());
  if (::flock(spool->lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    return fail(ErrorCode::io, "the spool is in use by another agent", dir.string());
  }

  // The spool's id: made once, then kept (idempotency ids stay stable across restarts).
  fs::path id_file = dir / "spool-id";
  if (auto id = util::read_file(id_file, kMaxStateBytes); id && !id->empty()) {
    spool->spool_id_ = *id;
    while (!spool->spool_id_.empty() && spool->spool_id_.back() == '\n') spool->spool_id_.pop_back();
  } else {
    spool->spool_id_ = random_hex(16);
    if (auto st = write_durable(id_file, spool->spool_id_); !st) return std::unexpected(st.error());
  }

  // Writes that never completed never counted.
  for (const auto& e : fs::directory_iterator(dir / "tmp", ec)) fs::remove(e.path(), ec);

  for (const auto& e : fs::directory_iterator(dir / "entries", ec)) {
    SpoolEntry entry;
    std::string name = e.path().filename().string();
    if (!parse_entry_name(name, entry.seq, entry.id)) {
      if (name.ends_with(".tmp")) fs::remove(e.path(), ec);
      continue;
    }
    entry.bytes = e.file_size(ec);
    if (ec) continue;
    spool->entries_.push_back(std::move(entry));
  }
  if (ec) return fail(ErrorCode::io, "cannot list the spool: " + ec.message(), dir.string());
  std::sort(spool->entries_.begin(), spool->entries_.end(),
            [](const SpoolEntry& a, const SpoolEntry& b) { return a.seq < b.seq; });
  for (const auto& e : spool->entries_) spool->bytes_ += e.bytes;

  fs::path seq_file = dir / "next-seq";
  if (auto s = util::read_file(seq_file, kMaxStateBytes); s) {
    std::uint64_t v = 0;
    std::from_chars(s->data(), s->data() + s->size(), v);
    spool->next_seq_ = std::max<std::uint64_t>(v, 1);
  }
  if (!spool->entries_.empty()) spool->next_seq_ = std::max(spool->next_seq_, spool->entries_.back().seq + 1);

  if (auto d = util::read_file(dir / "drops.json", kMaxStateBytes); d) {
    auto j = nlohmann::json::parse(*d, nullptr, false);
    if (j.is_object()) {
      auto& r = spool->drops_;
      r.count = j.value("count", std::uint64_t{0});
      r.bytes = j.value("bytes", std::uint64_t{0});
      r.first_seq = j.value("first_seq", std::uint64_t{0});
      r.last_seq = j.value("last_seq", std::uint64_t{0});
      r.first_time = j.value("first_time", std::string{});
      r.last_time = j.value("last_time", std::string{});
      r.generation = j.value("generation", std::uint64_t{0});
    }
  }
  return spool;
}

Spool::~Spool() {
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

fs::path Spool::entry_path(const SpoolEntry& e) const {
  return dir_ / "entries" / fmt::format("{:020}-{}.json", e.seq, e.id);
}

Status Spool::save_drops_locked() {
  nlohmann::json j = {{"count", drops_.count},           {"bytes", drops_.bytes},
                      {"first_seq", drops_.first_seq},   {"last_seq", drops_.last_seq},
                      {"first_time", drops_.first_time}, {"last_time", drops_.last_time},
                      {"generation", drops_.generation}};
  return write_durable(dir_ / "drops.json", j.dump());
}

Result<SpoolEntry> Spool::append(std::string_view document) {
  if (document.size() > limits_.max_bytes) {
    return fail(
        ErrorCode::limit,
        fmt::format("a document of {} bytes is larger than the spool ({} bytes)", document.size(), limits_.max_bytes),
        dir_.string());
  }
  std::lock_guard lock(mutex_);
  // Make room: drop the oldest entries first.
  bool dropped = false;
  while (entries_.size() - head_ > 0 &&
         (entries_.size() - head_ + 1 > limits_.max_entries || bytes_ + document.size() > limits_.max_bytes)) {
    const SpoolEntry& old = entries_[head_];
    std::error_code ec;
    fs::remove(entry_path(old), ec);
    if (drops_.count == 0) {
      drops_.first_seq = old.seq;
      drops_.first_time = rfc3339_now();
      ++drops_.generation;
    }
    ++drops_.count;
    drops_.bytes += old.bytes;
    drops_.last_seq = old.seq;
    drops_.last_time = rfc3339_now();
    bytes_ -= old.bytes;
    ++head_;
    dropped = true;
  }
  if (dropped) {
    if (auto st = save_drops_locked(); !st) return std::unexpected(st.error());
  }
  if (head_ > 1024 && head_ * 2 > entries_.size()) {
    entries_.erase(entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }

  SpoolEntry entry;
  entry.seq = next_seq_;
  entry.id = fmt::format("{}-{}", spool_id_, entry.seq);
  entry.bytes = document.size();
  // The sequence number is reserved durably before the entry appears, so a number
  // is never reused even when every entry was sent and removed.
  if (auto st = write_durable(dir_ / "next-seq", std::to_string(entry.seq + 1)); !st)
    return std::unexpected(st.error());
  ++next_seq_;
  fs::path tmp = dir_ / "tmp" / fmt::format("{:020}-{}.json", entry.seq, entry.id);
  if (auto st = write_all_sync(tmp, document); !st) return std::unexpected(st.error());
  fs::path final_path = entry_path(entry);
  if (::rename(tmp.c_str(), final_path.c_str()) != 0) return std::unexpected(sys_fail("rename", final_path).error());
  if (auto st = fsync_dir(dir_ / "entries"); !st) return std::unexpected(st.error());
  entries_.push_back(entry);
  bytes_ += entry.bytes;
  cv_.notify_all();
  return entry;
}

std::optional<SpoolEntry> Spool::front() const {
  std::lock_guard lock(mutex_);
  if (head_ >= entries_.size()) return std::nullopt;
  return entries_[head_];
}

Result<std::string> Spool::read(const SpoolEntry& entry) const {
  return util::read_file(entry_path(entry), limits_.max_bytes);
}

Status Spool::remove(const SpoolEntry& entry) {
  std::lock_guard lock(mutex_);
  auto it = std::find_if(entries_.begin() + static_cast<std::ptrdiff_t>(head_), entries_.end(),
                         [&](const SpoolEntry& e) { return e.seq == entry.seq; });
  if (it == entries_.end()) return {};
  std::error_code ec;
  fs::remove(entry_path(*it), ec);
  if (ec) return fail(ErrorCode::io, "cannot remove a sent entry: " + ec.message(), entry_path(*it).string());
  if (auto st = fsync_dir(dir_ / "entries"); !st) return st;
  bytes_ -= it->bytes;
  if (it == entries_.begin() + static_cast<std::ptrdiff_t>(head_)) {
    ++head_;
  } else {
    entries_.erase(it);
  }
  return {};
}

void Spool::wait(std::chrono::milliseconds timeout, const std::function<bool()>& stop) const {
  std::unique_lock lock(mutex_);
  cv_.wait_for(lock, timeout, [&] { return head_ < entries_.size() || drops_.count > 0 || (stop && stop()); });
}

void Spool::notify() const {
  { std::lock_guard lock(mutex_); }
  cv_.notify_all();
}

DropRecord Spool::drops() const {
  std::lock_guard lock(mutex_);
  return drops_;
}

Status Spool::clear_drops(std::uint64_t generation) {
  std::lock_guard lock(mutex_);
  if (drops_.generation != generation || drops_.count == 0) return {};
  DropRecord cleared;
  cleared.generation = drops_.generation;
  drops_ = cleared;
  return save_drops_locked();
}

std::size_t Spool::entries() const {
  std::lock_guard lock(mutex_);
  return entries_.size() - head_;
}

std::uint64_t Spool::bytes() const {
  std::lock_guard lock(mutex_);
  return bytes_;
}

std::vector<std::uint64_t> Spool::sequence_numbers() const {
  std::lock_guard lock(mutex_);
  std::vector<std::uint64_t> out;
  for (std::size_t i = head_; i < entries_.size(); ++i) out.push_back(entries_[i].seq);
  return out;
}

}  // namespace bulwark::agent
