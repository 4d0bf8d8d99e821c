// Loads the real probe (root only) and checks that exec, open and connect made by
// a child process arrive as Events with the right fields.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>
#include <tuple>

#include <gtest/gtest.h>

#include "runtime/probe/live_source.hpp"

namespace bulwark::runtime::probe {
namespace {

using namespace std::chrono_literals;

bool can_load() {
#if BULWARK_HAVE_BPF
  return ::geteuid() == 0;
#else
  return false;
#endif
}

// Reads events until `pred` matches one or `limit` passes.
template <typename Pred>
bool wait_for(EventSource& src, Pred pred, Event& found, std::chrono::seconds limit = 10s) {
  auto end = std::chrono::steady_clock::now() + limit;
  Event ev;
  while (std::chrono::steady_clock::now() < end) {
    auto st = src.next(ev, 100ms);
    if (!st) {
      ADD_FAILURE() << st.error().describe();
      return false;
    }
    if (*st == NextStatus::event && pred(ev)) {
      found = ev;
      return true;
    }
  }
  return false;
}

bool have_syscall_tracepoints() {
  return ::access("/sys/kernel/tracing/events/syscalls", X_OK) == 0 ||
         ::access("/sys/kernel/debug/tracing/events/syscalls", X_OK) == 0;
}

// Every hook mode (per-syscall tracepoints or raw dispatchers) with and without the
// entry copies must deliver the same events.
class LiveSourceHooks : public ::testing::TestWithParam<std::tuple<std::string, bool>> {
 protected:
  void SetUp() override {
    if (!can_load()) GTEST_SKIP() << "needs root and a build with eBPF capture";
    if (std::get<0>(GetParam()) == "tracepoints" && !have_syscall_tracepoints())
      GTEST_SKIP() << "tracefs is not mounted (scripts/start-services.sh mounts it)";
  }
  LiveSourceOptions options() const {
    LiveSourceOptions opts;
    opts.hooks = std::get<0>(GetParam());
    opts.entry_args = std::get<1>(GetParam());
    return opts;
  }
};

INSTANTIATE_TEST_SUITE_P(Modes, LiveSourceHooks,
                         ::testing::Combine(::testing::Values("tracepoints", "raw"), ::testing::Bool()),
                         [](const auto& param_info) {
                           return std::get<0>(param_info.param) + (std::get<1>(param_info.param) ? "_entry" : "_exit");
                         });

TEST_P(LiveSourceHooks, ExecOpenConnectFromAChildArrive) {
  LiveSourceOptions opts = options();
  opts.event_types = {EventType::openat, EventType::connect};
  opts.ring_buffer_bytes = 1u << 20;
  auto src = LiveSource::open(opts);
  ASSERT_TRUE(src) << src.error().describe();
  std::string hooks = (*src)->detail();
  if (opts.hooks == "tracepoints") {
    EXPECT_NE(hooks.find(opts.entry_args ? "2 exit, 2 entry" : "2 exit, 0 entry"), std::string::npos) << hooks;
  } else {
    EXPECT_EQ(hooks, opts.entry_args ? "raw sys_enter/sys_exit dispatchers" : "raw sys_exit dispatcher");
  }

  // A listener the child connects to.
  int lfd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(lfd, 4), 0);
  socklen_t len = sizeof(addr);
  ::getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &len);
  std::uint16_t port = ntohs(addr.sin_port);

  std::string marker = "/tmp/bulwark-probe-test-" + std::to_string(::getpid());
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The child: open a relative path (resolved against its cwd), connect, then exec.
    if (::chdir("/tmp") != 0) ::_exit(2);
    std::string rel = "./" + marker.substr(5);
    int fd = ::openat(AT_FDCWD, rel.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd >= 0) ::close(fd);
    int s = ::socket(AF_INET, SOCK_STREAM, 0);
    ::connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    ::close(s);
    ::execl("/bin/true", "true", "--probe-test-arg", static_cast<char*>(nullptr));
    ::_exit(3);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  ::close(lfd);
  ::unlink(marker.c_str());

  Event ev;
  ASSERT_TRUE(wait_for(
      **src, [&](const Event& e) { return e.type == EventType::openat && e.pid == child; }, ev));
  EXPECT_EQ(ev.args.resolved_path, marker);
  EXPECT_EQ(ev.args.path, "./" + marker.substr(5));
  EXPECT_EQ(ev.args.dirfd, -100);
  EXPECT_TRUE(ev.args.flags & O_CREAT);
  EXPECT_GE(ev.ret, 0);
  EXPECT_EQ(ev.uid, 0u);
  EXPECT_NE(ev.mnt_ns, 0u);
  EXPECT_NE(ev.cgroup_id, 0u);

  ASSERT_TRUE(wait_for(
      **src, [&](const Event& e) { return e.type == EventType::connect && e.pid == child; }, ev));
  EXPECT_EQ(ev.args.tuple.family, 2u);
  EXPECT_EQ(ev.args.tuple.server.port, port);
  EXPECT_EQ(ev.args.tuple.server.addr[0], 127);
  EXPECT_NE(ev.args.tuple.client.port, 0);
  EXPECT_EQ(ev.args.tuple.l4proto, 6u);

  ASSERT_TRUE(wait_for(
      **src, [&](const Event& e) { return e.type == EventType::execve && e.pid == child; }, ev));
  ASSERT_TRUE(ev.exec.has_value());
  EXPECT_EQ(ev.exec->exe, "/usr/bin/true");
  ASSERT_EQ(ev.exec->argv.size(), 2u);
  EXPECT_EQ(ev.exec->argv[1], "--probe-test-arg");
  EXPECT_EQ(ev.exec->cwd, "/tmp");
  EXPECT_EQ(ev.comm, "true");
  EXPECT_EQ(ev.ppid, ::getpid());

  auto stats = (*src)->stats();
  EXPECT_GE(stats.events, 3u);
  EXPECT_EQ(stats.per_cpu.size(), static_cast<std::size_t>(::sysconf(_SC_NPROCESSORS_CONF)));
}

// The path an open really used, even when another thread rewrites the buffer while the
// call is in the kernel: the child opens a FIFO for reading, which blocks in the kernel
// after it has read the path; the parent then rewrites the (shared) buffer and opens the
// FIFO for writing, which lets the child's open return. With the entry copy the event has
// the path the kernel used; read at exit it has the rewritten one (the documented limit of
// --entry-args off).
TEST_P(LiveSourceHooks, OpenPathIsTheOneTheKernelUsed) {
  LiveSourceOptions opts = options();
  opts.event_types = {EventType::openat};
  auto src = LiveSource::open(opts);
  ASSERT_TRUE(src) << src.error().describe();
  std::string real = "/tmp/bulwark-fifo-A-" + std::to_string(::getpid());
  std::string fake = "/tmp/bulwark-fifo-B-" + std::to_string(::getpid());
  ::unlink(real.c_str());
  ASSERT_EQ(::mkfifo(real.c_str(), 0600), 0);
  auto* buf = static_cast<char*>(::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(buf, MAP_FAILED);
  std::memcpy(buf, real.c_str(), real.size() + 1);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Fault the page in first: a BPF program cannot, so a path in a page that is not
    // mapped yet is read at exit instead (docs/runtime-monitor.md, Limits).
    volatile char first = buf[0];
    (void)first;
    int fd = ::openat(AT_FDCWD, buf, O_RDONLY);
    ::_exit(fd >= 0 ? 0 : 1);
  }
  ::usleep(300 * 1000);  // the child is now blocked inside openat
  std::memcpy(buf, fake.c_str(), fake.size() + 1);
  int w = ::open(real.c_str(), O_WRONLY);
  int status = 0;
  ::waitpid(child, &status, 0);
  if (w >= 0) ::close(w);
  ::unlink(real.c_str());
  ::munmap(buf, 4096);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);

  Event ev;
  ASSERT_TRUE(wait_for(
      **src, [&](const Event& e) { return e.type == EventType::openat && e.pid == child; }, ev));
  EXPECT_EQ(ev.args.path, opts.entry_args ? real : fake);
}

TEST(LiveSource, FilterKeepsOtherSyscallsInTheKernel) {
  if (!can_load()) GTEST_SKIP() << "needs root and a build with eBPF capture";
  LiveSourceOptions opts;
  opts.event_types = {EventType::connect};  // no open*
  auto src = LiveSource::open(opts);
  ASSERT_TRUE(src) << src.error().describe();
  pid_t child = ::fork();
  if (child == 0) {
    for (int i = 0; i < 100; ++i) {
      int fd = ::open("/etc/hostname", O_RDONLY);
      if (fd >= 0) ::close(fd);
    }
    ::_exit(0);
  }
  ::waitpid(child, nullptr, 0);
  // Read for a while: the opens must not arrive, the child's exit must (the process table needs it).
  bool saw_open = false;
  bool saw_exit = false;
  Event ev;
  auto end = std::chrono::steady_clock::now() + 3s;
  while (std::chrono::steady_clock::now() < end) {
    auto st = (*src)->next(ev, 100ms);
    ASSERT_TRUE(st) << st.error().describe();
    if (*st != NextStatus::event || ev.pid != child) continue;
    if (ev.type == EventType::open || ev.type == EventType::openat) saw_open = true;
    if (ev.type == EventType::procexit) saw_exit = true;
  }
  EXPECT_FALSE(saw_open);
  EXPECT_TRUE(saw_exit);
}

}  // namespace
}  // namespace bulwark::runtime::probe
