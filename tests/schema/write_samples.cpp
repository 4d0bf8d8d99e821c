// Writes the SBOMs that the schema test validates: CycloneDX and SPDX documents
// for the hand-built sample image, and for an awkward root filesystem (no image,
// unknown OS, a package without purl, names with spaces, control characters and
// non-ASCII text). Usage: bulwark_schema_samples OUTPUT_DIR
#include <fmt/format.h>

#include <cstdio>
#include <filesystem>

#include "sample_scan.hpp"
#include "sbom/sbom.hpp"
#include "util/files.hpp"

using namespace bulwark;

namespace {

core::ScanResult awkward_rootfs() {
  core::ScanResult r;
  r.target = {core::TargetKind::rootfs, "/srv/roots/my app (copy)", ""};
  core::Package unnamed_purl;
  unnamed_purl.name = "vendored lib";
  unnamed_purl.version = "0.0.1 beta";
  unnamed_purl.license = "BSD-like, see COPYING";
  unnamed_purl.path = "opt/app/VERSION";
  r.packages.push_back(unnamed_purl);
  core::Package odd;
  odd.name = "caf\xc3\xa9-\x1b[31mred";
  odd.version = "1.0";
  odd.ecosystem = core::Ecosystem::pypi;
  odd.purl = "pkg:pypi/caf%C3%A9@1.0";
  odd.license = "mit OR apache-2.0";  // lower-case operators: not an SPDX expression
  r.packages.push_back(odd);
  // Invalid UTF-8 from a corrupt database must not break the document.
  core::Package broken;
  broken.name = "broken\xff\xfe";
  broken.version = "2";
  r.packages.push_back(broken);
  return r;
}

int write(const std::filesystem::path& path, const std::string& text) {
  if (auto status = util::write_file_atomic(path, text); !status) {
    fmt::print(stderr, "bulwark_schema_samples: {}\n", status.error().describe());
    return 1;
  }
  fmt::print("wrote {}\n", path.string());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    fmt::print(stderr, "usage: bulwark_schema_samples OUTPUT_DIR\n");
    return 2;
  }
  std::filesystem::path out = argv[1];
  std::error_code ec;
  std::filesystem::create_directories(out, ec);
  sbom::WriteOptions options{"0.1.0", ""};  // real timestamps: the schema checks their format
  int failures = 0;
  auto image = fixtures::sample_scan_result();
  failures += write(out / "image.cdx.json", sbom::write_cyclonedx(image, options));
  failures += write(out / "image.spdx.json", sbom::write_spdx(image, options));
  auto rootfs = awkward_rootfs();
  failures += write(out / "rootfs.cdx.json", sbom::write_cyclonedx(rootfs, options));
  failures += write(out / "rootfs.spdx.json", sbom::write_spdx(rootfs, options));
  return failures == 0 ? 0 : 1;
}
