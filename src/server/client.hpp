// The client side of the API: uploads of bulwark/v1 documents (`bulwark push`, and `--server` on
// the scanning commands). The token comes from the caller (flag or BULWARK_TOKEN) and is sent only
// in the Authorization header, never printed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.hpp"

namespace bulwark::server {

struct ClientOptions {
  std::string server;  // base URL: http://127.0.0.1:8443
  std::string token;
  std::string ca_file;  // verify the server against this CA (PEM)
  std::string policy;   // evaluate each upload against this named server policy (?policy=NAME)
};

// The server's verdict on an upload under a named policy (the answer's "policy" object).
struct UploadVerdict {
  bool evaluated = false;
  std::string name;
  bool pass = true;
  std::int64_t failing = 0;
  std::vector<std::string> reasons;
  std::vector<std::string> findings;  // "ID (severity) package version" of the first failing findings
};

struct UploadResult {
  long status = 0;
  std::string id, digest;
  bool duplicate = false;
  std::string body;  // the server's JSON answer
  UploadVerdict policy;
};

// Fills server/token from BULWARK_SERVER / BULWARK_TOKEN where empty.
void client_from_env(ClientOptions& options);

// POST /api/v1/reports. A 4xx/5xx answer is an error naming the server's message
// (ErrorCode::invalid_argument for 4xx, ::network for 5xx and transport failures).
[[nodiscard]] Result<UploadResult> upload(const ClientOptions& options, std::string_view document);

// How upload() reads the server's answer (status and body; url for messages): members of the
// wrong type are read as absent. Never throws, whatever the body.
[[nodiscard]] Result<UploadResult> read_upload_answer(long status, std::string_view body, const std::string& url);

}  // namespace bulwark::server
