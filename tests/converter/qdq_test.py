#!/usr/bin/python3
"""QDQ (quantization-aware) ONNX import: `strixc convert qat.onnx --precision int8` without
calibration data, compared with ONNX Runtime running the same QDQ model.

Usage: qdq_test.py --strixc STRIXC --strix STRIX --out DIR   (the test venv's python)

1. A small conv net quantized by onnxruntime.quantization.quantize_static (QDQ format,
   per-channel int8 weights, uint8 activations): converted to INT8 with no --calib-data, it
   must hold INT8 nodes and match ORT within 1 step of the output scale on >= 99 % of the
   elements (never more than 2 steps).
2. A hand-made QDQ graph (onnx.helper): int8 weights whose per-channel scales are NOT
   max|w| / 127 (kept as given), a Sigmoid (no INT8 kernel: its QDQ pairs fall back to fake
   quantization) and a uint8 output pair; INT8 and FP32 conversions both match ORT within
   1 step of the output scale.
3. A lone DequantizeLinear on a uint8 input and a lone QuantizeLinear to an int8 output:
   bit-exact with ORT.
"""
import argparse
import os
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper
from onnxruntime.quantization import (CalibrationDataReader, QuantFormat, QuantType,
                                      quantize_static)


def run(cmd, expect_rc=0):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != expect_rc:
        sys.exit(f"FAIL: {' '.join(cmd)} exited {p.returncode}\n{p.stdout}{p.stderr}")
    return p


def float_net(rng):
    def w(*shape, scale=0.3):
        return (rng.standard_normal(shape) * scale).astype(np.float32)
    inits = [numpy_helper.from_array(v, k) for k, v in {
        "w1": w(8, 3, 3, 3), "b1": w(8, scale=0.1), "w2": w(12, 8, 3, 3, scale=0.15),
        "b2": w(12, scale=0.1), "fc_w": w(10, 12), "fc_b": w(10, scale=0.1)}.items()]
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="conv1", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("MaxPool", ["r1"], ["p1"], name="pool1", kernel_shape=[2, 2],
                         strides=[2, 2]),
        helper.make_node("Conv", ["p1", "w2", "b2"], ["c2"], name="conv2", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c2"], ["r2"], name="relu2"),
        helper.make_node("GlobalAveragePool", ["r2"], ["gap"], name="gap"),
        helper.make_node("Flatten", ["gap"], ["flat"], name="flatten"),
        helper.make_node("Gemm", ["flat", "fc_w", "fc_b"], ["logits"], name="fc", transB=1),
    ]
    g = helper.make_graph(nodes, "qdq_net",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 15, 13])],
                          [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 10])],
                          initializer=inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 7
    onnx.checker.check_model(m)
    return m


class Reader(CalibrationDataReader):
    def __init__(self, items):
        self.it = iter([{"x": x[None]} for x in items])

    def get_next(self):
        return next(self.it, None)


def output_scale(model, output):
    """Scale of the DequantizeLinear that writes `output` (1.0 if none)."""
    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    for n in model.graph.node:
        if n.op_type == "DequantizeLinear" and n.output[0] == output:
            return float(inits[n.input[1]])
    return None


def strix_outputs(strix, model, xs, out, name):
    res = []
    for i, x in enumerate(xs):
        xp = os.path.join(out, f"x{i}.npy")
        np.save(xp, x[None])
        d = os.path.join(out, f"o{i}")
        run([strix, "run", model, "-i", f"x={xp}", "-o", d])
        res.append(np.load(os.path.join(d, name + ".npy")))
    return np.concatenate(res)


def ort_outputs(model, xs, name):
    so = ort.SessionOptions()
    sess = ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])
    return np.concatenate([sess.run([name], {"x": x[None]})[0] for x in xs])


def check_steps(what, got, want, step, failures, frac=0.99, max_steps=2.0):
    d = np.abs(got.astype(np.float64) - want) / step
    within = float((d <= 1.0 + 1e-3).mean())
    print(f"{what}: step {step:.5g}, max {d.max():.3f} steps, {100 * within:.2f} % within 1 step")
    if within < frac or d.max() > max_steps + 1e-3:
        failures.append(f"{what}: {100 * within:.2f} % within 1 step (need {100 * frac} %), "
                        f"max {d.max():.3f} steps")


def inspect_i8_nodes(strixc, path):
    import json
    info = json.loads(run([strixc, "inspect", path, "--json"]).stdout)
    text = json.dumps(info)
    return text.count('"i8"')


def hand_made(rng):
    """x -Q/DQ-> Conv (int8 weights, given scales) -Q/DQ-> Sigmoid -Q/DQ(u8)-> y."""
    c_in, c_out = 3, 5
    wq = rng.integers(-90, 91, (c_out, c_in, 3, 3)).astype(np.int8)  # never reaches 127
    w_scale = (rng.uniform(0.5, 1.5, c_out) * 0.01).astype(np.float32)
    bias = (rng.standard_normal(c_out) * 0.2).astype(np.float32)
    inits = [
        numpy_helper.from_array(np.float32(0.02), "x_s"),
        numpy_helper.from_array(np.uint8(128), "x_z"),
        numpy_helper.from_array(wq, "w_q"),
        numpy_helper.from_array(w_scale, "w_s"),
        numpy_helper.from_array(np.zeros(c_out, np.int8), "w_z"),
        numpy_helper.from_array(bias, "bias"),
        numpy_helper.from_array(np.float32(0.03), "c_s"),
        numpy_helper.from_array(np.int8(3), "c_z"),
        numpy_helper.from_array(np.float32(1.0 / 255), "y_s"),
        numpy_helper.from_array(np.uint8(0), "y_z"),
    ]
    n = helper.make_node
    nodes = [
        n("QuantizeLinear", ["x", "x_s", "x_z"], ["x_q"], name="x_q"),
        n("DequantizeLinear", ["x_q", "x_s", "x_z"], ["x_dq"], name="x_dq"),
        n("DequantizeLinear", ["w_q", "w_s", "w_z"], ["w"], name="w_dq", axis=0),
        n("Conv", ["x_dq", "w", "bias"], ["c"], name="conv", pads=[1, 1, 1, 1]),
        n("QuantizeLinear", ["c", "c_s", "c_z"], ["c_q"], name="c_q"),
        n("DequantizeLinear", ["c_q", "c_s", "c_z"], ["c_dq"], name="c_dq"),
        n("Sigmoid", ["c_dq"], ["s"], name="sigmoid"),
        n("QuantizeLinear", ["s", "y_s", "y_z"], ["s_q"], name="s_q"),
        n("DequantizeLinear", ["s_q", "y_s", "y_z"], ["y"], name="y_dq"),
    ]
    g = helper.make_graph(nodes, "hand_qdq",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, c_in, 9, 7])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, c_out, 9, 7])],
                          initializer=inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 7
    onnx.checker.check_model(m)
    return m


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--strixc", required=True)
    ap.add_argument("--strix", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.default_rng(5)
    failures = []

    # 1. quantize_static (QDQ).
    fp32 = float_net(rng)
    fp32_path = os.path.join(args.out, "net_fp32.onnx")
    onnx.save(fp32, fp32_path)
    calib = rng.standard_normal((16, 3, 15, 13)).astype(np.float32)
    qdq_path = os.path.join(args.out, "net_qdq.onnx")
    quantize_static(fp32_path, qdq_path, Reader(calib), quant_format=QuantFormat.QDQ,
                    per_channel=True, activation_type=QuantType.QUInt8,
                    weight_type=QuantType.QInt8)
    qdq = onnx.load(qdq_path)
    print("ORT QDQ ops:", sorted({n.op_type for n in qdq.graph.node}))
    strix_path = os.path.join(args.out, "net_qdq.strix")
    p = run([args.strixc, "convert", qdq_path, "-o", strix_path, "--precision", "int8"])
    print(p.stdout.strip())
    n_i8 = inspect_i8_nodes(args.strixc, strix_path)
    if n_i8 < 4:
        failures.append(f"quantize_static model: only {n_i8} i8 tensors in the converted file")
    xs = rng.standard_normal((12, 3, 15, 13)).astype(np.float32)
    got = strix_outputs(args.strix, strix_path, xs, args.out, "logits")
    want = ort_outputs(qdq, xs, "logits")
    step = output_scale(qdq, "logits")
    if step is None:
        failures.append("quantize_static model: no DequantizeLinear writes 'logits'")
    else:
        check_steps("quantize_static int8 vs ORT", got, want, step, failures)

    # --precision best on the QDQ model: the QDQ table stands in for calibration, and layers
    # put in float keep no fake quantization (no budget on random data: 100 pt).
    val = os.path.join(args.out, "val.npy")
    np.save(val, rng.standard_normal((24, 3, 15, 13)).astype(np.float32))
    best_path = os.path.join(args.out, "net_qdq_best.strix")
    p = run([args.strixc, "convert", qdq_path, "-o", best_path, "--precision", "best",
             "--val-data", f"npy:{val}", "--accuracy-budget", "100", "--no-speed-check"])
    if "calibrator qdq" not in p.stdout or "fake" in run([args.strixc, "inspect",
                                                          best_path]).stdout:
        failures.append("best on the QDQ model:\n" + p.stdout)

    # 2. Hand-made QDQ graph.
    hm = hand_made(rng)
    hm_path = os.path.join(args.out, "hand_qdq.onnx")
    onnx.save(hm, hm_path)
    xs = (rng.standard_normal((6, 3, 9, 7)) * 1.5).astype(np.float32)
    want = ort_outputs(hm, xs, "y")
    for precision in ("int8", "fp32"):
        path = os.path.join(args.out, f"hand_{precision}.strix")
        run([args.strixc, "convert", hm_path, "-o", path, "--precision", precision, "-q"])
        got = strix_outputs(args.strix, path, xs, args.out, "y")
        # FP32 is ORT's arithmetic (fake quantization): 1 step at most. INT8 requantizes the
        # conv in integers: its output may differ by 1 step of 0.03, which the Sigmoid
        # (slope <= 1/4) turns into at most 2 steps of 1/255.
        check_steps(f"hand-made {precision} vs ORT", got, want, 1.0 / 255, failures,
                    frac=0.99, max_steps=2.0 if precision == "int8" else 1.0)
    if inspect_i8_nodes(args.strixc, os.path.join(args.out, "hand_int8.strix")) < 2:
        failures.append("hand-made int8: no i8 tensors")

    # 3. A lone DequantizeLinear on a uint8 graph input and a lone QuantizeLinear to an int8
    # graph output: Strix Dequantize / Quantize nodes, bit-exact with ORT.
    n = helper.make_node
    inits = [numpy_helper.from_array(np.float32(0.1), "s"),
             numpy_helper.from_array(np.uint8(100), "z"),
             numpy_helper.from_array(np.float32(0.05), "s2"),
             numpy_helper.from_array(np.int8(-3), "z2")]
    g = helper.make_graph(
        [n("DequantizeLinear", ["x", "s", "z"], ["f"], name="dq"),
         n("Sigmoid", ["f"], ["r"], name="sig"),
         n("QuantizeLinear", ["r", "s2", "z2"], ["y"], name="q")], "lone",
        [helper.make_tensor_value_info("x", TensorProto.UINT8, [1, 4, 5])],
        [helper.make_tensor_value_info("y", TensorProto.INT8, [1, 4, 5])], initializer=inits)
    lone = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    lone.ir_version = 7
    lone_path = os.path.join(args.out, "lone.onnx")
    onnx.save(lone, lone_path)
    xq = rng.integers(0, 256, (1, 4, 5)).astype(np.uint8)
    np.save(os.path.join(args.out, "xq.npy"), xq)
    want = ort.InferenceSession(lone.SerializeToString(),
                                providers=["CPUExecutionProvider"]).run(None, {"x": xq})[0]
    run([args.strixc, "convert", lone_path, "-o", os.path.join(args.out, "lone.strix"), "-q"])
    run([args.strix, "run", os.path.join(args.out, "lone.strix"), "-i",
         f"x={os.path.join(args.out, 'xq.npy')}", "-o", os.path.join(args.out, "lone_out")])
    got = np.load(os.path.join(args.out, "lone_out", "y.npy"))
    if got.dtype != np.int8 or not np.array_equal(got, want):
        failures.append(f"lone Q/DQ: {got.dtype}, max diff "
                        f"{np.abs(got.astype(int) - want.astype(int)).max()}")

    if failures:
        print("FAIL:\n  " + "\n  ".join(failures))
        return 1
    print("qdq_test: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
