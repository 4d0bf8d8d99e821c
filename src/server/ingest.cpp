// Validation and reading of uploaded documents; see ingest.hpp.
#include "server/ingest.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <set>

#include "util/json_depth.hpp"
#include "util/sha256.hpp"

namespace bulwark::server {

using nlohmann::json;

std::string_view to_string(ReportKind k) noexcept {
  switch (k) {
    case ReportKind::scan: return "scan";
    case ReportKind::inventory: return "inventory";
    case ReportKind::alerts: return "alerts";
    case ReportKind::activity: return "activity";
  }
  return "scan";
}

std::string TargetRec::key() const {
  return kind + ":" + (kind == "image" && !id.empty() ? id : name);
}

bool valid_host_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > 253 || name.front() == '.' || name.front() == '-') return false;
  for (char c : name) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

namespace {

struct Reader {
  const IngestLimits& limits;

  std::unexpected<Error> bad(const std::string& field, const std::string& what) const {
    return fail(ErrorCode::parse, field + ": " + what);
  }

  // An optional string field; a present field of another type is an error.
  Status str(const json& obj, const char* key, const std::string& where, std::string& out) const {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return {};
    if (!it->is_string()) return bad(where + "." + key, "must be a string");
    const auto& s = it->get_ref<const std::string&>();
    if (s.size() > limits.max_string) {
      return fail(ErrorCode::limit, fmt::format("{}.{}: longer than {} bytes", where, key, limits.max_string));
    }
    out = s;
    return {};
  }
  Status boolean(const json& obj, const char* key, const std::string& where, bool& out) const {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return {};
    if (!it->is_boolean()) return bad(where + "." + key, "must be true or false");
    out = it->get<bool>();
    return {};
  }
  Status integer(const json& obj, const char* key, const std::string& where, std::int64_t& out) const {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return {};
    if (!it->is_number_integer() && !it->is_number_unsigned()) return bad(where + "." + key, "must be an integer");
    out = it->get<std::int64_t>();
    if (out < 0) return bad(where + "." + key, "must not be negative");
    return {};
  }
  // An optional array; returns nullptr when absent.
  Result<const json*> array(const json& obj, const char* key, const std::string& where) const {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return nullptr;
    if (!it->is_array()) return bad(where + "." + key, "must be an array");
    if (it->size() > limits.max_items) {
      return fail(ErrorCode::limit, fmt::format("{}.{}: more than {} elements", where, key, limits.max_items));
    }
    return &*it;
  }
  // Each element of an optional array (required: its absence is an error) must be an object; fn(element,
  // its path) reads it, and the first error ends the walk.
  template <class Fn>
  Status objects(const json& obj, const char* key, const std::string& where, bool required, Fn&& fn) const {
    auto arr = array(obj, key, where);
    if (!arr) return std::unexpected(arr.error());
    if (!*arr) return required ? bad(where + "." + key, "is required") : Status{};
    for (std::size_t i = 0; i < (*arr)->size(); ++i) {
      const auto& e = (**arr)[i];
      std::string at = fmt::format("{}.{}[{}]", where, key, i);
      if (!e.is_object()) return bad(at, "must be an object");
      if (auto st = fn(e, at); !st) return st;
    }
    return {};
  }
  Result<const json*> object(const json& obj, const char* key, const std::string& where) const {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return nullptr;
    if (!it->is_object()) return bad(where + "." + key, "must be an object");
    return &*it;
  }
  Status strings(const json& obj, const char* key, const std::string& where, std::vector<std::string>& out) const {
    auto arr = array(obj, key, where);
    if (!arr) return std::unexpected(arr.error());
    if (!*arr) return {};
    for (std::size_t i = 0; i < (*arr)->size(); ++i) {
      const auto& v = (**arr)[i];
      if (!v.is_string()) return bad(fmt::format("{}.{}[{}]", where, key, i), "must be a string");
      if (v.get_ref<const std::string&>().size() > limits.max_string) {
        return fail(ErrorCode::limit, fmt::format("{}.{}[{}]: too long", where, key, i));
      }
      out.push_back(v.get<std::string>());
    }
    return {};
  }
};

#define BW_TRY(expr)                                                        \
  do {                                                                      \
    if (auto bw_st = (expr); !bw_st) return std::unexpected(bw_st.error()); \
  } while (0)

Status read_package(const Reader& r, const json& p, const std::string& where, PackageRec& out) {
  if (!p.is_object()) return r.bad(where, "must be an object");
  BW_TRY(r.str(p, "name", where, out.name));
  if (out.name.empty()) return r.bad(where + ".name", "is required");
  BW_TRY(r.str(p, "version", where, out.version));
  BW_TRY(r.str(p, "source", where, out.source));
  BW_TRY(r.str(p, "source_version", where, out.source_version));
  BW_TRY(r.str(p, "ecosystem", where, out.ecosystem));
  BW_TRY(r.str(p, "purl", where, out.purl));
  BW_TRY(r.str(p, "architecture", where, out.architecture));
  BW_TRY(r.str(p, "license", where, out.license));
  BW_TRY(r.str(p, "layer", where, out.layer));
  return {};
}

Status read_layer(const Reader& r, const json& l, const std::string& where, LayerRec& out) {
  BW_TRY(r.str(l, "digest", where, out.digest));
  BW_TRY(r.str(l, "diff_id", where, out.diff_id));
  BW_TRY(r.str(l, "media_type", where, out.media_type));
  BW_TRY(r.str(l, "created_by", where, out.created_by));
  BW_TRY(r.integer(l, "size", where, out.size));
  for (const auto* d : {&out.digest, &out.diff_id}) {
    if (!d->empty() && !util::parse_digest(*d)) {
      return r.bad(where + (d == &out.digest ? ".digest" : ".diff_id"), "must be a sha256 digest");
    }
  }
  return {};
}

const std::set<std::string, std::less<>> kTargetKinds{"image", "rootfs", "sbom",      "file",
                                                      "host",  "daemon", "container", "cluster"};
const std::set<std::string, std::less<>> kSeverities{"critical", "high", "medium", "low", "info", "unknown"};

const std::set<std::string, std::less<>> kNodeTypes{"workload", "external", "ingress-controller"};
const std::set<std::string, std::less<>> kProtocols{"TCP", "UDP", "SCTP"};

// `reachability` (bulwark config): namespaces, nodes and edges; every edge names nodes listed.
Status read_reachability(const Reader& r, const json& doc, ReachabilityRec& out) {
  auto obj = r.object(doc, "reachability", "$");
  if (!obj) return std::unexpected(obj.error());
  if (!*obj) return {};
  const std::string at = "$.reachability";
  json namespaces = json::array(), nodes = json::array(), edges = json::array();
  std::set<std::string, std::less<>> ns_names, ids;
  auto read_namespace = [&](const json& n, const std::string& where) -> Status {
    std::string name;
    bool deny_in = false, deny_out = false;
    std::int64_t workloads = 0;
    BW_TRY(r.str(n, "name", where, name));
    if (name.empty()) return r.bad(where + ".name", "is required");
    if (!ns_names.insert(name).second) return r.bad(where + ".name", "names a namespace twice");
    BW_TRY(r.boolean(n, "default_deny_ingress", where, deny_in));
    BW_TRY(r.boolean(n, "default_deny_egress", where, deny_out));
    BW_TRY(r.integer(n, "workloads", where, workloads));
    if (!deny_in || !deny_out) ++out.open_namespaces;
    namespaces.push_back({{"name", name},
                          {"default_deny_ingress", deny_in},
                          {"default_deny_egress", deny_out},
                          {"workloads", workloads}});
    return {};
  };
  BW_TRY(r.objects(**obj, "namespaces", at, true, read_namespace));
  auto ports_of = [&](const json& e, const char* key, const std::string& where, json& ports) -> Status {
    ports = json::array();
    return r.objects(e, key, where, false, [&](const json& p, const std::string& pw) -> Status {
      std::string protocol, list;
      BW_TRY(r.str(p, "protocol", pw, protocol));
      if (!kProtocols.contains(protocol)) return r.bad(pw + ".protocol", "must be TCP, UDP or SCTP");
      BW_TRY(r.str(p, "ports", pw, list));
      for (char c : list) {
        if ((c < '0' || c > '9') && c != ',' && c != '-')
          return r.bad(pw + ".ports", "must be ports and ranges: 80,8000-8080");
      }
      ports.push_back({{"protocol", protocol}, {"ports", list}});
      return {};
    });
  };
  auto read_node = [&](const json& n, const std::string& where) -> Status {
    std::string id, type, ns, name, kind, conns, path;
    BW_TRY(r.str(n, "id", where, id));
    if (id.empty()) return r.bad(where + ".id", "is required");
    if (!ids.insert(id).second) return r.bad(where + ".id", "names a node twice");
    BW_TRY(r.str(n, "type", where, type));
    if (!kNodeTypes.contains(type)) return r.bad(where + ".type", "must be workload, external or ingress-controller");
    BW_TRY(r.str(n, "namespace", where, ns));
    BW_TRY(r.str(n, "name", where, name));
    json node = {{"id", id}, {"type", type}, {"name", name}};
    if (!ns.empty()) node["namespace"] = ns;
    if (type == "workload") {
      if (!ns_names.contains(ns)) return r.bad(where + ".namespace", "is not in reachability.namespaces");
      bool in = false, eg = false, exposed = false;
      BW_TRY(r.str(n, "kind", where, kind));
      BW_TRY(r.boolean(n, "ingress_isolated", where, in));
      BW_TRY(r.boolean(n, "egress_isolated", where, eg));
      BW_TRY(r.boolean(n, "exposed", where, exposed));
      BW_TRY(r.str(n, "exposed_connections", where, conns));
      json ports;
      BW_TRY(ports_of(n, "exposed_ports", where, ports));
      node["kind"] = kind;
      node["ingress_isolated"] = in;
      node["egress_isolated"] = eg;
      node["exposed"] = exposed;
      if (exposed) {
        node["exposed_connections"] = conns;
        node["exposed_ports"] = std::move(ports);
        ++out.exposed;
      }
      if (auto loc = r.object(n, "location", where); !loc) {
        return std::unexpected(loc.error());
      } else if (*loc) {
        std::int64_t line = 0;
        BW_TRY(r.str(**loc, "path", where + ".location", path));
        BW_TRY(r.integer(**loc, "line", where + ".location", line));
        node["location"] = {{"path", path}};
        if (line > 0) node["location"]["line"] = line;
      }
      ++out.workloads;
    }
    nodes.push_back(std::move(node));
    return {};
  };
  BW_TRY(r.objects(**obj, "nodes", at, true, read_node));
  auto read_edge = [&](const json& e, const std::string& where) -> Status {
    std::string src, dst, conns;
    bool all = false;
    BW_TRY(r.str(e, "src", where, src));
    BW_TRY(r.str(e, "dst", where, dst));
    if (!ids.contains(src)) return r.bad(where + ".src", "is not a node of reachability.nodes");
    if (!ids.contains(dst)) return r.bad(where + ".dst", "is not a node of reachability.nodes");
    BW_TRY(r.str(e, "connections", where, conns));
    BW_TRY(r.boolean(e, "all", where, all));
    json ports;
    BW_TRY(ports_of(e, "ports", where, ports));
    edges.push_back({{"src", src}, {"dst", dst}, {"connections", conns}, {"all", all}, {"ports", std::move(ports)}});
    return {};
  };
  BW_TRY(r.objects(**obj, "edges", at, true, read_edge));
  out.present = true;
  out.namespaces = static_cast<std::int64_t>(namespaces.size());
  out.edges = static_cast<std::int64_t>(edges.size());
  out.json = json{{"namespaces", std::move(namespaces)}, {"nodes", std::move(nodes)}, {"edges", std::move(edges)}}.dump(
      -1, ' ', false, json::error_handler_t::replace);
  return {};
}

Status read_scan(const Reader& r, const json& doc, Document& out) {
  if (auto targets = r.array(doc, "targets", "$"); targets && *targets && (*targets)->empty()) {
    return r.bad("$.targets", "must name at least one target");
  }
  auto read_target = [&](const json& t, const std::string& where) -> Status {
    TargetRec rec;
    BW_TRY(r.str(t, "kind", where, rec.kind));
    if (!kTargetKinds.contains(rec.kind)) return r.bad(where + ".kind", "unknown target kind '" + rec.kind + "'");
    BW_TRY(r.str(t, "name", where, rec.name));
    if (rec.name.empty()) return r.bad(where + ".name", "is required");
    BW_TRY(r.str(t, "id", where, rec.id));
    if (rec.kind == "image" && !rec.id.empty() && !util::parse_digest(rec.id)) {
      return r.bad(where + ".id", "an image id must be a sha256 digest");
    }
    auto os = r.object(t, "os", where);
    if (!os) return std::unexpected(os.error());
    if (*os) {
      BW_TRY(r.str(**os, "id", where + ".os", rec.os_id));
      BW_TRY(r.str(**os, "version_id", where + ".os", rec.os_version));
      BW_TRY(r.str(**os, "pretty_name", where + ".os", rec.os_pretty));
    }
    auto image = r.object(t, "image", where);
    if (!image) return std::unexpected(image.error());
    if (*image) {
      BW_TRY(r.strings(**image, "repo_tags", where + ".image", rec.names));
      BW_TRY(r.strings(**image, "repo_digests", where + ".image", rec.names));
      std::string config;
      BW_TRY(r.str(**image, "config_digest", where + ".image", config));
      if (rec.id.empty() && !config.empty()) {
        if (!util::parse_digest(config)) return r.bad(where + ".image.config_digest", "must be a sha256 digest");
        rec.id = config;
      }
      if (auto layers = r.array(**image, "layers", where + ".image"); !layers) {
        return std::unexpected(layers.error());
      } else if (*layers) {
        rec.has_layers = true;
      }
      auto read_one = [&](const json& l, const std::string& at) -> Status {
        LayerRec layer;
        BW_TRY(read_layer(r, l, at, layer));
        rec.layers.push_back(std::move(layer));
        return {};
      };
      BW_TRY(r.objects(**image, "layers", where + ".image", false, read_one));
    }
    rec.names.push_back(rec.name);
    auto packages = r.array(t, "packages", where);
    if (!packages) return std::unexpected(packages.error());
    if (*packages) {
      rec.has_packages = true;
      for (std::size_t j = 0; j < (*packages)->size(); ++j) {
        PackageRec p;
        BW_TRY(read_package(r, (**packages)[j], fmt::format("{}.packages[{}]", where, j), p));
        rec.packages.push_back(std::move(p));
      }
    }
    out.targets.push_back(std::move(rec));
    return {};
  };
  BW_TRY(r.objects(doc, "targets", "$", true, read_target));
  BW_TRY(read_reachability(r, doc, out.reachability));
  if (auto score = r.object(doc, "score", "$"); !score) {
    return std::unexpected(score.error());
  } else if (*score) {
    auto it = (*score)->find("percent");
    if (it != (*score)->end() && it->is_number()) out.targets.front().score_percent = it->get<double>();
  }
  return r.objects(doc, "findings", "$", true, [&](const json& f, const std::string& where) -> Status {
    FindingRec rec;
    BW_TRY(r.str(f, "id", where, rec.id));
    if (rec.id.empty()) return r.bad(where + ".id", "is required");
    BW_TRY(r.str(f, "title", where, rec.title));
    BW_TRY(r.str(f, "severity", where, rec.severity));
    if (rec.severity.empty()) rec.severity = "unknown";
    if (!kSeverities.contains(rec.severity))
      return r.bad(where + ".severity", "unknown severity '" + rec.severity + "'");
    BW_TRY(r.str(f, "status", where, rec.status));
    BW_TRY(r.str(f, "practice", where, rec.practice));
    BW_TRY(r.str(f, "evidence", where, rec.evidence));
    BW_TRY(r.str(f, "remediation", where, rec.remediation));
    if (auto loc = r.object(f, "location", where); !loc) {
      return std::unexpected(loc.error());
    } else if (*loc) {
      BW_TRY(r.str(**loc, "layer", where + ".location", rec.layer));
    }
    if (auto sup = f.find("suppression"); sup != f.end() && !sup->is_null()) return {};  // policy suppressed it
    auto pkg = r.object(f, "package", where);
    if (!pkg) return std::unexpected(pkg.error());
    if (*pkg) {
      BW_TRY(r.str(**pkg, "name", where + ".package", rec.package));
      BW_TRY(r.str(**pkg, "version", where + ".package", rec.package_version));
      BW_TRY(r.str(**pkg, "ecosystem", where + ".package", rec.ecosystem));
    }
    auto vuln = r.object(f, "vulnerability", where);
    if (!vuln) return std::unexpected(vuln.error());
    if (*vuln) {
      BW_TRY(r.str(**vuln, "fixed_version", where + ".vulnerability", rec.fixed_version));
      BW_TRY(r.str(**vuln, "state", where + ".vulnerability", rec.state));
      BW_TRY(r.strings(**vuln, "aliases", where + ".vulnerability", rec.aliases));
    }
    // The finding belongs to the target it names, else the first one.
    std::size_t owner = 0;
    if (auto tg = r.object(f, "target", where); !tg) {
      return std::unexpected(tg.error());
    } else if (*tg) {
      std::string kind, name;
      BW_TRY(r.str(**tg, "kind", where + ".target", kind));
      BW_TRY(r.str(**tg, "name", where + ".target", name));
      for (std::size_t k = 0; k < out.targets.size(); ++k) {
        if (out.targets[k].kind == kind && out.targets[k].name == name) owner = k;
      }
    }
    out.targets[owner].findings.push_back(std::move(rec));
    return {};
  });
}

Status read_pod(const Reader& r, const json& obj, const std::string& where, std::string& name, std::string& ns,
                std::string* uid) {
  auto pod = r.object(obj, "pod", where);
  if (!pod) return std::unexpected(pod.error());
  if (!*pod) return {};
  BW_TRY(r.str(**pod, "name", where + ".pod", name));
  BW_TRY(r.str(**pod, "namespace", where + ".pod", ns));
  if (uid) BW_TRY(r.str(**pod, "uid", where + ".pod", *uid));
  return {};
}

Status read_inventory(const Reader& r, const json& doc, Document& out) {
  auto read_image = [&](const json& im, const std::string& where) -> Status {
    ImageSeen rec;
    BW_TRY(r.str(im, "id", where, rec.id));
    if (!util::parse_digest(rec.id)) return r.bad(where + ".id", "must be a sha256 digest");
    BW_TRY(r.strings(im, "repo_tags", where, rec.names));
    BW_TRY(r.strings(im, "repo_digests", where, rec.names));
    out.images.push_back(std::move(rec));
    return {};
  };
  BW_TRY(r.objects(doc, "images", "$", false, read_image));
  auto read_container = [&](const json& c, const std::string& where) -> Status {
    ContainerRec rec;
    BW_TRY(r.str(c, "id", where, rec.id));
    if (rec.id.empty()) return r.bad(where + ".id", "is required");
    BW_TRY(r.str(c, "name", where, rec.name));
    BW_TRY(r.str(c, "image", where, rec.image));
    BW_TRY(r.str(c, "image_id", where, rec.image_id));
    BW_TRY(r.str(c, "state", where, rec.state));
    BW_TRY(r.str(c, "started_at", where, rec.started_at));
    BW_TRY(r.str(c, "runtime", where, rec.runtime));
    BW_TRY(read_pod(r, c, where, rec.pod_name, rec.pod_namespace, &rec.pod_uid));
    out.containers.push_back(std::move(rec));
    return {};
  };
  BW_TRY(r.objects(doc, "containers", "$", false, read_container));
  return {};
}

Status read_alerts(const Reader& r, const json& doc, Document& out) {
  return r.objects(doc, "alerts", "$", true, [&](const json& a, const std::string& where) -> Status {
    AlertRec rec;
    BW_TRY(r.str(a, "time", where, rec.time));
    BW_TRY(r.str(a, "rule", where, rec.rule));
    if (rec.rule.empty()) return r.bad(where + ".rule", "is required");
    BW_TRY(r.str(a, "priority", where, rec.priority));
    BW_TRY(r.str(a, "output", where, rec.output));
    BW_TRY(r.str(a, "source", where, rec.source));
    if (auto c = r.object(a, "container", where); !c) {
      return std::unexpected(c.error());
    } else if (*c) {
      BW_TRY(r.str(**c, "id", where + ".container", rec.container_id));
      BW_TRY(r.str(**c, "name", where + ".container", rec.container_name));
      BW_TRY(r.str(**c, "image", where + ".container", rec.image));
    }
    BW_TRY(read_pod(r, a, where, rec.pod_name, rec.pod_namespace, nullptr));
    out.alerts.push_back(std::move(rec));
    return {};
  });
}

Status read_activity(const Reader& r, const json& doc, Document& out) {
  auto read_usage = [&](const json& c, const std::string& where) -> Status {
    ActivityRec rec;
    BW_TRY(r.str(c, "id", where, rec.container_id));
    BW_TRY(r.integer(c, "cpu_usage_usec", where, rec.cpu_usage_usec));
    BW_TRY(r.integer(c, "memory_bytes", where, rec.memory_bytes));
    BW_TRY(r.integer(c, "io_read_bytes", where, rec.io_read_bytes));
    BW_TRY(r.integer(c, "io_write_bytes", where, rec.io_write_bytes));
    BW_TRY(r.integer(c, "pids", where, rec.pids));
    out.activity.push_back(std::move(rec));
    return {};
  };
  BW_TRY(r.objects(doc, "containers", "$", false, read_usage));
  auto read_connection = [&](const json& c, const std::string& where) -> Status {
    ConnectionRec rec;
    BW_TRY(r.str(c, "container_id", where, rec.container_id));
    BW_TRY(r.str(c, "direction", where, rec.direction));
    BW_TRY(r.str(c, "peer", where, rec.peer));
    BW_TRY(r.integer(c, "port", where, rec.port));
    BW_TRY(r.integer(c, "count", where, rec.count));
    out.connections.push_back(std::move(rec));
    return {};
  };
  BW_TRY(r.objects(doc, "connections", "$", false, read_connection));
  return {};
}

}  // namespace

Result<Document> parse_document(std::string_view body, const IngestLimits& limits) {
  if (body.size() > limits.max_bytes) {
    return fail(ErrorCode::limit, fmt::format("the document is larger than {} bytes", limits.max_bytes));
  }
  if (util::json_depth(body, limits.max_depth) > limits.max_depth) {
    return fail(ErrorCode::limit, fmt::format("the document nests deeper than {} levels", limits.max_depth));
  }
  json doc;
  try {
    doc = json::parse(body);
  } catch (const json::parse_error& e) {
    return fail(ErrorCode::parse, std::string("malformed JSON: ") + e.what());
  }
  if (!doc.is_object()) return fail(ErrorCode::parse, "$: the document must be a JSON object");
  Reader r{limits};
  Document out;
  out.digest = "sha256:" + util::sha256_hex(body);
  std::string schema;
  BW_TRY(r.str(doc, "schema", "$", schema));
  if (schema != "bulwark/v1") return fail(ErrorCode::parse, "$.schema: must be \"bulwark/v1\"");
  std::string kind = "scan";
  BW_TRY(r.str(doc, "report", "$", kind));
  if (kind == "scan") {
    out.kind = ReportKind::scan;
  } else if (kind == "inventory") {
    out.kind = ReportKind::inventory;
  } else if (kind == "alerts") {
    out.kind = ReportKind::alerts;
  } else if (kind == "activity") {
    out.kind = ReportKind::activity;
  } else {
    return fail(ErrorCode::parse, "$.report: unknown report kind '" + kind.substr(0, 64) + "'");
  }
  auto host = r.object(doc, "host", "$");
  if (!host) return std::unexpected(host.error());
  if (*host) {
    BW_TRY(r.str(**host, "name", "$.host", out.host));
    BW_TRY(r.str(**host, "engine", "$.host", out.engine));
    if (!valid_host_name(out.host)) return fail(ErrorCode::parse, "$.host.name: not a valid host name");
  } else if (out.kind != ReportKind::scan) {
    return fail(ErrorCode::parse, "$.host: required for " + kind + " reports");
  }
  switch (out.kind) {
    case ReportKind::scan: BW_TRY(read_scan(r, doc, out)); break;
    case ReportKind::inventory: BW_TRY(read_inventory(r, doc, out)); break;
    case ReportKind::alerts: BW_TRY(read_alerts(r, doc, out)); break;
    case ReportKind::activity: BW_TRY(read_activity(r, doc, out)); break;
  }
  // A host audit names its host by the target.
  if (out.kind == ReportKind::scan && out.host.empty()) {
    for (const auto& t : out.targets) {
      if (t.kind == "host" && valid_host_name(t.name)) out.host = t.name;
    }
  }
  return out;
}

}  // namespace bulwark::server
