// Runs one advisory parser over a document, with a ParseLog as the importer uses it.
#pragma once

#include <nlohmann/json.hpp>

#include "core/diagnostics.hpp"
#include "vuln/db/parsers.hpp"

namespace bulwark::fuzz {

inline vuln::db::ImportLimits advisory_limits() {
  vuln::db::ImportLimits l;
  l.max_document_bytes = 4 << 20;
  l.max_records_per_document = 20000;
  return l;
}

}  // namespace bulwark::fuzz
