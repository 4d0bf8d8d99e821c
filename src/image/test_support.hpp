// Helpers for image_test: real tar archives (libarchive's writer), real gzip
// (ISA-L deflate) and zstd compression, and hand-assembled OCI layouts and
// `docker save` archives with computed digests. Only the tests include this.
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <isa-l/igzip_lib.h>
#include <zstd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "util/files.hpp"
#include "util/sha256.hpp"

namespace bulwark::image::testing {

namespace fs = std::filesystem;
using json = nlohmann::json;

inline std::string sha(std::string_view data) {
  return "sha256:" + util::sha256_hex(data);
}

inline void write_bytes(const fs::path& p, std::string_view data) {
  fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  ASSERT_TRUE(out.good()) << p;
}

inline std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A fresh temporary folder removed at the end of the test.
class TempDir {
 public:
  TempDir() : dir_(util::make_temp_dir(fs::temp_directory_path(), "bulwark-image-test").value()) {}
  [[nodiscard]] const fs::path& path() const { return dir_.path(); }

 private:
  util::ScopedDir dir_;
};

enum class TarFormat { pax, ustar, gnu };

// Writes a tar through libarchive into a sink (a string by default).
class TarWriter {
 public:
  using Sink = std::function<void(const void*, std::size_t)>;
  explicit TarWriter(TarFormat format = TarFormat::pax, Sink sink = {}) : sink_(std::move(sink)) {
    if (!sink_) sink_ = [this](const void* p, std::size_t n) { out_.append(static_cast<const char*>(p), n); };
    a_ = archive_write_new();
    switch (format) {
      case TarFormat::pax: archive_write_set_format_pax_restricted(a_); break;
      case TarFormat::ustar: archive_write_set_format_ustar(a_); break;
      case TarFormat::gnu: archive_write_set_format_gnutar(a_); break;
    }
    archive_write_set_bytes_in_last_block(a_, 1);
    archive_write_open(a_, this, nullptr, &TarWriter::write_cb, nullptr);
  }
  ~TarWriter() {
    if (a_) archive_write_free(a_);
  }
  TarWriter(const TarWriter&) = delete;
  TarWriter& operator=(const TarWriter&) = delete;

  TarWriter& file(const std::string& path, std::string_view content, int mode = 0644, int uid = 0) {
    auto* e = entry(path, AE_IFREG, mode, static_cast<la_int64_t>(content.size()));
    archive_entry_set_uid(e, uid);
    archive_write_header(a_, e);
    if (!content.empty()) archive_write_data(a_, content.data(), content.size());
    archive_entry_free(e);
    return *this;
  }
  // A file of `size` zero bytes written in chunks (no big buffer).
  TarWriter& zeros(const std::string& path, std::uint64_t size) {
    auto* e = entry(path, AE_IFREG, 0644, static_cast<la_int64_t>(size));
    archive_write_header(a_, e);
    std::string chunk(1 << 20, '\0');
    for (std::uint64_t done = 0; done < size;) {
      auto n = std::min<std::uint64_t>(chunk.size(), size - done);
      archive_write_data(a_, chunk.data(), n);
      done += n;
    }
    archive_entry_free(e);
    return *this;
  }
  TarWriter& dir(const std::string& path, int mode = 0755) {
    auto* e = entry(path, AE_IFDIR, mode, 0);
    archive_write_header(a_, e);
    archive_entry_free(e);
    return *this;
  }
  TarWriter& symlink(const std::string& path, const std::string& target) {
    auto* e = entry(path, AE_IFLNK, 0777, 0);
    archive_entry_set_symlink(e, target.c_str());
    archive_write_header(a_, e);
    archive_entry_free(e);
    return *this;
  }
  TarWriter& hardlink(const std::string& path, const std::string& target) {
    auto* e = entry(path, AE_IFREG, 0644, 0);
    archive_entry_set_hardlink(e, target.c_str());
    archive_write_header(a_, e);
    archive_entry_free(e);
    return *this;
  }
  TarWriter& fifo(const std::string& path) {
    auto* e = entry(path, AE_IFIFO, 0644, 0);
    archive_write_header(a_, e);
    archive_entry_free(e);
    return *this;
  }
  std::string finish() {
    archive_write_close(a_);
    archive_write_free(a_);
    a_ = nullptr;
    return std::move(out_);
  }

 private:
  static la_ssize_t write_cb(struct archive*, void* self, const void* buf, size_t n) {
    static_cast<TarWriter*>(self)->sink_(buf, n);
    return static_cast<la_ssize_t>(n);
  }
  static struct archive_entry* entry(const std::string& path, unsigned type, int mode, la_int64_t size) {
    auto* e = archive_entry_new();
    archive_entry_set_pathname(e, path.c_str());
    archive_entry_set_filetype(e, type);
    archive_entry_set_perm(e, static_cast<mode_t>(mode));
    archive_entry_set_size(e, size);
    archive_entry_set_mtime(e, 1700000000, 0);
    return e;
  }
  struct archive* a_ = nullptr;
  Sink sink_;
  std::string out_;
};

// Streaming gzip (one member) with ISA-L's deflate at level 1.
class GzipWriter {
 public:
  explicit GzipWriter(std::function<void(const void*, std::size_t)> sink)
      : sink_(std::move(sink)), level_buf_(ISAL_DEF_LVL1_DEFAULT), out_(1 << 16) {
    isal_deflate_init(&z_);
    z_.gzip_flag = IGZIP_GZIP;
    z_.level = 1;
    z_.level_buf = level_buf_.data();
    z_.level_buf_size = static_cast<std::uint32_t>(level_buf_.size());
  }
  void write(const void* data, std::size_t n) { run(data, n, false); }
  void finish() { run(nullptr, 0, true); }

 private:
  void run(const void* data, std::size_t n, bool last) {
    z_.next_in = static_cast<std::uint8_t*>(const_cast<void*>(data));
    z_.avail_in = static_cast<std::uint32_t>(n);
    z_.end_of_stream = last ? 1 : 0;
    do {
      z_.next_out = out_.data();
      z_.avail_out = static_cast<std::uint32_t>(out_.size());
      ASSERT_EQ(isal_deflate(&z_), COMP_OK);
      sink_(out_.data(), out_.size() - z_.avail_out);
    } while (z_.avail_in > 0 || (last && z_.internal_state.state != ZSTATE_END));
  }
  std::function<void(const void*, std::size_t)> sink_;
  std::vector<std::uint8_t> level_buf_;
  std::vector<std::uint8_t> out_;
  isal_zstream z_{};
};

inline std::string gzip(std::string_view data) {
  std::string out;
  GzipWriter w([&](const void* p, std::size_t n) { out.append(static_cast<const char*>(p), n); });
  w.write(data.data(), data.size());
  w.finish();
  return out;
}

inline std::string zstd(std::string_view data) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  auto n = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), 3);
  EXPECT_FALSE(ZSTD_isError(n));
  out.resize(n);
  return out;
}

enum class Codec { none, gzip, zstd };

inline std::string compress(std::string_view tar, Codec c) {
  switch (c) {
    case Codec::none: return std::string(tar);
    case Codec::gzip: return gzip(tar);
    case Codec::zstd: return zstd(tar);
  }
  return {};
}

inline std::string layer_media_type(Codec c) {
  switch (c) {
    case Codec::none: return "application/vnd.oci.image.layer.v1.tar";
    case Codec::gzip: return "application/vnd.oci.image.layer.v1.tar+gzip";
    case Codec::zstd: return "application/vnd.oci.image.layer.v1.tar+zstd";
  }
  return {};
}

// One layer as the tests describe it: the uncompressed tar and the stored blob.
struct TestLayer {
  std::string tar;
  std::string blob;
  std::string media_type;
  std::string created_by;
};

inline TestLayer make_layer(std::string tar, Codec c, std::string created_by = {}) {
  auto blob = compress(tar, c);
  return TestLayer{std::move(tar), std::move(blob), layer_media_type(c), std::move(created_by)};
}

inline json config_for(const std::vector<TestLayer>& layers, const std::string& arch = "amd64") {
  json diff_ids = json::array();
  json history = json::array();
  history.push_back({{"created_by", "/bin/sh -c #(nop) LABEL x=y"}, {"empty_layer", true}});
  for (const auto& l : layers) {
    diff_ids.push_back(sha(l.tar));
    history.push_back({{"created_by", l.created_by}});
  }
  return {{"architecture", arch},
          {"os", "linux"},
          {"config", {{"Env", {"PATH=/usr/bin"}}}},
          {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}},
          {"history", history}};
}

// Files of an OCI image layout, kept in memory and written to a folder or a tar.
class OciLayout {
 public:
  OciLayout() {
    files_["oci-layout"] = R"({"imageLayoutVersion":"1.0.0"})";
    index_ = {
        {"schemaVersion", 2}, {"mediaType", "application/vnd.oci.image.index.v1+json"}, {"manifests", json::array()}};
  }
  // Stores a blob; returns its descriptor.
  json blob(const std::string& media_type, std::string data) {
    auto digest = sha(data);
    json d = {{"mediaType", media_type}, {"digest", digest}, {"size", data.size()}};
    files_["blobs/sha256/" + digest.substr(7)] = std::move(data);
    return d;
  }
  // Stores config, layers and manifest; returns the manifest descriptor (not yet in the index).
  // `annotations`, when an object, become the manifest's own annotations.
  json image(const std::vector<TestLayer>& layers, const json& config, const json& annotations = json()) {
    json m = {{"schemaVersion", 2}, {"mediaType", "application/vnd.oci.image.manifest.v1+json"}};
    if (annotations.is_object()) m["annotations"] = annotations;
    m["config"] = blob("application/vnd.oci.image.config.v1+json", config.dump());
    m["layers"] = json::array();
    for (const auto& l : layers) m["layers"].push_back(blob(l.media_type, l.blob));
    return blob("application/vnd.oci.image.manifest.v1+json", m.dump());
  }
  void add_to_index(json desc) { index_["manifests"].push_back(std::move(desc)); }
  std::map<std::string, std::string>& files() { return files_; }
  [[nodiscard]] std::map<std::string, std::string> all_files() const {
    auto f = files_;
    f["index.json"] = index_.dump();
    return f;
  }
  void write_dir(const fs::path& dir) const {
    for (const auto& [rel, data] : all_files()) write_bytes(dir / rel, data);
  }
  void write_tar(const fs::path& file) const {
    TarWriter t;
    for (const auto& [rel, data] : all_files()) t.file(rel, data);
    write_bytes(file, t.finish());
  }

 private:
  std::map<std::string, std::string> files_;
  json index_;
};

// A legacy (before Docker 25) `docker save` archive with one or more images.
class DockerSave {
 public:
  void image(const std::vector<TestLayer>& layers, const json& config, std::vector<std::string> tags) {
    auto cfg = config.dump();
    auto cfg_name = util::sha256_hex(cfg) + ".json";
    files_[cfg_name] = cfg;
    json layer_paths = json::array();
    for (const auto& l : layers) {
      auto id = util::sha256_hex(l.tar + cfg_name);
      files_[id + "/VERSION"] = "1.0";
      files_[id + "/layer.tar"] = l.tar;
      layer_paths.push_back(id + "/layer.tar");
    }
    manifest_.push_back({{"Config", cfg_name}, {"RepoTags", tags}, {"Layers", layer_paths}});
  }
  std::map<std::string, std::string>& files() { return files_; }
  void write(const fs::path& file) const {
    TarWriter t;
    for (const auto& [rel, data] : files_) t.file(rel, data);
    t.file("manifest.json", manifest_.dump());
    write_bytes(file, t.finish());
  }

 private:
  std::map<std::string, std::string> files_;
  json manifest_ = json::array();
};

}  // namespace bulwark::image::testing
