// Reading real images end to end: layer tars written by libarchive, compressed
// with gzip and zstd, assembled into OCI layouts and docker-save archives with
// computed digests, then read back into a FileTree.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <cstdlib>

#include "image/internal.hpp"
#include "image/rootfs.hpp"
#include "image/test_support.hpp"
#include "image/transports.hpp"

namespace bulwark::image {
namespace {

namespace fs = std::filesystem;
using namespace testing;

const core::FileWanted kWantAll = [](std::string_view) { return true; };

// Layer 0: a base; layer 1 (gzip, two members): whiteouts and an opaque folder whose
// marker comes after the layer's own new entries; layer 2 (zstd): an update.
std::vector<TestLayer> sample_layers() {
  auto base = TarWriter()
                  .dir("etc")
                  .file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n")
                  .file("etc/shadow", "root:*:19000:0:99999:7:::\n", 0600)
                  .hardlink("etc/passwd-link", "etc/passwd")
                  .dir("usr/bin")
                  .file("usr/bin/tool", "v1", 04755, 0)
                  .dir("opt/app")
                  .file("opt/app/a", "a")
                  .file("opt/app/b", "b")
                  .dir("data")
                  .file("data/keep", "keep")
                  .file("data/gone", "gone")
                  .symlink("escape", "../../../../etc/passwd")
                  .symlink("abs-escape", "/etc/shadow")
                  .fifo("run-fifo")
                  .finish();
  auto second = TarWriter()
                    .file("etc/.wh.shadow", "")
                    .file("opt/app/new", "new")
                    .file("opt/app/.wh..wh..opq", "")
                    .file("data/again", "layer1")
                    .file("data/.wh.again", "")
                    .file("data/.wh.gone", "")
                    .finish();
  // Two gzip members, as pigz or concatenation produce.
  auto half = second.size() / 2;
  auto second_blob = gzip(std::string_view(second).substr(0, half)) + gzip(std::string_view(second).substr(half));
  TestLayer l1{second, second_blob, layer_media_type(Codec::gzip), "RUN cleanup"};
  auto third = TarWriter().file("usr/bin/tool", "v2-longer", 0755).finish();
  return {make_layer(base, Codec::none, "ADD rootfs.tar /"), l1, make_layer(third, Codec::zstd, "COPY tool /usr/bin/")};
}

core::Context test_context() {
  core::Context ctx;
  ctx.cache_dir = "/nonexistent/bulwark-cache";
  return ctx;
}

Result<core::FileTree> read_tree(ImageSource& source, const core::Context& ctx,
                                 const core::FileWanted& wanted = kWantAll) {
  core::FileTree tree;
  auto s = read_layers(source, wanted, ctx, tree);
  if (!s) return std::unexpected(s.error());
  return tree;
}

void expect_error(const Error& e, ErrorCode code, std::string_view text) {
  EXPECT_EQ(e.code, code) << e.describe();
  EXPECT_NE(e.describe().find(text), std::string::npos) << e.describe();
}

void expect_sample_tree(const core::FileTree& tree) {
  const auto* passwd = tree.find("etc/passwd");
  ASSERT_NE(passwd, nullptr);
  EXPECT_EQ(passwd->layer, 0);
  ASSERT_TRUE(passwd->content);
  EXPECT_EQ(*passwd->content, "root:x:0:0:root:/root:/bin/sh\n");
  EXPECT_EQ(tree.find("etc/shadow"), nullptr) << "whited out by layer 1";
  ASSERT_NE(tree.find("etc"), nullptr);

  const auto* link = tree.find("etc/passwd-link");
  ASSERT_NE(link, nullptr);
  EXPECT_EQ(link->type, core::FileType::hardlink);
  EXPECT_EQ(link->link_target, "etc/passwd");
  auto via_link = tree.resolve("etc/passwd-link");
  ASSERT_TRUE(via_link);
  EXPECT_EQ((*via_link)->path, "etc/passwd");

  // Opaque: lower children gone, the layer's own entry (written before the marker) kept.
  EXPECT_EQ(tree.find("opt/app/a"), nullptr);
  EXPECT_EQ(tree.find("opt/app/b"), nullptr);
  ASSERT_NE(tree.find("opt/app/new"), nullptr);
  EXPECT_EQ(tree.find("opt/app/new")->layer, 1);
  ASSERT_NE(tree.find("opt/app"), nullptr);

  // A whiteout never removes its own layer's entry.
  ASSERT_NE(tree.find("data/again"), nullptr);
  EXPECT_EQ(*tree.find("data/again")->content, "layer1");
  EXPECT_EQ(tree.find("data/gone"), nullptr);
  ASSERT_NE(tree.find("data/keep"), nullptr);
  for (auto p : {"etc/.wh.shadow", "opt/app/.wh..wh..opq", "data/.wh.again"}) EXPECT_EQ(tree.find(p), nullptr) << p;

  const auto* tool = tree.find("usr/bin/tool");
  ASSERT_NE(tool, nullptr);
  EXPECT_EQ(tool->layer, 2);
  EXPECT_EQ(tool->mode, 0755U);
  EXPECT_EQ(tool->size, 9U);
  EXPECT_EQ(*tool->content, "v2-longer");

  // Links are kept as stored and resolve inside the image only.
  const auto* escape = tree.find("escape");
  ASSERT_NE(escape, nullptr);
  EXPECT_EQ(escape->type, core::FileType::symlink);
  EXPECT_EQ(escape->link_target, "../../../../etc/passwd");
  auto resolved = tree.resolve("escape");
  ASSERT_TRUE(resolved);
  EXPECT_EQ(*(*resolved)->content, "root:x:0:0:root:/root:/bin/sh\n") << "the image's passwd, not the host's";
  auto abs = tree.resolve("abs-escape");
  ASSERT_FALSE(abs) << "/etc/shadow was whited out in the image; the host's must not appear";
  EXPECT_EQ(abs.error().code, ErrorCode::not_found);
  EXPECT_EQ(tree.find("run-fifo")->type, core::FileType::fifo);
}

// The base image an OCI layout's manifest states in the OCI annotations becomes ImageInfo's
// base_name/base_digest; a manifest without them leaves both empty.
TEST(OciLayout, BaseImageFromTheManifestAnnotations) {
  TempDir tmp;
  auto layers = sample_layers();
  const std::string base_digest = "sha256:" + std::string(64, 'b');
  for (bool annotated : {true, false}) {
    OciLayout layout;
    auto desc = layout.image(layers, config_for(layers),
                             annotated ? json{{"org.opencontainers.image.base.name", "docker.io/library/debian:12"},
                                              {"org.opencontainers.image.base.digest", base_digest},
                                              {"org.opencontainers.image.title", "app"}}
                                       : json());
    layout.add_to_index(desc);
    auto dir = tmp.path() / (annotated ? "annotated" : "plain");
    layout.write_dir(dir);
    auto ctx = test_context();
    auto src = open_oci_layout(dir, "", {}, ctx);
    ASSERT_TRUE(src) << src.error().describe();
    EXPECT_EQ((*src)->info().base_name, annotated ? "docker.io/library/debian:12" : "");
    EXPECT_EQ((*src)->info().base_digest, annotated ? base_digest : "");
  }
}

void expect_sample_info(const core::ImageInfo& info, const std::vector<TestLayer>& layers) {
  ASSERT_EQ(info.layers.size(), 3U);
  EXPECT_EQ(info.architecture, "amd64");
  EXPECT_EQ(info.os, "linux");
  for (std::size_t i = 0; i < layers.size(); ++i) {
    EXPECT_EQ(info.layers[i].diff_id, sha(layers[i].tar)) << i;
    EXPECT_EQ(info.layers[i].created_by, layers[i].created_by) << i;
  }
}

// Files below dir with their sizes and modification times, to prove reading wrote nothing.
std::map<std::string, std::pair<std::uintmax_t, fs::file_time_type>> snapshot(const fs::path& dir) {
  std::map<std::string, std::pair<std::uintmax_t, fs::file_time_type>> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    out[e.path().string()] = {e.is_regular_file() ? e.file_size() : 0, e.last_write_time()};
  }
  return out;
}

TEST(OciLayout, ReadsSquashedTreeAndImageInfo) {
  TempDir tmp;
  auto layers = sample_layers();
  OciLayout layout;
  auto config = config_for(layers);
  auto desc = layout.image(layers, config);
  desc["annotations"] = {{"org.opencontainers.image.ref.name", "v1"}};
  layout.add_to_index(desc);
  auto dir = tmp.path() / "layout";
  layout.write_dir(dir);
  auto before = snapshot(tmp.path());

  auto ctx = test_context();
  auto src = open_oci_layout(dir, "", {}, ctx);
  ASSERT_TRUE(src) << src.error().describe();
  const auto& info = (*src)->info();
  EXPECT_EQ(info.manifest_digest, desc["digest"]);
  EXPECT_EQ(info.config_digest, sha(config.dump()));
  EXPECT_EQ(info.repo_tags, std::vector<std::string>{"v1"});
  EXPECT_EQ(info.reference, "oci:" + dir.string());
  expect_sample_info(info, layers);
  EXPECT_EQ(info.layers[1].media_type, layer_media_type(Codec::gzip));
  EXPECT_EQ(info.layers[2].digest, sha(layers[2].blob));
  EXPECT_EQ(info.layers[2].size, layers[2].blob.size());
  EXPECT_EQ((*src)->config_json(), config.dump());

  auto tree = read_tree(**src, ctx);
  ASSERT_TRUE(tree) << tree.error().describe();
  expect_sample_tree(*tree);
  EXPECT_EQ(snapshot(tmp.path()), before) << "reading must not write";
  EXPECT_FALSE(fs::exists(ctx.cache_dir));

  auto by_tag = open_oci_layout(dir, "v1", {}, ctx);
  ASSERT_TRUE(by_tag);
  auto wrong_tag = open_oci_layout(dir, "v2", {}, ctx);
  ASSERT_FALSE(wrong_tag);
  EXPECT_EQ(wrong_tag.error().code, ErrorCode::not_found);
  EXPECT_NE(wrong_tag.error().message.find("v1"), std::string::npos) << "lists what is there";
}

TEST(OciLayout, KeepsOnlyWantedContent) {
  TempDir tmp;
  auto layers = sample_layers();
  OciLayout layout;
  layout.add_to_index(layout.image(layers, config_for(layers)));
  layout.write_dir(tmp.path());
  auto ctx = test_context();
  ctx.limits.max_kept_file_bytes = 5;
  auto src = open_oci_layout(tmp.path(), "", {}, ctx);
  ASSERT_TRUE(src);
  auto tree = read_tree(**src, ctx, [](std::string_view p) { return p.starts_with("data/") || p == "etc/passwd"; });
  ASSERT_TRUE(tree) << tree.error().describe();
  EXPECT_FALSE(tree->find("etc/passwd")->content) << "over max_kept_file_bytes";
  EXPECT_EQ(tree->find("etc/passwd")->size, 30U);
  EXPECT_EQ(*tree->find("data/keep")->content, "keep");
  EXPECT_FALSE(tree->find("usr/bin/tool")->content) << "not wanted";
}

TEST(OciArchive, ReadsInPlace) {
  TempDir tmp;
  auto layers = sample_layers();
  OciLayout layout;
  auto desc = layout.image(layers, config_for(layers));
  desc["annotations"] = {{"org.opencontainers.image.ref.name", "stable"}};
  layout.add_to_index(desc);
  auto tar = tmp.path() / "image.tar";
  layout.write_tar(tar);
  auto before = snapshot(tmp.path());
  auto ctx = test_context();
  auto src = open_oci_archive(tar, "stable", {}, ctx);
  ASSERT_TRUE(src) << src.error().describe();
  expect_sample_info((*src)->info(), layers);
  auto tree = read_tree(**src, ctx);
  ASSERT_TRUE(tree) << tree.error().describe();
  expect_sample_tree(*tree);
  EXPECT_EQ(snapshot(tmp.path()), before);
}

TEST(DockerArchive, ReadsLegacySaveWithSeveralImages) {
  TempDir tmp;
  auto layers = sample_layers();
  std::vector<TestLayer> plain;
  for (const auto& l : layers) plain.push_back(make_layer(l.tar, Codec::none, l.created_by));
  auto other_layers = std::vector<TestLayer>{make_layer(TarWriter().file("only-in-other", "o").finish(), Codec::none)};
  DockerSave save;
  save.image(plain, config_for(plain), {"app:1", "app:latest"});
  save.image(other_layers, config_for(other_layers), {"other:2"});
  auto tar = tmp.path() / "save.tar";
  save.write(tar);
  auto ctx = test_context();

  auto ambiguous = open_docker_archive(tar, "", {}, ctx);
  ASSERT_FALSE(ambiguous);
  EXPECT_EQ(ambiguous.error().code, ErrorCode::invalid_argument);
  EXPECT_NE(ambiguous.error().message.find("other:2"), std::string::npos);

  auto src = open_docker_archive(tar, "app", {}, ctx);
  ASSERT_TRUE(src) << src.error().describe();
  const auto& info = (*src)->info();
  expect_sample_info(info, plain);
  EXPECT_EQ(info.repo_tags, (std::vector<std::string>{"app:1", "app:latest"}));
  EXPECT_EQ(info.config_digest, sha(config_for(plain).dump()));
  EXPECT_EQ(info.layers[0].digest, info.layers[0].diff_id) << "legacy layer.tar is uncompressed";
  auto tree = read_tree(**src, ctx);
  ASSERT_TRUE(tree) << tree.error().describe();
  expect_sample_tree(*tree);

  auto other = open_docker_archive(tar, "@1", {}, ctx);
  ASSERT_TRUE(other);
  auto other_tree = read_tree(**other, ctx);
  ASSERT_TRUE(other_tree);
  EXPECT_NE(other_tree->find("only-in-other"), nullptr);
  EXPECT_EQ(other_tree->find("etc/passwd"), nullptr);

  auto missing = open_docker_archive(tar, "nope:1", {}, ctx);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::not_found);
}

TEST(DockerArchive, ReadsDocker25BlobsLayout) {
  TempDir tmp;
  auto layers = sample_layers();
  std::vector<TestLayer> plain;
  for (const auto& l : layers) plain.push_back(make_layer(l.tar, Codec::none, l.created_by));
  OciLayout layout;
  auto config = config_for(plain);
  auto desc = layout.image(plain, config);
  layout.add_to_index(desc);
  json layer_paths = json::array();
  for (const auto& l : plain) layer_paths.push_back("blobs/sha256/" + sha(l.blob).substr(7));
  layout.files()["manifest.json"] = json::array({{{"Config", "blobs/sha256/" + sha(config.dump()).substr(7)},
                                                  {"RepoTags", {"new:1"}},
                                                  {"Layers", layer_paths}}})
                                        .dump();
  auto tar = tmp.path() / "save25.tar";
  layout.write_tar(tar);
  auto ctx = test_context();
  auto src = open_docker_archive(tar, "", {}, ctx);
  ASSERT_TRUE(src) << src.error().describe();
  EXPECT_EQ((*src)->info().repo_tags, std::vector<std::string>{"new:1"});
  auto tree = read_tree(**src, ctx);
  ASSERT_TRUE(tree) << tree.error().describe();
  expect_sample_tree(*tree);

  // Without manifest.json the archive is read as the OCI layout it also is.
  layout.files().erase("manifest.json");
  auto oci_only = tmp.path() / "oci-only.tar";
  layout.write_tar(oci_only);
  auto via_oci = open_docker_archive(oci_only, "", {}, ctx);
  ASSERT_TRUE(via_oci) << via_oci.error().describe();
  EXPECT_EQ((*via_oci)->info().manifest_digest, desc["digest"]);
  auto oci_tree = read_tree(**via_oci, ctx);
  ASSERT_TRUE(oci_tree) << oci_tree.error().describe();
  expect_sample_tree(*oci_tree);
}

TEST(DockerArchive, VerifiesConfigAndLayers) {
  TempDir tmp;
  auto layer = make_layer(TarWriter().file("f", "content").finish(), Codec::none);
  auto config = config_for({layer});
  DockerSave save;
  save.image({layer}, config, {"app:1"});
  auto cfg_name = util::sha256_hex(config.dump()) + ".json";
  save.files()[cfg_name].replace(save.files()[cfg_name].find("amd64"), 5, "arm64");
  auto tar = tmp.path() / "tampered.tar";
  save.write(tar);
  auto src = open_docker_archive(tar, "", {}, test_context());
  ASSERT_FALSE(src);
  expect_error(src.error(), ErrorCode::digest_mismatch, "blob digest mismatch");

  DockerSave bad_layer;
  bad_layer.image({layer}, config, {"app:1"});
  for (auto& [rel, data] : bad_layer.files()) {
    if (rel.ends_with("/layer.tar")) data.replace(data.find("content"), 7, "CONTENT");
  }
  auto tar2 = tmp.path() / "bad-layer.tar";
  bad_layer.write(tar2);
  auto src2 = open_docker_archive(tar2, "app:1", {}, test_context());
  ASSERT_TRUE(src2) << src2.error().describe();
  auto tree = read_tree(**src2, test_context());
  ASSERT_FALSE(tree);
  expect_error(tree.error(), ErrorCode::digest_mismatch, "docker-archive:" + tar2.string() + ":app:1: layer 0");
}

// Records what read_layers reports.
class RecordingProgress final : public core::Progress {
 public:
  void begin(std::string_view label, std::uint64_t total) override {
    labels.emplace_back(label);
    totals.push_back(total);
    advanced.push_back(0);
  }
  void advance(std::uint64_t amount) override { advanced.back() += amount; }
  void end() override { ++ended; }
  void note(std::string_view) override {}
  std::vector<std::string> labels;
  std::vector<std::uint64_t> totals;
  std::vector<std::uint64_t> advanced;
  int ended = 0;
};

TEST(Layers, ReportsCompressedBytesPerLayer) {
  TempDir tmp;
  auto layers = sample_layers();
  OciLayout layout;
  layout.add_to_index(layout.image(layers, config_for(layers)));
  layout.write_dir(tmp.path());
  RecordingProgress progress;
  auto ctx = test_context();
  ctx.progress = &progress;
  auto src = open_oci_layout(tmp.path(), "", {}, ctx);
  ASSERT_TRUE(src);
  ASSERT_TRUE(read_tree(**src, ctx));
  ASSERT_EQ(progress.advanced.size(), 3U);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(progress.advanced[i], layers[i].blob.size()) << i;
    EXPECT_EQ(progress.totals[i], layers[i].blob.size()) << i;
  }
  EXPECT_EQ(progress.labels[2], "layer 3/3");
  EXPECT_EQ(progress.ended, 3);
}

TEST(Layers, ObserverSeesEachLayerAppliedWithItsKeptFiles) {
  TempDir tmp;
  auto layers = sample_layers();
  OciLayout layout;
  layout.add_to_index(layout.image(layers, config_for(layers)));
  layout.write_dir(tmp.path());
  auto ctx = test_context();
  auto src = open_oci_layout(tmp.path(), "", {}, ctx);
  ASSERT_TRUE(src);
  std::vector<std::size_t> seen;
  std::vector<std::vector<std::string>> kept_per_layer;
  std::vector<bool> shadow_present;
  LayerObserver observer = [&](std::size_t layer, const core::FileTree& t, const std::vector<std::string>& kept) {
    seen.push_back(layer);
    kept_per_layer.push_back(kept);
    shadow_present.push_back(t.find("etc/shadow") != nullptr);
  };
  core::FileTree tree;
  auto wanted = [](std::string_view p) { return p.starts_with("etc/") || p == "usr/bin/tool"; };
  ASSERT_TRUE(read_layers(**src, wanted, ctx, tree, observer));
  EXPECT_EQ(seen, (std::vector<std::size_t>{0, 1, 2}));
  EXPECT_EQ(shadow_present, (std::vector<bool>{true, false, false}));
  auto sorted = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  EXPECT_EQ(sorted(kept_per_layer[0]),
            (std::vector<std::string>{"etc/passwd", "etc/passwd-link", "etc/shadow", "usr/bin/tool"}));
  EXPECT_TRUE(kept_per_layer[1].empty());
  EXPECT_EQ(kept_per_layer[2], std::vector<std::string>{"usr/bin/tool"});
}

// ---- platforms ---------------------------------------------------------------

TEST(OciLayout, IndexWithTwoPlatformsIsResolvedByPlatform) {
  TempDir tmp;
  OciLayout layout;
  json list = {
      {"schemaVersion", 2}, {"mediaType", "application/vnd.oci.image.index.v1+json"}, {"manifests", json::array()}};
  for (std::string arch : {"amd64", "arm64"}) {
    std::vector<TestLayer> layers{make_layer(TarWriter().file("arch", arch).finish(), Codec::gzip)};
    auto d = layout.image(layers, config_for(layers, arch));
    d["platform"] = {{"os", "linux"}, {"architecture", arch}};
    list["manifests"].push_back(d);
  }
  auto nested = layout.blob("application/vnd.oci.image.index.v1+json", list.dump());
  nested["annotations"] = {{"org.opencontainers.image.ref.name", "multi"}};
  layout.add_to_index(nested);
  layout.write_dir(tmp.path());
  auto ctx = test_context();

  for (std::string arch : {"amd64", "arm64"}) {
    SourceOptions opts;
    opts.platform = "linux/" + arch;
    auto src = open_oci_layout(tmp.path(), "multi", opts, ctx);
    ASSERT_TRUE(src) << src.error().describe();
    EXPECT_EQ((*src)->info().architecture, arch);
    auto tree = read_tree(**src, ctx);
    ASSERT_TRUE(tree);
    EXPECT_EQ(*tree->find("arch")->content, arch);
  }
  SourceOptions s390;
  s390.platform = "linux/s390x";
  auto none = open_oci_layout(tmp.path(), "", s390, ctx);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, ErrorCode::not_found);
  EXPECT_NE(none.error().message.find("linux/amd64"), std::string::npos) << none.error().message;
  EXPECT_NE(none.error().message.find("linux/arm64"), std::string::npos) << none.error().message;
  EXPECT_NE(none.error().message.find("linux/s390x"), std::string::npos) << none.error().message;

  // Without --platform the host's is used.
  auto host = open_oci_layout(tmp.path(), "", {}, ctx);
  auto host_arch = detail::parse_platform(host_platform()).value().architecture;
  if (host_arch == "amd64" || host_arch == "arm64") {
    ASSERT_TRUE(host) << host.error().describe();
    EXPECT_EQ((*host)->info().architecture, host_arch);
  } else {
    EXPECT_FALSE(host);
  }
}

// ---- hostile and broken images -------------------------------------------------

struct Built {
  TempDir tmp;
  fs::path dir;
};

// Writes a one-image layout from layers (config from the layers unless given).
std::unique_ptr<Built> build_layout(const std::vector<TestLayer>& layers, std::optional<json> config = {}) {
  auto b = std::make_unique<Built>();
  b->dir = b->tmp.path() / "layout";
  OciLayout layout;
  layout.add_to_index(layout.image(layers, config ? *config : config_for(layers)));
  layout.write_dir(b->dir);
  return b;
}

Error read_error(const fs::path& dir, const core::Context& ctx) {
  auto src = open_oci_layout(dir, "", {}, ctx);
  if (!src) return src.error();
  auto tree = read_tree(**src, ctx);
  EXPECT_FALSE(tree) << "expected reading to fail";
  return tree ? Error{} : tree.error();
}

TEST(Hostile, DotDotEntry) {
  auto b = build_layout(
      {make_layer(TarWriter().file("ok", "1").file("a/../../../etc/cron.d/evil", "x").finish(), Codec::gzip)});
  auto e = read_error(b->dir, test_context());
  expect_error(e, ErrorCode::hostile, "a/../../../etc/cron.d/evil");
  EXPECT_NE(e.describe().find("layer 0"), std::string::npos) << e.describe();
  EXPECT_NE(e.describe().find("oci:" + b->dir.string()), std::string::npos) << e.describe();
}

TEST(Hostile, AbsoluteEntry) {
  auto b = build_layout({make_layer(TarWriter().file("/etc/passwd", "x").finish(), Codec::none)});
  expect_error(read_error(b->dir, test_context()), ErrorCode::hostile, "absolute path '/etc/passwd'");
}

TEST(Hostile, HardLinkToNothing) {
  auto b = build_layout({make_layer(TarWriter().hardlink("x", "missing/file").finish(), Codec::none)});
  expect_error(read_error(b->dir, test_context()), ErrorCode::parse, "does not exist");
  auto up = build_layout({make_layer(TarWriter().file("f", "1").hardlink("x", "../../f").finish(), Codec::none)});
  expect_error(read_error(up->dir, test_context()), ErrorCode::hostile, "hard link 'x'");
}

TEST(Hostile, BlobDigestMismatch) {
  auto layer = make_layer(TarWriter().file("f", "original").finish(), Codec::none);
  auto b = build_layout({layer});
  auto path = b->dir / "blobs/sha256" / sha(layer.blob).substr(7);
  auto bytes = read_bytes(path);
  auto at = bytes.find("original");
  ASSERT_NE(at, std::string::npos);
  bytes[at] = 'X';  // same size, different content
  write_bytes(path, bytes);
  expect_error(read_error(b->dir, test_context()), ErrorCode::digest_mismatch, "blob digest mismatch");
}

TEST(Hostile, DiffIdMismatch) {
  auto layer = make_layer(TarWriter().file("f", "x").finish(), Codec::gzip);
  auto config = config_for({layer});
  config["rootfs"]["diff_ids"][0] = sha("something else");
  auto b = build_layout({layer}, config);
  expect_error(read_error(b->dir, test_context()), ErrorCode::digest_mismatch, "diffID mismatch");
}

TEST(Hostile, ManifestLiesAboutSize) {
  for (int delta : {-10, 10}) {
    auto layer = make_layer(TarWriter().file("f", std::string(3000, 'z')).finish(), Codec::gzip);
    auto b = std::make_unique<Built>();
    b->dir = b->tmp.path() / "layout";
    OciLayout layout;
    auto config = layout.blob("application/vnd.oci.image.config.v1+json", config_for({layer}).dump());
    auto ldesc = layout.blob(layer.media_type, layer.blob);
    ldesc["size"] = static_cast<std::int64_t>(layer.blob.size()) + delta;
    json m = {{"schemaVersion", 2}, {"config", config}, {"layers", {ldesc}}};
    layout.add_to_index(layout.blob("application/vnd.oci.image.manifest.v1+json", m.dump()));
    layout.write_dir(b->dir);
    expect_error(read_error(b->dir, test_context()), ErrorCode::digest_mismatch, "manifest declares");
  }
}

TEST(Hostile, TruncatedGzip) {
  auto tar = TarWriter().file("f", std::string(200000, 'q')).file("g", "tail").finish();
  auto gz = gzip(tar);
  TestLayer layer{tar, gz.substr(0, gz.size() * 2 / 3), layer_media_type(Codec::gzip), ""};
  auto b = build_layout({layer});
  expect_error(read_error(b->dir, test_context()), ErrorCode::parse, "truncated");
}

TEST(Hostile, CorruptZstd) {
  auto tar = TarWriter().file("f", std::string(100000, 'q')).finish();
  auto z = zstd(tar);
  for (std::size_t i = 6; i < 14 && i < z.size(); ++i) z[i] = static_cast<char>(0xff);
  TestLayer layer{tar, z, layer_media_type(Codec::zstd), ""};
  auto b = build_layout({layer});
  expect_error(read_error(b->dir, test_context()), ErrorCode::parse, "zstd");
}

TEST(Hostile, DecompressionBomb) {
  // 200 MiB of zeros in one file, gzip'd (a few hundred KiB), streamed: never held whole.
  std::string blob;
  GzipWriter gz([&](const void* p, std::size_t n) { blob.append(static_cast<const char*>(p), n); });
  util::Sha256 diff;
  TarWriter tar(TarFormat::pax, [&](const void* p, std::size_t n) {
    diff.update(p, n);
    gz.write(p, n);
  });
  tar.zeros("zeros.bin", 200ULL << 20);
  tar.finish();
  gz.finish();
  TestLayer layer{"", blob, layer_media_type(Codec::gzip), ""};
  auto config = config_for({layer});
  config["rootfs"]["diff_ids"][0] = "sha256:" + diff.hex_digest();
  auto b = build_layout({layer}, config);
  auto ctx = test_context();
  ctx.limits.max_compression_ratio = 50;
  expect_error(read_error(b->dir, ctx), ErrorCode::limit, "decompression bomb");

  // The same image within the limits reads fine; only the ratio tripped.
  ctx.limits.max_compression_ratio = 100000;
  auto src = open_oci_layout(b->dir, "", {}, ctx);
  ASSERT_TRUE(src);
  struct rusage before {};
  ::getrusage(RUSAGE_SELF, &before);
  auto tree = read_tree(**src, ctx, [](std::string_view) { return false; });
  ASSERT_TRUE(tree) << tree.error().describe();
  EXPECT_EQ(tree->find("zeros.bin")->size, 200ULL << 20);
  struct rusage after {};
  ::getrusage(RUSAGE_SELF, &after);
  EXPECT_LT(after.ru_maxrss - before.ru_maxrss, 64 * 1024) << "peak memory grew with the layer (KiB)";
  ctx.limits.max_total_bytes = 100ULL << 20;
  auto again = open_oci_layout(b->dir, "", {}, ctx);
  ASSERT_TRUE(again);
  auto over = read_tree(**again, ctx);
  ASSERT_FALSE(over);
  expect_error(over.error(), ErrorCode::limit, "larger than the limit");
}

TEST(Hostile, TooManyFiles) {
  TarWriter t;
  for (int i = 0; i < 20; ++i) t.file("f" + std::to_string(i), "x");
  auto b = build_layout({make_layer(t.finish(), Codec::zstd)});
  auto ctx = test_context();
  ctx.limits.max_file_count = 10;
  expect_error(read_error(b->dir, ctx), ErrorCode::limit, "more than 10 files");
}

TEST(Hostile, TooBigSingleFile) {
  auto b = build_layout(
      {make_layer(TarWriter().file("small", "x").file("big", std::string(5000, 'b')).finish(), Codec::gzip)});
  auto ctx = test_context();
  ctx.limits.max_file_bytes = 4096;
  expect_error(read_error(b->dir, ctx), ErrorCode::limit, "entry 'big' is 5000 bytes");
}

TEST(Hostile, MissingBlob) {
  auto layer = make_layer(TarWriter().file("f", "x").finish(), Codec::gzip);
  auto b = build_layout({layer});
  fs::remove(b->dir / "blobs/sha256" / sha(layer.blob).substr(7));
  auto src = open_oci_layout(b->dir, "", {}, test_context());
  ASSERT_TRUE(src);
  auto tree = read_tree(**src, test_context());
  ASSERT_FALSE(tree);
  expect_error(tree.error(), ErrorCode::not_found, "missing");
  EXPECT_NE(tree.error().describe().find(sha(layer.blob)), std::string::npos) << tree.error().describe();
}

TEST(Hostile, DocumentsAreVerifiedAndLimited) {
  auto layer = make_layer(TarWriter().file("f", "x").finish(), Codec::none);
  auto config = config_for({layer});
  auto b = build_layout({layer}, config);
  auto config_path = b->dir / "blobs/sha256" / sha(config.dump()).substr(7);
  auto text = read_bytes(config_path);
  text.replace(text.find("amd64"), 5, "arm64");
  write_bytes(config_path, text);
  auto src = open_oci_layout(b->dir, "", {}, test_context());
  ASSERT_FALSE(src);
  expect_error(src.error(), ErrorCode::digest_mismatch, "blob digest mismatch");

  auto small = build_layout({layer});
  auto ctx = test_context();
  ctx.limits.max_document_bytes = 64;
  auto limited = open_oci_layout(small->dir, "", {}, ctx);
  ASSERT_FALSE(limited);
  EXPECT_EQ(limited.error().code, ErrorCode::limit) << limited.error().describe();

  auto no_layout = std::make_unique<Built>();
  auto nl = open_oci_layout(no_layout->tmp.path(), "", {}, test_context());
  ASSERT_FALSE(nl);
  expect_error(nl.error(), ErrorCode::parse, "oci-layout");
}

TEST(Layers, LargeLayersStreamThroughEveryCodec) {
  // Several MiB, more than the fixed buffers, so decoders must flush across many reads.
  std::string big;
  big.reserve(6 << 20);
  std::uint32_t x = 12345;
  while (big.size() < (6U << 20)) {
    x = x * 1103515245U + 12345U;
    big += "line " + std::to_string(x % 1000) + " of some text\n";
  }
  auto tar = TarWriter().file("big.txt", big).file("after", "tail").finish();
  for (auto codec : {Codec::none, Codec::gzip, Codec::zstd}) {
    auto b = build_layout({make_layer(tar, codec)});
    auto ctx = test_context();
    auto src = open_oci_layout(b->dir, "", {}, ctx);
    ASSERT_TRUE(src);
    auto tree = read_tree(**src, ctx);
    ASSERT_TRUE(tree) << tree.error().describe();
    ASSERT_TRUE(tree->find("big.txt")->content);
    EXPECT_EQ(sha(*tree->find("big.txt")->content), sha(big));
    EXPECT_EQ(*tree->find("after")->content, "tail");
  }
  // A truncated zstd stream is named as such.
  auto z = zstd(tar);
  auto b = build_layout({TestLayer{tar, z.substr(0, z.size() / 2), layer_media_type(Codec::zstd), ""}});
  expect_error(read_error(b->dir, test_context()), ErrorCode::parse, "zstd");
  // Garbage after a complete gzip stream is not silently ignored.
  auto g = build_layout({TestLayer{tar, gzip(tar) + "garbage", layer_media_type(Codec::gzip), ""}});
  expect_error(read_error(g->dir, test_context()), ErrorCode::parse, "trailing data");
}

TEST(Hostile, CorruptedBlobsFailCleanly) {
  // Random byte flips in gzip, zstd and plain layers (digests recomputed so that the
  // decoders and the tar reader see the damage): every read ends in a result, most
  // in an error, none in a crash (run under the sanitizers in CI).
  auto tar = TarWriter().dir("d").file("d/a", std::string(3000, 'a')).symlink("d/l", "a").file("b", "bbb").finish();
  std::uint32_t seed = 7;
  auto next = [&] {
    seed = seed * 1664525U + 1013904223U;
    return seed >> 8;
  };
  int failures = 0;
  for (auto codec : {Codec::none, Codec::gzip, Codec::zstd}) {
    auto clean = compress(tar, codec);
    for (int round = 0; round < 40; ++round) {
      auto blob = clean;
      for (int flips = 0; flips < 3; ++flips) blob[next() % blob.size()] = static_cast<char>(next());
      auto b = build_layout({TestLayer{tar, blob, layer_media_type(codec), ""}});
      auto src = open_oci_layout(b->dir, "", {}, test_context());
      ASSERT_TRUE(src);
      auto tree = read_tree(**src, test_context());
      if (!tree) {
        ++failures;
        EXPECT_FALSE(tree.error().message.empty());
      } else {
        // Only damage the decoder ignores (gzip header time, a flip to the same value) may pass.
        ASSERT_NE(tree->find("b"), nullptr);
        EXPECT_EQ(*tree->find("b")->content, "bbb");
        EXPECT_EQ(*tree->find("d/a")->content, std::string(3000, 'a'));
      }
    }
  }
  EXPECT_GT(failures, 100);
}

// ---- directories ---------------------------------------------------------------

TEST(Directory, WalksWithoutFollowingLinks) {
  TempDir tmp;
  auto root = tmp.path() / "root";
  write_bytes(root / "etc/os-release", "ID=test\n");
  write_bytes(root / "usr/lib/big", std::string(100, 'b'));
  fs::create_symlink("/etc/passwd", root / "etc/passwd-link");
  fs::create_directory_symlink("/", root / "hostroot");
  ASSERT_EQ(::mkfifo((root / "fifo").c_str(), 0600), 0);
  write_bytes(root / "secret", "s");
  ::chmod((root / "secret").c_str(), 0);
  auto before = snapshot(tmp.path());

  auto ctx = test_context();
  ctx.limits.max_kept_file_bytes = 50;
  core::FileTree tree;
  auto s = read_directory(root, kWantAll, ctx, tree);
  ASSERT_TRUE(s) << s.error().describe();
  ASSERT_NE(tree.find("etc/os-release"), nullptr);
  EXPECT_EQ(*tree.find("etc/os-release")->content, "ID=test\n");
  EXPECT_EQ(tree.find("etc/os-release")->layer, -1);
  EXPECT_FALSE(tree.find("usr/lib/big")->content) << "over the kept-file limit";
  EXPECT_EQ(tree.find("usr/lib/big")->size, 100U);
  EXPECT_EQ(tree.find("etc/passwd-link")->type, core::FileType::symlink);
  EXPECT_EQ(tree.find("etc/passwd-link")->link_target, "/etc/passwd");
  EXPECT_EQ(tree.find("hostroot")->type, core::FileType::symlink);
  EXPECT_EQ(tree.find("hostroot/etc"), nullptr) << "never walks through a link";
  EXPECT_EQ(tree.find("fifo")->type, core::FileType::fifo);
  ASSERT_NE(tree.find("secret"), nullptr);
  auto link = tree.resolve("etc/passwd-link");
  EXPECT_FALSE(link) << "the host's /etc/passwd is not in this root";
  EXPECT_EQ(snapshot(tmp.path()), before);

  ctx.limits.max_file_count = 3;
  core::FileTree small;
  auto over = read_directory(root, kWantAll, ctx, small);
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code, ErrorCode::limit);

  core::FileTree none;
  auto missing = read_directory(tmp.path() / "absent", kWantAll, ctx, none);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::not_found);
}

// ---- a real `docker save` ----------------------------------------------------------

TEST(DockerSave, ReadsWhatDockerWrites) {
  if (std::system("docker info >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "no reachable Docker daemon (docker info failed)";
  TempDir tmp;
  auto rootfs = tmp.path() / "rootfs.tar";
  write_bytes(rootfs,
              TarWriter().dir("etc").file("etc/os-release", "ID=bulwarktest\n").file("bin/x", "x", 0755).finish());
  const std::string name = "bulwark-image-test:" + std::to_string(::getpid());
  auto save = tmp.path() / "saved.tar";
  std::string cmd = "docker import " + rootfs.string() + " " + name + " >/dev/null 2>&1 && docker save -o " +
                    save.string() + " " + name + " >/dev/null 2>&1";
  int rc = std::system(cmd.c_str());
  std::system(("docker rmi " + name + " >/dev/null 2>&1").c_str());
  ASSERT_EQ(rc, 0) << cmd;
  auto ctx = test_context();
  auto ref = parse_reference(save.string());
  ASSERT_TRUE(ref) << ref.error().describe();
  EXPECT_EQ(ref->transport, Transport::docker_archive);
  auto src = open_docker_archive(save, name, {}, ctx);
  ASSERT_TRUE(src) << src.error().describe();
  EXPECT_EQ((*src)->info().layers.size(), 1U);
  EXPECT_EQ((*src)->info().repo_tags, std::vector<std::string>{name});
  auto tree = read_tree(**src, ctx);
  ASSERT_TRUE(tree) << tree.error().describe();
  EXPECT_EQ(*tree->find("etc/os-release")->content, "ID=bulwarktest\n");
  EXPECT_EQ(tree->find("bin/x")->mode, 0755U);

  // Docker 25+ archives are OCI layouts too, tagged with the full containerd name
  // (older daemons, like Debian 12's 20.10, write the legacy layout only).
  auto index = detail::TarIndex::build(save, ctx.limits);
  ASSERT_TRUE(index);
  if (index->find("oci-layout")) {
    auto as_oci = open_oci_archive(save, name, {}, ctx);
    ASSERT_TRUE(as_oci) << as_oci.error().describe();
    EXPECT_EQ((*as_oci)->info().layers[0].diff_id, (*src)->info().layers[0].diff_id);
  } else {
    EXPECT_FALSE(open_oci_archive(save, name, {}, ctx));
  }

  // skopeo's OCI layouts and archives (gzip and zstd layers) read to the same tree.
  if (std::system("skopeo --version >/dev/null 2>&1") != 0) GTEST_SKIP() << "skopeo is not installed";
  for (std::string format : {"gzip", "zstd"}) {
    auto layout = tmp.path() / ("oci-" + format);
    auto archive = tmp.path() / ("oci-" + format + ".tar");
    std::string copy = "skopeo copy -q --dest-compress-format " + format + " docker-archive:" + save.string() + " ";
    ASSERT_EQ(std::system((copy + "oci:" + layout.string() + ":t1 >/dev/null 2>&1").c_str()), 0) << copy;
    ASSERT_EQ(std::system((copy + "oci-archive:" + archive.string() + ":t2 >/dev/null 2>&1").c_str()), 0) << copy;
    auto from_layout = open_oci_layout(layout, "t1", {}, ctx);
    ASSERT_TRUE(from_layout) << from_layout.error().describe();
    // The config is rewritten for OCI, the layer content is not.
    EXPECT_EQ((*from_layout)->info().layers[0].diff_id, (*src)->info().layers[0].diff_id);
    EXPECT_NE((*from_layout)->info().layers[0].media_type.find(format), std::string::npos);
    auto from_archive = open_oci_archive(archive, "t2", {}, ctx);
    ASSERT_TRUE(from_archive) << from_archive.error().describe();
    for (auto* s : {from_layout->get(), from_archive->get()}) {
      auto t = read_tree(*s, ctx);
      ASSERT_TRUE(t) << t.error().describe();
      EXPECT_EQ(*t->find("etc/os-release")->content, "ID=bulwarktest\n");
      EXPECT_EQ(t->size(), tree->size());
    }
  }
}

}  // namespace
}  // namespace bulwark::image
