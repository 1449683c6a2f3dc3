#!/usr/bin/python3
"""`strixc convert --precision best`: the one layer whose INT8 version breaks the accuracy
budget is the one kept in float.

Usage: best_test.py --strixc STRIXC --out DIR

The model: Conv+Relu, Conv+Relu, GlobalAveragePool, Gemm -> logits. The Gemm's last logit
has a bias of -4000: argmax never picks it, but the logits tensor's per-tensor INT8 scale
then becomes ~30, which rounds every other logit to the same few levels: with only the Gemm
in INT8 the top-1 collapses, with only a conv in INT8 it barely moves. Labels are FP32's own
top-1 (FP32 accuracy 100 %).

1. --no-speed-check, budget 3 pt: the Gemm (and only it) is float, both convs INT8, its
   sensitivity is the lowest, and the written file holds i8 conv outputs and f32 logits.
2. With the speed check: every layer reported with both timings; a layer stays INT8 only if
   its INT8 time is below its float time.
3. A model that is not a classifier: the budget is the output SQNR (--min-sqnr 15: both
   convs INT8; 60: both float).
4. Usage errors: best without --val-data, --val-data without best (exit 2).
"""
import argparse
import json
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

N, C, H, W = 160, 3, 12, 10


def model(rng):
    def w(*shape, scale=0.3):
        return (rng.standard_normal(shape) * scale).astype(np.float32)
    fc_b = w(10, scale=0.1)
    fc_b[9] = -4000.0
    fc_w = w(10, 16, scale=1.0)
    fc_w[9] = 0
    inits = {"w1": w(8, C, 3, 3), "b1": w(8, scale=0.1), "w2": w(16, 8, 3, 3, scale=0.2),
             "b2": w(16, scale=0.1), "fc_w": fc_w, "fc_b": fc_b}
    n = helper.make_node
    nodes = [n("Conv", ["x", "w1", "b1"], ["c1"], name="conv1", pads=[1, 1, 1, 1]),
             n("Relu", ["c1"], ["r1"], name="relu1"),
             n("Conv", ["r1", "w2", "b2"], ["c2"], name="conv2", pads=[1, 1, 1, 1], strides=[2, 2]),
             n("Relu", ["c2"], ["r2"], name="relu2"),
             n("GlobalAveragePool", ["r2"], ["gap"], name="gap"),
             n("Flatten", ["gap"], ["flat"], name="flatten"),
             n("Gemm", ["flat", "fc_w", "fc_b"], ["logits"], name="fc", transB=1)]
    g = helper.make_graph(nodes, "best_net",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", C, H, W])],
                          [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 10])],
                          initializer=[numpy_helper.from_array(v, k) for k, v in inits.items()])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 7
    onnx.checker.check_model(m)
    return m, inits


def forward(inits, x):
    """numpy FP32 forward pass (labels = FP32 top-1)."""
    def conv(x, w, b, stride):
        n, c, h, wd = x.shape
        xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
        oh, ow = (h + 2 - 3) // stride + 1, (wd + 2 - 3) // stride + 1
        out = np.zeros((n, w.shape[0], oh, ow), np.float64)
        for i in range(3):
            for j in range(3):
                patch = xp[:, :, i:i + stride * oh:stride, j:j + stride * ow:stride]
                out += np.einsum("nchw,oc->nohw", patch, w[:, :, i, j])
        return out + b[None, :, None, None]
    r1 = np.maximum(conv(x, inits["w1"], inits["b1"], 1), 0)
    r2 = np.maximum(conv(r1, inits["w2"], inits["b2"], 2), 0)
    return r2.mean(axis=(2, 3)) @ inits["fc_w"].T + inits["fc_b"]


def run(cmd, expect_rc=0):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != expect_rc:
        sys.exit(f"FAIL: {' '.join(cmd)} exited {p.returncode} (expected {expect_rc})\n"
                 f"{p.stdout}{p.stderr}")
    return p


def table(stdout):
    """node -> (op, sens, int8_ms, float_ms, choice, reason) from the report table."""
    rows = {}
    for line in stdout.splitlines():
        parts = line.split()
        if len(parts) >= 7 and parts[0] in ("conv1", "conv2", "fc"):
            rows[parts[0]] = (parts[1], parts[2], parts[3], parts[4], parts[5],
                              " ".join(parts[6:]))
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--strixc", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.default_rng(11)
    m, inits = model(rng)
    onnx_path = os.path.join(args.out, "best.onnx")
    onnx.save(m, onnx_path)
    x = rng.standard_normal((N, C, H, W)).astype(np.float32)
    labels = forward(inits, x.astype(np.float64)).argmax(1).astype(np.int64)
    np.save(os.path.join(args.out, "x.npy"), x)
    np.save(os.path.join(args.out, "y.npy"), labels)
    calib = f"npy:{os.path.join(args.out, 'x.npy')}"
    val = f"npy:{os.path.join(args.out, 'x.npy')},{os.path.join(args.out, 'y.npy')}"
    failures = []

    # 1. No speed check: exactly the Gemm is float.
    out = os.path.join(args.out, "best.strix")
    p = run([args.strixc, "convert", onnx_path, "-o", out, "--precision", "best",
             "--calib-data", calib, "--calib-samples", "64", "--val-data", val,
             "--accuracy-budget", "3", "--no-speed-check", "--task", "classify"])
    print(p.stdout)
    rows = table(p.stdout)
    if set(rows) != {"conv1", "conv2", "fc"}:
        failures.append(f"report rows {sorted(rows)}, expected conv1, conv2, fc")
    else:
        choices = {k: v[4] for k, v in rows.items()}
        if choices != {"conv1": "int8", "conv2": "int8", "fc": "fp32"}:
            failures.append(f"choices {choices}: expected only fc in fp32")
        if "sensitive" not in rows["fc"][5]:
            failures.append(f"fc reason: {rows['fc'][5]}")
        sens = {k: float(v[1]) if v[1] != "inf" else 1e9 for k, v in rows.items()}
        if not sens["fc"] < min(sens["conv1"], sens["conv2"]) - 10:
            failures.append(f"sensitivities {sens}: fc must be the lowest by > 10 dB")
    if "budget NOT met" in p.stdout or "best: top-1" not in p.stdout:
        failures.append("the outcome line must report a met top-1 budget")
    info = json.loads(run([args.strixc, "inspect", out, "--json"]).stdout)
    dtypes = {}
    for node in info.get("nodes", []):
        for o in node.get("outputs", []):
            if isinstance(o, dict):
                dtypes[o.get("name")] = o.get("dtype")
    text = run([args.strixc, "inspect", out]).stdout
    conv_i8 = [l for l in text.splitlines() if "Conv2D" in l and "] i8" in l]
    fc_f32 = [l for l in text.splitlines() if "FullyConnected" in l and "] f32" in l]
    if len(conv_i8) != 2 or len(fc_f32) != 1:
        failures.append("written file: expected 2 i8 Conv2D outputs and an f32 FullyConnected:\n"
                        + text)

    # 2. With the speed check.
    out2 = os.path.join(args.out, "best_speed.strix")
    p = run([args.strixc, "convert", onnx_path, "-o", out2, "--precision", "best",
             "--calib-data", calib, "--calib-samples", "64", "--val-data", val,
             "--accuracy-budget", "3", "--task", "classify"])
    print(p.stdout)
    for node, (op, sens, i8, fl, choice, reason) in table(p.stdout).items():
        i8, fl = float(i8), float(fl)
        if i8 < 0 or fl < 0 or i8 + fl <= 0:
            failures.append(f"{node}: timings {i8} / {fl} ms")
        # Printed rounded: an INT8 choice needs int8 <= float as printed (< before rounding).
        if choice == "int8" and not i8 <= fl:
            failures.append(f"{node}: int8 although {i8} ms > {fl} ms")
        if choice != "int8" and i8 > fl and "not faster" not in reason:
            failures.append(f"{node}: float without the speed reason: {reason}")
        if node == "fc" and choice == "int8":
            failures.append("fc must stay float")

    # 3. Not a classifier (output [N, 3, H, W]): the budget is the output SQNR.
    n = helper.make_node
    srng = np.random.default_rng(3)
    seg_inits = [numpy_helper.from_array((srng.standard_normal((6, C, 3, 3)) * 0.3)
                                         .astype(np.float32), "sw1"),
                 numpy_helper.from_array((srng.standard_normal((3, 6, 3, 3)) * 0.3)
                                         .astype(np.float32), "sw2")]
    g = helper.make_graph(
        [n("Conv", ["x", "sw1"], ["s1"], name="conv1", pads=[1, 1, 1, 1]),
         n("Relu", ["s1"], ["sr1"], name="relu"),
         n("Conv", ["sr1", "sw2"], ["y"], name="conv2", pads=[1, 1, 1, 1])], "seg",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", C, H, W])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", C, H, W])],
        initializer=seg_inits)
    seg = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    seg.ir_version = 7
    seg_path = os.path.join(args.out, "seg.onnx")
    onnx.save(seg, seg_path)
    for min_sqnr, want in (("15", "int8"), ("60", "fp32")):
        p = run([args.strixc, "convert", seg_path, "-o", os.path.join(args.out, "seg.strix"),
                 "--precision", "best", "--calib-data", calib, "--calib-samples", "64",
                 "--val-data", calib, "--min-sqnr", min_sqnr, "--no-speed-check"])
        choices = {k: v[4] for k, v in table(p.stdout).items()}
        if choices != {"conv1": want, "conv2": want} or "best: output SQNR" not in p.stdout:
            failures.append(f"seg, --min-sqnr {min_sqnr}: {choices}, expected {want}:\n"
                            + p.stdout)

    # 4. Usage errors.
    p = run([args.strixc, "convert", onnx_path, "-o", out2, "--precision", "best",
             "--calib-data", calib], 2)
    if "--val-data" not in p.stderr:
        failures.append("best without --val-data: " + p.stderr)
    p = run([args.strixc, "convert", onnx_path, "-o", out2, "--val-data", val], 2)
    if "--precision best" not in p.stderr:
        failures.append("--val-data without best: " + p.stderr)

    if failures:
        print("FAIL:\n  " + "\n  ".join(failures))
        return 1
    print("best_test: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
