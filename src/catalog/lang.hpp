// Language package catalogers: what pip, npm, gem and Maven installed into an image
// or root filesystem, found from the metadata each package manager leaves beside the
// installed files (not from lock files, which describe a build, not what shipped).
//  - Python: site-packages/*.dist-info/METADATA and *.egg-info/PKG-INFO (or the
//    egg-info file itself); name, version, license.
//  - Node.js: node_modules/<name>/package.json and node_modules/@scope/<name>/package.json,
//    at any depth (nested node_modules included).
//  - Ruby: specifications/*.gemspec of installed gems.
//  - Java: *.jar/*.war/*.ear read in memory (never extracted), with
//    META-INF/maven/<group>/<artifact>/pom.properties, and jars nested one level
//    (Spring Boot's BOOT-INF/lib, WEB-INF/lib).
// Each package's layer is the layer that wrote its metadata file.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "catalog/catalog.hpp"

namespace bulwark::catalog {

[[nodiscard]] std::vector<std::unique_ptr<Cataloger>> lang_catalogers();

// Parsers on raw bytes (for tests and fuzzing). Each returns nullopt-like empty
// results on malformed input and never throws.
[[nodiscard]] std::optional<core::Package> parse_python_metadata(std::string_view text, std::string_view path);
[[nodiscard]] std::optional<core::Package> parse_npm_package_json(std::string_view text, std::string_view path);
[[nodiscard]] std::optional<core::Package> parse_gemspec(std::string_view text, std::string_view path);
[[nodiscard]] Result<std::vector<core::Package>> parse_java_archive(std::string_view bytes, std::string_view path,
                                                                    int nesting = 0);

// PEP 503 name normalisation: lower case, runs of "-", "_" and "." become "-".
[[nodiscard]] std::string normalize_python_name(std::string_view name);

}  // namespace bulwark::catalog
