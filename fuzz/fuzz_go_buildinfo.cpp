// Go build information: the probe that finds the "\xff Go buildinf:" section while an
// executable streams past (in chunks of any size), the varint-prefixed strings after
// it, and the module lines (path, mod, dep, => replacements).
#include <memory>
#include <string>

#include "catalog/gobinary.hpp"
#include "common.hpp"
#include "core/filetree.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bulwark;
  auto [sel, bytes] = fuzz::select(fuzz::as_text(data, size));
  // Straight to the parser (the bytes from the magic on).
  if (auto info = catalog::parse_go_buildinfo(bytes)) {
    (void)catalog::go_packages(*info, "usr/bin/app");
    (void)catalog::go_toolchain_semver(info->go_version);
  }
  // Through the probe, as an ELF executable in chunks of 1..256 bytes.
  core::FileEntry entry;
  entry.path = "usr/bin/app";
  entry.mode = 0755;
  entry.size = bytes.size();
  const auto& probe = catalog::go_binary_probe();
  if (probe.wants(entry)) {
    auto scan = probe.start(entry);
    std::size_t chunk = static_cast<std::size_t>(sel) + 1;
    for (std::size_t off = 0; off < bytes.size() && !scan->done(); off += chunk) {
      scan->feed(bytes.substr(off, chunk));
    }
    if (auto captured = scan->finish()) {
      if (auto info = catalog::parse_go_buildinfo(*captured)) (void)catalog::go_packages(*info, entry.path);
    }
  }
  return 0;
}
