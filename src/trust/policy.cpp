// The trust policy: parsing (yaml-cpp, errors with file, line and field) and judging one image.
#include "trust/policy.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <yaml-cpp/yaml.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <initializer_list>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "image/reference.hpp"
#include "trust/cosign.hpp"
#include "util/files.hpp"
#include "util/json_depth.hpp"

namespace bulwark::trust {

namespace {

constexpr std::size_t kMaxPolicy = 1 << 20;
constexpr std::size_t kMaxRules = 1000;
constexpr std::size_t kMaxList = 1000;
constexpr const char* kDoc = "docs/trust.md";

// A field error: "file:line: field: problem".
std::unexpected<Error> field_error(const std::string& file, const YAML::Node& node, const std::string& field,
                                   const std::string& problem) {
  const int line = node.IsDefined() ? node.Mark().line + 1 : 0;
  return fail(ErrorCode::invalid_argument, field + ": " + problem, line > 0 ? fmt::format("{}:{}", file, line) : file);
}

Status known_keys(const std::string& file, const YAML::Node& map, const std::string& field,
                  std::initializer_list<std::string_view> keys) {
  for (const auto& kv : map) {
    const std::string k = kv.first.IsScalar() ? kv.first.Scalar() : std::string();
    if (std::find(keys.begin(), keys.end(), k) == keys.end()) {
      std::string list;
      for (auto key : keys) list += (list.empty() ? "" : ", ") + std::string(key);
      return field_error(file, kv.first, field.empty() ? k : field + "." + k,
                         "unknown key (expected one of: " + list + ")");
    }
  }
  return {};
}

Result<std::string> get_string(const std::string& file, const YAML::Node& n, const std::string& field) {
  if (!n.IsScalar() || n.Scalar().empty()) return field_error(file, n, field, "expected a non-empty string");
  return n.Scalar();
}

Result<bool> get_bool(const std::string& file, const YAML::Node& n, const std::string& field) {
  if (n.IsScalar()) {
    const std::string& s = n.Scalar();
    if (s == "true") return true;
    if (s == "false") return false;
  }
  return field_error(file, n, field, "expected true or false");
}

Result<std::vector<std::string>> get_strings(const std::string& file, const YAML::Node& n, const std::string& field) {
  if (!n.IsSequence()) return field_error(file, n, field, "expected a list of strings");
  if (n.size() > kMaxList) return field_error(file, n, field, fmt::format("more than {} entries", kMaxList));
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n.size(); ++i) {
    auto s = get_string(file, n[i], fmt::format("{}[{}]", field, i));
    if (!s) return std::unexpected(s.error());
    out.push_back(*s);
  }
  return out;
}

bool is_public_key(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr),
                                                          EVP_PKEY_free);
  return key != nullptr;
}

// A PEM public key file named at `field` (relative to the policy's folder).
Result<PolicySigner> read_key(const std::string& file, const YAML::Node& n, const std::string& field,
                              const std::filesystem::path& base) {
  auto k = get_string(file, n, field);
  if (!k) return std::unexpected(k.error());
  const std::filesystem::path p = std::filesystem::path(*k).is_absolute() ? std::filesystem::path(*k) : base / *k;
  auto pem = util::read_file(p, 1 << 20);
  if (!pem) return field_error(file, n, field, "cannot read " + pem.error().describe());
  if (!is_public_key(*pem)) return field_error(file, n, field, *k + " is not a PEM public key");
  return PolicySigner{*k, *pem};
}

Result<RequiredAttestation> parse_attestation(const std::string& file, const YAML::Node& n, const std::string& field,
                                              const std::filesystem::path& base) {
  if (!n.IsMap()) return field_error(file, n, field, "expected a mapping (predicate_type, key, conditions)");
  if (auto st = known_keys(file, n, field, {"predicate_type", "key", "conditions"}); !st)
    return std::unexpected(st.error());
  RequiredAttestation a;
  if (!n["predicate_type"])
    return field_error(file, n, field + ".predicate_type", "missing (e.g. https://slsa.dev/provenance/v1)");
  auto t = get_string(file, n["predicate_type"], field + ".predicate_type");
  if (!t) return std::unexpected(t.error());
  a.predicate_type = *t;
  if (!n["key"]) return field_error(file, n, field + ".key", "missing (the PEM public key that signs it)");
  auto k = read_key(file, n["key"], field + ".key", base);
  if (!k) return std::unexpected(k.error());
  a.key_file = k->key_file;
  a.key_pem = k->key_pem;
  if (const YAML::Node c = n["conditions"]) {
    if (!c.IsSequence()) return field_error(file, c, field + ".conditions", "expected a list of {path, equals}");
    if (c.size() > kMaxList) return field_error(file, c, field + ".conditions", "too many conditions");
    for (std::size_t i = 0; i < c.size(); ++i) {
      const std::string cf = fmt::format("{}.conditions[{}]", field, i);
      if (!c[i].IsMap()) return field_error(file, c[i], cf, "expected a mapping with path and equals");
      if (auto st = known_keys(file, c[i], cf, {"path", "equals"}); !st) return std::unexpected(st.error());
      if (!c[i]["path"]) return field_error(file, c[i], cf + ".path", "missing (a JSON pointer into the predicate)");
      auto path = get_string(file, c[i]["path"], cf + ".path");
      if (!path) return std::unexpected(path.error());
      try {
        (void)nlohmann::json::json_pointer(*path);
      } catch (const nlohmann::json::exception&) {
        return field_error(file, c[i]["path"], cf + ".path", "not a JSON pointer (/field/0/name)");
      }
      if (!c[i]["equals"] || !c[i]["equals"].IsScalar())
        return field_error(file, c[i], cf + ".equals", "missing (a string, number or boolean)");
      a.conditions.push_back({*path, c[i]["equals"].Scalar()});
    }
  }
  return a;
}

Result<PolicyRule> parse_rule(const std::string& file, const YAML::Node& n, std::size_t i,
                              const std::filesystem::path& base) {
  const std::string field = fmt::format("rules[{}]", i);
  if (!n.IsMap()) return field_error(file, n, field, "expected a mapping (images, signers, ...)");
  if (auto st = known_keys(file, n, field,
                           {"images", "require_digest", "signers", "signers_needed", "allowed_base_images", "max_age",
                            "require_attestations"});
      !st) {
    return std::unexpected(st.error());
  }
  PolicyRule r;
  r.index = static_cast<int>(i) + 1;
  r.line = n.Mark().line + 1;
  if (!n["images"]) return field_error(file, n, field + ".images", "missing (a registry/repository glob)");
  auto images = get_string(file, n["images"], field + ".images");
  if (!images) return std::unexpected(images.error());
  r.images = *images;
  if (n["require_digest"]) {
    auto b = get_bool(file, n["require_digest"], field + ".require_digest");
    if (!b) return std::unexpected(b.error());
    r.require_digest = *b;
  }
  if (n["signers_needed"]) {
    auto s = get_string(file, n["signers_needed"], field + ".signers_needed");
    if (!s) return std::unexpected(s.error());
    if (*s != "all" && *s != "any")
      return field_error(file, n["signers_needed"], field + ".signers_needed", "expected all or any");
    r.signers_needed = *s == "any" ? SignersNeeded::any : SignersNeeded::all;
  }
  if (const YAML::Node s = n["signers"]) {
    if (!s.IsSequence() || s.size() == 0)
      return field_error(file, s, field + ".signers", "expected a non-empty list of signers ({key: FILE})");
    if (s.size() > kMaxList) return field_error(file, s, field + ".signers", "too many signers");
    for (std::size_t j = 0; j < s.size(); ++j) {
      const std::string sf = fmt::format("{}.signers[{}]", field, j);
      if (!s[j].IsMap()) return field_error(file, s[j], sf, "expected a mapping with key: FILE");
      if (auto st = known_keys(file, s[j], sf, {"key"}); !st) return std::unexpected(st.error());
      if (!s[j]["key"]) return field_error(file, s[j], sf + ".key", "missing (a PEM public key file)");
      auto k = read_key(file, s[j]["key"], sf + ".key", base);
      if (!k) return std::unexpected(k.error());
      r.signers.push_back(std::move(*k));
    }
  }
  if (n["allowed_base_images"]) {
    auto l = get_strings(file, n["allowed_base_images"], field + ".allowed_base_images");
    if (!l) return std::unexpected(l.error());
    r.allowed_base_images = *l;
  }
  if (const YAML::Node a = n["max_age"]) {
    auto t = get_string(file, a, field + ".max_age");
    if (!t) return std::unexpected(t.error());
    auto age = parse_max_age(*t);
    if (!age) return field_error(file, a, field + ".max_age", age.error().message);
    r.max_age = *age;
    r.max_age_text = *t;
  }
  if (const YAML::Node a = n["require_attestations"]) {
    if (!a.IsSequence() || a.size() == 0)
      return field_error(file, a, field + ".require_attestations",
                         "expected a non-empty list of {predicate_type, key, conditions}");
    if (a.size() > kMaxList) return field_error(file, a, field + ".require_attestations", "too many entries");
    for (std::size_t j = 0; j < a.size(); ++j) {
      auto ra = parse_attestation(file, a[j], fmt::format("{}.require_attestations[{}]", field, j), base);
      if (!ra) return std::unexpected(ra.error());
      r.attestations.push_back(std::move(*ra));
    }
  }
  return r;
}

bool glob_match(std::string_view s, std::string_view p) {
  std::size_t si = 0, pi = 0, star = std::string_view::npos, mark = 0;
  while (si < s.size()) {
    if (pi < p.size() && p[pi] == '*') {
      star = pi++;
      mark = si;
    } else if (pi < p.size() && p[pi] == s[si]) {
      ++pi;
      ++si;
    } else if (star != std::string_view::npos) {
      pi = star + 1;
      si = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

std::string normalize_registry(std::string r) {
  if (r == "index.docker.io" || r == "registry-1.docker.io") return "docker.io";
  return r;
}

std::string normalize_pattern(std::string p) {
  auto slash = p.find('/');
  if (slash == std::string::npos) return normalize_registry(p);
  return normalize_registry(p.substr(0, slash)) + p.substr(slash);
}

// A base-image pattern read as Docker reads names: "debian:12*" is docker.io/library/debian:12*,
// "org/app" is docker.io/org/app; a first component with '.', ':' or "localhost" is a registry.
// A pattern starting with '*' is left alone.
std::string docker_pattern(const std::string& p) {
  if (p.empty() || p.front() == '*') return p;
  auto slash = p.find('/');
  if (slash == std::string::npos) return "docker.io/library/" + p;
  std::string first = p.substr(0, slash);
  if (first.find_first_of(".:") != std::string::npos || first == "localhost") return p;
  return "docker.io/" + p;
}

}  // namespace

std::string PolicyRule::describe(const std::string& source) const {
  return fmt::format("rule {} (images: {}, {}:{})", index, images, source, line);
}

Result<TrustPolicy> parse_trust_policy(std::string_view text, const std::string& path) {
  if (text.size() > kMaxPolicy) return fail(ErrorCode::limit, "trust policy larger than 1 MiB", path);
  TrustPolicy p;
  p.source = path;
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return fail(ErrorCode::parse, "not YAML: " + e.msg, fmt::format("{}:{}", path, e.mark.line + 1));
  }
  if (root.IsNull())
    return fail(ErrorCode::invalid_argument, "the trust policy is empty (see " + std::string(kDoc) + ")", path);
  if (!root.IsMap()) return field_error(path, root, "(top level)", "expected a mapping (registries, rules, unmatched)");
  if (auto st = known_keys(path, root, "", {"version", "registries", "rules", "unmatched"}); !st) {
    return std::unexpected(st.error());
  }
  if (const YAML::Node v = root["version"]; v && !(v.IsScalar() && v.Scalar() == "1")) {
    return field_error(path, v, "version", "expected 1");
  }
  if (const YAML::Node u = root["unmatched"]) {
    auto s = get_string(path, u, "unmatched");
    if (!s) return std::unexpected(s.error());
    if (*s != "allow" && *s != "deny") return field_error(path, u, "unmatched", "expected allow or deny");
    p.deny_unmatched = *s == "deny";
  }
  if (const YAML::Node r = root["registries"]) {
    if (!r.IsMap()) return field_error(path, r, "registries", "expected a mapping (allowed, denied)");
    if (auto st = known_keys(path, r, "registries", {"allowed", "denied"}); !st) return std::unexpected(st.error());
    if (r["allowed"]) {
      auto l = get_strings(path, r["allowed"], "registries.allowed");
      if (!l) return std::unexpected(l.error());
      p.allowed_registries = *l;
    }
    if (r["denied"]) {
      auto l = get_strings(path, r["denied"], "registries.denied");
      if (!l) return std::unexpected(l.error());
      p.denied_registries = *l;
    }
  }
  if (const YAML::Node rules = root["rules"]) {
    if (!rules.IsSequence()) return field_error(path, rules, "rules", "expected a list of rules");
    if (rules.size() > kMaxRules) return field_error(path, rules, "rules", "too many rules");
    const auto base = std::filesystem::path(path).parent_path();
    for (std::size_t i = 0; i < rules.size(); ++i) {
      auto r = parse_rule(path, rules[i], i, base);
      if (!r) return std::unexpected(r.error());
      p.rules.push_back(std::move(*r));
    }
  }
  return p;
}

Result<TrustPolicy> load_trust_policy(const std::string& path) {
  auto text = util::read_file(path, kMaxPolicy);
  if (!text) return std::unexpected(text.error().within("trust policy " + path));
  return parse_trust_policy(*text, path);
}

Result<std::chrono::seconds> parse_max_age(std::string_view text) {
  if (text.size() < 2 || (text.back() != 'd' && text.back() != 'h'))
    return fail(ErrorCode::invalid_argument, "expected a number of days or hours (90d, 12h)");
  std::uint64_t n = 0;
  const std::string_view digits = text.substr(0, text.size() - 1);
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (ec != std::errc() || end != digits.data() + digits.size() || n == 0 || n > 1000000)
    return fail(ErrorCode::invalid_argument, "expected a number of days or hours (90d, 12h), from 1 to 1000000");
  return std::chrono::seconds(static_cast<std::int64_t>(n) * (text.back() == 'd' ? 86400 : 3600));
}

namespace {

// RFC 3339 date-time: YYYY-MM-DDTHH:MM:SS[.fraction](Z|+hh:mm|-hh:mm).
std::optional<std::chrono::sys_seconds> parse_rfc3339(std::string_view s) {
  auto num = [&](std::size_t at, std::size_t len, int& out) {
    if (at + len > s.size()) return false;
    out = 0;
    for (std::size_t i = at; i < at + len; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      out = out * 10 + (s[i] - '0');
    }
    return true;
  };
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (!num(0, 4, y) || s.size() < 20 || s[4] != '-' || !num(5, 2, mo) || s[7] != '-' || !num(8, 2, d) ||
      (s[10] != 'T' && s[10] != 't') || !num(11, 2, h) || s[13] != ':' || !num(14, 2, mi) || s[16] != ':' ||
      !num(17, 2, sec)) {
    return std::nullopt;
  }
  std::size_t i = 19;
  if (s[i] == '.') {
    std::size_t j = i + 1;
    while (j < s.size() && s[j] >= '0' && s[j] <= '9') ++j;
    if (j == i + 1) return std::nullopt;
    i = j;
  }
  int offset = 0;
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    ++i;
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    int oh = 0, om = 0;
    if (!num(i + 1, 2, oh) || i + 3 >= s.size() || s[i + 3] != ':' || !num(i + 4, 2, om) || oh > 23 || om > 59)
      return std::nullopt;
    offset = (s[i] == '-' ? -1 : 1) * (oh * 3600 + om * 60);
    i += 6;
  } else {
    return std::nullopt;
  }
  if (i != s.size() || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year(y), std::chrono::month(static_cast<unsigned>(mo)),
                                        std::chrono::day(static_cast<unsigned>(d))};
  if (!ymd.ok()) return std::nullopt;
  return std::chrono::sys_days(ymd) + std::chrono::seconds(h * 3600 + mi * 60 + std::min(sec, 59) - offset);
}

std::string format_time(std::chrono::sys_seconds t) {
  const auto days = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::year_month_day ymd(days);
  const std::chrono::hh_mm_ss hms(t - days);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), hms.hours().count(),
                     hms.minutes().count(), hms.seconds().count());
}

std::string format_age(std::chrono::seconds age) {
  const auto h = age.count() / 3600;
  if (h < 48) return fmt::format("{} hour{}", h, h == 1 ? "" : "s");
  return fmt::format("{} days", h / 24);
}

}  // namespace

Result<std::chrono::sys_seconds> parse_image_created(std::string_view config_json) {
  if (config_json.size() > (8 << 20)) return fail(ErrorCode::limit, "image config larger than 8 MiB");
  if (util::json_depth(config_json, 65) > 64) return fail(ErrorCode::limit, "image config nested too deeply");
  const nlohmann::json j = nlohmann::json::parse(config_json, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail(ErrorCode::parse, "the image config is not a JSON object");
  const auto it = j.find("created");
  if (it == j.end() || it->is_null()) return fail(ErrorCode::not_found, "the image config has no created time");
  if (!it->is_string()) return fail(ErrorCode::parse, "the image config's created is not a string");
  const std::string text = it->get<std::string>();
  auto t = parse_rfc3339(text);
  if (!t)
    return fail(ErrorCode::parse,
                fmt::format("the image config's created \"{}\" is not an RFC 3339 time", text.substr(0, 100)));
  return *t;
}

Result<DockerName> parse_docker_name(std::string_view text) {
  std::string s(text);
  DockerName n;
  if (s.empty() || s.size() > 1024 || s.find_first_of(" \t\r\n") != std::string::npos)
    return fail(ErrorCode::invalid_argument, "not an image name", std::string(text.substr(0, 200)));
  if (auto at = s.find('@'); at != std::string::npos) {
    n.digest = s.substr(at + 1);
    s.resize(at);
    if (!n.digest.starts_with("sha256:") || n.digest.size() != 71 ||
        n.digest.find_first_not_of("0123456789abcdef", 7) != std::string::npos) {
      return fail(ErrorCode::invalid_argument, "digest is not sha256:<64 hex>", std::string(text));
    }
  }
  auto slash = s.find('/');
  std::string first = slash == std::string::npos ? std::string() : s.substr(0, slash);
  if (!first.empty() && (first.find_first_of(".:") != std::string::npos || first == "localhost")) {
    n.registry = normalize_registry(first);
    s = s.substr(slash + 1);
  } else {
    n.registry = "docker.io";
  }
  auto colon = s.rfind(':');
  if (colon != std::string::npos && s.find('/', colon) == std::string::npos) {
    n.tag = s.substr(colon + 1);
    s.resize(colon);
  }
  if (s.empty() || n.tag.find_first_of("/@") != std::string::npos || (colon != std::string::npos && n.tag.empty()))
    return fail(ErrorCode::invalid_argument, "not an image name", std::string(text));
  if (n.registry == "docker.io" && s.find('/') == std::string::npos) s = "library/" + s;
  n.repository = s;
  return n;
}

bool image_name_matches(std::string_view name, std::string_view tag, std::string_view pattern) {
  if (pattern.empty()) return false;
  const std::string p = normalize_pattern(std::string(pattern));
  const std::string with_tag = tag.empty() ? std::string(name) : std::string(name) + ":" + std::string(tag);
  if (p.find('*') != std::string::npos) return glob_match(name, p) || glob_match(with_tag, p);
  if (p == with_tag) return true;
  std::string q = p;
  while (q.size() > 1 && q.back() == '/') q.pop_back();
  return name == q || (name.size() > q.size() && name.starts_with(q) && name[q.size()] == '/');
}

bool refuses(const core::Finding& f) noexcept {
  return f.status == core::FindingStatus::fail;
}

namespace {

class Judge {
 public:
  Judge(const TrustPolicy& policy, std::string target) : policy_(policy), target_(std::move(target)) {}

  void add(const char* id, std::string title, std::string evidence, std::string remediation,
           core::FindingStatus status = core::FindingStatus::fail, int line = 0) {
    core::Finding f;
    f.id = id;
    f.title = std::move(title);
    f.severity = status == core::FindingStatus::fail ? core::Severity::high : core::Severity::info;
    f.status = status;
    f.practice = core::Practice::trusted_base_image;
    f.target = {core::TargetKind::image, target_, {}};
    f.location.path = policy_.source;
    f.location.line = line != 0 ? line : rule_line;
    f.evidence = std::move(evidence);
    f.remediation = std::move(remediation);
    f.references.push_back(kDoc);
    findings.push_back(std::move(f));
  }

  int rule_line = 0;  // the line of the rule being judged, for its findings' location
  const TrustPolicy& policy_;
  std::string target_;
  std::vector<core::Finding> findings;
};

}  // namespace

Result<std::vector<core::Finding>> evaluate_image(const TrustPolicy& policy, const std::string& target,
                                                  const ImageAccess& access, TrustFacts* facts_out) {
  auto ref = image::parse_reference(target);
  if (!ref) return std::unexpected(ref.error());
  TrustFacts facts;
  Judge j(policy, target);
  const bool from_registry = ref->transport == image::Transport::registry;
  const bool daemon = ref->transport == image::Transport::docker_daemon;
  std::string tag = ref->tag;
  std::string pinned = ref->digest;
  if (from_registry) {
    facts.name = normalize_registry(ref->registry) + "/" + ref->repository;
  } else if (daemon) {
    auto n = parse_docker_name(ref->repository);
    if (!n) return std::unexpected(n.error().within(target));
    facts.name = n->name();
    if (!n->tag.empty()) tag = n->tag;
    if (!n->digest.empty()) pinned = n->digest;
  } else {
    facts.name = std::string(image::to_string(ref->transport)) + ":" + ref->path;
  }
  const std::string shown = facts.name;

  // Registries: images from a registry (or named like one, in the Docker engine).
  if (from_registry || daemon) {
    for (const auto& d : policy.denied_registries) {
      if (image_name_matches(facts.name, tag, d)) {
        j.add("BW-TRUST-001", fmt::format("{}: registry denied by the trust policy (registries.denied: {})", shown, d),
              fmt::format("{} matches the denied entry {} in {}", facts.name, d, policy.source),
              "Pull the image from an allowed registry (mirror it there and sign it).");
        break;
      }
    }
    if (!policy.allowed_registries.empty() &&
        std::none_of(policy.allowed_registries.begin(), policy.allowed_registries.end(),
                     [&](const std::string& a) { return image_name_matches(facts.name, tag, a); })) {
      j.add("BW-TRUST-002",
            fmt::format("{}: not from an allowed registry (registries.allowed: {})", shown,
                        fmt::join(policy.allowed_registries, ", ")),
            fmt::format("{} matches none of registries.allowed in {}", facts.name, policy.source),
            "Pull the image from an allowed registry, or add its registry to registries.allowed.");
    }
  }

  std::vector<const PolicyRule*> rules;
  for (const auto& r : policy.rules) {
    if (image_name_matches(facts.name, tag, r.images) || (!from_registry && !daemon && glob_match(target, r.images))) {
      rules.push_back(&r);
      facts.rules_applied.push_back(r.index);
    }
  }
  if (rules.empty() && policy.deny_unmatched) {
    j.add("BW-TRUST-007", fmt::format("{}: no rule of the trust policy matches it (unmatched: deny)", shown),
          fmt::format("none of the {} rules' images patterns in {} matches {}", policy.rules.size(), policy.source,
                      facts.name),
          "Add a rule for the image's repository, or use an image a rule covers.");
  }

  // The manifest: its digest and the base-image annotations.
  RegistryTarget rt;
  if (from_registry) {
    rt = RegistryTarget{
        ref->registry,     ref->repository, tag.empty() ? "latest" : tag, pinned, access.username, access.password,
        access.tls_verify, access.timeout};
  }
  std::optional<ManifestFacts> manifest;
  std::string manifest_error;
  if (from_registry || ref->transport == image::Transport::oci_layout) {
    auto m = from_registry ? read_registry_manifest(rt) : read_oci_layout_manifest(ref->path, tag);
    if (m) {
      manifest = std::move(*m);
      facts.manifest_digest = manifest->digest;
      if (auto it = manifest->annotations.find("org.opencontainers.image.base.name"); it != manifest->annotations.end())
        facts.base_name = it->second;
      if (auto it = manifest->annotations.find("org.opencontainers.image.base.digest");
          it != manifest->annotations.end())
        facts.base_digest = it->second;
    } else {
      manifest_error = m.error().describe();
    }
  } else {
    manifest_error = fmt::format("the manifest of a {} image is not read for trust checks (use docker:// or oci:)",
                                 image::to_string(ref->transport));
  }
  if (!facts.base_name.empty() || !facts.base_digest.empty()) {
    j.add("BW-TRUST-010",
          fmt::format("{}: base image {}{}{}", shown, facts.base_name.empty() ? "(unnamed)" : facts.base_name,
                      facts.base_digest.empty() ? "" : "@", facts.base_digest),
          "from the manifest annotations org.opencontainers.image.base.name / .base.digest", "",
          core::FindingStatus::info);
  }

  // The config's created time, read once (max_age).
  std::optional<Result<std::chrono::sys_seconds>> created;
  auto read_created = [&]() -> Result<std::chrono::sys_seconds> {
    if (!manifest) return fail(ErrorCode::unsupported, manifest_error);
    const nlohmann::json m = nlohmann::json::parse(manifest->body, nullptr, false);
    const auto c = m.is_object() ? m.find("config") : m.end();
    if (c == m.end() || !c->is_object() || !c->contains("digest") || !(*c)["digest"].is_string())
      return fail(ErrorCode::unsupported, "the manifest has no config (an image index? pin one platform's manifest)");
    const std::string digest = (*c)["digest"].get<std::string>();
    auto config =
        from_registry ? read_registry_blob(rt, digest, 8 << 20) : read_oci_layout_blob(ref->path, digest, 8 << 20);
    if (!config) return std::unexpected(config.error());
    return parse_image_created(*config);
  };
  auto judge_age = [&](const PolicyRule& r, const std::string& rule) {
    if (!created) created = read_created();
    if (!*created) {
      j.add(
          "BW-TRUST-008",
          fmt::format("{}: creation time unknown, {} requires max_age {} (fails closed)", shown, rule, r.max_age_text),
          created->error().describe(),
          "Build the image with a tool that records its creation time in the config (docker build, buildah); "
          "SOURCE_DATE_EPOCH sets it reproducibly.");
      return;
    }
    const auto now =
        std::chrono::floor<std::chrono::seconds>(access.now ? access.now() : std::chrono::system_clock::now());
    const std::chrono::sys_seconds when = **created;
    facts.created = format_time(when);
    const auto age = now - when;
    if (age < -std::chrono::hours(24)) {
      j.add("BW-TRUST-008",
            fmt::format("{}: created {}, in the future, {} requires max_age {} (fails closed)", shown, facts.created,
                        rule, r.max_age_text),
            fmt::format("config created {}; now {}", facts.created, format_time(now)),
            "Rebuild the image with a correct clock (or SOURCE_DATE_EPOCH) on a current base image.");
    } else if (age > r.max_age) {
      j.add("BW-TRUST-008",
            fmt::format("{}: created {}, {} ago, older than max_age {} of {}", shown, facts.created, format_age(age),
                        r.max_age_text, rule),
            fmt::format("config created {}; now {}; age {}; max_age {}", facts.created, format_time(now),
                        format_age(age), r.max_age_text),
            "Rebuild the image on a current base image (docker build --pull, so the base's fixes come in too) and "
            "deploy the new build.");
    } else {
      j.add("BW-TRUST-008",
            fmt::format("{}: created {} ({} ago), within max_age {} of {}", shown, facts.created,
                        format_age(std::max(age, std::chrono::seconds(0))), r.max_age_text, rule),
            fmt::format("config created {}; now {}", facts.created, format_time(now)), "", core::FindingStatus::pass);
    }
  };
  auto judge_attestation = [&](const RequiredAttestation& ra, const std::string& rule) {
    Result<AttestationVerdict> v = fail(ErrorCode::unsupported, manifest_error);
    if (from_registry) {
      v = verify_registry_attestations(rt, ra.predicate_type, ra.key_pem);
    } else if (ref->transport == image::Transport::oci_layout) {
      v = verify_oci_layout_attestations(ref->path, tag, ra.predicate_type, ra.key_pem);
    } else {
      v = fail(ErrorCode::unsupported, fmt::format("attestations of a {} image cannot be looked up (use docker:// "
                                                   "or oci:)",
                                                   image::to_string(ref->transport)));
    }
    if (v && !pinned.empty() && v->manifest_digest != pinned)
      v = fail(ErrorCode::digest_mismatch, "the image's manifest is " + v->manifest_digest + ", not the pinned digest");
    if (!v) {
      j.add("BW-TRUST-009",
            fmt::format("{}: no attestation {} signed with {} verifies, {} requires it", shown, ra.predicate_type,
                        ra.key_file, rule),
            v.error().describe(),
            fmt::format("Attest the image's manifest digest with the required key (bulwark attest IMAGE --key ... "
                        "--type {} --predicate ..., or cosign attest) so that the .att tag or an OCI 1.1 referrer "
                        "holds it beside the image.",
                        ra.predicate_type));
      return;
    }
    std::vector<std::string> unmet;
    const ImageAttestation* met = nullptr;
    for (const auto& a : v->verified) {
      const nlohmann::json st = nlohmann::json::parse(a.statement_json, nullptr, false);
      const nlohmann::json predicate = st.is_object() && st.contains("predicate") ? st["predicate"] : nlohmann::json();
      std::string why;
      for (const auto& c : ra.conditions) {
        std::string actual;
        try {
          const nlohmann::json& value = predicate.at(nlohmann::json::json_pointer(c.path));
          if (value.is_string()) {
            actual = value.get<std::string>();
          } else if (value.is_primitive()) {
            actual = value.dump();
          } else {
            why = fmt::format("{} is {}, not {}", c.path, value.is_object() ? "an object" : "a list", c.equals);
            break;
          }
        } catch (const nlohmann::json::exception&) {
          why = fmt::format("{} is absent from the predicate (wanted {})", c.path, c.equals);
          break;
        }
        if (actual != c.equals) {
          why = fmt::format("{} is {}, not {}", c.path, actual.substr(0, 200), c.equals);
          break;
        }
      }
      if (why.empty()) {
        met = &a;
        break;
      }
      unmet.push_back(why + " (" + a.where + ")");
    }
    if (met) {
      j.add("BW-TRUST-009",
            fmt::format("{}: attestation {} signed with {}{}, as {} requires", shown, ra.predicate_type, ra.key_file,
                        ra.conditions.empty() ? "" : fmt::format(", {} conditions met", ra.conditions.size()), rule),
            fmt::format("{} of {} attestations of that type verify; subject {}; {}", v->verified.size(), v->checked,
                        v->manifest_digest, met->where),
            "", core::FindingStatus::pass);
    } else {
      j.add("BW-TRUST-009",
            fmt::format("{}: attestation {} signed with {} does not meet the conditions of {}", shown,
                        ra.predicate_type, ra.key_file, rule),
            fmt::format("{}", fmt::join(unmet, "; ")),
            "Rebuild and attest the image so that its predicate meets the rule's conditions, or fix the conditions.");
    }
  };

  for (const PolicyRule* r : rules) {
    const std::string rule = r->describe(policy.source);
    j.rule_line = r->line;
    if (r->require_digest && pinned.empty()) {
      j.add("BW-TRUST-003", fmt::format("{}: not pinned by digest, {} requires it", target, rule),
            from_registry || daemon ? fmt::format("the reference names the tag {}", tag.empty() ? "latest" : tag)
                                    : "only a registry or engine reference can be pinned (NAME@sha256:...)",
            "Refer to the image by digest: REPO@sha256:<manifest digest>.");
    }
    if (!r->signers.empty()) {
      std::vector<std::string> failed;
      std::size_t verified = 0;
      for (const auto& s : r->signers) {
        Result<ImageSignatureVerdict> v = fail(ErrorCode::unsupported, manifest_error);
        if (from_registry) {
          v = verify_registry_image(rt, s.key_pem, facts.name);
        } else if (ref->transport == image::Transport::oci_layout) {
          v = verify_oci_layout_image(ref->path, tag, s.key_pem, "");
        } else {
          v = fail(ErrorCode::unsupported, fmt::format("signatures of a {} image cannot be looked up (use docker:// "
                                                       "or oci:)",
                                                       image::to_string(ref->transport)));
        }
        if (v && !pinned.empty() && v->manifest_digest != pinned) {
          v = fail(ErrorCode::digest_mismatch,
                   "the signed manifest is " + v->manifest_digest + ", not the pinned digest");
        }
        if (v) {
          ++verified;
          j.add("BW-TRUST-004", fmt::format("{}: signed with {}, as {} requires", shown, s.key_file, rule),
                fmt::format("{} of {} signatures verify (found in: {}); manifest {}", v->signatures_verified,
                            v->signatures_checked, fmt::join(v->found_in, ", "), v->manifest_digest),
                "", core::FindingStatus::pass);
        } else {
          failed.push_back(s.key_file + ": " + v.error().describe());
          if (r->signers_needed == SignersNeeded::all) {
            j.add("BW-TRUST-004",
                  fmt::format("{}: no signature verifies with {}, {} requires it", shown, s.key_file, rule),
                  v.error().describe(), "Sign the image with the required key (bulwark sign / cosign sign).");
          }
        }
      }
      if (r->signers_needed == SignersNeeded::any && verified == 0) {
        j.add("BW-TRUST-004", fmt::format("{}: no signature verifies with any signer of {}", shown, rule),
              fmt::format("{}", fmt::join(failed, "; ")), "Sign the image with one of the rule's keys.");
      }
    }
    if (r->max_age.count() > 0) judge_age(*r, rule);
    for (const auto& ra : r->attestations) judge_attestation(ra, rule);
    if (!r->allowed_base_images.empty()) {
      if (facts.base_name.empty()) {
        j.add("BW-TRUST-006",
              fmt::format("{}: base image unknown, {} allows only {}", shown, rule,
                          fmt::join(r->allowed_base_images, ", ")),
              manifest ? "the manifest has no org.opencontainers.image.base.name annotation" : manifest_error,
              "Build with the base-image annotations (docker buildx, buildah, or set them in the manifest).");
      } else {
        auto base = parse_docker_name(facts.base_name);
        const bool ok = base && std::any_of(r->allowed_base_images.begin(), r->allowed_base_images.end(),
                                            [&](const std::string& a) {
                                              return image_name_matches(base->name(), base->tag, docker_pattern(a));
                                            });
        if (!ok) {
          j.add("BW-TRUST-005",
                fmt::format("{}: base image {} is not allowed by {} (allowed: {})", shown, facts.base_name, rule,
                            fmt::join(r->allowed_base_images, ", ")),
                base ? fmt::format("base {} from the org.opencontainers.image.base.name annotation", base->name())
                     : "the base.name annotation does not parse: " + base.error().describe(),
                "Rebuild FROM an allowed base image.");
        }
      }
    }
  }
  if (facts_out) *facts_out = std::move(facts);
  return std::move(j.findings);
}

}  // namespace bulwark::trust
