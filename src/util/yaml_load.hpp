// YAML::LoadAll with a guard for the yaml-cpp 0.7 (Debian 12) stall, and a document limit that
// fires before any node is built. Header-only: only modules that link yaml-cpp include it.
//
// yaml-cpp 0.7's LoadAll() loops for ever, allocating, on streams such as "," or ", 3e": the
// parser reports an empty document without consuming the token, again and again
// (jbeder/yaml-cpp#1040, falcosecurity/falco#3281; fixed upstream by jbeder/yaml-cpp#1319,
// not in Debian 12). fuzz_compose and fuzz_falco_rules found it within seconds. A first pass
// with a counting event handler stops at the first document that makes no progress.
#pragma once

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/parser.h>
#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace bulwark::util {

// Thrown by load_all_bounded when the stream has more documents than allowed.
struct YamlDocumentLimit : std::runtime_error {
  explicit YamlDocumentLimit(std::size_t limit)
      : std::runtime_error("more than " + std::to_string(limit) + " YAML documents in one stream") {}
};

namespace detail {
class YamlProgress final : public YAML::EventHandler {
 public:
  int events = 0;
  bool only_null = true;
  YAML::Mark first;
  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& m, YAML::anchor_t) override { note(m, true); }
  void OnAlias(const YAML::Mark& m, YAML::anchor_t) override { note(m, false); }
  void OnScalar(const YAML::Mark& m, const std::string&, YAML::anchor_t, const std::string&) override {
    note(m, false);
  }
  void OnSequenceStart(const YAML::Mark& m, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    note(m, false);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& m, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    note(m, false);
  }
  void OnMapEnd() override {}
  void reset() {
    events = 0;
    only_null = true;
  }

 private:
  void note(const YAML::Mark& m, bool null) {
    if (events++ == 0) first = m;
    if (!null) only_null = false;
  }
};
}  // namespace detail

// YAML::LoadAll(text), but throws YAML::ParserException where yaml-cpp would stall and
// YamlDocumentLimit past max_documents (before building any node).
[[nodiscard]] inline std::vector<YAML::Node> load_all_bounded(const std::string& text, std::size_t max_documents) {
  {
    std::istringstream in(text);
    YAML::Parser parser(in);
    detail::YamlProgress h;
    std::size_t docs = 0;
    int last_pos = -1;
    while (true) {
      h.reset();
      if (!parser.HandleNextDocument(h)) break;
      if (++docs > max_documents) throw YamlDocumentLimit(max_documents);
      // A lone null at the same place as the previous lone null: the parser is stuck.
      if (h.only_null && h.events <= 1) {
        const int pos = h.events == 1 ? h.first.pos : -2;
        if (pos == last_pos)
          throw YAML::ParserException(h.first, "unexpected token (the YAML parser makes no progress)");
        last_pos = pos;
      } else {
        last_pos = -1;
      }
    }
  }
  return YAML::LoadAll(text);
}

}  // namespace bulwark::util
