#include "scan/scan.hpp"

#include <algorithm>
#include <system_error>

#include "catalog/catalog.hpp"
#include "config/image/image_config.hpp"
#include "image/reference.hpp"
#include "report/policy.hpp"
#include "sbom/reader.hpp"
#include "vuln/match/matcher.hpp"

namespace bulwark::scan {

bool Request::wants(std::string_view scanner) const {
  return std::find(scanners.begin(), scanners.end(), scanner) != scanners.end();
}

Result<vuln::db::Store> open_database(const std::filesystem::path& path_or_empty, const core::Context& ctx) {
  const std::filesystem::path path = path_or_empty.empty() ? vuln::db::default_db_path(ctx.cache_dir) : path_or_empty;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return fail(ErrorCode::not_found,
                "advisory database not found; run `bulwark db import PATH...` or `bulwark db update` first, "
                "or name one with --db",
                path.string());
  }
  if (std::filesystem::is_directory(path, ec)) {
    return fail(ErrorCode::invalid_argument, "--db names a folder, not a database file", path.string());
  }
  auto store = vuln::db::Store::open(path, vuln::db::OpenMode::read_only);
  if (!store) return std::unexpected(store.error());
  // A damaged file can open and still fail on first use: ask it something now.
  if (auto probe = store->has_ecosystem("PyPI"); !probe) return std::unexpected(probe.error());
  return store;
}

Result<core::ScanResult> take_inventory(const Request& request, const core::Context& ctx, core::Diagnostics& diags,
                                        InventoryExtras* extras) {
  if (request.input == Input::sbom) return sbom::read_sbom(request.target, ctx.limits, diags);
  std::string text = request.target;
  if (request.input == Input::rootfs) {
    std::error_code ec;
    if (!std::filesystem::is_directory(request.target, ec)) {
      return fail(ErrorCode::not_found, "not a folder (rootfs takes a root filesystem folder)", request.target);
    }
    if (!request.target.starts_with("dir:")) text = "dir:" + request.target;
  }
  auto ref = image::parse_reference(text);
  if (!ref) return std::unexpected(ref.error());
  return inventory(*ref, request.source, ctx, diags, extras);
}

void sort_findings(std::vector<core::Finding>& findings) {
  std::stable_sort(findings.begin(), findings.end(), [](const core::Finding& a, const core::Finding& b) {
    const auto& pa = a.package ? a.package->name : std::string();
    const auto& pb = b.package ? b.package->name : std::string();
    if (pa != pb) return pa < pb;
    if (a.severity != b.severity) return a.severity > b.severity;
    return a.id < b.id;
  });
}

Result<core::ScanResult> run(const Request& request, const vuln::db::Store* store, const core::Context& ctx,
                             core::Diagnostics& diags, std::optional<core::VulnCoverage>* coverage) {
  InventoryExtras extras;
  extras.packages = request.packages || request.input == Input::sbom;
  std::shared_ptr<const secret::Engine> engine = request.secrets;
  std::unique_ptr<secret::SecretProbe> secrets;
  if (request.input != Input::sbom && request.wants("secret")) {
    if (!engine) {
      auto built = secret::Engine::build(secret::builtin_catalogue(diags), secret::Options{}, diags);
      if (!built) return std::unexpected(built.error());
      engine = std::move(*built);
    }
    secrets = std::make_unique<secret::SecretProbe>(*engine);
    extras.secrets = secrets.get();
  }
  auto result = take_inventory(request, ctx, diags, &extras);
  if (!result) return result;
  if (secrets) {
    for (auto& f : secrets->findings(result->target, result->image ? &*result->image : nullptr)) {
      result->findings.push_back(std::move(f));
    }
    if (!extras.config_json.empty()) {
      std::vector<std::string> values;
      for (auto& f : secret::scan_image_config(*engine, extras.config_json, result->target, &values)) {
        result->findings.push_back(std::move(f));
      }
      // The report shows each layer's created_by: never with a secret in it.
      if (result->image && !engine->options().show_secrets) {
        for (auto& layer : result->image->layers) secret::mask_values(layer.created_by, values);
      }
    }
  }
  if (store != nullptr && request.wants("vuln")) {
    if (ctx.progress != nullptr) ctx.progress->note("matching packages against the advisory database");
    vuln::match::Matcher matcher(*store);
    auto stats = matcher.match_all(*result, diags);
    if (!stats) return std::unexpected(stats.error());
    if (coverage != nullptr) *coverage = std::move(stats->coverage);
  }
  if (request.input != Input::sbom) {
    // End of life of the distribution (practice up-to-date), as `bulwark sbom` reports it.
    if (auto eol = catalog::eol_finding(result->os, report::today_utc())) {
      eol->target = result->target;
      result->findings.push_back(std::move(*eol));
    }
  }
  if (request.input == Input::image && request.wants("config") && !extras.config_json.empty()) {
    auto checks = config::image::check_image_config_text(extras.config_json, result->target, extras.facts);
    if (!checks) return std::unexpected(checks.error());
    for (auto& f : *checks) result->findings.push_back(std::move(f));
  }
  sort_findings(result->findings);
  return result;
}

}  // namespace bulwark::scan
