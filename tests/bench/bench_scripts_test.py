#!/usr/bin/python3
"""Fast checks of the helpers behind the accuracy and INT8 benchmark scripts (they train and
time for minutes, so CI runs only these): the training script's augmentation, learning-rate
schedule and architectures, the accuracy script's goal check, the synthetic calibration
images of tests/bench/bench_vs_ort.py, and the profile parsing and layer mapping of
tests/bench/layer_vs_ort.py (hand-made profiles). Independent references: per-sample numpy
loops and hand values.

    /usr/bin/python3 tests/bench/bench_scripts_test.py
"""
import math
import os
import sys
import unittest

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
sys.path.insert(0, os.path.join(ROOT, "tests", "bench"))

import accuracy_fashion_mnist as acc  # noqa: E402
import bench_vs_ort  # noqa: E402
import layer_vs_ort  # noqa: E402
import train_fashion_mnist as tfm  # noqa: E402


class Augment(unittest.TestCase):
    def test_matches_per_sample_crop_and_flip(self):
        # Odd sizes, so a transposed or off-by-one index shows up.
        x = torch.randn(7, 1, 9, 11)
        got = tfm.augment(x, torch.Generator().manual_seed(3), pad=2).numpy()
        # The same draws, in the same order, from an identically seeded generator.
        g = torch.Generator().manual_seed(3)
        dy = torch.randint(0, 5, (7,), generator=g).numpy()
        dx = torch.randint(0, 5, (7,), generator=g).numpy()
        flip = (torch.rand(7, generator=g) < 0.5).numpy()
        background = -tfm.MEAN / tfm.STD
        self.assertTrue(flip.any() and not flip.all(), "the seed should give both cases")
        for n in range(7):
            padded = np.full((13, 15), background, np.float32)
            padded[2:11, 2:13] = x[n, 0].numpy()
            want = padded[dy[n]:dy[n] + 9, dx[n]:dx[n] + 11]
            if flip[n]:
                want = want[:, ::-1]
            np.testing.assert_array_equal(got[n, 0], want, err_msg="sample %d" % n)

    def test_shape_and_background(self):
        x = torch.full((64, 1, 28, 28), 5.0)
        y = tfm.augment(x, torch.Generator().manual_seed(0))
        self.assertEqual(tuple(y.shape), (64, 1, 28, 28))
        values = set(np.unique(y.numpy()).tolist())
        # Shifted crops bring in padding: the normalized background, never zeros.
        self.assertEqual(values, {5.0, np.float32(-tfm.MEAN / tfm.STD).item()})


class Schedule(unittest.TestCase):
    def test_warmup_cosine_hand_values(self):
        self.assertAlmostEqual(tfm.warmup_cosine(0, 100, 10), 0.1)
        self.assertAlmostEqual(tfm.warmup_cosine(9, 100, 10), 1.0)
        self.assertAlmostEqual(tfm.warmup_cosine(10, 100, 10), 1.0)
        self.assertAlmostEqual(tfm.warmup_cosine(55, 100, 10), 0.5)
        self.assertAlmostEqual(tfm.warmup_cosine(100, 100, 10), 0.0)
        self.assertAlmostEqual(tfm.warmup_cosine(25, 100, 0), 0.5 * (1 + math.cos(math.pi / 4)))


class Architectures(unittest.TestCase):
    def test_shapes_and_sizes(self):
        # Parameter counts by hand, e.g. lenet: conv 16*25+16, conv 32*16*25+32, fc 800*120+120,
        # 120*84+84, 84*10+10.
        torch.manual_seed(0)
        x = torch.randn(3, 1, 28, 28)
        for name, params in (("cnn", 105866), ("lenet", 120382), ("resnet", 174970)):
            net = tfm.ARCHS[name]().eval()
            with torch.no_grad():
                out = net(x)
            self.assertEqual(tuple(out.shape), (3, 10), name)
            self.assertEqual(sum(p.numel() for p in net.parameters()), params, name)
            self.assertGreater(float(out.std()), 0.0, name)

    def test_resnet_layout(self):
        net = tfm.ARCHS["resnet"]()
        convs = [m for m in net.modules() if isinstance(m, torch.nn.Conv2d)]
        # Stem + 6 blocks x 2 convs + 2 projection shortcuts; widths 16/32/64.
        self.assertEqual(len(convs), 15)
        self.assertEqual(sorted({c.out_channels for c in convs}), [16, 32, 64])
        self.assertEqual(sum(isinstance(m, torch.nn.BatchNorm2d) for m in net.modules()), 15)


class AccuracyGoals(unittest.TestCase):
    @staticmethod
    def result(arch, fp32, fp16, int8):
        return {"arch": arch, "variants": {"fp32": {"top1": fp32}, "fp16": {"top1": fp16},
                                           "int8-entropy": {"top1": int8}}}

    def test_met(self):
        rs = [self.result("lenet", 0.9139, 0.9139, 0.9110),
              self.result("resnet", 0.9380, 0.93796, 0.9351)]
        self.assertEqual(acc.check(rs, "entropy"), [])

    def test_missed(self):
        rs = [self.result("lenet", 0.8990, 0.8990, 0.8990),  # FP32 below 0.90
              self.result("resnet", 0.9380, 0.9374, 0.9340)]  # FP16 -0.06, INT8 -0.40
        missed = acc.check(rs, "entropy")
        self.assertEqual(len(missed), 3, missed)
        self.assertIn("lenet: FP32", missed[0])
        self.assertIn("resnet: FP16", missed[1])
        self.assertIn("resnet: INT8 (entropy)", missed[2])

    def test_table_differences(self):
        r = self.result("resnet", 0.9380, 0.9381, 0.9350)
        r["training"] = {"epochs": 12, "device": "cuda", "torch_top1": 0.9379}
        lines = acc.table([r], ["entropy"])
        self.assertEqual(lines[2], "| resnet (12 epochs, cuda) | 93.79 | - | **93.80** | "
                                   "93.81 (+0.01) | 93.50 (-0.30) |")


class CalibrationImages(unittest.TestCase):
    def test_fixed_and_imagenet_normalized(self):
        a = bench_vs_ort.calib_images(3, size=40)
        b = bench_vs_ort.calib_images(3, size=40)
        self.assertEqual(a.shape, (3, 3, 40, 40))
        self.assertEqual(a.dtype, np.float32)
        np.testing.assert_array_equal(a, b)
        # Pixels in [0, 1] before normalization: each channel within its own bounds.
        mean = np.array(bench_vs_ort.IMAGENET_MEAN)[None, :, None, None]
        std = np.array(bench_vs_ort.IMAGENET_STD)[None, :, None, None]
        pixels = a * std + mean
        self.assertGreaterEqual(pixels.min(), -1e-5)
        self.assertLessEqual(pixels.max(), 1 + 1e-5)
        self.assertGreater(pixels.std(), 0.1)  # not flat
        self.assertFalse(np.array_equal(a[0], a[1]))


class LayerVsOrt(unittest.TestCase):
    """tests/bench/layer_vs_ort.py's parsing and mapping on a hand-made graph and profiles:
    conv_a + Relu; conv_b and the downsample conv_d feeding a residual Add (ORT fuses the Add
    into conv_b, Strix into conv_d: one merged row); MaxPool; conv_c with a swish that ORT runs
    as a separate QuickGelu; a Gemm; ORT's ReorderOutput."""

    @staticmethod
    def graph():
        def conv(name, x, y, w, **attrs):
            return {"name": name, "op": "Conv", "inputs": [x, name + ".w"], "outputs": [y],
                    "attrs": attrs, "weight": w}
        return layer_vs_ort.Graph([
            conv("/a/Conv", "x", "a", [8, 3, 3, 3], strides=[2, 2]),
            {"name": "/a/Relu", "op": "Relu", "inputs": ["a"], "outputs": ["ar"]},
            conv("/b/Conv", "ar", "b", [16, 8, 1, 1]),
            conv("/d/Conv", "ar", "d", [16, 8, 1, 1]),
            {"name": "/add/Add", "op": "Add", "inputs": ["b", "d"], "outputs": ["s"]},
            {"name": "/add/Relu", "op": "Relu", "inputs": ["s"], "outputs": ["sr"]},
            {"name": "/pool/MaxPool", "op": "MaxPool", "inputs": ["sr"], "outputs": ["p"]},
            conv("/c/Conv", "p", "c", [16, 1, 5, 5], group=16),
            {"name": "/c/Sigmoid", "op": "Sigmoid", "inputs": ["c"], "outputs": ["cs"]},
            {"name": "/c/Mul", "op": "Mul", "inputs": ["c", "cs"], "outputs": ["m"]},
            {"name": "/fc/Gemm", "op": "Gemm", "inputs": ["m", "fc.w"], "outputs": ["y"],
             "attrs": {"transB": 1}, "weight": [10, 16]},
        ])

    # strix_profile's layout, columns narrowed to fit the line.
    STRIX = """m.strix: 6 kernels, threads 1, median total 1.900 ms (sum of node medians 1.830)
calling thread CPU time per run: median 1.9 ms, min 1.8 ms
      ms     best      %  op         backend  kernel                  node / output shape
   0.500    0.450  27.3%  Conv2D     cpu      conv2d_stem3x3s2_f32    /a/Conv [1x8x7x7]
   0.400    0.390  21.9%  Conv2D+Add cpu      conv2d_1x1_gemm_add_f32 /d/Conv [1x16x7x7]
   0.300    0.290  16.4%  Conv2D     cpu      conv2d_1x1_gemm_f32     /b/Conv [1x16x7x7]
   0.350    0.340  19.1%  Conv2D     cpu      dwconv_f32_avx512       /c/Conv [1x16x3x3]
   0.200    0.190  10.9%  MaxPool    cpu      max_pool3s2_f32_avx512  /pool/MaxPool [1x16x3x3]
   0.080    0.070   4.4%  FullyConnected cpu  fully_connected_f32     /fc/Gemm [1x10]
by op:  Conv2D 1.550
by backend:  cpu 1.830
"""

    @staticmethod
    def ort_events():
        ev = [{"cat": "Session", "name": "session_initialization", "ts": 0, "dur": 50}]
        # Three runs of 100 us starting at 1000, 2000, 3000; the first is the warm-up.
        per_run = [("ar_nchwc", "Conv", 3, [300, 400, 600]),
                   ("b_nchwc", "Conv", 4, [500, 600, 700]),
                   ("d_nchwc", "Conv", 3, [100, 200, 300]),
                   ("p_nchwc", "MaxPool", 1, [100, 150, 150]),
                   ("c_nchwc", "Conv", 3, [200, 200, 220]),
                   ("/c/Mul/QuickGeluFusion/", "QuickGelu", 1, [50, 60, 80]),
                   ("ReorderOutput", "ReorderOutput", 1, [10, 20, 40]),
                   ("/fc/Gemm", "Gemm", 3, [90, 100, 120])]
        for r, start in enumerate((1000, 10000, 20000)):
            ev.append({"cat": "Session", "name": "model_run", "ts": start, "dur": 5000 + r})
            t = start + 1
            for name, op, n_in, durs in per_run:
                ev.append({"cat": "Node", "name": name + "_kernel_time", "ts": t,
                           "dur": durs[r], "args": {"op_name": op,
                                                    "input_type_shape": [{}] * n_in,
                                                    "output_type_shape": [{"float": [1, 2]}]}})
                t += 1
        return ev

    def test_parse_strix_profile(self):
        nodes, total = layer_vs_ort.parse_strix_profile(self.STRIX)
        self.assertAlmostEqual(total, 1.9)
        self.assertEqual(len(nodes), 6)
        self.assertEqual(nodes["/d/Conv"]["op"], "Conv2D+Add")
        self.assertAlmostEqual(nodes["/d/Conv"]["ms"], 0.4)
        self.assertEqual(nodes["/pool/MaxPool"]["kernel"], "max_pool3s2_f32_avx512")
        self.assertEqual(nodes["/c/Conv"]["shape"], [1, 16, 3, 3])
        self.assertEqual(nodes["/fc/Gemm"]["shape"], [1, 10])

    def test_parse_ort_profile_drops_warmup(self):
        nodes, runs = layer_vs_ort.parse_ort_profile(self.ort_events(), warmup=1)
        self.assertEqual(len(nodes), 8)
        self.assertEqual(nodes["b_nchwc"]["ms"], [0.6, 0.7])
        self.assertEqual(nodes["b_nchwc"]["inputs"], 4)
        self.assertEqual(nodes["/c/Mul/QuickGeluFusion/"]["op"], "QuickGelu")
        self.assertEqual(runs, [5.001, 5.002])

    def test_compare_maps_layers(self):
        g = self.graph()
        strix, _ = layer_vs_ort.parse_strix_profile(self.STRIX)
        ort, _ = layer_vs_ort.parse_ort_profile(self.ort_events(), warmup=1)
        ort = {k: dict(v, ms=float(np.median(v["ms"]))) for k, v in ort.items()}
        rows, unresolved = layer_vs_ort.compare(g, strix, ort)
        self.assertEqual(unresolved, [])
        got = {r["layer"]: (round(r["strix"], 4), round(r["ort"], 4), r["count"]) for r in rows}
        self.assertEqual(got, {
            "a": (0.5, 0.5, [1, 1]),
            "b + d (+Add)": (0.7, 0.9, [2, 2]),
            "other: MaxPool (1)": (0.2, 0.15, [1, 1]),
            "c": (0.35, 0.21 + 0.07, [1, 2]),  # the Conv and ORT's QuickGelu
            "fc": (0.08, 0.11, [1, 1]),
            "other: ReorderOutput (1)": (0.0, 0.03, [0, 1])})
        deltas = [r["delta"] for r in rows]
        self.assertEqual(deltas, sorted(deltas, reverse=True))
        self.assertEqual(rows[0]["layer"], "c")
        kinds = {r["layer"]: (r["kind"], r["shape"]) for r in rows}
        self.assertEqual(kinds["a"], ("3x3/2", "3->8 7x7"))
        self.assertEqual(kinds["c"], ("dw5x5", "16->16 3x3"))
        self.assertEqual(kinds["fc"], ("FC", "16->10"))
        self.assertEqual(kinds["b + d (+Add)"], ("1x1 + 1x1", "8->16 7x7"))
        classes = {c: (round(s, 4), round(o, 4)) for c, s, o, _ in layer_vs_ort.by_kind(rows)}
        self.assertEqual(classes["1x1 conv"], (0.7, 0.9))
        self.assertEqual(classes["depthwise conv"], (0.35, 0.28))
        self.assertEqual(classes["other: MaxPool"], (0.2, 0.15))
        table = layer_vs_ort.format_table(rows, {"strix_sum": 1.83, "ort_sum": 1.97,
                                                 "strix_run": 1.9, "ort_run": 5.0015}, "m",
                                          markdown=True)
        self.assertIn("| c | dw5x5 | 16->16 3x3 | 0.350 | 0.280 | 1.25 | +0.070 |", table)
        self.assertIn("| **total** | | | 1.830 | 1.970 | 0.93 | -0.140 |", table)

    def test_resolve_and_short_names(self):
        g = self.graph()
        self.assertEqual(layer_vs_ort.resolve(g, "sr_nchwc"), "/add/Relu")
        self.assertEqual(layer_vs_ort.resolve(g, "/c/Mul/QuickGeluFusion/"), "/c/Mul")
        self.assertIsNone(layer_vs_ort.resolve(g, "ReorderInput_token_7"))
        self.assertEqual(layer_vs_ort.anchor(g, "/add/Relu"), "/add/Add")
        self.assertEqual(layer_vs_ort.anchor(g, "/c/Mul"), "/c/Conv")
        self.assertEqual(layer_vs_ort.short_name("/layer1/layer1.0/downsample/downsample.0/Conv"),
                         "layer1.0/downsample.0")


if __name__ == "__main__":
    unittest.main()
