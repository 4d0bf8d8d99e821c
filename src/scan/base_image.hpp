// What an image is built from and which base to move to (`bulwark base`, `bulwark image
// --base-images`; docs/base-images.md).
//
// Detection, in this order: the manifest's OCI annotations org.opencontainers.image.base.name /
// .base.digest, the last FROM of a Dockerfile (--dockerfile), and the image's leading layer
// diff-IDs matched against the tags of a candidate repository (--base-images
// docker://HOST/REPO or oci:DIR; otherwise the repository the annotations or FROM name). A
// declared base the layers confirm is reported as declared; layers that match another tag win
// over the declaration (with a note), because they are what the image holds.
//
// Bump advice: the newer version tags of the base (same variant: 12.5 -> 12.8, not 12.8-slim)
// are scanned like the base itself (SBOM cached by manifest digest under <cache
// dir>/base-images/, matched against the same advisory database on every run), and the tag
// that fixes the most vulnerabilities without a major-version change and the best
// major-version change are recommended (trust/base_image.hpp).
#pragma once

#include <string>

#include "core/context.hpp"
#include "core/diagnostics.hpp"
#include "core/model.hpp"
#include "image/source.hpp"
#include "vuln/db/store.hpp"

namespace bulwark::scan {

struct BaseOptions {
  std::string base_images;  // "docker://HOST/REPO", "oci:DIR"; empty: the declared base's repository
  std::string dockerfile;   // a Dockerfile whose last FROM names the base
  // How to reach the candidates' registry. Credentials given for the scanned image go only to
  // that image's registry (image_registry) and to the registry --base-images names; a registry
  // named only by the annotations or the Dockerfile gets the Docker config's, if any.
  image::SourceOptions source;
  std::string image_registry;
  bool advise = true;               // scan newer tags and recommend
  std::size_t max_tags_read = 300;  // candidate configs read for the layer match
  std::size_t max_scans = 12;       // newer tags scanned for advice (newest first)
  bool use_cache = true;
};

// Detects the base of the scanned image `result` (its image info and findings) and, when
// options.advise, scans the newer tags (needs `store`). Fails on bad options (an unreadable
// Dockerfile, a --base-images that is not a repository) and when the candidate repository
// cannot be listed; a base that cannot be found is a BaseImage with an empty name and notes.
[[nodiscard]] Result<core::BaseImage> analyze_base(const core::ScanResult& result, const BaseOptions& options,
                                                   const vuln::db::Store* store, const core::Context& ctx,
                                                   core::Diagnostics& diags);

}  // namespace bulwark::scan
