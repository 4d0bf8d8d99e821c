#include "runtime/state/proc_snapshot.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <vector>

#include "util/fd.hpp"
#include "util/strings.hpp"

namespace bulwark::runtime {

namespace {

// procfs files are small; these bounds only matter for a hostile or huge command line.
constexpr std::size_t kMaxStat = 4096;
constexpr std::size_t kMaxStatus = 16 * 1024;
constexpr std::size_t kMaxCmdline = 128 * 1024;
constexpr std::size_t kMaxCgroup = 64 * 1024;
constexpr std::uint32_t kPfKthread = 0x00200000;

using util::Fd;

bool vanished_errno(int err) {
  return err == ENOENT || err == ESRCH;
}

// One procfs file under dirfd, at most max bytes. nullopt + errno on failure.
std::optional<std::string> read_at(int dirfd, const char* name, std::size_t max) {
  Fd fd(::openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY));
  if (fd.get() < 0) return std::nullopt;
  std::string out;
  char buf[4096];
  while (out.size() < max) {
    ssize_t n = ::read(fd.get(), buf, std::min(sizeof buf, max - out.size()));
    if (n < 0) {
      if (errno == EINTR) continue;
      return std::nullopt;
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

// readlink, never following anything: the target text as the kernel reports it.
std::string readlink_at(int dirfd, const char* name) {
  char buf[4096];
  ssize_t n = ::readlinkat(dirfd, name, buf, sizeof buf);
  if (n <= 0) return {};
  return std::string(buf, static_cast<std::size_t>(n));
}

template <class T>
bool to_num(std::string_view s, T& out, int base = 10) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out, base);
  return ec == std::errc() && p == s.data() + s.size();
}

// "Uid:\t0\t0\t0\t0" -> the values after the key.
std::vector<std::string_view> status_values(std::string_view status, std::string_view key) {
  auto v = util::key_field(status, key);
  return v ? util::split_ws(*v) : std::vector<std::string_view>{};
}

Error parse_error(std::int64_t pid, std::string_view what) {
  return Error{ErrorCode::parse, std::string(what), fmt::format("pid {}", pid)};
}

}  // namespace

std::int64_t boot_to_wall_ns_now() {
  timespec wall{};
  timespec boot{};
  ::clock_gettime(CLOCK_REALTIME, &wall);
  ::clock_gettime(CLOCK_BOOTTIME, &boot);
  auto ns = [](const timespec& t) { return static_cast<std::int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec; };
  return ns(wall) - ns(boot);
}

std::uint32_t tty_from_proc_stat(std::uint64_t tty_nr) noexcept {
  // new_encode_dev: minor low byte in bits 0-7, major in 8-19, the rest of minor in 20-31.
  const auto major = static_cast<std::uint32_t>((tty_nr >> 8) & 0xfff);
  const auto minor = static_cast<std::uint32_t>((tty_nr & 0xff) | ((tty_nr >> 12) & 0xfff00));
  return (major << 20) | minor;
}

std::string cgroup_from_proc(std::string_view text) {
  std::string v2;
  std::string v1;
  int v1_rank = 99;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    auto line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    // hierarchy-id:controllers:path (the path may itself contain ':').
    auto c1 = line.find(':');
    if (c1 == std::string_view::npos) continue;
    auto c2 = line.find(':', c1 + 1);
    if (c2 == std::string_view::npos) continue;
    auto controllers = line.substr(c1 + 1, c2 - c1 - 1);
    auto path = line.substr(c2 + 1);
    if (line.substr(0, c1) == "0" && controllers.empty()) {
      v2 = std::string(path);
      continue;
    }
    // The probe reports the v1 memory controller's path; cpu and pids name the same container.
    int rank = 99;
    for (auto c : util::split(controllers, ',')) {
      if (c == "memory") rank = std::min(rank, 0);
      if (c == "cpu") rank = std::min(rank, 1);
      if (c == "pids") rank = std::min(rank, 2);
    }
    if (rank < v1_rank) {
      v1_rank = rank;
      v1 = std::string(path);
    }
  }
  if (!v2.empty() && v2 != "/") return v2;
  if (!v1.empty()) return v1;
  return v2;
}

Result<Process> read_proc_process(int pid_dirfd, std::int64_t pid, std::int64_t boot_to_wall_ns, long clock_ticks) {
  auto stat = read_at(pid_dirfd, "stat", kMaxStat);
  if (!stat) {
    if (vanished_errno(errno)) return fail(ErrorCode::not_found, "process exited", fmt::format("pid {}", pid));
    return fail(ErrorCode::io, std::strerror(errno), fmt::format("pid {}", pid));
  }
  if (stat->empty()) return fail(ErrorCode::not_found, "process exited", fmt::format("pid {}", pid));
  // "pid (comm) state ppid pgrp session tty_nr tpgid flags ... starttime(22) ...": comm may hold
  // spaces and parentheses, so the fields are counted from the last ')'.
  auto open = stat->find('(');
  auto close = stat->rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open) {
    return std::unexpected(parse_error(pid, "stat has no (comm)"));
  }
  auto fields = util::split_ws(std::string_view(*stat).substr(close + 1));  // fields[0] is field 3 (state)
  auto field = [&](int n) { return fields[static_cast<std::size_t>(n - 3)]; };
  if (fields.size() < 20) return std::unexpected(parse_error(pid, "stat is too short"));
  std::int64_t stat_pid = 0;
  std::int64_t ppid = 0;
  std::int64_t pgrp = 0;
  std::int64_t session = 0;
  std::int64_t tty_nr = 0;
  std::uint32_t flags = 0;
  std::uint64_t start_ticks = 0;
  if (!to_num(util::trim(std::string_view(*stat).substr(0, open)), stat_pid) || stat_pid != pid ||
      !to_num(field(4), ppid) || !to_num(field(5), pgrp) || !to_num(field(6), session) || !to_num(field(7), tty_nr) ||
      !to_num(field(9), flags) || !to_num(field(22), start_ticks)) {
    return std::unexpected(parse_error(pid, "stat has a malformed number"));
  }
  if ((flags & kPfKthread) != 0) return fail(ErrorCode::unsupported, "kernel thread", fmt::format("pid {}", pid));

  Process p;
  p.pid = pid;
  p.ppid = ppid;
  p.pgid = pgrp;
  p.sid = session;
  p.comm = stat->substr(open + 1, close - open - 1);
  p.tty = tty_from_proc_stat(static_cast<std::uint64_t>(tty_nr));
  if (clock_ticks > 0) {
    // ticks * 1e9 / hz without overflow for any uptime.
    const auto hz = static_cast<std::uint64_t>(clock_ticks);
    const std::uint64_t since_boot_ns =
        (start_ticks / hz) * 1'000'000'000ULL + (start_ticks % hz) * 1'000'000'000ULL / hz;
    p.start_ns = since_boot_ns + static_cast<std::uint64_t>(boot_to_wall_ns);
  }

  auto status = read_at(pid_dirfd, "status", kMaxStatus);
  if (!status) {
    if (vanished_errno(errno)) return fail(ErrorCode::not_found, "process exited", fmt::format("pid {}", pid));
    return fail(ErrorCode::io, std::strerror(errno), fmt::format("pid {}", pid));
  }
  auto uid = status_values(*status, "Uid");
  auto gid = status_values(*status, "Gid");
  if (uid.size() < 2 || gid.size() < 2 || !to_num(uid[1], p.uid) || !to_num(gid[1], p.gid)) {
    return std::unexpected(parse_error(pid, "status has no effective Uid/Gid"));
  }
  auto cap = [&](std::string_view key, std::uint64_t& out) {
    auto v = status_values(*status, key);
    if (!v.empty()) (void)to_num(v[0], out, 16);
  };
  cap("CapEff", p.caps.effective);
  cap("CapPrm", p.caps.permitted);
  cap("CapInh", p.caps.inheritable);
  if (auto ns = status_values(*status, "NSpid"); !ns.empty()) (void)to_num(ns.back(), p.vpid);

  // The rest is best effort: a process may exit between reads, and a zombie has no cmdline or exe.
  if (auto cmdline = read_at(pid_dirfd, "cmdline", kMaxCmdline)) {
    std::string_view rest(*cmdline);
    if (!rest.empty() && rest.back() == '\0') rest.remove_suffix(1);
    std::vector<std::string> argv;
    if (!rest.empty()) {
      for (auto a : util::split(rest, '\0')) argv.emplace_back(a);
    }
    if (!argv.empty()) {
      p.exe = argv.front();
      p.args.assign(std::make_move_iterator(argv.begin() + 1), std::make_move_iterator(argv.end()));
    }
  }
  p.exepath = readlink_at(pid_dirfd, "exe");
  if (p.exe.empty()) p.exe = p.exepath.empty() ? p.comm : p.exepath;
  p.cwd = readlink_at(pid_dirfd, "cwd");
  if (auto login = read_at(pid_dirfd, "loginuid", 64)) {
    std::uint32_t v = 0;
    if (to_num(util::trim(*login), v)) p.loginuid = v;
  }
  if (auto cg = read_at(pid_dirfd, "cgroup", kMaxCgroup)) {
    p.cgroup = cgroup_from_proc(*cg);
    p.container_id = container_id_from_cgroup(p.cgroup);
  }
  // "mnt:[4026531840]"
  auto mnt = readlink_at(pid_dirfd, "ns/mnt");
  if (auto lb = mnt.find('['); lb != std::string::npos && mnt.ends_with(']')) {
    (void)to_num(std::string_view(mnt).substr(lb + 1, mnt.size() - lb - 2), p.mnt_ns);
  }
  return p;
}

Result<ProcSnapshotStats> snapshot_processes(ProcessTable& table, const ProcSnapshotOptions& options) {
  const std::int64_t boot_to_wall = options.boot_to_wall_ns != 0 ? options.boot_to_wall_ns : boot_to_wall_ns_now();
  const long ticks = options.clock_ticks > 0 ? options.clock_ticks : ::sysconf(_SC_CLK_TCK);
  Fd root(::open(options.proc_root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (root.get() < 0) return fail(ErrorCode::io, std::strerror(errno), options.proc_root.string());
  int dup_fd = ::dup(root.get());
  if (dup_fd < 0) return fail(ErrorCode::io, std::strerror(errno), options.proc_root.string());
  DIR* dir = ::fdopendir(dup_fd);
  if (dir == nullptr) {
    ::close(dup_fd);
    return fail(ErrorCode::io, std::strerror(errno), options.proc_root.string());
  }
  // The pids first (the directory changes as processes come and go), then one read each in pid order.
  std::vector<std::int64_t> pids;
  while (dirent* d = ::readdir(dir)) {
    std::int64_t pid = 0;
    if (to_num(std::string_view(d->d_name), pid) && pid > 0) pids.push_back(pid);
  }
  ::closedir(dir);
  std::sort(pids.begin(), pids.end());

  ProcSnapshotStats stats;
  for (auto pid : pids) {
    if (table.size() >= table.limits().max_processes) {
      stats.table_full = true;
      break;
    }
    if (table.find(pid) != nullptr) {
      ++stats.already_known;
      continue;
    }
    auto name = std::to_string(pid);
    Fd piddir(::openat(root.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (piddir.get() < 0) {
      ++stats.vanished;
      continue;
    }
    auto p = read_proc_process(piddir.get(), pid, boot_to_wall, ticks);
    if (!p) {
      switch (p.error().code) {
        case ErrorCode::not_found: ++stats.vanished; break;
        case ErrorCode::unsupported: ++stats.kernel_threads; break;
        default:
          ++stats.malformed;
          stats.last_problem = p.error().describe();
          break;
      }
      continue;
    }
    if (table.seed(std::move(*p))) {
      ++stats.seeded;
    } else {
      ++stats.already_known;
    }
  }
  return stats;
}

}  // namespace bulwark::runtime
