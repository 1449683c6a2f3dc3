#!/usr/bin/python3
"""`strixc compare` against independent numpy computations of the same metrics.

Usage: compare_test.py --strixc STRIXC --strix STRIX --out DIR   (run with the test venv's
python: ONNX Runtime computes the reference tensors)

1. FP16 model vs its FP32 ONNX reference: small, finite drift everywhere (SQNR > 40 dB), and
   the output row's metrics equal numpy's on `strix run` FP16 outputs vs ONNX Runtime FP32.
2. A perturbed model (one weight of the second conv changed) vs the original ONNX: every
   tensor before it is identical, the table's largest drop is exactly that conv, and every
   row's max abs / rel L2 / cosine / SQNR equals numpy's on ONNX Runtime's tensors of the
   perturbed and the original model.
3. Errors: a reference with other input shapes, a bad data spec (exit code 1, one line).
"""
import argparse
import json
import math
import os
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

N, C, H, W = 20, 3, 13, 11


def build_model(rng):
    def w(*shape, scale=0.4):
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    inits = {
        "w1": w(8, C, 3, 3), "b1": w(8, scale=0.1),
        "w2": w(8, 8, 3, 3, scale=0.2), "b2": w(8, scale=0.1),
        "w3": w(16, 8, 3, 3, scale=0.2), "b3": w(16, scale=0.1),
        "fc_w": w(10, 16, scale=0.5), "fc_b": w(10, scale=0.1),
    }
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="conv1", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("Conv", ["r1", "w2", "b2"], ["c2"], name="conv2", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c2"], ["r2"], name="relu2"),
        helper.make_node("Conv", ["r2", "w3", "b3"], ["c3"], name="conv3", strides=[2, 2]),
        helper.make_node("Relu", ["c3"], ["r3"], name="relu3"),
        helper.make_node("GlobalAveragePool", ["r3"], ["gap"], name="gap"),
        helper.make_node("Flatten", ["gap"], ["flat"], name="flatten"),
        helper.make_node("Gemm", ["flat", "fc_w", "fc_b"], ["logits"], name="fc", transB=1),
    ]
    graph = helper.make_graph(
        nodes, "compare_net", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", C, H, W])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 10])],
        initializer=[numpy_helper.from_array(v, k) for k, v in inits.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 7
    onnx.checker.check_model(model)
    return model


def ort_tensors(model, names, x):
    """Runs `model` with every name in `names` exposed as an output."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    have = {o.name for o in m.graph.output}
    for n in names:
        if n not in have:
            m.graph.output.append(helper.make_empty_tensor_value_info(n))
    sess = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
    outs = sess.run(list(names), {"x": x})
    return dict(zip(names, outs))


def metrics(a, b):
    a = a.astype(np.float64).ravel()
    b = b.astype(np.float64).ravel()
    d = a - b
    d2, b2 = float(d @ d), float(b @ b)
    return {
        "max_abs": float(np.abs(d).max()),
        "rel_l2": math.sqrt(d2 / b2),
        "cosine": float(a @ b) / math.sqrt(float(a @ a) * b2),
        "sqnr_db": math.inf if d2 == 0 else 10 * math.log10(b2 / d2),
    }


def check_close(what, got, want, failures):
    for key in ("max_abs", "rel_l2", "cosine", "sqnr_db"):
        g = got[key]
        w = want[key]
        if g is None:  # JSON null: +inf (identical)
            g = math.inf
        if math.isinf(w) or math.isinf(g):
            ok = g == w
        elif key == "sqnr_db":
            ok = abs(g - w) <= 0.05
        elif key == "cosine":
            ok = abs(g - w) <= 1e-5
        else:
            ok = abs(g - w) <= 0.01 * abs(w) + 1e-7
        if not ok:
            failures.append(f"{what}: {key} = {g}, numpy says {w}")


def run(cmd, expect_rc=0):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != expect_rc:
        sys.exit(f"FAIL: {' '.join(cmd)} exited {p.returncode} (expected {expect_rc})\n"
                 f"{p.stdout}{p.stderr}")
    return p


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--strixc", required=True)
    ap.add_argument("--strix", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.default_rng(20261127)
    model = build_model(rng)
    onnx_path = os.path.join(args.out, "net.onnx")
    onnx.save(model, onnx_path)
    x = rng.standard_normal((N, C, H, W)).astype(np.float32)
    labels = rng.integers(0, 10, N).astype(np.int64)
    x_path = os.path.join(args.out, "x.npy")
    np.save(x_path, x)
    np.save(os.path.join(args.out, "labels.npy"), labels)
    data = f"npy:{x_path},{os.path.join(args.out, 'labels.npy')}"
    failures = []

    # 1. FP16 vs the FP32 ONNX reference.
    fp16 = os.path.join(args.out, "net_fp16.strix")
    run([args.strixc, "convert", onnx_path, "-o", fp16, "--precision", "fp16", "-q",
         "--task", "classify"])
    p = run([args.strixc, "compare", fp16, "--reference", onnx_path, "--data", data, "--json",
             "--batch", "3"])
    r = json.loads(p.stdout)
    names = [t["tensor"] for t in r["tensors"]]
    print("fp16:", [(t["tensor"], t["op"], t["precision"], round(t["sqnr_db"] or 1e9, 2))
                    for t in r["tensors"]])
    if r["items"] != N:
        failures.append(f"fp16: {r['items']} items compared, expected {N}")
    if "logits" not in names or len(names) < 4:
        failures.append(f"fp16: expected conv outputs and 'logits' in the table, got {names}")
    for t in r["tensors"]:
        if t["sqnr_db"] is None or not 40 < t["sqnr_db"] < 120:
            failures.append(f"fp16: tensor {t['tensor']} SQNR {t['sqnr_db']} outside (40, 120) dB")
        if t["precision"] != "f16" and not t["is_output"]:
            failures.append(f"fp16: tensor {t['tensor']} precision {t['precision']}")
    # The output row against numpy on strix's FP16 output and ORT's FP32 output.
    outdir = os.path.join(args.out, "fp16_out")
    run([args.strix, "run", fp16, "--batch", str(N), "-i", f"x={x_path}", "-o", outdir])
    got16 = np.load(os.path.join(outdir, "logits.npy"))
    ref = ort_tensors(model, ["logits"], x)["logits"]
    out_row = [t for t in r["tensors"] if t["tensor"] == "logits"][0]
    want = metrics(got16, ref)
    # strixc's reference is Strix FP32, not ORT: agreement to ~1e-6 relative is expected.
    check_close("fp16 logits", out_row, want, failures)
    c = r.get("classification")
    agree = int((got16.argmax(1) == ref.argmax(1)).sum())
    if c is None or abs(c["top1_agree"] - agree) > 1 or c["labelled"] != N:
        failures.append(f"fp16: classification {c}, numpy top-1 agreement {agree}")
    else:
        if c["model_correct"] != int((got16.argmax(1) == labels).sum()) and abs(
                c["model_correct"] - int((got16.argmax(1) == labels).sum())) > 1:
            failures.append(f"fp16: model_correct {c['model_correct']}")

    # The same against a .strix reference (the FP32 conversion): the same numbers.
    fp32 = os.path.join(args.out, "net_fp32.strix")
    run([args.strixc, "convert", onnx_path, "-o", fp32, "-q"])
    p = run([args.strixc, "compare", fp16, "--reference", fp32, "--data", data, "--json",
             "--batch", "3"])
    r2 = json.loads(p.stdout)
    if [(t["tensor"], t["sqnr_db"]) for t in r2["tensors"]] != \
            [(t["tensor"], t["sqnr_db"]) for t in r["tensors"]]:
        failures.append("fp16 vs net_fp32.strix differs from fp16 vs net.onnx")

    # 2. A perturbed model: one weight of conv2 changed.
    bad = onnx.ModelProto()
    bad.CopyFrom(model)
    for init in bad.graph.initializer:
        if init.name == "w2":
            w2 = numpy_helper.to_array(init).copy()
            w2[3, 5, 1, 2] += 0.75
            init.CopyFrom(numpy_helper.from_array(w2, "w2"))
    bad_onnx = os.path.join(args.out, "net_bad.onnx")
    onnx.save(bad, bad_onnx)
    bad_strix = os.path.join(args.out, "net_bad.strix")
    run([args.strixc, "convert", bad_onnx, "-o", bad_strix, "-q"])
    p = run([args.strixc, "compare", bad_strix, "--reference", onnx_path, "--data", data,
             "--json", "--batch", "4"])
    r = json.loads(p.stdout)
    print("perturbed:", [(t["tensor"], t["node"], t["sqnr_db"], t["added_db"]) for t in r["tensors"]])
    names = [t["tensor"] for t in r["tensors"]]
    conv2_rows = [t for t in r["tensors"] if t["node"] == "conv2"]
    if len(conv2_rows) != 1:
        failures.append(f"perturbed: expected one row for node conv2, got {names}")
    else:
        conv2 = conv2_rows[0]["tensor"]
        if r["largest_drop"] != conv2:
            failures.append(f"perturbed: largest drop at {r['largest_drop']}, expected {conv2}")
        first_drift = next(t["tensor"] for t in r["tensors"] if t["sqnr_db"] is not None)
        if first_drift != conv2:
            failures.append(f"perturbed: first drifting tensor {first_drift}, expected {conv2}")
        before = names[:names.index(conv2)]
        if not before or any(t["sqnr_db"] is not None for t in r["tensors"][:len(before)]):
            failures.append(f"perturbed: tensors before {conv2} must be identical: {before}")
    want_a = ort_tensors(bad, names, x)
    want_b = ort_tensors(model, names, x)
    for t in r["tensors"]:
        check_close(f"perturbed {t['tensor']}", t,
                    metrics(want_a[t["tensor"]], want_b[t["tensor"]]), failures)

    # Text output: the worst and largest-drop lines.
    p = run([args.strixc, "compare", bad_strix, "--reference", onnx_path, "--data", data,
             "--limit", "5"])
    if "largest drop: " not in p.stdout or "'conv2'" not in p.stdout or "5 items" not in p.stdout:
        failures.append("text output lacks the largest-drop line naming conv2:\n" + p.stdout)
    print(p.stdout)

    # 3. Errors.
    other = onnx.ModelProto()
    other.CopyFrom(model)
    other.graph.input[0].type.tensor_type.shape.dim[2].dim_value = H + 2
    other_path = os.path.join(args.out, "net_other.onnx")
    onnx.save(other, other_path)
    p = run([args.strixc, "compare", fp16, "--reference", other_path, "--data", data], 1)
    if "differ" not in p.stderr:
        failures.append("input-shape mismatch message: " + p.stderr)
    p = run([args.strixc, "compare", fp16, "--reference", onnx_path, "--data", "npy:/nonexistent.npy"], 1)
    if "--data" not in p.stderr or len(p.stderr.strip().splitlines()) != 1:
        failures.append("bad data spec message: " + p.stderr)

    if failures:
        print("FAIL:\n  " + "\n  ".join(failures))
        return 1
    print("compare_test: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
