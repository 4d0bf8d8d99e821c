#include "config/k8s/netpol_engine.hpp"
#include "util/strings.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>
#include <tuple>
#include <unordered_map>

namespace bulwark::config::k8s::netpol {

namespace {

// ---- small YAML helpers (never throw for a wrong node type) ----

YAML::Node child(const YAML::Node& n, const char* key) {
  if (!n || !n.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  return n[key];
}

bool present(const YAML::Node& n) {
  return n && n.IsDefined() && !n.IsNull();
}

std::string scalar(const YAML::Node& n, std::string fallback = {}) {
  if (!n || !n.IsScalar()) return fallback;
  return n.Scalar();
}

std::optional<long long> integer(const YAML::Node& n) {
  if (!n || !n.IsScalar()) return std::nullopt;
  const std::string& s = n.Scalar();
  long long v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
  return v;
}

core::Location location_of(const YAML::Node& n, const core::Location& fallback) {
  core::Location loc = fallback;
  if (n && n.Mark().line >= 0) {
    loc.line = n.Mark().line + 1;
    loc.column = n.Mark().column + 1;
  }
  return loc;
}

std::string where(const core::Location& loc) {
  if (loc.line > 0) return fmt::format("{}:{}:{}", loc.path, loc.line, loc.column);
  return loc.path;
}

Error invalid(const core::Location& loc, std::string message) {
  return Error{ErrorCode::parse, std::move(message), where(loc)};
}

Labels labels_of(const YAML::Node& n) {
  Labels out;
  if (!n || !n.IsMap()) return out;
  for (const auto& kv : n) {
    if (kv.first.IsScalar() && kv.second.IsScalar()) out[kv.first.Scalar()] = kv.second.Scalar();
  }
  return out;
}

// ---- label syntax (apimachinery validation: qualified names and label values) ----

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool valid_name_part(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  if (!is_alnum(s.front()) || !is_alnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return is_alnum(c) || c == '-' || c == '_' || c == '.'; });
}

bool valid_dns_subdomain(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  if (!is_alnum(s.front()) || !is_alnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.'; });
}

bool valid_label_key(std::string_view key) {
  auto slash = key.find('/');
  if (slash == std::string_view::npos) return valid_name_part(key);
  return valid_dns_subdomain(key.substr(0, slash)) && valid_name_part(key.substr(slash + 1));
}

bool valid_label_value(std::string_view v) {
  return v.empty() || valid_name_part(v);
}

Result<Selector> parse_selector(const YAML::Node& n, const core::Location& at) {
  Selector sel;
  if (!present(n)) return sel;
  if (!n.IsMap()) return std::unexpected(invalid(location_of(n, at), "selector error: a label selector must be a map"));
  auto ml = child(n, "matchLabels");
  if (present(ml)) {
    if (!ml.IsMap()) return std::unexpected(invalid(location_of(ml, at), "selector error: matchLabels must be a map"));
    for (const auto& kv : ml) {
      std::string k = scalar(kv.first);
      std::string v = scalar(kv.second);
      if (!valid_label_key(k))
        return std::unexpected(
            invalid(location_of(kv.first, at), fmt::format("selector error: key: Invalid value: \"{}\"", k)));
      if (!valid_label_value(v))
        return std::unexpected(invalid(location_of(kv.second, at),
                                       fmt::format("selector error: values[0][{}]: Invalid value: \"{}\"", k, v)));
      sel.match_labels.emplace_back(k, v);
    }
  }
  auto me = child(n, "matchExpressions");
  if (present(me)) {
    if (!me.IsSequence())
      return std::unexpected(invalid(location_of(me, at), "selector error: matchExpressions must be a list"));
    for (const auto& e : me) {
      SelectorExpr x;
      x.key = scalar(child(e, "key"));
      x.op = scalar(child(e, "operator"));
      auto vals = child(e, "values");
      if (vals && vals.IsSequence())
        for (const auto& v : vals) x.values.push_back(scalar(v));
      auto eloc = location_of(e, at);
      if (!valid_label_key(x.key))
        return std::unexpected(invalid(eloc, fmt::format("selector error: key: Invalid value: \"{}\"", x.key)));
      if (x.op == "In" || x.op == "NotIn") {
        if (x.values.empty())
          return std::unexpected(invalid(
              eloc, fmt::format("selector error: values: for 'in', 'notin' operators, values set can't be empty")));
        for (const auto& v : x.values)
          if (!valid_label_value(v))
            return std::unexpected(invalid(eloc, fmt::format("selector error: values: Invalid value: \"{}\"", v)));
      } else if (x.op == "Exists" || x.op == "DoesNotExist") {
        if (!x.values.empty())
          return std::unexpected(invalid(
              eloc, "selector error: values: values set must be empty for exists and does not exist operators"));
      } else {
        return std::unexpected(
            invalid(eloc, fmt::format("selector error: \"{}\" is not a valid label selector operator", x.op)));
      }
      sel.match_expressions.push_back(std::move(x));
    }
  }
  return sel;
}

// ---- IPv4 ranges ----

std::optional<std::uint32_t> parse_ipv4(std::string_view s) {
  std::uint32_t out = 0;
  int parts = 0;
  while (parts < 4) {
    unsigned v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || p == s.data() || v > 255) return std::nullopt;
    out = (out << 8) | v;
    ++parts;
    s.remove_prefix(static_cast<std::size_t>(p - s.data()));
    if (parts < 4) {
      if (s.empty() || s.front() != '.') return std::nullopt;
      s.remove_prefix(1);
    }
  }
  if (!s.empty()) return std::nullopt;
  return out;
}

// nullopt + ok: IPv6 (not modelled); error: malformed.
Result<std::optional<IpRange>> parse_cidr(std::string_view cidr, const core::Location& at) {
  auto bad = [&] { return std::unexpected(invalid(at, fmt::format("CIDR error: invalid CIDR address: {}", cidr))); };
  auto slash = cidr.find('/');
  if (slash == std::string_view::npos) return bad();
  auto addr = cidr.substr(0, slash);
  auto bits_s = cidr.substr(slash + 1);
  unsigned bits = 0;
  auto [p, ec] = std::from_chars(bits_s.data(), bits_s.data() + bits_s.size(), bits);
  if (ec != std::errc{} || p != bits_s.data() + bits_s.size() || bits_s.empty()) return bad();
  if (addr.find(':') != std::string_view::npos) {
    // IPv6 is not modelled, but it must be well-formed: hex groups, colons, at most one "::".
    bool ok = bits <= 128 && std::all_of(addr.begin(), addr.end(), [](char c) {
                return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
              });
    auto dbl = addr.find("::");
    if (dbl != std::string_view::npos && addr.find("::", dbl + 1) != std::string_view::npos) ok = false;
    if (!ok) return bad();
    return std::optional<IpRange>{};
  }
  auto ip = parse_ipv4(addr);
  if (!ip || bits > 32) return bad();
  std::uint32_t mask = bits == 0 ? 0u : (0xFFFFFFFFu << (32 - bits));
  IpRange r{*ip & mask, (*ip & mask) | ~mask};
  return std::optional<IpRange>{r};
}

std::vector<IpRange> subtract(std::vector<IpRange> from, const IpRange& cut) {
  std::vector<IpRange> out;
  for (const auto& r : from) {
    if (cut.hi < r.lo || cut.lo > r.hi) {
      out.push_back(r);
      continue;
    }
    if (cut.lo > r.lo) out.push_back({r.lo, cut.lo - 1});
    if (cut.hi < r.hi) out.push_back({cut.hi + 1, r.hi});
  }
  return out;
}

// The elementary intervals of [0, 2^32) cut at every range boundary.
std::vector<IpRange> disjoint_blocks(const std::vector<IpRange>& ranges) {
  std::set<std::uint64_t> cuts{0, 0x100000000ull};
  for (const auto& r : ranges) {
    cuts.insert(r.lo);
    cuts.insert(static_cast<std::uint64_t>(r.hi) + 1);
  }
  std::vector<IpRange> out;
  for (auto it = cuts.begin(); std::next(it) != cuts.end(); ++it) {
    out.push_back({static_cast<std::uint32_t>(*it), static_cast<std::uint32_t>(*std::next(it) - 1)});
  }
  return out;
}

// ---- policies ----

Result<RulePort> parse_port(const YAML::Node& n, const core::Location& at) {
  RulePort p;
  auto loc = location_of(n, at);
  std::string proto = scalar(child(n, "protocol"), "TCP");
  auto pr = parse_protocol(proto);
  if (!pr) return std::unexpected(invalid(loc, fmt::format("invalid protocol \"{}\" (TCP, UDP or SCTP)", proto)));
  p.protocol = *pr;
  auto port = child(n, "port");
  auto end = child(n, "endPort");
  if (!present(port)) {
    p.any_port = true;
    return p;
  }
  if (auto num = integer(port)) {
    p.port = static_cast<int>(*num);
    p.end_port = p.port;
    if (present(end)) {
      auto e = integer(end);
      if (!e) return std::unexpected(invalid(location_of(end, at), "endPort must be a number"));
      p.end_port = static_cast<int>(*e);
    }
    if (*num < kMinPort || p.end_port > kMaxPort || p.end_port < p.port)
      return std::unexpected(
          invalid(loc, fmt::format("port range {}-{} is not legal: start and end values of the port range "
                                   "should be in {{1-65535}} and end may not be less than start",
                                   *num, p.end_port)));
    return p;
  }
  p.named = scalar(port);
  if (present(end))
    return std::unexpected(
        invalid(loc, "endPort field cannot be defined if the port field is defined as a named (string) port"));
  return p;
}

Result<Rule> parse_rule(const YAML::Node& n, const char* peers_key, bool egress, const core::Location& at) {
  Rule rule;
  rule.location = location_of(n, at);
  auto peers = child(n, peers_key);
  if (present(peers) && peers.IsSequence() && peers.size() > 0) {
    rule.any_peer = false;
    for (const auto& pn : peers) {
      auto ploc = location_of(pn, at);
      Peer peer;
      peer.location = ploc;
      auto ipb = child(pn, "ipBlock");
      auto ps = child(pn, "podSelector");
      auto ns = child(pn, "namespaceSelector");
      bool has_ip = present(ipb), has_ps = pn.IsMap() && pn["podSelector"].IsDefined(),
           has_ns = pn.IsMap() && pn["namespaceSelector"].IsDefined();
      if (has_ip && (has_ps || has_ns))
        return std::unexpected(invalid(
            ploc, "rule NetworkPolicyPeer error: cannot have both IPBlock and PodSelector/NamespaceSelector set"));
      if (!has_ip && !has_ps && !has_ns)
        return std::unexpected(invalid(ploc, "rule NetworkPolicyPeer error: cannot have empty rule peer"));
      if (has_ip) {
        peer.type = Peer::Type::ip_block;
        auto cidr = scalar(child(ipb, "cidr"));
        peer.cidr = cidr;
        auto base = parse_cidr(cidr, location_of(ipb, at));
        if (!base) return std::unexpected(base.error());
        if (*base) {
          peer.ranges.push_back(**base);
          auto ex = child(ipb, "except");
          if (ex && ex.IsSequence())
            for (const auto& e : ex) {
              peer.has_except = true;
              auto cut = parse_cidr(scalar(e), location_of(e, at));
              if (!cut) return std::unexpected(cut.error());
              if (*cut) peer.ranges = subtract(std::move(peer.ranges), **cut);
            }
        }
      } else {
        if (has_ps) {
          auto s = parse_selector(ps, ploc);
          if (!s) return std::unexpected(s.error());
          peer.pod_selector = std::move(*s);
        }
        if (has_ns) {
          auto s = parse_selector(ns, ploc);
          if (!s) return std::unexpected(s.error());
          peer.namespace_selector = std::move(*s);
        }
      }
      rule.peers.push_back(std::move(peer));
    }
  }
  auto ports = child(n, "ports");
  if (present(ports) && ports.IsSequence() && ports.size() > 0) {
    rule.any_port = false;
    for (const auto& p : ports) {
      auto rp = parse_port(p, at);
      if (!rp) return std::unexpected(rp.error());
      rule.ports.push_back(std::move(*rp));
    }
  }
  if (egress) {
    bool ip_peer =
        std::any_of(rule.peers.begin(), rule.peers.end(), [](const Peer& p) { return p.type == Peer::Type::ip_block; });
    bool named = std::any_of(rule.ports.begin(), rule.ports.end(), [](const RulePort& p) { return !p.named.empty(); });
    if (ip_peer && named)
      return std::unexpected(
          invalid(location_of(n, at), "named port error: cannot convert named port for an IP destination"));
  }
  return rule;
}

Result<Policy> parse_policy(const Item& item) {
  Policy pol;
  pol.namespace_ = item.namespace_.empty() ? "default" : item.namespace_;
  pol.name = item.name;
  pol.location = item.location;
  auto spec = child(item.node, "spec");
  auto ps = parse_selector(child(spec, "podSelector"), item.location);
  if (!ps) return std::unexpected(ps.error());
  pol.pod_selector = std::move(*ps);
  auto ingress = child(spec, "ingress");
  auto egress = child(spec, "egress");
  if (ingress && ingress.IsSequence())
    for (const auto& r : ingress) {
      auto rule = parse_rule(r, "from", false, item.location);
      if (!rule) return std::unexpected(rule.error());
      pol.ingress.push_back(std::move(*rule));
    }
  if (egress && egress.IsSequence())
    for (const auto& r : egress) {
      auto rule = parse_rule(r, "to", true, item.location);
      if (!rule) return std::unexpected(rule.error());
      pol.egress.push_back(std::move(*rule));
    }
  auto types = child(spec, "policyTypes");
  if (present(types) && types.IsSequence() && types.size() > 0) {
    pol.ingress_type = pol.egress_type = false;
    for (const auto& t : types) {
      auto s = scalar(t);
      if (s == "Ingress")
        pol.ingress_type = true;
      else if (s == "Egress")
        pol.egress_type = true;
      else
        return std::unexpected(invalid(location_of(t, item.location), fmt::format("invalid policyType \"{}\"", s)));
    }
  } else {
    pol.ingress_type = true;
    pol.egress_type = !pol.egress.empty();
  }
  return pol;
}

// ---- admin network policies ----

// Exactly one of the keys set; returns its name, "" when none, or "!" when several.
std::string one_of(const YAML::Node& n, std::initializer_list<const char*> keys) {
  std::string found;
  for (const char* k : keys)
    if (present(child(n, k))) {
      if (!found.empty()) return "!";
      found = k;
    }
  return found;
}

Result<AdminPolicy> parse_admin_policy(const Item& item, bool baseline) {
  AdminPolicy p;
  p.name = item.name;
  p.location = item.location;
  auto spec = child(item.node, "spec");
  if (!baseline) {
    auto pr = integer(child(spec, "priority"));
    if (!pr || *pr < 0 || *pr > 1000)
      return std::unexpected(
          invalid(item.location, fmt::format("Invalid Priority Value: {} in Admin Network Policy: \"{}\"; "
                                             "Priority value must be between 0-1000",
                                             scalar(child(spec, "priority")), item.name)));
    p.priority = static_cast<int>(*pr);
  }
  auto subject = child(spec, "subject");
  auto which = one_of(subject, {"namespaces", "pods"});
  if (which.empty() || which == "!")
    return std::unexpected(invalid(location_of(subject, item.location), "exactly one field must be set in a subject"));
  if (which == "namespaces") {
    auto sel = parse_selector(child(subject, "namespaces"), item.location);
    if (!sel) return std::unexpected(sel.error());
    p.subject_namespaces = std::move(*sel);
  } else {
    p.subject_pods = true;
    auto pods = child(subject, "pods");
    auto ns = parse_selector(child(pods, "namespaceSelector"), item.location);
    if (!ns) return std::unexpected(ns.error());
    auto ps = parse_selector(child(pods, "podSelector"), item.location);
    if (!ps) return std::unexpected(ps.error());
    p.subject_namespaces = std::move(*ns);
    p.subject_pod_selector = std::move(*ps);
  }
  for (bool ingress : {true, false}) {
    auto rules = child(spec, ingress ? "ingress" : "egress");
    if (!rules || !rules.IsSequence()) continue;
    for (const auto& r : rules) {
      auto rloc = location_of(r, item.location);
      AdminRule rule;
      auto action = scalar(child(r, "action"));
      if (action == "Allow")
        rule.action = AdminAction::allow;
      else if (action == "Deny")
        rule.action = AdminAction::deny;
      else if (action == "Pass" && !baseline)
        rule.action = AdminAction::pass;
      else
        return std::unexpected(invalid(rloc, fmt::format("unrecognized action \"{}\"", action)));
      auto peers = child(r, ingress ? "from" : "to");
      if (!peers || !peers.IsSequence() || peers.size() == 0)
        return std::unexpected(invalid(
            rloc, fmt::format("{} field must be defined and contain at least one item", ingress ? "from" : "to")));
      for (const auto& pn : peers) {
        AdminPeer peer;
        auto kind = one_of(pn, {"namespaces", "pods", "networks", "nodes"});
        if (kind.empty() || kind == "!" || (ingress && (kind == "networks" || kind == "nodes")))
          return std::unexpected(
              invalid(location_of(pn, item.location), "exactly one field must be set in a rule peer"));
        if (kind == "namespaces") {
          auto sel = parse_selector(child(pn, "namespaces"), item.location);
          if (!sel) return std::unexpected(sel.error());
          peer.namespace_selector = std::move(*sel);
        } else if (kind == "pods") {
          peer.type = AdminPeer::Type::pods;
          auto ns = parse_selector(child(child(pn, "pods"), "namespaceSelector"), item.location);
          if (!ns) return std::unexpected(ns.error());
          auto ps = parse_selector(child(child(pn, "pods"), "podSelector"), item.location);
          if (!ps) return std::unexpected(ps.error());
          peer.namespace_selector = std::move(*ns);
          peer.pod_selector = std::move(*ps);
        } else if (kind == "networks") {
          peer.type = AdminPeer::Type::networks;
          auto nets = child(pn, "networks");
          if (nets && nets.IsSequence())
            for (const auto& c : nets) {
              auto r2 = parse_cidr(scalar(c), location_of(c, item.location));
              if (!r2) return std::unexpected(r2.error());
              if (*r2) peer.ranges.push_back(**r2);
            }
        } else {
          peer.type = AdminPeer::Type::nodes;
        }
        rule.peers.push_back(std::move(peer));
      }
      auto ports = child(r, "ports");
      if (ports && ports.IsSequence() && ports.size() > 0) {
        rule.any_port = false;
        for (const auto& pt : ports) {
          auto ploc = location_of(pt, item.location);
          auto kind = one_of(pt, {"portNumber", "portRange", "namedPort"});
          if (kind.empty() || kind == "!")
            return std::unexpected(invalid(ploc, "exactly one field must be set in an AdminNetworkPolicyPort"));
          AdminPort ap;
          if (kind == "namedPort") {
            ap.named = scalar(child(pt, "namedPort"));
          } else {
            auto body = child(pt, kind.c_str());
            auto proto = parse_protocol(scalar(child(body, "protocol"), "TCP"));
            if (!proto) return std::unexpected(invalid(ploc, "invalid protocol"));
            ap.protocol = *proto;
            if (kind == "portNumber") {
              ap.start = ap.end = static_cast<int>(integer(child(body, "port")).value_or(0));
            } else {
              ap.start = static_cast<int>(integer(child(body, "start")).value_or(0));
              ap.end = static_cast<int>(integer(child(body, "end")).value_or(0));
            }
            if (ap.start < kMinPort || ap.end > kMaxPort || ap.end < ap.start)
              return std::unexpected(invalid(ploc, fmt::format("port range {}-{} is not legal", ap.start, ap.end)));
          }
          rule.ports.push_back(std::move(ap));
        }
      }
      (ingress ? p.ingress : p.egress).push_back(std::move(rule));
    }
  }
  return p;
}

// ---- workloads ----

const std::set<std::string, std::less<>> kWorkloadKinds{
    "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "ReplicationController", "CronJob"};

std::vector<ContainerPort> ports_of(const YAML::Node& pod_spec) {
  std::vector<ContainerPort> out;
  auto cs = child(pod_spec, "containers");
  if (!cs || !cs.IsSequence()) return out;
  for (const auto& c : cs) {
    auto ps = child(c, "ports");
    if (!ps || !ps.IsSequence()) continue;
    for (const auto& p : ps) {
      ContainerPort cp;
      cp.name = scalar(child(p, "name"));
      cp.port = static_cast<int>(integer(child(p, "containerPort")).value_or(0));
      cp.protocol = parse_protocol(scalar(child(p, "protocol"), "TCP")).value_or(Protocol::tcp);
      out.push_back(std::move(cp));
    }
  }
  return out;
}

struct PodTemplateView {
  YAML::Node metadata;
  YAML::Node spec;
};

PodTemplateView template_of(const Item& item) {
  auto spec = child(item.node, "spec");
  if (item.kind == "CronJob") {
    auto t = child(child(child(spec, "jobTemplate"), "spec"), "template");
    return {child(t, "metadata"), child(t, "spec")};
  }
  auto t = child(spec, "template");
  return {child(t, "metadata"), child(t, "spec")};
}

}  // namespace

// ---- public small types ----

std::string_view to_string(Protocol p) noexcept {
  switch (p) {
    case Protocol::sctp: return "SCTP";
    case Protocol::tcp: return "TCP";
    case Protocol::udp: return "UDP";
  }
  return "TCP";
}

std::optional<Protocol> parse_protocol(std::string_view s) noexcept {
  if (s == "TCP") return Protocol::tcp;
  if (s == "UDP") return Protocol::udp;
  if (s == "SCTP") return Protocol::sctp;
  return std::nullopt;
}

void PortSet::add(int lo, int hi) {
  lo = std::max(lo, kMinPort);
  hi = std::min(hi, kMaxPort);
  if (lo > hi) return;
  ranges_.emplace_back(lo, hi);
  std::sort(ranges_.begin(), ranges_.end());
  std::vector<std::pair<int, int>> merged;
  for (const auto& r : ranges_) {
    if (!merged.empty() && r.first <= merged.back().second + 1)
      merged.back().second = std::max(merged.back().second, r.second);
    else
      merged.push_back(r);
  }
  ranges_ = std::move(merged);
}

void PortSet::add(const PortSet& other) {
  for (const auto& r : other.ranges_) add(r.first, r.second);
}

PortSet PortSet::intersect(const PortSet& other) const {
  PortSet out;
  for (const auto& a : ranges_)
    for (const auto& b : other.ranges_) {
      int lo = std::max(a.first, b.first), hi = std::min(a.second, b.second);
      if (lo <= hi) out.ranges_.emplace_back(lo, hi);
    }
  std::sort(out.ranges_.begin(), out.ranges_.end());
  return out;
}

PortSet PortSet::subtract(const PortSet& other) const {
  PortSet out;
  for (const auto& a : ranges_) {
    int lo = a.first;
    for (const auto& b : other.ranges_) {
      if (b.second < lo || b.first > a.second) continue;
      if (b.first > lo) out.ranges_.emplace_back(lo, b.first - 1);
      lo = std::max(lo, b.second + 1);
      if (lo > a.second) break;
    }
    if (lo <= a.second) out.ranges_.emplace_back(lo, a.second);
  }
  return out;
}

bool PortSet::is_all() const noexcept {
  return ranges_.size() == 1 && ranges_[0].first == kMinPort && ranges_[0].second == kMaxPort;
}

bool PortSet::contains(int port) const noexcept {
  return std::any_of(ranges_.begin(), ranges_.end(),
                     [&](const auto& r) { return port >= r.first && port <= r.second; });
}

std::string PortSet::to_string() const {
  std::string out;
  for (const auto& r : ranges_) {
    if (!out.empty()) out += ',';
    out += r.first == r.second ? fmt::format("{}", r.first) : fmt::format("{}-{}", r.first, r.second);
  }
  return out;
}

void ConnSet::add(const ConnSet& o) {
  for (std::size_t i = 0; i < ports.size(); ++i) ports[i].add(o.ports[i]);
}

ConnSet ConnSet::intersect(const ConnSet& o) const {
  ConnSet out;
  for (std::size_t i = 0; i < ports.size(); ++i) out.ports[i] = ports[i].intersect(o.ports[i]);
  return out;
}

ConnSet ConnSet::subtract(const ConnSet& o) const {
  ConnSet out;
  for (std::size_t i = 0; i < ports.size(); ++i) out.ports[i] = ports[i].subtract(o.ports[i]);
  return out;
}

bool ConnSet::empty() const noexcept {
  return std::all_of(ports.begin(), ports.end(), [](const PortSet& p) { return p.empty(); });
}

bool ConnSet::is_all() const noexcept {
  return std::all_of(ports.begin(), ports.end(), [](const PortSet& p) { return p.is_all(); });
}

std::string ConnSet::to_string() const {
  if (is_all()) return "All Connections";
  if (empty()) return "No Connections";
  std::string out;
  for (int i = 0; i < 3; ++i) {
    if (ports[i].empty()) continue;
    if (!out.empty()) out += ',';
    out += fmt::format("{} {}", netpol::to_string(static_cast<Protocol>(i)), ports[i].to_string());
  }
  return out;
}

bool Selector::matches(const Labels& labels) const {
  for (const auto& [k, v] : match_labels) {
    auto it = labels.find(k);
    if (it == labels.end() || it->second != v) return false;
  }
  for (const auto& e : match_expressions) {
    auto it = labels.find(e.key);
    bool has = it != labels.end();
    bool in = has && std::find(e.values.begin(), e.values.end(), it->second) != e.values.end();
    if (e.op == "In" && !in) return false;
    if (e.op == "NotIn" && in) return false;
    if (e.op == "Exists" && !has) return false;
    if (e.op == "DoesNotExist" && has) return false;
  }
  return true;
}

std::string to_string(const IpRange& r) {
  auto ip = [](std::uint32_t a) {
    return fmt::format("{}.{}.{}.{}", (a >> 24) & 255, (a >> 16) & 255, (a >> 8) & 255, a & 255);
  };
  return ip(r.lo) + "-" + ip(r.hi);
}

// ---- model ----

Result<Model> build_model(const std::vector<Item>& items, core::Diagnostics& diags, BuildMode mode) {
  Model m;
  // Workloads keyed by (namespace, kind, name); pods of one owner fold into one workload.
  std::map<std::tuple<std::string, std::string, std::string>, int> index;
  std::map<int, std::vector<Labels>> variants;  // workload -> label sets of its pods, when they differ
  std::map<std::pair<std::string, std::string>, core::Location> seen_policies;

  // Strict: the error ends the build. Lenient: it becomes a diagnostic and the policy is left out.
  auto reject = [&](const Error& e, const Item& item) -> std::optional<Error> {
    if (mode == BuildMode::strict) return e;
    core::Diagnostic d;
    d.level = core::DiagnosticLevel::error;
    d.code = "invalid-networkpolicy";
    d.file = item.location.path;
    d.line = item.location.line;
    d.column = item.location.column;
    const auto& ctx = e.context;
    if (ctx.size() > d.file.size() && ctx.starts_with(d.file))
      std::sscanf(ctx.c_str() + d.file.size(), ":%d:%d", &d.line, &d.column);
    d.item = item.kind + " " + (item.namespace_.empty() ? "default" : item.namespace_) + "/" + item.name;
    d.message = e.message;
    diags.add(std::move(d));
    return std::nullopt;
  };
  int object_index = -1;
  std::vector<const Item*> services, exposures;  // Services; Ingresses and Routes

  auto add_workload = [&](const std::string& ns, const std::string& kind, const std::string& name, Labels labels,
                          std::vector<ContainerPort> ports, const core::Location& loc) {
    auto key = std::make_tuple(ns, kind, name);
    auto it = index.find(key);
    if (it != index.end()) {
      auto& w = m.workloads[static_cast<std::size_t>(it->second)];
      if (w.labels != labels) {
        auto& vs = variants[it->second];
        if (vs.empty()) vs.push_back(w.labels);
        if (std::find(vs.begin(), vs.end(), labels) == vs.end()) vs.push_back(labels);
      }
      return;
    }
    Workload w;
    w.namespace_ = ns;
    w.kind = kind;
    w.name = name;
    w.labels = std::move(labels);
    w.ports = std::move(ports);
    w.location = loc;
    w.object = object_index;
    index.emplace(key, static_cast<int>(m.workloads.size()));
    m.workloads.push_back(std::move(w));
  };

  for (const auto& item : items) {
    ++object_index;
    const std::string ns = item.namespace_.empty() ? "default" : item.namespace_;
    try {
      if (item.kind == "Namespace") {
        auto labels = labels_of(child(child(item.node, "metadata"), "labels"));
        labels["kubernetes.io/metadata.name"] = item.name;
        m.namespaces[item.name] = std::move(labels);
        m.namespace_locations[item.name] = item.location;
      } else if (item.kind == "Pod") {
        auto meta = child(item.node, "metadata");
        std::string kind = "Pod", name = item.name;
        auto owners = child(meta, "ownerReferences");
        if (owners && owners.IsSequence())
          for (const auto& o : owners) {
            if (scalar(child(o, "controller")) != "true") continue;
            if (scalar(child(o, "kind")) != "Node") {
              kind = scalar(child(o, "kind"), "Pod");
              if (kind.empty()) kind = "Pod";
              name = scalar(child(o, "name"), item.name);
            }
            break;
          }
        add_workload(ns, kind, name, labels_of(child(meta, "labels")), ports_of(child(item.node, "spec")),
                     item.location);
      } else if (kWorkloadKinds.contains(item.kind)) {
        auto t = template_of(item);
        add_workload(ns, item.kind, item.name, labels_of(child(t.metadata, "labels")), ports_of(t.spec), item.location);
      } else if (item.kind == "AdminNetworkPolicy" || item.kind == "BaselineAdminNetworkPolicy") {
        const bool baseline = item.kind == "BaselineAdminNetworkPolicy";
        std::optional<Error> problem;
        if (baseline && m.baseline)
          problem = invalid(item.location,
                            "only one baseline admin network policy may be provided in input resources; "
                            "one already exists");
        else if (baseline && item.name != "default")
          problem = invalid(item.location,
                            "only one baseline admin network policy with metadata.name=default can be "
                            "created in the cluster");
        else if (!baseline && std::any_of(m.admin_policies.begin(), m.admin_policies.end(),
                                          [&](const AdminPolicy& a) { return a.name == item.name; }))
          problem = invalid(item.location, fmt::format("an AdminNetworkPolicy \"{}\" is already exists", item.name));
        if (!problem) {
          auto ap = parse_admin_policy(item, baseline);
          if (!ap) {
            problem = ap.error();
          } else if (!baseline && std::any_of(m.admin_policies.begin(), m.admin_policies.end(),
                                              [&](const AdminPolicy& a) { return a.priority == ap->priority; })) {
            problem = invalid(item.location, fmt::format("AdminNetworkPolicy \"{}\": Two policies are considered to be "
                                                         "conflicting if they are assigned the same priority ({})",
                                                         item.name, ap->priority));
          } else if (baseline) {
            m.baseline = std::move(*ap);
          } else {
            m.admin_policies.push_back(std::move(*ap));
          }
        }
        if (problem) {
          if (auto e = reject(*problem, item)) return std::unexpected(*e);
        }
      } else if (item.kind == "Service") {
        services.push_back(&item);
      } else if (item.kind == "Ingress" || item.kind == "Route") {
        exposures.push_back(&item);
      } else if (item.kind == "NetworkPolicy") {
        auto key = std::make_pair(ns, item.name);
        if (auto prev = seen_policies.find(key); prev != seen_policies.end()) {
          auto dup = invalid(item.location, fmt::format("NetworkPolicy \"{}/{}\" is defined twice (first at {})", ns,
                                                        item.name, where(prev->second)));
          if (auto e = reject(dup, item)) return std::unexpected(*e);
          continue;
        }
        seen_policies.emplace(key, item.location);
        auto pol = parse_policy(item);
        if (!pol) {
          if (auto e = reject(pol.error(), item)) return std::unexpected(*e);
          continue;
        }
        pol->object = object_index;
        m.policies.push_back(std::move(*pol));
      }
    } catch (const YAML::Exception& e) {
      diags.add({core::DiagnosticLevel::error, "netpol-model", item.location.path, item.location.line,
                 item.location.column, item.kind + "/" + item.name, e.what()});
    }
  }

  // Namespaces used but not declared carry only their name label.
  auto ensure_ns = [&](const std::string& ns) {
    if (!m.namespaces.contains(ns)) m.namespaces[ns] = Labels{{"kubernetes.io/metadata.name", ns}};
  };
  for (const auto& w : m.workloads) ensure_ns(w.namespace_);
  for (const auto& p : m.policies) ensure_ns(p.namespace_);

  // Pods of one owner with different labels: fine unless some selector tells them apart.
  for (const auto& [wi, vs_binding] : variants) {
    const auto& w = m.workloads[static_cast<std::size_t>(wi)];
    const auto& vs = vs_binding;  // lambdas capture a variable (clang 14 cannot capture a binding)
    auto splits = [&](const Selector& s) {
      bool first = s.matches(vs.front());
      return std::any_of(vs.begin(), vs.end(), [&](const Labels& l) { return s.matches(l) != first; });
    };
    for (const auto& p : m.policies) {
      bool hit = p.namespace_ == w.namespace_ && splits(p.pod_selector);
      for (const auto* rules : {&p.ingress, &p.egress})
        for (const auto& r : *rules)
          for (const auto& peer : r.peers)
            if (peer.pod_selector && splits(*peer.pod_selector)) hit = true;
      if (hit)
        return std::unexpected(
            invalid(w.location,
                    fmt::format("Found Pods of the same owner workload `{}/{}` and with differences in their labels, "
                                "while a network policy contains selectors impacted by this gap (policy {}/{})",
                                w.namespace_, w.name, p.namespace_, p.name)));
    }
  }

  // The same gap through AdminNetworkPolicy or BaselineAdminNetworkPolicy pod selectors.
  for (const auto& [wi, vs_binding] : variants) {
    const auto& w = m.workloads[static_cast<std::size_t>(wi)];
    const auto& vs = vs_binding;  // lambdas capture a variable (clang 14 cannot capture a binding)
    auto splits = [&](const Selector& sel) {
      bool first = sel.matches(vs.front());
      return std::any_of(vs.begin(), vs.end(), [&](const Labels& l) { return sel.matches(l) != first; });
    };
    std::vector<const AdminPolicy*> aps;
    for (const auto& a : m.admin_policies) aps.push_back(&a);
    if (m.baseline) aps.push_back(&*m.baseline);
    for (const auto* a : aps) {
      bool hit = a->subject_pods && splits(a->subject_pod_selector);
      for (const auto* rules : {&a->ingress, &a->egress})
        for (const auto& r : *rules)
          for (const auto& peer : r.peers)
            if (peer.type == AdminPeer::Type::pods && splits(peer.pod_selector)) hit = true;
      if (!hit) continue;
      auto e = invalid(
          w.location, fmt::format("Found Pods of the same owner workload `{}/{}` and with differences in their labels, "
                                  "while a network policy contains selectors impacted by this gap (policy {})",
                                  w.namespace_, w.name, a->name));
      if (mode == BuildMode::strict) return std::unexpected(e);
      diags.add({core::DiagnosticLevel::warning, "workload-label-gap", w.location.path, w.location.line,
                 w.location.column, w.display(), e.message});
      break;
    }
  }

  // External ranges referenced by rules.
  std::vector<IpRange> in_ranges, out_ranges;
  for (const auto& p : m.policies) {
    for (const auto& r : p.ingress)
      for (const auto& peer : r.peers) in_ranges.insert(in_ranges.end(), peer.ranges.begin(), peer.ranges.end());
    for (const auto& r : p.egress)
      for (const auto& peer : r.peers) out_ranges.insert(out_ranges.end(), peer.ranges.begin(), peer.ranges.end());
  }
  std::sort(m.admin_policies.begin(), m.admin_policies.end(),
            [](const AdminPolicy& a, const AdminPolicy& b) { return a.priority < b.priority; });
  for (const auto* ap : [&] {
         std::vector<const AdminPolicy*> v;
         for (const auto& a : m.admin_policies) v.push_back(&a);
         if (m.baseline) v.push_back(&*m.baseline);
         return v;
       }())
    for (const auto& r : ap->egress)
      for (const auto& peer : r.peers) out_ranges.insert(out_ranges.end(), peer.ranges.begin(), peer.ranges.end());
  m.ingress_blocks = disjoint_blocks(in_ranges);
  m.egress_blocks = disjoint_blocks(out_ranges);

  // Ingress and Route exposure: backend Service -> its ports -> target ports on the selected workloads.
  try {
    std::map<int, ConnSet> exposed;
    auto expose = [&](const std::string& ns, const std::string& svc_name, const YAML::Node& port_ref) {
      for (const Item* svc : services) {
        if ((svc->namespace_.empty() ? "default" : svc->namespace_) != ns || svc->name != svc_name) continue;
        auto sel = labels_of(child(child(svc->node, "spec"), "selector"));
        if (sel.empty()) continue;
        auto ports = child(child(svc->node, "spec"), "ports");
        if (!ports || !ports.IsSequence()) continue;
        for (const auto& sp : ports) {
          if (parse_protocol(scalar(child(sp, "protocol"), "TCP")).value_or(Protocol::tcp) != Protocol::tcp) continue;
          if (present(port_ref)) {
            auto want = scalar(port_ref);
            if (want != scalar(child(sp, "port")) && want != scalar(child(sp, "name"))) continue;
          }
          auto target = child(sp, "targetPort");
          for (std::size_t wi = 0; wi < m.workloads.size(); ++wi) {
            const auto& w = m.workloads[wi];
            if (w.namespace_ != ns) continue;
            bool match = std::all_of(sel.begin(), sel.end(), [&](const auto& kv) {
              auto it = w.labels.find(kv.first);
              return it != w.labels.end() && it->second == kv.second;
            });
            if (!match) continue;
            int port = 0;
            if (!present(target)) {
              port = static_cast<int>(integer(child(sp, "port")).value_or(0));
            } else if (auto n = integer(target)) {
              port = static_cast<int>(*n);
            } else {
              for (const auto& cp : w.ports)
                if (cp.name == scalar(target) && cp.protocol == Protocol::tcp) port = cp.port;
            }
            if (port > 0) exposed[static_cast<int>(wi)].add(Protocol::tcp, port, port);
          }
        }
      }
    };
    for (const Item* e : exposures) {
      const std::string ns = e->namespace_.empty() ? "default" : e->namespace_;
      auto spec = child(e->node, "spec");
      if (e->kind == "Route") {
        auto port = child(child(spec, "port"), "targetPort");
        auto to = child(spec, "to");
        if (scalar(child(to, "kind"), "Service") == "Service") expose(ns, scalar(child(to, "name")), port);
        auto alt = child(spec, "alternateBackends");
        if (alt && alt.IsSequence())
          for (const auto& b : alt)
            if (scalar(child(b, "kind"), "Service") == "Service") expose(ns, scalar(child(b, "name")), port);
        continue;
      }
      auto backend = [&](const YAML::Node& b) {
        if (!present(b)) return;
        auto svc = child(b, "service");
        if (present(svc)) {
          auto port = child(svc, "port");
          auto ref = present(child(port, "number")) ? child(port, "number") : child(port, "name");
          expose(ns, scalar(child(svc, "name")), ref);
        } else if (present(child(b, "serviceName"))) {  // extensions/v1beta1
          expose(ns, scalar(child(b, "serviceName")), child(b, "servicePort"));
        }
      };
      backend(child(spec, "defaultBackend"));
      backend(child(spec, "backend"));
      auto rules = child(spec, "rules");
      if (rules && rules.IsSequence())
        for (const auto& r : rules) {
          auto paths = child(child(r, "http"), "paths");
          if (paths && paths.IsSequence())
            for (const auto& pth : paths) backend(child(pth, "backend"));
        }
    }
    for (auto& [wi, conns] : exposed) m.ingress_exposed.emplace_back(wi, std::move(conns));
  } catch (const YAML::Exception& e) {
    diags.add({core::DiagnosticLevel::error, "netpol-ingress", "", 0, 0, {}, e.what()});
  }

  // Equivalence classes: same namespace, labels and container ports behave identically.
  std::map<std::string, int> classes;
  for (std::size_t i = 0; i < m.workloads.size(); ++i) {
    auto& w = m.workloads[i];
    std::string key = w.namespace_ + '\0';
    for (const auto& [k, v] : w.labels) key += k + '=' + v + '\0';
    key += '\1';
    for (const auto& p : w.ports) key += fmt::format("{}:{}:{}", p.name, p.port, static_cast<int>(p.protocol)) + '\0';
    auto [it, inserted] = classes.emplace(key, static_cast<int>(m.class_rep.size()));
    if (inserted) m.class_rep.push_back(static_cast<int>(i));
    w.cls = it->second;
  }
  return m;
}

// ---- evaluation ----

Evaluator::Evaluator(const Model& model) : model_(model) {
  ingress_policies_.resize(model.class_rep.size());
  egress_policies_.resize(model.class_rep.size());
  for (std::size_t c = 0; c < model.class_rep.size(); ++c) {
    const auto& w = model.workloads[static_cast<std::size_t>(model.class_rep[c])];
    for (std::size_t p = 0; p < model.policies.size(); ++p) {
      const auto& pol = model.policies[p];
      if (pol.namespace_ != w.namespace_ || !pol.pod_selector.matches(w.labels)) continue;
      if (pol.ingress_type) ingress_policies_[c].push_back(static_cast<int>(p));
      if (pol.egress_type) egress_policies_[c].push_back(static_cast<int>(p));
    }
  }
}

bool Evaluator::ingress_isolated(int workload) const {
  return !ingress_policies_[static_cast<std::size_t>(model_.workloads[static_cast<std::size_t>(workload)].cls)].empty();
}

bool Evaluator::egress_isolated(int workload) const {
  return !egress_policies_[static_cast<std::size_t>(model_.workloads[static_cast<std::size_t>(workload)].cls)].empty();
}

bool Evaluator::peer_matches(const Policy& policy, const Peer& peer, const Endpoint& other) const {
  if (peer.type == Peer::Type::ip_block) {
    if (!other.is_ip()) return false;
    return std::any_of(peer.ranges.begin(), peer.ranges.end(),
                       [&](const IpRange& r) { return other.range.lo >= r.lo && other.range.hi <= r.hi; });
  }
  if (other.is_ip()) return false;
  if (other.is_ingress_controller()) {
    static const Labels no_labels;
    static const Labels ns_labels{{"kubernetes.io/metadata.name", std::string(kIngressControllerNamespace)}};
    if (peer.namespace_selector) {
      if (!peer.namespace_selector->matches(ns_labels)) return false;
    } else if (policy.namespace_ != kIngressControllerNamespace) {
      return false;
    }
    return !peer.pod_selector || peer.pod_selector->matches(no_labels);
  }
  const auto& w = model_.workloads[static_cast<std::size_t>(other.workload)];
  if (peer.namespace_selector) {
    auto it = model_.namespaces.find(w.namespace_);
    static const Labels none;
    if (!peer.namespace_selector->matches(it == model_.namespaces.end() ? none : it->second)) return false;
  } else if (w.namespace_ != policy.namespace_) {
    return false;
  }
  return !peer.pod_selector || peer.pod_selector->matches(w.labels);
}

ConnSet Evaluator::rule_ports(const Rule& rule, const Endpoint& dst) const {
  if (rule.any_port) return ConnSet::all();
  ConnSet out;
  for (const auto& p : rule.ports) {
    if (p.any_port) {
      out.add(p.protocol, kMinPort, kMaxPort);
    } else if (!p.named.empty()) {
      if (dst.is_ip()) continue;
      const auto& w = model_.workloads[static_cast<std::size_t>(dst.workload)];
      for (const auto& cp : w.ports)
        if (cp.name == p.named && cp.protocol == p.protocol) {
          out.add(p.protocol, cp.port, cp.port);
          break;
        }
    } else {
      out.add(p.protocol, p.port, p.end_port);
    }
  }
  return out;
}

std::pair<const Labels*, const Labels*> Evaluator::labels_of(const Endpoint& e) const {
  static const Labels no_labels;
  static const Labels controller_ns{{"kubernetes.io/metadata.name", std::string(kIngressControllerNamespace)}};
  if (e.is_ingress_controller()) return {&controller_ns, &no_labels};
  const auto& w = model_.workloads[static_cast<std::size_t>(e.workload)];
  auto it = model_.namespaces.find(w.namespace_);
  return {it == model_.namespaces.end() ? &no_labels : &it->second, &w.labels};
}

bool Evaluator::admin_selects(const AdminPolicy& p, const Endpoint& e) const {
  if (e.is_ip()) return false;
  auto [ns, pod] = labels_of(e);
  if (!p.subject_namespaces.matches(*ns)) return false;
  return !p.subject_pods || p.subject_pod_selector.matches(*pod);
}

bool Evaluator::admin_peer_matches(const AdminPeer& peer, const Endpoint& other) const {
  if (peer.type == AdminPeer::Type::nodes) return false;
  if (peer.type == AdminPeer::Type::networks) {
    if (!other.is_ip()) return false;
    return std::any_of(peer.ranges.begin(), peer.ranges.end(),
                       [&](const IpRange& r) { return other.range.lo >= r.lo && other.range.hi <= r.hi; });
  }
  if (other.is_ip()) return false;
  auto [ns, pod] = labels_of(other);
  if (!peer.namespace_selector.matches(*ns)) return false;
  return peer.type == AdminPeer::Type::namespaces || peer.pod_selector.matches(*pod);
}

ConnSet Evaluator::admin_rule_ports(const AdminRule& rule, const Endpoint& dst) const {
  if (rule.any_port) return ConnSet::all();
  ConnSet out;
  for (const auto& p : rule.ports) {
    if (p.named.empty()) {
      out.add(p.protocol, p.start, p.end);
    } else if (dst.workload >= 0) {
      for (const auto& cp : model_.workloads[static_cast<std::size_t>(dst.workload)].ports)
        if (cp.name == p.named) {
          out.add(cp.protocol, cp.port, cp.port);
          break;
        }
    }
  }
  return out;
}

// AdminNetworkPolicies by priority (Allow, Deny, Pass), then NetworkPolicies for what is passed or left
// (when they isolate the pod), else the BaselineAdminNetworkPolicy, else allowed.
ConnSet Evaluator::admin_layers(bool ingress, const Endpoint& subject, const Endpoint& peer, const ConnSet& np,
                                bool np_isolated) const {
  const Endpoint& dst = ingress ? subject : peer;
  ConnSet remaining = ConnSet::all(), allowed, passed;
  for (const auto& ap : model_.admin_policies) {
    if (!admin_selects(ap, subject)) continue;
    for (const auto& rule : ingress ? ap.ingress : ap.egress) {
      if (!std::any_of(rule.peers.begin(), rule.peers.end(),
                       [&](const AdminPeer& p) { return admin_peer_matches(p, peer); }))
        continue;
      auto part = admin_rule_ports(rule, dst).intersect(remaining);
      if (rule.action == AdminAction::allow) allowed.add(part);
      if (rule.action == AdminAction::pass) passed.add(part);
      remaining = remaining.subtract(part);
    }
  }
  ConnSet rest = remaining;
  rest.add(passed);
  if (np_isolated) {
    allowed.add(np.intersect(rest));
    return allowed;
  }
  if (model_.baseline && admin_selects(*model_.baseline, subject)) {
    for (const auto& rule : ingress ? model_.baseline->ingress : model_.baseline->egress) {
      if (!std::any_of(rule.peers.begin(), rule.peers.end(),
                       [&](const AdminPeer& p) { return admin_peer_matches(p, peer); }))
        continue;
      auto part = admin_rule_ports(rule, dst).intersect(rest);
      if (rule.action == AdminAction::allow) allowed.add(part);
      rest = rest.subtract(part);
    }
  }
  allowed.add(rest);
  return allowed;
}

ConnSet Evaluator::egress_allowed(int src, const Endpoint& dst) const {
  const auto& pols = egress_policies_[static_cast<std::size_t>(model_.workloads[static_cast<std::size_t>(src)].cls)];
  if (!model_.admin_policies.empty() || model_.baseline) {
    ConnSet np;
    for (int pi : pols) {
      const auto& pol = model_.policies[static_cast<std::size_t>(pi)];
      for (const auto& rule : pol.egress)
        if (rule.any_peer || std::any_of(rule.peers.begin(), rule.peers.end(),
                                         [&](const Peer& peer) { return peer_matches(pol, peer, dst); }))
          np.add(rule_ports(rule, dst));
    }
    return admin_layers(false, Endpoint{src, {}}, dst, np, !pols.empty());
  }
  if (pols.empty()) return ConnSet::all();
  ConnSet out;
  for (int pi : pols) {
    const auto& pol = model_.policies[static_cast<std::size_t>(pi)];
    for (const auto& rule : pol.egress) {
      bool hit = rule.any_peer || std::any_of(rule.peers.begin(), rule.peers.end(),
                                              [&](const Peer& peer) { return peer_matches(pol, peer, dst); });
      if (hit) out.add(rule_ports(rule, dst));
      if (out.is_all()) return out;
    }
  }
  return out;
}

ConnSet Evaluator::ingress_allowed(const Endpoint& src, int dst) const {
  const auto& pols = ingress_policies_[static_cast<std::size_t>(model_.workloads[static_cast<std::size_t>(dst)].cls)];
  Endpoint dst_ep{dst, {}};
  if (!model_.admin_policies.empty() || model_.baseline) {
    ConnSet np;
    for (int pi : pols) {
      const auto& pol = model_.policies[static_cast<std::size_t>(pi)];
      for (const auto& rule : pol.ingress)
        if (rule.any_peer || std::any_of(rule.peers.begin(), rule.peers.end(),
                                         [&](const Peer& peer) { return peer_matches(pol, peer, src); }))
          np.add(rule_ports(rule, dst_ep));
    }
    return admin_layers(true, dst_ep, src, np, !pols.empty());
  }
  if (pols.empty()) return ConnSet::all();
  ConnSet out;
  for (int pi : pols) {
    const auto& pol = model_.policies[static_cast<std::size_t>(pi)];
    for (const auto& rule : pol.ingress) {
      bool hit = rule.any_peer || std::any_of(rule.peers.begin(), rule.peers.end(),
                                              [&](const Peer& peer) { return peer_matches(pol, peer, src); });
      if (hit) out.add(rule_ports(rule, dst_ep));
      if (out.is_all()) return out;
    }
  }
  return out;
}

ConnSet Evaluator::allowed(const Endpoint& src, const Endpoint& dst) const {
  if (src.is_ip() && dst.is_ip()) return ConnSet{};
  ConnSet out = src.is_ip() || src.is_ingress_controller() ? ConnSet::all() : egress_allowed(src.workload, dst);
  if (out.empty()) return out;
  if (!dst.is_ip()) out = out.intersect(ingress_allowed(src, dst.workload));
  return out;
}

std::vector<Connection> connectivity(const Model& model, const MatrixOptions& options) {
  std::vector<Connection> out;
  if (model.workloads.empty()) return out;
  Evaluator ev(model);
  const std::size_t nc = model.class_rep.size();
  // Whether each workload is in focus, computed once (the pair loop is quadratic).
  std::vector<char> focused(model.workloads.size(), options.focus_workloads.empty() ? 1 : 0);
  if (!options.focus_workloads.empty())
    for (std::size_t i = 0; i < model.workloads.size(); ++i) {
      const auto& w = model.workloads[i];
      const std::string full = w.namespace_ + "/" + w.name;
      focused[i] = std::any_of(options.focus_workloads.begin(), options.focus_workloads.end(),
                               [&](const std::string& f) { return f == w.name || f == full; });
    }
  auto in_focus = [&](const Endpoint& e) {
    if (options.focus_workloads.empty()) return true;
    return !e.is_ip() && focused[static_cast<std::size_t>(e.workload)] != 0;
  };
  auto name_of = [&](const Endpoint& e) {
    return e.is_ip() ? to_string(e.range) + "[External]"
                     : model.workloads[static_cast<std::size_t>(e.workload)].display();
  };

  // Class-level results, computed once per pair of classes (or external block and class).
  std::vector<std::optional<ConnSet>> cc(nc * nc);
  std::vector<std::optional<ConnSet>> ic(model.ingress_blocks.size() * nc), ci(nc * model.egress_blocks.size());

  std::vector<Endpoint> srcs, dsts;
  for (const auto& b : model.ingress_blocks) srcs.push_back({-1, b});
  for (const auto& b : model.egress_blocks) dsts.push_back({-1, b});
  for (std::size_t i = 0; i < model.workloads.size(); ++i) {
    srcs.push_back({static_cast<int>(i), {}});
    dsts.push_back({static_cast<int>(i), {}});
  }
  const int nin = static_cast<int>(model.ingress_blocks.size()), nout = static_cast<int>(model.egress_blocks.size());
  for (int si = 0; si < static_cast<int>(srcs.size()); ++si) {
    const auto& s = srcs[static_cast<std::size_t>(si)];
    for (int di = 0; di < static_cast<int>(dsts.size()); ++di) {
      const auto& d = dsts[static_cast<std::size_t>(di)];
      if (s.is_ip() && d.is_ip()) continue;
      if (!s.is_ip() && !d.is_ip() && s.workload == d.workload) continue;
      if (!in_focus(s) && !in_focus(d)) continue;
      std::optional<ConnSet>* slot = nullptr;
      if (s.is_ip()) {
        auto dc = static_cast<std::size_t>(model.workloads[static_cast<std::size_t>(d.workload)].cls);
        slot = &ic[static_cast<std::size_t>(si) * nc + dc];
      } else if (d.is_ip()) {
        auto sc = static_cast<std::size_t>(model.workloads[static_cast<std::size_t>(s.workload)].cls);
        slot = &ci[sc * static_cast<std::size_t>(nout) + static_cast<std::size_t>(di)];
      } else {
        auto sc = static_cast<std::size_t>(model.workloads[static_cast<std::size_t>(s.workload)].cls);
        auto dc = static_cast<std::size_t>(model.workloads[static_cast<std::size_t>(d.workload)].cls);
        slot = &cc[sc * nc + dc];
      }
      if (!*slot) *slot = ev.allowed(s, d);
      if ((*slot)->empty()) continue;
      out.push_back({name_of(s), name_of(d), **slot});
    }
  }
  (void)nin;
  for (const auto& [wi, ports] : model.ingress_exposed) {
    Endpoint d{wi, {}};
    if (!in_focus(d) && !options.focus_workloads.empty() &&
        std::find(options.focus_workloads.begin(), options.focus_workloads.end(),
                  std::string(kIngressControllerName)) == options.focus_workloads.end())
      continue;
    auto conns = ports.intersect(ev.allowed({kIngressController, {}}, d));
    if (!conns.empty()) out.push_back({std::string(kIngressControllerName), name_of(d), conns});
  }
  std::sort(out.begin(), out.end(),
            [](const Connection& a, const Connection& b) { return std::tie(a.src, a.dst) < std::tie(b.src, b.dst); });
  return out;
}

std::optional<MatrixFormat> parse_matrix_format(std::string_view s) noexcept {
  if (s == "txt" || s == "table") return MatrixFormat::txt;
  if (s == "json") return MatrixFormat::json;
  if (s == "csv") return MatrixFormat::csv;
  if (s == "md") return MatrixFormat::md;
  if (s == "dot") return MatrixFormat::dot;
  return std::nullopt;
}

namespace {

std::string dot_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

std::string format_matrix(const std::vector<Connection>& conns, MatrixFormat format) {
  std::string out;
  switch (format) {
    case MatrixFormat::txt:
      for (const auto& c : conns) out += fmt::format("{} => {} : {}\n", c.src, c.dst, c.conns.to_string());
      break;
    case MatrixFormat::csv:
      out = "src,dst,conn\n";
      for (const auto& c : conns) {
        auto conn = c.conns.to_string();
        if (conn.find(',') != std::string::npos) conn = "\"" + conn + "\"";
        out += fmt::format("{},{},{}\n", c.src, c.dst, conn);
      }
      break;
    case MatrixFormat::md:
      out = "| src | dst | conn |\n|-----|-----|------|\n";
      for (const auto& c : conns) out += fmt::format("| {} | {} | {} |\n", c.src, c.dst, c.conns.to_string());
      break;
    case MatrixFormat::json:
      if (conns.empty()) return "[]\n";
      out = "[\n";
      for (std::size_t i = 0; i < conns.size(); ++i) {
        const auto& c = conns[i];
        out += fmt::format("  {{\n    \"src\": \"{}\",\n    \"dst\": \"{}\",\n    \"conn\": \"{}\"\n  }}{}\n",
                           util::json_escape(c.src), util::json_escape(c.dst), util::json_escape(c.conns.to_string()),
                           i + 1 < conns.size() ? "," : "");
      }
      out += "]\n";
      break;
    case MatrixFormat::dot: {
      out = "digraph {\n";
      std::set<std::string> nodes;
      for (const auto& c : conns) {
        nodes.insert(c.src);
        nodes.insert(c.dst);
      }
      for (const auto& n : nodes) {
        bool external = n.ends_with("[External]");
        out += fmt::format("\t\"{}\" [label=\"{}\" color=\"{}\" fontcolor=\"{}\"]\n", dot_escape(n), dot_escape(n),
                           external ? "red2" : "blue", external ? "red2" : "blue");
      }
      for (const auto& c : conns)
        out += fmt::format("\t\"{}\" -> \"{}\" [label=\"{}\" color=\"gold2\" fontcolor=\"darkgreen\"]\n",
                           dot_escape(c.src), dot_escape(c.dst), dot_escape(c.conns.to_string()));
      out += "}\n";
      break;
    }
  }
  return out;
}

}  // namespace bulwark::config::k8s::netpol
