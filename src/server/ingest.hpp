// Reading an uploaded bulwark/v1 document (docs/formats/json.md, docs/api/openapi.yaml) into
// what the store keeps. Everything a client sends is checked here before anything is stored:
// size and nesting depth before parsing, then the schema, the report kind, the type of every
// field the store reads, string lengths and element counts. A document that fails any check is
// refused as a whole with a message naming the field (ErrorCode::parse or ::limit).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.hpp"

namespace bulwark::server {

struct IngestLimits {
  std::size_t max_bytes = 64 << 20;
  std::uint32_t max_depth = 64;
  std::size_t max_items = 500000;  // packages, findings, containers, alerts ... per document
  std::size_t max_string = 64 << 10;
};

enum class ReportKind { scan, inventory, alerts, activity };
[[nodiscard]] std::string_view to_string(ReportKind k) noexcept;

struct PackageRec {
  std::string name, version, source, source_version, ecosystem, purl, architecture, license;
  std::string layer;  // diffID of the layer that added it, when the SBOM says
};

// One layer of an image, bottom first (targets[].image.layers).
struct LayerRec {
  std::string digest, diff_id, media_type, created_by;
  std::int64_t size = 0;
};

struct FindingRec {
  std::string id, title, severity, status, practice, package, package_version, ecosystem, fixed_version, state;
  std::vector<std::string> aliases;
  std::string evidence, remediation;
  std::string layer;  // location.layer
};

struct TargetRec {
  std::string kind, name, id;  // id: config digest for images
  std::string os_id, os_version, os_pretty;
  std::vector<std::string> names;  // image: repo tags, repo digests and the name it was scanned under
  bool has_packages = false;       // an SBOM was sent (targets[].packages present)
  std::vector<PackageRec> packages;
  bool has_layers = false;  // targets[].image.layers present
  std::vector<LayerRec> layers;
  std::vector<FindingRec> findings;
  std::optional<double> score_percent;    // host audits
  [[nodiscard]] std::string key() const;  // "image:sha256:...", "rootfs:/srv/x", "host:h1"
};

struct ContainerRec {
  std::string id, name, image, image_id, state, started_at, runtime, pod_name, pod_namespace, pod_uid;
};

struct ImageSeen {
  std::string id;
  std::vector<std::string> names;
};

struct AlertRec {
  std::string time, rule, priority, output, source, container_id, container_name, image, pod_name, pod_namespace;
};

struct ActivityRec {
  std::string container_id;
  std::int64_t cpu_usage_usec = 0, memory_bytes = 0, io_read_bytes = 0, io_write_bytes = 0, pids = 0;
};

struct ConnectionRec {
  std::string container_id, direction, peer;
  std::int64_t port = 0, count = 0;
};

// The NetworkPolicy reachability of a `bulwark config` scan (the document's `reachability`),
// checked field by field and written again with only the fields documented (docs/formats/json.md).
struct ReachabilityRec {
  bool present = false;
  std::string json;  // {"namespaces": [...], "nodes": [...], "edges": [...]}
  std::int64_t namespaces = 0, workloads = 0, edges = 0, open_namespaces = 0, exposed = 0;
};

struct Document {
  ReportKind kind = ReportKind::scan;
  std::string host, engine;  // host.name when the document carries one
  std::string digest;        // "sha256:<hex>" of the bytes as sent
  std::vector<TargetRec> targets;
  std::vector<ImageSeen> images;
  std::vector<ContainerRec> containers;
  std::vector<AlertRec> alerts;
  std::vector<ActivityRec> activity;
  std::vector<ConnectionRec> connections;
  ReachabilityRec reachability;
};

[[nodiscard]] Result<Document> parse_document(std::string_view body, const IngestLimits& limits = {});

// Host names as the API accepts them: 1-253 of [A-Za-z0-9._-], not starting with '.' or '-'.
[[nodiscard]] bool valid_host_name(std::string_view name) noexcept;

}  // namespace bulwark::server
