// The runtime-agnostic posture of containerised processes, from /proc: it sees
// containers of any runtime (Docker, containerd, CRI-O, podman) because it
// reads only the kernel's view: capabilities, no_new_privs, seccomp mode,
// namespaces and uid maps, with the container id taken from the cgroup path.
#include <dirent.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <filesystem>
#include <map>

#include <fmt/format.h>

#include "core/capabilities.hpp"
#include "host/catalogue.hpp"
#include "host/checks.hpp"
#include "util/files.hpp"
#include "util/strings.hpp"

namespace bulwark::host {

using core::FindingStatus;

namespace {

// Capabilities that break container isolation (escape, host kernel or device access).
constexpr std::array kDangerous = {2, 9, 12, 16, 17, 19, 21, 22, 25, 32, 33, 34, 38, 39, 40};

constexpr std::array kNamespaces = {"net", "pid", "ipc", "uts", "mnt"};

bool is_hex64(std::string_view s) {
  if (s.size() != 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isxdigit(static_cast<unsigned char>(c)) && !std::isupper(static_cast<unsigned char>(c));
  });
}

std::string ns_link(const std::string& path) {
  std::error_code ec;
  auto t = std::filesystem::read_symlink(path, ec);
  return ec ? std::string() : t.string();
}

}  // namespace

std::string container_id_from_cgroup(std::string_view text) {
  for (auto line : util::split(text, '\n')) {
    auto colon = line.rfind(':');
    std::string_view path = colon == std::string_view::npos ? line : line.substr(colon + 1);
    // Walk segments from the deepest: "/docker/<id>", "/system.slice/docker-<id>.scope",
    // "cri-containerd-<id>.scope", "crio-<id>.scope", "libpod-<id>.scope", "/kubepods/.../<id>".
    auto segs = util::split(path, '/');
    for (auto it = segs.rbegin(); it != segs.rend(); ++it) {
      std::string_view seg = *it;
      if (seg.ends_with(".scope")) seg.remove_suffix(6);
      if (auto dash = seg.rfind('-'); dash != std::string_view::npos && seg.size() - dash - 1 == 64) {
        seg = seg.substr(dash + 1);
      }
      if (is_hex64(seg)) return std::string(seg);
    }
  }
  return {};
}

std::vector<std::string> capability_names(std::uint64_t caps) {
  std::vector<std::string> out;
  for (std::size_t bit = 0; bit < 64; ++bit) {
    if (!(caps & (1ULL << bit))) continue;
    out.push_back(bit < core::kCapabilityNames.size() ? std::string(core::kCapabilityNames[bit])
                                                      : fmt::format("CAP_{}", bit));
  }
  return out;
}

std::vector<ProcessPosture> scan_container_processes(const std::string& proc_root) {
  std::vector<ProcessPosture> out;
  std::map<std::string, std::string> host_ns;
  for (auto n : kNamespaces) host_ns[n] = ns_link(fmt::format("{}/self/ns/{}", proc_root, n));
  DIR* dir = ::opendir(proc_root.c_str());
  if (!dir) return out;
  while (auto* ent = ::readdir(dir)) {
    auto pid = util::parse_u64(ent->d_name);
    if (!pid) continue;
    std::string base = fmt::format("{}/{}", proc_root, *pid);
    auto cgroup = util::read_file(base + "/cgroup", 64 << 10);
    if (!cgroup) continue;
    auto id = container_id_from_cgroup(*cgroup);
    if (id.empty()) continue;
    auto status = util::read_file(base + "/status", 64 << 10);
    if (!status) continue;
    ProcessPosture p;
    p.pid = static_cast<int>(*pid);
    p.container_id = id;
    p.comm = std::string(util::key_field(*status, "Name").value_or(""));
    if (auto cap = util::key_field(*status, "CapEff"))
      p.cap_effective = std::strtoull(std::string(*cap).c_str(), nullptr, 16);
    if (auto nnp = util::key_field(*status, "NoNewPrivs"))
      p.no_new_privs = static_cast<int>(util::parse_u64(*nnp).value_or(0));
    if (auto sc = util::key_field(*status, "Seccomp")) p.seccomp = static_cast<int>(util::parse_u64(*sc).value_or(0));
    if (auto uid = util::key_field(*status, "Uid")) {
      auto parts = util::split_ws(*uid);
      if (parts.size() >= 2) p.euid = static_cast<std::uint32_t>(util::parse_u64(parts[1]).value_or(0));
    }
    for (auto n : kNamespaces) {
      auto link = ns_link(fmt::format("{}/ns/{}", base, n));
      if (!link.empty() && link == host_ns[n]) p.shared_namespaces.emplace_back(n);
    }
    if (auto map = util::read_file(base + "/uid_map", 64 << 10)) {
      for (auto line : util::split(*map, '\n')) {
        auto f = util::split_ws(line);
        if (f.size() == 3 && f[0] == "0" && f[1] == "0") p.uid_map_identity = true;
      }
    }
    out.push_back(std::move(p));
  }
  ::closedir(dir);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.pid < b.pid; });
  return out;
}

void check_processes(const std::vector<const ProcessPosture*>& processes, const core::Target& target,
                     std::vector<core::Finding>& out) {
  Findings f(out);
  if (processes.empty()) return;
  auto who = [](const ProcessPosture& p) { return fmt::format("pid {} ({})", p.pid, util::printable(p.comm)); };

  std::vector<std::string> caps;
  std::vector<std::string> nnp;
  std::vector<std::string> seccomp;
  std::vector<std::string> shared;
  std::vector<std::string> root;
  for (const auto* p : processes) {
    std::vector<std::string> bad;
    for (int bit : kDangerous) {
      if (p->cap_effective & (1ULL << bit))
        bad.push_back(std::string(core::kCapabilityNames[static_cast<std::size_t>(bit)]));
    }
    if (!bad.empty()) caps.push_back(fmt::format("{}: {}", who(*p), util::join(bad, ", ")));
    if (p->no_new_privs == 0) nnp.push_back(who(*p));
    if (p->seccomp == 0) seccomp.push_back(who(*p));
    if (!p->shared_namespaces.empty())
      shared.push_back(fmt::format("{}: {}", who(*p), util::join(p->shared_namespaces, ", ")));
    if (p->euid == 0 && p->uid_map_identity) root.push_back(who(*p));
  }
  auto n = processes.size();
  f.add("BLWK-PROC-001", target, caps.empty() ? FindingStatus::pass : FindingStatus::fail,
        caps.empty() ? fmt::format("{} process(es), none with a dangerous effective capability", n)
                     : util::join(caps, "; "));
  f.add("BLWK-PROC-002", target, nnp.empty() ? FindingStatus::pass : FindingStatus::fail,
        nnp.empty() ? fmt::format("NoNewPrivs=1 in all {} process(es)", n) : "NoNewPrivs=0: " + util::join(nnp, ", "));
  f.add("BLWK-PROC-003", target, seccomp.empty() ? FindingStatus::pass : FindingStatus::fail,
        seccomp.empty() ? fmt::format("a seccomp filter in all {} process(es)", n)
                        : "no seccomp filter (Seccomp=0): " + util::join(seccomp, ", "));
  f.add("BLWK-PROC-004", target, shared.empty() ? FindingStatus::pass : FindingStatus::fail,
        shared.empty() ? "no namespace shared with the host (net, pid, ipc, uts, mnt)"
                       : "shares host namespaces: " + util::join(shared, "; "));
  f.add("BLWK-PROC-005", target, root.empty() ? FindingStatus::pass : FindingStatus::fail,
        root.empty() ? "no process is root on the host" : "uid 0 mapped to host uid 0: " + util::join(root, ", "));
}

}  // namespace bulwark::host
