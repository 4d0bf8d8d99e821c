#include "agent/cri.hpp"

#include <fmt/format.h>

#include <ctime>
#include <map>

#include <grpcpp/grpcpp.h>

#include "api.grpc.pb.h"

namespace bulwark::agent {

namespace rt = ::runtime::v1;

struct CriClient::Impl {
  CriOptions options;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<rt::RuntimeService::Stub> runtime;
  std::unique_ptr<rt::ImageService::Stub> images;

  void deadline(grpc::ClientContext& c) const { c.set_deadline(std::chrono::system_clock::now() + options.deadline); }
};

namespace {

Error grpc_error(const grpc::Status& s, std::string_view what, const std::string& socket) {
  auto code =
      s.error_code() == grpc::StatusCode::UNAVAILABLE || s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED
          ? ErrorCode::network
      : s.error_code() == grpc::StatusCode::NOT_FOUND ? ErrorCode::not_found
      : s.error_code() == grpc::StatusCode::PERMISSION_DENIED || s.error_code() == grpc::StatusCode::UNAUTHENTICATED
          ? ErrorCode::auth
          : ErrorCode::io;
  return Error{code,
               fmt::format("CRI {}: {} (gRPC status {})", what, s.error_message().substr(0, 300),
                           static_cast<int>(s.error_code())),
               socket};
}

nlohmann::json labels_json(const google::protobuf::Map<std::string, std::string>& m) {
  nlohmann::json out = nlohmann::json::object();
  std::size_t n = 0;
  for (const auto& [k, v] : m) {
    if (++n > 1000) break;
    out[k] = v;
  }
  return out;
}

std::string state_name(rt::ContainerState s) {
  switch (s) {
    case rt::CONTAINER_CREATED: return "created";
    case rt::CONTAINER_RUNNING: return "running";
    case rt::CONTAINER_EXITED: return "exited";
    default: return "unknown";
  }
}

}  // namespace

std::string cri_target(std::string_view socket) {
  std::string s(socket);
  if (s.rfind("unix://", 0) == 0) s = s.substr(7);
  if (s.rfind("unix:", 0) == 0) s = s.substr(5);
  return "unix:" + s;
}

std::string rfc3339_from_nanos(std::int64_t nanos) {
  if (nanos <= 0) return {};
  std::time_t t = static_cast<std::time_t>(nanos / 1000000000);
  std::tm tm{};
  if (!::gmtime_r(&t, &tm)) return {};
  char buf[32];
  if (std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) return {};
  return buf;
}

CriClient::CriClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CriClient::~CriClient() = default;

Result<std::unique_ptr<CriClient>> CriClient::connect(const CriOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(options.max_message_bytes);
  args.SetMaxSendMessageSize(1 << 20);
  // The socket's path is not a DNS name: keep gRPC from resolving or proxying anything.
  args.SetInt(GRPC_ARG_ENABLE_HTTP_PROXY, 0);
  impl->channel = grpc::CreateCustomChannel(cri_target(options.socket), grpc::InsecureChannelCredentials(), args);
  impl->runtime = rt::RuntimeService::NewStub(impl->channel);
  impl->images = rt::ImageService::NewStub(impl->channel);
  grpc::ClientContext ctx;
  impl->deadline(ctx);
  rt::VersionRequest req;
  rt::VersionResponse resp;
  auto st = impl->runtime->Version(&ctx, req, &resp);
  if (!st.ok()) return std::unexpected(grpc_error(st, "Version", options.socket));
  std::unique_ptr<CriClient> c(new CriClient(std::move(impl)));
  c->version_ = {resp.runtime_name(), resp.runtime_version(), resp.runtime_api_version()};
  return c;
}

Result<std::string> CriClient::fingerprint() {
  std::string fp;
  {
    grpc::ClientContext ctx;
    impl_->deadline(ctx);
    rt::ListContainersRequest req;
    rt::ListContainersResponse resp;
    auto st = impl_->runtime->ListContainers(&ctx, req, &resp);
    if (!st.ok()) return std::unexpected(grpc_error(st, "ListContainers", impl_->options.socket));
    std::map<std::string, int> ids;
    for (const auto& c : resp.containers()) ids[c.id()] = c.state();
    for (const auto& [id, s] : ids) fp += fmt::format("{}:{};", id, s);
  }
  {
    grpc::ClientContext ctx;
    impl_->deadline(ctx);
    rt::ListImagesRequest req;
    rt::ListImagesResponse resp;
    auto st = impl_->images->ListImages(&ctx, req, &resp);
    if (!st.ok()) return std::unexpected(grpc_error(st, "ListImages", impl_->options.socket));
    std::map<std::string, int> ids;
    for (const auto& im : resp.images()) ids[im.id()] = im.repo_tags_size();
    for (const auto& [id, n] : ids) fp += fmt::format("{}:{};", id, n);
  }
  return fp;
}

Result<nlohmann::json> CriClient::inventory(const HostIdentity& host) {
  HostIdentity h = host;
  if (h.engine.empty() || h.engine == "docker")
    h.engine = version_.runtime_name.empty() ? "cri" : version_.runtime_name;
  nlohmann::json doc = agent_envelope("inventory", h);

  // Images.
  rt::ListImagesResponse images;
  {
    grpc::ClientContext ctx;
    impl_->deadline(ctx);
    auto st = impl_->images->ListImages(&ctx, rt::ListImagesRequest{}, &images);
    if (!st.ok()) return std::unexpected(grpc_error(st, "ListImages", impl_->options.socket));
  }
  nlohmann::json out_images = nlohmann::json::array();
  for (const auto& im : images.images()) {
    if (out_images.size() >= impl_->options.max_images) break;
    nlohmann::json tags = nlohmann::json::array(), digests = nlohmann::json::array();
    for (const auto& t : im.repo_tags()) tags.push_back(t);
    for (const auto& d : im.repo_digests()) digests.push_back(d);
    out_images.push_back({{"id", im.id()},
                          {"repo_tags", tags},
                          {"repo_digests", digests},
                          {"labels", labels_json(im.spec().annotations())},
                          {"size", im.size()}});
  }

  // Pods.
  rt::ListPodSandboxResponse pods;
  {
    grpc::ClientContext ctx;
    impl_->deadline(ctx);
    auto st = impl_->runtime->ListPodSandbox(&ctx, rt::ListPodSandboxRequest{}, &pods);
    if (!st.ok()) return std::unexpected(grpc_error(st, "ListPodSandbox", impl_->options.socket));
  }
  std::map<std::string, nlohmann::json> pod_of;
  nlohmann::json out_pods = nlohmann::json::array();
  for (const auto& p : pods.items()) {
    nlohmann::json pj = {{"name", p.metadata().name()},
                         {"namespace", p.metadata().namespace_()},
                         {"uid", p.metadata().uid()},
                         {"labels", labels_json(p.labels())}};
    pod_of[p.id()] = pj;
    if (out_pods.size() < impl_->options.max_containers) {
      nlohmann::json full = pj;
      full["id"] = p.id();
      full["state"] = p.state() == rt::SANDBOX_READY ? "ready" : "notready";
      full["created_at"] = rfc3339_from_nanos(p.created_at());
      out_pods.push_back(std::move(full));
    }
  }

  // Running containers.
  rt::ListContainersResponse containers;
  {
    grpc::ClientContext ctx;
    impl_->deadline(ctx);
    rt::ListContainersRequest req;
    req.mutable_filter()->mutable_state()->set_state(rt::CONTAINER_RUNNING);
    auto st = impl_->runtime->ListContainers(&ctx, req, &containers);
    if (!st.ok()) return std::unexpected(grpc_error(st, "ListContainers", impl_->options.socket));
  }
  std::map<std::string, std::string> tag_of;  // image id -> first tag
  for (const auto& im : images.images())
    if (im.repo_tags_size() > 0) tag_of.emplace(im.id(), im.repo_tags(0));
  nlohmann::json out_containers = nlohmann::json::array();
  for (const auto& c : containers.containers()) {
    if (out_containers.size() >= impl_->options.max_containers) break;
    std::string image_id = !c.image_id().empty() ? c.image_id() : c.image_ref();
    std::string image = c.image().image();
    if (image.rfind("sha256:", 0) == 0 && tag_of.count(image)) image = tag_of[image];
    std::string started_at;
    {
      grpc::ClientContext ctx;
      impl_->deadline(ctx);
      rt::ContainerStatusRequest req;
      req.set_container_id(c.id());
      rt::ContainerStatusResponse resp;
      auto st = impl_->runtime->ContainerStatus(&ctx, req, &resp);
      if (!st.ok() && st.error_code() == grpc::StatusCode::NOT_FOUND) continue;  // gone meanwhile
      if (st.ok()) started_at = rfc3339_from_nanos(resp.status().started_at());
    }
    nlohmann::json pod = {{"name", ""}, {"namespace", ""}, {"uid", ""}, {"labels", nlohmann::json::object()}};
    if (auto it = pod_of.find(c.pod_sandbox_id()); it != pod_of.end()) pod = it->second;
    out_containers.push_back({{"id", c.id()},
                              {"name", c.metadata().name()},
                              {"image", image},
                              {"image_id", image_id},
                              {"state", state_name(c.state())},
                              {"started_at", started_at},
                              {"labels", labels_json(c.labels())},
                              {"pod", pod},
                              {"pod_sandbox_id", c.pod_sandbox_id()},
                              {"runtime", "cri"}});
  }
  doc["images"] = std::move(out_images);
  doc["containers"] = std::move(out_containers);
  doc["pods"] = std::move(out_pods);
  return doc;
}

}  // namespace bulwark::agent
