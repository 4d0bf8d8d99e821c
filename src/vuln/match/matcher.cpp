#include "vuln/match/matcher.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <numeric>
#include <set>
#include <utility>

#include "util/strings.hpp"
#include "vuln/cvss/cvss.hpp"
#include "vuln/db/parsers.hpp"

namespace bulwark::vuln::match {
namespace {

using db::Advisory;
using db::Affected;
using db::EventKind;
using db::VendorState;

// The vendor's own advisories outrank aggregated ones when choosing the id, title and severity.
int source_rank(std::string_view source) {
  if (source.starts_with("debian-") || source.starts_with("alpine") || source == "wolfi" || source == "redhat-csaf" ||
      source == "suse-cvrf" || source == "oracle-oval" || source.starts_with("photon:") ||
      source.starts_with("azurelinux:") || source.starts_with("cbl-mariner:"))
    return 0;
  if (source == "osv:GHSA") return 1;
  if (source.starts_with("osv:") || source == "rustsec" || source == "nodejs-security-wg") return 2;
  return 3;
}

bool is_cve(std::string_view id) {
  return id.starts_with("CVE-");
}

// Outcome of evaluating one affected entry against the installed version.
struct Hit {
  const Advisory* advisory = nullptr;
  const Affected* affected = nullptr;
  std::string fixed;  // the version that fixes it, where one exists
  VendorState state = VendorState::fixed;
};

// ">= 1.2.3" alone is shown as "1.2.3"; several requirements stay as written.
std::string patched_text(const std::vector<std::string>& patched) {
  if (patched.size() == 1) {
    std::string_view p = util::trim(patched.front());
    if (p.starts_with(">=")) {
      p.remove_prefix(2);
      p = util::trim(p);
      if (p.find_first_of(" <>=,|^~*") == std::string_view::npos) return std::string(p);
    }
  }
  return util::join(patched, " || ");
}

class Evaluator {
 public:
  Evaluator(const Query& q) : q_(q) {}

  // The event version in the form the scheme compares: Go advisories write "1.2.3".
  [[nodiscard]] std::string event_version(std::string_view v) const {
    if (q_.scheme == version::Scheme::go && !v.empty() && v.front() != 'v') return "v" + std::string(v);
    return std::string(v);
  }

  // installed <=> v, or an error for versions the comparator rejects.
  Result<int> cmp(std::string_view v) const { return version::compare(q_.scheme, q_.version, event_version(v)); }
  Result<int> cmp2(std::string_view a, std::string_view b) const {
    return version::compare(q_.scheme, event_version(a), event_version(b));
  }

  // OSV's evaluation of one range: walk the events in version order; introduced opens,
  // fixed and last_affected close; limit events bound the whole range from above.
  // Returns whether affected and, if so, the next fixed version above the installed one.
  Result<std::pair<bool, std::string>> in_range(const db::Range& range) const {
    std::vector<const db::RangeEvent*> events;
    std::vector<const db::RangeEvent*> limits;
    for (const auto& e : range.events) (e.kind == EventKind::limit ? limits : events).push_back(&e);
    // Sort: "0" (introduced at the beginning of time) first; errors abort.
    std::optional<Error> error;
    auto less = [&](const db::RangeEvent* a, const db::RangeEvent* b) {
      if (a->version == b->version) return false;
      if (a->version == "0") return true;
      if (b->version == "0") return false;
      auto c = cmp2(a->version, b->version);
      if (!c) {
        if (!error) error = c.error();
        return a->version < b->version;
      }
      return *c < 0;
    };
    std::stable_sort(events.begin(), events.end(), less);
    if (error) return std::unexpected(*error);
    bool affected = false;
    for (const auto* e : events) {
      if (e->kind == EventKind::introduced) {
        if (e->version == "0") {
          affected = true;
          continue;
        }
        auto c = cmp(e->version);
        if (!c) return std::unexpected(c.error());
        if (*c >= 0) affected = true;
      } else if (e->kind == EventKind::fixed) {
        auto c = cmp(e->version);
        if (!c) return std::unexpected(c.error());
        if (*c >= 0) affected = false;
      } else if (e->kind == EventKind::last_affected) {
        auto c = cmp(e->version);
        if (!c) return std::unexpected(c.error());
        if (*c > 0) affected = false;
      }
    }
    if (affected && !limits.empty()) {
      bool below_a_limit = false;
      for (const auto* l : limits) {
        if (l->version == "*") {
          below_a_limit = true;
          break;
        }
        auto c = cmp(l->version);
        if (!c) return std::unexpected(c.error());
        if (*c < 0) below_a_limit = true;
      }
      affected = below_a_limit;
    }
    if (!affected) return std::pair<bool, std::string>{false, {}};
    // The fix: the lowest fixed version above the installed one.
    std::string fixed;
    for (const auto* e : events) {
      if (e->kind != EventKind::fixed) continue;
      auto c = cmp(e->version);
      if (!c) return std::unexpected(c.error());
      if (*c < 0) {
        fixed = e->version;
        break;  // events are sorted
      }
    }
    return std::pair<bool, std::string>{true, fixed};
  }

  Result<bool> satisfies_any(const std::vector<std::string>& ranges) const {
    for (const auto& r : ranges) {
      auto s = version::satisfies(q_.scheme, q_.version, r);
      if (!s) return std::unexpected(s.error());
      if (*s) return true;
    }
    return false;
  }

  // Whether the entry affects the installed version; nullopt when it does not.
  Result<std::optional<Hit>> evaluate(const Advisory& a, const Affected& af) const {
    if (!a.withdrawn.empty() || af.state == VendorState::withdrawn || af.state == VendorState::not_affected ||
        af.state == VendorState::removed) {
      return std::optional<Hit>();
    }
    Hit hit{&a, &af, {}, af.state};
    const bool has_versions = !af.ranges.empty() || !af.versions.empty() || !af.requirements.empty();
    if (!has_versions) {
      // A vendor state with no version (Debian <no-dsa>, Wolfi pending-upstream-fix): every version.
      if (af.state == VendorState::fixed) return std::optional<Hit>();
      return std::optional<Hit>(hit);
    }
    // The versions list: an exact string first (cheap: PyPI records list hundreds); the
    // comparator's equality ("1.0" == "1.0.0" in PEP 440) only when no range decides.
    bool affected = std::find(af.versions.begin(), af.versions.end(), q_.version) != af.versions.end();
    if (!affected && af.ranges.empty()) {
      for (const auto& v : af.versions) {
        if (auto c = cmp(v); c && *c == 0) {
          affected = true;
          break;
        }
      }
    }
    for (const auto& r : af.ranges) {
      if (r.type == db::RangeType::git) continue;  // commits, not versions
      auto in = in_range(r);
      if (!in) return std::unexpected(in.error());
      if (in->first) {
        if (!affected || (!in->second.empty() && hit.fixed.empty())) hit.fixed = in->second;
        affected = true;
      }
    }
    const auto& req = af.requirements;
    if (!req.empty()) {
      bool vulnerable = true;
      if (!req.vulnerable.empty()) {
        auto v = satisfies_any(req.vulnerable);
        if (!v) return std::unexpected(v.error());
        vulnerable = *v;
      }
      if (vulnerable) {
        auto p = satisfies_any(req.patched);
        if (!p) return std::unexpected(p.error());
        auto u = satisfies_any(req.unaffected);
        if (!u) return std::unexpected(u.error());
        vulnerable = !*p && !*u;
      }
      if (vulnerable) {
        affected = true;
        if (hit.fixed.empty() && !req.patched.empty()) hit.fixed = patched_text(req.patched);
      }
    }
    if (!affected) return std::optional<Hit>();
    if (hit.fixed.empty() && hit.state == VendorState::fixed) hit.state = VendorState::unfixed;
    if (!hit.fixed.empty()) hit.state = VendorState::fixed;
    return std::optional<Hit>(hit);
  }

 private:
  const Query& q_;
};

// Union-find over hit indexes joined by shared ids and aliases.
std::vector<std::vector<std::size_t>> group_hits(const std::vector<Hit>& hits) {
  std::vector<std::size_t> parent(hits.size());
  std::iota(parent.begin(), parent.end(), 0);
  auto find = [&](std::size_t i) {
    while (parent[i] != i) i = parent[i] = parent[parent[i]];
    return i;
  };
  std::map<std::string, std::size_t, std::less<>> owner;
  for (std::size_t i = 0; i < hits.size(); ++i) {
    auto join = [&](const std::string& id) {
      auto [it, inserted] = owner.emplace(id, i);
      if (!inserted) parent[find(i)] = find(it->second);
    };
    join(hits[i].advisory->id);
    for (const auto& alias : hits[i].advisory->aliases) join(alias);
  }
  std::map<std::size_t, std::vector<std::size_t>> groups;
  for (std::size_t i = 0; i < hits.size(); ++i) groups[find(i)].push_back(i);
  std::vector<std::vector<std::size_t>> out;
  for (auto& [root, members] : groups) out.push_back(std::move(members));
  return out;
}

std::string state_text(VendorState s) {
  return std::string(db::to_string(s));
}

core::Finding make_finding(const std::vector<const Hit*>& hits, const core::Package& package, const Query& q,
                           const core::Target& target) {
  // Best hit first: the vendor's own advisory, then by id for a stable choice.
  std::vector<const Hit*> ordered = hits;
  std::stable_sort(ordered.begin(), ordered.end(), [](const Hit* a, const Hit* b) {
    const int ra = source_rank(a->advisory->source), rb = source_rank(b->advisory->source);
    if (ra != rb) return ra < rb;
    return a->advisory->id < b->advisory->id;
  });
  std::set<std::string> ids;
  std::set<std::string> cves;
  for (const auto* h : ordered) {
    ids.insert(h->advisory->id);
    for (const auto& a : h->advisory->aliases) ids.insert(a);
  }
  for (const auto& id : ids) {
    if (is_cve(id)) cves.insert(id);
  }
  const Advisory& primary = *ordered.front()->advisory;
  const std::string id = cves.size() == 1 ? *cves.begin() : primary.id;

  core::VulnerabilityRef ref;
  ref.id = id;
  for (const auto& other : ids) {
    if (other != id) ref.aliases.push_back(other);
  }
  // Fixed version: every advisory's fix must be in, so the highest one.
  // Requirement texts ("^0.3.4 || >= 0.6.3") count only when no plain version is known.
  std::string fixed;
  std::string fixed_text;
  for (const auto* h : ordered) {
    if (h->fixed.empty()) continue;
    const std::string candidate =
        q.scheme == version::Scheme::go && h->fixed.front() != 'v' ? "v" + h->fixed : h->fixed;
    if (!version::is_valid(q.scheme, candidate)) {
      if (fixed_text.empty()) fixed_text = h->fixed;
      continue;
    }
    if (fixed.empty()) {
      fixed = h->fixed;
      continue;
    }
    const std::string current = q.scheme == version::Scheme::go && fixed.front() != 'v' ? "v" + fixed : fixed;
    auto c = version::compare(q.scheme, candidate, current);
    if (c && *c > 0) fixed = h->fixed;
  }
  if (fixed.empty()) fixed = fixed_text;
  // Go users pass the fix to `go get`, which wants the "v" the advisories leave out.
  if (q.scheme == version::Scheme::go && !fixed.empty() && std::isdigit(static_cast<unsigned char>(fixed.front()))) {
    fixed.insert(0, "v");
  }
  ref.fixed_version = fixed;
  const Hit* state_hit = ordered.front();
  ref.state = fixed.empty() ? state_text(state_hit->state) : "fixed";

  // CVSS: every distinct vector, scored.
  std::set<std::string> vectors;
  std::optional<cvss::BaseScore> best;
  const Advisory* best_from = nullptr;
  for (const auto* h : ordered) {
    for (const auto& v : h->advisory->cvss) {
      if (!vectors.insert(v).second) continue;
      auto s = cvss::base_score(v);
      if (!s) continue;  // an unreadable vector is kept out rather than shown with a made-up score
      ref.cvss.push_back({s->version, v, s->score});
      if (!best || s->version > best->version || (s->version == best->version && s->score > best->score)) {
        best = *s;
        best_from = h->advisory;
      }
    }
  }

  core::Finding f;
  f.id = id;
  f.practice = core::Practice::vulnerability_scan;
  f.status = core::FindingStatus::fail;
  f.target = target;
  f.location.layer = package.layer;
  f.location.path = package.path;
  f.package = package;

  f.severity = core::Severity::unknown;
  for (const auto* h : ordered) {
    if (auto s = severity_from_word(h->advisory->severity)) {
      f.severity = *s;
      ref.severity_source =
          fmt::format("vendor \"{}\" from {} ({})", h->advisory->severity, h->advisory->id, h->advisory->source);
      break;
    }
  }
  if (f.severity == core::Severity::unknown && best) {
    f.severity = cvss::severity_of(*best);
    ref.severity_source = fmt::format("CVSS:{} from {} ({})", best->version, best_from->id, best_from->source);
  }

  std::string summary;
  for (const auto* h : ordered) {
    if (!h->advisory->summary.empty()) {
      summary = h->advisory->summary;
      break;
    }
  }
  f.title = summary.empty() ? fmt::format("{} in {}", id, package.name) : summary;

  std::vector<std::string> sources;
  for (const auto* h : ordered) {
    auto s = fmt::format("{} {}", h->advisory->source, h->advisory->id);
    if (std::find(sources.begin(), sources.end(), s) == sources.end()) sources.push_back(std::move(s));
  }
  // The ecosystems the data came from: the release's own, or a further one that held the advisory
  // (a SUSE module, Ubuntu Pro).
  std::vector<std::string> ecosystems;
  for (const auto* h : ordered) {
    if (std::find(ecosystems.begin(), ecosystems.end(), h->affected->ecosystem) == ecosystems.end())
      ecosystems.push_back(h->affected->ecosystem);
  }
  const bool by_source = q.package != package.name || q.version != package.version;
  f.evidence = fmt::format("{} {} installed{}; {} advisory data: {}", package.name, package.version,
                           by_source ? fmt::format(" (matched as {} {})", q.package, q.version) : std::string(),
                           util::join(ecosystems, " / "), util::join(sources, ", "));
  if (!fixed.empty()) {
    f.remediation = by_source && q.package != package.name
                        ? fmt::format("Upgrade {} (source package {}) to {} or later", package.name, q.package, fixed)
                        : fmt::format("Upgrade {} to {} or later", package.name, fixed);
    for (const auto* h : ordered) {
      if (h->fixed == fixed && h->affected->ecosystem.starts_with("Ubuntu:Pro:")) {
        f.remediation += " (the fix is published for Ubuntu Pro, " + h->affected->ecosystem + ")";
        break;
      }
    }
  } else {
    const auto& note = state_hit->affected->note;
    f.remediation = fmt::format("No fixed version is available (vendor state: {}{})", ref.state,
                                note.empty() ? std::string() : ": " + note);
  }
  f.vulnerability = std::move(ref);
  std::set<std::string> seen;
  for (const auto* h : ordered) {
    for (const auto& r : h->advisory->references) {
      if (f.references.size() >= 8) break;
      if (!r.url.empty() && seen.insert(r.url).second) f.references.push_back(r.url);
    }
  }
  return f;
}

// Distribution trackers rate a CVE for their own packages ("unimportant" in Debian
// says nothing about Alpine), so their words are not borrowed across records. Their
// CVSS vectors are (OSV exports of Ubuntu carry NVD's): a vector scores the CVE itself.
bool distribution_source(std::string_view source) {
  if (source_rank(source) == 0) return true;
  for (std::string_view prefix :
       {"osv:DSA", "osv:DLA", "osv:DTSA", "osv:DEBIAN", "osv:UBUNTU", "osv:USN", "osv:ALPINE", "osv:ALSA", "osv:ALBA",
        "osv:RHSA", "osv:RLSA", "osv:SUSE", "osv:openSUSE", "osv:CGA", "osv:MINI"}) {
    if (source.starts_with(prefix)) return true;
  }
  return false;
}

std::string alpine_branch(std::string_view version_id) {
  // "3.19.1" -> "v3.19"; pre-releases ("3.21_alpha20240923") are edge.
  if (version_id.find('_') != std::string_view::npos) return "edge";
  const auto first = version_id.find('.');
  if (first == std::string_view::npos) return {};
  const auto second = version_id.find('.', first + 1);
  return "v" + std::string(version_id.substr(0, second));
}

}  // namespace

namespace {

std::string major_of(std::string_view v) {
  return std::string(v.substr(0, v.find('.')));
}

// deb, apk or rpm: the package type a distribution's advisories are written for.
std::string_view distro_family(std::string_view id) {
  if (id == "debian" || id == "ubuntu") return "deb";
  if (id == "alpine" || id == "wolfi" || id == "chainguard") return "apk";
  if (id == "almalinux" || id == "rocky" || id == "rhel" || id == "centos" || id == "ol" || id == "amzn" ||
      id == "photon" || id == "azurelinux" || id == "mariner" || id == "opensuse-leap" || id == "opensuse-tumbleweed" ||
      id == "opensuse" || id == "sles" || id == "sled" || id == "sle-micro" || id == "sl-micro")
    return "rpm";
  return {};
}

// SUSE Linux Enterprise 12 and 15 ship most packages in modules, and SUSE's data (CVRF, CSAF, OSV)
// names the module, not the server: "SUSE:Linux Enterprise Module for Basesystem 15 SP3" holds
// glibc for a SLES 15 SP3 system. A SLES or SLED release is matched in its modules as well (12's
// modules carry no service pack in their names).
std::vector<std::string> suse_module_ecosystems(std::string_view ecosystem, std::vector<std::string> out) {
  constexpr std::string_view kServer = "SUSE:Linux Enterprise Server ";
  constexpr std::string_view kDesktop = "SUSE:Linux Enterprise Desktop ";
  std::string_view rel;
  if (ecosystem.starts_with(kServer))
    rel = ecosystem.substr(kServer.size());
  else if (ecosystem.starts_with(kDesktop))
    rel = ecosystem.substr(kDesktop.size());
  else
    return out;
  const std::string_view major = rel.substr(0, rel.find(' '));
  const std::string_view module_rel = major == "12" ? major : rel;
  for (std::string_view module : {"Basesystem", "Server Applications", "Desktop Applications", "Development Tools",
                                  "Legacy Software", "Web and Scripting", "Containers", "Public Cloud", "Python 3"}) {
    out.push_back(fmt::format("SUSE:Linux Enterprise Module for {} {}", module, module_rel));
  }
  return out;
}

}  // namespace

std::string distro_ecosystem(const core::OsInfo& os) {
  const std::string& id = os.id;
  const std::string& v = os.version_id;
  if (id == "debian") {
    if (!v.empty()) return "Debian:" + major_of(v);
    auto e = db::debian_ecosystem(os.codename);
    return e.empty() ? std::string("Debian:unstable") : e;
  }
  if (id == "wolfi") return "Wolfi";
  if (id == "chainguard") return "Chainguard";
  if (v.empty()) return {};
  if (id == "ubuntu") {
    // OSV: "Ubuntu:22.04:LTS" for long-term releases (even year, April), "Ubuntu:23.10" otherwise.
    const bool lts = v.size() == 5 && v.substr(2) == ".04" && std::isdigit(static_cast<unsigned char>(v[1])) &&
                     (v[1] - '0') % 2 == 0;
    return "Ubuntu:" + v + (lts ? ":LTS" : "");
  }
  if (id == "alpine") {
    auto b = alpine_branch(v);
    return b.empty() ? std::string() : "Alpine:" + b;
  }
  if (id == "almalinux") return "AlmaLinux:" + major_of(v);
  if (id == "rocky") return "Rocky Linux:" + major_of(v);
  if (id == "rhel" || id == "centos") return "Red Hat:enterprise_linux:" + major_of(v);
  if (id == "ol") return "Oracle Linux:" + major_of(v);
  if (id == "amzn") {
    // Amazon Linux 1 names its releases by date ("2018.03"); 2, 2022 and 2023 by number.
    const auto major = major_of(v);
    return "Amazon Linux:" + (major.size() == 4 && major != "2022" && major != "2023" ? std::string("1") : major);
  }
  if (id == "photon") return "Photon OS:" + (v.find('.') == std::string::npos ? v + ".0" : v);
  if (id == "azurelinux") return "Azure Linux:" + major_of(v);
  if (id == "mariner") return "CBL-Mariner:" + major_of(v);
  if (id == "opensuse-leap") return "openSUSE:Leap " + v;
  if (id == "opensuse-tumbleweed" || id == "opensuse") return "openSUSE:Tumbleweed";
  if (id == "sles" || id == "sled" || id == "sle-micro" || id == "sl-micro") {
    // VERSION_ID "15.5" -> "15 SP5"; "15" -> "15".
    const auto dot = v.find('.');
    std::string rel = dot == std::string::npos || v.substr(dot + 1) == "0"
                          ? v.substr(0, dot)
                          : v.substr(0, dot) + " SP" + v.substr(dot + 1);
    if (id == "sles") return "SUSE:Linux Enterprise Server " + rel;
    if (id == "sled") return "SUSE:Linux Enterprise Desktop " + rel;
    return "SUSE:Linux Enterprise Micro " + v;
  }
  return {};
}

std::optional<core::Severity> severity_from_word(std::string_view word) {
  const auto w = util::to_lower(util::trim(word));
  if (w == "critical") return core::Severity::critical;
  if (w == "high" || w == "important") return core::Severity::high;
  if (w == "medium" || w == "moderate") return core::Severity::medium;
  if (w == "low" || w == "negligible" || w == "unimportant") return core::Severity::low;
  if (w == "informational" || w == "unmaintained" || w == "notice" || w == "info") return core::Severity::info;
  return std::nullopt;
}

Coverage query_for(const core::Package& p, const core::OsInfo& os) {
  Coverage c;
  auto scheme_for = [](std::string_view ecosystem) {
    auto s = version::parse_scheme(ecosystem);
    return s ? *s : version::Scheme::dpkg;
  };
  auto lang = [&](std::string ecosystem) {
    Query q;
    q.scheme = scheme_for(ecosystem);
    q.ecosystem = std::move(ecosystem);
    q.package = p.name;
    q.version = p.version;
    if (q.scheme == version::Scheme::go) {
      // Toolchain versions ("go1.21.3", as some SBOMs write stdlib) compare as v1.21.3.
      if (q.version.starts_with("go")) q.version.erase(0, 2);
      if (!q.version.empty() && q.version.front() != 'v') q.version.insert(0, "v");
    }
    c.query = std::move(q);
    return c;
  };
  switch (p.ecosystem) {
    case core::Ecosystem::pypi: return lang("PyPI");
    case core::Ecosystem::npm: return lang("npm");
    case core::Ecosystem::golang: return lang("Go");
    case core::Ecosystem::maven: return lang("Maven");
    case core::Ecosystem::cargo: return lang("crates.io");
    case core::Ecosystem::gem: return lang("RubyGems");
    case core::Ecosystem::deb:
    case core::Ecosystem::apk:
    case core::Ecosystem::rpm: {
      const auto kind = p.ecosystem == core::Ecosystem::deb   ? std::string_view("deb")
                        : p.ecosystem == core::Ecosystem::apk ? std::string_view("apk")
                                                              : std::string_view("rpm");
      Query q;
      q.scheme = p.ecosystem == core::Ecosystem::deb   ? version::Scheme::dpkg
                 : p.ecosystem == core::Ecosystem::apk ? version::Scheme::apk
                                                       : version::Scheme::rpm;
      q.ecosystem = distro_ecosystem(os);
      const auto family = distro_family(os.id);
      if (q.ecosystem.empty() || family != kind) {
        if (os.id == "alpine" && kind == "apk") {
          c.gap = fmt::format("apk packages on Alpine \"{}\": release not recognised", os.version_id);
        } else {
          c.gap = os.known() ? fmt::format("{} packages on {}: no advisory source for this distribution", kind, os.id)
                             : fmt::format("{} packages without a known OS release: no release to match against", kind);
        }
        return c;
      }
      q.package = p.source_name.empty() ? p.name : p.source_name;
      if (q.ecosystem.starts_with("Ubuntu:") && q.ecosystem.ends_with(":LTS")) {
        q.extra_ecosystems.push_back("Ubuntu:Pro:" + q.ecosystem.substr(7));
      }
      q.extra_ecosystems = suse_module_ecosystems(q.ecosystem, std::move(q.extra_ecosystems));
      if (p.ecosystem == core::Ecosystem::deb) {
        q.version = p.source_version.empty() ? p.version : p.source_version;
      } else if (p.ecosystem == core::Ecosystem::apk) {
        q.version = p.version;
      } else {
        // rpm: the binary name with its EVR first (how Red Hat, Alma, Rocky, Oracle, SUSE and
        // Amazon list packages), the source RPM with its EVR as well (epoch carried over).
        q.package = p.name;
        q.version = p.version;
        if (!p.source_name.empty() && p.source_name != p.name) {
          q.alt_package = p.source_name;
          q.alt_version = p.source_version.empty() ? p.version : p.source_version;
        }
      }
      c.query = std::move(q);
      return c;
    }
    case core::Ecosystem::unknown: c.gap = "packages of unknown type"; return c;
  }
  return c;
}

Status Matcher::severity_from_aliases(core::Finding& f, const std::set<std::pair<std::string, std::string>>& own) {
  if (f.severity != core::Severity::unknown || !f.vulnerability) return {};
  auto& ref = *f.vulnerability;
  std::vector<std::string> names{ref.id};
  names.insert(names.end(), ref.aliases.begin(), ref.aliases.end());
  struct Candidate {
    Advisory advisory;
    std::string via;  // the finding's id or alias that led here
  };
  std::vector<Candidate> candidates;
  std::set<std::pair<std::string, std::string>> seen = own;
  for (const auto& name : names) {
    auto it = alias_records_.find(name);
    if (it == alias_records_.end()) {
      auto keys = store_.find_alias(name);
      if (!keys) return std::unexpected(keys.error());
      std::vector<Advisory> records;
      for (const auto& [source, id] : *keys) {
        // The tracker importers (Debian lists, Alpine secdb, Wolfi) never store CVSS, and
        // their words are not borrowed: no need to read them (a CVE is in every Alpine release).
        if (source_rank(source) == 0) continue;
        auto a = store_.get(source, id);
        if (!a) return std::unexpected(a.error());
        if (!*a || !(*a)->withdrawn.empty()) continue;
        if ((*a)->cvss.empty() && (distribution_source(source) || !severity_from_word((*a)->severity))) continue;
        (*a)->affected.clear();
        records.push_back(std::move(**a));
      }
      it = alias_records_.emplace(name, std::move(records)).first;
    }
    for (const auto& a : it->second) {
      if (seen.emplace(a.source, a.id).second) candidates.push_back({a, name});
    }
  }
  // A CVSS vector first (the newest CVSS version, then the highest score); GitHub's
  // reviewed records before other aggregators when they tie; then a severity word.
  std::stable_sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
    const int ra = source_rank(a.advisory.source), rb = source_rank(b.advisory.source);
    if (ra != rb) return ra < rb;
    if (a.advisory.source != b.advisory.source) return a.advisory.source < b.advisory.source;
    return a.advisory.id < b.advisory.id;
  });
  std::optional<cvss::BaseScore> best;
  const Candidate* best_from = nullptr;
  for (const auto& c : candidates) {
    for (const auto& v : c.advisory.cvss) {
      auto s = cvss::base_score(v);
      if (!s) continue;
      if (!best || s->version > best->version || (s->version == best->version && s->score > best->score)) {
        best = *s;
        best_from = &c;
      }
    }
  }
  auto via = [](const Candidate& c) { return c.via == c.advisory.id ? std::string() : "; alias " + c.via; };
  if (best) {
    std::set<std::string> present;
    for (const auto& existing : ref.cvss) present.insert(existing.vector);
    for (const auto& v : best_from->advisory.cvss) {
      auto s = cvss::base_score(v);
      if (s && present.insert(v).second) ref.cvss.push_back({s->version, v, s->score});
    }
    f.severity = cvss::severity_of(*best);
    ref.severity_source = fmt::format("CVSS:{} from {} ({}{})", best->version, best_from->advisory.id,
                                      best_from->advisory.source, via(*best_from));
    return {};
  }
  for (const auto& c : candidates) {
    if (distribution_source(c.advisory.source)) continue;
    if (auto s = severity_from_word(c.advisory.severity)) {
      f.severity = *s;
      ref.severity_source =
          fmt::format("\"{}\" from {} ({}{})", c.advisory.severity, c.advisory.id, c.advisory.source, via(c));
      return {};
    }
  }
  return {};
}

Result<std::vector<core::Finding>> Matcher::match(const core::Package& package, const core::OsInfo& os,
                                                  const core::Target& target, core::Diagnostics& diags) {
  std::vector<core::Finding> out;
  const auto coverage = query_for(package, os);
  if (!coverage.query) return out;
  const Query& q = *coverage.query;
  if (q.package.empty() || q.version.empty()) return out;
  auto hits_or = store_.lookup(q.ecosystem, q.package);
  if (!hits_or) return std::unexpected(hits_or.error());
  const auto& rows = *hits_or;
  std::vector<Hit> hits;
  bool reported = false;
  std::set<std::pair<std::string, std::string>> taken;
  auto evaluate = [&](const Query& query, const std::vector<db::LookupHit>& found, bool second) {
    Evaluator ev(query);
    for (const auto& row : found) {
      if (second && taken.contains({row.advisory.source, row.advisory.id})) continue;
      auto h = ev.evaluate(row.advisory, row.affected);
      if (!h) {
        if (!reported) {
          diags.warning("version-not-comparable", package.path,
                        fmt::format("{} {}: {} (advisory {}); this advisory is not matched", package.name,
                                    util::printable(query.version), h.error().message, row.advisory.id));
          reported = true;
        }
        continue;
      }
      if (*h) {
        hits.push_back(**h);
        taken.emplace(row.advisory.source, row.advisory.id);
      }
    }
  };
  evaluate(q, rows, false);
  // The same package in further ecosystems (Ubuntu Pro).
  std::vector<std::vector<db::LookupHit>> extra_rows;
  for (const auto& eco : q.extra_ecosystems) {
    auto extra = store_.lookup(eco, q.package);
    if (!extra) return std::unexpected(extra.error());
    extra_rows.push_back(std::move(*extra));
  }
  for (const auto& found : extra_rows) evaluate(q, found, true);
  // rpm: advisories keyed by the source RPM (evaluated with the source EVR).
  std::vector<db::LookupHit> alt_rows;
  if (!q.alt_package.empty()) {
    auto alt = store_.lookup(q.ecosystem, q.alt_package);
    if (!alt) return std::unexpected(alt.error());
    alt_rows = std::move(*alt);
    Query aq = q;
    aq.package = q.alt_package;
    aq.version = q.alt_version;
    evaluate(aq, alt_rows, true);
  }
  // Pointers into rows stay valid: rows lives until the end of this function.
  for (const auto& group : group_hits(hits)) {
    std::vector<const Hit*> members;
    std::set<std::pair<std::string, std::string>> own;
    for (auto i : group) {
      members.push_back(&hits[i]);
      own.emplace(hits[i].advisory->source, hits[i].advisory->id);
    }
    out.push_back(make_finding(members, package, q, target));
    if (auto s = severity_from_aliases(out.back(), own); !s) return std::unexpected(s.error());
  }
  std::sort(out.begin(), out.end(), [](const core::Finding& a, const core::Finding& b) { return a.id < b.id; });
  return out;
}

Result<MatchStats> Matcher::match_all(core::ScanResult& result, core::Diagnostics& diags) {
  MatchStats stats;
  core::VulnCoverage coverage_out;
  std::map<std::string, core::CoverageGap> gaps;
  auto gap = [&](const core::Package& p, const std::string& reason, const std::string& ecosystem) {
    ++stats.uncovered[reason];
    auto& g = gaps[reason];
    g.reason = reason;
    g.ecosystem = ecosystem;
    ++g.packages;
    g.os = p.ecosystem == core::Ecosystem::deb || p.ecosystem == core::Ecosystem::apk ||
           p.ecosystem == core::Ecosystem::rpm;
    g.counts = p.ecosystem != core::Ecosystem::unknown;
  };
  for (const auto& p : result.packages) {
    ++stats.packages;
    const auto coverage = query_for(p, result.os);
    if (!coverage.query) {
      gap(p, coverage.gap, {});
      continue;
    }
    auto known = ecosystem_known_.find(coverage.query->ecosystem);
    if (known == ecosystem_known_.end()) {
      auto has = store_.has_ecosystem(coverage.query->ecosystem);
      if (!has) return std::unexpected(has.error());
      bool any = *has;
      for (const auto& eco : coverage.query->extra_ecosystems) {
        if (any) break;
        auto extra = store_.has_ecosystem(eco);
        if (!extra) return std::unexpected(extra.error());
        any = *extra;
      }
      known = ecosystem_known_.emplace(coverage.query->ecosystem, any).first;
    }
    if (!known->second) {
      gap(p, fmt::format("the database has no advisories for ecosystem {}", coverage.query->ecosystem),
          coverage.query->ecosystem);
      continue;
    }
    ++coverage_out.checked;
    auto findings = match(p, result.os, result.target, diags);
    if (!findings) return std::unexpected(findings.error());
    if (!findings->empty()) ++stats.matched_packages;
    stats.findings += findings->size();
    for (auto& f : *findings) result.findings.push_back(std::move(f));
  }
  for (const auto& [reason, count] : stats.uncovered) {
    diags.warning("not-matched", "", fmt::format("{} package{} not matched: {}", count, count == 1 ? "" : "s", reason));
  }
  coverage_out.packages = stats.packages;
  // OS packages first, then by reason.
  for (const bool os : {true, false}) {
    for (auto& [reason, g] : gaps) {
      if (g.os == os) coverage_out.gaps.push_back(g);
    }
  }
  stats.coverage = std::move(coverage_out);
  return stats;
}

}  // namespace bulwark::vuln::match
