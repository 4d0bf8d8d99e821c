#include "runtime/state/proc_snapshot.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace bulwark::runtime {
namespace {

namespace fs = std::filesystem;
using namespace std::string_literals;

const std::string kCid = "3f4e5d6c7b8a99887766554433221100ffeeddccbbaa00112233445566778899";
constexpr std::int64_t kBootToWall = 1'700'000'000'000'000'000;

class FakeProc {
 public:
  FakeProc() {
    root_ = fs::temp_directory_path() / ("bulwark-proc-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  ~FakeProc() {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  FakeProc(const FakeProc&) = delete;
  FakeProc& operator=(const FakeProc&) = delete;

  [[nodiscard]] const fs::path& root() const { return root_; }

  void file(std::int64_t pid, const std::string& name, const std::string& content) {
    fs::create_directories(root_ / std::to_string(pid));
    std::ofstream(root_ / std::to_string(pid) / name, std::ios::binary) << content;
  }
  void link(std::int64_t pid, const std::string& name, const std::string& target) {
    fs::create_directories((root_ / std::to_string(pid) / name).parent_path());
    fs::create_symlink(target, root_ / std::to_string(pid) / name);
  }
  // A complete, well-formed process.
  void process(std::int64_t pid, const std::string& comm, std::int64_t ppid, const std::string& cmdline,
               const std::string& exe, const std::string& cwd, const std::string& cgroup, std::uint32_t uid = 0,
               std::uint64_t tty_nr = 0, std::uint64_t start_ticks = 100, std::uint32_t flags = 0x400100) {
    file(pid, "stat", stat_line(pid, comm, ppid, tty_nr, flags, start_ticks));
    file(pid, "status",
         "Name:\t" + comm + "\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t" + std::to_string(pid) + "\nNSpid:\t" +
             std::to_string(pid) + "\t7\nPPid:\t" + std::to_string(ppid) + "\nUid:\t" + std::to_string(uid) + "\t" +
             std::to_string(uid) + "\t" + std::to_string(uid) + "\t" + std::to_string(uid) + "\nGid:\t" +
             std::to_string(uid + 1) + "\t" + std::to_string(uid + 1) + "\t0\t0\nCapInh:\t0000000000000000\n" +
             "CapPrm:\t00000000a80425fb\nCapEff:\t00000000a80425fb\n");
    file(pid, "cmdline", cmdline);
    file(pid, "cgroup", cgroup);
    file(pid, "loginuid", "4294967295");
    if (!exe.empty()) link(pid, "exe", exe);
    link(pid, "cwd", cwd);
    link(pid, "ns/mnt", "mnt:[4026532999]");
  }
  static std::string stat_line(std::int64_t pid, const std::string& comm, std::int64_t ppid, std::uint64_t tty_nr,
                               std::uint32_t flags, std::uint64_t start_ticks) {
    // fields 3..: state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime
    // cutime cstime priority nice num_threads itrealvalue starttime vsize rss ...
    return std::to_string(pid) + " (" + comm + ") S " + std::to_string(ppid) + " " + std::to_string(pid) + " " +
           std::to_string(pid) + " " + std::to_string(tty_nr) + " -1 " + std::to_string(flags) +
           " 10 0 0 0 1 2 0 0 20 0 1 0 " + std::to_string(start_ticks) + " 1000 10 18446744073709551615 0 0\n";
  }

 private:
  fs::path root_;
};

ProcSnapshotOptions options_for(const FakeProc& proc) {
  ProcSnapshotOptions o;
  o.proc_root = proc.root();
  o.boot_to_wall_ns = kBootToWall;
  o.clock_ticks = 100;
  return o;
}

TEST(ProcSnapshot, FillsTheTableFromAFakeProcTree) {
  FakeProc proc;
  proc.process(1, "systemd", 0, "/sbin/init\0splash\0"s, "/usr/lib/systemd/systemd", "/", "0::/init.scope\n");
  proc.process(2, "kthreadd", 0, "", "", "/", "0::/\n", 0, 0, 100, 0x00208040);  // PF_KTHREAD
  proc.process(90, "containerd-shim", 1, "/usr/bin/containerd-shim-runc-v2\0-id\0abc\0"s,
               "/usr/bin/containerd-shim-runc-v2", "/run/containerd", "0::/system.slice/containerd.service\n");
  // A comm with a space and parentheses; argv[0] differs from the executable.
  proc.process(100, "my (odd) sh", 90, "-sh\0-c\0sleep 5; cat /etc/shadow\0"s, "/usr/bin/dash", "/app",
               "0::/system.slice/docker-" + kCid + ".scope\n", 1000, 34816 /* pts/0 */, 12345);
  proc.file(200, "cmdline", "");  // vanished: the directory is there, stat is gone
  proc.file(300, "stat", "300 (broken) S notanumber 1 1\n");
  proc.file(300, "status", "Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n");
  proc.file(301, "stat", "301 no-parens S 1 1 1 0\n");
  fs::create_directories(proc.root() / "sys");
  fs::create_symlink("1", proc.root() / "self");

  ProcessTable table;
  auto st = snapshot_processes(table, options_for(proc));
  ASSERT_TRUE(st) << st.error().describe();
  EXPECT_EQ(st->seeded, 3U);
  EXPECT_EQ(st->kernel_threads, 1U);
  EXPECT_EQ(st->vanished, 1U);
  EXPECT_EQ(st->malformed, 2U);
  EXPECT_EQ(st->already_known, 0U);
  EXPECT_FALSE(st->table_full);
  EXPECT_NE(st->last_problem.find("pid 30"), std::string::npos) << st->last_problem;
  EXPECT_EQ(table.size(), 3U);
  EXPECT_EQ(table.stats().processes_seeded, 3U);
  EXPECT_EQ(table.find(2), nullptr);
  EXPECT_EQ(table.find(200), nullptr);
  EXPECT_EQ(table.find(300), nullptr);
  EXPECT_EQ(table.find(301), nullptr);

  const Process* init = table.find(1);
  ASSERT_NE(init, nullptr);
  EXPECT_EQ(init->comm, "systemd");
  EXPECT_EQ(init->exe, "/sbin/init");
  EXPECT_EQ(init->exepath, "/usr/lib/systemd/systemd");
  EXPECT_EQ(init->args, std::vector<std::string>{"splash"});
  EXPECT_EQ(init->container_id, "");
  EXPECT_EQ(init->cgroup, "/init.scope");

  const Process* sh = table.find(100);
  ASSERT_NE(sh, nullptr);
  EXPECT_EQ(sh->pid, 100);
  EXPECT_EQ(sh->ppid, 90);
  EXPECT_EQ(sh->pgid, 100);
  EXPECT_EQ(sh->sid, 100);
  EXPECT_EQ(sh->vpid, 7);
  EXPECT_EQ(sh->comm, "my (odd) sh");
  EXPECT_EQ(sh->exe, "-sh");
  EXPECT_EQ(sh->exepath, "/usr/bin/dash");
  EXPECT_EQ(sh->args, (std::vector<std::string>{"-c", "sleep 5; cat /etc/shadow"}));
  EXPECT_EQ(sh->cwd, "/app");
  EXPECT_EQ(sh->uid, 1000U);
  EXPECT_EQ(sh->gid, 1001U);
  EXPECT_EQ(sh->loginuid, UINT32_MAX);
  EXPECT_EQ(sh->caps.effective, 0xa80425fbULL);
  EXPECT_EQ(sh->caps.permitted, 0xa80425fbULL);
  EXPECT_EQ(sh->caps.inheritable, 0U);
  EXPECT_EQ(sh->tty, (136U << 20) | 0U);  // the probe's major << 20 | minor
  EXPECT_EQ(sh->start_ns, static_cast<std::uint64_t>(kBootToWall) + 123'450'000'000ULL);
  EXPECT_EQ(sh->container_id, kCid);
  EXPECT_EQ(sh->cgroup, "/system.slice/docker-" + kCid + ".scope");
  EXPECT_EQ(sh->mnt_ns, 4026532999U);
  EXPECT_FALSE(sh->exited);

  // The parent chain is complete: sh -> containerd-shim -> systemd.
  const Process* parent = table.ancestor(*sh, 1);
  ASSERT_NE(parent, nullptr);
  EXPECT_EQ(parent->comm, "containerd-shim");
  const Process* grand = table.ancestor(*sh, 2);
  ASSERT_NE(grand, nullptr);
  EXPECT_EQ(grand->pid, 1);
}

TEST(ProcSnapshot, KeepsEntriesThatEventsMadeFirst) {
  FakeProc proc;
  proc.process(400, "python3", 1, "python3\0old.py\0"s, "/usr/bin/python3.11", "/", "0::/user.slice\n");
  proc.process(401, "bash", 1, "bash\0"s, "/usr/bin/bash", "/root", "0::/user.slice\n");
  ProcessTable table;
  Event e;
  e.type = EventType::execve;
  e.pid = 400;
  e.tid = 400;
  e.ppid = 1;
  e.comm = "python3";
  e.exec = ExecInfo{};
  e.exec->exe = "/usr/bin/python3.11";
  e.exec->argv = {"python3", "new.py"};
  table.apply(e);

  auto st = snapshot_processes(table, options_for(proc));
  ASSERT_TRUE(st);
  EXPECT_EQ(st->seeded, 1U);
  EXPECT_EQ(st->already_known, 1U);
  ASSERT_NE(table.find(400), nullptr);
  EXPECT_EQ(table.find(400)->args, std::vector<std::string>{"new.py"});  // the event's, fresher
  ASSERT_NE(table.find(401), nullptr);
  EXPECT_EQ(table.find(401)->cwd, "/root");
}

TEST(ProcSnapshot, StopsAtTheTableCapacity) {
  FakeProc proc;
  for (int pid = 10; pid < 15; ++pid) proc.process(pid, "sleep", 1, "sleep\0"s, "/bin/sleep", "/", "");
  StateLimits limits;
  limits.max_processes = 3;
  ProcessTable table(limits);
  auto st = snapshot_processes(table, options_for(proc));
  ASSERT_TRUE(st);
  EXPECT_TRUE(st->table_full);
  EXPECT_EQ(st->seeded, 3U);
  EXPECT_EQ(table.size(), 3U);
  EXPECT_EQ(table.stats().processes_evicted, 0U);
  // Later events still find room: the seeded entries are the least recent.
  Event e;
  e.type = EventType::execve;
  e.pid = 99;
  e.tid = 99;
  e.exec = ExecInfo{};
  e.exec->argv = {"true"};
  table.apply(e);
  EXPECT_NE(table.find(99), nullptr);
  // The last seeded (highest pid) goes first: low pids (init, shims) are the ancestors worth keeping.
  EXPECT_EQ(table.find(12), nullptr);
  EXPECT_NE(table.find(10), nullptr);
}

TEST(ProcSnapshot, MissingRootIsAnError) {
  ProcessTable table;
  ProcSnapshotOptions o;
  o.proc_root = "/nonexistent/bulwark/proc";
  auto st = snapshot_processes(table, o);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::io);
}

TEST(ProcSnapshot, ReadsTheRealProcForThisProcess) {
  ProcessTable table;
  auto st = snapshot_processes(table, {});
  ASSERT_TRUE(st) << st.error().describe();
  const Process* self = table.find(::getpid());
  ASSERT_NE(self, nullptr);
  EXPECT_EQ(self->ppid, ::getppid());
  EXPECT_EQ(self->uid, ::geteuid());
  EXPECT_FALSE(self->exepath.empty());
  EXPECT_EQ(fs::path(self->exepath), fs::read_symlink("/proc/self/exe"));
  EXPECT_GT(self->start_ns, 1'500'000'000'000'000'000ULL);  // a wall-clock time, not time since boot
}

TEST(ProcSnapshot, TtyAndCgroupConversions) {
  EXPECT_EQ(tty_from_proc_stat(0), 0U);
  EXPECT_EQ(tty_from_proc_stat(34816), 136U << 20);                    // pts/0
  EXPECT_EQ(tty_from_proc_stat((136U << 8) | 5U), (136U << 20) | 5U);  // pts/5
  // pts/300: minor 300 = 0x12c -> low byte 0x2c, the rest shifted by 12.
  EXPECT_EQ(tty_from_proc_stat((136U << 8) | 0x2cU | (0x100U << 12)), (136U << 20) | 300U);
  EXPECT_EQ(cgroup_from_proc("0::/system.slice/docker-" + kCid + ".scope\n"),
            "/system.slice/docker-" + kCid + ".scope");
  EXPECT_EQ(cgroup_from_proc("12:pids:/docker/" + kCid + "\n5:memory:/docker/" + kCid + "\n1:name=systemd:/x\n0::/\n"),
            "/docker/" + kCid);
  EXPECT_EQ(cgroup_from_proc("0::/\n"), "/");
  EXPECT_EQ(cgroup_from_proc("garbage"), "");
}

}  // namespace
}  // namespace bulwark::runtime
