// Identifiers and stamps shared by the SBOM writers: random UUIDs for
// serial numbers and namespaces, the creation time, and SPDX element ids.
//
// Both formats want every document to be globally unique (CycloneDX's
// serialNumber, SPDX's documentNamespace), so each write draws a fresh UUID;
// SPDX ids only allow a small alphabet, so names from scanned images are
// sanitized before they become part of one.
#pragma once

#include <string>
#include <string_view>

namespace bulwark::sbom {

// A random (version 4) UUID in lower-case 8-4-4-4-12 form.
[[nodiscard]] std::string random_uuid_v4();

// The current UTC time as "YYYY-MM-DDThh:mm:ssZ" (the form SPDX requires and
// CycloneDX accepts).
[[nodiscard]] std::string utc_now_rfc3339();

// Replaces every character that SPDX does not allow in an id string (anything
// but ASCII letters, digits, '.' and '-') with '-'. Never returns an empty string.
[[nodiscard]] std::string sanitize_spdx_idstring(std::string_view text);

// True when text is a valid SPDX element id: "SPDXRef-" followed by one or more
// letters, digits, '.' or '-'.
[[nodiscard]] bool is_valid_spdx_id(std::string_view text);

// The canonical form (core::Purl::str) of a package URL, or an empty string when
// it does not parse: catalogers build canonical purls already, but a purl that
// came from an SBOM or a manifest is written back only in the one form.
[[nodiscard]] std::string canonical_purl(std::string_view purl);

}  // namespace bulwark::sbom
