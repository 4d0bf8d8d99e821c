// The enforcement policy, the admission webhook's decisions on AdmissionReview documents
// as the API server sends them (kubewarden's captured requests wrapped the way the API
// server wraps them, and the Kubernetes API's fully populated v1 fixture), and the Docker
// authorization plugin's decisions on AuthZReq bodies shaped as dockerd posts them.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "enforce/admission.hpp"
#include "enforce/authz.hpp"
#include "enforce/policy.hpp"
#include "util/files.hpp"

namespace bulwark::enforce {
namespace {

using nlohmann::json;

const std::string kData = std::string(BULWARK_SOURCE_DIR) + "/tests/data/admission";

std::string read(const std::string& path) {
  auto t = util::read_file(path, 16 << 20);
  EXPECT_TRUE(t.has_value()) << path;
  return t ? *t : std::string();
}

// A kubewarden test_data file holds the `request` of an AdmissionReview; the API server
// sends it inside the envelope.
std::string wrapped(const std::string& name) {
  json request = json::parse(read(kData + "/kubewarden/" + name));
  return json{{"apiVersion", "admission.k8s.io/v1"}, {"kind", "AdmissionReview"}, {"request", request}}.dump();
}

Policy policy_from(const std::string& yaml) {
  auto p = parse_policy(yaml, "test-policy.yaml");
  EXPECT_TRUE(p.has_value()) << (p ? "" : p.error().describe());
  return p ? *p : Policy{};
}

json answer(const AdmissionDecision& d) {
  return json::parse(d.body);
}

TEST(ImageName, NormalisesLikeDocker) {
  auto n = parse_image_name("nginx");
  ASSERT_TRUE(n);
  EXPECT_EQ(n->name(), "docker.io/library/nginx");
  EXPECT_EQ(n->tag, "latest");
  auto d = parse_image_name("127.0.0.1:5000/team/app:1.2@sha256:" + std::string(64, 'a'));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->registry, "127.0.0.1:5000");
  EXPECT_EQ(d->repository, "team/app");
  EXPECT_EQ(d->tag, "1.2");
  EXPECT_EQ(d->digest, "sha256:" + std::string(64, 'a'));
  EXPECT_EQ(parse_image_name("localhost/x")->registry, "localhost");
  EXPECT_EQ(parse_image_name("bulwark-e2e/debian:12")->name(), "docker.io/bulwark-e2e/debian");
  EXPECT_EQ(parse_image_name("index.docker.io/library/debian")->registry, "docker.io");
  EXPECT_FALSE(parse_image_name("Upper/Case"));
  EXPECT_FALSE(parse_image_name("nginx@sha256:zz"));
  EXPECT_FALSE(parse_image_name(""));
  EXPECT_FALSE(parse_image_name("a//b"));
  EXPECT_FALSE(parse_image_name("nginx:bad tag"));
}

TEST(ImageName, Patterns) {
  EXPECT_TRUE(image_matches("docker.io/library/nginx", "docker.io"));
  EXPECT_TRUE(image_matches("docker.io/library/nginx", "index.docker.io"));
  EXPECT_TRUE(image_matches("ghcr.io/org/app", "ghcr.io/org"));
  EXPECT_FALSE(image_matches("ghcr.io/organisation/app", "ghcr.io/org"));
  EXPECT_FALSE(image_matches("evil.ghcr.io/org/app", "ghcr.io"));
  EXPECT_TRUE(image_matches("127.0.0.1:5000/team/a/b", "127.0.0.1:5000/team/*"));
  EXPECT_FALSE(image_matches("127.0.0.1:5000/other/a", "127.0.0.1:5000/team/*"));
}

TEST(Policy, ErrorsNameTheFileAndLine) {
  auto p = parse_policy("images:\n  require_digest: true\n  alowed_registries: [x]\n", "p.yaml");
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().describe().find("p.yaml:3"), std::string::npos) << p.error().describe();
  EXPECT_NE(p.error().describe().find("alowed_registries"), std::string::npos);
  auto level = parse_policy("pod_security:\n  level: strict\n", "p.yaml");
  ASSERT_FALSE(level);
  EXPECT_NE(level.error().describe().find("restricted, baseline or off"), std::string::npos);
  EXPECT_FALSE(parse_policy("containers:\n  allow_privileged: maybe\n", "p.yaml"));
  EXPECT_FALSE(parse_policy("break_glass_file: relative/path\n", "p.yaml"));
  EXPECT_FALSE(parse_policy("images:\n  signatures:\n    - images: x/*\n      key: /nonexistent.pub\n", "p.yaml"));
  auto ok = parse_policy("pod_security: {level: baseline, version: v1.30}\ncontainers: {allow_host_pid: true}\n", "p");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->pod_security, PodSecurity::baseline);
  EXPECT_EQ(ok->pss_version.minor, 30);
  EXPECT_TRUE(ok->allow_host_pid);
  EXPECT_FALSE(ok->allow_privileged);
}

TEST(Admission, PrivilegedPodDeniedWithReasonAndUid) {
  Policy p = policy_from("pod_security: {level: baseline}\n");
  auto d = review_admission(wrapped("privileged_container.json"), p);
  EXPECT_EQ(d.http_status, 200);
  EXPECT_FALSE(d.allowed);
  json a = answer(d);
  EXPECT_EQ(a["apiVersion"], "admission.k8s.io/v1");
  EXPECT_EQ(a["kind"], "AdmissionReview");
  EXPECT_EQ(a["response"]["uid"], "1299d386-525b-4032-98ae-1949f69f9cfc");
  EXPECT_EQ(a["response"]["allowed"], false);
  std::string msg = a["response"]["status"]["message"];
  EXPECT_NE(msg.find("PodSecurity \"baseline:latest\""), std::string::npos) << msg;
  EXPECT_NE(msg.find("privileged"), std::string::npos) << msg;
  EXPECT_NE(msg.find("nginx"), std::string::npos) << msg;
  EXPECT_EQ(a["response"]["status"]["code"], 403);
}

TEST(Admission, EveryPrivilegedFixtureDeniedAtBaseline) {
  Policy p = policy_from("pod_security: {level: baseline}\n");
  for (const char* f : {"privileged_init_container.json", "privileged_ephemeral_container.json",
                        "deployment_with_privileged_containers.json", "statefulset_with_privileged_container.json"}) {
    auto d = review_admission(wrapped(f), p);
    EXPECT_EQ(d.http_status, 200) << f;
    EXPECT_FALSE(d.allowed) << f;
    EXPECT_NE(answer(d)["response"]["status"]["message"].get<std::string>().find("privileged"), std::string::npos)
        << f << ": " << d.body;
  }
  for (const char* f : {"hostns_pod_request.json", "hostns_deployment_request.json"}) {
    auto d = review_admission(wrapped(f), p);
    EXPECT_FALSE(d.allowed) << f;
    EXPECT_NE(d.body.find("host namespaces"), std::string::npos) << f << ": " << d.body;
  }
}

TEST(Admission, LevelsDiffer) {
  // A plain pod passes baseline but not restricted (no runAsNonRoot, no seccomp, ...).
  auto baseline =
      review_admission(wrapped("no_privileged_containers.json"), policy_from("pod_security: {level: baseline}"));
  EXPECT_TRUE(baseline.allowed) << baseline.body;
  EXPECT_EQ(answer(baseline)["response"]["allowed"], true);
  EXPECT_FALSE(answer(baseline)["response"].contains("status"));
  auto restricted = review_admission(wrapped("no_privileged_containers.json"), policy_from(""));
  EXPECT_FALSE(restricted.allowed);
  EXPECT_NE(restricted.body.find("restricted:latest"), std::string::npos) << restricted.body;
  EXPECT_NE(restricted.body.find("runAsNonRoot"), std::string::npos) << restricted.body;
  auto off = review_admission(wrapped("privileged_container.json"), policy_from("pod_security: {level: off}"));
  EXPECT_TRUE(off.allowed) << off.body;
  auto exempt = review_admission(wrapped("privileged_container.json"),
                                 policy_from("pod_security: {level: baseline, exempt_namespaces: [default]}"));
  EXPECT_TRUE(exempt.allowed) << exempt.body;
  EXPECT_NE(exempt.body.find("exempt"), std::string::npos);
}

TEST(Admission, ImageRules) {
  Policy p = policy_from(
      "pod_security: {level: off}\n"
      "images:\n  require_digest: true\n  allowed_registries: [registry.example.com]\n");
  auto d = review_admission(wrapped("no_privileged_containers.json"), p);
  EXPECT_FALSE(d.allowed);
  std::string msg = answer(d)["response"]["status"]["message"];
  EXPECT_NE(msg.find("image nginx: not pinned by digest"), std::string::npos) << msg;
  EXPECT_NE(msg.find("image alpine: docker.io/library/alpine is not in the allowed registries"), std::string::npos)
      << msg;
  Policy denied = policy_from("pod_security: {level: off}\nimages: {denied_registries: [docker.io]}\n");
  auto dd = review_admission(wrapped("no_privileged_containers.json"), denied);
  EXPECT_FALSE(dd.allowed);
  EXPECT_NE(dd.body.find("registry docker.io is denied"), std::string::npos) << dd.body;
}

TEST(Admission, KubernetesApiFixture) {
  // Every field of a v1 AdmissionReview populated (kubernetes/api testdata/HEAD): an
  // operation that is none of CREATE/UPDATE/DELETE/CONNECT is refused, the uid echoed.
  std::string text = read(kData + "/kubernetes-api/admission.k8s.io.v1.AdmissionReview.json");
  auto d = review_admission(text, Policy{});
  EXPECT_EQ(d.http_status, 200);
  EXPECT_FALSE(d.allowed);
  json a = answer(d);
  EXPECT_EQ(a["response"]["uid"], "uidValue");
  EXPECT_NE(a["response"]["status"]["message"].get<std::string>().find("unknown operation"), std::string::npos);
  // As a DELETE, nothing starts: allowed. As a CREATE of a kind with no pod template: allowed.
  json del = json::parse(text);
  del["request"]["operation"] = "DELETE";
  EXPECT_TRUE(review_admission(del.dump(), Policy{}).allowed);
  del["request"]["operation"] = "CREATE";
  EXPECT_TRUE(review_admission(del.dump(), Policy{}).allowed);
  // Told it is a Pod while the object is not one: no pod spec, denied.
  del["request"]["kind"]["kind"] = "Pod";
  auto pod = review_admission(del.dump(), Policy{});
  EXPECT_FALSE(pod.allowed);
  EXPECT_NE(pod.body.find("has no pod spec"), std::string::npos) << pod.body;
}

TEST(Admission, MalformedFailsClosed) {
  for (std::string body :
       {std::string("not json"), std::string("[]"), std::string("{}"),
        std::string(R"({"apiVersion":"admission.k8s.io/v2","kind":"AdmissionReview","request":{"uid":"u"}})"),
        std::string(R"({"apiVersion":"admission.k8s.io/v1","kind":"Pod","request":{"uid":"u"}})"),
        std::string(R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"})"),
        std::string(R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":7}})"),
        std::string(200, '[')}) {
    auto d = review_admission(body, Policy{});
    EXPECT_EQ(d.http_status, 400) << body.substr(0, 80);
    EXPECT_FALSE(d.allowed);
    EXPECT_FALSE(d.reasons.empty());
  }
  // uid known, object broken: an answer that denies.
  auto d = review_admission(
      R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u1","kind":{"kind":"Pod"},"operation":"CREATE","object":"x"}})",
      Policy{});
  EXPECT_EQ(d.http_status, 200);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(answer(d)["response"]["uid"], "u1");
  auto noimage = review_admission(
      R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u2","kind":{"kind":"Pod"},"operation":"CREATE","object":{"spec":{"containers":[{"name":"a"}]}}}})",
      policy_from("pod_security: {level: off}"));
  EXPECT_FALSE(noimage.allowed);
  EXPECT_NE(noimage.body.find("names no image"), std::string::npos);
}

TEST(Admission, BreakGlassAllowsAndWarns) {
  auto dir = std::filesystem::temp_directory_path() / ("bulwark-enforce-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto glass = dir / "break-glass";
  Policy p = policy_from("pod_security: {level: baseline}\nbreak_glass_file: " + glass.string() + "\n");
  EXPECT_FALSE(review_admission(wrapped("privileged_container.json"), p).allowed);
  std::ofstream(glass) << "incident 42\n";
  ::chmod(glass.c_str(), 0600);
  auto d = review_admission(wrapped("privileged_container.json"), p);
  EXPECT_TRUE(d.allowed) << d.body;
  EXPECT_NE(d.body.find("would deny"), std::string::npos) << d.body;
  // A break-glass file anyone could write is not trusted.
  ::chmod(glass.c_str(), 0666);
  EXPECT_FALSE(review_admission(wrapped("privileged_container.json"), p).allowed);
  std::filesystem::remove_all(dir);
}

// An AuthZReq body as dockerd posts it (moby pkg/authorization: RequestBody is []byte, so base64).
std::string authz_req(const std::string& method, const std::string& uri, const json& body) {
  static const char* tbl = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string raw = body.is_null() ? std::string() : body.dump(), b64;
  for (std::size_t i = 0; i < raw.size(); i += 3) {
    std::uint32_t n = static_cast<unsigned char>(raw[i]) << 16;
    if (i + 1 < raw.size()) n |= static_cast<unsigned char>(raw[i + 1]) << 8;
    if (i + 2 < raw.size()) n |= static_cast<unsigned char>(raw[i + 2]);
    b64 += tbl[(n >> 18) & 63];
    b64 += tbl[(n >> 12) & 63];
    b64 += i + 1 < raw.size() ? tbl[(n >> 6) & 63] : '=';
    b64 += i + 2 < raw.size() ? tbl[n & 63] : '=';
  }
  json r{{"User", ""},
         {"UserAuthNMethod", ""},
         {"RequestMethod", method},
         {"RequestUri", uri},
         {"RequestHeaders", {{"Content-Type", "application/json"}}}};
  if (!b64.empty()) r["RequestBody"] = b64;
  return r.dump();
}

json create_body(const json& host_config, const std::string& image = "bulwark-e2e/debian:12") {
  return json{{"Image", image}, {"Cmd", {"true"}}, {"HostConfig", host_config}};
}

TEST(Authz, Base64AndPaths) {
  EXPECT_EQ(*decode_base64("aGVsbG8="), "hello");
  EXPECT_EQ(*decode_base64("aGVsbG8"), "hello");
  EXPECT_FALSE(decode_base64("a$b="));
  EXPECT_EQ(normalize_docker_path("/v1.43/containers/create?name=x"), "/containers/create");
  EXPECT_EQ(normalize_docker_path("/containers//create/"), "/containers/create");
  EXPECT_EQ(normalize_docker_path("/v1.41/containers/%63reate"), "/containers/create");
  EXPECT_EQ(normalize_docker_path("/v1.41/images/../containers/create"), "/containers/create");
  EXPECT_EQ(normalize_docker_path("/version"), "/version");
}

TEST(Authz, RefusesDangerousSettings) {
  Policy p;
  struct Case {
    json hc;
    const char* expect;
  };
  for (const Case& c :
       {Case{{{"Privileged", true}}, "privileged containers are refused"},
        Case{{{"NetworkMode", "host"}}, "NetworkMode=host"}, Case{{{"PidMode", "host"}}, "PidMode=host"},
        Case{{{"IpcMode", "host"}}, "IpcMode=host"}, Case{{{"CapAdd", {"cap_sys_admin"}}}, "SYS_ADMIN"},
        Case{{{"Binds", {"/var/run/docker.sock:/var/run/docker.sock"}}}, "exposes the engine socket"},
        Case{{{"Binds", {"/var/run:/host-run:ro"}}}, "exposes the engine socket"},
        Case{{{"Binds", {"/:/host"}}}, "exposes the engine socket"},
        Case{{{"Binds", {"/run//docker.sock:/s"}}}, "exposes the engine socket"},
        Case{{{"Mounts", {{{"Type", "bind"}, {"Source", "/run/docker.sock"}, {"Target", "/s"}}}}},
             "exposes the engine socket"},
        Case{{{"Mounts",
               {{{"Type", "volume"},
                 {"Target", "/s"},
                 {"VolumeOptions",
                  {{"DriverConfig", {{"Options", {{"type", "none"}, {"o", "bind"}, {"device", "/run"}}}}}}}}}}},
             "exposes the engine socket"}}) {
    auto d = authorize_request(authz_req("POST", "/v1.41/containers/create", create_body(c.hc)), p);
    EXPECT_FALSE(d.allow) << c.hc.dump();
    EXPECT_NE(d.message.find(c.expect), std::string::npos) << d.message;
    EXPECT_TRUE(d.message.starts_with("bulwark: ")) << d.message;
  }
  auto plain = authorize_request(
      authz_req("POST", "/v1.41/containers/create?name=ok",
                create_body({{"Binds", {"/srv/data:/data"}}, {"NetworkMode", "default"}, {"CapAdd", {"NET_ADMIN"}}})),
      p);
  EXPECT_TRUE(plain.allow) << plain.message;
  EXPECT_TRUE(authorize_request(authz_req("GET", "/v1.41/containers/json", nullptr), p).allow);
  EXPECT_TRUE(authorize_request(authz_req("POST", "/v1.41/containers/abc/start", nullptr), p).allow);
  auto exec = authorize_request(authz_req("POST", "/v1.41/containers/abc/exec", json{{"Privileged", true}}), p);
  EXPECT_FALSE(exec.allow);
  Policy lax = policy_from("containers: {allow_privileged: true, allow_docker_socket: true}\n");
  EXPECT_TRUE(
      authorize_request(authz_req("POST", "/containers/create", create_body({{"Privileged", true}})), lax).allow);
}

TEST(Authz, ImagesAndFailClosed) {
  Policy p = policy_from("images: {denied_registries: [evil.example.com]}\n");
  auto evil = authorize_request(authz_req("POST", "/containers/create", create_body({}, "evil.example.com/x:1")), p);
  EXPECT_FALSE(evil.allow);
  EXPECT_NE(evil.message.find("registry evil.example.com is denied"), std::string::npos) << evil.message;
  EXPECT_TRUE(authorize_request(authz_req("POST", "/containers/create", create_body({})), p).allow);
  Policy allow_list = policy_from("images: {allowed_registries: [127.0.0.1:5000]}\n");
  auto by_id =
      authorize_request(authz_req("POST", "/containers/create", create_body({}, std::string(64, 'a'))), allow_list);
  EXPECT_FALSE(by_id.allow);
  // No body on a create (chunked, too large, or not JSON to dockerd): denied.
  auto nobody = authorize_request(authz_req("POST", "/v1.41/containers/create", nullptr), p);
  EXPECT_FALSE(nobody.allow);
  EXPECT_NE(nobody.message.find("no request body"), std::string::npos);
  for (std::string bad :
       {std::string("garbage"), std::string("{}"), std::string(R"({"RequestMethod":"POST"})"),
        std::string(R"({"RequestMethod":"POST","RequestUri":"/containers/create","RequestBody":"!!"})"),
        std::string(R"({"RequestMethod":"POST","RequestUri":"/containers/create","RequestBody":"W10="})")}) {
    EXPECT_FALSE(authorize_request(bad, p).allow) << bad;
  }
}

TEST(Authz, PluginProtocol) {
  std::vector<std::string> log;
  AuthzPlugin plugin(Policy{}, [&](const std::string& l) { log.push_back(l); });
  httpd::Request r;
  r.method = "POST";
  r.path = "/Plugin.Activate";
  auto act = plugin.handle(r);
  EXPECT_EQ(act.status, 200);
  EXPECT_EQ(json::parse(act.body), json::parse(R"({"Implements":["authz"]})"));
  r.path = "/AuthZPlugin.AuthZReq";
  r.body = authz_req("POST", "/v1.41/containers/create", create_body({{"Privileged", true}}));
  json deny = json::parse(plugin.handle(r).body);
  EXPECT_EQ(deny["Allow"], false);
  EXPECT_NE(deny["Msg"].get<std::string>().find("privileged"), std::string::npos);
  ASSERT_EQ(log.size(), 1u);
  EXPECT_NE(log[0].find("denied POST /v1.41/containers/create"), std::string::npos) << log[0];
  r.body = "not json";
  EXPECT_EQ(json::parse(plugin.handle(r).body)["Allow"], false);
  r.path = "/AuthZPlugin.AuthZRes";
  EXPECT_EQ(json::parse(plugin.handle(r).body)["Allow"], true);
  EXPECT_EQ(plugin.denied(), 2u);
}

// A RequestUri whose percent-escapes decode to bytes that are not UTF-8 ("/containers/%ff/exec",
// no body): the denial quotes the decoded path, and writing the answer threw
// json::type_error 316 (found while writing fuzz_enforce; the AuthZ request fixture is
// tests/data/fuzz-regressions/fuzz_enforce/authz-invalid-utf8-path). The answer must be JSON.
TEST(Authz, PathDecodingToInvalidUtf8IsAnsweredAsJson) {
  std::vector<std::string> log;
  AuthzPlugin plugin(Policy{}, [&](const std::string& l) { log.push_back(l); });
  httpd::Request r;
  r.method = "POST";
  r.path = "/AuthZPlugin.AuthZReq";
  r.body = authz_req("POST", "/containers/%ff/exec", nullptr);
  httpd::Response res;
  ASSERT_NO_THROW(res = plugin.handle(r));
  json answer = json::parse(res.body, nullptr, false);
  ASSERT_TRUE(answer.is_object()) << res.body;
  EXPECT_EQ(answer["Allow"], false);
  EXPECT_NE(answer["Msg"].get<std::string>().find("no request body"), std::string::npos) << res.body;
  EXPECT_EQ(plugin.denied(), 1u);
  EXPECT_EQ(log.size(), 1u);
}

}  // namespace
}  // namespace bulwark::enforce
