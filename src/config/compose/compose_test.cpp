// Compose -> RuntimeSettings mapping and the runtime checks, plus bad input across files.
#include "config/analyze.hpp"
#include "config/compose/settings.hpp"
#include "config/yaml.hpp"
#include "util/files.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>

using namespace bulwark;
using namespace bulwark::config;

namespace {

std::vector<RuntimeSettings> services(const std::string& text, core::Diagnostics& diags) {
  auto docs = load_yaml_stream(text, "docker-compose.yml");
  EXPECT_TRUE(docs) << (docs ? "" : docs.error().describe());
  if (!docs) return {};
  return compose::services_from_compose((*docs)[0].root, "docker-compose.yml", diags);
}

std::multiset<std::string> hit_ids(const RuntimeSettings& s) {
  std::multiset<std::string> out;
  for (const auto& h : compose::check_runtime(s)) out.insert(h.check_id);
  return out;
}

}  // namespace

TEST(ComposeSettings, MapsEveryKnob) {
  core::Diagnostics diags;
  const auto svcs = services(R"(services:
  web:
    image: registry.example.com/web:1.2
    privileged: true
    network_mode: host
    pid: host
    ipc: host
    uts: host
    userns_mode: host
    cap_add: [sys_admin, CAP_NET_ADMIN, CHOWN]
    cap_drop: [ALL]
    user: root
    read_only: true
    security_opt:
      - seccomp:unconfined
      - apparmor=unconfined
      - no-new-privileges
      - label:disable
    volumes:
      - /var/run/docker.sock:/var/run/docker.sock:ro
      - ./src:/src
      - data:/data
      - type: bind
        source: /
        target: /host
        read_only: true
        bind: {propagation: rshared}
      - C:\logs:/logs
    ports:
      - "80:8080"
      - "127.0.0.1:8443:443/tcp"
      - "[::1]:9000:9000"
      - "9100"
      - target: 53
        published: 53
        protocol: udp
        host_ip: 0.0.0.0
    devices: ["/dev/kvm:/dev/kvm"]
    mem_limit: 512m
    cpus: 1.5
    pids_limit: 100
    environment:
      - API_TOKEN=abc123
      - DEBUG=1
volumes:
  data: {}
)",
                             diags);
  ASSERT_EQ(svcs.size(), 1u);
  const auto& s = svcs[0];
  EXPECT_EQ(s.name, "web");
  EXPECT_EQ(s.location.line, 2);
  EXPECT_TRUE(s.privileged.value());
  EXPECT_TRUE(s.host_network.value());
  EXPECT_TRUE(s.host_pid.value() && s.host_ipc.value() && s.host_uts.value() && s.host_userns.value());
  EXPECT_EQ(s.caps_added, (std::vector<std::string>{"SYS_ADMIN", "NET_ADMIN", "CHOWN"}));
  EXPECT_EQ(s.caps_dropped, (std::vector<std::string>{"ALL"}));
  EXPECT_EQ(s.user.value(), "root");
  EXPECT_TRUE(s.read_only_rootfs.value());
  EXPECT_EQ(s.seccomp_profile.value(), "unconfined");
  EXPECT_EQ(s.apparmor_profile.value(), "unconfined");
  EXPECT_TRUE(s.no_new_privileges.value());
  EXPECT_TRUE(s.selinux_disabled.value());
  ASSERT_EQ(s.mounts.size(), 5u);
  EXPECT_TRUE(s.mounts[0].host_path && s.mounts[0].read_only);
  EXPECT_EQ(s.mounts[0].location.line, 20);
  EXPECT_TRUE(s.mounts[1].host_path);
  EXPECT_FALSE(s.mounts[2].host_path);  // named volume
  EXPECT_EQ(s.mounts[3].source, "/");
  EXPECT_EQ(s.mounts[3].propagation, "rshared");
  EXPECT_EQ(s.mounts[4].source, "C:\\logs");
  ASSERT_EQ(s.ports.size(), 5u);
  EXPECT_EQ(s.ports[0].host_ip, "");
  EXPECT_EQ(s.ports[0].host_port, "80");
  EXPECT_EQ(s.ports[1].host_ip, "127.0.0.1");
  EXPECT_EQ(s.ports[1].container_port, "443");
  EXPECT_EQ(s.ports[2].host_ip, "::1");
  EXPECT_EQ(s.ports[3].host_port, "");
  EXPECT_EQ(s.ports[4].protocol, "udp");
  EXPECT_EQ(s.limits.memory.value(), "512m");
  EXPECT_EQ(s.limits.pids.value(), 100);
  EXPECT_EQ(s.devices.size(), 1u);

  const auto ids = hit_ids(s);
  for (const char* id :
       {"BW-COMPOSE-001", "BW-COMPOSE-002", "BW-COMPOSE-003", "BW-COMPOSE-004", "BW-COMPOSE-006", "BW-COMPOSE-007",
        "BW-COMPOSE-008", "BW-COMPOSE-010", "BW-COMPOSE-012", "BW-COMPOSE-013", "BW-COMPOSE-015", "BW-COMPOSE-016",
        "BW-COMPOSE-020", "BW-COMPOSE-021", "BW-COMPOSE-022", "BW-COMPOSE-024"}) {
    EXPECT_TRUE(ids.contains(id)) << id;
  }
  EXPECT_EQ(ids.count("BW-COMPOSE-005"), 2u);  // uts and userns
  EXPECT_EQ(ids.count("BW-COMPOSE-015"), 2u);  // 80:8080 and the long-form 0.0.0.0:53
  for (const char* id : {"BW-COMPOSE-009", "BW-COMPOSE-011", "BW-COMPOSE-014", "BW-COMPOSE-017", "BW-COMPOSE-018",
                         "BW-COMPOSE-019", "BW-COMPOSE-023"}) {
    EXPECT_FALSE(ids.contains(id)) << id;
  }
}

TEST(ComposeSettings, HardenedServiceOnlyMissesNothing) {
  core::Diagnostics diags;
  const auto svcs = services(R"(services:
  api:
    image: ghcr.io/example/api:2.0@sha256:0000000000000000000000000000000000000000000000000000000000000000
    user: "10001:10001"
    read_only: true
    cap_drop: [ALL]
    security_opt: ["no-new-privileges:true"]
    ports: ["127.0.0.1:8080:8080"]
    deploy:
      resources:
        limits: {cpus: "0.5", memory: 256M, pids: 128}
)",
                             diags);
  ASSERT_EQ(svcs.size(), 1u);
  EXPECT_TRUE(hit_ids(svcs[0]).empty());
}

TEST(ComposeSettings, MalformedServicesAreReportedAndSkipped) {
  core::Diagnostics diags;
  const auto svcs = services("services:\n  bad: [1, 2]\n  ok:\n    image: nginx:1\n  empty:\n", diags);
  ASSERT_EQ(svcs.size(), 2u);
  EXPECT_EQ(svcs[0].name, "ok");
  ASSERT_EQ(diags.error_count(), 1u);
  EXPECT_EQ(diags.items()[0].line, 2);
  core::Diagnostics d2;
  EXPECT_TRUE(services("services: [a, b]\n", d2).empty());
  EXPECT_EQ(d2.error_count(), 1u);
}

TEST(ConfigAnalyze, BadFilesAreDiagnosedAndOthersStillChecked) {
  core::Diagnostics diags;
  std::vector<Document> docs{
      {"broken/Dockerfile", DocumentKind::dockerfile, "FROM debian:12\nRUN <<EOF\necho never ends\n"},
      {"empty/Dockerfile", DocumentKind::dockerfile, "# only a comment\n"},
      {"broken/compose.yaml", DocumentKind::compose, "services:\n  web: [\n"},
      {"good/Dockerfile", DocumentKind::dockerfile, "FROM debian:12\nRUN sudo true\n"},
      {"good/compose.yaml", DocumentKind::compose, "services:\n  web:\n    image: nginx:1\n    privileged: true\n"},
  };
  const auto findings = analyze(docs, AnalyzeOptions{}, diags);
  std::set<std::string> paths;
  for (const auto& f : findings) paths.insert(f.location.path);
  EXPECT_TRUE(paths.contains("good/Dockerfile"));
  EXPECT_TRUE(paths.contains("good/compose.yaml"));
  EXPECT_FALSE(paths.contains("broken/Dockerfile"));
  std::map<std::string, int> error_lines;
  for (const auto& d : diags.items()) {
    if (d.level == core::DiagnosticLevel::error) error_lines[d.file] = d.line;
  }
  ASSERT_TRUE(error_lines.contains("broken/Dockerfile"));
  EXPECT_EQ(error_lines["broken/Dockerfile"], 2);  // the heredoc that never ends starts on line 2
  EXPECT_TRUE(error_lines.contains("empty/Dockerfile"));
  EXPECT_TRUE(error_lines.contains("broken/compose.yaml"));
}

TEST(ConfigAnalyze, HugeDockerfileIsBounded) {
  core::Diagnostics diags;
  std::string big = "FROM debian:12\n";
  while (big.size() < (9u << 20))
    big += "RUN echo aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n";
  const auto findings = analyze({Document{"huge/Dockerfile", DocumentKind::dockerfile, big}}, AnalyzeOptions{}, diags);
  EXPECT_TRUE(findings.empty());
  ASSERT_EQ(diags.error_count(), 1u);
  EXPECT_NE(diags.items()[0].message.find("limit"), std::string::npos);
}

// Found by fuzz_compose: `devices` written as a mapping made services_from_compose iterate
// key/value pairs as nodes, and YAML::InvalidNode ended the process (bulwark config crashed).
// The input is tests/data/fuzz-regressions/fuzz_compose/devices-mapping.yaml.
TEST(ComposeSettings, DevicesAsAMappingIsIgnoredNotACrash) {
  auto text = util::read_file(
      std::string(BULWARK_SOURCE_DIR) + "/tests/data/fuzz-regressions/fuzz_compose/devices-mapping.yaml", 1 << 20);
  ASSERT_TRUE(text) << text.error().describe();
  core::Diagnostics diags;
  const auto svcs = services(*text, diags);
  ASSERT_EQ(svcs.size(), 1u);
  EXPECT_EQ(svcs[0].name, "web");
  EXPECT_TRUE(svcs[0].devices.empty());
  // The whole analysis of the file runs too.
  Document doc{"compose.yaml", DocumentKind::compose, *text};
  core::Diagnostics all;
  (void)analyze({doc}, AnalyzeOptions{}, all);
}
