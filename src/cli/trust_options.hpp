// What `bulwark verify`, `sign` and `attest` share: the image target (oci:DIR[:TAG] or
// docker://HOST/REPO[:TAG|@DIGEST]) and the registry credentials (--creds, else
// BULWARK_USERNAME / BULWARK_PASSWORD).
#pragma once

#include <cstdlib>
#include <string>

#include <CLI/CLI.hpp>

#include "image/reference.hpp"
#include "trust/cosign.hpp"
#include "util/error.hpp"

namespace bulwark::cli {

// --creds, else BULWARK_USERNAME:BULWARK_PASSWORD, else "".
inline std::string effective_creds(const std::string& creds) {
  if (!creds.empty()) return creds;
  const char* user = std::getenv("BULWARK_USERNAME");
  if (user == nullptr || *user == '\0') return {};
  const char* pass = std::getenv("BULWARK_PASSWORD");
  return std::string(user) + ":" + (pass != nullptr ? pass : "");
}

// An oci: layout or a docker:// registry image; other transports are refused, naming the target.
inline Result<image::Reference> trust_target(const std::string& target, std::string_view command) {
  auto ref = image::parse_reference(target);
  if (!ref) return std::unexpected(ref.error());
  if (ref->transport != image::Transport::oci_layout && ref->transport != image::Transport::registry) {
    return fail(ErrorCode::unsupported,
                std::string(command) + " takes oci:DIR[:TAG] or docker://HOST/REPO[:TAG|@DIGEST] targets", target);
  }
  return ref;
}

inline trust::RegistryTarget registry_target(const image::Reference& ref, const std::string& creds, bool tls_verify) {
  trust::RegistryTarget t{ref.registry, ref.repository, ref.tag.empty() ? "latest" : ref.tag, ref.digest, {},
                          {},           tls_verify};
  const std::string c = effective_creds(creds);
  if (auto colon = c.find(':'); colon != std::string::npos) {
    t.username = c.substr(0, colon);
    t.password = c.substr(colon + 1);
  }
  return t;
}

// The registry options every trust command takes: --creds and --tls-verify.
inline void add_registry_options(CLI::App* cmd, std::string& creds, bool& tls_verify) {
  cmd->add_option("--creds", creds, "Registry credentials USER:PASSWORD (else BULWARK_USERNAME/PASSWORD)");
  cmd->add_option("--tls-verify", tls_verify, "Verify registry TLS (false allows plain HTTP)")->default_str("true");
}

}  // namespace bulwark::cli
