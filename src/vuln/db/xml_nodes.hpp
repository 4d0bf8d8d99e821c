// Small libxml2 helpers shared by the XML advisory parsers (ALAS updateinfo, SUSE CVRF, OVAL).
// Documents are read from memory without network access and without entity expansion.
#pragma once

#include <fmt/format.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include <memory>
#include <string>
#include <string_view>

#include "util/strings.hpp"
#include "vuln/db/parsers.hpp"

namespace bulwark::vuln::db::xml {

using DocPtr = std::unique_ptr<xmlDoc, decltype(&xmlFreeDoc)>;

inline bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    const std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return false;
    }
    i += n;
  }
  return true;
}

// Parses the document; on failure logs it as unreadable and returns null. A document that says
// UTF-8 but holds Latin-1 bytes (older SUSE CVRF has names like "Ga\xEBl" in its notes) is read
// again as ISO-8859-1, with a warning.
inline DocPtr read(std::string_view content, ParseLog& log) {
  constexpr int kOptions = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
  DocPtr doc(xmlReadMemory(content.data(), static_cast<int>(content.size()), log.file().c_str(), nullptr, kOptions),
             &xmlFreeDoc);
  if (!doc) {
    if (!valid_utf8(content)) {
      doc.reset(
          xmlReadMemory(content.data(), static_cast<int>(content.size()), log.file().c_str(), "ISO-8859-1", kOptions));
      if (doc) {
        log.warn("document", "not-utf8", "declares UTF-8 but is not valid UTF-8; read as ISO-8859-1");
        return doc;
      }
    }
  }
  if (!doc) {
    const xmlError* e = xmlGetLastError();
    log.unreadable(
        fmt::format("not well-formed XML{}", e && e->message ? ": " + std::string(util::trim(e->message)) : ""));
  }
  return doc;
}

inline std::string attr(xmlNode* node, const char* name) {
  xmlChar* v = xmlGetProp(node, reinterpret_cast<const xmlChar*>(name));
  if (v == nullptr) return {};
  std::string out(reinterpret_cast<const char*>(v));
  xmlFree(v);
  return out;
}

// The element's text content, trimmed.
inline std::string text(xmlNode* node) {
  xmlChar* v = xmlNodeGetContent(node);
  if (v == nullptr) return {};
  std::string out(reinterpret_cast<const char*>(v));
  xmlFree(v);
  return std::string(util::trim(out));
}

// An element of this local name (namespaces are not compared).
inline bool named(xmlNode* node, std::string_view name) {
  return node != nullptr && node->type == XML_ELEMENT_NODE && name == reinterpret_cast<const char*>(node->name);
}

// The first child element of this name, or null.
inline xmlNode* child(xmlNode* node, std::string_view name) {
  if (node == nullptr) return nullptr;
  for (xmlNode* c = node->children; c != nullptr; c = c->next) {
    if (named(c, name)) return c;
  }
  return nullptr;
}

}  // namespace bulwark::vuln::db::xml
