// Errors and results shared by every module.
//
// Library code never throws across a module boundary: it returns Result<T>, an
// std::expected carrying an Error (a code, a message for people, and the context
// it happened in, e.g. the file or image). Only cli/ turns errors into messages
// and exit codes.
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <utility>

namespace bulwark {

enum class ErrorCode {
  io,                // reading or writing a file or socket failed
  parse,             // a document is malformed
  limit,             // a configured limit was exceeded (size, count, depth)
  hostile,           // input tried something unsafe (path traversal, link escape)
  digest_mismatch,   // content does not match its digest
  network,           // a transfer failed
  auth,              // credentials rejected or missing
  not_found,         // the named thing does not exist
  unsupported,       // a valid input bulwark cannot handle (yet)
  invalid_argument,  // the user asked for something that makes no sense
  internal,          // a bug in bulwark
};

[[nodiscard]] std::string_view to_string(ErrorCode code) noexcept;

struct Error {
  ErrorCode code = ErrorCode::internal;
  std::string message;
  std::string context;  // what was being worked on: a path, an image, a URL

  // "context: message" (or just the message when there is no context).
  [[nodiscard]] std::string describe() const;

  // Adds an outer context: "outer: inner-context".
  [[nodiscard]] Error within(std::string_view outer) const;
};

template <class T>
using Result = std::expected<T, Error>;

using Status = std::expected<void, Error>;

[[nodiscard]] inline std::unexpected<Error> fail(ErrorCode code, std::string message, std::string context = {}) {
  return std::unexpected(Error{code, std::move(message), std::move(context)});
}

}  // namespace bulwark
