#include "runtime/probe/decode.hpp"

#include <fcntl.h>
#include <sys/socket.h>

#include <cstring>
#include <vector>

#include "runtime/bpf/capture_abi.h"
#include "runtime/probe/syscalls.hpp"

namespace bulwark::runtime::probe {
namespace {

struct Fields {
  std::string_view path, path2, cwd, exe, exepath, argv, sockaddr, dirfd_path, str, str2, cgroup, fdpath;
  const bw_tuple* tuple = nullptr;
  bw_tuple tuple_copy{};
};

Status read_fields(std::span<const std::uint8_t> rec, std::uint32_t nfields, Fields& f) {
  std::size_t off = sizeof(bw_header);
  for (std::uint32_t i = 0; i < nfields; ++i) {
    if (off + sizeof(bw_field_hdr) > rec.size()) return fail(ErrorCode::parse, "record field header past its end");
    bw_field_hdr fh{};
    std::memcpy(&fh, rec.data() + off, sizeof(fh));
    off += sizeof(fh);
    if (off + fh.len > rec.size()) return fail(ErrorCode::parse, "record field value past its end");
    std::string_view value(reinterpret_cast<const char*>(rec.data() + off), fh.len);
    switch (fh.tag) {
      case BW_F_PATH: f.path = value; break;
      case BW_F_PATH2: f.path2 = value; break;
      case BW_F_CWD: f.cwd = value; break;
      case BW_F_EXE: f.exe = value; break;
      case BW_F_EXEPATH: f.exepath = value; break;
      case BW_F_ARGV: f.argv = value; break;
      case BW_F_SOCKADDR: f.sockaddr = value; break;
      case BW_F_DIRFD_PATH: f.dirfd_path = value; break;
      case BW_F_STR: f.str = value; break;
      case BW_F_STR2: f.str2 = value; break;
      case BW_F_CGROUP: f.cgroup = value; break;
      case BW_F_FDPATH: f.fdpath = value; break;
      case BW_F_TUPLE:
        if (fh.len != sizeof(bw_tuple)) return fail(ErrorCode::parse, "socket tuple of the wrong size");
        std::memcpy(&f.tuple_copy, value.data(), sizeof(bw_tuple));
        f.tuple = &f.tuple_copy;
        break;
      default: break;  // newer kernel side: ignore unknown fields
    }
    off += (fh.len + 3u) & ~3u;
  }
  return {};
}

Endpoint endpoint(const std::uint8_t (&addr)[16], std::uint16_t port) {
  Endpoint e;
  std::memcpy(e.addr.data(), addr, 16);
  e.port = port;
  return e;
}

// The address in a user sockaddr; family 0 when it is too short to say.
std::uint32_t parse_sockaddr(std::string_view raw, Endpoint& out) {
  if (raw.size() < sizeof(sa_family_t)) return 0;
  sa_family_t family = 0;
  std::memcpy(&family, raw.data(), sizeof(family));
  if (family == AF_INET && raw.size() >= 8) {
    std::uint16_t port_be = 0;
    std::memcpy(&port_be, raw.data() + 2, 2);
    out.port = static_cast<std::uint16_t>((port_be >> 8) | (port_be << 8));
    std::memcpy(out.addr.data(), raw.data() + 4, 4);
  } else if (family == AF_INET6 && raw.size() >= 24) {
    std::uint16_t port_be = 0;
    std::memcpy(&port_be, raw.data() + 2, 2);
    out.port = static_cast<std::uint16_t>((port_be >> 8) | (port_be << 8));
    std::memcpy(out.addr.data(), raw.data() + 8, 16);
  } else if (family == AF_UNIX) {
    std::string_view path = raw.substr(2);
    if (!path.empty() && path.front() == '\0') {
      // Abstract socket: Falco shows it with a leading '@'.
      std::string_view name = path.substr(1);
      out.unix_path = "@" + std::string(name.substr(0, name.find('\0')));
    } else {
      out.unix_path = std::string(path.substr(0, path.find('\0')));
    }
  }
  return family;
}

// Falco's orientation: client -> server. `local_is_client` is true for connect,
// sendto and dup (a reverse shell's socket), false for accept, bind and listen.
void fill_tuple(const Fields& f, bool local_is_client, SocketTuple& t) {
  Endpoint from_user;
  std::uint32_t user_family = parse_sockaddr(f.sockaddr, from_user);
  if (f.tuple != nullptr) {
    const bw_tuple& k = *f.tuple;
    t.family = k.family;
    t.l4proto = k.protocol;
    Endpoint local = endpoint(k.saddr, k.sport);
    Endpoint remote = endpoint(k.daddr, k.dport);
    if (local_is_client) {
      t.client = local;
      t.server = remote;
      // A failed or pending connect may not have the peer in the socket yet.
      if (user_family == k.family && remote.port == 0) t.server = from_user;
    } else {
      t.server = local;
      t.client = remote;
    }
    if (k.family == AF_UNIX && user_family == AF_UNIX) t.server.unix_path = from_user.unix_path;
  } else if (user_family != 0) {
    t.family = user_family;
    if (local_is_client) {
      t.server = from_user;
    } else {
      t.server = from_user;
    }
  }
}

void split_argv(std::string_view raw, std::vector<std::string>& out) {
  while (!raw.empty() && raw.back() == '\0') raw.remove_suffix(1);
  std::size_t start = 0;
  while (start <= raw.size() && !raw.empty()) {
    std::size_t end = raw.find('\0', start);
    if (end == std::string_view::npos) {
      out.emplace_back(raw.substr(start));
      break;
    }
    out.emplace_back(raw.substr(start, end - start));
    start = end + 1;
  }
}

void decode_syscall(const bw_header& h, const Fields& f, Event& ev) {
  auto a = [&](int i) { return static_cast<std::int64_t>(h.args[i]); };
  auto u = [&](int i) { return h.args[i]; };
  auto base_dir = [&]() -> std::string_view { return f.dirfd_path.empty() ? f.cwd : f.dirfd_path; };
  Args& args = ev.args;
  switch (ev.type) {
    case EventType::open:
      args.path = f.path;
      args.flags = u(1);
      args.mode = static_cast<std::uint32_t>(u(2));
      args.resolved_path = resolve_path(f.cwd, f.path);
      break;
    case EventType::creat:
      args.path = f.path;
      args.flags = O_CREAT | O_WRONLY | O_TRUNC;
      args.mode = static_cast<std::uint32_t>(u(1));
      args.resolved_path = resolve_path(f.cwd, f.path);
      break;
    case EventType::openat:
    case EventType::openat2:  // the kernel side put how.flags and how.mode in args[2] and [3]
      args.dirfd = static_cast<std::int32_t>(a(0));
      args.path = f.path;
      args.flags = u(2);
      args.mode = static_cast<std::uint32_t>(u(3));
      args.resolved_path = resolve_path(base_dir(), f.path);
      break;
    case EventType::connect:
    case EventType::sendto:
    case EventType::sendmsg:
      args.fd = a(0);
      fill_tuple(f, true, args.tuple);
      break;
    case EventType::bind:
    case EventType::listen:
      args.fd = a(0);
      fill_tuple(f, false, args.tuple);
      break;
    case EventType::accept:
    case EventType::accept4:
      args.fd = a(0);
      if (ev.type == EventType::accept4) args.flags = u(3);
      fill_tuple(f, false, args.tuple);
      break;
    case EventType::socket:
      args.domain = static_cast<std::uint32_t>(u(0));
      args.sock_type = static_cast<std::uint32_t>(u(1)) & 0xf;
      args.flags = u(1) & ~0xfull;
      args.protocol = static_cast<std::uint32_t>(u(2));
      break;
    case EventType::ptrace:
      args.request = a(0);
      args.target_pid = static_cast<std::int32_t>(a(1));
      break;
    case EventType::kill:
      args.target_pid = static_cast<std::int32_t>(a(0));
      args.signal = a(1);
      break;
    case EventType::setuid:
    case EventType::setfsuid: args.new_uid = static_cast<std::uint32_t>(u(0)); break;
    case EventType::setreuid:
      args.new_ruid = static_cast<std::uint32_t>(u(0));
      args.new_uid = static_cast<std::uint32_t>(u(1));
      break;
    case EventType::setresuid:
      args.new_ruid = static_cast<std::uint32_t>(u(0));
      args.new_uid = static_cast<std::uint32_t>(u(1));
      args.new_suid = static_cast<std::uint32_t>(u(2));
      break;
    case EventType::setgid:
    case EventType::setfsgid: args.new_gid = static_cast<std::uint32_t>(u(0)); break;
    case EventType::setregid:
      args.new_rgid = static_cast<std::uint32_t>(u(0));
      args.new_gid = static_cast<std::uint32_t>(u(1));
      break;
    case EventType::setresgid:
      args.new_rgid = static_cast<std::uint32_t>(u(0));
      args.new_gid = static_cast<std::uint32_t>(u(1));
      args.new_sgid = static_cast<std::uint32_t>(u(2));
      break;
    case EventType::capset:
      // The header's capability sets are read after the call: they are the new sets.
      args.new_caps = ev.caps;
      break;
    case EventType::prctl:
      args.option = a(0);
      args.arg2 = u(1);
      break;
    case EventType::mount:
      args.path = f.path;
      args.path2 = f.path2;
      args.fstype = f.str;
      args.flags = u(3);
      break;
    case EventType::umount2:
      args.path = f.path;
      args.flags = u(1);
      args.resolved_path = resolve_path(f.cwd, f.path);
      break;
    case EventType::unlink:
    case EventType::rmdir:
    case EventType::chdir:
    case EventType::chroot:
      args.path = f.path;
      args.resolved_path = resolve_path(f.cwd, f.path);
      break;
    case EventType::mkdir:
    case EventType::chmod:
      args.path = f.path;
      args.mode = static_cast<std::uint32_t>(u(1));
      args.resolved_path = resolve_path(f.cwd, f.path);
      break;
    case EventType::unlinkat:
      args.dirfd = static_cast<std::int32_t>(a(0));
      args.path = f.path;
      args.flags = u(2);
      args.resolved_path = resolve_path(base_dir(), f.path);
      break;
    case EventType::mkdirat:
    case EventType::fchmodat:
      args.dirfd = static_cast<std::int32_t>(a(0));
      args.path = f.path;
      args.mode = static_cast<std::uint32_t>(u(2));
      args.resolved_path = resolve_path(base_dir(), f.path);
      break;
    case EventType::rename:
    case EventType::link:
    case EventType::symlink:
      args.path = f.path;
      args.path2 = f.path2;
      break;
    case EventType::renameat:
    case EventType::renameat2:
    case EventType::linkat:
      args.dirfd = static_cast<std::int32_t>(a(0));
      args.dirfd2 = static_cast<std::int32_t>(a(2));
      args.path = f.path;
      args.path2 = f.path2;
      if (ev.type != EventType::renameat) args.flags = u(4);
      break;
    case EventType::symlinkat:
      args.path = f.path;
      args.dirfd = static_cast<std::int32_t>(a(1));
      args.path2 = f.path2;
      break;
    case EventType::fchmod:
      args.fd = a(0);
      args.mode = static_cast<std::uint32_t>(u(1));
      args.resolved_path = f.fdpath;
      break;
    case EventType::fchdir:
      args.fd = a(0);
      args.resolved_path = f.fdpath;
      break;
    case EventType::memfd_create:
      args.path = f.str;
      args.flags = u(1);
      break;
    case EventType::init_module: args.fstype = f.str; break;
    case EventType::finit_module:
      args.fd = a(0);
      args.fstype = f.str;
      args.flags = u(2);
      args.resolved_path = f.fdpath;
      break;
    case EventType::dup:
      args.fd = a(0);
      fill_tuple(f, true, args.tuple);
      break;
    case EventType::dup2:
    case EventType::dup3:
      args.fd = a(0);
      args.fd2 = a(1);
      if (ev.type == EventType::dup3) args.flags = u(2);
      fill_tuple(f, true, args.tuple);
      break;
    case EventType::close:
    case EventType::fcntl:
    case EventType::recvfrom:
    case EventType::recvmsg: args.fd = a(0); break;
    case EventType::setns:
      args.fd = a(0);
      args.nstype = u(1);
      break;
    case EventType::unshare: args.flags = u(0); break;
    case EventType::setpgid: args.target_pid = a(0); break;
    default: break;
  }
}

}  // namespace

std::string normalize_path(std::string_view path) {
  std::vector<std::string_view> parts;
  std::size_t i = 0;
  while (i < path.size()) {
    std::size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    std::string_view part = path.substr(i, j - i);
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    i = j + 1;
  }
  std::string out;
  for (auto p : parts) {
    out += '/';
    out += p;
  }
  return out.empty() ? "/" : out;
}

std::string resolve_path(std::string_view base, std::string_view path) {
  if (path.empty()) return {};
  if (path.front() == '/') return normalize_path(path);
  if (base.empty()) return {};
  std::string joined(base);
  joined += '/';
  joined += path;
  return normalize_path(joined);
}

Status decode_record(std::span<const std::uint8_t> record, const DecodeContext& context, Event& out,
                     DecodeExtra* extra) {
  out.clear();
  if (record.size() < sizeof(bw_header)) return fail(ErrorCode::parse, "record shorter than its header");
  bw_header h{};
  std::memcpy(&h, record.data(), sizeof(h));
  if (h.size > record.size() || h.size < sizeof(bw_header)) return fail(ErrorCode::parse, "record size mismatch");
  record = record.first(h.size);
  Fields f;
  if (auto st = read_fields(record, h.nfields, f); !st) return st;

  out.ts_ns = h.ts_ns + static_cast<std::uint64_t>(context.boot_to_wall_ns);
  out.dir = Direction::exit;
  out.ret = h.ret;
  out.cpu = h.cpu;
  out.pid = h.pid;
  out.tid = h.tid;
  out.ppid = h.ppid;
  out.uid = h.euid;
  out.gid = h.egid;
  out.loginuid = h.loginuid;
  out.caps = Capabilities{h.cap_effective, h.cap_permitted, h.cap_inheritable};
  out.cgroup_id = h.cgroup_id;
  out.mnt_ns = h.mntns;
  out.pid_ns = h.pidns;
  out.comm.assign(h.comm, strnlen(h.comm, sizeof(h.comm)));
  if (extra != nullptr) extra->cgroup_leaf = f.cgroup;

  switch (h.kind) {
    case BW_KIND_SYSCALL: {
      auto type = event_type_for_syscall(h.syscall_nr);
      if (!type) return fail(ErrorCode::parse, "record for a syscall the decoder does not know");
      out.type = *type;
      decode_syscall(h, f, out);
      break;
    }
    case BW_KIND_EXEC: {
      out.type = EventType::execve;
      out.ret = 0;
      ExecInfo info;
      split_argv(f.argv, info.argv);
      if (!info.argv.empty()) info.exe_arg0 = info.argv.front();
      if ((h.exec_flags & BW_EXEC_MEMFD) != 0) {
        info.exe = f.exepath;  // the memfd's own name, "memfd:NAME"
      } else {
        info.exe = !f.exepath.empty() ? std::string(f.exepath) : resolve_path(f.cwd, f.exe);
      }
      info.cwd = f.cwd;
      info.tty = h.tty;
      if ((h.exec_flags & BW_EXEC_UPPER_LAYER) != 0) info.exe_flags |= kExeUpperLayer;
      if ((h.exec_flags & BW_EXEC_LOWER_LAYER) != 0) info.exe_flags |= kExeLowerLayer;
      if ((h.exec_flags & BW_EXEC_MEMFD) != 0) info.exe_flags |= kExeFromMemfd;
      if ((h.exec_flags & BW_EXEC_WRITABLE) != 0) info.exe_flags |= kExeWritable;
      info.start_ns = h.start_ns + static_cast<std::uint64_t>(context.boot_to_wall_ns);
      info.vpid = h.vpid;
      out.args.path = f.exe;
      out.exec = std::move(info);
      break;
    }
    case BW_KIND_FORK:
      // Told from the parent's side, as a clone exit in the parent: the process
      // table copies the parent (exe, fds) into the child. The kernel sent the
      // child's identity with the parent's tgid in ppid.
      out.type = EventType::clone;
      out.pid = h.ppid;
      out.tid = h.ppid;
      out.ppid = 0;  // the parent's parent: unknown here, the table keeps it
      out.ret = h.pid;
      out.args.child_pid = h.pid;
      out.args.child_tid = h.tid;
      break;
    case BW_KIND_EXIT:
      out.type = EventType::procexit;
      out.ret = 0;
      out.args.exit_status = (h.ret >> 8) & 0xff;
      out.args.signal = h.ret & 0x7f;
      break;
    default: return fail(ErrorCode::parse, "record of an unknown kind");
  }
  return {};
}

}  // namespace bulwark::runtime::probe
