#!/usr/bin/python3
"""`strixc calibrate` and `strixc convert --precision int8` end to end on a small ONNX model
(built here with onnx.helper) and pre-processed f32 npy data: the table file, batch-size
independence, re-applying a table, stale-table and usage errors, the model's calibration
metadata, and the INT8 output against the FP32 output (numpy) within the quantization error.

    quant_cli_test.py --strixc STRIXC --strix STRIX --out DIR
"""
import argparse
import hashlib
import json
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

FAILURES = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAILURES.append(what)


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr


def make_model(path):
    rng = np.random.default_rng(3)
    w1 = rng.uniform(-0.5, 0.5, (4, 3, 3, 3)).astype(np.float32)
    b1 = rng.uniform(-0.1, 0.1, 4).astype(np.float32)
    w2 = rng.uniform(-0.2, 0.2, (5, 4 * 7 * 9)).astype(np.float32)
    b2 = rng.uniform(-0.1, 0.1, 5).astype(np.float32)
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c"], pads=[1, 1, 1, 1], name="conv"),
        helper.make_node("Relu", ["c"], ["r"], name="relu"),
        helper.make_node("Flatten", ["r"], ["f"], name="flatten"),
        helper.make_node("Gemm", ["f", "w2", "b2"], ["y"], transB=1, name="fc"),
    ]
    graph = helper.make_graph(
        nodes, "small", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 7, 9])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 5])],
        [numpy_helper.from_array(a, n) for a, n in ((w1, "w1"), (b1, "b1"), (w2, "w2"), (b2, "b2"))])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    onnx.save(model, path)
    return w1, b1, w2, b2


def reference(x, w1, b1, w2, b2):
    n = x.shape[0]
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    c = np.zeros((n, 4, 7, 9), np.float64)
    for i in range(3):
        for j in range(3):
            c += np.einsum("nchw,oc->nohw", xp[:, :, i:i + 7, j:j + 9], w1[:, :, i, j])
    c += b1[None, :, None, None]
    r = np.maximum(c, 0).reshape(n, -1)
    return r @ w2.T.astype(np.float64) + b2


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--strixc", required=True)
    ap.add_argument("--strix", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    j = lambda name: os.path.join(a.out, name)
    params = make_model(j("m.onnx"))
    calib = np.random.default_rng(7).uniform(-1.0, 1.5, (40, 3, 7, 9)).astype(np.float32)
    np.save(j("calib.npy"), calib)
    spec = "npy:" + j("calib.npy")

    # Calibration tables: format, and independence of the batch size.
    tables = []
    for batch in (1, 32, 7):
        rc, out = run([a.strixc, "calibrate", j("m.onnx"), "--calib-data", spec, "-o",
                       j("t%d.json" % batch), "--calib-batch", str(batch), "-q"])
        check(rc == 0, "calibrate --calib-batch %d: %s" % (batch, out.strip()))
        tables.append(open(j("t%d.json" % batch)).read())
    check(tables[0] == tables[1] == tables[2], "batch 1, 32 and 7 give identical tables")
    t = json.loads(tables[0])
    check(t["format"] == "strix-calibration" and t["version"] == 1, "format and version")
    check(t["samples"] == 40 and t["calibrator"] == "mse", "samples 40, mse (the default)")
    data_sha = hashlib.sha256(open(j("calib.npy"), "rb").read()).hexdigest()
    check(t["dataset_hash"] == data_sha, "dataset_hash is the npy file's sha256")
    # Conv + Relu fuse into one node writing "r"; every tensor an INT8 node reads or writes.
    check(set(t["tensors"]) == {"x", "r", "f", "y"}, "tensors: %s" % sorted(t["tensors"]))
    check(t["tensors"]["r"]["zero_point"] == -128 and t["tensors"]["r"]["min"] >= 0,
          "the ReLU output is non-negative, zero point -128")
    x = t["tensors"]["x"]
    check(x["min"] == float(calib.min()) and x["max"] == float(calib.max()), "x min/max exact")

    # Convert with the table and with calibration: the same file apart from the timestamp.
    rc, out = run([a.strixc, "convert", j("m.onnx"), "-o", j("m8.strix"), "--precision", "int8",
                   "--calib-table", j("t1.json"), "-v"])
    check(rc == 0 and "int8: " in out and "float: op has no int8 kernel" not in out,
          "convert --calib-table: " + out.strip().splitlines()[0] if out else "no output")
    rc, out = run([a.strixc, "convert", j("m.onnx"), "-o", j("m32.strix")])
    check(rc == 0, "convert fp32")
    rc, out = run([a.strixc, "inspect", j("m8.strix"), "--json"])
    meta = json.loads(out) if rc == 0 else {}
    text = json.dumps(meta)
    check(data_sha in text and "mse" in text, "model metadata records calibrator and data")

    # INT8 vs FP32 on fresh data: within a few steps of y's scale.
    xin = np.random.default_rng(11).uniform(-1.0, 1.5, (1, 3, 7, 9)).astype(np.float32)
    np.save(j("in.npy"), xin)
    outs = {}
    for name in ("m8", "m32"):
        rc, out = run([a.strix, "run", j(name + ".strix"), "--input", "x=" + j("in.npy"),
                       "--output-dir", j("out_" + name)])
        check(rc == 0, "strix run %s: %s" % (name, out.strip()[:200]))
        outs[name] = np.load(j("out_%s/y.npy" % name)) if rc == 0 else None
    if outs["m8"] is not None and outs["m32"] is not None:
        want = reference(xin, *params)
        err32 = np.abs(outs["m32"] - want).max()
        err8 = np.abs(outs["m8"] - want).max()
        y_scale = t["tensors"]["y"]["scale"]
        check(err32 < 1e-4, "fp32 matches numpy (%.2g)" % err32)
        check(0 < err8 <= 4 * y_scale, "int8 error %.4g within 4 steps of y (%.4g)" % (err8, y_scale))

    # Errors: stale tables, usage.
    rc, out = run([a.strixc, "convert", j("m.onnx"), "-o", j("x.strix"), "-O1", "--precision",
                   "int8", "--calib-table", j("t1.json")])
    check(rc == 1 and "stale" in out and "graph_hash" in out, "-O1 table is stale: " + out.strip())
    bad = dict(t)
    bad["version"] = 9
    json.dump(bad, open(j("bad.json"), "w"))
    rc, out = run([a.strixc, "convert", j("m.onnx"), "-o", j("x.strix"), "--precision", "int8",
                   "--calib-table", j("bad.json")])
    check(rc == 1 and "version 9" in out, "unsupported version: " + out.strip())
    rc, out = run([a.strixc, "convert", j("m.onnx"), "-o", j("x.strix"), "--precision", "int8"])
    check(rc == 2 and "--calib-data" in out, "int8 without data: " + out.strip())
    rc, out = run([a.strixc, "convert", j("m.onnx"), "-o", j("x.strix"), "--precision", "int8",
                   "--calib-table", j("missing.json")])
    check(rc == 1 and "missing.json" in out, "missing table: " + out.strip())
    rc, out = run([a.strixc, "convert", j("m.onnx"), "-o", j("x.strix"), "--calib-data", spec])
    check(rc == 2 and "--precision int8" in out, "calib data without int8: " + out.strip())
    rc, out = run([a.strixc, "convert", j("m.onnx"), "-o", j("x.strix"), "--precision", "int8",
                   "--calib-data", "npy:" + j("nope.npy")])
    check(rc == 1 and "nope.npy" in out, "missing data file: " + out.strip())
    rc, out = run([a.strixc, "calibrate", j("m.onnx"), "-o", j("x.json")])
    check(rc == 2 and "calib-data" in out, "calibrate without data: " + out.strip())

    print("%d failure(s)" % len(FAILURES))
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
