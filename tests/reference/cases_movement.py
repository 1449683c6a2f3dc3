"""Reference cases of the data movement ops (exact), Resize (ONNX formulas, checked
against torch where torch has the mode), Cast, Quantize and Dequantize."""

import math

import numpy as np
import torch.nn.functional as F

from cases_common import EXACT, F16_RTOL, F32_RTOL, Const, In, T, f16, single


# ---- data movement (exact) -------------------------------------------------------------
def gen_movement(g):
    # Concat.
    def concat(name, shapes, axis, dtype=np.float32, const_index=None):
        arrs = [g.rand(s, -100, 100).astype(dtype) if dtype != np.float32 else g.rand(s)
                for s in shapes]
        if np.issubdtype(dtype, np.integer):
            info = np.iinfo(dtype)
            arrs = [g.randint(s, info.min, info.max, dtype) for s in shapes]
        y = np.concatenate(arrs, axis=axis)
        ins = [Const(a) if i == const_index else In(a) for i, a in enumerate(arrs)]
        single(g, "Concat", name, ins, [y], ("ConcatOptions", {"axis": axis}), **EXACT)

    concat("axis1_three", [(2, 3, 13, 17), (2, 5, 13, 17), (2, 1, 13, 17)], 1)
    concat("axism1_const", [(13, 17), (13, 7)], -1, const_index=1)
    concat("axis0", [(1, 13), (2, 13), (13, 13)], 0)
    concat("i32_axis2", [(2, 3, 5), (2, 3, 7)], 2, dtype=np.int32)
    concat("u8_axis1", [(2, 13, 3), (2, 4, 3)], 1, dtype=np.uint8)
    concat("f16_axis1", [(1, 3, 13), (1, 13, 13)], 1, dtype=np.float16)
    concat("single_input", [(2, 13)], 1)

    # Split.
    def split(name, shape, axis, sizes, parts=None, dtype=np.float32):
        x = g.rand(shape).astype(dtype)
        if sizes:
            idx = np.cumsum(sizes)[:-1]
        else:
            idx = parts
        ys = np.split(x, idx, axis=axis)
        single(g, "Split", name, [In(x)], ys,
               ("SplitOptions", {"axis": axis, "sizes": sizes}), **EXACT)

    split("equal3_axis1", (2, 39, 5), 1, [], parts=3)
    split("sizes_1_5_7_last", (2, 13), -1, [1, 5, 7])
    split("sizes_6_7_axis0", (13, 17), 0, [6, 7])
    split("f16_equal2", (2, 13, 6), 2, [], parts=2, dtype=np.float16)

    # Slice (ONNX opset 13 clamping).
    def slice_ref(x, starts, ends, axes, steps):
        axes = list(range(len(starts))) if axes is None else [a % x.ndim for a in axes]
        steps = [1] * len(starts) if steps is None else steps
        index = [slice(None)] * x.ndim
        for st, en, ax, sp in zip(starts, ends, axes, steps):
            dim = x.shape[ax]
            st = st + dim if st < 0 else st
            en = en + dim if en < 0 else en
            if sp > 0:
                st, en = min(max(st, 0), dim), min(max(en, 0), dim)
                idx = list(range(st, en, sp))
            else:
                st, en = min(max(st, 0), dim - 1), min(max(en, -1), dim - 1)
                idx = list(range(st, en, sp))
            index[ax] = idx
        y = x
        for ax, idx in enumerate(index):
            if isinstance(idx, list):
                y = np.take(y, idx, axis=ax)
        return y

    BIG = 2 ** 63 - 1

    def slc(name, shape, starts, ends, axes=None, steps=None, dtype=np.float32):
        x = g.rand(shape).astype(dtype)
        y = slice_ref(x, starts, ends, axes, steps)
        opts = {"starts": starts, "ends": ends}
        if axes is not None:
            opts["axes"] = axes
        if steps is not None:
            opts["steps"] = steps
        single(g, "Slice", name, [In(x)], [y], ("SliceOptions", opts), **EXACT)

    slc("neg_start_big_end_step2", (13, 17, 19), [1, -5], [12, BIG], axes=[0, 2], steps=[2, 1])
    slc("reverse_step_m2", (13, 17, 19), [-1], [-BIG - 1], axes=[1], steps=[-2])
    slc("all_axes_default", (2, 13, 17), [0, 2, 3], [2, 11, -3])
    slc("neg_axis_step3", (2, 13, 127), [5], [127], axes=[-1], steps=[3])
    slc("neg_step_mid", (2, 13, 17), [10, 15], [2, 0], axes=[1, 2], steps=[-3, -1])
    slc("i8_clamped_start", (13, 17), [-100], [100], axes=[1], dtype=np.int8)
    slc("three_axes_neg_axes_steps", (5, 13, 17, 7), [-2, 1, 0], [0, 100, -1],
        axes=[-1, 1, 0], steps=[-1, 4, 2])

    # Gather.
    def gather(name, dshape, idx, axis, idx_input=False, dtype=np.float32):
        x = g.rand(dshape).astype(dtype) if dtype != np.int32 else \
            g.randint(dshape, -1000, 1000, np.int32)
        idx = np.asarray(idx, dtype=np.int32)
        y = np.take(x, idx, axis=axis)
        single(g, "Gather", name, [In(x), In(idx) if idx_input else Const(idx)], [y],
               ("GatherOptions", {"axis": axis}), **EXACT)

    gather("axis0_neg", (13, 17), [0, 12, -1, 5, -13], 0)
    gather("axis1_2d_idx", (2, 13, 17), [[2, 3], [-1, 0], [7, 7]], 1)
    gather("axism1_scalar_idx", (2, 13, 17), np.int32(-2), -1)
    gather("idx_input", (13, 5), [4, 1, 12], 0, idx_input=True)
    gather("i32_data", (3, 127), [126, 0, 64], 1, dtype=np.int32)

    # Reshape / Flatten / Squeeze / Unsqueeze.
    def view(op, name, x, y, opts):
        single(g, op, name, [In(x)], [y], opts, **EXACT)

    x = g.rand((2, 13, 17))
    view("Reshape", "zero_minus1", x, x.reshape(2, 221), ("ReshapeOptions", {"shape": [0, -1]}))
    view("Reshape", "explicit", x, x.reshape(13, 2, 17), ("ReshapeOptions", {"shape": [13, 2, 17]}))
    view("Reshape", "flat", x, x.reshape(-1), ("ReshapeOptions", {"shape": [-1]}))
    xi = g.randint((2, 13, 5), -128, 127, np.int8)
    view("Reshape", "i8_minus1_mid", xi, xi.reshape(2, 13, 5, 1),
         ("ReshapeOptions", {"shape": [2, -1, 5, 1]}))
    x4 = g.rand((2, 3, 5, 7))
    for axis in (1, 0, -1, 3, 4):
        a = axis % 5 if axis >= 0 else axis % 4
        y = x4.reshape(int(np.prod(x4.shape[:a])), -1)
        view("Flatten", f"axis{axis}".replace("-", "m"), x4, y, ("FlattenOptions", {"axis": axis}))
    x = g.rand((1, 13, 1, 17))
    view("Squeeze", "axes0_2", x, x.reshape(13, 17), ("AxesOptions", {"axes": [0, 2]}))
    view("Squeeze", "empty_all", x, x.reshape(13, 17), ("AxesOptions", {"axes": []}))
    view("Squeeze", "neg_axis", x, x.reshape(1, 13, 17), ("AxesOptions", {"axes": [-2]}))
    view("Squeeze", "no_options_all", x, x.reshape(13, 17), None)
    x = g.rand((13, 17))
    view("Unsqueeze", "axes0_3", x, x.reshape(1, 13, 17, 1), ("AxesOptions", {"axes": [0, 3]}))
    view("Unsqueeze", "neg_last", x, x.reshape(13, 17, 1), ("AxesOptions", {"axes": [-1]}))
    view("Unsqueeze", "axes1_2", x, x.reshape(13, 1, 1, 17), ("AxesOptions", {"axes": [1, 2]}))
    x = g.rand((1,))
    view("Squeeze", "rank1_to_scalar", x, x.reshape(()), ("AxesOptions", {"axes": [0]}))
    x = g.rand(())
    view("Unsqueeze", "scalar_to_rank1", x, x.reshape(1), ("AxesOptions", {"axes": [0]}))
    x = g.rand((127,))
    view("Flatten", "rank1_axis0", x, x.reshape(1, 127), ("FlattenOptions", {"axis": 0}))
    view("Flatten", "rank1_axis1", x, x.reshape(127, 1), ("FlattenOptions", {"axis": 1}))

    # Transpose.
    def transpose(name, shape, perm, dtype=np.float32):
        x = g.rand(shape).astype(dtype) if dtype != np.int8 else \
            g.randint(shape, -128, 127, np.int8)
        y = np.transpose(x, perm if perm else None)
        single(g, "Transpose", name, [In(x)], [y], ("TransposeOptions", {"perm": perm}),
               **EXACT)

    transpose("nchw_to_nhwc", (2, 13, 17, 5), [0, 2, 3, 1])
    transpose("empty_reverse", (2, 13, 17), [])
    transpose("2d", (13, 127), [1, 0])
    transpose("i8_perm", (3, 5, 7, 2), [3, 1, 0, 2], dtype=np.int8)
    transpose("identity", (2, 13, 17), [0, 1, 2])
    transpose("f16_rank5", (2, 3, 1, 5, 7), [4, 2, 0, 3, 1], dtype=np.float16)

    # Pad.
    def pad(name, shape, pads, mode="Constant", value=0.0, dtype=np.float32):
        x = g.rand(shape).astype(dtype)
        r = len(shape)
        begin, end = pads[:r], pads[r:]
        # Negative pads crop first.
        sl = tuple(slice(max(0, -b), shape[i] - max(0, -e)) for i, (b, e) in
                   enumerate(zip(begin, end)))
        xc = x[sl]
        pw = [(max(0, b), max(0, e)) for b, e in zip(begin, end)]
        if mode == "Constant":
            y = np.pad(xc, pw, mode="constant", constant_values=value)
        elif mode == "Reflect":
            y = np.pad(xc, pw, mode="reflect")
        else:
            y = np.pad(xc, pw, mode="edge")
        single(g, "Pad", name, [In(x)], [y.astype(dtype)],
               ("PadOptions", {"pads": pads, "mode": mode, "value": value}), **EXACT)

    pad("constant_15", (1, 3, 13, 17), [0, 0, 1, 2, 0, 0, 3, 4], value=1.5)
    pad("reflect", (1, 3, 13, 17), [0, 0, 2, 3, 0, 0, 1, 2], mode="Reflect")
    pad("edge", (2, 3, 13, 17), [0, 0, 3, 1, 0, 0, 0, 5], mode="Edge")
    pad("negative_crop", (1, 3, 13, 17), [0, 0, -1, 2, 0, 0, 1, -3], value=-2.0)
    pad("rank3_channels", (2, 13, 17), [1, 0, 2, 0, 1, 3])
    pad("reflect_rank2", (13, 17), [12, 1, 3, 16], mode="Reflect")
    pad("f16_edge", (1, 2, 13, 17), [0, 0, 1, 1, 0, 0, 2, 2], mode="Edge", dtype=np.float16)


# ---- resize ----------------------------------------------------------------------------

def _resize_coords(out_len, in_len, scale, mode, dtype):
    x = np.arange(out_len, dtype=dtype)
    s = dtype(scale)
    if mode == "HalfPixel":
        return (x + dtype(0.5)) / s - dtype(0.5)
    if mode == "PytorchHalfPixel":
        if out_len > 1:
            return (x + dtype(0.5)) / s - dtype(0.5)
        return np.zeros(out_len, dtype=dtype)
    if mode == "AlignCorners":
        if out_len == 1:
            return np.zeros(out_len, dtype=dtype)
        return x * dtype(in_len - 1) / dtype(out_len - 1)
    if mode == "Asymmetric":
        return x / s
    if mode == "TfHalfPixelForCenters":
        return (x + dtype(0.5)) / s
    raise ValueError(mode)


def _nearest_index(c, nearest, in_len):
    fl = np.floor(c)
    frac = c - fl
    if nearest == "RoundPreferFloor":
        i = np.where(frac > 0.5, fl + 1, fl)
    elif nearest == "RoundPreferCeil":
        i = np.where(frac >= 0.5, fl + 1, fl)
    elif nearest == "Floor":
        i = fl
    else:
        i = np.ceil(c)
    return np.clip(i.astype(np.int64), 0, in_len - 1)


def resize_ref(x, mode, coord, nearest, out_hw, scales_hw):
    """ONNX Resize of the two innermost dims. scales_hw: the scale used in the coordinate
    transform per dim (given scales, or out/in)."""
    xd = np.asarray(x, np.float64)
    per_dim = []
    for d in range(2):
        in_len = x.shape[2 + d]
        c64 = _resize_coords(out_hw[d], in_len, scales_hw[d], coord, np.float64)
        if mode == "Nearest":
            i64 = _nearest_index(c64, nearest, in_len)
            # A kernel computing coordinates in float32 must pick the same pixels; a case
            # where it would not is ambiguous and must not be generated.
            c32 = _resize_coords(out_hw[d], in_len, scales_hw[d], coord, np.float32)
            i32 = _nearest_index(c32.astype(np.float64), nearest, in_len)
            assert np.array_equal(i64, i32), f"ambiguous nearest resize {coord}/{nearest}"
            per_dim.append(i64)
        else:
            fl = np.floor(c64)
            frac = c64 - fl
            i0 = np.clip(fl.astype(np.int64), 0, in_len - 1)
            i1 = np.clip(fl.astype(np.int64) + 1, 0, in_len - 1)
            per_dim.append((i0, i1, frac))
    if mode == "Nearest":
        return xd[:, :, per_dim[0][:, None], per_dim[1][None, :]]
    (h0, h1, fh), (w0, w1, fw) = per_dim
    fh, fw = fh[:, None], fw[None, :]
    top = xd[:, :, h0[:, None], w0[None, :]] * (1 - fw) + xd[:, :, h0[:, None], w1[None, :]] * fw
    bot = xd[:, :, h1[:, None], w0[None, :]] * (1 - fw) + xd[:, :, h1[:, None], w1[None, :]] * fw
    return top * (1 - fh) + bot * fh


def gen_resize(g):
    def case(name, shape, mode, coord, nearest="RoundPreferFloor", sizes=None, scales=None,
             torch_check=None, dtype=np.float32):
        x = g.rand(shape)
        if dtype == np.float16:
            x = f16(x)
        h, w = shape[2], shape[3]
        if sizes is not None:
            out_hw = list(sizes)
            sc = [sizes[0] / h, sizes[1] / w]
        else:
            out_hw = [int(math.floor(h * scales[0])), int(math.floor(w * scales[1]))]
            sc = [float(np.float32(s)) for s in scales]
        y = resize_ref(x, mode, coord, nearest, out_hw, sc)
        if torch_check is not None:
            t = torch_check(T(x), out_hw).numpy()
            assert np.allclose(t, y, rtol=1e-9, atol=1e-9), f"resize torch self-check {name}"
        opts = {"mode": mode, "coordinate_mode": coord, "nearest_mode": nearest}
        if sizes is not None:
            opts["sizes"] = list(sizes)
        else:
            opts["scales"] = list(scales)
        single(g, "Resize", name, [In(x)], [y.astype(dtype)], ("ResizeOptions", opts),
               rtol=F16_RTOL if dtype == np.float16 else F32_RTOL)

    case("nearest_asym_floor_x2", (1, 3, 13, 17), "Nearest", "Asymmetric", "Floor",
         scales=[2.0, 2.0], torch_check=lambda t, o: F.interpolate(t, size=o, mode="nearest"))
    case("nearest_halfpixel_prefer_floor_down", (2, 3, 13, 17), "Nearest", "HalfPixel",
         "RoundPreferFloor", scales=[0.5, 0.5])
    case("nearest_halfpixel_prefer_ceil_down", (2, 3, 13, 17), "Nearest", "HalfPixel",
         "RoundPreferCeil", scales=[0.5, 0.5])
    case("nearest_halfpixel_ceil_sizes", (1, 3, 13, 17), "Nearest", "HalfPixel",
         "RoundPreferCeil", sizes=[31, 29],
         torch_check=lambda t, o: F.interpolate(t, size=o, mode="nearest-exact"))
    case("nearest_aligncorners_ceil", (1, 2, 13, 17), "Nearest", "AlignCorners", "Ceil",
         sizes=[31, 29])
    case("nearest_tfhalf_floor", (1, 2, 13, 17), "Nearest", "TfHalfPixelForCenters", "Floor",
         sizes=[27, 35])
    case("nearest_asym_prefer_ceil_x2", (1, 2, 13, 17), "Nearest", "Asymmetric",
         "RoundPreferCeil", scales=[2.0, 3.0])
    case("linear_halfpixel_up", (1, 3, 13, 17), "Linear", "HalfPixel", sizes=[31, 29],
         torch_check=lambda t, o: F.interpolate(t, size=o, mode="bilinear",
                                                align_corners=False))
    case("linear_aligncorners", (2, 3, 13, 17), "Linear", "AlignCorners", sizes=[27, 33],
         torch_check=lambda t, o: F.interpolate(t, size=o, mode="bilinear", align_corners=True))
    case("linear_asym_scales23", (1, 2, 13, 17), "Linear", "Asymmetric", scales=[2.0, 3.0])
    case("linear_pytorch_halfpixel_len1", (1, 2, 13, 17), "Linear", "PytorchHalfPixel",
         sizes=[1, 5])
    case("linear_halfpixel_down", (1, 3, 31, 29), "Linear", "HalfPixel", sizes=[7, 9],
         torch_check=lambda t, o: F.interpolate(t, size=o, mode="bilinear",
                                                align_corners=False))
    case("linear_halfpixel_scales15", (1, 2, 13, 17), "Linear", "HalfPixel", scales=[1.5, 1.5])
    case("linear_tfhalf", (1, 2, 13, 17), "Linear", "TfHalfPixelForCenters", sizes=[20, 11])
    case("linear_identity_size", (1, 2, 13, 17), "Linear", "AlignCorners", sizes=[13, 17])
    case("nearest_identity_scale1", (1, 2, 13, 17), "Nearest", "HalfPixel", scales=[1.0, 1.0])
    case("f16_linear", (1, 3, 13, 17), "Linear", "HalfPixel", sizes=[26, 34], dtype=np.float16)


# ---- cast / quantize -------------------------------------------------------------------

def gen_cast(g):
    def sat_trunc(x, dtype):
        info = np.iinfo(dtype)
        t = np.trunc(np.asarray(x, np.float64))
        return np.clip(t, info.min, info.max).astype(dtype)

    def case(name, x, to, y):
        code = {np.float32: "F32", np.float16: "F16", np.int8: "I8", np.uint8: "U8",
                np.int32: "I32"}[to]
        single(g, "Cast", name, [In(x)], [y], ("CastOptions", {"to": code}), **EXACT)

    x = g.rand((2, 13, 17), -1000, 1000)
    case("f32_to_i32_trunc", x, np.int32, sat_trunc(x, np.int32))
    x = g.rand((13, 17), -300, 300)
    case("f32_to_i8_saturate", x, np.int8, sat_trunc(x, np.int8))
    x = g.rand((13, 17), -100, 400)
    case("f32_to_u8_saturate", x, np.uint8, sat_trunc(x, np.uint8))
    x = g.rand((2, 13, 17), -100, 100)
    case("f32_to_f16", x, np.float16, x.astype(np.float16))
    x = f16(g.rand((2, 13, 17), -100, 100))
    case("f16_to_f32", x, np.float32, x.astype(np.float32))
    x = g.randint((127,), -2 ** 24, 2 ** 24, np.int32)
    case("i32_to_f32", x, np.float32, x.astype(np.float32))
    x = g.randint((2, 13), -128, 127, np.int8)
    case("i8_to_i32", x, np.int32, x.astype(np.int32))
    x = g.randint((2, 13), 0, 255, np.uint8)
    case("u8_to_f32", x, np.float32, x.astype(np.float32))
    x = g.randint((13, 17), -100, 100, np.int32)
    case("i32_to_i8_inrange", x, np.int8, x.astype(np.int8))
    x = g.rand((13,), -10, 10)
    case("f32_to_f32", x, np.float32, x.copy())
    x = f16(g.rand((13, 17), -300, 300))
    case("f16_to_i8_saturate", x, np.int8, sat_trunc(x, np.int8))
    case("f16_to_i32", x, np.int32, sat_trunc(x, np.int32))


def gen_quantize(g):
    def quantize(x, scale, zp, qmin, qmax, axis=None):
        x = np.asarray(x, np.float32)
        if axis is None:
            s = np.float32(scale)
            z = np.float32(zp)
        else:
            shape = [1] * x.ndim
            shape[axis] = -1
            s = np.asarray(scale, np.float32).reshape(shape)
            z = np.asarray(zp, np.float32).reshape(shape)
        q = np.rint(x / s).astype(np.float32) + z  # float32, round half to even
        return np.clip(q, qmin, qmax)

    def qcase(name, x, scale, zp, dtype, axis=None):
        info = np.iinfo(dtype)
        y = quantize(x, scale, zp, info.min, info.max, axis).astype(dtype)
        quant = {"scale": scale, "zero_point": zp, "axis": axis or 0}
        single(g, "Quantize", name, [In(x)], [y], out_quant=quant, **EXACT)

    x = g.rand((2, 13, 17), -4, 4)
    qcase("i8_per_tensor_saturate", x, 0.02, -5, np.int8)
    ties = (g.randint((13, 17), -600, 600, np.int32).astype(np.float32) * np.float32(0.25))
    qcase("i8_ties_half_even", ties, 0.5, 3, np.int8)
    x = g.rand((2, 5, 7, 3), -1, 1)
    qcase("i8_per_axis1", x, [0.01, 0.02, 0.005, 0.03, 0.008], [0, 1, -2, 5, -7], np.int8, axis=1)
    x = g.rand((13, 17), -2, 2)
    qcase("u8_zp128", x, 0.015, 128, np.uint8)

    def dcase(name, q, scale, zp, axis=None):
        if axis is None:
            y = np.float32(scale) * (q.astype(np.float32) - np.float32(zp))
        else:
            shape = [1] * q.ndim
            shape[axis] = -1
            y = np.asarray(scale, np.float32).reshape(shape) * (
                q.astype(np.float32) - np.asarray(zp, np.float32).reshape(shape))
        quant = {"scale": scale, "zero_point": zp, "axis": axis or 0}
        single(g, "Dequantize", name, [In(q, quant)], [y.astype(np.float32)], rtol=1e-6,
               atol=1e-6 * float(np.max(np.abs(y))))

    dcase("i8_per_tensor", g.randint((2, 13, 17), -128, 127, np.int8), 0.037, -3)
    dcase("u8_per_tensor", g.randint((13, 17), 0, 255, np.uint8), 0.01, 128)
    dcase("i32_bias_like", g.randint((127,), -100000, 100000, np.int32), 1e-4, 0)
    dcase("i8_per_axis1", g.randint((2, 5, 7), -128, 127, np.int8),
          [0.01, 0.02, 0.005, 0.03, 0.008], [0, 1, -2, 5, -7], axis=1)
