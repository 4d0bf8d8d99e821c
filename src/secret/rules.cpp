#include "secret/rules.hpp"

#include <fmt/core.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "util/sha256.hpp"

namespace bulwark::secret {

namespace detail {
std::vector<std::pair<std::string_view, std::string_view>> embedded_rule_files();
}

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

void add_diag(core::Diagnostics& diags, std::string_view file, const YAML::Node& node, std::string item,
              std::string code, std::string message) {
  core::Diagnostic d;
  d.code = std::move(code);
  d.file = std::string(file);
  if (node.IsDefined()) {
    d.line = node.Mark().line + 1;
    d.column = node.Mark().column + 1;
  }
  d.item = std::move(item);
  d.message = std::move(message);
  diags.add(std::move(d));
}

std::vector<std::string> string_list(const YAML::Node& n) {
  std::vector<std::string> out;
  if (!n) return out;
  if (n.IsScalar()) {
    out.push_back(n.as<std::string>());
    return out;
  }
  for (const auto& item : n) out.push_back(item.as<std::string>());
  return out;
}

Allowlist read_allowlist(const YAML::Node& n) {
  Allowlist a;
  if (!n || !n.IsMap()) return a;
  a.paths = string_list(n["paths"]);
  a.values = string_list(n["values"]);
  for (auto& s : string_list(n["stopwords"])) a.stopwords.push_back(lower(std::move(s)));
  return a;
}

void append(Allowlist& to, Allowlist from) {
  for (auto& s : from.paths) to.paths.push_back(std::move(s));
  for (auto& s : from.values) to.values.push_back(std::move(s));
  for (auto& s : from.stopwords) to.stopwords.push_back(std::move(s));
}

const std::set<std::string, std::less<>> kRuleFields = {
    "id",           "category", "title", "severity", "pattern",   "prefilter", "case_insensitive",  "keywords",
    "secret_group", "entropy",  "span",  "fallback", "allowlist", "examples",  "negative_examples", "remediation",
    "references"};

}  // namespace

void load_rules(std::string_view yaml, std::string_view file, Catalogue& cat, core::Diagnostics& diags) {
  YAML::Node doc;
  try {
    doc = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    core::Diagnostic d;
    d.code = "parse";
    d.file = std::string(file);
    d.line = e.mark.line + 1;
    d.column = e.mark.column + 1;
    d.message = e.msg;
    diags.add(std::move(d));
    return;
  }
  if (!doc.IsMap()) {
    diags.error("parse", std::string(file), "a secret catalogue is a map with `rules:`");
    return;
  }
  append(cat.global_allow, read_allowlist(doc["allowlist"]));
  try {
    for (auto& id : string_list(doc["disable"])) cat.disabled.push_back(std::move(id));
  } catch (const YAML::Exception& e) {
    add_diag(diags, file, doc["disable"], "", "parse", e.msg);
  }
  const auto rules = doc["rules"];
  if (!rules) return;
  if (!rules.IsSequence()) {
    add_diag(diags, file, rules, "", "parse", "`rules` must be a list");
    return;
  }
  for (const auto& n : rules) {
    Rule r;
    r.file = std::string(file);
    try {
      if (!n.IsMap()) {
        add_diag(diags, file, n, "", "parse", "a rule is a map");
        continue;
      }
      for (const auto& kv : n) {
        auto key = kv.first.as<std::string>();
        if (!kRuleFields.contains(key)) add_diag(diags, file, kv.first, "", "unknown-field", "unknown field " + key);
      }
      r.id = n["id"].as<std::string>("");
      if (r.id.empty()) {
        add_diag(diags, file, n, "", "missing-field", "rule without id");
        continue;
      }
      r.category = n["category"].as<std::string>("");
      r.title = n["title"].as<std::string>(r.id);
      auto sev = core::parse_severity(n["severity"].as<std::string>("high"));
      if (!sev) {
        add_diag(diags, file, n["severity"], r.id, "bad-value", "unknown severity");
        continue;
      }
      r.severity = *sev;
      r.pattern = n["pattern"].as<std::string>("");
      if (r.pattern.empty()) {
        add_diag(diags, file, n, r.id, "missing-field", "rule without pattern");
        continue;
      }
      r.prefilter = n["prefilter"].as<std::string>("");
      r.case_insensitive = n["case_insensitive"].as<bool>(false);
      for (auto& k : string_list(n["keywords"])) r.keywords.push_back(lower(std::move(k)));
      r.secret_group = n["secret_group"].as<int>(0);
      r.entropy = n["entropy"].as<double>(0);
      r.span = n["span"].as<std::size_t>(0);
      r.fallback = n["fallback"].as<bool>(false);
      r.allow = read_allowlist(n["allowlist"]);
      r.examples = string_list(n["examples"]);
      r.negative_examples = string_list(n["negative_examples"]);
      r.remediation = n["remediation"].as<std::string>("");
      r.references = string_list(n["references"]);
    } catch (const YAML::Exception& e) {
      add_diag(diags, file, n, r.id, "parse", e.msg);
      continue;
    }
    auto dup = std::find_if(cat.rules.begin(), cat.rules.end(), [&](const Rule& o) { return o.id == r.id; });
    if (dup != cat.rules.end()) {
      // A later file (a user's) replaces a rule of the same id.
      *dup = std::move(r);
    } else {
      cat.rules.push_back(std::move(r));
    }
  }
}

Catalogue builtin_catalogue(core::Diagnostics& diags) {
  Catalogue cat;
  for (const auto& [name, content] : detail::embedded_rule_files()) load_rules(content, name, cat, diags);
  for (auto& r : cat.rules) r.builtin = true;
  return cat;
}

namespace {

nlohmann::json allow_json(const Allowlist& a) {
  return {{"paths", a.paths}, {"values", a.values}, {"stopwords", a.stopwords}};
}

Allowlist allow_from(const nlohmann::json& j) {
  return {j.at("paths").get<std::vector<std::string>>(), j.at("values").get<std::vector<std::string>>(),
          j.at("stopwords").get<std::vector<std::string>>()};
}

}  // namespace

std::string catalogue_json(const Catalogue& cat) {
  nlohmann::json rules = nlohmann::json::array();
  for (const auto& r : cat.rules) {
    rules.push_back({{"id", r.id},
                     {"category", r.category},
                     {"title", r.title},
                     {"severity", std::string(core::to_string(r.severity))},
                     {"pattern", r.pattern},
                     {"prefilter", r.prefilter},
                     {"case_insensitive", r.case_insensitive},
                     {"keywords", r.keywords},
                     {"secret_group", r.secret_group},
                     {"entropy", r.entropy},
                     {"span", r.span},
                     {"fallback", r.fallback},
                     {"allow", allow_json(r.allow)},
                     {"examples", r.examples},
                     {"negative_examples", r.negative_examples},
                     {"remediation", r.remediation},
                     {"references", r.references},
                     {"file", r.file},
                     {"builtin", r.builtin}});
  }
  return nlohmann::json{{"rules", rules}, {"allowlist", allow_json(cat.global_allow)}, {"disabled", cat.disabled}}
      .dump();
}

std::optional<Catalogue> catalogue_from_json(std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  try {
    Catalogue cat;
    for (const auto& o : j.at("rules")) {
      Rule r;
      r.id = o.at("id").get<std::string>();
      r.category = o.at("category").get<std::string>();
      r.title = o.at("title").get<std::string>();
      auto sev = core::parse_severity(o.at("severity").get<std::string>());
      if (!sev) return std::nullopt;
      r.severity = *sev;
      r.pattern = o.at("pattern").get<std::string>();
      r.prefilter = o.at("prefilter").get<std::string>();
      r.case_insensitive = o.at("case_insensitive").get<bool>();
      r.keywords = o.at("keywords").get<std::vector<std::string>>();
      r.secret_group = o.at("secret_group").get<int>();
      r.entropy = o.at("entropy").get<double>();
      r.span = o.at("span").get<std::size_t>();
      r.fallback = o.at("fallback").get<bool>();
      r.allow = allow_from(o.at("allow"));
      r.examples = o.at("examples").get<std::vector<std::string>>();
      r.negative_examples = o.at("negative_examples").get<std::vector<std::string>>();
      r.remediation = o.at("remediation").get<std::string>();
      r.references = o.at("references").get<std::vector<std::string>>();
      r.file = o.at("file").get<std::string>();
      r.builtin = o.at("builtin").get<bool>();
      cat.rules.push_back(std::move(r));
    }
    cat.global_allow = allow_from(j.at("allowlist"));
    cat.disabled = j.at("disabled").get<std::vector<std::string>>();
    return cat;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

Catalogue builtin_catalogue(core::Diagnostics& diags, const std::string& cache_dir) {
  if (cache_dir.empty()) return builtin_catalogue(diags);
  // Keyed by the embedded files themselves: a new bulwark with other rules never reads an old copy.
  std::string key = "bulwark secret catalogue v1";
  for (const auto& [name, content] : detail::embedded_rule_files()) {
    key += fmt::format("\n{}\n{}\n{}", name, content.size(), content);
  }
  const auto path =
      std::filesystem::path(cache_dir) / "secret" / ("catalogue-" + util::sha256_hex(key).substr(0, 32) + ".json");
  {
    std::ifstream in(path, std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!text.empty()) {
      if (auto cat = catalogue_from_json(text)) return std::move(*cat);
    }
  }
  core::Diagnostics parse_diags;
  auto cat = builtin_catalogue(parse_diags);
  // Only a catalogue that loaded cleanly is kept (its diagnostics are then reported every run).
  if (parse_diags.items().empty()) {
    std::error_code ec;
    std::filesystem::create_directories(path.parent_path(), ec);
    const auto tmp = path.string() + fmt::format(".{}.tmp", ::getpid());
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      out << catalogue_json(cat);
    }
    std::filesystem::rename(tmp, path, ec);
    if (ec) std::filesystem::remove(tmp, ec);
  }
  for (const auto& d : parse_diags.items()) diags.add(d);
  return cat;
}

std::vector<std::string> disable_rules(Catalogue& cat, const std::vector<std::string>& ids) {
  std::vector<std::string> unknown;
  for (const auto& id : ids) {
    auto it = std::remove_if(cat.rules.begin(), cat.rules.end(), [&](const Rule& r) { return r.id == id; });
    if (it == cat.rules.end()) unknown.push_back(id);
    cat.rules.erase(it, cat.rules.end());
  }
  return unknown;
}

double shannon_entropy(std::string_view s) noexcept {
  if (s.empty()) return 0;
  std::array<std::size_t, 256> counts{};
  for (unsigned char c : s) ++counts[c];
  double h = 0;
  const auto n = static_cast<double>(s.size());
  for (auto c : counts) {
    if (c == 0) continue;
    const double p = static_cast<double>(c) / n;
    h -= p * std::log2(p);
  }
  return h;
}

std::string markdown(const Catalogue& cat) {
  std::string out =
      "# Secret rules\n\n"
      "<!-- Generated from checks/secrets/*.yaml by the secret_test `DocsAreCurrent` test; do not edit by hand.\n"
      "     Regenerate with: BULWARK_UPDATE_DOCS=1 build/secret_test --gtest_filter='*DocsAreCurrent*' -->\n\n"
      "`bulwark secret PATH`, `bulwark image --scanners secret` and `bulwark config` look for these secrets.\n"
      "Vectorscan finds candidates in one streaming pass; RE2 confirms each candidate and extracts the secret;\n"
      "entropy thresholds and allowlists then drop placeholders. Findings show the secret masked but for a few\n"
      "characters (the full value only with `--show-secrets`, never in SARIF) and carry a fingerprint\n"
      "(sha256 of rule id, path and secret) that ignore files can name.\n\n"
      "Add rules with `--secret-rules FILE.yaml` (same format as checks/secrets/; a `disable: [ids]` list there\n"
      "turns rules off) or disable one with `--disable-secret-rule ID`. The compiled Vectorscan database and the "
      "parsed\n"
      "built-in catalogue are cached in the cache folder (`secret/rules-<hash>.hsdb`, "
      "`secret/catalogue-<hash>.json`),\n"
      "so only the first run pays for the compile and the YAML parse.\n\n";
  std::map<std::string, std::vector<const Rule*>> by_category;
  for (const auto& r : cat.rules) by_category[r.category.empty() ? "other" : r.category].push_back(&r);
  out += fmt::format("{} rules in {} categories.\n\n", cat.rules.size(), by_category.size());
  out += "| Category | Id | Title | Severity | Keywords | Entropy |\n|---|---|---|---|---|---|\n";
  for (const auto& [category, rules] : by_category) {
    for (const auto* r : rules) {
      std::string kw;
      for (const auto& k : r->keywords) kw += (kw.empty() ? "`" : ", `") + k + "`";
      out += fmt::format("| {} | `{}` | {} | {} | {} | {} |\n", category, r->id, r->title, core::to_string(r->severity),
                         kw, r->entropy > 0 ? fmt::format("{:.1f}", r->entropy) : std::string("-"));
    }
  }
  return out;
}

}  // namespace bulwark::secret
