#!/usr/bin/python3
"""`strixc convert --precision int8 --int8-io` (converter/quant/int8_io.h) end to end on two
small ONNX models built here with onnx.helper, each converted with and without --int8-io on
the same calibration data:

  A  x -> Conv -> Relu -> Flatten -> Gemm -> y: x and y become i8. The test quantizes the f32
     input itself (numpy: round half to even of x / scale + zero point, clamped), with the
     scale and zero point `strixc inspect --json` reports for the i8 input, and checks that
     the --int8-io output, dequantized, equals the plain INT8 model's f32 output exactly.
  B  x -> Conv -> y1, x -> Sigmoid -> y2, y1 -> Sigmoid -> y3: x stays f32 (it feeds a
     Sigmoid directly), y1 becomes i8 (its Dequantize stays for the Sigmoid), y2 and y3 stay
     f32; every output matches the plain INT8 model's.

Also: the per-input/output lines, names unchanged, `strix run` rejecting an f32 file for an
i8 input with the quantization in the message, `strix bench` on the i8 model, and the usage
error (exit 2) of --int8-io without --precision int8.

    int8_io_test.py --strixc STRIXC --strix STRIX --out DIR
"""
import argparse
import json
import os
import re
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from quant_cli_test import FAILURES, check, run


def save_model(path, nodes, outputs, weights):
    graph = helper.make_graph(
        nodes, "m", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, 7, 9])],
        [helper.make_tensor_value_info(o, TensorProto.FLOAT, shape) for o, shape in outputs],
        [numpy_helper.from_array(a, n) for n, a in weights.items()])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), path)


def make_model_a(path):
    rng = np.random.default_rng(3)
    w = {"w1": rng.uniform(-0.5, 0.5, (4, 3, 3, 3)), "b1": rng.uniform(-0.1, 0.1, 4),
         "w2": rng.uniform(-0.2, 0.2, (5, 4 * 7 * 9)), "b2": rng.uniform(-0.1, 0.1, 5)}
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c"], pads=[1, 1, 1, 1], name="conv"),
        helper.make_node("Relu", ["c"], ["r"], name="relu"),
        helper.make_node("Flatten", ["r"], ["f"], name="flatten"),
        helper.make_node("Gemm", ["f", "w2", "b2"], ["y"], transB=1, name="fc"),
    ]
    save_model(path, nodes, [("y", ["N", 5])], {k: v.astype(np.float32) for k, v in w.items()})


def make_model_b(path):
    rng = np.random.default_rng(5)
    w = {"w1": rng.uniform(-0.5, 0.5, (6, 3, 3, 3)), "b1": rng.uniform(-0.1, 0.1, 6)}
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["y1"], pads=[1, 1, 1, 1], name="conv"),
        helper.make_node("Sigmoid", ["x"], ["y2"], name="sig_x"),
        helper.make_node("Sigmoid", ["y1"], ["y3"], name="sig_y1"),
    ]
    save_model(path, nodes, [("y1", ["N", 6, 7, 9]), ("y2", ["N", 3, 7, 9]),
                             ("y3", ["N", 6, 7, 9])],
               {k: v.astype(np.float32) for k, v in w.items()})


def inspect(strixc, model):
    rc, out = run([strixc, "inspect", model, "--json"])
    return json.loads(out) if rc == 0 else None


def quantize(x, scale, zero_point):
    """Independent of the runtime: round half to even of x / scale (f32), + zp, clamp."""
    q = np.rint(x.astype(np.float32) / np.float32(scale)) + zero_point
    return np.clip(q, -128, 127).astype(np.int8)


def dequantize(q, scale, zero_point):
    return np.float32(scale) * (q.astype(np.int32) - zero_point).astype(np.float32)


def run_model(a, model, inputs, out_dir):
    cmd = [a.strix, "run", model, "--batch", "3", "--output-dir", out_dir]
    for name, path in inputs.items():
        cmd += ["--input", name + "=" + path]
    return run(cmd)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--strixc", required=True)
    ap.add_argument("--strix", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    j = lambda name: os.path.join(a.out, name)
    # Non-negative, image-like data: x's zero point is -128 (a signed range has 0).
    calib = np.random.default_rng(7).uniform(0.0, 1.5, (40, 3, 7, 9)).astype(np.float32)
    np.save(j("calib.npy"), calib)
    int8 = ["--precision", "int8", "--calib-data", "npy:" + j("calib.npy")]
    # Fresh data, beyond the calibrated range too (the clamp), batch 3.
    x = np.random.default_rng(11).uniform(-0.2, 1.7, (3, 3, 7, 9)).astype(np.float32)
    np.save(j("x.npy"), x)

    # --- Model A: i8 input and output.
    make_model_a(j("a.onnx"))
    rc, out = run([a.strixc, "convert", j("a.onnx"), "-o", j("a8.strix")] + int8)
    check(rc == 0 and "input '" not in out, "A: plain int8 convert prints no I/O lines")
    rc, out = run([a.strixc, "convert", j("a.onnx"), "-o", j("a8io.strix"), "--int8-io"] + int8)
    check(rc == 0, "A: convert --int8-io: " + out.strip()[-300:])
    m_in = re.search(r"input 'x': int8 \(scale ([0-9.e+-]+), zero point (-?\d+)\)", out)
    m_out = re.search(r"output 'y': int8 \(scale ([0-9.e+-]+), zero point (-?\d+)\)", out)
    check(m_in is not None and m_out is not None, "A: one line each for x and y: " + out.strip())
    check("0 quantize, 0 dequantize" in out, "A: no Quantize/Dequantize left in the summary")
    plain, io = inspect(a.strixc, j("a8.strix")), inspect(a.strixc, j("a8io.strix"))
    check(plain is not None and io is not None, "A: inspect --json both")
    if not (plain and io and m_in and m_out):
        return
    xin, yout = io["inputs"][0], io["outputs"][0]
    check(plain["inputs"][0]["dtype"] == "f32" and plain["outputs"][0]["dtype"] == "f32",
          "A: the plain INT8 model has f32 I/O")
    check(xin["name"] == "x" and xin["dtype"] == "i8" and yout["name"] == "y" and
          yout["dtype"] == "i8", "A: --int8-io model: x and y keep their names and are i8")
    check(not any(n["op"] in ("Quantize", "Dequantize") for n in io["nodes"]),
          "A: no Quantize/Dequantize node left")
    xs, xz = xin["quantization"]["scales"][0], xin["quantization"]["zero_points"][0]
    ys, yz = yout["quantization"]["scales"][0], yout["quantization"]["zero_points"][0]
    check(float(m_in.group(1)) == float("%g" % xs) and int(m_in.group(2)) == xz and
          float(m_out.group(1)) == float("%g" % ys) and int(m_out.group(2)) == yz,
          "A: the printed scales/zero points are inspect's (x %g %d, y %g %d)" % (xs, xz, ys, yz))
    check(xz == -128, "A: x's zero point is -128 (%d)" % xz)
    rc, text = run([a.strixc, "inspect", j("a8io.strix")])
    check("'x' [?x3x7x9] i8 (scale %g, zero point %d)" % (xs, xz) in text,
          "A: strixc inspect shows the i8 input with its quantization")
    # Exact ties (x / scale == k + 0.5 in f32) for even and odd k: round half to even.
    ties = [v for v in (np.float32((k + 0.5) * np.float32(xs)) for k in range(1, 200))
            if float(v / np.float32(xs)) % 1 == 0.5][:40]
    check(len(ties) >= 20, "A: %d tie values planted" % len(ties))
    x.reshape(-1)[:len(ties)] = ties
    np.save(j("x.npy"), x)
    xq = quantize(x, xs, xz)
    check(len(np.unique(xq)) > 100 and (xq == 127).any() and (xq == -128).any(),
          "A: the quantized input spans the range, both ends clamped")
    np.save(j("xq.npy"), xq)
    rc, out = run_model(a, j("a8.strix"), {"x": j("x.npy")}, j("out_a8"))
    check(rc == 0, "A: strix run plain int8: " + out.strip()[-200:])
    rc, out = run_model(a, j("a8io.strix"), {"x": j("xq.npy")}, j("out_a8io"))
    check(rc == 0 and ("output 'y': [3x5] i8 (scale %g, zero point %d)" % (ys, yz)) in out,
          "A: strix run --int8-io model prints y's quantization: " + out.strip()[-200:])
    if rc == 0:
        y8 = np.load(j("out_a8/y.npy"))
        yq = np.load(j("out_a8io/y.npy"))
        check(yq.dtype == np.int8 and len(np.unique(yq)) > 5, "A: y is i8, varied values")
        yd = dequantize(yq, ys, yz)
        check(y8.dtype == np.float32 and np.array_equal(yd, y8),
              "A: dequantized i8 output == plain INT8 output (max diff %g)" %
              np.abs(yd - y8).max())
    rc, out = run_model(a, j("a8io.strix"), {"x": j("x.npy")}, j("out_bad"))
    check(rc == 1 and "expects [3x3x7x9] i8" in out and "quantized (scale" in out,
          "A: an f32 file for the i8 input: " + out.strip())
    rc, out = run([a.strix, "bench", j("a8io.strix"), "--batch", "2", "--iterations", "3"])
    check(rc == 0, "A: strix bench on the i8 model: " + out.strip()[-200:])

    # --- Model B: x feeds a float node and stays f32; y1 i8 with its Dequantize kept.
    make_model_b(j("b.onnx"))
    rc, out = run([a.strixc, "convert", j("b.onnx"), "-o", j("b8.strix")] + int8)
    check(rc == 0, "B: plain int8 convert")
    rc, out = run([a.strixc, "convert", j("b.onnx"), "-o", j("b8io.strix"), "--int8-io"] + int8)
    check(rc == 0, "B: convert --int8-io: " + out.strip()[-300:])
    check("input 'x': stays f32: feeds a Sigmoid directly" in out, "B: x stays f32")
    check(re.search(r"output 'y1': int8 \(scale", out) is not None, "B: y1 becomes int8")
    check("output 'y2': stays f32: written by a Sigmoid, not a Dequantize" in out and
          "output 'y3': stays f32: written by a Sigmoid, not a Dequantize" in out,
          "B: y2 and y3 stay f32")
    io = inspect(a.strixc, j("b8io.strix"))
    if io is None:
        check(False, "B: inspect")
        return
    outs = {t["name"]: t for t in io["outputs"]}
    check(io["inputs"][0]["dtype"] == "f32" and [t["name"] for t in io["outputs"]] ==
          ["y1", "y2", "y3"] and outs["y1"]["dtype"] == "i8" and outs["y2"]["dtype"] == "f32",
          "B: x f32, outputs in order with names kept, y1 i8")
    check(sum(n["op"] == "Dequantize" for n in io["nodes"]) == 1,
          "B: y1's Dequantize stays (the Sigmoid reads it)")
    rc1, out1 = run_model(a, j("b8.strix"), {"x": j("x.npy")}, j("out_b8"))
    rc2, out2 = run_model(a, j("b8io.strix"), {"x": j("x.npy")}, j("out_b8io"))
    check(rc1 == 0 and rc2 == 0, "B: strix run both: " + (out1 + out2).strip()[-300:])
    if rc1 == 0 and rc2 == 0:
        q = outs["y1"]["quantization"]
        y1q = np.load(j("out_b8io/y1.npy"))
        y1 = np.load(j("out_b8/y1.npy"))
        check(y1q.dtype == np.int8 and
              np.array_equal(dequantize(y1q, q["scales"][0], q["zero_points"][0]), y1),
              "B: y1 dequantized == plain INT8 y1")
        for name in ("y2", "y3"):
            got, want = np.load(j("out_b8io/%s.npy" % name)), np.load(j("out_b8/%s.npy" % name))
            check(got.dtype == np.float32 and np.array_equal(got, want) and np.ptp(want) > 0,
                  "B: %s byte-equal to plain INT8" % name)

    # --- Usage: --int8-io needs --precision int8 (exit 2, no file written).
    for prec in ([], ["--precision", "fp16"]):
        rc, out = run([a.strixc, "convert", j("a.onnx"), "-o", j("bad.strix"), "--int8-io"] + prec)
        check(rc == 2 and "--int8-io needs --precision int8" in out and
              not os.path.exists(j("bad.strix")), "usage error %s: %s" % (prec, out.strip()))


if __name__ == "__main__":
    main()
    print("%d failure(s)" % len(FAILURES))
    sys.exit(1 if FAILURES else 0)
