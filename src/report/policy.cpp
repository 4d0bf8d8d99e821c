// Policy: severity filter, --ignore-unfixed, ignore files and OpenVEX (policy.hpp).
#include "report/policy.hpp"

#include <fnmatch.h>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <optional>

#include "core/purl.hpp"
#include "util/files.hpp"
#include "util/json_depth.hpp"
#include "util/strings.hpp"

namespace bulwark::report {

namespace {

constexpr std::uint64_t kMaxPolicyFileBytes = 64ULL << 20;
constexpr std::uint32_t kMaxJsonDepth = 64;

// ---------------------------------------------------------------- matching helpers

bool names_vulnerability(const core::Finding& f, std::string_view name) {
  if (name.empty()) return false;
  if (util::iequals(f.id, name)) return true;
  if (!f.vulnerability) return false;
  if (util::iequals(f.vulnerability->id, name)) return true;
  return std::any_of(f.vulnerability->aliases.begin(), f.vulnerability->aliases.end(),
                     [&](const std::string& a) { return util::iequals(a, name); });
}

// A purl pattern matches a purl when type, namespace and name agree and every part
// the pattern states (version, qualifiers, subpath) agrees too: "pkg:deb/debian/libc6"
// matches every libc6, "pkg:deb/debian/libc6@2.36-9?arch=amd64" only that build.
bool purl_matches(std::string_view pattern, std::string_view candidate) {
  if (pattern.empty() || candidate.empty()) return false;
  auto p = core::parse_purl(pattern);
  auto c = core::parse_purl(candidate);
  if (!p || !c) return pattern == candidate;
  if (!util::iequals(p->type, c->type) || p->namespace_ != c->namespace_) return false;
  bool case_blind = p->type == "pypi" || p->type == "npm" || p->type == "deb" || p->type == "apk";
  if (case_blind ? !util::iequals(p->name, c->name) : p->name != c->name) return false;
  if (!p->version.empty() && p->version != c->version) return false;
  for (const auto& [key, value] : p->qualifiers) {
    auto it = c->qualifiers.find(key);
    if (it == c->qualifiers.end() || it->second != value) return false;
  }
  return p->subpath.empty() || p->subpath == c->subpath;
}

std::string digest_part(std::string_view s) {
  auto at = s.rfind('@');
  return std::string(at == std::string_view::npos ? s : s.substr(at + 1));
}

// "registry:5000/team/app:1.0" -> "app"
std::string repository_basename(std::string_view ref) {
  if (auto at = ref.find('@'); at != std::string_view::npos) ref = ref.substr(0, at);
  auto slash = ref.rfind('/');
  auto colon = ref.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) ref = ref.substr(0, colon);
  if (slash != std::string_view::npos) ref = ref.substr(slash + 1);
  return std::string(ref);
}

// Does a VEX product identifier name the scanned image? By the name the user gave,
// the image id, a tag or digest reference, a bare digest, or a pkg:oci purl.
bool names_image(std::string_view id, const core::ScanResult& result) {
  if (id.empty()) return false;
  if (id == result.target.name || (!result.target.id.empty() && id == result.target.id)) return true;
  if (!result.image) return false;
  const auto& image = *result.image;
  std::vector<std::string> digests;
  for (const auto& d : {image.config_digest, image.manifest_digest}) {
    if (!d.empty()) digests.push_back(d);
  }
  for (const auto& rd : image.repo_digests) digests.push_back(digest_part(rd));
  if (id == image.reference) return true;
  if (std::find(image.repo_tags.begin(), image.repo_tags.end(), id) != image.repo_tags.end()) return true;
  if (std::find(image.repo_digests.begin(), image.repo_digests.end(), id) != image.repo_digests.end()) return true;
  if (id.starts_with("pkg:oci/")) {
    auto purl = core::parse_purl(id);
    if (!purl) return false;
    if (!purl->version.empty()) {
      return std::find(digests.begin(), digests.end(), purl->version) != digests.end();
    }
    for (const auto& tag : image.repo_tags) {
      if (repository_basename(tag) != purl->name) continue;
      auto t = purl->qualifiers.find("tag");
      if (t == purl->qualifiers.end() || tag.ends_with(":" + t->second)) return true;
    }
    return false;
  }
  // "sha256:..." alone or "repo@sha256:..."
  std::string d = digest_part(id);
  return d.find(':') != std::string::npos && std::find(digests.begin(), digests.end(), d) != digests.end();
}

bool names_package(std::string_view id, const core::Finding& f) {
  return f.package && !f.package->purl.empty() && purl_matches(id, f.package->purl);
}

// ---------------------------------------------------------------- ignore files

bool valid_date(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  int month = (s[5] - '0') * 10 + (s[6] - '0');
  int day = (s[8] - '0') * 10 + (s[9] - '0');
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

// An ignore file's text; path names it in entries and messages (a file, or an in-memory document).
Result<std::vector<IgnoreEntry>> parse_ignore_text(const std::string& path, const std::string& text) {
  if (text.size() > kMaxPolicyFileBytes) return fail(ErrorCode::limit, "larger than 64 MiB", "ignore file " + path);
  if (detect_ignore_format(path, text) == IgnoreFormat::trivyignore) return parse_trivyignore(text, path);
  std::vector<IgnoreEntry> entries;
  auto where = [&](const YAML::Node& n) { return fmt::format("{}:{}", path, n.Mark().line + 1); };
  try {
    YAML::Node doc = YAML::Load(text);
    std::vector<YAML::Node> lists;
    if (doc.IsNull()) return entries;  // an empty file ignores nothing
    if (doc.IsSequence()) {
      lists.push_back(doc);
    } else if (doc.IsMap()) {
      // bulwark's "ignore", or Trivy's .trivyignore.yaml sections (all kinds of finding alike).
      for (const auto& kv : doc) {
        auto key = kv.first.as<std::string>();
        if (key != "ignore" && key != "vulnerabilities" && key != "misconfigurations" && key != "secrets" &&
            key != "licenses") {
          return fail(ErrorCode::parse,
                      fmt::format("unknown key \"{}\" (expected \"ignore\", or Trivy's \"vulnerabilities\", "
                                  "\"misconfigurations\", \"secrets\", \"licenses\")",
                                  key),
                      where(kv.first));
        }
        if (!kv.second || kv.second.IsNull()) continue;
        if (!kv.second.IsSequence())
          return fail(ErrorCode::parse, fmt::format("\"{}\" must be a list of entries", key), where(kv.second));
        lists.push_back(kv.second);
      }
    } else {
      return fail(ErrorCode::parse, "expected a mapping with an \"ignore\" list", path);
    }
    for (const auto& list : lists) {
      for (const auto& item : list) {
        if (!item.IsMap())
          return fail(ErrorCode::parse, "an ignore entry must be a mapping with at least \"id\"", where(item));
        IgnoreEntry e;
        e.file = path;
        e.line = item.Mark().line + 1;
        std::vector<std::string> purls;
        for (const auto& kv : item) {
          auto key = kv.first.as<std::string>();
          if (key == "purls" || key == "paths") {  // Trivy: lists
            if (!kv.second.IsSequence())
              return fail(ErrorCode::parse, fmt::format("\"{}\" must be a list", key), where(kv.second));
            for (const auto& v : kv.second) {
              if (!v.IsScalar() || v.as<std::string>().empty())
                return fail(ErrorCode::parse, fmt::format("\"{}\" must list strings", key), where(v));
              (key == "purls" ? purls : e.paths).push_back(v.as<std::string>());
            }
            continue;
          }
          if (!kv.second.IsScalar())
            return fail(ErrorCode::parse, fmt::format("\"{}\" must be a single value", key), where(kv.second));
          auto value = kv.second.as<std::string>();
          if (key == "id") {
            e.id = value;
          } else if (key == "package" || key == "purl") {
            e.package = value;
          } else if (key == "reason" || key == "statement") {
            e.reason = value;
          } else if (key == "expires" || key == "expired_at") {
            if (!valid_date(value)) {
              return fail(ErrorCode::parse, fmt::format("expires \"{}\" is not a date YYYY-MM-DD", value),
                          where(kv.second));
            }
            e.expires = value;
          } else {
            return fail(ErrorCode::parse,
                        fmt::format("unknown key \"{}\" in an ignore entry (known: id, package, purl, purls, paths, "
                                    "reason, statement, expires, expired_at)",
                                    key),
                        where(kv.first));
          }
        }
        if (e.id.empty()) return fail(ErrorCode::parse, "an ignore entry needs an \"id\"", where(item));
        if (!purls.empty() && !e.package.empty())
          return fail(ErrorCode::parse, "give either \"purls\" or \"package\"/\"purl\", not both", where(item));
        if (purls.empty()) {
          entries.push_back(std::move(e));
        } else {
          for (auto& purl : purls) {  // any of them
            auto one = e;
            one.package = std::move(purl);
            entries.push_back(std::move(one));
          }
        }
      }
    }
  } catch (const YAML::Exception& ex) {
    return fail(ErrorCode::parse, ex.what(), "ignore file " + path);
  }
  return entries;
}

Result<std::vector<IgnoreEntry>> load_ignore_file(const std::string& path) {
  auto text = util::read_file(path, kMaxPolicyFileBytes);
  if (!text) return fail(text.error().code, text.error().message, "ignore file " + path);
  return parse_ignore_text(path, *text);
}

// Trivy names a check by its AVD id ("AVD-KSV-0011") or its short id ("KSV011"):
// the same check when the letters agree and the numbers are equal.
std::optional<std::pair<std::string, int>> trivy_check_key(std::string_view id) {
  std::string compact(id);
  if (compact.size() > 4 && util::iequals(std::string_view(compact).substr(0, 4), "AVD-")) {
    compact.erase(0, 4);  // "KSV-0011" -> "KSV0011"
    std::erase(compact, '-');
  }
  std::string_view s = compact;
  auto digits = s.find_first_of("0123456789");
  if (digits == 0 || digits == std::string_view::npos) return std::nullopt;
  auto number = s.substr(digits);
  if (number.size() > 6 || !std::all_of(number.begin(), number.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  auto letters = s.substr(0, digits);
  if (!std::all_of(letters.begin(), letters.end(), [](char c) { return std::isalpha(static_cast<unsigned char>(c)); }))
    return std::nullopt;
  return std::pair{util::to_lower(letters), std::stoi(std::string(number))};
}

bool names_trivy_check(const core::Finding& f, std::string_view name) {
  for (const auto& standard : f.standards) {
    if (standard.name != "trivy" || standard.id.empty()) continue;
    if (util::iequals(standard.id, name)) return true;
    auto a = trivy_check_key(standard.id);
    if (a && a == trivy_check_key(name)) return true;
  }
  return false;
}

// Trivy's "paths": glob patterns over the finding's file (a lock file, a Dockerfile, the
// package database), with or without a leading "/". "*" stays within a path segment; a
// pattern with "**" lets every "*" cross segments (a slightly wider match than Trivy's).
bool path_matches(const std::vector<std::string>& patterns, const core::Finding& f) {
  std::string_view p = f.location.path;
  while (p.starts_with('/')) p.remove_prefix(1);
  if (p.empty()) return false;
  const std::string file(p);
  for (std::string_view pattern : patterns) {
    while (pattern.starts_with('/')) pattern.remove_prefix(1);
    const std::string pat(pattern);
    const int flags = pat.find("**") == std::string::npos ? FNM_PATHNAME : 0;
    if (pat == file || ::fnmatch(pat.c_str(), file.c_str(), flags) == 0) return true;
  }
  return false;
}

bool ignore_matches(const IgnoreEntry& e, const core::Finding& f) {
  if (!names_vulnerability(f, e.id) && !names_trivy_check(f, e.id)) return false;
  if (!e.paths.empty() && !path_matches(e.paths, f)) return false;
  if (e.package.empty()) return true;
  if (!f.package) return false;
  if (e.package.starts_with("pkg:")) return names_package(e.package, f);
  return e.package == f.package->name || e.package == f.package->source_name;
}

// ---------------------------------------------------------------- OpenVEX

enum class VexStatus { not_affected, affected, fixed, under_investigation };

struct VexProduct {
  std::vector<std::string> ids;            // @id and every identifiers value
  std::vector<std::string> subcomponents;  // ditto, flattened
};

struct VexStatement {
  std::vector<std::string> vulnerabilities;  // name, @id and aliases
  std::vector<VexProduct> products;
  VexStatus status = VexStatus::under_investigation;
  std::string status_text;
  std::string justification;
  std::string impact;
  std::string timestamp;
  std::string file;
  std::size_t order = 0;  // file order, then position: ties on timestamp keep document order
  bool usable = true;
};

using Json = nlohmann::json;

std::string string_at(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::vector<std::string> component_ids(const Json& j) {
  std::vector<std::string> ids;
  if (j.is_string()) {
    ids.push_back(j.get<std::string>());
    return ids;
  }
  if (!j.is_object()) return ids;
  if (auto id = string_at(j, "@id"); !id.empty()) ids.push_back(id);
  if (auto it = j.find("identifiers"); it != j.end() && it->is_object()) {
    for (const auto& [k, v] : it->items()) {
      if (v.is_string()) ids.push_back(v.get<std::string>());
    }
  }
  return ids;
}

// A VEX document's text; path names it in statements and messages (a file, or an in-memory document).
Result<std::vector<VexStatement>> parse_vex_text(const std::string& path, const std::string& text, std::size_t& order,
                                                 std::vector<std::string>& warnings) {
  if (text.size() > kMaxPolicyFileBytes) return fail(ErrorCode::limit, "larger than 64 MiB", "VEX document " + path);
  if (util::json_depth(text, kMaxJsonDepth + 1) > kMaxJsonDepth) {
    return fail(ErrorCode::limit, fmt::format("nested deeper than {} levels", kMaxJsonDepth), "VEX document " + path);
  }
  Json doc = Json::parse(text, nullptr, false);
  if (doc.is_discarded()) return fail(ErrorCode::parse, "not valid JSON", "VEX document " + path);
  if (!doc.is_object() || !string_at(doc, "@context").starts_with("https://openvex.dev/ns")) {
    return fail(ErrorCode::parse, "not an OpenVEX document (no \"@context\": \"https://openvex.dev/ns/...\")",
                "VEX document " + path);
  }
  auto statements = doc.find("statements");
  if (statements == doc.end() || !statements->is_array()) {
    return fail(ErrorCode::parse, "\"statements\" must be an array", "VEX document " + path);
  }
  std::string doc_time = string_at(doc, "timestamp");
  std::vector<VexStatement> out;
  std::size_t index = 0;
  for (const auto& s : *statements) {
    auto where = fmt::format("VEX document {}: statements[{}]", path, index++);
    if (!s.is_object()) return fail(ErrorCode::parse, "a statement must be an object", where);
    VexStatement st;
    st.file = path;
    st.order = order++;
    auto v = s.find("vulnerability");
    if (v == s.end()) return fail(ErrorCode::parse, "no \"vulnerability\"", where);
    if (v->is_string()) {  // OpenVEX before v0.2.0
      st.vulnerabilities.push_back(v->get<std::string>());
    } else if (v->is_object()) {
      for (const char* key : {"name", "@id"}) {
        if (auto name = string_at(*v, key); !name.empty()) st.vulnerabilities.push_back(name);
      }
      if (auto a = v->find("aliases"); a != v->end() && a->is_array()) {
        for (const auto& alias : *a) {
          if (alias.is_string()) st.vulnerabilities.push_back(alias.get<std::string>());
        }
      }
    }
    if (st.vulnerabilities.empty()) return fail(ErrorCode::parse, "the vulnerability has no name", where);
    auto products = s.find("products");
    if (products == s.end() || !products->is_array())
      return fail(ErrorCode::parse, "\"products\" must be an array", where);
    for (const auto& p : *products) {
      VexProduct product;
      product.ids = component_ids(p);
      if (p.is_object()) {
        if (auto subs = p.find("subcomponents"); subs != p.end() && subs->is_array()) {
          for (const auto& sub : *subs) {
            auto ids = component_ids(sub);
            product.subcomponents.insert(product.subcomponents.end(), ids.begin(), ids.end());
          }
        }
      }
      if (!product.ids.empty()) st.products.push_back(std::move(product));
    }
    st.status_text = string_at(s, "status");
    if (st.status_text == "not_affected") {
      st.status = VexStatus::not_affected;
    } else if (st.status_text == "affected") {
      st.status = VexStatus::affected;
    } else if (st.status_text == "fixed") {
      st.status = VexStatus::fixed;
    } else if (st.status_text == "under_investigation") {
      st.status = VexStatus::under_investigation;
    } else {
      return fail(
          ErrorCode::parse,
          fmt::format("status \"{}\" is not one of not_affected, affected, fixed, under_investigation", st.status_text),
          where);
    }
    st.justification = string_at(s, "justification");
    st.impact = string_at(s, "impact_statement");
    st.timestamp = string_at(s, "timestamp");
    if (st.timestamp.empty()) st.timestamp = doc_time;
    if (st.status == VexStatus::not_affected && st.justification.empty() && st.impact.empty()) {
      // The spec requires one of them; a bare claim is not taken as a reason to hide a finding.
      warnings.push_back(fmt::format("{} ({}): not_affected without justification or impact_statement; not applied",
                                     where, st.vulnerabilities.front()));
      st.usable = false;
    }
    out.push_back(std::move(st));
  }
  return out;
}

Result<std::vector<VexStatement>> load_vex(const std::string& path, std::size_t& order,
                                           std::vector<std::string>& warnings) {
  auto text = util::read_file(path, kMaxPolicyFileBytes);
  if (!text) return fail(text.error().code, text.error().message, "VEX document " + path);
  return parse_vex_text(path, *text, order, warnings);
}

bool vex_applies(const VexStatement& st, const core::Finding& f, const core::ScanResult& result) {
  if (!std::any_of(st.vulnerabilities.begin(), st.vulnerabilities.end(),
                   [&](const std::string& v) { return names_vulnerability(f, v); })) {
    return false;
  }
  for (const auto& product : st.products) {
    for (const auto& id : product.ids) {
      if (names_package(id, f)) return true;
      if (names_image(id, result)) {
        if (product.subcomponents.empty()) return true;
        for (const auto& sub : product.subcomponents) {
          if (names_package(sub, f)) return true;
        }
      }
    }
  }
  return false;
}

bool kept_by_severity(const core::Finding& f, const PolicyOptions& options) {
  if (!options.severities.empty()) {
    return std::find(options.severities.begin(), options.severities.end(), f.severity) != options.severities.end();
  }
  return f.severity >= options.min_severity;
}

bool unfixed(const core::Finding& f) {
  return f.vulnerability && f.vulnerability->fixed_version.empty();
}

}  // namespace

IgnoreFormat detect_ignore_format(std::string_view path, std::string_view text) {
  auto slash = path.find_last_of('/');
  if ((slash == std::string_view::npos ? path : path.substr(slash + 1)) == ".trivyignore")
    return IgnoreFormat::trivyignore;
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  for (auto raw : util::split(text, '\n')) {
    auto line = util::trim(raw);
    if (line.empty() || line.front() == '#') continue;
    if (line.starts_with("---") || line.front() == '-' || line.front() == '{' || line.front() == '[')
      return IgnoreFormat::yaml;
    auto word = line.substr(0, line.find_first_of(" \t"));
    // "ignore:" / "ignore: []": a YAML key; an id followed by exp: is plain.
    return word.ends_with(':') ? IgnoreFormat::yaml : IgnoreFormat::trivyignore;
  }
  return IgnoreFormat::trivyignore;  // nothing but comments: ignores nothing either way
}

Result<std::vector<IgnoreEntry>> parse_trivyignore(std::string_view text, const std::string& path) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  std::vector<IgnoreEntry> entries;
  int number = 0;
  for (auto raw : util::split(text, '\n')) {
    ++number;
    const auto where = fmt::format("{}:{}", path, number);
    std::string_view line = raw;
    if (line.ends_with('\r')) line.remove_suffix(1);
    line = util::trim(line);
    if (line.empty() || line.front() == '#') continue;
    IgnoreEntry e;
    e.file = path;
    e.line = number;
    e.format = IgnoreFormat::trivyignore;
    std::size_t pos = 0;
    bool first = true;
    while (pos < line.size()) {
      auto end = line.find_first_of(" \t", pos);
      if (end == std::string_view::npos) end = line.size();
      auto word = line.substr(pos, end - pos);
      pos = line.find_first_not_of(" \t", end);
      if (pos == std::string_view::npos) pos = line.size();
      if (word.front() == '#') {  // a trailing comment: kept as the reason
        e.reason = std::string(util::trim(line.substr(line.find('#', end - word.size()) + 1)));
        break;
      }
      if (first) {
        first = false;
        if (word.starts_with("exp:")) {
          return fail(ErrorCode::parse,
                      fmt::format("\"{}\" comes before an id (expected: ID [exp:YYYY-MM-DD])", util::printable(word)),
                      where);
        }
        e.id = std::string(word);
        continue;
      }
      if (word.starts_with("exp:")) {
        auto date = word.substr(4);
        if (!valid_date(date)) {
          return fail(ErrorCode::parse,
                      fmt::format("expiry \"{}\" is not a date exp:YYYY-MM-DD", util::printable(word)), where);
        }
        if (!e.expires.empty()) return fail(ErrorCode::parse, "more than one exp: date", where);
        e.expires = std::string(date);
        continue;
      }
      return fail(ErrorCode::parse,
                  fmt::format("unexpected \"{}\" after the id {} (expected: ID [exp:YYYY-MM-DD] [# comment])",
                              util::printable(word), util::printable(e.id)),
                  where);
    }
    entries.push_back(std::move(e));
  }
  return entries;
}

std::string today_utc() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

Result<PolicyOutcome> apply_policy(std::vector<core::ScanResult>& results, const PolicyOptions& options,
                                   const std::string& today) {
  PolicyOutcome outcome;

  // Read everything first: a bad file changes nothing.
  std::vector<IgnoreEntry> ignores;
  std::vector<std::vector<IgnoreEntry>> lists;
  for (const auto& path : options.ignore_files) {
    auto entries = load_ignore_file(path);
    if (!entries) return std::unexpected(entries.error());
    lists.push_back(std::move(*entries));
  }
  for (const auto& d : options.ignore_documents) {
    auto entries = parse_ignore_text(d.name, d.text);
    if (!entries) return std::unexpected(entries.error());
    lists.push_back(std::move(*entries));
  }
  for (auto& list : lists) {
    for (auto& e : list) {
      if (!e.expires.empty() && e.expires < today) {
        outcome.warnings.push_back(fmt::format("{}:{}: the ignore entry for {} expired on {}; it no longer suppresses",
                                               e.file, e.line, e.id, e.expires));
        continue;
      }
      ignores.push_back(std::move(e));
    }
  }
  std::vector<VexStatement> statements;
  std::size_t order = 0;
  for (const auto& path : options.vex_files) {
    auto loaded = load_vex(path, order, outcome.warnings);
    if (!loaded) return std::unexpected(loaded.error());
    for (auto& st : *loaded) statements.push_back(std::move(st));
  }
  for (const auto& d : options.vex_documents) {
    auto loaded = parse_vex_text(d.name, d.text, order, outcome.warnings);
    if (!loaded) return std::unexpected(loaded.error());
    for (auto& st : *loaded) statements.push_back(std::move(st));
  }
  // Later statements supersede earlier ones (by timestamp, then document order).
  std::stable_sort(statements.begin(), statements.end(), [](const VexStatement& a, const VexStatement& b) {
    if (a.timestamp != b.timestamp) return a.timestamp < b.timestamp;
    return a.order < b.order;
  });

  for (auto& result : results) {
    auto& findings = result.findings;
    auto before = findings.size();
    std::erase_if(findings, [&](const core::Finding& f) {
      return !kept_by_severity(f, options) || (options.ignore_unfixed && unfixed(f));
    });
    outcome.dropped += before - findings.size();

    for (auto& f : findings) {
      if (!f.suppression) {
        for (const auto& e : ignores) {
          if (!ignore_matches(e, f)) continue;
          std::string reason;
          if (e.format == IgnoreFormat::trivyignore) {
            reason = fmt::format("ignored by {}:{}", e.file, e.line);
            if (!e.reason.empty()) reason = e.reason + " (" + reason + ")";
          } else {
            reason = e.reason.empty() ? "listed in the ignore file" : e.reason;
          }
          if (!e.expires.empty()) reason += " (until " + e.expires + ")";
          f.suppression = core::Suppression{"ignore-file", reason, "", e.file};
          break;
        }
      }
      if (!f.suppression) {
        const VexStatement* last = nullptr;
        for (const auto& st : statements) {
          if (st.usable && vex_applies(st, f, result)) last = &st;
        }
        if (last && (last->status == VexStatus::not_affected || last->status == VexStatus::fixed)) {
          std::string reason = last->status_text;
          if (!last->impact.empty()) reason += ": " + last->impact;
          f.suppression = core::Suppression{"vex", reason, last->justification, last->file};
        }
      }
      if (f.suppression) {
        ++outcome.suppressed;
        continue;
      }
      if (f.status == core::FindingStatus::pass) continue;
      ++outcome.reported;
      if (fails_policy(f, options)) ++outcome.failing;
    }
  }
  return outcome;
}

bool fails_policy(const core::Finding& f, const PolicyOptions& options) noexcept {
  if (f.suppression || f.status == core::FindingStatus::pass) return false;
  bool fails = f.status == core::FindingStatus::fail || f.status == core::FindingStatus::warn;
  return fails && f.severity >= options.fail_on && exit_scanner(options, scanner_of(f));
}

bool exit_scanner(const PolicyOptions& options, std::string_view scanner) noexcept {
  return options.exit_scanners.empty() ||
         std::find(options.exit_scanners.begin(), options.exit_scanners.end(), scanner) != options.exit_scanners.end();
}

std::string_view scanner_of(const core::Finding& f) noexcept {
  if (f.vulnerability) return "vuln";
  if (!f.fingerprint.empty()) return "secret";
  return "config";
}

}  // namespace bulwark::report
