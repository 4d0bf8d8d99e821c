#include "runtime/events/replay.hpp"

#include "core/capabilities.hpp"
#include "runtime/events/open_flags.hpp"

#include <arpa/inet.h>

#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>

namespace bulwark::runtime {

namespace {

using nlohmann::json;

constexpr std::size_t kMaxLine = 1 << 20;

// Flag names a replayed event may use besides the open(2) flags (runtime/events/open_flags.hpp).
const OpenFlagName kOtherFlags[] = {{"CLONE_THREAD", 0x00010000}};

std::optional<std::uint64_t> flag_value(std::string_view name) {
  if (name == "O_TMPFILE") return kOpenTmpfileAsPassed;  // as a program passes it: with O_DIRECTORY
  using Table = std::span<const OpenFlagName>;
  for (Table table : {Table(kOpenAccessModes), Table(kOpenFlagBits), Table(kOtherFlags)}) {
    for (const auto& f : table)
      if (f.name == name) return f.value;
  }
  return std::nullopt;
}

const std::pair<std::string_view, std::int64_t> kNamed[] = {
    {"PTRACE_TRACEME", 0},
    {"PTRACE_PEEKTEXT", 1},
    {"PTRACE_PEEKDATA", 2},
    {"PTRACE_PEEKUSR", 3},
    {"PTRACE_POKETEXT", 4},
    {"PTRACE_POKEDATA", 5},
    {"PTRACE_POKEUSR", 6},
    {"PTRACE_CONT", 7},
    {"PTRACE_KILL", 8},
    {"PTRACE_SINGLESTEP", 9},
    {"PTRACE_GETREGS", 12},
    {"PTRACE_SETREGS", 13},
    {"PTRACE_ATTACH", 16},
    {"PTRACE_DETACH", 17},
    {"PTRACE_SYSCALL", 24},
    {"PTRACE_SETOPTIONS", 0x4200},
    {"PTRACE_SETREGSET", 0x4205},
    {"PTRACE_SEIZE", 0x4206},
    {"AF_UNIX", 1},
    {"AF_LOCAL", 1},
    {"AF_INET", 2},
    {"AF_INET6", 10},
    {"AF_NETLINK", 16},
    {"AF_PACKET", 17},
    {"SOCK_STREAM", 1},
    {"SOCK_DGRAM", 2},
    {"SOCK_RAW", 3},
    {"IPPROTO_TCP", 6},
    {"IPPROTO_UDP", 17},
    {"IPPROTO_ICMP", 1},
    {"PR_SET_NAME", 15},
    {"PR_SET_DUMPABLE", 4},
    {"PR_SET_SECCOMP", 22},
    {"PR_SET_NO_NEW_PRIVS", 38},
    {"AT_FDCWD", -100},
};

bool named_value(std::string_view name, std::int64_t& out) {
  for (auto [n, v] : kNamed)
    if (n == name) {
      out = v;
      return true;
    }
  return false;
}

// A number, a symbolic name, or "A|B" flags.
bool int_value(const json& j, std::int64_t& out, std::string& err, std::string_view key) {
  if (j.is_number_integer()) {
    out = j.get<std::int64_t>();
    return true;
  }
  if (j.is_number_unsigned()) {
    out = static_cast<std::int64_t>(j.get<std::uint64_t>());
    return true;
  }
  if (j.is_string()) {
    std::string s = j.get<std::string>();
    if (named_value(s, out)) return true;
    try {
      std::size_t used = 0;
      out = std::stoll(s, &used, 0);
      if (used == s.size()) return true;
    } catch (...) {
    }
  }
  err = "'" + std::string(key) + "' must be a number or a known name";
  return false;
}

bool flags_value(const json& j, std::uint64_t& out, std::string& err) {
  if (j.is_number()) {
    out = j.get<std::uint64_t>();
    return true;
  }
  std::vector<std::string> names;
  if (j.is_string()) {
    std::string s = j.get<std::string>();
    std::size_t b = 0;
    for (std::size_t i = 0; i <= s.size(); ++i) {
      if (i == s.size() || s[i] == '|') {
        if (i > b) names.push_back(s.substr(b, i - b));
        b = i + 1;
      }
    }
  } else if (j.is_array()) {
    for (const auto& x : j)
      if (x.is_string()) names.push_back(x.get<std::string>());
  } else {
    err = "'flags' must be a number, \"A|B\" or a list of names";
    return false;
  }
  out = 0;
  for (const auto& n : names) {
    auto v = flag_value(n);
    if (!v) {
      err = "unknown flag '" + n + "'";
      return false;
    }
    out |= *v;
  }
  return true;
}

bool caps_value(const json& j, std::uint64_t& out, std::string& err) {
  if (j.is_number()) {
    out = j.get<std::uint64_t>();
    return true;
  }
  if (j.is_string()) {
    std::string s = j.get<std::string>();
    if (s == "all" || s == "ALL") {
      out = (1ULL << 41) - 1;
      return true;
    }
    try {
      out = std::stoull(s, nullptr, 0);
      return true;
    } catch (...) {
      err = "capabilities must be a number, \"all\" or a list of CAP_ names";
      return false;
    }
  }
  if (!j.is_array()) {
    err = "capabilities must be a number or a list";
    return false;
  }
  out = 0;
  for (const auto& x : j) {
    std::string n = x.is_string() ? x.get<std::string>() : "";
    if (!n.starts_with("CAP_")) n = "CAP_" + n;
    for (auto& c : n) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    bool found = false;
    for (std::size_t i = 0; i < core::kCapabilityNames.size(); ++i)
      if (core::kCapabilityNames[i] == n) {
        out |= 1ULL << i;
        found = true;
      }
    if (!found) {
      err = "unknown capability '" + n + "'";
      return false;
    }
  }
  return true;
}

bool caps_obj(const json& j, Capabilities& c, std::string& err) {
  if (!j.is_object()) {
    std::uint64_t all = 0;
    if (!caps_value(j, all, err)) return false;
    c.effective = c.permitted = all;
    return true;
  }
  if (j.contains("effective") && !caps_value(j["effective"], c.effective, err)) return false;
  if (j.contains("permitted")) {
    if (!caps_value(j["permitted"], c.permitted, err)) return false;
  } else {
    c.permitted = c.effective;
  }
  if (j.contains("inheritable") && !caps_value(j["inheritable"], c.inheritable, err)) return false;
  return true;
}

// "10.0.0.1:443", "[::1]:443", or {"ip": "...", "port": 443}; unix paths start with '/'.
bool endpoint(const json& j, std::uint32_t& family, Endpoint& ep, std::string& err) {
  std::string ip;
  if (j.is_object()) {
    ip = j.value("ip", "");
    ep.port = static_cast<std::uint16_t>(j.value("port", 0));
  } else if (j.is_string()) {
    std::string s = j.get<std::string>();
    if (s.starts_with('/') || s.starts_with('@')) {
      family = kAfUnix;
      ep.unix_path = s;
      return true;
    }
    if (s.starts_with('[')) {
      auto close = s.find(']');
      if (close == std::string::npos) {
        err = "bad address '" + s + "'";
        return false;
      }
      ip = s.substr(1, close - 1);
      if (close + 2 <= s.size() && s[close + 1] == ':')
        ep.port = static_cast<std::uint16_t>(std::stoi(s.substr(close + 2)));
    } else {
      auto colon = s.rfind(':');
      ip = colon == std::string::npos ? s : s.substr(0, colon);
      if (colon != std::string::npos) {
        try {
          ep.port = static_cast<std::uint16_t>(std::stoi(s.substr(colon + 1)));
        } catch (...) {
          err = "bad port in '" + s + "'";
          return false;
        }
      }
    }
  } else {
    err = "an address must be \"ip:port\" or an object";
    return false;
  }
  if (inet_pton(AF_INET, ip.c_str(), ep.addr.data()) == 1) {
    family = kAfInet;
    return true;
  }
  if (inet_pton(AF_INET6, ip.c_str(), ep.addr.data()) == 1) {
    family = kAfInet6;
    return true;
  }
  err = "bad IP address '" + ip + "'";
  return false;
}

std::string str_of(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool parse_impl(const json& j, Event& e, std::string& err) {
  e.clear();
  if (!j.is_object()) {
    err = "a line must be a JSON object";
    return false;
  }
  std::string type = str_of(j, "type");
  auto t = event_type_from_name(type);
  if (!t) {
    err = "unknown event type '" + type + "'";
    return false;
  }
  e.type = *t;
  std::int64_t n = 0;
  auto get_int = [&](const char* key, auto& field) -> bool {
    if (!j.contains(key)) return true;
    if (!int_value(j[key], n, err, key)) return false;
    field = static_cast<std::remove_reference_t<decltype(field)>>(n);
    return true;
  };
  if (!get_int("ts", e.ts_ns) || !get_int("ret", e.ret) || !get_int("pid", e.pid) || !get_int("tid", e.tid) ||
      !get_int("ppid", e.ppid) || !get_int("uid", e.uid) || !get_int("gid", e.gid) || !get_int("cpu", e.cpu) ||
      !get_int("cgroup_id", e.cgroup_id) || !get_int("mnt_ns", e.mnt_ns) || !get_int("pid_ns", e.pid_ns))
    return false;
  if (j.contains("loginuid")) {
    if (!int_value(j["loginuid"], n, err, "loginuid")) return false;
    e.loginuid = n < 0 ? UINT32_MAX : static_cast<std::uint32_t>(n);
  }
  if (e.tid == 0) e.tid = e.pid;
  e.dir = str_of(j, "dir") == "enter" ? Direction::enter : Direction::exit;
  e.comm = str_of(j, "comm");
  e.cgroup = str_of(j, "cgroup");
  if (j.contains("caps") && !caps_obj(j["caps"], e.caps, err)) return false;
  if (j.contains("exec")) {
    const json& x = j["exec"];
    if (!x.is_object()) {
      err = "'exec' must be an object";
      return false;
    }
    ExecInfo info;
    info.exe = str_of(x, "exe");
    info.exe_arg0 = str_of(x, "arg0");
    if (x.contains("argv") && x["argv"].is_array())
      for (const auto& a : x["argv"]) info.argv.push_back(a.is_string() ? a.get<std::string>() : a.dump());
    if (x.contains("env") && x["env"].is_array())
      for (const auto& a : x["env"]) info.env.push_back(a.is_string() ? a.get<std::string>() : a.dump());
    info.cwd = str_of(x, "cwd");
    if (x.contains("tty") && !int_value(x["tty"], n, err, "tty")) return false;
    if (x.contains("tty")) info.tty = static_cast<std::uint32_t>(n);
    for (auto [key, field] :
         {std::pair{"sid", &info.sid}, std::pair{"pgid", &info.pgid}, std::pair{"vpid", &info.vpid}}) {
      if (x.contains(key)) {
        if (!int_value(x[key], n, err, key)) return false;
        *field = n;
      }
    }
    if (x.contains("start_ts")) {
      if (!int_value(x["start_ts"], n, err, "start_ts")) return false;
      info.start_ns = static_cast<std::uint64_t>(n);
    }
    if (x.contains("flags") && x["flags"].is_array()) {
      for (const auto& f : x["flags"]) {
        std::string s = f.is_string() ? f.get<std::string>() : "";
        if (s == "upper_layer")
          info.exe_flags |= kExeUpperLayer;
        else if (s == "memfd")
          info.exe_flags |= kExeFromMemfd;
        else if (s == "writable")
          info.exe_flags |= kExeWritable;
        else if (s == "lower_layer")
          info.exe_flags |= kExeLowerLayer;
        else {
          err = "unknown exec flag '" + s + "' (upper_layer, memfd, writable, lower_layer)";
          return false;
        }
      }
    }
    if (info.argv.empty() && !info.exe.empty()) {
      auto slash = info.exe.rfind('/');
      info.argv.push_back(info.exe.substr(slash == std::string::npos ? 0 : slash + 1));
    }
    if (e.comm.empty() && !info.argv.empty()) {
      auto a0 = info.argv[0];
      auto slash = a0.rfind('/');
      e.comm = a0.substr(slash == std::string::npos ? 0 : slash + 1, 15);
    }
    e.exec = std::move(info);
  }
  if (j.contains("args")) {
    const json& a = j["args"];
    if (!a.is_object()) {
      err = "'args' must be an object";
      return false;
    }
    Args& g = e.args;
    auto gi = [&](const char* key, auto& field) -> bool {
      if (!a.contains(key)) return true;
      if (!int_value(a[key], n, err, key)) return false;
      field = static_cast<std::remove_reference_t<decltype(field)>>(n);
      return true;
    };
    if (!gi("fd", g.fd) || !gi("fd2", g.fd2) || !gi("dirfd", g.dirfd) || !gi("dirfd2", g.dirfd2) ||
        !gi("mode", g.mode) || !gi("domain", g.domain) || !gi("type", g.sock_type) || !gi("protocol", g.protocol) ||
        !gi("request", g.request) || !gi("target_pid", g.target_pid) || !gi("option", g.option) ||
        !gi("arg2", g.arg2) || !gi("child_pid", g.child_pid) || !gi("child_tid", g.child_tid) ||
        !gi("nstype", g.nstype) || !gi("exit_status", g.exit_status) || !gi("signal", g.signal))
      return false;
    if (a.contains("flags") && !flags_value(a["flags"], g.flags, err)) return false;
    for (auto [key, field] :
         {std::pair{"uid", &g.new_uid}, std::pair{"ruid", &g.new_ruid}, std::pair{"suid", &g.new_suid},
          std::pair{"gid", &g.new_gid}, std::pair{"rgid", &g.new_rgid}, std::pair{"sgid", &g.new_sgid}}) {
      if (a.contains(key)) {
        if (!int_value(a[key], n, err, key)) return false;
        *field = n < 0 ? UINT32_MAX : static_cast<std::uint32_t>(n);
      }
    }
    g.path = str_of(a, "path");
    g.path2 = str_of(a, "path2");
    g.resolved_path = str_of(a, "resolved_path");
    g.fstype = str_of(a, "fstype");
    g.arg2_str = str_of(a, "arg2_str");
    if (a.contains("caps") && !caps_obj(a["caps"], g.new_caps, err)) return false;
    if (a.contains("tuple")) {
      const json& tj = a["tuple"];
      if (!tj.is_object()) {
        err = "'tuple' must be an object";
        return false;
      }
      std::uint32_t fam = 0;
      if (tj.contains("client") && !endpoint(tj["client"], fam, g.tuple.client, err)) return false;
      if (tj.contains("server") && !endpoint(tj["server"], fam, g.tuple.server, err)) return false;
      g.tuple.family = fam;
      std::string proto = str_of(tj, "proto");
      g.tuple.l4proto = proto == "udp" ? 17 : proto == "tcp" || proto.empty() ? 6 : 0;
      if (fam == kAfUnix) g.tuple.l4proto = 0;
    }
  }
  return true;
}

}  // namespace

void StaticContainerResolver::add(ContainerInfo info) {
  std::string id = info.id;
  by_id_[id] = std::move(info);
}

Result<ContainerInfo> StaticContainerResolver::resolve(std::string_view container_id) {
  for (const auto& [id, info] : by_id_) {
    if (id == container_id || (container_id.size() >= 12 && id.starts_with(container_id)) ||
        (id.size() >= 12 && container_id.starts_with(id)))
      return info;
  }
  return fail(ErrorCode::not_found, "unknown container", std::string(container_id));
}

bool parse_event_json(std::string_view line, Event& out, std::string& error) {
  json j = json::parse(line, nullptr, false);
  if (j.is_discarded()) {
    error = "not valid JSON";
    return false;
  }
  try {
    return parse_impl(j, out, error);
  } catch (const std::exception& ex) {
    error = ex.what();
    return false;
  }
}

ReplaySource::ReplaySource(std::unique_ptr<std::istream> in, std::string name, ReplayHooks hooks)
    : in_(std::move(in)), name_(std::move(name)), hooks_(std::move(hooks)) {}

Result<std::unique_ptr<ReplaySource>> ReplaySource::open(const std::string& path, ReplayHooks hooks) {
  std::unique_ptr<std::istream> in;
  if (path == "-") {
    in = std::make_unique<std::istream>(std::cin.rdbuf());
  } else {
    auto f = std::make_unique<std::ifstream>(path, std::ios::binary);
    if (!f->good()) return fail(ErrorCode::io, "cannot open the replay file", path);
    in = std::move(f);
  }
  return std::make_unique<ReplaySource>(std::move(in), path, std::move(hooks));
}

Result<NextStatus> ReplaySource::next(Event& out, std::chrono::milliseconds) {
  while (true) {
    line_.clear();
    // Bounded line read.
    char c = 0;
    bool any = false;
    bool too_long = false;
    while (in_->get(c)) {
      any = true;
      if (c == '\n') break;
      if (line_.size() < kMaxLine) {
        line_.push_back(c);
      } else {
        too_long = true;
      }
    }
    if (!any) return NextStatus::end;
    ++line_no_;
    if (too_long) {
      ++parse_errors_;
      last_error_ = name_ + ":" + std::to_string(line_no_) + ": line longer than 1 MiB";
      continue;
    }
    std::string_view sv = line_;
    while (!sv.empty() && (sv.back() == '\r' || sv.back() == ' ')) sv.remove_suffix(1);
    if (sv.empty() || sv.front() == '#') continue;
    json j = json::parse(sv, nullptr, false);
    if (j.is_discarded()) {
      ++parse_errors_;
      last_error_ = name_ + ":" + std::to_string(line_no_) + ": not valid JSON";
      continue;
    }
    if (j.is_object() && j.contains("container")) {
      const json& c2 = j["container"];
      ContainerInfo info;
      info.id = str_of(c2, "id");
      info.name = str_of(c2, "name");
      info.image = str_of(c2, "image");
      info.image_repository = str_of(c2, "image_repository");
      info.image_tag = str_of(c2, "image_tag");
      info.image_digest = str_of(c2, "image_digest");
      if (info.image_repository.empty() && !info.image.empty()) {
        std::string img = info.image;
        auto at = img.find('@');
        if (at != std::string::npos) img = img.substr(0, at);
        auto colon = img.rfind(':');
        bool tag = colon != std::string::npos && img.find('/', colon) == std::string::npos;
        info.image_repository = tag ? img.substr(0, colon) : img;
        if (tag && info.image_tag.empty()) info.image_tag = img.substr(colon + 1);
      }
      info.privileged = c2.value("privileged", false);
      if (c2.contains("type") && c2["type"].is_string()) info.type = c2["type"].get<std::string>();
      if (c2.contains("labels") && c2["labels"].is_object())
        for (const auto& [k, v] : c2["labels"].items())
          if (v.is_string()) info.labels.emplace_back(k, v.get<std::string>());
      if (c2.contains("start_ts") && c2["start_ts"].is_number()) info.start_ns = c2["start_ts"].get<std::uint64_t>();
      if (hooks_.on_container) hooks_.on_container(info);
      continue;
    }
    if (j.is_object() && j.contains("dns")) {
      if (j["dns"].is_object() && hooks_.on_dns) {
        for (const auto& [ip, names] : j["dns"].items()) {
          if (names.is_string()) hooks_.on_dns(ip, names.get<std::string>());
          if (names.is_array())
            for (const auto& n : names)
              if (n.is_string()) hooks_.on_dns(ip, n.get<std::string>());
        }
      }
      continue;
    }
    std::string err;
    bool ok = false;
    try {
      ok = parse_impl(j, out, err);
    } catch (const std::exception& ex) {
      err = ex.what();
    }
    if (!ok) {
      ++parse_errors_;
      last_error_ = name_ + ":" + std::to_string(line_no_) + ": " + err;
      continue;
    }
    if (out.ts_ns == 0) out.ts_ns = last_ts_ + 1000;
    last_ts_ = out.ts_ns;
    ++events_;
    return NextStatus::event;
  }
}

SourceStats ReplaySource::stats() const {
  SourceStats s;
  s.events = events_;
  s.drops = 0;
  s.extra.emplace_back("parse_errors", parse_errors_);
  s.extra.emplace_back("lines", line_no_);
  return s;
}

}  // namespace bulwark::runtime
