// SPDX licence identifiers and expressions, as the SBOM writers need them.
//
// Catalogers report licences as the package metadata states them: sometimes an
// SPDX id ("MIT"), sometimes an expression ("GPL-2.0-or-later OR MIT"), often
// free text ("GPL-2+", "BSD-like"). CycloneDX only accepts ids from the SPDX list
// in `license.id` (its schema enumerates them), and SPDX documents only accept
// valid expressions in `licenseDeclared`. These helpers decide which case a text
// is, so the writers never claim an SPDX id they cannot vouch for. bulwark knows
// a curated subset of the SPDX licence list (the licences common in distribution
// and language packages); texts outside it are treated as free text.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace bulwark::sbom {

// The canonical spelling of an SPDX licence id (ids match case-insensitively,
// as the SPDX spec says), or nullopt when the text is not a known id.
[[nodiscard]] std::optional<std::string> spdx_license_id(std::string_view text);

// The canonical form of a valid SPDX licence expression built only from known
// ids and exceptions ("mit or apache-2.0" is not valid: operators are upper case;
// "MIT OR apache-2.0" becomes "MIT OR Apache-2.0"), or nullopt.
// LicenseRef- ids are refused: a document would have to define them.
[[nodiscard]] std::optional<std::string> spdx_license_expression(std::string_view text);

// Every licence id and exception id bulwark recognises (for tests that check
// them against the official SPDX list).
[[nodiscard]] std::span<const std::string_view> known_spdx_license_ids() noexcept;
[[nodiscard]] std::span<const std::string_view> known_spdx_exception_ids() noexcept;

}  // namespace bulwark::sbom
