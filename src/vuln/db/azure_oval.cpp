// Azure Linux and CBL-Mariner OVAL (github.com/microsoft/AzureLinuxVulnerabilityData:
// azurelinux-3.0-oval.xml, cbl-mariner-1.0-oval.xml, cbl-mariner-2.0-oval.xml). Microsoft writes one
// <definition> per CVE and package: its CVE <reference>, <patchable>, <severity>, and one criterion
// whose rpminfo test pairs the package (object <name>) with a state <evr>:
//   operation "less than" 0:2.6.7-3.azl3          -> fixed at 2.6.7-3.azl3
//   operation "less than or equal" 0:6.04-10.cm2  -> unfixed, affected up to that EVR (last_affected)
//   <patchable>Not Applicable</patchable>         -> not affected
// The release comes from the EVR's dist tag (".azl3" -> "Azure Linux:3", ".cm2" -> "CBL-Mariner:2"),
// else from the file name. One advisory per CVE and release (source "azurelinux:<N>" or
// "cbl-mariner:<N>", as every release repeats the same CVE ids), one affected entry per package.
// Definitions of the same CVE and package (Microsoft keeps older ones) fold as OVAL's OR does: the
// highest fixed EVR, the highest affected EVR, and affected wins over "Not Applicable".
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>

#include "util/strings.hpp"
#include "vuln/db/parsers.hpp"
#include "vuln/db/xml_nodes.hpp"
#include "vuln/version/version.hpp"

namespace bulwark::vuln::db {
namespace {

using xml::attr;
using xml::child;
using xml::named;
using xml::text;

constexpr std::size_t kMaxField = 256;  // package names and EVRs; real ones stay below 80
constexpr int kMaxCriteriaDepth = 32;

struct Test {
  std::string object;
  std::string state;
};
struct State {
  std::string operation;
  std::string evr;
};

// What the definitions of one CVE say about one package, folded.
struct Fold {
  std::string fixed;          // highest "less than" EVR
  std::string last_affected;  // highest "less than or equal" EVR
  bool not_applicable = false;
};

struct Entry {
  Advisory advisory;
  std::vector<std::string> packages;  // in order of appearance
  std::map<std::string, Fold> folds;
  std::vector<std::string> titles;
};

// A field quoted in a message, cut to a readable length.
std::string clip(std::string_view s) {
  if (s.size() <= kMaxField) return std::string(s);
  std::size_t n = kMaxField;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;  // not inside a UTF-8 sequence
  return std::string(s.substr(0, n)) + "…";
}

bool plain_token(std::string_view s) {
  return !s.empty() && s.size() <= kMaxField && s.find_first_of(" \t\r\n") == std::string_view::npos;
}

int line_of(xmlNode* n) {
  return static_cast<int>(xmlGetLineNo(n));
}

// "0:2.6.7-3.azl3" -> "Azure Linux:3"; "1.2-4.cm2" -> "CBL-Mariner:2"; empty without a known tag.
std::string ecosystem_of_evr(std::string_view evr) {
  const auto dash = evr.rfind('-');
  if (dash == std::string_view::npos) return {};
  const auto release = evr.substr(dash + 1);
  const auto dot = release.rfind('.');
  if (dot == std::string_view::npos) return {};
  const auto tag = release.substr(dot + 1);
  auto digits = [](std::string_view d) {
    return !d.empty() && d.size() <= 4 && d.find_first_not_of("0123456789") == std::string_view::npos;
  };
  if (tag.starts_with("azl") && digits(tag.substr(3))) return "Azure Linux:" + std::string(tag.substr(3));
  if (tag.starts_with("cm") && digits(tag.substr(2))) return "CBL-Mariner:" + std::string(tag.substr(2));
  return {};
}

std::string source_of(std::string_view ecosystem) {
  const auto colon = ecosystem.find(':');
  const auto release = ecosystem.substr(colon + 1);
  return (ecosystem.starts_with("Azure Linux:") ? "azurelinux:" : "cbl-mariner:") + std::string(release);
}

int severity_rank(std::string_view word) {
  const auto w = util::to_lower(word);
  if (w == "critical") return 4;
  if (w == "high") return 3;
  if (w == "medium") return 2;
  if (w == "low") return 1;
  return 0;
}

// a > b by rpm's rules; a string compare when rpm cannot tell (never for real EVRs).
bool evr_greater(std::string_view a, std::string_view b) {
  if (b.empty()) return true;
  const auto c = version::compare(version::Scheme::rpm, a, b);
  return c ? *c > 0 : a > b;
}

// Microsoft wrote a few EVRs as "0: 1.20.10-1.cm2": the blanks after the epoch's colon go.
bool drop_blanks_after_epoch(std::string& evr) {
  const auto colon = evr.find(':');
  if (colon == 0 || colon == std::string::npos || colon > 10) return false;
  if (evr.find_first_not_of("0123456789") != colon) return false;
  const auto next = evr.find_first_not_of(" \t", colon + 1);
  if (next == colon + 1 || next == std::string::npos) return false;
  evr.erase(colon + 1, next - colon - 1);
  return true;
}

std::string strip_zero_epoch(std::string evr) {
  if (evr.starts_with("0:")) evr.erase(0, 2);  // epoch 0 is the rpm default
  return evr;
}

class Reader {
 public:
  Reader(ParseLog& log) : log_(log), file_ecosystem_(azure_oval_ecosystem(log.file())) {}

  std::vector<Advisory> read(xmlNode* root) {
    index(root);
    xmlNode* defs = child(root, "definitions");
    if (defs == nullptr) {
      log_.unreadable("an OVAL document without <definitions>");
      return {};
    }
    for (xmlNode* d = defs->children; d != nullptr; d = d->next) {
      if (named(d, "definition")) definition(d);
    }
    return finish();
  }

 private:
  ParseLog& log_;
  std::string file_ecosystem_;
  std::map<std::string, Test> tests_;
  std::map<std::string, std::string> objects_;
  std::map<std::string, State> states_;
  std::map<std::pair<std::string, std::string>, std::size_t> at_;  // (ecosystem, CVE) -> entries_
  std::vector<Entry> entries_;

  void index(xmlNode* root) {
    if (xmlNode* tests = child(root, "tests")) {
      for (xmlNode* t = tests->children; t != nullptr; t = t->next) {
        if (!named(t, "rpminfo_test")) continue;
        Test v;
        if (xmlNode* o = child(t, "object")) v.object = attr(o, "object_ref");
        if (xmlNode* s = child(t, "state")) v.state = attr(s, "state_ref");
        tests_.try_emplace(attr(t, "id"), std::move(v));
      }
    }
    if (xmlNode* objects = child(root, "objects")) {
      for (xmlNode* o = objects->children; o != nullptr; o = o->next) {
        if (!named(o, "rpminfo_object")) continue;
        xmlNode* n = child(o, "name");
        objects_.try_emplace(attr(o, "id"), n ? text(n) : std::string());
      }
    }
    if (xmlNode* states = child(root, "states")) {
      for (xmlNode* s = states->children; s != nullptr; s = s->next) {
        if (!named(s, "rpminfo_state")) continue;
        State v;
        if (xmlNode* e = child(s, "evr")) {
          v.operation = attr(e, "operation");
          v.evr = text(e);
        }
        states_.try_emplace(attr(s, "id"), std::move(v));
      }
    }
  }

  struct Meta {
    std::string id;  // the definition's OVAL id, for messages
    std::string cve;
    std::string url;
    std::string title;
    std::string patchable;
    std::string severity;
    std::string date;
    int line = 0;
  };

  void definition(xmlNode* d) {
    Meta m;
    m.id = attr(d, "id");
    m.line = line_of(d);
    xmlNode* meta = child(d, "metadata");
    for (xmlNode* c = meta ? meta->children : nullptr; c != nullptr; c = c->next) {
      if (named(c, "title")) {
        m.title = text(c);
      } else if (named(c, "reference")) {
        if (attr(c, "source") == "CVE" && m.cve.empty()) {
          m.cve = attr(c, "ref_id");
          m.url = attr(c, "ref_url");
        }
      } else if (named(c, "patchable")) {
        m.patchable = text(c);
      } else if (named(c, "severity")) {
        m.severity = text(c);
      } else if (named(c, "advisory_date")) {
        m.date = text(c);
      }
    }
    const std::string item = m.id.empty() ? "definition" : m.id;
    if (m.cve.empty() && m.title.starts_with("CVE-")) m.cve = m.title.substr(0, m.title.find(' '));
    if (!m.cve.starts_with("CVE-") || !plain_token(m.cve)) {
      log_.reject(item, "a definition without a CVE reference", m.line);
      return;
    }
    xmlNode* criteria = child(d, "criteria");
    if (criteria == nullptr) {
      log_.reject(m.cve, fmt::format("{}: a definition without criteria", item), m.line);
      return;
    }
    std::size_t used = 0;
    walk(criteria, m, 0, used);
    if (used == 0) log_.reject(m.cve, fmt::format("{}: no criterion names a package and an EVR", item), m.line);
  }

  void walk(xmlNode* node, const Meta& m, int depth, std::size_t& used) {
    if (depth > kMaxCriteriaDepth) {
      log_.warn(m.cve, "criteria-too-deep", "criteria nested deeper than 32 levels; the rest is not read", m.line);
      return;
    }
    for (xmlNode* c = node->children; c != nullptr; c = c->next) {
      if (named(c, "criteria")) {
        walk(c, m, depth + 1, used);
      } else if (named(c, "criterion")) {
        if (criterion(c, m)) ++used;
      }
    }
  }

  bool criterion(xmlNode* c, const Meta& m) {
    const auto ref = attr(c, "test_ref");
    const int line = line_of(c);
    const auto t = tests_.find(ref);
    if (t == tests_.end()) {
      log_.warn(m.cve, "unknown-test",
                fmt::format("criterion names test \"{}\", which is not an rpminfo_test here", clip(ref)), line);
      return false;
    }
    const auto o = objects_.find(t->second.object);
    const auto s = states_.find(t->second.state);
    if (o == objects_.end() || s == states_.end()) {
      log_.warn(m.cve, "unknown-test",
                fmt::format("test \"{}\" names an object or state that does not exist", clip(ref)), line);
      return false;
    }
    const auto& package = o->second;
    State st = s->second;
    if (drop_blanks_after_epoch(st.evr)) log_.count("azure-oval.blank-after-epoch");
    if (!plain_token(package) || !plain_token(st.evr)) {
      log_.warn(m.cve, "bad-criterion",
                fmt::format("test \"{}\": package \"{}\" / EVR \"{}\" is not a name and an EVR", clip(ref),
                            clip(package), clip(st.evr)),
                line);
      return false;
    }
    const bool less = st.operation == "less than";
    const bool less_equal = st.operation == "less than or equal";
    if (!less && !less_equal) {
      log_.warn(m.cve, "bad-operation",
                fmt::format("{} {}: EVR operation \"{}\" is neither \"less than\" nor \"less than or equal\"", package,
                            st.evr, clip(st.operation)),
                line);
      return false;
    }
    std::string ecosystem = ecosystem_of_evr(st.evr);
    if (ecosystem.empty()) ecosystem = file_ecosystem_;
    if (ecosystem.empty()) {
      log_.warn(m.cve, "no-release",
                fmt::format("{} {}: the EVR has no .azl<N>/.cm<N> tag and the file name no release "
                            "(azurelinux-<N>-oval.xml, cbl-mariner-<N>-oval.xml); dropped",
                            package, st.evr),
                line);
      return false;
    }
    auto [it, first] = at_.try_emplace({ecosystem, m.cve}, entries_.size());
    if (first) {
      Entry e;
      e.advisory.source = source_of(ecosystem);
      e.advisory.id = m.cve;
      entries_.push_back(std::move(e));
    }
    Entry& e = entries_[it->second];
    Advisory& a = e.advisory;
    if (severity_rank(m.severity) > severity_rank(a.severity)) a.severity = m.severity;
    if (!m.date.empty()) {
      if (a.published.empty() || m.date < a.published) a.published = m.date;
      if (m.date > a.modified) a.modified = m.date;
    }
    if (!m.url.empty() &&
        std::none_of(a.references.begin(), a.references.end(), [&](const Reference& r) { return r.url == m.url; }))
      a.references.push_back({"WEB", m.url});
    if (!m.title.empty() && e.titles.size() < 2) e.titles.push_back(m.title);
    auto [f, new_package] = e.folds.try_emplace(package);
    if (new_package) e.packages.push_back(package);
    Fold& fold = f->second;
    auto evr = strip_zero_epoch(std::move(st.evr));
    if (util::to_lower(m.patchable) == "not applicable") {
      fold.not_applicable = true;
      log_.count("azure-oval.not-applicable");
    } else if (less) {
      if (evr_greater(evr, fold.fixed)) fold.fixed = std::move(evr);
    } else if (evr_greater(evr, fold.last_affected)) {
      fold.last_affected = std::move(evr);
    }
    return true;
  }

  std::vector<Advisory> finish() {
    std::vector<Advisory> out;
    out.reserve(entries_.size());
    for (auto& e : entries_) {
      Advisory& a = e.advisory;
      for (const auto& package : e.packages) {
        const Fold& f = e.folds.at(package);
        Affected af;
        af.ecosystem = ecosystem_from_source(a.source);
        af.package = package;
        Range r;
        r.events.push_back({EventKind::introduced, "0"});
        if (!f.fixed.empty() && (f.last_affected.empty() || evr_greater(f.fixed, f.last_affected))) {
          // Below the fix is affected; "up to X" below it adds nothing.
          af.state = VendorState::fixed;
          r.events.push_back({EventKind::fixed, f.fixed});
          af.ranges.push_back(std::move(r));
        } else if (!f.last_affected.empty()) {
          af.state = VendorState::unfixed;
          af.note = "no patch is available (patchable: false)";
          r.events.push_back({EventKind::last_affected, f.last_affected});
          af.ranges.push_back(std::move(r));
        } else {
          af.state = VendorState::not_affected;
          af.note = "Not Applicable";
        }
        a.affected.push_back(std::move(af));
      }
      if (e.packages.size() == 1 && !e.titles.empty()) {
        a.summary = e.titles.front();
      } else {
        a.summary = fmt::format("{} affecting packages {}", a.id, util::join(e.packages, ", "));
      }
      out.push_back(std::move(a));
    }
    log_.count("records", out.size());
    return out;
  }

  static std::string ecosystem_from_source(std::string_view source) {
    const auto colon = source.find(':');
    const auto release = std::string(source.substr(colon + 1));
    return source.starts_with("azurelinux:") ? "Azure Linux:" + release : "CBL-Mariner:" + release;
  }
};

}  // namespace

std::string azure_oval_ecosystem(std::string_view file_name) {
  const auto slash = file_name.find_last_of("/!");
  if (slash != std::string_view::npos) file_name.remove_prefix(slash + 1);
  std::string_view family;
  if (file_name.starts_with("azurelinux-")) {
    family = "Azure Linux:";
    file_name.remove_prefix(11);
  } else if (file_name.starts_with("cbl-mariner-")) {
    family = "CBL-Mariner:";
    file_name.remove_prefix(12);
  } else {
    return {};
  }
  // "3.0-oval.xml" -> "3"
  const auto end = file_name.find('-');
  if (end == std::string_view::npos || file_name.substr(end) != "-oval.xml") return {};
  const auto release = file_name.substr(0, end);
  const auto major = release.substr(0, release.find('.'));
  if (major.empty() || major.size() > 4 || release.find_first_not_of("0123456789.") != std::string_view::npos)
    return {};
  return std::string(family) + std::string(major);
}

std::vector<Advisory> parse_azure_oval(std::string_view content, ParseLog& log) {
  auto doc = xml::read(content, log);
  if (!doc) return {};
  xmlNode* root = xmlDocGetRootElement(doc.get());
  if (root == nullptr || !named(root, "oval_definitions")) {
    log.unreadable("not an OVAL document (no <oval_definitions> root)");
    return {};
  }
  Reader reader(log);
  return reader.read(root);
}

}  // namespace bulwark::vuln::db
