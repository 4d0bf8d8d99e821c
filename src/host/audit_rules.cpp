#include "host/audit_rules.hpp"

#include <linux/audit.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "util/fd.hpp"
#include "util/strings.hpp"

namespace bulwark::host {

namespace {

std::string strip_slash(std::string_view p) {
  while (p.size() > 1 && p.back() == '/') p.remove_suffix(1);
  return std::string(p);
}

// Rule fields whose value is a string stored in the rule's buffer (kernel: audit_krule_to_data).
bool is_string_field(std::uint32_t field) {
  switch (field) {
    case AUDIT_SUBJ_USER:
    case AUDIT_SUBJ_ROLE:
    case AUDIT_SUBJ_TYPE:
    case AUDIT_SUBJ_SEN:
    case AUDIT_SUBJ_CLR:
    case AUDIT_OBJ_USER:
    case AUDIT_OBJ_ROLE:
    case AUDIT_OBJ_TYPE:
    case AUDIT_OBJ_LEV_LOW:
    case AUDIT_OBJ_LEV_HIGH:
    case AUDIT_WATCH:
    case AUDIT_DIR:
    case AUDIT_FILTERKEY:
    case AUDIT_EXE: return true;
    default: return false;
  }
}

using util::Fd;

}  // namespace

std::vector<AuditRule> parse_audit_rules(std::string_view text, std::string_view origin) {
  std::vector<AuditRule> out;
  int lineno = 0;
  for (auto line : util::split(text, '\n')) {
    ++lineno;
    auto t = util::trim(line);
    if (t.empty() || t.front() == '#') continue;
    auto words = util::split_ws(t);
    for (std::size_t i = 0; i < words.size(); ++i) {
      std::string_view w = words[i];
      std::string path;
      if (w == "-w" && i + 1 < words.size()) {
        path = std::string(words[++i]);
      } else if (w.starts_with("-w") && w.size() > 2) {
        path = std::string(w.substr(2));
      } else if (w == "-F" && i + 1 < words.size()) {
        std::string_view f = words[++i];
        if (f.starts_with("path=")) path = std::string(f.substr(5));
        if (f.starts_with("dir=")) path = std::string(f.substr(4));
      }
      if (!path.empty()) out.push_back({strip_slash(path), fmt::format("{}:{}", origin, lineno)});
    }
  }
  return out;
}

std::vector<AuditRule> read_audit_rule_files(const HostFs& fs) {
  std::vector<AuditRule> out;
  auto add = [&](const std::string& path) {
    auto text = fs.read(path, 4 << 20);
    if (!text) return;
    auto rules = parse_audit_rules(*text, path);
    out.insert(out.end(), rules.begin(), rules.end());
  };
  add("/etc/audit/audit.rules");
  for (const auto& name : fs.list("/etc/audit/rules.d")) {
    if (name.ends_with(".rules")) add("/etc/audit/rules.d/" + name);
  }
  return out;
}

Result<std::vector<AuditRule>> read_loaded_audit_rules() {
  Fd fd(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT));
  if (fd.get() < 0) return fail(ErrorCode::io, std::strerror(errno), "audit netlink socket");
  timeval tv{2, 0};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  struct {
    nlmsghdr header;
  } request{};
  request.header.nlmsg_len = NLMSG_LENGTH(0);
  request.header.nlmsg_type = AUDIT_LIST_RULES;
  request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  request.header.nlmsg_seq = 1;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(fd.get(), &request, request.header.nlmsg_len, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) <
      0) {
    return fail(ErrorCode::io, std::strerror(errno), "audit netlink: list rules");
  }
  std::vector<AuditRule> out;
  std::vector<char> buf(1 << 16);
  for (int rounds = 0; rounds < 10000; ++rounds) {
    ssize_t n = ::recv(fd.get(), buf.data(), buf.size(), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(ErrorCode::io, std::strerror(errno), "audit netlink: list rules");
    }
    auto len = static_cast<unsigned>(n);
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf.data()); NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_type == NLMSG_DONE) return out;
      if (h->nlmsg_type == NLMSG_ERROR) {
        auto* err = static_cast<nlmsgerr*>(NLMSG_DATA(h));
        if (err->error == 0) continue;  // the ack
        return fail(ErrorCode::io, std::strerror(-err->error), "audit netlink: list rules");
      }
      if (h->nlmsg_type != AUDIT_LIST_RULES) continue;
      std::size_t payload = h->nlmsg_len - NLMSG_LENGTH(0);
      if (payload < sizeof(audit_rule_data)) continue;
      auto* rule = static_cast<audit_rule_data*>(NLMSG_DATA(h));
      std::size_t buflen = std::min<std::size_t>(rule->buflen, payload - sizeof(audit_rule_data));
      std::size_t offset = 0;
      for (std::uint32_t i = 0; i < rule->field_count && i < AUDIT_MAX_FIELDS; ++i) {
        std::uint32_t field = rule->fields[i] & ~AUDIT_OPERATORS;
        if (!is_string_field(field)) continue;
        std::size_t size = rule->values[i];
        if (offset + size > buflen) break;
        if (field == AUDIT_WATCH || field == AUDIT_DIR) {
          out.push_back({strip_slash(std::string_view(rule->buf + offset, size)), "kernel"});
        }
        offset += size;
      }
    }
  }
  return out;
}

const AuditRule* find_audit_rule(const std::vector<AuditRule>& rules, std::string_view path) {
  std::string p = strip_slash(path);
  for (const auto& r : rules) {
    if (r.path == p) return &r;
  }
  for (const auto& r : rules) {
    if (r.path != "/" && p.starts_with(r.path + "/")) return &r;
  }
  return nullptr;
}

}  // namespace bulwark::host
