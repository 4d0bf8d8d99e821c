#include "runtime/probe/probe.hpp"

#if BULWARK_HAVE_BPF

#include <asm/unistd_64.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstring>
#include <mutex>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "capture.skel.h"
#include "runtime/bpf/capture_abi.h"
#include "runtime/probe/learn.hpp"

namespace bulwark::runtime::probe {
namespace {

// libbpf prints the verifier log through this; the tail is kept for the error message.
std::mutex g_log_mutex;
std::string g_log;

int keep_libbpf_log(enum libbpf_print_level level, const char* format, va_list args) {
  if (level == LIBBPF_DEBUG) return 0;
  char buf[1024];
  int n = std::vsnprintf(buf, sizeof(buf), format, args);
  if (n <= 0) return n;
  std::lock_guard lock(g_log_mutex);
  g_log.append(buf, std::min<std::size_t>(static_cast<std::size_t>(n), sizeof(buf) - 1));
  if (g_log.size() > 16384) g_log.erase(0, g_log.size() - 16384);
  return n;
}

std::string log_tail(std::size_t lines) {
  std::lock_guard lock(g_log_mutex);
  std::size_t pos = g_log.size();
  for (std::size_t i = 0; i <= lines && pos != std::string::npos && pos > 0; ++i) pos = g_log.rfind('\n', pos - 1);
  std::string tail = pos == std::string::npos ? g_log : g_log.substr(pos + 1);
  while (!tail.empty() && tail.back() == '\n') tail.pop_back();
  return tail;
}

std::size_t floor_pow2(std::size_t v) {
  std::size_t p = 1;
  while (p * 2 <= v) p *= 2;
  return p;
}

struct Ring {
  ring_buffer* rb = nullptr;
  int map_fd = -1;
};

// Syscalls whose user-memory arguments are copied at entry (capture_abi.h).
bool is_entry_syscall(std::uint32_t nr) {
  return BW_IS_ENTRY_SYSCALL(nr);
}

// Where tracefs offers the per-syscall tracepoints, if anywhere.
std::string syscall_tracepoints_dir() {
  for (const char* d : {"/sys/kernel/tracing/events/syscalls", "/sys/kernel/debug/tracing/events/syscalls"}) {
    if (::access(d, X_OK) == 0) return d;
  }
  return {};
}

}  // namespace

struct Probe::Impl {
  capture* skel = nullptr;
  std::vector<Ring> rings;
  std::vector<bpf_link*> links;  // manually attached hooks
  int epoll_fd = -1;
  int template_fd = -1;
  std::size_t next_ring = 0;
  // The record sink of the current poll() call, and how many records it may still take.
  const RecordSink* sink = nullptr;
  std::size_t budget = 0;
  std::size_t given = 0;

  ~Impl() {
    for (auto* l : links) bpf_link__destroy(l);
    for (auto& r : rings) {
      if (r.rb != nullptr) ring_buffer__free(r.rb);
      if (r.map_fd >= 0) ::close(r.map_fd);
    }
    if (epoll_fd >= 0) ::close(epoll_fd);
    if (template_fd >= 0) ::close(template_fd);
    if (skel != nullptr) capture__destroy(skel);
  }

  static int on_record(void* ctx, void* data, std::size_t size) {
    auto* self = static_cast<Impl*>(ctx);
    ++self->given;
    bool more = (*self->sink)(std::span<const std::uint8_t>(static_cast<const std::uint8_t*>(data), size));
    if (!more || self->given >= self->budget) return -EAGAIN;  // stop this batch; the record was consumed
    return 0;
  }
};

Probe::Probe(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Probe::~Probe() = default;

Result<std::unique_ptr<Probe>> Probe::open(const ProbeOptions& options) {
  if (::geteuid() != 0) {
    return fail(ErrorCode::auth,
                "live capture loads eBPF programs and needs root (CAP_BPF, CAP_PERFMON, "
                "CAP_SYS_RESOURCE); run as root, or use --replay FILE");
  }
  if (::access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
    return fail(ErrorCode::unsupported,
                "this kernel exposes no BTF (/sys/kernel/btf/vmlinux); the CO-RE probe "
                "cannot load (needs CONFIG_DEBUG_INFO_BTF)");
  }
  {
    std::lock_guard lock(g_log_mutex);
    g_log.clear();
  }
  libbpf_set_print(keep_libbpf_log);

  auto impl = std::make_unique<Impl>();
  impl->skel = capture__open();
  if (impl->skel == nullptr) {
    return fail(ErrorCode::internal, fmt::format("opening the BPF object failed: {}", log_tail(5)));
  }
  int ncpu = libbpf_num_possible_cpus();
  if (ncpu <= 0) return fail(ErrorCode::internal, "cannot count the possible CPUs");
  std::size_t per_cpu =
      floor_pow2(std::max<std::size_t>(options.ring_buffer_bytes / static_cast<std::size_t>(ncpu), 256u * 1024u));
  impl->skel->rodata->self_tgid = static_cast<__u32>(::getpid());
  impl->skel->rodata->wakeup_bytes = per_cpu / 8;
  impl->skel->rodata->reserve_above = per_cpu / 8 * 7;
  impl->skel->rodata->drop_failed = options.drop_failed ? 1 : 0;
  impl->skel->rodata->learn_mode = options.learn ? 1 : 0;
  impl->skel->rodata->entry_args = options.entry_args ? 1 : 0;
  // The syscall hooks are attached below, by hand: which ones depends on tracefs.
  bpf_program__set_autoattach(impl->skel->progs.on_sys_exit, false);
  bpf_program__set_autoattach(impl->skel->progs.on_sys_enter, false);
  // The outer map's inner template must have the size of the rings put into it.
  int template_fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "bw_ring_tmpl", 0, 0, static_cast<__u32>(per_cpu), nullptr);
  if (template_fd < 0) {
    return fail(ErrorCode::internal,
                fmt::format("creating a {}-byte ring buffer failed: {}", per_cpu, std::strerror(errno)));
  }
  int sized = bpf_map__set_max_entries(impl->skel->maps.rings, static_cast<__u32>(ncpu));
  if (sized == 0) sized = bpf_map__set_inner_map_fd(impl->skel->maps.rings, template_fd);
  if (sized != 0) {
    ::close(template_fd);
    return fail(ErrorCode::internal, "sizing the ring buffers failed");
  }
  impl->template_fd = template_fd;
  if (int err = capture__load(impl->skel); err != 0) {
    std::string why = log_tail(12);
    if (err == -EPERM || err == -EACCES) {
      return fail(ErrorCode::auth, fmt::format("the kernel refused to load the BPF programs ({}); needs root with "
                                               "CAP_BPF and CAP_PERFMON, and unprivileged BPF limits do not apply "
                                               "to root:\n{}",
                                               std::strerror(-err), why));
    }
    return fail(ErrorCode::internal,
                fmt::format("loading the BPF programs failed ({}); the verifier said:\n{}", std::strerror(-err), why));
  }
  // The in-kernel filter: only the syscalls the rules need.
  int enabled_fd = bpf_map__fd(impl->skel->maps.enabled);
  for (std::uint32_t nr : options.syscalls) {
    if (nr >= BW_MAX_SYSCALLS) continue;
    __u8 on = 1;
    if (bpf_map_update_elem(enabled_fd, &nr, &on, BPF_ANY) != 0) {
      return fail(ErrorCode::internal, fmt::format("filling the syscall filter failed: {}", std::strerror(errno)));
    }
  }
  impl->epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
  if (impl->epoll_fd < 0) return fail(ErrorCode::io, fmt::format("epoll_create1: {}", std::strerror(errno)));
  int outer_fd = bpf_map__fd(impl->skel->maps.rings);
  for (int cpu = 0; cpu < ncpu; ++cpu) {
    Ring ring;
    ring.map_fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, fmt::format("bw_ring{}", cpu).c_str(), 0, 0,
                                 static_cast<__u32>(per_cpu), nullptr);
    if (ring.map_fd < 0) {
      return fail(ErrorCode::internal,
                  fmt::format("creating ring buffer {} ({} bytes) failed: {}", cpu, per_cpu, std::strerror(errno)));
    }
    __u32 key = static_cast<__u32>(cpu);
    if (bpf_map_update_elem(outer_fd, &key, &ring.map_fd, BPF_ANY) != 0) {
      ::close(ring.map_fd);
      return fail(ErrorCode::internal, fmt::format("installing ring buffer {} failed: {}", cpu, std::strerror(errno)));
    }
    ring.rb = ring_buffer__new(ring.map_fd, &Impl::on_record, impl.get(), nullptr);
    if (ring.rb == nullptr) {
      ::close(ring.map_fd);
      return fail(ErrorCode::internal, fmt::format("mapping ring buffer {} failed: {}", cpu, std::strerror(errno)));
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = static_cast<std::uint32_t>(cpu);
    ::epoll_ctl(impl->epoll_fd, EPOLL_CTL_ADD, ring_buffer__epoll_fd(ring.rb), &ev);
    impl->rings.push_back(ring);
  }
  if (int err = capture__attach(impl->skel); err != 0) {
    return fail(ErrorCode::unsupported, fmt::format("attaching the BPF tracepoints failed ({}); the kernel needs BTF "
                                                    "tracepoints (tp_btf):\n{}",
                                                    std::strerror(-err), log_tail(6)));
  }
  // Syscall hooks. Per-syscall tracepoints cost the syscalls the rules do not need
  // only the kernel's bitmap test; the raw dispatchers run a BPF program on every
  // syscall of the machine (measured in bench/monitor-overhead.sh).
  std::string tp_dir = options.learn || options.hooks == "raw" ? std::string() : syscall_tracepoints_dir();
  if (options.hooks == "tracepoints" && tp_dir.empty() && !options.learn) {
    return fail(ErrorCode::unsupported,
                "--hooks tracepoints: the per-syscall tracepoints are not available (tracefs is not mounted at "
                "/sys/kernel/tracing; `mount -t tracefs nodev /sys/kernel/tracing`, or use --hooks raw)");
  }
  std::string hooks;
  if (!tp_dir.empty()) {
    std::size_t exits = 0;
    std::size_t entries = 0;
    std::string failed;
    std::vector<std::string> absent;
    for (std::uint32_t nr : options.syscalls) {
      std::string name(syscall_name(nr));
      if (name.empty() || nr >= BW_MAX_SYSCALLS) continue;
      // A syscall the kernel was built without (init_module without CONFIG_MODULES)
      // has no tracepoint: it can only fail with ENOSYS. --hooks raw still sees the attempts.
      if (::access((tp_dir + "/sys_exit_" + name).c_str(), F_OK) != 0) {
        absent.push_back(name);
        continue;
      }
      bpf_link* l =
          bpf_program__attach_tracepoint(impl->skel->progs.on_sys_exit_tp, "syscalls", ("sys_exit_" + name).c_str());
      if (l == nullptr) {
        failed = "sys_exit_" + name;
        break;
      }
      impl->links.push_back(l);
      ++exits;
      if (!options.entry_args || !is_entry_syscall(nr)) continue;
      l = bpf_program__attach_tracepoint(impl->skel->progs.on_sys_enter_tp, "syscalls", ("sys_enter_" + name).c_str());
      if (l == nullptr) {
        failed = "sys_enter_" + name;
        break;
      }
      impl->links.push_back(l);
      ++entries;
    }
    if (failed.empty()) {
      hooks = fmt::format("per-syscall tracepoints: {} exit, {} entry", exits, entries);
      if (!absent.empty()) hooks += fmt::format("; not in this kernel: {}", fmt::join(absent, ", "));
    } else {
      for (auto* l : impl->links) bpf_link__destroy(l);
      impl->links.clear();
      if (options.hooks == "tracepoints") {
        return fail(ErrorCode::unsupported, fmt::format("--hooks tracepoints: attaching syscalls/{} failed ({}); "
                                                        "use --hooks raw",
                                                        failed, std::strerror(errno)));
      }
    }
  }
  if (hooks.empty()) {
    bool any_entry =
        options.entry_args && std::any_of(options.syscalls.begin(), options.syscalls.end(), is_entry_syscall);
    bpf_link* l = bpf_program__attach(impl->skel->progs.on_sys_exit);
    if (l == nullptr) {
      return fail(ErrorCode::unsupported,
                  fmt::format("attaching tp_btf/sys_exit failed ({}):\n{}", std::strerror(errno), log_tail(6)));
    }
    impl->links.push_back(l);
    if (any_entry) {
      l = bpf_program__attach(impl->skel->progs.on_sys_enter);
      if (l == nullptr) {
        return fail(ErrorCode::unsupported,
                    fmt::format("attaching tp_btf/sys_enter failed ({}):\n{}", std::strerror(errno), log_tail(6)));
      }
      impl->links.push_back(l);
    }
    hooks = any_entry ? "raw sys_enter/sys_exit dispatchers" : "raw sys_exit dispatcher";
  }
  auto probe = std::unique_ptr<Probe>(new Probe(std::move(impl)));
  probe->ring_bytes_per_cpu_ = per_cpu;
  probe->hooks_ = std::move(hooks);
  return probe;
}

Result<std::size_t> Probe::poll(std::chrono::milliseconds timeout, const RecordSink& sink, std::size_t max_records) {
  Impl& im = *impl_;
  im.sink = &sink;
  im.given = 0;
  auto drain = [&]() -> Status {
    // Every ring gets its own budget, so a batch holds each CPU's events up to about
    // the same moment and the caller can merge them in time order.
    std::size_t per_ring = std::max<std::size_t>(max_records, 1);
    for (std::size_t i = 0; i < im.rings.size(); ++i) {
      Ring& r = im.rings[(im.next_ring + i) % im.rings.size()];
      im.budget = im.given + per_ring;
      int n = ring_buffer__consume(r.rb);
      if (n < 0 && n != -EAGAIN)
        return fail(ErrorCode::io, fmt::format("reading a ring buffer: {}", std::strerror(-n)));
    }
    im.next_ring = (im.next_ring + 1) % im.rings.size();
    return {};
  };
  if (auto st = drain(); !st) return std::unexpected(st.error());
  if (im.given == 0 && timeout.count() > 0) {
    // The kernel wakes us only when a ring is filling up; otherwise the timeout
    // paces the reads, so poll in short slices.
    epoll_event events[16];
    int wait_ms = static_cast<int>(std::min<std::int64_t>(timeout.count(), 20));
    int n = ::epoll_wait(im.epoll_fd, events, 16, wait_ms);
    if (n < 0 && errno != EINTR) return fail(ErrorCode::io, fmt::format("epoll_wait: {}", std::strerror(errno)));
    if (auto st = drain(); !st) return std::unexpected(st.error());
  }
  im.sink = nullptr;
  return im.given;
}

std::vector<ProbeCounters> Probe::counters() const {
  int ncpu = libbpf_num_possible_cpus();
  std::vector<ProbeCounters> out;
  if (ncpu <= 0) return out;
  std::vector<bw_counters> values(static_cast<std::size_t>(ncpu));
  __u32 zero = 0;
  if (bpf_map_lookup_elem(bpf_map__fd(impl_->skel->maps.counters), &zero, values.data()) != 0) return out;
  for (const auto& v : values) out.push_back({v.events, v.drops});
  return out;
}

std::map<std::uint64_t, Probe::Learned> Probe::learned_syscalls() const {
  std::map<std::uint64_t, Learned> out;
  int fd = bpf_map__fd(impl_->skel->maps.learned);
  __u64 key = 0;
  __u64 next = 0;
  const void* prev = nullptr;
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    bw_syscall_set set{};
    if (bpf_map_lookup_elem(fd, &next, &set) == 0) {
      auto& l = out[next];
      for (std::uint32_t nr = 0; nr < BW_MAX_SYSCALLS; ++nr) {
        if ((set.bits[nr / 64] >> (nr % 64)) & 1u) l.allowed.push_back(nr);
        if ((set.workload[nr / 64] >> (nr % 64)) & 1u) l.workload.push_back(nr);
      }
    }
    key = next;
    prev = &key;
  }
  return out;
}

}  // namespace bulwark::runtime::probe

#else  // !BULWARK_HAVE_BPF

namespace bulwark::runtime::probe {

struct Probe::Impl {};

Probe::Probe(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Probe::~Probe() = default;

Result<std::unique_ptr<Probe>> Probe::open(const ProbeOptions&) {
  return fail(ErrorCode::unsupported,
              "this bulwark was built without eBPF live capture (the build found no kernel "
              "BTF, clang, bpftool or libbpf-dev); use --replay FILE");
}

Result<std::size_t> Probe::poll(std::chrono::milliseconds, const RecordSink&, std::size_t) {
  return fail(ErrorCode::unsupported, "built without eBPF live capture");
}

std::vector<ProbeCounters> Probe::counters() const {
  return {};
}

}  // namespace bulwark::runtime::probe

#endif
