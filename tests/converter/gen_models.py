#!/usr/bin/python3
"""Writes the converter's importer test cases: small ONNX models built with onnx.helper,
their random inputs (.npy) and a manifest.json the runner (run_cases.py) reads.

Usage: gen_models.py OUT_DIR

Each case is one ONNX model exercising one importer (or one folding pattern) at odd sizes.
Error cases (truncated file, text file, unsupported ops) carry the substrings their error
message must contain. Deterministic: a fixed seed per case.
"""
import json
import os
import sys
import zlib

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

F = TensorProto.FLOAT
I32 = TensorProto.INT32
I64 = TensorProto.INT64


class Suite:
    def __init__(self, out):
        self.out = out
        self.cases = []
        os.makedirs(out, exist_ok=True)

    def rng(self, name):
        return np.random.default_rng(zlib.crc32(name.encode()))

    def add(self, name, nodes, inputs, outputs, inits=(), opset=13, batch=None, tol=None,
            fp16=True, input_data=None, value_range=(-2.0, 2.0), int32_inputs=()):
        """inputs: [(name, dims)] of f32 graph inputs ('N' in dims = dynamic batch).
        batch: the batch the runner uses for a dynamic model (strix run --batch).
        int32_inputs: names of inputs that are int32 instead (random integers in value_range)."""
        rng = self.rng(name)
        g_inputs = [helper.make_tensor_value_info(n, I32 if n in int32_inputs else F, d)
                    for n, d in inputs]
        # outputs: names, (name, dims) or (name, dims, elem_type).
        g_outputs = [helper.make_tensor_value_info(o[0], o[2] if len(o) > 2 else F, o[1])
                     if isinstance(o, tuple) else helper.make_tensor_value_info(o, F, None)
                     for o in outputs]
        inits = [numpy_helper.from_array(np.asarray(v), k) for k, v in inits]
        graph = helper.make_graph(nodes, name, g_inputs, g_outputs, initializer=inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                                  producer_name="strix-tests")
        model.ir_version = 7 if opset < 15 else 8
        model = with_output_shapes(model)
        onnx.checker.check_model(model)
        path = os.path.join(self.out, name + ".onnx")
        onnx.save(model, path)
        feeds = {}
        for n, d in inputs:
            dims = [batch if x == "N" else x for x in d]
            if input_data and n in input_data:
                arr = np.asarray(input_data[n], dtype=np.float32)
            elif n in int32_inputs:
                arr = rng.integers(int(value_range[0]), int(value_range[1]) + 1,
                                   size=dims).astype(np.int32)
            else:
                arr = rng.uniform(*value_range, size=dims).astype(np.float32)
            p = os.path.join(self.out, f"{name}.{n}.npy")
            np.save(p, arr)
            feeds[n] = p
        self.cases.append({"name": name, "onnx": path, "inputs": feeds, "batch": batch,
                           "tol": tol, "fp16": fp16, "expect": "ok"})

    def add_error(self, name, path, substrings, count=None):
        self.cases.append({"name": name, "onnx": path, "expect": "error",
                           "substrings": substrings, "count": count})

    def write(self):
        with open(os.path.join(self.out, "manifest.json"), "w") as f:
            json.dump({"cases": self.cases}, f, indent=1)


def with_output_shapes(model):
    """Graph outputs get the shapes ONNX infers (the checker wants a shape on each)."""
    inferred = onnx.shape_inference.infer_shapes(model)
    for out in model.graph.output:
        for v in inferred.graph.output:
            if v.name == out.name and v.type.tensor_type.HasField("shape"):
                out.type.CopyFrom(v.type)
        if not out.type.tensor_type.HasField("shape"):
            raise ValueError(f"{model.graph.name}: give output '{out.name}' its dims explicitly")
    return model


def w(rng, *shape, scale=0.5):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def n(op, inputs, outputs, **attrs):
    return helper.make_node(op, inputs, outputs, name=f"{op}_{outputs[0]}", **attrs)


def const(name, value):
    return helper.make_node("Constant", [], [name], name=f"Constant_{name}",
                            value=numpy_helper.from_array(np.asarray(value), name))


def conv_cases(s):
    r = s.rng("conv")
    s.add("conv_bias_pads", [n("Conv", ["x", "w", "b"], ["y"], pads=[1, 2, 0, 1])],
          [("x", [1, 3, 13, 11])], ["y"], [("w", w(r, 5, 3, 3, 3)), ("b", w(r, 5))])
    s.add("conv_group_stride_dilation",
          [n("Conv", ["x", "w"], ["y"], group=2, strides=[2, 1], dilations=[2, 1],
             kernel_shape=[3, 3])],
          [("x", ["N", 4, 15, 9])], ["y"], [("w", w(r, 6, 2, 3, 3))], batch=2)
    s.add("conv_same_upper", [n("Conv", ["x", "w"], ["y"], auto_pad="SAME_UPPER", strides=[2, 2])],
          [("x", [1, 2, 9, 8])], ["y"], [("w", w(r, 3, 2, 4, 3))])
    s.add("conv_depthwise_valid", [n("Conv", ["x", "w", "b"], ["y"], group=3, auto_pad="VALID")],
          [("x", [1, 3, 7, 7])], ["y"], [("w", w(r, 3, 1, 3, 3)), ("b", w(r, 3))], opset=11)
    s.add("conv_transpose", [n("ConvTranspose", ["x", "w", "b"], ["y"], strides=[2, 2],
                               pads=[1, 1, 1, 1], output_padding=[1, 0])],
          [("x", ["N", 4, 5, 6])], ["y"], [("w", w(r, 4, 3, 3, 3)), ("b", w(r, 3))], batch=2)
    s.add("conv_transpose_output_shape",
          [n("ConvTranspose", ["x", "w"], ["y"], strides=[2, 2], output_shape=[10, 12])],
          [("x", [1, 2, 5, 6])], ["y"], [("w", w(r, 2, 4, 2, 2))])
    # output_shape one row and one column larger than the natural 13x9 output: the importer
    # maps it to output_padding [1, 1] (< strides [3, 2]), as ONNX Runtime computes it.
    s.add("conv_transpose_output_shape_padded",
          [n("ConvTranspose", ["x", "w", "b"], ["y"], strides=[3, 2], output_shape=[14, 10])],
          [("x", [1, 2, 4, 4])], ["y"], [("w", w(r, 2, 3, 4, 3)), ("b", w(r, 3))])
    s.add("conv_transpose_group", [n("ConvTranspose", ["x", "w"], ["y"], group=2, strides=[1, 2])],
          [("x", [1, 4, 5, 5])], ["y"], [("w", w(r, 4, 1, 3, 3))], opset=11)


def dense_cases(s):
    r = s.rng("dense")
    s.add("gemm_transb_alpha_beta",
          [n("Gemm", ["x", "w", "c"], ["y"], transB=1, alpha=0.5, beta=2.0)],
          [("x", ["N", 13])], ["y"], [("w", w(r, 7, 13)), ("c", w(r, 7))], batch=3)
    s.add("gemm_plain", [n("Gemm", ["x", "w"], ["y"])], [("x", [5, 6])], ["y"], [("w", w(r, 6, 4))],
          opset=11)
    s.add("matmul_batched", [n("MatMul", ["x", "w"], ["y"])], [("x", [2, 3, 4, 5])], ["y"],
          [("w", w(r, 5, 6))])
    s.add("matmul_two_inputs", [n("MatMul", ["a", "b"], ["y"])], [("a", [3, 4, 5]), ("b", [5, 2])],
          ["y"])


def pool_cases(s):
    s.add("maxpool_ceil", [n("MaxPool", ["x"], ["y"], kernel_shape=[3, 3], strides=[2, 2],
                             ceil_mode=1)], [("x", ["N", 3, 10, 9])], ["y"], batch=2)
    s.add("maxpool_pads_dilation", [n("MaxPool", ["x"], ["y"], kernel_shape=[2, 3], pads=[1, 1, 0, 1],
                                      dilations=[2, 1])], [("x", [1, 2, 9, 8])], ["y"], opset=12)
    s.add("avgpool_count_include_pad", [n("AveragePool", ["x"], ["y"], kernel_shape=[3, 3],
                                          pads=[1, 1, 1, 1], count_include_pad=1)],
          [("x", [1, 2, 7, 6])], ["y"])
    s.add("avgpool_exclude_pad_ceil", [n("AveragePool", ["x"], ["y"], kernel_shape=[3, 2],
                                         strides=[2, 2], pads=[1, 0, 1, 0], ceil_mode=1)],
          [("x", [1, 2, 8, 7])], ["y"])
    s.add("avgpool_same_lower", [n("AveragePool", ["x"], ["y"], kernel_shape=[3, 3],
                                   auto_pad="SAME_LOWER", strides=[2, 2])],
          [("x", [1, 1, 6, 7])], ["y"], opset=7)
    s.add("global_pools", [n("GlobalAveragePool", ["x"], ["a"]), n("GlobalMaxPool", ["x"], ["m"]),
                           n("Add", ["a", "m"], ["y"])], [("x", ["N", 5, 7, 3])], ["y"], batch=2)


def activation_cases(s):
    r = s.rng("act")
    for op, attrs, opset in [("Relu", {}, 13), ("LeakyRelu", {"alpha": 0.13}, 13),
                             ("Elu", {"alpha": 0.7}, 13), ("Sigmoid", {}, 13), ("Tanh", {}, 13),
                             ("HardSigmoid", {"alpha": 0.3, "beta": 0.4}, 13),
                             ("HardSwish", {}, 14), ("Softplus", {}, 13),
                             ("Clip", {"min": -0.5, "max": 0.75}, 7), ("Neg", {}, 13),
                             ("Reciprocal", {}, 13)]:
        s.add(f"act_{op.lower()}", [n(op, ["x"], ["y"], **attrs)], [("x", ["N", 3, 5, 7])], ["y"],
              opset=opset, batch=2)
    s.add("act_sqrt", [n("Sqrt", ["x"], ["y"])], [("x", [1, 3, 5, 7])], ["y"], value_range=(0.1, 3))
    s.add("act_prelu", [n("PRelu", ["x", "slope"], ["y"])], [("x", [1, 4, 5, 3])], ["y"],
          [("slope", w(r, 4, 1, 1))])
    s.add("act_clip_inputs", [const("lo", np.float32(-0.3)), const("hi", np.float32(1.1)),
                              n("Clip", ["x", "lo", "hi"], ["y"])], [("x", [2, 9])], ["y"])
    s.add("act_relu6_min_only", [const("lo", np.float32(0.25)), n("Clip", ["x", "lo"], ["y"])],
          [("x", [2, 9])], ["y"], opset=12)
    s.add("act_silu", [n("Sigmoid", ["x"], ["s"]), n("Mul", ["x", "s"], ["y"])],
          [("x", [1, 3, 4, 4])], ["y"])
    s.add("act_mish", [n("Softplus", ["x"], ["sp"]), n("Tanh", ["sp"], ["t"]),
                       n("Mul", ["x", "t"], ["y"])], [("x", [1, 3, 4, 4])], ["y"])
    # GELU as PyTorch exports it (both orders), folded to one Gelu node.
    s.add("gelu_pattern_a", [const("sq2", np.float32(1.4142135381698608)),
                             const("one", np.float32(1.0)), const("half", np.float32(0.5)),
                             n("Div", ["x", "sq2"], ["d"]), n("Erf", ["d"], ["e"]),
                             n("Add", ["e", "one"], ["a"]), n("Mul", ["x", "a"], ["m"]),
                             n("Mul", ["m", "half"], ["y"])], [("x", [2, 3, 7])], ["y"])
    s.add("gelu_pattern_b", [const("sq2", np.float32(0.7071067811865476)),
                             const("one", np.float32(1.0)), const("half", np.float32(0.5)),
                             n("Mul", ["x", "sq2"], ["d"]), n("Erf", ["d"], ["e"]),
                             n("Add", ["one", "e"], ["a"]), n("Mul", ["x", "half"], ["h"]),
                             n("Mul", ["h", "a"], ["y"])], [("x", [2, 3, 7])], ["y"])


def binary_cases(s):
    r = s.rng("binary")
    for op in ["Add", "Sub", "Mul", "Div", "Max", "Min"]:
        s.add(f"bin_{op.lower()}_broadcast", [n(op, ["a", "b"], ["y"])],
              [("a", [2, 3, 1, 5]), ("b", [4, 1])], ["y"], value_range=(0.5, 2.0))
    s.add("bin_pow_const", [const("p", np.float32(2.0)), n("Pow", ["x", "p"], ["y"])],
          [("x", [3, 5])], ["y"])
    # Pow(float, int32) with the exponent computed at run time: a Cast to f32 goes in front.
    s.add("bin_pow_runtime_int32_exponent", [n("Pow", ["x", "p"], ["y"])],
          [("x", [3, 1, 7]), ("p", [2, 7])], ["y"], opset=15, value_range=(-3, 3),
          int32_inputs=("p",), input_data={"x": np.linspace(0.5, 2.0, 21).reshape(3, 1, 7)})
    s.add("bin_add_const_rhs", [n("Add", ["x", "c"], ["y"])], [("x", [1, 3, 4, 4])], ["y"],
          [("c", w(r, 3, 1, 1))])
    s.add("bin_sum_variadic", [n("Sum", ["a", "b", "c"], ["y"])],
          [("a", [2, 3]), ("b", [2, 3]), ("c", [3])], ["y"])
    s.add("bin_max_variadic", [n("Max", ["a", "b", "c"], ["y"])],
          [("a", [2, 3]), ("b", [2, 3]), ("c", [2, 3])], ["y"])


def norm_cases(s):
    r = s.rng("norm")
    c = 5
    s.add("batchnorm", [n("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"], epsilon=1e-3)],
          [("x", ["N", c, 4, 3])], ["y"],
          [("s", w(r, c)), ("b", w(r, c)), ("m", w(r, c)), ("v", np.abs(w(r, c)) + 0.5)], batch=2)
    s.add("batchnorm_opset7", [n("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"])],
          [("x", [1, c, 4, 3])], ["y"],
          [("s", w(r, c)), ("b", w(r, c)), ("m", w(r, c)), ("v", np.abs(w(r, c)) + 0.5)], opset=7)
    s.add("instancenorm", [n("InstanceNormalization", ["x", "s", "b"], ["y"], epsilon=1e-4)],
          [("x", [2, c, 6, 7])], ["y"], [("s", w(r, c)), ("b", w(r, c))])
    s.add("layernorm_last", [n("LayerNormalization", ["x", "s", "b"], ["y"], epsilon=1e-5)],
          [("x", ["N", 7, 13])], ["y"], [("s", w(r, 13)), ("b", w(r, 13))], opset=17, batch=2)
    s.add("layernorm_axis", [n("LayerNormalization", ["x", "s"], ["y"], axis=-2)],
          [("x", [2, 3, 5, 6])], ["y"], [("s", w(r, 5, 6))], opset=17)
    s.add("lrn", [n("LRN", ["x"], ["y"], size=3, alpha=1e-3, beta=0.6, bias=1.5)],
          [("x", [1, 7, 4, 5])], ["y"])
    s.add("softmax13", [n("Softmax", ["x"], ["y"], axis=1)], [("x", ["N", 5, 3])], ["y"], batch=2)
    s.add("softmax11_flatten", [n("Softmax", ["x"], ["y"], axis=1)], [("x", ["N", 3, 2, 4])], ["y"],
          opset=11, batch=2)
    s.add("softmax11_last", [n("Softmax", ["x"], ["y"])], [("x", [3, 10])], ["y"], opset=11)
    s.add("logsoftmax13", [n("LogSoftmax", ["x"], ["y"], axis=-1)], [("x", [2, 3, 11])], ["y"])


def tensor_cases(s):
    r = s.rng("tensor")
    s.add("concat_const", [n("Concat", ["x", "c"], ["y"], axis=1)], [("x", [1, 2, 3])], ["y"],
          [("c", w(r, 1, 4, 3))])
    s.add("split13_sizes", [const("sz", np.array([1, 3, 2], np.int64)),
                            n("Split", ["x", "sz"], ["a", "b", "c"], axis=1),
                            n("Mul", ["a", "a"], ["a2"]), n("Concat", ["c", "a2", "b"], ["y"], axis=1)],
          [("x", [2, 6, 3])], ["y"])
    s.add("split11_equal", [n("Split", ["x"], ["a", "b"], axis=-1), n("Sub", ["a", "b"], ["y"])],
          [("x", [3, 8])], ["y"], opset=11)
    s.add("slice13_steps", [const("st", np.array([1, -1], np.int64)),
                            const("en", np.array([9223372036854775807, -8], np.int64)),
                            const("ax", np.array([1, 2], np.int64)),
                            const("sp", np.array([2, -2], np.int64)),
                            n("Slice", ["x", "st", "en", "ax", "sp"], ["y"])],
          [("x", ["N", 5, 9])], ["y"], batch=2)
    s.add("slice9_attrs", [n("Slice", ["x"], ["y"], starts=[1, 0], ends=[3, 100], axes=[0, 2])],
          [("x", [4, 3, 5])], ["y"], opset=9)
    s.add("gather_const_indices", [const("i", np.array([[2, 0], [-1, 1]], np.int64)),
                                   n("Gather", ["x", "i"], ["y"], axis=1)],
          [("x", [2, 4, 3])], ["y"])
    s.add("gather_scalar", [const("i", np.array(1, np.int64)), n("Gather", ["x", "i"], ["y"], axis=2)],
          [("x", ["N", 3, 4])], ["y"], batch=2)
    # x.view(x.size(0), -1) as PyTorch exports it: folded to one Reshape [-1, 60].
    s.add("reshape_shape_subgraph",
          [n("Shape", ["x"], ["s"]), const("zero", np.array(0, np.int64)),
           n("Gather", ["s", "zero"], ["b"], axis=0), const("ax0", np.array([0], np.int64)),
           n("Unsqueeze", ["b", "ax0"], ["bu"]), const("m1", np.array([-1], np.int64)),
           n("Concat", ["bu", "m1"], ["shape"], axis=0), n("Reshape", ["x", "shape"], ["y"])],
          [("x", ["N", 3, 4, 5])], [("y", ["N", 60])], batch=3)
    s.add("reshape_static", [const("sh", np.array([0, -1, 2], np.int64)),
                             n("Reshape", ["x", "sh"], ["y"])], [("x", [2, 3, 4])], ["y"])
    s.add("flatten_axis2", [n("Flatten", ["x"], ["y"], axis=2)], [("x", ["N", 3, 4, 2])], ["y"],
          batch=2)
    s.add("transpose", [n("Transpose", ["x"], ["y"], perm=[0, 2, 3, 1])], [("x", ["N", 3, 4, 5])],
          ["y"], batch=2)
    s.add("squeeze_unsqueeze13", [const("a", np.array([1], np.int64)), const("b", np.array([0, 3], np.int64)),
                                  n("Squeeze", ["x", "a"], ["s"]), n("Unsqueeze", ["s", "b"], ["y"])],
          [("x", [2, 1, 5])], ["y"])
    s.add("squeeze_unsqueeze11", [n("Squeeze", ["x"], ["s"], axes=[1, 3]), n("Unsqueeze", ["s"], ["y"], axes=[-1])],
          [("x", [2, 1, 5, 1])], ["y"], opset=11)
    s.add("pad11_reflect", [const("p", np.array([0, 0, 1, 2, 0, 0, 2, 1], np.int64)),
                            n("Pad", ["x", "p"], ["y"], mode="reflect")], [("x", [1, 2, 5, 4])], ["y"])
    s.add("pad11_constant", [const("p", np.array([0, 1, 1, 0, 0, 0, 2, 3], np.int64)),
                             const("v", np.float32(0.5)), n("Pad", ["x", "p", "v"], ["y"])],
          [("x", [1, 2, 3, 4])], ["y"])
    s.add("pad7_edge", [n("Pad", ["x"], ["y"], mode="edge", pads=[0, 0, 2, 1, 0, 0, 1, 2])],
          [("x", [1, 2, 3, 4])], ["y"], opset=7)
    s.add("expand", [const("sh", np.array([2, 3, 4], np.int64)), n("Expand", ["x", "sh"], ["y"])],
          [("x", [3, 1])], ["y"])
    s.add("cast_roundtrip", [n("Cast", ["x"], ["i"], to=TensorProto.INT32),
                             n("Cast", ["i"], ["y"], to=TensorProto.FLOAT)], [("x", [3, 7])], ["y"],
          value_range=(-20, 20), fp16=False)
    s.add("identity_dropout", [n("Identity", ["x"], ["a"]), n("Dropout", ["a"], ["b"]),
                               n("Relu", ["b"], ["y"])], [("x", [2, 5])], ["y"])
    # Graph outputs that are the same value as the graph input (or as another output) keep
    # their ONNX names: the runner reads each output by name.
    s.add("outputs_aliasing_input",
          [n("Identity", ["x"], ["y"]), n("Dropout", ["x"], ["d"]), n("Sum", ["x"], ["s"]),
           n("ReduceSum", ["x"], ["r"], noop_with_empty_axes=1),
           n("Cast", ["x"], ["c"], to=TensorProto.DOUBLE), n("Relu", ["x"], ["p"]),
           n("Identity", ["p"], ["q"])],
          [("x", ["N", 3, 5])],
          ["y", "d", "s", "r", ("c", ["N", 3, 5], TensorProto.DOUBLE), "p", "q"], batch=2)
    s.add("reduce_mean_keep", [n("ReduceMean", ["x"], ["y"], axes=[2, 3])], [("x", ["N", 3, 4, 5])],
          ["y"], batch=2)
    s.add("reduce_max_nokeep", [n("ReduceMax", ["x"], ["y"], axes=[1], keepdims=0)],
          [("x", [2, 6, 3])], ["y"])
    s.add("reduce_sum13_input", [const("ax", np.array([-1], np.int64)),
                                 n("ReduceSum", ["x", "ax"], ["y"])], [("x", [2, 3, 7])], ["y"])
    # Folded shape computations: ConstantOfShape, Where, Range, Cast, Equal.
    s.add("fold_constantofshape_where",
          [const("sh", np.array([1, 3, 1, 1], np.int64)),
           helper.make_node("ConstantOfShape", ["sh"], ["ones"], name="cos",
                            value=numpy_helper.from_array(np.array([2.0], np.float32))),
           const("c", np.array([True, False, True])), const("other", np.float32(-1.0)),
           n("Reshape", ["c", "sh"], ["c4"]),
           n("Where", ["c4", "ones", "other"], ["scale"]), n("Mul", ["x", "scale"], ["y"])],
          [("x", [1, 3, 2, 2])], ["y"])
    s.add("fold_range_gather",
          [const("start", np.array(4, np.int64)), const("lim", np.array(-1, np.int64)),
           const("d", np.array(-2, np.int64)), n("Range", ["start", "lim", "d"], ["idx"]),
           n("Gather", ["x", "idx"], ["y"], axis=1)], [("x", [2, 5])], ["y"])


def resize_cases(s):
    sc = lambda *v: const("scales", np.array(v, np.float32))
    s.add("resize_nearest_asymmetric_floor",
          [sc(1, 1, 2, 3), n("Resize", ["x", "", "scales"], ["y"], mode="nearest",
                              coordinate_transformation_mode="asymmetric", nearest_mode="floor")],
          [("x", ["N", 2, 3, 4])], ["y"], batch=2)
    s.add("resize_linear_half_pixel",
          [sc(1, 1, 1.5, 2.5), n("Resize", ["x", "", "scales"], ["y"], mode="linear")],
          [("x", [1, 2, 4, 5])], ["y"])
    s.add("resize_linear_align_corners_sizes",
          [const("sizes", np.array([1, 2, 7, 3], np.int64)),
           n("Resize", ["x", "", "", "sizes"], ["y"], mode="linear",
             coordinate_transformation_mode="align_corners")], [("x", [1, 2, 4, 5])], ["y"])
    s.add("resize_pytorch_half_pixel",
          [sc(1, 1, 0.5, 0.75), n("Resize", ["x", "", "scales"], ["y"], mode="linear",
                                  coordinate_transformation_mode="pytorch_half_pixel")],
          [("x", [1, 2, 8, 8])], ["y"])
    s.add("resize11_nearest_round", [const("roi", np.array([], np.float32)), sc(1, 1, 2, 2),
                                     n("Resize", ["x", "roi", "scales"], ["y"], mode="nearest",
                                       coordinate_transformation_mode="half_pixel")],
          [("x", [1, 2, 3, 3])], ["y"], opset=11)
    s.add("resize10", [sc(1, 1, 2, 2), n("Resize", ["x", "scales"], ["y"], mode="nearest")],
          [("x", [1, 2, 3, 4])], ["y"], opset=10)
    s.add("upsample9_linear", [sc(1, 1, 2, 2), n("Upsample", ["x", "scales"], ["y"], mode="linear")],
          [("x", [1, 2, 3, 4])], ["y"], opset=9)
    s.add("upsample7_nearest", [n("Upsample", ["x"], ["y"], mode="nearest", scales=[1.0, 1.0, 2.0, 3.0])],
          [("x", [1, 2, 3, 4])], ["y"], opset=7)


def error_cases(s):
    # A valid model cut in half, a text file, and a model with three unsupported nodes.
    good = os.path.join(s.out, "conv_bias_pads.onnx")
    data = open(good, "rb").read()
    truncated = os.path.join(s.out, "err_truncated.onnx")
    open(truncated, "wb").write(data[: len(data) // 2])
    s.add_error("err_truncated", truncated, ["not a valid ONNX file"])
    text = os.path.join(s.out, "err_text.onnx")
    open(text, "w").write("This is a text file, not an ONNX model.\n" * 20)
    s.add_error("err_text", text, ["err_text.onnx"])
    empty = os.path.join(s.out, "err_empty.onnx")
    open(empty, "wb").close()
    s.add_error("err_empty", empty, ["is empty"])

    nodes = [n("Relu", ["x"], ["r"]), n("Exp", ["r"], ["e"]), n("Erf", ["e"], ["f"]),
             helper.make_node("DynamicQuantizeLinear", ["f"], ["y", "ys", "yz"], name="quant")]
    graph = helper.make_graph(nodes, "unsupported", [helper.make_tensor_value_info("x", F, [1, 4])],
                              [helper.make_tensor_value_info("y", TensorProto.UINT8, [1, 4])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 7
    onnx.checker.check_model(model)
    path = os.path.join(s.out, "err_unsupported.onnx")
    onnx.save(model, path)
    s.add_error("err_unsupported", path,
                ["has 3 unsupported nodes", "node 1 'Exp_e' (Exp, opset 13): no importer",
                 "node 2 'Erf_f' (Erf, opset 13): Erf is imported only as part of the GELU pattern",
                 "node 3 'quant' (DynamicQuantizeLinear, opset 13): dynamic quantization is not "
                 "supported"])

    nodes = [n("Relu", ["x"], ["y"])]
    graph = helper.make_graph(nodes, "dyn", [helper.make_tensor_value_info("x", F, ["N", 3, "H", 4])],
                              [helper.make_tensor_value_info("y", F, None)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 7
    model = with_output_shapes(model)
    path = os.path.join(s.out, "err_dynamic_dim.onnx")
    onnx.save(model, path)
    s.add_error("err_dynamic_dim", path, ["dynamic dim 2 ('H')", "--input-shape x="])

    nodes = [n("Conv", ["x", "w"], ["y"])]
    graph = helper.make_graph(nodes, "conv3d", [helper.make_tensor_value_info("x", F, [1, 2, 3, 4, 5])],
                              [helper.make_tensor_value_info("y", F, None)],
                              initializer=[numpy_helper.from_array(np.ones((1, 2, 1, 1, 1), np.float32), "w")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 7
    model = with_output_shapes(model)
    path = os.path.join(s.out, "err_conv3d.onnx")
    onnx.save(model, path)
    s.add_error("err_conv3d", path, ["node 0 'Conv_y' (Conv, opset 13)", "2-D"])


def small_model(path, nodes, inputs, outputs, inits=(), opset=13):
    """inputs/outputs: [(name, elem_type, dims)]."""
    graph = helper.make_graph(nodes, os.path.basename(path),
                              [helper.make_tensor_value_info(*i) for i in inputs],
                              [helper.make_tensor_value_info(*o) for o in outputs],
                              initializer=[numpy_helper.from_array(np.asarray(v), k)
                                           for k, v in inits])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 7 if opset < 15 else 8
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return path


def runtime_limit_error_cases(s):
    """What the runtime lacks is named by the importer (StatusCode unsupported), not by the
    compile check of the converted model."""
    out = s.out
    # Reshape to a zero-size tensor (allowzero=1): ReshapeOptions reads 0 as "copy the dim".
    path = small_model(os.path.join(out, "err_reshape_zero_size.onnx"),
                       [const("sh", np.array([3, 4, 0], np.int64)),
                        n("Reshape", ["x", "sh"], ["y"], allowzero=1)],
                       [("x", F, [0, 3, 4])], [("y", F, [3, 4, 0])], opset=14)
    s.add_error("err_reshape_zero_size", path,
                ["unsupported", "(Reshape, opset 14)", "[3x4x0]",
                 "zero-size tensors are not supported"])
    path = small_model(os.path.join(out, "err_clip_int8.onnx"), [n("Clip", ["x"], ["y"])],
                       [("x", TensorProto.INT8, [3, 5])], [("y", TensorProto.INT8, [3, 5])])
    s.add_error("err_clip_int8", path,
                ["unsupported", "(Clip, opset 13)",
                 "Clip on i8 input at run time is not supported"])
    path = small_model(os.path.join(out, "err_maxpool_uint8.onnx"),
                       [n("MaxPool", ["x"], ["y"], kernel_shape=[2, 2])],
                       [("x", TensorProto.UINT8, [1, 1, 5, 5])],
                       [("y", TensorProto.UINT8, [1, 1, 4, 4])], opset=12)
    s.add_error("err_maxpool_uint8", path,
                ["unsupported", "(MaxPool, opset 12)",
                 "MaxPool on u8 input at run time is not supported"])
    # output_shape 9x8 is 2 rows larger than the natural 7x7: output_padding 2 >= stride 2.
    path = small_model(os.path.join(out, "err_conv_transpose_output_shape.onnx"),
                       [n("ConvTranspose", ["x", "w"], ["y"], strides=[2, 2],
                          output_shape=[9, 8])],
                       [("x", F, [1, 1, 3, 3])], [("y", F, [1, 1, 9, 8])],
                       [("w", np.ones((1, 1, 3, 3), np.float32))], opset=11)
    s.add_error("err_conv_transpose_output_shape", path,
                ["unsupported", "output_shape needs negative padding (-2) along axis 0"])


def main():
    out = sys.argv[1]
    s = Suite(out)
    conv_cases(s)
    dense_cases(s)
    pool_cases(s)
    activation_cases(s)
    binary_cases(s)
    norm_cases(s)
    tensor_cases(s)
    resize_cases(s)
    error_cases(s)
    runtime_limit_error_cases(s)
    s.write()
    print(f"gen_models.py: {len(s.cases)} cases in {out}")


if __name__ == "__main__":
    main()
