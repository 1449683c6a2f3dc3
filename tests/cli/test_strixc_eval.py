"""End-to-end tests of `strixc eval`: accuracy, --json, exit codes.

  /usr/bin/python3 tests/cli/test_strixc_eval.py --strixc build/converter/strixc [unittest args]

The model is "argmax of the pixels": an ONNX graph image [1, 1, 2, 5] -> Flatten -> Softmax
(onnx.helper), converted with `strixc convert --task classify` (contract: gray, mean 0, std 1,
so scores rise with the pixel values). Images have ten distinct pixel values each, and each
label is chosen at a known rank of its image's pixels, so top-1, top-5 and per-class
accuracy are computed here with numpy, independently of Strix. IDX and npy files are written
at test time.
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
import onnx
from onnx import TensorProto, helper

STRIXC = None
N = 40


def write_idx(path, array):
    """An IDX u8 file (00 00 08 rank, big-endian dims, data)."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 8, array.ndim]) + b"".join(
        int(d).to_bytes(4, "big") for d in array.shape)
    with open(path, "wb") as f:
        f.write(header + array.tobytes())


def onnx_model(path, height, width):
    classes = height * width
    graph = helper.make_graph(
        [helper.make_node("Flatten", ["image"], ["flat"], axis=1),
         helper.make_node("Softmax", ["flat"], ["probs"], axis=1)],
        "argmax_pixels",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 1, height, width])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, [1, classes])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    onnx.save(model, path)


class EvalTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="strixc_eval_test_")
        rng = np.random.default_rng(11)
        # N images of 2x5 distinct pixel values; item i's label sits at rank RANKS[i % 8].
        cls.images = np.stack([rng.permutation(10) * 25 + 3 for _ in range(N)]).astype(np.uint8)
        ranks = [0, 0, 0, 1, 2, 4, 5, 9]
        order = np.argsort(-cls.images.astype(np.int64), axis=1)  # best first
        cls.labels = np.array([order[i, ranks[i % len(ranks)]] for i in range(N)], np.uint8)
        cls.images = cls.images.reshape(N, 2, 5)
        write_idx(cls.path("img.idx"), cls.images)
        write_idx(cls.path("lab.idx"), cls.labels)
        cls.labels_txt = cls.path("labels.txt")
        with open(cls.labels_txt, "w") as f:
            f.write("\n".join("class%d" % i for i in range(10)) + "\n")
        onnx_model(cls.path("m.onnx"), 2, 5)
        cls.model = cls.path("m.strix")
        subprocess.run([STRIXC, "convert", cls.path("m.onnx"), "-o", cls.model, "--task",
                        "classify", "--labels", cls.labels_txt, "-q"], check=True)
        onnx_model(cls.path("m3.onnx"), 1, 3)
        cls.model3 = cls.path("m3.strix")
        subprocess.run([STRIXC, "convert", cls.path("m3.onnx"), "-o", cls.model3, "--task",
                        "classify", "-q"], check=True)
        cls.spec = "idx:%s,%s" % (cls.path("img.idx"), cls.path("lab.idx"))
        # Three classes: scores = pixels; top-1 hits items 0 and 2 only.
        write_idx(cls.path("img3.idx"), np.array([[[10, 200, 30]], [[90, 20, 5]], [[1, 2, 3]]]))
        write_idx(cls.path("lab3.idx"), np.array([1, 1, 2]))
        cls.spec3 = "idx:%s,%s" % (cls.path("img3.idx"), cls.path("lab3.idx"))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    @classmethod
    def path(cls, name):
        return os.path.join(cls.dir, name)

    def strixc(self, *args):
        return subprocess.run([STRIXC] + [str(a) for a in args], capture_output=True, text=True,
                              timeout=60)

    def eval_json(self, *args):
        r = self.strixc("eval", *args, "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def expected(self, images, labels):
        """top-1 / top-5 hits and per-class (count, top-1 hits) from the pixels."""
        flat = images.reshape(len(images), -1).astype(np.int64)
        above = (flat > flat[np.arange(len(flat)), labels][:, None]).sum(axis=1)
        per_class = [(int((labels == c).sum()), int(((labels == c) & (above == 0)).sum()))
                     for c in range(flat.shape[1])]
        return int((above == 0).sum()), int((above < 5).sum()), per_class

    def assert_fails(self, result, code, contains=None):
        self.assertEqual(result.returncode, code, result.stderr)
        lines = result.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, "stderr should be one line: %r" % result.stderr)
        if contains is not None:
            self.assertIn(contains, lines[0])

    def test_accuracy_json_and_batches(self):
        top1, top5, per_class = self.expected(self.images, self.labels)
        self.assertEqual((top1, top5), (15, 30))  # ranks 0,0,0 | 1,2 | 4 hit top-5 of 8
        for batch in (1, 3, 8):
            j = self.eval_json(self.model, "--data", self.spec, "--batch", batch)
            self.assertEqual(j["count"], N)
            self.assertEqual(j["classes"], 10)
            self.assertEqual(j["top1_correct"], top1)
            self.assertEqual(j["top5_correct"], top5)
            self.assertAlmostEqual(j["top1"], top1 / N)
            self.assertAlmostEqual(j["top5"], top5 / N)
            self.assertEqual(len(j["per_class"]), 10)
            for c, pc in enumerate(j["per_class"]):
                self.assertEqual(pc["label"], "class%d" % c)
                self.assertEqual((pc["count"], pc["top1_correct"]), per_class[c])
                if per_class[c][0]:
                    self.assertAlmostEqual(pc["top1"], per_class[c][1] / per_class[c][0])
                else:
                    self.assertIsNone(pc["top1"])
            self.assertGreater(j["images_per_second"], 0)
            self.assertEqual(len(j["data_sha256"]), 64)

    def test_limit_npy_and_text(self):
        top1, top5, _ = self.expected(self.images[:10], self.labels[:10])
        j = self.eval_json(self.model, "--data", self.spec, "--limit", 10, "--threads", 1)
        self.assertEqual((j["count"], j["top1_correct"], j["top5_correct"]), (10, top1, top5))
        # Pre-processed f32 npy data with numpy's int64 labels gives the same result.
        np.save(self.path("x.npy"), (self.images / 255.0).astype(np.float32)[:, None])
        np.save(self.path("y.npy"), self.labels.astype(np.int64))
        j = self.eval_json(self.model, "--data",
                           "npy:%s,%s" % (self.path("x.npy"), self.path("y.npy")))
        top1, top5, _ = self.expected(self.images, self.labels)
        self.assertEqual((j["top1_correct"], j["top5_correct"]), (top1, top5))
        r = self.strixc("eval", self.model, "--data", self.spec)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("top-1   37.50 %  (15 / 40)", r.stdout)
        self.assertIn("top-5   75.00 %  (30 / 40)", r.stdout)

    def test_fewer_than_five_classes_has_no_top5(self):
        j = self.eval_json(self.model3, "--data", self.spec3)
        self.assertEqual((j["count"], j["classes"], j["top1_correct"]), (3, 3, 2))
        self.assertIsNone(j["top5"])
        r = self.strixc("eval", self.model3, "--data", self.spec3)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("top-5", r.stdout)

    def test_exit_codes(self):
        self.assert_fails(self.strixc("eval", self.model), 2, "--data")
        self.assert_fails(self.strixc("eval", self.model, "--data", self.spec, "--batch", 0), 2)
        self.assert_fails(self.strixc("eval", self.model, "--data", self.spec, "--limit", -1), 2)
        self.assert_fails(self.strixc("eval", self.path("none.strix"), "--data", self.spec), 1,
                          "none.strix")
        missing = self.path("missing.idx")
        self.assert_fails(self.strixc("eval", self.model, "--data", "idx:" + missing), 1,
                          missing)
        self.assert_fails(self.strixc("eval", self.model, "--data", "png:x"), 1, "png:x")
        self.assert_fails(
            self.strixc("eval", self.model, "--data", "idx:" + self.path("img.idx")), 1,
            "no labels")
        write_idx(self.path("lab_bad.idx"), np.where(np.arange(N) == 7, 12, 0).astype(np.uint8))
        self.assert_fails(
            self.strixc("eval", self.model, "--data",
                        "idx:%s,%s" % (self.path("img.idx"), self.path("lab_bad.idx"))), 1,
            "item 7")
        # A label the model has no label for, in a model without labels: out of its classes.
        write_idx(self.path("lab_bad3.idx"), np.array([0, 5, 1], np.uint8))
        self.assert_fails(
            self.strixc("eval", self.model3, "--data",
                        "idx:%s,%s" % (self.path("img3.idx"), self.path("lab_bad3.idx"))), 1,
            "item 1 has label 5")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--strixc", required=True)
    args, rest = ap.parse_known_args()
    STRIXC = os.path.abspath(args.strixc)
    unittest.main(argv=[sys.argv[0]] + rest)
