#include "scan/base_image.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <system_error>

#include "config/dockerfile/model.hpp"
#include "config/dockerfile/parser.hpp"
#include "image/reference.hpp"
#include "image/registry.hpp"
#include "sbom/reader.hpp"
#include "sbom/sbom.hpp"
#include "scan/pipeline.hpp"
#include "trust/base_image.hpp"
#include "trust/policy.hpp"
#include "util/files.hpp"
#include "util/json_depth.hpp"
#include "util/strings.hpp"
#include "vuln/match/matcher.hpp"

namespace bulwark::scan {

namespace {

constexpr int kSbomCacheVersion = 1;

// Where candidates come from: a registry repository or an OCI layout.
struct Repo {
  image::Transport transport = image::Transport::registry;
  std::string registry;    // API host ("registry-1.docker.io" for Docker Hub)
  std::string repository;  // "library/debian"
  std::string path;        // oci: layouts
  [[nodiscard]] std::string str() const {
    return transport == image::Transport::registry ? "docker://" + registry + "/" + repository : "oci:" + path;
  }
  [[nodiscard]] image::Reference ref(const std::string& tag) const {
    image::Reference r;
    r.transport = transport;
    r.registry = registry;
    r.repository = repository;
    r.path = path;
    r.tag = tag;
    r.original = str() + ":" + tag;
    return r;
  }
  // The name a Docker user writes: "debian:12.5", "127.0.0.1:5000/team/debian:12.5".
  [[nodiscard]] std::string name(const std::string& tag) const {
    if (transport != image::Transport::registry) return "oci:" + path + ":" + tag;
    std::string repo = repository;
    if (image::registry_api_host(registry) == "registry-1.docker.io") {
      if (repo.starts_with("library/")) repo = repo.substr(8);
      return repo + ":" + tag;
    }
    return registry + "/" + repo + ":" + tag;
  }
  [[nodiscard]] bool same(const Repo& o) const {
    if (transport != o.transport) return false;
    if (transport != image::Transport::registry) return path == o.path;
    return image::registry_api_host(registry) == image::registry_api_host(o.registry) && repository == o.repository;
  }
};

Result<Repo> parse_repo(const std::string& text) {
  auto ref = image::parse_reference(text);
  if (!ref) return std::unexpected(ref.error().within("--base-images"));
  Repo r;
  r.transport = ref->transport;
  if (ref->transport == image::Transport::registry) {
    const auto rest = std::string_view(text).substr(std::string_view(text).find("//") + 2);
    const auto slash = rest.rfind('/');
    const auto last = slash == std::string_view::npos ? rest : rest.substr(slash + 1);
    if (last.find(':') != std::string_view::npos || last.find('@') != std::string_view::npos) {
      return fail(ErrorCode::invalid_argument,
                  "--base-images names a repository, not one image: drop the tag or digest (docker://HOST/REPO)", text);
    }
    r.registry = ref->registry;
    r.repository = ref->repository;
    return r;
  }
  if (ref->transport == image::Transport::oci_layout) {
    if (!ref->tag.empty()) {
      return fail(ErrorCode::invalid_argument, "--base-images names an OCI layout, not one of its tags: drop :TAG",
                  text);
    }
    r.path = ref->path;
    return r;
  }
  return fail(ErrorCode::invalid_argument,
              "--base-images takes a registry repository (docker://HOST/REPO) or an OCI layout (oci:DIR)", text);
}

// A declared base ("127.0.0.1:5000/team/debian:12.5", "debian:12@sha256:...") as a repository
// and tag.
struct Declared {
  std::string text, source, evidence;
  Repo repo;
  std::string tag, digest;
};

std::optional<Declared> declared_from(const std::string& text, const std::string& source, const std::string& evidence,
                                      std::vector<std::string>& notes) {
  auto n = trust::parse_docker_name(text);
  if (!n) {
    notes.push_back(fmt::format("{} names the base '{}', which does not parse as an image name: {}", evidence,
                                util::printable(text), n.error().message));
    return std::nullopt;
  }
  Declared d;
  d.text = text;
  d.source = source;
  d.evidence = evidence;
  d.repo.registry = n->registry == "docker.io" ? "registry-1.docker.io" : n->registry;
  d.repo.repository = n->repository;
  d.tag = n->tag;
  d.digest = n->digest;
  return d;
}

// The last FROM of a Dockerfile, following `FROM stage` to the image the stage builds on.
Result<std::optional<std::string>> dockerfile_base(const std::string& path, const core::Limits& limits,
                                                   std::vector<std::string>& notes) {
  auto text = util::read_file(path, std::min<std::uint64_t>(limits.max_document_bytes, 8u << 20));
  if (!text) return std::unexpected(text.error().within("--dockerfile"));
  auto parsed = config::dockerfile::parse(*text);
  if (!parsed) {
    return fail(ErrorCode::parse, fmt::format("line {}: {}", parsed.error().line, parsed.error().message), path);
  }
  auto df = config::dockerfile::build(*parsed);
  if (df.stages.empty()) return fail(ErrorCode::parse, "the Dockerfile has no FROM", path);
  int i = static_cast<int>(df.stages.size()) - 1;
  for (int hops = 0; df.stages[i].base_stage >= 0 && hops < 1000; ++hops) i = df.stages[i].base_stage;
  const auto& st = df.stages[i];
  if (!st.base_resolved) {
    notes.push_back(fmt::format("{}:{}: FROM {} uses a variable the Dockerfile does not set", path, st.from.line,
                                util::printable(st.base)));
    return std::optional<std::string>{};
  }
  if (util::to_lower(st.base_expanded) == "scratch") {
    notes.push_back(fmt::format("{}:{}: the last stage is FROM scratch: no base image", path, st.from.line));
    return std::optional<std::string>{};
  }
  return std::optional<std::string>{st.base_expanded};
}

std::string config_created(const std::string& config_json) {
  if (util::json_depth(config_json, 64) > 64) return {};
  auto j = nlohmann::json::parse(config_json, nullptr, false);
  if (!j.is_object()) return {};
  auto it = j.find("created");
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The scanned image's credentials go to its own registry and to the one --base-images names,
// never to a registry that only the image's annotations or its Dockerfile name.
image::SourceOptions options_for(const BaseOptions& o, const Repo& repo) {
  image::SourceOptions so = o.source;
  std::string named;
  if (!o.base_images.empty()) {
    if (auto r = parse_repo(o.base_images)) named = r->registry;
  }
  const auto host = image::registry_api_host(repo.registry);
  if (repo.transport == image::Transport::registry && host != image::registry_api_host(o.image_registry) &&
      (named.empty() || host != image::registry_api_host(named))) {
    so.username.reset();  // another registry: never the scanned image's credentials
    so.password.reset();
  }
  return so;
}

// Tags in the order they are read: version tags newest first, then the others by name.
std::vector<std::string> order_tags(std::vector<std::string> tags) {
  std::stable_sort(tags.begin(), tags.end(), [](const std::string& a, const std::string& b) {
    auto va = trust::parse_tag_version(a);
    auto vb = trust::parse_tag_version(b);
    if (va.has_value() != vb.has_value()) return va.has_value();
    if (va && vb) {
      if (trust::newer_first(*va, *vb)) return true;
      if (trust::newer_first(*vb, *va)) return false;
    }
    return a < b;
  });
  return tags;
}

// One vulnerability of one package: what "fixed" and "added" compare.
using VulnKey = std::pair<std::string, std::string>;  // id, package name
using VulnSet = std::map<VulnKey, core::Severity>;

std::filesystem::path sbom_cache_path(const core::Context& ctx, const std::string& digest) {
  const auto root = ctx.cache_dir.empty() ? util::default_cache_dir() : ctx.cache_dir;
  const auto hex = digest.starts_with("sha256:") ? digest.substr(7) : digest;
  return root / "base-images" / fmt::format("sbom-v{}", kSbomCacheVersion) / (hex + ".cdx.json");
}

bool valid_digest(const std::string& d) {
  return d.starts_with("sha256:") && d.size() == 71 && d.find_first_not_of("0123456789abcdef", 7) == std::string::npos;
}

// The packages of one candidate (its SBOM, from the cache when there) matched against the store.
Result<VulnSet> scan_candidate(const Repo& repo, const std::string& tag, const std::string& digest,
                               const BaseOptions& o, const vuln::db::Store& store, const core::Context& ctx,
                               bool& cached) {
  if (!digest.empty() && !valid_digest(digest)) {
    return fail(ErrorCode::invalid_argument, "not a sha256 manifest digest", util::printable(digest));
  }
  core::Diagnostics diags;  // the candidates' own warnings are not the image's
  std::optional<core::ScanResult> inv;
  const bool cacheable = o.use_cache && valid_digest(digest);
  const auto path = sbom_cache_path(ctx, digest);
  cached = false;
  if (cacheable) {
    if (auto text = util::read_file(path, ctx.limits.max_document_bytes)) {
      if (auto r = sbom::parse_sbom(*text, repo.name(tag), ctx.limits, diags)) {
        inv = std::move(*r);
        cached = true;
      }
    }
  }
  if (!inv) {
    const auto ref = digest.empty() ? repo.ref(tag) : [&] {
      auto r = repo.ref(tag);
      if (repo.transport == image::Transport::registry) {
        r.tag.clear();
        r.digest = digest;  // the manifest the layer match read, not what the tag says now
        r.original = repo.str() + "@" + digest;
      }
      return r;
    }();
    auto r = inventory(ref, options_for(o, repo), ctx, diags);
    if (!r) return std::unexpected(r.error());
    if (cacheable) {
      std::error_code ec;
      std::filesystem::create_directories(path.parent_path(), ec);
      if (!ec) (void)util::write_file_atomic(path, sbom::write_cyclonedx(*r, {BULWARK_VERSION, {}}));
    }
    inv = std::move(*r);
  }
  vuln::match::Matcher matcher(store);
  if (auto st = matcher.match_all(*inv, diags); !st) return std::unexpected(st.error());
  VulnSet out;
  for (const auto& f : inv->findings) {
    if (!f.vulnerability) continue;
    auto [it, inserted] = out.emplace(VulnKey{f.id, f.package ? f.package->name : std::string()}, f.severity);
    if (!inserted && f.severity > it->second) it->second = f.severity;
  }
  return out;
}

core::SeverityCounts count(const VulnSet& s) {
  core::SeverityCounts c;
  for (const auto& [k, sev] : s) c.add(sev);
  return c;
}

}  // namespace

Result<core::BaseImage> analyze_base(const core::ScanResult& result, const BaseOptions& options,
                                     const vuln::db::Store* store, const core::Context& ctx, core::Diagnostics& diags) {
  core::BaseImage base;
  auto note = [&](const std::string& s) {
    if (ctx.progress != nullptr) ctx.progress->note(s);
  };
  std::vector<std::string> image_ids;
  if (result.image) {
    for (const auto& l : result.image->layers) image_ids.push_back(l.diff_id);
  }

  // 1. What the image or its Dockerfile says.
  std::optional<Declared> declared;
  if (result.image && !result.image->base_name.empty()) {
    declared = declared_from(result.image->base_name, "annotations",
                             "the manifest annotation org.opencontainers.image.base.name", base.notes);
    if (declared && declared->digest.empty()) declared->digest = result.image->base_digest;
  }
  if (!options.dockerfile.empty()) {
    auto from = dockerfile_base(options.dockerfile, ctx.limits, base.notes);
    if (!from) return std::unexpected(from.error());
    if (*from) {
      auto d = declared_from(**from, "dockerfile", fmt::format("the last FROM of {}", options.dockerfile), base.notes);
      if (declared && d && !(declared->repo.same(d->repo) && declared->tag == d->tag)) {
        base.notes.push_back(fmt::format("{} names {}, {} names {}", declared->evidence,
                                         util::printable(declared->text), d->evidence, util::printable(d->text)));
      }
      if (!declared) declared = std::move(d);
    }
  }

  // 2. Where the candidates come from.
  Repo repo;
  if (!options.base_images.empty()) {
    auto r = parse_repo(options.base_images);
    if (!r) return std::unexpected(r.error());
    repo = std::move(*r);
  } else if (declared) {
    repo = declared->repo;
  } else if (!options.dockerfile.empty() && !base.notes.empty()) {
    return base;  // FROM scratch, or a FROM bulwark cannot resolve: the notes say which
  } else {
    return fail(ErrorCode::invalid_argument,
                "the image does not say what it is built on (no org.opencontainers.image.base.name annotation): name "
                "the candidates with --base-images docker://HOST/REPO or oci:DIR, or the Dockerfile with --dockerfile",
                result.target.name);
  }
  base.repository = repo.str();

  // 3. The candidates' tags and layers.
  note(fmt::format("listing the tags of {}", repo.str()));
  const auto so = options_for(options, repo);
  Result<std::vector<std::string>> listed = repo.transport == image::Transport::registry
                                                ? image::list_registry_tags(repo.ref(""), so, ctx)
                                                : image::list_oci_layout_tags(repo.path, ctx.limits);
  if (!listed) return std::unexpected(listed.error());
  base.tags_listed = listed->size();
  if (const auto bad = std::erase_if(*listed, [](const std::string& t) { return !trust::is_valid_tag(t); }); bad > 0) {
    base.notes.push_back(fmt::format("{} tag(s) of {} are not valid tag names and were skipped", bad, repo.str()));
  }
  std::vector<std::string> tags = order_tags(std::move(*listed));
  const bool declared_here = declared && declared->repo.same(repo);
  const auto declared_version = declared_here ? trust::parse_tag_version(declared->tag) : std::nullopt;
  if (declared_version) {
    // The declared tag and its variant's versions are all the advice and the check need.
    std::erase_if(tags, [&](const std::string& t) {
      if (t == declared->tag) return false;
      auto v = trust::parse_tag_version(t);
      return !v || v->variant != declared_version->variant;
    });
  }
  if (tags.size() > options.max_tags_read) {
    base.notes.push_back(fmt::format("{} has {} tags: only the first {} (newest versions first) were read", repo.str(),
                                     tags.size(), options.max_tags_read));
    tags.resize(options.max_tags_read);
  }
  std::vector<trust::CandidateImage> candidates;
  std::size_t unreadable = 0;
  for (const auto& tag : tags) {
    note(fmt::format("reading {}", repo.name(tag)));
    auto src = image::open_source(repo.ref(tag), so, ctx);
    if (!src) {
      ++unreadable;
      diags.warning("base-image", repo.name(tag), src.error().describe());
      continue;
    }
    trust::CandidateImage c;
    c.tag = tag;
    c.manifest_digest = (*src)->info().manifest_digest;
    c.created = config_created((*src)->config_json());
    for (const auto& l : (*src)->info().layers) c.diff_ids.push_back(l.diff_id);
    candidates.push_back(std::move(c));
  }
  if (unreadable > 0) base.notes.push_back(fmt::format("{} tag(s) of {} could not be read", unreadable, repo.str()));

  // 4. The layer match, and what it says about the declaration.
  const auto match = trust::best_base_match(image_ids, candidates);
  auto set_from = [&](const trust::CandidateImage& c) {
    base.name = repo.name(c.tag);
    base.tag = c.tag;
    base.digest = c.manifest_digest;
    base.diff_ids = c.diff_ids;
    base.layers_confirmed = true;
  };
  auto layers_sentence = [&](const trust::CandidateImage& c) {
    return fmt::format("the image's first {} of {} layer{} (diff-IDs) are {}'s", c.diff_ids.size(), image_ids.size(),
                       image_ids.size() == 1 ? "" : "s", repo.name(c.tag));
  };
  if (declared) {
    const trust::CandidateImage* same = nullptr;
    if (match && declared_here) {
      const auto& m = candidates[*match];
      if (m.tag == declared->tag || (!declared->digest.empty() && m.manifest_digest == declared->digest)) same = &m;
      // Another tag of the same image (12.5 and 12 and latest): the declared one is as good.
      for (const auto& c : candidates) {
        if (c.tag == declared->tag && c.diff_ids == m.diff_ids) same = &c;
      }
    }
    if (same != nullptr) {
      set_from(*same);
      base.source = declared->source;
      base.evidence =
          fmt::format("{} says {}; {}", declared->evidence, util::printable(declared->text), layers_sentence(*same));
    } else if (match) {
      set_from(candidates[*match]);
      base.source = "layers";
      base.evidence = layers_sentence(candidates[*match]);
      base.notes.push_back(fmt::format("{} says {}, but the layers match {}", declared->evidence,
                                       util::printable(declared->text), base.name));
    } else {
      base.name = declared->repo.name(declared->tag.empty() ? "latest" : declared->tag);
      base.tag = declared->tag;
      base.digest = declared->digest;
      base.source = declared->source;
      base.evidence = fmt::format("{} says {}", declared->evidence, util::printable(declared->text));
      base.notes.push_back(
          fmt::format("no tag of {} is a prefix of the image's layers: which findings come from "
                      "the base is not known",
                      repo.str()));
    }
  } else if (match) {
    set_from(candidates[*match]);
    base.source = "layers";
    base.evidence = layers_sentence(candidates[*match]);
  } else {
    base.notes.push_back(
        fmt::format("no tag of {} ({} read) is a prefix of the image's layers", repo.str(), candidates.size()));
    return base;
  }

  // 5. Bump advice: the newer versions of the same variant, newest first, one per image.
  const bool in_repo = base.layers_confirmed || declared_here;
  const auto current = trust::parse_tag_version(base.tag);
  if (!options.advise) return base;
  if (!in_repo) {
    base.notes.push_back(fmt::format("{} is not in {}: no advice", base.name, repo.str()));
    return base;
  }
  if (!current || !trust::is_valid_tag(base.tag)) {
    base.notes.push_back(fmt::format("the base's tag '{}' is not a version: no newer tags to compare", base.tag));
    return base;
  }
  if (store == nullptr) return fail(ErrorCode::invalid_argument, "base-image advice needs the advisory database");
  std::vector<const trust::CandidateImage*> newer;
  for (const auto& c : candidates) {  // already newest first
    auto v = trust::parse_tag_version(c.tag);
    if (!v || !trust::is_newer(*current, *v)) continue;
    // Another tag of the base itself fixes nothing. Tags of one image (13 and 13.1) are both
    // listed; the SBOM cache makes the second scan a lookup.
    if (!c.manifest_digest.empty() && c.manifest_digest == base.digest) continue;
    newer.push_back(&c);
  }
  if (newer.size() > options.max_scans) {
    base.notes.push_back(
        fmt::format("{} newer tags: only the newest {} were scanned", newer.size(), options.max_scans));
    newer.resize(options.max_scans);
  }
  base.advised = true;
  note(fmt::format("scanning the base {}", base.name));
  bool cached = false;
  auto now = scan_candidate(repo, base.tag, base.digest, options, *store, ctx, cached);
  if (!now) return std::unexpected(now.error().within("base image " + base.name));
  base.current = count(*now);
  for (const auto* c : newer) {
    note(fmt::format("scanning the candidate {}", repo.name(c->tag)));
    core::BaseCandidate bc;
    bc.tag = c->tag;
    bc.reference = repo.ref(c->tag).original;
    bc.manifest_digest = c->manifest_digest;
    bc.major_change = trust::parse_tag_version(c->tag)->major() != current->major();
    auto found = scan_candidate(repo, c->tag, c->manifest_digest, options, *store, ctx, bc.cached);
    if (!found) {
      bc.error = found.error().describe();
      diags.warning("base-image", repo.name(c->tag), bc.error);
    } else {
      bc.findings = count(*found);
      for (const auto& [k, sev] : *now) {
        if (!found->contains(k)) bc.fixed.add(sev);
      }
      for (const auto& [k, sev] : *found) {
        if (!now->contains(k)) bc.added.add(sev);
      }
    }
    base.candidates.push_back(std::move(bc));
  }
  const auto rec = trust::recommend(base.candidates);
  base.update = rec.update;
  base.major = rec.major;
  return base;
}

}  // namespace bulwark::scan
