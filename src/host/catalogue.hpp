// The host audit's check catalogue: every check `bulwark host` can report, as
// data. Most are the CIS Docker Benchmark's recommendations (numbered as in
// 1.6.0, which 1.7.0 keeps; `cis_1_8` names the 1.8.0 number where that version
// renumbered); a few are bulwark's own (kernel settings, the runtime-agnostic
// /proc posture of containerised processes). Every finding the audit produces
// is built from one entry here, so ids, titles, levels and remediation live in
// one place and docs can be generated from it.
#pragma once

#include <span>
#include <string_view>

#include "core/model.hpp"

namespace bulwark::host {

enum class Section {
  host = 1,        // §1 host configuration
  daemon = 2,      // §2 daemon configuration
  files = 3,       // §3 daemon configuration files
  images = 4,      // §4 container images and build files
  containers = 5,  // §5 container runtime
  operations = 6,  // §6 security operations
  swarm = 7,       // §7 swarm configuration
  kernel = 8,      // bulwark: kernel settings for container hosts
  processes = 9,   // bulwark: posture of containerised processes from /proc
};
[[nodiscard]] std::string_view section_title(Section s) noexcept;

// Automated checks decide pass or fail and count in the score; manual ones need a person.
enum class Assessment { automated, manual };

struct CheckDef {
  std::string_view id;       // bulwark's stable id: "BLWK-CIS-5.10", "BLWK-PROC-002"
  std::string_view cis;      // CIS Docker Benchmark 1.6.0 / 1.7.0 id; empty for bulwark's own checks
  std::string_view cis_1_8;  // the 1.8.0 id where it differs from `cis`; empty otherwise
  std::string_view title;
  int level = 1;  // CIS profile level (1 or 2); bulwark's own checks use 1
  Section section = Section::host;
  core::Practice practice = core::Practice::host_hardening;
  core::Severity severity = core::Severity::medium;
  Assessment assessment = Assessment::automated;
  std::string_view remediation;
};

[[nodiscard]] std::span<const CheckDef> catalogue() noexcept;
// The entry with this bulwark id or CIS id ("BLWK-CIS-5.10" or "5.10"); nullptr when unknown.
[[nodiscard]] const CheckDef* find_check(std::string_view id) noexcept;

// A finding for check `def` about `target` with the given status and evidence:
// id, title, severity, practice, standards and remediation come from the catalogue.
[[nodiscard]] core::Finding make_finding(const CheckDef& def, const core::Target& target, core::FindingStatus status,
                                         std::string evidence);

}  // namespace bulwark::host
