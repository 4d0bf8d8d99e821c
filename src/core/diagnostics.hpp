// Diagnostics: problems collected while loading many items (rules, checks,
// advisory records), so that one bad item is reported and the rest still load.
#pragma once

#include <string>
#include <vector>

namespace bulwark::core {

enum class DiagnosticLevel { warning, error };

struct Diagnostic {
  DiagnosticLevel level = DiagnosticLevel::error;
  std::string code;  // short stable id, e.g. "unknown-field", "parse"
  std::string file;
  int line = 0;
  int column = 0;
  std::string item;  // which rule / record / check
  std::string message;

  // "file:line:col: error: [item] message (code)"
  [[nodiscard]] std::string describe() const;
};

class Diagnostics {
 public:
  void add(Diagnostic d) { items_.push_back(std::move(d)); }
  void warning(std::string code, std::string file, std::string message);
  void error(std::string code, std::string file, std::string message);
  [[nodiscard]] const std::vector<Diagnostic>& items() const noexcept { return items_; }
  [[nodiscard]] std::size_t error_count() const noexcept;
  [[nodiscard]] std::size_t warning_count() const noexcept;
  [[nodiscard]] bool empty() const noexcept { return items_.empty(); }

 private:
  std::vector<Diagnostic> items_;
};

}  // namespace bulwark::core
