#include "strix/status.h"

#include <cstdarg>

namespace strix {

const char* status_code_name(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "ok";
    case StatusCode::kInvalidArgument: return "invalid_argument";
    case StatusCode::kNotFound: return "not_found";
    case StatusCode::kIoError: return "io_error";
    case StatusCode::kCorruptModel: return "corrupt_model";
    case StatusCode::kVersionMismatch: return "version_mismatch";
    case StatusCode::kUnsupported: return "unsupported";
    case StatusCode::kShapeMismatch: return "shape_mismatch";
    case StatusCode::kOutOfMemory: return "out_of_memory";
    case StatusCode::kInternal: return "internal";
  }
  return "unknown";
}

std::string Status::to_string() const {
  if (ok()) return "ok";
  return std::string(status_code_name(code_)) + ": " + message_;
}

Status make_status(StatusCode code, const char* format, ...) {
  char buffer[2048];
  va_list ap;
  va_start(ap, format);
  std::vsnprintf(buffer, sizeof(buffer), format, ap);
  va_end(ap);
  return Status(code, buffer);
}

}  // namespace strix
