#include "image/reference.hpp"

#include <gtest/gtest.h>

#include "image/internal.hpp"
#include "image/test_support.hpp"
#include "image/transports.hpp"

namespace bulwark::image {
namespace {

using testing::TarWriter;
using testing::TempDir;
using testing::write_bytes;

const std::string kHex = std::string(64, 'a');

TEST(Reference, RegistryDefaultsToDockerHubAndLibrary) {
  auto r = parse_reference("docker://debian");
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(r->transport, Transport::registry);
  EXPECT_EQ(r->registry, "registry-1.docker.io");
  EXPECT_EQ(r->repository, "library/debian");
  EXPECT_EQ(r->tag, "latest");
  EXPECT_EQ(r->str(), "docker://registry-1.docker.io/library/debian:latest");

  auto user = parse_reference("docker://someone/tool:1.2");
  ASSERT_TRUE(user);
  EXPECT_EQ(user->registry, "registry-1.docker.io");
  EXPECT_EQ(user->repository, "someone/tool");
  EXPECT_EQ(user->tag, "1.2");

  auto hub = parse_reference("docker://docker.io/alpine:3.19");
  ASSERT_TRUE(hub);
  EXPECT_EQ(hub->registry, "registry-1.docker.io");
  EXPECT_EQ(hub->repository, "library/alpine");
}

TEST(Reference, RegistryHostsAreRecognised) {
  auto port = parse_reference("docker://127.0.0.1:5000/app:1");
  ASSERT_TRUE(port) << port.error().describe();
  EXPECT_EQ(port->registry, "127.0.0.1:5000");
  EXPECT_EQ(port->repository, "app");
  EXPECT_EQ(port->tag, "1");
  EXPECT_EQ(port->str(), "docker://127.0.0.1:5000/app:1");

  auto local = parse_reference("docker://localhost/team/app@sha256:" + kHex);
  ASSERT_TRUE(local) << local.error().describe();
  EXPECT_EQ(local->registry, "localhost");
  EXPECT_EQ(local->repository, "team/app");
  EXPECT_EQ(local->digest, "sha256:" + kHex);
  EXPECT_TRUE(local->tag.empty());

  auto ghcr = parse_reference("docker://ghcr.io/org/repo/sub:v2");
  ASSERT_TRUE(ghcr);
  EXPECT_EQ(ghcr->registry, "ghcr.io");
  EXPECT_EQ(ghcr->repository, "org/repo/sub");
  EXPECT_EQ(ghcr->tag, "v2");
}

TEST(Reference, RegistryRejectsBadNames) {
  auto upper = parse_reference("docker://Library/Debian");
  ASSERT_FALSE(upper);
  EXPECT_EQ(upper.error().code, ErrorCode::invalid_argument);
  auto bad_digest = parse_reference("docker://debian@sha256:1234");
  ASSERT_FALSE(bad_digest);
  EXPECT_EQ(bad_digest.error().code, ErrorCode::parse);
  EXPECT_FALSE(parse_reference("docker://"));
  EXPECT_FALSE(parse_reference("docker://debian:bad/tag:"));
}

TEST(Reference, ContainerdNamesAndDigests) {
  auto r = parse_reference("containerd:docker.io/library/alpine:3.19");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->transport, Transport::containerd);
  EXPECT_EQ(r->repository, "docker.io/library/alpine");
  EXPECT_EQ(r->tag, "3.19");
  EXPECT_EQ(r->str(), "containerd:docker.io/library/alpine:3.19");

  auto by_digest = parse_reference("containerd:sha256:" + kHex);  // a bare digest is no name "sha256"
  ASSERT_TRUE(by_digest);
  EXPECT_TRUE(by_digest->repository.empty());
  EXPECT_TRUE(by_digest->tag.empty());
  EXPECT_EQ(by_digest->digest, "sha256:" + kHex);
  EXPECT_EQ(by_digest->str(), "containerd:sha256:" + kHex);

  auto pinned = parse_reference("containerd:docker.io/library/alpine@sha256:" + kHex);
  ASSERT_TRUE(pinned);
  EXPECT_EQ(pinned->repository, "docker.io/library/alpine");
  EXPECT_EQ(pinned->digest, "sha256:" + kHex);

  EXPECT_FALSE(parse_reference("containerd:"));
  EXPECT_FALSE(parse_reference("containerd:sha256:1234"));
}

TEST(Reference, DaemonNames) {
  auto r = parse_reference("docker-daemon:alpine");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->transport, Transport::docker_daemon);
  EXPECT_EQ(r->repository, "alpine");
  EXPECT_EQ(r->tag, "latest");
  EXPECT_EQ(r->str(), "docker-daemon:alpine:latest");

  auto host = parse_reference("docker-daemon:localhost:5000/app:7");
  ASSERT_TRUE(host);
  EXPECT_EQ(host->repository, "localhost:5000/app");
  EXPECT_EQ(host->tag, "7");

  auto pinned = parse_reference("docker-daemon:app@sha256:" + kHex);
  ASSERT_TRUE(pinned);
  EXPECT_EQ(pinned->repository, "app");
  EXPECT_EQ(pinned->digest, "sha256:" + kHex);
  EXPECT_TRUE(pinned->tag.empty());
}

TEST(Reference, ArchiveAndLayoutSuffixes) {
  TempDir tmp;
  auto oci = parse_reference("oci:/nonexistent/layout:v1");
  ASSERT_TRUE(oci);
  EXPECT_EQ(oci->transport, Transport::oci_layout);
  EXPECT_EQ(oci->path, "/nonexistent/layout");
  EXPECT_EQ(oci->tag, "v1");
  EXPECT_EQ(oci->str(), "oci:/nonexistent/layout:v1");

  // An existing path with ':' in its name is taken whole.
  auto colon_dir = tmp.path() / "with:colon";
  std::filesystem::create_directories(colon_dir);
  auto whole = parse_reference("oci:" + colon_dir.string());
  ASSERT_TRUE(whole);
  EXPECT_EQ(whole->path, colon_dir.string());
  EXPECT_TRUE(whole->tag.empty());
  auto tagged = parse_reference("oci:" + colon_dir.string() + ":t1");
  ASSERT_TRUE(tagged);
  EXPECT_EQ(tagged->path, colon_dir.string());
  EXPECT_EQ(tagged->tag, "t1");

  auto arch = parse_reference("oci-archive:/x/y.tar");
  ASSERT_TRUE(arch);
  EXPECT_EQ(arch->transport, Transport::oci_archive);
  EXPECT_EQ(arch->path, "/x/y.tar");
  EXPECT_TRUE(arch->tag.empty());

  // docker-archive refs are "name:tag" themselves.
  auto tar = tmp.path() / "save.tar";
  write_bytes(tar, "x");
  auto da = parse_reference("docker-archive:" + tar.string() + ":busybox:1.36");
  ASSERT_TRUE(da);
  EXPECT_EQ(da->transport, Transport::docker_archive);
  EXPECT_EQ(da->path, tar.string());
  EXPECT_EQ(da->tag, "busybox:1.36");
  auto missing = parse_reference("docker-archive:/nope/save.tar:app:2");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->path, "/nope/save.tar");
  EXPECT_EQ(missing->tag, "app:2");

  auto dir = parse_reference("dir:/srv/root:fs");
  ASSERT_TRUE(dir);
  EXPECT_EQ(dir->transport, Transport::dir);
  EXPECT_EQ(dir->path, "/srv/root:fs");
  EXPECT_FALSE(parse_reference("oci:"));
  EXPECT_FALSE(parse_reference(""));
}

TEST(Reference, BarePathsAreDetected) {
  TempDir tmp;
  auto plain = tmp.path() / "rootfs";
  std::filesystem::create_directories(plain / "etc");
  auto r = parse_reference(plain.string());
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(r->transport, Transport::dir);

  auto layout = tmp.path() / "layout";
  write_bytes(layout / "oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  r = parse_reference(layout.string());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->transport, Transport::oci_layout);

  auto docker = tmp.path() / "docker.tar";
  write_bytes(docker, TarWriter().file("manifest.json", "[]").file("oci-layout", "{}").finish());
  r = parse_reference(docker.string());
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(r->transport, Transport::docker_archive);

  auto oci = tmp.path() / "oci.tar";
  write_bytes(oci, TarWriter().file("oci-layout", "{}").file("index.json", "{}").finish());
  r = parse_reference(oci.string());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->transport, Transport::oci_archive);
  EXPECT_EQ(r->str(), "oci-archive:" + oci.string());

  auto other = tmp.path() / "other.tar";
  write_bytes(other, TarWriter().file("hello.txt", "hi").finish());
  r = parse_reference(other.string());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::unsupported);

  auto gz = tmp.path() / "x.tar.gz";
  write_bytes(gz, testing::gzip(TarWriter().file("manifest.json", "[]").finish()));
  r = parse_reference(gz.string());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::unsupported);

  r = parse_reference((tmp.path() / "absent").string());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::not_found);
  EXPECT_NE(r.error().message.find("docker://"), std::string::npos);
}

TEST(Platform, HostPlatformIsLinuxWithAnArchitecture) {
  auto p = detail::parse_platform(host_platform()).value();
  EXPECT_EQ(p.os, "linux");
  EXPECT_FALSE(p.architecture.empty());
  EXPECT_TRUE(detail::platform_matches(detail::parse_platform("linux/arm64/v8").value(), {"linux", "arm64", ""}));
  EXPECT_TRUE(detail::platform_matches(detail::parse_platform("linux/arm").value(), {"linux", "arm", "v7"}));
  EXPECT_FALSE(detail::platform_matches(detail::parse_platform("linux/arm/v6").value(), {"linux", "arm", "v7"}));
  EXPECT_FALSE(detail::platform_matches(detail::parse_platform("linux/amd64").value(), {"windows", "amd64", ""}));
}

// ---- tar index --------------------------------------------------------------

TEST(TarIndex, ListsMembersWithLongNamesInEveryFormat) {
  TempDir tmp;
  const std::string long_name = "dir/" + std::string(150, 'n') + "/" + std::string(120, 'f') + ".json";
  for (auto format : {testing::TarFormat::pax, testing::TarFormat::gnu, testing::TarFormat::ustar}) {
    TarWriter t(format);
    t.dir("dir").file("dir/short.txt", "short");
    if (format != testing::TarFormat::ustar) t.file(long_name, "long content");
    t.file("./manifest.json", "[1]");
    auto path = tmp.path() / "a.tar";
    write_bytes(path, t.finish());
    core::Limits limits;
    auto idx = detail::TarIndex::build(path, limits);
    ASSERT_TRUE(idx) << idx.error().describe();
    auto s = idx->open("dir/short.txt");
    ASSERT_TRUE(s);
    auto text = util::read_all(**s, 100, "x");
    ASSERT_TRUE(text);
    EXPECT_EQ(*text, "short");
    auto m = idx->open("manifest.json");
    ASSERT_TRUE(m);
    EXPECT_EQ(*util::read_all(**m, 100, "x"), "[1]");
    if (format != testing::TarFormat::ustar) {
      auto l = idx->open(long_name);
      ASSERT_TRUE(l) << l.error().describe();
      EXPECT_EQ(*util::read_all(**l, 100, "x"), "long content");
    }
    EXPECT_FALSE(idx->open("absent"));
  }
}

TEST(TarIndex, FollowsLinksBetweenMembersButNotOut) {
  TempDir tmp;
  auto path = tmp.path() / "links.tar";
  write_bytes(path, TarWriter()
                        .file("a/layer.tar", "layer bytes")
                        .symlink("b/layer.tar", "../a/layer.tar")
                        .hardlink("c/layer.tar", "a/layer.tar")
                        .symlink("d/out", "../../../etc/passwd")
                        .symlink("e/abs", "/etc/passwd")
                        .finish());
  core::Limits limits;
  auto idx = detail::TarIndex::build(path, limits);
  ASSERT_TRUE(idx) << idx.error().describe();
  for (auto name : {"b/layer.tar", "c/layer.tar"}) {
    auto s = idx->open(name);
    ASSERT_TRUE(s) << name;
    EXPECT_EQ(*util::read_all(**s, 100, name), "layer bytes");
  }
  EXPECT_FALSE(idx->open("d/out"));
  EXPECT_FALSE(idx->open("e/abs"));
}

TEST(TarIndex, RejectsHostileAndTruncatedArchives) {
  TempDir tmp;
  core::Limits limits;
  auto up = tmp.path() / "up.tar";
  write_bytes(up, TarWriter().file("ok", "1").file("a/../../escape", "x").finish());
  auto r = detail::TarIndex::build(up, limits);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::hostile);
  EXPECT_NE(r.error().message.find("a/../../escape"), std::string::npos);
  EXPECT_EQ(r.error().context, up.string());

  auto abs = tmp.path() / "abs.tar";
  write_bytes(abs, TarWriter().file("/etc/passwd", "x").finish());
  r = detail::TarIndex::build(abs, limits);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::hostile);
  EXPECT_NE(r.error().message.find("absolute"), std::string::npos);

  auto whole = TarWriter().file("big", std::string(5000, 'b')).finish();
  auto cut = tmp.path() / "cut.tar";
  write_bytes(cut, whole.substr(0, 2048));
  r = detail::TarIndex::build(cut, limits);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::parse);
  EXPECT_NE(r.error().message.find("beyond the end"), std::string::npos);

  auto junk = tmp.path() / "junk.tar";
  write_bytes(junk, std::string(1024, 'j'));
  r = detail::TarIndex::build(junk, limits);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::parse);
}

}  // namespace
}  // namespace bulwark::image
