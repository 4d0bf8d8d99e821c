// The server's ingest of uploaded bulwark/v1 documents (POST /api/v1/reports): size
// and depth before parsing, the schema, report kinds (scan, inventory, alerts,
// activity), field types, string lengths and element counts.
#include "common.hpp"
#include "server/ingest.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bulwark;
  server::IngestLimits limits;
  limits.max_items = 5000;
  limits.max_string = 4096;
  auto doc = server::parse_document(fuzz::as_text(data, size), limits);
  if (doc) {
    for (const auto& t : doc->targets) (void)t.key();
    (void)server::valid_host_name(doc->host);
  }
  return 0;
}
