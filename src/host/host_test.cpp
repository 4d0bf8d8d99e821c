// Unit tests of the host audit: the catalogue, the parsers, and every evaluator
// on offline roots built here (real files with real modes) and on Engine API
// documents recorded from a real daemon.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include <gtest/gtest.h>

#include "core/context.hpp"
#include "host/audit.hpp"
#include "host/audit_rules.hpp"
#include "host/catalogue.hpp"
#include "host/checks.hpp"
#include "host/daemon_config.hpp"
#include "host/hostfs.hpp"
#include "util/files.hpp"

namespace bulwark::host {
namespace {

namespace fs = std::filesystem;
using core::FindingStatus;

// The status of check `id` for `target_name` ("" = any target) in findings; nullopt when absent.
std::optional<FindingStatus> status_of(const std::vector<core::Finding>& findings, std::string_view id,
                                       std::string_view target_name = {}) {
  for (const auto& f : findings) {
    if (f.id == id && (target_name.empty() || f.target.name == target_name)) return f.status;
  }
  return std::nullopt;
}

const core::Finding* finding(const std::vector<core::Finding>& findings, std::string_view id) {
  for (const auto& f : findings) {
    if (f.id == id) return &f;
  }
  return nullptr;
}

// A root filesystem folder the test fills in.
class Root {
 public:
  Root() {
    auto dir = util::make_temp_dir(fs::temp_directory_path(), "bulwark-host-test");
    EXPECT_TRUE(dir.has_value());
    path_ = *dir;
  }
  ~Root() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  Root(const Root&) = delete;
  Root& operator=(const Root&) = delete;

  void write(const std::string& rel, std::string_view text, mode_t mode = 0644, uid_t uid = 0, gid_t gid = 0) {
    fs::path p = path_ / rel.substr(1);
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
    ::chmod(p.c_str(), mode);
    own(rel, uid, gid);
  }
  void dir(const std::string& rel, mode_t mode = 0755, uid_t uid = 0, gid_t gid = 0) {
    fs::path p = path_ / rel.substr(1);
    fs::create_directories(p);
    ::chmod(p.c_str(), mode);
    own(rel, uid, gid);
  }
  void link(const std::string& rel, const std::string& target) {
    fs::path p = path_ / rel.substr(1);
    fs::create_directories(p.parent_path());
    fs::create_symlink(target, p);
  }
  void own(const std::string& rel, uid_t uid, gid_t gid) {
    if (::geteuid() == 0) {
      [[maybe_unused]] int rc = ::lchown((path_ / rel.substr(1)).c_str(), uid, gid);
    }
  }
  [[nodiscard]] const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

core::Target host_target() {
  return {core::TargetKind::host, "test", {}};
}

// ---------------------------------------------------------------------------------------------
// Catalogue

TEST(Catalogue, HasEveryCis16IdOnceAndUniqueBulwarkIds) {
  std::set<std::string_view> ids;
  std::set<std::string_view> cis;
  for (const auto& c : catalogue()) {
    EXPECT_TRUE(ids.insert(c.id).second) << c.id;
    EXPECT_FALSE(c.title.empty()) << c.id;
    EXPECT_FALSE(c.remediation.empty()) << c.id;
    EXPECT_TRUE(c.level == 1 || c.level == 2) << c.id;
    if (!c.cis.empty()) {
      EXPECT_TRUE(cis.insert(c.cis).second) << c.cis;
      EXPECT_EQ(c.id, "BLWK-CIS-" + std::string(c.cis));
    }
  }
  // CIS Docker Benchmark 1.6.0: 20 + 18 + 24 + 12 + 32 + 2 + 9 recommendations.
  EXPECT_EQ(cis.size(), 117U);
  EXPECT_EQ(find_check("5.10"), find_check("BLWK-CIS-5.10"));
  EXPECT_EQ(find_check("nope"), nullptr);
}

TEST(Catalogue, FindingCarriesStandardsForBothVersionsAndTheRenumbering) {
  auto f = make_finding(*find_check("2.7"), host_target(), FindingStatus::fail, "x");
  ASSERT_EQ(f.standards.size(), 3U);
  EXPECT_EQ(f.standards[0].name, "cis-docker");
  EXPECT_EQ(f.standards[0].version, "1.6.0");
  EXPECT_EQ(f.standards[0].id, "2.7");
  EXPECT_EQ(f.standards[1].version, "1.7.0");
  EXPECT_EQ(f.standards[2].version, "1.8.0");
  EXPECT_EQ(f.standards[2].id, "2.8");
  EXPECT_EQ(f.severity, core::Severity::critical);
  auto g = make_finding(*find_check("5.10"), host_target(), FindingStatus::pass, "");
  EXPECT_EQ(g.standards.size(), 2U);
}

// ---------------------------------------------------------------------------------------------
// Parsers

TEST(Modes, ComparesBitsNotDecimalNumbers) {
  EXPECT_TRUE(mode_within(0644, 0644));
  EXPECT_TRUE(mode_within(0600, 0644));
  EXPECT_TRUE(mode_within(0400, 0444));
  // 0570 is "less than 644" as a decimal number but grants group write and owner... bits say no.
  EXPECT_FALSE(mode_within(0570, 0644));
  EXPECT_FALSE(mode_within(0664, 0644));
  EXPECT_FALSE(mode_within(04644, 0644));  // setuid is beyond 644
  EXPECT_FALSE(mode_within(0440, 0400));
  EXPECT_EQ(describe_mode(04755), "4755 (rwsr-xr-x)");
}

TEST(DockerdArgs, LongShortBoolAndValueForms) {
  auto flags = parse_dockerd_args({"/usr/bin/dockerd", "-H", "fd://", "--host=tcp://0.0.0.0:2375", "--icc=false",
                                   "--live-restore", "--log-level", "debug", "-D", "--insecure-registry", "r:5000",
                                   "--userland-proxy=false"});
  DaemonFacts d;
  d.flags = flags;
  EXPECT_EQ(d.lookup_all("hosts"), (std::vector<std::string>{"fd://", "tcp://0.0.0.0:2375"}));
  EXPECT_EQ(d.lookup("icc").value, false);
  EXPECT_EQ(d.lookup("live-restore").value, true);
  EXPECT_EQ(d.lookup("log-level").value, "debug");
  EXPECT_EQ(d.lookup("debug").value, true);
  EXPECT_EQ(d.lookup_all("insecure-registries"), std::vector<std::string>{"r:5000"});
  EXPECT_EQ(d.lookup("userland-proxy").value, false);
  EXPECT_EQ(d.lookup("tlsverify").state, Setting::State::unset);
}

TEST(Redact, RemovesCredentialsFromUrlsAndSecretKeys) {
  EXPECT_EQ(redact("http://user:s3cret@proxy:3128"), "http://***@proxy:3128");
  EXPECT_EQ(redact(R"({"splunk-token":"abcd-1234","x":1})"), R"({"splunk-token":"***","x":1})");
  EXPECT_EQ(redact("password=hunter2 other"), "password=*** other");
  EXPECT_EQ(redact("tcp://10.0.0.1:2376"), "tcp://10.0.0.1:2376");
}

TEST(AuditRules, WatchAndSyscallRuleForms) {
  auto rules = parse_audit_rules(
      "# comment\n-w /usr/bin/dockerd -k docker\n"
      "-a exit,always -F path=/run/containerd -F perm=war -k docker\n"
      "-a always,exit -F dir=/var/lib/docker/ -k docker\n",
      "/etc/audit/rules.d/docker.rules");
  ASSERT_EQ(rules.size(), 3U);
  EXPECT_EQ(rules[0].path, "/usr/bin/dockerd");
  EXPECT_EQ(rules[0].origin, "/etc/audit/rules.d/docker.rules:2");
  EXPECT_EQ(rules[2].path, "/var/lib/docker");
  EXPECT_NE(find_audit_rule(rules, "/var/lib/docker/containers"), nullptr);  // a watched directory covers below
  EXPECT_EQ(find_audit_rule(rules, "/var/lib/dockerfoo"), nullptr);
  EXPECT_EQ(find_audit_rule(rules, "/etc/docker"), nullptr);
}

TEST(Cgroups, ContainerIdFromEveryRuntimeLayout) {
  const std::string id(64, 'a');
  EXPECT_EQ(container_id_from_cgroup("12:pids:/docker/" + id + "\n"), id);
  EXPECT_EQ(container_id_from_cgroup("0::/system.slice/docker-" + id + ".scope\n"), id);
  EXPECT_EQ(container_id_from_cgroup("0::/kubepods.slice/kubepods-pod1.slice/cri-containerd-" + id + ".scope"), id);
  EXPECT_EQ(container_id_from_cgroup("0::/machine.slice/libpod-" + id + ".scope/container"), id);
  EXPECT_EQ(container_id_from_cgroup("0::/kubepods/besteffort/pod123/" + id), id);
  EXPECT_EQ(container_id_from_cgroup("0::/user.slice/user-1000.slice/session-2.scope"), "");
  EXPECT_EQ(container_id_from_cgroup("0::/docker/" + std::string(63, 'a')), "");
}

TEST(Mounts, MountinfoAndFstab) {
  auto mi = parse_mountinfo(
      "27 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n"
      "42 27 254:0 /var/lib/docker /var/lib/docker rw,relatime shared:1 - ext4 /dev/vda rw\n"
      "50 27 8:17 / /srv/with\\040space rw - xfs /dev/sdb1 rw\n");
  ASSERT_EQ(mi.size(), 3U);
  EXPECT_EQ(mi[1].root, "/var/lib/docker");
  EXPECT_EQ(mi[1].fstype, "ext4");
  EXPECT_EQ(mi[2].mount_point, "/srv/with space");
  auto tab = parse_fstab("# x\nUUID=1 / ext4 defaults 0 1\n/dev/sdb1 /var/lib/docker/ xfs defaults 0 2\n");
  ASSERT_EQ(tab.size(), 2U);
  EXPECT_EQ(tab[1].mount_point, "/var/lib/docker");
}

TEST(Capabilities, Names) {
  EXPECT_EQ(capability_names((1ULL << 21) | 1ULL), (std::vector<std::string>{"CAP_CHOWN", "CAP_SYS_ADMIN"}));
}

// ---------------------------------------------------------------------------------------------
// Offline roots: §1-§3 pass and fail from the files each check reads.

// A root configured the way the benchmark wants.
void build_good_root(Root& r) {
  r.write("/etc/passwd", "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/sh\n");
  r.write("/etc/group", "root:x:0:\ndocker:x:999:\nalice:x:1000:\n");
  r.write("/etc/fstab", "UUID=1 / ext4 defaults 0 1\nUUID=2 /var/lib/docker xfs defaults 0 2\n");
  r.dir("/etc/docker", 0755);
  r.write("/etc/docker/daemon.json",
          R"({"icc": false, "log-level": "info", "userns-remap": "default", "live-restore": true,
              "userland-proxy": false, "no-new-privileges": true, "log-driver": "syslog",
              "authorization-plugins": ["authz-broker"], "default-ulimits": {"nofile": {"Name": "nofile", "Hard": 64000, "Soft": 64000}},
              "hosts": ["unix:///var/run/docker.sock", "tcp://0.0.0.0:2376"], "tlsverify": true,
              "tlscacert": "/etc/docker/tls/ca.pem", "tlscert": "/etc/docker/tls/cert.pem",
              "tlskey": "/etc/docker/tls/key.pem"})",
          0644);
  r.dir("/etc/docker/tls", 0755);
  r.write("/etc/docker/tls/ca.pem", "ca", 0444);
  r.write("/etc/docker/tls/cert.pem", "cert", 0444);
  r.write("/etc/docker/tls/key.pem", "key", 0400);
  r.write("/etc/docker/certs.d/registry:5000/ca.crt", "ca", 0444);
  r.write("/lib/systemd/system/docker.service", "[Service]\n", 0644);
  r.write("/lib/systemd/system/docker.socket", "[Socket]\n", 0644);
  r.write("/etc/default/docker", "", 0644);
  r.write("/usr/bin/dockerd", "", 0755);
  r.write("/usr/bin/runc", "", 0755);
  r.dir("/var/lib/docker", 0710);
  r.write("/etc/audit/rules.d/docker.rules",
          "-w /usr/bin/dockerd -k docker\n-w /var/lib/docker -k docker\n-w /etc/docker -k docker\n"
          "-w /lib/systemd/system/docker.service -k docker\n-w /lib/systemd/system/docker.socket -k docker\n"
          "-w /etc/default/docker -k docker\n-w /usr/bin/runc -k docker\n",
          0640);
  r.write("/etc/sysctl.d/90-hardening.conf",
          "kernel.unprivileged_bpf_disabled = 1\nkernel.kptr_restrict=1\nkernel.dmesg_restrict = 1\n"
          "fs.protected_symlinks = 1\nfs.protected_hardlinks = 1\nfs.suid_dumpable = 0\n"
          "net.bridge.bridge-nf-call-iptables = 1\nnet.ipv4.conf.all.route_localnet = 0\nnet.ipv4.ip_forward = 1\n");
}

AuditReport audit_root(const Root& r) {
  AuditOptions o;
  o.root = r.path();
  core::Context ctx;
  return run_audit(o, ctx);
}

std::vector<core::Finding> all_findings(const AuditReport& report) {
  std::vector<core::Finding> out;
  for (const auto& r : report.results) out.insert(out.end(), r.findings.begin(), r.findings.end());
  return out;
}

TEST(OfflineRoot, HardenedRootPassesSections1To3) {
  Root r;
  build_good_root(r);
  auto report = audit_root(r);
  EXPECT_TRUE(report.problems.empty());
  auto f = all_findings(report);
  for (auto id :
       {"1.1.1", "1.1.2", "1.1.3", "1.1.5", "1.1.6", "1.1.7", "1.1.9", "1.1.10", "1.1.18", "2.2",  "2.3",  "2.4",
        "2.5",   "2.7",   "2.8",   "2.9",   "2.10",  "2.11",  "2.12",  "2.13",   "2.14",   "2.15", "2.16", "2.18"}) {
    EXPECT_EQ(status_of(f, "BLWK-CIS-" + std::string(id)), FindingStatus::pass) << id;
  }
  for (auto id : {"3.2", "3.4", "3.6", "3.8", "3.10", "3.12", "3.14", "3.18", "3.20"}) {
    EXPECT_EQ(status_of(f, "BLWK-CIS-" + std::string(id)), FindingStatus::pass) << id;
  }
  if (::geteuid() == 0) {
    for (auto id : {"3.1", "3.3", "3.5", "3.7", "3.9", "3.11", "3.13", "3.17", "3.19"}) {
      EXPECT_EQ(status_of(f, "BLWK-CIS-" + std::string(id)), FindingStatus::pass) << id;
    }
  }
  // Missing files are skipped with the reason, not failed.
  EXPECT_EQ(status_of(f, "BLWK-CIS-1.1.13"), FindingStatus::skipped);
  EXPECT_EQ(status_of(f, "BLWK-CIS-3.21"), FindingStatus::skipped);
  EXPECT_EQ(status_of(f, "BLWK-CIS-3.15"), FindingStatus::skipped);  // no socket offline
  for (auto id : {"BLWK-HOST-K02", "BLWK-HOST-K03", "BLWK-HOST-K04", "BLWK-HOST-K05", "BLWK-HOST-K06", "BLWK-HOST-K07",
                  "BLWK-HOST-K09"}) {
    EXPECT_EQ(status_of(f, id), FindingStatus::pass) << id;
  }
  // IP forwarding is stated, never failed (container hosts need it).
  EXPECT_EQ(status_of(f, "BLWK-HOST-K08"), FindingStatus::info);
  // No image or container targets offline.
  for (const auto& res : report.results) {
    EXPECT_NE(res.target.kind, core::TargetKind::container);
    EXPECT_NE(res.target.kind, core::TargetKind::image);
  }
}

TEST(OfflineRoot, WeakRootFailsSections1To3) {
  Root r;
  r.write("/etc/passwd", "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/sh\n");
  r.write("/etc/group", "root:x:0:\ndocker:x:999:alice,bob\n");
  r.write("/etc/fstab", "UUID=1 / ext4 defaults 0 1\n");
  r.dir("/etc/docker", 0777);
  r.write("/etc/docker/daemon.json",
          R"({"icc": true, "log-level": "debug", "iptables": false, "insecure-registries": ["http://u:pw@reg:5000"],
              "storage-driver": "aufs", "hosts": ["tcp://0.0.0.0:2375"], "cgroup-parent": "/custom",
              "storage-opts": ["dm.basesize=20G"], "experimental": true, "log-driver": "json-file",
              "tlscacert": "/etc/docker/ca.pem", "tlskey": "/etc/docker/key.pem"})",
          0666, 1000, 1000);
  r.write("/etc/docker/ca.pem", "ca", 0644);
  r.write("/etc/docker/key.pem", "key", 0440);
  r.write("/etc/docker/certs.d/reg:5000/client.key", "k", 0600, 1000, 0);
  // 0570 is below 644 as a number, but grants group write: docker-bench's decimal compare passes it.
  r.write("/lib/systemd/system/docker.service", "[Service]\n", 0570);
  r.write("/lib/systemd/system/docker.socket", "[Socket]\n", 0664);
  r.write("/etc/default/docker", "", 0646);
  r.write("/usr/bin/dockerd", "", 0755);
  r.dir("/var/lib/docker", 0710);
  r.write("/etc/sysctl.conf", "kernel.unprivileged_bpf_disabled=0\nfs.suid_dumpable = 2\nnet.ipv4.ip_forward=1\n");
  auto report = audit_root(r);
  auto f = all_findings(report);
  for (auto id :
       {"1.1.1", "1.1.3", "1.1.5", "1.1.6", "1.1.7", "2.2", "2.3", "2.4", "2.5", "2.6",  "2.7",  "2.9",  "2.11", "2.12",
        "2.13",  "2.14",  "2.15",  "2.16",  "2.18",  "3.2", "3.4", "3.6", "3.8", "3.10", "3.14", "3.18", "3.20"}) {
    EXPECT_EQ(status_of(f, "BLWK-CIS-" + std::string(id)), FindingStatus::fail) << id;
  }
  EXPECT_EQ(status_of(f, "BLWK-CIS-1.1.2"), FindingStatus::warn);
  EXPECT_EQ(status_of(f, "BLWK-CIS-2.10"), FindingStatus::warn);
  if (::geteuid() == 0) {
    EXPECT_EQ(status_of(f, "BLWK-CIS-3.17"), FindingStatus::fail);
    EXPECT_EQ(status_of(f, "BLWK-CIS-3.7"), FindingStatus::fail);
  }
  EXPECT_EQ(status_of(f, "BLWK-HOST-K02"), FindingStatus::fail);
  EXPECT_EQ(status_of(f, "BLWK-HOST-K06"), FindingStatus::fail);
  EXPECT_EQ(status_of(f, "BLWK-HOST-K08"), FindingStatus::info);
  // Evidence names what was seen, with credentials redacted.
  auto* ins = finding(f, "BLWK-CIS-2.5");
  ASSERT_NE(ins, nullptr);
  EXPECT_NE(ins->evidence.find("reg:5000"), std::string::npos);
  EXPECT_EQ(ins->evidence.find("pw"), std::string::npos) << ins->evidence;
  auto* svc = finding(f, "BLWK-CIS-3.2");
  ASSERT_NE(svc, nullptr);
  EXPECT_NE(svc->evidence.find("0570"), std::string::npos);
  auto* grp = finding(f, "BLWK-CIS-1.1.2");
  ASSERT_NE(grp, nullptr);
  EXPECT_NE(grp->evidence.find("alice, bob"), std::string::npos);
  auto s = score(report.results);
  EXPECT_GT(s.failed, 25U);
  EXPECT_LT(s.percent(), 50.0);
}

TEST(OfflineRoot, DefaultsApplyWhenDockerIsInstalledWithoutDaemonJson) {
  Root r;
  r.write("/usr/bin/dockerd", "", 0755);
  auto f = all_findings(audit_root(r));
  EXPECT_EQ(status_of(f, "BLWK-CIS-2.2"), FindingStatus::fail);   // icc is on by default
  EXPECT_EQ(status_of(f, "BLWK-CIS-2.4"), FindingStatus::pass);   // iptables on by default
  EXPECT_EQ(status_of(f, "BLWK-CIS-2.16"), FindingStatus::fail);  // userland proxy on by default
  Root empty;
  auto g = all_findings(audit_root(empty));
  EXPECT_EQ(status_of(g, "BLWK-CIS-2.2"), FindingStatus::skipped);
}

TEST(OfflineRoot, SymlinksStayInsideTheRoot) {
  Root r;
  build_good_root(r);
  // An absolute link must resolve inside the root, as in a chroot, not to the machine's /etc.
  fs::remove(r.path() / "etc/docker/daemon.json");
  r.write("/srv/daemon.json", R"({"icc": true})");
  r.link("/etc/docker/daemon.json", "/srv/daemon.json");
  fs::remove(r.path() / "etc/default/docker");
  r.link("/etc/default/docker", "../../../../../../etc/shadow");
  HostFs hfs(r.path());
  EXPECT_FALSE(hfs.stat("/etc/default/docker").has_value());  // -> <root>/etc/shadow, which does not exist
  auto f = all_findings(audit_root(r));
  EXPECT_EQ(status_of(f, "BLWK-CIS-2.2"), FindingStatus::fail);
}

TEST(OfflineRoot, MalformedDaemonJsonIsNamedAndOtherChecksStillRun) {
  Root r;
  build_good_root(r);
  r.write("/etc/docker/daemon.json", "{\"icc\": false,\n \"log-level\": }\n");
  auto report = audit_root(r);
  ASSERT_EQ(report.problems.size(), 1U);
  EXPECT_EQ(report.problems[0].kind, ProblemKind::input);
  EXPECT_EQ(report.problems[0].error.context, "/etc/docker/daemon.json");
  EXPECT_NE(report.problems[0].error.message.find("invalid JSON"), std::string::npos);
  auto f = all_findings(report);
  auto* icc = finding(f, "BLWK-CIS-2.2");
  ASSERT_NE(icc, nullptr);
  EXPECT_EQ(icc->status, FindingStatus::skipped);
  EXPECT_NE(icc->evidence.find("could not be read"), std::string::npos);
  // §1 and §3 are unaffected.
  EXPECT_EQ(status_of(f, "BLWK-CIS-1.1.1"), FindingStatus::pass);
  EXPECT_EQ(status_of(f, "BLWK-CIS-3.6"), FindingStatus::pass);
}

// ---------------------------------------------------------------------------------------------
// Engine API documents

nlohmann::json load_json(const std::string& name) {
  std::ifstream in(std::string(BULWARK_SOURCE_DIR) + "/src/host/testdata/" + name);
  return nlohmann::json::parse(in);
}

TEST(Container, PrivilegedRecordedFromARealDaemon) {
  // `docker create --privileged -v /:/host -v /var/run/docker.sock:/var/run/docker.sock --device /dev/null:/dev/xnull`
  // on Docker 20.10 (starting it fails on this machine: a capability is missing from the bounding set).
  auto doc = load_json("privileged-created.json");
  std::vector<core::Finding> f;
  ContainerEnv env;
  env.processes = std::vector<std::string>{"sleep"};
  check_container(doc, env, container_target(doc), f);
  EXPECT_EQ(status_of(f, "BLWK-CIS-5.5"), FindingStatus::fail);
  EXPECT_EQ(status_of(f, "BLWK-CIS-5.4"), FindingStatus::fail);
  EXPECT_EQ(status_of(f, "BLWK-CIS-5.18"), FindingStatus::fail);
  EXPECT_EQ(status_of(f, "BLWK-CIS-5.22"), FindingStatus::fail);
  EXPECT_EQ(status_of(f, "BLWK-CIS-5.6"), FindingStatus::fail);
  EXPECT_EQ(status_of(f, "BLWK-CIS-5.32"), FindingStatus::fail);
  EXPECT_EQ(status_of(f, "BLWK-CIS-5.7"), FindingStatus::pass);
  EXPECT_EQ(status_of(f, "BLWK-CIS-5.2"), FindingStatus::skipped);  // no AppArmor on the host
  auto t = container_target(doc);
  EXPECT_EQ(t.kind, core::TargetKind::container);
  EXPECT_EQ(t.name, "bulwark-host-priv");
  EXPECT_EQ(t.id.size(), 64U);
  for (const auto& x : f) {
    ASSERT_FALSE(x.standards.empty()) << x.id;
    EXPECT_EQ(x.standards[0].name, "cis-docker");
  }
}

TEST(Container, HardenedDocumentPasses) {
  auto doc = load_json("privileged-created.json");
  auto& hc = doc["HostConfig"];
  hc["Privileged"] = false;
  hc["CapDrop"] = {"ALL"};
  hc["CapAdd"] = {"NET_BIND_SERVICE"};
  hc["Devices"] = nlohmann::json::array();
  hc["ReadonlyRootfs"] = true;
  hc["Memory"] = 268435456;
  hc["CpuShares"] = 512;
  hc["PidsLimit"] = 100;
  hc["SecurityOpt"] = {"no-new-privileges"};
  hc["RestartPolicy"] = {{"Name", "on-failure"}, {"MaximumRetryCount", 5}};
  doc["Mounts"] = nlohmann::json::array();
  doc["Config"]["Healthcheck"] = {{"Test", {"CMD", "true"}}};
  std::vector<core::Finding> f;
  ContainerEnv env;
  env.processes = std::vector<std::string>{"app"};
  check_container(doc, env, container_target(doc), f);
  for (auto id : {"5.4",  "5.5",  "5.6",  "5.7",  "5.10", "5.11", "5.12", "5.13", "5.15", "5.16",
                  "5.17", "5.18", "5.20", "5.21", "5.22", "5.25", "5.26", "5.27", "5.29", "5.32"}) {
    EXPECT_EQ(status_of(f, "BLWK-CIS-" + std::string(id)), FindingStatus::pass) << id;
  }
}

TEST(Image, UserHealthcheckAddSecretsAndLoneUpdate) {
  nlohmann::json inspect = {{"Id", "sha256:" + std::string(64, 'b')},
                            {"RepoTags", {"app:1"}},
                            {"Config", {{"User", ""}, {"Env", {"PATH=/bin", "DB_PASSWORD=hunter2", "EMPTY_TOKEN="}}}}};
  nlohmann::json history =
      nlohmann::json::array({{{"CreatedBy", "/bin/sh -c #(nop) ADD https://example.com/x.tgz /opt/"}},
                             {{"CreatedBy", "|1 API_KEY=abc /bin/sh -c apt-get update"}},
                             {{"CreatedBy", "/bin/sh -c #(nop) ADD file:feed in /opt/app.tar "}},
                             {{"CreatedBy", "/bin/sh -c #(nop) ADD file:0123 in / "}}});
  std::vector<core::Finding> f;
  check_image(inspect, history, {}, image_target(inspect), f);
  EXPECT_EQ(status_of(f, "BLWK-CIS-4.1"), FindingStatus::fail);
  EXPECT_EQ(status_of(f, "BLWK-CIS-4.6"), FindingStatus::fail);
  EXPECT_EQ(status_of(f, "BLWK-CIS-4.7"), FindingStatus::fail);
  EXPECT_EQ(status_of(f, "BLWK-CIS-4.9"), FindingStatus::fail);
  // A local file ADDed below / is the user's ADD, not the base image's root filesystem.
  EXPECT_NE(finding(f, "BLWK-CIS-4.9")->evidence.find("/opt/app.tar"), std::string::npos);
  EXPECT_EQ(finding(f, "BLWK-CIS-4.9")->evidence.find("in / "), std::string::npos);
  EXPECT_EQ(status_of(f, "BLWK-CIS-4.8"), FindingStatus::manual);
  auto* secrets = finding(f, "BLWK-CIS-4.10");
  ASSERT_NE(secrets, nullptr);
  EXPECT_EQ(secrets->status, FindingStatus::fail);
  EXPECT_NE(secrets->evidence.find("DB_PASSWORD"), std::string::npos);
  EXPECT_NE(secrets->evidence.find("API_KEY"), std::string::npos);
  EXPECT_EQ(secrets->evidence.find("hunter2"), std::string::npos);  // names only, never values
  EXPECT_EQ(secrets->evidence.find("abc"), std::string::npos);
  EXPECT_EQ(secrets->evidence.find("EMPTY_TOKEN"), std::string::npos);
  EXPECT_EQ(image_target(inspect).name, "app:1");

  nlohmann::json good = {{"Id", "sha256:" + std::string(64, 'c')},
                         {"Config", {{"User", "1000:1000"}, {"Healthcheck", {{"Test", {"CMD-SHELL", "true"}}}}}}};
  nlohmann::json good_history =
      nlohmann::json::array({{{"CreatedBy", "/bin/sh -c apt-get update && apt-get install -y curl"}},
                             {{"CreatedBy", "/bin/sh -c #(nop) ADD file:0123 in / "}}});
  std::vector<core::Finding> g;
  ImageFiles files;
  files.examined = true;
  check_image(good, good_history, files, image_target(good), g);
  for (auto id : {"4.1", "4.6", "4.7", "4.8", "4.9", "4.10"}) {
    EXPECT_EQ(status_of(g, "BLWK-CIS-" + std::string(id)), FindingStatus::pass) << id;
  }
}

TEST(Daemon, InfoDecidesWhatTheDaemonRunsWith) {
  DaemonFacts d;
  d.info = {{"Driver", "overlay2"},
            {"LoggingDriver", "journald"},
            {"LiveRestoreEnabled", true},
            {"ExperimentalBuild", false},
            {"SecurityOptions", {"name=seccomp,profile=unconfined", "name=userns"}},
            {"RegistryConfig", {{"InsecureRegistryCIDRs", {"127.0.0.0/8", "10.0.0.0/8"}}}},
            {"Swarm", {{"LocalNodeState", "inactive"}}}};
  std::vector<core::Finding> f;
  check_daemon(d, {core::TargetKind::daemon, "d", {}}, f);
  EXPECT_EQ(status_of(f, "BLWK-CIS-2.13"), FindingStatus::pass);
  EXPECT_EQ(status_of(f, "BLWK-CIS-2.15"), FindingStatus::pass);
  EXPECT_EQ(status_of(f, "BLWK-CIS-2.9"), FindingStatus::pass);
  EXPECT_EQ(status_of(f, "BLWK-CIS-2.17"), FindingStatus::fail);
  EXPECT_EQ(status_of(f, "BLWK-CIS-2.5"), FindingStatus::fail);
  EXPECT_EQ(status_of(f, "BLWK-CIS-5.1"), FindingStatus::pass);
  EXPECT_EQ(status_of(f, "BLWK-CIS-7.1"), FindingStatus::skipped);
}

TEST(Processes, PostureChecks) {
  ProcessPosture weak;
  weak.pid = 42;
  weak.comm = "sh";
  weak.cap_effective = (1ULL << 21) | 1ULL;
  weak.no_new_privs = 0;
  weak.seccomp = 0;
  weak.shared_namespaces = {"net", "pid"};
  weak.euid = 0;
  weak.uid_map_identity = true;
  ProcessPosture strong;
  strong.pid = 43;
  strong.comm = "app";
  strong.no_new_privs = 1;
  strong.seccomp = 2;
  strong.euid = 1000;
  strong.uid_map_identity = true;
  core::Target t{core::TargetKind::container, "c", std::string(64, 'd')};
  std::vector<core::Finding> f;
  check_processes({&weak}, t, f);
  for (auto id : {"BLWK-PROC-001", "BLWK-PROC-002", "BLWK-PROC-003", "BLWK-PROC-004", "BLWK-PROC-005"}) {
    EXPECT_EQ(status_of(f, id), FindingStatus::fail) << id;
  }
  EXPECT_NE(finding(f, "BLWK-PROC-001")->evidence.find("CAP_SYS_ADMIN"), std::string::npos);
  std::vector<core::Finding> g;
  check_processes({&strong}, t, g);
  for (auto id : {"BLWK-PROC-001", "BLWK-PROC-002", "BLWK-PROC-003", "BLWK-PROC-004", "BLWK-PROC-005"}) {
    EXPECT_EQ(status_of(g, id), FindingStatus::pass) << id;
  }
}

TEST(Live, UnreachableDaemonIsAProblemAndHostChecksStillRun) {
  AuditOptions o;
  o.docker_host = "unix:///nonexistent/bulwark-test.sock";
  core::Context ctx;
  auto report = run_audit(o, ctx);
  ASSERT_FALSE(report.problems.empty());
  EXPECT_EQ(report.problems[0].kind, ProblemKind::daemon);
  EXPECT_NE(report.problems[0].error.message.find(
                "cannot reach the Docker engine: /nonexistent/bulwark-test.sock does not exist"),
            std::string::npos)
      << report.problems[0].error.message;
  auto f = all_findings(report);
  EXPECT_TRUE(status_of(f, "BLWK-CIS-1.1.1").has_value());
  EXPECT_TRUE(status_of(f, "BLWK-CIS-3.6").has_value() || status_of(f, "BLWK-CIS-3.5").has_value());
}

}  // namespace
}  // namespace bulwark::host
