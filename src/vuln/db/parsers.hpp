// The advisory format parsers behind import_paths(): each turns one document
// (file or archive member) into normalised advisories.
//
// Advisory feeds are untrusted input. A parser never stops at a bad record: it
// counts it, reports it in Diagnostics with the file and the reason, and goes on
// with the next one. Only a document that cannot be read at all (not JSON, too
// deep, too large) fails as a whole, and that too is one diagnostic, not an error
// for the rest of the import.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/diagnostics.hpp"
#include "vuln/db/advisory.hpp"

namespace bulwark::vuln::db {

struct ImportLimits {
  std::uint64_t max_document_bytes = 32ULL << 20;  // one file or archive member
  std::uint32_t max_depth = 64;                    // JSON/YAML nesting; real advisories stay below 10
  std::uint64_t max_records_per_document = 500'000;
  std::uint64_t max_archive_entries = 1'000'000;
  std::uint64_t max_archive_bytes = 4ULL << 30;  // uncompressed bytes over one archive
  std::uint32_t max_folder_depth = 32;
};

// Where a parser reports what it did with one document.
class ParseLog {
 public:
  ParseLog(core::Diagnostics& diags, std::string file) : diags_(diags), file_(std::move(file)) {}

  [[nodiscard]] const std::string& file() const noexcept { return file_; }
  // A record that could not be used: counted and reported.
  void reject(std::string_view item, std::string_view reason, int line = 0);
  // A record kept with something dropped or assumed.
  void warn(std::string_view item, std::string_view code, std::string_view reason, int line = 0);
  // The document as a whole could not be read.
  void unreadable(std::string_view reason);
  void count(std::string_view counter, std::size_t n = 1) { counters_[std::string(counter)] += n; }

  [[nodiscard]] std::size_t rejected() const noexcept { return rejected_; }
  [[nodiscard]] bool document_failed() const noexcept { return document_failed_; }
  [[nodiscard]] const std::map<std::string, std::size_t>& counters() const noexcept { return counters_; }

 private:
  core::Diagnostics& diags_;
  std::string file_;
  std::size_t rejected_ = 0;
  bool document_failed_ = false;
  std::map<std::string, std::size_t> counters_;
};

// Parses JSON text with a depth limit checked before the parser sees it. Returns
// a discarded value (is_discarded()) and logs the reason on failure.
[[nodiscard]] nlohmann::json parse_json_document(std::string_view text, const ImportLimits& limits, ParseLog& log);
// Parses YAML into the same tree (all scalars become strings).
[[nodiscard]] nlohmann::json parse_yaml_document(std::string_view text, const ImportLimits& limits, ParseLog& log);

// One OSV record (JSON or YAML tree). The source is "osv:<id prefix>", e.g. "osv:GO".
[[nodiscard]] std::vector<Advisory> parse_osv(const nlohmann::json& doc, ParseLog& log);

// Alpine secdb ({distroversion, packages: [{pkg: {name, secfixes}}]}), JSON or YAML tree.
// One advisory per CVE id and file; the source is "<source_prefix>:<release>/<repo>"
// (each file its own source, as every release repeats the same CVE ids).
[[nodiscard]] std::vector<Advisory> parse_alpine_secdb(const nlohmann::json& doc, std::string_view source_prefix,
                                                       ParseLog& log);

// Amazon Linux updateinfo.xml (ALAS): one advisory per security <update>, source "alas", the
// ecosystem from the id ("ALAS2023-…" -> "Amazon Linux:2023", "ALAS2-…" -> "Amazon Linux:2",
// "ALAS-…" -> "Amazon Linux:1"); binary packages fixed at [epoch:]version-release.
[[nodiscard]] std::vector<Advisory> parse_alas_updateinfo(std::string_view content, ParseLog& log);
[[nodiscard]] std::string alas_ecosystem(std::string_view id);

// One Red Hat CSAF VEX document (one CVE): source "redhat-csaf", id the CVE; one affected entry per
// rpm name per "Red Hat:enterprise_linux:<major>" (or "Red Hat:rhel_eus:8.6", ...) with the fixed
// [epoch:]version-release or the unfixed state; module stream packages as "<module>:<stream>/<name>".
// Documents that are not Red Hat's VEX (RHSA CSAF advisories, other publishers) are refused.
[[nodiscard]] std::vector<Advisory> parse_redhat_csaf(const nlohmann::json& doc, ParseLog& log);
// A Red Hat platform CPE to its ecosystem ("cpe:/o:redhat:enterprise_linux:8::baseos" ->
// "Red Hat:enterprise_linux:8"); empty for other products.
[[nodiscard]] std::string redhat_ecosystem(std::string_view cpe);

// One SUSE CVRF document (SUSE-SU-…, openSUSE-SU-… patch): source "suse-cvrf", id the patch id, the
// CVEs as aliases; one affected entry per binary rpm per product, the product as OSV names it
// ("SUSE:Linux Enterprise Module for Basesystem 15 SP1", "openSUSE:Leap 15.0"), fixed at
// version-release. Documents of other publishers are refused.
[[nodiscard]] std::vector<Advisory> parse_suse_cvrf(std::string_view content, ParseLog& log);
// A SUSE CVRF product name to its ecosystem; empty for products that are not SUSE's or openSUSE's.
[[nodiscard]] std::string suse_ecosystem(std::string_view product);

// Oracle Linux ELSA OVAL (one definition per ELSA, or the whole com.oracle.elsa-all.xml): source
// "oracle-oval", id the ELSA id, CVEs as aliases; binary rpms fixed at [epoch:]version-release in
// "Oracle Linux:<major>", read from the criteria ("<rpm> is earlier than <evr>"). Ksplice fixes dropped.
[[nodiscard]] std::vector<Advisory> parse_oracle_oval(std::string_view content, ParseLog& log);

// Azure Linux / CBL-Mariner OVAL (microsoft/AzureLinuxVulnerabilityData: azurelinux-3.0-oval.xml,
// cbl-mariner-2.0-oval.xml, ...): one advisory per CVE and release, source "azurelinux:<N>" or
// "cbl-mariner:<N>", packages in "Azure Linux:<N>" / "CBL-Mariner:<N>" (the release from the EVR's
// .azl<N>/.cm<N> tag, else the file name): fixed at the "less than" EVR, unfixed up to a "less than or
// equal" EVR, not affected when "Not Applicable".
[[nodiscard]] std::vector<Advisory> parse_azure_oval(std::string_view content, ParseLog& log);
// The ecosystem of a Microsoft OVAL file name ("azurelinux-3.0-oval.xml" -> "Azure Linux:3",
// ".../cbl-mariner-2.0-oval.xml" -> "CBL-Mariner:2"); empty for other names.
[[nodiscard]] std::string azure_oval_ecosystem(std::string_view file_name);

// Photon OS cve_data_photon<release>.json (a JSON array): one advisory per CVE, source
// "photon:<release>", packages in "Photon OS:<release>" fixed at res_ver (or unfixed / not affected).
[[nodiscard]] std::vector<Advisory> parse_photon(const nlohmann::json& doc, std::string_view release, ParseLog& log);
// The release of a Photon CVE file name ("cve_data_photon3.0.json" -> "3.0"); empty for other names.
[[nodiscard]] std::string photon_release(std::string_view file_name);

// One Wolfi <package>.advisories.yaml tree. Source "wolfi".
[[nodiscard]] std::vector<Advisory> parse_wolfi(const nlohmann::json& doc, ParseLog& log);

// Node security-wg legacy JSON; `core` selects the node-core shape. id_hint is the file stem.
enum class NodeWgKind { npm, core };
[[nodiscard]] std::vector<Advisory> parse_nodejs_wg(const nlohmann::json& doc, NodeWgKind kind,
                                                    std::string_view id_hint, ParseLog& log);

// Debian security tracker data/{DSA,DLA,DTSA}/list text. source_name: "debian-dsa", ...
[[nodiscard]] std::vector<Advisory> parse_debian_advisory_list(std::string_view text, std::string_view source_name,
                                                               ParseLog& log);
// Debian security tracker data/CVE/list text. Source "debian-cve".
[[nodiscard]] std::vector<Advisory> parse_debian_cve_list(std::string_view text, ParseLog& log);
// Debian suite code name -> OSV ecosystem ("bookworm" -> "Debian:12"); empty when unknown.
[[nodiscard]] std::string debian_ecosystem(std::string_view suite);

// RustSec native advisory: Markdown with TOML front matter. component_path is true
// for rust/<component>/ files (toolchain components rather than crates).
[[nodiscard]] std::vector<Advisory> parse_rustsec_markdown(std::string_view text, bool toolchain, ParseLog& log);

}  // namespace bulwark::vuln::db
