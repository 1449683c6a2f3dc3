"""INT8 reference cases (Conv2D, FullyConnected, MaxPool, AveragePool,
GlobalAveragePool, Add, Concat), expected outputs from the Python-int reimplementation of
kernels/cpu/ref/requantize.h and the arithmetic documented in each kernel's header; compared
bit-exactly."""

import numpy as np
import torch.nn.functional as F

import int8_ref as q8
from cases_common import EXACT, Const, In, T, resolve_pads, single


# ---- INT8 (bit-exact) ------------------------------------------------------------------

def gen_int8(g):
    def conv_i8(name, n, c, h, w_, m, k, strides=(1, 1), dil=(1, 1), pads=(0, 0, 0, 0),
                padding=None, group=1, bias=True, per_channel=True, act=None,
                xs=0.02, xz=-3, ys=0.05, yz=4):
        x = g.randint((n, c, h, w_), -128, 127, np.int8)
        wq = g.randint((m, c // group, k[0], k[1]), -127, 127, np.int8)
        ws = (g.rand((m,), 0.002, 0.01) if per_channel else np.float32([0.006]))
        bq = g.randint((m,), -2000, 2000, np.int32) if bias else None
        rp = resolve_pads(padding, (h, w_), k, strides, dil, pads)
        # int64 accumulation of (x_q - x_zp) * w_q: the padded taps are x_zp (real 0).
        xi = T(x.astype(np.int64) - xz)
        acc = F.conv2d(F.pad(xi, (rp[1], rp[3], rp[0], rp[2])), T(wq.astype(np.int64)),
                       stride=list(strides), dilation=list(dil), groups=group)
        acc = np.rint(acc.numpy()).astype(np.int64)  # exact: |acc| << 2^53
        if bq is not None:
            acc += bq.reshape(1, m, 1, 1)
        wsc = np.broadcast_to(ws, (m,))
        mults = [q8.quantize_multiplier(float(np.float32(xs)) * float(wsc[i]) /
                                        float(np.float32(ys))) for i in range(m)]
        kind = act["kind"] if act else None
        qmin, qmax = q8.activation_range(kind, act.get("alpha", 0) if act else 0,
                                         act.get("beta", 0) if act else 0, ys, yz)
        y = q8.requantize_array(acc, mults, yz, qmin, qmax, channel_axis=1)
        opts = {"kernel": list(k), "strides": list(strides), "dilations": list(dil),
                "group": group}
        if padding:
            opts["padding"] = padding
        else:
            opts["pads"] = list(pads)
        if act:
            opts["activation"] = act
        ins = [In(x, {"scale": xs, "zero_point": xz}),
               Const(wq, {"scale": ws, "zero_point": [0] * len(ws), "axis": 0})]
        if bq is not None:
            ins.append(Const(bq, {"scale": np.float32(xs) * wsc.astype(np.float32),
                                  "zero_point": [0] * m, "axis": 0}))
        single(g, "Conv2D", "int8_" + name, ins, [y], ("Conv2DOptions", opts),
               out_quant={"scale": ys, "zero_point": yz}, **EXACT)

    conv_i8("3x3_perchannel", 1, 3, 13, 17, 13, (3, 3), pads=(1, 1, 1, 1))
    conv_i8("s2_asympad_pertensor_nobias", 2, 5, 13, 11, 7, (3, 3), strides=(2, 2),
            pads=(0, 1, 2, 1), bias=False, per_channel=False)
    conv_i8("depthwise_relu", 1, 13, 17, 13, 13, (3, 3), padding="SameUpper", group=13,
            act={"kind": "Relu"}, ys=0.02, yz=-10)
    conv_i8("group3_dil2_clip", 2, 6, 13, 17, 9, (3, 3), dil=(2, 2), pads=(2, 2, 2, 2), group=3,
            act={"kind": "Clip", "alpha": 0.0, "beta": 3.0})
    conv_i8("extreme_zero_points_relu", 1, 4, 13, 17, 5, (3, 3), pads=(1, 1, 1, 1),
            act={"kind": "Relu"}, xz=-128, ys=0.2, yz=-128)
    conv_i8("x_zp127_y_zp127", 2, 3, 7, 9, 4, (3, 3), strides=(2, 2), xz=127, ys=0.1, yz=127)
    conv_i8("1x1_c127_saturating", 1, 127, 5, 7, 13, (1, 1), ys=0.03, yz=0)

    def fc_i8(name, m_, k_, n_, trans_b=False, bias=True, per_channel=True, act=None,
              xs=0.03, xz=7, ys=0.08, yz=-6):
        a = g.randint((m_, k_), -128, 127, np.int8)
        b = g.randint((n_, k_) if trans_b else (k_, n_), -127, 127, np.int8)
        ws = g.rand((n_,), 0.002, 0.01) if per_channel else np.float32([0.005])
        bq = g.randint((n_,), -3000, 3000, np.int32) if bias else None
        B = b.astype(np.int64).T if trans_b else b.astype(np.int64)
        acc = (a.astype(np.int64) - xz) @ B
        if bq is not None:
            acc += bq.reshape(1, n_)
        wsc = np.broadcast_to(ws, (n_,))
        mults = [q8.quantize_multiplier(float(np.float32(xs)) * float(wsc[i]) /
                                        float(np.float32(ys))) for i in range(n_)]
        kind = act["kind"] if act else None
        qmin, qmax = q8.activation_range(kind, act.get("alpha", 0) if act else 0,
                                         act.get("beta", 0) if act else 0, ys, yz)
        y = q8.requantize_array(acc, mults, yz, qmin, qmax, channel_axis=1)
        opts = {"trans_b": trans_b}
        if act:
            opts["activation"] = act
        ins = [In(a, {"scale": xs, "zero_point": xz}),
               Const(b, {"scale": ws, "zero_point": [0] * len(ws),
                         "axis": (0 if trans_b else 1) if per_channel else 0})]
        if bq is not None:
            ins.append(Const(bq, {"scale": np.float32(xs) * wsc.astype(np.float32),
                                  "zero_point": [0] * n_, "axis": 0}))
        single(g, "FullyConnected", "int8_" + name, ins, [y], ("FullyConnectedOptions", opts),
               out_quant={"scale": ys, "zero_point": yz}, **EXACT)

    fc_i8("transb_perchannel", 13, 127, 17, trans_b=True, ys=0.15)
    fc_i8("kn_perchannel_relu", 2, 31, 13, act={"kind": "Relu"})
    fc_i8("kn_pertensor_nobias", 1, 127, 13, bias=False, per_channel=False, ys=0.25)
    fc_i8("transb_clip", 5, 13, 7, trans_b=True, act={"kind": "Clip", "alpha": -1.0,
                                                       "beta": 2.0})

    def pool_i8(op, name, shape, k, s=(1, 1), pads=(0, 0, 0, 0), ceil=False,
                include_pad=False, xs=0.05, xz=-4, ys=None, yz=None):
        ys = xs if ys is None else ys
        yz = xz if yz is None else yz
        x = g.randint(shape, -128, 127, np.int8)
        h, w = shape[2], shape[3]
        ek = k
        out = []
        for i, L in enumerate((h, w)):
            span = L + pads[i] + pads[i + 2] - ek[i]
            o = (-(-span // s[i]) if ceil else span // s[i]) + 1
            if ceil and (o - 1) * s[i] >= L + pads[i]:
                o -= 1
            out.append(o)
        y = np.zeros((shape[0], shape[1], out[0], out[1]), dtype=np.int64)
        same = np.float32(xs) == np.float32(ys)
        for oh in range(out[0]):
            for ow in range(out[1]):
                h0, w0 = oh * s[0] - pads[0], ow * s[1] - pads[1]
                hs, he = max(h0, 0), min(h0 + k[0], h)
                ws_, we = max(w0, 0), min(w0 + k[1], w)
                win = x[:, :, hs:he, ws_:we].astype(np.int64)
                if op == "MaxPool":
                    y[:, :, oh, ow] = win.max(axis=(2, 3))
                    continue
                acc = (win - xz).sum(axis=(2, 3))
                if include_pad:
                    cnt = (min(h0 + k[0], h + pads[2]) - max(h0, -pads[0])) * \
                          (min(w0 + k[1], w + pads[3]) - max(w0, -pads[1]))
                else:
                    cnt = (he - hs) * (we - ws_)
                if same:
                    for idx in np.ndindex(acc.shape):
                        a = int(acc[idx])
                        mean = (a + cnt // 2) // cnt if a >= 0 else -((-a + cnt // 2) // cnt)
                        y[idx + (oh, ow)] = min(127, max(-128, mean + yz))
                else:
                    qm = q8.quantize_multiplier(float(np.float32(xs)) /
                                                (float(np.float32(ys)) * float(cnt)))
                    for idx in np.ndindex(acc.shape):
                        y[idx + (oh, ow)] = q8.requantize(int(acc[idx]), qm, yz, -128, 127)
        opts = {"kernel": list(k), "strides": list(s), "pads": list(pads), "ceil_mode": ceil,
                "count_include_pad": include_pad}
        single(g, op, "int8_" + name, [In(x, {"scale": xs, "zero_point": xz})],
               [y.astype(np.int8)], ("Pool2DOptions", opts),
               out_quant={"scale": ys, "zero_point": yz}, **EXACT)

    pool_i8("MaxPool", "k3_s2_pad1", (2, 5, 13, 17), (3, 3), (2, 2), pads=(1, 1, 1, 1))
    pool_i8("MaxPool", "ceil_k2_s2", (1, 3, 13, 17), (2, 2), (2, 2), ceil=True)
    pool_i8("AveragePool", "same_scale_excl", (2, 5, 13, 17), (3, 3), (2, 2), pads=(1, 1, 1, 1))
    pool_i8("AveragePool", "same_scale_zpdiff_incl", (1, 4, 13, 17), (3, 3), (2, 2),
            pads=(1, 1, 1, 1), include_pad=True, yz=9)
    pool_i8("AveragePool", "requant_ceil", (1, 3, 13, 17), (3, 3), (2, 2), ceil=True,
            ys=0.03, yz=2)
    pool_i8("AveragePool", "requant_asympad_incl", (1, 3, 13, 17), (2, 3), (1, 2),
            pads=(0, 1, 1, 0), include_pad=True, ys=0.07, yz=-20)

    def gap_i8(name, shape, xs=0.05, xz=-4, ys=None, yz=None):
        ys = xs if ys is None else ys
        yz = xz if yz is None else yz
        x = g.randint(shape, -128, 127, np.int8)
        acc = (x.astype(np.int64) - xz).reshape(shape[0], shape[1], -1).sum(axis=2)
        cnt = int(np.prod(shape[2:]))
        y = np.zeros(acc.shape, np.int64)
        qm = q8.quantize_multiplier(float(np.float32(xs)) / (float(np.float32(ys)) * cnt))
        for idx in np.ndindex(acc.shape):
            a = int(acc[idx])
            if np.float32(xs) == np.float32(ys):
                mean = (a + cnt // 2) // cnt if a >= 0 else -((-a + cnt // 2) // cnt)
                y[idx] = min(127, max(-128, mean + yz))
            else:
                y[idx] = q8.requantize(a, qm, yz, -128, 127)
        y = y.reshape(shape[:2] + (1,) * (len(shape) - 2)).astype(np.int8)
        single(g, "GlobalAveragePool", "int8_" + name, [In(x, {"scale": xs, "zero_point": xz})],
               [y], out_quant={"scale": ys, "zero_point": yz}, **EXACT)

    gap_i8("same_scale", (2, 13, 17, 19))
    gap_i8("requant", (1, 5, 13, 17), ys=0.004, yz=3)

    def add_i8(name, sa, sb, qa, qb, qy, act=None):
        a = g.randint(sa, -128, 127, np.int8)
        b = g.randint(sb, -128, 127, np.int8)
        (as_, az), (bs, bz), (ys, yz) = qa, qb, qy
        twice_max = 2.0 * max(float(np.float32(as_)), float(np.float32(bs)))
        am = q8.quantize_multiplier(float(np.float32(as_)) / twice_max)
        bm = q8.quantize_multiplier(float(np.float32(bs)) / twice_max)
        om = q8.quantize_multiplier(twice_max / (float(1 << 20) * float(np.float32(ys))))
        kind = act["kind"] if act else None
        qmin, qmax = q8.activation_range(kind, act.get("alpha", 0) if act else 0,
                                         act.get("beta", 0) if act else 0, ys, yz)
        A, B = np.broadcast_arrays(a.astype(np.int64), b.astype(np.int64))
        y = np.zeros(A.shape, np.int64)
        for idx in np.ndindex(A.shape):
            s1 = q8.multiply_by_quantized_multiplier((int(A[idx]) - az) * (1 << 20), am)
            s2 = q8.multiply_by_quantized_multiplier((int(B[idx]) - bz) * (1 << 20), bm)
            y[idx] = q8.requantize(s1 + s2, om, yz, qmin, qmax)
        opts = ("BinaryOptions", {"activation": act}) if act else None
        single(g, "Add", "int8_" + name,
               [In(a, {"scale": as_, "zero_point": az}), In(b, {"scale": bs, "zero_point": bz})],
               [y.astype(np.int8)], opts, out_quant={"scale": ys, "zero_point": yz}, **EXACT)

    add_i8("diff_scales", (2, 13, 17), (2, 13, 17), (0.02, -3), (0.05, 10), (0.06, 2))
    add_i8("bcast_relu", (2, 13, 17), (13, 1), (0.03, 5), (0.01, -7), (0.03, -20),
           act={"kind": "Relu"})
    add_i8("clip_same_scales", (1, 13, 31), (1, 13, 31), (0.04, 0), (0.04, 0), (0.04, 0),
           act={"kind": "Clip", "alpha": -1.0, "beta": 1.5})

    def concat_i8(name, shapes, quants, yq, axis):
        xs = [g.randint(s, -128, 127, np.int8) for s in shapes]
        parts = []
        for x, (s, z) in zip(xs, quants):
            if np.float32(s) == np.float32(yq[0]) and z == yq[1]:
                parts.append(x.astype(np.int64))
                continue
            # concat.h: (x - in_zp) * 2^20 through requantize() with the multiplier
            # in_scale / out_scale / 2^20, as TFLite's Add rescales its inputs.
            qm = q8.quantize_multiplier(float(np.float32(s)) / float(np.float32(yq[0])) /
                                        float(1 << 20))
            parts.append(np.vectorize(lambda v: q8.requantize((int(v) - z) * (1 << 20), qm,
                                                              yq[1], -128, 127))(
                x.astype(np.int64)))
        y = np.concatenate(parts, axis=axis).astype(np.int8)
        ins = [In(x, {"scale": s, "zero_point": z}) for x, (s, z) in zip(xs, quants)]
        single(g, "Concat", "int8_" + name, ins, [y], ("ConcatOptions", {"axis": axis}),
               out_quant={"scale": yq[0], "zero_point": yq[1]}, **EXACT)

    concat_i8("same_quant", [(2, 3, 13), (2, 5, 13)], [(0.05, 1), (0.05, 1)], (0.05, 1), 1)
    concat_i8("requantized", [(2, 3, 13), (2, 5, 13), (2, 1, 13)],
              [(0.05, 1), (0.02, -9), (0.1, 30)], (0.05, 1), 1)
