"""Shared pieces of the reference case generators: the case writer (Gen), single-node
models (single), float64 torch helpers, activations and ONNX pad resolution."""

import json
import os

import numpy as np
import torch
import torch.nn.functional as F

import strix_model as sm

torch.set_grad_enabled(False)

F32_RTOL = 1e-5
F16_RTOL = 1e-2
# Data movement is exact.
EXACT = dict(rtol=0.0, atol=0.0)


# ---- case bookkeeping ------------------------------------------------------------------

class Gen:
    def __init__(self, out, seed, only=None):
        self.out = out
        self.rng = np.random.default_rng(seed)
        self.only = only
        self.counts = {}
        self.bytes = 0

    def rand(self, shape, lo=-1.0, hi=1.0, dtype=np.float32):
        return self.rng.uniform(lo, hi, size=shape).astype(dtype)

    def randint(self, shape, lo, hi, dtype):
        return self.rng.integers(lo, hi, size=shape, endpoint=True).astype(dtype)

    def write(self, op, name, writer, inputs, expected, rtol=F32_RTOL, atol=None, batch=None,
              kind="single", metadata=None):
        """inputs/expected: arrays in graph input/output order."""
        n = self.counts.get(op, 0)
        self.counts[op] = n + 1
        case = f"{op}_{n:02d}_{name}"
        if self.only and self.only not in case:
            return
        d = os.path.join(self.out, case)
        os.makedirs(d)
        self.bytes += writer.save(os.path.join(d, "model.strix"))
        for i, a in enumerate(inputs):
            np.save(os.path.join(d, f"input_{i}.npy"), np.asarray(a, order="C"))
            self.bytes += a.nbytes
        for i, a in enumerate(expected):
            np.save(os.path.join(d, f"expected_{i}.npy"), np.asarray(a, order="C"))
            self.bytes += a.nbytes
        meta = {"op": op, "name": case, "rtol_l2": rtol, "kind": kind,
                "inputs": [writer.tensors[t]["name"] for t in writer.inputs],
                "outputs": [writer.tensors[t]["name"] for t in writer.outputs]}
        if atol is not None:
            meta["atol"] = atol
        if batch is not None:
            meta["batch"] = batch
        if metadata is not None:
            meta["metadata"] = metadata  # what Model::metadata() must report
        with open(os.path.join(d, "case.json"), "w") as f:
            json.dump(meta, f, indent=1, allow_nan=False)


class In:
    """A graph input of a single-node case."""

    def __init__(self, a, quant=None):
        self.a, self.quant = a, quant


class Const:
    """A constant (weights) input of a single-node case."""

    def __init__(self, a, quant=None):
        self.a, self.quant = a, quant


def single(g, op, name, inputs, expected, options=None, rtol=F32_RTOL, atol="auto",
           out_quant=None, dyn_batch=None):
    """One node `op` with `inputs` (In, Const or None for an omitted optional input) and
    outputs shaped and typed like `expected`. atol "auto": 1e-4 * max(1, max |expected|) for
    float outputs, none for f16, 0 for integers."""
    m = sm.ModelWriter(f"reference case {op}/{name}")
    ids, feeds = [], []
    for i, v in enumerate(inputs):
        if v is None:
            ids.append(-1)
        elif isinstance(v, In):
            shape = list(v.a.shape)
            if dyn_batch is not None and i == 0:
                shape[0] = -1
            ids.append(m.input(f"in{i}", v.a.dtype, shape, v.quant))
            feeds.append(v.a)
        else:
            ids.append(m.constant(f"const{i}", v.a, quant=v.quant))
    outs = []
    oq = out_quant if isinstance(out_quant, list) else [out_quant] * len(expected)
    for i, e in enumerate(expected):
        shape = list(e.shape)
        if dyn_batch is not None:
            shape[0] = -1
        outs.append(m.tensor(f"out{i}", e.dtype, shape, oq[i]))
    m.node(f"{op.lower()}_node", op, ids, outs, options=options)
    for o in outs:
        m.output(o)
    if atol == "auto":
        e0 = expected[0]
        if e0.dtype == np.float32:
            finite = np.abs(e0[np.isfinite(e0)])
            atol = 1e-4 * max(1.0, float(np.max(finite)) if finite.size else 1.0)
        elif e0.dtype == np.float16:
            atol = None
        else:
            atol = 0
    if expected[0].dtype != np.float32 and expected[0].dtype != np.float16:
        rtol = 0
    g.write(op, name, m, feeds, expected, rtol=rtol, atol=atol, batch=dyn_batch)


def T(a):
    return torch.from_numpy(np.asarray(a, dtype=np.float64))


def N(t, dtype=np.float32):
    return t.numpy().astype(dtype)


def f16(a):
    """Rounds to f16 (the storage of f16 cases)."""
    return np.asarray(a).astype(np.float16)


# ---- activations -----------------------------------------------------------------------

def act_torch(y, act):
    if act is None:
        return y
    kind, alpha, beta = act.get("kind", "None"), act.get("alpha", 0.0), act.get("beta", 0.0)
    if kind == "None":
        return y
    if kind == "Relu":
        return F.relu(y)
    if kind == "Clip":
        return torch.clamp(y, alpha, beta)
    if kind == "LeakyRelu":
        return F.leaky_relu(y, alpha)
    if kind == "Sigmoid":
        return torch.sigmoid(y)
    if kind == "Tanh":
        return torch.tanh(y)
    if kind == "HardSigmoid":
        return torch.clamp(alpha * y + beta, 0.0, 1.0)
    if kind == "HardSwish":
        return F.hardswish(y)
    if kind == "SiLU":
        return F.silu(y)
    if kind == "Gelu":
        return F.gelu(y)
    if kind == "GeluTanh":
        return F.gelu(y, approximate="tanh")
    if kind == "Elu":
        return F.elu(y, alpha)
    if kind == "Mish":
        return F.mish(y)
    if kind == "Softplus":
        return F.softplus(y)
    raise ValueError(kind)


ACTS = [
    {"kind": "Relu"}, {"kind": "Clip", "alpha": -0.25, "beta": 0.5},
    {"kind": "LeakyRelu", "alpha": 0.1}, {"kind": "Sigmoid"}, {"kind": "Tanh"},
    {"kind": "HardSigmoid", "alpha": 0.2, "beta": 0.5}, {"kind": "HardSwish"}, {"kind": "SiLU"},
    {"kind": "Gelu"}, {"kind": "GeluTanh"}, {"kind": "Elu", "alpha": 0.7}, {"kind": "Mish"},
    {"kind": "Softplus"},
]


# ---- convolution -----------------------------------------------------------------------

def resolve_pads(mode, in_hw, k, s, d, pads):
    """[top, left, bottom, right] for PaddingMode (ONNX auto_pad)."""
    if mode in (None, "Explicit"):
        return list(pads) if pads else [0, 0, 0, 0]
    if mode == "Valid":
        return [0, 0, 0, 0]
    begin, end = [], []
    for i in range(2):
        ek = (k[i] - 1) * d[i] + 1
        out = -(-in_hw[i] // s[i])
        total = max(0, (out - 1) * s[i] + ek - in_hw[i])
        small = total // 2
        if mode == "SameUpper":
            begin.append(small)
            end.append(total - small)
        else:
            begin.append(total - small)
            end.append(small)
    return [begin[0], begin[1], end[0], end[1]]


def conv_ref(x, w, b, strides, dil, pads, group, act):
    xt = F.pad(T(x), (pads[1], pads[3], pads[0], pads[2]))
    y = F.conv2d(xt, T(w), None if b is None else T(b), stride=strides, dilation=dil,
                 groups=group)
    return act_torch(y, act)
