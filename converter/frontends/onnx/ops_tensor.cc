// Importers: data movement (Concat, Split, Slice, Gather, Reshape, Flatten, Transpose,
// Squeeze, Unsqueeze, Pad, Expand), Resize/Upsample and the reductions.
#include <cmath>
#include <limits>

#include "converter/frontends/onnx/ops_util.h"

namespace strix::onnx_frontend {
namespace {

using O = fb::OpType;

std::vector<int> to_int(const std::vector<int64_t>& v) {
  return std::vector<int>(v.begin(), v.end());
}

// Axes from the "axes" attribute (before `input_from_opset`) or from input `input`.
Result<std::vector<int64_t>> read_axes(const NodeContext& ctx, int input, int input_from_opset) {
  if (ctx.opset < input_from_opset) return ctx.attr_ints("axes");
  if (!ctx.has_input(input)) return std::vector<int64_t>();
  return ctx.ints(input, "axes");
}

Status import_concat(NodeContext& ctx) {
  std::vector<int> inputs;
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    STRIX_ASSIGN_OR_RETURN(t, ctx.input(i));
    inputs.push_back(t);
  }
  STRIX_ASSIGN_OR_RETURN(y, ctx.output(0));
  ctx.add(O::Concat, ir::ConcatOptions{static_cast<int>(ctx.attr_int("axis", 0))}, inputs, {y});
  return Status();
}

Status import_split(NodeContext& ctx) {
  ir::SplitOptions o;
  o.axis = static_cast<int>(ctx.attr_int("axis", 0));
  if (ctx.opset < 13) {
    o.sizes = ctx.attr_ints("split");
  } else if (ctx.has_input(1)) {
    STRIX_ASSIGN_OR_RETURN(sizes, ctx.ints(1, "split"));
    o.sizes = sizes;
  }
  STRIX_ASSIGN_OR_RETURN(x, ctx.input(0));
  std::vector<int> outputs;
  for (int i = 0; i < ctx.num_outputs(); ++i) {
    STRIX_ASSIGN_OR_RETURN(t, ctx.output(i));
    outputs.push_back(t);
  }
  ctx.add(O::Split, o, {x}, outputs);
  return Status();
}

Status import_slice(NodeContext& ctx) {
  ir::SliceOptions o;
  if (ctx.opset < 10) {
    o.starts = ctx.attr_ints("starts");
    o.ends = ctx.attr_ints("ends");
    o.axes = ctx.attr_ints("axes");
  } else {
    STRIX_ASSIGN_OR_RETURN(starts, ctx.ints(1, "starts"));
    STRIX_ASSIGN_OR_RETURN(ends, ctx.ints(2, "ends"));
    o.starts = starts;
    o.ends = ends;
    if (ctx.has_input(3)) {
      STRIX_ASSIGN_OR_RETURN(axes, ctx.ints(3, "axes"));
      o.axes = axes;
    }
    if (ctx.has_input(4)) {
      STRIX_ASSIGN_OR_RETURN(steps, ctx.ints(4, "steps"));
      o.steps = steps;
    }
  }
  if (o.axes.empty())
    for (size_t i = 0; i < o.starts.size(); ++i) o.axes.push_back(static_cast<int64_t>(i));
  if (o.steps.empty()) o.steps.assign(o.starts.size(), 1);
  return simple_op(ctx, O::Slice, o, 1);
}

// Gather: constant indices become an i32 constant, range checked against the axis.
Status import_gather(NodeContext& ctx) {
  int axis = static_cast<int>(ctx.attr_int("axis", 0));
  std::vector<int64_t> data_shape = ctx.shape(0);
  int rank = static_cast<int>(data_shape.size());
  int a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank)
    return ctx.error(StatusCode::kCorruptModel, "axis %d is out of range for rank %d", axis, rank);
  STRIX_ASSIGN_OR_RETURN(data, ctx.input(0));
  int indices = -1;
  if (ctx.is_constant(1)) {
    STRIX_ASSIGN_OR_RETURN(c, ctx.constant(1, "indices"));
    int64_t dim = data_shape[a];
    for (int64_t v : c.ints) {
      if (dim >= 0 && (v < -dim || v >= dim))
        return ctx.error(StatusCode::kCorruptModel,
                         "index %lld is out of range for axis %d of size %lld",
                         static_cast<long long>(v), axis, static_cast<long long>(dim));
      if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max())
        return ctx.error(StatusCode::kUnsupported, "index %lld does not fit in int32",
                         static_cast<long long>(v));
    }
    ir::Tensor t =
        ir::Tensor::constant_int(ctx.node.input(1) + "_i32", ir::DType::kI32, c.shape, c.ints);
    indices = ctx.add_constant(std::move(t));
  } else {
    STRIX_ASSIGN_OR_RETURN(t, ctx.input(1));
    indices = t;
  }
  STRIX_ASSIGN_OR_RETURN(y, ctx.output(0));
  ctx.add(O::Gather, ir::GatherOptions{axis}, {data, indices}, {y});
  return Status();
}

// Reshape writes the inferred output shape: static dims as they are, the one dim that depends
// on the batch as -1 (the Engine infers it). The shape input itself may be a folded Shape ->
// Gather -> Concat computation.
Status import_reshape(NodeContext& ctx) {
  const TypeInfo* t0 = ctx.output_type(0, 0);
  if (t0 == nullptr || !t0->has_shape)
    return ctx.error(StatusCode::kUnsupported, "ONNX shape inference gave no output shape");
  std::vector<int64_t> spec = t0->dims;
  for (int64_t d : spec)
    if (d < 0)
      return ctx.error(StatusCode::kUnsupported,
                       "the output shape %s is not known at conversion time",
                       dims_string(spec).c_str());
  // ReshapeOptions.shape reads 0 as "copy the input dim", so a zero-size result (allowzero=1,
  // or a 0 copied from a zero-size input) cannot be written. A non-allowzero 0 in the ONNX
  // shape input is already resolved to the input's dim by shape inference.
  for (int64_t d : spec)
    if (d == 0)
      return ctx.error(StatusCode::kUnsupported,
                       "the output shape %s is zero-size (allowzero=%lld); zero-size tensors are "
                       "not supported by Reshape",
                       dims_string(spec).c_str(),
                       static_cast<long long>(ctx.attr_int("allowzero", 0)));
  std::vector<int64_t> merged = ctx.output_shape(0);
  int dynamic = 0;
  for (size_t d = 0; d < spec.size(); ++d) {
    if (merged[d] < 0) {
      spec[d] = -1;
      ++dynamic;
    }
  }
  if (dynamic > 1)
    return ctx.error(StatusCode::kUnsupported,
                     "the output shape %s depends on the batch in %d dims; fix the batch with "
                     "--input-shape",
                     dims_string(merged).c_str(), dynamic);
  return simple_op(ctx, O::Reshape, ir::ReshapeOptions{spec}, 1);
}

Status import_flatten(NodeContext& ctx) {
  return simple_op(ctx, O::Flatten, ir::FlattenOptions{static_cast<int>(ctx.attr_int("axis", 1))},
                   1);
}

Status import_transpose(NodeContext& ctx) {
  std::vector<int64_t> perm = ctx.attr_ints("perm");
  if (perm.empty())
    for (int64_t d = static_cast<int64_t>(ctx.shape(0).size()); d-- > 0;) perm.push_back(d);
  return simple_op(ctx, O::Transpose, ir::TransposeOptions{to_int(perm)}, 1);
}

Status import_squeeze(NodeContext& ctx) {
  STRIX_ASSIGN_OR_RETURN(axes, read_axes(ctx, 1, 13));
  if (axes.empty()) {
    // Every static dim of size 1; never the dynamic batch.
    std::vector<int64_t> shape = ctx.shape(0);
    for (size_t d = 0; d < shape.size(); ++d)
      if (shape[d] == 1) axes.push_back(static_cast<int64_t>(d));
    if (axes.empty()) {
      STRIX_ASSIGN_OR_RETURN(x, ctx.input(0));
      ctx.alias_output(0, x);
      return Status();
    }
  }
  return simple_op(ctx, O::Squeeze, ir::AxesOptions{to_int(axes)}, 1);
}

Status import_unsqueeze(NodeContext& ctx) {
  STRIX_ASSIGN_OR_RETURN(axes, read_axes(ctx, 1, 13));
  if (axes.empty()) return ctx.error(StatusCode::kCorruptModel, "needs axes");
  return simple_op(ctx, O::Unsqueeze, ir::AxesOptions{to_int(axes)}, 1);
}

Status import_pad(NodeContext& ctx) {
  ir::PadOptions o;
  std::string mode = ctx.attr_string("mode", "constant");
  if (mode == "constant")
    o.mode = fb::PadMode::Constant;
  else if (mode == "reflect")
    o.mode = fb::PadMode::Reflect;
  else if (mode == "edge")
    o.mode = fb::PadMode::Edge;
  else
    return ctx.error(StatusCode::kUnsupported, "mode '%s' is not supported", mode.c_str());
  if (ctx.opset < 11) {
    o.pads = ctx.attr_ints("pads");
    o.value = ctx.attr_float("value", 0.f);
  } else {
    STRIX_ASSIGN_OR_RETURN(pads, ctx.ints(1, "pads"));
    o.pads = pads;
    if (ctx.has_input(2)) {
      STRIX_ASSIGN_OR_RETURN(value, ctx.floats(2, "constant_value"));
      if (value.size() != 1)
        return ctx.error(StatusCode::kCorruptModel, "constant_value must be a scalar");
      o.value = value[0];
    }
  }
  return simple_op(ctx, O::Pad, o, 1);
}

// Expand(x, shape) = x + zeros(shape): the Add broadcasts x to the output shape.
Status import_expand(NodeContext& ctx) {
  std::vector<int64_t> out = ctx.output_shape(0);
  STRIX_ASSIGN_OR_RETURN(x, float_input(ctx, 0));
  STRIX_ASSIGN_OR_RETURN(y, ctx.output(0));
  if (!ir::is_float(ctx.imp.ir().tensors[y].dtype))
    return ctx.error(StatusCode::kUnsupported, "Expand of an integer tensor at run time");
  std::vector<int64_t> zeros_shape = out;
  for (int64_t& d : zeros_shape)
    if (d < 0) d = 1;  // batch-dependent dims come from x
  int64_t n = 1;
  for (int64_t d : zeros_shape) n *= d;
  int zeros = ctx.add_constant(ir::Tensor::constant_f32(ctx.node.output(0) + "_zeros", zeros_shape,
                                                        std::vector<float>(n, 0.f)));
  ctx.add(O::Add, ir::BinaryOptions{}, {x, zeros}, {y});
  return Status();
}

// Resize (opset 10+) and Upsample (7-9) of the two innermost dims of an NCHW tensor.
Status import_resize(NodeContext& ctx) {
  bool upsample = ctx.node.op_type() == "Upsample";
  std::vector<int64_t> in = ctx.shape(0);
  std::vector<int64_t> out = ctx.output_shape(0);
  if (in.size() != 4 || out.size() != 4)
    return ctx.error(StatusCode::kUnsupported, "only 4-D NCHW input is supported, got %s",
                     dims_string(in).c_str());
  ir::ResizeOptions o;
  std::string mode = ctx.attr_string("mode", "nearest");
  if (mode == "nearest")
    o.mode = fb::ResizeMode::Nearest;
  else if (mode == "linear" || mode == "bilinear")
    o.mode = fb::ResizeMode::Linear;
  else
    return ctx.error(StatusCode::kUnsupported, "mode '%s' is not supported", mode.c_str());
  if (upsample || ctx.opset < 11) {
    // ONNX Runtime: asymmetric coordinates; nearest takes floor when enlarging, ceil when
    // shrinking.
    o.coordinate_mode = fb::CoordinateMode::Asymmetric;
  } else {
    std::string coord = ctx.attr_string("coordinate_transformation_mode", "half_pixel");
    if (coord == "half_pixel")
      o.coordinate_mode = fb::CoordinateMode::HalfPixel;
    else if (coord == "pytorch_half_pixel")
      o.coordinate_mode = fb::CoordinateMode::PytorchHalfPixel;
    else if (coord == "align_corners")
      o.coordinate_mode = fb::CoordinateMode::AlignCorners;
    else if (coord == "asymmetric")
      o.coordinate_mode = fb::CoordinateMode::Asymmetric;
    else if (coord == "tf_half_pixel_for_centers")
      o.coordinate_mode = fb::CoordinateMode::TfHalfPixelForCenters;
    else
      return ctx.error(StatusCode::kUnsupported,
                       "coordinate_transformation_mode '%s' is not supported", coord.c_str());
    std::string nearest = ctx.attr_string("nearest_mode", "round_prefer_floor");
    if (nearest == "round_prefer_floor")
      o.nearest_mode = fb::NearestMode::RoundPreferFloor;
    else if (nearest == "round_prefer_ceil")
      o.nearest_mode = fb::NearestMode::RoundPreferCeil;
    else if (nearest == "floor")
      o.nearest_mode = fb::NearestMode::Floor;
    else if (nearest == "ceil")
      o.nearest_mode = fb::NearestMode::Ceil;
    else
      return ctx.error(StatusCode::kUnsupported, "nearest_mode '%s' is not supported",
                       nearest.c_str());
  }
  // Scales: attribute (Upsample 7-8), input 1 (Upsample 9, Resize 10), input 2 (Resize 11+).
  std::vector<float> scales;
  if (upsample && ctx.opset < 9) {
    scales = ctx.attr_floats("scales");
  } else {
    int scales_input = upsample || ctx.opset < 11 ? 1 : 2;
    if (ctx.has_input(scales_input)) {
      STRIX_ASSIGN_OR_RETURN(s, ctx.floats(scales_input, "scales"));
      scales = s;
    }
  }
  bool use_sizes = scales.empty();
  if (use_sizes && !(ctx.opset >= 11 && ctx.has_input(3)))
    return ctx.error(StatusCode::kCorruptModel, "needs scales or sizes");
  if (!use_sizes) {
    if (scales.size() != 4)
      return ctx.error(StatusCode::kCorruptModel, "scales has %zu values for a 4-D input",
                       scales.size());
    if (scales[0] != 1.f || scales[1] != 1.f)
      return ctx.error(StatusCode::kUnsupported,
                       "only H and W may be resized (scales [%g, %g, ...])", scales[0], scales[1]);
    o.scales = {scales[2], scales[3]};
  } else {
    // The output size as inferred (the sizes input may be a folded shape computation).
    if (out[2] < 0 || out[3] < 0 || (in[1] >= 0 && out[1] != in[1]))
      return ctx.error(StatusCode::kUnsupported, "only H and W may be resized (%s to %s)",
                       dims_string(in).c_str(), dims_string(out).c_str());
    o.sizes = {out[2], out[3]};
  }
  if ((upsample || ctx.opset < 11) && o.mode == fb::ResizeMode::Nearest) {
    bool shrink = !o.scales.empty() && (o.scales[0] < 1.f || o.scales[1] < 1.f);
    o.nearest_mode = shrink ? fb::NearestMode::Ceil : fb::NearestMode::Floor;
  }
  return simple_op(ctx, O::Resize, o, 1);
}

Status import_reduce(NodeContext& ctx) {
  const std::string& type = ctx.node.op_type();
  O op = type == "ReduceMean" ? O::ReduceMean : type == "ReduceMax" ? O::ReduceMax : O::ReduceSum;
  STRIX_ASSIGN_OR_RETURN(axes, read_axes(ctx, 1, op == O::ReduceSum ? 13 : 18));
  if (axes.empty() && ctx.attr_int("noop_with_empty_axes", 0) != 0) {
    STRIX_ASSIGN_OR_RETURN(x, ctx.input(0));
    ctx.alias_output(0, x);
    return Status();
  }
  ir::ReduceOptions o;
  o.axes = to_int(axes);
  o.keep_dims = ctx.attr_int("keepdims", 1) != 0;
  return simple_op(ctx, op, o, 1);
}

}  // namespace

void register_tensor_ops(std::map<std::string, OpEntry>& t) {
  t["Concat"] = {import_concat, nullptr};
  t["Split"] = {import_split, nullptr};
  t["Slice"] = {import_slice, nullptr};
  t["Gather"] = {import_gather, nullptr};
  t["Reshape"] = {import_reshape, nullptr};
  t["Flatten"] = {import_flatten, nullptr};
  t["Transpose"] = {import_transpose, nullptr};
  t["Squeeze"] = {import_squeeze, nullptr};
  t["Unsqueeze"] = {import_unsqueeze, nullptr};
  t["Pad"] = {import_pad, nullptr};
  t["Expand"] = {import_expand, nullptr};
  t["Resize"] = {import_resize, nullptr};
  t["Upsample"] = {import_resize, nullptr};
  for (const char* op : {"ReduceMean", "ReduceMax", "ReduceSum"}) t[op] = {import_reduce, nullptr};
}

}  // namespace strix::onnx_frontend
