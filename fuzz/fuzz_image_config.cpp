// Image config checks on a config JSON (User, ExposedPorts, Env, Healthcheck, history
// created_by lines), and image references as users and manifests write them.
#include "common.hpp"
#include "config/image/image_config.hpp"
#include "image/reference.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bulwark;
  auto text = fuzz::as_text(data, size);
  core::Target target{core::TargetKind::image, "fuzz:image", ""};
  (void)config::image::check_image_config_text(text, target, std::nullopt);
  if (size < 4096) {
    if (auto ref = image::parse_reference(text)) (void)ref->str();
  }
  return 0;
}
