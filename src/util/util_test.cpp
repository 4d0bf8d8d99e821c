#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

#include "util/error.hpp"
#include "util/files.hpp"
#include "util/sha256.hpp"
#include "util/strings.hpp"

#include <nlohmann/json.hpp>

using namespace bulwark;

TEST(Strings, SplitKeepsEmptyFields) {
  auto parts = util::split("a,,b", ',');
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[1], "");
  EXPECT_EQ(parts[2], "b");
}

TEST(Strings, SplitWsDropsRuns) {
  auto parts = util::split_ws("  a \t b\n");
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0], "a");
  EXPECT_EQ(parts[1], "b");
}

TEST(Strings, PrintableEscapesControlCharacters) {
  EXPECT_EQ(util::printable("a\x1b[31mb"), "a\\x1b[31mb");
}

TEST(Strings, JsonEscapeRoundTripsThroughAJsonParser) {
  const std::string raw = std::string("a\"b\\c\nd\te") + '\x01' + "\xc3\xa9";
  const std::string escaped = util::json_escape(raw);
  EXPECT_EQ(escaped, "a\\\"b\\\\c\\nd\\u0009e\\u0001\xc3\xa9");
  EXPECT_EQ(nlohmann::json::parse("\"" + escaped + "\"").get<std::string>(), raw);
}

TEST(Strings, ParseU64RejectsJunk) {
  EXPECT_EQ(util::parse_u64("123"), 123u);
  EXPECT_FALSE(util::parse_u64("12x").has_value());
  EXPECT_FALSE(util::parse_u64("").has_value());
  EXPECT_FALSE(util::parse_u64("99999999999999999999999").has_value());
}

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(util::sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(util::sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Digest, ParsesAndRejects) {
  auto ok = util::parse_digest("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->algorithm, "sha256");
  EXPECT_FALSE(util::parse_digest("sha256:../../etc/passwd").has_value());
  EXPECT_FALSE(util::parse_digest("md5:abc").has_value());
  EXPECT_FALSE(util::parse_digest("nocolon").has_value());
  EXPECT_FALSE(
      util::parse_digest("sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD").has_value());
}

TEST(Files, ReadFileEnforcesLimit) {
  auto dir = util::make_temp_dir(std::filesystem::temp_directory_path(), "bulwark-util-test");
  ASSERT_TRUE(dir.has_value());
  util::ScopedDir guard(*dir);
  auto p = *dir / "f";
  ASSERT_TRUE(util::write_file_atomic(p, "hello world").has_value());
  auto small = util::read_file(p, 5);
  ASSERT_FALSE(small.has_value());
  EXPECT_EQ(small.error().code, ErrorCode::limit);
  EXPECT_NE(small.error().describe().find(p.string()), std::string::npos);
  auto all = util::read_file(p, 100);
  ASSERT_TRUE(all.has_value());
  EXPECT_EQ(*all, "hello world");
  auto missing = util::read_file(*dir / "nope", 100);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::not_found);
}

TEST(Files, DirectoryEntriesListsNamesAndLeavesTheDescriptorUsable) {
  auto dir = util::make_temp_dir(std::filesystem::temp_directory_path(), "bulwark-util-test");
  ASSERT_TRUE(dir.has_value());
  util::ScopedDir guard(*dir);
  ASSERT_TRUE(util::write_file_atomic(*dir / "a", "1").has_value());
  std::filesystem::create_directory(*dir / "sub");
  std::filesystem::create_symlink("a", *dir / "link");
  int fd = ::open(dir->c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  for (int round = 0; round < 2; ++round) {  // a second listing sees the same names
    auto names = util::directory_entries(fd);
    std::sort(names.begin(), names.end());
    EXPECT_EQ(names, (std::vector<std::string>{"a", "link", "sub"})) << "round " << round;
  }
  struct stat st {};
  EXPECT_EQ(::fstatat(fd, "sub", &st, AT_SYMLINK_NOFOLLOW), 0) << "the descriptor is still open";
  ::close(fd);
  EXPECT_TRUE(util::directory_entries(-1).empty());
}

TEST(Error, WithinAddsOuterContext) {
  Error e{ErrorCode::parse, "bad", "layer.tar"};
  EXPECT_EQ(e.within("docker-archive:x.tar").describe(), "docker-archive:x.tar: layer.tar: bad");
}

#include "util/json_depth.hpp"

TEST(JsonDepth, CountsNestingOutsideStrings) {
  EXPECT_EQ(util::json_depth(R"({"a":[1,{"b":"[[[["}]})"), 3u);
  EXPECT_EQ(util::json_depth(R"("\"[[")"), 0u);
  EXPECT_EQ(util::json_depth(std::string(100000, '['), 10), 11u);
}

TEST(Strings, KeyFieldReadsProcStatusLines) {
  const std::string status = "Name:\tbash\nUid:\t0\t1000\t0\t0\nCapEff:\t000001ffffffffff\nUidX:\t9\n";
  EXPECT_EQ(bulwark::util::key_field(status, "Name"), "bash");
  EXPECT_EQ(bulwark::util::key_field(status, "Uid"), "0\t1000\t0\t0");
  EXPECT_EQ(bulwark::util::key_field(status, "CapEff"), "000001ffffffffff");
  EXPECT_FALSE(bulwark::util::key_field(status, "Ui").has_value());  // a prefix of a key is not the key
  EXPECT_FALSE(bulwark::util::key_field(status, "Gid").has_value());
  EXPECT_FALSE(bulwark::util::key_field("", "Name").has_value());
}

namespace {

struct OutputDir {
  std::filesystem::path dir;
  OutputDir() {
    auto d = util::make_temp_dir(std::filesystem::temp_directory_path(), "bulwark-output-test");
    EXPECT_TRUE(d.has_value());
    dir = *d;
  }
  ~OutputDir() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  [[nodiscard]] std::size_t entries() const {
    std::size_t n = 0;
    for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator(dir)) ++n;
    return n;
  }
};

}  // namespace

TEST(WriteOutput, RegularFileIsReplacedAtomicallyKeepingItsMode) {
  OutputDir t;
  auto p = t.dir / "out.json";
  ASSERT_TRUE(util::write_file_atomic(p, "first").has_value());
  ASSERT_EQ(::chmod(p.c_str(), 0600), 0);
  struct stat before {};
  ASSERT_EQ(::stat(p.c_str(), &before), 0);
  ASSERT_TRUE(util::write_file_atomic(p, "second").has_value());
  EXPECT_EQ(*util::read_file(p, 100), "second");
  struct stat after {};
  ASSERT_EQ(::stat(p.c_str(), &after), 0);
  EXPECT_NE(before.st_ino, after.st_ino);  // renamed into place, not rewritten
  EXPECT_EQ(after.st_mode & 07777, 0600u);
  EXPECT_EQ(t.entries(), 1u);  // no temporary file left behind
}

TEST(WriteOutput, CharacterDeviceIsWrittenThroughNeverReplaced) {
  if (::geteuid() != 0) GTEST_SKIP() << "mknod of a character device needs root";
  OutputDir t;
  auto null = t.dir / "null";  // a private copy of /dev/null (1,3), never the real one
  ASSERT_EQ(::mknod(null.c_str(), S_IFCHR | 0666, makedev(1, 3)), 0) << std::strerror(errno);
  ASSERT_TRUE(util::write_file_atomic(null, std::string(100000, 'x')).has_value());
  struct stat st {};
  ASSERT_EQ(::lstat(null.c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode)) << "the device node was replaced";
  EXPECT_EQ(st.st_rdev, makedev(1, 3));
  EXPECT_EQ(t.entries(), 1u);
  auto target = util::resolve_output(null);
  ASSERT_TRUE(target.has_value());
  EXPECT_EQ(target->kind, util::OutputTarget::Kind::write_through);
}

TEST(WriteOutput, FifoIsWrittenThrough) {
  OutputDir t;
  auto fifo = t.dir / "pipe";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  ASSERT_GE(reader, 0);
  ASSERT_TRUE(util::write_file_atomic(fifo, "through the pipe").has_value());
  char buf[64] = {};
  ssize_t n = ::read(reader, buf, sizeof buf);
  ::close(reader);
  EXPECT_EQ(std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0), "through the pipe");
  struct stat st {};
  ASSERT_EQ(::lstat(fifo.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  EXPECT_EQ(t.entries(), 1u);
}

TEST(WriteOutput, DescriptorPathsWriteToTheDescriptor) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  for (const std::string prefix : {"/dev/fd/", "/proc/self/fd/"}) {
    auto path = prefix + std::to_string(fds[1]);
    auto target = util::resolve_output(path);
    ASSERT_TRUE(target.has_value());
    EXPECT_EQ(target->kind, util::OutputTarget::Kind::descriptor);
    ASSERT_TRUE(util::write_file_atomic(path, "fd!").has_value());
    char buf[8] = {};
    EXPECT_EQ(::read(fds[0], buf, sizeof buf), 3);
    EXPECT_EQ(std::string(buf, 3), "fd!");
  }
  auto out = util::resolve_output("/dev/stdout");
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->kind, util::OutputTarget::Kind::descriptor);
  EXPECT_EQ(out->fd, 1);
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST(WriteOutput, SymlinkIsFollowedAndKept) {
  OutputDir t;
  auto real = t.dir / "real.json";
  ASSERT_TRUE(util::write_file_atomic(real, "old").has_value());
  std::filesystem::create_directory(t.dir / "links");
  auto link = t.dir / "links" / "out.json";
  std::filesystem::create_symlink("../real.json", link);
  ASSERT_TRUE(util::write_file_atomic(link, "new").has_value());
  EXPECT_TRUE(std::filesystem::is_symlink(link));
  EXPECT_EQ(*util::read_file(real, 100), "new");
  // A dangling link creates its target.
  auto dangling = t.dir / "dangling";
  std::filesystem::create_symlink(t.dir / "created.json", dangling);
  ASSERT_TRUE(util::write_file_atomic(dangling, "made").has_value());
  EXPECT_TRUE(std::filesystem::is_symlink(dangling));
  EXPECT_EQ(*util::read_file(t.dir / "created.json", 100), "made");
  // A link loop is refused, not followed forever.
  std::filesystem::create_symlink(t.dir / "loop2", t.dir / "loop1");
  std::filesystem::create_symlink(t.dir / "loop1", t.dir / "loop2");
  EXPECT_FALSE(util::write_file_atomic(t.dir / "loop1", "x").has_value());
}

TEST(WriteOutput, SymlinkToCharacterDeviceIsWrittenThrough) {
  if (::geteuid() != 0) GTEST_SKIP() << "mknod of a character device needs root";
  OutputDir t;
  auto null = t.dir / "null";
  ASSERT_EQ(::mknod(null.c_str(), S_IFCHR | 0666, makedev(1, 3)), 0);
  auto link = t.dir / "devnull";
  std::filesystem::create_symlink(null, link);
  ASSERT_TRUE(util::write_file_atomic(link, "gone").has_value());
  EXPECT_TRUE(std::filesystem::is_symlink(link));
  struct stat st {};
  ASSERT_EQ(::lstat(null.c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
}

TEST(WriteOutput, DirectoryIsRefusedClearly) {
  OutputDir t;
  auto sub = t.dir / "sub";
  std::filesystem::create_directory(sub);
  auto st = util::write_file_atomic(sub, "x");
  ASSERT_FALSE(st.has_value());
  EXPECT_EQ(st.error().code, ErrorCode::invalid_argument);
  EXPECT_NE(st.error().describe().find("is a directory"), std::string::npos) << st.error().describe();
  EXPECT_TRUE(std::filesystem::is_directory(sub));
  EXPECT_EQ(t.entries(), 1u);
}
