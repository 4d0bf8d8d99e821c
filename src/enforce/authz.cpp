// The Docker authorization plugin; see authz.hpp.
#include "enforce/authz.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "util/json_depth.hpp"

namespace bulwark::enforce {

namespace {

using nlohmann::json;

constexpr std::size_t kMaxRequest = 4 << 20;  // dockerd passes bodies below 1 MiB, base64-encoded
constexpr std::uint32_t kMaxDepth = 64;

// Host paths whose mount hands a container the container engine.
constexpr std::array<std::string_view, 5> kEngineSockets{
    "/var/run/docker.sock", "/run/docker.sock", "/run/containerd/containerd.sock",
    "/var/run/docker/containerd/containerd.sock", "/run/docker/containerd/containerd.sock"};

// Lexically clean an absolute path ("/var//run/./docker.sock/" -> "/var/run/docker.sock").
std::string clean_path(std::string_view p) {
  std::vector<std::string_view> parts;
  std::size_t i = 0;
  while (i <= p.size()) {
    auto j = p.find('/', i);
    if (j == std::string_view::npos) j = p.size();
    auto seg = p.substr(i, j - i);
    if (seg == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!seg.empty() && seg != ".") {
      parts.push_back(seg);
    }
    i = j + 1;
  }
  std::string out;
  for (auto s : parts) {
    out += '/';
    out += s;
  }
  return out.empty() ? "/" : out;
}

// Whether mounting host path `source` exposes an engine socket: the socket itself or a
// folder above it. Symbolic links on the host are followed too (dockerd resolves them).
std::string exposes_engine_socket(const std::string& source) {
  if (source.empty() || source.front() != '/') return {};
  std::vector<std::string> candidates{clean_path(source)};
  std::error_code ec;
  auto real = std::filesystem::canonical(source, ec);
  if (!ec) candidates.push_back(real.string());
  for (const auto& c : candidates) {
    for (auto sock : kEngineSockets) {
      if (c == sock) return std::string(sock);
      std::string prefix = c == "/" ? "/" : c + "/";
      if (sock.starts_with(prefix)) return std::string(sock);
    }
  }
  return {};
}

bool is_image_id(std::string_view image) {
  std::string_view hex = image.starts_with("sha256:") ? image.substr(7) : image;
  if (hex.size() < 12 || hex.size() > 64) return false;
  return std::all_of(hex.begin(), hex.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::string str_field(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

void judge_create(const json& body, const Policy& policy, std::vector<std::string>& reasons) {
  std::string image = str_field(body, "Image");
  if (image.empty()) {
    reasons.push_back("the create request names no image");
  } else if (is_image_id(image)) {
    if (!policy.allowed_registries.empty()) {
      reasons.push_back(fmt::format("image {} is given by ID: bulwark cannot tell its registry", image));
    }
  } else {
    for (auto& r : check_image(policy, image, SignatureCheck::verify)) reasons.push_back(std::move(r));
  }
  auto hc_it = body.find("HostConfig");
  if (hc_it == body.end() || hc_it->is_null()) return;
  if (!hc_it->is_object()) {
    reasons.push_back("HostConfig is not an object");
    return;
  }
  const json& hc = *hc_it;
  auto truthy = [&](const char* key) {
    auto it = hc.find(key);
    return it != hc.end() && it->is_boolean() && it->get<bool>();
  };
  if (truthy("Privileged") && !policy.allow_privileged) reasons.push_back("privileged containers are refused");
  if (!policy.allow_privileged) {
    if (auto caps = hc.find("CapAdd"); caps != hc.end() && caps->is_array()) {
      for (const auto& c : *caps) {
        if (!c.is_string()) continue;
        std::string cap = c.get<std::string>();
        for (auto& ch : cap) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        if (cap.starts_with("CAP_")) cap = cap.substr(4);
        if (cap == "ALL" || cap == "SYS_ADMIN") reasons.push_back(fmt::format("adding capability {} is refused", cap));
      }
    }
  }
  struct Ns {
    const char* key;
    const char* what;
    bool allowed;
  };
  for (const Ns& ns : {Ns{"NetworkMode", "the host's network namespace", policy.allow_host_network},
                       Ns{"PidMode", "the host's PID namespace", policy.allow_host_pid},
                       Ns{"IpcMode", "the host's IPC namespace", policy.allow_host_ipc},
                       Ns{"UTSMode", "the host's UTS namespace", policy.allow_host_uts},
                       Ns{"UsernsMode", "the host's user namespace", policy.allow_host_userns}}) {
    if (!ns.allowed && str_field(hc, ns.key) == "host") {
      reasons.push_back(fmt::format("{}=host ({}) is refused", ns.key, ns.what));
    }
  }
  if (policy.allow_docker_socket) return;
  if (auto binds = hc.find("Binds"); binds != hc.end() && binds->is_array()) {
    for (const auto& b : *binds) {
      if (!b.is_string()) continue;
      std::string spec = b.get<std::string>();
      std::string source = spec.substr(0, spec.find(':'));
      if (auto sock = exposes_engine_socket(source); !sock.empty()) {
        reasons.push_back(fmt::format("bind mount {} exposes the engine socket {}", spec, sock));
      }
    }
  }
  if (auto mounts = hc.find("Mounts"); mounts != hc.end() && mounts->is_array()) {
    for (const auto& m : *mounts) {
      if (!m.is_object()) continue;
      std::string source = str_field(m, "Source");
      std::string type = str_field(m, "Type");
      // A local volume with o=bind and a device is a bind mount too.
      if (type == "volume" && m.contains("VolumeOptions") && m["VolumeOptions"].is_object()) {
        const json& vo = m["VolumeOptions"];
        if (vo.contains("DriverConfig") && vo["DriverConfig"].is_object() && vo["DriverConfig"].contains("Options") &&
            vo["DriverConfig"]["Options"].is_object()) {
          source = str_field(vo["DriverConfig"]["Options"], "device");
        }
      } else if (type != "bind") {
        continue;
      }
      if (auto sock = exposes_engine_socket(source); !sock.empty()) {
        reasons.push_back(fmt::format("{} mount of {} exposes the engine socket {}", type, source, sock));
      }
    }
  }
}

json plugin_error(std::string message) {
  return json{{"Allow", false}, {"Msg", std::move(message)}};
}

}  // namespace

Result<std::string> decode_base64(std::string_view text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  if (text.size() % 4 == 1) return fail(ErrorCode::parse, "base64 of a wrong length");
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v = value(c);
    if (v < 0) return fail(ErrorCode::parse, "not base64");
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

std::string normalize_docker_path(std::string_view request_uri) {
  std::string_view path = request_uri.substr(0, request_uri.find('?'));
  std::string decoded = httpd::url_decode(path);
  std::string cleaned = clean_path(decoded);
  // "/v1.43/..." -> "/..."
  if (cleaned.size() > 2 && cleaned[1] == 'v' && std::isdigit(static_cast<unsigned char>(cleaned[2]))) {
    auto slash = cleaned.find('/', 1);
    std::string_view version = std::string_view(cleaned).substr(2, slash == std::string::npos ? slash : slash - 2);
    bool numeric = std::all_of(version.begin(), version.end(),
                               [](char c) { return std::isdigit(static_cast<unsigned char>(c)) || c == '.'; });
    if (numeric) cleaned = slash == std::string::npos ? "/" : cleaned.substr(slash);
  }
  return cleaned;
}

AuthzDecision authorize_request(std::string_view authz_request_json, const Policy& policy) {
  AuthzDecision d;
  auto refuse = [&](std::string why) { d.reasons.push_back(std::move(why)); };
  json req;
  if (authz_request_json.size() > kMaxRequest) {
    refuse("the authorization request is too large to judge");
  } else if (util::json_depth(authz_request_json, kMaxDepth) > kMaxDepth) {
    refuse("the authorization request nests too deeply");
  } else {
    req = json::parse(authz_request_json, nullptr, false);
    if (req.is_discarded() || !req.is_object()) refuse("the authorization request is not a JSON object");
  }
  if (d.reasons.empty()) {
    d.method = str_field(req, "RequestMethod");
    d.uri = str_field(req, "RequestUri");
    d.user = str_field(req, "User");
    if (d.method.empty() || d.uri.empty()) refuse("the authorization request has no RequestMethod or RequestUri");
  }
  if (d.reasons.empty()) {
    std::string path = normalize_docker_path(d.uri);
    bool create = d.method == "POST" && path == "/containers/create";
    bool exec = d.method == "POST" && path.starts_with("/containers/") && path.ends_with("/exec");
    if (create || exec) {
      json body;
      std::string encoded = str_field(req, "RequestBody");
      if (encoded.empty()) {
        refuse(fmt::format("{} {}: dockerd passed no request body (it does so only for JSON under 1 MiB)", d.method,
                           path));
      } else if (auto raw = decode_base64(encoded); !raw) {
        refuse("RequestBody is not base64");
      } else if (util::json_depth(*raw, kMaxDepth) > kMaxDepth) {
        refuse("the request body nests too deeply");
      } else {
        body = json::parse(*raw, nullptr, false);
        if (body.is_discarded() || !body.is_object()) refuse(fmt::format("the {} body is not a JSON object", path));
      }
      if (d.reasons.empty() && create) judge_create(body, policy, d.reasons);
      if (d.reasons.empty() && exec && !policy.allow_privileged && body.contains("Privileged") &&
          body["Privileged"].is_boolean() && body["Privileged"].get<bool>()) {
        refuse("privileged exec is refused");
      }
    }
  }
  std::string why;
  bool glass = break_glass_active(policy, &why);
  if (glass && !d.reasons.empty()) {
    d.break_glass = true;
    d.message = fmt::format("bulwark: allowed by break-glass ({}); would deny: {}", policy.break_glass_file,
                            fmt::join(d.reasons, "; "));
    d.reasons.clear();
  }
  d.allow = d.reasons.empty();
  if (!d.allow) d.message = fmt::format("bulwark: {}", fmt::join(d.reasons, "; "));
  return d;
}

AuthzPlugin::AuthzPlugin(Policy policy, std::function<void(const std::string&)> log)
    : policy_(std::move(policy)), log_(std::move(log)) {}

httpd::Response AuthzPlugin::handle(const httpd::Request& request) {
  httpd::Response res;
  res.content_type = "application/vnd.docker.plugins.v1+json";
  if (request.method != "POST") {
    res.status = 405;
    res.body = plugin_error("bulwark: use POST").dump();
    return res;
  }
  if (request.path == "/Plugin.Activate") {
    res.body = json{{"Implements", json::array({"authz"})}}.dump();
    return res;
  }
  if (request.path == "/AuthZPlugin.AuthZReq") {
    AuthzDecision d = authorize_request(request.body, policy_);
    if (d.allow) {
      ++allowed_;
    } else {
      ++denied_;
    }
    json out{{"Allow", d.allow}};
    if (!d.message.empty()) out["Msg"] = d.message;
    if ((!d.allow || d.break_glass) && log_) {
      log_(fmt::format("{} {} {} (user \"{}\"): {}", d.allow ? "allowed" : "denied", d.method.empty() ? "?" : d.method,
                       d.uri.empty() ? "?" : d.uri, d.user, d.message));
    }
    // The message names the request path after percent-decoding, which may be any bytes:
    // invalid UTF-8 is replaced (dump() would throw, and dockerd would get no answer).
    res.body = out.dump(-1, ' ', false, json::error_handler_t::replace);
    return res;
  }
  if (request.path == "/AuthZPlugin.AuthZRes") {
    res.body = json{{"Allow", true}}.dump();
    return res;
  }
  res.status = 404;
  res.body = plugin_error("bulwark: no such plugin method").dump();
  return res;
}

}  // namespace bulwark::enforce
