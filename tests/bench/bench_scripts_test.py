#!/usr/bin/python3
"""Fast checks of the helpers behind the accuracy and INT8 benchmark scripts (they train and
time for minutes, so CI runs only these): the training script's augmentation, learning-rate
schedule and architectures, the accuracy script's goal check, and the synthetic calibration
images of tests/bench/bench_vs_ort.py. Independent references: per-sample numpy loops and
hand values.

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


if __name__ == "__main__":
    unittest.main()
