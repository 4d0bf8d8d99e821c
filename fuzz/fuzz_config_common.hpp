// One `bulwark config` run over a single document of a given kind.
#pragma once

#include <string>
#include <string_view>

#include "config/analyze.hpp"
#include "config/document.hpp"
#include "core/diagnostics.hpp"

namespace bulwark::fuzz {

inline void analyze_one(std::string_view text, config::DocumentKind kind, std::string_view name) {
  config::Document doc;
  doc.path = std::string(name);
  doc.kind = kind;
  doc.text = std::string(text);
  config::AnalyzeOptions options;
  options.include_passed = true;
  core::Diagnostics diags;
  (void)config::analyze({doc}, options, diags);
  (void)config::detect_kind(name, text);
}

}  // namespace bulwark::fuzz
