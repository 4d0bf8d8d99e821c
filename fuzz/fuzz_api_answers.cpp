// What the server answers to its clients, as the clients read it: the agent's delivery
// (agent::read_answer: delivered, duplicate, retry, rejected, unauthorized, the error
// message) and `bulwark push` / `--server` uploads (server::read_upload_answer: id, digest,
// duplicate, the error message). A misbehaving server, or anything between, writes these.
//
// Input: a selector byte (even: the agent, odd: the upload client), a status byte (the
// HTTP status is 100 + 2 * byte, so 100..610), then the body.
#include "agent/delivery.hpp"
#include "common.hpp"
#include "server/client.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bulwark;
  auto [sel, rest] = fuzz::select(fuzz::as_text(data, size));
  auto [code, body] = fuzz::select(rest);
  const long status = 100 + 2L * code;
  if (sel & 1) {
    auto r = server::read_upload_answer(status, body, "http://127.0.0.1:8443/api/v1/reports");
    if (r.has_value() != (status >= 200 && status < 300)) std::abort();
  } else {
    auto r = agent::read_answer(status, body);
    if (r.status != status) std::abort();
  }
  return 0;
}
