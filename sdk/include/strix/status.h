// strix/status.h — errors without exceptions.
//
//   strix::Result<strix::Model> model = strix::Model::load("net.strix");
//   if (!model.ok()) {
//     std::fprintf(stderr, "%s\n", model.status().to_string().c_str());
//     return 1;
//   }
//   strix::Model m = std::move(model).value();
//
// Every fallible call in libstrix returns a Status or a Result<T>. The message names what
// is wrong and where (file, tensor, node). The runtime is built with -fno-exceptions.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>

namespace strix {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // bad option or argument from the caller
  kNotFound,         // missing file, tensor name, custom op
  kIoError,          // read/write/mmap failure
  kCorruptModel,     // the file fails verification or a semantic check
  kVersionMismatch,  // the file was written by a newer schema
  kUnsupported,      // no backend can run a node, dtype or device
  kShapeMismatch,    // tensor shapes or dtypes do not fit
  kOutOfMemory,
  kInternal,  // a bug in Strix
};

// Stable lower-case name of a code, e.g. "corrupt_model".
const char* status_code_name(StatusCode code);

class Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok_status() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "corrupt_model: tensor 3 'conv1.weight': buffer holds 12 bytes, dtype x shape needs 16"
  std::string to_string() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// Builds a Status from printf-style arguments.
Status make_status(StatusCode code, const char* format, ...) __attribute__((format(printf, 2, 3)));

// Either a value or a non-ok Status.
template <typename T>
class Result {
 public:
  Result(T value) : ok_(true), value_(std::move(value)) {}          // NOLINT: implicit by design
  Result(Status status) : ok_(false), status_(std::move(status)) {  // NOLINT
    if (status_.ok()) status_ = Status(StatusCode::kInternal, "Result built from an ok Status");
  }

  bool ok() const { return ok_; }
  const Status& status() const { return status_; }

  // Precondition: ok(). Calling these on an error aborts with the status message: that is
  // API misuse, not a user-input error.
  T& value() & {
    check();
    return value_;
  }
  const T& value() const& {
    check();
    return value_;
  }
  T&& value() && {
    check();
    return std::move(value_);
  }
  T* operator->() {
    check();
    return &value_;
  }
  const T* operator->() const {
    check();
    return &value_;
  }

 private:
  void check() const {
    if (!ok_) {
      std::fprintf(stderr, "strix: value() on an error Result: %s\n", status_.to_string().c_str());
      std::abort();
    }
  }
  bool ok_;
  T value_{};
  Status status_;
};

}  // namespace strix

// Returns early from the enclosing function when `expr` yields a non-ok Status.
#define STRIX_RETURN_IF_ERROR(expr)                \
  do {                                             \
    ::strix::Status strix_status_ = (expr);        \
    if (!strix_status_.ok()) return strix_status_; \
  } while (0)
