// Catalog tests: hand-written os-release texts, EOL boundaries, and the shared package-database
// fixtures (expected values from the fixtures' expected lists or read by hand from their text).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "catalog/catalog.hpp"
#include "catalog/internal.hpp"
#include "util/strings.hpp"

namespace bulwark::catalog {
namespace {

const std::string kPkgdb = std::string(BULWARK_SHARED_DIR) + "/data/pkgdb/";

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << path;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string run(const std::string& cmd) {
  std::string out;
  FILE* f = popen(cmd.c_str(), "r");
  if (!f) return out;
  std::array<char, 65536> buf{};
  std::size_t n = 0;
  while ((n = fread(buf.data(), 1, buf.size(), f)) > 0) out.append(buf.data(), n);
  pclose(f);
  return out;
}

void put_file(core::FileTree& tree, std::string path, std::string content, int layer = 0) {
  core::FileEntry e;
  e.path = std::move(path);
  e.size = content.size();
  e.layer = layer;
  e.content = std::move(content);
  tree.put(std::move(e));
}

void put_link(core::FileTree& tree, std::string path, std::string target) {
  core::FileEntry e;
  e.path = std::move(path);
  e.type = core::FileType::symlink;
  e.link_target = std::move(target);
  tree.put(std::move(e));
}

// --- OS detection ------------------------------------------------------------------------------

TEST(DetectOs, Debian12ThroughUsrLibSymlink) {
  core::FileTree tree;
  put_file(tree, "usr/lib/os-release",
           "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\n"
           "VERSION=\"12 (bookworm)\"\nVERSION_CODENAME=bookworm\nID=debian\n");
  put_link(tree, "etc/os-release", "../usr/lib/os-release");
  auto os = detect_os(tree);
  EXPECT_EQ(os.id, "debian");
  EXPECT_EQ(os.version_id, "12");
  EXPECT_EQ(os.codename, "bookworm");
  EXPECT_EQ(os.pretty_name, "Debian GNU/Linux 12 (bookworm)");
}

TEST(DetectOs, DebianSidWithoutVersionId) {
  core::FileTree tree;
  put_file(
      tree, "etc/os-release",
      "PRETTY_NAME=\"Debian GNU/Linux trixie/sid\"\nNAME=\"Debian GNU/Linux\"\nVERSION_CODENAME=trixie\nID=debian\n");
  put_file(tree, "etc/debian_version", "trixie/sid\n");
  auto os = detect_os(tree);
  EXPECT_EQ(os.id, "debian");
  EXPECT_EQ(os.version_id, "");
  EXPECT_EQ(os.codename, "trixie");
  EXPECT_FALSE(eol_finding(os, "2099-01-01").has_value());
}

TEST(DetectOs, Ubuntu2204) {
  auto os = parse_os_release(
      "PRETTY_NAME=\"Ubuntu 22.04.4 LTS\"\nNAME=\"Ubuntu\"\nVERSION_ID=\"22.04\"\nVERSION=\"22.04.4 LTS (Jammy "
      "Jellyfish)\"\nVERSION_CODENAME=jammy\nID=ubuntu\nID_LIKE=debian\n");
  EXPECT_EQ(os.id, "ubuntu");
  EXPECT_EQ(os.version_id, "22.04");
  EXPECT_EQ(os.codename, "jammy");
}

TEST(DetectOs, Alpine319AndReleaseFileFallback) {
  auto os = parse_os_release(
      "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME=\"Alpine Linux v3.19\"\n"
      "HOME_URL=\"https://alpinelinux.org/\"\n");
  EXPECT_EQ(os.id, "alpine");
  EXPECT_EQ(os.version_id, "3.19.1");
  core::FileTree tree;
  put_file(tree, "etc/alpine-release", "3.19.1\n");
  auto fb = detect_os(tree);
  EXPECT_EQ(fb.id, "alpine");
  EXPECT_EQ(fb.version_id, "3.19.1");
}

TEST(DetectOs, Ubi9AndRedhatReleaseFallback) {
  auto os = parse_os_release(
      "NAME=\"Red Hat Enterprise Linux\"\nVERSION=\"9.3 (Plow)\"\nID=\"rhel\"\nID_LIKE=\"fedora\"\n"
      "VERSION_ID=\"9.3\"\nPRETTY_NAME=\"Red Hat Enterprise Linux 9.3 (Plow)\"\n");
  EXPECT_EQ(os.id, "rhel");
  EXPECT_EQ(os.version_id, "9.3");
  EXPECT_EQ(os.codename, "plow");
  core::FileTree tree;
  put_file(tree, "etc/redhat-release", "Red Hat Enterprise Linux release 8.9 (Ootpa)\n");
  auto fb = detect_os(tree);
  EXPECT_EQ(fb.id, "rhel");
  EXPECT_EQ(fb.version_id, "8");
  core::FileTree centos;
  put_file(centos, "etc/centos-release", "CentOS Linux release 7.9.2009 (Core)\n");
  EXPECT_EQ(detect_os(centos).id, "centos");
  EXPECT_EQ(detect_os(centos).version_id, "7");
}

TEST(DetectOs, AmazonLinux2023) {
  auto os = parse_os_release(
      "NAME=\"Amazon Linux\"\nVERSION=\"2023\"\nID=\"amzn\"\nID_LIKE=\"fedora\"\nVERSION_ID=\"2023\"\n"
      "PLATFORM_ID=\"platform:al2023\"\nPRETTY_NAME=\"Amazon Linux 2023.3.20240131\"\n");
  EXPECT_EQ(os.id, "amzn");
  EXPECT_EQ(os.version_id, "2023");
}

TEST(DetectOs, WolfiAndDistroless) {
  auto wolfi = parse_os_release(
      "ID=wolfi\nNAME=\"Wolfi\"\nPRETTY_NAME=\"Wolfi\"\nVERSION_ID=\"20230201\"\nHOME_URL=\"https://wolfi.dev\"\n");
  EXPECT_EQ(wolfi.id, "wolfi");
  EXPECT_FALSE(eol_finding(wolfi, "2099-01-01").has_value());  // rolling
  // gcr.io/distroless/static-debian12 ships Debian's os-release with a distroless PRETTY_NAME.
  auto distroless = parse_os_release(
      "PRETTY_NAME=\"Distroless\"\nNAME=\"Debian GNU/Linux\"\nID=\"debian\"\nVERSION_ID=\"12\"\nVERSION=\"Debian "
      "GNU/Linux "
      "12 (bookworm)\"\nHOME_URL=\"https://github.com/GoogleContainerTools/distroless\"\n");
  EXPECT_EQ(distroless.id, "debian");
  EXPECT_EQ(distroless.version_id, "12");
  EXPECT_EQ(distroless.codename, "bookworm");
}

TEST(DetectOs, WantsOnlyReleaseFiles) {
  EXPECT_TRUE(os_release_wanted("etc/os-release"));
  EXPECT_TRUE(os_release_wanted("usr/lib/os-release"));
  EXPECT_TRUE(os_release_wanted("etc/debian_version"));
  EXPECT_FALSE(os_release_wanted("etc/os-release.bak"));
  EXPECT_FALSE(os_release_wanted("etc/passwd"));
}

// --- End of life -------------------------------------------------------------------------------

TEST(Eol, BoundaryDebian10) {
  core::OsInfo os{"debian", "10", "Debian GNU/Linux 10 (buster)", "buster"};
  EXPECT_FALSE(eol_finding(os, "2024-06-30").has_value());
  auto f = eol_finding(os, "2024-07-01");
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->id, "BULWARK-EOL-debian-10");
  EXPECT_EQ(f->severity, core::Severity::high);
  EXPECT_EQ(f->practice, core::Practice::up_to_date);
  EXPECT_NE(f->evidence.find("2024-06-30"), std::string::npos);
  EXPECT_NE(f->remediation.find("Debian 12"), std::string::npos);
}

TEST(Eol, UbuntuAlpineRhelAmazon) {
  EXPECT_FALSE(eol_finding({"ubuntu", "18.04", "", ""}, "2023-05-31"));
  EXPECT_TRUE(eol_finding({"ubuntu", "18.04", "", ""}, "2023-06-01"));
  EXPECT_FALSE(eol_finding({"alpine", "3.19.1", "", ""}, "2025-11-01"));
  auto a = eol_finding({"alpine", "3.19.1", "", ""}, "2025-11-02");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->id, "BULWARK-EOL-alpine-3.19");
  EXPECT_FALSE(eol_finding({"rhel", "7.9", "", ""}, "2024-06-30"));
  EXPECT_TRUE(eol_finding({"rhel", "7.9", "", ""}, "2024-07-01"));
  EXPECT_FALSE(eol_finding({"rhel", "9.3", "", ""}, "2030-01-01"));
  EXPECT_FALSE(eol_finding({"amzn", "2", "", ""}, "2026-06-30"));
  EXPECT_TRUE(eol_finding({"amzn", "2", "", ""}, "2026-07-01"));
  EXPECT_FALSE(eol_finding({"amzn", "2023", "", ""}, "2026-07-01"));
  EXPECT_TRUE(eol_finding({"centos", "8", "", ""}, "2022-01-01"));
  EXPECT_FALSE(eol_finding({"unknownos", "1", "", ""}, "2099-01-01"));
  EXPECT_TRUE(eol_finding({"alpine", "3.9.6", "", ""}, "2020-11-02"));
  EXPECT_FALSE(eol_finding({"alpine", "3.9.6", "", ""}, "2020-11-01"));
  EXPECT_FALSE(eol_finding({"centos", "9", "", ""}, "2027-05-31"));
  EXPECT_TRUE(eol_finding({"centos", "9", "", ""}, "2027-06-01"));
  EXPECT_FALSE(eol_finding({"debian", "13", "", "trixie"}, "2030-06-30"));
  EXPECT_TRUE(eol_finding({"debian", "13", "", "trixie"}, "2030-07-01"));
  EXPECT_TRUE(eol_finding({"ubuntu", "23.10", "", ""}, "2024-07-12"));
  EXPECT_FALSE(eol_finding({"ubuntu", "24.04", "", ""}, "2029-05-31"));
}

// --- dpkg --------------------------------------------------------------------------------------

TEST(Dpkg, ScalibrValid) {
  core::Diagnostics d;
  auto pkgs =
      parse_dpkg_status(slurp(kPkgdb + "debian/scalibr_status_valid"), "status", MissingStatus::not_installed, d);
  // name, version, source name, source version, arch: written by hand from the fixture text.
  std::vector<std::array<std::string, 5>> want = {
      {"accountsservice", "22.08.8-6", "accountsservice", "22.08.8-6", "amd64"},
      {"acl", "2.3.1-3", "acl", "2.3.1-3", "amd64"},
      {"adduser", "3.131", "adduser", "3.131", "all"},
      {"admin-session", "2023.06.26.c543406313-00", "admin-session", "2023.06.26.c543406313-00", "amd64"},
      {"attr", "1:2.5.1-4", "attr", "1:2.5.1-4", "amd64"},
      {"libacl1", "2.3.1-3", "acl", "2.3.1-3", "amd64"},
      {"util-linux-extra", "2.38.1-5+b1", "util-linux", "2.38.1-5", "amd64"},
  };
  ASSERT_EQ(pkgs.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(pkgs[i].name, want[i][0]);
    EXPECT_EQ(pkgs[i].version, want[i][1]);
    EXPECT_EQ(pkgs[i].source_name, want[i][2]);
    EXPECT_EQ(pkgs[i].source_version, want[i][3]);
    EXPECT_EQ(pkgs[i].architecture, want[i][4]);
  }
  EXPECT_EQ(pkgs[4].epoch, 1);
  EXPECT_FALSE(pkgs[0].epoch.has_value());
}

TEST(Dpkg, SyftFixtures) {
  core::Diagnostics d;
  auto img = parse_dpkg_status(slurp(kPkgdb + "debian/syft_image-dpkg_status"), "s", MissingStatus::not_installed, d);
  ASSERT_EQ(img.size(), 1u);
  EXPECT_EQ(img[0].name, "libpam-runtime");
  EXPECT_EQ(img[0].source_name, "pam");
  auto deinstall =
      parse_dpkg_status(slurp(kPkgdb + "debian/syft_status.d/deinstall"), "s", MissingStatus::installed, d);
  ASSERT_EQ(deinstall.size(), 1u);
  EXPECT_EQ(deinstall[0].name, "linux-image-6.14.0-1012-aws");
  EXPECT_EQ(deinstall[0].version, "6.14.0-1012.12~24.04.1");
  // "Package:" (empty) and "no-version" are not real packages; tzdata and util-linux are.
  auto multiple = parse_dpkg_status(slurp(kPkgdb + "debian/syft_status.d/multiple"), "m", MissingStatus::installed, d);
  ASSERT_EQ(multiple.size(), 2u);
  EXPECT_EQ(multiple[0].name, "tzdata");
  EXPECT_EQ(multiple[0].source_name, "tzdata-dev");
  EXPECT_EQ(multiple[1].name, "util-linux");
  EXPECT_EQ(multiple[1].version, "2.33.1-0.1");
  auto coreutils = parse_dpkg_status(slurp(kPkgdb + "debian/syft_status.d/coreutils-relationships"), "c",
                                     MissingStatus::installed, d);
  ASSERT_EQ(coreutils.size(), 9u);
  EXPECT_EQ(coreutils[7].name, "libselinux1");
  EXPECT_EQ(coreutils[7].source_name, "libselinux");
  EXPECT_EQ(coreutils[7].source_version, "3.4-1");
  EXPECT_EQ(coreutils[6].epoch, 2);
}

TEST(Dpkg, DistrolessStatusDirInTree) {
  core::FileTree tree;
  put_file(tree, "var/lib/dpkg/status.d/libsqlite3-0", slurp(kPkgdb + "debian/syft_distroless_status.d/libsqlite3-0"),
           2);
  put_file(tree, "var/lib/dpkg/status.d/libsqlite3-0.md5sums",
           slurp(kPkgdb + "debian/syft_distroless_status.d/libsqlite3-0.md5sums"));
  put_file(tree, "var/lib/dpkg/status.d/foo", slurp(kPkgdb + "debian/scalibr_distroless_status.d/foo"));
  put_file(tree, "usr/share/doc/libsqlite3-0/copyright",
           "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\n"
           "Copyright: none\nLicense: public-domain\n\nFiles: debian/*\nLicense: GPL-2+\n License text.\n");
  core::OsInfo os{"debian", "11", "Distroless", "bullseye"};
  core::Diagnostics d;
  auto pkgs = catalog_all(tree, os, d);
  ASSERT_TRUE(pkgs);
  ASSERT_EQ(pkgs->size(), 2u);  // foo (no Status: installed) and libsqlite3-0; bar is deinstalled
  EXPECT_EQ((*pkgs)[0].name, "foo");
  EXPECT_EQ((*pkgs)[0].purl, "pkg:deb/debian/foo@1.2.3?arch=amd64&distro=debian-11");
  EXPECT_EQ((*pkgs)[1].name, "libsqlite3-0");
  EXPECT_EQ((*pkgs)[1].purl, "pkg:deb/debian/libsqlite3-0@3.34.1-3?arch=arm64&distro=debian-11");
  EXPECT_EQ((*pkgs)[1].license, "public-domain AND GPL-2+");
  EXPECT_EQ((*pkgs)[1].path, "var/lib/dpkg/status.d/libsqlite3-0");
  auto catalogers = os_catalogers();
  EXPECT_TRUE(catalogers[0]->wants("var/lib/dpkg/status"));
  EXPECT_TRUE(catalogers[0]->wants("var/lib/dpkg/status.d/foo"));
  EXPECT_FALSE(catalogers[0]->wants("var/lib/dpkg/status.d/foo.md5sums"));
  EXPECT_FALSE(catalogers[0]->wants("var/lib/dpkg/status-old"));
  EXPECT_TRUE(catalogers[0]->wants("usr/share/doc/bash/copyright"));
  EXPECT_FALSE(catalogers[0]->wants("usr/share/doc/bash/examples/copyright"));
}

TEST(Dpkg, StatusWordsContinuationsAndCrlf) {
  const std::string text =
      "Package: held\r\nStatus: hold ok installed\r\nVersion: 1.0-1\r\nDescription: x\r\n more\r\n .\r\n\r\n"
      "Package: half\nStatus: install ok half-installed\nVersion: 2\n\n"
      "Package: unpacked\nStatus: install ok unpacked\nVersion: 3\n\n"
      "Package: nostatus\nVersion: 4\n\n"
      "Package: odd\nStatus: install ok installed extra\nVersion: 5\n\n"
      "Package: last\nStatus: install reinstreq installed\nSource: src\nVersion: 7:6-1\nArchitecture: s390x";
  core::Diagnostics d;
  auto pkgs = parse_dpkg_status(text, "status", MissingStatus::not_installed, d);
  ASSERT_EQ(pkgs.size(), 2u);
  EXPECT_EQ(pkgs[0].name, "held");
  EXPECT_EQ(pkgs[0].version, "1.0-1");
  EXPECT_EQ(pkgs[1].name, "last");
  EXPECT_EQ(pkgs[1].epoch, 7);
  EXPECT_EQ(pkgs[1].source_name, "src");
  EXPECT_EQ(pkgs[1].source_version, "7:6-1");
  EXPECT_EQ(pkgs[1].architecture, "s390x");
  auto lenient = parse_dpkg_status(text, "status.d/x", MissingStatus::installed, d);
  EXPECT_EQ(lenient.size(), 3u);  // nostatus counts in status.d files
  EXPECT_EQ(parse_dep5_licenses("Files: *\nLicense: MIT\n text\n\nFiles: a\nLicense: MIT\n\nLicense: Apache-2.0\n"),
            "MIT AND Apache-2.0");
}

// Differential: the host's own dpkg database against dpkg-query.
TEST(Dpkg, HostMatchesDpkgQuery) {
  auto status = slurp("/var/lib/dpkg/status");
  auto out =
      run("dpkg-query -W -f='${db:Status-Status}\\t${Package}\\t${Version}\\t${source:Package}\\t${source:Version}\\t${"
          "Architecture}\\n' 2>/dev/null");
  if (out.empty()) GTEST_SKIP() << "dpkg-query is not available on this machine";
  std::multiset<std::string> want;
  for (auto line : util::split(out, '\n')) {
    if (line.starts_with("installed\t")) want.insert(std::string(line.substr(10)));
  }
  core::Diagnostics d;
  std::multiset<std::string> got;
  for (auto& p : parse_dpkg_status(status, "status", MissingStatus::not_installed, d)) {
    got.insert(fmt::format("{}\t{}\t{}\t{}\t{}", p.name, p.version, p.source_name, p.source_version, p.architecture));
  }
  EXPECT_GT(want.size(), 10u);
  EXPECT_EQ(got, want);
}

// --- apk ---------------------------------------------------------------------------------------

TEST(Apk, SyftMultiple) {
  core::FileTree tree;
  put_file(tree, "lib/apk/db/installed", slurp(kPkgdb + "alpine/syft_multiple-2_installed"));
  auto catalogers = os_catalogers();
  EXPECT_TRUE(catalogers[1]->wants("lib/apk/db/installed"));
  EXPECT_FALSE(catalogers[1]->wants("lib/apk/db/installed.old"));
  EXPECT_FALSE(catalogers[1]->wants("etc/apk/world"));
  core::Diagnostics d;
  auto pkgs = catalog_all(tree, {"alpine", "3.16.2", "", ""}, d);
  ASSERT_TRUE(pkgs);
  ASSERT_EQ(pkgs->size(), 14u);
  EXPECT_EQ((*pkgs)[0].name, "alpine-baselayout");
  const core::Package* libcrypto = nullptr;
  for (auto& p : *pkgs) {
    if (p.name == "libcrypto1.1") libcrypto = &p;
  }
  ASSERT_NE(libcrypto, nullptr);
  EXPECT_EQ(libcrypto->version, "1.1.1q-r0");
  EXPECT_EQ(libcrypto->source_name, "openssl");
  EXPECT_EQ(libcrypto->license, "OpenSSL");
  EXPECT_EQ(libcrypto->purl, "pkg:apk/alpine/libcrypto1.1@1.1.1q-r0?arch=x86_64&distro=alpine-3.16.2");
}

TEST(Apk, ApkToolsAndScalibr) {
  core::Diagnostics d;
  auto tools = parse_apk_installed(slurp(kPkgdb + "alpine/apk-tools_query-installed"), "i", d);
  ASSERT_EQ(tools.size(), 39u);
  EXPECT_EQ(tools[0].name, "alpine-base");
  EXPECT_EQ(tools[0].version, "3.21.3-r0");
  EXPECT_EQ(tools[1].license, "GPL-2.0-only");
  auto scalibr = parse_apk_installed(slurp(kPkgdb + "alpine/scalibr_installed"), "i", d);
  ASSERT_EQ(scalibr.size(), 15u);
  EXPECT_EQ(scalibr[0].name, "alpine-baselayout");
  EXPECT_EQ(scalibr[0].version, "3.4.3-r1");
  core::Package p = scalibr[0];
  fill_purl(p, {"wolfi", "20230201", "", ""});
  EXPECT_EQ(p.purl, "pkg:apk/wolfi/alpine-baselayout@3.4.3-r1?arch=x86_64&distro=wolfi-20230201");
}

// --- rpm ---------------------------------------------------------------------------------------

std::string rpm_line(const core::Package& p) {
  return fmt::format("{}\t{}\t{}\t{}\t{}", p.name, p.version, p.architecture, p.source_name, p.license);
}

TEST(Rpm, Sle15Ndb) {
  auto blobs = read_rpm_ndb(slurp(kPkgdb + "rpm/go-rpmdb_sle15-bci_Packages.db"));
  ASSERT_TRUE(blobs) << blobs.error().describe();
  core::Diagnostics d;
  auto pkgs = rpm_packages(*blobs, "Packages.db", d);
  std::multiset<std::string> got, want;
  for (auto& p : pkgs) got.insert(rpm_line(p));
  std::map<std::string, std::uint32_t> sizes;
  for (auto& b : *blobs) {
    if (auto h = parse_rpm_header(b)) sizes[h->name] = h->size.value_or(0);
  }
  const std::string text1 = slurp(kPkgdb + "rpm/go-rpmdb_sle15-bci_expected.tsv");
  for (auto line : util::split(text1, '\n')) {
    if (line.empty() || line.starts_with("#")) continue;
    auto f = util::split(line, '\t');
    ASSERT_GE(f.size(), 8u);
    std::string epoch = f[0].empty() ? "" : std::string(f[0]) + ":";
    auto src = std::string(f[5]);
    src = src.substr(0, src.rfind('-', src.rfind('-') - 1));
    want.insert(fmt::format("{}\t{}{}-{}\t{}\t{}\t{}", f[1], epoch, f[2], f[3], f[4], src, f[7]));
    EXPECT_EQ(std::to_string(sizes[std::string(f[1])]), f[6]) << f[1];
  }
  EXPECT_EQ(want.size(), 35u);
  EXPECT_EQ(got, want);
}

TEST(Rpm, AmazonLinux2023Sqlite) {
  auto db = run("zstd -dc " + kPkgdb + "rpm/go-rpmdb_amazonlinux2023_rpmdb.sqlite.zst 2>/dev/null");
  if (db.empty()) GTEST_SKIP() << "zstd is not installed";
  ASSERT_EQ(db.size(), 3112960u);
  auto blobs = read_rpm_sqlite(db);
  ASSERT_TRUE(blobs) << blobs.error().describe();
  core::Diagnostics d;
  std::multiset<std::string> got, want;
  for (auto& p : rpm_packages(*blobs, "rpmdb.sqlite", d)) got.insert(rpm_line(p) + "\t" + p.source_version);
  // epoch¶name¶version¶release¶arch¶sourcerpm¶size¶license¶vendor¶summary¶sigmd5 (rpm -qa)
  const std::string text2 = slurp(kPkgdb + "rpm/go-rpmdb_amazonlinux2023_packages.csv");
  for (auto line : util::split(text2, '\n')) {
    if (line.empty()) continue;
    std::vector<std::string> f;
    std::size_t pos = 0;
    for (;;) {
      auto next = line.find("\xC2\xB6", pos);
      f.emplace_back(line.substr(pos, next == std::string_view::npos ? std::string_view::npos : next - pos));
      if (next == std::string_view::npos) break;
      pos = next + 2;
    }
    ASSERT_GE(f.size(), 8u);
    if (f[1] == "gpg-pubkey") continue;
    std::string epoch = f[0].empty() || f[0] == "(none)" ? "" : f[0] + ":";
    auto stem = f[5].substr(0, f[5].size() - 8);  // drop ".src.rpm"
    auto r = stem.rfind('-');
    auto v = stem.rfind('-', r - 1);
    want.insert(fmt::format("{}\t{}{}-{}\t{}\t{}\t{}\t{}{}", f[1], epoch, f[2], f[3], f[4], stem.substr(0, v), f[7],
                            epoch, stem.substr(v + 1)));
  }
  EXPECT_GE(want.size(), 100u);
  EXPECT_EQ(got, want);
}

TEST(Rpm, BerkeleyDbSinglePackages) {
  const std::string text3 = slurp(kPkgdb + "rpm/single-package_expected.tsv");
  for (auto line : util::split(text3, '\n')) {
    if (line.empty() || line.starts_with("#")) continue;
    auto f = util::split(line, '\t');
    ASSERT_GE(f.size(), 8u);
    auto blobs = read_rpm_bdb(slurp(kPkgdb + "rpm/" + std::string(f[0])));
    ASSERT_TRUE(blobs) << f[0] << ": " << blobs.error().describe();
    core::Diagnostics d;
    auto pkgs = rpm_packages(*blobs, f[0], d);
    for (auto& item : d.items()) ADD_FAILURE() << item.describe();
    const core::Package* hit = nullptr;
    for (auto& p : pkgs) {
      if (p.name == f[2]) hit = &p;
    }
    ASSERT_NE(hit, nullptr) << f[2];
    std::string epoch = f[1].empty() ? "" : std::string(f[1]) + ":";
    EXPECT_EQ(hit->version, fmt::format("{}{}-{}", epoch, f[3], f[4]));
    EXPECT_EQ(hit->architecture, f[5]);
    EXPECT_EQ(hit->license, f[7]);
    auto srpm = std::string(f[6]);
    EXPECT_EQ(hit->source_name, srpm.substr(0, srpm.rfind('-', srpm.rfind('-') - 1)));
  }
}

TEST(Rpm, CatalogAllFollowsVarLibRpmLinkToSysimage) {
  auto db = run("zstd -dc " + kPkgdb + "rpm/go-rpmdb_amazonlinux2023_rpmdb.sqlite.zst 2>/dev/null");
  if (db.empty()) GTEST_SKIP() << "zstd is not installed";
  core::FileTree tree;
  put_file(tree, "usr/lib/sysimage/rpm/rpmdb.sqlite", db, 3);
  put_link(tree, "var/lib/rpm", "../../usr/lib/sysimage/rpm");
  core::Diagnostics d;
  const std::vector<std::string> diff_ids = {"sha256:l0", "sha256:l1", "sha256:l2", "sha256:l3"};
  auto pkgs = catalog_all(tree, {"amzn", "2023", "Amazon Linux 2023", ""}, d, diff_ids);
  ASSERT_TRUE(pkgs);
  EXPECT_TRUE(d.empty());
  const core::Package* gmp = nullptr;
  for (auto& p : *pkgs) {
    if (p.name == "gmp") gmp = &p;
    EXPECT_NE(p.name, "gpg-pubkey");
  }
  ASSERT_NE(gmp, nullptr);
  // From the expected list: epoch 1, gmp 6.2.1-2.amzn2023.0.2 x86_64.
  EXPECT_EQ(gmp->version, "1:6.2.1-2.amzn2023.0.2");
  EXPECT_EQ(gmp->purl, "pkg:rpm/amazon/gmp@6.2.1-2.amzn2023.0.2?arch=x86_64&distro=amzn-2023&epoch=1");
  EXPECT_EQ(gmp->path, "usr/lib/sysimage/rpm/rpmdb.sqlite");
  EXPECT_EQ(gmp->layer, "sha256:l3");
  EXPECT_TRUE(std::is_sorted(pkgs->begin(), pkgs->end(),
                             [](const core::Package& a, const core::Package& b) { return a.name < b.name; }));
  auto catalogers = os_catalogers();
  auto* rpm = catalogers[2].get();
  EXPECT_TRUE(rpm->wants("var/lib/rpm/Packages"));
  EXPECT_TRUE(rpm->wants("usr/lib/sysimage/rpm/Packages.db"));
  EXPECT_FALSE(rpm->wants("var/lib/rpm/Basenames"));
}

// Rewrites a little-endian Berkeley DB hash file as the big-endian file a big-endian host
// writes: metadata, page headers, item indexes and off-page items swap; the rpm header blobs
// (always big-endian) do not. Only the fields the hash format defines are touched.
std::string bdb_to_big_endian(std::string f) {
  auto swap32 = [&](std::size_t off) { std::reverse(f.begin() + off, f.begin() + off + 4); };
  auto swap16 = [&](std::size_t off) { std::swap(f[off], f[off + 1]); };
  auto le16 = [&](std::size_t off) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(f[off]) |
                                      (static_cast<unsigned char>(f[off + 1]) << 8));
  };
  auto le32v = [&](std::size_t off) { return le16(off) | (le16(off + 2) << 16); };
  std::uint32_t page_size = le32v(20);
  for (std::size_t off : {8, 12, 16, 20, 28, 32, 36, 40, 44, 48}) swap32(off);
  for (std::size_t base = page_size; base + page_size <= f.size(); base += page_size) {
    auto type = static_cast<unsigned char>(f[base + 25]);
    std::uint32_t entries = le16(base + 20);
    if (type == 13 || type == 2) {
      for (std::uint32_t i = 0; i < entries; ++i) {
        std::size_t idx = base + 26 + i * 2;
        std::uint32_t item = le16(idx);
        if (static_cast<unsigned char>(f[base + item]) == 3) {
          swap32(base + item + 4);
          swap32(base + item + 8);
        }
        swap16(idx);
      }
    }
    for (std::size_t off : {8, 12, 16}) swap32(base + off);
    for (std::size_t off : {20, 22}) swap16(base + off);
  }
  return f;
}

TEST(Rpm, BerkeleyDbBigEndianMetadata) {
  auto le = slurp(kPkgdb + "rpm/go-rpmdb_libuuid_Packages");
  auto le_blobs = read_rpm_bdb(le);
  auto be_blobs = read_rpm_bdb(bdb_to_big_endian(le));
  ASSERT_TRUE(le_blobs);
  ASSERT_TRUE(be_blobs) << be_blobs.error().describe();
  ASSERT_EQ(le_blobs->size(), 1u);  // page 1 holds only the instance counter, page 2 libuuid
  EXPECT_EQ(*be_blobs, *le_blobs);
}

TEST(Rpm, PurlWithEpoch) {
  core::Package p;
  p.name = "hello";
  p.version = "1:0.0.1-rls";
  p.epoch = 1;
  p.architecture = "x86_64";
  p.ecosystem = core::Ecosystem::rpm;
  fill_purl(p, {"rhel", "8.9", "", ""});
  EXPECT_EQ(p.purl, "pkg:rpm/redhat/hello@0.0.1-rls?arch=x86_64&distro=rhel-8.9&epoch=1");
  p.epoch.reset();
  p.version = "0.0.1-rls";
  fill_purl(p, {"sles", "15.3", "", ""});
  EXPECT_EQ(p.purl, "pkg:rpm/suse/hello@0.0.1-rls?arch=x86_64&distro=sles-15.3");
  fill_purl(p, {"opensuse-leap", "15.5", "", ""});
  EXPECT_EQ(p.purl, "pkg:rpm/opensuse/hello@0.0.1-rls?arch=x86_64&distro=opensuse-leap-15.5");
}

TEST(Rpm, HeaderRejectsLies) {
  // il = 1, dl = 1000 but no data: must be an error, not a read past the end.
  std::string blob("\x00\x00\x00\x01\x00\x00\x03\xe8", 8);
  blob += std::string(16, '\0');
  EXPECT_FALSE(parse_rpm_header(blob));
  EXPECT_FALSE(parse_rpm_header(""));
  EXPECT_FALSE(read_rpm_bdb(std::string(4096, '\0')));
  EXPECT_FALSE(read_rpm_ndb("RpmP"));
  EXPECT_FALSE(read_rpm_sqlite("not sqlite"));
}

// --- robustness --------------------------------------------------------------------------------

TEST(Fuzz, TruncatedAndBitFlippedFixturesDoNotCrash) {
  std::vector<std::pair<std::string, std::string>> inputs = {
      {"dpkg", slurp(kPkgdb + "debian/scalibr_status_valid")},
      {"apk", slurp(kPkgdb + "alpine/syft_multiple-2_installed")},
      {"ndb", slurp(kPkgdb + "rpm/go-rpmdb_sle15-bci_Packages.db")},
      {"bdb", slurp(kPkgdb + "rpm/go-rpmdb_libuuid_Packages")},
      {"bdb", slurp(kPkgdb + "rpm/scalibr_Packages_epoch")},
      {"bdb", bdb_to_big_endian(slurp(kPkgdb + "rpm/scalibr_Packages_epoch"))},
  };
  auto sqlite = run("zstd -dc " + kPkgdb + "rpm/go-rpmdb_amazonlinux2023_rpmdb.sqlite.zst 2>/dev/null");
  if (!sqlite.empty()) inputs.emplace_back("sqlite", sqlite);
  for (const auto& [kind, data] : inputs)
    ASSERT_FALSE(data.empty()) << "a " << kind << " fixture is missing: " << kPkgdb;
  std::mt19937 rng(12345);
  std::size_t parsed = 0;
  for (auto& [kind_name, data] : inputs) {
    const std::string& kind = kind_name;  // a lambda cannot capture a structured binding before C++20 in clang 14
    auto feed = [&](const std::string& in) {
      core::Diagnostics d;
      if (kind == "dpkg") {
        parsed += parse_dpkg_status(in, "f", MissingStatus::installed, d).size();
      } else if (kind == "apk") {
        parsed += parse_apk_installed(in, "f", d).size();
      } else {
        auto blobs = kind == "ndb" ? read_rpm_ndb(in) : kind == "bdb" ? read_rpm_bdb(in) : read_rpm_sqlite(in);
        if (blobs) parsed += rpm_packages(*blobs, "f", d).size();
      }
    };
    const int rounds = kind == "sqlite" ? 6 : 100;
    for (int i = 0; i < rounds; ++i) {
      feed(data.substr(0, rng() % (data.size() + 1)));
      std::string flipped = data;
      for (int k = 0; k < 1 + static_cast<int>(rng() % 64); ++k) {
        flipped[rng() % flipped.size()] ^= static_cast<char>(1u << (rng() % 8));
      }
      feed(flipped);
    }
  }
  // Also every rpm header blob with bytes flipped, which reaches the header parser directly.
  auto blobs = read_rpm_ndb(inputs[2].second);
  ASSERT_TRUE(blobs);
  for (int k = 0; k < 200; ++k) {
    std::string junk(rng() % 300, '\0');
    for (auto& c : junk) c = "=\"'\\\n ID_VERSION:()/.a1"[rng() % 21];
    (void)parse_os_release(junk);
    (void)parse_dep5_licenses(junk);
  }
  for (auto b : *blobs) {
    for (int k = 0; k < 20; ++k) {
      auto copy = b;
      copy[rng() % copy.size()] ^= static_cast<char>(0xff);
      (void)parse_rpm_header(copy);
      (void)parse_rpm_header(copy.substr(0, rng() % copy.size()));
    }
  }
  EXPECT_GT(parsed, 0u);
}

}  // namespace
}  // namespace bulwark::catalog
