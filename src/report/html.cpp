// The HTML report: a page skeleton, the embedded JSON document and the page's own
// script and style sheet (src/report/html/report.{js,css}, embedded at build time).
#include "report/html.hpp"
#include "report/vulnerabilities.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <utility>
#include <vector>

#include "util/json_depth.hpp"
#include "util/sha256.hpp"

namespace bulwark::report {

namespace detail {
std::vector<std::pair<std::string_view, std::string_view>> embedded_html_files();
}  // namespace detail

namespace {

constexpr std::uint32_t kMaxDepth = 64;

std::string_view embedded(std::string_view name) {
  for (const auto& [file, body] : detail::embedded_html_files()) {
    if (file == name) return body;
  }
  return {};
}

std::string base64(const std::vector<unsigned char>& bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const std::uint32_t v = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i + 1 == bytes.size()) {
    const std::uint32_t v = bytes[i] << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == bytes.size()) {
    const std::uint32_t v = (bytes[i] << 16) | (bytes[i + 1] << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

std::string page(std::string_view json) {
  const std::string_view script = embedded("report.js");
  const std::string_view style = embedded("report.css");
  std::string out;
  out.reserve(json.size() + script.size() + style.size() + 2048);
  out +=
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src ";
  out += csp_hash(script);
  out += "; style-src ";
  out += csp_hash(style);
  out +=
      "; img-src data:; base-uri 'none'; form-action 'none'\">\n"
      "<meta name=\"referrer\" content=\"no-referrer\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<meta name=\"generator\" content=\"bulwark\">\n"
      "<title>bulwark report</title>\n<style>";
  out += style;
  out +=
      "</style>\n</head>\n<body>\n"
      "<noscript><p>This report is drawn by its inline script; the findings are in the JSON block of this "
      "file.</p></noscript>\n<main id=\"app\"></main>\n"
      "<script type=\"application/json\" id=\"bulwark-data\">";
  out += escape_json_for_script(json);
  out += "</script>\n<script>";
  out += script;
  out += "</script>\n</body>\n</html>\n";
  return out;
}

}  // namespace

std::string escape_json_for_script(std::string_view json) {
  std::string out;
  out.reserve(json.size() + json.size() / 16);
  for (std::size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    // In JSON these characters only occur inside strings, where \u escapes mean the same.
    if (c == '<') {
      out += "\\u003c";
    } else if (c == '>') {
      out += "\\u003e";
    } else if (c == '&') {
      out += "\\u0026";
    } else if (c == '\xE2' && i + 2 < json.size() && json[i + 1] == '\x80' &&
               (json[i + 2] == '\xA8' || json[i + 2] == '\xA9')) {
      out += json[i + 2] == '\xA8' ? "\\u2028" : "\\u2029";
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

std::string csp_hash(std::string_view body) {
  const std::string hex = util::sha256_hex(body);
  std::vector<unsigned char> bytes;
  bytes.reserve(hex.size() / 2);
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    bytes.push_back(static_cast<unsigned char>(hex_value(hex[i]) * 16 + hex_value(hex[i + 1])));
  }
  return "'sha256-" + base64(bytes) + "'";
}

std::string write_html(const std::vector<core::ScanResult>& results, JsonOptions options,
                       const std::vector<std::optional<core::VulnCoverage>>& coverage) {
  options.include_packages = true;
  options.include_passed = true;
  return page(write_json(results, options, coverage));
}

Result<std::string> html_from_json(std::string_view document) {
  if (util::json_depth(document, kMaxDepth) > kMaxDepth) {
    return fail(ErrorCode::limit, "the document nests deeper than 64 levels");
  }
  auto doc = nlohmann::ordered_json::parse(document, nullptr, false);
  if (doc.is_discarded()) return fail(ErrorCode::parse, "not a JSON document");
  if (!doc.is_object() || !doc.contains("schema") || doc["schema"] != "bulwark/v1") {
    return fail(ErrorCode::parse, "not a bulwark/v1 document (\"schema\": \"bulwark/v1\" is missing)");
  }
  if (!doc.contains("targets") || !doc["targets"].is_array() || !doc.contains("findings") ||
      !doc["findings"].is_array()) {
    return fail(ErrorCode::parse, "a bulwark/v1 document needs the arrays \"targets\" and \"findings\"");
  }
  // Re-written, so the page holds well-formed JSON whatever the file's spacing or encoding.
  return page(doc.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
}

}  // namespace bulwark::report
