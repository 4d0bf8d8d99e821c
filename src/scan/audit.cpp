#include "scan/audit.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <system_error>

#include "catalog/catalog.hpp"
#include "config/image/image_config.hpp"
#include "core/filetree.hpp"
#include "docker/client.hpp"
#include "host/catalogue.hpp"
#include "image/reference.hpp"
#include "report/policy.hpp"
#include "scan/pipeline.hpp"
#include "scan/scan.hpp"
#include "util/files.hpp"
#include "util/sha256.hpp"
#include "vuln/match/matcher.hpp"

// The secret scanner (src/secret): every layer's files and the image config are searched.
#include "secret/probe.hpp"
#include "secret/rules.hpp"
#include "secret/scanner.hpp"

namespace bulwark::scan {

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// A known vulnerability of unknown severity (an advisory that rates none) weighs as medium: it is
// real and has a fix, so it must not rank below a low-severity setting.
std::uint64_t vuln_weight(core::Severity s) {
  return s == core::Severity::unknown ? 2 : 0;
}

std::uint64_t weight(core::Severity s) {
  switch (s) {
    case core::Severity::critical: return 10;
    case core::Severity::high: return 5;
    case core::Severity::medium: return 2;
    case core::Severity::low: return 1;
    case core::Severity::unknown: return 1;
    case core::Severity::info: return 0;
  }
  return 0;
}

bool failing(const core::Finding& f) {
  return !f.suppression && (f.status == core::FindingStatus::fail || f.status == core::FindingStatus::warn);
}

bool fixable(const core::Finding& f) {
  return f.vulnerability && !f.vulnerability->fixed_version.empty();
}

bool exists(const std::filesystem::path& p) {
  std::error_code ec;
  return std::filesystem::exists(p, ec);
}

// The engine to ask: the caller's choice, $DOCKER_HOST, the Docker socket, else Podman's
// Docker-compatible socket (rootful, then this user's).
std::string pick_engine(const AuditOptions& options, std::string& note) {
  if (!options.docker_host.empty()) return options.docker_host;
  if (const char* env = std::getenv("DOCKER_HOST"); env != nullptr && *env != '\0') return env;
  if (exists("/var/run/docker.sock")) return "unix:///var/run/docker.sock";
  std::vector<std::string> podman{"/run/podman/podman.sock"};
  if (const char* xdg = std::getenv("XDG_RUNTIME_DIR"); xdg != nullptr && *xdg != '\0')
    podman.push_back(std::string(xdg) + "/podman/podman.sock");
  for (const auto& p : podman) {
    if (exists(p)) {
      note = "Podman (Docker-compatible API)";
      return "unix://" + p;
    }
  }
  return "unix:///var/run/docker.sock";
}

std::string engine_fix(const std::string& docker_host, const Error& error) {
  const bool from_env = std::getenv("DOCKER_HOST") != nullptr && *std::getenv("DOCKER_HOST") != '\0';
  if (error.message.find("ermission denied") != std::string::npos) {
    return "sudo bulwark audit   (or: sudo usermod -aG docker $USER, then log in again)";
  }
  if (from_env) return fmt::format("unset DOCKER_HOST (it names {}), or start the engine it names", docker_host);
  if (docker_host.starts_with("unix://"))
    return "systemctl start docker   (or: dockerd &, or bulwark audit --docker-host URL)";
  return fmt::format("check that the engine at {} answers: docker -H {} version", docker_host, docker_host);
}

// ---- image inventory cache (by image id) ----

nlohmann::json package_json(const core::Package& p) {
  nlohmann::json j = {{"n", p.name},         {"v", p.version},
                      {"sn", p.source_name}, {"sv", p.source_version},
                      {"a", p.architecture}, {"e", core::to_string(p.ecosystem)},
                      {"u", p.purl},         {"l", p.license},
                      {"ly", p.layer},       {"p", p.path}};
  if (p.epoch) j["ep"] = *p.epoch;
  return j;
}

std::optional<core::Ecosystem> parse_ecosystem(std::string_view s) {
  for (auto e : {core::Ecosystem::deb, core::Ecosystem::apk, core::Ecosystem::rpm, core::Ecosystem::pypi,
                 core::Ecosystem::npm, core::Ecosystem::golang, core::Ecosystem::maven, core::Ecosystem::cargo,
                 core::Ecosystem::gem, core::Ecosystem::unknown}) {
    if (core::to_string(e) == s) return e;
  }
  return std::nullopt;
}

struct CachedInventory {
  core::ScanResult result;
  InventoryExtras extras;
  std::vector<core::Finding> secrets;  // from the image's files and config, masked
};

// A build with the secret scanner caches its findings too: entries of a build without it are read again.
constexpr int kCacheVersion = 2;

nlohmann::json finding_json(const core::Finding& f) {
  nlohmann::json j = {{"id", f.id},
                      {"title", f.title},
                      {"severity", core::to_string(f.severity)},
                      {"practice", core::to_string(f.practice)},
                      {"path", f.location.path},
                      {"line", f.location.line},
                      {"column", f.location.column},
                      {"layer", f.location.layer},
                      {"evidence", f.evidence},
                      {"remediation", f.remediation},
                      {"references", f.references}};
  j["fingerprint"] = f.fingerprint;
  return j;
}

core::Finding finding_from_json(const nlohmann::json& j) {
  core::Finding f;
  f.id = j.value("id", "");
  f.title = j.value("title", "");
  f.severity = core::parse_severity(j.value("severity", "")).value_or(core::Severity::unknown);
  f.status = core::FindingStatus::fail;
  f.practice = core::parse_practice(j.value("practice", "")).value_or(core::Practice::access_control);
  f.location.path = j.value("path", "");
  f.location.line = j.value("line", 0);
  f.location.column = j.value("column", 0);
  f.location.layer = j.value("layer", "");
  f.evidence = j.value("evidence", "");
  f.remediation = j.value("remediation", "");
  f.references = j.value("references", std::vector<std::string>{});
  f.fingerprint = j.value("fingerprint", "");
  return f;
}

std::filesystem::path cache_path(const core::Context& ctx, const std::string& image_id) {
  auto hex = image_id.starts_with("sha256:") ? image_id.substr(7) : image_id;
  return ctx.cache_dir / "audit" / fmt::format("inventory-v{}", kCacheVersion) / (hex + ".json");
}

bool valid_image_id(const std::string& id) {
  if (!id.starts_with("sha256:") || id.size() != 71) return false;
  return std::all_of(id.begin() + 7, id.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

void store_cache(const core::Context& ctx, const std::string& image_id, const core::ScanResult& r,
                 const InventoryExtras& extras, const std::vector<core::Finding>& secrets) {
  nlohmann::json j;
  j["version"] = kCacheVersion;
  j["id"] = image_id;
  j["os"] = {
      {"id", r.os.id}, {"version_id", r.os.version_id}, {"pretty_name", r.os.pretty_name}, {"codename", r.os.codename}};
  auto& pk = j["packages"] = nlohmann::json::array();
  for (const auto& p : r.packages) pk.push_back(package_json(p));
  j["config"] = extras.config_json;
  j["facts"] = {{"setuid", extras.facts.setuid},
                {"setgid", extras.facts.setgid},
                {"world_writable", extras.facts.world_writable},
                {"package_managers", extras.facts.package_managers},
                {"shells", extras.facts.shells}};
  auto& sec = j["secrets"] = nlohmann::json::array();
  for (const auto& f : secrets) sec.push_back(finding_json(f));
  if (r.image) {
    auto& layers = j["layers"] = nlohmann::json::array();
    for (const auto& l : r.image->layers) layers.push_back({{"diff_id", l.diff_id}, {"created_by", l.created_by}});
  }
  std::error_code ec;
  auto path = cache_path(ctx, image_id);
  std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) return;  // a read-only cache only costs time
  (void)util::write_file_atomic(path, j.dump());
}

std::optional<CachedInventory> load_cache(const core::Context& ctx, const std::string& image_id) {
  auto text = util::read_file(cache_path(ctx, image_id), ctx.limits.max_document_bytes);
  if (!text) return std::nullopt;
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || j.value("version", 0) != kCacheVersion || j.value("id", "") != image_id)
    return std::nullopt;
  try {
    CachedInventory c;
    const auto& os = j.at("os");
    c.result.os = {os.value("id", ""), os.value("version_id", ""), os.value("pretty_name", ""),
                   os.value("codename", "")};
    for (const auto& p : j.at("packages")) {
      core::Package pkg;
      pkg.name = p.value("n", "");
      pkg.version = p.value("v", "");
      pkg.source_name = p.value("sn", "");
      pkg.source_version = p.value("sv", "");
      pkg.architecture = p.value("a", "");
      pkg.ecosystem = parse_ecosystem(p.value("e", "")).value_or(core::Ecosystem::unknown);
      pkg.purl = p.value("u", "");
      pkg.license = p.value("l", "");
      pkg.layer = p.value("ly", "");
      pkg.path = p.value("p", "");
      if (p.contains("ep")) pkg.epoch = p.at("ep").get<int>();
      c.result.packages.push_back(std::move(pkg));
    }
    c.extras.config_json = j.value("config", "");
    const auto& f = j.at("facts");
    c.extras.facts.setuid = f.at("setuid").get<std::vector<std::string>>();
    c.extras.facts.setgid = f.at("setgid").get<std::vector<std::string>>();
    c.extras.facts.world_writable = f.at("world_writable").get<std::vector<std::string>>();
    c.extras.facts.package_managers = f.at("package_managers").get<std::vector<std::string>>();
    c.extras.facts.shells = f.at("shells").get<std::vector<std::string>>();
    core::ImageInfo info;
    info.config_digest = image_id;
    if (j.contains("layers")) {
      for (const auto& l : j.at("layers")) {
        core::Layer layer;
        layer.diff_id = l.value("diff_id", "");
        layer.created_by = l.value("created_by", "");
        info.layers.push_back(std::move(layer));
      }
    }
    c.result.image = std::move(info);
    if (j.contains("secrets")) {
      for (const auto& s : j.at("secrets")) c.secrets.push_back(finding_from_json(s));
    }
    return c;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;  // a damaged cache entry is rebuilt
  }
}

// ---- this machine's own OS packages ----

// Only the files OS detection and the OS catalogers read, straight from /, so this costs
// milliseconds instead of a walk over the whole filesystem.
Result<core::ScanResult> host_packages(const core::Context& ctx, core::Diagnostics& diags) {
  static constexpr std::string_view kCandidates[] = {
      "etc/os-release",
      "usr/lib/os-release",
      "etc/alpine-release",
      "etc/debian_version",
      "etc/redhat-release",
      "etc/centos-release",
      "etc/system-release",
      "etc/lsb-release",
      "var/lib/dpkg/status",
      "lib/apk/db/installed",
      "usr/lib/sysimage/rpm/rpmdb.sqlite",
      "var/lib/rpm/rpmdb.sqlite",
      "usr/lib/sysimage/rpm/Packages.db",
      "var/lib/rpm/Packages.db",
      "usr/lib/sysimage/rpm/Packages",
      "var/lib/rpm/Packages",
  };
  auto catalogers = catalog::os_catalogers();
  auto wanted = [&](std::string_view path) {
    if (catalog::os_release_wanted(path)) return true;
    return std::any_of(catalogers.begin(), catalogers.end(), [&](const auto& c) { return c->wants(path); });
  };
  core::FileTree tree;
  auto put = [&](const std::string& rel) {
    if (!wanted(rel)) return;
    const std::filesystem::path full = "/" + rel;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(full, ec)) return;  // follows the os-release link, as the OS does
    auto content = util::read_file(full, ctx.limits.max_kept_file_bytes);
    if (!content) {
      diags.warning("host-packages", full.string(), content.error().describe());
      return;
    }
    core::FileEntry e;
    e.path = rel;
    e.mode = 0644;
    e.size = content->size();
    e.content = std::move(*content);
    tree.put(std::move(e));
  };
  for (auto rel : kCandidates) put(std::string(rel));
  std::error_code ec;
  std::size_t n = 0;
  for (const auto& d : std::filesystem::directory_iterator("/var/lib/dpkg/status.d", ec)) {
    if (++n > 100000) break;
    put("var/lib/dpkg/status.d/" + d.path().filename().string());
  }
  core::ScanResult r;
  r.target = {core::TargetKind::rootfs, "/", ""};
  r.os = catalog::detect_os(tree);
  auto pkgs = catalog::catalog_all(tree, r.os, diags, {}, catalog::CatalogScope::os_only);
  if (!pkgs) return std::unexpected(pkgs.error());
  r.packages = std::move(*pkgs);
  return r;
}

std::string plural(std::size_t n, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

// Checks that are one recommendation seen by two scanners (the host audit's CIS 4.1 and the
// image-config check that cites CIS 4.1) are one thing to do.
std::string check_key(const core::Finding& f) {
  for (const auto& s : f.standards) {
    if (s.name == "cis-docker" && !s.id.empty()) return "cis\x1f" + s.id;
  }
  return "id\x1f" + f.id;
}

std::size_t count_fixable(const core::ScanResult& r) {
  return static_cast<std::size_t>(std::count_if(r.findings.begin(), r.findings.end(), [](const core::Finding& f) {
    return f.vulnerability && fixable(f) && failing(f);
  }));
}
std::size_t count_vulns(const core::ScanResult& r) {
  return static_cast<std::size_t>(std::count_if(r.findings.begin(), r.findings.end(),
                                                [](const core::Finding& f) { return f.vulnerability.has_value(); }));
}

}  // namespace

std::string_view to_string(StepState s) noexcept {
  switch (s) {
    case StepState::done: return "done";
    case StepState::partial: return "partial";
    case StepState::skipped: return "skipped";
  }
  return "?";
}

std::string image_reference(const core::Target& image) {
  if (image.name.starts_with("docker-daemon:")) return image.name;
  if (image.name.empty() || image.name == "<none>:<none>" || image.name.find(':') == std::string::npos) {
    auto id = image.id.starts_with("sha256:") ? image.id.substr(7) : image.id;
    if (!id.empty()) return "docker-daemon:" + id.substr(0, 12);
  }
  return "docker-daemon:" + image.name;
}

AuditRun run_audit(const AuditOptions& options, const core::Context& ctx) {
  AuditRun run;
  const auto t_all = Clock::now();
  auto& progress = ctx.progress_sink();

  // 1. The advisory database: opened first so each later step knows whether it can match.
  std::optional<vuln::db::Store> store;
  {
    auto opened = open_database(options.db_path, ctx);
    if (opened) {
      store = std::move(*opened);
      run.database = (options.db_path.empty() ? vuln::db::default_db_path(ctx.cache_dir) : options.db_path).string();
    } else {
      AuditStep s{"database", StepState::skipped, "", "", 0};
      if (opened.error().code == ErrorCode::not_found) {
        s.summary = "no advisory database: packages are listed but not matched against vulnerabilities";
        s.fix = "bulwark db update   (or offline: bulwark db import FEED-FILES...)";
      } else {
        s.summary = "the advisory database could not be opened: " + opened.error().describe();
        s.fix = "bulwark db update   (rebuilds it)";
      }
      run.steps.push_back(std::move(s));
    }
  }

  // 2. The CIS host audit: host, daemon, images' settings, running containers.
  std::string engine_note;
  const std::string docker_host = pick_engine(options, engine_note);
  {
    const auto t0 = Clock::now();
    progress.note("auditing the host, the daemon and the running containers (CIS Docker Benchmark)");
    host::AuditOptions ao;
    ao.docker_host = docker_host;
    auto report = host::run_audit(ao, ctx);
    run.cis = host::score(report.results);
    run.containers = report.containers;
    const bool daemon_down = std::any_of(report.problems.begin(), report.problems.end(),
                                         [](const host::Problem& p) { return p.kind == host::ProblemKind::daemon; });
    if (!report.docker_version.empty()) {
      run.engine = fmt::format("{} {} at {}", engine_note.empty() ? "Docker" : engine_note, report.docker_version,
                               report.docker_host);
    }
    AuditStep s{"host", StepState::done, "", "", since(t0)};
    s.summary =
        fmt::format("CIS Docker Benchmark: {} passed, {} failed, {} warn, {} manual, {} skipped (score {:.0f}%)",
                    run.cis.passed, run.cis.failed, run.cis.warned, run.cis.manual, run.cis.skipped, run.cis.percent());
    if (::geteuid() != 0) {
      s.state = StepState::partial;
      s.summary += "; not root: files only root can read were not checked";
      s.fix = "sudo bulwark audit";
    }
    for (const auto& p : report.problems) {
      if (p.kind == host::ProblemKind::input) {
        s.state = StepState::partial;
        s.summary += "; " + p.error.describe();
      }
    }
    run.steps.push_back(std::move(s));
    if (daemon_down) {
      const auto& err = std::find_if(report.problems.begin(), report.problems.end(), [](const host::Problem& p) {
                          return p.kind == host::ProblemKind::daemon;
                        })->error;
      run.steps.push_back(
          {"engine", StepState::skipped,
           fmt::format("no container engine answered at {}: images and containers were not audited ({})", docker_host,
                       err.message),
           engine_fix(docker_host, err), 0});
    } else {
      std::size_t failing_settings = 0;
      for (const auto& r : report.results) {
        if (r.target.kind != core::TargetKind::container) continue;
        failing_settings += static_cast<std::size_t>(std::count_if(r.findings.begin(), r.findings.end(), failing));
      }
      run.steps.push_back({"containers", StepState::done,
                           fmt::format("{} running: privileges, mounts, namespaces, capabilities, seccomp/AppArmor "
                                       "checked; {} failing settings",
                                       plural(run.containers, "container", "containers"), failing_settings),
                           "", 0});
    }
    if (exists("/run/containerd/containerd.sock") && run.engine.find("Docker") == std::string::npos) {
      run.steps.push_back({"containerd", StepState::skipped,
                           "containerd is running; its images are not listed by this audit",
                           "ctr -n k8s.io images export img.tar REF && bulwark image oci-archive:img.tar", 0});
    }
    run.results = std::move(report.results);
  }

  // 3. Every local image: packages (cached by image id), vulnerabilities, image-config checks.
  if (!run.engine.empty()) {
    const auto t0 = Clock::now();
    auto client = docker::Client::connect(docker_host);
    Result<nlohmann::json> images =
        client ? client->list_images() : Result<nlohmann::json>(std::unexpected(client.error()));
    AuditStep s{"images", StepState::done, "", "", 0};
    std::size_t secrets_found = 0;
    if (!images || !images->is_array()) {
      s.state = StepState::skipped;
      s.summary = images ? "the engine's image list is not an array" : images.error().describe();
    } else {
      struct Entry {
        std::string id;
        std::int64_t created = 0;
      };
      std::vector<Entry> entries;
      for (const auto& i : *images) {
        if (!i.is_object()) continue;
        auto id = i.value("Id", std::string());
        if (!valid_image_id(id)) continue;
        entries.push_back({id, i.value("Created", std::int64_t{0})});
      }
      std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.created > b.created; });
      run.images_total = entries.size();
      std::size_t packages = 0;
      std::size_t vulns = 0;
      std::vector<std::string> failures;
      core::Diagnostics rule_diags;
      auto secret_engine = secret::Engine::build(secret::builtin_catalogue(rule_diags), secret::Options{}, rule_diags);
      for (std::size_t n = 0; n < entries.size() && n < options.max_images; ++n) {
        const auto& id = entries[n].id;
        // The host audit's result for this image (its CIS 4.x findings): the image scan joins it.
        auto it = std::find_if(run.results.begin(), run.results.end(), [&](const core::ScanResult& r) {
          return r.target.kind == core::TargetKind::image && r.target.id == id;
        });
        if (it == run.results.end()) {
          core::ScanResult r;
          r.target = {core::TargetKind::image, id.substr(7, 12), id};
          run.results.push_back(std::move(r));
          it = run.results.end() - 1;
        }
        const core::Target target = it->target;
        const std::string ref_text = image_reference(target);
        progress.note(fmt::format("image {}/{}: {}", n + 1, std::min(entries.size(), options.max_images), target.name));
        core::Diagnostics diags;
        std::optional<CachedInventory> inv;
        if (options.use_cache) inv = load_cache(ctx, id);
        if (inv) {
          ++run.images_cached;
        } else {
          // By id, so an untagged image is read too and a retag cannot change what is read.
          image::Reference ref;
          ref.transport = image::Transport::docker_daemon;
          ref.digest = id;
          ref.original = ref_text;
          image::SourceOptions so;
          so.docker_host = docker_host;
          CachedInventory fresh;
          std::unique_ptr<secret::SecretProbe> probe;
          if (secret_engine) {
            probe = std::make_unique<secret::SecretProbe>(**secret_engine);
            fresh.extras.secrets = probe.get();
          }
          auto r = inventory(ref, so, ctx, diags, &fresh.extras);
          if (!r) {
            failures.push_back(fmt::format("{}: {}", target.name, r.error().describe()));
            continue;
          }
          fresh.result = std::move(*r);
          fresh.extras.secrets = nullptr;
          if (probe) {
            fresh.secrets = probe->findings(target, fresh.result.image ? &*fresh.result.image : nullptr);
            if (!fresh.extras.config_json.empty()) {
              std::vector<std::string> values;
              for (auto& f : secret::scan_image_config(**secret_engine, fresh.extras.config_json, target, &values))
                fresh.secrets.push_back(std::move(f));
              // Layers' created_by are reported: never with a secret in them.
              if (fresh.result.image) {
                for (auto& layer : fresh.result.image->layers) secret::mask_values(layer.created_by, values);
              }
            }
          }
          store_cache(ctx, id, fresh.result, fresh.extras, fresh.secrets);
          inv = std::move(fresh);
        }
        core::ScanResult& scanned = inv->result;
        scanned.target = target;
        if (store) {
          vuln::match::Matcher matcher(*store);
          if (auto st = matcher.match_all(scanned, diags); !st) {
            failures.push_back(fmt::format("{}: {}", target.name, st.error().describe()));
          } else {
            run.vuln_targets.push_back(target);
          }
        }
        if (auto eol = catalog::eol_finding(scanned.os, report::today_utc()))
          scanned.findings.push_back(std::move(*eol));
        if (!inv->extras.config_json.empty()) {
          auto checks = config::image::check_image_config_text(inv->extras.config_json, target, inv->extras.facts);
          if (checks) {
            for (auto& f : *checks) scanned.findings.push_back(std::move(f));
          }
        }
        secrets_found += inv->secrets.size();
        for (auto& f : inv->secrets) {
          run.secret_ids.insert(f.id);
          scanned.findings.push_back(std::move(f));
        }
        for (auto& f : scanned.findings) f.target = target;
        ++run.images_scanned;
        packages += scanned.packages.size();
        vulns += count_vulns(scanned);
        it->os = scanned.os;
        it->image = scanned.image;
        it->packages = std::move(scanned.packages);
        for (auto& f : scanned.findings) it->findings.push_back(std::move(f));
        sort_findings(it->findings);
      }
      s.summary = fmt::format("{} of {} scanned ({} from the cache): {} packages", run.images_scanned,
                              plural(run.images_total, "image", "images"), run.images_cached, packages);
      if (store) {
        s.summary += fmt::format(", {} known vulnerabilities", vulns);
      } else {
        s.summary += ", not matched (no advisory database)";
      }
      if (run.images_total > options.max_images) {
        s.state = StepState::partial;
        s.summary += fmt::format("; the {} most recent only", options.max_images);
        s.fix = fmt::format("bulwark audit --max-images {}", run.images_total);
      }
      if (!failures.empty()) {
        s.state = StepState::partial;
        s.summary += fmt::format("; {} could not be read: {}", failures.size(), failures.front());
      }
    }
    s.seconds = since(t0);
    run.steps.push_back(std::move(s));

    // Secrets in image files: found in the same pass as the packages.
    AuditStep sec{"secrets", StepState::skipped, "", "", 0};
    sec.state = run.images_scanned > 0 ? StepState::done : StepState::skipped;
    sec.summary = fmt::format("{} searched for secrets in every layer's files and the config: {} found",
                              plural(run.images_scanned, "image", "images"), secrets_found);
    run.steps.push_back(std::move(sec));
  }

  // 4. This machine's own OS packages.
  {
    const auto t0 = Clock::now();
    progress.note("reading this machine's package database");
    core::Diagnostics diags;
    auto r = host_packages(ctx, diags);
    AuditStep s{"host-packages", StepState::done, "", "", 0};
    if (!r) {
      s.state = StepState::partial;
      s.summary = r.error().describe();
    } else {
      if (store) {
        vuln::match::Matcher matcher(*store);
        if (auto st = matcher.match_all(*r, diags); st) run.vuln_targets.push_back(r->target);
      }
      if (auto eol = catalog::eol_finding(r->os, report::today_utc())) {
        eol->target = r->target;
        r->findings.push_back(std::move(*eol));
      }
      sort_findings(r->findings);
      s.summary = fmt::format("{}: {} packages", r->os.pretty_name.empty() ? "unknown OS" : r->os.pretty_name,
                              r->packages.size());
      if (store) {
        s.summary += fmt::format(", {} known vulnerabilities ({} fixable)", count_vulns(*r), count_fixable(*r));
      } else {
        s.state = StepState::skipped;
        s.summary += ", not matched: no advisory database";
        s.fix = "bulwark db update";
      }
      run.results.push_back(std::move(*r));
    }
    s.seconds = since(t0);
    run.steps.push_back(std::move(s));
  }

  progress.end();
  run.seconds = since(t_all);
  return run;
}

std::vector<PracticeScore> practice_scores(const AuditRun& run) {
  static constexpr core::Practice kAll[] = {
      core::Practice::trusted_base_image, core::Practice::up_to_date,         core::Practice::access_control,
      core::Practice::limit_privileges,   core::Practice::isolation,          core::Practice::network_policy,
      core::Practice::monitoring,         core::Practice::vulnerability_scan, core::Practice::least_privilege,
      core::Practice::host_hardening,
  };
  std::map<core::Practice, PracticeScore> by;
  std::map<core::Practice, std::pair<std::uint64_t, std::uint64_t>> weights;  // passed, failed
  for (auto p : kAll) by[p].practice = p;
  for (const auto& r : run.results) {
    for (const auto& f : r.findings) {
      if (f.suppression || f.vulnerability) continue;
      auto& ps = by[f.practice];
      // A check of severity info still counts once, so that a practice of info checks has a score.
      const auto w = std::max<std::uint64_t>(weight(f.severity), 1);
      if (f.status == core::FindingStatus::pass) {
        ++ps.passed;
        weights[f.practice].first += w;
      } else if (failing(f)) {
        ++ps.failed;
        weights[f.practice].second += w;
        if (f.severity == core::Severity::critical) ++ps.critical;
        if (f.severity == core::Severity::high) ++ps.high;
      }
    }
  }
  for (auto& [p, w] : weights) {
    if (w.first + w.second > 0) {
      by[p].score =
          static_cast<int>(100.0 * static_cast<double>(w.first) / static_cast<double>(w.first + w.second) + 0.5);
    }
  }
  // Vulnerability scan: the share of scanned targets without a vulnerability that has a fix.
  auto& vs = by[core::Practice::vulnerability_scan];
  std::size_t clean = 0;
  for (const auto& t : run.vuln_targets) {
    bool bad = false;
    for (const auto& r : run.results) {
      if (r.target.kind != t.kind || r.target.name != t.name) continue;
      for (const auto& f : r.findings) {
        if (!f.vulnerability || !failing(f)) continue;
        if (f.severity == core::Severity::critical) ++vs.critical;
        if (f.severity == core::Severity::high) ++vs.high;
        ++vs.failed;
        if (fixable(f)) bad = true;
      }
    }
    if (!bad) ++clean;
  }
  if (!run.vuln_targets.empty()) {
    vs.passed = clean;
    vs.score =
        static_cast<int>(100.0 * static_cast<double>(clean) / static_cast<double>(run.vuln_targets.size()) + 0.5);
  }
  std::vector<PracticeScore> out;
  for (auto p : kAll) out.push_back(by[p]);
  return out;
}

std::vector<Action> top_actions(const AuditRun& run, std::size_t count) {
  struct Group {
    Action action;
    std::vector<const core::Finding*> findings;
    std::set<std::string> targets;
    std::map<std::string, std::uint64_t> per_target;
    const core::ScanResult* result = nullptr;
  };
  std::map<std::string, Group> groups;
  for (const auto& r : run.results) {
    for (const auto& f : r.findings) {
      if (!failing(f) || weight(f.severity) == 0) continue;
      if (f.vulnerability && !fixable(f)) continue;  // nothing to upgrade to yet
      const std::string key = f.vulnerability ? "vuln\x1f" + r.target.name : check_key(f);
      auto& g = groups[key];
      // The finding that names the group: the worst, and of equals the first seen.
      if (g.findings.empty() || f.severity > g.findings.front()->severity) {
        g.result = &r;
        g.action.practice = f.practice;
        g.findings.insert(g.findings.begin(), &f);
      } else {
        g.findings.push_back(&f);
      }
      g.action.worst = std::max(g.action.worst, f.severity);
      if (f.vulnerability) {
        g.action.risk += std::max(weight(f.severity), vuln_weight(f.severity));
      } else {
        // A check counts once per target, at its worst severity there.
        auto& w = g.per_target[r.target.name];
        w = std::max(w, weight(f.severity));
      }
      g.targets.insert(r.target.name);
    }
  }
  std::vector<Action> out;
  for (auto& [key, g] : groups) {
    auto& a = g.action;
    for (const auto& [t, w] : g.per_target) a.risk += w;
    a.findings = g.findings.size();
    const auto& first = *g.findings.front();
    const auto& target = g.result->target;
    if (first.vulnerability) {
      std::size_t crit = 0;
      std::size_t high = 0;
      for (const auto* f : g.findings) {
        crit += f->severity == core::Severity::critical;
        high += f->severity == core::Severity::high;
      }
      const auto counts = fmt::format("{} fixable vulnerabilities ({} critical, {} high)", a.findings, crit, high);
      if (target.kind == core::TargetKind::image) {
        a.title = fmt::format("Rebuild {} on updated packages: {}", target.name, counts);
        a.command = fmt::format("bulwark image {} --ignore-unfixed", image_reference(target));
      } else {
        const auto& os = g.result->os.id;
        const char* upgrade = os == "alpine"                     ? "apk upgrade"
                              : os == "debian" || os == "ubuntu" ? "apt-get update && apt-get upgrade"
                                                                 : "the package manager's upgrade";
        a.title = fmt::format("Upgrade this machine's packages ({}): {}", upgrade, counts);
        a.command = "bulwark rootfs / --ignore-unfixed";
      }
    } else {
      const auto* def = host::find_check(first.id);
      std::string label;
      if (auto cis = check_key(first); cis.starts_with("cis\x1f")) label = fmt::format("CIS {}: ", cis.substr(4));
      std::string where;
      if (g.targets.size() > 1) {
        where = fmt::format(" ({} {}s)", g.targets.size(), core::to_string(target.kind));
      } else {
        where = fmt::format(" ({} {})", core::to_string(target.kind), target.name);
      }
      a.title = label + first.title + where;
      const bool image_check = std::any_of(g.findings.begin(), g.findings.end(), [](const core::Finding* f) {
        return f->target.kind == core::TargetKind::image && host::find_check(f->id) == nullptr;
      });
      if (run.secret_ids.contains(first.id) && target.kind == core::TargetKind::image) {
        a.command = fmt::format("bulwark image {} --scanners secret", image_reference(target));
      } else if (image_check) {
        const auto it = std::find_if(g.findings.begin(), g.findings.end(), [](const core::Finding* f) {
          return f->target.kind == core::TargetKind::image && host::find_check(f->id) == nullptr;
        });
        a.command = fmt::format("bulwark image {} --scanners config", image_reference((*it)->target));
      } else if (def != nullptr) {
        a.command = "bulwark host";
      } else if (target.kind == core::TargetKind::image) {
        a.command = fmt::format("bulwark image {} --scanners config", image_reference(target));
      } else {
        a.command = "bulwark rootfs / --scanners config";
      }
    }
    out.push_back(std::move(a));
  }
  std::sort(out.begin(), out.end(), [](const Action& a, const Action& b) {
    if (a.risk != b.risk) return a.risk > b.risk;
    if (a.worst != b.worst) return a.worst > b.worst;
    return a.title < b.title;
  });
  if (out.size() > count) out.resize(count);
  return out;
}

std::vector<const core::Finding*> worst_findings(const AuditRun& run, std::size_t count) {
  std::vector<const core::Finding*> all;
  for (const auto& r : run.results) {
    for (const auto& f : r.findings) {
      if (failing(f) && f.severity >= core::Severity::low) all.push_back(&f);
    }
  }
  std::stable_sort(all.begin(), all.end(), [](const core::Finding* a, const core::Finding* b) {
    if (a->severity != b->severity) return a->severity > b->severity;
    if (fixable(*a) != fixable(*b)) return fixable(*a);
    return a->id < b->id;
  });
  // One line per id: the same check failing on ten containers is one thing to read.
  std::vector<const core::Finding*> out;
  std::set<std::string> seen;
  for (const auto* f : all) {
    if (out.size() >= count) break;
    if (seen.insert(f->vulnerability ? f->id : check_key(*f)).second) out.push_back(f);
  }
  return out;
}

nlohmann::json summary_json(const AuditRun& run, std::size_t actions) {
  nlohmann::json j;
  j["engine"] = run.engine;
  j["database"] = run.database;
  j["seconds"] = run.seconds;
  j["images"] = {{"total", run.images_total}, {"scanned", run.images_scanned}, {"cached", run.images_cached}};
  j["containers"] = run.containers;
  auto& steps = j["steps"] = nlohmann::json::array();
  for (const auto& s : run.steps) {
    nlohmann::json o = {
        {"name", s.name}, {"state", to_string(s.state)}, {"summary", s.summary}, {"seconds", s.seconds}};
    if (!s.fix.empty()) o["fix"] = s.fix;
    steps.push_back(std::move(o));
  }
  auto& practices = j["practices"] = nlohmann::json::array();
  for (const auto& p : practice_scores(run)) {
    nlohmann::json o = {{"practice", core::to_string(p.practice)},
                        {"passed", p.passed},
                        {"failed", p.failed},
                        {"critical", p.critical},
                        {"high", p.high}};
    o["score"] = p.score ? nlohmann::json(*p.score) : nlohmann::json(nullptr);
    practices.push_back(std::move(o));
  }
  auto& acts = j["actions"] = nlohmann::json::array();
  for (const auto& a : top_actions(run, std::max<std::size_t>(actions, 20))) {
    acts.push_back({{"title", a.title},
                    {"command", a.command},
                    {"practice", core::to_string(a.practice)},
                    {"severity", core::to_string(a.worst)},
                    {"risk", a.risk},
                    {"findings", a.findings}});
  }
  return j;
}

}  // namespace bulwark::scan
