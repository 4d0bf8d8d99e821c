// The bbolt reader of containerd's metadata database on files built here page by page in the
// layout bbolt writes (the real containerd's file is read in src/agent/cri_test.cpp), and on
// damaged and hostile ones: each is an error, never a crash or a hang.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <string>
#include <tuple>
#include <vector>

#include "image/containerd_meta.hpp"
#include "util/files.hpp"

namespace bulwark::image {
namespace {

constexpr std::uint32_t kPage = 4096;

template <typename T>
void put(std::string& s, std::size_t at, T v) {
  if (s.size() < at + sizeof(T)) s.resize(at + sizeof(T), '\0');
  std::memcpy(s.data() + at, &v, sizeof(T));
}

using Entry = std::tuple<std::string, std::string, bool>;  // key, value, value is a bucket

// A leaf page: header, elements, then each key and value.
std::string leaf(const std::vector<Entry>& entries, std::uint64_t id = 0) {
  std::string p(16 + 16 * entries.size(), '\0');
  put<std::uint64_t>(p, 0, id);
  put<std::uint16_t>(p, 8, 0x02);
  put<std::uint16_t>(p, 10, static_cast<std::uint16_t>(entries.size()));
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const auto& [k, v, bucket] = entries[i];
    const std::size_t elem = 16 + 16 * i;
    put<std::uint32_t>(p, elem, bucket ? 1 : 0);
    put<std::uint32_t>(p, elem + 4, static_cast<std::uint32_t>(p.size() - elem));
    put<std::uint32_t>(p, elem + 8, static_cast<std::uint32_t>(k.size()));
    put<std::uint32_t>(p, elem + 12, static_cast<std::uint32_t>(v.size()));
    p += k;
    p += v;
  }
  return p;
}

// A bucket kept inside its parent's leaf: root 0, sequence 0, then its page.
std::string inline_bucket(const std::vector<Entry>& entries) {
  return std::string(16, '\0') + leaf(entries);
}

std::string bucket_at(std::uint64_t page) {
  std::string b(16, '\0');
  put<std::uint64_t>(b, 0, page);
  return b;
}

std::uint64_t fnv(const std::string& s, std::size_t at, std::size_t n) {
  std::uint64_t h = 14695981039346656037ULL;
  for (std::size_t i = 0; i < n; ++i) {
    h ^= static_cast<unsigned char>(s[at + i]);
    h *= 1099511628211ULL;
  }
  return h;
}

void meta(std::string& file, std::uint64_t page, std::uint64_t root, std::uint64_t txid) {
  const std::size_t at = page * kPage;
  put<std::uint64_t>(file, at, page);
  put<std::uint16_t>(file, at + 8, 0x04);
  const std::size_t m = at + 16;
  put<std::uint32_t>(file, m, 0xED0CDAED);
  put<std::uint32_t>(file, m + 4, 2);
  put<std::uint32_t>(file, m + 8, kPage);
  put<std::uint64_t>(file, m + 16, root);
  put<std::uint64_t>(file, m + 40, 8);
  put<std::uint64_t>(file, m + 48, txid);
  put<std::uint64_t>(file, m + 56, fnv(file, m, 56));
}

void place(std::string& file, std::uint64_t page, std::string bytes) {
  put<std::uint64_t>(bytes, 0, page);
  if (file.size() < (page + 1) * kPage) file.resize((page + 1) * kPage, '\0');
  ASSERT_LE(bytes.size(), kPage);
  file.replace(page * kPage, bytes.size(), bytes);
}

std::string varint(std::int64_t v) {
  auto x = static_cast<std::uint64_t>(v) << 1;
  if (v < 0) x = ~x;
  std::string out;
  while (x >= 0x80) {
    out.push_back(static_cast<char>((x & 0x7f) | 0x80));
    x >>= 7;
  }
  out.push_back(static_cast<char>(x));
  return out;
}

std::string image_bucket(const std::string& digest, std::int64_t size) {
  return inline_bucket({{"createdat", "x", false},
                        {"target",
                         inline_bucket({{"digest", digest, false},
                                        {"mediatype", "application/vnd.oci.image.index.v1+json", false},
                                        {"size", varint(size), false}}),
                         true}});
}

const std::string kDigestA = "sha256:" + std::string(64, 'a');
const std::string kDigestB = "sha256:" + std::string(64, 'b');

// Pages: 0 and 1 meta, 2 the root bucket's leaf ("v1"), 3 a branch page of the k8s.io images
// bucket over leaves 4 and 5 (so both page kinds are walked), the default namespace inline.
std::string database() {
  std::string f;
  auto k8s_images = bucket_at(3);
  auto v1 = inline_bucket(
      {{"default",
        inline_bucket(
            {{"images", inline_bucket({{"docker.io/library/busybox:1", image_bucket(kDigestB, 700), true}}), true}}),
        true},
       {"k8s.io", inline_bucket({{"images", k8s_images, true}}), true}});
  meta(f, 0, 2, 6);
  meta(f, 1, 2, 5);  // the older record: ignored
  place(f, 2, leaf({{"v1", v1, true}}));
  std::string branch(16 + 32, '\0');
  put<std::uint16_t>(branch, 8, 0x01);
  put<std::uint16_t>(branch, 10, 2);
  put<std::uint64_t>(branch, 16 + 8, 4);
  put<std::uint64_t>(branch, 32 + 8, 5);
  place(f, 3, branch);
  place(f, 4, leaf({{"docker.io/library/alpine:3.19", image_bucket(kDigestA, 9218), true}}));
  place(f, 5,
        leaf({{"docker.io/library/broken:1", inline_bucket({{"target", inline_bucket({}), true}}), true},
              {"not-a-bucket", "v", false}}));
  return f;
}

TEST(ContainerdMeta, ReadsEveryNamespacesImagesAcrossBranchLeafAndInlinePages) {
  auto f = database();
  auto all = read_containerd_images(f);
  ASSERT_TRUE(all) << all.error().describe();
  ASSERT_EQ(all->size(), 2u);  // the record without a digest names nothing
  EXPECT_EQ((*all)[0].ns, "default");
  EXPECT_EQ((*all)[0].name, "docker.io/library/busybox:1");
  EXPECT_EQ((*all)[0].digest, kDigestB);
  EXPECT_EQ((*all)[0].size, 700u);
  EXPECT_EQ((*all)[1].ns, "k8s.io");
  EXPECT_EQ((*all)[1].name, "docker.io/library/alpine:3.19");
  EXPECT_EQ((*all)[1].digest, kDigestA);
  EXPECT_EQ((*all)[1].media_type, "application/vnd.oci.image.index.v1+json");
  EXPECT_EQ((*all)[1].size, 9218u);
  auto k8s = read_containerd_images(f, "k8s.io");
  ASSERT_TRUE(k8s);
  ASSERT_EQ(k8s->size(), 1u);
  EXPECT_EQ(k8s->front().digest, kDigestA);

  // The same through the file.
  auto dir = util::make_temp_dir(std::filesystem::temp_directory_path(), "bulwark-meta");
  ASSERT_TRUE(dir);
  util::ScopedDir cleanup(*dir);
  std::ofstream(*dir / "meta.db", std::ios::binary) << f;
  auto from_file = read_containerd_images_file(*dir / "meta.db", "default");
  ASSERT_TRUE(from_file) << from_file.error().describe();
  ASSERT_EQ(from_file->size(), 1u);
  EXPECT_EQ(from_file->front().name, "docker.io/library/busybox:1");
  auto missing = read_containerd_images_file(*dir / "absent.db");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().describe().find("absent.db"), std::string::npos);
}

TEST(ContainerdMeta, TheNewestValidMetaRecordWins) {
  auto f = database();
  // Meta 1 newer but pointing at a page that is no bucket leaf; a broken checksum makes it invalid.
  meta(f, 1, 4, 7);
  EXPECT_FALSE(read_containerd_images(f));
  f[kPage + 16 + 60] ^= 1;  // its checksum
  auto r = read_containerd_images(f);
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(r->size(), 2u);
}

TEST(ContainerdMeta, DamagedAndHostileFilesAreErrors) {
  const auto good = database();
  EXPECT_FALSE(read_containerd_images(""));
  EXPECT_FALSE(read_containerd_images(std::string(8192, '\0')));
  EXPECT_FALSE(read_containerd_images(good.substr(0, 3 * kPage)));  // truncated: the branch's pages are gone
  {
    auto f = good;  // both meta records damaged
    f[16] ^= 1;
    f[kPage + 16] ^= 1;
    auto r = read_containerd_images(f);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().describe().find("meta"), std::string::npos);
  }
  {
    auto f = good;  // a branch page whose child is itself: bounded, an error
    put<std::uint64_t>(f, 3 * kPage + 16 + 8, 3);
    EXPECT_FALSE(read_containerd_images(f));
  }
  {
    auto f = good;  // an element count far past the page
    put<std::uint16_t>(f, 4 * kPage + 10, 60000);
    EXPECT_FALSE(read_containerd_images(f));
  }
  {
    auto f = good;  // a leaf entry whose value runs past its page
    put<std::uint32_t>(f, 4 * kPage + 16 + 12, 1u << 30);
    EXPECT_FALSE(read_containerd_images(f));
  }
  {
    auto f = good;  // an overflow count that runs past the file
    put<std::uint32_t>(f, 4 * kPage + 12, 1u << 31);
    EXPECT_FALSE(read_containerd_images(f));
  }
  {
    auto f = good;  // a child page number far past the end
    put<std::uint64_t>(f, 3 * kPage + 16 + 8, 1ULL << 60);
    EXPECT_FALSE(read_containerd_images(f));
  }
  {
    std::string f;  // no v1 bucket: some other bbolt file
    meta(f, 0, 2, 1);
    meta(f, 1, 2, 1);
    place(f, 2, leaf({{"other", inline_bucket({}), true}}));
    auto r = read_containerd_images(f);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().describe().find("v1"), std::string::npos);
  }
}

TEST(ContainerdMeta, NamesAreTriedAsGivenAndAsContainerdNormalisesThem) {
  EXPECT_EQ(containerd_name_candidates("alpine"),
            (std::vector<std::string>{"alpine", "docker.io/library/alpine:latest"}));
  EXPECT_EQ(containerd_name_candidates("alpine:3.19"),
            (std::vector<std::string>{"alpine:3.19", "docker.io/library/alpine:3.19"}));
  EXPECT_EQ(containerd_name_candidates("bitnami/redis:7"),
            (std::vector<std::string>{"bitnami/redis:7", "docker.io/bitnami/redis:7"}));
  EXPECT_EQ(containerd_name_candidates("127.0.0.1:5000/app:1"), (std::vector<std::string>{"127.0.0.1:5000/app:1"}));
  EXPECT_EQ(containerd_name_candidates("registry.k8s.io/pause"),
            (std::vector<std::string>{"registry.k8s.io/pause", "registry.k8s.io/pause:latest"}));
}

}  // namespace
}  // namespace bulwark::image
