#include "secret/probe.hpp"

#include <fmt/core.h>
#include <nlohmann/json.hpp>

namespace bulwark::secret {

namespace {

class Scan final : public core::ProbeScan {
 public:
  Scan(const SecretProbe& probe, std::unique_ptr<FileScan> scan, std::string path, int layer)
      : probe_(probe), scan_(std::move(scan)), path_(std::move(path)), layer_(layer) {}
  void feed(std::string_view chunk) override { scan_->feed(chunk); }
  [[nodiscard]] bool done() const override { return scan_->done(); }
  [[nodiscard]] std::optional<std::string> finish() override {
    for (auto& m : scan_->finish()) {
      FileFinding f;
      f.file = path_;
      f.path = m.member.empty() ? path_ : path_ + "!" + m.member;
      f.layer = layer_;
      f.match = std::move(m);
      probe_.add(std::move(f));
    }
    return std::nullopt;
  }

 private:
  const SecretProbe& probe_;
  std::unique_ptr<FileScan> scan_;
  std::string path_;
  int layer_;
};

}  // namespace

bool SecretProbe::wants(const core::FileEntry& entry) const {
  return entry.type == core::FileType::regular && entry.size > 0;
}

std::unique_ptr<core::ProbeScan> SecretProbe::start() const {
  return std::make_unique<Scan>(*this, engine_.open(""), std::string(), -1);
}

std::unique_ptr<core::ProbeScan> SecretProbe::start(const core::FileEntry& entry) const {
  return std::make_unique<Scan>(*this, engine_.open(entry.path, entry.size), entry.path, entry.layer);
}

void SecretProbe::add(FileFinding f) const {
  if (found_.size() >= engine_.options().max_findings) return;
  found_.push_back(std::move(f));
}

void SecretProbe::after_layer(std::size_t layer, const core::FileTree& tree) {
  for (auto& f : found_) {
    if (f.hidden_by >= 0 || f.layer < 0 || static_cast<std::size_t>(f.layer) >= layer) continue;
    const auto* e = tree.find(f.file);
    if (e == nullptr || e->layer != f.layer) f.hidden_by = static_cast<int>(layer);
  }
}

std::vector<core::Finding> SecretProbe::findings(const core::Target& target, const core::ImageInfo* image) const {
  std::vector<core::Finding> out;
  auto diff_id = [&](int layer) -> std::string {
    if (image == nullptr || layer < 0 || static_cast<std::size_t>(layer) >= image->layers.size()) return {};
    return image->layers[static_cast<std::size_t>(layer)].diff_id;
  };
  for (const auto& f : found_) {
    auto finding = to_finding(f.match, "/" + f.path, target);
    finding.location.layer = diff_id(f.layer);
    if (f.hidden_by >= 0) {
      finding.evidence +=
          fmt::format(" [added in layer {} ({}), deleted or replaced in layer {} ({}): still in the image]", f.layer,
                      diff_id(f.layer), f.hidden_by, diff_id(f.hidden_by));
    }
    out.push_back(std::move(finding));
  }
  return out;
}

void mask_values(std::string& text, const std::vector<std::string>& values) {
  for (const auto& v : values) {
    if (v.empty()) continue;
    const auto masked = mask(v);
    for (auto pos = text.find(v); pos != std::string::npos; pos = text.find(v, pos + masked.size())) {
      text.replace(pos, v.size(), masked);
    }
  }
}

std::vector<core::Finding> scan_image_config(const Engine& engine, std::string_view config_json,
                                             const core::Target& target, std::vector<std::string>* values) {
  std::vector<core::Finding> out;
  auto doc = nlohmann::json::parse(config_json, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return out;
  auto scan_text = [&](const std::string& where, const std::string& text) {
    for (auto& m : engine.scan(text, where)) {
      if (values != nullptr) values->push_back(m.secret);
      auto f = to_finding(m, where, target);
      f.location.line = 0;
      f.location.column = 0;
      out.push_back(std::move(f));
    }
  };
  auto strings = [&](const nlohmann::json& v, const std::string& where) {
    if (v.is_array()) {
      std::string joined;
      for (const auto& s : v) {
        if (s.is_string()) joined += (joined.empty() ? "" : " ") + s.get<std::string>();
      }
      if (!joined.empty()) scan_text(where, joined);
    } else if (v.is_string()) {
      scan_text(where, v.get<std::string>());
    }
  };
  if (auto c = doc.find("config"); c != doc.end() && c->is_object()) {
    if (auto env = c->find("Env"); env != c->end() && env->is_array()) {
      for (std::size_t i = 0; i < env->size(); ++i) {
        if ((*env)[i].is_string()) scan_text(fmt::format("image config: Env[{}]", i), (*env)[i].get<std::string>());
      }
    }
    if (auto labels = c->find("Labels"); labels != c->end() && labels->is_object()) {
      for (const auto& [k, v] : labels->items()) {
        if (v.is_string()) scan_text("image config: Labels[" + k + "]", k + "=" + v.get<std::string>());
      }
    }
    if (auto cmd = c->find("Cmd"); cmd != c->end()) strings(*cmd, "image config: Cmd");
    if (auto ep = c->find("Entrypoint"); ep != c->end()) strings(*ep, "image config: Entrypoint");
  }
  if (auto h = doc.find("history"); h != doc.end() && h->is_array()) {
    for (std::size_t i = 0; i < h->size(); ++i) {
      const auto& entry = (*h)[i];
      if (!entry.is_object()) continue;
      if (auto cb = entry.find("created_by"); cb != entry.end() && cb->is_string()) {
        scan_text(fmt::format("image config: history[{}].created_by", i), cb->get<std::string>());
      }
    }
  }
  return out;
}

}  // namespace bulwark::secret
