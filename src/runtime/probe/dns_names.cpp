#include "runtime/probe/dns_names.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>

namespace bulwark::runtime::probe {
namespace {

constexpr std::size_t kMaxNames = 256;

bool host_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
}

void add(std::vector<std::string>& out, std::string_view raw) {
  while (!raw.empty() && (raw.front() == '"' || raw.front() == '\'' || raw.front() == ' ')) raw.remove_prefix(1);
  while (!raw.empty() && (raw.back() == '"' || raw.back() == '\'' || raw.back() == ' ')) raw.remove_suffix(1);
  if (raw.empty() || raw.find('.') == std::string_view::npos) return;
  if (!std::all_of(raw.begin(), raw.end(), host_char)) return;
  if (out.size() < kMaxNames && std::find(out.begin(), out.end(), raw) == out.end()) out.emplace_back(raw);
}

}  // namespace

std::vector<std::string> sip_names_in_rules(std::string_view text) {
  std::vector<std::string> out;
  constexpr std::string_view key = "fd.sip.name";
  for (std::size_t at = text.find(key); at != std::string_view::npos; at = text.find(key, at + key.size())) {
    std::size_t i = at + key.size();
    while (i < text.size() && text[i] == ' ') ++i;
    if (i < text.size() && text[i] == '=') {
      ++i;
      while (i < text.size() && text[i] == ' ') ++i;
      std::size_t j = i;
      while (j < text.size() && (host_char(text[j]) || text[j] == '"' || text[j] == '\'')) ++j;
      add(out, text.substr(i, j - i));
    } else if (text.substr(i, 2) == "in") {
      std::size_t open = text.find('(', i);
      std::size_t close = open == std::string_view::npos ? open : text.find(')', open);
      if (close == std::string_view::npos || open > i + 4) continue;
      std::string_view list = text.substr(open + 1, close - open - 1);
      std::size_t start = 0;
      while (start <= list.size()) {
        std::size_t comma = list.find(',', start);
        if (comma == std::string_view::npos) comma = list.size();
        add(out, list.substr(start, comma - start));
        start = comma + 1;
      }
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> resolve_names(const std::vector<std::string>& names) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& name : names) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    if (::getaddrinfo(name.c_str(), nullptr, &hints, &res) != 0) continue;
    for (addrinfo* a = res; a != nullptr; a = a->ai_next) {
      char buf[INET6_ADDRSTRLEN] = {};
      if (a->ai_family == AF_INET) {
        ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(a->ai_addr)->sin_addr, buf, sizeof(buf));
      } else if (a->ai_family == AF_INET6) {
        ::inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(a->ai_addr)->sin6_addr, buf, sizeof(buf));
      } else {
        continue;
      }
      std::pair<std::string, std::string> entry{buf, name};
      if (std::find(out.begin(), out.end(), entry) == out.end()) out.push_back(std::move(entry));
    }
    ::freeaddrinfo(res);
  }
  return out;
}

}  // namespace bulwark::runtime::probe
