// The steps of a vulnerability scan (`bulwark image`, `rootfs`, `sbom-scan`) as library calls, so that
// the CLI, the server and the agent run the same pipeline: open the advisory database, take the
// inventory (an image, a root filesystem or an SBOM), match it, add the end-of-life finding and the
// image-config checks. Policy (severity, ignore files, VEX) and printing stay with the caller.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/context.hpp"
#include "core/coverage.hpp"
#include "core/diagnostics.hpp"
#include "core/model.hpp"
#include "image/source.hpp"
#include "scan/pipeline.hpp"
#include "secret/scanner.hpp"
#include "vuln/db/store.hpp"

namespace bulwark::scan {

enum class Input { image, rootfs, sbom };

struct Request {
  Input input = Input::image;
  std::string target;  // an image reference, a folder, or an SBOM file
  image::SourceOptions source;
  std::vector<std::string> scanners{"vuln", "config", "secret"};
  // The secret scanner's engine; when null and "secret" is asked for, the built-in rules.
  std::shared_ptr<const secret::Engine> secrets;
  // False to skip the package inventory when no scanner or output needs it (`--scanners secret`).
  bool packages = true;

  [[nodiscard]] bool wants(std::string_view scanner) const;
};

// The advisory database, opened read-only. An empty path means the default under the cache dir. A
// missing file gets a message that names the commands that make one.
[[nodiscard]] Result<vuln::db::Store> open_database(const std::filesystem::path& path, const core::Context& ctx);

// The inventory of the request's target (the catalogers' packages, or the SBOM's components).
[[nodiscard]] Result<core::ScanResult> take_inventory(const Request& request, const core::Context& ctx,
                                                      core::Diagnostics& diags, InventoryExtras* extras = nullptr);

// Inventory, then the scanners the request asks for: vulnerabilities (when store is given), the end
// of life of the distribution, the image-config checks. Findings come back sorted by package, then
// severity (worst first), then id.
// coverage (optional): what the vulnerability match checked, set when it ran.
[[nodiscard]] Result<core::ScanResult> run(const Request& request, const vuln::db::Store* store,
                                           const core::Context& ctx, core::Diagnostics& diags,
                                           std::optional<core::VulnCoverage>* coverage = nullptr);

// The order findings are reported in: by package name, then severity (worst first), then id.
void sort_findings(std::vector<core::Finding>& findings);

}  // namespace bulwark::scan
