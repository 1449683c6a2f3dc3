#!/usr/bin/python3
"""Writes a small demo classifier as a .strix file (used until the ONNX converter exists).

    PYTHONPATH=build/generated/python /usr/bin/python3 scripts/make_demo_model.py demo.strix
    /usr/bin/python3 scripts/make_demo_model.py --batch-dynamic demo_dyn.strix

Graph: image [1, 3, 64, 64] (NCHW, f32) -> 3 x (Conv2D 3x3 pad 1 with BatchNorm folded into
its weights, fused Relu, MaxPool 2x2/2) -> GlobalAveragePool -> Flatten -> FullyConnected to
10 classes -> Softmax -> probs [1, 10]. Weights are deterministic (seeded), so the file is
byte-for-byte reproducible; the predictions are meaningless. Metadata: task Classify, the
Fashion-MNIST class names as labels, an input contract (RGB, 64x64, stretch, ImageNet
mean/std on 0..1 pixels) and producer "strix make_demo_model.py".
With --batch-dynamic, dim 0 of the input and of every computed tensor is -1.
"""

import argparse
import glob
import os
import sys

import numpy as np

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(_ROOT, "tests", "reference"))


def _find_generated_python():
    """Makes the flatc-generated strix.fb module importable (PYTHONPATH or a build dir)."""
    try:
        import strix.fb.Model  # noqa: F401
        return
    except ImportError:
        pass
    for pattern in ("build/generated/python", "build/*/generated/python",
                    "build*/generated/python"):
        for d in sorted(glob.glob(os.path.join(_ROOT, pattern))):
            if os.path.exists(os.path.join(d, "strix", "fb", "Model.py")):
                sys.path.insert(0, d)
                return
    sys.exit("make_demo_model.py: the strix.fb Python module was not found; build the project "
             "(it generates <build>/generated/python) and set PYTHONPATH to that directory")


_find_generated_python()
import strix_model as sm  # noqa: E402

LABELS = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
          "Bag", "Ankle boot"]
INPUT_NAME = "image"
OUTPUT_NAME = "probs"
SIZE = 64
CHANNELS = [3, 16, 32, 64]
SEED = 2026
BN_EPS = 1e-5


def make_weights():
    """Deterministic weights: per stage a conv (BatchNorm folded in), then the classifier."""
    rng = np.random.default_rng(SEED)
    stages = []
    for cin, cout in zip(CHANNELS[:-1], CHANNELS[1:]):
        w = rng.normal(0, np.sqrt(2.0 / (cin * 9)), size=(cout, cin, 3, 3))
        b = rng.normal(0, 0.05, size=cout)
        gamma = rng.uniform(0.8, 1.2, size=cout)
        beta = rng.normal(0, 0.1, size=cout)
        mean = rng.normal(0, 0.1, size=cout)
        var = rng.uniform(0.5, 1.5, size=cout)
        k = gamma / np.sqrt(var + BN_EPS)
        stages.append(((w * k[:, None, None, None]).astype(np.float32),
                       ((b - mean) * k + beta).astype(np.float32)))
    fc_w = rng.normal(0, np.sqrt(1.0 / CHANNELS[-1]), size=(len(LABELS), CHANNELS[-1]))
    fc_b = rng.normal(0, 0.05, size=len(LABELS))
    return {"stages": stages, "fc_w": fc_w.astype(np.float32), "fc_b": fc_b.astype(np.float32)}


def build(weights, batch_dynamic=False):
    n = -1 if batch_dynamic else 1
    m = sm.ModelWriter("Strix demo classifier (random weights, Fashion-MNIST labels)")
    x = m.input(INPUT_NAME, np.float32, [n, 3, SIZE, SIZE])
    size = SIZE
    for i, (w, b) in enumerate(weights["stages"]):
        cout = w.shape[0]
        conv = m.tensor(f"stage{i}.conv", np.float32, [n, cout, size, size])
        m.node(f"stage{i}.conv", "Conv2D",
               [x, m.constant(f"stage{i}.conv.weight", w), m.constant(f"stage{i}.conv.bias", b)],
               [conv], options=("Conv2DOptions", {"kernel": [3, 3], "strides": [1, 1],
                                                  "pads": [1, 1, 1, 1],
                                                  "activation": {"kind": "Relu"}}))
        size //= 2
        pool = m.tensor(f"stage{i}.pool", np.float32, [n, cout, size, size])
        m.node(f"stage{i}.pool", "MaxPool", [conv], [pool],
               options=("Pool2DOptions", {"kernel": [2, 2], "strides": [2, 2]}))
        x = pool
    c = CHANNELS[-1]
    gap = m.tensor("gap", np.float32, [n, c, 1, 1])
    m.node("gap", "GlobalAveragePool", [x], [gap])
    flat = m.tensor("flatten", np.float32, [n, c])
    m.node("flatten", "Flatten", [gap], [flat], options=("FlattenOptions", {"axis": 1}))
    logits = m.tensor("logits", np.float32, [n, len(LABELS)])
    m.node("classifier", "FullyConnected",
           [flat, m.constant("classifier.weight", weights["fc_w"]),
            m.constant("classifier.bias", weights["fc_b"])],
           [logits], options=("FullyConnectedOptions", {"trans_b": True}))
    probs = m.tensor(OUTPUT_NAME, np.float32, [n, len(LABELS)])
    m.node("softmax", "Softmax", [logits], [probs], options=("SoftmaxOptions", {"axis": -1}))
    m.output(probs)
    m.metadata(
        task="Classify",
        labels=LABELS,
        inputs=[{"tensor": 0, "layout": "NCHW", "width": SIZE, "height": SIZE, "color": "RGB",
                 "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225],
                 "unit_range": True, "resize": "Stretch"}],
        postprocess={"decoder": "Softmax", "top_k": 5, "apply_softmax": False},
        producer="strix make_demo_model.py",
        producer_version="1",
        provenance={"source_format": "strix-py", "source_file": "scripts/make_demo_model.py"},
        extra={"weights": f"random, seed {SEED}"},
    )
    return m


# ---- numpy forward pass (the reference for tests/reference/check_strix_run.py) ----------

def _conv3x3_relu(x, w, b):
    n, c, h, wd = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    cols = np.stack([xp[:, :, i:i + h, j:j + wd] for i in range(3) for j in range(3)], axis=2)
    # cols [n, c, 9, h, w]; w [m, c, 3, 3] -> [m, c, 9]
    y = np.einsum("nckhw,mck->nmhw", cols, w.reshape(w.shape[0], c, 9)) + b[None, :, None, None]
    return np.maximum(y, 0)


def _maxpool2(x):
    n, c, h, w = x.shape
    return x[:, :, :h // 2 * 2, :w // 2 * 2].reshape(n, c, h // 2, 2, w // 2, 2).max(axis=(3, 5))


def numpy_forward(weights, image):
    """probs of an [N, 3, 64, 64] float32 image batch, computed in float64."""
    x = np.asarray(image, np.float64)
    for w, b in weights["stages"]:
        x = _maxpool2(_conv3x3_relu(x, w.astype(np.float64), b.astype(np.float64)))
    x = x.mean(axis=(2, 3))
    logits = x @ weights["fc_w"].astype(np.float64).T + weights["fc_b"]
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", help="output .strix file")
    ap.add_argument("--batch-dynamic", action="store_true", help="write dim 0 as -1")
    args = ap.parse_args()
    size = build(make_weights(), args.batch_dynamic).save(args.out)
    print(f"wrote {args.out} ({size} bytes): demo classifier, {len(LABELS)} classes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
