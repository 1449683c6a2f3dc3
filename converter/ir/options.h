// converter/ir/options.h — per-op options of the converter IR, one plain struct per options
// table of sdk/schema/strix.fbs (same field names and defaults), held in a std::variant.
//
// Layouts and units are those of the schema: NCHW, pads [top, left, bottom, right], ONNX pad
// order for Pad, axes as in ONNX. The writer (converter/ir/export.h) turns them into tables.
#pragma once

#include <array>
#include <cstdint>
#include <variant>
#include <vector>

#include "strix_generated.h"

namespace strix::ir {

struct Activation {
  fb::ActivationKind kind = fb::ActivationKind::None;
  float alpha = 0, beta = 0;
};

struct Conv2DOptions {
  std::array<int, 2> kernel{};  // [kH, kW]
  std::array<int, 2> strides{1, 1};
  std::array<int, 2> dilations{1, 1};
  std::array<int, 4> pads{};  // [top, left, bottom, right]
  fb::PaddingMode padding = fb::PaddingMode::Explicit;
  int group = 1;
  Activation activation;
};

struct ConvTranspose2DOptions {
  std::array<int, 2> kernel{};
  std::array<int, 2> strides{1, 1};
  std::array<int, 2> dilations{1, 1};
  std::array<int, 4> pads{};
  std::array<int, 2> output_padding{};
  int group = 1;
  Activation activation;
};

struct FullyConnectedOptions {
  float alpha = 1, beta = 1;
  bool trans_a = false, trans_b = false;
  Activation activation;
};

struct MatMulOptions {
  Activation activation;
};

struct Pool2DOptions {
  std::array<int, 2> kernel{};
  std::array<int, 2> strides{1, 1};
  std::array<int, 2> dilations{1, 1};
  std::array<int, 4> pads{};
  fb::PaddingMode padding = fb::PaddingMode::Explicit;
  bool ceil_mode = false;
  bool count_include_pad = false;
};

// Relu, Clip (alpha = min, beta = max), LeakyRelu, Elu, HardSigmoid, ...
struct UnaryOptions {
  float alpha = 0, beta = 0;
};

struct GeluOptions {
  bool tanh_approximation = false;
};

struct PowerOptions {
  float shift = 0, scale = 1, power = 1;
};

struct BinaryOptions {
  Activation activation;
};

struct BatchNormOptions {
  float epsilon = 1e-5f;
};

struct LayerNormOptions {
  int axis = -1;
  float epsilon = 1e-5f;
};

struct NormOptions {
  float epsilon = 1e-5f;
  int num_groups = 1;
};

struct LRNOptions {
  int size = 1;
  float alpha = 1e-4f, beta = 0.75f, bias = 1.f;
};

struct SoftmaxOptions {
  int axis = -1;
};

struct ConcatOptions {
  int axis = 0;
};

struct SplitOptions {
  int axis = 0;
  std::vector<int64_t> sizes;  // empty: equal parts
};

struct SliceOptions {
  std::vector<int64_t> starts, ends, axes, steps;
};

struct GatherOptions {
  int axis = 0;
};

struct ReshapeOptions {
  std::vector<int64_t> shape;  // 0 copies the input dim, -1 is inferred
};

struct FlattenOptions {
  int axis = 1;
};

struct TransposeOptions {
  std::vector<int> perm;
};

// Squeeze / Unsqueeze.
struct AxesOptions {
  std::vector<int> axes;
};

struct PadOptions {
  std::vector<int64_t> pads;  // ONNX order: all begins, then all ends
  fb::PadMode mode = fb::PadMode::Constant;
  float value = 0;
};

struct ResizeOptions {
  fb::ResizeMode mode = fb::ResizeMode::Nearest;
  fb::CoordinateMode coordinate_mode = fb::CoordinateMode::HalfPixel;
  fb::NearestMode nearest_mode = fb::NearestMode::RoundPreferFloor;
  std::vector<float> scales;   // [sH, sW], or empty when sizes is given
  std::vector<int64_t> sizes;  // [outH, outW]
};

struct ReduceOptions {
  std::vector<int> axes;  // empty: all
  bool keep_dims = true;
};

struct CastOptions {
  fb::DType to = fb::DType::F32;
};

// std::monostate: the op has no options (GlobalAveragePool, PRelu, ...).
using Options =
    std::variant<std::monostate, Conv2DOptions, ConvTranspose2DOptions, FullyConnectedOptions,
                 MatMulOptions, Pool2DOptions, UnaryOptions, GeluOptions, PowerOptions,
                 BinaryOptions, BatchNormOptions, LayerNormOptions, NormOptions, LRNOptions,
                 SoftmaxOptions, ConcatOptions, SplitOptions, SliceOptions, GatherOptions,
                 ReshapeOptions, FlattenOptions, TransposeOptions, AxesOptions, PadOptions,
                 ResizeOptions, ReduceOptions, CastOptions>;

}  // namespace strix::ir
