"""Reference cases of Conv2D, ConvTranspose2D, FullyConnected, MatMul and the pools
(f32 and f16), expected outputs from torch.nn.functional in float64."""

import math

import numpy as np
import torch
import torch.nn.functional as F

from cases_common import (ACTS, F16_RTOL, F32_RTOL, Const, In, N, T, act_torch, conv_ref,
                          f16, resolve_pads, single)


def gen_conv2d(g):
    def case(name, n, c, h, w_, m, k, strides=(1, 1), dil=(1, 1), pads=(0, 0, 0, 0),
             padding=None, group=1, bias=True, act=None, omit="short", write_kernel=True,
             dtype=np.float32, dyn_batch=None):
        x = g.rand((n, c, h, w_))
        w = g.rand((m, c // group, k[0], k[1]), -0.5, 0.5)
        b = g.rand((m,)) if bias else None
        if dtype == np.float16:
            x, w = f16(x), f16(w)
            b = None if b is None else f16(b)
        rp = resolve_pads(padding, (h, w_), k, strides, dil, pads)
        y = conv_ref(x, w, b, list(strides), list(dil), rp, group, act)
        opts = {"strides": list(strides), "dilations": list(dil), "group": group}
        if write_kernel:
            opts["kernel"] = list(k)
        if padding:
            opts["padding"] = padding
        else:
            opts["pads"] = list(pads)
        if act:
            opts["activation"] = act
        ins = [In(x), Const(w)]
        if b is not None:
            ins.append(Const(b))
        elif omit == "minus1":
            ins.append(None)
        exp = N(y, dtype)
        single(g, "Conv2D", name, ins, [exp], ("Conv2DOptions", opts),
               rtol=F16_RTOL if dtype == np.float16 else F32_RTOL, dyn_batch=dyn_batch)

    case("3x3_pad1_bias", 1, 3, 13, 17, 13, (3, 3), pads=(1, 1, 1, 1))
    case("s2_asympad_dil2_nobias", 2, 5, 31, 29, 7, (3, 3), strides=(2, 2), dil=(2, 2),
         pads=(0, 1, 2, 1), bias=False)
    case("group3_k5_s12_minus1bias", 1, 6, 13, 17, 9, (5, 5), strides=(1, 2), pads=(2, 2, 2, 2),
         group=3, bias=False, omit="minus1")
    case("depthwise_sameupper_s2_relu", 2, 13, 17, 13, 13, (3, 3), strides=(2, 2),
         padding="SameUpper", group=13, act={"kind": "Relu"})
    case("depthwise_mult2_k3", 1, 5, 13, 17, 10, (3, 3), pads=(1, 1, 1, 1), group=5)
    case("samelower_k4_s23_leaky", 1, 4, 13, 17, 5, (4, 4), strides=(2, 3), padding="SameLower",
         act={"kind": "LeakyRelu", "alpha": 0.1})
    case("valid_1x1_c127_clip_nokernel", 1, 127, 7, 5, 13, (1, 1), padding="Valid",
         act={"kind": "Clip", "alpha": 0.0, "beta": 0.3}, write_kernel=False)
    case("k1x3_dil13_pad", 2, 3, 13, 17, 4, (1, 3), dil=(1, 3), pads=(0, 3, 0, 2))
    case("dynbatch_hardswish", 2, 3, 13, 17, 5, (3, 3), pads=(1, 1, 1, 1),
         act={"kind": "HardSwish"}, dyn_batch=2)
    for a in ACTS:
        if a["kind"] in ("Relu", "LeakyRelu", "HardSwish"):
            continue
        case(f"act_{a['kind'].lower()}", 1, 3, 7, 9, 5, (3, 3), pads=(1, 1, 1, 1), act=a)
    case("f16_3x3", 1, 3, 13, 17, 8, (3, 3), pads=(1, 1, 1, 1), dtype=np.float16)
    case("pads_exceed_kernel_sigmoid", 1, 3, 5, 7, 4, (2, 2), pads=(3, 3, 3, 2),
         act={"kind": "Sigmoid"})  # border windows lie wholly in the padding: bias only
    case("kernel_covers_input_1x1_out", 2, 5, 13, 17, 3, (13, 17))
    case("f16_s2_relu", 2, 4, 13, 11, 6, (3, 3), strides=(2, 2), pads=(1, 0, 1, 0),
         act={"kind": "Relu"}, dtype=np.float16)


def gen_conv_transpose(g):
    def case(name, n, c, h, w_, m, k, strides=(1, 1), dil=(1, 1), pads=(0, 0, 0, 0),
             out_pad=(0, 0), group=1, bias=True, act=None):
        x = g.rand((n, c, h, w_))
        w = g.rand((c, m // group, k[0], k[1]), -0.5, 0.5)
        b = g.rand((m,)) if bias else None
        full = F.conv_transpose2d(T(x), T(w), None if b is None else T(b), stride=list(strides),
                                  padding=0, output_padding=list(out_pad), groups=group,
                                  dilation=list(dil))
        H, W = full.shape[2], full.shape[3]
        y = full[:, :, pads[0]:H - pads[2], pads[1]:W - pads[3]]
        y = act_torch(y, act)
        opts = {"kernel": list(k), "strides": list(strides), "dilations": list(dil),
                "pads": list(pads), "output_padding": list(out_pad), "group": group}
        if act:
            opts["activation"] = act
        ins = [In(x), Const(w)] + ([Const(b)] if b is not None else [])
        single(g, "ConvTranspose2D", name, ins, [N(y)], ("ConvTranspose2DOptions", opts))

    case("s2_pad1_outpad1", 1, 8, 7, 9, 5, (3, 3), strides=(2, 2), pads=(1, 1, 1, 1),
         out_pad=(1, 1))
    case("group3_k4_s23_asympad", 2, 6, 13, 11, 6, (4, 4), strides=(2, 3), pads=(0, 1, 2, 1),
         out_pad=(0, 1), group=3)
    case("dil2_pad2_relu_nobias", 1, 4, 13, 17, 3, (3, 3), dil=(2, 2), pads=(2, 2, 2, 2),
         bias=False, act={"kind": "Relu"})
    case("k2_s2_upsample_sigmoid", 1, 3, 5, 7, 13, (2, 2), strides=(2, 2),
         act={"kind": "Sigmoid"})
    case("k3x5_s1", 2, 5, 13, 7, 4, (3, 5), pads=(1, 2, 0, 1))
    case("s3_dil2_outpad21", 1, 4, 7, 5, 6, (3, 2), strides=(3, 3), dil=(2, 2), pads=(1, 0, 2, 1),
         out_pad=(2, 1), group=2)


# ---- fully connected / matmul ----------------------------------------------------------

def gen_fully_connected(g):
    def case(name, m_, k_, n_, trans_a=False, trans_b=False, alpha=1.0, beta=1.0, c_shape=(-1,),
             b_const=True, act=None, dtype=np.float32):
        a = g.rand((k_, m_) if trans_a else (m_, k_))
        b = g.rand((n_, k_) if trans_b else (k_, n_), -0.5, 0.5)
        c = None if c_shape is None else g.rand(tuple(n_ if d == -1 else d for d in c_shape))
        if dtype == np.float16:
            a, b = f16(a), f16(b)
            c = None if c is None else f16(c)
        A = T(a).T if trans_a else T(a)
        B = T(b).T if trans_b else T(b)
        y = alpha * (A @ B)
        if c is not None:
            y = y + beta * T(c)
        y = act_torch(y, act)
        opts = {"alpha": alpha, "beta": beta, "trans_a": trans_a, "trans_b": trans_b}
        if act:
            opts["activation"] = act
        ins = [In(a), Const(b) if b_const else In(b)]
        if c is not None:
            ins.append(Const(c))
        single(g, "FullyConnected", name, ins, [N(y, dtype)], ("FullyConnectedOptions", opts),
               rtol=F16_RTOL if dtype == np.float16 else F32_RTOL)

    case("13x127x17_relu", 13, 127, 17, act={"kind": "Relu"})
    case("transb_alpha_beta", 1, 127, 13, trans_b=True, alpha=0.5, beta=2.0)
    case("transa_computedB_noC", 13, 127, 1, trans_a=True, b_const=False, c_shape=None)
    case("C_full_tanh", 2, 13, 5, c_shape=(2, 5), act={"kind": "Tanh"})
    case("C_col_broadcast", 13, 17, 7, c_shape=(13, 1))
    case("C_scalar1_transab", 7, 13, 9, trans_a=True, trans_b=True, c_shape=(1,))
    case("act_gelu_tanh", 3, 31, 13, act={"kind": "GeluTanh"})
    case("f16_transb", 2, 127, 13, trans_b=True, dtype=np.float16)


def gen_matmul(g):
    def case(name, sa, sb, b_const=False, act=None, dtype=np.float32):
        a = g.rand(sa)
        b = g.rand(sb, -0.5, 0.5)
        if dtype == np.float16:
            a, b = f16(a), f16(b)
        y = act_torch(torch.matmul(T(a), T(b)), act)
        opts = {"activation": act} if act else {}
        single(g, "MatMul", name, [In(a), Const(b) if b_const else In(b)], [N(y, dtype)],
               ("MatMulOptions", opts) if act else None,
               rtol=F16_RTOL if dtype == np.float16 else F32_RTOL)

    case("2d_13x127x17", (13, 127), (127, 17))
    case("1d_x_2d_const", (127,), (127, 13), b_const=True)
    case("3d_x_1d", (2, 13, 17), (17,))
    case("batch_broadcast_relu", (2, 1, 3, 13), (5, 13, 7), act={"kind": "Relu"})
    case("batch3d_const_b", (2, 13, 17), (17, 31), b_const=True,
         act={"kind": "Clip", "alpha": -0.2, "beta": 0.2})
    case("1x1_vec", (1, 13), (13, 1))
    case("f16_batch", (2, 13, 17), (2, 17, 5), dtype=np.float16)
    case("1d_x_1d_scalar_out", (127,), (127,))


# ---- pooling ---------------------------------------------------------------------------

def pool_unfold(x, k, s, d, pads, average, include_pad):
    """Any pool without ceil_mode, by unfold over the explicitly padded input."""
    xt = T(x)
    n, c, h, w = xt.shape
    fill = 0.0 if average else -math.inf
    xp = F.pad(xt, (pads[1], pads[3], pads[0], pads[2]), value=fill)
    cols = F.unfold(xp, kernel_size=k, dilation=d, stride=s)  # [n, c*kh*kw, L]
    cols = cols.view(n, c, k[0] * k[1], -1)
    oh = (h + pads[0] + pads[2] - ((k[0] - 1) * d[0] + 1)) // s[0] + 1
    ow = (w + pads[1] + pads[3] - ((k[1] - 1) * d[1] + 1)) // s[1] + 1
    if not average:
        return cols.max(dim=2).values.view(n, c, oh, ow)
    mask = torch.ones(1, 1, h, w, dtype=torch.float64)
    mask = F.pad(mask, (pads[1], pads[3], pads[0], pads[2]), value=1.0 if include_pad else 0.0)
    cnt = F.unfold(mask, kernel_size=k, dilation=d, stride=s).sum(dim=1).view(1, 1, oh, ow)
    return cols.sum(dim=2).view(n, c, oh, ow) / cnt


def gen_pool(g):
    def case(op, name, shape, k, s=(1, 1), d=(1, 1), pads=(0, 0, 0, 0), padding=None,
             ceil=False, include_pad=False, dtype=np.float32):
        x = g.rand(shape)
        if dtype == np.float16:
            x = f16(x)
        average = op == "AveragePool"
        rp = resolve_pads(padding, shape[2:], k, s, d, pads)
        if ceil:
            assert rp[0] == rp[2] and rp[1] == rp[3] and d == (1, 1)
            if average:
                y = F.avg_pool2d(T(x), k, s, padding=(rp[0], rp[1]), ceil_mode=True,
                                 count_include_pad=include_pad)
            else:
                y = F.max_pool2d(T(x), k, s, padding=(rp[0], rp[1]), ceil_mode=True)
        else:
            y = pool_unfold(x, k, s, d, rp, average, include_pad)
            # Cross-check the unfold formulation against torch where torch has the case.
            if d == (1, 1) and rp[0] == rp[2] and rp[1] == rp[3] and 2 * rp[0] <= k[0] and \
                    2 * rp[1] <= k[1]:
                if average:
                    t = F.avg_pool2d(T(x), k, s, padding=(rp[0], rp[1]),
                                     count_include_pad=include_pad)
                else:
                    t = F.max_pool2d(T(x), k, s, padding=(rp[0], rp[1]))
                assert torch.allclose(t, y, atol=1e-12), f"pool self-check {op} {name}"
        opts = {"kernel": list(k), "strides": list(s), "dilations": list(d), "ceil_mode": ceil,
                "count_include_pad": include_pad}
        if padding:
            opts["padding"] = padding
        else:
            opts["pads"] = list(pads)
        single(g, op, name, [In(x)], [N(y, dtype)], ("Pool2DOptions", opts),
               rtol=F16_RTOL if dtype == np.float16 else F32_RTOL)

    mp = "MaxPool"
    case(mp, "k3_s2_pad1", (1, 13, 31, 29), (3, 3), (2, 2), pads=(1, 1, 1, 1))
    case(mp, "ceil_k3_s2", (2, 5, 13, 17), (3, 3), (2, 2), ceil=True)
    case(mp, "ceil_k2_s2_pad1", (1, 3, 13, 17), (2, 2), (2, 2), pads=(1, 1, 1, 1), ceil=True)
    case(mp, "dil2_asympad_s2", (1, 4, 31, 29), (3, 3), (2, 2), d=(2, 2), pads=(0, 1, 2, 1))
    case(mp, "sameupper_k3_s2", (2, 3, 13, 17), (3, 3), (2, 2), padding="SameUpper")
    case(mp, "valid_k23_s21", (2, 5, 13, 17), (2, 3), (2, 1), padding="Valid")
    case(mp, "kernel_equals_input", (2, 3, 13, 17), (13, 17))
    case(mp, "f16_k3_s2", (1, 8, 13, 17), (3, 3), (2, 2), pads=(1, 1, 1, 1), dtype=np.float16)
    ap = "AveragePool"
    case(ap, "k3_s2_pad1_excl", (1, 13, 31, 29), (3, 3), (2, 2), pads=(1, 1, 1, 1))
    case(ap, "k3_s2_pad1_incl", (1, 13, 31, 29), (3, 3), (2, 2), pads=(1, 1, 1, 1),
         include_pad=True)
    case(ap, "ceil_k3_s2_pad1_incl", (2, 3, 13, 17), (3, 3), (2, 2), pads=(1, 1, 1, 1),
         ceil=True, include_pad=True)
    case(ap, "ceil_k3_s2_pad1_excl", (2, 3, 13, 17), (3, 3), (2, 2), pads=(1, 1, 1, 1),
         ceil=True)
    case(ap, "ceil_k2_s2_nopad", (1, 5, 13, 17), (2, 2), (2, 2), ceil=True)
    case(ap, "asympad_dil2_excl", (1, 4, 31, 29), (3, 3), (2, 2), d=(2, 2), pads=(0, 1, 2, 1))
    case(ap, "asympad_incl", (1, 4, 13, 17), (3, 3), (1, 2), pads=(0, 1, 2, 1),
         include_pad=True)
    case(ap, "samelower_k4_s3_incl", (2, 3, 13, 17), (4, 4), (3, 3), padding="SameLower",
         include_pad=True)
    # Even size: the last ceil_mode window covers one input row, one pad row and one row of
    # the ceil_mode extra area, which does not count.
    case(ap, "ceil_incl_window_crosses_pad", (1, 3, 14, 16), (3, 3), (2, 2), pads=(1, 1, 1, 1),
         ceil=True, include_pad=True)
    case(ap, "f16_k2_s2", (1, 8, 13, 17), (2, 2), (2, 2), dtype=np.float16)


def gen_global_pool(g):
    for op in ("GlobalAveragePool", "GlobalMaxPool"):
        for name, shape in [("13x17x19", (2, 13, 17, 19)), ("c127_1x1", (1, 127, 1, 1)),
                            ("rank3", (2, 13, 31)), ("rank5", (1, 3, 5, 7, 3))]:
            x = g.rand(shape)
            dims = tuple(range(2, len(shape)))
            y = T(x).mean(dim=dims, keepdim=True) if op == "GlobalAveragePool" else \
                T(x).amax(dim=dims, keepdim=True)
            single(g, op, name, [In(x)], [N(y)])
