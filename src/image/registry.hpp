// Registry access helpers beyond open_registry (transports.hpp): where the
// credentials for a registry come from, and how a WWW-Authenticate challenge
// reads. The CLI calls resolve_credentials so that `--creds`, BULWARK_USERNAME /
// BULWARK_PASSWORD and `docker login` all work the way Docker users expect.
// Credentials are secrets: nothing here puts a password in an error message.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "image/source.hpp"
#include "util/error.hpp"

namespace bulwark::image {

struct Credentials {
  std::string username;
  std::string password;
  // Where they came from, for messages ("credentials from /root/.docker/config.json").
  // Messages name the origin, never the username or password.
  std::string origin;
};

// The registry host the API is served from: "docker.io" and "index.docker.io"
// become "registry-1.docker.io"; other hosts are returned as they are.
[[nodiscard]] std::string registry_api_host(std::string_view registry);

// Credentials from a Docker client config file (auths[host].auth as base64
// "user:password", or auths[host].username/password). Keys may be written as
// "host", "https://host" or "https://host/v1/". nullopt when the file has none
// for host (or does not exist); credential helpers (credsStore) are not run.
[[nodiscard]] Result<std::optional<Credentials>> read_docker_config_credentials(const std::filesystem::path& config,
                                                                                std::string_view registry);

// The Docker client config of this user: $DOCKER_CONFIG/config.json, else ~/.docker/config.json.
[[nodiscard]] std::filesystem::path docker_config_path();

// options.username/password when a username is set; otherwise what the Docker
// config holds for registry; otherwise nullopt (anonymous).
[[nodiscard]] Result<std::optional<Credentials>> resolve_credentials(std::string_view registry,
                                                                     const SourceOptions& options);

// One challenge of a WWW-Authenticate header: `Bearer realm="...",service="..."`.
struct AuthChallenge {
  std::string scheme;                         // lower-case: "bearer", "basic"
  std::map<std::string, std::string> params;  // lower-case names
};

// Parses every challenge in the given header values (a value may hold several).
[[nodiscard]] std::vector<AuthChallenge> parse_auth_challenges(const std::vector<std::string>& headers);

}  // namespace bulwark::image
