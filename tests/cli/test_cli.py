"""End-to-end tests of the `strix` CLI (run, bench) on a tiny model.

  /usr/bin/python3 tests/cli/test_cli.py --strix build/sdk/tools/strix \
      --make-model build/tests/tools/make_test_model [unittest args]

The model comes from tests/tools/make_test_model (conv3x3+relu+gap+fc+softmax); its weights
are written next to it as .npy files, and the expected outputs are recomputed here with numpy.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import numpy as np

STRIX = None
MAKE_MODEL = None


def reference(x, stem):
    """The tiny model in float64 numpy: conv3x3 (pad 1) + relu + gap + fc + softmax."""
    conv_w = np.load(stem + ".conv_w.npy").astype(np.float64)
    conv_b = np.load(stem + ".conv_b.npy").astype(np.float64)
    fc_w = np.load(stem + ".fc_w.npy").astype(np.float64)
    fc_b = np.load(stem + ".fc_b.npy").astype(np.float64)
    x = x.astype(np.float64)
    n, _, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    y = np.zeros((n, conv_w.shape[0], h, w))
    for i in range(3):
        for j in range(3):
            y += np.einsum("nchw,mc->nmhw", xp[:, :, i:i + h, j:j + w], conv_w[:, :, i, j])
    y += conv_b[None, :, None, None]
    y = np.maximum(y, 0)
    g = y.mean(axis=(2, 3))
    logits = g @ fc_w.T + fc_b
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


class CliTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="strix_cli_test_")
        cls.model = os.path.join(cls.dir, "tiny.strix")
        cls.stem = os.path.join(cls.dir, "tiny")
        cls.dyn_model = os.path.join(cls.dir, "dyn.strix")
        subprocess.run([MAKE_MODEL, cls.model], check=True)
        subprocess.run([MAKE_MODEL, cls.dyn_model, "--dynamic-batch"], check=True)
        rng = np.random.default_rng(5)
        cls.x = rng.uniform(-1, 1, (1, 3, 8, 8)).astype(np.float32)
        cls.x_path = os.path.join(cls.dir, "x.npy")
        np.save(cls.x_path, cls.x)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.dir, name)

    def strix(self, *args):
        return subprocess.run([STRIX] + [str(a) for a in args], capture_output=True, text=True,
                              timeout=60)

    def assert_fails(self, result, code=None, contains=None):
        """Non-zero exit (not a signal) and exactly one line on stderr."""
        self.assertGreater(result.returncode, 0,
                           "returncode %d (negative = signal); stderr: %s" %
                           (result.returncode, result.stderr))
        if code is not None:
            self.assertEqual(result.returncode, code, result.stderr)
        lines = result.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, "stderr should be one line: %r" % result.stderr)
        if contains is not None:
            self.assertIn(contains, lines[0])
        return lines[0]

    # ---- strix run

    def test_run_matches_numpy(self):
        out = self.path("out_match")
        r = self.strix("run", self.model, "--input", "image=" + self.x_path, "--output-dir", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stderr, "")
        # One line per output: name, shape, dtype; the '/' and ':' of the name are sanitized.
        self.assertIn("scores/softmax:0", r.stdout)
        self.assertIn("[1x5] f32", r.stdout)
        self.assertEqual(len(r.stdout.strip().splitlines()), 1)
        y = np.load(os.path.join(out, "scores_softmax_0.npy"))
        self.assertEqual(y.dtype, np.float32)
        self.assertEqual(y.shape, (1, 5))
        expected = reference(self.x, self.stem)
        np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)
        self.assertAlmostEqual(float(y.sum()), 1.0, places=5)
        # The output is not trivially uniform: the test can fail.
        self.assertGreater(float(y.max() - y.min()), 1e-3)

    def test_run_positional_input_and_nested_output_dir(self):
        out = self.path("nested/a/b")
        r = self.strix("run", self.model, "--input", self.x_path, "--output-dir", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        y = np.load(os.path.join(out, "scores_softmax_0.npy"))
        np.testing.assert_allclose(y, reference(self.x, self.stem), rtol=1e-5, atol=1e-6)

    def test_run_without_output_dir_prints_only(self):
        r = self.strix("run", self.model, "-i", self.x_path)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("[1x5] f32", r.stdout)

    def test_run_dynamic_batch(self):
        rng = np.random.default_rng(9)
        x3 = rng.uniform(-2, 2, (3, 3, 8, 8)).astype(np.float32)
        x3_path = self.path("x3.npy")
        np.save(x3_path, x3)
        out = self.path("out_batch3")
        r = self.strix("run", self.dyn_model, "--batch", 3, "--input", "image=" + x3_path,
                       "--output-dir", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("[3x5] f32", r.stdout)
        y = np.load(os.path.join(out, "scores_softmax_0.npy"))
        np.testing.assert_allclose(y, reference(x3, self.path("dyn")), rtol=1e-5, atol=1e-6)
        # Without --batch a dynamic batch becomes 1, so the batch-3 input no longer fits.
        r = self.strix("run", self.dyn_model, "--input", "image=" + x3_path)
        self.assert_fails(r, 1, "is [3x3x8x8] f32, the model expects [1x3x8x8] f32")

    def test_corrupt_models(self):
        with open(self.model, "rb") as f:
            data = f.read()
        cases = {
            "empty.strix": b"",
            "random.strix": np.random.default_rng(1).integers(0, 256, 4096, np.uint8).tobytes(),
            "text.strix": b"this is not a model\n",
        }
        for cut in (4, 16, 100, len(data) // 2, len(data) - 1):
            cases["trunc%d.strix" % cut] = data[:cut]
        flipped = bytearray(data)
        for i in range(8, min(len(flipped), 400), 37):
            flipped[i] ^= 0xFF
        cases["flipped.strix"] = bytes(flipped)
        for name, content in cases.items():
            p = self.path(name)
            with open(p, "wb") as f:
                f.write(content)
            for command in (["run", p, "--input", self.x_path], ["bench", p, "--iterations", 1]):
                with self.subTest(model=name, command=command[0]):
                    r = self.strix(*command)
                    # A flipped byte may land in weights and still load: then it must run.
                    if name == "flipped.strix" and r.returncode == 0:
                        continue
                    self.assert_fails(r, 1)
        r = self.strix("run", self.path("does_not_exist.strix"), "--input", self.x_path)
        line = self.assert_fails(r, 1, "does_not_exist.strix")
        self.assertIn("not_found", line)

    def test_missing_input(self):
        r = self.strix("run", self.model, "--output-dir", self.path("o"))
        self.assert_fails(r, contains="missing input 'image'")

    def test_unknown_and_duplicate_input(self):
        r = self.strix("run", self.model, "--input", "foo=" + self.x_path)
        self.assert_fails(r, contains="unknown input name 'foo'")
        r = self.strix("run", self.model, "--input", "image=" + self.x_path, "--input",
                       "image=" + self.x_path)
        self.assert_fails(r, contains="more than once")

    def test_wrong_shape(self):
        p = self.path("small.npy")
        np.save(p, np.zeros((1, 3, 4, 4), np.float32))
        r = self.strix("run", self.model, "--input", "image=" + p)
        line = self.assert_fails(r, 1)
        self.assertIn("input 'image': %s is [1x3x4x4] f32, the model expects [1x3x8x8] f32" % p,
                      line)

    def test_wrong_dtype(self):
        p64 = self.path("f64.npy")
        np.save(p64, self.x.astype(np.float64))
        r = self.strix("run", self.model, "--input", "image=" + p64)
        self.assert_fails(r, 1, "'<f8'")
        p32 = self.path("i32.npy")
        np.save(p32, np.zeros((1, 3, 8, 8), np.int32))
        r = self.strix("run", self.model, "--input", "image=" + p32)
        self.assert_fails(r, 1, "is [1x3x8x8] i32, the model expects [1x3x8x8] f32")

    def test_unreadable_npy(self):
        r = self.strix("run", self.model, "--input", "image=" + self.path("nope.npy"))
        self.assert_fails(r, 1, "nope.npy")
        bad = self.path("bad.npy")
        with open(self.x_path, "rb") as f:
            head = f.read()[:100]
        with open(bad, "wb") as f:
            f.write(head)
        r = self.strix("run", self.model, "--input", "image=" + bad)
        self.assert_fails(r, 1, "bad.npy")

    def test_usage_errors(self):
        cases = [
            (["run", self.model, "--frobnicate"], None),
            (["run", self.model, "-i", self.x_path, "--batch", -1], "--batch"),
            (["run", self.model, "-i", self.x_path, "--batch", "abc"], "--batch"),
            (["run", self.model, "-i", self.x_path, "--threads", -2], "--threads"),
            (["run"], None),
            (["bench", self.model, "--iterations", 0], "--iterations"),
            (["bench", self.model, "--warmup", -1], "--warmup"),
            (["bench", self.model, "--batch", -3], "--batch"),
            (["frob"], None),
            ([], None),
        ]
        for args, contains in cases:
            with self.subTest(args=args):
                self.assert_fails(self.strix(*args), 2, contains)

    def test_version_and_help(self):
        r = self.strix("--version")
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout.strip(), r"^strix \d+\.\d+\.\d+$")
        for args in (["--help"], ["run", "--help"], ["bench", "--help"]):
            r = self.strix(*args)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("Usage", r.stdout)

    # ---- strix bench

    def test_bench_json(self):
        r = self.strix("bench", self.model, "--iterations", 5, "--warmup", 1, "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        j = json.loads(r.stdout)
        for key in ("model", "device", "batch", "threads", "warmup", "iterations", "load_ms",
                    "build_ms", "arena_bytes", "latency_ms", "throughput", "peak_rss_kb"):
            self.assertIn(key, j)
        self.assertEqual(j["iterations"], 5)
        self.assertEqual(j["batch"], 1)
        lat = j["latency_ms"]
        self.assertLessEqual(0, lat["min"])
        self.assertLessEqual(lat["min"], lat["p50"])
        self.assertLessEqual(lat["p50"], lat["p90"])
        self.assertLessEqual(lat["p90"], lat["p99"])
        self.assertLessEqual(lat["p99"], lat["max"])
        self.assertGreater(j["throughput"]["inferences_per_s"], 0)
        self.assertAlmostEqual(j["throughput"]["items_per_s"], j["throughput"]["inferences_per_s"])
        self.assertGreater(j["arena_bytes"], 0)
        self.assertGreater(j["peak_rss_kb"], 0)
        self.assertGreaterEqual(j["load_ms"], 0)
        self.assertGreaterEqual(j["build_ms"], 0)

    def test_bench_batch_scales_items(self):
        r = self.strix("bench", self.dyn_model, "--batch", 4, "--iterations", 3, "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        j = json.loads(r.stdout)
        self.assertEqual(j["batch"], 4)
        t = j["throughput"]
        self.assertAlmostEqual(t["items_per_s"], 4 * t["inferences_per_s"],
                               delta=1e-6 * t["items_per_s"])

    def test_bench_text(self):
        r = self.strix("bench", self.model, "--iterations", 3, "--warmup", 0)
        self.assertEqual(r.returncode, 0, r.stderr)
        for word in ("load", "build", "arena", "p50", "p99", "inferences/s", "items/s",
                     "peak RSS"):
            self.assertIn(word, r.stdout)


def main():
    global STRIX, MAKE_MODEL
    parser = argparse.ArgumentParser()
    parser.add_argument("--strix", required=True)
    parser.add_argument("--make-model", required=True)
    args, rest = parser.parse_known_args()
    STRIX = os.path.abspath(args.strix)
    MAKE_MODEL = os.path.abspath(args.make_model)
    unittest.main(argv=[sys.argv[0]] + rest)


if __name__ == "__main__":
    main()
