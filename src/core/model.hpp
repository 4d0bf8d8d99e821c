// The core model every scanner produces and every report consumes.
//
// A scan has Targets (an image, a root filesystem, a file, the host...). Images
// have Layers; catalogers find Packages in them; matchers and checks produce
// Findings. Every scanner ends in the same Finding type, so policy, reports and
// the server treat them all alike (see docs/formats/json.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bulwark::core {

enum class Severity { unknown, info, low, medium, high, critical };
[[nodiscard]] std::string_view to_string(Severity s) noexcept;
[[nodiscard]] std::optional<Severity> parse_severity(std::string_view s) noexcept;

// The ten practices bulwark organises its findings by.
enum class Practice {
  trusted_base_image,
  up_to_date,
  access_control,
  limit_privileges,
  isolation,
  network_policy,
  monitoring,
  vulnerability_scan,
  least_privilege,
  host_hardening,
};
[[nodiscard]] std::string_view to_string(Practice p) noexcept;
[[nodiscard]] std::optional<Practice> parse_practice(std::string_view s) noexcept;

// info: a fact worth stating that is neither a pass nor a failure (kernel version, swarm inactive).
enum class FindingStatus { fail, warn, pass, manual, skipped, info };
[[nodiscard]] std::string_view to_string(FindingStatus s) noexcept;

enum class TargetKind { image, rootfs, sbom, file, host, daemon, container, cluster };
[[nodiscard]] std::string_view to_string(TargetKind k) noexcept;

struct Target {
  TargetKind kind = TargetKind::image;
  std::string name;  // what the user named: "docker-archive:x.tar", "/srv/rootfs"
  std::string id;    // a stable identity where there is one: image config digest, container id
};

struct Layer {
  std::string digest;   // the blob digest as stored (compressed), "sha256:..."
  std::string diff_id;  // digest of the uncompressed tar, "sha256:..."
  std::string media_type;
  std::uint64_t size = 0;  // compressed size as declared by the manifest
  std::string created_by;  // the history entry that made it, where known
};

struct OsInfo {
  std::string id;          // os-release ID: debian, ubuntu, alpine, rhel, amzn, wolfi ...
  std::string version_id;  // os-release VERSION_ID: "12", "3.19.1", "2023"
  std::string pretty_name;
  std::string codename;  // VERSION_CODENAME where present
  [[nodiscard]] bool known() const noexcept { return !id.empty(); }
};

// The image as a whole: what was pulled or read, before any cataloguing.
struct ImageInfo {
  std::string reference;        // as the user gave it
  std::string manifest_digest;  // "sha256:..." where the source has a manifest
  std::string config_digest;    // "sha256:..." of the image config (the image id)
  std::string architecture;
  std::string os;
  std::vector<std::string> repo_tags;
  std::vector<std::string> repo_digests;
  std::vector<Layer> layers;
  // The image it says it was built on: the OCI annotations org.opencontainers.image.base.name
  // and .base.digest of its manifest (or of the index that points to it). Empty when not annotated.
  std::string base_name, base_digest;
};

enum class Ecosystem { unknown, deb, apk, rpm, pypi, npm, golang, maven, cargo, gem };
[[nodiscard]] std::string_view to_string(Ecosystem e) noexcept;

struct Package {
  std::string name;
  std::string version;         // the full version as the package manager shows it (rpm: [epoch:]version-release)
  std::string source_name;     // dpkg Source, apk origin, rpm source rpm name
  std::string source_version;  // where it differs from version
  std::string architecture;
  Ecosystem ecosystem = Ecosystem::unknown;
  std::string purl;
  std::string license;       // where known
  std::string layer;         // digest (diffID) of the layer that added the record, where known
  std::string path;          // the database or manifest file it came from
  std::optional<int> epoch;  // rpm/dpkg epoch where stated
};

struct Location {
  std::string path;
  int line = 0;    // 1-based; 0 = none
  int column = 0;  // 1-based; 0 = none
  std::string layer;
};

struct Cvss {
  std::string version;
  std::string vector;
  double score = 0;
};

struct VulnerabilityRef {
  std::string id;
  std::vector<std::string> aliases;
  std::string fixed_version;
  std::string state;  // fixed, unfixed, will-not-fix, no-dsa, end-of-life, not-affected
  std::vector<Cvss> cvss;
  // Where the finding's severity came from, e.g. `vendor "high" from DSA-5343-1 (debian-dsa)`
  // or "CVSS:3.1 from RUSTSEC-2023-0006 (osv:RUSTSEC; alias CVE-2023-0286)"; empty when unknown.
  std::string severity_source;
};

struct StandardRef {
  std::string name;  // cis-docker, pss, hadolint, trivy, kube-score, falco
  std::string id;
  std::string version;
  std::string level;
  std::string control;
};

// Why a finding is suppressed by policy (report/policy.hpp): it stays in the JSON
// and SARIF reports with this reason, and leaves tables and the exit code alone.
struct Suppression {
  std::string kind;           // "ignore-file" or "vex"
  std::string reason;         // the ignore entry's reason, or the VEX statement's status and impact
  std::string justification;  // VEX justification (e.g. vulnerable_code_not_present); may be empty
  std::string source;         // the file the rule came from
};

struct Finding {
  std::string id;
  std::string title;
  Severity severity = Severity::unknown;
  FindingStatus status = FindingStatus::fail;
  Practice practice = Practice::vulnerability_scan;
  Target target;
  Location location;
  std::optional<Package> package;
  std::optional<VulnerabilityRef> vulnerability;
  std::vector<StandardRef> standards;
  std::string evidence;
  std::string remediation;
  std::vector<std::string> references;
  std::optional<Suppression> suppression;
  // A stable identity for findings that have no package (secrets: sha256 of rule, path and
  // value), so ignore files and the server can track one finding across scans.
  std::string fingerprint;
};

// Everything one scan of one target produced.
struct ScanResult {
  Target target;
  std::optional<ImageInfo> image;
  OsInfo os;
  std::vector<Package> packages;
  std::vector<Finding> findings;
};

}  // namespace bulwark::core
