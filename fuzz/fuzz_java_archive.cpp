// Java archives read in memory: the zip central directory and local headers (stored
// and deflated members), pom.properties and MANIFEST.MF, nested jars one level down.
#include "catalog/lang.hpp"
#include "common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bulwark;
  (void)catalog::parse_java_archive(fuzz::as_text(data, size), "app/lib/app.jar");
  return 0;
}
