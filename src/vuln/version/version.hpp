// Version comparison for every package ecosystem bulwark matches advisories in.
//
// An advisory says "fixed in 1:2.3-4" or "affected >=1.0,<2.0"; an image says "2.3-3". Whether the
// package is vulnerable depends on comparing those strings exactly as the ecosystem's own tool
// does (dpkg, apk, rpm, pip/packaging, node-semver, Go's x/mod/semver, Maven's ComparableVersion,
// RubyGems' Gem::Version, Cargo's semver crate); a "close enough" comparator produces false
// negatives. Versions are untrusted input: every comparator runs in linear time, keeps numeric
// components as digit strings (no overflow however long), and never recurses on input depth.
#pragma once

#include <string>
#include <string_view>

#include "util/error.hpp"

namespace bulwark::vuln::version {

enum class Scheme {
  dpkg,      // Debian, Ubuntu
  apk,       // Alpine, Wolfi, Chainguard
  rpm,       // Red Hat family, SUSE, Amazon Linux (rpmvercmp on [epoch:]version[-release])
  pep440,    // PyPI (packaging.version / packaging.specifiers)
  npm,       // node-semver
  go,        // golang.org/x/mod/semver
  maven,     // Maven ComparableVersion
  rubygems,  // Gem::Version / Gem::Requirement
  cargo,     // the Rust semver crate (crates.io)
};

// node-semver's options; the other schemes ignore them.
enum class Loose { no, yes };
enum class IncludePrerelease { no, yes };
struct Options {
  Loose loose = Loose::no;
  IncludePrerelease include_prerelease = IncludePrerelease::no;
};

// OSV ecosystem names ("Debian", "Alpine", "Red Hat", "PyPI", "npm", "Go", "Maven", "RubyGems",
// "crates.io", ...), distribution names that use one of the schemes ("Rocky Linux", "SUSE",
// "Wolfi", ...) and the scheme names themselves ("dpkg", "apk", "rpm", "pep440", "semver", ...).
// Case-insensitive; an OSV "Debian:12" style suffix is accepted.
[[nodiscard]] Result<Scheme> parse_scheme(std::string_view name);
[[nodiscard]] std::string_view to_string(Scheme scheme) noexcept;

// The sign of a <=> b: -1, 0 or 1. Fails where the ecosystem's tool rejects a version; where the
// tool compares malformed versions anyway (apk, Go, Maven, RubyGems legacy input) so does this.
[[nodiscard]] Result<int> compare(Scheme scheme, std::string_view a, std::string_view b, Options options = {});

// Whether `version` is a valid version for the scheme (as the tool's own validation says).
[[nodiscard]] bool is_valid(Scheme scheme, std::string_view version, Options options = {});

// Whether `version` lies in `range`, in the scheme's own range syntax:
//   npm       node-semver ranges: "^1.2.3 || >=2.0.0 <3", "1.0 - 2.0", "~1.2", "1.x"
//   cargo     Cargo requirements: "^1.2", "~1", ">=1.0, <2.0", "1.*", "=1.2.3"
//   pep440    PEP 440 specifiers: ">=1.0,<2.0", "~=1.4.2", "==1.*", "!=1.5", "===foo"
//   apk       one apk constraint: "<1.2-r0", ">=1.0", "~1.2", "<~1.3", ">~1.3", "=1.2"
//   maven     Maven ranges: "[1.0,2.0)", "(,1.5]", "[1.2]", unions "[1,2),[3,4)"; a bare version is ">="
//   rubygems  Gem::Requirement: "~> 1.2", ">= 1.0, < 2"
//   others    comparator lists: ">= 1.0, < 2.0" (also "<<", ">>" for dpkg), "||" between alternatives
[[nodiscard]] Result<bool> satisfies(Scheme scheme, std::string_view version, std::string_view range,
                                     Options options = {});

// Go only: x/mod/semver.Canonical ("" for an invalid version).
[[nodiscard]] std::string go_canonical(std::string_view version);

}  // namespace bulwark::vuln::version
