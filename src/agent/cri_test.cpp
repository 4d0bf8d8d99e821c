// The CRI inventory against a real containerd (Debian's) that the test starts on
// its own root, state and socket below a temporary folder, with the CRI plugin
// and the native snapshotter. Images are imported with `ctr`; a pod sandbox (host
// network: no CNI here) and a container in it are created through the CRI by the
// test's own gRPC client; the agent's inventory must show the pod's name,
// namespace, uid and labels on the running container, and the imported images.
// First: the CRI enum Signal has values named like the <csignal> macros (SIGTERM...).
#include "api.grpc.pb.h"
// clang-format off
#include <gtest/gtest.h>
// clang-format on

#include <fmt/format.h>
#include <sys/mount.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include <grpcpp/grpcpp.h>
#include <nlohmann/json.hpp>

#include "agent/agent.hpp"
#include "agent/cri.hpp"
#include "core/diagnostics.hpp"
#include "image/containerd_meta.hpp"
#include "image/reference.hpp"
#include "image/source.hpp"
#include "scan/pipeline.hpp"
#include "util/files.hpp"
#include "util/testing/loopback_http_server.hpp"
#include "util/testing/shell.hpp"

namespace bulwark::agent {
namespace {

namespace fs = std::filesystem;
namespace rt = ::runtime::v1;
using bulwark::testing::run;
using bulwark::testing::run_line;

constexpr const char* kPauseRef = "docker.io/bulwark-agent-test/pause:1";
constexpr const char* kAppRef = "docker.io/bulwark-e2e/debian:12";

bool have(const char* tool) {
  return run(fmt::format("command -v {} >/dev/null 2>&1", tool)).exit_code == 0;
}

// One containerd of the test's own; stopped (and its leftovers unmounted) at the end.
class Containerd {
 public:
  explicit Containerd(const fs::path& dir) : dir_(dir) {
    fs::create_directories(dir / "cni/bin");
    fs::create_directories(dir / "cni/conf");
    std::ofstream(dir / "config.toml") << fmt::format(
        R"(version = 2
root = "{0}/root"
state = "{0}/state"
[grpc]
  address = "{0}/containerd.sock"
[ttrpc]
  address = "{0}/containerd.sock.ttrpc"
[debug]
  address = "{0}/debug.sock"
[plugins."io.containerd.internal.v1.opt"]
  path = "{0}/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{1}"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  # This machine may itself be a container: no lowering of oom_score_adj (the sandbox asks for -998), no
  # AppArmor profile of containerd's own.
  restrict_oom_score_adj = true
  disable_apparmor = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "native"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "{0}/cni/bin"
    conf_dir = "{0}/cni/conf"
)",
        dir.string(), kPauseRef);
    auto r = run(fmt::format(
        "setsid containerd --config '{0}/config.toml' >'{0}/containerd.log' 2>&1 </dev/null & echo $!", dir.string()));
    pid_ = std::atoi(r.output.c_str());
    for (int i = 0; i < 200 && !ready(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ~Containerd() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      for (int i = 0; i < 100 && ::kill(pid_, 0) == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (::kill(pid_, 0) == 0) ::kill(pid_, SIGKILL);
    }
    // Anything still mounted below the folder (a sandbox's /dev/shm, a rootfs) goes before the folder does.
    (void)run(
        fmt::format("grep -o ' {0}[^ ]*' /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null", dir_.string()));
  }
  bool ready() const { return fs::exists(dir_ / "containerd.sock") && run(ctr("version")).exit_code == 0; }
  std::string socket() const { return (dir_ / "containerd.sock").string(); }
  std::string ctr(const std::string& args) const {
    return fmt::format("ctr --address '{}' --namespace k8s.io {} 2>&1", socket(), args);
  }
  std::string log() const {
    auto t = util::read_file(dir_ / "containerd.log", 1 << 20);
    return t ? t->substr(t->size() > 4000 ? t->size() - 4000 : 0) : std::string{};
  }

 private:
  fs::path dir_;
  int pid_ = -1;
};

TEST(AgentCri, RealContainerdPodAndContainerCreatedThroughCriShowInTheInventory) {
  if (::geteuid() != 0) GTEST_SKIP() << "containerd needs root";
  for (const char* t : {"containerd", "ctr", "runc", "docker"})
    if (!have(t)) GTEST_SKIP() << "no " << t;
  if (!bulwark::testing::unix_socket_answers("/var/run/docker.sock"))
    GTEST_SKIP() << "no dockerd (images come from it)";
  auto tmp = util::make_temp_dir(fs::temp_directory_path(), "bulwark-agent-cri");
  ASSERT_TRUE(tmp);
  util::ScopedDir cleanup(*tmp);

  // The images: the e2e Debian image, and a "pause" image on top of it whose command sleeps
  // (the sandbox's process). Built and saved with docker, imported with ctr.
  auto built =
      run(fmt::format("printf 'FROM bulwark-e2e/debian:12\\nCMD [\"sleep\",\"infinity\"]\\n' | docker build -q -t {0} "
                      "- >/dev/null 2>&1 &&"
                      " docker save -o '{1}/images.tar' {0} bulwark-e2e/debian:12 2>&1",
                      "bulwark-agent-test/pause:1", tmp->string()));
  ASSERT_EQ(built.exit_code, 0) << built.output;
  std::string debian_id = run_line("docker image inspect -f '{{.Id}}' bulwark-e2e/debian:12");
  std::string pause_id = run_line("docker image inspect -f '{{.Id}}' bulwark-agent-test/pause:1");

  Containerd cd(*tmp / "containerd");
  ASSERT_TRUE(cd.ready()) << cd.log();
  auto imported = run(cd.ctr(fmt::format("images import --snapshotter native '{}/images.tar'", tmp->string())));
  ASSERT_EQ(imported.exit_code, 0) << imported.output;

  // containerd's image names, read from its bbolt metadata database while containerd runs.
  const fs::path cd_root = *tmp / "containerd" / "root";
  auto records = image::read_containerd_images_file(cd_root / "io.containerd.metadata.v1.bolt/meta.db");
  ASSERT_TRUE(records) << records.error().describe();
  std::string debian_target;
  for (const auto& rec : *records) {
    EXPECT_EQ(rec.ns, "k8s.io") << rec.name;
    if (rec.name == kAppRef) debian_target = rec.digest;
  }
  ASSERT_FALSE(debian_target.empty()) << "no " << kAppRef << " among " << records->size() << " records";
  // ... and what ctr says of the same image: the same target digest.
  EXPECT_NE(run(cd.ctr("images ls")).output.find(debian_target), std::string::npos);

  // The image read in place from the content store (containerd: transport), by name, by target
  // digest and by image id, has the packages of the same image saved by dockerd.
  core::Context sctx;
  auto sprogress = core::make_silent_progress();
  sctx.progress = sprogress.get();
  sctx.cache_dir = *tmp / "scan-cache";
  image::SourceOptions cso;
  cso.containerd_root = cd_root.string();
  auto packages_of = [&](const std::string& target, const image::SourceOptions& so) {
    std::set<std::string> out;
    auto ref = image::parse_reference(target);
    EXPECT_TRUE(ref) << target;
    if (!ref) return out;
    core::Diagnostics diags;
    auto res = scan::inventory(*ref, so, sctx, diags);
    EXPECT_TRUE(res) << target << ": " << res.error().describe();
    if (!res) return out;
    if (res->image) {
      EXPECT_EQ(res->image->config_digest, debian_id) << target;
    }
    for (const auto& p : res->packages) out.insert(p.name + "@" + p.version);
    return out;
  };
  const auto from_docker =
      packages_of(fmt::format("docker-archive:{}/images.tar:bulwark-e2e/debian:12", tmp->string()), {});
  ASSERT_GT(from_docker.size(), 50u);
  EXPECT_EQ(packages_of("containerd:bulwark-e2e/debian:12", cso), from_docker);  // Docker Hub normalisation
  EXPECT_EQ(packages_of(std::string("containerd:") + kAppRef, cso), from_docker);
  EXPECT_EQ(packages_of("containerd:" + debian_target, cso), from_docker);
  EXPECT_EQ(packages_of("containerd:" + debian_id, cso), from_docker);  // the image id: found by its config
  {
    auto ref = image::parse_reference("containerd:docker.io/nobody/absent:1");
    ASSERT_TRUE(ref);
    auto src = image::open_source(*ref, cso, sctx);
    ASSERT_FALSE(src);
    EXPECT_EQ(src.error().code, ErrorCode::not_found);
    EXPECT_NE(src.error().describe().find(kAppRef), std::string::npos) << src.error().describe();  // says what it has
    image::SourceOptions elsewhere;
    elsewhere.containerd_root = (*tmp / "no-containerd").string();
    auto none = image::open_source(*ref, elsewhere, sctx);
    ASSERT_FALSE(none);
    EXPECT_NE(none.error().describe().find("--containerd-root"), std::string::npos) << none.error().describe();
  }

  // The agent's client: images first (nothing else is needed for them).
  CriOptions co;
  co.socket = cd.socket();
  auto client = CriClient::connect(co);
  ASSERT_TRUE(client) << client.error().describe();
  EXPECT_EQ((*client)->version().runtime_name, "containerd");
  EXPECT_EQ((*client)->version().runtime_api_version, "v1");
  auto before = (*client)->inventory(HostIdentity{"cri-host", "docker"});
  ASSERT_TRUE(before) << before.error().describe();
  EXPECT_EQ((*before)["host"]["engine"], "containerd");
  bool saw_debian = false;
  for (const auto& im : (*before)["images"]) {
    if (im["id"] == debian_id) {
      saw_debian = true;
      EXPECT_NE(im["repo_tags"].dump().find(kAppRef), std::string::npos) << im.dump();
    }
  }
  EXPECT_TRUE(saw_debian) << (*before)["images"].dump();
  EXPECT_TRUE((*before)["containers"].empty());
  auto fp_before = (*client)->fingerprint();
  ASSERT_TRUE(fp_before);

  // The test's own CRI client creates a pod sandbox and a container in it.
  auto channel = grpc::CreateChannel(cri_target(cd.socket()), grpc::InsecureChannelCredentials());
  auto runtime = rt::RuntimeService::NewStub(channel);
  auto deadline = [](grpc::ClientContext& c) {
    c.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  };
  rt::PodSandboxConfig pod;
  pod.mutable_metadata()->set_name("web-0");
  pod.mutable_metadata()->set_namespace_("shop");
  pod.mutable_metadata()->set_uid("8d2f-uid-web-0");
  (*pod.mutable_labels())["app"] = "web";
  (*pod.mutable_labels())["io.kubernetes.pod.namespace"] = "shop";
  pod.set_log_directory((*tmp / "logs").string());
  pod.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_network(rt::NODE);
  std::string sandbox_id;
  {
    grpc::ClientContext c;
    deadline(c);
    rt::RunPodSandboxRequest req;
    *req.mutable_config() = pod;
    rt::RunPodSandboxResponse resp;
    auto st = runtime->RunPodSandbox(&c, req, &resp);
    ASSERT_TRUE(st.ok()) << "RunPodSandbox: " << st.error_message() << "\n" << cd.log();
    sandbox_id = resp.pod_sandbox_id();
  }
  struct RemoveSandbox {
    rt::RuntimeService::Stub* stub;
    std::string id;
    ~RemoveSandbox() {
      for (int stage = 0; stage < 2; ++stage) {
        grpc::ClientContext c;
        c.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
        if (stage == 0) {
          rt::StopPodSandboxRequest r;
          r.set_pod_sandbox_id(id);
          rt::StopPodSandboxResponse o;
          (void)stub->StopPodSandbox(&c, r, &o);
        } else {
          rt::RemovePodSandboxRequest r;
          r.set_pod_sandbox_id(id);
          rt::RemovePodSandboxResponse o;
          (void)stub->RemovePodSandbox(&c, r, &o);
        }
      }
    }
  } remove_sandbox{runtime.get(), sandbox_id};
  std::string container_id;
  {
    grpc::ClientContext c;
    deadline(c);
    rt::CreateContainerRequest req;
    req.set_pod_sandbox_id(sandbox_id);
    *req.mutable_sandbox_config() = pod;
    auto* cfg = req.mutable_config();
    cfg->mutable_metadata()->set_name("app");
    cfg->mutable_image()->set_image(kAppRef);
    cfg->add_command("sleep");
    cfg->add_args("300");
    (*cfg->mutable_labels())["tier"] = "backend";
    cfg->set_log_path("app.log");
    rt::CreateContainerResponse resp;
    auto st = runtime->CreateContainer(&c, req, &resp);
    ASSERT_TRUE(st.ok()) << "CreateContainer: " << st.error_message() << "\n" << cd.log();
    container_id = resp.container_id();
  }
  {
    grpc::ClientContext c;
    deadline(c);
    rt::StartContainerRequest req;
    req.set_container_id(container_id);
    rt::StartContainerResponse resp;
    auto st = runtime->StartContainer(&c, req, &resp);
    ASSERT_TRUE(st.ok()) << "StartContainer: " << st.error_message() << "\n" << cd.log();
  }

  auto after = (*client)->inventory(HostIdentity{"cri-host", "containerd"});
  ASSERT_TRUE(after) << after.error().describe();
  ASSERT_EQ((*after)["containers"].size(), 1u) << (*after)["containers"].dump();
  const auto& c = (*after)["containers"][0];
  EXPECT_EQ(c["id"], container_id);
  EXPECT_EQ(c["name"], "app");
  EXPECT_EQ(c["state"], "running");
  EXPECT_EQ(c["runtime"], "cri");
  EXPECT_EQ(c["image_id"], debian_id);
  EXPECT_EQ(c["image"], kAppRef);
  EXPECT_EQ(c["labels"]["tier"], "backend");
  EXPECT_FALSE(c["started_at"].get<std::string>().empty());
  EXPECT_EQ(c["pod"]["name"], "web-0");
  EXPECT_EQ(c["pod"]["namespace"], "shop");
  EXPECT_EQ(c["pod"]["uid"], "8d2f-uid-web-0");
  EXPECT_EQ(c["pod"]["labels"]["app"], "web");
  ASSERT_EQ((*after)["pods"].size(), 1u);
  EXPECT_EQ((*after)["pods"][0]["id"], sandbox_id);
  EXPECT_EQ((*after)["pods"][0]["state"], "ready");
  auto fp_after = (*client)->fingerprint();
  ASSERT_TRUE(fp_after);
  EXPECT_NE(*fp_before, *fp_after);

  // The whole agent with --engine cri, once, against a loopback HTTP server.
  std::mutex m;
  std::vector<nlohmann::json> docs;
  bulwark::testing::LoopbackHttpServer server([&](const bulwark::testing::TestRequest& r) {
    std::lock_guard lock(m);
    docs.push_back(nlohmann::json::parse(r.body, nullptr, false));
    return bulwark::testing::TestResponse{201, {}, R"({"id":"1","duplicate":false})"};
  });
  AgentOptions o;
  o.delivery.server = "http://" + server.host();
  o.delivery.token = "t";
  o.host.name = "cri-host";
  o.spool_dir = *tmp / "spool";
  o.state_dir = *tmp / "state";
  o.once = true;
  o.host_audit = false;
  o.engine = "cri";
  o.cri_socket = cd.socket();
  o.containerd_root = cd_root;
  core::Context ctx;
  auto progress = core::make_silent_progress();
  ctx.progress = progress.get();
  ctx.cache_dir = *tmp / "cache";
  std::atomic<bool> stop{false};
  auto r = run_agent(o, ctx, stop, [](std::string_view) {});
  ASSERT_TRUE(r) << r.error().describe();
  std::lock_guard lock(m);
  ASSERT_FALSE(docs.empty());
  EXPECT_EQ(docs[0]["report"], "inventory");
  EXPECT_EQ(docs[0]["host"]["name"], "cri-host");
  EXPECT_EQ(docs[0]["host"]["engine"], "containerd");
  ASSERT_EQ(docs[0]["containers"].size(), 1u);
  EXPECT_EQ(docs[0]["containers"][0]["pod"]["namespace"], "shop");
  // The container's counters from its cgroup (containerd's k8s.io/<id> here, kubepods/... under a kubelet).
  bool activity = false;
  for (const auto& d : docs) {
    if (d.value("report", "") != "activity") continue;
    for (const auto& a : d["containers"]) {
      if (a["id"] != container_id) continue;
      activity = true;
      EXPECT_GE(a["pids"].get<std::uint64_t>(), 1u);
      EXPECT_GT(a["memory_bytes"].get<std::uint64_t>(), 0u);
    }
  }
  EXPECT_TRUE(activity) << "no activity for the CRI container";
  // Each image the runtime holds got its SBOM, read from the content store: the Debian image's
  // packages are the ones dockerd's copy of it has, under the image id CRI reports.
  std::set<std::string> sbom_ids;
  for (const auto& d : docs) {
    if (d.value("report", "") == "inventory" || !d.contains("targets") || d["targets"].empty()) continue;
    const auto& t = d["targets"][0];
    if (!t.contains("packages")) continue;
    sbom_ids.insert(t.value("id", ""));
    if (t.value("id", "") != debian_id) continue;
    std::set<std::string> got;
    for (const auto& p : t["packages"]) got.insert(p.value("name", "") + "@" + p.value("version", ""));
    EXPECT_EQ(got, from_docker);
    EXPECT_EQ(d["host"]["name"], "cri-host");
  }
  EXPECT_TRUE(sbom_ids.count(debian_id)) << "no SBOM of the Debian image";
  EXPECT_TRUE(sbom_ids.count(pause_id)) << "no SBOM of the pause image";
}

TEST(AgentCri, NoRuntimeOnTheSocketIsANetworkError) {
  CriOptions co;
  co.socket = "/nonexistent/bulwark/cri.sock";
  co.deadline = std::chrono::milliseconds(500);
  auto c = CriClient::connect(co);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, ErrorCode::network);
  EXPECT_EQ(cri_target("unix:///run/x.sock"), "unix:/run/x.sock");
  EXPECT_EQ(rfc3339_from_nanos(1700000000123456789LL), "2023-11-14T22:13:20Z");
}

}  // namespace
}  // namespace bulwark::agent
