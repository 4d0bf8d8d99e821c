#include "catalog/gobinary.hpp"

#include <cstring>

#include "core/purl.hpp"
#include "util/strings.hpp"

namespace bulwark::catalog {
namespace {

constexpr std::string_view kMagic = "\xff Go buildinf:";
constexpr std::size_t kCapture = 64U << 10;  // the header and both strings fit easily

class GoScan final : public core::ProbeScan {
 public:
  void feed(std::string_view chunk) override {
    if (done_) return;
    if (!checked_elf_) {
      head_.append(chunk.substr(0, 4 - std::min<std::size_t>(4, head_.size())));
      if (head_.size() < 4) return;
      checked_elf_ = true;
      if (head_ !=
          "\x7f"
          "ELF") {
        done_ = true;
        return;
      }
    }
    if (found_) {
      captured_.append(chunk.substr(0, kCapture - captured_.size()));
      if (captured_.size() >= kCapture) done_ = true;
      return;
    }
    // Search the carried tail plus this chunk, so a magic split across chunks is found.
    window_.assign(carry_);
    window_.append(chunk);
    const auto pos = window_.find(kMagic);
    if (pos != std::string::npos) {
      found_ = true;
      captured_.assign(window_, pos, std::min(kCapture, window_.size() - pos));
      if (captured_.size() >= kCapture) done_ = true;
      return;
    }
    const auto keep = std::min(window_.size(), kMagic.size() - 1);
    carry_.assign(window_, window_.size() - keep, keep);
  }
  [[nodiscard]] bool done() const override { return done_; }
  [[nodiscard]] std::optional<std::string> finish() override {
    if (!found_) return std::nullopt;
    return std::move(captured_);
  }

 private:
  bool checked_elf_ = false;
  bool found_ = false;
  bool done_ = false;
  std::string head_;
  std::string carry_;
  std::string window_;
  std::string captured_;
};

class GoProbe final : public core::ContentProbe {
 public:
  [[nodiscard]] bool wants(const core::FileEntry& e) const override {
    return e.type == core::FileType::regular && (e.mode & 0111U) != 0 && e.size >= 4096;
  }
  [[nodiscard]] std::unique_ptr<core::ProbeScan> start() const override { return std::make_unique<GoScan>(); }
};

std::optional<std::uint64_t> uvarint(std::string_view data, std::size_t& pos) {
  std::uint64_t value = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (pos >= data.size()) return std::nullopt;
    const auto b = static_cast<unsigned char>(data[pos++]);
    value |= static_cast<std::uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return value;
  }
  return std::nullopt;
}

std::optional<std::string> varint_string(std::string_view data, std::size_t& pos) {
  auto len = uvarint(data, pos);
  if (!len || *len > data.size() - pos) return std::nullopt;
  std::string out(data.substr(pos, static_cast<std::size_t>(*len)));
  pos += static_cast<std::size_t>(*len);
  return out;
}

core::Package go_package(std::string module_path, std::string version, std::string_view binary) {
  core::Package p;
  p.name = std::move(module_path);
  p.version = std::move(version);
  p.ecosystem = core::Ecosystem::golang;
  p.path = std::string(binary);
  core::Purl purl;
  purl.type = "golang";
  const auto slash = p.name.find_last_of('/');
  if (slash != std::string::npos) {
    purl.namespace_ = p.name.substr(0, slash);
    purl.name = p.name.substr(slash + 1);
  } else {
    purl.name = p.name;
  }
  purl.version = p.version;
  p.purl = purl.str();
  return p;
}

class GoBinaryCataloger final : public Cataloger {
 public:
  [[nodiscard]] std::string_view name() const override { return "go-binary"; }
  [[nodiscard]] bool wants(std::string_view) const override { return false; }  // uses the probe instead
  [[nodiscard]] Result<std::vector<core::Package>> catalog(const core::FileTree& tree, const core::OsInfo&,
                                                           core::Diagnostics&) const override {
    std::vector<core::Package> out;
    tree.for_each([&](const core::FileEntry& e) {
      if (!e.probed) return;
      auto info = parse_go_buildinfo(*e.probed);
      if (!info) return;
      for (auto& p : go_packages(*info, e.path)) out.push_back(std::move(p));
    });
    return out;
  }
};

}  // namespace

const core::ContentProbe& go_binary_probe() {
  static const GoProbe probe;
  return probe;
}

std::optional<GoBuildInfo> parse_go_buildinfo(std::string_view captured) {
  // Header: 14-byte magic, pointer size, flags, then (Go 1.18+, flag bit 2) the
  // version and module strings inline from offset 32, each prefixed by a uvarint length.
  if (captured.size() < 32 || captured.substr(0, kMagic.size()) != kMagic) return std::nullopt;
  const auto flags = static_cast<unsigned char>(captured[15]);
  if ((flags & 0x2) == 0) return std::nullopt;  // the pre-1.18 pointer format
  std::size_t pos = 32;
  auto version = varint_string(captured, pos);
  auto mod = varint_string(captured, pos);
  if (!version || !mod || !version->starts_with("go")) return std::nullopt;
  GoBuildInfo info;
  info.go_version = *version;
  // The module text is wrapped in 16-byte sentinels.
  if (mod->size() >= 33 && (*mod)[mod->size() - 17] == '\n') {
    info.mod_info = mod->substr(16, mod->size() - 32);
  } else {
    info.mod_info = *mod;
  }
  for (auto line : util::split(info.mod_info, '\n')) {
    if (line.starts_with("path\t")) info.main_path = std::string(line.substr(5));
  }
  return info;
}

std::string go_toolchain_semver(std::string_view v) {
  if (v.starts_with("go")) v.remove_prefix(2);
  std::string core_part(v);
  std::string pre;
  for (std::string_view tag : {"rc", "beta"}) {
    const auto at = core_part.find(tag);
    if (at != std::string::npos) {
      pre = "-" + std::string(tag) + "." + core_part.substr(at + tag.size());
      core_part = core_part.substr(0, at);
      break;
    }
  }
  // Drop anything after a space or a '-' suffix such as "X:boringcrypto".
  core_part = core_part.substr(0, core_part.find_first_of(" -"));
  int dots = 0;
  for (char c : core_part) dots += c == '.';
  while (dots++ < 2) core_part += ".0";
  return "v" + core_part + pre;
}

std::vector<core::Package> go_packages(const GoBuildInfo& info, std::string_view path) {
  std::vector<core::Package> out;
  out.push_back(go_package("stdlib", go_toolchain_semver(info.go_version), path));
  for (auto line : util::split(info.mod_info, '\n')) {
    const auto fields = util::split(line, '\t');
    if (fields.empty()) continue;
    if ((fields[0] == "mod" || fields[0] == "dep") && fields.size() >= 3) {
      if (fields[2] == "(devel)" || fields[2].empty()) continue;
      out.push_back(go_package(std::string(fields[1]), std::string(fields[2]), path));
    } else if (fields[0] == "=>" && fields.size() >= 3 && !out.empty() && out.size() > 1) {
      // A replacement of the line before; a local directory replacement has no version.
      out.back() = go_package(std::string(fields[1]), std::string(fields[2]), path);
    }
  }
  return out;
}

std::unique_ptr<Cataloger> go_binary_cataloger() {
  return std::make_unique<GoBinaryCataloger>();
}

}  // namespace bulwark::catalog
