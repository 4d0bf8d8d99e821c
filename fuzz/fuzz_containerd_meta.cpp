// containerd's metadata database (a bbolt file): the reader behind containerd:NAME images.
#include "common.hpp"
#include "image/containerd_meta.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bulwark;
  const auto db = fuzz::as_text(data, size);
  (void)image::read_containerd_images(db);
  (void)image::read_containerd_images(db, "k8s.io");
  return 0;
}
