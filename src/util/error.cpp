#include "util/error.hpp"

namespace bulwark {

std::string_view to_string(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::io: return "io";
    case ErrorCode::parse: return "parse";
    case ErrorCode::limit: return "limit";
    case ErrorCode::hostile: return "hostile";
    case ErrorCode::digest_mismatch: return "digest-mismatch";
    case ErrorCode::network: return "network";
    case ErrorCode::auth: return "auth";
    case ErrorCode::not_found: return "not-found";
    case ErrorCode::unsupported: return "unsupported";
    case ErrorCode::invalid_argument: return "invalid-argument";
    case ErrorCode::internal: return "internal";
  }
  return "unknown";
}

std::string Error::describe() const {
  if (context.empty()) return message;
  return context + ": " + message;
}

Error Error::within(std::string_view outer) const {
  Error e = *this;
  // Sources often name the image already; never say it twice.
  if (e.context == outer || e.context.starts_with(std::string(outer) + ": ")) return e;
  if (e.context.empty()) {
    e.context = std::string(outer);
  } else {
    e.context = std::string(outer) + ": " + e.context;
  }
  return e;
}

}  // namespace bulwark
