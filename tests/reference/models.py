"""Multi-node reference models: each is written node by node with strix_model and its
expected outputs come from an equivalent torch module (float64). They exercise the memory
planner (residual branches, in-place candidates that are also graph outputs, views, a
dynamic batch) rather than single kernels."""

import math

import numpy as np
import torch
import torch.nn.functional as F

import strix_model as sm

MODEL_RTOL = 1e-4


def T(a):
    return torch.from_numpy(np.asarray(a, dtype=np.float64))


def _expected(g, kind, name, m, inputs, outputs, batch=None, metadata=None):
    exp = [t.numpy().astype(np.float32) for t in outputs]
    atol = 1e-3 * max(1.0, max(float(np.max(np.abs(e))) for e in exp))
    g.write(kind, name, m, inputs, exp, rtol=MODEL_RTOL, atol=atol, batch=batch, kind="model",
            metadata=metadata)


CNN_LABELS = [f"class {i}" for i in range(9)] + ["the last, \"quoted\" label"]
CNN_CONTRACT = {"tensor": 0, "layout": "NCHW", "width": 29, "height": 31, "color": "BGR",
                "mean": [0.5, 0.25, 0.125], "std": [0.5, 1.0, 2.0], "unit_range": False,
                "resize": "Letterbox", "pad_value": 114.0}


class _W:
    """Deterministic weights, He-like scale so activations stay O(1)."""

    def __init__(self, g):
        self.g = g

    def conv(self, m, c, k):
        s = 1.0 / math.sqrt(c * k * k)
        return self.g.rand((m, c, k, k), -s, s) * np.float32(1.7), self.g.rand((m,), -0.1, 0.1)

    def mat(self, k, n):
        s = 1.0 / math.sqrt(k)
        return self.g.rand((k, n), -s, s) * np.float32(1.7)


def small_cnn(g):
    """conv-bn-relu-maxpool-conv(relu)-conv-add(residual)-relu-conv1x1/s2-gap-flatten-fc-
    softmax, dynamic batch (file says -1, run with batch 2); outputs logits and probs."""
    w = _W(g)
    B = 2
    x = g.rand((B, 3, 31, 29))
    w1, b1 = w.conv(8, 3, 3)
    bn = [g.rand((8,), 0.5, 1.5), g.rand((8,), -0.2, 0.2), g.rand((8,), -0.2, 0.2),
          g.rand((8,), 0.5, 2.0)]  # scale, bias, mean, var
    w2, b2 = w.conv(8, 8, 3)
    w3, b3 = w.conv(8, 8, 3)
    w4, b4 = w.conv(16, 8, 1)
    fc_w = w.mat(16, 10).T.copy()  # [10, 16], used with trans_b
    fc_b = g.rand((10,), -0.1, 0.1)

    m = sm.ModelWriter("reference model: small CNN with a residual branch")
    d = -1
    ti = m.input("image", np.float32, [d, 3, 31, 29])
    t = {}
    for name, shape in [("c1", [d, 8, 31, 29]), ("bn1", [d, 8, 31, 29]), ("r1", [d, 8, 31, 29]),
                        ("p1", [d, 8, 16, 15]), ("c2", [d, 8, 16, 15]), ("c3", [d, 8, 16, 15]),
                        ("sum", [d, 8, 16, 15]), ("r2", [d, 8, 16, 15]), ("c4", [d, 16, 8, 8]),
                        ("gap", [d, 16, 1, 1]), ("flat", [d, 16]), ("logits", [d, 10]),
                        ("probs", [d, 10])]:
        t[name] = m.tensor(name, np.float32, shape)
    k3 = {"kernel": [3, 3], "pads": [1, 1, 1, 1]}
    m.node("conv1", "Conv2D", [ti, m.constant("conv1.w", w1), m.constant("conv1.b", b1)],
           [t["c1"]], ("Conv2DOptions", k3))
    m.node("bn1", "BatchNormalization",
           [t["c1"]] + [m.constant(f"bn1.{n}", a) for n, a in zip("sbmv", bn)], [t["bn1"]],
           ("BatchNormOptions", {"epsilon": 1e-5}))
    m.node("relu1", "Relu", [t["bn1"]], [t["r1"]])
    m.node("pool1", "MaxPool", [t["r1"]], [t["p1"]],
           ("Pool2DOptions", {"kernel": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]}))
    m.node("conv2", "Conv2D", [t["p1"], m.constant("conv2.w", w2), m.constant("conv2.b", b2)],
           [t["c2"]], ("Conv2DOptions", dict(k3, activation={"kind": "Relu"})))
    m.node("conv3", "Conv2D", [t["c2"], m.constant("conv3.w", w3), m.constant("conv3.b", b3)],
           [t["c3"]], ("Conv2DOptions", k3))
    m.node("add", "Add", [t["c3"], t["p1"]], [t["sum"]])
    m.node("relu2", "Relu", [t["sum"]], [t["r2"]])
    m.node("conv4", "Conv2D", [t["r2"], m.constant("conv4.w", w4), m.constant("conv4.b", b4)],
           [t["c4"]], ("Conv2DOptions", {"kernel": [1, 1], "strides": [2, 2]}))
    m.node("gap", "GlobalAveragePool", [t["c4"]], [t["gap"]])
    m.node("flatten", "Flatten", [t["gap"]], [t["flat"]], ("FlattenOptions", {"axis": 1}))
    m.node("fc", "FullyConnected",
           [t["flat"], m.constant("fc.w", fc_w), m.constant("fc.b", fc_b)], [t["logits"]],
           ("FullyConnectedOptions", {"trans_b": True}))
    m.node("softmax", "Softmax", [t["logits"]], [t["probs"]], ("SoftmaxOptions", {"axis": -1}))
    m.output(t["logits"])
    m.output(t["probs"])
    m.metadata(task="Classify", labels=CNN_LABELS, inputs=[CNN_CONTRACT],
               postprocess={"decoder": "Softmax", "top_k": 3},
               producer="strix tests/reference/models.py", producer_version="7",
               provenance={"source_format": "strix-py", "target": "any"},
               extra={"purpose": "reference"})

    y = F.conv2d(T(x), T(w1), T(b1), padding=1)
    y = F.relu(F.batch_norm(y, T(bn[2]), T(bn[3]), T(bn[0]), T(bn[1]), False, eps=1e-5))
    p = F.max_pool2d(y, 3, 2, padding=1)
    y = F.relu(F.conv2d(p, T(w2), T(b2), padding=1))
    y = F.conv2d(y, T(w3), T(b3), padding=1)
    y = F.relu(y + p)
    y = F.conv2d(y, T(w4), T(b4), stride=2)
    y = y.mean(dim=(2, 3))
    logits = y @ T(fc_w).T + T(fc_b)
    check = {"task": 1, "labels": CNN_LABELS, "producer": "strix tests/reference/models.py",
             "producer_version": "7", "description": m.description,
             "inputs": [{k: CNN_CONTRACT[k] for k in ("width", "height", "mean", "std",
                                                       "unit_range", "pad_value")}
                        | {"color": 1, "resize": 1}],
             "source_format": "strix-py", "extra": {"purpose": "reference"}}
    _expected(g, "Model", "small_cnn_residual", m, [x], [logits, F.softmax(logits, dim=-1)],
              batch=B, metadata=check)


def unet(g):
    """Encoder conv / strided conv / bottleneck, ConvTranspose back up, Concat skip, head;
    outputs the logits and Sigmoid(logits) (an in-place candidate that must not clobber
    the other output)."""
    w = _W(g)
    x = g.rand((1, 3, 29, 31))
    we1, be1 = w.conv(8, 3, 3)
    wd, bd = w.conv(16, 8, 3)
    wb, bb = w.conv(16, 16, 3)
    s = 1.0 / math.sqrt(16 * 9)
    wt = g.rand((16, 8, 3, 3), -s, s) * np.float32(1.7)  # ConvTranspose W [C, M, kh, kw]
    bt = g.rand((8,), -0.1, 0.1)
    wh, bh = w.conv(8, 16, 3)
    wo, bo = w.conv(2, 8, 1)

    m = sm.ModelWriter("reference model: U-Net-like encoder/decoder")
    ti = m.input("x", np.float32, [1, 3, 29, 31])
    t = {}
    for name, shape in [("e1", [1, 8, 29, 31]), ("d1", [1, 16, 15, 16]), ("b1", [1, 16, 15, 16]),
                        ("u1", [1, 8, 29, 31]), ("u1r", [1, 8, 29, 31]), ("cat", [1, 16, 29, 31]),
                        ("h1", [1, 8, 29, 31]), ("logits", [1, 2, 29, 31]),
                        ("mask", [1, 2, 29, 31])]:
        t[name] = m.tensor(name, np.float32, shape)
    k3 = {"kernel": [3, 3], "pads": [1, 1, 1, 1]}
    relu = {"kind": "Relu"}
    m.node("enc1", "Conv2D", [ti, m.constant("enc1.w", we1), m.constant("enc1.b", be1)],
           [t["e1"]], ("Conv2DOptions", dict(k3, activation=relu)))
    m.node("down", "Conv2D", [t["e1"], m.constant("down.w", wd), m.constant("down.b", bd)],
           [t["d1"]], ("Conv2DOptions", dict(k3, strides=[2, 2], activation=relu)))
    m.node("bottleneck", "Conv2D", [t["d1"], m.constant("bott.w", wb), m.constant("bott.b", bb)],
           [t["b1"]], ("Conv2DOptions", dict(k3, activation={"kind": "LeakyRelu",
                                                             "alpha": 0.1})))
    m.node("up", "ConvTranspose2D", [t["b1"], m.constant("up.w", wt), m.constant("up.b", bt)],
           [t["u1"]], ("ConvTranspose2DOptions", {"kernel": [3, 3], "strides": [2, 2],
                                                  "pads": [1, 1, 1, 1]}))
    m.node("up_relu", "Relu", [t["u1"]], [t["u1r"]])
    m.node("skip", "Concat", [t["u1r"], t["e1"]], [t["cat"]], ("ConcatOptions", {"axis": 1}))
    m.node("head1", "Conv2D", [t["cat"], m.constant("head1.w", wh), m.constant("head1.b", bh)],
           [t["h1"]], ("Conv2DOptions", dict(k3, activation=relu)))
    m.node("head2", "Conv2D", [t["h1"], m.constant("head2.w", wo), m.constant("head2.b", bo)],
           [t["logits"]], ("Conv2DOptions", {"kernel": [1, 1]}))
    m.node("sigmoid", "Sigmoid", [t["logits"]], [t["mask"]])
    m.output(t["logits"])
    m.output(t["mask"])
    m.metadata(task="Segment", producer="strix tests/reference/models.py")

    e1 = F.relu(F.conv2d(T(x), T(we1), T(be1), padding=1))
    d1 = F.relu(F.conv2d(e1, T(wd), T(bd), stride=2, padding=1))
    b1 = F.leaky_relu(F.conv2d(d1, T(wb), T(bb), padding=1), 0.1)
    u1 = F.relu(F.conv_transpose2d(b1, T(wt), T(bt), stride=2, padding=1))
    h1 = F.relu(F.conv2d(torch.cat([u1, e1], dim=1), T(wh), T(bh), padding=1))
    logits = F.conv2d(h1, T(wo), T(bo))
    _expected(g, "Model", "unet_concat_skip", m, [x], [logits, torch.sigmoid(logits)])


def attention(g):
    """A pre-norm transformer block: LayerNorm, Q/K/V MatMuls, Reshape/Transpose into heads,
    scaled scores, Softmax, context, output projection + residual, LayerNorm, MLP with Gelu
    + residual. Exercises views (Reshape) and many short-lived activations."""
    B, S, D, H = 2, 13, 32, 4
    hd = D // H
    x = g.rand((B, S, D))
    w = _W(g)
    ln1 = (g.rand((D,), 0.5, 1.5), g.rand((D,), -0.1, 0.1))
    ln2 = (g.rand((D,), 0.5, 1.5), g.rand((D,), -0.1, 0.1))
    wq, wk, wv, wo = (w.mat(D, D) for _ in range(4))
    bq, bk, bv, bo = (g.rand((D,), -0.1, 0.1) for _ in range(4))
    w1, b1 = w.mat(D, 2 * D), g.rand((2 * D,), -0.1, 0.1)
    w2, b2 = w.mat(2 * D, D), g.rand((D,), -0.1, 0.1)
    scale = np.float32([1.0 / math.sqrt(hd)])

    m = sm.ModelWriter("reference model: transformer block")
    ti = m.input("tokens", np.float32, [B, S, D])

    def ten(name, shape):
        return m.tensor(name, np.float32, shape)

    def c(name, a):
        return m.constant(name, a)

    n1 = ten("ln1", [B, S, D])
    m.node("ln1", "LayerNormalization", [ti, c("ln1.s", ln1[0]), c("ln1.b", ln1[1])], [n1],
           ("LayerNormOptions", {"axis": -1, "epsilon": 1e-5}))
    heads = {}
    for nm, wm, bm, perm in (("q", wq, bq, [0, 2, 1, 3]), ("k", wk, bk, [0, 2, 3, 1]),
                             ("v", wv, bv, [0, 2, 1, 3])):
        mm = ten(f"{nm}_mm", [B, S, D])
        m.node(f"{nm}_proj", "MatMul", [n1, c(f"w{nm}", wm)], [mm])
        ab = ten(f"{nm}_bias", [B, S, D])
        m.node(f"{nm}_add", "Add", [mm, c(f"b{nm}", bm)], [ab])
        rs = ten(f"{nm}_heads", [B, S, H, hd])
        m.node(f"{nm}_reshape", "Reshape", [ab], [rs], ("ReshapeOptions", {"shape": [0, 0, H, hd]}))
        tr_shape = [B, H, S, hd] if nm != "k" else [B, H, hd, S]
        tr = ten(f"{nm}_t", tr_shape)
        m.node(f"{nm}_transpose", "Transpose", [rs], [tr], ("TransposeOptions", {"perm": perm}))
        heads[nm] = tr
    sc = ten("scores", [B, H, S, S])
    m.node("qk", "MatMul", [heads["q"], heads["k"]], [sc])
    scs = ten("scores_scaled", [B, H, S, S])
    m.node("scale", "Mul", [sc, c("scale", scale)], [scs])
    pr = ten("attn", [B, H, S, S])
    m.node("softmax", "Softmax", [scs], [pr], ("SoftmaxOptions", {"axis": -1}))
    ctx = ten("ctx", [B, H, S, hd])
    m.node("av", "MatMul", [pr, heads["v"]], [ctx])
    ctxt = ten("ctx_t", [B, S, H, hd])
    m.node("ctx_transpose", "Transpose", [ctx], [ctxt],
           ("TransposeOptions", {"perm": [0, 2, 1, 3]}))
    ctxm = ten("ctx_merged", [B, S, D])
    m.node("ctx_reshape", "Reshape", [ctxt], [ctxm], ("ReshapeOptions", {"shape": [0, 0, -1]}))
    op = ten("o_proj", [B, S, D])
    m.node("o_proj", "MatMul", [ctxm, c("wo", wo)], [op])
    ob = ten("o_bias", [B, S, D])
    m.node("o_add", "Add", [op, c("bo", bo)], [ob])
    r1 = ten("res1", [B, S, D])
    m.node("res1", "Add", [ob, ti], [r1])
    n2 = ten("ln2", [B, S, D])
    m.node("ln2", "LayerNormalization", [r1, c("ln2.s", ln2[0]), c("ln2.b", ln2[1])], [n2],
           ("LayerNormOptions", {"axis": -1, "epsilon": 1e-5}))
    h = ten("mlp1", [B, S, 2 * D])
    m.node("mlp1", "MatMul", [n2, c("w1", w1)], [h])
    hb = ten("mlp1_bias", [B, S, 2 * D])
    m.node("mlp1_add", "Add", [h, c("b1", b1)], [hb])
    hg = ten("gelu", [B, S, 2 * D])
    m.node("gelu", "Gelu", [hb], [hg])
    h2 = ten("mlp2", [B, S, D])
    m.node("mlp2", "MatMul", [hg, c("w2", w2)], [h2])
    h2b = ten("mlp2_bias", [B, S, D])
    m.node("mlp2_add", "Add", [h2, c("b2", b2)], [h2b])
    out = ten("out", [B, S, D])
    m.node("res2", "Add", [h2b, r1], [out])
    m.output(out)

    X = T(x)
    a = F.layer_norm(X, (D,), T(ln1[0]), T(ln1[1]), 1e-5)
    q = (a @ T(wq) + T(bq)).view(B, S, H, hd).permute(0, 2, 1, 3)
    k = (a @ T(wk) + T(bk)).view(B, S, H, hd).permute(0, 2, 3, 1)
    v = (a @ T(wv) + T(bv)).view(B, S, H, hd).permute(0, 2, 1, 3)
    p = F.softmax((q @ k) * float(scale[0]), dim=-1)
    ctx_ = (p @ v).permute(0, 2, 1, 3).reshape(B, S, D)
    r = ctx_ @ T(wo) + T(bo) + X
    n = F.layer_norm(r, (D,), T(ln2[0]), T(ln2[1]), 1e-5)
    y = F.gelu(n @ T(w1) + T(b1)) @ T(w2) + T(b2) + r
    _expected(g, "Model", "transformer_block", m, [x], [y])


def generate(g):
    small_cnn(g)
    unet(g)
    attention(g)
