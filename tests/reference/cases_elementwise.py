"""Reference cases of the unary and binary elementwise ops, PRelu, the normalizations,
Softmax/LogSoftmax and the reductions."""

import math

import numpy as np
import torch
import torch.nn.functional as F

from cases_common import F16_RTOL, F32_RTOL, Const, In, N, T, act_torch, f16, single


# ---- elementwise unary -----------------------------------------------------------------

def gen_unary(g):
    def case(op, name, x, fn, options=None, rtol=F32_RTOL):
        y = fn(T(x))
        single(g, op, name, [In(x)], [N(y, x.dtype)], options,
               rtol=F16_RTOL if x.dtype == np.float16 else rtol)

    U = "UnaryOptions"
    case("Relu", "2x13x17", g.rand((2, 13, 17), -3, 3), F.relu)
    case("Relu", "127", g.rand((127,), -3, 3), F.relu)
    case("Clip", "m05_07", g.rand((2, 13, 17), -2, 2), lambda t: t.clamp(-0.5, 0.7),
         (U, {"alpha": -0.5, "beta": 0.7}))
    case("Clip", "relu6", g.rand((1, 13, 31, 29), -10, 10), lambda t: t.clamp(0, 6),
         (U, {"alpha": 0.0, "beta": 6.0}))
    case("Clip", "neginf_max", g.rand((13, 17), -2, 2), lambda t: t.clamp(max=0.3),
         (U, {"alpha": -math.inf, "beta": 0.3}))
    case("LeakyRelu", "a01", g.rand((2, 13, 17), -3, 3), lambda t: F.leaky_relu(t, 0.1),
         (U, {"alpha": 0.1}))
    case("LeakyRelu", "a033", g.rand((127,), -3, 3), lambda t: F.leaky_relu(t, 0.33),
         (U, {"alpha": 0.33}))
    case("Elu", "a1", g.rand((2, 13, 17), -4, 4), lambda t: F.elu(t, 1.0), (U, {"alpha": 1.0}))
    case("Elu", "a05", g.rand((13, 127), -4, 4), lambda t: F.elu(t, 0.5), (U, {"alpha": 0.5}))
    case("Sigmoid", "2x13x17", g.rand((2, 13, 17), -8, 8), torch.sigmoid)
    case("Sigmoid", "wide", g.rand((127,), -40, 40), torch.sigmoid)
    case("Sigmoid", "f16", f16(g.rand((2, 13, 17), -8, 8)), torch.sigmoid)
    case("Tanh", "2x13x17", g.rand((2, 13, 17), -5, 5), torch.tanh)
    case("Tanh", "1", g.rand((1,), -5, 5), torch.tanh)
    case("HardSigmoid", "onnx_default", g.rand((2, 13, 17), -5, 5),
         lambda t: (0.2 * t + 0.5).clamp(0, 1), (U, {"alpha": 0.2, "beta": 0.5}))
    case("HardSigmoid", "torch_sixth", g.rand((127,), -5, 5), F.hardsigmoid,
         (U, {"alpha": 1.0 / 6.0, "beta": 0.5}))
    case("HardSwish", "2x13x17", g.rand((2, 13, 17), -6, 6), F.hardswish)
    case("HardSwish", "127", g.rand((127,), -4, 4), F.hardswish)
    case("SiLU", "2x13x17", g.rand((2, 13, 17), -8, 8), F.silu)
    case("SiLU", "127", g.rand((1, 127), -8, 8), F.silu)
    case("Gelu", "erf_noopts", g.rand((2, 13, 17), -5, 5), F.gelu)
    case("Gelu", "erf_opts", g.rand((127,), -5, 5), F.gelu,
         ("GeluOptions", {"tanh_approximation": False}))
    case("Gelu", "tanh", g.rand((2, 13, 17), -5, 5), lambda t: F.gelu(t, approximate="tanh"),
         ("GeluOptions", {"tanh_approximation": True}))
    case("Mish", "2x13x17", g.rand((2, 13, 17), -6, 6), F.mish)
    case("Mish", "127", g.rand((127,), -20, 20), F.mish)
    case("Softplus", "2x13x17", g.rand((2, 13, 17), -6, 6), F.softplus)
    case("Softplus", "wide", g.rand((127,), -50, 50), lambda t: torch.log1p(torch.exp(t)))
    P = "PowerOptions"
    case("Power", "shift2_scale05_p25", g.rand((2, 13, 17)), lambda t: (2 + 0.5 * t) ** 2.5,
         (P, {"shift": 2.0, "scale": 0.5, "power": 2.5}))
    case("Power", "cube_negative", g.rand((127,), -2, 2), lambda t: t ** 3, (P, {"power": 3.0}))
    case("Power", "sqrt", g.rand((13, 17), 0, 4), torch.sqrt, (P, {"power": 0.5}))
    case("Power", "recip_shift3", g.rand((13, 17)), lambda t: (3 - t) ** -1,
         (P, {"shift": 3.0, "scale": -1.0, "power": -1.0}))
    case("Power", "defaults_identity", g.rand((2, 13)), lambda t: t, (P, {}))
    case("Power", "power0_ones", g.rand((13,)), lambda t: t ** 0, (P, {"power": 0.0}))
    case("Softplus", "huge_100", g.rand((2, 127), -100, 100), lambda t: torch.log1p(torch.exp(t)))
    case("Mish", "huge_100", g.rand((2, 127), -100, 100), F.mish)
    case("Clip", "min_eq_max", g.rand((13, 17), -1, 1), lambda t: t.clamp(0.25, 0.25),
         (U, {"alpha": 0.25, "beta": 0.25}))
    case("LeakyRelu", "alpha2", g.rand((13, 17), -3, 3), lambda t: F.leaky_relu(t, 2.0),
         (U, {"alpha": 2.0}))


# ---- elementwise binary ----------------------------------------------------------------

def gen_binary(g):
    ops = {
        "Add": torch.add, "Sub": torch.sub, "Mul": torch.mul, "Div": torch.div,
        "Max": torch.maximum, "Min": torch.minimum, "Pow": torch.pow,
    }

    def operands(op, sa, sb):
        if op == "Div":
            b = g.rand(sb, 0.5, 2.0) * np.where(g.rand(sb) < 0, -1, 1).astype(np.float32)
            return g.rand(sa), b.astype(np.float32)
        if op == "Pow":
            return g.rand(sa, 0.1, 3.0), g.rand(sb, -2.0, 2.0)
        return g.rand(sa), g.rand(sb)

    def case(op, name, sa, sb, b_const=False, a_const=False, act=None, dtype=np.float32):
        a, b = operands(op, sa, sb)
        if dtype == np.float16:
            a, b = f16(a), f16(b)
        y = act_torch(ops[op](T(a), T(b)), act)
        opts = ("BinaryOptions", {"activation": act}) if act else None
        ins = [Const(a) if a_const else In(a), Const(b) if b_const else In(b)]
        single(g, op, name, ins, [N(y, dtype)], opts,
               rtol=F16_RTOL if dtype == np.float16 else F32_RTOL)

    for op in ops:
        case(op, "same_2x13x17", (2, 13, 17), (2, 13, 17))
        case(op, "bcast_col_const", (2, 13, 17), (13, 1), b_const=True)
        case(op, "bcast_both", (13, 1), (2, 1, 17))
        case(op, "scalar1", (1, 13, 31, 29), (1,), b_const=True)
    case("Add", "relu", (2, 13, 17), (17,), act={"kind": "Relu"})
    case("Add", "nchw_bias_c", (2, 13, 31, 29), (1, 13, 1, 1), b_const=True)
    case("Add", "const_first", (13, 17), (2, 13, 17), a_const=True)
    case("Add", "f16_bcast", (2, 13, 17), (13, 1), dtype=np.float16)
    case("Sub", "sigmoid", (2, 13, 17), (2, 13, 17), act={"kind": "Sigmoid"})
    case("Mul", "clip", (2, 13, 17), (2, 1, 17), act={"kind": "Clip", "alpha": -0.1,
                                                      "beta": 0.2})
    case("Mul", "rank5", (2, 3, 1, 5, 7), (3, 4, 1, 7))
    case("Add", "rank0_const", (2, 13, 17), (), b_const=True)
    # x / 0 is +-inf (IEEE) for x != 0.
    a = g.rand((13, 17), 0.5, 1.0) * np.where(g.rand((13, 17)) < 0, -1, 1).astype(np.float32)
    b = np.where(g.rand((13, 17)) < -0.5, 0, 1).astype(np.float32) * g.rand((13, 17), 0.5, 2)
    single(g, "Div", "by_zero_inf", [In(a), In(b)], [N(T(a) / T(b))])
    case("Div", "leaky", (13, 17), (17,), b_const=True, act={"kind": "LeakyRelu",
                                                              "alpha": 0.2})


def gen_prelu(g):
    def case(name, sx, ss, s_const=True):
        x = g.rand(sx, -3, 3)
        s = g.rand(ss, 0, 0.5)
        y = torch.where(T(x) >= 0, T(x), T(x) * T(s))
        single(g, "PRelu", name, [In(x), Const(s) if s_const else In(s)], [N(y)])

    case("slope_c11", (2, 13, 17, 5), (13, 1, 1))
    case("slope_1", (2, 13, 17), (1,))
    case("slope_last", (2, 13, 5), (5,))
    case("slope_full_input", (13, 17), (13, 17), s_const=False)


# ---- normalization ---------------------------------------------------------------------

def gen_norm(g):
    # BatchNormalization: X, scale, bias, mean, var.
    def bn(name, shape, eps=1e-5, params_as_inputs=False, dtype=np.float32):
        c = shape[1]
        x = g.rand(shape, -2, 2)
        sc, bi, me, va = g.rand((c,)), g.rand((c,)), g.rand((c,)), g.rand((c,), 0.1, 2.0)
        if dtype == np.float16:
            x, sc, bi, me, va = (f16(a) for a in (x, sc, bi, me, va))
        y = F.batch_norm(T(x), T(me), T(va), T(sc), T(bi), training=False, eps=eps)
        wrap = In if params_as_inputs else Const
        single(g, "BatchNormalization", name, [In(x)] + [wrap(a) for a in (sc, bi, me, va)],
               [N(y, dtype)], ("BatchNormOptions", {"epsilon": eps}),
               rtol=F16_RTOL if dtype == np.float16 else F32_RTOL)

    bn("nchw_13x17x19", (2, 13, 17, 19))
    bn("rank2_c127", (13, 127), eps=1e-3)
    bn("rank3", (2, 13, 31))
    bn("params_computed", (1, 5, 13, 17), params_as_inputs=True)

    def ln(name, shape, axis, bias=True, eps=1e-5, offset=0.0, dtype=np.float32, rtol=1e-5):
        x = g.rand(shape, -2, 2) + np.float32(offset)
        ax = axis % len(shape)
        ns = shape[ax:]
        sc = g.rand(ns, 0.5, 1.5)
        bi = g.rand(ns) if bias else None
        if dtype == np.float16:
            x, sc = f16(x), f16(sc)
            bi = None if bi is None else f16(bi)
        y = F.layer_norm(T(x), ns, T(sc), None if bi is None else T(bi), eps)
        ins = [In(x), Const(sc)] + ([Const(bi)] if bias else [])
        single(g, "LayerNormalization", name, ins, [N(y, dtype)],
               ("LayerNormOptions", {"axis": axis, "epsilon": eps}),
               rtol=F16_RTOL if dtype == np.float16 else rtol)

    ln("last_127", (2, 13, 127), -1)
    ln("axis1_nobias", (2, 13, 17), 1, bias=False)
    ln("axism2_eps1e3", (1, 13, 17, 5), -2, eps=1e-3)
    # float32 holds 1000 + x to ~3e-5, so the mean is no better than that; a one-pass
    # E[x^2] - E[x]^2 variance would be off by percents.
    ln("offset1e3_twopass", (2, 13, 127), -1, offset=1000.0, rtol=1e-4)
    ln("f16_last", (2, 13, 31), -1, dtype=np.float16)
    ln("axis0_everything", (2, 13, 7), 0)

    def inorm(name, shape, eps=1e-5):
        c = shape[1]
        x = g.rand(shape, -2, 2)
        sc, bi = g.rand((c,), 0.5, 1.5), g.rand((c,))
        y = F.instance_norm(T(x), weight=T(sc), bias=T(bi), eps=eps)
        single(g, "InstanceNormalization", name, [In(x), Const(sc), Const(bi)], [N(y)],
               ("NormOptions", {"epsilon": eps}))

    inorm("2x13x17x19", (2, 13, 17, 19))
    inorm("rank3_127", (1, 5, 127), eps=1e-3)
    inorm("c1_31x29", (2, 1, 31, 29))

    def gnorm(name, shape, groups, eps=1e-5):
        c = shape[1]
        x = g.rand(shape, -2, 2)
        sc, bi = g.rand((c,), 0.5, 1.5), g.rand((c,))
        y = F.group_norm(T(x), groups, T(sc), T(bi), eps)
        single(g, "GroupNormalization", name, [In(x), Const(sc), Const(bi)], [N(y)],
               ("NormOptions", {"epsilon": eps, "num_groups": groups}))

    gnorm("c15_g5", (2, 15, 13, 17), 5)
    gnorm("c13_g13", (1, 13, 31, 29), 13)
    gnorm("c13_g1", (2, 13, 7, 5), 1)
    gnorm("rank3_c12_g4", (2, 12, 127), 4, eps=1e-3)

    def lrn(name, shape, size, alpha=1e-4, beta=0.75, bias=1.0):
        x = g.rand(shape, -2, 2)
        xd = np.asarray(x, np.float64)
        c = shape[1]
        lo, hi = (size - 1) // 2, -(-(size - 1) // 2)  # floor, ceil of (size-1)/2 (ONNX)
        sq = np.zeros_like(xd)
        for ch in range(c):
            a, b = max(0, ch - lo), min(c - 1, ch + hi)
            sq[:, ch] = (xd[:, a:b + 1] ** 2).sum(axis=1)
        y = xd / (bias + alpha / size * sq) ** beta
        if size % 2 == 1:  # torch's window equals ONNX's for odd sizes
            t = F.local_response_norm(T(x), size, alpha, beta, bias).numpy()
            assert np.allclose(t, y, rtol=1e-12, atol=1e-12), "LRN self-check"
        single(g, "LRN", name, [In(x)], [y.astype(np.float32)],
               ("LRNOptions", {"size": size, "alpha": alpha, "beta": beta, "bias": bias}))

    lrn("size5", (2, 13, 17, 19), 5)
    lrn("size4_even", (1, 13, 7, 5), 4, alpha=0.5, beta=0.6, bias=2.0)
    lrn("size1", (1, 5, 13, 17), 1, alpha=0.1)
    lrn("size3_strong", (2, 7, 13, 3), 3, alpha=0.9, beta=0.5, bias=0.5)


def gen_softmax(g):
    for op, fn in (("Softmax", F.softmax), ("LogSoftmax", F.log_softmax)):
        for name, shape, axis, scale in [("last_2x13x127", (2, 13, 127), -1, 3.0),
                                         ("axis1_nchw", (2, 13, 17, 5), 1, 3.0),
                                         ("axis0", (13, 17), 0, 3.0),
                                         ("large_1e3", (2, 13), -1, 1000.0)]:
            x = g.rand(shape, -scale, scale)
            y = fn(T(x), dim=axis)
            single(g, op, name, [In(x)], [N(y)], ("SoftmaxOptions", {"axis": axis}))
        x = f16(g.rand((2, 13, 17), -3, 3))
        x = g.rand((2, 1, 13), -3, 3)
        single(g, op, "axis_of_size1", [In(x)], [N(fn(T(x), dim=1))], ("SoftmaxOptions", {"axis": 1}))
        single(g, op, "f16_last", [In(x)], [N(fn(T(x), dim=-1), np.float16)],
               ("SoftmaxOptions", {"axis": -1}), rtol=F16_RTOL)


def gen_reduce(g):
    fns = {"ReduceMean": np.mean, "ReduceMax": np.max, "ReduceSum": np.sum}
    for op, fn in fns.items():
        for name, shape, axes, keep in [("axes13_keep", (2, 13, 17, 5), [1, 3], True),
                                        ("last_nokeep", (2, 13, 127), [-1], False),
                                        ("all_keep", (2, 13, 17), [], True),
                                        ("axes_m3_0_nokeep", (2, 13, 17, 5), [-3, 0], False),
                                        ("all_nokeep_scalar", (13, 17), [], False),
                                        ("size1_axis", (2, 1, 13), [1], False)]:
            x = g.rand(shape)
            ax = tuple(range(len(shape))) if not axes else tuple(a % len(shape) for a in axes)
            y = np.asarray(fn(np.asarray(x, np.float64), axis=ax, keepdims=keep))
            single(g, op, name, [In(x)], [y.astype(np.float32)],
                   ("ReduceOptions", {"axes": axes, "keep_dims": keep}))
