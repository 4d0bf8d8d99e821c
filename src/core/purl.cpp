#include "core/purl.hpp"

#include <fmt/format.h>

#include "util/strings.hpp"

namespace bulwark::core {

namespace {
bool unreserved(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size()) return fail(ErrorCode::parse, "truncated percent-encoding", std::string(s));
      int hi = hexval(s[i + 1]), lo = hexval(s[i + 2]);
      if (hi < 0 || lo < 0) return fail(ErrorCode::parse, "bad percent-encoding", std::string(s));
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}
}  // namespace

std::string purl_encode(std::string_view s, bool keep_slash) {
  std::string out;
  for (unsigned char c : s) {
    if (unreserved(c) || (keep_slash && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

std::string Purl::str() const {
  std::string out = "pkg:" + util::to_lower(type) + "/";
  if (!namespace_.empty()) {
    bool first = true;
    for (auto seg : util::split(namespace_, '/')) {
      if (seg.empty()) continue;
      if (!first) out += "/";
      out += purl_encode(seg);
      first = false;
    }
    out += "/";
  }
  out += purl_encode(name);
  if (!version.empty()) out += "@" + purl_encode(version);
  bool first = true;
  for (auto& [k, v] : qualifiers) {
    if (v.empty()) continue;
    out += first ? "?" : "&";
    first = false;
    out += util::to_lower(k) + "=" + purl_encode(v, false);
  }
  if (!subpath.empty()) out += "#" + purl_encode(subpath, true);
  return out;
}

Result<Purl> parse_purl(std::string_view text) {
  std::string_view s = text;
  if (s.substr(0, 4) != "pkg:") return fail(ErrorCode::parse, "purl must start with 'pkg:'", std::string(text));
  s.remove_prefix(4);
  while (!s.empty() && s.front() == '/') s.remove_prefix(1);
  Purl p;
  if (auto hash = s.find('#'); hash != std::string_view::npos) {
    auto sub = decode(s.substr(hash + 1));
    if (!sub) return std::unexpected(sub.error());
    p.subpath = *sub;
    s = s.substr(0, hash);
  }
  if (auto q = s.find('?'); q != std::string_view::npos) {
    for (auto kv : util::split(s.substr(q + 1), '&')) {
      if (kv.empty()) continue;
      auto eq = kv.find('=');
      if (eq == std::string_view::npos) return fail(ErrorCode::parse, "qualifier without '='", std::string(text));
      auto v = decode(kv.substr(eq + 1));
      if (!v) return std::unexpected(v.error());
      p.qualifiers[util::to_lower(kv.substr(0, eq))] = *v;
    }
    s = s.substr(0, q);
  }
  auto slash = s.find('/');
  if (slash == std::string_view::npos) return fail(ErrorCode::parse, "purl has no type", std::string(text));
  p.type = util::to_lower(s.substr(0, slash));
  s = s.substr(slash + 1);
  // The version follows the last '@' of the remainder (namespaces may not contain '@' unencoded).
  if (auto at = s.rfind('@'); at != std::string_view::npos) {
    auto v = decode(s.substr(at + 1));
    if (!v) return std::unexpected(v.error());
    p.version = *v;
    s = s.substr(0, at);
  }
  while (!s.empty() && s.back() == '/') s.remove_suffix(1);
  auto last = s.rfind('/');
  auto name = decode(last == std::string_view::npos ? s : s.substr(last + 1));
  if (!name) return std::unexpected(name.error());
  if (name->empty()) return fail(ErrorCode::parse, "purl has no name", std::string(text));
  p.name = *name;
  if (last != std::string_view::npos) {
    std::string ns;
    for (auto seg : util::split(s.substr(0, last), '/')) {
      if (seg.empty()) continue;
      auto d = decode(seg);
      if (!d) return std::unexpected(d.error());
      if (!ns.empty()) ns += "/";
      ns += *d;
    }
    p.namespace_ = ns;
  }
  return p;
}

}  // namespace bulwark::core
