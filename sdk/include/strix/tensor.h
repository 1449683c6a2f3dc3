// strix/tensor.h — element types, shapes and non-owning tensor views.
//
//   strix::Shape s{1, 3, 224, 224};
//   size_t bytes = s.num_elements() * strix::dtype_size(strix::DType::kF32);
//   strix::TensorView in = context.input(0);   // points into the Context's arena
//   std::memcpy(in.data, pixels, in.byte_size());
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace strix {

// Values equal those of strix.fb.DType in the schema (append-only).
enum class DType : int8_t { kF32 = 0, kF16 = 1, kI8 = 2, kU8 = 3, kI32 = 4 };

// Bytes per element; 0 for an unknown value.
size_t dtype_size(DType dtype);
// "f32", "f16", "i8", "u8", "i32"; "?" for an unknown value.
const char* dtype_name(DType dtype);

// Up to kMaxRank dimensions, stored inline so that shapes never allocate.
class Shape {
 public:
  static constexpr int kMaxRank = 8;

  Shape() = default;
  Shape(std::initializer_list<int64_t> dims);
  explicit Shape(const std::vector<int64_t>& dims);

  int rank() const { return rank_; }
  int64_t operator[](int i) const { return dims_[i]; }
  int64_t& operator[](int i) { return dims_[i]; }
  const int64_t* begin() const { return dims_; }
  const int64_t* end() const { return dims_ + rank_; }
  // Precondition: rank() < kMaxRank.
  void push_back(int64_t d) { dims_[rank_++] = d; }
  void resize(int rank, int64_t fill = 1);

  // Product of the dimensions (1 for rank 0). Negative (dynamic) dimensions count as 0.
  int64_t num_elements() const;
  bool operator==(const Shape& other) const;
  bool operator!=(const Shape& other) const { return !(*this == other); }
  std::vector<int64_t> to_vector() const { return std::vector<int64_t>(begin(), end()); }
  // "[1x3x224x224]"; "[]" for a scalar.
  std::string to_string() const;

 private:
  int64_t dims_[kMaxRank] = {};
  int rank_ = 0;
};

// Affine quantization: real = scale * (q - zero_point). Per-tensor when scales has one
// entry, else per-channel along `axis`.
struct Quantization {
  std::vector<float> scales;
  std::vector<int64_t> zero_points;
  int axis = 0;
  bool empty() const { return scales.empty(); }
};

// Static description of a graph tensor as the Engine compiled it.
struct TensorInfo {
  std::string name;
  DType dtype = DType::kF32;
  Shape shape;
  Quantization quantization;
  size_t byte_size() const { return static_cast<size_t>(shape.num_elements()) * dtype_size(dtype); }
};

// A non-owning view of tensor memory. The pointer's lifetime is that of its owner
// (a Context's arena, a Model's mmap, or the caller's buffer).
struct TensorView {
  void* data = nullptr;
  DType dtype = DType::kF32;
  Shape shape;
  size_t byte_size() const { return static_cast<size_t>(shape.num_elements()) * dtype_size(dtype); }
  template <typename T>
  T* as() const {
    return static_cast<T*>(data);
  }
};

// IEEE half <-> float, round to nearest even. Shared by every CPU path.
uint16_t float_to_half(float value);
float half_to_float(uint16_t value);

}  // namespace strix
