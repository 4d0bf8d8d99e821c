// The normalised advisory model that every importer produces and the store keeps.
//
// Advisory sources disagree on shape (OSV, Alpine secdb, Wolfi, the Debian
// security tracker, RustSec, the Node security-wg), so each importer maps its
// format onto these few types and the matcher only ever sees them. Versions and
// ranges are kept as the source wrote them: comparing them is the job of the
// per-ecosystem comparators in vuln/version, not of the database.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bulwark::vuln::db {

// OSV range types, plus requirement-string kinds for sources whose native
// syntax cannot be turned into events without a comparator (Cargo requirements,
// node-semver ranges). Those are stored verbatim so the matcher evaluates them.
enum class RangeType { ecosystem, semver, git };

enum class EventKind { introduced, fixed, last_affected, limit };

struct RangeEvent {
  EventKind kind = EventKind::introduced;
  std::string version;
  friend bool operator==(const RangeEvent&, const RangeEvent&) = default;
};

struct Range {
  RangeType type = RangeType::ecosystem;
  std::string repo;  // GIT ranges only
  std::vector<RangeEvent> events;
  friend bool operator==(const Range&, const Range&) = default;
};

// Requirement strings in a package manager's own syntax, kept verbatim.
enum class RequirementSyntax { none, cargo, node_semver };

struct Requirements {
  RequirementSyntax syntax = RequirementSyntax::none;
  std::vector<std::string> vulnerable;  // node-semver "vulnerable_versions"
  std::vector<std::string> patched;     // Cargo / node-semver: versions with the fix
  std::vector<std::string> unaffected;  // Cargo: versions never affected
  [[nodiscard]] bool empty() const noexcept { return vulnerable.empty() && patched.empty() && unaffected.empty(); }
  friend bool operator==(const Requirements&, const Requirements&) = default;
};

// What the vendor says about a package for this advisory. `fixed` means ranges or
// requirements carry the fix; the other states come from vendor trackers.
enum class VendorState {
  fixed,
  unfixed,              // affected, no fix yet (Debian <unfixed>, Wolfi pending-upstream-fix, Red Hat known_affected)
  no_dsa,               // Debian: minor issue, fixed in a point release or never
  postponed,            // Debian <postponed>
  ignored,              // Debian <ignored>
  will_not_fix,         // Wolfi fix-not-planned, Red Hat no_fix_planned
  under_investigation,  // Red Hat under_investigation: whether it is affected is not known yet
  end_of_life,          // Debian <end-of-life>: the suite is no longer supported
  not_affected,         // Alpine fixed "0", Debian <not-affected>, Wolfi false-positive-determination
  removed,              // Debian <removed>: the package left the suite
  withdrawn,            // the advisory itself was withdrawn
};

[[nodiscard]] std::string_view to_string(RangeType t) noexcept;
[[nodiscard]] std::string_view to_string(EventKind k) noexcept;
[[nodiscard]] std::string_view to_string(RequirementSyntax s) noexcept;
[[nodiscard]] std::string_view to_string(VendorState s) noexcept;
[[nodiscard]] std::optional<RangeType> range_type_from(std::string_view s) noexcept;
[[nodiscard]] std::optional<EventKind> event_kind_from(std::string_view s) noexcept;
[[nodiscard]] std::optional<RequirementSyntax> requirement_syntax_from(std::string_view s) noexcept;
[[nodiscard]] std::optional<VendorState> vendor_state_from(std::string_view s) noexcept;

struct Affected {
  // OSV names: "Debian:12", "Alpine:v3.19", "Wolfi", "PyPI", "npm", "Go", "crates.io", ...
  // Beyond OSV: "Debian:unstable" (tracker lines without a suite), "Rust" (RustSec
  // toolchain advisories: std, cargo, rustdoc), "Node.js" (package "node", security-wg
  // core advisories) and "GIT" (OSV entries naming only a repository; package = its URL).
  std::string ecosystem;
  std::string package;  // Debian/Ubuntu: the source package; Alpine: the origin
  std::vector<Range> ranges;
  std::vector<std::string> versions;  // explicit affected versions (OSV "versions")
  Requirements requirements;
  VendorState state = VendorState::unfixed;
  std::string note;  // vendor's reason for the state, when given (e.g. "Minor issue")
  friend bool operator==(const Affected&, const Affected&) = default;
};

struct Reference {
  std::string type;  // OSV reference type (WEB, ADVISORY, FIX, ...); empty when unknown
  std::string url;
  friend bool operator==(const Reference&, const Reference&) = default;
};

struct Advisory {
  std::string source;  // who published it, e.g. "osv:GO", "alpine", "debian-dsa"; (source, id) is the key
  std::string id;
  std::vector<std::string> aliases;  // CVE, GHSA, DSA/DLA, OSV ids; never contains id itself
  std::string summary;
  std::string published;  // as given (RFC 3339 for OSV; the source's own form otherwise)
  std::string modified;
  std::string withdrawn;
  std::string severity;           // the vendor's word ("HIGH", "low", "unimportant", "unsound")
  std::vector<std::string> cvss;  // vectors as given ("CVSS:3.1/AV:N/...", "CVSS:4.0/...")
  std::vector<Reference> references;
  std::vector<Affected> affected;
  friend bool operator==(const Advisory&, const Advisory&) = default;
};

// PyPI names compare after PEP 503 normalisation; other ecosystems compare as written.
[[nodiscard]] std::string normalise_package(std::string_view ecosystem, std::string_view name);

// Adds alias unless it is empty, the advisory's own id, or already present.
void add_alias(Advisory& advisory, std::string_view alias);

}  // namespace bulwark::vuln::db
