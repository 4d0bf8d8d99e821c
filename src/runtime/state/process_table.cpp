#include "runtime/state/process_table.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <iterator>

namespace bulwark::runtime {

namespace {

constexpr std::uint64_t kCloneThread = 0x00010000;
constexpr std::uint64_t kODirectory = 0200000;
constexpr std::int64_t kAtFdcwd = -100;
constexpr std::int64_t kEinprogress = 115;

std::string join_path(std::string_view base, std::string_view rel) {
  if (rel.starts_with('/')) return normalize_path(rel);
  std::string s(base.empty() ? "/" : base);
  if (!s.ends_with('/')) s.push_back('/');
  s.append(rel);
  return normalize_path(s);
}

FdKind kind_for_family(std::uint32_t family) {
  switch (family) {
    case kAfInet: return FdKind::ipv4;
    case kAfInet6: return FdKind::ipv6;
    case kAfUnix: return FdKind::unix_sock;
    case kAfNetlink: return FdKind::netlink;
    case kAfPacket: return FdKind::packet;
    default: return FdKind::other;
  }
}

std::string socket_name(const SocketTuple& t) {
  if (t.family == kAfUnix) return t.server.unix_path.empty() ? t.client.unix_path : t.server.unix_path;
  if (t.family != kAfInet && t.family != kAfInet6) return {};
  return format_ip(t.family, t.client) + ":" + std::to_string(t.client.port) + "->" + format_ip(t.family, t.server) +
         ":" + std::to_string(t.server.port);
}

}  // namespace

std::string normalize_path(std::string_view path) {
  std::vector<std::string_view> parts;
  std::size_t i = 0;
  while (i <= path.size()) {
    std::size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    auto part = path.substr(i, j - i);
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    i = j + 1;
  }
  std::string out;
  for (auto p : parts) {
    out.push_back('/');
    out.append(p);
  }
  return out.empty() ? "/" : out;
}

std::string format_ip(std::uint32_t family, const Endpoint& ep) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (family == kAfInet) {
    inet_ntop(AF_INET, ep.addr.data(), buf, sizeof buf);
  } else if (family == kAfInet6) {
    inet_ntop(AF_INET6, ep.addr.data(), buf, sizeof buf);
  } else {
    return {};
  }
  return buf;
}

ProcessTable::ProcessTable(StateLimits limits, ContainerResolver* resolver) : limits_(limits), resolver_(resolver) {
  if (limits_.max_processes == 0) limits_.max_processes = 1;
}

void ProcessTable::touch(Slot& s) {
  lru_.splice(lru_.begin(), lru_, s.lru);
}

Process& ProcessTable::create(std::int64_t pid) {
  if (auto it = procs_.find(pid); it != procs_.end()) {
    touch(it->second);
    it->second.proc = Process{};
    it->second.proc.pid = pid;
    return it->second.proc;
  }
  while (procs_.size() >= limits_.max_processes && !lru_.empty()) {
    procs_.erase(lru_.back());
    lru_.pop_back();
    ++stats_.processes_evicted;
  }
  lru_.push_front(pid);
  auto& slot = procs_[pid];
  slot.lru = lru_.begin();
  slot.proc.pid = pid;
  ++stats_.processes_created;
  return slot.proc;
}

Process& ProcessTable::get_or_create(const Event& e) {
  if (auto it = procs_.find(e.pid); it != procs_.end()) {
    touch(it->second);
    return it->second.proc;
  }
  Process& p = create(e.pid);
  p.ppid = e.ppid;
  p.comm = e.comm;
  p.exe = e.comm;
  p.start_ns = e.ts_ns;
  // A process we never saw start inherits what its parent knew, so that the
  // container and cwd are right for processes forked before capture began.
  if (const Process* parent = find(e.ppid)) {
    p.cwd = parent->cwd;
    p.tty = parent->tty;
    p.container_id = parent->container_id;
    p.loginuid = parent->loginuid;
  }
  return p;
}

std::string ProcessTable::clip(std::string_view s) const {
  return std::string(s.substr(0, std::min(s.size(), limits_.max_string)));
}

void ProcessTable::put_fd(Process& p, std::int64_t fd, FdEntry entry) {
  if (fd < 0) return;
  if (p.fds.size() >= limits_.max_fds_per_process && !p.fds.contains(fd)) {
    ++stats_.fds_dropped;
    return;
  }
  p.fds[fd] = std::move(entry);
}

std::string ProcessTable::resolve_path(const Process& p, std::int64_t dirfd, std::string_view path) const {
  if (path.starts_with('/')) return normalize_path(path);
  std::string base = p.cwd;
  if (dirfd != kAtFdcwd && dirfd >= 0) {
    if (auto it = p.fds.find(dirfd); it != p.fds.end()) base = it->second.name;
  }
  return join_path(base, path);
}

std::int64_t ProcessTable::event_fd_num(const Event& e) {
  switch (e.type) {
    case EventType::open:
    case EventType::openat:
    case EventType::openat2:
    case EventType::creat:
    case EventType::socket:
    case EventType::accept:
    case EventType::accept4:
    case EventType::dup:
    case EventType::dup2:
    case EventType::dup3:
    case EventType::memfd_create:
    case EventType::userfaultfd: return e.ret >= 0 ? e.ret : -1;
    default: return e.args.fd;
  }
}

const FdEntry* ProcessTable::event_fd(const Event& e, const Process* p) const {
  if (!p) return nullptr;
  auto n = event_fd_num(e);
  if (n < 0) return nullptr;
  auto it = p->fds.find(n);
  return it == p->fds.end() ? nullptr : &it->second;
}

bool ProcessTable::seed(Process p) {
  if (p.pid <= 0 || procs_.contains(p.pid) || procs_.size() >= limits_.max_processes) return false;
  p.comm = clip(p.comm);
  p.exe = clip(p.exe);
  p.exepath = clip(p.exepath);
  p.cwd = clip(p.cwd);
  p.cgroup = clip(p.cgroup);
  if (p.args.size() > limits_.max_args) p.args.resize(limits_.max_args);
  for (auto& a : p.args) a = clip(a);
  p.fds.clear();
  const auto pid = p.pid;
  lru_.push_back(pid);  // the least recent: anything events touch later is fresher
  auto& slot = procs_[pid];
  slot.lru = std::prev(lru_.end());
  slot.proc = std::move(p);
  ++stats_.processes_seeded;
  return true;
}

void ProcessTable::apply(const Event& e) {
  if (e.dir == Direction::enter) return;
  if (resolver_) {
    // Between events (never while rules hold pointers into the cache): a renamed
    // container's metadata is fetched again. Negative answers stay: a rename
    // cannot make an unknown id known.
    if (auto g = resolver_->generation(); g != resolver_generation_) {
      resolver_generation_ = g;
      stats_.container_refreshes += std::erase_if(containers_, [](const auto& kv) { return kv.second.has_value(); });
    }
  }
  Process& p = get_or_create(e);
  if (e.ppid != 0) p.ppid = e.ppid;
  p.uid = e.uid;
  p.gid = e.gid;
  if (e.loginuid != UINT32_MAX || p.loginuid == UINT32_MAX) p.loginuid = e.loginuid;
  p.caps = e.caps;
  if (!e.comm.empty()) p.comm = clip(e.comm);
  if (e.mnt_ns) p.mnt_ns = e.mnt_ns;
  if (!e.cgroup.empty() && e.cgroup != p.cgroup) {
    p.cgroup = clip(e.cgroup);
    p.container_id = container_id_from_cgroup(e.cgroup);
  }
  const bool ok = e.ret >= 0;
  switch (e.type) {
    case EventType::procinfo:
    case EventType::execve:
    case EventType::execveat: {
      if (!ok || !e.exec) break;
      const ExecInfo& x = *e.exec;
      p.exepath = clip(x.exe);
      p.exe = clip(x.exe_arg0.empty() ? (x.argv.empty() ? x.exe : x.argv[0]) : x.exe_arg0);
      p.args.clear();
      for (std::size_t i = 1; i < x.argv.size() && p.args.size() < limits_.max_args; ++i)
        p.args.push_back(clip(x.argv[i]));
      p.env.clear();
      for (std::size_t i = 0; i < x.env.size() && p.env.size() < limits_.max_args; ++i) p.env.push_back(clip(x.env[i]));
      if (!x.cwd.empty()) p.cwd = clip(x.cwd);
      p.tty = x.tty;
      p.exe_flags = x.exe_flags;
      p.exe_ino = x.exe_ino;
      if (x.sid) p.sid = x.sid;
      if (x.pgid) p.pgid = x.pgid;
      if (x.vpid) p.vpid = x.vpid;
      if (e.type == EventType::procinfo && x.start_ns) p.start_ns = x.start_ns;
      if (e.comm.empty()) {
        auto slash = p.exepath.rfind('/');
        p.comm = p.exepath.substr(slash == std::string::npos ? 0 : slash + 1, 15);
      }
      break;
    }
    case EventType::clone:
    case EventType::clone3:
    case EventType::fork:
    case EventType::vfork: {
      std::int64_t child = e.args.child_pid ? e.args.child_pid : e.ret;
      if (!ok || child <= 0 || child == e.pid) break;
      if ((e.args.flags & kCloneThread) != 0) break;
      Process copy = p;  // the child starts as a copy of its parent
      Process& c = create(child);
      c = std::move(copy);
      c.pid = child;
      c.ppid = e.pid;
      c.start_ns = e.ts_ns;
      c.vpid = 0;
      c.exited = false;
      break;
    }
    case EventType::procexit: p.exited = true; break;
    case EventType::open:
    case EventType::openat:
    case EventType::openat2:
    case EventType::creat: {
      if (!ok) break;
      FdEntry f;
      f.nameraw = clip(e.args.path);
      f.name = e.args.resolved_path.empty() ? resolve_path(p, e.args.dirfd, e.args.path) : clip(e.args.resolved_path);
      f.open_flags = e.args.flags;
      f.kind = (e.args.flags & kODirectory) ? FdKind::directory : FdKind::file;
      put_fd(p, e.ret, std::move(f));
      break;
    }
    case EventType::memfd_create: {
      if (!ok) break;
      FdEntry f;
      f.kind = FdKind::memfd;
      f.name = "memfd:" + clip(e.args.path);
      f.nameraw = f.name;
      put_fd(p, e.ret, std::move(f));
      break;
    }
    case EventType::socket: {
      if (!ok) break;
      FdEntry f;
      f.kind = kind_for_family(e.args.domain);
      f.tuple.family = e.args.domain;
      f.tuple.l4proto = e.args.protocol;
      if (f.tuple.l4proto == 0 && (e.args.domain == kAfInet || e.args.domain == kAfInet6)) {
        f.tuple.l4proto = (e.args.sock_type & 0xf) == 2 ? 17 : ((e.args.sock_type & 0xf) == 1 ? 6 : 0);
      }
      put_fd(p, e.ret, std::move(f));
      break;
    }
    case EventType::connect:
    case EventType::sendto:
    case EventType::sendmsg: {
      if (!(ok || e.ret == -kEinprogress) || e.args.tuple.family == 0) break;
      FdEntry& f = p.fds[e.args.fd];
      if (f.tuple.family == 0 && f.name.empty()) f.kind = kind_for_family(e.args.tuple.family);
      auto proto = f.tuple.l4proto;
      f.tuple = e.args.tuple;
      if (f.tuple.l4proto == 0) f.tuple.l4proto = proto;
      f.server_side = false;
      f.connected = e.type == EventType::connect;
      f.name = socket_name(f.tuple);
      f.name_changed = true;
      break;
    }
    case EventType::accept:
    case EventType::accept4: {
      if (!ok) break;
      FdEntry f;
      f.kind = kind_for_family(e.args.tuple.family);
      f.tuple = e.args.tuple;
      if (f.tuple.l4proto == 0) f.tuple.l4proto = 6;
      f.server_side = true;
      f.connected = true;
      f.name = socket_name(f.tuple);
      put_fd(p, e.ret, std::move(f));
      break;
    }
    case EventType::bind: {
      if (!ok) break;
      FdEntry& f = p.fds[e.args.fd];
      f.tuple.family = e.args.tuple.family;
      f.tuple.server = e.args.tuple.server;
      f.kind = kind_for_family(e.args.tuple.family);
      f.server_side = true;
      f.name = socket_name(f.tuple);
      break;
    }
    case EventType::dup:
    case EventType::dup2:
    case EventType::dup3:
    case EventType::fcntl: {
      if (!ok) break;
      if (e.type == EventType::fcntl && e.args.fd2 < 0) break;
      std::int64_t newfd = e.type == EventType::fcntl ? e.args.fd2 : e.ret;
      if (newfd == e.args.fd) break;
      auto it = p.fds.find(e.args.fd);
      if (it == p.fds.end()) {
        p.fds.erase(newfd);
        break;
      }
      FdEntry copy = it->second;
      put_fd(p, newfd, std::move(copy));
      break;
    }
    case EventType::setuid:
    case EventType::setreuid:
    case EventType::setresuid:
    case EventType::setfsuid:
      if (ok && e.args.new_uid != UINT32_MAX) p.uid = e.args.new_uid;
      break;
    case EventType::setgid:
    case EventType::setregid:
    case EventType::setresgid:
    case EventType::setfsgid:
      if (ok && e.args.new_gid != UINT32_MAX) p.gid = e.args.new_gid;
      break;
    case EventType::capset:
      if (ok) p.caps = e.args.new_caps;
      break;
    case EventType::chdir:
      if (ok) p.cwd = resolve_path(p, kAtFdcwd, e.args.path);
      break;
    case EventType::fchdir:
      if (ok) {
        if (auto it = p.fds.find(e.args.fd); it != p.fds.end()) p.cwd = it->second.name;
      }
      break;
    case EventType::prctl:
      if (ok && e.args.option == 15 /* PR_SET_NAME */ && !e.args.arg2_str.empty()) p.comm = clip(e.args.arg2_str);
      break;
    case EventType::setsid:
      if (ok) p.sid = e.pid;
      break;
    default: break;
  }
}

void ProcessTable::finish(const Event& e) {
  if (e.dir == Direction::enter) return;
  auto it = procs_.find(e.pid);
  if (it == procs_.end()) return;
  if (e.type == EventType::close && e.ret >= 0) {
    it->second.proc.fds.erase(e.args.fd);
  } else if (e.type == EventType::procexit && e.tid == e.pid) {
    // Children of an exiting process are re-parented; keep the chain by pointing them at its parent.
    std::int64_t grand = it->second.proc.ppid;
    for (auto& [pid, slot] : procs_) {
      if (slot.proc.ppid == e.pid) slot.proc.ppid = grand;
    }
    lru_.erase(it->second.lru);
    procs_.erase(it);
  }
}

const Process* ProcessTable::find(std::int64_t pid) const {
  auto it = procs_.find(pid);
  return it == procs_.end() ? nullptr : &it->second.proc;
}

const Process* ProcessTable::ancestor(const Process& p, int n) const {
  const Process* cur = &p;
  for (int i = 0; i < n && cur; ++i) {
    if (cur->ppid == 0 || cur->ppid == cur->pid) return nullptr;
    cur = find(cur->ppid);
  }
  return cur;
}

const ContainerInfo* ProcessTable::container(const std::string& id) {
  if (id.empty()) return nullptr;
  auto it = containers_.find(id);
  if (it != containers_.end() && !it->second) {
    auto asked = unknown_since_.find(id);
    if (asked == unknown_since_.end() || std::chrono::steady_clock::now() - asked->second >= std::chrono::seconds(1)) {
      containers_.erase(it);
      it = containers_.end();
    }
  }
  if (it == containers_.end()) {
    std::optional<ContainerInfo> info;
    if (resolver_) {
      ++stats_.container_lookups;
      auto r = resolver_->resolve(id);
      if (r) {
        info = std::move(*r);
      } else {
        ++stats_.container_lookup_failures;
      }
    }
    if (containers_.size() >= limits_.max_containers) {
      containers_.clear();
      unknown_since_.clear();
    }
    if (info) {
      unknown_since_.erase(id);
    } else {
      unknown_since_[id] = std::chrono::steady_clock::now();
    }
    it = containers_.emplace(id, std::move(info)).first;
  }
  return it->second ? &*it->second : nullptr;
}

void ProcessTable::add_dns_name(const std::string& ip, const std::string& name) {
  if (dns_.size() >= limits_.max_processes && !dns_.contains(ip)) return;
  auto& v = dns_[ip];
  if (std::find(v.begin(), v.end(), name) == v.end() && v.size() < 16) v.push_back(name);
}

const std::vector<std::string>* ProcessTable::dns_names(const std::string& ip) const {
  auto it = dns_.find(ip);
  return it == dns_.end() ? nullptr : &it->second;
}

}  // namespace bulwark::runtime
