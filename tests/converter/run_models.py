#!/usr/bin/env python3
"""Real architectures (exported by scripts/export_models.py) through `strixc convert` and
`strix run`, compared with ONNX Runtime: relative L2 <= 1e-5 in FP32, <= 1e-2 in FP16.
Run with the venv's python (tests/converter/make_venv.sh). Prints one line per model and
precision with the time of each step, and ends with "N passed, M failed".

Usage: run_models.py --models-dir DIR --strixc PATH --strix PATH [--only a,b] [--precisions fp32,fp16]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

from run_cases import rel_l2, run

try:
    import onnxruntime as ort
except ImportError:
    sys.exit("run_models.py: error: onnxruntime is not installed in this python; "
             "run tests/converter/make_venv.sh BUILD_DIR and use BUILD_DIR/venv/bin/python")

TOLERANCE = {"fp32": 1e-5, "fp16": 1e-2}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models-dir", required=True)
    ap.add_argument("--strixc", required=True)
    ap.add_argument("--strix", required=True)
    ap.add_argument("--only", default="")
    ap.add_argument("--precisions", default="fp32,fp16")
    args = ap.parse_args()
    entries = json.load(open(os.path.join(args.models_dir, "models.json")))["models"]
    only = set(filter(None, args.only.split(",")))
    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix="strix-models-") as work:
        for e in entries:
            if only and e["name"] not in only:
                continue
            x = np.load(e["input_npy"])
            t0 = time.time()
            sess = ort.InferenceSession(e["onnx"], providers=["CPUExecutionProvider"])
            want = sess.run(None, {e["input"]: x})[0]
            t_ort = time.time() - t0
            for precision in args.precisions.split(","):
                label = f"{e['name']} opset {e['opset']} [{precision}]"
                model = os.path.join(work, "model.strix")
                t0 = time.time()
                rc, out = run([args.strixc, "convert", e["onnx"], "-o", model, "--precision", precision, "-q"])
                t_convert = time.time() - t0
                ok, detail = rc == 0, f"strixc convert failed: {out.strip()}"
                t_run = 0.0
                if ok:
                    outdir = os.path.join(work, "out")
                    t0 = time.time()
                    rc, out = run([args.strix, "run", model, "--input", f"{e['input']}={e['input_npy']}",
                                   "--output-dir", outdir])
                    t_run = time.time() - t0
                    ok, detail = rc == 0, f"strix run failed: {out.strip()}"
                if ok:
                    got = np.load(os.path.join(outdir, "output.npy"))
                    err = rel_l2(got, want)
                    ok = got.shape == want.shape and err <= TOLERANCE[precision]
                    detail = f"rel L2 {err:.2e} (limit {TOLERANCE[precision]:g})"
                times = f"convert {t_convert:.1f} s, run {t_run:.1f} s, onnxruntime {t_ort:.1f} s"
                print(("PASS " if ok else "FAIL ") + f"{label}: {detail}; {times}", flush=True)
                passed += ok
                failed += not ok
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
