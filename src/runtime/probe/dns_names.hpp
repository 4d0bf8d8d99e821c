// fd.sip.name for the live monitor: Falco resolves the host names that rules
// compare fd.sip.name with, so a connect to one of their addresses carries the
// name. These helpers find those names in rule text and resolve them (the
// monitor feeds the answers to the process table's DNS map).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bulwark::runtime::probe {

// Host names that rules compare fd.sip.name with (`fd.sip.name = x`, `fd.sip.name in (x, y)`,
// quoted or not). Deduplicated, in order of appearance, at most 256.
[[nodiscard]] std::vector<std::string> sip_names_in_rules(std::string_view rules_text);

// (ip, name) for every address `name` resolves to now (getaddrinfo: /etc/hosts, then DNS).
[[nodiscard]] std::vector<std::pair<std::string, std::string>> resolve_names(const std::vector<std::string>& names);

}  // namespace bulwark::runtime::probe
