// The audit (auditd) rules that watch Docker's files, for CIS 1.1.3-1.1.18:
// read from the rules files on disk (/etc/audit/audit.rules and rules.d/*.rules)
// and, on the live host, the rules loaded in the kernel (asked over the audit
// netlink socket, as auditctl -l does, without running it).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "host/hostfs.hpp"
#include "util/error.hpp"

namespace bulwark::host {

struct AuditRule {
  std::string path;    // the watched file or directory
  std::string origin;  // "/etc/audit/rules.d/docker.rules:3" or "kernel"
};

// Watched paths in audit rules text: `-w PATH ...`, `-a ... -F path=PATH`, `-F dir=PATH`.
[[nodiscard]] std::vector<AuditRule> parse_audit_rules(std::string_view text, std::string_view origin);

// Every rules file below fs (audit.rules and rules.d/*.rules).
[[nodiscard]] std::vector<AuditRule> read_audit_rule_files(const HostFs& fs);

// The watch rules loaded in the running kernel (needs CAP_AUDIT_CONTROL).
[[nodiscard]] Result<std::vector<AuditRule>> read_loaded_audit_rules();

// The rule that covers path (the path itself or a watched directory above it), if any.
[[nodiscard]] const AuditRule* find_audit_rule(const std::vector<AuditRule>& rules, std::string_view path);

}  // namespace bulwark::host
