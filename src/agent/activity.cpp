#include "agent/activity.hpp"

#include <fmt/format.h>

#include <charconv>

#include "util/files.hpp"

namespace bulwark::agent {

namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t kMaxCgroupFile = 1 << 20;

std::optional<std::uint64_t> to_u64(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  std::uint64_t v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc{}) return std::nullopt;
  return v;
}

std::optional<std::uint64_t> read_u64(const fs::path& p) {
  auto t = util::read_file(p, kMaxCgroupFile);
  if (!t) return std::nullopt;
  return to_u64(*t);
}

template <class F>
void for_lines(std::string_view text, F f) {
  while (!text.empty()) {
    auto nl = text.find('\n');
    f(text.substr(0, nl));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
}

bool valid_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace

std::optional<std::uint64_t> parse_cpu_stat_usage(std::string_view text) {
  std::optional<std::uint64_t> out;
  for_lines(text, [&](std::string_view l) {
    if (l.starts_with("usage_usec ")) out = to_u64(l.substr(11));
  });
  return out;
}

void parse_io_stat(std::string_view text, std::uint64_t& read, std::uint64_t& write) {
  for_lines(text, [&](std::string_view l) {
    std::size_t pos = 0;
    while (pos < l.size()) {
      auto sp = l.find(' ', pos);
      auto tok = l.substr(pos, sp == std::string_view::npos ? std::string_view::npos : sp - pos);
      if (tok.starts_with("rbytes=")) read += to_u64(tok.substr(7)).value_or(0);
      if (tok.starts_with("wbytes=")) write += to_u64(tok.substr(7)).value_or(0);
      if (sp == std::string_view::npos) break;
      pos = sp + 1;
    }
  });
}

void parse_blkio_service_bytes(std::string_view text, std::uint64_t& read, std::uint64_t& write) {
  for_lines(text, [&](std::string_view l) {
    auto a = l.find(' ');
    if (a == std::string_view::npos) return;  // "Total N"
    auto b = l.find(' ', a + 1);
    if (b == std::string_view::npos) return;
    auto op = l.substr(a + 1, b - a - 1);
    auto v = to_u64(l.substr(b + 1)).value_or(0);
    if (op == "Read") read += v;
    if (op == "Write") write += v;
  });
}

// A Kubernetes container's cgroup: below the kubelet's kubepods hierarchy (cgroupfs: kubepods/<qos>/pod<uid>/<id>;
// systemd: kubepods.slice/.../cri-containerd-<id>.scope or crio-<id>.scope), or containerd's own
// k8s.io/<id> when the pod names no parent. Bounded walk: depth 4, at most 20000 entries.
fs::path find_kubernetes_cgroup(const fs::path& base, const std::string& id) {
  std::error_code ec;
  if (fs::exists(base / "k8s.io" / id, ec)) return base / "k8s.io" / id;
  const std::string names[] = {id, "cri-containerd-" + id + ".scope", "crio-" + id + ".scope",
                               "docker-" + id + ".scope"};
  std::size_t seen = 0;
  for (const char* top : {"kubepods", "kubepods.slice"}) {
    fs::path start = base / top;
    if (!fs::is_directory(start, ec)) continue;
    fs::recursive_directory_iterator it(start, fs::directory_options::skip_permission_denied, ec), end;
    for (; !ec && it != end && seen < 20000; it.increment(ec), ++seen) {
      if (it.depth() >= 4) it.disable_recursion_pending();
      if (!it->is_directory(ec)) continue;
      const auto name = it->path().filename().string();
      for (const auto& n : names)
        if (name == n) return it->path();
    }
  }
  return {};
}

std::optional<ContainerActivity> read_container_activity(const fs::path& root, std::string_view container_id) {
  if (!valid_id(container_id)) return std::nullopt;
  std::string id(container_id);
  std::error_code ec;
  ContainerActivity a;
  a.id = id;
  // cgroup v2: systemd driver, cgroupfs driver, or the unified mount of a hybrid host.
  for (const fs::path& dir : {root / "system.slice" / ("docker-" + id + ".scope"), root / "docker" / id,
                              root / "unified" / "system.slice" / ("docker-" + id + ".scope"),
                              root / "unified" / "docker" / id, find_kubernetes_cgroup(root, id)}) {
    if (dir.empty() || !fs::exists(dir / "cgroup.procs", ec)) continue;
    auto cpu = util::read_file(dir / "cpu.stat", kMaxCgroupFile);
    auto mem = read_u64(dir / "memory.current");
    if (!mem) continue;  // the unified folder of a hybrid host has no controllers: read v1 below
    if (cpu) a.cpu_usage_usec = parse_cpu_stat_usage(*cpu).value_or(0);
    a.memory_bytes = mem.value_or(0);
    if (auto io = util::read_file(dir / "io.stat", kMaxCgroupFile); io) {
      parse_io_stat(*io, a.io_read_bytes, a.io_write_bytes);
    }
    a.pids = read_u64(dir / "pids.current").value_or(0);
    return a;
  }
  // cgroup v1.
  auto v1 = [&](const char* controller) -> fs::path {
    for (const fs::path& d :
         {root / controller / "docker" / id, root / controller / "system.slice" / ("docker-" + id + ".scope")}) {
      if (fs::exists(d, ec)) return d;
    }
    if (fs::is_directory(root / controller, ec)) return find_kubernetes_cgroup(root / controller, id);
    return {};
  };
  bool found = false;
  if (auto d = v1("cpuacct"); !d.empty()) {
    if (auto ns = read_u64(d / "cpuacct.usage")) {
      a.cpu_usage_usec = *ns / 1000;
      found = true;
    }
  }
  if (auto d = v1("memory"); !d.empty()) {
    if (auto m = read_u64(d / "memory.usage_in_bytes")) {
      a.memory_bytes = *m;
      found = true;
    }
  }
  if (auto d = v1("blkio"); !d.empty()) {
    if (auto t = util::read_file(d / "blkio.throttle.io_service_bytes", kMaxCgroupFile)) {
      parse_blkio_service_bytes(*t, a.io_read_bytes, a.io_write_bytes);
    }
  }
  if (auto d = v1("pids"); !d.empty()) a.pids = read_u64(d / "pids.current").value_or(0);
  if (!found) return std::nullopt;
  return a;
}

std::vector<nlohmann::json> activity_documents(const std::vector<ContainerActivity>& activity, const HostIdentity& host,
                                               std::size_t batch) {
  std::vector<nlohmann::json> docs;
  if (batch == 0) batch = 1;
  for (std::size_t i = 0; i < activity.size(); i += batch) {
    nlohmann::json doc = agent_envelope("activity", host);
    nlohmann::json cs = nlohmann::json::array();
    for (std::size_t j = i; j < activity.size() && j < i + batch; ++j) {
      const auto& a = activity[j];
      cs.push_back({{"id", a.id},
                    {"cpu_usage_usec", a.cpu_usage_usec},
                    {"memory_bytes", a.memory_bytes},
                    {"io_read_bytes", a.io_read_bytes},
                    {"io_write_bytes", a.io_write_bytes},
                    {"pids", a.pids}});
    }
    doc["containers"] = std::move(cs);
    doc["connections"] = nlohmann::json::array();
    docs.push_back(std::move(doc));
  }
  return docs;
}

std::string prometheus_text(const std::vector<ContainerActivity>& activity) {
  struct Metric {
    const char* name;
    const char* help;
    const char* type;
    std::uint64_t ContainerActivity::*field;
  };
  static constexpr Metric metrics[] = {
      {"bulwark_container_cpu_usage_microseconds_total", "CPU time used by the container", "counter",
       &ContainerActivity::cpu_usage_usec},
      {"bulwark_container_memory_bytes", "Memory charged to the container", "gauge", &ContainerActivity::memory_bytes},
      {"bulwark_container_io_read_bytes_total", "Block I/O bytes read", "counter", &ContainerActivity::io_read_bytes},
      {"bulwark_container_io_write_bytes_total", "Block I/O bytes written", "counter",
       &ContainerActivity::io_write_bytes},
      {"bulwark_container_pids", "Processes and threads in the container", "gauge", &ContainerActivity::pids},
  };
  std::string out;
  for (const auto& m : metrics) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", m.name, m.help, m.name, m.type);
    for (const auto& a : activity) out += fmt::format("{}{{container_id=\"{}\"}} {}\n", m.name, a.id, a.*(m.field));
  }
  return out;
}

std::string agent_metrics_text(const AgentCounters& c) {
  std::string out;
  auto add = [&](const char* name, const char* type, const char* help, std::uint64_t v) {
    out += fmt::format("# HELP {0} {1}\n# TYPE {0} {2}\n{0} {3}\n", name, help, type, v);
  };
  add("bulwark_agent_documents_spooled_total", "counter", "Documents written to the spool.", c.spooled);
  add("bulwark_agent_documents_delivered_total", "counter", "Documents the server acknowledged.", c.delivered);
  add("bulwark_agent_documents_duplicate_total", "counter", "Documents the server already had.", c.duplicates);
  add("bulwark_agent_delivery_retries_total", "counter", "Failed delivery attempts (retried).", c.retries);
  add("bulwark_agent_documents_rejected_total", "counter", "Documents the server refused (set aside).", c.rejected);
  add("bulwark_agent_spool_entries", "gauge", "Documents waiting in the spool.", c.spool_entries);
  add("bulwark_agent_spool_bytes", "gauge", "Bytes waiting in the spool.", c.spool_bytes);
  add("bulwark_agent_spool_dropped", "gauge", "Documents dropped (spool full) and not yet reported.", c.spool_dropped);
  add("bulwark_agent_alert_documents_total", "counter", "Alerts documents from the monitor.", c.alert_documents);
  add("bulwark_agent_inventories_total", "counter", "Inventories taken.", c.inventories);
  return out;
}

}  // namespace bulwark::agent
