#include "core/filetree.hpp"

#include <gtest/gtest.h>

using namespace bulwark;
using core::FileEntry;
using core::FileTree;
using core::FileType;

namespace {
FileEntry file(std::string path, std::string content = "x") {
  FileEntry e;
  e.path = std::move(path);
  e.content = std::move(content);
  e.size = e.content->size();
  return e;
}
FileEntry link_entry(std::string path, std::string target, FileType type = FileType::symlink) {
  FileEntry e;
  e.path = std::move(path);
  e.type = type;
  e.link_target = std::move(target);
  return e;
}
FileEntry dir(std::string path) {
  FileEntry e;
  e.path = std::move(path);
  e.type = FileType::directory;
  return e;
}
}  // namespace

TEST(NormalizePath, StripsAndCollapses) {
  EXPECT_EQ(core::normalize_path("./etc//os-release").value(), "etc/os-release");
  EXPECT_EQ(core::normalize_path("/usr/lib/../bin/").value(), "usr/bin");
  EXPECT_EQ(core::normalize_path(".").value(), "");
}

TEST(NormalizePath, RejectsClimbingOut) {
  auto r = core::normalize_path("../../etc/passwd");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::hostile);
  EXPECT_FALSE(core::normalize_path("a/../../b").has_value());
}

TEST(FileTree, WhiteoutRemovesSubtreeOnly) {
  FileTree t;
  t.put(dir("etc"));
  t.put(file("etc/a"));
  t.put(file("etc/ab"));
  t.put(dir("etc/a.d"));
  t.put(file("etc/a.d/x"));
  EXPECT_TRUE(t.remove("etc/a.d"));
  EXPECT_EQ(t.find("etc/a.d/x"), nullptr);
  EXPECT_NE(t.find("etc/a"), nullptr);
  EXPECT_NE(t.find("etc/ab"), nullptr);
}

TEST(FileTree, OpaqueKeepsDirectory) {
  FileTree t;
  t.put(dir("var"));
  t.put(file("var/one"));
  t.put(file("varx"));
  t.remove_children("var");
  EXPECT_NE(t.find("var"), nullptr);
  EXPECT_EQ(t.find("var/one"), nullptr);
  EXPECT_NE(t.find("varx"), nullptr);
}

TEST(FileTree, ResolveStaysInsideRoot) {
  FileTree t;
  t.put(dir("etc"));
  t.put(file("etc/passwd", "root:x:0:0"));
  t.put(link_entry("escape", "../../../../etc/passwd"));
  t.put(link_entry("abs", "/etc/passwd"));
  t.put(dir("usr"));
  t.put(link_entry("usr/lib", "../etc"));
  auto a = t.resolve("escape");
  ASSERT_TRUE(a.has_value()) << a.error().describe();
  EXPECT_EQ((*a)->path, "etc/passwd");
  auto b = t.resolve("abs");
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ((*b)->content.value(), "root:x:0:0");
  auto c = t.resolve("usr/lib/passwd");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ((*c)->path, "etc/passwd");
}

TEST(FileTree, ResolveDetectsLoops) {
  FileTree t;
  t.put(link_entry("a", "b"));
  t.put(link_entry("b", "a"));
  auto r = t.resolve("a");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::hostile);
  FileTree h;
  h.put(link_entry("x", "y", FileType::hardlink));
  h.put(link_entry("y", "x", FileType::hardlink));
  EXPECT_FALSE(h.resolve("x").has_value());
}
