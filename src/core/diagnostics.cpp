#include "core/diagnostics.hpp"

#include <algorithm>

namespace bulwark::core {

std::string Diagnostic::describe() const {
  std::string out;
  if (!file.empty()) {
    out += file;
    if (line > 0) {
      out += ":" + std::to_string(line);
      if (column > 0) out += ":" + std::to_string(column);
    }
    out += ": ";
  }
  out += level == DiagnosticLevel::error ? "error: " : "warning: ";
  if (!item.empty()) out += "[" + item + "] ";
  out += message;
  if (!code.empty()) out += " (" + code + ")";
  return out;
}

void Diagnostics::warning(std::string code, std::string file, std::string message) {
  add({DiagnosticLevel::warning, std::move(code), std::move(file), 0, 0, {}, std::move(message)});
}

void Diagnostics::error(std::string code, std::string file, std::string message) {
  add({DiagnosticLevel::error, std::move(code), std::move(file), 0, 0, {}, std::move(message)});
}

std::size_t Diagnostics::error_count() const noexcept {
  return static_cast<std::size_t>(
      std::count_if(items_.begin(), items_.end(), [](auto& d) { return d.level == DiagnosticLevel::error; }));
}

std::size_t Diagnostics::warning_count() const noexcept {
  return items_.size() - error_count();
}

}  // namespace bulwark::core
