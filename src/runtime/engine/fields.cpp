#include "runtime/engine/fields.hpp"
#include "core/capabilities.hpp"
#include "runtime/events/open_flags.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <ctime>
#include <fstream>

namespace bulwark::runtime::engine {

namespace {

enum F : int {
  // evt
  evt_type,
  evt_num,
  evt_time,
  evt_time_s,
  evt_time_iso8601,
  evt_datetime,
  evt_rawtime,
  evt_dir,
  evt_res,
  evt_rawres,
  evt_failed,
  evt_is_open_read,
  evt_is_open_write,
  evt_is_open_exec,
  evt_is_open_create,
  evt_args,
  evt_arg,
  evt_hostname,
  evt_cpu,
  evt_source,
  evt_category,
  syscall_type,
  evt_pluginname,
  // proc
  proc_name,
  proc_exe,
  proc_exepath,
  proc_cmdline,
  proc_args,
  proc_cmdnargs,
  proc_cmdlenargs,
  proc_pid,
  proc_ppid,
  proc_vpid,
  proc_pname,
  proc_pcmdline,
  proc_pexe,
  proc_pexepath,
  proc_aname,
  proc_apid,
  proc_aexe,
  proc_aexepath,
  proc_acmdline,
  proc_sid,
  proc_sname,
  proc_tty,
  proc_cwd,
  proc_duration,
  proc_start_ts,
  proc_env,
  proc_is_exe_upper_layer,
  proc_is_exe_from_memfd,
  proc_is_exe_writable,
  proc_is_exe_lower_layer,
  proc_exe_ino,
  proc_exe_ino_ctime,
  proc_exe_ino_mtime,
  proc_exe_ino_ctime_duration_proc_start,
  proc_is_sid_leader,
  proc_is_vpgid_leader,
  proc_vpgid,
  proc_vpgid_name,
  proc_vpgid_exe,
  proc_ppid_duration,
  proc_pvpid,
  proc_sid_exe,
  proc_sid_exepath,
  proc_pgid,
  proc_is_container_healthcheck,
  proc_is_container_liveness_probe,
  proc_is_container_readiness_probe,
  proc_loginshellid,
  // thread
  thread_tid,
  thread_vtid,
  thread_cap_effective,
  thread_cap_permitted,
  thread_cap_inheritable,
  thread_ismain,
  // user / group
  user_uid,
  user_name,
  user_loginuid,
  user_loginname,
  user_homedir,
  user_shell,
  group_gid,
  group_name,
  // fd
  fd_num,
  fd_type,
  fd_typechar,
  fd_name,
  fd_nameraw,
  fd_directory,
  fd_filename,
  fd_ip,
  fd_cip,
  fd_sip,
  fd_lip,
  fd_rip,
  fd_port,
  fd_cport,
  fd_sport,
  fd_lport,
  fd_rport,
  fd_l4proto,
  fd_sockfamily,
  fd_is_server,
  fd_net,
  fd_cnet,
  fd_snet,
  fd_lnet,
  fd_rnet,
  fd_connected,
  fd_name_changed,
  fd_sip_name,
  fd_cip_name,
  fd_lip_name,
  fd_rip_name,
  fd_types,
  fd_ino,
  fd_dev,
  // fs.path
  fs_path_name,
  fs_path_nameraw,
  fs_path_source,
  fs_path_sourceraw,
  fs_path_target,
  fs_path_targetraw,
  // container
  container_id,
  container_full_id,
  container_name,
  container_image,
  container_image_id,
  container_image_repository,
  container_image_tag,
  container_image_digest,
  container_type,
  container_privileged,
  container_start_ts,
  container_duration,
  container_mounts,
  container_mount,
  container_healthcheck,
  container_liveness_probe,
  container_readiness_probe,
  container_ip,
  container_cni_json,
  container_label,
  // k8s (from CRI labels) and buffers
  k8s_ns_name,
  k8s_pod_name,
  k8s_pod_uid,
  k8s_pod_label,
  evt_buffer,
};

using T = FieldType;
using A = FieldArg;

constexpr FieldDef kFields[] = {
    {"evt.type", T::string, A::none, evt_type, "event type (execve, openat, ...)"},
    {"evt.num", T::number, A::none, evt_num, "event sequence number"},
    {"evt.time", T::string, A::none, evt_time, "event time, HH:MM:SS.nnnnnnnnn"},
    {"evt.time.s", T::string, A::none, evt_time_s, "event time, HH:MM:SS"},
    {"evt.time.iso8601", T::string, A::none, evt_time_iso8601, "event time, ISO 8601"},
    {"evt.datetime", T::string, A::none, evt_datetime, "event date and time"},
    {"evt.rawtime", T::number, A::none, evt_rawtime, "event time, ns since the epoch"},
    {"evt.dir", T::string, A::none, evt_dir, "direction: > enter, < exit (deprecated)"},
    {"evt.res", T::string, A::none, evt_res, "SUCCESS or the errno name (ENOENT)"},
    {"evt.rawres", T::number, A::none, evt_rawres, "return value"},
    {"evt.failed", T::boolean, A::none, evt_failed, "the call failed"},
    {"evt.is_open_read", T::boolean, A::none, evt_is_open_read, "open for reading"},
    {"evt.is_open_write", T::boolean, A::none, evt_is_open_write, "open for writing"},
    {"evt.is_open_exec", T::boolean, A::none, evt_is_open_exec, "open of an executable (O_CREAT with an x mode)"},
    {"evt.is_open_create", T::boolean, A::none, evt_is_open_create, "open with O_CREAT"},
    {"evt.args", T::string, A::none, evt_args, "all arguments as text"},
    {"evt.arg", T::string, A::key, evt_arg, "one argument by name (evt.arg.flags) or index (evt.arg[0])"},
    {"evt.rawarg", T::string, A::key, evt_arg, "one argument by name, raw"},
    {"evt.hostname", T::string, A::none, evt_hostname, "host name"},
    {"evt.cpu", T::number, A::none, evt_cpu, "CPU number"},
    {"evt.source", T::string, A::none, evt_source, "event source (syscall)"},
    {"evt.category", T::string, A::none, evt_category, "event category"},
    {"evt.pluginname", T::string, A::none, evt_pluginname, "plugin name (empty)"},
    {"syscall.type", T::string, A::none, syscall_type, "syscall name"},
    {"proc.name", T::string, A::none, proc_name, "process name (comm)"},
    {"proc.exe", T::string, A::none, proc_exe, "argv[0]"},
    {"proc.exepath", T::string, A::none, proc_exepath, "full executable path"},
    {"proc.cmdline", T::string, A::none, proc_cmdline, "name and arguments"},
    {"proc.args", T::string, A::none, proc_args, "arguments"},
    {"proc.cmdnargs", T::number, A::none, proc_cmdnargs, "number of arguments"},
    {"proc.cmdlenargs", T::number, A::none, proc_cmdlenargs, "total length of arguments"},
    {"proc.pid", T::number, A::none, proc_pid, "process id"},
    {"proc.ppid", T::number, A::none, proc_ppid, "parent process id"},
    {"proc.vpid", T::number, A::none, proc_vpid, "pid in its namespace"},
    {"proc.pname", T::string, A::none, proc_pname, "parent name"},
    {"proc.pcmdline", T::string, A::none, proc_pcmdline, "parent command line"},
    {"proc.pexe", T::string, A::none, proc_pexe, "parent argv[0]"},
    {"proc.pexepath", T::string, A::none, proc_pexepath, "parent executable path"},
    {"proc.aname", T::string, A::index, proc_aname, "ancestor name ([1] = parent; no index = any)"},
    {"proc.apid", T::number, A::index, proc_apid, "ancestor pid"},
    {"proc.aexe", T::string, A::index, proc_aexe, "ancestor argv[0]"},
    {"proc.aexepath", T::string, A::index, proc_aexepath, "ancestor executable path"},
    {"proc.acmdline", T::string, A::index, proc_acmdline, "ancestor command line"},
    {"proc.sid", T::number, A::none, proc_sid, "session id"},
    {"proc.sname", T::string, A::none, proc_sname, "session leader name"},
    {"proc.tty", T::number, A::none, proc_tty, "controlling terminal (0 = none)"},
    {"proc.cwd", T::string, A::none, proc_cwd, "working directory"},
    {"proc.duration", T::number, A::none, proc_duration, "ns since the process started"},
    {"proc.start_ts", T::number, A::none, proc_start_ts, "process start time"},
    {"proc.env", T::string, A::key, proc_env, "environment (or one variable with [NAME])"},
    {"proc.is_exe_upper_layer", T::boolean, A::none, proc_is_exe_upper_layer, "executable in an overlayfs upper layer"},
    {"proc.is_exe_from_memfd", T::boolean, A::none, proc_is_exe_from_memfd, "executable is a memfd"},
    {"proc.is_exe_writable", T::boolean, A::none, proc_is_exe_writable, "executable writable by the user"},
    {"proc.is_exe_lower_layer", T::boolean, A::none, proc_is_exe_lower_layer, "executable in an image layer"},
    {"proc.exe_ino", T::number, A::none, proc_exe_ino, "executable inode"},
    {"proc.exe_ino.ctime", T::number, A::none, proc_exe_ino_ctime, "executable ctime (not captured: <NA>)"},
    {"proc.exe_ino.mtime", T::number, A::none, proc_exe_ino_mtime, "executable mtime (not captured: <NA>)"},
    {"proc.exe_ino.ctime_duration_proc_start", T::number, A::none, proc_exe_ino_ctime_duration_proc_start,
     "ctime to process start (not captured: <NA>)"},
    {"proc.is_sid_leader", T::boolean, A::none, proc_is_sid_leader, "session leader"},
    {"proc.is_vpgid_leader", T::boolean, A::none, proc_is_vpgid_leader, "process group leader"},
    {"proc.vpgid", T::number, A::none, proc_vpgid, "process group id"},
    {"proc.vpgid.name", T::string, A::none, proc_vpgid_name, "process group leader name"},
    {"proc.vpgid.exe", T::string, A::none, proc_vpgid_exe, "process group leader argv[0]"},
    {"proc.ppid.duration", T::number, A::none, proc_ppid_duration, "ns since the parent started"},
    {"proc.pvpid", T::number, A::none, proc_pvpid, "parent pid in its namespace"},
    {"proc.sid.exe", T::string, A::none, proc_sid_exe, "session leader argv[0]"},
    {"proc.sid.exepath", T::string, A::none, proc_sid_exepath, "session leader path"},
    {"proc.pgid", T::number, A::none, proc_pgid, "process group id"},
    {"proc.is_container_healthcheck", T::boolean, A::none, proc_is_container_healthcheck, "always false"},
    {"proc.is_container_liveness_probe", T::boolean, A::none, proc_is_container_liveness_probe, "always false"},
    {"proc.is_container_readiness_probe", T::boolean, A::none, proc_is_container_readiness_probe, "always false"},
    {"proc.loginshellid", T::number, A::none, proc_loginshellid, "pid of the oldest shell ancestor"},
    {"thread.tid", T::number, A::none, thread_tid, "thread id"},
    {"thread.vtid", T::number, A::none, thread_vtid, "thread id in its namespace"},
    {"thread.cap_effective", T::string, A::none, thread_cap_effective, "effective capabilities (CAP_X names)"},
    {"thread.cap_permitted", T::string, A::none, thread_cap_permitted, "permitted capabilities"},
    {"thread.cap_inheritable", T::string, A::none, thread_cap_inheritable, "inheritable capabilities"},
    {"thread.ismain", T::boolean, A::none, thread_ismain, "main thread"},
    {"user.uid", T::number, A::none, user_uid, "effective uid"},
    {"user.name", T::string, A::none, user_name, "user name (host passwd)"},
    {"user.loginuid", T::number, A::none, user_loginuid, "audit login uid (-1 = unset)"},
    {"user.loginname", T::string, A::none, user_loginname, "login user name"},
    {"user.homedir", T::string, A::none, user_homedir, "home directory"},
    {"user.shell", T::string, A::none, user_shell, "login shell"},
    {"group.gid", T::number, A::none, group_gid, "effective gid"},
    {"group.name", T::string, A::none, group_name, "group name"},
    {"fd.num", T::number, A::none, fd_num, "fd number"},
    {"fd.type", T::string, A::none, fd_type, "file, directory, ipv4, ipv6, unix, ..."},
    {"fd.typechar", T::string, A::none, fd_typechar, "f, d, 4, 6, u, ..."},
    {"fd.name", T::string, A::none, fd_name, "path or connection tuple"},
    {"fd.nameraw", T::string, A::none, fd_nameraw, "path as passed"},
    {"fd.directory", T::string, A::none, fd_directory, "directory of the file"},
    {"fd.filename", T::string, A::none, fd_filename, "file name without directory"},
    {"fd.ip", T::ipaddr, A::none, fd_ip, "either IP"},
    {"fd.cip", T::ipaddr, A::none, fd_cip, "client IP"},
    {"fd.sip", T::ipaddr, A::none, fd_sip, "server IP"},
    {"fd.lip", T::ipaddr, A::none, fd_lip, "local IP"},
    {"fd.rip", T::ipaddr, A::none, fd_rip, "remote IP"},
    {"fd.port", T::number, A::none, fd_port, "either port"},
    {"fd.cport", T::number, A::none, fd_cport, "client port"},
    {"fd.sport", T::number, A::none, fd_sport, "server port"},
    {"fd.lport", T::number, A::none, fd_lport, "local port"},
    {"fd.rport", T::number, A::none, fd_rport, "remote port"},
    {"fd.l4proto", T::string, A::none, fd_l4proto, "tcp, udp, icmp, raw"},
    {"fd.sockfamily", T::string, A::none, fd_sockfamily, "ip or unix"},
    {"fd.is_server", T::boolean, A::none, fd_is_server, "local end is the server"},
    {"fd.net", T::ipnet, A::none, fd_net, "either IP, matched against a CIDR"},
    {"fd.cnet", T::ipnet, A::none, fd_cnet, "client IP against a CIDR"},
    {"fd.snet", T::ipnet, A::none, fd_snet, "server IP against a CIDR"},
    {"fd.lnet", T::ipnet, A::none, fd_lnet, "local IP against a CIDR"},
    {"fd.rnet", T::ipnet, A::none, fd_rnet, "remote IP against a CIDR"},
    {"fd.connected", T::boolean, A::none, fd_connected, "socket connected"},
    {"fd.name_changed", T::boolean, A::none, fd_name_changed, "name changed by this event"},
    {"fd.sip.name", T::string, A::none, fd_sip_name, "DNS names seen for the server IP"},
    {"fd.cip.name", T::string, A::none, fd_cip_name, "DNS names for the client IP"},
    {"fd.lip.name", T::string, A::none, fd_lip_name, "DNS names for the local IP"},
    {"fd.rip.name", T::string, A::none, fd_rip_name, "DNS names for the remote IP"},
    {"fd.types", T::string, A::index, fd_types, "fd types of the process ([N] = of fd N)"},
    {"fd.ino", T::number, A::none, fd_ino, "inode (not captured)"},
    {"fd.dev", T::number, A::none, fd_dev, "device (not captured)"},
    {"fs.path.name", T::string, A::none, fs_path_name, "path a filesystem call acted on"},
    {"fs.path.nameraw", T::string, A::none, fs_path_nameraw, "path as passed"},
    {"fs.path.source", T::string, A::none, fs_path_source, "source path (rename, link, symlink target)"},
    {"fs.path.sourceraw", T::string, A::none, fs_path_sourceraw, "source path as passed"},
    {"fs.path.target", T::string, A::none, fs_path_target, "target path (new name, new link)"},
    {"fs.path.targetraw", T::string, A::none, fs_path_targetraw, "target path as passed"},
    {"container.id", T::string, A::none, container_id, "12-character container id, or host"},
    {"container.full_id", T::string, A::none, container_full_id, "full container id, or host"},
    {"container.name", T::string, A::none, container_name, "container name (host for the host)"},
    {"container.image", T::string, A::none, container_image, "image as named"},
    {"container.image.id", T::string, A::none, container_image_id, "image id"},
    {"container.image.repository", T::string, A::none, container_image_repository, "image repository"},
    {"container.image.tag", T::string, A::none, container_image_tag, "image tag"},
    {"container.image.digest", T::string, A::none, container_image_digest, "image digest"},
    {"container.type", T::string, A::none, container_type, "docker, containerd, cri-o, podman, host"},
    {"container.privileged", T::boolean, A::none, container_privileged, "privileged container"},
    {"container.start_ts", T::number, A::none, container_start_ts, "container start time"},
    {"container.duration", T::number, A::none, container_duration, "ns since the container started"},
    {"container.mounts", T::string, A::none, container_mounts, "mounts, comma-separated"},
    {"container.mount", T::string, A::key, container_mount, "one mount by index or destination"},
    {"container.healthcheck", T::string, A::none, container_healthcheck, "health check (not known)"},
    {"container.liveness_probe", T::string, A::none, container_liveness_probe, "liveness probe (not known)"},
    {"container.readiness_probe", T::string, A::none, container_readiness_probe, "readiness probe (not known)"},
    {"container.ip", T::ipaddr, A::none, container_ip, "container IP (not known)"},
    {"container.cni.json", T::string, A::none, container_cni_json, "CNI result (not known)"},
    {"container.label", T::string, A::key, container_label, "one container label ([name])"},
    {"k8s.ns.name", T::string, A::none, k8s_ns_name, "pod namespace (CRI label io.kubernetes.pod.namespace)"},
    {"k8s.pod.name", T::string, A::none, k8s_pod_name, "pod name (CRI label io.kubernetes.pod.name)"},
    {"k8s.pod.uid", T::string, A::none, k8s_pod_uid, "pod uid (CRI label io.kubernetes.pod.uid)"},
    {"k8s.pod.label", T::string, A::key, k8s_pod_label, "a pod label ([name]) from the container's labels"},
    {"evt.buffer", T::string, A::none, evt_buffer, "I/O buffer (not captured: <NA>)"},
};

std::string_view ptrace_request_name(std::int64_t r) {
  switch (r) {
    case 0: return "PTRACE_TRACEME";
    case 1: return "PTRACE_PEEKTEXT";
    case 2: return "PTRACE_PEEKDATA";
    case 3: return "PTRACE_PEEKUSR";
    case 4: return "PTRACE_POKETEXT";
    case 5: return "PTRACE_POKEDATA";
    case 6: return "PTRACE_POKEUSR";
    case 7: return "PTRACE_CONT";
    case 8: return "PTRACE_KILL";
    case 9: return "PTRACE_SINGLESTEP";
    case 12: return "PTRACE_GETREGS";
    case 13: return "PTRACE_SETREGS";
    case 14: return "PTRACE_GETFPREGS";
    case 15: return "PTRACE_SETFPREGS";
    case 16: return "PTRACE_ATTACH";
    case 17: return "PTRACE_DETACH";
    case 18: return "PTRACE_GETFPXREGS";
    case 19: return "PTRACE_SETFPXREGS";
    case 24: return "PTRACE_SYSCALL";
    case 0x4200: return "PTRACE_SETOPTIONS";
    case 0x4201: return "PTRACE_GETEVENTMSG";
    case 0x4202: return "PTRACE_GETSIGINFO";
    case 0x4203: return "PTRACE_SETSIGINFO";
    case 0x4204: return "PTRACE_GETREGSET";
    case 0x4205: return "PTRACE_SETREGSET";
    case 0x4206: return "PTRACE_SEIZE";
    case 0x4207: return "PTRACE_INTERRUPT";
    case 0x4208: return "PTRACE_LISTEN";
    default: return "";
  }
}

std::string_view family_name(std::uint32_t f) {
  switch (f) {
    case 0: return "AF_UNSPEC";
    case kAfUnix: return "AF_LOCAL";
    case kAfInet: return "AF_INET";
    case kAfInet6: return "AF_INET6";
    case kAfNetlink: return "AF_NETLINK";
    case kAfPacket: return "AF_PACKET";
    default: return "";
  }
}

std::string_view fd_type_name(FdKind k) {
  switch (k) {
    case FdKind::file: return "file";
    case FdKind::directory: return "directory";
    case FdKind::ipv4: return "ipv4";
    case FdKind::ipv6: return "ipv6";
    case FdKind::unix_sock: return "unix";
    case FdKind::pipe: return "pipe";
    case FdKind::event: return "event";
    case FdKind::signalfd: return "signalfd";
    case FdKind::eventpoll: return "eventpoll";
    case FdKind::inotify: return "inotify";
    case FdKind::memfd: return "memfd";
    case FdKind::netlink: return "netlink";
    case FdKind::packet: return "packet";
    case FdKind::other: return "other";
  }
  return "other";
}

std::string exe_flags_string(std::uint32_t f) {
  std::string out;
  auto add = [&](std::string_view s) {
    if (!out.empty()) out.push_back('|');
    out.append(s);
  };
  if (f & kExeWritable) add("EXE_WRITABLE");
  if (f & kExeUpperLayer) add("EXE_UPPER_LAYER");
  if (f & kExeFromMemfd) add("EXE_FROM_MEMFD");
  if (f & kExeLowerLayer) add("EXE_LOWER_LAYER");
  return out;
}

std::string time_string(std::uint64_t ns, int style) {
  std::time_t secs = static_cast<std::time_t>(ns / 1000000000ULL);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  switch (style) {
    case 0: std::strftime(buf, sizeof buf, "%H:%M:%S", &tm); return fmt::format("{}.{:09}", buf, ns % 1000000000ULL);
    case 1: std::strftime(buf, sizeof buf, "%H:%M:%S", &tm); return buf;
    case 2:
      std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
      return fmt::format("{}.{:09}Z", buf, ns % 1000000000ULL);
    default:
      std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
      return fmt::format("{}.{:09}", buf, ns % 1000000000ULL);
  }
}

bool is_open_type(EventType t) {
  return t == EventType::open || t == EventType::openat || t == EventType::openat2 || t == EventType::creat;
}

// Appends "name arg1 arg2" (or just the arguments) as one value, reusing the value's buffer.
bool add_cmdline(FieldValues& out, const Process& p, bool with_name) {
  out.add(with_name ? std::string_view(p.comm) : std::string_view());
  std::string& s = out.strs[out.count - 1];
  bool first = !with_name;
  for (const auto& a : p.args) {
    if (!first) s.push_back(' ');
    s += a;
    first = false;
  }
  return true;
}

std::string cmdline(const Process& p) {
  std::string s = p.comm;
  for (const auto& a : p.args) {
    s.push_back(' ');
    s += a;
  }
  return s;
}

// The nth ancestor, or each ancestor in turn (index < 0) up to a bound.
template <class Fn>
void for_ancestors(const EvalContext& ctx, int index, Fn&& fn) {
  if (!ctx.proc || !ctx.state) return;
  if (index >= 0) {
    if (const Process* a = ctx.state->ancestor(*ctx.proc, index)) fn(*a);
    return;
  }
  const Process* cur = ctx.proc;
  for (int i = 0; i < 64; ++i) {
    cur = ctx.state->ancestor(*cur, 1);
    if (!cur) break;
    fn(*cur);
  }
}

const ContainerInfo* container_of(const EvalContext& ctx) {
  if (!ctx.proc || ctx.proc->container_id.empty() || !ctx.state) return nullptr;
  return ctx.state->container(ctx.proc->container_id);
}

bool local_is_client(const FdEntry& f) {
  return !f.server_side;
}

// The "arguments" of an event by Falco's parameter names.
bool event_arg(const EvalContext& ctx, std::string_view key, FieldValues& out) {
  const Event& e = *ctx.evt;
  const Args& a = e.args;
  auto num = [&](std::int64_t n) {
    out.set_num(n);
    return true;
  };
  auto str = [&](std::string_view s) {
    out.clear();
    out.add(s);
    return true;
  };
  if (key == "res") return num(e.ret);
  if (key == "flags") {
    if (is_open_type(e.type)) return str(open_flags_string(a.flags));
    if (e.type == EventType::execve || e.type == EventType::execveat) {
      if (!e.exec) return false;
      return str(exe_flags_string(e.exec->exe_flags));
    }
    return num(static_cast<std::int64_t>(a.flags));
  }
  if (key == "mode") return num(a.mode);
  if (key == "fd")
    return num(e.type == EventType::dup || e.type == EventType::dup2 || e.type == EventType::dup3 ? e.ret : a.fd);
  if (key == "oldfd") return num(a.fd);
  if (key == "newfd") return num(e.ret);
  if (key == "dirfd") return num(a.dirfd);
  if (key == "request") {
    auto n = ptrace_request_name(a.request);
    return n.empty() ? num(a.request) : str(n);
  }
  if (key == "pid") return num(a.target_pid);
  if (key == "domain") {
    auto n = family_name(a.domain);
    return n.empty() ? num(a.domain) : str(n);
  }
  if (key == "type") return num(a.sock_type);
  if (key == "proto") return num(a.protocol);
  if (key == "uid" || key == "euid") {
    if (a.new_uid == UINT32_MAX) return false;
    return num(a.new_uid);
  }
  if (key == "gid" || key == "egid") {
    if (a.new_gid == UINT32_MAX) return false;
    return num(a.new_gid);
  }
  if (key == "option") return num(a.option);
  if (key == "cap_effective") return str(caps_string(a.new_caps.effective));
  if (key == "cap_permitted") return str(caps_string(a.new_caps.permitted));
  if (key == "cap_inheritable") return str(caps_string(a.new_caps.inheritable));
  if (key == "fstype" || key == "type_str") return str(a.fstype);
  if (key == "uargs") return str(a.fstype);
  if (key == "exe" && e.exec) return str(e.exec->exe);
  if (key == "args" && e.exec) {
    std::string s;
    for (std::size_t i = 1; i < e.exec->argv.size(); ++i) {
      if (i > 1) s.push_back(' ');
      s += e.exec->argv[i];
    }
    return str(s);
  }
  if (key == "cwd" && e.exec) return str(e.exec->cwd);
  if (key == "tty" && e.exec) return num(e.exec->tty);
  // Path-like parameters, by the names Falco uses per syscall.
  switch (e.type) {
    case EventType::symlink:
    case EventType::symlinkat:
      if (key == "target") return str(a.path);
      if (key == "linkpath") return str(a.path2);
      break;
    case EventType::link:
    case EventType::linkat:
    case EventType::rename:
    case EventType::renameat:
    case EventType::renameat2:
      if (key == "oldpath") return str(a.path);
      if (key == "newpath") return str(a.path2);
      break;
    case EventType::mount:
      if (key == "dev" || key == "source") return str(a.path);
      if (key == "dir" || key == "target") return str(a.path2);
      break;
    case EventType::umount2:
      if (key == "name" || key == "target") return str(a.path);
      break;
    case EventType::memfd_create:
      if (key == "name") return str(a.path);
      break;
    case EventType::execve:
    case EventType::execveat:
      if (key == "filename" || key == "pathname") return str(a.path.empty() && e.exec ? e.exec->exe : a.path);
      break;
    default:
      if (key == "name" || key == "path" || key == "pathname" || key == "filename") {
        if (a.path.empty() && a.resolved_path.empty()) return false;
        return str(is_open_type(e.type) && !a.resolved_path.empty() ? a.resolved_path : a.path);
      }
      break;
  }
  if ((key == "addr" || key == "tuple") && a.tuple.family != 0) {
    if (a.tuple.family == kAfUnix) return str(a.tuple.server.unix_path);
    return str(format_ip(a.tuple.family, a.tuple.client) + ":" + std::to_string(a.tuple.client.port) + "->" +
               format_ip(a.tuple.family, a.tuple.server) + ":" + std::to_string(a.tuple.server.port));
  }
  return false;
}

std::string event_args_text(const EvalContext& ctx) {
  const Event& e = *ctx.evt;
  std::string out = "res=" + std::to_string(e.ret);
  FieldValues v;
  for (std::string_view k : {"fd", "name", "flags", "mode", "domain", "type", "proto", "request", "pid", "target",
                             "linkpath", "oldpath", "newpath", "tuple"}) {
    if (k == "fd" && e.args.fd < 0) continue;
    if ((k == "domain" || k == "type" || k == "proto") && e.type != EventType::socket) continue;
    if ((k == "request" || k == "pid") && e.type != EventType::ptrace) continue;
    if (k == "mode" && e.args.mode == 0) continue;
    if (k == "flags" && e.args.flags == 0 && !e.exec) continue;
    if (event_arg(ctx, k, v) && v.count > 0 && !v.at(0).empty()) out += fmt::format(" {}={}", k, v.at(0));
  }
  return out;
}

bool parse_cidr(std::string_view text, std::uint32_t& family, std::array<std::uint8_t, 16>& addr, int& bits) {
  std::string s(text);
  auto slash = s.find('/');
  std::string ip = s.substr(0, slash);
  addr = {};
  if (inet_pton(AF_INET, ip.c_str(), addr.data()) == 1) {
    family = kAfInet;
    bits = 32;
  } else if (inet_pton(AF_INET6, ip.c_str(), addr.data()) == 1) {
    family = kAfInet6;
    bits = 128;
  } else {
    return false;
  }
  if (slash != std::string::npos) {
    try {
      bits = std::stoi(s.substr(slash + 1));
    } catch (...) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::span<const FieldDef> all_fields() {
  return kFields;
}

const FieldDef* find_field(std::string_view name, std::string* key_out) {
  for (const auto& f : kFields) {
    if (f.name == name) return &f;
  }
  for (std::string_view prefix :
       {"evt.arg.", "evt.rawarg.", "proc.env.", "container.mount.", "container.label.", "k8s.pod.label."}) {
    if (name.starts_with(prefix) && name.size() > prefix.size()) {
      if (key_out) *key_out = std::string(name.substr(prefix.size()));
      return find_field(prefix.substr(0, prefix.size() - 1));
    }
  }
  return nullptr;
}

FieldType BoundField::result_type() const {
  if (!transformers.empty() && transformers.front() == Transformer::len) return FieldType::number;
  if (!transformers.empty()) return FieldType::string;
  return def ? def->type : FieldType::string;
}

bool bind_field(const FieldExpr& expr, BoundField& out, std::string& error) {
  std::string key;
  const FieldDef* def = find_field(expr.name, &key);
  if (!def) {
    error = "filter_check called with nonexistent field " + expr.name;
    return false;
  }
  out = BoundField{};
  out.def = def;
  out.transformers = expr.transformers;
  out.text = to_string(expr);
  if (expr.has_arg) {
    if (def->arg == FieldArg::none) {
      error = "field " + expr.name + " does not take an argument";
      return false;
    }
    if (def->arg == FieldArg::key) {
      out.key = expr.arg;
    } else {
      try {
        std::size_t used = 0;
        out.index = std::stoi(expr.arg, &used);
        if (used != expr.arg.size() || out.index < 0) throw std::invalid_argument("x");
      } catch (...) {
        error = "field " + expr.name + " needs a numeric index, not '" + expr.arg + "'";
        return false;
      }
    }
  } else if (!key.empty()) {
    out.key = key;
  } else if (def->arg == FieldArg::key && def->id == evt_arg) {
    error = "field " + expr.name + " needs an argument name (evt.arg.NAME)";
    return false;
  }
  return true;
}

void prepare_context(EvalContext& ctx, const Event& e, ProcessTable& state) {
  ctx.evt = &e;
  ctx.state = &state;
  ctx.proc = state.find(e.pid);
  ctx.fd = state.event_fd(e, ctx.proc);
  ctx.fd_from_event = false;
  if (!ctx.fd && is_open_type(e.type) && !e.args.path.empty()) {
    // A failed open still describes a file (Falco: fd.typechar='f', fd.num=-1).
    ctx.scratch_fd = FdEntry{};
    ctx.scratch_fd.kind = FdKind::file;
    ctx.scratch_fd.nameraw = e.args.path;
    if (!e.args.resolved_path.empty()) {
      ctx.scratch_fd.name = e.args.resolved_path;
    } else if (e.args.path.starts_with('/')) {
      ctx.scratch_fd.name = normalize_path(e.args.path);
    } else {
      ctx.scratch_fd.name = normalize_path((ctx.proc ? ctx.proc->cwd : std::string("/")) + "/" + e.args.path);
    }
    ctx.scratch_fd.open_flags = e.args.flags;
    ctx.fd = &ctx.scratch_fd;
    ctx.fd_from_event = true;
  }
}

namespace {

bool extract_raw(const BoundField& f, EvalContext& ctx, FieldValues& out) {
  out.clear();
  const Event& e = *ctx.evt;
  const Process* p = ctx.proc;
  const FdEntry* fd = ctx.fd;
  auto num = [&](std::int64_t n) {
    out.set_num(n);
    return true;
  };
  auto str = [&](std::string_view s) {
    out.add(s);
    return true;
  };
  auto boolean = [&](bool b) { return str(b ? "true" : "false"); };
  switch (f.def->id) {
    case evt_type:
    case syscall_type: return str(to_string(e.type));
    case evt_num: return num(static_cast<std::int64_t>(ctx.evt_num));
    case evt_time: return str(time_string(e.ts_ns, 0));
    case evt_time_s: return str(time_string(e.ts_ns, 1));
    case evt_time_iso8601: return str(time_string(e.ts_ns, 2));
    case evt_datetime: return str(time_string(e.ts_ns, 3));
    case evt_rawtime: return num(static_cast<std::int64_t>(e.ts_ns));
    case evt_dir: return str(e.dir == Direction::enter ? ">" : "<");
    case evt_res: return str(e.ret >= 0 ? std::string("SUCCESS") : errno_name(-e.ret));
    case evt_rawres: return num(e.ret);
    case evt_failed: return boolean(e.ret < 0);
    case evt_is_open_read: return boolean(is_open_type(e.type) && ((e.args.flags & 3) == 0 || (e.args.flags & 3) == 2));
    case evt_is_open_write:
      return boolean(is_open_type(e.type) &&
                     ((e.args.flags & 3) == 1 || (e.args.flags & 3) == 2 || e.type == EventType::creat));
    case evt_is_open_exec: return boolean(is_open_type(e.type) && (e.args.flags & 0100) && (e.args.mode & 0111));
    case evt_is_open_create:
      return boolean(is_open_type(e.type) && ((e.args.flags & 0100) || e.type == EventType::creat));
    case evt_args: return str(event_args_text(ctx));
    case evt_arg: {
      if (f.index >= 0) return false;
      return event_arg(ctx, f.key, out);
    }
    case evt_hostname: return str(ctx.hostname);
    case evt_cpu: return num(e.cpu);
    case evt_source: return str("syscall");
    case evt_category: return str("unknown");
    case evt_pluginname:
    case evt_buffer: return false;
    default: break;
  }
  switch (f.def->id) {
    case thread_tid: return num(e.tid);
    case thread_vtid: return num(e.tid);
    case thread_cap_effective: return str(caps_string(e.caps.effective));
    case thread_cap_permitted: return str(caps_string(e.caps.permitted));
    case thread_cap_inheritable: return str(caps_string(e.caps.inheritable));
    case thread_ismain: return boolean(e.tid == e.pid);
    case user_uid: return num(e.uid);
    case user_name: return ctx.names ? str(ctx.names->user(e.uid)) : str(e.uid == 0 ? "root" : std::to_string(e.uid));
    case user_loginuid: return num(e.loginuid == UINT32_MAX ? -1 : static_cast<std::int64_t>(e.loginuid));
    case user_loginname:
      if (e.loginuid == UINT32_MAX) return false;
      return ctx.names ? str(ctx.names->user(e.loginuid)) : str(std::to_string(e.loginuid));
    case user_homedir: return ctx.names ? str(ctx.names->home(e.uid)) : false;
    case user_shell: return ctx.names ? str(ctx.names->shell(e.uid)) : false;
    case group_gid: return num(e.gid);
    case group_name: return ctx.names ? str(ctx.names->group(e.gid)) : str(e.gid == 0 ? "root" : std::to_string(e.gid));
    case proc_pid: return num(e.pid);
    default: break;
  }
  // fs.path: the path a filesystem-changing call acted on.
  switch (f.def->id) {
    case fs_path_name:
    case fs_path_nameraw: {
      switch (e.type) {
        case EventType::unlink:
        case EventType::unlinkat:
        case EventType::mkdir:
        case EventType::mkdirat:
        case EventType::rmdir:
        case EventType::chmod:
        case EventType::fchmodat:
        case EventType::open:
        case EventType::openat:
        case EventType::openat2:
        case EventType::creat: {
          if (e.args.path.empty()) return false;
          if (f.def->id == fs_path_nameraw || e.args.path.starts_with('/')) {
            return str(f.def->id == fs_path_nameraw ? e.args.path : normalize_path(e.args.path));
          }
          return str(normalize_path((p ? p->cwd : std::string("/")) + "/" + e.args.path));
        }
        default: return false;
      }
    }
    case fs_path_source:
    case fs_path_sourceraw:
    case fs_path_target:
    case fs_path_targetraw: {
      bool src = f.def->id == fs_path_source || f.def->id == fs_path_sourceraw;
      bool raw = f.def->id == fs_path_sourceraw || f.def->id == fs_path_targetraw;
      std::string_view v;
      switch (e.type) {
        case EventType::rename:
        case EventType::renameat:
        case EventType::renameat2:
        case EventType::link:
        case EventType::linkat:
        case EventType::symlink:
        case EventType::symlinkat: v = src ? e.args.path : e.args.path2; break;
        default: return false;
      }
      if (v.empty()) return false;
      // A symlink's target is stored as given: it is resolved relative to the link, not the cwd.
      if (raw || v.starts_with('/') || (src && (e.type == EventType::symlink || e.type == EventType::symlinkat))) {
        return str(raw ? v : (v.starts_with('/') ? normalize_path(v) : std::string(v)));
      }
      return str(normalize_path((p ? p->cwd : std::string("/")) + "/" + std::string(v)));
    }
    default: break;
  }
  const int id = f.def->id;
  if ((id >= k8s_ns_name && id <= k8s_pod_label) || id == container_label) {
    const ContainerInfo* c = (!p || p->container_id.empty()) ? nullptr : container_of(ctx);
    if (!c) return false;
    std::string_view want = f.def->id == k8s_ns_name    ? "io.kubernetes.pod.namespace"
                            : f.def->id == k8s_pod_name ? "io.kubernetes.pod.name"
                            : f.def->id == k8s_pod_uid  ? "io.kubernetes.pod.uid"
                                                        : std::string_view(f.key);
    for (const auto& [k, v] : c->labels)
      if (k == want) return str(v);
    return false;
  }
  if (id >= container_id && id <= container_cni_json) {
    bool host = !p || p->container_id.empty();
    const ContainerInfo* c = host ? nullptr : container_of(ctx);
    switch (f.def->id) {
      case container_id: return str(host ? std::string("host") : p->container_id.substr(0, 12));
      case container_full_id: return str(host ? std::string("host") : p->container_id);
      case container_name: return host ? str("host") : (c ? str(c->name) : false);
      case container_type: return host ? str("host") : str(c ? c->type : container_type_from_cgroup(p->cgroup));
      case container_privileged: return host ? false : (c ? boolean(c->privileged) : false);
      default: break;
    }
    if (!c) return false;
    switch (f.def->id) {
      case container_image: return c->image.empty() ? false : str(c->image);
      case container_image_id: return c->image_id.empty() ? false : str(c->image_id);
      case container_image_repository: return c->image_repository.empty() ? false : str(c->image_repository);
      case container_image_tag: return c->image_tag.empty() ? false : str(c->image_tag);
      case container_image_digest: return c->image_digest.empty() ? false : str(c->image_digest);
      case container_start_ts: return c->start_ns ? num(static_cast<std::int64_t>(c->start_ns)) : false;
      case container_duration:
        return c->start_ns ? num(static_cast<std::int64_t>(e.ts_ns) - static_cast<std::int64_t>(c->start_ns)) : false;
      case container_mounts: {
        std::string s;
        for (const auto& m : c->mounts) {
          if (!s.empty()) s.push_back(',');
          s += m;
        }
        return str(s);
      }
      case container_mount: {
        for (std::size_t i = 0; i < c->mounts.size(); ++i) {
          const auto& m = c->mounts[i];
          if (f.key == std::to_string(i) || m.find(":" + f.key + ":") != std::string::npos) return str(m);
        }
        return false;
      }
      default: return false;
    }
  }
  if (id >= fd_num && id <= fd_dev) {
    if (f.def->id == fd_types) {
      if (!p) return false;
      if (f.index >= 0) {
        auto it = p->fds.find(f.index);
        return it == p->fds.end() ? false : str(fd_type_name(it->second.kind));
      }
      for (const auto& [n, entry] : p->fds) str(fd_type_name(entry.kind));
      return out.count > 0;
    }
    if (f.def->id == fd_num) {
      if (ctx.fd_from_event) return num(-1);
      auto n = ProcessTable::event_fd_num(e);
      if (n < 0 && !is_open_type(e.type)) return false;
      return num(n < 0 ? -1 : n);
    }
    if (!fd) return false;
    const SocketTuple& t = fd->tuple;
    bool inet = t.family == kAfInet || t.family == kAfInet6;
    const Endpoint& local = local_is_client(*fd) ? t.client : t.server;
    const Endpoint& remote = local_is_client(*fd) ? t.server : t.client;
    switch (f.def->id) {
      case fd_type: return str(fd_type_name(fd->kind));
      case fd_typechar: return str(std::string(1, static_cast<char>(fd->kind)));
      case fd_name: return str(fd->name);
      case fd_nameraw: return str(fd->nameraw.empty() ? fd->name : fd->nameraw);
      case fd_directory: {
        if (fd->kind == FdKind::directory) return str(fd->name);
        if (fd->kind != FdKind::file) return false;
        auto slash = fd->name.rfind('/');
        if (slash == std::string::npos) return false;
        return str(slash == 0 ? std::string("/") : fd->name.substr(0, slash));
      }
      case fd_filename: {
        if (fd->kind != FdKind::file) return false;
        auto slash = fd->name.rfind('/');
        return str(slash == std::string::npos ? fd->name : fd->name.substr(slash + 1));
      }
      case fd_connected: return boolean(fd->connected);
      case fd_name_changed: return boolean(fd->name_changed);
      case fd_is_server: return inet || t.family == kAfUnix ? boolean(fd->server_side) : false;
      case fd_sockfamily:
        if (inet) return str("ip");
        if (t.family == kAfUnix) return str("unix");
        return false;
      case fd_l4proto:
        if (!inet) return false;
        return str(t.l4proto == 6 ? "tcp" : t.l4proto == 17 ? "udp" : t.l4proto == 1 ? "icmp" : "raw");
      case fd_ino:
      case fd_dev: return false;
      default: break;
    }
    if (!inet) return false;
    auto ip = [&](const Endpoint& ep) { return str(format_ip(t.family, ep)); };
    auto names = [&](const Endpoint& ep) {
      if (!ctx.state) return false;
      const auto* v = ctx.state->dns_names(format_ip(t.family, ep));
      if (!v) return false;
      for (const auto& n : *v) str(n);
      return out.count > 0;
    };
    switch (f.def->id) {
      case fd_ip:
      case fd_net:
        ip(t.client);
        ip(t.server);
        return true;
      case fd_cip:
      case fd_cnet: return ip(t.client);
      case fd_sip:
      case fd_snet: return ip(t.server);
      case fd_lip:
      case fd_lnet: return ip(local);
      case fd_rip:
      case fd_rnet: return ip(remote);
      case fd_port:
        out.set_num(t.client.port);
        out.add(std::to_string(t.server.port));
        return true;
      case fd_cport: return num(t.client.port);
      case fd_sport: return num(t.server.port);
      case fd_lport: return num(local.port);
      case fd_rport: return num(remote.port);
      case fd_sip_name: return names(t.server);
      case fd_cip_name: return names(t.client);
      case fd_lip_name: return names(local);
      case fd_rip_name: return names(remote);
      default: return false;
    }
  }
  // proc.*: from the process table.
  if (!p) {
    switch (f.def->id) {
      case proc_name: return e.comm.empty() ? false : str(e.comm);
      case proc_ppid: return e.ppid ? num(e.ppid) : false;
      default: return false;
    }
  }
  const Process* parent = ctx.state ? ctx.state->ancestor(*p, 1) : nullptr;
  switch (f.def->id) {
    case proc_name: return str(p->comm);
    case proc_exe: return str(p->exe);
    case proc_exepath: return str(p->exepath);
    case proc_cmdline: return add_cmdline(out, *p, true);
    case proc_args: return add_cmdline(out, *p, false);
    case proc_cmdnargs: return num(static_cast<std::int64_t>(p->args.size()));
    case proc_cmdlenargs: {
      std::int64_t n = 0;
      for (const auto& a : p->args) n += static_cast<std::int64_t>(a.size());
      return num(n);
    }
    case proc_ppid: return num(p->ppid);
    case proc_vpid: return num(p->vpid ? p->vpid : p->pid);
    case proc_pname: return parent ? str(parent->comm) : false;
    case proc_pcmdline: return parent ? add_cmdline(out, *parent, true) : false;
    case proc_pexe: return parent ? str(parent->exe) : false;
    case proc_pexepath: return parent ? str(parent->exepath) : false;
    case proc_pvpid: return parent ? num(parent->vpid ? parent->vpid : parent->pid) : false;
    case proc_ppid_duration:
      return parent ? num(static_cast<std::int64_t>(e.ts_ns) - static_cast<std::int64_t>(parent->start_ns)) : false;
    case proc_aname:
    case proc_apid:
    case proc_aexe:
    case proc_aexepath:
    case proc_acmdline: {
      if (f.index == 0) {
        // [0] is the process itself.
        switch (f.def->id) {
          case proc_aname: return str(p->comm);
          case proc_apid: return num(p->pid);
          case proc_aexe: return str(p->exe);
          case proc_aexepath: return str(p->exepath);
          default: return str(cmdline(*p));
        }
      }
      // (id is the field id)
      for_ancestors(ctx, f.index, [&](const Process& a) {
        switch (id) {
          case proc_aname: out.add(a.comm); break;
          case proc_apid: out.add(std::to_string(a.pid)); break;
          case proc_aexe: out.add(a.exe); break;
          case proc_aexepath: out.add(a.exepath); break;
          default: out.add(cmdline(a)); break;
        }
      });
      if (id == proc_apid && out.count == 1) {
        out.numeric = true;
        out.num = std::stoll(out.strs[0]);
      }
      return out.count > 0;
    }
    case proc_sid: return num(p->sid);
    case proc_sname:
    case proc_sid_exe:
    case proc_sid_exepath: {
      const Process* s = ctx.state ? ctx.state->find(p->sid) : nullptr;
      if (!s) return false;
      return str(f.def->id == proc_sname ? s->comm : f.def->id == proc_sid_exe ? s->exe : s->exepath);
    }
    case proc_is_sid_leader: return boolean(p->sid == p->pid);
    case proc_tty: return num(p->tty);
    case proc_cwd: return str(p->cwd);
    case proc_duration: return num(static_cast<std::int64_t>(e.ts_ns) - static_cast<std::int64_t>(p->start_ns));
    case proc_start_ts: return num(static_cast<std::int64_t>(p->start_ns));
    case proc_env: {
      if (!f.key.empty()) {
        for (const auto& kv : p->env) {
          if (kv.size() > f.key.size() && kv.starts_with(f.key) && kv[f.key.size()] == '=') {
            return str(std::string_view(kv).substr(f.key.size() + 1));
          }
        }
        return false;
      }
      std::string s;
      for (const auto& kv : p->env) {
        if (!s.empty()) s.push_back(' ');
        s += kv;
      }
      return str(s);
    }
    case proc_is_exe_upper_layer: return boolean(p->exe_flags & kExeUpperLayer);
    case proc_is_exe_from_memfd: return boolean(p->exe_flags & kExeFromMemfd);
    case proc_is_exe_writable: return boolean(p->exe_flags & kExeWritable);
    case proc_is_exe_lower_layer: return boolean(p->exe_flags & kExeLowerLayer);
    case proc_exe_ino: return p->exe_ino ? num(static_cast<std::int64_t>(p->exe_ino)) : false;
    case proc_exe_ino_ctime:
    case proc_exe_ino_mtime:
    case proc_exe_ino_ctime_duration_proc_start: return false;
    case proc_vpgid:
    case proc_pgid: return num(p->pgid);
    case proc_is_vpgid_leader: return boolean(p->pgid == p->pid);
    case proc_vpgid_name:
    case proc_vpgid_exe: {
      const Process* g = ctx.state ? ctx.state->find(p->pgid) : nullptr;
      if (!g) return false;
      return str(f.def->id == proc_vpgid_name ? g->comm : g->exe);
    }
    case proc_is_container_healthcheck:
    case proc_is_container_liveness_probe:
    case proc_is_container_readiness_probe: return boolean(false);
    case proc_loginshellid: {
      std::int64_t shell_pid = -1;
      const Process* cur = p;
      for (int i = 0; i < 64 && cur; ++i) {
        if (cur->comm.ends_with("sh")) shell_pid = cur->pid;
        cur = ctx.state ? ctx.state->ancestor(*cur, 1) : nullptr;
      }
      return shell_pid < 0 ? false : num(shell_pid);
    }
    default: return false;
  }
}

constexpr std::string_view kB64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string b64_decode(std::string_view in) {
  std::string out;
  std::uint32_t buf = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;
    auto pos = kB64.find(c);
    if (pos == std::string_view::npos) return std::string(in);  // not base64: unchanged
    buf = (buf << 6) | static_cast<std::uint32_t>(pos);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buf >> bits) & 0xff));
    }
  }
  return out;
}

}  // namespace

bool extract(const BoundField& f, EvalContext& ctx, FieldValues& out) {
  if (!extract_raw(f, ctx, out)) {
    out.clear();
    return false;
  }
  // Transformers apply innermost first.
  for (auto it = f.transformers.rbegin(); it != f.transformers.rend(); ++it) {
    switch (*it) {
      case Transformer::tolower:
        for (std::size_t i = 0; i < out.count; ++i)
          for (auto& c : out.strs[i]) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        out.numeric = false;
        break;
      case Transformer::toupper:
        for (std::size_t i = 0; i < out.count; ++i)
          for (auto& c : out.strs[i]) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        out.numeric = false;
        break;
      case Transformer::basename:
        for (std::size_t i = 0; i < out.count; ++i) {
          auto& s = out.strs[i];
          auto slash = s.rfind('/');
          if (slash != std::string::npos) s.erase(0, slash + 1);
        }
        out.numeric = false;
        break;
      case Transformer::b64:
        for (std::size_t i = 0; i < out.count; ++i) out.strs[i] = b64_decode(out.strs[i]);
        out.numeric = false;
        break;
      case Transformer::len: {
        auto n = out.count ? static_cast<std::int64_t>(out.strs[0].size()) : 0;
        out.set_num(n);
        break;
      }
    }
  }
  return true;
}

std::string open_flags_string(std::uint64_t flags) {
  std::string out;
  auto add = [&](std::string_view s) {
    if (!out.empty()) out.push_back('|');
    out.append(s);
  };
  for (const auto& mode : kOpenAccessModes) {
    if ((flags & kOpenAccessModeMask) == mode.value) add(mode.name);
  }
  for (const auto& bit : kOpenFlagBits) {
    if ((flags & bit.value) == bit.value) add(bit.name);
  }
  return out;
}

std::string caps_string(std::uint64_t mask) {
  std::string out;
  for (std::size_t i = 0; i < core::kCapabilityNames.size(); ++i) {
    if (mask & (1ULL << i)) {
      if (!out.empty()) out.push_back(' ');
      out.append(core::kCapabilityNames[i]);
    }
  }
  return out;
}

std::string errno_name(std::int64_t err) {
  if (err > 0 && err < 4096) {
    if (const char* n = strerrorname_np(static_cast<int>(err))) return n;
  }
  return "E" + std::to_string(err);
}

bool ipnet_contains(std::string_view cidr, std::string_view ip);
bool ipnet_contains(std::string_view cidr, std::string_view ip) {
  std::uint32_t fam = 0, fam2 = 0;
  std::array<std::uint8_t, 16> net{}, addr{};
  int bits = 0, bits2 = 0;
  if (!parse_cidr(cidr, fam, net, bits) || !parse_cidr(ip, fam2, addr, bits2) || fam != fam2) return false;
  int full = bits / 8, rem = bits % 8;
  if (std::memcmp(net.data(), addr.data(), static_cast<std::size_t>(full)) != 0) return false;
  if (rem == 0) return true;
  std::uint8_t m = static_cast<std::uint8_t>(0xff << (8 - rem));
  return (net[static_cast<std::size_t>(full)] & m) == (addr[static_cast<std::size_t>(full)] & m);
}

NameDb::NameDb(std::string root) : root_(std::move(root)) {}

void NameDb::load() {
  loaded_ = true;
  auto read = [&](const std::string& path, auto&& fn) {
    std::ifstream in(root_ + path);
    std::string line;
    int n = 0;
    while (std::getline(in, line) && n++ < 100000) {
      std::vector<std::string> parts;
      std::size_t b = 0;
      for (std::size_t i = 0; i <= line.size(); ++i) {
        if (i == line.size() || line[i] == ':') {
          parts.push_back(line.substr(b, i - b));
          b = i + 1;
        }
      }
      if (parts.size() >= 3) fn(parts);
    }
  };
  read("/etc/passwd", [&](const std::vector<std::string>& p) {
    if (p.size() < 7) return;
    try {
      users_.push_back({static_cast<std::uint32_t>(std::stoul(p[2])), User{p[0], p[5], p[6]}});
    } catch (...) {
    }
  });
  read("/etc/group", [&](const std::vector<std::string>& p) {
    try {
      groups_.push_back({static_cast<std::uint32_t>(std::stoul(p[2])), p[0]});
    } catch (...) {
    }
  });
}

std::string_view NameDb::user(std::uint32_t uid) {
  if (!loaded_) load();
  for (const auto& [id, u] : users_)
    if (id == uid) return u.name;
  return uid == 0 ? "root" : "<NA>";
}
std::string_view NameDb::home(std::uint32_t uid) {
  if (!loaded_) load();
  for (const auto& [id, u] : users_)
    if (id == uid) return u.home;
  return "<NA>";
}
std::string_view NameDb::shell(std::uint32_t uid) {
  if (!loaded_) load();
  for (const auto& [id, u] : users_)
    if (id == uid) return u.shell;
  return "<NA>";
}
std::string_view NameDb::group(std::uint32_t gid) {
  if (!loaded_) load();
  for (const auto& [id, g] : groups_)
    if (id == gid) return g;
  return gid == 0 ? "root" : "<NA>";
}

}  // namespace bulwark::runtime::engine
